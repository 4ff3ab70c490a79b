"""Hardening of the sign-in machinery (issue 9): request limits on /authorize and /devicecode,
bounded and expiring stores, a device code approved once, refresh tokens pruned when rotated
away, smart lockout and single-use TOTP codes."""

from __future__ import annotations

import gc
import html
import os
import tracemalloc
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from partnercenter.emulator import Emulator
from partnercenter.emulator.directory import User
from partnercenter.emulator.identity.signin_state import AuthorizeRequest, SignInState
from partnercenter.emulator.identity.totp import totp

from .signin_driver import PC_USER_SCOPE, Page, pkce, sign_in, step
from .test_token_endpoint import assert_aad_error

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
ADMIN = "admin@contosopartner.onmicrosoft.com"
AGENT = "agent@contosopartner.onmicrosoft.com"
LOCKED = "locked@contosopartner.onmicrosoft.com"
ONCE = "once@contosopartner.onmicrosoft.com"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DP"
MB = 1024 * 1024


# The module's emulator (``emu``), over the emulator's own defaults.
pytestmark = pytest.mark.partnercenter_data(
    {
        "settings": {"device_code_interval": 1, "single_use_totp": True},
        "users": [
            {"upn": LOCKED, "password": "right-password"},
            {"upn": ONCE, "password": "pw", "totp_secret": SECRET},
        ],
    },
    plugin_settings=False,
)


@pytest.fixture()
def web(emu: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.base_url, verify=emu.verify, timeout=30) as c:
        yield c


def user(emu: Emulator, upn: str) -> dict[str, Any]:
    return next(u for u in emu.users if u["upn"] == upn)


def cli(emu: Emulator) -> str:
    return str(emu.app("partner-center-cli")["client_id"])


def authorize_params(emu: Emulator, **extra: str) -> dict[str, str]:
    return {
        "client_id": cli(emu),
        "response_type": "code",
        "redirect_uri": "http://localhost:8765/callback",
        "scope": f"{PC_USER_SCOPE} offline_access openid profile",
        "code_challenge": pkce()[1],
        "code_challenge_method": "S256",
        **extra,
    }


# -- request limits (9.7) ----------------------------------------------------------------------
def test_too_many_scopes_are_refused_with_28004(emu: Emulator, web: httpx.Client) -> None:
    tenant = emu.partner_tenant["id"]
    many = " ".join(["openid"] * 101)
    device = web.post(
        f"/{tenant}/oauth2/v2.0/devicecode", data={"client_id": cli(emu), "scope": many}
    )
    assert_aad_error(device, 400, "invalid_scope", 28004)
    long_scope = "openid " + "x" * 9000
    page = web.post(
        f"/{tenant}/oauth2/v2.0/authorize", data=authorize_params(emu, scope=long_scope)
    )
    assert page.status_code == 400 and "AADSTS28004" in page.text
    assert "x" * 100 not in page.text  # the refused value is not echoed


def test_overlong_kept_parameters_are_refused(emu: Emulator, web: httpx.Client) -> None:
    tenant = emu.partner_tenant["id"]
    before = emu.state.signin.sizes()["flows"]
    for name, size in (("state", 2049), ("nonce", 1025), ("login_hint", 321)):
        page = web.get(
            f"/{tenant}/oauth2/v2.0/authorize", params=authorize_params(emu, **{name: "a" * size})
        )
        assert page.status_code == 400, name
        assert f"the '{name}' parameter is longer than" in html.unescape(page.text)
    at_limit = web.get(
        f"/{tenant}/oauth2/v2.0/authorize", params=authorize_params(emu, state="s" * 2048)
    )
    assert at_limit.status_code == 200 and 'id="username"' in at_limit.text
    assert emu.state.signin.sizes()["flows"] == before + 1


def test_pending_flows_and_device_codes_are_capped_and_expire(emu: Emulator) -> None:
    class Small(SignInState):
        MAX_FLOWS = 5
        MAX_DEVICE_CODES = 5

    store = Small()
    app = emu.state.directory.app(cli(emu))
    assert app is not None
    req = AuthorizeRequest(
        2, "common", None, app, None, "query", None, None, None, [], [], None, None, None, None
    )
    for i in range(20):
        store.new_flow(req, now=1000.0 + i)
        store.new_device_code(req, 1000.0 + i, 1000.0 + i + 900, 5)
    sizes = store.sizes()
    assert sizes["flows"] == 5 and sizes["device_codes"] == 5 and sizes["user_codes"] == 5
    # Past their lifetime, the next insertion drops every expired one.
    later = 1000.0 + 20 + Small.FLOW_LIFETIME + 1
    store.new_flow(req, now=later)
    store.new_device_code(req, later, later + 900, 5)
    assert store.sizes()["flows"] == 1 and store.sizes()["device_codes"] == 1


