"""The pure parts: refresh/retry decisions, request building, response and AADSTS parsing."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partnercenter import AccessToken
from partnercenter._credentials import policy, protocol
from partnercenter._credentials.policy import RefreshStatus, RetryPolicy
from partnercenter.errors import (
    AzureADError,
    ConfigurationError,
    InteractionRequiredError,
    InvalidClientError,
    InvalidGrantError,
    TokenEndpointError,
)

from .conftest import CLIENT_ID, SECRET, aad_error


def token(expires_on: int, refresh_on: int | None = None) -> AccessToken:
    return AccessToken("t", expires_on, refresh_on=refresh_on)


def test_refresh_status_follows_refresh_on_margin_and_expiry() -> None:
    t = token(expires_on=4600, refresh_on=2800)  # issued at 1000, one hour
    assert policy.refresh_status(None, 0) is RefreshStatus.REQUIRED
    assert policy.refresh_status(t, 2799) is RefreshStatus.NOT_NEEDED
    assert policy.refresh_status(t, 2800) is RefreshStatus.RECOMMENDED
    assert policy.refresh_status(t, 4600 - 31) is RefreshStatus.RECOMMENDED
    assert policy.refresh_status(t, 4600 - 30) is RefreshStatus.REQUIRED
    # A failed recommended refresh is not retried for MIN_REFRESH_INTERVAL.
    assert policy.refresh_status(t, 3000, last_attempt=2990) is RefreshStatus.NOT_NEEDED
    assert policy.refresh_status(t, 3020, last_attempt=2990) is RefreshStatus.RECOMMENDED
    # ...but a required one always is.
    assert policy.refresh_status(t, 4590, last_attempt=4589) is RefreshStatus.REQUIRED


def test_five_minute_rule_beats_a_late_refresh_on() -> None:
    t = token(expires_on=1000, refresh_on=990)
    assert policy.refresh_due(t) == 700
    assert policy.refresh_status(t, 700) is RefreshStatus.RECOMMENDED
    assert policy.refresh_due(token(expires_on=1000)) == 700


def test_default_refresh_on() -> None:
    assert policy.default_refresh_on(1000, 3600, None) == 2800
    assert policy.default_refresh_on(1000, 86400, 3600) == 4600


def test_retry_delay_backs_off_with_jitter_and_stops() -> None:
    p = RetryPolicy(max_retries=3, backoff=0.5, max_backoff=1.5)
    assert policy.retry_delay(p, 0, 0.0, status=503) == 0.25
    assert policy.retry_delay(p, 0, 1.0, status=503) == 0.5
    assert policy.retry_delay(p, 1, 1.0, status=429) == 1.0
    assert policy.retry_delay(p, 2, 1.0) == 1.5  # capped
    assert policy.retry_delay(p, 3, 0.5, status=503) is None  # bounded
    for status in (400, 401, 403, 404, 409):
        assert policy.retry_delay(p, 0, 0.5, status=status) is None
    assert policy.retry_delay(p, 0, 0.5, status=429, retry_after=7) == 7
    assert policy.retry_delay(p, 0, 0.5, status=429, retry_after=61) is None


@given(
    st.integers(0, 10), st.floats(0, 1, exclude_max=True), st.sampled_from([None, 429, 500, 503])
)
def test_retry_delay_is_bounded(retries: int, rnd: float, status: int | None) -> None:
    p = RetryPolicy()
    delay = policy.retry_delay(p, retries, rnd, status=status)
    if retries >= p.max_retries:
        assert delay is None
    else:
        assert delay is not None and 0 < delay <= p.max_backoff


def test_parse_retry_after() -> None:
    assert policy.parse_retry_after("57", 0) == 57
    assert policy.parse_retry_after("Thu, 01 Jan 1970 00:01:40 GMT", 40) == 60
    assert policy.parse_retry_after("soon", 0) is None
    assert policy.parse_retry_after("-3", 0) is None
    assert policy.parse_retry_after(None, 0) is None


def test_bad_retry_policy_names_the_argument() -> None:
    with pytest.raises(ConfigurationError, match="max_retries"):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ConfigurationError, match="backoff"):
        RetryPolicy(backoff=float("nan"))


def test_scopes_and_resources() -> None:
    pc = "https://api.partnercenter.microsoft.com"
    assert protocol.normalize_scopes((), pc + "/.default") == (pc + "/.default",)
    assert protocol.normalize_scopes((pc,), "x") == (pc + "/.default",)
    assert protocol.normalize_scopes((pc + "/",), "x") == (pc + "/.default",)
    assert protocol.resource_of(pc + "/.default") == pc
    assert protocol.resource_of(pc + "/user_impersonation") == pc
    assert protocol.resource_of(pc) == pc
    with pytest.raises(ConfigurationError, match="scopes"):
        protocol.normalize_scopes(("",), "x")


def test_client_credentials_forms() -> None:
    pc = "https://api.partnercenter.microsoft.com/.default"
    v2 = protocol.client_credentials_form(CLIENT_ID, (pc,), "v2")
    assert v2 == {"grant_type": "client_credentials", "client_id": CLIENT_ID, "scope": pc}
    v1 = protocol.client_credentials_form(CLIENT_ID, (pc,), "v1")
    assert v1["resource"] == "https://api.partnercenter.microsoft.com" and "scope" not in v1
    with pytest.raises(ConfigurationError, match="exactly one resource"):
        protocol.client_credentials_form(
            CLIENT_ID, (pc, "https://graph.microsoft.com/.default"), "v1"
        )


def test_refresh_token_form_asks_for_rotation() -> None:
    scope = "https://api.partnercenter.microsoft.com/user_impersonation"
    v2 = protocol.refresh_token_form(CLIENT_ID, "rt", (scope,), "v2")
    assert v2["scope"] == f"{scope} offline_access" and v2["client_info"] == "1"
    v1 = protocol.refresh_token_form(CLIENT_ID, "rt", (scope,), "v1")
    assert v1["resource"] == "https://api.partnercenter.microsoft.com"


def test_basic_auth_header_form_encodes_both_parts() -> None:
    header = protocol.basic_auth_header("id", "a+b:c")
    assert base64.b64decode(header.split()[1]) == b"id:a%2Bb%3Ac"


def test_token_request_repr_hides_secrets() -> None:
    request = protocol.TokenRequest(
        url="https://x/t", form={"client_secret": SECRET, "client_id": CLIENT_ID}, secrets=(SECRET,)
    )
    assert SECRET not in repr(request) and CLIENT_ID in repr(request)
    built = protocol.build_httpx_request(request)
    assert built.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(built.content.decode())["client_secret"] == [SECRET]


def test_v1_response_numbers_are_strings() -> None:
    body = (
        b'{"token_type":"Bearer","expires_in":"3599","ext_expires_in":"3599",'
        b'"expires_on":"9999","not_before":"1","resource":"r","access_token":"abc"}'
    )
    result = protocol.parse_token_response(200, {}, body, sent_at=1000)
    assert result.access_token.expires_on == 4599  # from expires_in, not the server's clock
    assert result.access_token.refresh_on == 1000 + 1799
    assert result.refresh_token is None


def test_v2_response_with_refresh_in_and_rotation() -> None:
    body = (
        b'{"token_type":"Bearer","expires_in":86399,"refresh_in":43199,'
        b'"access_token":"abc","refresh_token":"new","scope":"s"}'
    )
    result = protocol.parse_token_response(200, {}, body, sent_at=0)
    assert result.access_token.refresh_on == 43199
    assert result.refresh_token == "new" and result.scope == "s"
    assert "new" not in repr(result)


def test_expires_on_only() -> None:
    result = protocol.parse_token_response(
        200, {}, b'{"access_token":"a","expires_on":"1600"}', sent_at=1000
    )
    assert result.access_token.expires_on == 1600


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'{"token_type":"Bearer"}', b'{"access_token":"a"}'],
)
def test_malformed_success_is_a_token_endpoint_error(body: bytes) -> None:
    with pytest.raises(TokenEndpointError):
        protocol.parse_token_response(200, {}, body, sent_at=0)


def test_aadsts_error_fields_and_hint() -> None:
    response = aad_error(7000215, "invalid_client", "Invalid client secret provided.", status=401)
    error = protocol.parse_error_response(401, response.headers, response.content, now=0)
    assert isinstance(error, InvalidClientError)
    assert error.code == 7000215 and error.codes == (7000215,)
    assert error.description == "AADSTS7000215: Invalid client secret provided."
    assert error.trace_id == "0b5c8d1e-1111-2222-3333-444455556666"
    assert error.correlation_id == "7f3e2a10-aaaa-bbbb-cccc-ddddeeeeffff"
    assert error.timestamp == "2026-01-09 02:02:12Z" and error.status == 401
    assert "Secret ID" in error.hint  # from the AADSTS catalog
    text = str(error)
    assert text.startswith("invalid_client: AADSTS7000215") and "Hint: " in text
    assert "correlation id 7f3e2a10" in text


@pytest.mark.parametrize(
    ("code", "error", "cls", "hint_word"),
    [
        (7000222, "invalid_client", InvalidClientError, "expired"),
        (50076, "invalid_grant", InvalidGrantError, "MFA"),
        (50058, "interaction_required", InteractionRequiredError, "prompt"),
        (65001, "invalid_grant", InvalidGrantError, "consent"),
        (700082, "invalid_grant", InvalidGrantError, "90 days"),
        (90002, "invalid_request", AzureADError, "tenant"),
    ],
)
def test_common_codes_get_their_hint(code: int, error: str, cls: type, hint_word: str) -> None:
    response = aad_error(code, error, "message")
    parsed = protocol.parse_error_response(400, response.headers, response.content, now=0)
    assert isinstance(parsed, cls)
    assert hint_word.lower() in parsed.hint.lower()


def test_error_codes_from_the_description_when_the_list_is_missing() -> None:
    body = (
        b'{"error":"invalid_grant","error_description":"AADSTS70008: expired\\r\\nTrace ID: abc"}'
    )
    error = protocol.parse_error_response(400, {}, body, now=0)
    assert isinstance(error, InvalidGrantError)
    assert error.codes == (70008,) and error.trace_id == "abc"


def test_secrets_echoed_by_the_server_are_redacted() -> None:
    body = (
        '{"error":"invalid_grant","error_description":"AADSTS9002313: bad [' + SECRET + ']"}'
    ).encode()
    error = protocol.parse_error_response(400, {}, body, now=0, secrets=(SECRET,))
    assert SECRET not in str(error) and SECRET not in error.description


def test_non_aad_error_bodies() -> None:
    response = httpx.Response(429, headers={"Retry-After": "12"}, text="<html>busy</html>")
    error = protocol.parse_error_response(429, response.headers, response.content, now=0)
    assert isinstance(error, TokenEndpointError)
    assert error.status == 429 and error.retry_after == 12 and "Retry-After" in error.hint


def test_absurdly_nested_json_is_not_a_recursion_error() -> None:
    nested = b"[" * 100_000
    with pytest.raises(TokenEndpointError):
        protocol.parse_token_response(200, {}, nested, sent_at=0)
    payload = base64.urlsafe_b64encode(nested).decode().rstrip("=")
    assert AccessToken(f"e30.{payload}.sig", 0).kind == "unknown"


def test_retry_after_date_without_zone_is_gmt(monkeypatch: pytest.MonkeyPatch) -> None:
    import calendar
    import time

    from partnercenter._credentials.policy import parse_retry_after

    # On a UTC machine local time and GMT agree, so reading the zoneless date as local time
    # would pass unnoticed: run it in a zone five hours off, and restore the zone afterwards.
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert time.timezone != 0
        now = calendar.timegm((2026, 1, 1, 0, 0, 0))
        assert parse_retry_after("Thu, 01 Jan 2026 00:00:30", now) == 30.0
        assert parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now) == 30.0
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(
    ("body", "refresh_on", "expires_on"),
    [
        # Entra's default: a random 60-90 minute token without refresh_in -> half-life.
        (b'{"token_type":"Bearer","expires_in":4823,"access_token":"a"}', 2411, 4823),
        # A CAE-capable client's 20-28 h token with refresh_in (v2 integers, v1 strings).
        (b'{"expires_in":91234,"refresh_in":45617,"access_token":"a"}', 45617, 91234),
        (b'{"expires_in":"91234","refresh_in":"45617","access_token":"a"}', 45617, 91234),
    ],
)
def test_refresh_in_decides_the_refresh_for_both_lifetimes(
    body: bytes, refresh_on: int, expires_on: int
) -> None:
    token = protocol.parse_token_response(200, {}, body, sent_at=0).access_token
    assert (token.refresh_on, token.expires_on) == (refresh_on, expires_on)
    assert policy.refresh_status(token, refresh_on - 1) is policy.RefreshStatus.NOT_NEEDED
    assert policy.refresh_status(token, refresh_on) is policy.RefreshStatus.RECOMMENDED
    assert policy.refresh_status(token, expires_on - 30) is policy.RefreshStatus.REQUIRED


def test_claims_challenge_and_basic_action_reach_the_error() -> None:
    """Entra's MFA answers are invalid_grant + basic_action; a conditional-access policy adds
    a ``claims`` challenge the caller passes to its next interactive sign-in."""
    challenge = '{"access_token":{"capolids":{"essential":true,"values":["p1"]}}}'
    response = aad_error(50076, "invalid_grant", "you must use multi-factor authentication")
    body = {**response.json(), "suberror": "basic_action", "claims": challenge}
    parsed = protocol.parse_error_response(
        400, {}, json.dumps(body).encode(), now=0, secrets=("p2",)
    )
    assert isinstance(parsed, InvalidGrantError)
    assert parsed.claims == challenge and parsed.suberror == "basic_action"
    assert parsed.code == 50076 and "MFA" in parsed.hint
