"""A stand-in for the user's browser, for the CLI's end-to-end test: ``partnercenter consent``
opens it through ``$BROWSER`` (Python's ``webbrowser`` runs ``BROWSER`` with the URL and waits
for it), and it signs in at the emulator in headless Chromium, with MFA and consent, and
follows the redirect to the CLI's loopback server.

Usage: ``python browser_driver.py URL``; the user comes from ``E2E_UPN``, ``E2E_PASSWORD``,
``E2E_TOTP_SECRET``, the emulator's clock offset from ``E2E_CLOCK_OFFSET`` (seconds).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.signin.signin_pages import CHROMIUM, CHROMIUM_ARGS, User, browser_sign_in  # noqa: E402


def main(url: str) -> int:
    user = User(os.environ["E2E_UPN"], os.environ["E2E_PASSWORD"], os.environ["E2E_TOTP_SECRET"])
    now = time.time() + float(os.environ.get("E2E_CLOCK_OFFSET", "0"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(ignore_https_errors=True).new_page()
            page.goto(url)
            browser_sign_in(page, user, now)
            page.wait_for_selector("#title")
            title = page.inner_text("#title")
            print(f"browser_driver: {title}", file=sys.stderr)
            return 0 if title == "Sign-in complete" else 1
        finally:
            browser.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
