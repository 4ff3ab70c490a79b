"""The emulator's client-assertion replay cache (issue 9.10): the current FIFO-expiring cache vs
the previous one, which rebuilt its dict on every add past 10,000 ids, in one run.

Both see the same workload: N assertions, 100 a second, each valid for 30 minutes (as
azure-identity's are), so nothing has expired when the old cache starts rebuilding.

Run: ``.venv/bin/python benchmarks/bench_replay_cache.py [--ids N]``.
"""

from __future__ import annotations

import argparse
import threading
import time

from partnercenter.emulator.identity.assertion import ReplayCache


class PreviousReplayCache:
    """The cache as it was before issue 9.10, kept here as the baseline."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, jti: str, keep_until: float, now: float) -> bool:
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {k: v for k, v in self._seen.items() if v >= now}
            known = self._seen.get(jti)
            if known is not None and known >= now:
                return False
            self._seen[jti] = keep_until
            return True


def run(cache: ReplayCache | PreviousReplayCache, ids: int) -> float:
    start = time.perf_counter()
    for i in range(ids):
        now = i / 100
        cache.add(f"app/{i:032x}", now + 1800, now)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ids", type=int, default=11_000)
    ids = parser.parse_args().ids
    new = run(ReplayCache(), ids)
    old = run(PreviousReplayCache(), ids)
    print(f"{ids} assertion ids, 100/s, valid 30 min")
    print(f"  current cache : {new * 1e3:9.1f} ms  ({new / ids * 1e6:6.2f} us/add)")
    print(f"  previous cache: {old * 1e3:9.1f} ms  ({old / ids * 1e6:6.2f} us/add)")
    print(f"  previous / current: {old / new:.0f}x")


if __name__ == "__main__":
    main()
