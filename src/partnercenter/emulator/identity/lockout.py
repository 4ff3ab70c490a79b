"""Smart lockout, as Entra ID does it: repeated wrong passwords lock the account for a while.

Entra's defaults (https://learn.microsoft.com/entra/identity/authentication/howto-password-smart-lockout):
the account locks after 10 failed sign-ins, for 60 seconds at first and longer after each
further lockout; a wrong password the user already tried (one of the last three) does not
count again. While locked, every sign-in answers AADSTS50053, the right password included.

State is kept per directory user (object id), so it is bounded by the directory's size:
a user name the directory does not know is never recorded.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import deque
from dataclasses import dataclass, field

from ..._contract import aadsts
from ..directory import User
from .errors import AadError

THRESHOLD = 10
FIRST_LOCKOUT_SECONDS = 60.0
#: Each further lockout doubles the duration, up to this.
MAX_LOCKOUT_SECONDS = 1800.0
#: Wrong passwords remembered (as salted digests) so that retrying one does not count again.
REMEMBERED_WRONG_PASSWORDS = 3


@dataclass(slots=True)
class _Account:
    failures: int = 0
    lockouts: int = 0
    locked_until: float = 0.0
    recent: deque[bytes] = field(default_factory=lambda: deque(maxlen=REMEMBERED_WRONG_PASSWORDS))


class SmartLockout:
    """Failed-password counters per user, and the lockouts they cause."""

    def __init__(self, threshold: int = THRESHOLD) -> None:
        self.threshold = threshold
        self._lock = threading.Lock()
        self._accounts: dict[str, _Account] = {}

    def locked(self, user: User, now: float) -> bool:
        account = self._accounts.get(user.object_id)
        return account is not None and now < account.locked_until

    def check_password(self, user: User, password: str, now: float) -> None:
        """Raise AADSTS50053 while locked, AADSTS50126 for a wrong password (counted); return
        for the right one (which clears the count)."""
        if self.locked(user, now):
            raise AadError(aadsts.ACCOUNT_LOCKED)
        if hmac.compare_digest(user.password.encode(), password.encode()):
            with self._lock:
                account = self._accounts.get(user.object_id)
                if account is not None:
                    account.failures = 0
                    account.recent.clear()
            return
        self._failed(user, password, now)
        if self.locked(user, now):
            raise AadError(aadsts.ACCOUNT_LOCKED)
        raise AadError(aadsts.INVALID_PASSWORD)

    def _failed(self, user: User, password: str, now: float) -> None:
        # A digest keyed by the user's id: the wrong password itself is never kept.
        digest = hashlib.blake2b(
            password.encode(), key=user.object_id.encode()[:64], digest_size=16
        ).digest()
        with self._lock:
            account = self._accounts.setdefault(user.object_id, _Account())
            if any(hmac.compare_digest(digest, seen) for seen in account.recent):
                return
            account.recent.append(digest)
            account.failures += 1
            if account.failures >= self.threshold:
                account.lockouts += 1
                duration = FIRST_LOCKOUT_SECONDS * 2 ** min(account.lockouts - 1, 16)
                account.locked_until = now + min(duration, MAX_LOCKOUT_SECONDS)
                account.failures = 0
