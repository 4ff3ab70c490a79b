"""The one exception hierarchy of :mod:`partnercenter`.

Every failure the library reports is one of these, always raised, never returned::

    PartnerCenterError
    ├── ConfigurationError              (also a ValueError) a wrong argument, named in the message
    └── AuthenticationError             no token could be had
        ├── AzureADError                the token endpoint answered with an AADSTS error body
        │   ├── InvalidRequestError         error=invalid_request (tenant not found, ...)
        │   ├── InvalidClientError          error=invalid_client (wrong or expired secret, ...)
        │   ├── InvalidGrantError           error=invalid_grant (refresh token expired, consent...)
        │   ├── UnauthorizedClientError     error=unauthorized_client (app not in tenant)
        │   ├── InvalidScopeError           error=invalid_scope
        │   ├── InvalidResourceError        error=invalid_resource
        │   ├── InteractionRequiredError    error=interaction_required (MFA required, ...)
        │   └── TemporarilyUnavailableError error=temporarily_unavailable
        ├── TokenEndpointError          an HTTP error or a malformed answer without an AADSTS body
        ├── TokenEndpointUnreachableError   connection failures and timeouts, after retries
        ├── AccessTokenExpiredError     a static access token has expired
        ├── RefreshTokenMissingError    the refresh-token store holds no token for this credential
        └── CredentialSourceError       a wrapped azure-core credential failed

Warnings derive from :class:`PartnerCenterWarning` (a ``UserWarning``, so they are shown by
default): :class:`DeprecatedCloudWarning` and :class:`RetiredAudienceWarning`.

Messages never contain a secret, a client assertion, a refresh token or an access token.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Sequence

from . import aadsts

__all__ = [
    "AccessTokenExpiredError",
    "AuthenticationError",
    "AzureADError",
    "ConfigurationError",
    "CredentialSourceError",
    "DeprecatedCloudWarning",
    "InteractionRequiredError",
    "InvalidClientError",
    "InvalidGrantError",
    "InvalidRequestError",
    "InvalidResourceError",
    "InvalidScopeError",
    "PartnerCenterError",
    "PartnerCenterWarning",
    "RefreshTokenMissingError",
    "RetiredAudienceWarning",
    "TemporarilyUnavailableError",
    "TokenEndpointError",
    "TokenEndpointUnreachableError",
    "UnauthorizedClientError",
    "azure_ad_error_class",
    "warn_caller",
]


class PartnerCenterError(Exception):
    """Base class of every error this library raises.

    ``hint`` names the fix when one is known (empty otherwise); ``str()`` of the error ends with
    it so that a log line or a CLI message carries it.
    """

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\nHint: {self.hint}"
        return self.message


class ConfigurationError(PartnerCenterError, ValueError):
    """A wrong argument. ``argument`` names it; the message says what is wrong with it."""

    def __init__(self, argument: str, problem: str, *, hint: str = "") -> None:
        super().__init__(f"{argument}: {problem}", hint=hint)
        self.argument = argument


class AuthenticationError(PartnerCenterError):
    """No access token could be obtained."""


class AzureADError(AuthenticationError):
    """Azure AD refused a token request with an ``AADSTS`` error body.

    Attributes mirror the wire body (``shared/reference/azure-ad.md``): ``codes`` (the
    ``error_codes`` list, first is the main one), ``error`` (the OAuth error), ``description``
    (without the trailing trace/correlation/timestamp lines), ``trace_id``, ``correlation_id``,
    ``timestamp``, ``error_uri``, ``suberror``, the HTTP ``status`` and, for 429/503 answers, the
    ``retry_after`` seconds. ``hint`` comes from the AADSTS catalog for the codes it knows.
    """

    def __init__(
        self,
        *,
        error: str,
        description: str,
        codes: Sequence[int] = (),
        status: int = 400,
        trace_id: str | None = None,
        correlation_id: str | None = None,
        timestamp: str | None = None,
        error_uri: str | None = None,
        suberror: str | None = None,
        retry_after: float | None = None,
        hint: str | None = None,
    ) -> None:
        self.error = error
        self.description = description
        self.codes = tuple(codes)
        self.status = status
        self.trace_id = trace_id
        self.correlation_id = correlation_id
        self.timestamp = timestamp
        self.error_uri = error_uri
        self.suberror = suberror
        self.retry_after = retry_after
        if hint is None:
            hint = next((e.hint for c in self.codes if (e := aadsts.lookup(c)) and e.hint), "")
        ids = [
            f"{name} {value}"
            for name, value in (("trace id", trace_id), ("correlation id", correlation_id))
            if value
        ]
        message = f"{error}: {description}" if description else error
        if ids:
            message = f"{message} ({', '.join(ids)})"
        super().__init__(message, hint=hint)

    @property
    def code(self) -> int | None:
        """The main AADSTS code (the first of ``codes``), or ``None`` when the body had none."""
        return self.codes[0] if self.codes else None


class InvalidRequestError(AzureADError):
    """``invalid_request``: a malformed request, or a tenant Azure AD does not know."""


class InvalidClientError(AzureADError):
    """``invalid_client``: the client failed to authenticate (wrong or expired secret, ...)."""


class InvalidGrantError(AzureADError):
    """``invalid_grant``: the refresh token or code was refused (expired, revoked, no consent)."""


class UnauthorizedClientError(AzureADError):
    """``unauthorized_client``: the application is unknown to, or not allowed in, the tenant."""


class InvalidScopeError(AzureADError):
    """``invalid_scope``: the scope asked for is not valid for this grant."""


class InvalidResourceError(AzureADError):
    """``invalid_resource``: the resource is missing or not found in the tenant."""


class InteractionRequiredError(AzureADError):
    """``interaction_required``: a person must sign in again (MFA required, enrolment...)."""


class TemporarilyUnavailableError(AzureADError):
    """``temporarily_unavailable``: Azure AD is busy; it was retried and still failed."""


_BY_OAUTH_ERROR: dict[str, type[AzureADError]] = {
    aadsts.INVALID_REQUEST: InvalidRequestError,
    aadsts.INVALID_CLIENT: InvalidClientError,
    aadsts.INVALID_GRANT: InvalidGrantError,
    aadsts.UNAUTHORIZED_CLIENT: UnauthorizedClientError,
    aadsts.INVALID_SCOPE: InvalidScopeError,
    aadsts.INVALID_RESOURCE: InvalidResourceError,
    aadsts.INTERACTION_REQUIRED: InteractionRequiredError,
    aadsts.TEMPORARILY_UNAVAILABLE: TemporarilyUnavailableError,
}


def azure_ad_error_class(error: str) -> type[AzureADError]:
    """The :class:`AzureADError` subclass for an OAuth ``error`` value (the base for others)."""
    return _BY_OAUTH_ERROR.get(error, AzureADError)


class TokenEndpointError(AuthenticationError):
    """The token endpoint answered with an HTTP error that carries no AADSTS body, or with a
    success that is not a valid token response. ``status`` is the HTTP status and
    ``retry_after`` the server's ``Retry-After`` in seconds, when it sent one."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        hint: str = "",
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.retry_after = retry_after


