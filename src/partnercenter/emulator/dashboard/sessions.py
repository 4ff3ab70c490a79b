"""Dashboard sign-in: the admin key is posted once, then an HttpOnly cookie names a session.

The cookie holds a random session id, never the admin key, so the key does not sit in the
browser's cookie jar, history or any URL. Each session has its own CSRF token, sent by the
page's script in a header on every change; with ``SameSite=Strict`` that keeps another site
from driving the controls. Sessions are bounded (oldest dropped) and expire.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

COOKIE = "pc_emulator_ui"
CSRF_HEADER = "x-dashboard-csrf"
#: A working day; the emulator's own clock is not used, so time travel signs nobody out.
SESSION_SECONDS = 8 * 3600.0
MAX_SESSIONS = 64


@dataclass(slots=True)
class Session:
    expires: float
    csrf: str = field(repr=False)


class Sessions:
    def __init__(
        self,
        *,
        lifetime: float = SESSION_SECONDS,
        max_sessions: int = MAX_SESSIONS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lifetime = lifetime
        self._max = max_sessions
        self._monotonic = monotonic
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def open(self) -> tuple[str, Session]:
        session_id = secrets.token_urlsafe(32)
        session = Session(self._monotonic() + self._lifetime, secrets.token_urlsafe(24))
        with self._lock:
            self._sessions[session_id] = session
            while len(self._sessions) > self._max:
                self._sessions.popitem(last=False)
        return session_id, session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id or len(session_id) > 100:
            return None
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if session.expires < self._monotonic():
                del self._sessions[session_id]
                return None
            return session

    def close(self, session_id: str | None) -> None:
        if session_id:
            with self._lock:
                self._sessions.pop(session_id, None)

    def __len__(self) -> int:
        return len(self._sessions)


def csrf_ok(session: Session, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(
        (presented or "").encode(), session.csrf.encode()
    )
