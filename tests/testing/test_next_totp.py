"""Codes are single use, and the public sign-in helpers never notice: one user signed in many
times in a row, faster than the drift window allows, without a 30-second wait."""

from __future__ import annotations

import threading
import time

import httpx
import jwt
import pytest

from partnercenter.emulator.identity.totp import STEP_SECONDS
from partnercenter.testing import Sandbox, SignInUser, drive_sign_in, next_totp, totp

ADMIN = "admin@contosopartner.onmicrosoft.com"
AGENT = "agent@contosopartner.onmicrosoft.com"
ROUNDS = 8  # the ±1 step window holds three unused codes at most


def _amr(token: str) -> list[str]:
    return list(jwt.decode(token, options={"verify_signature": False})["amr"])


def test_one_user_signed_in_many_times_in_a_row(pc_emulator: Sandbox) -> None:
    started = time.monotonic()
    for round_ in range(ROUNDS):
        if round_ % 2:
            outcome = pc_emulator.sign_in_device_code(ADMIN)
        else:
            outcome = pc_emulator.sign_in_authorization_code(ADMIN)
        assert outcome.completed and outcome.errors == [], (round_, outcome)
        assert _amr(outcome.access_token) == ["pwd", "mfa"]
    assert time.monotonic() - started < STEP_SECONDS  # nobody waited for a code
    # The emulator's clock moved instead, at most one step per code past the window's free
    # ones: three, or two in a step's last seconds (a code must stay valid a few seconds more).
    assert 0 < pc_emulator.state.clock.offset <= (ROUNDS - 2) * STEP_SECONDS


def test_a_reused_code_is_still_refused(pc_emulator: Sandbox) -> None:
    code = next_totp(pc_emulator, ADMIN)
    assert pc_emulator.sign_in_authorization_code(ADMIN, otc=code).completed
    again = pc_emulator.sign_in_authorization_code(ADMIN, otc=code)
    assert not again.completed and again.stage == "mfa"
    assert "already used" in again.errors[-1] and "AADSTS500121" in again.errors[-1]


def test_next_totp_hands_out_the_same_code_until_it_is_used(pc_emulator: Sandbox) -> None:
    first = next_totp(pc_emulator, ADMIN)
    assert next_totp(pc_emulator, ADMIN) == first
    secret = pc_emulator.user(ADMIN)["totp_secret"]
    # A SignInUser or a directory entry names the same user; the code is the RFC 6238 one.
    assert next_totp(pc_emulator, SignInUser(ADMIN, "pw", secret)) == first
    assert next_totp(pc_emulator, pc_emulator.user(ADMIN)) == first
    now = pc_emulator.now()
    assert first in {totp(secret, now + drift * STEP_SECONDS) for drift in (-1, 0, 1)}


def test_next_totp_errors_name_the_problem(pc_emulator: Sandbox) -> None:
    with pytest.raises(KeyError, match="nobody@"):
        next_totp(pc_emulator, "nobody@contosopartner.onmicrosoft.com")
    with pytest.raises(ValueError, match="no TOTP secret"):
        next_totp(pc_emulator, AGENT)


def test_concurrent_sign_ins_of_one_user_all_complete(pc_emulator: Sandbox) -> None:
    # Helpers may choose the same step at once: the ones refused type the next code.
    outcomes = []

    start = threading.Barrier(12)

    def sign_in() -> None:
        start.wait(10)
        outcomes.append(pc_emulator.sign_in_authorization_code(ADMIN))

    threads = [threading.Thread(target=sign_in) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(outcomes) == 12 and all(o.completed for o in outcomes), outcomes


def _authorize_url(pc_emulator: Sandbox) -> str:
    app = pc_emulator.app("partner-center-cli")
    query = httpx.QueryParams(
        client_id=app["client_id"],
        response_type="code",
        redirect_uri="http://localhost",
        scope="https://api.partnercenter.microsoft.com/user_impersonation offline_access",
    )
    return (
        f"{pc_emulator.base_url}/{pc_emulator.partner_tenant['id']}/oauth2/v2.0/authorize?{query}"
    )


def test_drive_sign_in_alone_types_the_next_code_when_one_was_used(
    pc_emulator: Sandbox,
) -> None:
    # Without a handle on the emulator, drive_sign_in types the code of the moment and, when
    # told it was used, the next one (inside the drift window), as a person would.
    who = SignInUser.of(pc_emulator.user(ADMIN))
    assert who.totp_secret is not None
    now = pc_emulator.now()
    taken = pc_emulator.sign_in_authorization_code(ADMIN, otc=totp(who.totp_secret, now))
    assert taken.completed
    with httpx.Client(verify=pc_emulator.verify, timeout=10) as http:
        outcome = drive_sign_in(http, http.get(_authorize_url(pc_emulator)), who, now=now)
    assert outcome.completed and outcome.errors == [], outcome


def test_drive_sign_in_with_next_code_retries_a_used_one(pc_emulator: Sandbox) -> None:
    who = SignInUser.of(pc_emulator.user(ADMIN))
    used = next_totp(pc_emulator, ADMIN)
    assert pc_emulator.sign_in_authorization_code(ADMIN, otc=used).completed
    offered = iter([used, next_totp(pc_emulator, ADMIN)])
    with httpx.Client(verify=pc_emulator.verify, timeout=10) as http:
        outcome = drive_sign_in(
            http,
            http.get(_authorize_url(pc_emulator)),
            who,
            now=pc_emulator.now(),
            next_code=lambda: next(offered),
        )
    assert outcome.completed and outcome.errors == [], outcome
