"""The dashboard in headless Chromium (Debian's /usr/bin/chromium through Playwright): sign-in,
the tables, the live log updating as requests arrive, the decoder, the controls, and hostile
names that must stay text. Screenshots go to the test's tmp_path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from partnercenter.emulator import Emulator

from ..emulator_support import mint
from ..signin.signin_pages import CHROMIUM, CHROMIUM_ARGS
from .conftest import HOSTILE_UPN, app_token, user_tokens

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs /usr/bin/chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    # Expected HTTP errors (the wrong key's 401) are asserted in the tests themselves.
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    yield page
    context.close()
    # No CSP violation, no script error, anywhere in the test.
    assert problems == []


def signed_in(page: Page, emulator: Emulator) -> None:
    page.goto(f"{emulator.base_url}/_emulator/ui")
    page.fill("#admin_key", emulator.admin_key)
    page.click("#sign-in")
    page.wait_for_selector("#tenants")


def test_sign_in_tables_and_hostile_names(
    page: Page, emulator: Emulator, client: httpx.Client, tmp_path: Path
) -> None:
    user_tokens(emulator, client, HOSTILE_UPN)  # a consent and a refresh token (no MFA)
    page.goto(f"{emulator.base_url}/_emulator/ui")
    page.screenshot(path=tmp_path / "login.png")
    page.fill("#admin_key", "wrong")
    page.click("#sign-in")
    assert "That is not this emulator" in page.inner_text("#login-error")
    assert emulator.admin_key not in page.url
    page.fill("#admin_key", emulator.admin_key)
    page.click("#sign-in")
    page.wait_for_selector("#tenants")
    assert emulator.admin_key not in page.url
    assert page.locator("#tenants tbody tr").count() == len(emulator.state.directory.tenants)
    assert page.locator("#apps tbody tr").count() == len(emulator.apps)
    users = page.inner_text("#users")
    assert HOSTILE_UPN in users and "TOTP registered" in users
    assert "Evil <script>window.pwned=3</script>" in page.inner_text("#tenants")
    assert HOSTILE_UPN in page.inner_text("#consents")
    refresh = page.inner_text("#refresh-tokens")
    assert HOSTILE_UPN in refresh and "pwd" in refresh
    assert page.evaluate("window.pwned") is None
    # The session cookie is out of the page's reach.
    assert page.evaluate("document.cookie") == ""
    page.screenshot(path=tmp_path / "dashboard.png", full_page=True)


def test_live_log_updates_as_requests_arrive(
    page: Page, emulator: Emulator, client: httpx.Client, tmp_path: Path
) -> None:
    signed_in(page, emulator)
    page.wait_for_selector("#log-status:has-text('live')")
    token = app_token(emulator, client).json()["access_token"]
    app_token(emulator, client, client_secret="wrong-secret")
    client.get("/v1/customers", headers={"Authorization": f"Bearer {token}"})
    rows = page.locator("#log-table tbody tr")
    rows.filter(has_text="/v1/customers").first.wait_for(timeout=10_000)
    text = page.inner_text("#log-table")
    assert "client_credentials" in text and "AADSTS7000215" in text
    assert "app-only" in text
    assert token not in text and "wrong-secret" not in text
    page.locator("#log").screenshot(path=tmp_path / "live-log.png")


def test_decoder_shows_the_mfa_trap(page: Page, emulator: Emulator, tmp_path: Path) -> None:
    signed_in(page, emulator)
    page.fill("#token-input", mint(emulator, mfa=False, upn=HOSTILE_UPN))
    page.click("#decode")
    page.wait_for_selector("#decoded-partner-center")
    assert "signature valid" in page.inner_text("#decoded-signature")
    assert "app + user (WITHOUT MFA)" in page.inner_text("#decoded-kind")
    assert page.inner_text("#decoded-partner-center").startswith("900421")
    assert HOSTILE_UPN in page.inner_text("#decoded-claims")
    assert page.evaluate("window.pwned") is None
    page.locator("#decoder").screenshot(path=tmp_path / "decoder.png")
    page.fill("#token-input", mint(emulator, user=False, aud="https://graph.windows.net"))
    page.click("#decode")
    page.wait_for_selector("#decoded-partner-center:has-text('900420')")
    page.fill("#token-input", "garbage")
    page.click("#decode")
    page.wait_for_selector("#decoded .error:has-text('not a JWT')")


def test_controls_change_the_emulator(
    page: Page, emulator: Emulator, client: httpx.Client, tmp_path: Path
) -> None:
    signed_in(page, emulator)
    token = app_token(emulator, client).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    # A fault rule from the form answers the next API call.
    page.select_option("#fault-form select[name=status]", "503")
    page.fill("#fault-form input[name=count]", "1")
    page.click("#fault-form button[type=submit]")
    page.wait_for_selector("#control-result:has-text('added')")
    assert '"statuses": [\n        503' in page.inner_text("#faults")
    assert client.get("/v1/customers", headers=bearer).status_code == 503
    assert client.get("/v1/customers", headers=bearer).status_code == 200
    # The injected answer shows in the live log (the journal sits outside fault injection).
    page.locator("#log-table tbody tr").filter(has_text="503").first.wait_for(timeout=10_000)
    page.click("#clear-faults")
    page.wait_for_selector("#control-result:has-text('faults cleared')")
    # A bad value comes back as the admin API's message.
    page.fill("#fault-form input[name=rate]", "7")
    page.click("#fault-form button[type=submit]")
    page.wait_for_selector("#control-result.error:has-text('rate')")
    # Throttling.
    page.fill("#throttling-form input[name=burst]", "3")
    page.click("#throttling-form button[type=submit]")
    page.wait_for_selector("#control-result:has-text('throttling changed')")
    assert client.get("/_emulator/throttling", headers=_admin(emulator)).json()["burst"] == 3
    page.click("#reset-throttling")
    page.wait_for_selector("#control-result:has-text('restored')")
    # The clock.
    page.click("button.advance[data-seconds='86400']")
    page.wait_for_selector("#control-result:has-text('clock advanced')")
    assert emulator.state.clock.offset >= 86400
    page.screenshot(path=tmp_path / "controls.png", full_page=True)
    page.click("#reset-clock")
    page.wait_for_selector("#control-result:has-text('clock reset')")
    assert emulator.state.clock.offset == 0
    # Revoking a user's sessions.
    user_tokens(emulator, client, "admin@contosopartner.onmicrosoft.com")
    page.click("button.revoke[data-upn='admin@contosopartner.onmicrosoft.com']")
    page.wait_for_selector("#control-result:has-text('revoked')")
    assert "admin@contosopartner.onmicrosoft.com" in page.inner_text("#control-result")


def test_sign_out_ends_the_session(page: Page, emulator: Emulator) -> None:
    signed_in(page, emulator)
    page.click("text=sign out")
    page.wait_for_selector("#admin_key")
    page.goto(f"{emulator.base_url}/_emulator/ui")
    assert page.locator("#admin_key").count() == 1


def _admin(emulator: Emulator) -> dict[str, str]:
    return {"Authorization": f"Bearer {emulator.admin_key}"}