def _rss() -> int:
    with open(f"/proc/{os.getpid()}/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.may_skip("memory is read from Linux /proc; other systems have none")
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_a_thousand_hostile_requests_grow_memory_by_less_than_20_mb(
    emu: Emulator, web: httpx.Client
) -> None:
    """Half the requests carry a 250 KB scope (refused), half sit at every limit (kept as
    pending flows and device codes): the process grows by far less than 20 MB."""
    tenant = emu.partner_tenant["id"]
    huge = " ".join(["openid"] * 36_000)  # ~250 KB, under the 256 KB body limit
    kept = " ".join([PC_USER_SCOPE] + ["openid"] * 99)
    full = {"state": "s" * 2048, "nonce": "n" * 1024, "login_hint": "h" * 320}

    def burst(count: int) -> None:
        for i in range(count):
            if i % 4 == 0:
                web.post(
                    f"/{tenant}/oauth2/v2.0/devicecode", data={"client_id": cli(emu), "scope": huge}
                )
            elif i % 4 == 1:
                web.post(
                    f"/{tenant}/oauth2/v2.0/authorize",
                    data=authorize_params(emu, scope=huge, **full),
                )
            elif i % 4 == 2:
                web.post(
                    f"/{tenant}/oauth2/v2.0/devicecode", data={"client_id": cli(emu), "scope": kept}
                )
            else:
                web.post(
                    f"/{tenant}/oauth2/v2.0/authorize",
                    data=authorize_params(emu, scope=kept, **full),
                )

    burst(100)  # warm up allocator pools and connection state
    gc.collect()
    before = _rss()
    burst(1000)
    gc.collect()
    grown = _rss() - before
    print(f"RSS growth after 1,000 hostile requests: {grown / MB:.1f} MB")
    assert grown < 20 * MB


# -- one device code, approved once and redeemed once (9.8) -----------------------------------
def _poll(web: httpx.Client, emu: Emulator, device_code: str) -> httpx.Response:
    return web.post(
        f"/{emu.partner_tenant['id']}/oauth2/v2.0/token",
        data={"grant_type": DEVICE_GRANT, "client_id": cli(emu), "device_code": device_code},
    )


def test_two_devicelogin_sign_ins_cannot_approve_one_code_twice(
    emu: Emulator, web: httpx.Client
) -> None:
    tenant = emu.partner_tenant["id"]
    flow = web.post(
        f"/{tenant}/oauth2/v2.0/devicecode",
        data={"client_id": cli(emu), "scope": f"{PC_USER_SCOPE} offline_access openid"},
    ).json()
    with httpx.Client(base_url=emu.base_url, verify=emu.verify, timeout=10) as other:
        first = Page(web.post("/devicelogin", data={"otc": flow["user_code"]}))
        second = Page(other.post("/devicelogin", data={"otc": flow["user_code"]}))
        assert first.has("username") and second.has("username")
        done = sign_in(web, first, user(emu, ADMIN), emu=emu)
        assert "You may now close this window" in done.text
        redeemed = _poll(web, emu, flow["device_code"])
        assert redeemed.status_code == 200, redeemed.text
        # The second sign-in, for another user, finishes after the redemption: refused.
        late = sign_in(other, second, user(emu, AGENT), emu=emu)
    assert late.response.status_code == 400
    assert "already used" in late.text
    assert_aad_error(_poll(web, emu, flow["device_code"]), 400, "invalid_grant", 54005)


# -- refresh tokens rotated away and expired are pruned (9.11) ---------------------------------
def _user() -> User:
    return User("u@example.com", "t", "00000000-0000-0000-0000-000000000001", "U", "pw")


def test_100k_rotations_leave_memory_flat() -> None:
    store = SignInState()
    person = _user()
    grant = store.new_refresh_token(person, "client", ["pwd"], 0.0)

    def rotate(times: int) -> None:
        nonlocal grant
        for i in range(times):
            grant = store.new_refresh_token(person, "client", ["pwd"], float(i), grant.family)

    rotate(1_000)
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        rotate(100_000)
        grown = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    print(f"traced memory growth over 100,000 rotations: {grown / 1024:.1f} KB")
    assert grown < 256 * 1024
    sizes = store.sizes()
    assert sizes["refresh_tokens"] == SignInState.REFRESH_TOKENS_PER_FAMILY
    assert sizes["refresh_families"] == 1
    assert grant.token in store.refresh_tokens  # the newest one is kept


def test_expired_refresh_tokens_and_codes_are_pruned() -> None:
    store = SignInState()
    person = _user()
    old = [store.new_refresh_token(person, "c", ["pwd"], 0.0) for _ in range(50)]
    fresh = store.new_refresh_token(person, "c", ["pwd"], 200 * 86400.0, max_age=180 * 86400.0)
    assert all(g.token not in store.refresh_tokens for g in old)
    assert fresh.token in store.refresh_tokens
    assert store.sizes()["refresh_families"] == 1


def test_rotated_away_refresh_token_is_refused_on_the_wire(
    emu: Emulator, web: httpx.Client
) -> None:
    tenant = emu.partner_tenant["id"]
    app = emu.app("partner-center-app")
    person = user(emu, AGENT)
    # The agent has no MFA: the password grant gives a refresh token once consent exists.
    emu.state.signin.grant_consent(
        emu.state.directory.user(AGENT),  # type: ignore[arg-type]
        app["client_id"],
        {"https://api.partnercenter.microsoft.com/user_impersonation"},
    )
    form = {
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "resource": "https://api.partnercenter.microsoft.com",
    }
    first = web.post(
        f"/{tenant}/oauth2/token",
        data={**form, "grant_type": "password", "username": AGENT, "password": person["password"]},
    )
    assert first.status_code == 200, first.text
    tokens = [first.json()["refresh_token"]]
    for _ in range(SignInState.REFRESH_TOKENS_PER_FAMILY + 2):
        answer = web.post(
            f"/{tenant}/oauth2/token",
            data={**form, "grant_type": "refresh_token", "refresh_token": tokens[-1]},
        )
        assert answer.status_code == 200, answer.text
        tokens.append(answer.json()["refresh_token"])
    stale = web.post(
        f"/{tenant}/oauth2/token",
        data={**form, "grant_type": "refresh_token", "refresh_token": tokens[0]},
    )
    assert stale.status_code == 400 and stale.json()["error"] == "invalid_grant"
    recent = web.post(
        f"/{tenant}/oauth2/token",
        data={**form, "grant_type": "refresh_token", "refresh_token": tokens[-3]},
    )
    assert recent.status_code == 200  # older tokens stay valid, within the family's window


# -- smart lockout and single-use codes (9.13) --------------------------------------------------
def _ropc(web: httpx.Client, emu: Emulator, password: str) -> httpx.Response:
    return web.post(
        f"/{emu.partner_tenant['id']}/oauth2/v2.0/token",
        data={
            "grant_type": "password",
            "client_id": cli(emu),
            "username": LOCKED,
            "password": password,
            "scope": f"{PC_USER_SCOPE} offline_access",
        },
    )


def test_smart_lockout_after_ten_wrong_passwords(emu: Emulator, web: httpx.Client) -> None:
    # The same wrong password again and again does not count (Entra remembers the last three).
    for _ in range(15):
        assert_aad_error(_ropc(web, emu, "same-wrong"), 400, "invalid_grant", 50126)
    for i in range(8):
        assert_aad_error(_ropc(web, emu, f"wrong-{i}"), 400, "invalid_grant", 50126)
    assert_aad_error(_ropc(web, emu, "wrong-9"), 400, "invalid_grant", 50053)  # the tenth
    body = assert_aad_error(_ropc(web, emu, "right-password"), 400, "invalid_grant", 50053)
    assert "right-password" not in str(body)
    # The sign-in page says the same while locked.
    page = Page(
        web.get(f"/{emu.partner_tenant['id']}/oauth2/v2.0/authorize", params=authorize_params(emu))
    )
    locked = step(web, page, "signin", username=LOCKED, password="right-password")
    assert "AADSTS50053" in (locked.error or "")
    emu.advance_clock(61)
    try:
        after = _ropc(web, emu, "right-password")
        assert after.json().get("error_codes") not in ([50053], [50126]), after.text
    finally:
        emu.advance_clock(-61)


def test_a_totp_code_is_accepted_once(emu: Emulator, web: httpx.Client) -> None:
    tenant = emu.partner_tenant["id"]
    now = emu.state.clock.now()
    code = totp(SECRET, now)

    def reach_mfa() -> Page:
        page = Page(web.get(f"/{tenant}/oauth2/v2.0/authorize", params=authorize_params(emu)))
        page = step(web, page, "signin", username=ONCE, password="pw")
        assert page.has("otc"), page.text[:300]
        return page

    first = step(web, reach_mfa(), "mfa", otc=code)
    assert not first.has("otc")  # on to consent
    again = step(web, reach_mfa(), "mfa", otc=code)
    assert again.has("otc") and "already used" in (again.error or "")
    # The next step's code (within the accepted window) still works.
    later = step(web, reach_mfa(), "mfa", otc=totp(SECRET, now + 30))
    assert not later.has("otc")


def test_a_fleets_concurrent_redemptions_stay_valid() -> None:
    # A fan-out redeems one stored refresh token from dozens of workers at once: each holds a
    # token some rotations behind the newest, which Entra still accepts (it does not revoke a
    # refresh token when it issues the next one).
    store = SignInState()
    person = _user()
    first = store.new_refresh_token(person, "client", ["pwd"], 0.0)
    grant = first
    for i in range(100):
        grant = store.new_refresh_token(person, "client", ["pwd"], float(i), grant.family)
    assert first.token in store.refresh_tokens and grant.token in store.refresh_tokens
