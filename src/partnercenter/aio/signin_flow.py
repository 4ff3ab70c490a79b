"""The async driver of the sign-in flows (:mod:`partnercenter.auth.signin_flow`)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

import httpx

from ..auth.flow import Sleep
from ..auth.protocol import TokenResponse
from ..auth.signin_flow import Prompt, SignInFlow
from ..auth.signin_protocol import DeviceCode

__all__ = ["run_signin_flow"]


async def run_signin_flow(
    flow: SignInFlow,
    send: Callable[[httpx.Request], Awaitable[httpx.Response]],
    sleep: Callable[[float], Awaitable[object]],
    prompt: Callable[[DeviceCode], object],
) -> TokenResponse:
    """Drive a sign-in ``flow`` with an awaitable ``send`` and ``sleep``; ``prompt`` may be a
    plain or an async callable."""
    try:
        step = next(flow)
        while True:
            if isinstance(step, Sleep):
                await sleep(step.seconds)
                step = flow.send(None)
            elif isinstance(step, Prompt):
                shown = prompt(step.device_code)
                if inspect.isawaitable(shown):
                    await shown
                step = flow.send(None)
            else:
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
