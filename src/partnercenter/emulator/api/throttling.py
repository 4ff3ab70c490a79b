"""Throttling: token buckets per partner tenant and per partner tenant per customer.

Partner Center limits requests per partner tenant, and for customer-scoped operations per
partner tenant per customer tenant, answering 429 with ``Retry-After``. Buckets refill at
``rate`` tokens a second up to ``burst``; time comes from the emulator's clock, so tests
refill a bucket by moving the clock instead of sleeping.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

from ..clock import Clock

#: Per-customer buckets kept at once; the least recently used are dropped (and start full).
MAX_BUCKETS = 10_000
#: Longest ``Retry-After`` answered (a day): a tiny configured rate must not overflow it.
MAX_RETRY_AFTER = 86_400


@dataclass(frozen=True, slots=True)
class Limits:
    """Refill rate (requests a second) and bucket size, for partners and partner-customers."""

    rate: float
    burst: float
    customer_rate: float
    customer_burst: float

    def as_dict(self) -> dict[str, float]:
        """The limits as the admin API shows and takes them."""
        return {
            "rate_per_second": self.rate,
            "burst": self.burst,
            "customer_rate_per_second": self.customer_rate,
            "customer_burst": self.customer_burst,
        }


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class Throttle:
    """Token buckets; ``take()`` answers ``None`` (go ahead) or seconds to wait."""

    def __init__(self, clock: Clock, limits: Limits) -> None:
        self._clock = clock
        self._limits = limits
        self._lock = threading.Lock()
        self._partners: dict[str, _Bucket] = {}
        self._customers: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()
        self.throttled = 0

    @property
    def limits(self) -> Limits:
        """The limits in force."""
        return self._limits

    def configure(self, limits: Limits) -> None:
        """Change the limits; every bucket starts full again."""
        with self._lock:
            self._limits = limits
            self._partners.clear()
            self._customers.clear()

    def take(self, partner: str, customer: str | None) -> int | None:
        """Spend one request for ``partner`` (and ``customer``); or the Retry-After seconds."""
        limits = self._limits
        now = self._clock.now()
        with self._lock:
            bucket = self._partners.get(partner)
            if bucket is None:
                bucket = self._partners[partner] = _Bucket(limits.burst, now)
            _refill(bucket, now, limits.rate, limits.burst)
            wait = _wait(bucket, limits.rate)
            customer_bucket = None
            if customer is not None:
                key = (partner, customer.lower())
                customer_bucket = self._customers.get(key)
                if customer_bucket is None:
                    customer_bucket = self._customers[key] = _Bucket(limits.customer_burst, now)
                    if len(self._customers) > MAX_BUCKETS:
                        self._customers.popitem(last=False)
                else:
                    self._customers.move_to_end(key)
                _refill(customer_bucket, now, limits.customer_rate, limits.customer_burst)
                wait = max(wait, _wait(customer_bucket, limits.customer_rate))
            if wait > 0:
                self.throttled += 1
                # Retry-After is whole seconds, rounded up so a client that honours it succeeds.
                return max(1, math.ceil(min(wait, MAX_RETRY_AFTER)))
            bucket.tokens -= 1
            if customer_bucket is not None:
                customer_bucket.tokens -= 1
            return None


def _refill(bucket: _Bucket, now: float, rate: float, burst: float) -> None:
    # A clock moved backwards (admin reset) must not drain the bucket.
    elapsed = max(0.0, now - bucket.updated)
    bucket.tokens = min(burst, bucket.tokens + elapsed * rate)
    bucket.updated = now


def _wait(bucket: _Bucket, rate: float) -> float:
    return 0.0 if bucket.tokens >= 1 else (1 - bucket.tokens) / rate
