"""Playing the user on the emulator's sign-in pages over plain HTTP, without a browser.

The pages work without JavaScript, so a sign-in is a few form posts: user name and password,
the TOTP code when the user has MFA, the consent page when the app has not been consented yet.
The driver reads each page's form (its action and every hidden field, whatever they are) and
decides the step by the inputs the page asks for, so it follows the pages rather than a fixed
script. Codes are computed from the user's TOTP secret (RFC 6238) at the emulator's clock.

The emulator accepts a code once (RFC 6238 §5.2, as Entra does), so a second sign-in of the
same user cannot type "the code of the moment" again: :func:`next_totp` hands out the code a
person would type after waiting for the next one, without the wait (see
:mod:`partnercenter.emulator.identity.authenticator`), and the ``Sandbox`` sign-ins use it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx

from ..emulator.identity.authenticator import next_code as _next_code
from ..emulator.identity.totp import CODE_ALREADY_USED, STEP_SECONDS, totp

if TYPE_CHECKING:
    from ..emulator import Emulator

__all__ = [
    "SignInOutcome",
    "SignInUser",
    "drive_sign_in",
    "next_totp",
    "pkce_pair",
    "totp",
    "wrong_totp",
]

#: Steps a sign-in takes at most (sign-in, MFA, consent and a margin); a loop is a bug.
MAX_STEPS = 8
#: Codes typed on one MFA page at most when the emulator answers "already used" (another
#: sign-in of the same user took the step between choosing the code and posting it): each
#: refusal means another sign-in succeeded, so N sign-ins of one user at once need up to N.
MAX_CODE_ATTEMPTS = 16


@dataclass(frozen=True)
class SignInUser:
    """Who signs in: the UPN, password and TOTP secret (``None``: no MFA method)."""

    upn: str
    password: str = field(repr=False)
    totp_secret: str | None = field(default=None, repr=False)

    @classmethod
    def of(cls, info: dict[str, Any]) -> SignInUser:
        """From an entry of ``Emulator.users`` (``emulator.json``)."""
        return cls(str(info["upn"]), str(info["password"]), info.get("totp_secret"))


@dataclass
class SignInOutcome:
    """Where a sign-in ended.

    ``completed`` is true when the pages let the user through: a redirect back to the app
    (authorization code) or the device-code "You're signed in" page. ``stage`` is the last page
    shown (``signin``, ``mfa``, ``consent``, ``device`` or ``done``); ``errors`` the inline errors
    the pages showed, in order. ``params`` are the redirect's parameters (``code``, ``state``,
    or ``error`` and ``error_description``) and ``tokens`` the token response when the helper
    also redeemed the sign-in; neither appears in ``repr``.
    """

    completed: bool
    stage: str
    errors: list[str] = field(default_factory=list)
    message: str | None = None
    redirect_url: str | None = field(default=None, repr=False)
    params: dict[str, str] = field(default_factory=dict, repr=False)
    tokens: dict[str, Any] | None = field(default=None, repr=False)
    #: The token endpoint's error body when redeeming failed (no secrets in it).
    token_error: dict[str, Any] | None = None

    @property
    def access_token(self) -> str:
        """The access token of ``tokens`` (``AssertionError`` if the sign-in produced none)."""
        assert self.tokens is not None and "access_token" in self.tokens, self
        return str(self.tokens["access_token"])

    @property
    def refresh_token(self) -> str:
        """The refresh token of ``tokens`` (``AssertionError`` if there is none)."""
        assert self.tokens is not None and "refresh_token" in self.tokens, self
        return str(self.tokens["refresh_token"])


def pkce_pair() -> tuple[str, str]:
    """A PKCE ``(code_verifier, code_challenge)`` pair (RFC 7636, S256)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def next_totp(emulator: Emulator, user: str | dict[str, Any] | SignInUser) -> str:
    """The code ``user`` would type on ``emulator``'s MFA page now, one it has not accepted yet.

    Codes are single use, so this is the earliest time step after the user's last sign-in that
    the emulator accepts now (within its ±1 step drift window). When that window is used up,
    the emulator's clock moves forward to the next step, at most 30 s: the wait a person would
    have for their authenticator's next code. With the ``single_use_totp`` setting off it is the
    code of the moment. ``user`` is a UPN, an ``emulator.users`` entry or a
    :class:`SignInUser` (whose ``totp_secret`` is used when it has one).

    ``KeyError`` if the directory has no such user; ``ValueError`` if the user has no TOTP
    secret.
    """
    if isinstance(user, SignInUser):
        upn, secret = user.upn, user.totp_secret
    elif isinstance(user, str):
        upn, secret = user, None
    else:
        upn, secret = str(user["upn"]), user.get("totp_secret")
    record = emulator.state.directory.user(upn)
    if record is None:
        raise KeyError(upn)
    if not (secret or record.totp_secret):
        raise ValueError(f"next_totp(): {upn} has no TOTP secret (no MFA method registered)")
    return _next_code(emulator.state, record, secret).code


