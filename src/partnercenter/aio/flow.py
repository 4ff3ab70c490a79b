"""The async driver of the token-request flow (:func:`partnercenter.auth.flow.token_flow`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from ..auth.flow import Sleep, TokenFlow
from ..auth.protocol import TokenResponse

__all__ = ["run_flow"]


async def run_flow(
    flow: TokenFlow,
    send: Callable[[httpx.Request], Awaitable[httpx.Response]],
    sleep: Callable[[float], Awaitable[object]],
) -> TokenResponse:
    """Drive ``flow`` with an awaitable ``send`` and ``sleep`` (the same flow as the sync
    driver: only ``await`` differs)."""
    try:
        step = next(flow)
        while True:
            if isinstance(step, Sleep):
                await sleep(step.seconds)
                step = flow.send(None)
                continue
            try:
                response = await send(step)
            except httpx.TransportError as exc:
                step = flow.throw(exc)
                continue
            step = flow.send(response)
    except StopIteration as stop:
        result: TokenResponse = stop.value
        return result
    finally:
        flow.close()
