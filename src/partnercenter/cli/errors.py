"""How the command line reports failures: one message, the code, the hint, an exit code.

Exit codes (documented in docs/cli.md):

====  =====================================================================================
0     success
1     an unexpected error (a bug: please report it)
2     usage: an unknown command or option, a missing or malformed argument
3     authentication: Azure AD refused, a sign-in failed or was declined, no token
4     Partner Center API: the call was refused or failed (HTTP status and code shown)
5     configuration: no profile, incomplete settings, the secret store cannot be used
6     an optional extra is missing (the message names the pip command)
130   interrupted (Ctrl-C)
====  =====================================================================================
"""

from __future__ import annotations

import sys
from typing import Final

from ..errors import (
    AppUserRequiredError,
    AuthenticationError,
    AzureADError,
    MfaRequiredError,
    PartnerCenterApiError,
    PartnerCenterError,
    RefreshTokenStoreError,
)

__all__ = [
    "EXIT_API",
    "EXIT_AUTH",
    "EXIT_CONFIG",
    "EXIT_EXTRA",
    "EXIT_USAGE",
    "CliError",
    "describe",
    "exit_code",
    "store_key_help",
]

EXIT_USAGE: Final = 2
EXIT_AUTH: Final = 3
EXIT_API: Final = 4
EXIT_CONFIG: Final = 5
EXIT_EXTRA: Final = 6


def store_key_help() -> str:
    """Exactly how to give the store key where no OS keyring exists (headless Linux, CI)."""
    return (
        "Without an OS keyring, give the store key in PARTNERCENTER_STORE_KEY: make one with "
        '`export PARTNERCENTER_STORE_KEY="$(partnercenter store new-key)"`, keep it in your '
        "secret manager, and set the same value wherever the store is read."
    )


class CliError(Exception):
    """A failure the CLI reports itself: message, optional code and hint, exit code.

    Not a ``click`` exception: the cached-token path runs without importing click, and
    :func:`partnercenter.cli.main.run` reports these whichever path raised them."""

    def __init__(
        self, message: str, *, hint: str = "", code: str = "", exit_code: int = EXIT_CONFIG
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code
        self.status = exit_code

    def show(self) -> None:
        lines = [f"error: {self.message}"]
        if self.code:
            lines.append(f"code: {self.code}")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        print("\n".join(lines), file=sys.stderr)


def exit_code(exc: PartnerCenterError) -> int:
    """The exit code for a library error."""
    if isinstance(exc, PartnerCenterApiError):
        return EXIT_API
    if isinstance(exc, AuthenticationError):
        return EXIT_AUTH
    return EXIT_CONFIG


def describe(exc: PartnerCenterError) -> CliError:
    """A library error as the CLI shows it (its message never holds a secret: the library
    guarantees it)."""
    code = ""
    if isinstance(exc, AzureADError) and exc.codes:
        code = ", ".join(f"AADSTS{c}" for c in exc.codes)
    elif isinstance(exc, PartnerCenterApiError) and exc.code is not None:
        code = f"Partner Center {exc.code}"
    hint = exc.hint
    if isinstance(exc, AppUserRequiredError | MfaRequiredError):
        hint += (
            " From the command line: partnercenter login --device-code --name user (a user "
            "with MFA), then --profile user."
        )
    if isinstance(exc, RefreshTokenStoreError) and exc.reason in ("no_key", "keyring"):
        # Keep the store's own hint (it may name the [keyring] extra), then say exactly how.
        hint = f"{hint} {store_key_help()}".strip()
    return CliError(
        f"{type(exc).__name__}: {exc.message}", hint=hint, code=code, exit_code=exit_code(exc)
    )
