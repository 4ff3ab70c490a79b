"""The helpers of ``partnercenter.testing`` against the plugin's own emulator (this project's
tests use the plugin like any user): reset, journal, faults and throttling for a block, time
travel, sign-in over HTTP and minted refresh tokens."""

from __future__ import annotations

import statistics
import time
from typing import Any

import httpx
import pytest

from partnercenter import AccessToken, PartnerClient, RefreshTokenCredential, RetryPolicy, Timing
from partnercenter.errors import (
    InvalidGrantError,
    MfaRequiredError,
    ServerError,
    ThrottledError,
)
from partnercenter.testing import Sandbox, wrong_totp

ADMIN = "admin@contosopartner.onmicrosoft.com"
AGENT = "agent@contosopartner.onmicrosoft.com"


def no_sleep(seconds: float) -> None:
    """Retries honour Retry-After without a test waiting for it."""


def test_reset_takes_at_most_five_milliseconds(pc_emulator: Sandbox) -> None:
    pc_emulator.mint_refresh_token(ADMIN)
    with pc_emulator.app_credential() as credential:
        credential.get_token()
    timings = []
    for _ in range(50):
        pc_emulator.mint_refresh_token(ADMIN)
        timings.append(pc_emulator.reset())
    assert statistics.median(timings) < 0.005, timings


def test_reset_forgets_what_a_test_did(pc_emulator: Sandbox, pc_client: PartnerClient) -> None:
    refresh_token = pc_emulator.mint_refresh_token(ADMIN)
    pc_emulator.advance_clock(3600)
    pc_emulator.state.faults.add({"status": 500, "path_prefix": "/never"})
    customer = pc_emulator.customer_tenants[0]["id"]
    before = len(list(pc_client.list_customer_users(customer)))
    pc_client.create_customer_user(customer, _new_user(pc_emulator.customer_tenants[0]))
    assert len(list(pc_client.list_customer_users(customer))) == before + 1

    pc_emulator.reset()  # drops the changed data (~0.1 s), rebuilt on the next API call

    assert abs(pc_emulator.now() - time.time()) < 5
    assert pc_emulator.requests() == []
    assert not pc_emulator.state.faults.active
    assert refresh_token not in pc_emulator.state.signin.refresh_tokens
    with pc_emulator.user_credential() as credential, pc_emulator.client(credential) as client:
        assert len(list(client.list_customer_users(customer))) == before  # the data is back


def test_the_journal_shows_tokens_issued_by_client(
    pc_emulator: Sandbox, pc_app_client: PartnerClient
) -> None:
    app = pc_emulator.app("partner-center-app")
    profile = pc_app_client.get_legal_business_profile()
    assert profile["companyName"]

    issued = pc_emulator.tokens_issued(client_id=app["client_id"])
    assert [(e.grant_type, e.token_kind, e.tenant) for e in issued] == [
        ("client_credentials", "app", pc_emulator.partner_tenant["id"])
    ]
    calls = pc_emulator.api_calls(client_id=app["client_id"])
    assert [(c.method, c.path, c.status, c.token_kind) for c in calls] == [
        ("GET", "/v1/profiles/legalbusiness", 200, "app")
    ]
    # Nothing secret was kept: neither the client secret nor any token.
    everything = repr(pc_emulator.requests()) + repr([e.as_dict() for e in pc_emulator.requests()])
    assert app["client_secret"] not in everything
    assert "eyJ" not in everything


def test_faults_apply_for_the_block_only(pc_emulator: Sandbox) -> None:
    with pc_emulator.user_credential() as credential:
        with pc_emulator.client(credential, timing=Timing(sleep=no_sleep)) as client:
            with pc_emulator.faults(target="api", status=503, count=2) as rule:
                assert client.get_legal_business_profile()["companyName"]
            assert rule.hits == 2
            assert not pc_emulator.state.faults.active
            statuses = [c.status for c in pc_emulator.api_calls()]
            assert statuses == [503, 503, 200]
        strict = pc_emulator.client(credential, retry=RetryPolicy(max_retries=0))
        with strict, pc_emulator.faults(target="api", status=500):
            with pytest.raises(ServerError):
                strict.get_mpn_profile()
        with pc_emulator.client(credential) as client:
            assert client.get_mpn_profile()


