"""What a handler receives (``Call``) and returns (``Result``), and parameter helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import Headers

from ..._contract.operations import Operation
from .bearer import Principal
from .errors import invalid

Json = dict[str, Any]
_INTEGER = re.compile(r"^-?[0-9]{1,12}$")


@dataclass(slots=True)
class Call:
    """One authenticated, authorized API request, as a handler sees it."""

    op: Operation
    #: Path parameters of the operation's template (``customer_id``...), URL-decoded.
    params: dict[str, str]
    #: Query parameters with lower-cased names (Partner Center's are case-insensitive).
    query: dict[str, str]
    headers: Headers
    #: The parsed JSON body (``None`` when empty).
    body: Any
    principal: Principal
    #: Emulator time (epoch seconds).
    now: float
    request_id: str

    def param(self, name: str) -> str:
        """A path parameter of the operation's template, URL-decoded."""
        return self.params[name]

    def body_object(self) -> Json:
        """The body, which must be a JSON object (400 / 3000 otherwise)."""
        if not isinstance(self.body, dict):
            raise invalid("The request body must be a JSON object.")
        return self.body


@dataclass(slots=True)
class Result:
    """A handler's answer: a JSON body (or ``None`` for an empty one), status and headers."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def int_param(call: Call, name: str, default: int, *, minimum: int, maximum: int) -> int:
    """An integer query parameter within bounds (400 / 3000 naming it otherwise)."""
    raw = call.query.get(name.lower())
    if raw is None or raw == "":
        return default
    if not _INTEGER.match(raw):
        raise invalid(f"The parameter '{name}' must be an integer.")
    value = int(raw)
    if not minimum <= value <= maximum:
        raise invalid(f"The parameter '{name}' must be between {minimum} and {maximum}.")
    return value


def text(body: Json, name: str, *, required: bool = True, max_length: int = 256) -> str | None:
    """A string property of a request body (400 / 3000 naming it when wrong)."""
    value = body.get(name)
    if value is None:
        if required:
            raise invalid(f"The property '{name}' is required.")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise invalid(f"The property '{name}' must be a non-empty string.")
    if len(value) > max_length:
        raise invalid(f"The property '{name}' is longer than {max_length} characters.")
    return value


def obj(body: Json, name: str, *, required: bool = True) -> Json:
    """An object property of a request body."""
    value = body.get(name)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise invalid(f"The property '{name}' must be an object.")
    return value
