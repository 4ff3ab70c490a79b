"""Property tests (hypothesis) for the rules with many inputs: scope normalization, cache keys,
Retry-After parsing, AADSTS error bodies and paging tokens."""

from __future__ import annotations

import calendar
import datetime
import email.utils
import json
import math
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partnercenter import ClientSecretCredential, MemoryTokenCache, Timing
from partnercenter._client.paging import next_page
from partnercenter._contract.wire import DEFAULT_SCOPE_SUFFIX, HEADER_CONTINUATION_TOKEN
from partnercenter._credentials.policy import parse_retry_after
from partnercenter._credentials.protocol import normalize_scopes, parse_error_response, resource_of
from partnercenter.emulator.api.errors import ApiError
from partnercenter.emulator.api.paging import PageCutter, collection, link
from partnercenter.errors import AuthenticationError, AzureADError, ConfigurationError

from .fakes import FakeClock, app_claims, jwt

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

hosts = st.from_regex(r"[a-z][a-z0-9]{0,10}(\.[a-z][a-z0-9]{0,10}){1,2}", fullmatch=True)
segments = st.from_regex(r"[A-Za-z0-9_.~-]{1,12}", fullmatch=True).filter(
    lambda s: s not in (".", "..")
)
resources = st.builds(lambda host: f"https://{host}", hosts)
path_scopes = st.builds(lambda r, s: f"{r}/{s}", resources, segments)
names = st.from_regex(r"[a-z][a-z_.]{0,15}", fullmatch=True)  # openid, offline_access...


# -- scope normalization ----------------------------------------------------------------------
@SETTINGS
@given(st.lists(st.one_of(resources, path_scopes, names), min_size=1, max_size=5))
def test_normalizing_scopes_is_idempotent_and_keeps_order(scopes: list[str]) -> None:
    once = normalize_scopes(scopes, "default")
    assert len(once) == len(scopes)
    assert normalize_scopes(once, "default") == once


@SETTINGS
@given(resources, st.sampled_from(["", "/"]), st.sampled_from(["", " ", "\t"]))
def test_a_bare_resource_becomes_its_default_scope(resource: str, slash: str, pad: str) -> None:
    (scope,) = normalize_scopes([f"{pad}{resource}{slash}{pad}"], "unused")
    assert scope == resource + DEFAULT_SCOPE_SUFFIX
    assert resource_of(scope) == resource


@SETTINGS
@given(path_scopes)
def test_a_scope_with_a_path_is_kept_and_names_its_resource(scope: str) -> None:
    assert normalize_scopes([scope], "unused") == (scope,)
    assert scope.startswith(resource_of(scope) + "/")


