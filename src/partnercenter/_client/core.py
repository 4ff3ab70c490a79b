"""The pure core of the Partner Center client: settings, calls, headers and pre-flight checks.

Nothing here does I/O or reads a clock. :class:`ApiCall` describes one logical call (an
operation from :mod:`partnercenter._contract.operations` or a method and path);
:func:`build_request`
turns one attempt of it into an ``httpx.Request``; :func:`check_before_sending` refuses, before
anything goes over the wire, what Partner Center would refuse anyway (an app-only token on an
app + user operation, an app + user token without MFA). Header names come from
:mod:`partnercenter._contract.wire`; wire facts from
https://learn.microsoft.com/partner-center/developer/headers.
"""

from __future__ import annotations

import json as jsonlib
import os
import platform
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import httpx

from .._contract import operations, pc_errors, wire
from .._contract.operations import Operation, Result
from .._version import __version__
from ..errors import (
    AppUserRequiredError,
    ConfigurationError,
    MfaMissingWarning,
    MfaRequiredError,
    warn_caller,
)
from ..redaction import describe, safe_repr, secret_shape, shown
from ..tokens import AccessToken

__all__ = [
    "CLIENT_NAME",
    "ApiCall",
    "ClientSettings",
    "MfaCheck",
    "api_path",
    "build_request",
    "check_before_sending",
    "check_mfa_mode",
    "new_id",
    "operation_call",
    "resolve_call",
]

#: What to do, before sending, with an app + user token that lacks MFA.
MfaCheck = Literal["error", "warn", "off"]

#: ``MS-PartnerCenter-Client``: the SDK's name and version, as the .NET and Java SDKs send theirs.
CLIENT_NAME: Final = f"partnercenter-python/{__version__}"
USER_AGENT: Final = f"{CLIENT_NAME} httpx/{httpx.__version__} python/{platform.python_version()}"
CONTRACT_VERSION: Final = "v1"
#: Partner Center's ``X-Locale`` default.
DEFAULT_LOCALE: Final = "en-US"

#: Distinct paths whose parsed URL is kept (see :meth:`ClientSettings.url`).
URL_CACHE_SIZE: Final = 4096

HTTP_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"})

#: Statuses that are answers, not errors, for some operations: the catalog's ``Result.ABSENT``
#: operations (a HEAD on a domain answers 404 when the domain is free).
_OK_STATUSES: Final[Mapping[str, frozenset[int]]] = {
    op.name: frozenset({404}) for op in operations.OPERATIONS if op.result is Result.ABSENT
}

_VERSION_PREFIX: Final = re.compile(r"^/v\d+(/|$)", re.IGNORECASE)
_LOCALE: Final = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
# Header values may not carry control characters (httpx would refuse them later, less clearly).
_HEADER_VALUE: Final = re.compile(r"^[\x20-\x7e]{1,2048}$")


def check_mfa_mode(value: object) -> MfaCheck:
    """``mfa_check=``: ``"error"`` (default), ``"warn"`` or ``"off"``."""
    if value == "error":
        return "error"
    if value == "warn":
        return "warn"
    if value == "off":
        return "off"
    raise ConfigurationError(
        "mfa_check", f"must be 'error', 'warn' or 'off', not {describe(value)}"
    )


def _header_value(argument: str, value: object) -> str:
    if not isinstance(value, str) or not _HEADER_VALUE.match(value):
        raise ConfigurationError(argument, "must be printable ASCII text, 1 to 2048 characters")
    return value


def _name_value(argument: str, value: object) -> str:
    """A header that names something (application, correlation id): never a secret's shape,
    since it is sent on every request and shown in reprs."""
    _header_value(argument, value)
    assert isinstance(value, str)
    if secret_shape(value, strict=True) is not None:
        raise ConfigurationError(argument, f"got {describe(value)}, not a name or an id")
    return value


