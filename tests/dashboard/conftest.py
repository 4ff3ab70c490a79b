"""An emulator whose directory holds hostile names (markup in UPNs, names and scopes), for the
dashboard tests: whatever the page shows of them must stay text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from partnercenter.emulator import Emulator
from partnercenter.testing import EmulatorFactory

from ..emulator.signin_driver import Page, pkce, redirect_params
from ..emulator.signin_driver import sign_in as pages_sign_in

#: Markup that would run if any of these names reached the page as HTML.
HOSTILE = '<img src=x onerror="window.pwned=1">'
HOSTILE_UPN = "<svg onload=window.pwned=2>@contosopartner.onmicrosoft.com"

CONFIG: dict[str, Any] = {
    "tenants": [{"name": "Evil <script>window.pwned=3</script>", "domains": ["evil.example"]}],
    "apps": [{"name": f"app {HOSTILE}", "secrets": [{"value": "hostile-app-secret"}]}],
    "users": [
        {"upn": HOSTILE_UPN, "password": "pw-hostile", "display_name": f"Eve {HOSTILE}"},
    ],
}


@pytest.fixture(scope="module")
def emulator(pc_emulator_factory: EmulatorFactory) -> Emulator:
    """The hostile directory's emulator, reset when a module starts (as a new one would be)."""
    emu = pc_emulator_factory(CONFIG)
    emu.reset()
    return emu


@pytest.fixture()
def client(emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.base_url, verify=emulator.verify, timeout=10) as c:
        yield c


def sign_in(client: httpx.Client, key: str) -> str:
    """Sign the client in to the dashboard; returns the page's CSRF token."""
    response = client.post("/_emulator/ui/login", data={"admin_key": key})
    assert response.status_code == 303, response.text[:300]
    page = client.get("/_emulator/ui")
    marker = 'data-csrf="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


def app_token(emulator: Emulator, client: httpx.Client, **extra: str) -> httpx.Response:
    app = emulator.app("partner-center-app")
    data = {
        "grant_type": "client_credentials",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "scope": "https://api.partnercenter.microsoft.com/.default",
        **extra,
    }
    return client.post(f"/{emulator.partner_tenant['id']}/oauth2/v2.0/token", data=data)


def user_tokens(emulator: Emulator, client: httpx.Client, upn: str) -> dict[str, Any]:
    """Sign ``upn`` in through the authorization-code pages (TOTP when registered, consent)
    and redeem the code: the token response (access, refresh and id tokens)."""
    user = next(u for u in emulator.users if u["upn"] == upn)
    app = emulator.app("partner-center-cli")
    tenant = emulator.partner_tenant["id"]
    verifier, challenge = pkce()
    params = {
        "client_id": app["client_id"],
        "response_type": "code",
        "redirect_uri": "http://localhost",
        "scope": "https://api.partnercenter.microsoft.com/user_impersonation offline_access",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "dashboard-test",
    }
    page = Page(client.get(f"/{tenant}/oauth2/v2.0/authorize", params=params))
    done = pages_sign_in(client, page, user, mfa=user.get("totp_secret") is not None, emu=emulator)
    code = redirect_params(done.response)["code"]
    response = client.post(
        f"/{tenant}/oauth2/v2.0/token",
        data={
            "grant_type": "authorization_code",
            "client_id": app["client_id"],
            "code": code,
            "redirect_uri": "http://localhost",
            "code_verifier": verifier,
        },
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result
