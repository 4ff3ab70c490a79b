"""Reading Partner Center answers (pure): success bodies, and error bodies as exceptions.

Error bodies (https://learn.microsoft.com/partner-center/developer/error-codes):
``{"code": 600008, "description": "...", "data": [], "source": "PartnerFD"}`` (``code``
documented as a string, sent as a number); 429 has its own ``{"statusCode": 429, "message":
"..."}``; some gateways answer
``{"error": {"code": ..., "message": ...}}`` or no JSON at all. Each becomes one of the
:class:`~partnercenter.errors.PartnerCenterApiError` classes, with the hint from the shared
catalog :mod:`partnercenter._contract.pc_errors` (the one the emulator renders from).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import httpx

from .._contract import operations, pc_errors, wire
from .._contract.pc_errors import PartnerCenterCode
from .._credentials.policy import parse_retry_after
from ..errors import (
    AlreadyExistsError,
    AppUserRequiredError,
    InvalidResponseError,
    MfaRequiredError,
    PartnerCenterApiError,
    ServerError,
    ThrottledError,
    api_error_class,
)
from ..redaction import safe_repr
from .core import ApiCall

__all__ = ["ApiResponse", "error_from_response", "json_object", "read_response"]

#: Longest description kept from a body (Partner Center's own limit is 1024 characters).
MAX_DESCRIPTION: Final = 1024

# The catalog entries, by (status, code): codes alone are ambiguous (3000 is both 400 and 409).
_ENTRIES: Final[dict[tuple[int, int], PartnerCenterCode]] = {
    (entry.status, entry.code): entry
    for entry in (
        pc_errors.TOKEN_MISSING,
        pc_errors.AUTHENTICATION_FAILED,
        pc_errors.GRAPH_AUDIENCE,
        pc_errors.MFA_REQUIRED,
        pc_errors.APP_ONLY_FORBIDDEN,
        pc_errors.ROLE_FORBIDDEN,
        pc_errors.NO_RELATIONSHIP,
        pc_errors.NOT_FOUND,
        pc_errors.INVALID_PROPERTY,
        pc_errors.ALREADY_EXISTS,
        pc_errors.ETAG_INVALID,
        pc_errors.SERVER_ERROR,
        pc_errors.SERVICE_UNAVAILABLE,
    )
}


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """A successful answer: ``status``, response ``headers``, the parsed JSON ``body`` (``None``
    when empty), the ``request_id`` / ``correlation_id`` the call used (as echoed), and how
    many HTTP ``attempts`` it took."""

    status: int
    headers: httpx.Headers
    body: Any
    request_id: str
    correlation_id: str
    attempts: int = 1

    @property
    def etag(self) -> str | None:
        """The ``ETag`` header, or the body's ``etag`` property (Partner Center uses both)."""
        value: str | None = self.headers.get("etag")
        if value is None and isinstance(self.body, dict):
            found = self.body.get("etag")
            value = found if isinstance(found, str) else None
        return value

    def __repr__(self) -> str:
        return (
            f"ApiResponse(status={safe_repr(self.status)}, "
            f"request_id={safe_repr(self.request_id)}, "
            f"correlation_id={safe_repr(self.correlation_id)}, attempts={safe_repr(self.attempts)})"
        )


def _parse_json(content: bytes) -> Any:
    # json.loads on bytes detects UTF-8 with a BOM, which some Partner Center answers carry.
    return json.loads(content)


def read_response(
    response: httpx.Response,
    call: ApiCall,
    request_id: str,
    correlation_id: str,
    attempts: int,
) -> ApiResponse:
    """The :class:`ApiResponse` of a successful answer; a body that should be JSON and is not
    raises :class:`~partnercenter.errors.InvalidResponseError`."""
    content = response.content
    headers = response.headers
    request_id = headers.get(wire.HEADER_REQUEST_ID) or request_id
    correlation_id = headers.get(wire.HEADER_CORRELATION_ID) or correlation_id
    body: Any = None
    if content and call.method != "HEAD":
        try:
            body = _parse_json(content)
        except (ValueError, RecursionError):
            raise InvalidResponseError(
                f"the answer is not JSON (Content-Type {headers.get('content-type')!r}, "
                f"{len(content)} bytes)",
                status=response.status_code,
                request_id=request_id,
                correlation_id=correlation_id,
                **call.where(),
                attempts=attempts,
            ) from None
    return ApiResponse(
        status=response.status_code,
        headers=headers,
        body=body,
        request_id=request_id,
        correlation_id=correlation_id,
        attempts=attempts,
    )


