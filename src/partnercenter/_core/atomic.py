"""Crash-safe file replacement, shared by the client side (refresh-token store, CLI profiles)
and the emulator (its state directory): neither imports the other, both import this."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["temp_prefix", "write_atomic"]


def temp_prefix(path: Path) -> str:
    """The name prefix of the temporary files :func:`write_atomic` makes beside ``path``."""
    return f".{path.name}."


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers, and a crash at any instant, see either the
    old file or the new one, never a mix: write a 0600 temporary file in the same directory,
    fsync it, ``os.replace`` it over ``path``, then fsync the directory (POSIX) so the rename
    itself survives a power cut."""
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=temp_prefix(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    if sys.platform != "win32":
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
