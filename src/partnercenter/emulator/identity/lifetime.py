"""How long an access token lives, and when the client should refresh it.

Entra ID gives access tokens a random lifetime between 60 and 90 minutes (75 on average) so
that a fleet's refreshes spread out; clients that declare Continuous Access Evaluation (a
``claims`` parameter whose ``access_token.xms_cc`` holds ``cp1``) get long-lived tokens of 20
to 28 hours, because CAE revokes them in near-real time instead. Long-lived answers carry
``refresh_in`` (half the lifetime) so that clients still renew them well before expiry.
Sources: https://learn.microsoft.com/entra/identity-platform/configurable-token-lifetimes
and https://learn.microsoft.com/entra/identity/conditional-access/concept-continuous-access-evaluation
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass

from ..._contract import aadsts
from ..config import Settings
from .errors import AadError

DEFAULT_RANGE = (3600, 5400)
CAE_RANGE = (20 * 3600, 28 * 3600)
#: Answers for tokens living at least this long carry ``refresh_in`` (MSAL applies the same
#: two-hour threshold when a server sends none).
REFRESH_IN_THRESHOLD = 2 * 3600
#: A ``claims`` parameter longer than this is refused rather than parsed.
MAX_CLAIMS_CHARS = 16 * 1024


@dataclass(frozen=True, slots=True)
class Lifetime:
    seconds: int
    refresh_in: int | None


class TokenLifetimes:
    """Draws lifetimes from the settings' ranges with one seedable generator per emulator."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._random = random.Random(settings.token_lifetime_seed)
        self._lock = threading.Lock()

    def choose(self, *, cae: bool) -> Lifetime:
        fixed = self._settings.cae_token_lifetime if cae else self._settings.token_lifetime
        if fixed is not None:
            seconds = fixed
        else:
            low, high = CAE_RANGE if cae else DEFAULT_RANGE
            with self._lock:  # tokens are minted on the signing threads too
                seconds = self._random.randint(low, high)
        refresh_in = seconds // 2 if seconds >= REFRESH_IN_THRESHOLD else None
        return Lifetime(seconds, refresh_in)


def wants_cae(claims: str | None) -> bool:
    """True when a request's ``claims`` parameter declares the ``cp1`` client capability.

    MSAL sends ``{"access_token": {"xms_cc": {"values": ["CP1"]}}}`` for
    ``client_capabilities=["CP1"]``; a malformed parameter is a malformed request.
    """
    if claims is None:
        return False
    if len(claims) > MAX_CLAIMS_CHARS:
        raise AadError(aadsts.MALFORMED_REQUEST, detail="the 'claims' parameter is too large.")
    try:
        parsed = json.loads(claims)
    except (ValueError, RecursionError):
        raise AadError(
            aadsts.MALFORMED_REQUEST, detail="the 'claims' parameter is not valid JSON."
        ) from None
    if not isinstance(parsed, dict):
        raise AadError(
            aadsts.MALFORMED_REQUEST, detail="the 'claims' parameter must be a JSON object."
        )
    access = parsed.get("access_token")
    capability = access.get("xms_cc") if isinstance(access, dict) else None
    values = capability.get("values") if isinstance(capability, dict) else None
    return isinstance(values, list) and any(
        isinstance(value, str) and value.lower() == "cp1" for value in values
    )
