"""What persistent stores keep beside the refresh token, and the 90-day inactivity rule.

Azure AD expires a refresh token that goes unused for 90 days (AADSTS700082). Every redemption
returns a new one (rotation), so a token's *last use* is when it was saved. Stores that can tell
when they saved a token implement :class:`RefreshTokenRecordStore` (``load_record``); the
credentials then warn (:class:`~partnercenter.errors.RefreshTokenExpiringWarning`) well before
the limit. The interface stays the three calls of
:class:`~partnercenter.stores.RefreshTokenStore` plus this optional one, so a Redis store is
small to write.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, Final, Protocol, runtime_checkable

from ..redaction import safe_repr, shown

__all__ = [
    "INACTIVITY_LIMIT",
    "INACTIVITY_WARNING_MARGIN",
    "RefreshTokenRecord",
    "RefreshTokenRecordStore",
    "inactivity_message",
]

_DAY: Final = 86_400.0
#: The last second of year 9999: later times cannot be shown as dates.
_MAX_TIME: Final = 253_402_300_799.0
#: Azure AD's refresh-token inactivity limit: 90 days unused and redemption fails (700082).
INACTIVITY_LIMIT: Final = 90 * _DAY
#: Warn once a stored token is this close to the limit (76 days unused), leaving two weeks to
#: run the job that redeems it, or to sign in again.
INACTIVITY_WARNING_MARGIN: Final = 14 * _DAY


@dataclass(frozen=True, slots=True, repr=False)
class RefreshTokenRecord:
    """A stored refresh token and when it was saved.

    ``saved_at`` is when this token was stored, which is when Azure AD issued it (a rotation or
    the consent sign-in): the 90-day inactivity clock starts there. ``created_at`` is when the
    store first saved a token under this key (the consent sign-in, unless the key was reused).
    Times are Unix seconds. ``repr`` never shows the token.
    """

    refresh_token: str
    saved_at: float
    created_at: float

    @property
    def expires_on(self) -> float:
        """When Azure AD expires the token if it stays unused (``saved_at`` + 90 days)."""
        return self.saved_at + INACTIVITY_LIMIT

    def idle_for(self, now: float) -> float:
        """Seconds since the token was saved (its last use)."""
        return max(0.0, now - self.saved_at)

    def expiring(self, now: float, margin: float = INACTIVITY_WARNING_MARGIN) -> bool:
        """True once fewer than ``margin`` seconds are left before the inactivity limit."""
        return now >= self.expires_on - margin

    def to_json(self) -> dict[str, Any]:
        """The record as stored (layout version 1 of the store formats)."""
        return {
            "refresh_token": self.refresh_token,
            "saved_at": self.saved_at,
            "created_at": self.created_at,
        }

    @classmethod
    def from_json(cls, value: object) -> RefreshTokenRecord:
        """Read a stored record; ``ValueError`` (naming no secret) if it is malformed."""
        if not isinstance(value, dict):
            raise ValueError("a record must be a JSON object")
        token = value.get("refresh_token")
        saved_at = value.get("saved_at")
        created_at = value.get("created_at", saved_at)
        if not isinstance(token, str) or not token:
            raise ValueError("a record has no refresh_token string")
        for name, number in (("saved_at", saved_at), ("created_at", created_at)):
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise ValueError(f"a record's {name} is not a number")
            if not 0 <= number <= _MAX_TIME:  # also refuses NaN (JSON allows NaN, 1e999)
                raise ValueError(f"a record's {name} is not a time between 1970 and 9999")
        assert isinstance(saved_at, int | float) and isinstance(created_at, int | float)
        return cls(token, float(saved_at), float(created_at))

    def __repr__(self) -> str:
        saved, created = _shown_time(self.saved_at), _shown_time(self.created_at)
        return f"RefreshTokenRecord(saved_at={saved}, created_at={created})"


@runtime_checkable
class RefreshTokenRecordStore(Protocol):
    """A :class:`~partnercenter.stores.RefreshTokenStore` that also tells when it saved each
    token (the persistent stores of this package). Optional: credentials use it when present."""

    def load(self, key: str) -> str | None:
        """The refresh token stored under ``key``, or ``None``."""

    def save(self, key: str, refresh_token: str) -> None:
        """Store ``refresh_token`` under ``key``, replacing the previous one."""

    def delete(self, key: str) -> None:
        """Forget ``key`` (no error when absent)."""

    def load_record(self, key: str) -> RefreshTokenRecord | None:
        """The record stored under ``key`` (token and times), or ``None``."""


def _shown_time(value: object) -> str:
    # A record built by hand with a wrong type still gets a repr, one that does not quote it.
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= _MAX_TIME:
        return repr(_iso(value))
    return safe_repr(value)


def _iso(timestamp: float) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%SZ")


def inactivity_message(record: RefreshTokenRecord, now: float, store_key: str) -> str:
    """The warning for a token near (or past) the inactivity limit; names no secret."""
    idle_days = int(record.idle_for(now) // _DAY)
    limit = _iso(record.expires_on)
    if now >= record.expires_on:
        state = f"passed Azure AD's 90-day inactivity limit on {limit}"
    else:
        left = max(0, int((record.expires_on - now) // _DAY))
        state = f"reaches Azure AD's 90-day inactivity limit on {limit} ({left} days left)"
    return (
        f"the refresh token stored under {shown(store_key)} was last used {idle_days} days ago "
        f"(saved {_iso(record.saved_at)}) and {state}; after that, redeeming it fails with "
        "AADSTS700082 and someone must sign in again (partnercenter consent). Each redemption "
        "renews it: redeem it at least every few weeks, e.g. from a scheduled job."
    )
