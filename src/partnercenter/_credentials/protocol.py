"""The OAuth 2.0 token protocol as pure functions: build token requests, parse answers.

Nothing here does I/O or reads a clock: ``now`` is passed in. Wire facts come from
Microsoft's token endpoint reference
(https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow):
v1 (``resource=``, numbers as strings) and v2 (``scope=``,
numbers as integers) token endpoints, client authentication by secret (form or HTTP Basic) or
signed assertion, and the AADSTS error body.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote, quote_plus, urlsplit

import httpx

from .._contract import wire
from ..clouds import EndpointVersion
from ..errors import (
    AuthenticationError,
    ConfigurationError,
    TokenEndpointError,
    azure_ad_error_class,
)
from ..redaction import describe, shown
from ..tokens import AccessToken
from .policy import default_refresh_on, parse_retry_after

__all__ = [
    "TokenRequest",
    "TokenResponse",
    "basic_auth_header",
    "build_httpx_request",
    "client_credentials_form",
    "normalize_scopes",
    "parse_error_response",
    "parse_token_response",
    "redact",
    "refresh_token_form",
    "resource_of",
]

#: Placeholder that replaces any secret found in text bound for a message or a log.
REDACTED: Final = "***"
_AADSTS_RE: Final = re.compile(r"AADSTS(\d+)")
# Azure AD appends these lines to error_description; they become separate fields.
_TRAILER_RE: Final = re.compile(r"\r?\n(?:Trace ID|Correlation ID|Timestamp):.*", re.DOTALL)
_FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """A token request before it is put on the wire: endpoint URL, form fields and headers.

    ``secrets`` lists the values in it that must never be logged or shown (client secret,
    assertion, refresh token); :func:`redact` uses them.
    """

    url: str
    form: Mapping[str, str]
    headers: Mapping[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()

    def __repr__(self) -> str:
        # Show the shape of the request, never a credential's value.
        shown = {k: (REDACTED if v in self.secrets else v) for k, v in self.form.items()}
        return f"TokenRequest(url={self.url!r}, form={shown!r})"


@dataclass(frozen=True, slots=True)
class TokenResponse:
    """A successful token response: the access token and, for user grants, the (rotated)
    refresh token Azure AD returned with it."""

    access_token: AccessToken
    refresh_token: str | None = None
    scope: str | None = None
    id_token: str | None = None

    def __repr__(self) -> str:
        rotated = self.refresh_token is not None
        return f"TokenResponse(access_token={self.access_token!r}, refresh_token_rotated={rotated})"


def resource_of(scope: str) -> str:
    """The resource URI a v2 scope is about (what v1 calls ``resource``).

    ``https://api.partnercenter.microsoft.com/.default`` and ``.../user_impersonation`` both give
    ``https://api.partnercenter.microsoft.com``; a bare resource URI is returned unchanged.
    """
    if scope.endswith(wire.DEFAULT_SCOPE_SUFFIX):
        return scope[: -len(wire.DEFAULT_SCOPE_SUFFIX)]
    parts = urlsplit(scope)
    if parts.scheme and parts.netloc and parts.path not in ("", "/"):
        return scope.rsplit("/", 1)[0]
    return scope.rstrip("/") if parts.scheme and parts.netloc else scope


def normalize_scopes(scopes: Sequence[str], default: str) -> tuple[str, ...]:
    """Scopes as sent on v2: ``default`` when none are given; a bare resource URI such as the
    seed's ``https://api.partnercenter.microsoft.com`` becomes ``{resource}/.default``."""
    if not scopes:
        return (default,)
    out = []
    for scope in scopes:
        if not isinstance(scope, str) or not scope.strip():
            raise ConfigurationError(
                "scopes", f"each scope must be a non-empty string, not {describe(scope)}"
            )
        scope = scope.strip()
        parts = urlsplit(scope)
        if parts.scheme and parts.netloc and parts.path in ("", "/"):
            scope = scope.rstrip("/") + wire.DEFAULT_SCOPE_SUFFIX
        out.append(scope)
    return tuple(out)


def _resource_and_scope(
    scopes: Sequence[str], version: EndpointVersion, *, extra_scopes: Iterable[str] = ()
) -> dict[str, str]:
    if version == "v1":
        resources = {resource_of(s) for s in scopes if s not in wire.OIDC_SCOPES}
        if len(resources) != 1:
            raise ConfigurationError(
                "scopes",
                "the v1 token endpoint issues a token for exactly one resource; got "
                f"[{', '.join(shown(r) for r in sorted(resources))}]",
                hint="Ask for one resource at a time, or use the v2 endpoint.",
            )
        return {"resource": resources.pop()}
    ordered = list(dict.fromkeys([*scopes, *extra_scopes]))
    return {"scope": " ".join(ordered)}


def client_credentials_form(
    client_id: str, scopes: Sequence[str], version: EndpointVersion
) -> dict[str, str]:
    """The form of an app-only (``client_credentials``) request, client authentication aside."""
    return {
        "grant_type": wire.GRANT_CLIENT_CREDENTIALS,
        "client_id": client_id,
        **_resource_and_scope(scopes, version),
    }


