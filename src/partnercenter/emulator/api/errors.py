"""Partner Center wire errors as objects that render themselves.

Raise ``ApiError(pc_errors.NOT_FOUND, what="Customer 'x'")`` anywhere in a handler; the API
turns it into Partner Center's body ``{"code": 1000, "description": "...", "data": [],
"source": "PartnerFD"}`` with the entry's status. The entries come from the shared catalog
:mod:`partnercenter._contract.pc_errors`, which the client reads back, so both sides agree.
Throttling has a body of its own (``{"statusCode": 429, "message": ...}``): ``Throttled``.
"""

from __future__ import annotations

from typing import Any

from ..._contract import pc_errors
from ..._contract.pc_errors import PartnerCenterCode
from ..identity.errors import echo

#: Partner Center's front door names itself in every error body.
ERROR_SOURCE = "PartnerFD"


class ApiError(Exception):
    """One Partner Center error; ``values`` fill the catalog entry's description template."""

    def __init__(
        self,
        entry: PartnerCenterCode,
        *,
        headers: dict[str, str] | None = None,
        **values: object,
    ) -> None:
        self.entry = entry
        # Caller input quoted in a description is bounded and made encodable first.
        self.description = entry.format(**{key: echo(value) for key, value in values.items()})
        self.headers = dict(headers or {})
        super().__init__(self.description)

    @property
    def status(self) -> int:
        """The HTTP status of the catalog entry."""
        return self.entry.status

    def body(self) -> dict[str, Any]:
        """The JSON body Partner Center sends for this error."""
        return {
            "code": self.entry.code,
            "description": self.description,
            "data": [],
            "source": ERROR_SOURCE,
        }


class Throttled(Exception):
    """A 429: ``Retry-After`` whole seconds and Partner Center's throttling body."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """``Rate limit is exceeded. Try again in N seconds.``"""
        return pc_errors.THROTTLED_MESSAGE.format(seconds=self.retry_after)

    def body(self) -> dict[str, Any]:
        """The JSON body Partner Center sends for this error."""
        return {"statusCode": 429, "message": self.message}


def invalid(detail: str) -> ApiError:
    """400 / 3000 with ``detail`` as the description (an invalid property or parameter)."""
    return ApiError(pc_errors.INVALID_PROPERTY, detail=detail)


def not_found(what: str) -> ApiError:
    """404 / 1000: ``"<what> was not found."``."""
    return ApiError(pc_errors.NOT_FOUND, what=what)
