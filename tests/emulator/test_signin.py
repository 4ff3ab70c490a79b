"""Sign-in on the wire: authorization code + PKCE, MFA, consent, device code, refresh tokens,
the password grant, id tokens and client_info (pages driven by plain form posts; the browser
end-to-end tests live in tests/signin)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
import pytest

from partnercenter.emulator import Emulator
from partnercenter.testing import next_totp

from .signin_driver import PC_USER_SCOPE, Page, pkce, redirect_params, sign_in, step
from .test_token_endpoint import assert_aad_error

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REDIRECT = "http://localhost:8765/callback"


# The module's emulator (``emu``): a fast device-code interval and a tenant whose policy skips
# MFA, over the emulator's own defaults.
pytestmark = pytest.mark.partnercenter_data(
    {
        "settings": {"device_code_interval": 1},
        "tenants": [{"name": "Lax", "domains": ["lax.onmicrosoft.com"], "mfa": "skip"}],
        "users": [
            {
                "upn": "dev@lax.onmicrosoft.com",
                "password": "pw",
                "totp_secret": "JBSWY3DPEHPK3PXPJBSWY3DP",
            },
            # Used by one test only, so it has never consented to anything.
            {"upn": "fresh@lax.onmicrosoft.com", "password": "pw"},
        ],
    },
    plugin_settings=False,
)


@pytest.fixture()
def web(emu: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.base_url, verify=emu.verify, timeout=10) as c:
        yield c


def user(emu: Emulator, upn: str) -> dict[str, Any]:
    return next(u for u in emu.users if u["upn"] == upn)


ADMIN = "admin@contosopartner.onmicrosoft.com"
AGENT = "agent@contosopartner.onmicrosoft.com"


def authorize(
    web: httpx.Client,
    emu: Emulator,
    app: dict[str, Any],
    *,
    challenge: str,
    version: int = 2,
    **extra: str,
) -> Page:
    tenant = emu.partner_tenant["id"]
    params = {
        "client_id": app["client_id"],
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "state": "st-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "nonce": "n-456",
        **extra,
    }
    if version == 2:
        params.setdefault("scope", f"{PC_USER_SCOPE} offline_access openid profile")
        path = f"/{tenant}/oauth2/v2.0/authorize"
    else:
        params.setdefault("resource", "https://api.partnercenter.microsoft.com")
        path = f"/{tenant}/oauth2/authorize"
    return Page(web.get(path, params=params))


def redeem(
    web: httpx.Client,
    emu: Emulator,
    app: dict[str, Any],
    code: str,
    verifier: str,
    version: int = 2,
    **extra: str,
) -> httpx.Response:
    tenant = emu.partner_tenant["id"]
    path = f"/{tenant}/oauth2/v2.0/token" if version == 2 else f"/{tenant}/oauth2/token"
    form = {
        "grant_type": "authorization_code",
        "client_id": app["client_id"],
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        "client_info": "1",
        **extra,
    }
    if app.get("client_secret"):
        form["client_secret"] = app["client_secret"]
    return web.post(path, data=form)


def claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_code_flow_with_mfa_and_consent(emu: Emulator, web: httpx.Client) -> None:
    app = emu.app("partner-center-cli")
    verifier, challenge = pkce()
    page = authorize(web, emu, app, challenge=challenge)
    assert page.has("username") and page.has("password") and page.has("submit")
    page = step(web, page, "signin", username=ADMIN, password=user(emu, ADMIN)["password"])
    assert page.has("otc")
    page = step(web, page, "mfa", otc=next_totp(emu, ADMIN))
    assert page.has("accept") and page.has("decline")
    assert "partner-center-cli" in page.text and "user_impersonation" in page.text
    params = redirect_params(step(web, page, "consent", action="accept").response)
    assert params["state"] == "st-123" and params["code"]
    body = redeem(web, emu, app, params["code"], verifier).json()
    assert set(body) == {
        "token_type",
        "scope",
        "expires_in",
        "ext_expires_in",
        "access_token",
        "refresh_token",
        "id_token",
        "client_info",
    }
    assert body["scope"] == f"{PC_USER_SCOPE} openid profile"
    access = claims(body["access_token"])
    assert access["amr"] == ["pwd", "mfa"] and "idtyp" not in access  # optional claim
    assert access["scp"] == "user_impersonation" and access["upn"] == ADMIN
    assert access["aud"] == "https://api.partnercenter.microsoft.com"
    assert access["appidacr"] == "0" and access["ver"] == "1.0"
    id_token = claims(body["id_token"])
    assert id_token["aud"] == app["client_id"] and id_token["nonce"] == "n-456"
    assert id_token["iss"] == f"{emu.base_url}/{emu.partner_tenant['id']}/v2.0"
    assert id_token["preferred_username"] == ADMIN
    info = json.loads(base64.urlsafe_b64decode(body["client_info"] + "=="))
    assert info == {"uid": access["oid"], "utid": emu.partner_tenant["id"]}


def test_consent_is_remembered_and_prompt_consent_asks_again(
    emu: Emulator, web: httpx.Client
) -> None:
    app = emu.app("partner-center-app")
    _, challenge = pkce()
    first = sign_in(web, authorize(web, emu, app, challenge=challenge), user(emu, ADMIN), emu=emu)
    assert first.response.status_code == 302
    again = sign_in(
        web, authorize(web, emu, app, challenge=challenge), user(emu, ADMIN), accept=None, emu=emu
    )
    assert again.response.status_code == 302, "consent should have been remembered"
    asked = sign_in(
        web,
        authorize(web, emu, app, challenge=challenge, prompt="consent"),
        user(emu, ADMIN),
        accept=None,
        emu=emu,
    )
    assert asked.has("accept")


def test_confidential_app_code_flow_v1(emu: Emulator, web: httpx.Client) -> None:
    app = emu.app("partner-center-app")
    verifier, challenge = pkce()
    page = sign_in(
        web, authorize(web, emu, app, challenge=challenge, version=1), user(emu, ADMIN), emu=emu
    )
    code = redirect_params(page.response)["code"]
    response = redeem(
        web, emu, app, code, verifier, version=1, resource="https://api.partnercenter.microsoft.com"
    )
    body = response.json()
    assert response.status_code == 200, body
    assert 3600 <= int(body["expires_in"]) <= 5400 and body["scope"] == "user_impersonation"
    assert body["resource"] == "https://api.partnercenter.microsoft.com"
    assert claims(body["access_token"])["appidacr"] == "1"
    assert claims(body["id_token"])["iss"] == f"https://sts.windows.net/{emu.partner_tenant['id']}/"


def test_code_is_single_use_and_checks_pkce(emu: Emulator, web: httpx.Client) -> None:
    app = emu.app("partner-center-cli")
    verifier, challenge = pkce()
    code = redirect_params(
        sign_in(
            web, authorize(web, emu, app, challenge=challenge), user(emu, ADMIN), emu=emu
        ).response
    )["code"]
    assert_aad_error(redeem(web, emu, app, code, "wrong-verifier"), 400, "invalid_grant", 501481)
    # The failed attempt spent the code: Azure AD's codes are single-use.
    assert_aad_error(redeem(web, emu, app, code, verifier), 400, "invalid_grant", 54005)
    code = redirect_params(
        sign_in(
            web, authorize(web, emu, app, challenge=challenge), user(emu, ADMIN), emu=emu
        ).response
    )["code"]
    assert redeem(web, emu, app, code, verifier).status_code == 200
    assert_aad_error(redeem(web, emu, app, code, verifier), 400, "invalid_grant", 54005)
    assert_aad_error(redeem(web, emu, app, "nonsense", verifier), 400, "invalid_grant", 70000)


def test_code_expires(emu: Emulator, web: httpx.Client) -> None:
    app = emu.app("partner-center-cli")
    verifier, challenge = pkce()
    code = redirect_params(
        sign_in(
            web, authorize(web, emu, app, challenge=challenge), user(emu, ADMIN), emu=emu
        ).response
    )["code"]
    emu.advance_clock(601)
    try:
        assert_aad_error(redeem(web, emu, app, code, verifier), 400, "invalid_grant", 70008)
    finally:
        emu.reset_clock()


def test_form_post_response_mode(emu: Emulator, web: httpx.Client) -> None:
    app = emu.app("partner-center-cli")
    _, challenge = pkce()
    page = sign_in(
        web,
        authorize(web, emu, app, challenge=challenge, response_mode="form_post"),
        user(emu, ADMIN),
        emu=emu,
    )
    assert page.response.status_code == 200
    assert page.action == REDIRECT and page.field("state") == "st-123" and page.field("code")


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://localhost:54321/", "http://localhost:1", "http://LOCALHOST:8080/callback"],
)
def test_loopback_redirect_any_port(emu: Emulator, web: httpx.Client, redirect_uri: str) -> None:
    app = emu.app("partner-center-cli")
    _, challenge = pkce()
    page = authorize(web, emu, app, challenge=challenge, redirect_uri=redirect_uri)
    assert page.has("username")


@pytest.mark.parametrize(
    ("redirect_uri", "code"),
    [("https://evil.example/callback", 50011), ("http://localhost:99999999/", 50011)],
)
def test_unregistered_redirect_is_an_error_page_not_a_redirect(
    emu: Emulator, web: httpx.Client, redirect_uri: str, code: int
) -> None:
    app = emu.app("partner-center-cli")
    _, challenge = pkce()
    page = authorize(web, emu, app, challenge=challenge, redirect_uri=redirect_uri)
    assert page.response.status_code == 400
    assert f"AADSTS{code}" in page.text and "location" not in page.response.headers


def test_errors_after_the_redirect_is_trusted_go_back_to_the_app(
    emu: Emulator, web: httpx.Client
) -> None:
    app = emu.app("partner-center-cli")
    _, challenge = pkce()
    params = redirect_params(
        authorize(web, emu, app, challenge=challenge, scope="https://nope.example/x").response
    )
    assert params["error"] == "invalid_resource" and params["state"] == "st-123"
    assert params["error_description"].startswith("AADSTS500011")
    params = redirect_params(
        authorize(web, emu, app, challenge=challenge, response_type="token").response
    )
    assert params["error"] == "unsupported_response_type"
    params = redirect_params(authorize(web, emu, app, challenge=challenge, prompt="none").response)
    assert params["error"] == "interaction_required"


def test_consent_declined(emu: Emulator, web: httpx.Client) -> None:
    app = emu.app("partner-center-cli")
    _, challenge = pkce()
    page = sign_in(
        web,
        authorize(web, emu, app, challenge=challenge, prompt="consent"),
        user(emu, ADMIN),
        accept=False,
        emu=emu,
    )
    params = redirect_params(page.response)
    assert params["error"] == "access_denied"
    assert params["error_description"].startswith("AADSTS65004")


def test_sign_in_errors_are_inline(emu: Emulator, web: httpx.Client) -> None:
    app = emu.app("partner-center-cli")
    _, challenge = pkce()
    page = authorize(web, emu, app, challenge=challenge)
    bad_user = step(
        web, page, "signin", username="nobody@contosopartner.onmicrosoft.com", password="x"
    )
    assert bad_user.error and bad_user.error.startswith("AADSTS50034")
    bad_password = step(web, bad_user, "signin", username=ADMIN, password="wrong")
    assert bad_password.error and bad_password.error.startswith("AADSTS50126")
    mfa = step(web, bad_password, "signin", username=ADMIN, password=user(emu, ADMIN)["password"])
    wrong = step(web, mfa, "mfa", otc="000000")
    assert wrong.error and "AADSTS500121" in wrong.error and wrong.has("otc")
    expired = Page(web.post(page.action, data={"flow": "forged", "step": "signin"}))
    assert expired.response.status_code == 400 and "expired or is unknown" in expired.text


def test_user_without_mfa_gets_tokens_without_mfa(emu: Emulator, web: httpx.Client) -> None:
    app = emu.app("partner-center-cli")
    verifier, challenge = pkce()
    page = sign_in(web, authorize(web, emu, app, challenge=challenge), user(emu, AGENT), emu=emu)
    body = redeem(web, emu, app, redirect_params(page.response)["code"], verifier).json()
    assert claims(body["access_token"])["amr"] == ["pwd"]


def test_tenant_policy_can_skip_mfa(emu: Emulator, web: httpx.Client) -> None:
    app = emu.app("partner-center-cli")
    verifier, challenge = pkce()
    page = Page(
        web.get(
            "/lax.onmicrosoft.com/oauth2/v2.0/authorize",
            params={
                "client_id": app["client_id"],
                "response_type": "code",
                "redirect_uri": REDIRECT,
                "scope": f"{PC_USER_SCOPE} offline_access",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )
    )
    page = step(web, page, "signin", username="dev@lax.onmicrosoft.com", password="pw")
    assert not page.has("otc"), "the tenant's policy skips MFA"
    page = step(web, page, "consent", action="accept")
    code = redirect_params(page.response)["code"]
    body = web.post(
        "/lax.onmicrosoft.com/oauth2/v2.0/token",
        data={
            "grant_type": "authorization_code",
            "client_id": app["client_id"],
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
    ).json()
    assert claims(body["access_token"])["amr"] == ["pwd"]


def _device(
    web: httpx.Client, emu: Emulator, version: int = 2, tenant: str | None = None
) -> dict[str, Any]:
    app = emu.app("partner-center-cli")
    tenant = tenant or emu.partner_tenant["id"]
    if version == 2:
        response = web.post(
            f"/{tenant}/oauth2/v2.0/devicecode",
            data={"client_id": app["client_id"], "scope": f"{PC_USER_SCOPE} offline_access openid"},
        )
    else:
        response = web.post(
            f"/{tenant}/oauth2/devicecode",
            data={
                "client_id": app["client_id"],
                "resource": "https://api.partnercenter.microsoft.com",
            },
        )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _poll(
    web: httpx.Client, emu: Emulator, device_code: str, tenant: str | None = None
) -> httpx.Response:
    return web.post(
        f"/{tenant or emu.partner_tenant['id']}/oauth2/v2.0/token",
        data={
            "grant_type": DEVICE_GRANT,
            "client_id": emu.app("partner-center-cli")["client_id"],
            "device_code": device_code,
            "code": device_code,
        },
    )


def _devicelogin(web: httpx.Client, user_code: str) -> Page:
    start = Page(web.get("/devicelogin"))
    assert start.has("otc")
    return Page(web.post(start.action, data={"otc": user_code}))


def test_device_code_flow(emu: Emulator, web: httpx.Client) -> None:
    flow = _device(web, emu)
    assert set(flow) == {
        "user_code",
        "device_code",
        "verification_uri",
        "expires_in",
        "interval",
        "message",
    }
    assert flow["verification_uri"] == f"{emu.base_url}/devicelogin"
    assert flow["expires_in"] == 900 and flow["interval"] == 1
    assert flow["user_code"] in flow["message"] and flow["verification_uri"] in flow["message"]
    assert_aad_error(_poll(web, emu, flow["device_code"]), 400, "authorization_pending", 70016)
    slow = _poll(web, emu, flow["device_code"])
    assert slow.json()["error"] == "slow_down"
    page = sign_in(web, _devicelogin(web, flow["user_code"]), user(emu, ADMIN), emu=emu)
    assert "You may now close this window" in page.text
    time.sleep(1)
    body = _poll(web, emu, flow["device_code"]).json()
    assert claims(body["access_token"])["amr"] == ["pwd", "mfa"] and body["refresh_token"]
    time.sleep(1)
    assert_aad_error(_poll(web, emu, flow["device_code"]), 400, "invalid_grant", 54005)


def test_device_code_v1_shape(emu: Emulator, web: httpx.Client) -> None:
    flow = _device(web, emu, version=1)
    assert flow["verification_url"].endswith("/devicelogin")
    assert flow["expires_in"] == "900" and flow["interval"] == "1"


def test_device_code_declined_expired_and_bad(emu: Emulator, web: httpx.Client) -> None:
    # A user who never consented to the app, signing in through 'organizations'.
    flow = _device(web, emu, tenant="organizations")
    page = sign_in(
        web,
        _devicelogin(web, flow["user_code"]),
        user(emu, "fresh@lax.onmicrosoft.com"),
        accept=False,
        emu=emu,
    )
    assert "declined" in page.text
    assert_aad_error(
        _poll(web, emu, flow["device_code"], "organizations"), 400, "authorization_declined", 65004
    )
    wrong = _devicelogin(web, "NOTACODE")
    assert wrong.error and "didn't work" in wrong.error
    assert_aad_error(_poll(web, emu, "not-a-device-code"), 400, "bad_verification_code", 70018)
    later = _device(web, emu)
    emu.advance_clock(901)
    try:
        assert_aad_error(_poll(web, emu, later["device_code"]), 400, "expired_token", 70019)
    finally:
        emu.reset_clock()


def _refresh(
    web: httpx.Client, emu: Emulator, token: str, tenant: str | None = None, **extra: str
) -> httpx.Response:
    return web.post(
        f"/{tenant or emu.partner_tenant['id']}/oauth2/v2.0/token",
        data={
            "grant_type": "refresh_token",
            "client_id": emu.app("partner-center-cli")["client_id"],
            "refresh_token": token,
            "scope": f"{PC_USER_SCOPE} offline_access",
            **extra,
        },
    )


def _user_tokens(emu: Emulator, web: httpx.Client, who: str = ADMIN) -> dict[str, Any]:
    app = emu.app("partner-center-cli")
    verifier, challenge = pkce()
    page = sign_in(web, authorize(web, emu, app, challenge=challenge), user(emu, who), emu=emu)
    return dict(redeem(web, emu, app, redirect_params(page.response)["code"], verifier).json())


def test_refresh_token_rotation_keeps_the_sign_in_amr(emu: Emulator, web: httpx.Client) -> None:
    first = _user_tokens(emu, web)
    second = _refresh(web, emu, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert claims(second["access_token"])["amr"] == ["pwd", "mfa"]
    third = _refresh(web, emu, second["refresh_token"]).json()
    assert third["refresh_token"] not in (first["refresh_token"], second["refresh_token"])


def test_refresh_token_at_a_customer_tenant(emu: Emulator, web: httpx.Client) -> None:
    tokens = _user_tokens(emu, web)
    customer = emu.customer_tenants[0]
    body = _refresh(web, emu, tokens["refresh_token"], tenant=customer["domain"]).json()
    access = claims(body["access_token"])
    assert access["tid"] == customer["id"]
    assert access["idp"] == f"https://sts.windows.net/{emu.partner_tenant['id']}/"


def test_refresh_token_expires_after_90_days_unused(emu: Emulator, web: httpx.Client) -> None:
    tokens = _user_tokens(emu, web)
    emu.advance_clock(89 * 86400)
    try:
        fresh = _refresh(web, emu, tokens["refresh_token"]).json()["refresh_token"]
        emu.advance_clock(2 * 86400)
        body = assert_aad_error(
            _refresh(web, emu, tokens["refresh_token"]), 400, "invalid_grant", 700082
        )
        assert body["suberror"] == "bad_token"
        assert _refresh(web, emu, fresh).status_code == 200, "the rotated token is 2 days old"
    finally:
        emu.reset_clock()


def test_revoked_grants(emu: Emulator, web: httpx.Client) -> None:
    tokens = _user_tokens(emu, web, AGENT)
    assert emu.revoke_user(AGENT) >= 1
    assert_aad_error(_refresh(web, emu, tokens["refresh_token"]), 400, "invalid_grant", 50173)


def test_refresh_token_errors(emu: Emulator, web: httpx.Client) -> None:
    assert_aad_error(_refresh(web, emu, "garbage"), 400, "invalid_grant", 9002313)
    tokens = _user_tokens(emu, web)
    other = web.post(
        f"/{emu.partner_tenant['id']}/oauth2/v2.0/token",
        data={
            "grant_type": "refresh_token",
            "client_id": emu.app("partner-center-app")["client_id"],
            "client_secret": emu.app("partner-center-app")["client_secret"],
            "refresh_token": tokens["refresh_token"],
            "scope": PC_USER_SCOPE,
        },
    )
    assert_aad_error(other, 400, "invalid_grant", 70000)
    graph = _refresh(
        web, emu, tokens["refresh_token"], scope="https://graph.microsoft.com/User.Read"
    )
    assert_aad_error(graph, 400, "invalid_grant", 65001)


def test_password_grant(emu: Emulator, web: httpx.Client) -> None:
    app = emu.app("partner-center-cli")
    form = {
        "grant_type": "password",
        "client_id": app["client_id"],
        "scope": f"{PC_USER_SCOPE} offline_access",
    }
    tenant = emu.partner_tenant["id"]
    mfa_user = {**form, "username": ADMIN, "password": user(emu, ADMIN)["password"]}
    body = assert_aad_error(
        web.post(f"/{tenant}/oauth2/v2.0/token", data=mfa_user), 400, "invalid_grant", 50076
    )
    assert "multi-factor" in body["error_description"]
    wrong = {**form, "username": AGENT, "password": "nope"}
    assert_aad_error(
        web.post(f"/{tenant}/oauth2/v2.0/token", data=wrong), 400, "invalid_grant", 50126
    )
    _user_tokens(emu, web, AGENT)  # consent first, as the password grant cannot ask for it
    ok = web.post(
        f"/{tenant}/oauth2/v2.0/token",
        data={**form, "username": AGENT, "password": user(emu, AGENT)["password"]},
    )
    assert ok.status_code == 200, ok.text
    assert claims(ok.json()["access_token"])["amr"] == ["pwd"]


def test_authorize_page_survives_junk(emu: Emulator, web: httpx.Client) -> None:
    for params in (
        {},
        {"client_id": "x"},
        {"client_id": "0" * 36},
        {"client_id": emu.app("partner-center-cli")["client_id"], "redirect_uri": "http://[::1"},
    ):
        response = web.get(f"/{emu.partner_tenant['id']}/oauth2/v2.0/authorize", params=params)
        assert response.status_code == 400 and "AADSTS" in response.text
    assert web.get("/nowhere.example/oauth2/v2.0/authorize").status_code == 400
    assert urlsplit(emu.base_url).scheme == "https" and Path(emu.ca_cert or "").exists()