def refresh_token_form(
    client_id: str, refresh_token: str, scopes: Sequence[str], version: EndpointVersion
) -> dict[str, str]:
    """The form of a ``refresh_token`` request (app + user), client authentication aside.

    On v2, ``offline_access`` is added so that Azure AD returns a rotated refresh token, and
    ``client_info=1`` so that the account's ids come back (as MSAL asks).
    """
    form = {
        "grant_type": wire.GRANT_REFRESH_TOKEN,
        "client_id": client_id,
        "refresh_token": refresh_token,
        **_resource_and_scope(scopes, version, extra_scopes=("offline_access",)),
    }
    if version == "v2":
        form["client_info"] = "1"
    return form


def basic_auth_header(client_id: str, client_secret: str) -> str:
    """``client_secret_basic`` (RFC 6749 §2.3.1): both parts form-urlencoded, then base64."""
    pair = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def build_httpx_request(request: TokenRequest) -> httpx.Request:
    """The ``httpx.Request`` that puts ``request`` on the wire (a form-encoded POST)."""
    headers = {"Content-Type": _FORM_CONTENT_TYPE, "Accept": "application/json"}
    headers.update(request.headers)
    return httpx.Request("POST", request.url, data=dict(request.form), headers=headers)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of every secret replaced by ``***``: as sent, trimmed,
    URL-encoded (a server may quote the raw form body), and each line of a multi-line one."""
    for secret in secrets:
        if not secret:
            continue
        forms = {secret, secret.strip(), quote_plus(secret), quote(secret, safe="")}
        forms.update(line.strip() for line in secret.splitlines() if len(line.strip()) >= 8)
        for form in sorted(forms, key=len, reverse=True):
            if form and form in text:
                text = text.replace(form, REDACTED)
    return text


def _number(value: Any) -> float | None:
    # v1 sends every number as a JSON string, v2 as integers.
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        return None
    return value if isinstance(value, dict) else None


def parse_token_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    sent_at: float,
    secrets: Iterable[str] = (),
) -> TokenResponse:
    """Turn a token endpoint answer into a :class:`TokenResponse`, or raise the error it means.

    ``sent_at`` is when the request left (expiry is counted from it, so clock skew with the
    server does not matter and the token never outlives what Azure AD granted).
    """
    data = _json_object(body)
    if status != 200 or data is None or "error" in data:
        raise parse_error_response(status, headers, body, now=sent_at, secrets=secrets)
    token = data.get("access_token")
    if not isinstance(token, str) or not token:
        raise TokenEndpointError(
            "the token endpoint answered 200 without an access_token",
            status=status,
            hint="Check that the authority host is an Azure AD token service.",
        )
    expires_in = _number(data.get("expires_in"))
    if expires_in is None:
        expires_on = _number(data.get("expires_on"))
        if expires_on is None:
            raise TokenEndpointError(
                "the token endpoint answered without expires_in or expires_on", status=status
            )
        expires_in = expires_on - sent_at
    refresh_in = _number(data.get("refresh_in"))
    refresh_token = data.get("refresh_token")
    scope = data.get("scope")
    id_token = data.get("id_token")
    access = AccessToken(
        token,
        int(sent_at + expires_in),
        refresh_on=default_refresh_on(sent_at, expires_in, refresh_in),
        token_type=str(data.get("token_type") or "Bearer"),
    )
    return TokenResponse(
        access_token=access,
        refresh_token=refresh_token if isinstance(refresh_token, str) and refresh_token else None,
        scope=scope if isinstance(scope, str) else None,
        id_token=id_token if isinstance(id_token, str) else None,
    )


def parse_error_response(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float,
    secrets: Iterable[str] = (),
) -> AuthenticationError:
    """The exception a failed token response means (returned, for the caller to raise).

    An AADSTS body gives an :class:`AzureADError` subclass chosen by its OAuth ``error``;
    anything else gives a :class:`TokenEndpointError` naming the HTTP status.
    """
    secrets = tuple(secrets)
    retry_after = parse_retry_after(headers.get("retry-after"), now)
    data = _json_object(body)
    if data is None or not isinstance(data.get("error"), str):
        hint = ""
        if status == 429:
            hint = "Azure AD is throttling this client: wait Retry-After seconds and retry."
        elif status >= 500:
            hint = "The token service failed; it was retried. Try again later."
        return TokenEndpointError(
            f"the token endpoint answered HTTP {status} without an Azure AD error body",
            status=status,
            retry_after=retry_after,
            hint=hint,
        )
    error = data["error"]
    raw_description = data.get("error_description")
    full = raw_description if isinstance(raw_description, str) else ""
    description = redact(_TRAILER_RE.sub("", full).strip(), secrets)
    codes_field = data.get("error_codes")
    codes: list[int] = []
    if isinstance(codes_field, list):
        codes = [c for c in codes_field if isinstance(c, int) and not isinstance(c, bool)]
    if not codes:
        codes = [int(m) for m in _AADSTS_RE.findall(full)]

    def text(name: str) -> str | None:
        value = data.get(name)
        return redact(value, secrets) if isinstance(value, str) and value else None

    cls = azure_ad_error_class(error)
    return cls(
        error=redact(error, secrets),
        description=description,
        codes=codes,
        status=status,
        trace_id=text("trace_id") or _trailer_field(full, "Trace ID"),
        correlation_id=text("correlation_id") or _trailer_field(full, "Correlation ID"),
        timestamp=text("timestamp"),
        error_uri=text("error_uri"),
        suberror=text("suberror"),
        retry_after=retry_after,
        claims=text("claims"),
    )


def _trailer_field(description: str, name: str) -> str | None:
    match = re.search(rf"{name}: *([^\r\n]+)", description)
    return match.group(1).strip() if match else None
