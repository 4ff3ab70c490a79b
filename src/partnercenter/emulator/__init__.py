"""A local, faithful Azure AD token service (and, later, Partner Center API) for development
and tests. Start one with ``with Emulator.start() as emu:`` or ``partnercenter emulator serve``.
"""

from __future__ import annotations

from .clock import Clock
from .config import ConfigError
from .server import Emulator

__all__ = ["Clock", "ConfigError", "Emulator"]
