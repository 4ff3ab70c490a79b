"""The user grants of the emulator's token endpoint (authorization code, refresh token, device
code, password), through its ASGI app in this process: no server, no TLS, and a clock the test
sets. Every refusal with its AADSTS code and the values in its message, the exact edge of
each lifetime (a code or device code at exactly its expiry still redeems; a refresh token
idle exactly the limit still works), PKCE, rotation within the family, delegated admin, MFA
and the conditional-access challenge. The wire tests against a running emulator hold the
main paths; these reach every branch in milliseconds (edges the mutation run,
docs/testing-strength.md, found unheld)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from partnercenter._contract import aadsts
from partnercenter._contract.aadsts import AadstsCode
from partnercenter.emulator import keys as keys_module
from partnercenter.emulator.clock import Clock
from partnercenter.emulator.config import Settings, build
from partnercenter.emulator.directory import Directory, User
from partnercenter.emulator.identity.signin_state import AuthorizeRequest, RefreshGrant
from partnercenter.emulator.identity.token_endpoint import token_endpoint
from partnercenter.emulator.identity.user_grants import USER_GRANTS, pkce_matches
from partnercenter.emulator.keys import KeyRing
from partnercenter.emulator.state import EmulatorState

ORIGIN = "https://login.test"
NOW = 1_800_000_000.0
PARTNER = "8e2346b3-225f-5cc1-89c3-5f5cea075940"
FABRIKAM = "13b70e0a-e2eb-50b4-bf21-2ab72ba7bb5e"  # delegated admin granted
ADATUM = "2909f798-9655-5d75-9a3c-2d8a1c0e83db"  # no delegated admin
CLI = "80f2277f-c730-5e00-9ef2-c92fe6f0fa07"  # public client
WEB = "cc4afb77-5fa2-5d39-8abd-3d28161e9056"  # confidential client
ADMIN = "admin@contosopartner.onmicrosoft.com"  # has a TOTP secret
AGENT = "agent@contosopartner.onmicrosoft.com"  # no MFA method
CUSTOMER_ADMIN = "admin@fabrikam.onmicrosoft.com"
PC = "https://api.partnercenter.microsoft.com"
PC_APP_ID = "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd"
PC_SCOPE = f"{PC}/user_impersonation"
DAY = 86400
DEVICE = "urn:ietf:params:oauth:grant-type:device_code"
PASSWORD = "Emulator-Passw0rd!"


@pytest.fixture(scope="module")
def keys() -> KeyRing:
    return KeyRing.load_or_create(None)


class InProcess(httpx.BaseTransport):
    """The ASGI app called in this process, one event loop per request (no server, no TLS)."""

    def __init__(self, app: Any) -> None:
        self._asgi = httpx.ASGITransport(app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> httpx.Response:
            response = await self._asgi.handle_async_request(request)
            content = b"".join([part async for part in response.stream])  # type: ignore[union-attr]
            return httpx.Response(response.status_code, headers=response.headers, content=content)

        return asyncio.run(call())


@dataclass
class Env:
    state: EmulatorState
    web: httpx.Client
    now: list[float]

    def user(self, upn: str) -> User:
        found = self.state.directory.user(upn)
        assert found is not None
        return found

    def token(
        self, form: dict[str, str], *, tenant: str = PARTNER, version: int = 2
    ) -> httpx.Response:
        path = "oauth2/v2.0/token" if version == 2 else "oauth2/token"
        if version == 2 and form.get("grant_type") == "refresh_token":
            form = {"scope": f"{PC_SCOPE} offline_access", **form}
        return self.web.post(f"/{tenant}/{path}", data=form)

    def consent(self, upn: str = AGENT, client: str = CLI) -> None:
        grants = {f"{PC}/user_impersonation", f"{PC}/openid"}
        self.state.signin.grant_consent(self.user(upn), client, grants)

    def refresh(self, upn: str = AGENT, client: str = CLI, **kw: Any) -> RefreshGrant:
        kw.setdefault("resource", PC)
        issued = kw.pop("issued", self.now[0])
        return self.state.signin.new_refresh_token(self.user(upn), client, ["pwd"], issued, **kw)

    def authorize(self, **changes: Any) -> AuthorizeRequest:
        app = self.state.directory.app(changes.pop("client", CLI))
        assert app is not None
        resource = self.state.directory.resource(PC)
        values: dict[str, Any] = {
            "version": 2,
            "segment": "organizations",
            "tenant": None,
            "app": app,
            "redirect_uri": "http://localhost/callback",
            "response_mode": "query",
            "state": "s",
            "nonce": "n-0",
            "resource": resource,
            "permissions": ["user_impersonation"],
            "oidc_scopes": ["openid", "offline_access"],
            "code_challenge": None,
            "code_challenge_method": None,
            "prompt": None,
            "login_hint": None,
        }
        values.update(changes)
        return AuthorizeRequest(**values)

    def code(self, upn: str = AGENT, amr: list[str] | None = None, **changes: Any) -> str:
        flow = self.state.signin.new_flow(self.authorize(**changes), self.now[0])
        flow.user, flow.amr = self.user(upn), amr or ["pwd"]
        return self.state.signin.new_code(flow, self.now[0] + 600).code


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Directory, Settings]:
    # Shared by the tests of this module: a test that changes a user or tenant does it with
    # monkeypatch, so the change is undone after it.
    return build(None, apps_dir=tmp_path_factory.mktemp("apps"))


@pytest.fixture()
def env(
    keys: KeyRing, seed: tuple[Directory, Settings], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Env]:
    # Tokens are signed on the emulator's module-level thread pool. A process forked after
    # that pool started (as mutmut forks one per mutant) inherits a pool whose threads do not
    # exist, and a signing would wait forever: each test brings its own pool.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-signing")
    monkeypatch.setattr(keys_module, "_signing_pool", pool)
    directory, settings = seed
    now = [NOW]
    state = EmulatorState(
        directory=directory, settings=settings, keys=keys, clock=Clock(lambda: now[0])
    )
    # Only the token endpoints (what these grants answer), as create_app routes them.
    app = Starlette(
        routes=[
            Route(
                "/{tenant}/oauth2/token", token_endpoint(state, 1, USER_GRANTS), methods=["POST"]
            ),
            Route(
                "/{tenant}/oauth2/v2.0/token",
                token_endpoint(state, 2, USER_GRANTS),
                methods=["POST"],
            ),
        ]
    )
    app.state.base_url = ORIGIN
    with httpx.Client(transport=InProcess(app), base_url=ORIGIN) as web:
        yield Env(state, web, now)
    pool.shutdown()


def refused(response: httpx.Response, entry: AadstsCode, **values: object) -> dict[str, Any]:
    assert response.status_code == entry.status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == entry.error and body["error_codes"] == [entry.code], body
    if values:
        assert body["error_description"].split("\r\n")[0] == entry.format(**values)
    return body


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    return decoded


def issued(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# -- refresh token -----------------------------------------------------------------------------


def test_a_refresh_token_rotates_within_its_family(env: Env) -> None:
    env.consent()
    grant = env.refresh()
    body = issued(
        env.token({"grant_type": "refresh_token", "client_id": CLI, "refresh_token": grant.token})
    )
    new = env.state.signin.refresh_tokens[body["refresh_token"]]
    assert new.family == grant.family and new.token != grant.token
    assert (new.resource, new.issued, new.amr) == (PC, NOW, ["pwd"])
    assert (new.user, new.client_id) == (env.user(AGENT), CLI)
    assert grant.token in env.state.signin.refresh_tokens  # the old one stays valid
    access = claims_of(body["access_token"])
    assert access["aud"] == PC and access["amr"] == ["pwd"]
    assert access["tid"] == PARTNER
    assert "client_info" not in body


def test_client_info_only_when_asked(env: Env) -> None:
    env.consent()
    form = {"grant_type": "refresh_token", "client_id": CLI, "client_info": "1"}
    body = issued(env.token({**form, "refresh_token": env.refresh().token}))
    info = json.loads(base64.urlsafe_b64decode(body["client_info"] + "=="))
    assert info["uid"] == env.user(AGENT).object_id
    body = issued(env.token({**form, "client_info": "0", "refresh_token": env.refresh().token}))
    assert "client_info" not in body


@pytest.mark.parametrize(
    ("form", "entry", "values"),
    [
        ({}, aadsts.MISSING_PARAMETER, {"name": "refresh_token"}),
        (
            {"refresh_token": "1.AR-unknown"},
            aadsts.REFRESH_TOKEN_MALFORMED,
            {"detail": "The refresh token is malformed or was not issued here."},
        ),
    ],
)
def test_a_missing_or_unknown_refresh_token(
    env: Env, form: dict[str, str], entry: AadstsCode, values: dict[str, str]
) -> None:
    response = env.token({"grant_type": "refresh_token", "client_id": CLI, **form})
    refused(response, entry, **values)


def test_a_refresh_token_of_another_client_is_refused(env: Env) -> None:
    grant = env.refresh(client=WEB)
    response = env.token(
        {"grant_type": "refresh_token", "client_id": CLI, "refresh_token": grant.token}
    )
    refused(
        response,
        aadsts.CODE_INVALID,
        name="refresh_token",
        detail="The refresh token was issued to a different client.",
    )


def test_a_confidential_client_must_authenticate(env: Env) -> None:
    grant = env.refresh(client=WEB)
    response = env.token(
        {"grant_type": "refresh_token", "client_id": WEB, "refresh_token": grant.token}
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    response = env.token({"grant_type": "refresh_token", "refresh_token": grant.token})
    refused(response, aadsts.MISSING_PARAMETER, name="client_id")


def test_a_revoked_refresh_token_is_refused(env: Env) -> None:
    env.consent()
    grant = env.refresh()
    env.state.signin.revoke_user(env.user(AGENT).object_id)
    form = {"grant_type": "refresh_token", "client_id": CLI, "refresh_token": grant.token}
    refused(env.token(form), aadsts.GRANT_REVOKED)


def test_a_partner_user_redeems_at_a_customer_only_with_delegated_admin(env: Env) -> None:
    env.consent()
    form = {"grant_type": "refresh_token", "client_id": CLI}
    body = issued(env.token({**form, "refresh_token": env.refresh().token}, tenant=FABRIKAM))
    assert claims_of(body["access_token"])["tid"] == FABRIKAM
    response = env.token({**form, "refresh_token": env.refresh().token}, tenant=ADATUM)
    refused(
        response,
        aadsts.PARTNER_APP_NOT_AUTHORIZED,
        app=CLI,
        app_name="partner-center-cli",
        tenant=ADATUM,
    )


def test_a_customer_user_cannot_redeem_at_the_partner_or_another_customer(env: Env) -> None:
    form = {"grant_type": "refresh_token", "client_id": CLI}
    for segment in (PARTNER, "adatum.onmicrosoft.com"):
        grant = env.refresh(CUSTOMER_ADMIN)
        response = env.token({**form, "refresh_token": grant.token}, tenant=segment)
        refused(response, aadsts.USER_NOT_FOUND, upn=CUSTOMER_ADMIN, tenant=segment)


def test_a_refresh_token_idle_exactly_the_limit_still_works(env: Env) -> None:
    env.consent()
    form = {"grant_type": "refresh_token", "client_id": CLI}
    fresh_enough = env.refresh(issued=NOW - 90 * DAY)
    issued(env.token({**form, "refresh_token": fresh_enough.token}))
    idle = env.refresh(issued=NOW - 90 * DAY - 0.5)
    refused(
        env.token({**form, "refresh_token": idle.token}),
        aadsts.REFRESH_TOKEN_INACTIVE,
        issued="2026-10-17T07:59:59.5000000Z",
        inactive="90.00:00:00",
    )


def test_the_inactivity_limit_follows_the_setting(env: Env) -> None:
    env.consent()
    env.state.settings = replace(env.state.settings, refresh_token_inactivity_days=10)
    form = {"grant_type": "refresh_token", "client_id": CLI}
    idle = env.refresh(issued=NOW - 10 * DAY - 1)
    body = refused(env.token({**form, "refresh_token": idle.token}), aadsts.REFRESH_TOKEN_INACTIVE)
    assert "was inactive for 10.00:00:00." in body["error_description"]


def test_rotation_drops_tokens_unused_for_twice_the_limit(env: Env) -> None:
    env.consent()
    ancient = env.refresh(issued=NOW - 180 * DAY - 1)
    old = env.refresh(issued=NOW - 180 * DAY)
    form = {"grant_type": "refresh_token", "client_id": CLI}
    issued(env.token({**form, "refresh_token": env.refresh().token}))
    assert ancient.token not in env.state.signin.refresh_tokens
    assert old.token in env.state.signin.refresh_tokens


def test_v1_refresh_reuses_the_resource_redeemed_last(env: Env) -> None:
    env.consent()
    form = {"grant_type": "refresh_token", "client_id": CLI}
    body = issued(env.token({**form, "refresh_token": env.refresh().token}, version=1))
    assert body["resource"] == PC and claims_of(body["access_token"])["aud"] == PC
    body = issued(
        env.token({**form, "refresh_token": env.refresh().token, "resource": f"{PC}/"}, version=1)
    )
    assert body["resource"] == f"{PC}/"  # echoed as asked
    for resource in (None, "https://unknown.example"):
        grant = env.refresh(resource=resource)
        response = env.token({**form, "refresh_token": grant.token}, version=1)
        refused(response, aadsts.RESOURCE_MISSING)


def test_v2_refresh_needs_a_scope(env: Env) -> None:
    env.consent()
    form = {"grant_type": "refresh_token", "client_id": CLI}
    refused(
        env.token({**form, "refresh_token": env.refresh().token, "scope": ""}, version=2),
        aadsts.MISSING_PARAMETER,
        name="scope",
    )


def test_refresh_without_consent_is_65001(env: Env) -> None:
    form = {"grant_type": "refresh_token", "client_id": CLI, "refresh_token": env.refresh().token}
    refused(env.token(form), aadsts.CONSENT_REQUIRED, client_id=CLI, app_name="partner-center-cli")


# -- authorization code ------------------------------------------------------------------------


def redeem(
    env: Env, code: str, *, version: int = 2, tenant: str = "organizations", **extra: str
) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "client_id": CLI,
        "code": code,
        "redirect_uri": "http://localhost/callback",
        **extra,
    }
    return env.token(form, tenant=tenant, version=version)


def test_a_code_redeems_once_with_the_sign_in_s_scopes_and_nonce(env: Env) -> None:
    code = env.code(amr=["pwd", "mfa"])
    body = issued(redeem(env, code))
    access = claims_of(body["access_token"])
    assert access["amr"] == ["pwd", "mfa"] and access["tid"] == PARTNER
    assert claims_of(body["id_token"])["nonce"] == "n-0"
    assert claims_of(body["id_token"])["iss"] == f"{ORIGIN}/{PARTNER}/v2.0"
    assert body["refresh_token"] and body["scope"].split() == [PC_SCOPE, "openid"]
    refused(redeem(env, code), aadsts.CODE_REDEEMED)


def test_a_code_without_offline_access_gets_no_refresh_token_on_v2_only(env: Env) -> None:
    body = issued(redeem(env, env.code(oidc_scopes=["openid"])))
    assert "refresh_token" not in body
    body = issued(redeem(env, env.code(oidc_scopes=["openid"], version=1), version=1))
    assert body["refresh_token"]


def test_a_v1_code_may_name_its_resource_at_redemption(env: Env) -> None:
    body = issued(redeem(env, env.code(version=1), version=1, resource=f"{PC}/"))
    assert body["resource"] == f"{PC}/"
    body = issued(redeem(env, env.code(version=1), version=1))
    assert body["resource"] == PC


@pytest.mark.parametrize(
    ("form", "entry", "values"),
    [
        ({"code": ""}, aadsts.MISSING_PARAMETER, {"name": "code"}),
        (
            {"code": "1.A-unknown"},
            aadsts.CODE_INVALID,
            {"name": "code", "detail": "The code is unknown or malformed."},
        ),
    ],
)
def test_a_missing_or_unknown_code(
    env: Env, form: dict[str, str], entry: AadstsCode, values: dict[str, str]
) -> None:
    response = env.token({"grant_type": "authorization_code", "client_id": CLI, **form})
    refused(response, entry, **values)


def test_a_code_of_another_client_is_refused(env: Env) -> None:
    code = env.code(client=WEB)
    refused(
        redeem(env, code),
        aadsts.CODE_INVALID,
        name="code",
        detail="The code was issued to a different client.",
    )


def test_a_code_at_exactly_its_expiry_still_redeems(env: Env) -> None:
    on_time, late = env.code(), env.code()
    env.now[0] = NOW + 600
    issued(redeem(env, on_time))
    env.now[0] = NOW + 600.5
    refused(redeem(env, late), aadsts.GRANT_EXPIRED)


def test_the_redirect_uri_must_match(env: Env) -> None:
    response = redeem(env, env.code(), redirect_uri="http://localhost/other")
    refused(
        response,
        aadsts.CODE_INVALID,
        name="redirect_uri",
        detail="It does not match the redirect_uri of the authorization request.",
    )


def test_a_code_for_a_user_not_in_the_tenant_is_refused(env: Env) -> None:
    code = env.code(CUSTOMER_ADMIN)
    refused(
        redeem(env, code, tenant=PARTNER),
        aadsts.USER_NOT_FOUND,
        upn=CUSTOMER_ADMIN,
        tenant=PARTNER,
    )


def test_the_sign_in_tenant_is_used_when_the_path_names_none(env: Env) -> None:
    fabrikam = env.state.directory.tenant(FABRIKAM)
    body = issued(redeem(env, env.code(tenant=fabrikam)))
    assert claims_of(body["access_token"])["tid"] == FABRIKAM


VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 appendix B


def test_pkce_s256_and_plain() -> None:
    assert pkce_matches(CHALLENGE, "S256", VERIFIER)
    assert not pkce_matches(CHALLENGE, "S256", VERIFIER[:-1])
    assert not pkce_matches(CHALLENGE, "S256", None)
    assert not pkce_matches(CHALLENGE, "S256", "")
    assert pkce_matches(VERIFIER, "plain", VERIFIER)
    assert not pkce_matches(VERIFIER, "plain", CHALLENGE)
    assert not pkce_matches(CHALLENGE, "plain", VERIFIER)
    assert not pkce_matches(CHALLENGE, "S256", "vérifier")  # non-ASCII: no crash


def test_a_code_with_a_challenge_needs_the_verifier(env: Env) -> None:
    s256 = {"code_challenge": CHALLENGE, "code_challenge_method": "S256"}
    issued(redeem(env, env.code(**s256), code_verifier=VERIFIER))
    refused(
        redeem(env, env.code(**s256), code_verifier=VERIFIER[1:]), aadsts.CODE_VERIFIER_MISMATCH
    )
    refused(redeem(env, env.code(**s256)), aadsts.CODE_VERIFIER_MISMATCH)
    # No method named: plain, as RFC 7636 4.3 says.
    issued(redeem(env, env.code(code_challenge=VERIFIER), code_verifier=VERIFIER))


# -- device code -------------------------------------------------------------------------------


def device(env: Env, **changes: Any) -> Any:
    return env.state.signin.new_device_code(
        env.authorize(**changes), env.now[0], env.now[0] + 900, 5
    )


def poll(env: Env, code: str, key: str = "device_code", **extra: str) -> httpx.Response:
    form = {"grant_type": DEVICE, "client_id": CLI, key: code, **extra}
    return env.token(form, tenant="organizations")


def test_a_device_code_polls_pending_then_slow_down_then_redeems_once(env: Env) -> None:
    pending = device(env)
    refused(poll(env, pending.device_code), aadsts.DEVICE_PENDING)
    env.now[0] += 3.9  # sooner than 0.8 of the 5 s interval
    refused(poll(env, pending.device_code), aadsts.DEVICE_SLOW_DOWN, interval=5)
    env.now[0] += 4  # exactly 0.8 of the interval since the last poll: fine
    refused(poll(env, pending.device_code), aadsts.DEVICE_PENDING)
    env.state.signin.approve_device(pending, env.user(AGENT), ["pwd", "mfa"], env.now[0])
    body = issued(poll(env, pending.device_code, key="code"))  # MSAL's second name
    assert claims_of(body["access_token"])["amr"] == ["pwd", "mfa"]
    assert body["refresh_token"]
    assert pending.status == "redeemed"
    refused(poll(env, pending.device_code), aadsts.CODE_REDEEMED)


def test_a_device_code_refusals(env: Env) -> None:
    response = env.token({"grant_type": DEVICE, "client_id": CLI})
    refused(response, aadsts.MISSING_PARAMETER, name="device_code")
    refused(poll(env, "DAQ-unknown"), aadsts.DEVICE_BAD_CODE)
    other = device(env, client=WEB)
    refused(poll(env, other.device_code), aadsts.DEVICE_BAD_CODE)
    declined = device(env)
    env.state.signin.decline_device(declined)
    refused(poll(env, declined.device_code), aadsts.DEVICE_DECLINED)


def test_a_device_code_at_exactly_its_expiry_still_redeems(env: Env) -> None:
    on_time, late, pending = device(env), device(env), device(env)
    for code in (on_time, late):
        env.state.signin.approve_device(code, env.user(AGENT), ["pwd"], env.now[0])
    env.now[0] = NOW + 900
    issued(poll(env, on_time.device_code))
    env.now[0] = NOW + 900.5
    refused(poll(env, late.device_code), aadsts.DEVICE_EXPIRED)
    assert late.status == "approved"  # not redeemed by a refused poll
    refused(poll(env, pending.device_code), aadsts.DEVICE_EXPIRED)


def test_a_device_code_without_offline_access_gets_no_refresh_token(env: Env) -> None:
    code = device(env, oidc_scopes=["openid"])
    env.state.signin.approve_device(code, env.user(AGENT), ["pwd"], env.now[0])
    assert "refresh_token" not in issued(poll(env, code.device_code))


def test_a_device_code_redeems_at_the_tenant_of_its_request(env: Env) -> None:
    fabrikam = env.state.directory.tenant(FABRIKAM)
    code = device(env, tenant=fabrikam)
    env.state.signin.approve_device(code, env.user(AGENT), ["pwd"], env.now[0])
    assert claims_of(issued(poll(env, code.device_code))["access_token"])["tid"] == FABRIKAM


# -- password (ROPC) ---------------------------------------------------------------------------


def ropc(
    env: Env, username: str, secret: str = PASSWORD, *, tenant: str = PARTNER, **extra: str
) -> httpx.Response:
    form = {"grant_type": "password", "client_id": CLI, "scope": f"{PC_SCOPE} offline_access"}
    form.update(username=username, password=secret, **extra)
    return env.token({k: v for k, v in form.items() if v}, tenant=tenant)


def test_the_password_grant_for_a_user_without_mfa(env: Env) -> None:
    refused(ropc(env, AGENT), aadsts.CONSENT_REQUIRED, client_id=CLI, app_name="partner-center-cli")
    env.consent()
    body = issued(ropc(env, AGENT))
    assert claims_of(body["access_token"])["amr"] == ["pwd"] and body["refresh_token"]
    assert "refresh_token" not in issued(ropc(env, AGENT, scope=PC_SCOPE))


def test_the_password_grant_refusals(env: Env) -> None:
    refused(ropc(env, ""), aadsts.MISSING_PARAMETER, name="username")
    refused(ropc(env, AGENT, ""), aadsts.MISSING_PARAMETER, name="password")
    refused(
        ropc(env, "nobody@contosopartner.onmicrosoft.com"),
        aadsts.USER_NOT_FOUND,
        upn="nobody@contosopartner.onmicrosoft.com",
        tenant=PARTNER,
    )
    assert ropc(env, AGENT, "wrong").json()["error_codes"] == [50126]
    refused(ropc(env, AGENT, scope=""), aadsts.MISSING_PARAMETER, name="scope")
    response = env.token(
        {"grant_type": "password", "client_id": CLI, "username": AGENT, "password": PASSWORD},
        version=1,
    )
    refused(response, aadsts.RESOURCE_MISSING)


def test_the_password_grant_cannot_satisfy_mfa(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    env.consent(ADMIN)
    refused(ropc(env, ADMIN), aadsts.MFA_REQUIRED, resource=PC_APP_ID)
    # A tenant policy that skips MFA: the same user gets a token.
    home = env.state.directory.tenant(PARTNER)
    assert home is not None
    monkeypatch.setattr(home, "mfa", "skip")
    issued(ropc(env, ADMIN))


def test_conditional_access_challenges_a_token_without_mfa(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = env.user(AGENT)
    monkeypatch.setattr(agent, "conditional_access", True)
    env.consent()
    body = refused(ropc(env, AGENT), aadsts.MFA_ENROLL, resource=PC_APP_ID)
    policy = str(uuid.uuid5(uuid.NAMESPACE_URL, f"partnercenter-emulator/ca/{PARTNER}"))
    assert json.loads(body["claims"]) == {
        "access_token": {"capolids": {"essential": True, "values": [policy]}}
    }
    assert body["claims"] == json.dumps(json.loads(body["claims"]), separators=(",", ":"))
    # With an MFA method registered the answer is 50076; a token with MFA passes.
    monkeypatch.setattr(agent, "totp_secret", "JBSWY3DPEHPK3PXPJBSWY3DP")
    refused(ropc(env, AGENT), aadsts.MFA_REQUIRED, resource=PC_APP_ID)
    issued(redeem(env, env.code(AGENT, amr=["pwd", "mfa"])))


def test_a_v1_request_names_its_resource(env: Env) -> None:
    env.consent()
    form = {"grant_type": "password", "client_id": CLI, "username": AGENT, "password": PASSWORD}
    body = issued(env.token({**form, "resource": PC}, version=1))
    assert body["refresh_token"] and claims_of(body["access_token"])["aud"] == PC
    assert claims_of(body["access_token"])["appidacr"] == "0"
    assert body["scope"] == "user_impersonation"


# -- the tenant and the client, as the request and the sign-in name them ----------------------


def test_a_v2_redemption_keeps_the_sign_in_s_resource(env: Env) -> None:
    # MSAL sends scope (and some clients resource) when redeeming a code: the sign-in decided.
    graph = "https://graph.microsoft.com"
    body = issued(redeem(env, env.code(), scope=f"{graph}/User.Read", resource=graph))
    access = claims_of(body["access_token"])
    assert access["aud"] == PC and access["scp"] == "user_impersonation"


def test_a_v1_redemption_may_name_another_resource(env: Env) -> None:
    graph = "https://graph.microsoft.com"
    body = issued(redeem(env, env.code(version=1), version=1, resource=graph))
    access = claims_of(body["access_token"])
    assert body["resource"] == graph and access["scp"] == "User.Read Directory.Read.All"
    assert access["appidacr"] == "0"  # a public client


def test_an_app_not_installed_in_the_tenant_is_refused_naming_the_path(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = env.state.directory.app(CLI)
    assert cli is not None
    monkeypatch.setattr(cli, "multi_tenant", False)  # installed in the partner tenant only
    refused(
        redeem(env, env.code(), tenant="fabrikam.onmicrosoft.com"),
        aadsts.APP_NOT_FOUND,
        client_id=CLI,
        tenant="fabrikam.onmicrosoft.com",
    )
    at_customer = device(env, tenant=env.state.directory.tenant(FABRIKAM))
    refused(
        poll(env, at_customer.device_code),
        aadsts.APP_NOT_FOUND,
        client_id=CLI,
        tenant="organizations",
    )
    pending = device(env)
    response = env.token(
        {"grant_type": DEVICE, "client_id": CLI, "device_code": pending.device_code},
        tenant="fabrikam.onmicrosoft.com",
    )
    refused(response, aadsts.APP_NOT_FOUND, client_id=CLI, tenant="fabrikam.onmicrosoft.com")
    refused(poll(env, pending.device_code), aadsts.DEVICE_PENDING)  # at home: fine


def test_a_device_code_redeems_at_the_tenant_the_path_names(env: Env) -> None:
    code = device(env)
    env.state.signin.approve_device(code, env.user(AGENT), ["pwd"], env.now[0])
    response = env.token(
        {"grant_type": DEVICE, "client_id": CLI, "device_code": code.device_code},
        tenant=FABRIKAM,
    )
    assert claims_of(issued(response)["access_token"])["tid"] == FABRIKAM


def test_a_device_code_for_a_user_not_in_the_path_tenant_is_refused(env: Env) -> None:
    code = device(env)
    env.state.signin.approve_device(code, env.user(CUSTOMER_ADMIN), ["pwd"], env.now[0])
    response = env.token(
        {"grant_type": DEVICE, "client_id": CLI, "device_code": code.device_code},
        tenant=PARTNER,
    )
    refused(response, aadsts.USER_NOT_FOUND, upn=CUSTOMER_ADMIN, tenant=PARTNER)


def test_a_device_code_redeemed_at_its_expiry_cannot_be_redeemed_again(env: Env) -> None:
    code = device(env)
    env.state.signin.approve_device(code, env.user(AGENT), ["pwd"], env.now[0])
    env.now[0] = NOW + 900
    issued(poll(env, code.device_code))
    assert code.status == "redeemed"
    refused(poll(env, code.device_code), aadsts.CODE_REDEEMED)


def test_a_v1_device_code_gives_v1_tokens_and_always_a_refresh_token(env: Env) -> None:
    code = device(env, version=1, oidc_scopes=["openid"])
    env.state.signin.approve_device(code, env.user(AGENT), ["pwd"], env.now[0])
    response = env.token(
        {"grant_type": DEVICE, "client_id": CLI, "code": code.device_code},
        tenant="organizations",
        version=1,
    )
    body = issued(response)
    assert body["resource"] == PC and body["refresh_token"]
    access = claims_of(body["access_token"])
    assert access["appidacr"] == "0" and access["acr"] == "1"


def test_a_refresh_at_a_tenant_where_the_app_is_not_installed(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.consent()
    cli = env.state.directory.app(CLI)
    assert cli is not None
    monkeypatch.setattr(cli, "multi_tenant", False)
    form = {"grant_type": "refresh_token", "client_id": CLI, "refresh_token": env.refresh().token}
    refused(
        env.token(form, tenant="fabrikam.onmicrosoft.com"),
        aadsts.APP_NOT_FOUND,
        client_id=CLI,
        tenant="fabrikam.onmicrosoft.com",
    )
    issued(env.token(form))


def test_a_v1_refresh_may_switch_resource(env: Env) -> None:
    graph = "https://graph.microsoft.com"
    env.consent()
    env.state.signin.grant_consent(
        env.user(AGENT), CLI, {f"{graph}/User.Read", f"{graph}/Directory.Read.All"}
    )
    form = {"grant_type": "refresh_token", "client_id": CLI, "refresh_token": env.refresh().token}
    body = issued(env.token({**form, "resource": graph}, version=1))
    assert claims_of(body["access_token"])["scp"] == "User.Read Directory.Read.All"
    # Without resource= the one redeemed last (the grant's) is used, with an id token.
    body = issued(env.token(form, version=1))
    assert claims_of(body["access_token"])["scp"] == "user_impersonation"
    assert claims_of(body["access_token"])["appidacr"] == "0"
    assert claims_of(body["id_token"])["aud"] == CLI


def test_the_inactivity_error_gives_the_issue_time_in_utc(env: Env) -> None:
    # Five hours off UTC: a local-time rendering would show another hour.
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        env.consent()
        idle = env.refresh(issued=NOW - 90 * DAY - 0.5)
        form = {"grant_type": "refresh_token", "client_id": CLI, "refresh_token": idle.token}
        refused(
            env.token(form),
            aadsts.REFRESH_TOKEN_INACTIVE,
            issued="2026-10-17T07:59:59.5000000Z",
            inactive="90.00:00:00",
        )
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_the_password_grant_at_a_customer_tenant_and_an_app_installed_at_home(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.consent()
    body = issued(ropc(env, AGENT, tenant=FABRIKAM))
    assert claims_of(body["access_token"])["tid"] == FABRIKAM
    refused(
        ropc(env, CUSTOMER_ADMIN, tenant="contosopartner.onmicrosoft.com"),
        aadsts.USER_NOT_FOUND,
        upn=CUSTOMER_ADMIN,
        tenant="contosopartner.onmicrosoft.com",
    )
    cli = env.state.directory.app(CLI)
    assert cli is not None
    monkeypatch.setattr(cli, "multi_tenant", False)
    refused(
        ropc(env, AGENT, tenant="fabrikam.onmicrosoft.com"),
        aadsts.APP_NOT_FOUND,
        client_id=CLI,
        tenant="fabrikam.onmicrosoft.com",
    )


def test_a_cae_capable_client_gets_a_long_lived_token(env: Env) -> None:
    env.consent()
    form = {"grant_type": "refresh_token", "client_id": CLI}
    plain = issued(env.token({**form, "refresh_token": env.refresh().token}))
    cp1 = json.dumps({"access_token": {"xms_cc": {"values": ["CP1"]}}})
    cae = issued(env.token({**form, "refresh_token": env.refresh().token, "claims": cp1}))
    assert int(plain["expires_in"]) <= 2 * 3600 < 20 * 3600 <= int(cae["expires_in"])


def test_conditional_access_applies_to_every_user_grant(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.consent()
    monkeypatch.setattr(env.user(AGENT), "conditional_access", True)
    form = {"grant_type": "refresh_token", "client_id": CLI, "refresh_token": env.refresh().token}
    refused(env.token(form), aadsts.MFA_ENROLL, resource=PC_APP_ID)
    refused(redeem(env, env.code()), aadsts.MFA_ENROLL, resource=PC_APP_ID)


def test_v1_grants_name_the_resource_and_get_an_id_token(env: Env) -> None:
    env.consent()
    form = {"grant_type": "password", "client_id": CLI, "username": AGENT, "password": PASSWORD}
    body = issued(env.token({**form, "resource": PC}, version=1))
    assert claims_of(body["id_token"])["aud"] == CLI
    refresh = {"grant_type": "refresh_token", "client_id": CLI}
    body = issued(
        env.token({**refresh, "refresh_token": env.refresh().token, "resource": PC}, version=1)
    )
    assert claims_of(body["id_token"])["aud"] == CLI
    body = issued(redeem(env, env.code(version=1), version=1))
    assert claims_of(body["id_token"])["aud"] == CLI
    refused(
        env.token({**form, "resource": "https://unknown.example"}, version=1),
        aadsts.RESOURCE_NOT_FOUND,
        resource="https://unknown.example",
        tenant=PARTNER,
    )


def test_an_unknown_client_is_refused(env: Env) -> None:
    unknown = "00000000-1111-2222-3333-444444444444"
    form = {"grant_type": "refresh_token", "client_id": unknown, "refresh_token": "x"}
    refused(
        env.token({**form, "refresh_token": env.refresh().token}),
        aadsts.APP_NOT_FOUND,
        client_id=unknown,
        tenant=PARTNER,
    )


def test_a_v2_code_without_openid_gets_no_id_token(env: Env) -> None:
    body = issued(redeem(env, env.code(oidc_scopes=[])))
    assert "id_token" not in body and "refresh_token" not in body