class TokenEndpointUnreachableError(AuthenticationError):
    """The token endpoint could not be reached (connection refused, TLS failure, timeout), after
    the retries; the transport's exception is the ``__cause__``."""


class AccessTokenExpiredError(AuthenticationError):
    """A static access token (:class:`~partnercenter.AccessTokenCredential`) has expired."""


class RefreshTokenMissingError(AuthenticationError):
    """The refresh-token store holds no refresh token for this credential."""


class CredentialSourceError(AuthenticationError):
    """A wrapped azure-core / azure-identity credential failed; its error is the ``__cause__``."""


class PartnerCenterWarning(UserWarning):
    """Base class of this library's warnings (a ``UserWarning``, so shown by default)."""


class DeprecatedCloudWarning(PartnerCenterWarning):
    """The chosen cloud is deprecated (Microsoft Cloud Germany closed on 29 October 2021)."""


class RetiredAudienceWarning(PartnerCenterWarning):
    """A token was asked for an audience Partner Center no longer accepts
    (``https://graph.windows.net``, refused since 2025 with code 900420)."""


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn_caller(message: str, category: type[Warning]) -> None:
    """Warn, attributing the warning to the first caller outside this package (the line of user
    code that asked), whatever the depth of the library's own call chain."""
    frame = sys._getframe(1)
    level = 2  # stacklevel 2 is our caller, frame 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(message, category, stacklevel=level)