def test_a_bad_fault_rule_names_the_field(pc_emulator: Sandbox) -> None:
    with pytest.raises(ValueError, match="'rate'"):
        with pc_emulator.faults(status=503, rate=7):
            pass


def test_throttling_applies_for_the_block_only(
    pc_emulator: Sandbox, pc_user_credential: RefreshTokenCredential
) -> None:
    with pc_emulator.client(pc_user_credential, retry=RetryPolicy(max_retries=0)) as client:
        with pc_emulator.throttling(rate_per_second=0.001, burst=1):
            client.get_legal_business_profile()
            with pytest.raises(ThrottledError):
                client.get_legal_business_profile()
        client.get_legal_business_profile()
    assert [c.status for c in pc_emulator.api_calls()] == [200, 429, 200]


def test_device_code_sign_in_with_mfa(pc_emulator: Sandbox) -> None:
    outcome = pc_emulator.sign_in_device_code(ADMIN)
    assert outcome.completed, outcome
    token = AccessToken(outcome.access_token, 0)
    assert token.has_mfa and token.user_principal_name == ADMIN
    assert outcome.refresh_token
    assert "access_token" not in repr(outcome) and outcome.access_token not in repr(outcome)
    grants = [e.grant_type for e in pc_emulator.tokens_issued(user=ADMIN)]
    assert grants == ["urn:ietf:params:oauth:grant-type:device_code"]


def test_authorization_code_sign_in_without_mfa(pc_emulator: Sandbox) -> None:
    outcome = pc_emulator.sign_in_authorization_code(AGENT)
    assert outcome.completed, outcome
    token = AccessToken(outcome.access_token, 0)
    assert token.is_app_and_user and not token.has_mfa
    entry = pc_emulator.tokens_issued(user=AGENT)[0]
    assert (entry.grant_type, entry.mfa) == ("authorization_code", False)
    journal = repr(pc_emulator.requests())
    for secret in (outcome.params["code"], outcome.access_token, outcome.refresh_token):
        assert secret not in journal
    assert any(e.kind == "signin" and "state=" in e.query for e in pc_emulator.requests())


def test_a_wrong_code_is_refused_on_the_page(pc_emulator: Sandbox) -> None:
    secret = pc_emulator.user(ADMIN)["totp_secret"]
    outcome = pc_emulator.sign_in_device_code(ADMIN, otc=wrong_totp(secret, pc_emulator.now()))
    assert not outcome.completed
    assert outcome.stage == "mfa"
    assert outcome.errors and "didn't work" in outcome.errors[-1]
    assert pc_emulator.tokens_issued() == []


def test_a_declined_consent_reaches_the_app_as_an_error(pc_emulator: Sandbox) -> None:
    outcome = pc_emulator.sign_in_authorization_code(ADMIN, consent=False)
    assert not outcome.completed
    assert outcome.params.get("error") == "access_denied"
    stopped = pc_emulator.sign_in_authorization_code(ADMIN, consent=None)
    assert (stopped.completed, stopped.stage) == (False, "consent")


def test_a_declined_device_sign_in_is_not_completed(pc_emulator: Sandbox) -> None:
    flow = pc_emulator.sign_in_device_code(AGENT, consent=False)
    assert not flow.completed
    assert flow.token_error and flow.token_error["error"] == "authorization_declined"


def test_customers_are_found_by_name_domain_or_id(pc_emulator: Sandbox) -> None:
    fabrikam = pc_emulator.customer("Fabrikam")
    assert pc_emulator.customer("fabrikam.onmicrosoft.com") == fabrikam
    assert pc_emulator.customer(fabrikam["id"].upper()) == fabrikam
    with pytest.raises(KeyError):
        pc_emulator.customer("Nobody")
    with pc_emulator.app_credential(tenant=fabrikam["id"]) as credential:
        assert credential.get_token().tenant_id == fabrikam["id"]


def test_a_wrong_password_is_reported(pc_emulator: Sandbox) -> None:
    from partnercenter.testing import SignInUser

    outcome = pc_emulator.sign_in_device_code(SignInUser(ADMIN, "not-the-password"))
    assert (outcome.completed, outcome.stage) == (False, "signin")
    assert outcome.errors


def test_a_minted_refresh_token_works_at_a_customer_tenant(
    pc_emulator: Sandbox, pc_user_credential: RefreshTokenCredential
) -> None:
    customer = pc_emulator.customer_tenants[0]["id"]
    token = pc_user_credential.get_token(tenant_id=customer)
    assert token.tenant_id == customer and token.has_mfa


