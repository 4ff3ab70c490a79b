"""The emulator's clock: real time plus an offset that tests and admin calls can move.

Every expiry decision in the emulator (token lifetimes, secret expiry, assertion windows,
refresh-token inactivity) reads this clock, so time travel is one call and no test waits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Clock:
    """``now()`` is ``source() + offset``; ``advance()`` and ``set()`` move the offset."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._source() + self._offset

    @property
    def offset(self) -> float:
        return self._offset

    def advance(self, seconds: float) -> float:
        """Move time forward (or back, with a negative value); returns the new now."""
        with self._lock:
            self._offset += seconds
        return self.now()

    def set(self, epoch_seconds: float) -> float:
        """Jump to an absolute time; returns the new now."""
        with self._lock:
            self._offset = epoch_seconds - self._source()
        return self.now()

    def reset(self) -> float:
        with self._lock:
            self._offset = 0.0
        return self.now()
