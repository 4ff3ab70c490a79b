"""Idempotent retries: a repeated POST/PATCH with the same ``MS-RequestId`` is answered with
the first result instead of being carried out twice.

Partner Center asks clients to send the same ``MS-RequestId`` on every retry of one logical
call; a retry after a lost response must not create a second customer or order. Results are
kept per caller (tenant and application), method, path and request id, for ``ttl`` seconds of
emulator time, at most ``max_entries`` at once (oldest dropped first).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from ..clock import Clock

MAX_ENTRIES = 4096
TTL_SECONDS = 3600.0

ReplayKey = tuple[str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class StoredResult:
    """The first answer to a POST/PATCH, replayed to its retries."""

    status: int
    body: bytes
    #: Response headers that belong to the result (``ETag``, ``Location``), not to the request.
    headers: tuple[tuple[str, str], ...]
    stored_at: float


class ReplayCache:
    """Bounded memory of POST/PATCH results by request id."""

    def __init__(
        self, clock: Clock, *, max_entries: int = MAX_ENTRIES, ttl: float = TTL_SECONDS
    ) -> None:
        self._clock = clock
        self._max = max_entries
        self._ttl = ttl
        self._entries: OrderedDict[ReplayKey, StoredResult] = OrderedDict()
        self._lock = threading.Lock()
        self.replayed = 0

    def get(self, key: ReplayKey) -> StoredResult | None:
        """The stored answer for ``key`` (``None`` if unknown or older than the TTL)."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if self._clock.now() - found.stored_at > self._ttl:
                del self._entries[key]
                return None
            self.replayed += 1
            return found

    def put(self, key: ReplayKey, status: int, body: bytes, headers: dict[str, str]) -> None:
        """Remember an answer for ``key``."""
        kept = tuple((k, v) for k, v in headers.items() if k.lower() in ("etag", "location"))
        with self._lock:
            self._entries[key] = StoredResult(status, body, kept, self._clock.now())
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every stored answer."""
        with self._lock:
            self._entries.clear()
            self.replayed = 0

    def __len__(self) -> int:
        return len(self._entries)
