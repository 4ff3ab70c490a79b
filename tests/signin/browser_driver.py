"""A stand-in for the user's browser, for the CLI's end-to-end test: ``partnercenter consent``
opens it through ``$BROWSER`` (Python's ``webbrowser`` runs ``BROWSER`` with the URL and waits
for it), and it signs in at the emulator in headless Chromium, with MFA and consent, and
follows the redirect to the CLI's loopback server.

Usage: ``python browser_driver.py URL``; the user comes from ``E2E_UPN``, ``E2E_PASSWORD``,
``E2E_TOTP_SECRET``; its codes from the emulator's admin API (``E2E_ADMIN_KEY``, the CA in
``E2E_CA``), since the emulator accepts each code once.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.signin.signin_pages import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    User,
    admin_authenticator,
    browser_sign_in,
)


def main(url: str) -> int:
    user = User(os.environ["E2E_UPN"], os.environ["E2E_PASSWORD"], os.environ["E2E_TOTP_SECRET"])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(ignore_https_errors=True).new_page()
            page.goto(url)
            parts = urlsplit(url)
            base_url = f"{parts.scheme}://{parts.netloc}"
            key, ca = os.environ["E2E_ADMIN_KEY"], os.environ["E2E_CA"]
            browser_sign_in(page, user, admin_authenticator(base_url, key, user, ca))
            page.wait_for_selector("#title")
            title = page.inner_text("#title")
            print(f"browser_driver: {title}", file=sys.stderr)
            return 0 if title == "Sign-in complete" else 1
        finally:
            browser.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
