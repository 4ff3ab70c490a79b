"""A local, faithful Azure AD token service (and, later, Partner Center API) for development
and tests. Start one with ``with Emulator.start() as emu:`` or ``partnercenter emulator serve``.
"""

from __future__ import annotations

from importlib.util import find_spec as _find_spec

# Name the extra, not just the first module that fails to import deep inside the package.
_MISSING = [name for name in ("starlette", "uvicorn", "yaml") if _find_spec(name) is None]
if _MISSING:
    raise ModuleNotFoundError(
        f"partnercenter.emulator needs {', '.join(_MISSING)} from the [emulator] extra: "
        'pip install "partnercenter[emulator]"',
        name=_MISSING[0],
    )

from .clock import Clock  # noqa: E402
from .config import ConfigError  # noqa: E402
from .server import Emulator  # noqa: E402

__all__ = ["Clock", "ConfigError", "Emulator"]
