"""The user sign-in protocol as pure functions: PKCE, the authorize URL, the redirect, the
device-code request and answer, and the token forms of the authorization-code and device-code
grants.

No I/O and no clock of its own (``now`` is passed in). Wire facts: Microsoft's device code
and authorization code flow pages
(https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code,
https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow)
and RFC 7636 (PKCE), RFC 8628 (device grant).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

from .._contract import wire
from ..clouds import Cloud, EndpointVersion
from ..errors import SignInError, TokenEndpointError
from ..redaction import safe_repr
from ..tokens import read_jwt_claims
from .protocol import TokenRequest, _resource_and_scope, parse_error_response

__all__ = [
    "SIGN_IN_SCOPES",
    "AuthorizationRequest",
    "DeviceCode",
    "Pkce",
    "StateMismatch",
    "authorization_code_form",
    "authorize_url",
    "device_code_form",
    "device_code_request",
    "new_pkce",
    "new_state",
    "parse_device_code_response",
    "parse_redirect",
    "signed_in_user",
]

#: What a user sign-in asks for besides the API's scope (v2): a refresh token
#: (``offline_access``), an id_token (``openid``) and the user's name in it (``profile``).
SIGN_IN_SCOPES: Final = ("offline_access", "openid", "profile")
#: RFC 8628 §3.2: the polling interval when the server names none, and §3.5: what
#: ``slow_down`` adds to it.
DEFAULT_INTERVAL: Final = 5
SLOW_DOWN_STEP: Final = 5
#: RFC 7636 §4.1 recommends 32 random octets: 43 base64url characters.
_VERIFIER_BYTES: Final = 32


@dataclass(frozen=True, slots=True, repr=False)
class Pkce:
    """A PKCE pair (RFC 7636): the secret ``verifier`` and its S256 ``challenge``."""

    verifier: str
    challenge: str
    method: str = "S256"

    def __repr__(self) -> str:
        return f"Pkce(method={self.method!r})"


def new_pkce(token_bytes: Callable[[int], bytes] = secrets.token_bytes) -> Pkce:
    """A fresh PKCE pair: challenge = base64url(SHA-256(verifier)), unpadded."""
    verifier = base64.urlsafe_b64encode(token_bytes(_VERIFIER_BYTES)).rstrip(b"=").decode()
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return Pkce(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())


def new_state(token_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """An unguessable ``state`` that ties the redirect to this sign-in (CSRF protection)."""
    return base64.urlsafe_b64encode(token_bytes(24)).rstrip(b"=").decode()


def _authority_path(version: EndpointVersion, leaf: str) -> str:
    return f"oauth2/v2.0/{leaf}" if version == "v2" else f"oauth2/{leaf}"


@dataclass(frozen=True, slots=True, repr=False)
class AuthorizationRequest:
    """One browser sign-in in progress: where to send the browser and what to check when the
    redirect comes back. ``repr`` shows neither the PKCE verifier nor the state."""

    url: str
    redirect_uri: str
    state: str
    pkce: Pkce
    scopes: tuple[str, ...]

    def __repr__(self) -> str:
        return f"AuthorizationRequest(redirect_uri={self.redirect_uri!r})"


def authorize_url(
    cloud: Cloud,
    tenant: str,
    client_id: str,
    *,
    redirect_uri: str,
    scopes: Sequence[str],
    state: str,
    pkce: Pkce,
    version: EndpointVersion = "v2",
    login_hint: str | None = None,
    prompt: str | None = None,
    claims: str | None = None,
) -> str:
    """The authorize URL to open in the browser (authorization code + PKCE S256 + state).

    v2 asks for ``scopes`` plus :data:`SIGN_IN_SCOPES`; v1 for the scopes' one ``resource``.
    ``client_info=1`` is not an authorize parameter; it is sent when the code is redeemed.
    """
    params: dict[str, str] = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        **_resource_and_scope(list(scopes), version, extra_scopes=SIGN_IN_SCOPES),
        "state": state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": pkce.method,
        "response_mode": "query",
    }
    if login_hint:
        params["login_hint"] = login_hint
    if prompt:
        params["prompt"] = prompt
    if claims:
        params["claims"] = claims
    return f"{cloud.authority_host}/{tenant}/{_authority_path(version, 'authorize')}?" + urlencode(
        params
    )


class StateMismatch(Exception):
    """A request reached the redirect URI without this sign-in's ``state``: not our redirect
    (another tab, a stale sign-in, or a forged request). It is ignored, not trusted."""


def parse_redirect(params: Mapping[str, str], expected_state: str, *, now: float) -> str:
    """The authorization code of a redirect, after checking its ``state``.

    Raises :class:`StateMismatch` when ``state`` is missing or differs (compared in constant
    time), the :class:`~partnercenter.errors.AzureADError` subclass an ``error`` redirect means
    (``access_denied`` → :class:`~partnercenter.errors.AccessDeniedError`), or
    :class:`~partnercenter.errors.SignInError` when there is neither code nor error.
    """
    state = params.get("state")
    if state is None or not hmac.compare_digest(state.encode(), expected_state.encode()):
        raise StateMismatch()
    if "error" in params:
        body = {
            "error": params["error"],
            "error_description": params.get("error_description", ""),
            "error_uri": params.get("error_uri", ""),
        }
        if params.get("error_subcode"):
            body["suberror"] = params["error_subcode"]
        error = parse_error_response(400, {}, json.dumps(body).encode(), now=now)
        raise error
    code = params.get("code")
    if not code:
        raise SignInError(
            "the sign-in redirect carried neither a code nor an error",
            hint="Start the sign-in again.",
        )
    return code


def authorization_code_form(
    client_id: str,
    code: str,
    *,
    redirect_uri: str,
    verifier: str,
    scopes: Sequence[str],
    version: EndpointVersion,
) -> dict[str, str]:
    """The form that redeems an authorization code (client authentication aside)."""
    return {
        "grant_type": wire.GRANT_AUTHORIZATION_CODE,
        "client_id": client_id,
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
        **_resource_and_scope(list(scopes), version, extra_scopes=SIGN_IN_SCOPES),
        "client_info": "1",
    }


def device_code_request(
    cloud: Cloud,
    tenant: str,
    client_id: str,
    scopes: Sequence[str],
    version: EndpointVersion,
) -> TokenRequest:
    """``POST /{tenant}/oauth2[/v2.0]/devicecode``: start a device-code sign-in."""
    url = f"{cloud.authority_host}/{tenant}/{_authority_path(version, 'devicecode')}"
    form = {
        "client_id": client_id,
        **_resource_and_scope(list(scopes), version, extra_scopes=SIGN_IN_SCOPES),
    }
    return TokenRequest(url=url, form=form)


@dataclass(frozen=True, slots=True, repr=False)
class DeviceCode:
    """A device-code sign-in waiting for the user: show ``message`` (or ``verification_uri``
    and ``user_code``). ``device_code`` is the secret the client polls with; ``expires_on``
    is a Unix time. ``repr`` shows what a person needs, never ``device_code``."""

    user_code: str
    verification_uri: str
    message: str
    expires_on: float
    interval: int
    device_code: str

    def __repr__(self) -> str:
        return (
            f"DeviceCode(user_code={safe_repr(self.user_code)}, verification_uri="
            f"{safe_repr(self.verification_uri)}, expires_on={safe_repr(self.expires_on)})"
        )


def _int(value: Any, default: int) -> int:
    # v1 sends numbers as strings, v2 as integers.
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return default
    if isinstance(value, float):
        # "inf" or "nan" from a broken server: no usable number.
        return int(value) if math.isfinite(value) else default
    return default


def parse_device_code_response(
    status: int, headers: Mapping[str, str], body: bytes, *, now: float
) -> DeviceCode:
    """The :class:`DeviceCode` of a devicecode answer, or raise the error it means."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        data = None
    if status != 200 or not isinstance(data, dict) or "error" in data:
        raise parse_error_response(status, headers, body, now=now)
    device_code = data.get("device_code")
    user_code = data.get("user_code")
    # v2 says verification_uri, v1 verification_url.
    uri = data.get("verification_uri") or data.get("verification_url")
    if not all(isinstance(v, str) and v for v in (device_code, user_code, uri)):
        raise TokenEndpointError(
            "the devicecode endpoint answered without device_code, user_code or verification_uri",
            status=status,
        )
    assert isinstance(device_code, str) and isinstance(user_code, str) and isinstance(uri, str)
    expires_in = _int(data.get("expires_in"), 900)
    interval = max(1, _int(data.get("interval"), DEFAULT_INTERVAL))
    message = data.get("message")
    if not isinstance(message, str) or not message:
        message = (
            f"To sign in, use a web browser to open the page {uri} and enter the code "
            f"{user_code} to authenticate."
        )
    return DeviceCode(user_code, uri, message, now + expires_in, interval, device_code)


def device_code_form(
    client_id: str, device_code: str, scopes: Sequence[str], version: EndpointVersion
) -> dict[str, str]:
    """One poll of the token endpoint for a device code (client authentication aside).

    The code goes as ``device_code`` (v2, RFC 8628) and as ``code`` (v1's name), as MSAL does.
    """
    form = {
        "grant_type": wire.GRANT_DEVICE_CODE,
        "client_id": client_id,
        "device_code": device_code,
        "code": device_code,
        "client_info": "1",
    }
    if version == "v1":
        form.update(_resource_and_scope(list(scopes), version))
    return form


def signed_in_user(access_token_claims: Mapping[str, Any], id_token: str | None) -> str | None:
    """The signed-in user's name, from the access token or else the id_token (unverified)."""
    for claims in (access_token_claims, read_jwt_claims(id_token) if id_token else {}):
        for name in ("upn", "preferred_username", "unique_name", "email"):
            value = claims.get(name)
            if isinstance(value, str) and value:
                return value
    return None