@SETTINGS
@given(st.sampled_from(["", " ", "\n\t"]))
def test_a_blank_scope_is_a_configuration_error(blank: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        normalize_scopes(["https://a.example/x", blank], "default")
    assert caught.value.argument == "scopes"


def test_no_scopes_means_the_default() -> None:
    assert normalize_scopes([], "https://a.example/.default") == ("https://a.example/.default",)


# -- cache keys ---------------------------------------------------------------------------------
TENANTS = [f"{i:08x}-0000-4000-8000-000000000000" for i in range(3)]
CLIENT = "cc4afb77-5fa2-5d39-8abd-3d28161e9056"
SCOPES = ["https://api.partnercenter.microsoft.com/.default", "https://graph.example/.default"]


@settings(SETTINGS, max_examples=40)
@given(st.lists(st.tuples(st.sampled_from(TENANTS), st.sampled_from(SCOPES)), max_size=12))
def test_one_token_request_per_distinct_tenant_and_scope(calls: list[tuple[str, str]]) -> None:
    """Credentials of several tenants share one cache: a key never collides with another
    tenant's or scope's, and a repeated key is always a hit."""
    sent: list[str] = []

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        tenant = request.url.path.split("/")[1]
        sent.append(tenant)
        token = jwt({**app_claims(tenant, CLIENT), "exp": 10_000_000})
        return httpx.Response(200, json={"access_token": token, "expires_in": 3600})

    cache = MemoryTokenCache()
    clock = FakeClock(1_000_000.0)
    transport = httpx.MockTransport(token_endpoint)
    credentials = {
        tenant: ClientSecretCredential(
            tenant,
            CLIENT,
            "s3cret~Value",
            transport=transport,
            cache=cache,
            timing=Timing(clock=clock),
        )
        for tenant in TENANTS
    }
    tokens: dict[tuple[str, str], str] = {}
    for tenant, scope in calls:
        token = credentials[tenant].get_token(scope).token
        assert tokens.setdefault((tenant, scope), token) == token
        assert json.loads(_payload(token))["tid"] == tenant
    assert len(sent) == len(set(calls)) == len(cache)
    for credential in credentials.values():
        credential.close()


def _payload(token: str) -> str:
    import base64

    part = token.split(".")[1]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode()


# -- Retry-After ----------------------------------------------------------------------------------
NOW = float(calendar.timegm((2026, 1, 1, 0, 0, 0)))


@SETTINGS
@given(st.integers(min_value=0, max_value=10**9))
def test_delta_seconds_are_read_as_given(seconds: int) -> None:
    assert parse_retry_after(str(seconds), NOW) == seconds
    assert parse_retry_after(f"  {seconds}\t", NOW) == seconds


@SETTINGS
@given(
    st.datetimes(
        min_value=datetime.datetime(1990, 1, 1), max_value=datetime.datetime(2100, 1, 1)
    ).map(lambda d: d.replace(microsecond=0)),
    st.booleans(),
)
def test_an_http_date_is_seconds_from_now_never_negative(
    when: datetime.datetime, gmt: bool
) -> None:
    stamp = calendar.timegm(when.timetuple())
    text = email.utils.formatdate(stamp, usegmt=True)
    if not gmt:
        text = text.removesuffix(" GMT")  # zoneless: still GMT (RFC 9110 5.6.7)
    assert parse_retry_after(text, NOW) == max(0.0, stamp - NOW)


@SETTINGS
@given(st.text(max_size=40))
def test_any_header_value_is_none_or_a_finite_wait(value: str) -> None:
    result = parse_retry_after(value, NOW)
    assert result is None or (math.isfinite(result) and result >= 0)


@SETTINGS
@given(st.sampled_from(["-1", "nan", "inf", "-inf", "1e999", "soon", "", "  "]))
def test_unusable_values_are_none(value: str) -> None:
    assert parse_retry_after(value, NOW) is None


# -- AADSTS error bodies -------------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
error_fields = st.fixed_dictionaries(
    {},
    optional={
        "error": json_values | st.sampled_from(["invalid_grant", "invalid_client"]),
        "error_description": json_values | st.text(max_size=60),
        "error_codes": json_values | st.lists(st.integers(0, 10**6), max_size=3),
        "trace_id": json_values,
        "correlation_id": json_values,
        "timestamp": json_values,
        "suberror": json_values,
        "claims": json_values,
    },
)


@SETTINGS
@given(st.integers(400, 599), error_fields | json_values)
def test_any_json_error_body_gives_an_authentication_error(status: int, body: Any) -> None:
    raw = json.dumps(body).encode()
    error = parse_error_response(status, {}, raw, now=NOW)
    assert isinstance(error, AuthenticationError)
    assert isinstance(error, AzureADError) == (
        isinstance(body, dict) and isinstance(body.get("error"), str)
    )


@SETTINGS
@given(st.binary(max_size=200), st.integers(400, 599))
def test_any_bytes_give_an_authentication_error(raw: bytes, status: int) -> None:
    assert isinstance(parse_error_response(status, {}, raw, now=NOW), AuthenticationError)


@SETTINGS
@given(
    st.lists(st.integers(1, 9_999_999), min_size=1, max_size=3),
    st.uuids().map(str),
    st.uuids().map(str),
    st.from_regex(r"[A-Za-z0-9~._-]{12,30}", fullmatch=True),
)
def test_codes_and_ids_come_from_the_description_and_secrets_are_redacted(
    codes: list[int], trace: str, correlation: str, secret: str
) -> None:
    text = " ".join(f"AADSTS{code}: failed for {secret}." for code in codes)
    description = f"{text}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: x"
    body = json.dumps({"error": "invalid_client", "error_description": description}).encode()
    error = parse_error_response(401, {}, body, now=NOW, secrets=[secret])
    assert isinstance(error, AzureADError)
    assert list(error.codes) == codes
    assert (error.trace_id, error.correlation_id) == (trace, correlation)
    assert secret not in error.description and secret not in str(error)
    assert "Trace ID" not in error.description


# -- paging tokens ---------------------------------------------------------------------------
fingerprints = st.from_regex(r"[0-9a-f]{16}", fullmatch=True)


@SETTINGS
@given(st.integers(0, 10**9), st.integers(1, 1000), fingerprints)
def test_a_continuation_token_reads_back_what_was_written(
    start: int, size: int, fingerprint: str
) -> None:
    pager = PageCutter(b"k" * 32)
    assert pager._read(pager._write(start, size, fingerprint), fingerprint) == (start, size)


@SETTINGS
@given(st.integers(0, 10**6), st.integers(1, 1000), fingerprints, fingerprints, st.data())
def test_a_changed_token_or_another_query_is_refused(
    start: int, size: int, fingerprint: str, other: str, data: st.DataObject
) -> None:
    pager = PageCutter(b"k" * 32)
    token = pager._write(start, size, fingerprint)
    if other != fingerprint:
        with pytest.raises(ApiError):
            pager._read(token, other)
    with pytest.raises(ApiError):
        PageCutter(b"j" * 32)._read(token, fingerprint)  # another emulator's key
    index = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.sampled_from("ABCabc012-_").filter(lambda c: c != token[index]))
    tampered = token[:index] + replacement + token[index + 1 :]
    try:
        read = pager._read(tampered, fingerprint)
    except ApiError:
        return
    # Base64 may decode a changed last character to the same bytes: then it is the same token.
    assert read == (start, size)


@SETTINGS
@given(st.text(min_size=1, max_size=300).filter(lambda t: t.strip() == t and t.isprintable()))
def test_the_client_sends_back_the_continuation_token_the_api_gave(token: str) -> None:
    root = "https://api.partnercenter.microsoft.com"
    body = collection(
        [],
        self_uri="/v1/customers?size=10",
        next_link=link(
            "/v1/customers?size=10&seekOperation=Next",
            headers=[(HEADER_CONTINUATION_TOKEN, token)],
        ),
    )
    found = next_page(json.loads(json.dumps(body)), root)
    assert found is not None
    assert found.continuation_token == token
    assert found.path == "/v1/customers?size=10&seekOperation=Next"
