"""The ``partnercenter`` command line: a thin shell over the library and the emulator.

Nothing heavy is imported here: the console script must start fast (``partnercenter token``
with a cached token runs in a fraction of a second) and must explain a missing extra in one
line instead of a traceback.
"""

from __future__ import annotations

import sys

from .extras import missing_extra_message

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["token"]:
        # A cached token is printed without importing click or httpx.
        from .fast import cached_token_output

        text = cached_token_output(args[1:])
        if text is not None:
            if text:
                sys.stdout.write(text + "\n")
            sys.exit(0)
    try:
        from .main import run
    except ModuleNotFoundError as exc:  # the [cli] extra is not installed
        print(missing_extra_message(exc, default="cli"), file=sys.stderr)
        sys.exit(6)
    sys.exit(run(argv))


def __getattr__(name: str) -> object:
    # ``partnercenter.cli.cli`` (the click group) for tests and completion, loaded on demand.
    if name == "cli":
        from .main import cli

        return cli
    raise AttributeError(f"module 'partnercenter.cli' has no attribute {name!r}")