def json_object(response: ApiResponse, call: ApiCall) -> dict[str, Any]:
    """The body of an answer that must be a JSON object (an empty body is ``{}``)."""
    body = response.body
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise InvalidResponseError(
            f"expected a JSON object, got a JSON {type(body).__name__}",
            status=response.status,
            request_id=response.request_id,
            correlation_id=response.correlation_id,
            **call.where(),
            attempts=response.attempts,
        )
    return body


def _code(value: Any) -> int | str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip():
        text = value.strip()
        return int(text) if text.isdigit() and len(text) < 12 else text[:64]
    return None


def _text(value: Any) -> str | None:
    return value[:MAX_DESCRIPTION] if isinstance(value, str) and value.strip() else None


def _fields(status: int, content: bytes, reason: str) -> tuple[Any, str, list[Any], str | None]:
    """``(code, description, data, source)`` from whatever body came."""
    body: Any = None
    if content:
        try:
            body = _parse_json(content)
        except (ValueError, RecursionError):
            body = None
    if isinstance(body, dict):
        nested = body.get("error")
        if isinstance(nested, dict) and "code" not in body:
            body = {**nested, "description": nested.get("message")}
        description = _text(body.get("description")) or _text(body.get("message"))
        data = body.get("data")
        source = body.get("source")
        return (
            body.get("code"),
            description or reason,
            list(data) if isinstance(data, list) else [],
            source if isinstance(source, str) else None,
        )
    # Not JSON (a gateway's HTML page...): the reason phrase says more than the markup.
    return None, reason, [], None


def _hint(cls: type[PartnerCenterApiError], status: int, code: int | str | None) -> str:
    entry = _ENTRIES.get((status, code)) if isinstance(code, int) else None
    if entry is not None and entry.hint:
        return entry.hint
    if cls is AppUserRequiredError:
        return pc_errors.APP_ONLY_HINT
    if cls is MfaRequiredError:
        return pc_errors.MFA_HINT
    if cls is ThrottledError:
        return pc_errors.THROTTLED_HINT
    if cls is AlreadyExistsError:
        return pc_errors.ALREADY_EXISTS.hint
    if cls is ServerError:
        return pc_errors.SERVER_ERROR.hint
    entry = pc_errors.lookup(code) if isinstance(code, int) else None
    return entry.hint if entry is not None and entry.status == status else ""


def error_from_response(
    response: httpx.Response,
    call: ApiCall,
    request_id: str,
    correlation_id: str,
    attempts: int,
    now: float,
) -> PartnerCenterApiError:
    """The exception for an error answer (not raised here: the flow decides to retry or
    raise). ``now`` reads an HTTP-date ``Retry-After``."""
    status = response.status_code
    headers: Mapping[str, str] = response.headers
    raw_code, description, data, source = _fields(
        status, response.content, response.reason_phrase or f"HTTP {status}"
    )
    code = _code(raw_code)
    if status == 429 and code == 429:
        code = None  # the throttling body's statusCode is the status, not a Partner Center code
    if "graph.windows.net" in description and status == 401 and code is None:
        code = pc_errors.GRAPH_AUDIENCE.code
    cls = api_error_class(status, code, description)
    return cls(
        description,
        status=status,
        code=code,
        data=data,
        source=source,
        request_id=headers.get(wire.HEADER_REQUEST_ID) or request_id,
        correlation_id=headers.get(wire.HEADER_CORRELATION_ID) or correlation_id,
        retry_after=parse_retry_after(headers.get("retry-after"), now),
        **call.where(),
        attempts=attempts,
        hint=_role_hint(call.name, code) + _hint(cls, status, code),
    )


def _role_hint(name: str | None, code: int | str | None) -> str:
    """For a role refusal (900150), the roles the catalog says the operation allows."""
    op = operations.BY_NAME.get(name) if name and code == pc_errors.ROLE_FORBIDDEN.code else None
    if op is None:
        return ""
    roles = ", ".join(sorted(role.value.replace("_", " ") for role in op.roles))
    return f"{op.name} is open to these Partner Center roles: {roles}. "
