"""Pure retry decisions for Partner Center API calls.

Built on the token core's :func:`~partnercenter._credentials.policy.retry_delay` (same
:class:`~partnercenter.RetryPolicy`, same back-off and jitter), with what an API call adds:

- Throttling: the first 429 of a call waits exactly ``Retry-After`` (Partner Center's
  guidance: "wait Retry-After, retry, then back off exponentially"); a call throttled again
  waits at least the exponential back-off, so a client that keeps being throttled slows down.
- An overall deadline: a wait that would end past it is not started; the call fails now
  with the last error instead of failing later with the same one.

Every HTTP method is retried, POST and PATCH included: the client sends the same
``MS-RequestId`` on every attempt of one call, and Partner Center answers a repeated request
id with the first result instead of acting twice. Statuses other than 429 and 5xx (400, 401,
403, 404, 409, ...) are answers, never retried (401 has its own one-time token refresh, in the
flow). No I/O and no clock here: callers pass ``now`` and a random number.
"""

from __future__ import annotations

from .._credentials.policy import RetryPolicy, retry_delay

__all__ = ["api_retry_delay"]


def api_retry_delay(
    policy: RetryPolicy,
    retries_done: int,
    random: float,
    *,
    status: int | None = None,
    retry_after: float | None = None,
    throttled_before: int = 0,
    now: float = 0.0,
    deadline: float | None = None,
) -> float | None:
    """Seconds to wait before the next attempt of a call, or ``None`` to stop and raise.

    ``retries_done`` counts the retries already made; ``random`` is in [0, 1) for the jitter;
    ``status`` is the failed attempt's HTTP status (``None``: no answer, a connection failure
    or timeout) and ``retry_after`` its parsed ``Retry-After``; ``throttled_before`` counts the
    earlier 429 answers of this call; ``deadline`` (same clock as ``now``) bounds the wait.
    """
    delay = retry_delay(policy, retries_done, random, status=status, retry_after=retry_after)
    if delay is None:
        return None
    if status == 429 and retry_after is not None and throttled_before > 0:
        # Throttled again after honouring Retry-After: back off exponentially on top.
        backoff = retry_delay(policy, throttled_before - 1, random)
        if backoff is not None:
            delay = max(delay, backoff)
    if deadline is not None and now + delay >= deadline:
        return None
    return delay
