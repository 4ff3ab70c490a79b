"""``POST /{tenant}/oauth2/token`` (v1) and ``POST /{tenant}/oauth2/v2.0/token`` (v2).

Validation runs in Azure AD's order and every refusal is an ``AadError`` rendered in Azure
AD's shape; nothing a caller sends can produce a 500. This module handles the app-only grant
(``client_credentials``) and the checks every grant shares; the user grants (authorization
code, refresh token, device code, password) live in ``user_grants.py`` and are handed in by
``app.py`` as a grant-type -> handler mapping.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request
from starlette.responses import Response

from ..._contract import aadsts
from ..._contract.wire import (
    CLIENT_ASSERTION_TYPE_JWT,
    DEFAULT_SCOPE_SUFFIX,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_DEVICE_CODE,
    MULTI_TENANT_SEGMENTS,
)
from ..directory import Application, Resource, Tenant
from ..jose import dumps
from ..keys import run_signing
from ..state import EmulatorState
from .assertion import verify_assertion
from .claims import ACR_CERTIFICATE, ACR_PUBLIC, ACR_SECRET, app_only_claims
from .errors import CORS_HEADERS, CORS_PREFLIGHT_HEADERS, JSON_UTF8, NO_CACHE_HEADERS, AadError
from .lifetime import wants_cae

#: Largest token request body accepted (client assertions with an x5c chain stay far below).
MAX_BODY_BYTES = 256 * 1024
MAX_FIELDS = 100
#: The device-code grant's short name, which Entra ID accepts as well as the URN.
GRANT_DEVICE_CODE_SHORT = "device_code"
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_TENANT_DOMAIN = re.compile(r"^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.I)


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Per-request values every response (success or error) needs."""

    trace_id: str
    correlation_id: str
    #: The emulator's configured base URL (never the request's ``Host``): what issuers,
    #: discovery documents, error links and the device-code URL are written with.
    origin: str
    echo_client_request_id: bool
    #: Origins a client assertion's ``aud`` may name: the base URL and, for a loopback
    #: base URL, the same port on the other loopback names.
    audiences: tuple[str, ...] = ()


_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")


def configured_origin(request: Request) -> str:
    """The emulator's configured base URL (put on the app's state by ``create_app``).

    A ``Host`` header is chosen by the caller: URLs built from it could send a client (or a
    validator reading the discovery document) anywhere, so it is used only by an app
    started without a base URL (unit tests of the routes).
    """
    base = getattr(request.app.state, "base_url", None)
    if isinstance(base, str) and base:
        return base.rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}"


def _audience_origins(origin: str) -> tuple[str, ...]:
    scheme, _, netloc = origin.partition("://")
    host, _, port = netloc.rpartition(":") if not netloc.endswith("]") else (netloc, "", "")
    if host.lower() not in _LOOPBACK_NAMES:
        return (origin,)
    suffix = f":{port}" if port else ""
    aliases = [f"{scheme}://{name}{suffix}" for name in _LOOPBACK_NAMES]
    return tuple(dict.fromkeys([origin, *aliases]))


def request_context(request: Request) -> RequestContext:
    client_request_id = request.headers.get("client-request-id", "")
    correlation = client_request_id if _GUID.match(client_request_id) else str(uuid.uuid4())
    origin = configured_origin(request)
    return RequestContext(
        trace_id=str(uuid.uuid4()),
        correlation_id=correlation,
        origin=origin,
        echo_client_request_id=request.headers.get("return-client-request-id", "").lower()
        == "true",
        audiences=_audience_origins(origin),
    )


def _headers(ctx: RequestContext) -> dict[str, str]:
    headers = {"x-ms-request-id": ctx.trace_id}
    if ctx.echo_client_request_id:
        headers["client-request-id"] = ctx.correlation_id
    return headers


