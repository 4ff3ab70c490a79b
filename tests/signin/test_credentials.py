"""Device-code and browser sign-in against a scripted Azure AD (httpx.MockTransport): polling
with pending/slow_down/declined/expired under an injected clock, PKCE and state through the real
loopback server, silent redemption afterwards, the consent MFA check, RefreshTokenCredential
with persistent stores and the inactivity warning, and that no secret leaks."""

from __future__ import annotations

import json
import logging
import threading
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest

import partnercenter.aio as aio
from partnercenter import (
    DeviceCode,
    DeviceCodeCredential,
    FileRefreshTokenStore,
    InteractiveBrowserCredential,
    KeyringRefreshTokenStore,
    MemoryRefreshTokenStore,
    RefreshTokenCredential,
    Timing,
    secure_app_consent,
)
from partnercenter._credentials.loopback import LoopbackServer
from partnercenter._credentials.signin_protocol import parse_device_code_response
from partnercenter.errors import (
    AccessDeniedError,
    AzureADError,
    ConfigurationError,
    InvalidGrantError,
    MfaMissingError,
    RefreshTokenExpiringWarning,
    SignInError,
)

from ..fakes import FakeClock
from .fakes import CLIENT_ID, CUSTOMER, NOW, TENANT, UPN, FakeAzureAD, aad_error, query
from .store_workers import KEY

DAY = 86_400.0


@pytest.fixture()
def aad() -> FakeAzureAD:
    return FakeAzureAD()


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock(NOW)


def pending() -> httpx.Response:
    return aad_error(70016, "authorization_pending", "Authorization is pending.")


# -- device code -----------------------------------------------------------------------------


def device_credential(aad: FakeAzureAD, clock: FakeClock, **kwargs: Any) -> DeviceCodeCredential:
    kwargs.setdefault("prompt_callback", lambda code: None)
    return DeviceCodeCredential(
        TENANT, CLIENT_ID, transport=aad.transport, timing=clock.timing(), **kwargs
    )


