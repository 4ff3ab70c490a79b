"""Admin API for the Partner Center side (admin key required, as for all of ``/_emulator/``).

- ``GET/POST/DELETE /_emulator/faults``: list, add (one rule per POST, see :mod:`.faults`)
  and clear fault rules.
- ``GET/POST/DELETE /_emulator/throttling``: show, change (``rate_per_second``, ``burst``,
  ``customer_rate_per_second``, ``customer_burst``) and restore the configured limits.
- ``GET /_emulator/api``: counters; ``POST /_emulator/api/reset``: forget API changes.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from ..admin import AdminError, _body, _guard
from ..state import EmulatorState
from .faults import FaultError
from .service import PartnerCenterApi, limits_from
from .throttling import Limits

_LIMIT_FIELDS = ("rate_per_second", "burst", "customer_rate_per_second", "customer_burst")


def routes(state: EmulatorState, api: PartnerCenterApi) -> list[Route]:
    """The admin routes of the API side."""

    async def faults(request: Request) -> Any:
        """GET lists the rules, POST adds one, DELETE clears them all."""
        if request.method == "POST":
            try:
                rule = state.faults.add(await _body(request))
            except FaultError as error:
                raise AdminError(400, "invalid_value", str(error)) from None
            return {"added": rule.as_dict(), **state.faults.snapshot()}
        if request.method == "DELETE":
            state.faults.clear()
        return state.faults.snapshot()

    async def throttling(request: Request) -> Any:
        """GET shows the limits, POST changes some, DELETE restores the configured ones."""
        if request.method == "POST":
            body = await _body(request)
            current = api.throttle.limits.as_dict()
            for key, value in body.items():
                if key not in _LIMIT_FIELDS:
                    raise AdminError(
                        400, "invalid_value", f"unknown field '{key}' ({', '.join(_LIMIT_FIELDS)})"
                    )
                if (
                    isinstance(value, bool)
                    or not isinstance(value, (int, float))
                    or not 0 < value <= 1e9
                ):
                    raise AdminError(400, "invalid_value", f"'{key}' must be a positive number")
                current[key] = float(value)
            api.throttle.configure(_limits(current))
        elif request.method == "DELETE":
            api.throttle.configure(limits_from(state))
        return api.throttle.limits.as_dict()

    async def summary(request: Request) -> Any:
        """Counters of the API side (data built, replays, throttled requests)."""
        return api.summary()

    async def reset(request: Request) -> Any:
        """Forget every change made through the API; the data is rebuilt on next use."""
        api.reset()
        return api.summary()

    guard = _guard
    return [
        Route("/_emulator/faults", guard(state, faults), methods=["GET", "POST", "DELETE"]),
        Route("/_emulator/throttling", guard(state, throttling), methods=["GET", "POST", "DELETE"]),
        Route("/_emulator/api", guard(state, summary), methods=["GET"]),
        Route("/_emulator/api/reset", guard(state, reset), methods=["POST"]),
    ]


def _limits(values: dict[str, float]) -> Limits:
    return Limits(
        rate=values["rate_per_second"],
        burst=values["burst"],
        customer_rate=values["customer_rate_per_second"],
        customer_burst=values["customer_burst"],
    )