def test_no_mfa_credentials_are_refused_by_partner_center(
    pc_emulator: Sandbox, pc_user_credential_no_mfa: RefreshTokenCredential
) -> None:
    token = pc_user_credential_no_mfa.get_token()
    assert token.is_app_and_user and not token.has_mfa
    with pc_emulator.client(pc_user_credential_no_mfa, mfa_check="off") as client:
        with pytest.raises(MfaRequiredError):
            client.get_legal_business_profile()


def test_time_travel_expires_refresh_tokens(pc_emulator: Sandbox) -> None:
    with pc_emulator.user_credential() as credential:
        pc_emulator.advance_clock(91 * 86400)
        with pytest.raises(InvalidGrantError) as caught:
            credential.get_token()
    assert caught.value.code == 700082


def test_the_admin_api_resets_and_reads_the_journal(pc_emulator: Sandbox) -> None:
    with pc_emulator.app_credential() as credential:
        credential.get_token()
    headers = {"Authorization": f"Bearer {pc_emulator.admin_key}"}
    with httpx.Client(base_url=pc_emulator.base_url, verify=pc_emulator.verify) as http:
        entries = http.get("/_emulator/journal?kind=token", headers=headers).json()["entries"]
        assert [e["grant_type"] for e in entries] == ["client_credentials"]
        bad = http.get("/_emulator/journal?kind=nope", headers=headers)
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_value"
        assert http.get("/_emulator/journal").status_code == 401
        assert http.post("/_emulator/reset", headers=headers).json()["reset"] is True
    # The reset forgot the token request; the journal call after it is all that is left.
    assert {e.kind for e in pc_emulator.requests()} <= {"admin"}


@pytest.mark.anyio
async def test_async_tests_use_the_same_fixtures(pc_emulator: Sandbox) -> None:
    credential = pc_emulator.async_user_credential()
    async with pc_emulator.async_client(credential) as client:
        profile = await client.get_legal_business_profile()
    await credential.close()
    assert profile["companyName"]
    assert pc_emulator.tokens_issued(user=ADMIN)


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"


def _new_user(tenant: dict[str, Any]) -> dict[str, Any]:
    return {
        "usageLocation": "US",
        "userPrincipalName": f"new.person@{tenant['domain']}",
        "firstName": "New",
        "lastName": "Person",
        "displayName": "New Person",
        "passwordProfile": {"forceChangePassword": True, "password": "Sup3r-Secret!"},
    }


def test_a_dropped_connection_is_journaled_with_status_zero(pc_emulator: Sandbox) -> None:
    token = pc_emulator.mint_access_token()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=pc_emulator.base_url, verify=pc_emulator.verify) as http:
        with pc_emulator.faults(target="api", drop=True, count=1):
            with pytest.raises(httpx.TransportError):
                http.get("/v1/profiles/legalbusiness", headers=headers)
    # A new connection for the next request: this test is about the journal, not about how a
    # client's pool recovers from a dropped connection.
    with httpx.Client(base_url=pc_emulator.base_url, verify=pc_emulator.verify) as http:
        assert http.get("/v1/profiles/legalbusiness", headers=headers).status_code == 200
    # The dropped request is journaled once the server notices the disconnect, which may be
    # a moment after the client gave up on it.
    deadline = time.monotonic() + 10
    while len(pc_emulator.api_calls()) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    answered, dropped = sorted(
        pc_emulator.api_calls(), key=lambda entry: entry.status, reverse=True
    )
    assert (dropped.status, answered.status) == (0, 200)
    assert dropped.user == "admin@contosopartner.onmicrosoft.com" and dropped.mfa is True
    assert token not in repr(pc_emulator.requests())


def test_the_plugin_lifts_throttling_and_shortens_device_polling(pc_emulator: Sandbox) -> None:
    # If a setting is renamed, the plugin drops it silently (so suites keep running): this
    # test is what notices. See PLUGIN_SETTINGS in partnercenter/testing/plugin.py.
    limits = pc_emulator.admin("GET", "throttling")
    assert limits["rate_per_second"] >= 1_000_000 and limits["customer_burst"] >= 1_000_000
    assert pc_emulator.state.settings.device_code_interval == 1
