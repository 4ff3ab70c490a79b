"""The emulator's ASGI application: routes of the token service and the admin API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from .admin import not_found_route as admin_not_found_route
from .admin import routes as admin_routes
from .api.routes import EmulatorApp, api_routes
from .api.service import PartnerCenterApi
from .dashboard import Dashboard
from .identity.authorize import (
    authorize_endpoint,
    devicecode_endpoint,
    devicelogin_endpoint,
    login_endpoint,
)
from .identity.discovery import (
    instance_discovery,
    jwks,
    openid_configuration_v1,
    openid_configuration_v2,
)
from .identity.errors import JSON_UTF8
from .identity.oidc_endpoints import routes as oidc_routes
from .identity.token_endpoint import token_endpoint
from .identity.user_grants import USER_GRANTS
from .jose import dumps
from .journal import JournalMiddleware
from .reset import api_reset_hook, mark_api_changed
from .reset import routes as reset_routes
from .state import EmulatorState

#: The token endpoint answers every method so that a GET gets Azure AD's AADSTS900561.
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def create_app(
    state: EmulatorState,
    info: Callable[[Request], dict[str, Any]],
    *,
    base_url: str | None = None,
) -> ASGIApp:
    """The emulator's ASGI application. ``base_url`` is where it serves: every URL it writes
    (discovery, issuers, device-code links, the assertion audience) is built from it, never from
    a request's ``Host`` header (without it, as in unit tests of the routes, Host is used)."""

    async def home(request: Request) -> Response:
        body = {
            "service": "partnercenter emulator",
            "partner_tenant": state.directory.partner_tenant.id,
            "openid_configuration": f"{request.url.scheme}://{request.url.netloc}/"
            f"{state.directory.partner_tenant.id}/v2.0/.well-known/openid-configuration",
        }
        return Response(dumps(body), media_type=JSON_UTF8)

    routes: list[BaseRoute] = [
        Route("/", home, methods=["GET"]),
        Route("/{tenant}/oauth2/token", token_endpoint(state, 1, USER_GRANTS), methods=ALL_METHODS),
        Route(
            "/{tenant}/oauth2/v2.0/token",
            token_endpoint(state, 2, USER_GRANTS),
            methods=ALL_METHODS,
        ),
        Route("/{tenant}/oauth2/authorize", authorize_endpoint(state, 1), methods=["GET", "POST"]),
        Route(
            "/{tenant}/oauth2/v2.0/authorize", authorize_endpoint(state, 2), methods=["GET", "POST"]
        ),
        Route("/{tenant}/login", login_endpoint(state), methods=["POST"]),
        Route("/{tenant}/oauth2/devicecode", devicecode_endpoint(state, 1), methods=ALL_METHODS),
        Route(
            "/{tenant}/oauth2/v2.0/devicecode", devicecode_endpoint(state, 2), methods=ALL_METHODS
        ),
        Route("/devicelogin", devicelogin_endpoint(state), methods=["GET", "POST"]),
        Route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            openid_configuration_v2(state),
            methods=["GET"],
        ),
        Route(
            "/{tenant}/.well-known/openid-configuration",
            openid_configuration_v1(state),
            methods=["GET"],
        ),
        Route("/{tenant}/discovery/keys", jwks(state), methods=["GET"]),
        Route("/{tenant}/discovery/v2.0/keys", jwks(state, 2), methods=["GET"]),
        Route("/discovery/keys", jwks(state), methods=["GET"]),
        Route("/discovery/v2.0/keys", jwks(state, 2), methods=["GET"]),
        Route("/{tenant}/discovery/instance", instance_discovery(state), methods=["GET"]),
        *oidc_routes(state),
        *admin_routes(state, info),
        *reset_routes(state),
    ]
    routes.extend(Dashboard(state).routes())
    # The Partner Center API shares the origin; its routes go last (they match by prefix).
    api = PartnerCenterApi(state)
    state.reset_hooks.append(api_reset_hook(api))
    routes.extend(api_routes(state, api))
    routes.append(admin_not_found_route(state))
    # EmulatorApp puts fault injection outside every route, the token endpoint included.
    app = EmulatorApp(state, routes=routes)
    app.state.base_url = base_url  # read by identity.token_endpoint.configured_origin
    # The journal is outermost, so it also records what fault injection answered; the
    # dashboard's live log, the pytest plugin and GET /_emulator/journal all read it.
    return JournalMiddleware(app, state.journal, state.clock, mark_api_changed(state))
