"""A cross-process exclusive lock on a lock file, and atomic file replacement.

The lock is ``flock`` on POSIX (released by the kernel when the holder dies, even by SIGKILL,
so a crashed process never leaves the store locked) and ``msvcrt.locking`` on Windows. It
guards read-modify-write of a store file, so two processes that rotate refresh tokens under
different keys of one file never lose each other's write.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .._core.atomic import temp_prefix, write_atomic

__all__ = ["LockTimeout", "exclusive_lock", "remove_stale_temps", "temp_prefix", "write_atomic"]


class LockTimeout(Exception):
    """The lock was not acquired within the timeout (another process holds it)."""


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def exclusive_lock(
    path: Path, timeout: float, *, sleep: Callable[[float], object] = time.sleep
) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created 0600 if missing) for the ``with`` block.

    Polls with a short, growing back-off rather than blocking in ``flock`` so that a stuck
    holder gives a :class:`LockTimeout` after ``timeout`` seconds instead of a hang.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        delay = 0.0005
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise LockTimeout(str(path))
            sleep(delay)
            delay = min(delay * 2, 0.02)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


def remove_stale_temps(path: Path) -> None:
    """Delete temporary files a killed writer left beside ``path``. Only call it while holding
    the store's lock: then no other writer can be in the middle of using one."""
    prefix = temp_prefix(path)
    with contextlib.suppress(OSError):
        for entry in os.scandir(path.parent):
            if entry.name.startswith(prefix) and entry.name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
