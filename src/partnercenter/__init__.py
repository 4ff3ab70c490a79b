"""partnercenter: authenticate to the Microsoft Partner Center API.

The library's public names live here in a sorted ``__all__``; the emulator lives in
:mod:`partnercenter.emulator` and the command line in :mod:`partnercenter.cli`.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