def test_device_code_polls_through_pending_and_slow_down(
    aad: FakeAzureAD, clock: FakeClock
) -> None:
    aad.polls = [pending(), aad_error(70016, "slow_down", "Polling too fast."), None]
    shown: list[DeviceCode] = []
    store = MemoryRefreshTokenStore()
    credential = device_credential(aad, clock, prompt_callback=shown.append, store=store)
    token = credential.get_token()
    assert token.is_app_and_user and token.has_mfa
    # Waited the interval before each poll; slow_down added 5 s (RFC 8628 §3.5).
    assert clock.sleeps == [5, 5, 10]
    (code,) = shown
    assert code.user_code == "ABCD-1234" and "ABCD-1234" in code.message
    assert code.expires_on == 1_700_000_000 + 900
    assert "DEVICE-CODE-SECRET" not in repr(code)
    path, start = aad.requests[0]
    assert path == f"/{TENANT}/oauth2/v2.0/devicecode"
    assert set(start["scope"].split()) == {
        "https://api.partnercenter.microsoft.com/user_impersonation",
        "offline_access",
        "openid",
        "profile",
    }
    poll = aad.requests[1][1]
    assert poll["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code"
    assert poll["device_code"] == poll["code"] == "DEVICE-CODE-SECRET-" + "d" * 20
    assert "client_secret" not in poll  # a public client sends no credential
    # The refresh token was stored: the next token (another tenant) comes silently.
    assert store.load(credential.store_key) == aad.issued[-1]
    customer = credential.get_token(tenant_id=CUSTOMER)
    assert customer.tenant_id == CUSTOMER
    assert aad.grants()[-1] == "refresh_token"
    assert aad.requests[-1][0] == f"/{CUSTOMER}/oauth2/v2.0/token"
    assert store.load(credential.store_key) == aad.issued[-1]  # rotated
    assert len(shown) == 1


def test_device_code_declined(aad: FakeAzureAD, clock: FakeClock) -> None:
    aad.polls = [pending(), aad_error(65004, "authorization_declined", "User declined.")]
    with pytest.raises(AccessDeniedError) as caught:
        device_credential(aad, clock).get_token()
    assert caught.value.code == 65004 and caught.value.hint


def test_device_code_expired_on_the_server(aad: FakeAzureAD, clock: FakeClock) -> None:
    aad.polls = [pending(), aad_error(70019, "expired_token", "Verification code expired.")]
    with pytest.raises(AzureADError) as caught:
        device_credential(aad, clock).get_token()
    assert caught.value.error == "expired_token" and caught.value.code == 70019


def test_device_code_stops_polling_when_the_code_expires(
    aad: FakeAzureAD, clock: FakeClock
) -> None:
    aad.polls = [pending()]
    with pytest.raises(AzureADError) as caught:
        device_credential(aad, clock).get_token()
    assert caught.value.code == 70019
    assert sum(clock.sleeps) >= 900 and len(aad.requests) == 1 + 900 // 5 - 1


def test_device_code_sign_in_timeout(aad: FakeAzureAD, clock: FakeClock) -> None:
    # Past the caller's timeout it is the caller's SignInError, not Azure AD's 70019.
    aad.polls = [pending()]
    with pytest.raises(SignInError, match=r"within sign_in_timeout=30 s") as caught:
        device_credential(aad, clock, sign_in_timeout=30).get_token()
    assert not isinstance(caught.value, AzureADError) and "sign_in_timeout" in caught.value.hint
    assert sum(clock.sleeps) == 30


def test_device_code_timeout_is_not_overslept(aad: FakeAzureAD, clock: FakeClock) -> None:
    aad.polls = [pending()]
    with pytest.raises(SignInError, match="sign_in_timeout=7 s"):
        device_credential(aad, clock, sign_in_timeout=7).get_token()
    assert clock.sleeps == [5, 2]


def test_device_code_default_prompt_prints_the_message(
    aad: FakeAzureAD, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    DeviceCodeCredential(
        TENANT, CLIENT_ID, transport=aad.transport, timing=clock.timing()
    ).get_token()
    assert "ABCD-1234" in capsys.readouterr().err


def test_device_code_v1(aad: FakeAzureAD, clock: FakeClock) -> None:
    credential = device_credential(aad, clock, endpoint_version="v1")
    credential.get_token()
    assert aad.requests[0][0] == f"/{TENANT}/oauth2/devicecode"
    assert aad.requests[0][1]["resource"] == "https://api.partnercenter.microsoft.com"
    assert aad.requests[1][1]["resource"] == "https://api.partnercenter.microsoft.com"


@pytest.mark.anyio
async def test_async_device_code(aad: FakeAzureAD, clock: FakeClock) -> None:
    aad.polls = [pending(), None]
    shown: list[str] = []

    async def prompt(code: DeviceCode) -> None:
        shown.append(code.user_code)

    async with aio.DeviceCodeCredential(
        TENANT,
        CLIENT_ID,
        prompt_callback=prompt,
        transport=aad.async_transport,
        timing=clock.timing(),
    ) as credential:
        token = await credential.get_token()
        assert token.has_mfa and shown == ["ABCD-1234"] and clock.sleeps == [5, 5]
        again = await credential.get_token(tenant_id=CUSTOMER)
        assert again.tenant_id == CUSTOMER and aad.grants()[-1] == "refresh_token"


# -- browser ---------------------------------------------------------------------------------


class Browser:
    """Stands in for the user's browser: records the authorize URL and follows the redirect
    to the loopback server with the code (after registering it with the fake Azure AD)."""

    def __init__(self, aad: FakeAzureAD, **redirect: str) -> None:
        self.aad = aad
        self.redirect = redirect
        self.urls: list[str] = []
        self.pages: list[httpx.Response] = []
        self.forge_first = False

    def __call__(self, url: str) -> None:
        self.urls.append(url)
        params = query(url)
        target = params["redirect_uri"]
        with httpx.Client(trust_env=False, timeout=5) as web:
            if self.forge_first:
                # A request without this sign-in's state (another page poking the port).
                self.pages.append(web.get(target, params={"code": "evil", "state": "forged"}))
            answer = dict(self.redirect) or {"code": "the-code", "state": params["state"]}
            if "code" in answer:
                self.aad.issue_code(answer["code"], params["code_challenge"], target)
            self.pages.append(web.get(target, params=answer))


def browser_credential(
    aad: FakeAzureAD, browser: Any, **kwargs: Any
) -> InteractiveBrowserCredential:
    return InteractiveBrowserCredential(
        TENANT, CLIENT_ID, open_browser=browser, transport=aad.transport, **kwargs
    )


def test_browser_sign_in_with_pkce_and_state(aad: FakeAzureAD) -> None:
    browser = Browser(aad)
    browser.forge_first = True
    store = MemoryRefreshTokenStore()
    credential = browser_credential(aad, browser, store=store, login_hint=UPN)
    token = credential.get_token()
    assert token.has_mfa and token.user_principal_name == UPN
    (url,) = browser.urls
    assert url.startswith(f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/authorize?")
    params = query(url)
    assert params["response_type"] == "code" and params["code_challenge_method"] == "S256"
    assert params["client_id"] == CLIENT_ID and params["login_hint"] == UPN
    assert params["redirect_uri"].startswith("http://localhost:")
    assert "offline_access" in params["scope"].split()
    assert len(params["state"]) >= 32 and len(params["code_challenge"]) == 43
    # The forged redirect was refused, the real one accepted.
    forged, real = browser.pages
    assert forged.status_code == 400 and real.status_code == 200
    assert "Sign-in complete" in real.text
    redeem = aad.requests[-1][1]
    assert redeem["grant_type"] == "authorization_code" and redeem["code"] == "the-code"
    assert redeem["redirect_uri"] == params["redirect_uri"] and redeem["client_info"] == "1"
    assert 43 <= len(redeem["code_verifier"]) <= 128
    # Silent from now on: no second browser.
    assert store.load(credential.store_key) == aad.issued[-1]
    credential.get_token(tenant_id=CUSTOMER)
    assert len(browser.urls) == 1 and aad.grants()[-1] == "refresh_token"


def test_browser_consent_declined(aad: FakeAzureAD) -> None:
    browser = Browser(aad)

    def decline(url: str) -> None:
        state = query(url)["state"]
        browser.redirect = {
            "error": "access_denied",
            "error_description": "AADSTS65004: User declined to consent to access the app.\r\n"
            "Trace ID: t1\r\nCorrelation ID: c1",
            "state": state,
        }
        browser(url)

    with pytest.raises(AccessDeniedError) as caught:
        browser_credential(aad, decline).get_token()
    assert caught.value.code == 65004 and "declined" in caught.value.description
    assert caught.value.trace_id == "t1"
    assert "Sign-in failed" in browser.pages[-1].text
    assert "authorization_code" not in aad.grants()


def test_browser_timeout(aad: FakeAzureAD) -> None:
    with pytest.raises(SignInError, match="no sign-in redirect arrived within 0.3 s"):
        browser_credential(aad, lambda url: None, sign_in_timeout=0.3).get_token()


def test_browser_redirect_with_wrong_verifier_is_refused(aad: FakeAzureAD) -> None:
    def tamper(url: str) -> None:
        params = query(url)
        aad.issue_code("the-code", "not-the-challenge", params["redirect_uri"])
        with httpx.Client(trust_env=False) as web:
            web.get(params["redirect_uri"], params={"code": "the-code", "state": params["state"]})

    with pytest.raises(InvalidGrantError) as caught:
        browser_credential(aad, tamper).get_token()
    assert caught.value.code == 501481


def test_browser_prints_the_url_without_a_browser(
    aad: FakeAzureAD, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("webbrowser.open", lambda url: False)
    credential = InteractiveBrowserCredential(
        TENANT, CLIENT_ID, transport=aad.transport, sign_in_timeout=0.2
    )
    with pytest.raises(SignInError):
        credential.get_token()
    assert "/oauth2/v2.0/authorize?" in capsys.readouterr().err


def test_browser_falls_back_to_sign_in_when_the_stored_token_is_refused(aad: FakeAzureAD) -> None:
    store = MemoryRefreshTokenStore()
    credential = browser_credential(aad, Browser(aad), store=store)
    store.save(credential.store_key, "0.stale-refresh-token")
    aad.refresh_answer = lambda form: aad_error(700082, "invalid_grant", "expired (inactivity)")
    assert credential.get_token().has_mfa
    assert aad.grants() == ["refresh_token", "refresh_token", "authorization_code"]
    assert store.load(credential.store_key) == aad.issued[-1]


def test_sync_credentials_refuse_async_stores() -> None:
    class AsyncStore:
        async def load(self, key: str) -> str | None:
            return None

        async def save(self, key: str, refresh_token: str) -> None:
            return None

        async def delete(self, key: str) -> None:
            return None

    for cls in (InteractiveBrowserCredential, DeviceCodeCredential):
        with pytest.raises(ConfigurationError, match="async store"):
            cls(TENANT, CLIENT_ID, store=AsyncStore())  # type: ignore[arg-type]


def test_browser_arguments() -> None:
    for kwargs in (
        {"redirect_port": -1},
        {"redirect_port": True},
        {"open_browser": "yes"},
        {"sign_in_timeout": 0},
        {"prompt": "whenever"},
    ):
        with pytest.raises(ConfigurationError):
            InteractiveBrowserCredential(TENANT, CLIENT_ID, **kwargs)


@pytest.mark.anyio
async def test_async_browser_sign_in(aad: FakeAzureAD) -> None:
    browser = Browser(aad)
    async with aio.InteractiveBrowserCredential(
        TENANT, CLIENT_ID, open_browser=browser, transport=aad.async_transport
    ) as credential:
        token = await credential.get_token()
        assert token.has_mfa and len(browser.urls) == 1
        result = await credential.authenticate()
        assert result.username == UPN and len(browser.urls) == 2


@pytest.mark.anyio
async def test_async_browser_page_says_why_a_sign_in_was_refused(aad: FakeAzureAD) -> None:
    aad.amr = ("pwd",)
    browser = Browser(aad)
    async with aio.InteractiveBrowserCredential(
        TENANT, CLIENT_ID, open_browser=browser, transport=aad.async_transport
    ) as credential:
        with pytest.raises(MfaMissingError):  # itself, not wrapped in an ExceptionGroup
            await credential.authenticate(require_mfa=True)
    page = browser.pages[-1].text
    assert "Sign-in complete" not in page and "without multi-factor authentication" in page


@pytest.mark.anyio
async def test_async_browser_timeout_is_a_sign_in_error(aad: FakeAzureAD) -> None:
    async with aio.InteractiveBrowserCredential(
        TENANT,
        CLIENT_ID,
        open_browser=lambda url: None,
        sign_in_timeout=0.3,
        transport=aad.async_transport,
    ) as credential:
        with pytest.raises(SignInError, match="no sign-in redirect arrived within 0.3 s"):
            await credential.get_token()


# -- the secure application model --------------------------------------------------------------


def test_consent_stores_the_refresh_token_of_an_mfa_sign_in(aad: FakeAzureAD) -> None:
    store = MemoryRefreshTokenStore()
    result = secure_app_consent(
        TENANT, CLIENT_ID, store=store, open_browser=Browser(aad), transport=aad.transport
    )
    assert result.username == UPN and result.has_mfa and result.tenant_id is not None
    assert result.store_key == f"https://login.microsoftonline.com|{CLIENT_ID}"
    assert store.load(result.store_key) == aad.issued[-1]
    assert aad.issued[-1] not in repr(result)
    # The runtime path: RefreshTokenCredential redeems it unattended and rotates it.
    runtime = RefreshTokenCredential(TENANT, CLIENT_ID, store=store, transport=aad.transport)
    assert runtime.get_token().has_mfa
    assert store.load(result.store_key) == aad.issued[-1]


def test_consent_refuses_a_sign_in_without_mfa(aad: FakeAzureAD, clock: FakeClock) -> None:
    aad.amr = ("pwd",)
    store = MemoryRefreshTokenStore()
    with pytest.raises(MfaMissingError) as caught:
        secure_app_consent(
            TENANT,
            CLIENT_ID,
            store=store,
            method="device_code",
            prompt_callback=lambda code: None,
            transport=aad.transport,
            timing=clock.timing(),
        )
    assert caught.value.amr == ("pwd",)
    assert "without multi-factor authentication" in str(caught.value)
    assert "900421" in str(caught.value) and "not stored" in str(caught.value)
    assert "MFA" in caught.value.hint
    assert store.keys() == []


def test_the_browser_page_says_why_a_sign_in_was_refused(aad: FakeAzureAD) -> None:
    # The code came back, but the token lacks MFA: the page must not say "Sign-in complete".
    aad.amr = ("pwd",)
    browser = Browser(aad)
    with pytest.raises(MfaMissingError):
        secure_app_consent(
            TENANT,
            CLIENT_ID,
            store=MemoryRefreshTokenStore(),
            open_browser=browser,
            transport=aad.transport,
        )
    page = browser.pages[-1].text
    assert "Sign-in complete" not in page and "Sign-in not completed" in page
    assert "without multi-factor authentication" in page and "Register an MFA method" in page


def test_the_browser_page_says_complete_only_after_the_checks(aad: FakeAzureAD) -> None:
    browser = Browser(aad)
    secure_app_consent(
        TENANT,
        CLIENT_ID,
        store=MemoryRefreshTokenStore(),
        open_browser=browser,
        transport=aad.transport,
    )
    assert "Sign-in complete" in browser.pages[-1].text


def test_the_loopback_server_takes_a_form_post() -> None:
    # response_mode=form_post: Azure AD posts the code in a form body instead of the query.
    with LoopbackServer("the-state") as server, httpx.Client(trust_env=False, timeout=10) as web:
        target = server.redirect_uri
        too_big = web.post(target, content=b"x" * (64 * 1024 + 1))
        assert too_big.status_code == 413
        forged = web.post(target, data={"code": "evil", "state": "forged"})
        assert forged.status_code == 400 and server.ignored == 1
        pages: list[httpx.Response] = []
        poster = threading.Thread(
            target=lambda: pages.append(
                web.post(target, data={"code": "the-code", "state": "the-state"})
            )
        )
        poster.start()
        assert server.wait(10) == {"code": "the-code", "state": "the-state"}
        server.conclude()
        poster.join(10)
    assert pages[0].status_code == 200 and "Sign-in complete" in pages[0].text
    assert pages[0].headers["cache-control"] == "no-store"


def test_consent_arguments(aad: FakeAzureAD) -> None:
    with pytest.raises(ConfigurationError):
        secure_app_consent(TENANT, CLIENT_ID, store=MemoryRefreshTokenStore(), method="sms")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        secure_app_consent(TENANT, CLIENT_ID, store=None)  # type: ignore[arg-type]


# -- RefreshTokenCredential with persistent stores ------------------------------------------------


def seeded_file_store(tmp_path: Path, clock: FakeClock, aad: FakeAzureAD) -> FileRefreshTokenStore:
    store = FileRefreshTokenStore(tmp_path / "tokens.json", key=KEY, keyring=False, clock=clock)
    aad.issued.append("0.first-refresh-token")
    store.save(f"https://login.microsoftonline.com|{CLIENT_ID}", "0.first-refresh-token")
    return store


def test_rotation_persists_in_the_file_store(
    tmp_path: Path, aad: FakeAzureAD, clock: FakeClock
) -> None:
    store = seeded_file_store(tmp_path, clock, aad)
    credential = RefreshTokenCredential(
        TENANT, CLIENT_ID, store=store, transport=aad.transport, timing=Timing(clock=clock)
    )
    credential.get_token()
    credential.get_token(tenant_id=CUSTOMER)
    assert aad.requests[0][1]["refresh_token"] == "0.first-refresh-token"
    assert aad.requests[1][1]["refresh_token"] == aad.issued[-2]
    # What another process would read: the newest token.
    reopened = FileRefreshTokenStore(tmp_path / "tokens.json", key=KEY, keyring=False)
    assert reopened.load(credential.store_key) == aad.issued[-1]


def test_warns_well_before_the_inactivity_limit(
    tmp_path: Path, aad: FakeAzureAD, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    store = seeded_file_store(tmp_path, clock, aad)
    clock.now += 70 * DAY
    credential = RefreshTokenCredential(
        TENANT, CLIENT_ID, store=store, transport=aad.transport, timing=Timing(clock=clock)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        credential.get_token()  # 70 days idle: no warning yet
    clock.now += 77 * DAY  # idle again, longer: 77 days since the rotation
    credential.cache.clear()
    with caplog.at_level(logging.WARNING, "partnercenter.auth"):
        with pytest.warns(RefreshTokenExpiringWarning) as caught:
            credential.get_token()
    message = str(caught[0].message)
    assert "77 days ago" in message and "13 days left" in message and "700082" in message
    assert caught[0].filename == __file__  # attributed to the caller's line
    assert any("77 days ago" in r.getMessage() for r in caplog.records)
    # The redemption renewed it: no warning on the next one.
    credential.cache.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        credential.get_token()


def test_a_token_rotated_by_another_process_is_retried(
    tmp_path: Path, aad: FakeAzureAD, clock: FakeClock
) -> None:
    store = seeded_file_store(tmp_path, clock, aad)
    key = f"https://login.microsoftonline.com|{CLIENT_ID}"
    calls: list[str] = []

    def retire_on_first_use(form: dict[str, str]) -> httpx.Response:
        calls.append(form["refresh_token"])
        if len(calls) == 1:
            # Meanwhile another process redeemed the same token and saved its new one, and
            # this service retires used tokens.
            store.save(key, "0.rotated-elsewhere")
            aad.issued.append("0.rotated-elsewhere")
            return aad_error(70008, "invalid_grant", "The refresh token has been used.")
        return aad._tokens()

    aad.refresh_answer = retire_on_first_use
    credential = RefreshTokenCredential(
        TENANT, CLIENT_ID, store=store, transport=aad.transport, timing=Timing(clock=clock)
    )
    assert credential.get_token().has_mfa
    assert calls == ["0.first-refresh-token", "0.rotated-elsewhere"]
    assert store.load(key) == aad.issued[-1]


@pytest.mark.anyio
async def test_async_refresh_token_credential_with_the_file_store(
    tmp_path: Path, aad: FakeAzureAD, clock: FakeClock
) -> None:
    store = seeded_file_store(tmp_path, clock, aad)
    clock.now += 80 * DAY
    async with aio.RefreshTokenCredential(
        TENANT, CLIENT_ID, store=store, transport=aad.async_transport, timing=Timing(clock=clock)
    ) as credential:
        with pytest.warns(RefreshTokenExpiringWarning):
            await credential.get_token()
    assert store.load(credential.store_key) == aad.issued[-1]


# -- secrets never leak ----------------------------------------------------------------------------


def test_no_secret_in_logs_or_reprs(
    aad: FakeAzureAD, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    aad.polls = [pending(), None]
    store = MemoryRefreshTokenStore()
    device = device_credential(aad, clock, store=store)
    browser_cred = browser_credential(aad, Browser(aad), store=store)
    with caplog.at_level(logging.DEBUG):
        device.get_token()
        browser_cred.authenticate()
    secrets = [*aad.issued, "DEVICE-CODE-SECRET", "the-code"]
    verifier = aad.requests[-1][1]["code_verifier"]
    # The library's own log lines (the fake browser's httpx requests carry the code, as a real
    # browser's address bar would).
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("partner"))
    assert "browser sign-in" in logged
    text = logged + repr(device) + repr(browser_cred) + repr(store)
    for secret in [*secrets, verifier]:
        assert secret not in text


def test_sign_ins_are_one_at_a_time(aad: FakeAzureAD) -> None:
    browser = Browser(aad)
    credential = browser_credential(aad, browser)
    results: list[Any] = []

    def ask(scope: str) -> None:
        results.append(credential.get_token(scope))

    threads = [
        threading.Thread(target=ask, args=(f"https://api.partnercenter.microsoft.com/{s}",))
        for s in ("user_impersonation", "other")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and len(browser.urls) == 1  # the second redeemed silently


def test_rotation_and_warning_with_the_keyring_store(
    aad: FakeAzureAD, clock: FakeClock, memory_keyring: Any
) -> None:
    store = KeyringRefreshTokenStore(backend=memory_keyring, clock=clock)
    key = f"https://login.microsoftonline.com|{CLIENT_ID}"
    aad.issued.append("0.first-refresh-token")
    store.save(key, "0.first-refresh-token")
    clock.now += 85 * DAY
    credential = RefreshTokenCredential(
        TENANT, CLIENT_ID, store=store, transport=aad.transport, timing=Timing(clock=clock)
    )
    with pytest.warns(RefreshTokenExpiringWarning, match="5 days left"):
        credential.get_token()
    assert store.load(key) == aad.issued[-1]
    record = store.load_record(key)
    assert record is not None and record.saved_at == clock.now


@pytest.mark.parametrize("interval", ["inf", "nan", 1e400, "1e999", None, True])
def test_a_devicecode_answer_with_an_unusable_interval_polls_every_5_seconds(
    interval: object,
) -> None:
    answer = {"device_code": "d", "user_code": "U", "verification_uri": "https://x/devicelogin"}
    body = json.dumps({**answer, "expires_in": "900", "interval": interval}).encode()
    code = parse_device_code_response(200, {}, body, now=NOW)
    assert code.interval == 5 and code.expires_on == NOW + 900
