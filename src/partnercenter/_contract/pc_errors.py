"""The catalog of Partner Center API errors this project knows.

Partner Center answers failures with ``{"code": 600008, "description": "...", "data": [],
"source": "PartnerFD"}`` (``code`` documented as a string, sent as a number), except 429,
which has its own body. One entry per case: HTTP status, code, description template and the
hint that names the fix. The emulator renders from these entries and the client reads them
back, so both agree by construction. Source:
https://learn.microsoft.com/partner-center/developer/error-codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class PartnerCenterCode:
    name: str
    status: int
    code: int
    description: str
    hint: str = ""

    def format(self, **values: object) -> str:
        """The description with ``{name}`` placeholders filled (missing ones left as is)."""
        return self.description.format_map(_Leave(values))[:1024]


class _Leave(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


GRAPH_AUDIENCE_HINT = (
    "Ask for the Partner Center resource instead: scope "
    "'https://api.partnercenter.microsoft.com/.default' (app-only) or "
    "'https://api.partnercenter.microsoft.com/user_impersonation' (app + user); v1: "
    "resource=https://api.partnercenter.microsoft.com."
)
MFA_HINT = (
    "App + user calls need a token from a sign-in that used MFA: run the one-time consent "
    "(`partnercenter consent`) with MFA, then use RefreshTokenCredential (the secure "
    "application model)."
)
APP_ONLY_HINT = (
    "This operation needs app + user credentials: use RefreshTokenCredential (the secure "
    "application model) or a device-code/browser sign-in."
)

TOKEN_MISSING: Final = PartnerCenterCode(
    "token_missing",
    401,
    800001,
    "Partner token is missing in the request.",
    "Send 'Authorization: Bearer <token>' with an Azure AD token for Partner Center.",
)
AUTHENTICATION_FAILED: Final = PartnerCenterCode(
    "authentication_failed",
    401,
    400,
    "Authentication failed. {detail}",
    "Get a fresh token for https://api.partnercenter.microsoft.com from the partner's tenant.",
)
GRAPH_AUDIENCE: Final = PartnerCenterCode(
    "graph_audience",
    401,
    900420,
    "The audience 'https://graph.windows.net' in the token is invalid and is no longer "
    "supported. Request a token for the audience 'https://api.partnercenter.microsoft.com'.",
    GRAPH_AUDIENCE_HINT,
)
MFA_REQUIRED: Final = PartnerCenterCode(
    "mfa_required",
    401,
    900421,
    "Authentication failed. MFA required. The token's 'amr' claim does not contain 'mfa'; "
    "app + user access needs multi-factor authentication.",
    MFA_HINT,
)
APP_ONLY_FORBIDDEN: Final = PartnerCenterCode(
    "app_only_forbidden",
    403,
    900154,
    "This resource can't be accessed by application credentials.",
    APP_ONLY_HINT,
)
ROLE_FORBIDDEN: Final = PartnerCenterCode(
    "role_forbidden",
    403,
    900150,
    "The user's role lacks the rights for this operation.",
    "Give the signed-in user one of those roles in Partner Center (Account settings > User "
    "management), or use app-only credentials where the operation accepts them.",
)
NO_RELATIONSHIP: Final = PartnerCenterCode(
    "no_relationship",
    403,
    20002,
    "The partner has no relationship with customer '{customer}'.",
    "Check the customer id, and that the customer accepted the reseller relationship.",
)
NOT_FOUND: Final = PartnerCenterCode(
    "not_found", 404, 1000, "{what} was not found.", "Check the id in the request path."
)
INVALID_PROPERTY: Final = PartnerCenterCode(
    "invalid_property", 400, 3000, "{detail}", "Fix the request body property named above."
)
ALREADY_EXISTS: Final = PartnerCenterCode(
    "already_exists", 409, 3000, "{what} already exists.", "Use another name or domain."
)
ETAG_INVALID: Final = PartnerCenterCode(
    "etag_invalid",
    400,
    2055,
    "The ETag is no longer valid; the resource changed.",
    "Get the resource again and retry with its new ETag in If-Match.",
)
SERVER_ERROR: Final = PartnerCenterCode(
    "server_error",
    500,
    500,
    "An internal error occurred. {detail}",
    "Retry with back-off; if it persists, report the MS-RequestId and MS-CorrelationId.",
)
SERVICE_UNAVAILABLE: Final = PartnerCenterCode(
    "service_unavailable",
    503,
    503,
    "The service is temporarily unavailable.",
    "Retry with back-off.",
)

METHOD_NOT_ALLOWED: Final = PartnerCenterCode(
    "method_not_allowed",
    405,
    405,
    "The requested resource does not support http method '{method}'.",
    "Check the operation's HTTP method (see partnercenter._contract.operations).",
)

#: Throttling has its own body: ``{"statusCode": 429, "message": "..."}`` plus Retry-After.
THROTTLED_MESSAGE: Final = "Rate limit is exceeded. Try again in {seconds} seconds."
THROTTLED_HINT: Final = (
    "Wait Retry-After seconds, then retry with exponential back-off and less parallelism."
)

BY_CODE: Final[dict[int, PartnerCenterCode]] = {}
for _entry in (
    TOKEN_MISSING,
    AUTHENTICATION_FAILED,
    GRAPH_AUDIENCE,
    MFA_REQUIRED,
    APP_ONLY_FORBIDDEN,
    ROLE_FORBIDDEN,
    NO_RELATIONSHIP,
    NOT_FOUND,
    ETAG_INVALID,
    SERVER_ERROR,
    SERVICE_UNAVAILABLE,
    INVALID_PROPERTY,
    METHOD_NOT_ALLOWED,
):
    BY_CODE.setdefault(_entry.code, _entry)


def lookup(code: int | str | None) -> PartnerCenterCode | None:
    """The entry for a wire ``code`` (number or numeric string), or ``None``."""
    try:
        return BY_CODE.get(int(code)) if code is not None else None
    except (TypeError, ValueError):
        return None
