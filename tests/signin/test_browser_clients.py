"""Third-party interactive clients, used exactly as their docs say, against the emulator with
headless Chromium as the user's browser: azure-identity's ``InteractiveBrowserCredential`` and
MSAL Python's ``acquire_token_interactive`` (both ``response_mode=form_post``: the emulator's
page must run its own script to post the code), and ``response_mode=fragment`` in the
browser."""

from __future__ import annotations

import http.server
import json
import os
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from partnercenter.emulator import Emulator
from partnercenter.testing import Sandbox

from .signin_pages import CHROMIUM, CHROMIUM_ARGS, User, authenticator, browser_sign_in
from .test_e2e import _playwright_available

ADMIN = "admin@contosopartner.onmicrosoft.com"
PC_SCOPE = "https://api.partnercenter.microsoft.com/user_impersonation"
HERE = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _needs_chromium() -> None:
    missing = _playwright_available()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser end-to-end tests, but {missing}")
        pytest.skip(missing)


@pytest.fixture()
def emu(pc_emulator: Sandbox) -> Sandbox:
    # A clean emulator per test (no consents or sign-ins left from another client): the
    # plugin's, reset before each test.
    return pc_emulator


def admin(emu: Emulator) -> User:
    return User.of(next(u for u in emu.users if u["upn"] == ADMIN))


def run_client(
    emu: Emulator, kind: str, tmp_path: Path
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    who = admin(emu)
    assert who.totp_secret is not None
    result = tmp_path / "browser.json"
    browser = f"{shlex.quote(sys.executable)} {shlex.quote(str(HERE / 'form_post_browser.py'))} %s"
    env = {
        key: value
        for key, value in os.environ.items()
        # requests (under MSAL and azure-identity) would ignore verify= with these set.
        if key not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
    }
    env.update(
        {
            "BROWSER": browser,
            "E2E_UPN": who.upn,
            "E2E_PASSWORD": who.password,
            "E2E_TOTP_SECRET": who.totp_secret,
            "E2E_ADMIN_KEY": emu.admin_key,
            "E2E_CA": str(emu.ca_cert),
            "E2E_RESULT": str(result),
        }
    )
    done = subprocess.run(
        [sys.executable, str(HERE / "interactive_clients.py"), kind, str(emu.info_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    deadline = time.monotonic() + 30
    while not result.exists() and time.monotonic() < deadline:
        time.sleep(0.2)  # the detached browser may still be closing
    seen: dict[str, Any] = json.loads(result.read_text()) if result.exists() else {}
    return done, seen


@pytest.mark.parametrize("kind", ["azure", "msal"])
def test_form_post_sign_in_completes_in_a_real_browser(
    emu: Emulator, tmp_path: Path, kind: str
) -> None:
    done, seen = run_client(emu, kind, tmp_path)
    assert done.returncode == 0, (done.stderr[-2000:], seen)
    assert seen.get("script_errors") == [], seen
    assert seen["url"].startswith("http://localhost:")  # the page posted to the client
    token = json.loads(done.stdout)
    assert token["upn"] == ADMIN and "mfa" in token["amr"]
    assert token["aud"] == "https://api.partnercenter.microsoft.com"


class _Callback(http.server.BaseHTTPRequestHandler):
    """A redirect target that shows what the browser asked for (a fragment never reaches it)."""

    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.seen.append(self.path)
        body = b"<!doctype html><title>callback</title><p id='done'>back at the app</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_fragment_response_mode_in_the_browser(emu: Emulator) -> None:
    from playwright.sync_api import sync_playwright

    from ..emulator.signin_driver import pkce

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Callback)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    redirect = f"http://localhost:{server.server_address[1]}/callback"
    verifier, challenge = pkce()
    tenant = emu.partner_tenant["id"]
    client_id = emu.app("partner-center-cli")["client_id"]
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "response_mode": "fragment",
            "redirect_uri": redirect,
            "scope": f"{PC_SCOPE} offline_access openid",
            "state": "fragment-state",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(ignore_https_errors=True).new_page()
                page.goto(f"{emu.base_url}/{tenant}/oauth2/v2.0/authorize?{query}")
                browser_sign_in(page, admin(emu), authenticator(emu, admin(emu)))
                page.wait_for_selector("#done")
                landed = page.url
                in_page = page.evaluate("location.hash")
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
    parts = urlsplit(landed)
    assert parts.path == "/callback" and not parts.query
    assert _Callback.seen[0] == "/callback"
    assert not any("code=" in path for path in _Callback.seen)  # it stayed in the browser
    params = {k: v[0] for k, v in parse_qs(parts.fragment).items()}
    assert in_page == f"#{parts.fragment}"
    assert params["state"] == "fragment-state" and params["code"]
    with httpx.Client(verify=emu.verify, timeout=10) as web:
        answer = web.post(
            f"{emu.base_url}/{tenant}/oauth2/v2.0/token",
            data={
                "grant_type": "authorization_code",
                "client_id": client_id,
                "code": params["code"],
                "redirect_uri": redirect,
                "code_verifier": verifier,
            },
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["refresh_token"]
