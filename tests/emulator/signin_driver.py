"""Drive the emulator's sign-in pages with plain form posts (no browser), as a test helper."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from partnercenter.emulator import Emulator
from partnercenter.testing import next_totp, pkce_pair

PC_USER_SCOPE = "https://api.partnercenter.microsoft.com/user_impersonation"


@dataclass
class Page:
    response: httpx.Response

    @property
    def text(self) -> str:
        return self.response.text

    def field(self, name: str) -> str:
        found = re.search(rf'name="{name}" value="([^"]*)"', self.text)
        assert found, f"no field {name} in page: {self.text[:500]}"
        return found.group(1)

    @property
    def action(self) -> str:
        found = re.search(r'<form [^>]*action="([^"]+)"', self.text)
        assert found, self.text[:500]
        return found.group(1)

    def has(self, element_id: str) -> bool:
        return f'id="{element_id}"' in self.text

    @property
    def error(self) -> str | None:
        found = re.search(r'<p id="error" role="alert">([^<]*)</p>', self.text)
        return html.unescape(found.group(1)) if found else None


def pkce() -> tuple[str, str]:
    return pkce_pair()


def step(client: httpx.Client, page: Page, stage: str, **fields: str) -> Page:
    data = {"flow": page.field("flow"), "step": stage, **fields}
    return Page(client.post(page.action, data=data))


def sign_in(
    client: httpx.Client,
    page: Page,
    user: dict[str, Any],
    *,
    emu: Emulator,
    mfa: bool = True,
    accept: bool | None = True,
) -> Page:
    """From a sign-in page through MFA (when shown) and consent (when shown). The code typed
    is one ``emu`` has not accepted yet (codes are single use)."""
    page = step(client, page, "signin", username=user["upn"], password=user["password"])
    if page.has("otc") and mfa:
        page = step(client, page, "mfa", otc=next_totp(emu, user))
    if page.has("accept") and accept is not None:
        page = step(client, page, "consent", action="accept" if accept else "decline")
    return page


def redirect_params(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text[:500]
    query = urlsplit(response.headers["location"]).query
    return {k: v[0] for k, v in parse_qs(query).items()}
