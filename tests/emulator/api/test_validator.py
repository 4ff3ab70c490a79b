"""The token validator on its own: cache behaviour, key rotation, request ids."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.datastructures import Headers

from partnercenter.emulator import Clock
from partnercenter.emulator.api.bearer import TokenValidator, b64url_strict
from partnercenter.emulator.api.dataset import derived_id as fast_derived_id
from partnercenter.emulator.api.errors import ApiError
from partnercenter.emulator.api.request_ids import request_ids
from partnercenter.emulator.directory import derived_id
from partnercenter.emulator.keys import KeyRing

TENANT = "11111111-2222-3333-4444-555555555555"
AUDIENCE = "https://api.partnercenter.microsoft.com"


def _claims(now: float, **overrides: Any) -> dict[str, Any]:
    body = {
        "aud": AUDIENCE,
        "iss": f"https://sts.windows.net/{TENANT}/",
        "tid": TENANT,
        "nbf": int(now) - 300,
        "exp": int(now) + 3600,
        "appid": "app",
        "oid": str(uuid.uuid4()),
        "idtyp": "app",
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="module")
def keys() -> KeyRing:
    return KeyRing.load_or_create(None)


def test_cache_hit_rechecks_expiry(keys: KeyRing) -> None:
    clock = Clock(source=lambda: 1_000_000.0)
    validator = TokenValidator(keys, clock, TENANT, {AUDIENCE}, cache_size=2)
    token = keys.sign(_claims(clock.now()))
    first = validator.validate(token)
    assert validator.validate(token) is first  # served from the cache
    clock.advance(3600 + 301)
    with pytest.raises(ApiError) as raised:
        validator.validate(token)
    assert raised.value.status == 401 and "expired" in raised.value.description


def test_cache_is_bounded(keys: KeyRing) -> None:
    clock = Clock(source=lambda: 1_000_000.0)
    validator = TokenValidator(keys, clock, TENANT, {AUDIENCE}, cache_size=3)
    for _ in range(10):
        validator.validate(keys.sign(_claims(clock.now())))
    assert len(validator._cache) == 3


def test_tokens_of_a_key_no_longer_published_are_refused() -> None:
    keys = KeyRing.load_or_create(None)
    clock = Clock(source=lambda: 1_000_000.0)
    validator = TokenValidator(keys, clock, TENANT, {AUDIENCE})
    token = keys.sign(_claims(clock.now()))
    validator.validate(token)
    for _ in range(3):  # rotation keeps three keys: the first one is gone after three
        keys.rotate()
    with pytest.raises(ApiError):
        validator.validate(token)
    # A token of the new active key validates.
    validator.validate(keys.sign(_claims(clock.now())))


def test_strict_base64url() -> None:
    assert b64url_strict("aGVsbG8") == b"hello"
    for bad in ("aGVsbG8=", "aGV+bG8", "a", "é", "aGVs bG8"):
        with pytest.raises(ValueError):
            b64url_strict(bad)


def test_fast_derived_id_matches_the_directory() -> None:
    for parts in (("a",), ("customer-tenant", "1", "2"), ("ünï", "código")):
        assert fast_derived_id(*parts) == derived_id(*parts)


def test_request_ids_echo_or_generate() -> None:
    ids = request_ids(Headers({"MS-RequestId": "abc", "MS-CorrelationId": "def"}))
    assert (ids.request_id, ids.correlation_id, ids.request_id_sent) == ("abc", "def", True)
    generated = request_ids(Headers({"MS-RequestId": "bad value\x7f"}))
    assert not generated.request_id_sent
    assert uuid.UUID(generated.request_id) and uuid.UUID(generated.correlation_id)
    assert generated.cv.endswith(".0")
    extended = request_ids(Headers({"MS-CV": "AbCdEfGhIjKlMnOp.1"}))
    assert extended.cv == "AbCdEfGhIjKlMnOp.1.0"


@pytest.mark.parametrize("mangle", ["bang", "plus", "extra", "short", "pad"])
def test_mangled_signatures_are_refused(keys: KeyRing, mangle: str) -> None:
    clock = Clock(source=lambda: 1_000_000.0)
    validator = TokenValidator(keys, clock, TENANT, {AUDIENCE})
    token = keys.sign(_claims(clock.now()))
    head, _, signature = token.rpartition(".")
    mangled = {
        "bang": signature[:100] + "!" + signature[101:],
        "plus": signature[:100] + "+" + signature[101:],
        "extra": signature + "A",
        "short": signature[:-1],
        "pad": signature[:-2] + "==",
    }[mangle]
    with pytest.raises(ApiError) as raised:
        validator.validate(f"{head}.{mangled}")
    assert raised.value.status == 401


# -- claims of the wrong type are a 401, never a crash (issue 9 item 9) ---------------------------
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
_CLAIMS = (
    "aud",
    "iss",
    "tid",
    "exp",
    "nbf",
    "scp",
    "amr",
    "roles",
    "appid",
    "azp",
    "oid",
    "upn",
    "unique_name",
    "idtyp",
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.dictionaries(st.sampled_from(_CLAIMS), _JSON, min_size=1, max_size=4))
def test_any_claim_of_any_type_is_accepted_or_a_401(keys: KeyRing, changes: dict[str, Any]) -> None:
    clock = Clock(source=lambda: 1_000_000.0)
    validator = TokenValidator(keys, clock, TENANT, {AUDIENCE})
    token = keys.sign(_claims(clock.now(), **{"scp": "user_impersonation", **changes}))
    try:
        principal = validator.validate(token)
    except ApiError as refused:
        assert refused.status == 401
    else:
        assert isinstance(principal.app_id, str) and isinstance(principal.scopes, tuple)


@pytest.mark.parametrize("aud", [[AUDIENCE], {"aud": AUDIENCE}, 42, True, None, 1.5])
def test_audience_of_the_wrong_type_is_a_401(keys: KeyRing, aud: Any) -> None:
    clock = Clock(source=lambda: 1_000_000.0)
    validator = TokenValidator(keys, clock, TENANT, {AUDIENCE})
    with pytest.raises(ApiError) as raised:
        validator.validate(keys.sign(_claims(clock.now(), aud=aud)))
    assert raised.value.status == 401 and raised.value.entry.code == 400
