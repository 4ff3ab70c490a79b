"""Issue 8 (Entra ID shapes) and issue 9.15 (Host never trusted), against a real emulator.

Each test pins a behaviour Microsoft documents or real traffic shows (sources in
docs/decisions.md); the module emulator seeds its lifetimes and flags users for the one
modelled conditional-access policy.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest

from partnercenter._credentials import protocol
from partnercenter.emulator import Emulator
from partnercenter.emulator.identity.assertion import ReplayCache
from partnercenter.errors import InvalidGrantError
from partnercenter.testing import EmulatorFactory

from .helpers import JWT_BEARER, PC_DEFAULT_SCOPE, PC_RESOURCE, make_assertion
from .signin_driver import PC_USER_SCOPE, Page, sign_in
from .test_token_endpoint import assert_aad_error

DEVICE_URN = "urn:ietf:params:oauth:grant-type:device_code"
PC_APP_ID = "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd"
CA_MFA = "ca-mfa@contosopartner.onmicrosoft.com"
CA_NO_METHOD = "ca-nomethod@contosopartner.onmicrosoft.com"
CA_LAX = "ca@lax.onmicrosoft.com"
TOTP = "JBSWY3DPEHPK3PXPJBSWY3DP"
CAE_CLAIMS = '{"access_token":{"xms_cc":{"values":["CP1"]}}}'


# The module's emulator (``emu``), over the emulator's own defaults.
pytestmark = pytest.mark.partnercenter_data(
    {
        "settings": {"device_code_interval": 1, "token_lifetime_seed": 7},
        "tenants": [{"name": "Lax", "domains": ["lax.onmicrosoft.com"], "mfa": "skip"}],
        "resources": [
            {"name": "Modern API", "uri": "api://modern", "token_version": 2, "scopes": ["read"]}
        ],
        "users": [
            {"upn": CA_MFA, "password": "pw", "totp_secret": TOTP, "conditional_access": True},
            {"upn": CA_NO_METHOD, "password": "pw", "conditional_access": True},
            {"upn": CA_LAX, "password": "pw", "totp_secret": TOTP, "conditional_access": True},
        ],
    },
    plugin_settings=False,
)


@pytest.fixture()
def web(emu: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.base_url, verify=emu.verify, timeout=10) as c:
        yield c


def _user(emu: Emulator, upn: str) -> dict[str, Any]:
    return next(u for u in emu.users if u["upn"] == upn)


def _cli(emu: Emulator) -> str:
    return str(emu.app("partner-center-cli")["client_id"])


def _device_flow(
    web: httpx.Client, emu: Emulator, *, version: int, tenant: str, scope: str = ""
) -> dict[str, Any]:
    if version == 2:
        data = {"client_id": _cli(emu), "scope": scope or f"{PC_USER_SCOPE} offline_access openid"}
        response = web.post(f"/{tenant}/oauth2/v2.0/devicecode", data=data)
    else:
        data = {"client_id": _cli(emu), "resource": PC_RESOURCE}
        response = web.post(f"/{tenant}/oauth2/devicecode", data=data)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _approve(web: httpx.Client, emu: Emulator, user_code: str, upn: str) -> None:
    start = Page(web.get("/devicelogin"))
    page = sign_in(
        web, Page(web.post(start.action, data={"otc": user_code})), _user(emu, upn), emu=emu
    )
    assert "You may now close this window" in page.text, page.text[:400]
    time.sleep(1.0)  # the polling interval


# -- 8.2 the short device_code grant type ------------------------------------------------------


@pytest.mark.parametrize("version", [1, 2])
def test_short_device_code_grant_works_like_the_urn(
    emu: Emulator, web: httpx.Client, version: int
) -> None:
    tenant = emu.partner_tenant["id"]
    flow = _device_flow(web, emu, version=version, tenant=tenant)
    path = f"/{tenant}/oauth2/token" if version == 1 else f"/{tenant}/oauth2/v2.0/token"
    # ADAL on v1 sends the code as code=; Node MSAL and Azure Identity for JS as device_code=.
    field = "code" if version == 1 else "device_code"
    form = {"grant_type": "device_code", "client_id": _cli(emu), field: flow["device_code"]}
    assert_aad_error(web.post(path, data=form), 400, "authorization_pending", 70016)
    _approve(web, emu, flow["user_code"], "admin@contosopartner.onmicrosoft.com")
    body = web.post(path, data=form).json()
    assert body["access_token"] and body["refresh_token"], body
    assert emu.stats()["tokens_issued"].get(DEVICE_URN, 0) >= 1
    if version == 1:
        # 8.8: v1 ID tokens carry x5t in the header, as v1 access tokens do.
        header = jwt.get_unverified_header(body["id_token"])
        assert header["x5t"] == header["kid"]
    time.sleep(1.0)
    assert_aad_error(web.post(path, data=form), 400, "invalid_grant", 54005)


# -- 8.7 the token endpoint's methods ------------------------------------------------------------


def test_token_endpoint_answers_a_cors_preflight_and_names_post_options(
    emu: Emulator, web: httpx.Client
) -> None:
    path = f"/{emu.partner_tenant['id']}/oauth2/v2.0/token"
    preflight = web.options(
        path, headers={"Origin": "https://spa.example", "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    body = assert_aad_error(web.get(path), 400, "invalid_request", 900561)
    assert body["error_description"].startswith(
        "AADSTS900561: The endpoint only accepts POST, OPTIONS requests. Received a GET request."
    )


# -- 8.6 lifetimes -----------------------------------------------------------------------------


def _app_only(web: httpx.Client, emu: Emulator, **extra: str) -> dict[str, Any]:
    app = emu.app("partner-center-app")
    form = {
        "grant_type": "client_credentials",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "scope": PC_DEFAULT_SCOPE,
        **extra,
    }
    response = web.post(f"/{emu.partner_tenant['id']}/oauth2/v2.0/token", data=form)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_default_lifetimes_are_random_between_60_and_90_minutes(
    emu: Emulator, web: httpx.Client
) -> None:
    lifetimes = {_app_only(web, emu)["expires_in"] for _ in range(12)}
    assert all(3600 <= life <= 5400 for life in lifetimes)
    assert len(lifetimes) > 1  # random, not one fixed value
    assert "refresh_in" not in _app_only(web, emu)


def test_lifetimes_are_reproducible_with_a_seed_and_can_be_fixed(
    pc_emulator_factory: EmulatorFactory,
) -> None:
    def run(settings: dict[str, Any], folder: str) -> list[int]:
        config = {"settings": settings}
        with pc_emulator_factory.private(config, plugin_settings=False) as e:
            with httpx.Client(base_url=e.base_url, verify=e.verify) as c:
                return [int(_app_only(c, e)["expires_in"]) for _ in range(4)]

    first = run({"token_lifetime_seed": 42}, "a")
    # expires_in is counted from the emulator's whole-second clock: allow one second.
    again = run({"token_lifetime_seed": 42}, "b")
    assert all(abs(x - y) <= 1 for x, y in zip(first, again, strict=True))
    assert run({"token_lifetime": 1234}, "c") == [1234] * 4


@pytest.mark.parametrize("endpoint", ["v1", "v2"])
def test_cae_capable_clients_get_long_tokens_with_refresh_in(
    emu: Emulator, web: httpx.Client, endpoint: str
) -> None:
    app = emu.app("partner-center-app")
    tenant = emu.partner_tenant["id"]
    form = {
        "grant_type": "client_credentials",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "claims": CAE_CLAIMS,
    }
    if endpoint == "v1":
        response = web.post(f"/{tenant}/oauth2/token", data={**form, "resource": PC_RESOURCE})
    else:
        response = web.post(
            f"/{tenant}/oauth2/v2.0/token", data={**form, "scope": PC_DEFAULT_SCOPE}
        )
    body = response.json()
    expires_in, refresh_in = int(body["expires_in"]), int(body["refresh_in"])
    assert 20 * 3600 <= expires_in <= 28 * 3600
    assert refresh_in == expires_in // 2
    assert isinstance(body["refresh_in"], str if endpoint == "v1" else int)
    # The library refreshes at refresh_in, not at its half-life guess or 5 minutes before expiry.
    parsed = protocol.parse_token_response(200, {}, response.content, sent_at=1000)
    assert parsed.access_token.refresh_on == 1000 + refresh_in
    assert parsed.access_token.expires_on == 1000 + expires_in


def test_malformed_claims_parameter_is_a_clear_error(emu: Emulator, web: httpx.Client) -> None:
    app = emu.app("partner-center-app")
    form = {
        "grant_type": "client_credentials",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "scope": PC_DEFAULT_SCOPE,
    }
    path = f"/{emu.partner_tenant['id']}/oauth2/v2.0/token"
    for claims in ("{not json", "[1]", "x" * 20000, "[" * 5000):
        response = web.post(path, data={**form, "claims": claims})
        body = assert_aad_error(response, 400, "invalid_request", 90023)
        assert "claims" in body["error_description"]


# -- 8.5 MFA and the conditional-access claims challenge -----------------------------------------


def _password(web: httpx.Client, emu: Emulator, upn: str, tenant: str) -> httpx.Response:
    form = {
        "grant_type": "password",
        "client_id": _cli(emu),
        "scope": f"{PC_USER_SCOPE} offline_access",
        "username": upn,
        "password": _user(emu, upn)["password"],
    }
    return web.post(f"/{tenant}/oauth2/v2.0/token", data=form)


def test_mfa_required_is_invalid_grant_basic_action_naming_the_app_id(
    emu: Emulator, web: httpx.Client
) -> None:
    tenant = emu.partner_tenant["id"]
    response = _password(web, emu, "admin@contosopartner.onmicrosoft.com", tenant)
    body = assert_aad_error(response, 400, "invalid_grant", 50076)
    assert body["suberror"] == "basic_action"
    assert body["error_description"].startswith(
        "AADSTS50076: Due to a configuration change made by your administrator, or because you "
        f"moved to a new location, you must use multi-factor authentication to access "
        f"'{PC_APP_ID}'."
    )


@pytest.mark.parametrize(("upn", "code"), [(CA_MFA, 50076), (CA_NO_METHOD, 50079)])
def test_conditional_access_policy_carries_a_claims_challenge(
    emu: Emulator, web: httpx.Client, upn: str, code: int
) -> None:
    response = _password(web, emu, upn, emu.partner_tenant["id"])
    body = assert_aad_error(response, 400, "invalid_grant", code)
    assert body["suberror"] == "basic_action" and f"'{PC_APP_ID}'" in body["error_description"]
    challenge = json.loads(body["claims"])
    assert challenge["access_token"]["capolids"]["essential"] is True
    assert len(challenge["access_token"]["capolids"]["values"]) == 1
    # The library hands the challenge to the caller on its error.
    error = protocol.parse_error_response(400, response.headers, response.content, now=0)
    assert isinstance(error, InvalidGrantError)
    assert error.claims == body["claims"] and error.suberror == "basic_action"


def test_conditional_access_user_without_mfa_at_sign_in_gets_the_challenge(
    emu: Emulator, web: httpx.Client
) -> None:
    """A flagged user whose tenant skips MFA signs in, then every token is refused with the
    challenge; the same flagged user with MFA at sign-in gets tokens."""
    tenant = "lax.onmicrosoft.com"
    flow = _device_flow(web, emu, version=2, tenant=tenant)
    _approve(web, emu, flow["user_code"], CA_LAX)
    form = {"grant_type": DEVICE_URN, "client_id": _cli(emu), "device_code": flow["device_code"]}
    body = assert_aad_error(
        web.post(f"/{tenant}/oauth2/v2.0/token", data=form), 400, "invalid_grant", 50076
    )
    assert "capolids" in body["claims"]
    partner = emu.partner_tenant["id"]
    flow = _device_flow(web, emu, version=2, tenant=partner)
    _approve(web, emu, flow["user_code"], CA_MFA)
    form = {"grant_type": DEVICE_URN, "client_id": _cli(emu), "device_code": flow["device_code"]}
    assert web.post(f"/{partner}/oauth2/v2.0/token", data=form).status_code == 200


# -- 8.8 claims --------------------------------------------------------------------------------


def test_v2_shaped_tokens_carry_no_v1_only_claims(emu: Emulator, web: httpx.Client) -> None:
    tenant = emu.partner_tenant["id"]
    flow = _device_flow(web, emu, version=2, tenant=tenant, scope="api://modern/read openid")
    _approve(web, emu, flow["user_code"], "admin@contosopartner.onmicrosoft.com")
    form = {"grant_type": DEVICE_URN, "client_id": _cli(emu), "device_code": flow["device_code"]}
    body = web.post(f"/{tenant}/oauth2/v2.0/token", data=form).json()
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["ver"] == "2.0" and claims["azp"] == _cli(emu) and claims["scp"] == "read"
    for v1_only in ("amr", "acr", "ipaddr", "puid", "unique_name", "upn", "appid", "idtyp"):
        assert v1_only not in claims, v1_only
    assert claims["preferred_username"] == "admin@contosopartner.onmicrosoft.com"
    assert "x5t" not in jwt.get_unverified_header(body["access_token"])


def test_idtyp_is_an_opt_in_optional_claim(pc_emulator_factory: EmulatorFactory) -> None:
    config = {"settings": {"idtyp_claim": True}}
    with pc_emulator_factory.private(config, plugin_settings=False) as e:
        with httpx.Client(base_url=e.base_url, verify=e.verify) as c:
            token = _app_only(c, e)["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["idtyp"] == "app"


# -- 8.9 error texts ---------------------------------------------------------------------------


def test_expired_secret_text_has_both_links(emu: Emulator, web: httpx.Client) -> None:
    app = emu.app("expired-secret-app")
    form = {
        "grant_type": "client_credentials",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "scope": PC_DEFAULT_SCOPE,
    }
    response = web.post(f"/{emu.partner_tenant['id']}/oauth2/v2.0/token", data=form)
    body = assert_aad_error(response, 401, "invalid_client", 7000222)
    text = body["error_description"].split("\r\n")[0]
    assert text == (
        f"AADSTS7000222: The provided client secret keys for app '{app['client_id']}' are "
        "expired. Visit the Azure portal to create new keys for your app: "
        "https://aka.ms/NewClientSecret, or consider using certificate credentials for added "
        "security: https://aka.ms/certCreds."
    )


def test_inactive_refresh_token_text_names_the_90_day_timespan(
    pc_emulator_factory: EmulatorFactory,
) -> None:
    config = {"settings": {"device_code_interval": 1}}
    with pc_emulator_factory.private(config, plugin_settings=False) as e:
        with httpx.Client(base_url=e.base_url, verify=e.verify, timeout=10) as c:
            tenant = e.partner_tenant["id"]
            flow = _device_flow(c, e, version=2, tenant=tenant)
            _approve(c, e, flow["user_code"], "admin@contosopartner.onmicrosoft.com")
            code = flow["device_code"]
            form = {"grant_type": DEVICE_URN, "client_id": _cli(e), "device_code": code}
            refresh = c.post(f"/{tenant}/oauth2/v2.0/token", data=form).json()["refresh_token"]
            e.advance_clock(91 * 86400)
            response = c.post(
                f"/{tenant}/oauth2/v2.0/token",
                data={
                    "grant_type": "refresh_token",
                    "client_id": _cli(e),
                    "refresh_token": refresh,
                    "scope": PC_USER_SCOPE,
                },
            )
    body = assert_aad_error(response, 400, "invalid_grant", 700082)
    text = body["error_description"].split("\r\n")[0]
    assert text.startswith(
        "AADSTS700082: The refresh token has expired due to inactivity. The token was issued on "
    )
    assert text.endswith("and was inactive for 90.00:00:00.")
    issued = text.split("issued on ")[1].split(" and")[0]
    assert len(issued) == len("2026-11-30T17:54:49.1234567Z") and issued.endswith("Z")


# -- 9.15 the Host header is never trusted -------------------------------------------------------


def test_assertion_audience_is_checked_against_the_configured_base_url(
    emu: Emulator, web: httpx.Client
) -> None:
    app, tenant = emu.app("partner-center-app"), emu.partner_tenant["id"]
    path = f"/{tenant}/oauth2/v2.0/token"

    def form(audience: str) -> dict[str, str]:
        return {
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_assertion_type": JWT_BEARER,
            "client_assertion": make_assertion(app, audience),
            "scope": PC_DEFAULT_SCOPE,
        }

    forged = {"Host": "evil.example"}
    refused = web.post(path, data=form(f"https://evil.example{path}"), headers=forged)
    assert_aad_error(refused, 401, "invalid_client", 700023)
    assert web.post(path, data=form(emu.base_url + path), headers=forged).status_code == 200
    # The loopback names of the same port are the same authority.
    port = emu.base_url.rsplit(":", 1)[1]
    alias = f"https://localhost:{port}{path}"
    assert web.post(path, data=form(alias)).status_code == 200


def test_device_code_url_and_issuer_ignore_the_host_header(
    emu: Emulator, web: httpx.Client
) -> None:
    tenant = emu.partner_tenant["id"]
    forged = {"Host": "evil.example"}
    flow = web.post(
        f"/{tenant}/oauth2/v2.0/devicecode",
        data={"client_id": _cli(emu), "scope": PC_USER_SCOPE},
        headers=forged,
    ).json()
    assert flow["verification_uri"] == f"{emu.base_url}/devicelogin"
    error = web.post(f"/{tenant}/oauth2/v2.0/token", data={}, headers=forged).json()
    assert error["error_uri"].startswith(emu.base_url)


# -- 9.10 the replay cache -----------------------------------------------------------------------


def test_replay_cache_detects_replays_and_caps_an_absurd_exp() -> None:
    cache = ReplayCache(max_seconds=600)
    assert cache.add("a", keep_until=1e18, now=0)
    assert not cache.add("a", keep_until=1e18, now=599)
    # Remembered no longer than the cap, whatever exp claimed.
    assert cache.add("b", keep_until=700, now=601)
    assert len(cache) == 1 and cache.add("a", keep_until=1e18, now=601)


def test_replay_cache_stays_bounded_and_cheap_past_10000_ids() -> None:
    cache = ReplayCache(max_seconds=60, max_ids=50_000)
    start = time.perf_counter()
    for i in range(100_000):
        now = i / 100  # 100 assertions a second, each valid for 10 s
        assert cache.add(f"jti-{i}", keep_until=now + 10, now=now)
    elapsed = time.perf_counter() - start
    assert len(cache) <= 1_001  # only the last 10 s are remembered
    # The old cache rebuilt a dict on every add past 10,000 ids (minutes for this loop).
    assert elapsed < 5, elapsed
    flood = ReplayCache(max_seconds=3600, max_ids=1_000)
    for i in range(5_000):
        flood.add(f"x{i}", keep_until=3600, now=0)
    assert len(flood) <= 1_000


def test_userinfo_describes_the_signed_in_user(emu: Emulator, web: httpx.Client) -> None:
    tenant = emu.partner_tenant["id"]
    doc = web.get(f"/{tenant}/v2.0/.well-known/openid-configuration").json()
    flow = _device_flow(web, emu, version=2, tenant=tenant)
    _approve(web, emu, flow["user_code"], "admin@contosopartner.onmicrosoft.com")
    form = {"grant_type": DEVICE_URN, "client_id": _cli(emu), "device_code": flow["device_code"]}
    body = web.post(f"/{tenant}/oauth2/v2.0/token", data=form).json()
    answer = web.get(
        doc["userinfo_endpoint"], headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert answer.status_code == 200, answer.text
    info = answer.json()
    id_claims = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert info["sub"] == id_claims["sub"]
    assert info["email"] == "admin@contosopartner.onmicrosoft.com" and info["name"]
