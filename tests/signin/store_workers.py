"""Child-process bodies of the store tests (a module, so spawned processes can import them)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from partnercenter.stores import FileRefreshTokenStore

KEY = "u6ucJtB6aQhR2Vq4hR2M9mF9x4xJj3cU6m7pO8nQ0Ts"


def store(path: str) -> FileRefreshTokenStore:
    return FileRefreshTokenStore(path, key=KEY, keyring=False)


def rotate(path: str, worker: int, rounds: int, start: float) -> list[str]:
    """Save ``rounds`` rotations of this worker's own key, plus an increment of a shared
    counter (a read-modify-write under the lock); after every save, read the worker's key back
    and record what was seen (it must be the value just written: nobody else writes it)."""
    target = store(path)
    while time.time() < start:  # line up the workers so that they really overlap
        time.sleep(0.001)
    seen = []
    for n in range(rounds):
        value = f"rt-{worker}-{n}"
        target.save(f"worker-{worker}", value)
        target.update("counter", lambda old: str(int(old or "0") + 1))
        seen.append(target.load(f"worker-{worker}") or "")
    return seen


def kill_between_write_and_replace(path: str) -> None:
    """Write a new version, but die (SIGKILL) after the temporary file is complete and before
    it replaces the store: what a crash at the worst moment leaves."""

    def die(src: str, dst: str) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    os.replace = die  # this child only
    store(path).save("victim", "never-committed")


def save_forever(path: str, ready: str) -> None:
    """Save new tokens as fast as possible until killed (the parent SIGKILLs it at random)."""
    target = store(path)
    n = 0
    Path(ready).touch()
    while True:
        n += 1
        target.save("busy", f"rt-{n:08d}-" + "x" * 2000)
