"""Wiring the Partner Center API into the emulator's application.

The API shares the token service's origin. Its routes are every path under ``/v1/``, the same
paths without ``/v1`` (answered 404 / 1000 in Partner Center's body, as Partner Center does,
rather than with a bare 404), and the deprecated ``/generatetoken`` and ``/v3/generatetoken``.
:class:`EmulatorApp` is the Starlette application with the fault-injection layer outermost,
where it sees uvicorn's own ``send`` (needed to drop a connection) and wraps the token
endpoint without touching it.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from ..._contract.operations import OPERATIONS
from ..state import EmulatorState
from . import admin
from .faults import FaultMiddleware, Target
from .legacy_token import generate_token
from .service import PartnerCenterApi

_METHODS = ["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"]
LEGACY_TOKEN_PATHS = ("/generatetoken", "/v3/generatetoken")

#: First path segments of the catalog's operations (``customers``, ``invoices``...).
API_SEGMENTS = frozenset(op.path.split("/")[2].lower() for op in OPERATIONS)


def classify(path: str) -> Target | None:
    """Which service a path belongs to, for fault targeting (``None``: neither)."""
    lowered = path.lower()
    if lowered.startswith("/_emulator"):
        return None
    if "/oauth2/" in lowered or lowered.rstrip("/") in LEGACY_TOKEN_PATHS:
        return "token"
    first = lowered.lstrip("/").split("/", 1)[0]
    if first == "v1" or first in API_SEGMENTS:
        return "api"
    return None


def api_routes(state: EmulatorState, api: PartnerCenterApi) -> list[BaseRoute]:
    """The API's routes plus its admin routes; append after the token service's routes."""
    legacy = generate_token(api)
    routes: list[BaseRoute] = [Route(path, legacy, methods=_METHODS) for path in LEGACY_TOKEN_PATHS]
    routes.append(Route("/v1", api.endpoint, methods=_METHODS))
    routes.append(Route("/v1/{rest:path}", api.endpoint, methods=_METHODS))
    for segment in sorted(API_SEGMENTS):
        routes.append(Route(f"/{segment}", api.endpoint, methods=_METHODS))
        routes.append(Route(f"/{segment}/{{rest:path}}", api.endpoint, methods=_METHODS))
    routes.extend(admin.routes(state, api))
    return routes


class EmulatorApp(Starlette):
    """Starlette with :class:`FaultMiddleware` outermost (outside even error handling)."""

    def __init__(self, state: EmulatorState, **kwargs: Any) -> None:
        self._emulator_state = state
        super().__init__(**kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        """Starlette's stack wrapped in the fault layer."""
        state = self._emulator_state
        inner = super().build_middleware_stack()
        return FaultMiddleware(
            inner, state.faults, classify, state.clock, on_api_fault=state.stats.api_request
        )
