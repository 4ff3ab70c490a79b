"""Pure decisions: when to refresh a cached token, and whether (and how long) to wait before
retrying a token request. No I/O and no clock of their own: callers pass ``now`` and a random
number, so every branch is tested with plain numbers.
"""

from __future__ import annotations

import datetime
import email.utils
import enum
import math
from dataclasses import dataclass
from typing import Final

from ..errors import ConfigurationError
from ..tokens import AccessToken

__all__ = [
    "EXPIRY_MARGIN",
    "MIN_REFRESH_INTERVAL",
    "REFRESH_MARGIN",
    "RefreshStatus",
    "RetryPolicy",
    "default_refresh_on",
    "is_retryable_status",
    "parse_retry_after",
    "refresh_due",
    "refresh_status",
    "retry_delay",
]

#: Refresh once fewer than this many seconds remain, whatever ``refresh_on`` says (the same
#: five minutes azure-core and azure-identity use).
REFRESH_MARGIN: Final = 300
#: A token this close to expiry is treated as expired: it could expire in flight to the API.
#: (The official .NET SDK uses the same 30 s.)
EXPIRY_MARGIN: Final = 30
#: After a failed *recommended* refresh, keep serving the cached token and wait this long
#: before trying again, so that a failing token endpoint is not hit on every call.
MIN_REFRESH_INTERVAL: Final = 30


class RefreshStatus(enum.Enum):
    """What to do with a cached token at a given time."""

    #: Serve the cached token.
    NOT_NEEDED = "not_needed"
    #: Try to refresh; if that fails, keep serving the cached token (it is still valid).
    RECOMMENDED = "recommended"
    #: No usable token: refresh, and raise if that fails.
    REQUIRED = "required"


def default_refresh_on(issued_at: float, expires_in: float, refresh_in: float | None) -> int:
    """When a fresh token should be refreshed: Azure AD's ``refresh_in`` when it sent one, else
    half the lifetime."""
    delay = refresh_in if refresh_in is not None and refresh_in > 0 else expires_in / 2
    return int(issued_at + delay)


def refresh_due(token: AccessToken) -> float:
    """The moment a refresh becomes worth trying: ``refresh_on``, or five minutes before expiry
    if that comes first."""
    due = token.expires_on - REFRESH_MARGIN
    if token.refresh_on is not None and token.refresh_on < due:
        return token.refresh_on
    return due


def refresh_status(
    token: AccessToken | None, now: float, last_attempt: float | None = None
) -> RefreshStatus:
    """Decide what to do with ``token`` (``None``: nothing cached) at ``now``.

    ``last_attempt`` is when the last refresh of this token was tried and failed; a recommended
    refresh is not tried again within :data:`MIN_REFRESH_INTERVAL` of it.
    """
    if token is None or now >= token.expires_on - EXPIRY_MARGIN:
        return RefreshStatus.REQUIRED
    if now < refresh_due(token):
        return RefreshStatus.NOT_NEEDED
    if last_attempt is not None and now - last_attempt < MIN_REFRESH_INTERVAL:
        return RefreshStatus.NOT_NEEDED
    return RefreshStatus.RECOMMENDED


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How token requests are retried.

    Retried: HTTP 429, any 5xx and connection failures or timeouts; never any other 4xx (those
    are answers, and repeating them only adds load and delay). Up to ``max_retries`` retries,
    waiting ``backoff * 2**n`` seconds (at most ``max_backoff``) with jitter, or exactly what a
    ``Retry-After`` header says. A ``Retry-After`` longer than ``max_retry_after`` is not waited
    for inside a ``get_token`` call: the error is raised and carries ``retry_after``.
    """

    max_retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ConfigurationError("max_retries", "must be 0 or more")
        for name in ("backoff", "max_backoff", "max_retry_after"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ConfigurationError(name, "must be a finite number of seconds, 0 or more")


def is_retryable_status(status: int) -> bool:
    """429 and 5xx are worth retrying; every other status is a final answer."""
    return status == 429 or 500 <= status <= 599


def retry_delay(
    policy: RetryPolicy,
    retries_done: int,
    random: float,
    *,
    status: int | None = None,
    retry_after: float | None = None,
) -> float | None:
    """Seconds to wait before the next attempt, or ``None`` to stop and raise.

    ``retries_done`` counts the retries already made; ``random`` is a number in [0, 1) for the
    jitter; ``status`` is the HTTP status of the failed attempt (``None`` for a connection
    failure) and ``retry_after`` its parsed ``Retry-After``.
    """
    if retries_done >= policy.max_retries:
        return None
    if status is not None and not is_retryable_status(status):
        return None
    if retry_after is not None:
        if retry_after > policy.max_retry_after:
            return None
        return max(0.0, float(retry_after))
    delay = float(min(policy.max_backoff, policy.backoff * (2**retries_done)))
    # "Equal jitter": half fixed, half random, so retries spread out yet never collapse to 0.
    return delay / 2 + delay / 2 * random


def parse_retry_after(value: str | None, now: float) -> float | None:
    """A ``Retry-After`` header (delta-seconds or an HTTP date) as seconds from ``now``."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:  # HTTP dates are GMT (RFC 9110 5.6.7); never local time
            when = when.replace(tzinfo=datetime.UTC)
        return max(0.0, when.timestamp() - now)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds
