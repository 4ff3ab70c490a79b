"""The emulator's state directory: atomic, private file writes, and the lock that keeps a
second emulator off a directory in use.

State files hold private keys and secrets, so they are written 0600 and replaced atomically:
a crash mid-write leaves the previous file, never a torn one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from .._core.atomic import write_atomic

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # Windows: no flock; a second emulator is not detected there
    fcntl = None


def write_private(path: Path, data: bytes) -> None:
    """Write ``path`` (0600, replaced atomically), making its directory first if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)


class StateDirError(Exception):
    """The state directory cannot be used: in use by another emulator, not a directory, not
    writable, or holding files that cannot be read. The message is one line naming the path."""


class StateDirLock:
    """An exclusive lock on a state directory for the life of one emulator.

    ``flock`` on ``emulator.lock``: the kernel releases it when the process ends, however it
    ends (kill -9 included), so a stale lock never blocks a restart. The file holds the
    owner's pid, so the refusal can name it before ``emulator.json`` exists.
    """

    FILE = "emulator.lock"

    def __init__(self, folder: Path) -> None:
        self.path = folder / self.FILE
        self._fd: int | None = None

    def acquire(self, describe_owner: Callable[[str], str]) -> None:
        """Take the lock, or raise StateDirError naming the running emulator
        (``describe_owner(pid)`` says what is known about it)."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise state_dir_error(self.path.parent, exc) from None
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                try:
                    owner = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
                finally:
                    os.close(fd)
                raise StateDirError(
                    f"{self.path.parent}: an emulator is already running on this state "
                    f"directory ({describe_owner(owner)}); stop it or use another --state-dir"
                ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def state_dir_error(path: Path, exc: OSError) -> StateDirError:
    """A one-line StateDirError for an OS error on ``path`` (no traceback, no errno soup)."""
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        problem = "is a file, not a directory (or has a file in its path)"
    elif isinstance(exc, PermissionError):
        problem = "is not writable (permission denied)"
    else:
        problem = f"cannot be used ({exc.strerror or type(exc).__name__})"
    return StateDirError(f"{path}: the state directory {problem}")
