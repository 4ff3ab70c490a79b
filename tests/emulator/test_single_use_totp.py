"""A one-time code is accepted once, by default (RFC 6238 §5.2, as Entra does): the check on
the MFA page, the setting that turns it off, the pure choice of a scripted user's next code and
the admin call that hands it out."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from partnercenter.emulator import Emulator
from partnercenter.emulator.config import Settings
from partnercenter.emulator.identity.totp import (
    CODE_ALREADY_USED,
    MARGIN_SECONDS,
    STEP_SECONDS,
    accepted_from,
    matching_step,
    next_step,
    remembered,
    totp,
)
from partnercenter.testing import EmulatorFactory

from .signin_driver import PC_USER_SCOPE, Page, pkce, step

ADMIN = "admin@contosopartner.onmicrosoft.com"
AGENT = "agent@contosopartner.onmicrosoft.com"
#: The start of a time step, so tests choose where in a step they stand.
T0 = 1_800_000_000 - 1_800_000_000 % STEP_SECONDS
S0 = T0 // STEP_SECONDS


# -- the pure choice of the next code ----------------------------------------------------------
def test_a_fresh_user_gets_the_earliest_step_of_the_window() -> None:
    assert next_step(None, T0 + 10) == S0 - 1
    # Late in the step the previous step's code would be refused before it could be posted.
    late = T0 + STEP_SECONDS - MARGIN_SECONDS + 1
    assert next_step(None, late) == S0


def test_each_step_after_the_last_used_then_none() -> None:
    at = T0 + 10
    assert next_step(S0 - 1, at) == S0
    assert next_step(S0, at) == S0 + 1
    assert next_step(S0 + 1, at) is None
    assert next_step(S0 - 5, at) == S0 - 1  # long ago: the whole window is free


def test_the_chosen_code_is_accepted_for_the_margin() -> None:
    secret = "JBSWY3DPEHPK3PXPJBSWY3DP"
    for offset in range(0, STEP_SECONDS):
        at = T0 + offset
        for last in (None, S0 - 1, S0):
            chosen = next_step(last, at)
            assert chosen is not None
            code = totp(secret, chosen * STEP_SECONDS)
            assert matching_step(secret, code, at) == chosen
            assert matching_step(secret, code, at + MARGIN_SECONDS - 0.001) == chosen


def test_a_step_is_accepted_from_one_step_before_it() -> None:
    assert accepted_from(S0 + 2) == T0 + STEP_SECONDS
    assert next_step(S0 + 1, accepted_from(S0 + 2)) == S0 + 2


def test_single_use_is_the_default_setting() -> None:
    assert Settings().single_use_totp is True


# -- on the wire -----------------------------------------------------------------------------
# ``emu`` has the emulator's own default settings: single use is not configured, it is the
# default.
pytestmark = pytest.mark.partnercenter_data(None, plugin_settings=False)


@pytest.fixture(scope="module")
def lenient(pc_emulator_factory: EmulatorFactory) -> Emulator:
    return pc_emulator_factory({"settings": {"single_use_totp": False}}, plugin_settings=False)


def _secret(emu: Emulator, upn: str) -> str:
    return str(next(u for u in emu.users if u["upn"] == upn)["totp_secret"])


def _reach_mfa(web: httpx.Client, emu: Emulator) -> Page:
    app = emu.app("partner-center-cli")
    _, challenge = pkce()
    params = {
        "client_id": app["client_id"],
        "response_type": "code",
        "redirect_uri": "http://localhost",
        "scope": f"{PC_USER_SCOPE} offline_access",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = Page(web.get(f"/{emu.partner_tenant['id']}/oauth2/v2.0/authorize", params=params))
    password = next(u for u in emu.users if u["upn"] == ADMIN)["password"]
    page = step(web, page, "signin", username=ADMIN, password=password)
    assert page.has("otc"), page.text[:300]
    return page


def _web(emu: Emulator) -> httpx.Client:
    return httpx.Client(base_url=emu.base_url, verify=emu.verify, timeout=10)


def test_a_reused_code_is_refused_by_default(emu: Emulator) -> None:
    emu.state.clock.reset()
    code = totp(_secret(emu, ADMIN), emu.state.clock.now() + STEP_SECONDS)  # unused yet
    with _web(emu) as web:
        first = step(web, _reach_mfa(web, emu), "mfa", otc=code)
        assert not first.has("otc"), first.error
        again = step(web, _reach_mfa(web, emu), "mfa", otc=code)
    # The page stays on MFA and says why, in the page's error shape (AADSTS500121).
    assert again.response.status_code == 200 and again.has("otc")
    assert again.error is not None
    assert again.error.startswith(CODE_ALREADY_USED) and "AADSTS500121" in again.error
    assert code not in again.text


def test_an_earlier_code_is_refused_after_a_later_one(emu: Emulator) -> None:
    emu.state.clock.reset()
    secret, now = _secret(emu, ADMIN), emu.state.clock.now()
    admin = emu.state.directory.user(ADMIN)
    assert admin is not None
    assert emu.state.signin.last_totp_step(admin) is not None  # the previous test used one
    with _web(emu) as web:
        earlier = step(web, _reach_mfa(web, emu), "mfa", otc=totp(secret, now))
    assert earlier.has("otc") and CODE_ALREADY_USED in (earlier.error or "")


def test_with_the_setting_off_a_code_is_accepted_again(lenient: Emulator) -> None:
    code = totp(_secret(lenient, ADMIN), lenient.state.clock.now())
    with _web(lenient) as web:
        for _ in range(3):
            page = step(web, _reach_mfa(web, lenient), "mfa", otc=code)
            assert not page.has("otc"), page.error


# -- POST /_emulator/users/{upn}/totp ------------------------------------------------------------
def _next(web: httpx.Client, emu: Emulator, upn: str, key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key if key is not None else emu.admin_key}"}
    return web.post(f"/_emulator/users/{upn}/totp", headers=headers)


def test_the_admin_call_hands_out_unused_codes_then_waits_for_the_next(emu: Emulator) -> None:
    emu.state.clock.reset()
    emu.state.signin.totp_steps.clear()
    with _web(emu) as web:
        steps: list[int] = []
        for _ in range(6):
            answer = _next(web, emu, ADMIN)
            assert answer.status_code == 200, answer.text
            body: dict[str, Any] = answer.json()
            assert set(body) == {"upn", "code", "step", "waited", "now"}
            # Asking again without typing it hands out the same code: asking uses nothing.
            assert _next(web, emu, ADMIN).json()["code"] == body["code"]
            page = step(web, _reach_mfa(web, emu), "mfa", otc=body["code"])
            assert not page.has("otc"), page.error
            assert 0 <= body["waited"] <= STEP_SECONDS
            steps.append(body["step"])
    assert steps == sorted(set(steps)) and steps[-1] - steps[0] == 5
    # Three steps fit the window; each further code cost the clock at most one step.
    assert emu.state.clock.offset <= 4 * STEP_SECONDS
    emu.state.clock.reset()


def test_the_admin_call_errors_have_the_admin_shape(emu: Emulator) -> None:
    with _web(emu) as web:
        unknown = _next(web, emu, "nobody@contosopartner.onmicrosoft.com")
        assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
        no_mfa = _next(web, emu, AGENT)
        assert no_mfa.status_code == 409 and no_mfa.json()["error"] == "no_code"
        assert "no TOTP secret" in no_mfa.json()["message"]
        refused = _next(web, emu, ADMIN, key="not-the-key")
        assert refused.status_code == 401 and "code" not in refused.json()


def test_moving_the_clock_back_forgets_codes_used_later(emu: Emulator) -> None:
    emu.state.clock.reset()
    with _web(emu) as web:
        for _ in range(5):  # two waits: the user's codes now run ahead of real time
            code = _next(web, emu, ADMIN).json()["code"]
            assert not step(web, _reach_mfa(web, emu), "mfa", otc=code).has("otc")
        assert emu.state.clock.offset > 0
        emu.state.clock.reset()  # a test undoes its time travel, and the waits with it
        # Those codes were used in a future the clock left: the code of the moment is
        # accepted, once, without waiting for real time to catch up.
        code = totp(_secret(emu, ADMIN), emu.state.clock.now())
        assert not step(web, _reach_mfa(web, emu), "mfa", otc=code).has("otc")
        again = step(web, _reach_mfa(web, emu), "mfa", otc=code)
        assert CODE_ALREADY_USED in (again.error or "")
        emu.state.clock.advance(-3600)
        try:
            body = _next(web, emu, ADMIN).json()
            assert body["waited"] == 0
            assert not step(web, _reach_mfa(web, emu), "mfa", otc=body["code"]).has("otc")
        finally:
            emu.state.clock.reset()


def test_forgetting_is_only_for_steps_beyond_the_window() -> None:
    assert remembered(S0 + 1, T0) == S0 + 1  # the window's newest step: still remembered
    assert remembered(S0 + 2, T0) is None
    assert remembered(S0 - 100, T0) == S0 - 100
    assert remembered(None, T0) is None
