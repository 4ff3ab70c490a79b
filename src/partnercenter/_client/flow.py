"""One API call as a generator flow (run by either driver of :mod:`partnercenter._core.steps`).

The flow yields what it needs done and is sent the answers, as ``httpx.Auth.auth_flow`` does:

- :class:`NeedToken` -> an :class:`~partnercenter.AccessToken` (``stale`` set: the API refused
  that token with 401; drop it from the cache first);
- an ``httpx.Request`` -> its ``httpx.Response`` (transport errors are thrown into the flow);
- :class:`~partnercenter._credentials.flow.Sleep` -> ``None`` once waited.

Ids, headers, the pre-flight check, retries, back-off, ``Retry-After``, the 401 refresh and the
deadline live here once; ``drive`` (blocking) and ``drive_async`` only carry the steps out.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from typing import Any

import httpx

from .._contract import pc_errors, wire
from .._core.steps import NeedToken, Sleep
from .._core.timing import Timing
from .._credentials.flow import is_certificate_error
from .._credentials.policy import RetryPolicy
from ..errors import (
    ApiConnectionError,
    ApiTimeoutError,
    MfaRequiredError,
    PartnerCenterApiError,
    UnexpectedStatusError,
)
from ..redaction import redact_text
from ..tokens import AccessToken
from .core import ApiCall, ClientSettings, build_request, check_before_sending, new_id
from .policy import api_retry_delay
from .responses import ApiResponse, error_from_response, read_response

__all__ = ["CallFlow", "CallStep", "NeedToken", "Sleep", "call_flow"]

logger = logging.getLogger("partnercenter.client")


CallStep = httpx.Request | Sleep | NeedToken
#: A call: yields steps, is sent tokens, responses or ``None``; returns the answer.
CallFlow = Generator[CallStep, Any, ApiResponse]

_NO_REFRESH_CODES = frozenset({pc_errors.GRAPH_AUDIENCE.code, pc_errors.MFA_REQUIRED.code})


def call_flow(
    settings: ClientSettings,
    call: ApiCall,
    retry: RetryPolicy,
    timing: Timing,
) -> CallFlow:
    """Carry out ``call``: get a token, check it against the operation, send, and retry as
    ``retry`` and the settings' deadline allow (the time and the jitter come from ``timing``).

    One ``MS-RequestId`` for every attempt of the call (so a retried POST is answered with the
    first result, not carried out twice); the correlation id is the call's, the client's, or a
    new one. A 401 drops the token and retries once with a fresh one, unless the code says a
    fresh token would not help (900420 audience, 900421 MFA). Raises a
    :class:`~partnercenter.errors.PartnerCenterApiError` subclass.
    """
    clock, random = timing.clock, timing.random
    request_id = new_id()
    correlation_id = call.correlation_id or settings.correlation_id or new_id()
    started = clock()
    deadline = started + settings.deadline if settings.deadline is not None else None
    token: AccessToken = yield NeedToken()
    check_before_sending(call, token, settings.mfa_check, settings.check_access)
    retries = throttled = attempts = 0
    refreshed = False
    while True:
        now = clock()
        timeout = settings.timeout
        if deadline is not None:
            # An attempt never outlives the call's deadline.
            timeout = max(0.001, min(timeout, deadline - now))
        request = build_request(settings, call, token, request_id, correlation_id, timeout)
        attempts += 1
        status: int | None = None
        error: PartnerCenterApiError
        try:
            response = yield request
        except httpx.TransportError as exc:
            error = _transport_error(exc, call, request_id, correlation_id, attempts)
            cause: BaseException | None = exc
            if is_certificate_error(exc):
                # Retrying cannot make an untrusted certificate trusted: fail now.
                raise error from exc
        else:
            status = response.status_code
            if 200 <= status <= 299 or status in call.ok_statuses:
                logger.debug(
                    "%s %s -> %d (request id %s)", call.method, call.bare_path, status, request_id
                )
                return read_response(response, call, request_id, correlation_id, attempts)
            cause = None
            if status < 400:
                # A 3xx (or 1xx) is no answer to the call: `{}` or `[]` read from it would
                # pass for "no data". Never retried, never followed (the token stays here).
                raise _unexpected_status(response, call, request_id, correlation_id, attempts)
            error = error_from_response(
                response, call, request_id, correlation_id, attempts, clock()
            )
            if status == 401 and not refreshed and not _refresh_useless(error):
                refreshed = True
                fresh: AccessToken = yield NeedToken(stale=token)
                if fresh.token != token.token:
                    logger.info(
                        "%s %s -> 401; retrying once with a fresh token (request id %s)",
                        call.method,
                        call.bare_path,
                        request_id,
                    )
                    token = fresh
                    continue
        now = clock()
        delay = api_retry_delay(
            retry,
            retries,
            random(),
            status=status,
            retry_after=error.retry_after,
            throttled_before=throttled,
            now=now,
            deadline=deadline,
        )
        if delay is None:
            if deadline is not None and now >= deadline and status is None:
                error = _deadline_error(error, call, settings.deadline)
            raise error from cause
        logger.info(
            "%s %s -> %s; retry %d in %.2f s (request id %s)",
            call.method,
            call.bare_path,
            status if status is not None else type(cause).__name__,
            retries + 1,
            delay,
            request_id,
        )
        if status == 429:
            throttled += 1
        retries += 1
        yield Sleep(delay)


def _unexpected_status(
    response: httpx.Response,
    call: ApiCall,
    request_id: str,
    correlation_id: str,
    attempts: int,
) -> UnexpectedStatusError:
    status = response.status_code
    reason = response.reason_phrase or "no reason given"
    location = response.headers.get("location")
    if location is not None:
        shown_location = redact_text(location)
        description = (
            f"the API answered with a redirect ({status} {reason}) to {shown_location}; "
            "redirects are not followed"
        )
        hint = (
            "Check the client's cloud and api_root: a proxy or a wrong API root may redirect "
            "(the bearer token is never sent to another address)."
        )
    else:
        description = f"the API answered {status} {reason}, not a 2xx success"
        hint = "Check the client's cloud and api_root, and any proxy between."
    return UnexpectedStatusError(
        description,
        status=status,
        request_id=response.headers.get(wire.HEADER_REQUEST_ID) or request_id,
        correlation_id=response.headers.get(wire.HEADER_CORRELATION_ID) or correlation_id,
        **call.where(),
        attempts=attempts,
        hint=hint,
    )


def _refresh_useless(error: PartnerCenterApiError) -> bool:
    return isinstance(error, MfaRequiredError) or error.code in _NO_REFRESH_CODES


def _transport_error(
    exc: httpx.TransportError,
    call: ApiCall,
    request_id: str,
    correlation_id: str,
    attempts: int,
) -> PartnerCenterApiError:
    detail = str(exc).strip()
    description = type(exc).__name__ + (f": {detail}" if detail else "")
    cls = ApiTimeoutError if isinstance(exc, httpx.TimeoutException) else ApiConnectionError
    if is_certificate_error(exc):
        description = f"the API's TLS certificate is not trusted ({description})"
        hint = (
            "Give PartnerClient (or the credential, whose trust the client shares) verify= "
            "with the CA file that issued the API's certificate, e.g. the emulator's ca_cert "
            "or a company proxy's CA."
        )
    elif cls is ApiTimeoutError:
        hint = "The API did not answer in time; raise timeout= or deadline=, or retry later."
    else:
        hint = "Check the network, the cloud's API root, and verify= (the CA file)."
    return cls(
        description,
        request_id=request_id,
        correlation_id=correlation_id,
        **call.where(),
        attempts=attempts,
        hint=hint,
    )


def _deadline_error(
    error: PartnerCenterApiError, call: ApiCall, deadline: float | None
) -> PartnerCenterApiError:
    return ApiTimeoutError(
        f"the call's deadline of {deadline:g} s passed ({error.description})",
        request_id=error.request_id,
        correlation_id=error.correlation_id,
        **call.where(),
        attempts=error.attempts,
        hint="Raise deadline= (PartnerClient) or retry later.",
    )