@dataclass(frozen=True, slots=True, repr=False)
class ClientSettings:
    """What every request of one client shares (immutable; a client derived with
    ``with_options`` gets its own copy)."""

    api_root: str
    locale: str = DEFAULT_LOCALE
    application_name: str | None = None
    correlation_id: str | None = None
    timeout: float = 30.0
    deadline: float | None = 120.0
    mfa_check: MfaCheck = "error"
    check_access: bool = True
    #: The headers that are the same on every request, built once.
    base_headers: Mapping[str, str] = field(init=False, repr=False, compare=False)
    #: The same, encoded once: httpx takes ``(bytes, bytes)`` pairs as they are.
    base_header_items: tuple[tuple[bytes, bytes], ...] = field(
        init=False, repr=False, compare=False
    )
    #: Parsed URLs by path (bounded): parsing a URL string costs httpx ~30 us a request, more
    #: than everything else the client adds.
    url_cache: dict[str, httpx.URL] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        if not isinstance(self.locale, str) or not _LOCALE.match(self.locale):
            raise ConfigurationError(
                "locale", f"must be a locale such as 'en-US', not {describe(self.locale)}"
            )
        if self.application_name is not None:
            _name_value("application_name", self.application_name)
        if self.correlation_id is not None:
            _name_value("correlation_id", self.correlation_id)
        headers = {
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            wire.HEADER_CLIENT: CLIENT_NAME,
            wire.HEADER_CONTRACT_VERSION: CONTRACT_VERSION,
            wire.HEADER_LOCALE: self.locale,
        }
        if self.application_name:
            headers[wire.HEADER_APPLICATION] = self.application_name
        object.__setattr__(self, "base_headers", headers)
        items = tuple((k.encode("ascii"), v.encode("ascii")) for k, v in headers.items())
        object.__setattr__(self, "base_header_items", items)

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={safe_repr(getattr(self, name))}"
            for name in (
                "api_root",
                "locale",
                "application_name",
                "correlation_id",
                "timeout",
                "deadline",
                "mfa_check",
                "check_access",
            )
        )
        return f"ClientSettings({fields})"

    def url(self, path: str) -> httpx.URL:
        """The parsed URL of ``path`` under the API root, from the cache when seen before."""
        found = self.url_cache.get(path)
        if found is None:
            cache = self.url_cache
            if len(cache) >= URL_CACHE_SIZE:
                # Crude but bounded and lock-free: paths repeat (a few operations, a working
                # set of customers), so refilling after a clear is cheap.
                cache.clear()
            found = cache[path] = httpx.URL(self.api_root + path)
        return found


@dataclass(frozen=True, slots=True, repr=False)
class ApiCall:
    """One logical API call, before tokens and ids are attached.

    ``path`` is under the API root and starts with the version (``/v1/customers/...``); it may
    carry a query (a paging link does). ``operation`` is the catalog entry when the call
    matches one (used for the pre-flight check and in error messages). ``ok_statuses`` are
    error statuses that are answers for this call (404 for a free domain).
    """

    method: str
    path: str
    operation: Operation | None = None
    params: Mapping[str, str] | None = None
    json: Any = None
    headers: Mapping[str, str] | None = None
    ok_statuses: frozenset[int] = frozenset()
    correlation_id: str | None = None

    def __repr__(self) -> str:
        # Names of parameters and headers, never their values (a body may hold a password).
        name = getattr(self.operation, "name", None)
        what = name if isinstance(name, str) else f"{self.method} {str(self.path).split('?')[0]}"
        params = sorted(self.params or ())
        headers = sorted(self.headers or ())
        return (
            f"ApiCall({shown(what)}, params={[shown(p) for p in params]}, "
            f"headers={[shown(h) for h in headers]}, json={type(self.json).__name__})"
        )

    @property
    def name(self) -> str | None:
        """The operation's name, when the call is a catalog operation."""
        return self.operation.name if self.operation is not None else None

    @property
    def bare_path(self) -> str:
        """The path without its query (what error messages and logs show)."""
        return self.path.split("?", 1)[0]

    def where(self) -> dict[str, Any]:
        """What every error of this call names: the operation, the method and the bare path
        (keyword arguments of :class:`~partnercenter.errors.PartnerCenterApiError`)."""
        return {"operation": self.name, "method": self.method, "path": self.bare_path}


def _query(params: Mapping[str, object] | None) -> dict[str, str] | None:
    """Query parameters as strings; ``None`` values are left out, booleans are ``true``/``false``
    and dicts/lists (a customer ``filter``) become JSON, as Partner Center expects."""
    if not params:
        return None
    query: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            query[key] = "true" if value else "false"
        elif isinstance(value, dict | list):
            query[key] = jsonlib.dumps(value, separators=(",", ":"))
        else:
            query[key] = str(value)
    return query or None


