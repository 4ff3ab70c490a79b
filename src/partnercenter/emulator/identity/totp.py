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
#: A scripted user types only a code the emulator will go on accepting for this long, so the
#: step boundary cannot pass between choosing the code and posting it.
MARGIN_SECONDS = 5.0
#: What the MFA page says when a code's step was already used (scripted users read it).
CODE_ALREADY_USED = "That code was already used. Wait for the next code."


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


def remembered(last_used: int | None, at: float, *, window: int = WINDOW) -> int | None:
    """The last used step as it counts at ``at``: None when it lies beyond every step accepted
    at ``at``. Real time never gets there; the emulator's clock does when a test moves it back
    (``reset_clock()`` after time travel), and the codes used "later" then belong to a future
    that did not happen: keeping them would lock the user out until real time catches up."""
    if last_used is not None and last_used > int(at // STEP_SECONDS) + window:
        return None
    return last_used


def next_step(
    last_used: int | None, at: float, *, window: int = WINDOW, margin: float = MARGIN_SECONDS
) -> int | None:
    """The earliest time step after ``last_used`` whose code is accepted at ``at`` and for
    ``margin`` seconds more; None when every such step was used already (a person would wait
    for the next code). Earliest first: each step spent is one fewer left in the window."""
    last_used = remembered(last_used, at, window=window)
    current = int(at // STEP_SECONDS)
    for step in range(current - window, current + window + 1):
        still_accepted = (step + window + 1) * STEP_SECONDS - at
        if (last_used is None or step > last_used) and still_accepted >= margin:
            return step
    return None


def accepted_from(step: int, *, window: int = WINDOW) -> float:
    """The moment (epoch seconds) from which the code of ``step`` is accepted: ``window``
    steps before the step itself begins."""
    return float((step - window) * STEP_SECONDS)
