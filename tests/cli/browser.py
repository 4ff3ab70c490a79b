"""A stand-in for the system browser ($BROWSER): signs in on the emulator's pages with form
posts, then follows the redirect to the CLI's loopback server. Usage: browser.py URL."""

from __future__ import annotations

import os
import sys
from urllib.parse import quote, urlsplit

import httpx

from partnercenter.demo import sign_in_pages


def main(url: str) -> None:
    who = {
        "upn": os.environ["TEST_UPN"],
        "password": os.environ["TEST_PASSWORD"],
        "totp_secret": os.environ.get("TEST_TOTP_SECRET"),
    }
    with httpx.Client(verify=os.environ["TEST_CA"], timeout=10) as client:

        def next_code() -> str:
            # Codes are single use: the emulator's admin API hands out one not used yet.
            parts = urlsplit(url)
            answer = client.post(
                f"{parts.scheme}://{parts.netloc}/_emulator/users/{quote(who['upn'])}/totp",
                headers={"Authorization": f"Bearer {os.environ['TEST_ADMIN_KEY']}"},
            )
            answer.raise_for_status()
            return str(answer.json()["code"])

        page = client.get(url)
        final = sign_in_pages(client, page, who, next_code)
        location = final.headers.get("location")
        assert final.status_code in (302, 303) and location, final.text[:300]
        # The loopback redirect: the CLI's own server on 127.0.0.1 (plain http).
        with httpx.Client(timeout=10) as loopback:
            loopback.get(location)


if __name__ == "__main__":
    main(sys.argv[1])
