"""``$BROWSER`` for clients that open the sign-in URL themselves (azure-identity's
``InteractiveBrowserCredential``, MSAL Python's ``acquire_token_interactive``): headless
Chromium signs in on the emulator's pages and lets the ``form_post`` page run its own script,
which posts the code to the client's loopback server.

Python's ``webbrowser`` waits for the ``BROWSER`` command, and MSAL serves its loopback
server only after the browser command returns, so the command detaches a child that drives
Chromium and exits at once. The child writes what it saw (final URL, page text, script
errors) as JSON to ``E2E_RESULT``.

Usage: ``python form_post_browser.py URL``; the user comes from ``E2E_UPN``, ``E2E_PASSWORD``,
``E2E_TOTP_SECRET``; its codes from the emulator's admin API (``E2E_ADMIN_KEY``, the CA in
``E2E_CA``), since the emulator accepts each code once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

#: How long the child waits for the page to reach the client's loopback server.
LOOPBACK_WAIT_MS = 20_000


def drive(url: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from tests.signin.signin_pages import (
        CHROMIUM,
        CHROMIUM_ARGS,
        User,
        admin_authenticator,
        browser_sign_in,
    )

    user = User(os.environ["E2E_UPN"], os.environ["E2E_PASSWORD"], os.environ["E2E_TOTP_SECRET"])
    seen: dict[str, Any] = {"script_errors": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(ignore_https_errors=True).new_page()
            page.on("pageerror", lambda error: seen["script_errors"].append(str(error)))
            page.goto(url)
            parts = urlsplit(url)
            base_url = f"{parts.scheme}://{parts.netloc}"
            key, ca = os.environ["E2E_ADMIN_KEY"], os.environ["E2E_CA"]
            browser_sign_in(page, user, admin_authenticator(base_url, key, user, ca))
            try:
                page.wait_for_url("http://localhost:*/**", timeout=LOOPBACK_WAIT_MS)
                page.wait_for_load_state()
            except Exception as exc:  # recorded for the test to report
                seen["wait_error"] = type(exc).__name__
            seen["url"] = page.url
            seen["text"] = page.inner_text("body")
        finally:
            browser.close()
    return seen


def main(argv: list[str]) -> int:
    if argv[1] != "--child":
        # Detach, so that webbrowser.open() returns and the client starts serving.
        subprocess.Popen(
            [sys.executable, __file__, "--child", argv[1]],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
        )
        return 0
    result_path = Path(os.environ["E2E_RESULT"])
    try:
        seen = drive(argv[2])
    except Exception as exc:
        seen = {"driver_error": f"{type(exc).__name__}: {exc}"}
    result_path.write_text(json.dumps(seen), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
