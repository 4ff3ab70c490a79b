"""Putting a running emulator back to how it started, fast enough to do before every test.

What a reset forgets: sign-in flows, codes, refresh tokens and consents; assertion ``jti``\\ s
seen; the seeded token-lifetime sequence; statistics and the request journal; fault rules;
throttling buckets and limits changed through the admin API; the clock's offset; the API's
replay cache and validated-token cache; and, only when an API call may have changed it (POST,
PATCH, PUT or DELETE), the Partner Center data, which is then rebuilt from its seed on next
use. What it keeps: the directory (tenants, apps, users), signing keys and the TLS
certificates: they are the emulator's configuration, not its state.

In process: :func:`reset_emulator`; over HTTP: ``POST /_emulator/reset`` (admin key). The
journal is read with ``GET /_emulator/journal`` (filters ``kind``, ``client_id``, ``user``)
and emptied with ``DELETE /_emulator/journal``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.routing import Route

from .admin import AdminError, _guard
from .identity.assertion import ReplayCache
from .identity.signin_state import SignInState
from .journal import KINDS
from .state import EmulatorState

if TYPE_CHECKING:
    from .api.service import PartnerCenterApi


def reset_emulator(state: EmulatorState) -> float:
    """Reset ``state`` (see the module docstring); returns the seconds it took."""
    started = time.perf_counter()
    # Objects other components hold a reference to are cleared in place; the sign-in stores
    # and the replay cache are only ever reached through ``state`` and are simply replaced.
    state.signin = SignInState()
    state.replay = ReplayCache()
    state.lifetimes = None  # seeded lifetimes start their sequence again
    state.stats.reset()
    state.faults.clear()
    state.clock.reset()
    state.journal.clear()
    for hook in list(state.reset_hooks):
        hook()
    return time.perf_counter() - started


def api_reset_hook(api: PartnerCenterApi) -> Callable[[], None]:
    """The Partner Center API's part of a reset, registered by the application."""
    from .api.service import limits_from

    state = api.state

    def reset() -> None:
        if state.api_data_changed:
            state.api_data_changed = False
            api.reset()  # drops the data (rebuilt on next use), replays and validated tokens
        else:
            api.replays.clear()
            api.validator.clear()
        api.throttle.configure(limits_from(state))
        api.throttle.throttled = 0
        api.mfa_usage.counts.clear()

    return reset


def mark_api_changed(state: EmulatorState) -> Callable[[], None]:
    """The journal layer's callback for API requests that may change data."""

    def mark() -> None:
        state.api_data_changed = True

    return mark


def routes(state: EmulatorState) -> list[Route]:
    """``/_emulator/reset`` and ``/_emulator/journal`` (admin key required)."""

    async def reset(request: Request) -> Any:
        seconds = reset_emulator(state)
        return {"reset": True, "seconds": round(seconds, 6)}

    async def journal(request: Request) -> Any:
        if request.method == "DELETE":
            state.journal.clear()
            return {"entries": []}
        query = request.query_params
        kind = query.get("kind")
        if kind is not None and kind not in KINDS:
            raise AdminError(400, "invalid_value", f"'kind' must be one of {', '.join(KINDS)}")
        entries = state.journal.entries(
            kind=kind, client_id=query.get("client_id"), user=query.get("user")
        )
        return {"entries": [entry.as_dict() for entry in entries]}

    return [
        Route("/_emulator/reset", _guard(state, reset), methods=["POST"]),
        Route("/_emulator/journal", _guard(state, journal), methods=["GET", "DELETE"]),
    ]
