"""The ``partnercenter`` command line: a thin shell over the library and the emulator."""

from __future__ import annotations

import sys

from .main import cli


def main() -> None:
    """Console-script entry point."""
    try:
        cli(prog_name="partnercenter")
    except ModuleNotFoundError as exc:  # an optional extra is missing
        print(
            f"ModuleNotFoundError: {exc}. Install the extras: pip install 'partnercenter[all]'",
            file=sys.stderr,
        )
        sys.exit(2)


__all__ = ["cli", "main"]