def _extra_headers(
    headers: Mapping[str, str] | None, if_match: str | None
) -> dict[str, str] | None:
    extra: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if not isinstance(name, str) or not re.match(r"^[A-Za-z0-9-]{1,64}$", name):
            raise ConfigurationError("headers", f"{describe(name)} is not a header name")
        if name.lower() in _OWN_HEADERS:
            # The client sets these on every attempt; a second copy would go out beside them.
            raise ConfigurationError(
                f"headers[{shown(name)}]",
                "is set by the client (the credential's token, one request id per call)",
                hint="Pass correlation_id= for MS-CorrelationId; the credential gives the token.",
            )
        extra[name] = _header_value(f"headers[{shown(name)}]", value)
    if if_match is not None:
        _header_value("if_match", if_match)
        # ETags travel double-quoted (RFC 9110); Partner Center's bodies carry them bare.
        value = if_match if if_match.startswith(('"', 'W/"')) else f'"{if_match}"'
        extra["If-Match"] = value
    return extra or None


def operation_call(
    name: str | Operation,
    *,
    params: Mapping[str, object] | None = None,
    json: Any = None,
    headers: Mapping[str, str] | None = None,
    if_match: str | None = None,
    correlation_id: str | None = None,
    **path_params: str,
) -> ApiCall:
    """The call of catalog operation ``name`` with its path parameters filled.

    Raises :class:`~partnercenter.errors.ConfigurationError` for an unknown operation or a
    missing or empty path parameter (naming it).
    """
    if isinstance(name, Operation):
        op = name
    else:
        try:
            op = operations.get(name)
        except KeyError as exc:
            message = str(exc.args[0]).replace(repr(name), f"so ({describe(name)})")
            raise ConfigurationError("operation", message) from None
    unknown = sorted(set(path_params) - set(op.parameters))
    if unknown:
        raise ConfigurationError(
            unknown[0],
            f"is not a path parameter of {op.name} ({op.path}); pass query parameters as params=",
        )
    for param in op.parameters:
        value = path_params.get(param)
        if not isinstance(value, str) or not value.strip():
            raise ConfigurationError(param, f"{op.name} needs a non-empty {param} (a string)")
    if correlation_id is not None:
        _name_value("correlation_id", correlation_id)
    return ApiCall(
        method=op.method,
        path=op.format_path(**path_params),
        operation=op,
        params=_query(params),
        json=json,
        headers=_extra_headers(headers, if_match),
        ok_statuses=_OK_STATUSES.get(op.name, frozenset()),
        correlation_id=correlation_id,
    )


def api_path(path: str, api_root: str, *, link: bool = False) -> str:
    """A path under the API root, starting with the version: ``/customers`` and ``customers``
    become ``/v1/customers``, ``/v1/...`` stays. An absolute URL keeps only its path and query,
    so a token is never sent to another host: a caller's URL must be on the API root (else
    :class:`~partnercenter.errors.ConfigurationError`); a paging ``link`` from the API may name
    any host (Partner Center writes its own), its path is resolved against the API root."""
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        if not link and origin != api_root.lower():
            raise ConfigurationError(
                "path", f"{origin} is not the API root {api_root}: tokens are sent nowhere else"
            )
        path = parts.path + (f"?{parts.query}" if parts.query else "")
    if not path.startswith("/"):
        path = "/" + path
    if not _VERSION_PREFIX.match(path):
        path = "/v1" + path
    return path


def resolve_call(
    operation_or_method: str,
    path: str | None,
    *,
    api_root: str,
    params: Mapping[str, object] | None = None,
    json: Any = None,
    headers: Mapping[str, str] | None = None,
    if_match: str | None = None,
    correlation_id: str | None = None,
    path_params: Mapping[str, str] | None = None,
) -> ApiCall:
    """The call for :meth:`PartnerClient.request`: a catalog operation name (path parameters
    as keywords), or an HTTP method and a path (matched against the catalog, so known
    operations still get the pre-flight check)."""
    if not isinstance(operation_or_method, str) or not operation_or_method:
        raise ConfigurationError("operation", "must be an operation name or an HTTP method")
    method = operation_or_method.upper()
    if method not in HTTP_METHODS:
        if path is not None:
            raise ConfigurationError(
                "path",
                f"give a path with an HTTP method, not with operation {shown(operation_or_method)}",
            )
        return operation_call(
            operation_or_method,
            params=params,
            json=json,
            headers=headers,
            if_match=if_match,
            correlation_id=correlation_id,
            **dict(path_params or {}),
        )
    if path_params:
        raise ConfigurationError(
            sorted(path_params)[0], "path parameters go with an operation name, not a method"
        )
    if not isinstance(path, str) or not path.strip():
        raise ConfigurationError("path", f"{method} needs a path such as /v1/customers")
    if correlation_id is not None:
        _header_value("correlation_id", correlation_id)
    full = api_path(path.strip(), api_root)
    found = operations.match(method, full.split("?", 1)[0])
    op = found[0] if found is not None else None
    return ApiCall(
        method=method,
        path=full,
        operation=op,
        params=_query(params),
        json=json,
        headers=_extra_headers(headers, if_match),
        ok_statuses=_OK_STATUSES.get(op.name, frozenset()) if op is not None else frozenset(),
        correlation_id=correlation_id,
    )


