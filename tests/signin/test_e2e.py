"""End to end against the running emulator, with a real browser: headless Chromium (Debian's
``chromium``, driven by Playwright) signs in on the emulator's pages while the library's
credentials and the ``partnercenter consent`` command wait on their loopback servers.

Covered: browser sign-in with MFA and consent; a wrong TOTP code, then the right one; consent
declined; device-code sign-in on /devicelogin; the CLI's consent through ``$BROWSER``, then
unattended redemption from the encrypted file store; a user without MFA refused; revoked
grants; the inactivity warning and the 90-day limit under the emulator's clock.
"""

from __future__ import annotations

import os
import queue
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from partnercenter import (
    DeviceCode,
    DeviceCodeCredential,
    FileRefreshTokenStore,
    InteractiveBrowserCredential,
    MemoryRefreshTokenStore,
    RefreshTokenCredential,
    Timing,
    secure_app_consent,
)
from partnercenter.emulator import Emulator
from partnercenter.errors import (
    AccessDeniedError,
    InvalidGrantError,
    MfaMissingError,
    RefreshTokenExpiringWarning,
)
from partnercenter.testing import wrong_totp

from ..emulator_support import cloud
from .signin_pages import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Codes,
    User,
    authenticator,
    browser_sign_in,
    device_login,
)
from .store_workers import KEY

ADMIN = "admin@contosopartner.onmicrosoft.com"
AGENT = "agent@contosopartner.onmicrosoft.com"
DAY = 86_400.0
HERE = Path(__file__).resolve().parent
#: ``partnercenter`` as a subprocess, whether or not the console script is installed.
CLI = [sys.executable, "-c", "from partnercenter.cli import main; main()"]


