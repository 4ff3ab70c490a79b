"""Everything one running emulator holds: directory, keys, clock, settings and counters."""

from __future__ import annotations

import secrets
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .._contract.wire import (
    GRANT_AUTHORIZATION_CODE,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_DEVICE_CODE,
    GRANT_PASSWORD,
    GRANT_REFRESH_TOKEN,
)
from .api.faults import Faults
from .clock import Clock
from .config import Settings
from .directory import Directory
from .identity.assertion import ReplayCache
from .identity.lifetime import TokenLifetimes
from .identity.signin_state import SignInState
from .journal import Journal
from .keys import KeyRing

KNOWN_GRANTS = frozenset(
    {
        GRANT_CLIENT_CREDENTIALS,
        GRANT_REFRESH_TOKEN,
        GRANT_AUTHORIZATION_CODE,
        GRANT_DEVICE_CODE,
        GRANT_PASSWORD,
    }
)


@dataclass
class Stats:
    """Counters the admin API reports; bounded keys so hostile input cannot grow them."""

    token_requests: Counter[str] = field(default_factory=Counter)
    tokens_issued: Counter[str] = field(default_factory=Counter)
    token_errors: Counter[str] = field(default_factory=Counter)
    api_requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def token_request(self, grant_type: str | None) -> None:
        key = (
            grant_type if grant_type in KNOWN_GRANTS else ("(none)" if not grant_type else "other")
        )
        with self._lock:
            self.token_requests[key] += 1

    def issued(self, grant_type: str) -> None:
        with self._lock:
            self.tokens_issued[grant_type] += 1

    def error(self, code: int) -> None:
        with self._lock:
            self.token_errors[f"AADSTS{code}"] += 1

    def api_request(self) -> None:
        with self._lock:
            self.api_requests += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "token_requests": dict(self.token_requests),
                "tokens_issued": dict(self.tokens_issued),
                "token_errors": dict(self.token_errors),
                "api_requests": self.api_requests,
            }

    def reset(self) -> None:
        with self._lock:
            self.token_requests.clear()
            self.tokens_issued.clear()
            self.token_errors.clear()
            self.api_requests = 0


@dataclass
class EmulatorState:
    directory: Directory
    settings: Settings
    keys: KeyRing
    clock: Clock = field(default_factory=Clock)
    stats: Stats = field(default_factory=Stats)
    replay: ReplayCache = field(default_factory=ReplayCache)
    #: Sign-in flows, authorization and device codes, refresh tokens and consents.
    signin: SignInState = field(default_factory=SignInState)
    admin_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    #: Fault rules (injected errors, latency, dropped connections) for the API and token service.
    faults: Faults = field(default_factory=Faults)
    #: Access-token lifetimes (random, seedable); made from ``settings`` on first use.
    lifetimes: TokenLifetimes | None = None
    #: What the emulator received, for tests to assert on (bounded, expiring: see journal.py).
    journal: Journal = field(default_factory=Journal)
    #: Called by a reset (reset.py) after the state's own stores are cleared.
    reset_hooks: list[Callable[[], None]] = field(default_factory=list, repr=False)
    #: Set when an API call may have changed the Partner Center data since the last reset.
    api_data_changed: bool = False

    def token_lifetimes(self) -> TokenLifetimes:
        if self.lifetimes is None:
            self.lifetimes = TokenLifetimes(self.settings)
        return self.lifetimes
