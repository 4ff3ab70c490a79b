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
        │   ├── TemporarilyUnavailableError error=temporarily_unavailable
        │   └── AccessDeniedError           the user declined the sign-in or consent
        ├── TokenEndpointError          an HTTP error or a malformed answer without an AADSTS body
        ├── TokenEndpointUnreachableError   connection failures and timeouts, after retries
        ├── AccessTokenExpiredError     a static access token has expired
        ├── RefreshTokenMissingError    the refresh-token store holds no token for this credential
        ├── CredentialSourceError       a wrapped azure-core credential failed
        ├── SignInError                 a browser or device-code sign-in did not complete
        └── MfaMissingError             a consent sign-in without MFA (nothing was stored)
    ├── RefreshTokenStoreError          a refresh-token store cannot be read or written
    └── PartnerCenterApiError           a Partner Center API call failed (or was refused
        │                               before sending); status, code, request/correlation ids
        ├── BadRequestError             400 (invalid property 3000, stale ETag 2055, ...)
        ├── UnauthorizedError           401 (no/invalid token; 900420 Azure AD Graph audience)
        │   └── MfaRequiredError            900421, or an app + user token without MFA (pre-flight)
        ├── ForbiddenError              403 (role lacks rights 900150, no relationship 20002)
        │   └── AppUserRequiredError        app-only token on an app + user operation
        │                                   (403 from the API, or refused before sending)
        ├── NotFoundError               404 (code 1000)
        ├── AlreadyExistsError          409
        ├── ThrottledError              429, with ``retry_after``
        ├── ServerError                 5xx, after the retries
        ├── ApiTimeoutError             no answer in time (per attempt or the call's deadline)
        ├── ApiConnectionError          the API could not be reached, after the retries
        ├── InvalidResponseError        a success answer the client cannot read
        └── UnexpectedStatusError       a 1xx or 3xx answer (a redirect is never followed)

Warnings derive from :class:`PartnerCenterWarning` (a ``UserWarning``, so they are shown by
default): :class:`DeprecatedCloudWarning`, :class:`RetiredAudienceWarning` and
:class:`MfaMissingWarning`.

:class:`RefreshTokenExpiringWarning` warns ahead of the 90-day refresh-token inactivity limit.

Messages never contain a secret, a client assertion, a refresh token or an access token.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from ._contract import aadsts

__all__ = [
    "AccessDeniedError",
    "AccessTokenExpiredError",
    "AlreadyExistsError",
    "ApiConnectionError",
    "ApiTimeoutError",
    "AppUserRequiredError",
    "AuthenticationError",
    "AzureADError",
    "BadRequestError",
    "ConfigurationError",
    "CredentialSourceError",
    "DeprecatedCloudWarning",
    "ForbiddenError",
    "InteractionRequiredError",
    "InvalidClientError",
    "InvalidGrantError",
    "InvalidRequestError",
    "InvalidResourceError",
    "InvalidResponseError",
    "InvalidScopeError",
    "MfaMissingError",
    "MfaMissingWarning",
    "MfaRequiredError",
    "NotFoundError",
    "PartnerCenterApiError",
    "PartnerCenterError",
    "PartnerCenterWarning",
    "RefreshTokenExpiringWarning",
    "RefreshTokenMissingError",
    "RefreshTokenStoreError",
    "RetiredAudienceWarning",
    "ServerError",
    "SignInError",
    "TemporarilyUnavailableError",
    "ThrottledError",
    "TokenEndpointError",
    "TokenEndpointUnreachableError",
    "UnauthorizedClientError",
    "UnauthorizedError",
    "UnexpectedStatusError",
    "api_error_class",
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

    def __reduce__(self) -> tuple[Any, ...]:
        # Picklable whatever a subclass's __init__ takes (many take keyword-only arguments):
        # errors cross process boundaries in worker pools and multiprocessing stores.
        return (_rebuild_error, (type(self), dict(self.__dict__)))


class ConfigurationError(PartnerCenterError, ValueError):
    """A wrong argument. ``argument`` names it; the message says what is wrong with it."""

    def __init__(self, argument: str, problem: str, *, hint: str = "") -> None:
        super().__init__(f"{argument}: {problem}", hint=hint)
        self.argument = argument


class AuthenticationError(PartnerCenterError):
    """No access token could be obtained."""


class AzureADError(AuthenticationError):
    """Azure AD refused a token request with an ``AADSTS`` error body.

    Attributes mirror the wire body (https://learn.microsoft.com/entra/identity-platform/reference-error-codes):
    ``codes`` (the
    ``error_codes`` list, first is the main one), ``error`` (the OAuth error), ``description``
    (without the trailing trace/correlation/timestamp lines), ``trace_id``, ``correlation_id``,
    ``timestamp``, ``error_uri``, ``suberror``, the HTTP ``status`` and, for 429/503 answers, the
    ``retry_after`` seconds. ``hint`` comes from the AADSTS catalog for the codes it knows.
    ``claims`` is the conditional-access claims challenge (a JSON string) when Azure AD sent
    one: pass it as ``claims`` to the next interactive sign-in.
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
        claims: str | None = None,
    ) -> None:
        self.error = error
        self.claims = claims
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


class AccessDeniedError(AzureADError):
    """``access_denied`` (a declined sign-in or consent, AADSTS65004) or
    ``authorization_declined`` (a declined device-code sign-in): the user said no."""


_BY_OAUTH_ERROR: dict[str, type[AzureADError]] = {
    aadsts.INVALID_REQUEST: InvalidRequestError,
    aadsts.INVALID_CLIENT: InvalidClientError,
    aadsts.INVALID_GRANT: InvalidGrantError,
    aadsts.UNAUTHORIZED_CLIENT: UnauthorizedClientError,
    aadsts.INVALID_SCOPE: InvalidScopeError,
    aadsts.INVALID_RESOURCE: InvalidResourceError,
    aadsts.INTERACTION_REQUIRED: InteractionRequiredError,
    aadsts.TEMPORARILY_UNAVAILABLE: TemporarilyUnavailableError,
    # Sign-in answers: the authorize redirect and device-code polling.
    "access_denied": AccessDeniedError,
    "authorization_declined": AccessDeniedError,
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


class SignInError(AuthenticationError):
    """An interactive sign-in (browser or device code) did not complete: no redirect came back
    before the timeout, the loopback server could not start, or the redirect carried no code."""


class MfaMissingError(AuthenticationError):
    """A consent sign-in succeeded without multi-factor authentication (the token's ``amr``
    lacks ``mfa``). Partner Center refuses such app + user tokens (401, code 900421), so the
    refresh token was **not** stored. ``amr`` holds the sign-in methods the token carried."""

    def __init__(self, message: str, *, amr: Sequence[str] = (), hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.amr = tuple(amr)


class RefreshTokenStoreError(PartnerCenterError):
    """A refresh-token store cannot be read or written. ``location`` names the file (or the
    keyring service); ``reason`` is one of ``"corrupt"``, ``"wrong_key"``, ``"no_key"``,
    ``"unsupported"`` (a newer or different format), ``"keyring"`` or ``"io"``. A store that
    cannot be read is never overwritten: the error says how to recover."""

    def __init__(self, message: str, *, location: str, reason: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.location = location
        self.reason = reason


def _rebuild_error(cls: type[PartnerCenterError], state: dict[str, Any]) -> PartnerCenterError:
    """Unpickle an error whose ``__init__`` takes keyword-only arguments."""
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


class PartnerCenterApiError(PartnerCenterError):
    """A Partner Center API call failed, or was refused by the client before it was sent.

    Attributes: ``status`` (HTTP status; ``None`` when no answer came), ``code`` (Partner
    Center's error code, a number on the wire though documented as a string; ``None`` when the
    body had none), ``description``, ``data`` and ``source`` from the error body, the
    ``request_id`` (``MS-RequestId``, the same on every retry of the call) and
    ``correlation_id`` to quote to Microsoft support, ``retry_after`` (seconds, when the API
    sent ``Retry-After``), the ``operation`` name (when the call matched the catalog),
    ``method`` and ``path`` (without the query), ``attempts`` (HTTP requests sent) and
    ``sent`` (``False`` for a pre-flight refusal: nothing went over the wire). ``hint`` names
    the fix when one is known.
    """

    def __init__(
        self,
        description: str,
        *,
        status: int | None = None,
        code: int | str | None = None,
        data: Sequence[Any] = (),
        source: str | None = None,
        request_id: str | None = None,
        correlation_id: str | None = None,
        retry_after: float | None = None,
        operation: str | None = None,
        method: str | None = None,
        path: str | None = None,
        attempts: int = 0,
        sent: bool = True,
        hint: str = "",
    ) -> None:
        self.description = description
        self.status = status
        self.code = code
        self.data = tuple(data)
        self.source = source
        self.request_id = request_id
        self.correlation_id = correlation_id
        self.retry_after = retry_after
        self.operation = operation
        self.method = method
        self.path = path
        self.attempts = attempts
        self.sent = sent
        super().__init__(self._compose(), hint=hint)

    def _compose(self) -> str:
        what = f"{self.method} {self.path}" if self.method and self.path else ""
        if self.operation:
            what = f"{self.operation} ({what})" if what else self.operation
        answer = []
        if self.status is not None:
            answer.append(f"HTTP {self.status}")
        if self.code is not None:
            answer.append(f"code {self.code}")
        head = f"{what}: " if what else ""
        if answer:
            head += ", ".join(answer) + ": "
        ids = [
            f"{name} {value}"
            for name, value in (
                ("request id", self.request_id),
                ("correlation id", self.correlation_id),
            )
            if value
        ]
        message = head + self.description
        if ids:
            message += f" ({', '.join(ids)})"
        if not self.sent:
            message += " [refused before sending]"
        return message


class BadRequestError(PartnerCenterApiError):
    """400: the request was invalid (a property, a parameter, a stale ETag...)."""


class UnauthorizedError(PartnerCenterApiError):
    """401: the token was missing, invalid, expired, or for the wrong audience (900420: the
    retired ``https://graph.windows.net``). The client already dropped the cached token and
    retried once with a fresh one."""


class MfaRequiredError(UnauthorizedError):
    """An app + user token without MFA: Partner Center answers 401 / 900421 (enforced for
    every app + user call since 1 April 2026). Raised by the client before sending when the
    token's ``amr`` claim lacks ``mfa`` (``mfa_check="error"``, the default)."""


class ForbiddenError(PartnerCenterApiError):
    """403: the caller may not do this (role lacks rights, no relationship with the
    customer...)."""


class AppUserRequiredError(ForbiddenError):
    """An app-only token on an operation that accepts app + user tokens only: Partner Center
    answers 403 "This resource can't be accessed by application credentials". Raised by the
    client before sending when it knows the operation (``sent`` is then ``False``)."""


class NotFoundError(PartnerCenterApiError):
    """404: the resource in the path does not exist (code 1000)."""


class AlreadyExistsError(PartnerCenterApiError):
    """409: the resource to create already exists (a domain, a user name...)."""


class ThrottledError(PartnerCenterApiError):
    """429: too many requests. ``retry_after`` is the server's ``Retry-After`` in seconds:
    wait that long, then retry with back-off and less parallelism. Raised after the client's
    own retries, or at once when ``Retry-After`` exceeds the retry policy's
    ``max_retry_after`` or the call's deadline."""


class ServerError(PartnerCenterApiError):
    """5xx: Partner Center failed; it was retried with back-off and still failed. Quote the
    ``request_id`` and ``correlation_id`` to Microsoft support if it persists."""


class ApiTimeoutError(PartnerCenterApiError):
    """No answer in time: an attempt timed out and the retries (or the call's deadline) ran
    out. The transport's exception is the ``__cause__``."""


class ApiConnectionError(PartnerCenterApiError):
    """The API could not be reached (connection refused or dropped, TLS failure), after the
    retries. The transport's exception is the ``__cause__``."""


class InvalidResponseError(PartnerCenterApiError):
    """A success answer the client cannot use (not JSON, or a paging link that loops)."""


class UnexpectedStatusError(PartnerCenterApiError):
    """An answer outside 2xx that is no error status either: a redirect (3xx; the message
    names its ``Location``) or an informational 1xx. Redirects are not followed: the bearer
    token is sent to the API root only, so another address never sees it."""


_API_BY_STATUS: dict[int, type[PartnerCenterApiError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: AlreadyExistsError,
    429: ThrottledError,
}

#: Partner Center's codes for the two refusals that have classes of their own.
_MFA_REQUIRED_CODE = 900421
_APP_ONLY_FORBIDDEN_CODE = 900154
#: The documented 403 text for an app-only token (some answers carry no distinctive code).
_APP_ONLY_TEXT = "can't be accessed by application credentials"


def api_error_class(
    status: int | None, code: int | str | None = None, description: str = ""
) -> type[PartnerCenterApiError]:
    """The :class:`PartnerCenterApiError` subclass for an HTTP ``status`` and Partner Center
    ``code`` (the base class for statuses without a category, e.g. 412)."""
    if status is None:
        return PartnerCenterApiError
    if status == 401 and str(code) == str(_MFA_REQUIRED_CODE):
        return MfaRequiredError
    if status == 403 and (
        str(code) == str(_APP_ONLY_FORBIDDEN_CODE) or _APP_ONLY_TEXT in description.lower()
    ):
        return AppUserRequiredError
    if 500 <= status <= 599:
        return ServerError
    return _API_BY_STATUS.get(status, PartnerCenterApiError)


class PartnerCenterWarning(UserWarning):
    """Base class of this library's warnings (a ``UserWarning``, so shown by default)."""


class DeprecatedCloudWarning(PartnerCenterWarning):
    """The chosen cloud is deprecated (Microsoft Cloud Germany closed on 29 October 2021)."""


class RefreshTokenExpiringWarning(PartnerCenterWarning):
    """The stored refresh token has gone unused for most of Azure AD's 90-day inactivity limit
    (after which redemption fails with AADSTS700082): redeem it more often, or sign in again."""


class MfaMissingWarning(PartnerCenterWarning):
    """An app + user token without MFA is being sent (``mfa_check="warn"``): Partner Center
    will most likely refuse it with 401 / 900421."""


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