def check_before_sending(
    call: ApiCall, token: AccessToken, mfa_check: MfaCheck, check_access: bool = True
) -> None:
    """Refuse, before sending, a call Partner Center would refuse for its token.

    - An app-only token on an operation the catalog marks app + user:
      :class:`AppUserRequiredError` naming the operation and the fix (unless ``check_access``
      is false: an escape hatch for an operation Microsoft opens to app-only tokens before the
      catalog knows).
    - An app + user token whose ``amr`` lacks ``mfa``: :class:`MfaRequiredError`
      (``mfa_check="error"``), a :class:`MfaMissingWarning` (``"warn"``), or nothing
      (``"off"``).

    Tokens that are not readable JWTs (``kind == "unknown"``) are sent as they are. A token
    for the retired Azure AD Graph audience is left to the API, whose 401 / 900420 comes back
    with the fix as its hint.
    """
    kind = token.kind
    if kind == "unknown":
        return
    op = call.operation
    if kind == "app":
        if check_access and op is not None and not op.access.accepts_app_only:
            raise AppUserRequiredError(
                f"{op.name} accepts app + user tokens only and the credential gave an app-only "
                "token; Partner Center would answer 403 \"This resource can't be accessed by "
                'application credentials."',
                status=403,
                code=pc_errors.APP_ONLY_FORBIDDEN.code,
                operation=op.name,
                method=call.method,
                path=call.bare_path,
                sent=False,
                hint=pc_errors.APP_ONLY_HINT,
            )
        return
    if mfa_check == "off" or token.has_mfa:
        return
    message = (
        "the app + user token was issued without multi-factor authentication (its 'amr' claim "
        "lacks 'mfa'); Partner Center refuses such tokens on every call since 1 April 2026 "
        "(401 / 900421). The secure application model: a person consents once, signing in with "
        "MFA, and the app keeps that sign-in's refresh token to get app + user tokens"
    )
    if mfa_check == "warn":
        warn_caller(f"{message}. Sending anyway (mfa_check='warn').", MfaMissingWarning)
        return
    raise MfaRequiredError(
        message,
        status=401,
        code=pc_errors.MFA_REQUIRED.code,
        **call.where(),
        sent=False,
        hint=pc_errors.MFA_HINT + " To send anyway, pass mfa_check='warn' or 'off'.",
    )


def new_id() -> str:
    """A random (version 4) GUID string, for ``MS-RequestId`` / ``MS-CorrelationId``: the same
    as ``str(uuid.uuid4())`` in under half the time (two per call add up; MSAL spends 30% of
    a cached token's cost on them)."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def build_request(
    settings: ClientSettings,
    call: ApiCall,
    token: AccessToken,
    request_id: str,
    correlation_id: str,
    timeout: float,
) -> httpx.Request:
    """The HTTP request for one attempt of ``call``: the same ``request_id`` on every attempt
    (Partner Center's idempotency key), the token of the moment, and a timeout that never
    runs past the call's deadline."""
    headers = list(settings.base_header_items)
    if call.headers:
        headers.extend((k.encode("ascii"), v.encode("ascii")) for k, v in call.headers.items())
    headers.append((b"Authorization", b"Bearer " + token.token.encode("ascii")))
    headers.append((_REQUEST_ID, request_id.encode("ascii")))
    headers.append((_CORRELATION_ID, correlation_id.encode("ascii")))
    return httpx.Request(
        call.method,
        settings.url(call.path),
        params=call.params,
        headers=headers,
        json=call.json,
        extensions={
            "timeout": {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
        },
    )


_REQUEST_ID: Final = wire.HEADER_REQUEST_ID.encode("ascii")
#: Headers :func:`build_request` sets itself; callers may not add them again.
_OWN_HEADERS: Final = frozenset(
    {"authorization", wire.HEADER_REQUEST_ID.lower(), wire.HEADER_CORRELATION_ID.lower()}
)
_CORRELATION_ID: Final = wire.HEADER_CORRELATION_ID.encode("ascii")