def wrong_totp(secret: str, at: float) -> str:
    """A well-formed six-digit code that is valid in none of the accepted steps around ``at``."""
    valid = {totp(secret, at + drift * STEP_SECONDS) for drift in (-2, -1, 0, 1, 2)}
    candidate = int(totp(secret, at))
    while f"{candidate:06d}" in valid:
        candidate = (candidate + 7919) % 1_000_000
    return f"{candidate:06d}"


# -- reading a page ---------------------------------------------------------------------------
@dataclass
class _Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    inputs: set[str] = field(default_factory=set)
    buttons: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (name, value)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[_Form] = []
        self.texts: dict[str, list[str]] = {}
        self._capturing: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(
                _Form(attributes.get("action", ""), attributes.get("method", "get").lower())
            )
        elif tag == "input" and self.forms:
            name = attributes.get("name")
            if name:
                form = self.forms[-1]
                if attributes.get("type", "text").lower() == "hidden":
                    form.fields[name] = attributes.get("value", "")
                else:
                    form.inputs.add(name)
        elif tag == "button" and self.forms and attributes.get("id"):
            self.forms[-1].buttons[attributes["id"]] = (
                attributes.get("name", ""),
                attributes.get("value", ""),
            )
        if attributes.get("id") in ("error", "message"):
            self._capturing = attributes["id"]
            self.texts.setdefault(self._capturing, [])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "div", "span"):
            self._capturing = None

    def handle_data(self, data: str) -> None:
        if self._capturing is not None:
            self.texts[self._capturing].append(data)


@dataclass
class _Page:
    response: httpx.Response
    forms: list[_Form]
    error: str | None
    message: str | None

    @classmethod
    def read(cls, response: httpx.Response) -> _Page:
        parser = _PageParser()
        parser.feed(response.text)
        error = "".join(parser.texts.get("error", [])).strip() or None
        message = "".join(parser.texts.get("message", [])).strip() or None
        return cls(response, parser.forms, error, message)

    @property
    def form(self) -> _Form | None:
        return self.forms[0] if self.forms else None

    @property
    def stage(self) -> str:
        form = self.form
        if form is None:
            return "done" if self.response.status_code < 400 else "error"
        if "password" in form.inputs:
            return "signin"
        if "otc" in form.inputs and "flow" in form.fields:
            return "mfa"
        if "otc" in form.inputs:
            return "device"
        if "accept" in form.buttons or "decline" in form.buttons:
            return "consent"
        return "form_post"  # response_mode=form_post: the page that posts back to the app


def _post(client: httpx.Client, page: _Page, form: _Form, data: dict[str, str]) -> _Page:
    url = urljoin(str(page.response.url), form.action)
    return _Page.read(client.post(url, data={**form.fields, **data}))


