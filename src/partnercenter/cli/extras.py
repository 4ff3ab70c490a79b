"""One-line messages for a missing optional extra (never a traceback)."""

from __future__ import annotations

from typing import Final

__all__ = ["EXTRA_OF_MODULE", "missing_extra_message"]

#: Top-level module -> the extra that installs it.
EXTRA_OF_MODULE: Final = {
    "click": "cli",
    "jmespath": "cli",
    "rich": "cli",
    "yaml": "cli",
    "starlette": "emulator",
    "uvicorn": "emulator",
    "jwt": "emulator",
    "keyring": "keyring",
    "azure": "azure",
    "redis": "redis",
}


def missing_extra_message(
    exc: ModuleNotFoundError, *, default: str = "all", prefer: str | None = None
) -> str:
    """``partnercenter: the 'x' package is missing: pip install "partnercenter[extra]"``.

    ``prefer`` names the extra of the command that failed (a module such as ``yaml`` comes
    with more than one extra)."""
    name = (exc.name or "").split(".")[0]
    extra = prefer or EXTRA_OF_MODULE.get(name, default)
    what = f"the {name!r} package" if name else "an optional package"
    return (
        f"partnercenter: {what} is not installed; it comes with the [{extra}] extra: "
        f'pip install "partnercenter[{extra}]"'
    )
