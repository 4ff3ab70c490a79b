"""Test your own Partner Center code offline: a pytest plugin and the helpers behind it.

The plugin (:mod:`partnercenter.testing.plugin`, registered through the ``pytest11`` entry
point) hands out a running emulator (``pc_emulator``), reset before each test, and ready
credentials and clients. :class:`Sandbox` is that emulator: sign a user in over HTTP (device
code or authorization code, with TOTP, consent or a wrong code), mint refresh tokens and
access tokens of any shape, move the clock, inject faults and throttling for a ``with`` block,
and read what the emulator received. :class:`EmulatorData` declares the tenants, apps, users,
customers and subscriptions a test needs. See docs/testing.md.
"""

from __future__ import annotations

from ..emulator.journal import JournalEntry
from .data import App, Customer, EmulatorData, Partner, Subscription, User, load_data
from .emulators import EmulatorFactory
from .sandbox import Sandbox
from .shared_redis import SharedRedis
from .signin import (
    SignInOutcome,
    SignInUser,
    drive_sign_in,
    next_totp,
    pkce_pair,
    totp,
    wrong_totp,
)
from .tokens import access_token_claims, mint_access_token
from .trust import CA_VARIABLES, Trust, ca_bundle, trust

__all__ = [
    "CA_VARIABLES",
    "App",
    "Customer",
    "EmulatorData",
    "EmulatorFactory",
    "JournalEntry",
    "Partner",
    "Sandbox",
    "SharedRedis",
    "SignInOutcome",
    "SignInUser",
    "Subscription",
    "Trust",
    "User",
    "access_token_claims",
    "ca_bundle",
    "drive_sign_in",
    "load_data",
    "mint_access_token",
    "next_totp",
    "pkce_pair",
    "totp",
    "trust",
    "wrong_totp",
]