def is_tenant_segment(segment: str) -> bool:
    return bool(
        _GUID.match(segment)
        or _TENANT_DOMAIN.match(segment)
        or segment.lower() in MULTI_TENANT_SEGMENTS
    )


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """One token request, as every grant handler receives it."""

    state: EmulatorState
    ctx: RequestContext
    #: The endpoint version: 1 (``/oauth2/token``) or 2 (``/oauth2/v2.0/token``).
    version: int
    #: The tenant segment of the path, as sent (a GUID, a domain, common, organizations...).
    segment: str
    form: dict[str, str]
    #: The HTTP request itself, for the headers (HTTP Basic client authentication).
    http: Request


GrantHandler = Callable[[TokenRequest], Awaitable[dict[str, Any]]]


def token_endpoint(
    state: EmulatorState, version: int, user_grants: dict[str, GrantHandler] | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """The Starlette endpoint for one token endpoint version.

    ``user_grants`` maps the other grant types to their handlers; a grant type in neither
    place is ``unsupported_grant_type``.
    """
    grants: dict[str, GrantHandler] = {GRANT_CLIENT_CREDENTIALS: client_credentials}
    grants.update(user_grants or {})

    async def endpoint(request: Request) -> Response:
        ctx = request_context(request)
        if request.method == "OPTIONS":
            # A browser's CORS preflight (single-page apps redeem codes from script).
            return Response(status_code=200, headers={**CORS_PREFLIGHT_HEADERS, **_headers(ctx)})
        try:
            if request.method != "POST":
                raise AadError(aadsts.POST_ONLY, method=request.method)
            form = await read_form(request)
            grant_type = form.get("grant_type")
            if grant_type == GRANT_DEVICE_CODE_SHORT:
                # Node MSAL, Azure Identity for JavaScript and ADAL (v1, with code=) poll with
                # the short form; Entra ID treats it as the URN.
                grant_type = GRANT_DEVICE_CODE
            state.stats.token_request(grant_type)
            segment = request.path_params["tenant"]
            if not is_tenant_segment(segment):
                raise AadError(aadsts.TENANT_INVALID, tenant=segment)
            if not grant_type:
                raise AadError(aadsts.MISSING_PARAMETER, name="grant_type")
            handler = grants.get(grant_type)
            if handler is None:
                raise AadError(aadsts.UNSUPPORTED_GRANT, grant_type=grant_type)
            body = await handler(TokenRequest(state, ctx, version, segment, form, request))
            state.stats.issued(grant_type)
        except AadError as error:
            state.stats.error(error.entry.code)
            return error.response(
                trace_id=ctx.trace_id,
                correlation_id=ctx.correlation_id,
                now=state.clock.now(),
                error_host=ctx.origin,
                headers={**CORS_HEADERS, **_headers(ctx)},
            )
        return Response(
            dumps(body),
            status_code=200,
            headers={**NO_CACHE_HEADERS, **CORS_HEADERS, **_headers(ctx)},
            media_type=JSON_UTF8,
        )

    return endpoint


async def read_form(request: Request) -> dict[str, str]:
    """The form body as a dict; blank values dropped, duplicates refused, size bounded."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        raise AadError(
            aadsts.MALFORMED_REQUEST,
            detail="the body must be application/x-www-form-urlencoded "
            f"(received '{content_type or 'no content type'}').",
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise AadError(aadsts.MALFORMED_REQUEST, detail="the request body is too large.")
        chunks.append(chunk)
    try:
        text = b"".join(chunks).decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise AadError(
            aadsts.MALFORMED_REQUEST, detail="the body is not valid form-encoded UTF-8."
        ) from None
    form: dict[str, str] = {}
    for key, value in pairs:
        if key in form:
            raise AadError(aadsts.MALFORMED_REQUEST, detail=f"parameter '{key}' appears twice.")
        if value.strip():
            form[key] = value
    return form


def path_tenant(state: EmulatorState, segment: str) -> Tenant | None:
    """The tenant the path names, or None for common/organizations (the user decides)."""
    if not is_tenant_segment(segment):
        raise AadError(aadsts.TENANT_INVALID, tenant=segment)
    if segment.lower() in MULTI_TENANT_SEGMENTS:
        return None
    tenant = state.directory.tenant(segment)
    if tenant is None:
        raise AadError(aadsts.TENANT_NOT_FOUND, tenant=segment)
    return tenant


def resolve_tenant(state: EmulatorState, segment: str, grant_type: str) -> Tenant:
    tenant = path_tenant(state, segment)
    if tenant is None:
        # App-only tokens come from exactly one tenant.
        raise AadError(aadsts.TENANT_MULTI_FOR_APP_ONLY, tenant=segment, grant_type=grant_type)
    return tenant


def lookup_app(
    state: EmulatorState, client_id: str | None, tenant: Tenant | None, segment: str
) -> Application:
    """The app a request names, installed in ``tenant`` (any tenant when None)."""
    if client_id is None:
        raise AadError(aadsts.MISSING_PARAMETER, name="client_id")
    if not _GUID.match(client_id):
        raise AadError(aadsts.CLIENT_ID_INVALID, client_id=client_id)
    app = state.directory.app(client_id)
    if app is None or (tenant is not None and not app.installed_in(tenant.id)):
        raise AadError(aadsts.APP_NOT_FOUND, client_id=client_id, tenant=segment)
    return app


@dataclass(frozen=True, slots=True)
class PresentedClientAuth:
    """The client id and credential a token request presented (not yet checked).

    Named apart from :class:`partnercenter._credentials.client_auth.ClientAuth`, the library's way
    of
    authenticating, which builds what this reads.
    """

    client_id: str | None
    secret: str | None
    assertion: str | None
    assertion_type: str | None


def read_client_auth(form: dict[str, str], request: Request) -> PresentedClientAuth:
    """Client id and credential from the body or an HTTP Basic header (RFC 6749 2.3.1)."""
    client_id = form.get("client_id")
    secret = form.get("client_secret")
    authorization = request.headers.get("authorization", "")
    if authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
            basic_id, basic_secret = decoded.split(":", 1)
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise AadError(
                aadsts.MALFORMED_REQUEST, detail="the Basic authorization header is malformed."
            ) from None
        # RFC 6749 2.3.1: both halves are form-encoded first ('+' is a space).
        basic_id, basic_secret = unquote_plus(basic_id), unquote_plus(basic_secret)
        if client_id is not None and client_id != basic_id:
            raise AadError(
                aadsts.MALFORMED_REQUEST,
                detail="client_id in the body differs from the one in the Authorization header.",
            )
        if secret is not None:
            raise AadError(
                aadsts.MALFORMED_REQUEST,
                detail="the client secret was sent both in the body and in the Authorization "
                "header; send it once.",
            )
        client_id, secret = basic_id or client_id, basic_secret or None
    return PresentedClientAuth(
        client_id=client_id,
        secret=secret,
        assertion=form.get("client_assertion"),
        assertion_type=form.get("client_assertion_type"),
    )


def authenticate_client(
    state: EmulatorState,
    ctx: RequestContext,
    auth: PresentedClientAuth,
    tenant: Tenant,
    segment: str,
    *,
    credential_required: bool,
) -> tuple[Application, str]:
    """The calling app and its ``appidacr`` (0 public, 1 secret, 2 certificate)."""
    app = lookup_app(state, auth.client_id, tenant, segment)
    if auth.secret is not None and auth.assertion is not None:
        raise AadError(
            aadsts.MALFORMED_REQUEST,
            detail="both 'client_secret' and 'client_assertion' were presented; send one.",
        )
    presented = auth.secret is not None or auth.assertion is not None
    if app.public_client:
        if presented:
            raise AadError(aadsts.PUBLIC_CLIENT_WITH_CREDENTIAL)
        if credential_required:
            raise AadError(aadsts.CREDENTIAL_MISSING)
        return app, ACR_PUBLIC
    if auth.secret is not None:
        match = app.match_secret(auth.secret)
        if match is None:
            raise AadError(aadsts.INVALID_SECRET, client_id=app.client_id)
        if match.expires_on is not None and match.expires_on <= state.clock.now():
            raise AadError(aadsts.EXPIRED_SECRET, client_id=app.client_id)
        return app, ACR_SECRET
    if auth.assertion is not None:
        if auth.assertion_type is None:
            raise AadError(aadsts.MISSING_PARAMETER, name="client_assertion_type")
        if auth.assertion_type != CLIENT_ASSERTION_TYPE_JWT:
            raise AadError(aadsts.ASSERTION_TYPE_INVALID, assertion_type=auth.assertion_type)
        verify_assertion(
            auth.assertion,
            app=app,
            tenant=tenant,
            directory=state.directory,
            request_origins=ctx.audiences or (ctx.origin,),
            now=state.clock.now(),
            skew=state.settings.assertion_skew,
            replay=state.replay if state.settings.reject_assertion_replay else None,
        )
        return app, ACR_CERTIFICATE
    raise AadError(aadsts.CREDENTIAL_MISSING)


def app_only_resource(
    state: EmulatorState, version: int, form: dict[str, str], tenant: Tenant
) -> tuple[Resource, str]:
    """The resource an app-only request names, and the ``resource`` value to echo (v1)."""
    if version == 1:
        requested = form.get("resource")
        if requested is None:
            raise AadError(aadsts.RESOURCE_MISSING)
    else:
        if "resource" in form:
            raise AadError(aadsts.RESOURCE_ON_V2)
        scope = form.get("scope")
        if scope is None:
            raise AadError(aadsts.MISSING_PARAMETER, name="scope")
        scopes = scope.split()
        if len(scopes) != 1 or not scopes[0].endswith(DEFAULT_SCOPE_SUFFIX):
            raise AadError(aadsts.CLIENT_CREDENTIALS_SCOPE, scope=scope)
        requested = scopes[0][: -len(DEFAULT_SCOPE_SUFFIX)]
        if not requested:
            raise AadError(aadsts.INVALID_SCOPE_GENERIC, scope=scope)
    resource = state.directory.resource(requested)
    if resource is None:
        raise AadError(aadsts.RESOURCE_NOT_FOUND, resource=requested, tenant=tenant.id)
    return resource, requested


async def client_credentials(req: TokenRequest) -> dict[str, Any]:
    state, ctx, version = req.state, req.ctx, req.version
    tenant = resolve_tenant(state, req.segment, GRANT_CLIENT_CREDENTIALS)
    auth = read_client_auth(req.form, req.http)
    app, acr = authenticate_client(state, ctx, auth, tenant, req.segment, credential_required=True)
    resource, requested = app_only_resource(state, version, req.form, tenant)
    lifetime = state.token_lifetimes().choose(cae=wants_cae(req.form.get("claims")))
    now = state.clock.now()
    claims = app_only_claims(
        tenant=tenant,
        app=app,
        resource=resource,
        audience=requested,
        client_acr=acr,
        now=now,
        lifetime=lifetime.seconds,
        base_url=ctx.origin,
        idtyp=state.settings.idtyp_claim,
    )
    # RSA signing is ~1 ms and releases the GIL: run it off the event loop so the loop keeps
    # parsing requests on one core while the other signs.
    token = await run_signing(
        lambda: state.keys.sign(claims, v1_header=resource.token_version == 1)
    )
    return token_response(version, token, claims, now, requested, lifetime.refresh_in)


def token_response(
    version: int,
    token: str,
    claims: dict[str, Any],
    now: float,
    resource: str,
    refresh_in: int | None = None,
) -> dict[str, Any]:
    expires_in = int(claims["exp"] - int(now))
    body: dict[str, Any]
    if version == 1:
        # v1 sends every number as a JSON string (the seed's example).
        body = {
            "token_type": "Bearer",
            "expires_in": str(expires_in),
            "ext_expires_in": str(expires_in),
            "expires_on": str(claims["exp"]),
            "not_before": str(claims["nbf"]),
            "resource": resource,
            "access_token": token,
        }
    else:
        body = {
            "token_type": "Bearer",
            "expires_in": expires_in,
            "ext_expires_in": expires_in,
            "access_token": token,
        }
    if refresh_in is not None:
        body["refresh_in"] = str(refresh_in) if version == 1 else refresh_in
    return body
