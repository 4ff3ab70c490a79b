"""The endpoints the discovery documents advertise beyond token and authorize: sign-out
(``end_session_endpoint``), UserInfo (``userinfo_endpoint``) and the error lookup page that
every ``error_uri`` points at.

- Sign-out follows Microsoft's OpenID Connect sign-out: ``GET``/``POST`` on
  ``/{tenant}/oauth2/v2.0/logout`` (v1: ``/oauth2/logout``); a ``post_logout_redirect_uri``
  is followed only when it is registered as a redirect URI of the app (``client_id``) or, without
  one, of any app; otherwise a "signed out" page is shown.
  https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc#send-a-sign-out-request
- UserInfo answers ``sub``, ``name``, ``family_name``, ``given_name`` (and ``email`` when known)
  for a valid bearer token the emulator issued to a user; Microsoft's returns a subset of the
  ID token's claims. A missing or invalid token is 401 with RFC 6750's challenge.
  https://learn.microsoft.com/entra/identity-platform/userinfo
- ``/error?code=N`` renders the catalog entry, as ``login.microsoftonline.com/error`` does.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from html import escape
from typing import Any
from urllib.parse import parse_qsl, urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..._contract import aadsts
from ..jose import dumps, split
from ..state import EmulatorState
from .errors import JSON_UTF8, NO_CACHE_HEADERS
from .user_tokens import pairwise_subject

Endpoint = Callable[[Request], Awaitable[Response]]
#: Bearer tokens longer than this are refused before parsing.
MAX_TOKEN_CHARS = 16 * 1024
#: A sign-out form is a handful of short fields.
MAX_FORM_BYTES = 16 * 1024
_PAGE_HEADERS = {**NO_CACHE_HEADERS, "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}


def _html(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head><body><main>"
        f"<h1>{escape(title)}</h1>{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=_PAGE_HEADERS)


def _registered(state: EmulatorState, client_id: str | None, uri: str) -> bool:
    # Exact match: a sign-out redirect is not a loopback sign-in, no port leniency.
    apps = state.directory.apps
    if client_id is not None:
        apps = [a for a in apps if a.client_id.lower() == client_id.lower()]
    return any(hmac.compare_digest(r.encode(), uri.encode()) for a in apps for r in a.redirect_uris)


def logout_endpoint(state: EmulatorState) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        params: dict[str, str] = dict(request.query_params)
        if request.method == "POST":
            params.update(await _small_form(request))
        target = params.get("post_logout_redirect_uri")
        if target and _registered(state, params.get("client_id"), target):
            state_value = params.get("state")
            query = f"?{urlencode({'state': state_value})}" if state_value else ""
            sep = "&" if "?" in target and query else ""
            location = f"{target}{sep}{query[1:] if sep else query}"
            return RedirectResponse(location, status_code=302, headers=NO_CACHE_HEADERS)
        note = (
            "<p>The post-logout redirect URI is not registered for the application, so you "
            "stay here.</p>"
            if target
            else ""
        )
        return _html(
            "You signed out of your account",
            f"<p>It's a good idea to close all browser windows.</p>{note}",
        )

    return endpoint


async def _small_form(request: Request) -> dict[str, str]:
    """A sign-out POST's form fields; any other body, or one over the limit, is ignored."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return {}
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return {}
        chunks.append(chunk)
    try:
        pairs = parse_qsl(b"".join(chunks).decode("utf-8"), max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return {}
    return dict(pairs)


def _unauthorized(error: str | None = None) -> Response:
    challenge = 'Bearer realm=""' if error is None else f'Bearer error="{error}"'
    return Response(status_code=401, headers={**NO_CACHE_HEADERS, "WWW-Authenticate": challenge})


def _verified_claims(state: EmulatorState, token: str) -> dict[str, Any] | None:
    if len(token) > MAX_TOKEN_CHARS:
        return None
    try:
        header, claims, signing_input, signature = split(token)
    except ValueError:
        return None
    kid = header.get("kid")
    key = state.keys.get(kid) if isinstance(kid, str) else None
    if key is None or header.get("alg") != "RS256":
        return None
    try:
        key.public_key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return None
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float) or exp < state.clock.now():
        return None
    return claims


def userinfo_endpoint(state: EmulatorState) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        authorization = request.headers.get("authorization", "")
        if authorization[:7].lower() != "bearer ":
            return _unauthorized()
        claims = _verified_claims(state, authorization[7:].strip())
        oid = claims.get("oid") if claims else None
        user = next((u for u in state.directory.users if u.object_id == oid), None)
        if claims is None or user is None or "scp" not in claims:
            return _unauthorized("invalid_token")
        client_id = claims.get("appid") or claims.get("azp")
        app = state.directory.app(client_id) if isinstance(client_id, str) else None
        given, _, family = user.display_name.partition(" ")
        body: dict[str, Any] = {
            "sub": pairwise_subject(user, app) if app is not None else user.object_id,
            "name": user.display_name,
            "family_name": family,
            "given_name": given,
            "email": user.upn,
        }
        return Response(dumps(body), media_type=JSON_UTF8, headers=NO_CACHE_HEADERS)

    return endpoint


def error_page(state: EmulatorState) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        raw = request.query_params.get("code", "")
        valid = raw.isascii() and raw.isdigit() and len(raw) <= 9
        entry = aadsts.lookup(int(raw)) if valid else None
        if entry is None:
            return _html(
                "Error code lookup",
                "<p>No AADSTS error with that code is known to this emulator.</p>",
                404 if raw else 200,
            )
        hint = f"<h2>Remediation</h2><p>{escape(entry.hint)}</p>" if entry.hint else ""
        return _html(
            f"AADSTS{entry.code}",
            f"<p><code>{escape(entry.error)}</code> (HTTP {entry.status})</p>"
            f"<p>{escape(entry.message)}</p>{hint}",
        )

    return endpoint


def routes(state: EmulatorState) -> list[Route]:
    logout = logout_endpoint(state)
    userinfo = userinfo_endpoint(state)
    return [
        Route("/{tenant}/oauth2/v2.0/logout", logout, methods=["GET", "POST"]),
        Route("/{tenant}/oauth2/logout", logout, methods=["GET", "POST"]),
        Route("/oidc/userinfo", userinfo, methods=["GET", "POST"]),
        Route("/{tenant}/openid/userinfo", userinfo, methods=["GET", "POST"]),
        Route("/error", error_page(state), methods=["GET"]),
    ]