def drive_sign_in(
    client: httpx.Client,
    response: httpx.Response,
    user: SignInUser,
    *,
    now: float,
    otc: str | None = None,
    consent: bool | None = True,
    user_code: str | None = None,
    next_code: Callable[[], str] | None = None,
) -> SignInOutcome:
    """From the first page (``response``) to the end of the sign-in.

    - ``now``: the emulator's clock (epoch seconds), for the TOTP code.
    - ``next_code``: called when the MFA page asks for a code, returns the code to type, e.g.
      ``lambda: next_totp(emulator, user)`` (what the ``Sandbox`` sign-ins pass). Without it
      the code of ``now`` is typed and, if the emulator says that code was already used, the
      next step's code (inside the emulator's drift window), as a person would wait for it.
    - ``otc``: the MFA code to type instead of the right one (e.g. :func:`wrong_totp`); when it
      is refused the outcome stops at the ``mfa`` stage with the page's error.
    - ``consent``: ``True`` accepts the consent page, ``False`` declines it, ``None`` stops
      there.
    - ``user_code``: for ``/devicelogin``, the code to enter first.

    ``client`` must not follow redirects: the final redirect to the app is the outcome.
    """
    page = _Page.read(response)
    errors: list[str] = []
    declined = False
    for _ in range(MAX_STEPS):
        if page.response.is_redirect:
            location = urljoin(str(page.response.url), page.response.headers["location"])
            query = dict(parse_qsl(urlsplit(location).query, keep_blank_values=True))
            fragment = dict(parse_qsl(urlsplit(location).fragment, keep_blank_values=True))
            params = {**query, **fragment}
            return SignInOutcome(
                completed="code" in params,
                stage="done",
                errors=errors,
                redirect_url=location,
                params=params,
            )
        if page.error:
            errors.append(page.error)
        stage = page.stage
        form = page.form
        if form is None or stage in ("done", "error"):
            done = (
                page.response.status_code == 200
                and not page.error
                and stage == "done"
                and not declined
            )
            return SignInOutcome(done, stage, errors, message=page.message or page.error)
        if stage == "form_post":
            return SignInOutcome(
                "code" in form.fields,
                "done",
                errors,
                redirect_url=urljoin(str(page.response.url), form.action),
                params=dict(form.fields),
            )
        if stage == "device":
            if user_code is None or page.error:
                return SignInOutcome(False, stage, errors, message=page.message)
            page, user_code = _post(client, page, form, {"otc": user_code}), None
            continue
        if stage == "signin":
            if page.error:  # wrong user name or password: typing them again changes nothing
                return SignInOutcome(False, stage, errors)
            page = _post(client, page, form, {"username": user.upn, "password": user.password})
            continue
        if stage == "mfa":
            if page.error and otc is None:
                return SignInOutcome(False, stage, errors)
            if otc is not None:
                code, otc = otc, None
                page = _post(client, page, form, {"otc": code})
                if page.stage == "mfa":  # the code was refused: report it, do not retry
                    if page.error:
                        errors.append(page.error)
                    return SignInOutcome(False, "mfa", errors)
                continue
            if next_code is None and user.totp_secret is None:
                return SignInOutcome(False, stage, errors, message="the user has no TOTP secret")
            page = _type_code(client, page, form, _codes(user, now, next_code))
            continue
        if stage == "consent":
            if consent is None:
                return SignInOutcome(False, stage, errors)
            declined = not consent
            name, value = form.buttons.get("accept" if consent else "decline", ("action", ""))
            page = _post(client, page, form, {name or "action": value or _choice(consent)})
            continue
    raise RuntimeError(f"the sign-in did not finish within {MAX_STEPS} pages (last: {stage})")


def _codes(user: SignInUser, now: float, next_code: Callable[[], str] | None) -> Iterator[str]:
    """The codes to try on one MFA page, each only if the one before was already used."""
    if next_code is not None:
        for _ in range(MAX_CODE_ATTEMPTS):
            yield next_code()
        return
    assert user.totp_secret is not None
    yield totp(user.totp_secret, now)
    yield totp(user.totp_secret, now + STEP_SECONDS)  # the next code: inside the drift window


def _type_code(client: httpx.Client, page: _Page, form: _Form, codes: Iterator[str]) -> _Page:
    """Type codes until one is not refused as already used. The refusals recovered from are
    not reported: choosing an unused code is the helper's job, not a sign-in error."""
    for code in codes:
        page = _post(client, page, form, {"otc": code})
        if page.stage != "mfa" or CODE_ALREADY_USED not in (page.error or ""):
            return page
        form = page.form or form
    return page


def _choice(consent: bool) -> Literal["accept", "decline"]:
    return "accept" if consent else "decline"
