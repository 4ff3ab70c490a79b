"""Helpers that play the user on the emulator's sign-in pages: TOTP codes (single use, so each
MFA page asks the emulator for one not used yet, as a person would wait for the next code),
Playwright steps for Chromium, and plain form posts (for MSAL's flows, where no browser is
needed)."""

from __future__ import annotations

import html
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urljoin, urlsplit

import httpx

# The public helper: the code the emulator has not accepted yet.
from partnercenter.testing import next_totp

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from partnercenter.emulator import Emulator

#: What the user's authenticator shows when the MFA page asks: called once per code typed.
Codes = Callable[[], str]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class User:
    upn: str
    password: str
    totp_secret: str | None

    @classmethod
    def of(cls, info: dict[str, Any]) -> User:
        return cls(info["upn"], info["password"], info.get("totp_secret"))


def authenticator(emu: Emulator, user: User) -> Codes:
    """``user``'s authenticator, in process: a code ``emu`` has not accepted yet."""
    return lambda: next_totp(emu, user.upn)


def admin_authenticator(
    base_url: str, admin_key: str, user: User, verify: ssl.SSLContext | str
) -> Codes:
    """The same from another process, through ``POST /_emulator/users/{upn}/totp``."""

    def code() -> str:
        with httpx.Client(base_url=base_url, verify=verify, timeout=10) as client:
            answer = client.post(
                f"/_emulator/users/{quote(user.upn)}/totp",
                headers={"Authorization": f"Bearer {admin_key}"},
            )
        answer.raise_for_status()
        return str(answer.json()["code"])

    return code


# -- Chromium (Playwright) ------------------------------------------------------------------------


def browser_sign_in(
    page: Page,
    user: User,
    code: Codes,
    *,
    accept: bool = True,
    first_code: str | None = None,
) -> list[str]:
    """From the sign-in page on: user name and password, the MFA code (``first_code`` first,
    when given, then the right one), the consent page when shown. Returns the inline errors the
    pages showed, in order."""
    errors: list[str] = []
    page.fill("#username", user.upn)
    page.fill("#password", user.password)
    page.click("#submit")
    page.wait_for_load_state()
    if page.locator("#otc").count():
        assert user.totp_secret is not None
        if first_code is not None:
            page.fill("#otc", first_code)
            page.click("#submit")
            page.wait_for_load_state()
            errors.append(page.inner_text("#error"))
        page.fill("#otc", code())
        page.click("#submit")
        page.wait_for_load_state()
    if page.locator("#accept").count():
        page.click("#accept" if accept else "#decline")
        page.wait_for_load_state()
    return errors


# -- plain form posts ------------------------------------------------------------------------------


def _field(text: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', text)
    assert found, f"no field {name}: {text[:300]}"
    return html.unescape(found.group(1))


def _action(response: httpx.Response) -> str:
    found = re.search(r'<form [^>]*action="([^"]+)"', response.text)
    assert found, response.text[:300]
    return urljoin(str(response.url), html.unescape(found.group(1)))


def _post_step(client: httpx.Client, page: httpx.Response, step: str, **fields: str) -> Any:
    data = {"flow": _field(page.text, "flow"), "step": step, **fields}
    return client.post(_action(page), data=data)


def form_sign_in(client: httpx.Client, page: httpx.Response, user: User, code: Codes) -> Any:
    """The same path with form posts: returns the last response (a redirect or a page)."""
    page = _post_step(client, page, "signin", username=user.upn, password=user.password)
    if 'id="otc"' in page.text:
        assert user.totp_secret is not None
        page = _post_step(client, page, "mfa", otc=code())
    if 'id="accept"' in page.text:
        page = _post_step(client, page, "consent", action="accept")
    return page


def device_login(client: httpx.Client, uri: str, user_code: str, user: User, code: Codes) -> str:
    """Enter the user code on /devicelogin and sign in; returns the final page's text."""
    page = client.post(uri, data={"otc": user_code})
    return str(form_sign_in(client, page, user, code).text)


def form_post_params(response: httpx.Response) -> tuple[str, dict[str, str]]:
    """``response_mode=form_post``: where the page posts to, and its hidden fields."""
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.text)
    return _action(response), {html.unescape(k): html.unescape(v) for k, v in fields}


def redirect_params(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text[:300]
    query = urlsplit(response.headers["location"]).query
    return {k: v[0] for k, v in parse_qs(query).items()}
