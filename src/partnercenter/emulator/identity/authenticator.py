"""The code a scripted user types on the MFA page: what their authenticator app would show.

Codes are single use (RFC 6238 §5.2, the ``single_use_totp`` setting, on by default), so a
script that signs one user in again within 30 seconds cannot type "the code of the moment"
twice. A person would wait for the next code; a script asks here instead. The code chosen is
the earliest time step after the user's last one that the emulator accepts now (its ±1 step
drift window) and for a few seconds more. When the window holds no unused step, the emulator's
clock moves on to the moment the next step is accepted, at most one step (30 s): the wait a
person would have had, without the waiting. Tokens, codes and sessions see that time pass,
exactly as after ``POST /_emulator/clock``. (A test that moves the clock back behind a user's
codes does not make them wait: codes used "later" are forgotten, see
:func:`~.totp.remembered`.)

Used in process by :func:`partnercenter.testing.next_totp` (and the ``Sandbox`` sign-ins) and
over the wire by ``POST /_emulator/users/{upn}/totp`` (admin key), for scripts in another
process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ..directory import User
from ..state import EmulatorState
from .totp import STEP_SECONDS, accepted_from, next_step, totp

#: One helper at a time picks a step and, if need be, moves the clock: two helpers finding the
#: window used up together must not both move it.
_choosing = threading.Lock()


class CodeUnavailable(ValueError):
    """No code can be handed out: the user has no TOTP secret."""


@dataclass(frozen=True)
class AuthenticatorCode:
    """A code to type: its time ``step`` and the seconds the clock was moved to reach it."""

    code: str = field(repr=False)
    step: int
    waited: float


def next_code(state: EmulatorState, user: User, secret: str | None = None) -> AuthenticatorCode:
    """The code ``user`` would type now (see the module docstring). ``secret`` replaces the
    user's own TOTP secret (a test playing a misconfigured authenticator); the step is chosen
    from the user's sign-ins all the same.

    Raises :class:`CodeUnavailable` when the user has no TOTP secret.
    """
    secret = secret or user.totp_secret
    if not secret:
        raise CodeUnavailable("the user has no TOTP secret (no MFA method registered)")
    with _choosing:
        now = state.clock.now()
        if not state.settings.single_use_totp:
            # Codes may be typed again: the code of the moment, as before the setting existed.
            return AuthenticatorCode(totp(secret, now), int(now // STEP_SECONDS), 0.0)
        last = state.signin.last_totp_step(user)
        step = next_step(last, now)
        waited = 0.0
        if step is None:
            # Every step of the window is used, so the last one is the window's newest (now's
            # step + 1, not beyond: see remembered()). The step after it is accepted once the
            # clock enters the last one, less than a step from now.
            assert last is not None
            step = last + 1
            waited = max(0.0, accepted_from(step) - now)
            state.clock.advance(waited)
        return AuthenticatorCode(totp(secret, step * STEP_SECONDS), step, waited)
