"""RFC 6238 time-based one-time passwords (the codes authenticator apps show)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct

STEP_SECONDS = 30
DIGITS = 6
#: Steps either side of now that are still accepted (clock drift between phone and server).
WINDOW = 1


def _key(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def totp(secret: str, at: float, *, step: int = STEP_SECONDS, digits: int = DIGITS) -> str:
    """The code for ``secret`` at epoch time ``at`` (HMAC-SHA1, dynamic truncation)."""
    counter = int(at // step)
    digest = hmac.new(_key(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def matching_step(secret: str, code: str, at: float, *, window: int = WINDOW) -> int | None:
    """The time step (``at // 30`` ± ``window``) whose code ``code`` is, or None. Every
    candidate is compared in constant time, so timing does not tell which step matched."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    found: int | None = None
    for drift in range(-window, window + 1):
        moment = at + drift * STEP_SECONDS
        if hmac.compare_digest(totp(secret, moment).encode(), code.encode()):
            found = int(moment // STEP_SECONDS)
    return found


def verify_totp(secret: str, code: str, at: float, *, window: int = WINDOW) -> bool:
    """Whether ``code`` is valid at ``at`` within ±``window`` steps (constant-time compare)."""
    return matching_step(secret, code, at, window=window) is not None
