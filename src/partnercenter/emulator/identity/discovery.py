"""OpenID Connect discovery (v1 and v2), the JWKS and MSAL's instance discovery.

Endpoints name the tenant by its GUID, as Azure AD's do, because MSAL parses the tenant out
of ``token_endpoint``; ``common``/``organizations`` documents keep the ``{tenantid}``
placeholder in ``issuer``. Every URL is written with the configured base URL, never the
request's ``Host``. Every endpoint a document advertises is served (sign-out and UserInfo live
in ``oidc_endpoints.py``). Answers carry Entra's caching and CORS headers; an unknown tenant
is ``invalid_tenant`` (AADSTS90002). v2 JWKS keys carry ``issuer``, which Microsoft tells
multi-tenant validators to check the token's issuer against:
https://learn.microsoft.com/entra/identity-platform/access-tokens#validate-the-issuer
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from ..._contract import aadsts
from ..._contract.wire import MULTI_TENANT_SEGMENTS, V1_ISSUER_TEMPLATE
from ..jose import dumps
from ..state import EmulatorState
from .errors import CORS_HEADERS, JSON_UTF8, AadError
from .token_endpoint import configured_origin, is_tenant_segment, request_context

Endpoint = Callable[[Request], Awaitable[Response]]

#: The claims both of Entra's discovery documents (v1 and v2) list first, in this order.
_CLAIMS_SHARED = [
    "sub",
    "iss",
    "cloud_instance_name",
    "cloud_instance_host_name",
    "cloud_graph_host_name",
    "msgraph_host",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "acr",
]

CLAIMS_SUPPORTED = [
    *_CLAIMS_SHARED,
    "nonce",
    "preferred_username",
    "name",
    "tid",
    "ver",
    "at_hash",
    "c_hash",
    "email",
]


#: Entra lets browsers and validators cache discovery documents and keys for a day, and any
#: origin read them from script.
DISCOVERY_HEADERS = {"Cache-Control": "max-age=86400, private", **CORS_HEADERS}


def _json(body: Any, status: int = 200) -> Response:
    return Response(
        dumps(body), status_code=status, media_type=JSON_UTF8, headers=DISCOVERY_HEADERS
    )


def _tenant_or_error(state: EmulatorState, request: Request) -> tuple[str, str]:
    """(segment for endpoint URLs, tenant id or ``{tenantid}``) for the path's tenant."""
    segment = request.path_params.get("tenant", "common")
    if segment.lower() in MULTI_TENANT_SEGMENTS:
        return segment.lower(), "{tenantid}"
    tenant = state.directory.tenant(segment) if is_tenant_segment(segment) else None
    if tenant is None:
        raise AadError(aadsts.DISCOVERY_TENANT_NOT_FOUND, tenant=segment)
    return tenant.id, tenant.id


def _guarded(state: EmulatorState, build: Callable[[Request], Any]) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        try:
            return _json(build(request))
        except AadError as error:
            ctx = request_context(request)
            return error.response(
                trace_id=ctx.trace_id,
                correlation_id=ctx.correlation_id,
                now=state.clock.now(),
                error_host=ctx.origin,
                headers=CORS_HEADERS,
            )

    return endpoint


def _base(request: Request) -> str:
    return configured_origin(request)


def _host(request: Request) -> str:
    return urlsplit(_base(request)).netloc


def openid_configuration_v2(state: EmulatorState) -> Endpoint:
    def build(request: Request) -> dict[str, Any]:
        segment, tid = _tenant_or_error(state, request)
        base = _base(request)
        host = _host(request)
        return {
            "token_endpoint": f"{base}/{segment}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{base}/{segment}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/{tid}/v2.0",
            "request_uri_parameter_supported": False,
            # Entra points at Microsoft Graph's; the emulator serves the same path itself.
            "userinfo_endpoint": f"{base}/oidc/userinfo",
            "authorization_endpoint": f"{base}/{segment}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/{segment}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/{segment}/oauth2/v2.0/logout",
            "claims_supported": CLAIMS_SUPPORTED,
            "tenant_region_scope": "NA",
            "cloud_instance_name": host,
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }

    return _guarded(state, build)


def openid_configuration_v1(state: EmulatorState) -> Endpoint:
    def build(request: Request) -> dict[str, Any]:
        segment, tid = _tenant_or_error(state, request)
        base = _base(request)
        return {
            "token_endpoint": f"{base}/{segment}/oauth2/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{base}/common/discovery/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": [
                "code",
                "id_token",
                "code id_token",
                "token id_token",
                "token",
            ],
            "scopes_supported": ["openid"],
            "issuer": V1_ISSUER_TEMPLATE.format(tenant_id=tid),
            "microsoft_multi_refresh_token": True,
            "authorization_endpoint": f"{base}/{segment}/oauth2/authorize",
            "device_authorization_endpoint": f"{base}/{segment}/oauth2/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/{segment}/oauth2/logout",
            "claims_supported": [
                *_CLAIMS_SHARED,
                "amr",
                "nonce",
                "email",
                "given_name",
                "family_name",
                "nickname",
            ],
            "userinfo_endpoint": f"{base}/{segment}/openid/userinfo",
            "tenant_region_scope": "NA",
            "cloud_instance_name": _host(request),
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }

    return _guarded(state, build)


def jwks(state: EmulatorState, version: int = 1) -> Endpoint:
    """The published keys; v2 key sets name the issuer of the tokens each key signs."""

    def build(request: Request) -> dict[str, Any]:
        tid = "{tenantid}"
        if "tenant" in request.path_params:
            tid = _tenant_or_error(state, request)[1]
        issuer = f"{_base(request)}/{tid}/v2.0" if version == 2 else None
        return state.keys.jwks(issuer)

    return _guarded(state, build)


def instance_discovery(state: EmulatorState) -> Endpoint:
    """MSAL's ``/common/discovery/instance``: points it back at this emulator."""

    def build(request: Request) -> dict[str, Any]:
        base = _base(request)
        host = _host(request)
        configured = urlsplit(base)
        tenant = "common"
        endpoint = request.query_params.get("authorization_endpoint")
        if endpoint:
            # MSAL sends the authority's host name without its port; urlsplit raises
            # ValueError on junk such as an unclosed '['.
            try:
                parts = urlsplit(endpoint)
                port_ok = parts.port in (None, configured.port)
                same = port_ok and parts.hostname == (configured.hostname or "").lower()
            except ValueError:
                same = False
            if not same:
                raise AadError(aadsts.INVALID_INSTANCE)
            first = parts.path.strip("/").split("/", 1)[0]
            if first:
                tenant = first
        return {
            "tenant_discovery_endpoint": f"{base}/{tenant}/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        }

    return _guarded(state, build)