def _playwright_available() -> str | None:
    """Why the browser tests cannot run here (None when they can)."""
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is absent (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is absent (pip install playwright)"
    return None


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    missing = _playwright_available()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser end-to-end tests, but {missing}")
        pytest.skip(f"browser end-to-end tests need Chromium and Playwright: {missing}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(ignore_https_errors=True)  # the emulator's own CA
    try:
        yield context.new_page()
    finally:
        context.close()


def user(emu: Emulator, upn: str) -> User:
    return User.of(next(u for u in emu.users if u["upn"] == upn))


def now(emu: Emulator) -> float:
    """The emulator's clock (TOTP codes are checked against it)."""
    return float(emu.state.clock.now())


def cli_app(emu: Emulator) -> dict[str, Any]:
    return emu.app("partner-center-cli")


def browser_credential(emu: Emulator, drive: Any, **kwargs: Any) -> InteractiveBrowserCredential:
    return InteractiveBrowserCredential(
        emu.partner_tenant["id"],
        cli_app(emu)["client_id"],
        open_browser=drive,
        cloud=cloud(emu),
        verify=emu.ca_cert,
        sign_in_timeout=60,
        **kwargs,
    )


def test_browser_sign_in_with_mfa_and_consent(emu: Emulator, page: Any) -> None:
    admin = user(emu, ADMIN)
    seen: dict[str, Any] = {}

    def drive(url: str) -> None:
        page.goto(url)
        seen["signin_title"] = page.title()
        page.fill("#username", admin.upn)
        page.fill("#password", admin.password)
        page.click("#submit")
        page.wait_for_load_state()
        seen["mfa"] = page.locator("#otc").count() == 1
        browser_sign_in_rest(page, authenticator(emu, admin), seen)

    store = MemoryRefreshTokenStore()
    with browser_credential(emu, drive, store=store) as credential:
        token = credential.get_token()
        assert token.is_app_and_user and token.has_mfa and "mfa" in token.amr
        assert token.user_principal_name == ADMIN
        assert token.tenant_id == emu.partner_tenant["id"]
        assert seen["signin_title"] == "Sign in" and seen["mfa"]
        assert "partner-center-cli" in seen["consent_text"]
        assert "user_impersonation" in seen["consent_text"]
        assert seen["final_title"] == "Sign-in complete"
        # Silent from now on, at a customer tenant too (GDAP-style delegated access).
        customer = emu.customer_tenants[0]["id"]
        assert credential.get_token(tenant_id=customer).tenant_id == customer
    assert store.load(credential.store_key)


def browser_sign_in_rest(page: Any, code: Codes, seen: dict[str, Any]) -> None:
    page.fill("#otc", code())
    page.click("#submit")
    page.wait_for_load_state()
    seen["consent_text"] = page.inner_text("main")
    page.click("#accept")
    page.wait_for_selector("#title")  # the loopback server's page
    seen["final_title"] = page.inner_text("#title")


def test_wrong_totp_code_then_the_right_one(emu: Emulator, page: Any) -> None:
    admin = user(emu, ADMIN)
    errors: list[str] = []

    def drive(url: str) -> None:
        page.goto(url)
        assert admin.totp_secret is not None
        at = now(emu)
        wrong = wrong_totp(admin.totp_secret, at)
        errors.extend(browser_sign_in(page, admin, authenticator(emu, admin), first_code=wrong))
        page.wait_for_selector("#title")

    with browser_credential(emu, drive, prompt="login") as credential:
        token = credential.get_token()
    assert token.has_mfa
    (error,) = errors
    assert error  # the MFA page said the code was wrong, inline


def test_consent_declined(emu: Emulator, page: Any) -> None:
    admin = user(emu, ADMIN)

    def drive(url: str) -> None:
        page.goto(url)
        browser_sign_in(page, admin, authenticator(emu, admin), accept=False)
        page.wait_for_selector("#title")

    with browser_credential(emu, drive, prompt="consent") as credential:
        with pytest.raises(AccessDeniedError) as caught:
            credential.get_token()
    assert caught.value.code == 65004
    assert caught.value.error == "access_denied" and caught.value.hint
    assert page.inner_text("#title") == "Sign-in failed"


def test_device_code_sign_in_on_the_devicelogin_page(emu: Emulator, page: Any) -> None:
    admin = user(emu, ADMIN)
    codes: queue.Queue[DeviceCode] = queue.Queue()
    outcome: dict[str, Any] = {}
    store = MemoryRefreshTokenStore()
    credential = DeviceCodeCredential(
        emu.partner_tenant["id"],
        cli_app(emu)["client_id"],
        prompt_callback=codes.put,
        store=store,
        cloud=cloud(emu),
        verify=emu.ca_cert,
    )

    def wait_for_token() -> None:
        try:
            outcome["token"] = credential.get_token()
        except Exception as exc:  # reported by the assertion below
            outcome["error"] = exc

    worker = threading.Thread(target=wait_for_token)
    worker.start()
    try:
        code = codes.get(timeout=30)
        assert code.verification_uri == f"{emu.base_url}/devicelogin"
        time.sleep(1.2)  # let the credential poll while the user is still on the way
        page.goto(code.verification_uri)
        page.fill("#otc", code.user_code)
        page.click("#submit")
        page.wait_for_load_state()
        browser_sign_in(page, admin, authenticator(emu, admin))
        assert "You may now close this window" in page.inner_text("main")
    finally:
        worker.join(60)
        credential.close()
    assert "error" not in outcome, outcome.get("error")
    token = outcome["token"]
    assert token.has_mfa and token.user_principal_name == ADMIN
    assert store.load(credential.store_key)
    assert emu.stats()["token_errors"].get("AADSTS70016", 0) >= 1  # it polled while pending


def test_cli_consent_through_the_browser_then_unattended_redemption(
    emu: Emulator, tmp_path: Path
) -> None:
    missing = _playwright_available()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser end-to-end tests, but {missing}")
        pytest.skip(missing)
    admin = user(emu, ADMIN)
    assert admin.totp_secret is not None
    store_path = tmp_path / "tokens.json"
    driver = f"{shlex.quote(sys.executable)} {shlex.quote(str(HERE / 'browser_driver.py'))} %s"
    env = {
        **os.environ,
        "BROWSER": driver,
        "PARTNERCENTER_STORE_KEY": KEY,
        "E2E_UPN": admin.upn,
        "E2E_PASSWORD": admin.password,
        "E2E_TOTP_SECRET": admin.totp_secret,
        "E2E_ADMIN_KEY": emu.admin_key,
        "E2E_CA": str(emu.ca_cert),
    }
    command = [
        *CLI,
        "consent",
        "--emulator",
        str(emu.info_path),
        "--store",
        "file",
        "--store-path",
        str(store_path),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"Signed in as {ADMIN}" in done.stdout and "with MFA" in done.stdout
    assert str(store_path) in done.stdout
    assert "Sign-in complete" in done.stderr  # the browser reached the CLI's loopback server
    # The runtime path: another process redeems it unattended and keeps the rotation.
    store = FileRefreshTokenStore(store_path, key=KEY, keyring=False)
    (key,) = store.keys()
    first = store.load(key)
    with RefreshTokenCredential(
        emu.partner_tenant["id"],
        cli_app(emu)["client_id"],
        store=store,
        cloud=cloud(emu),
        verify=emu.ca_cert,
    ) as credential:
        assert credential.store_key == key
        token = credential.get_token()
    assert token.has_mfa and token.user_principal_name == ADMIN
    assert store.load(key) not in (None, first)
    assert first not in store_path.read_text()


def test_cli_refuses_a_sign_in_without_mfa(emu: Emulator, tmp_path: Path) -> None:
    # The agent has no MFA method: the device-code sign-in succeeds, the consent refuses it.
    agent = user(emu, AGENT)
    store_path = tmp_path / "tokens.json"
    process = subprocess.Popen(
        [
            *CLI,
            "consent",
            "--emulator",
            str(emu.info_path),
            "--device-code",
            "--store-path",
            str(store_path),
        ],
        env={**os.environ, "PARTNERCENTER_STORE_KEY": KEY},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        message = ""
        while "enter the code" not in message:
            message = process.stderr.readline()
            assert message, "the CLI ended before showing a device code"
        user_code = message.split("enter the code ")[1].split()[0]
        with httpx.Client(verify=emu.verify, timeout=10) as web:
            final = device_login(
                web, f"{emu.base_url}/devicelogin", user_code, agent, authenticator(emu, agent)
            )
        assert "You may now close this window" in final
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 1
    assert "MfaMissingError" in err and "without multi-factor authentication" in err
    assert "Hint: Register an MFA method" in err
    assert FileRefreshTokenStore(store_path, key=KEY, keyring=False).keys() == []


def consent_by_device_code(emu: Emulator, store: Any, who: str, **kwargs: Any) -> Any:
    """secure_app_consent with the device code, the user completing it with form posts."""
    person = user(emu, who)

    def complete(code: DeviceCode) -> None:
        def sign_in() -> None:
            with httpx.Client(verify=emu.verify, timeout=10) as web:
                device_login(
                    web, code.verification_uri, code.user_code, person, authenticator(emu, person)
                )

        threading.Thread(target=sign_in, daemon=True).start()

    return secure_app_consent(
        emu.partner_tenant["id"],
        cli_app(emu)["client_id"],
        store=store,
        method="device_code",
        prompt_callback=complete,
        cloud=cloud(emu),
        verify=emu.ca_cert,
        **kwargs,
    )


def test_revoked_grants_need_a_new_consent(emu: Emulator) -> None:
    store = MemoryRefreshTokenStore()
    result = consent_by_device_code(emu, store, ADMIN)
    assert result.has_mfa
    assert emu.revoke_user(ADMIN) >= 1
    with RefreshTokenCredential(
        emu.partner_tenant["id"],
        cli_app(emu)["client_id"],
        store=store,
        cloud=cloud(emu),
        verify=emu.ca_cert,
    ) as credential:
        with pytest.raises(InvalidGrantError) as caught:
            credential.get_token()
    assert caught.value.code == 50173 and "consent sign-in again" in caught.value.hint


def test_library_consent_refuses_no_mfa(emu: Emulator) -> None:
    store = MemoryRefreshTokenStore()
    with pytest.raises(MfaMissingError):
        consent_by_device_code(emu, store, AGENT)
    assert store.keys() == []


def test_inactivity_warning_then_the_90_day_limit(emu: Emulator, tmp_path: Path) -> None:
    # Last in the module: it moves the emulator's clock forward by months.
    def clock() -> float:
        return now(emu)

    store = FileRefreshTokenStore(tmp_path / "t.json", key=KEY, keyring=False, clock=clock)
    timing = Timing(clock=clock)  # the emulator's clock; the device-code polling really waits
    consent_by_device_code(emu, store, ADMIN, timing=timing)
    options: dict[str, Any] = {"cloud": cloud(emu), "verify": emu.ca_cert, "timing": timing}
    tenant, client = emu.partner_tenant["id"], cli_app(emu)["client_id"]
    emu.advance_clock(80 * DAY)
    with RefreshTokenCredential(tenant, client, store=store, **options) as credential:
        with pytest.warns(RefreshTokenExpiringWarning, match="80 days ago"):
            assert credential.get_token().has_mfa  # still redeemable, and renewed
    emu.advance_clock(91 * DAY)
    with RefreshTokenCredential(tenant, client, store=store, **options) as credential:
        with pytest.warns(RefreshTokenExpiringWarning, match="passed"):
            with pytest.raises(InvalidGrantError) as caught:
                credential.get_token()
    assert caught.value.code == 700082 and "consent" in caught.value.hint
