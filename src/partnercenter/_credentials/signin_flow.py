"""Sign-in flows: the device-code sign-in, and a form POST with retries.

Like :mod:`partnercenter._credentials.flow`, a flow yields the steps of
:mod:`partnercenter._core.steps`
and receives the answers: an ``httpx.Request`` to send, a ``Sleep``, or a ``Prompt`` (show the
device code to the user); both drivers run it. Token requests inside a flow reuse
:func:`~partnercenter._credentials.flow.token_flow` (its retries and error mapping) with
``yield from``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from typing import Any, TypeVar

import httpx

from .._contract import aadsts
from .._core.steps import Prompt, Sleep
from .._core.timing import Timing
from ..errors import AzureADError, SignInError
from .flow import request_flow, token_flow
from .policy import RetryPolicy
from .protocol import TokenRequest, TokenResponse
from .signin_protocol import SLOW_DOWN_STEP, DeviceCode, parse_device_code_response

__all__ = ["SignInFlow", "device_code_flow"]

logger = logging.getLogger("partnercenter.auth")

T = TypeVar("T")


#: A sign-in flow: yields steps, is sent responses (``None`` after a sleep or a prompt).
SignInFlow = Generator[httpx.Request | Sleep | Prompt, Any, TokenResponse]


def _device_expired() -> AzureADError:
    entry = aadsts.DEVICE_EXPIRED
    return AzureADError(
        error=entry.error,
        description=entry.format() + " (the device code's lifetime passed while polling)",
        codes=[entry.code],
    )


def _timed_out(timeout: float, code: DeviceCode) -> SignInError:
    return SignInError(
        f"the device-code sign-in did not complete within sign_in_timeout={timeout:g} s "
        f"(code {code.user_code}); polling stopped",
        hint="Enter the code and finish the sign-in sooner, or raise sign_in_timeout (Azure AD "
        "keeps a device code valid for about 15 minutes).",
    )


def device_code_flow(
    start: Callable[[float], TokenRequest],
    poll: Callable[[float, DeviceCode], TokenRequest],
    prompt: Callable[[DeviceCode], object],
    *,
    retry: RetryPolicy,
    timing: Timing,
    timeout: float | None = None,
) -> SignInFlow:
    """The device-code sign-in (RFC 8628): get a code, show it (``prompt(code)``), poll until
    the user is done.

    Polls every ``interval`` seconds (waiting before the first poll: nobody signs in faster);
    ``authorization_pending`` goes on, ``slow_down`` adds 5 s to the interval; any other
    answer ends the flow: a token, or the error it means (``authorization_declined`` →
    :class:`~partnercenter.errors.AccessDeniedError`, ``expired_token``,
    ``bad_verification_code``). Polling stops when the code expires or after ``timeout``.
    """
    clock = timing.clock
    started = clock()
    code: DeviceCode = yield from request_flow(
        start,
        lambda status, headers, body, sent_at, secrets: parse_device_code_response(
            status, headers, body, now=sent_at
        ),
        retry=retry,
        timing=timing,
        what="the device-code endpoint",
    )
    yield Prompt(prompt, code)
    deadline = code.expires_on
    # The caller's own limit, when it comes before the code's: reaching it is the caller's
    # timeout (SignInError), not Azure AD's expired code (70019).
    timed_out = timeout is not None and started + timeout < code.expires_on
    if timeout is not None:
        deadline = min(deadline, started + timeout)
    interval = float(code.interval)
    while True:
        # Never sleep past the deadline: a 2 s timeout is not a 5 s wait.
        yield Sleep(max(0.0, min(interval, deadline - clock())))
        if clock() >= deadline:
            if timed_out:
                assert timeout is not None
                raise _timed_out(timeout, code)
            raise _device_expired()
        try:
            response: TokenResponse = yield from token_flow(
                lambda now: poll(now, code), retry=retry, timing=timing
            )
        except AzureADError as exc:
            if exc.error == "authorization_pending":
                continue
            if exc.error == "slow_down":
                interval += SLOW_DOWN_STEP
                logger.info("device-code polling told to slow down: every %g s now", interval)
                continue
            raise
        return response
