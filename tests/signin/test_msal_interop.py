"""MSAL Python against the emulator's sign-in, unchanged: ``PublicClientApplication``'s device
flow and ``ConfidentialClientApplication``'s authorization-code flow (with PKCE and state, as
MSAL builds them), accounts from ``client_info``, silent refresh, and a refresh token MSAL got
redeemed by this library's RefreshTokenCredential."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from partnercenter import Cloud, RefreshTokenCredential
from partnercenter.emulator import Emulator

from .signin_pages import User, authenticator, device_login, form_post_params, form_sign_in

msal = pytest.importorskip("msal")

ADMIN = "admin@contosopartner.onmicrosoft.com"
PC_SCOPE = "https://api.partnercenter.microsoft.com/user_impersonation"
REDIRECT = "http://localhost:8765/callback"


@pytest.fixture()
def closing() -> Iterator[list[Any]]:
    """MSAL apps to close after the test: their keep-alive connections would otherwise
    outlive the emulator."""
    apps: list[Any] = []
    yield apps
    for app in apps:
        app.http_client.close()


@pytest.fixture(autouse=True)
def _requests_honours_verify(monkeypatch: pytest.MonkeyPatch) -> None:
    # These make requests (under MSAL) ignore verify=, and so distrust the emulator's CA.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


def admin(emu: Emulator) -> User:
    return User.of(next(u for u in emu.users if u["upn"] == ADMIN))


def authority(emu: Emulator) -> str:
    return f"{emu.base_url}/{emu.partner_tenant['id']}"


def test_public_client_device_flow(emu: Emulator, closing: list[Any]) -> None:
    app_info = emu.app("partner-center-cli")
    assert emu.ca_cert is not None
    app = msal.PublicClientApplication(
        app_info["client_id"],
        authority=authority(emu),
        instance_discovery=False,
        verify=emu.ca_cert,
    )
    closing.append(app)
    flow = app.initiate_device_flow(scopes=[PC_SCOPE])
    assert flow.get("user_code"), flow
    assert flow["verification_uri"] == f"{emu.base_url}/devicelogin"
    person = admin(emu)
    pages: list[str] = []

    def user_signs_in() -> None:
        with httpx.Client(verify=emu.verify, timeout=10) as web:
            uri, code = flow["verification_uri"], flow["user_code"]
            pages.append(device_login(web, uri, code, person, authenticator(emu, person)))

    thread = threading.Thread(target=user_signs_in)
    thread.start()
    result = app.acquire_token_by_device_flow(flow)  # polls until the user is done
    thread.join(30)
    assert "access_token" in result, result
    assert "refresh_token" in result and result["id_token_claims"]["aud"] == app_info["client_id"]
    assert "You may now close this window" in pages[0]
    (account,) = app.get_accounts()
    assert account["username"] == ADMIN
    assert account["home_account_id"].endswith("." + emu.partner_tenant["id"])  # client_info
    silent = app.acquire_token_silent([PC_SCOPE], account=account, force_refresh=True)
    assert silent and "access_token" in silent, silent

    # A refresh token MSAL obtained is redeemed by this library as well (and rotated).
    cloud = Cloud.custom(authority_host=emu.base_url, api_root=emu.base_url, name="emulator")
    with RefreshTokenCredential(
        emu.partner_tenant["id"],
        app_info["client_id"],
        result["refresh_token"],
        cloud=cloud,
        verify=emu.ca_cert,
    ) as credential:
        token = credential.get_token()
        assert token.has_mfa and token.user_principal_name == ADMIN
        assert credential.store.load(credential.store_key) != result["refresh_token"]


def test_confidential_client_auth_code_flow(emu: Emulator, closing: list[Any]) -> None:
    app_info = emu.app("partner-center-app")
    assert emu.ca_cert is not None
    app = msal.ConfidentialClientApplication(
        app_info["client_id"],
        client_credential=app_info["client_secret"],
        authority=authority(emu),
        instance_discovery=False,
        verify=emu.ca_cert,
    )
    closing.append(app)
    flow = app.initiate_auth_code_flow(
        [PC_SCOPE], redirect_uri=REDIRECT, login_hint=ADMIN, response_mode="form_post"
    )
    assert "code_challenge=" in flow["auth_uri"] and "state=" in flow["auth_uri"]
    with httpx.Client(verify=emu.verify, timeout=10) as web:
        page = web.get(flow["auth_uri"])
        assert page.status_code == 200 and 'id="username"' in page.text
        final: Any = form_sign_in(web, page, admin(emu), authenticator(emu, admin(emu)))
    target, params = form_post_params(final)
    assert target == REDIRECT and params["state"] == flow["state"]
    result = app.acquire_token_by_auth_code_flow(flow, params)
    assert "access_token" in result, result
    assert "mfa" in result["id_token_claims"].get("amr", ["mfa"])
    (account,) = app.get_accounts()
    assert account["username"] == ADMIN
    silent = app.acquire_token_silent([PC_SCOPE], account=account, force_refresh=True)
    assert silent and "access_token" in silent, silent
