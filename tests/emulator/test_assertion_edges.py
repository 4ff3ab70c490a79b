"""The emulator's check of certificate client assertions (RFC 7523 ``private_key_jwt``), called
directly: every refusal with its AADSTS code and the detail it gives, each boundary of the
time window and the skew, the audience forms Azure AD accepts, both signature algorithms and
both thumbprint headers, and the replay cache's window and bound. The token-endpoint tests
hold the same rules over HTTP; these reach each branch in milliseconds (edges the mutation
run, docs/testing-strength.md, found unheld)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from partnercenter._contract import aadsts
from partnercenter.emulator.directory import AppCertificate, Application, Directory, Tenant
from partnercenter.emulator.identity.assertion import (
    MAX_REMEMBERED_IDS,
    MAX_REMEMBERED_SECONDS,
    ReplayCache,
    verify_assertion,
)
from partnercenter.emulator.identity.errors import AadError
from partnercenter.emulator.jose import b64url
from partnercenter.emulator.x509util import new_rsa_key, self_signed

CLIENT = "0b1a6c66-8a58-4ab4-9f1c-2cfe2f9c2f35"
TENANT_ID = "9d1f5b0c-6a2c-4a45-a3a5-4c8e1f0f3a11"
OTHER_ID = "1c2d3e4f-0000-4000-8000-00000000000a"
DOMAIN = "contoso.onmicrosoft.com"
ORIGIN = "https://login.example"
NOW = 1_800_000_000.0
SKEW = 300


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return new_rsa_key()


@pytest.fixture(scope="module")
def setup(key: rsa.RSAPrivateKey) -> tuple[Application, Tenant, Directory]:
    tenant = Tenant(TENANT_ID, "Contoso", [DOMAIN, "contoso.com"])
    other = Tenant(OTHER_ID, "Fabrikam", ["fabrikam.onmicrosoft.com"])
    cert = AppCertificate(self_signed(key, "app"))
    decoy = AppCertificate(self_signed(new_rsa_key(), "decoy"))
    app = Application("app", CLIENT, TENANT_ID, certificates=[decoy, cert])
    directory = Directory(tenants=[tenant, other], apps=[app])
    directory.reindex()
    return app, tenant, directory


def claims(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": CLIENT,
        "sub": CLIENT,
        "aud": f"{ORIGIN}/{TENANT_ID}/oauth2/v2.0/token",
        "exp": NOW + 600,
        "nbf": NOW - 10,
        "jti": "jti-1",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not _DROP}


_DROP = object()


def sign(
    key: rsa.RSAPrivateKey, payload: dict[str, Any], *, header: dict[str, Any], alg: str = "PS256"
) -> str:
    """A compact JWS over ``payload``; ``header`` (thumbprints...) is merged over ``alg``."""
    head: dict[str, Any] = {"alg": alg, "typ": "JWT", **header}
    signing_input = f"{b64url(json.dumps(head).encode())}.{b64url(json.dumps(payload).encode())}"
    pad: padding.AsymmetricPadding = (
        padding.PKCS1v15()
        if alg == "RS256"
        else padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    )
    signature = key.sign(signing_input.encode(), pad, hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def verify(
    setup: tuple[Application, Tenant, Directory],
    assertion: str,
    *,
    replay: ReplayCache | None = None,
    now: float = NOW,
    origins: tuple[str, ...] = (ORIGIN,),
) -> AppCertificate:
    app, tenant, directory = setup
    return verify_assertion(
        assertion,
        app=app,
        tenant=tenant,
        directory=directory,
        request_origins=origins,
        now=now,
        skew=SKEW,
        replay=replay,
    )


def refused(setup: tuple[Application, Tenant, Directory], assertion: str, **kw: Any) -> AadError:
    with pytest.raises(AadError) as caught:
        verify(setup, assertion, **kw)
    return caught.value


def message(error: AadError) -> str:
    """The description without its ``AADSTS<code>: `` prefix (checked)."""
    prefix = f"AADSTS{error.entry.code}: "
    text = str(error)
    assert text.startswith(prefix), text
    return text[len(prefix) :]


def app_headers(setup: tuple[Application, Tenant, Directory], which: str) -> dict[str, str]:
    cert = setup[0].certificates[1]
    headers = {"s256": {"x5t#S256": cert.x5t_s256}, "sha1": {"x5t": cert.x5t}}
    out: dict[str, str] = {}
    for name in which.split("+"):
        out.update(headers[name])
    return out


def good(
    key: rsa.RSAPrivateKey,
    setup: tuple[Application, Tenant, Directory],
    which: str = "s256",
    alg: str = "PS256",
    **changes: Any,
) -> str:
    return sign(key, claims(**changes), alg=alg, header=app_headers(setup, which))


# -- accepted --------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["PS256", "RS256"])
@pytest.mark.parametrize("which", ["s256", "sha1", "s256+sha1"])
def test_a_good_assertion_returns_the_certificate_it_was_signed_with(
    key: rsa.RSAPrivateKey, setup: Any, alg: str, which: str
) -> None:
    assert verify(setup, good(key, setup, which, alg)) is setup[0].certificates[1]


def test_padded_thumbprints_are_accepted_as_msal_sends_them(
    key: rsa.RSAPrivateKey, setup: Any
) -> None:
    cert = setup[0].certificates[1]
    for header in ({"x5t#S256": cert.x5t_s256 + "="}, {"x5t": cert.x5t + "="}):
        assert verify(setup, sign(key, claims(), header=header)) is cert


@pytest.mark.parametrize(
    "aud",
    [
        f"{ORIGIN}/{TENANT_ID}/oauth2/token",
        f"{ORIGIN}/{DOMAIN}/oauth2/v2.0/token",
        f"{ORIGIN}/CONTOSO.COM/oauth2/v2.0/token",
        f"{ORIGIN}/{TENANT_ID}/oauth2/v2.0/token/",
        f"HTTPS://LOGIN.EXAMPLE/{TENANT_ID}/oauth2/v2.0/token",
        ["https://elsewhere.example/x", f"{ORIGIN}/{TENANT_ID}/oauth2/v2.0/token"],
        [5, f"{ORIGIN}/{TENANT_ID}/oauth2/v2.0/token"],
        ["https://[::1/x", f"{ORIGIN}/{TENANT_ID}/oauth2/v2.0/token"],
        [f"{ORIGIN}/{TENANT_ID}/oauth2/v2.0/authorize", f"{ORIGIN}/{TENANT_ID}/oauth2/token"],
        [f"{ORIGIN}/{OTHER_ID}/oauth2/v2.0/token", f"{ORIGIN}/{TENANT_ID}/oauth2/token"],
    ],
)
def test_the_audiences_azure_ad_accepts(key: rsa.RSAPrivateKey, setup: Any, aud: Any) -> None:
    verify(setup, good(key, setup, aud=aud))


def test_any_of_the_request_origins_is_accepted(key: rsa.RSAPrivateKey, setup: Any) -> None:
    assertion = good(key, setup, aud=f"https://127.0.0.1:8443/{TENANT_ID}/oauth2/v2.0/token")
    verify(setup, assertion, origins=(ORIGIN, "https://127.0.0.1:8443"))


# -- refused, with the code and detail Azure AD gives ---------------------------------------


def test_a_malformed_assertion_is_50027_with_the_reason(setup: Any) -> None:
    error = refused(setup, "not-a-jwt")
    assert error.entry is aadsts.ASSERTION_MALFORMED
    assert (
        message(error) == "JWT token is invalid or malformed. a JWT has three dot-separated parts"
    )


@pytest.mark.parametrize("alg", ["HS256", "ES256", "none", None])
def test_an_unsupported_algorithm_is_5002738_naming_it(
    key: rsa.RSAPrivateKey, setup: Any, alg: Any
) -> None:
    header = {**app_headers(setup, "s256"), "alg": alg}
    error = refused(setup, sign(key, claims(), header=header))
    assert error.entry is aadsts.ASSERTION_ALGORITHM
    assert message(error) == f"Invalid JWT token. '{alg}' is not a supported signature algorithm."


def test_no_thumbprint_header_is_700027(key: rsa.RSAPrivateKey, setup: Any) -> None:
    error = refused(setup, sign(key, claims(), header={"x5t": 5, "x5t#S256": None}))
    assert error.entry is aadsts.ASSERTION_BAD_SIGNATURE
    assert message(error) == (
        "Client assertion failed signature validation. The client assertion header has neither "
        "'x5t#S256' nor 'x5t'."
    )


@pytest.mark.parametrize(
    ("header", "shown"),
    [
        ({"x5t#S256": "unknown-256"}, "unknown-256"),
        ({"x5t": "unknown-1"}, "unknown-1"),
        ({"x5t#S256": "unknown-256", "x5t": "unknown-1"}, "unknown-256"),
    ],
)
def test_an_unregistered_certificate_is_700027_naming_the_thumbprint(
    key: rsa.RSAPrivateKey, setup: Any, header: dict[str, str], shown: str
) -> None:
    error = refused(setup, sign(key, claims(), header=header))
    assert error.entry is aadsts.ASSERTION_BAD_SIGNATURE
    assert message(error) == (
        "Client assertion failed signature validation. [Reason - The key was not found., "
        f"Thumbprint of key used by client: '{shown}'] The certificate is not registered on "
        f"app '{CLIENT}'."
    )


def test_a_sha1_thumbprint_that_matches_is_used_when_the_sha256_one_is_unknown(
    key: rsa.RSAPrivateKey, setup: Any
) -> None:
    cert = setup[0].certificates[1]
    header = {"x5t#S256": "unknown", "x5t": cert.x5t}
    assert verify(setup, sign(key, claims(), header=header)) is cert


@pytest.mark.parametrize("alg", ["PS256", "RS256"])
def test_a_signature_by_another_key_is_700027(setup: Any, alg: str) -> None:
    stranger = new_rsa_key()
    header = {**app_headers(setup, "s256")}
    error = refused(setup, sign(stranger, claims(), alg=alg, header=header))
    assert error.entry is aadsts.ASSERTION_BAD_SIGNATURE
    assert message(error) == (
        "Client assertion failed signature validation. [Reason - The provided signature value "
        "did not match the expected signature value.]"
    )


def test_a_signature_made_with_the_other_padding_is_refused(
    key: rsa.RSAPrivateKey, setup: Any
) -> None:
    # Signed RS256 (PKCS#1 v1.5) but labelled PS256, and the other way round.
    for signed, claimed in (("RS256", "PS256"), ("PS256", "RS256")):
        token = sign(key, claims(), alg=signed, header=app_headers(setup, "s256"))
        head, payload, signature = token.split(".")
        relabelled = json.dumps({"alg": claimed, **app_headers(setup, "s256")}).encode()
        forged = f"{b64url(relabelled)}.{payload}.{signature}"
        assert refused(setup, forged).entry is aadsts.ASSERTION_BAD_SIGNATURE


def test_a_certificate_without_an_rsa_key_never_verifies(setup: Any) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    cert = AppCertificate(self_signed(ec_key, "ec"))
    app = Application("ec-app", CLIENT, TENANT_ID, certificates=[cert])
    header = {"alg": "PS256", "x5t#S256": cert.x5t_s256}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims()).encode())}"
    token = f"{signing_input}.{b64url(b'x' * 64)}"
    with pytest.raises(AadError) as caught:
        verify_assertion(
            token,
            app=app,
            tenant=setup[1],
            directory=setup[2],
            request_origins=(ORIGIN,),
            now=NOW,
            skew=SKEW,
            replay=None,
        )
    assert "did not match the expected signature" in str(caught.value)


@pytest.mark.parametrize(
    "changes",
    [{"iss": "someone-else"}, {"sub": "someone-else"}, {"iss": _DROP}, {"sub": _DROP}],
)
def test_iss_and_sub_must_both_be_the_client_id(
    key: rsa.RSAPrivateKey, setup: Any, changes: dict[str, Any]
) -> None:
    error = refused(setup, good(key, setup, **changes))
    assert error.entry is aadsts.ASSERTION_CLIENT_MISMATCH


@pytest.mark.parametrize(
    "aud",
    [
        f"https://evil.example/{TENANT_ID}/oauth2/v2.0/token",
        f"http://login.example/{TENANT_ID}/oauth2/v2.0/token",
        f"{ORIGIN}/{TENANT_ID}/oauth2/v2.0/authorize",
        f"{ORIGIN}/{TENANT_ID}",
        f"{ORIGIN}/{TENANT_ID}/oauth2/v2.0/token/extra",
        f"{ORIGIN}/{OTHER_ID}/oauth2/v2.0/token",
        f"{ORIGIN}/fabrikam.onmicrosoft.com/oauth2/token",
        f"{ORIGIN}/unknown.example/oauth2/token",
        f"{ORIGIN}/common/oauth2/v2.0/token",
        f"{ORIGIN}/X{TENANT_ID}/oauth2/v2.0/token",
        f"{ORIGIN}/{TENANT_ID}/oauth2/v2.0/tokenX",
        5,
        None,
        [],
        ["https://[::1/x"],
    ],
)
def test_other_audiences_are_700023(key: rsa.RSAPrivateKey, setup: Any, aud: Any) -> None:
    error = refused(setup, good(key, setup, aud=aud))
    assert error.entry is aadsts.ASSERTION_AUDIENCE


# -- time ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"exp": _DROP}, "The assertion has no numeric 'exp'."),
        ({"exp": "1800000600"}, "The assertion has no numeric 'exp'."),
        ({"exp": True}, "The assertion has no numeric 'exp'."),
        ({"exp": float("nan")}, "The assertion has no numeric 'exp'."),
        ({"nbf": "yesterday"}, "The assertion's 'nbf' is not numeric."),
        ({"nbf": False}, "The assertion's 'nbf' is not numeric."),
        ({"jti": _DROP}, "The assertion has no 'jti' claim."),
        ({"jti": ""}, "The assertion has no 'jti' claim."),
        ({"jti": 7}, "The assertion has no 'jti' claim."),
    ],
)
def test_missing_or_mistyped_claims_are_50027_saying_which(
    key: rsa.RSAPrivateKey, setup: Any, changes: dict[str, Any], detail: str
) -> None:
    error = refused(setup, good(key, setup, **changes))
    assert error.entry is aadsts.ASSERTION_MALFORMED
    assert message(error) == f"JWT token is invalid or malformed. {detail}"


def test_expiry_and_not_before_hold_within_the_skew(key: rsa.RSAPrivateKey, setup: Any) -> None:
    verify(setup, good(key, setup, exp=NOW - SKEW))  # exactly at the edge: still valid
    verify(setup, good(key, setup, nbf=NOW + SKEW))
    verify(setup, good(key, setup, nbf=_DROP))  # nbf is optional
    verify(setup, good(key, setup, exp=NOW + 10, nbf=NOW - 10.5))  # floats are times too
    for changes in ({"exp": NOW - SKEW - 1}, {"nbf": NOW + SKEW + 1}):
        error = refused(setup, good(key, setup, **changes))
        assert error.entry is aadsts.ASSERTION_TIME_RANGE


def test_the_time_range_error_gives_now_nbf_and_exp(key: rsa.RSAPrivateKey, setup: Any) -> None:
    error = refused(setup, good(key, setup, exp=NOW - 1000, nbf=NOW - 2000), now=NOW + 0.7)
    assert message(error).startswith(
        f"Client assertion is not within its valid time range. Current time: {int(NOW)}, "
        f"assertion valid from {NOW - 2000}, expiry time of assertion {NOW - 1000}. "
    )


def test_an_exp_beyond_float_range_never_expires(key: rsa.RSAPrivateKey, setup: Any) -> None:
    verify(setup, good(key, setup, exp=10**400))


# -- replays -----------------------------------------------------------------------------------


def test_a_replayed_jti_is_refused_only_when_the_check_is_on(
    key: rsa.RSAPrivateKey, setup: Any
) -> None:
    assertion = good(key, setup, jti="once")
    verify(setup, assertion)
    verify(setup, assertion)  # off by default: Entra does not refuse replays
    cache = ReplayCache()
    verify(setup, assertion, replay=cache)
    error = refused(setup, assertion, replay=cache)
    assert error.entry is aadsts.ASSERTION_REPLAYED
    assert message(error).startswith("The client assertion with jti 'once' has already been used.")
    # Remembered until exp plus the skew: past that the time check refuses it anyway.
    assert cache._seen == {f"{CLIENT}/once": NOW + 600 + SKEW}


def test_jti_values_are_remembered_per_client() -> None:
    cache = ReplayCache()
    assert cache.add("app-a/x", 100, 0) and cache.add("app-b/x", 100, 0)
    assert not cache.add("app-a/x", 100, 1)


def test_the_replay_cache_defaults() -> None:
    cache = ReplayCache()
    assert (cache._max_seconds, cache._max_ids) == (MAX_REMEMBERED_SECONDS, MAX_REMEMBERED_IDS)
    assert (MAX_REMEMBERED_SECONDS, MAX_REMEMBERED_IDS) == (3600.0, 200_000)


def test_an_id_is_a_replay_up_to_and_including_its_keep_until() -> None:
    cache = ReplayCache(max_seconds=100)
    assert cache.add("a", keep_until=50, now=0)
    assert not cache.add("a", keep_until=60, now=50)  # keep_until == now: still remembered
    assert len(cache) == 1
    assert cache.add("a", keep_until=60, now=50.5)
    assert cache._seen == {"a": 60}


def test_ids_are_kept_at_most_max_seconds() -> None:
    cache = ReplayCache(max_seconds=100)
    assert cache.add("a", keep_until=10_000, now=0)
    assert cache._seen == {"a": 100}
    assert not cache.add("a", keep_until=10_000, now=100)
    assert cache.add("a", keep_until=10_000, now=100.5)


def test_expired_ids_are_dropped_from_the_head_on_add() -> None:
    cache = ReplayCache(max_seconds=1000)
    cache.add("a", keep_until=10, now=0)
    cache.add("b", keep_until=20, now=0)
    cache.add("c", keep_until=30, now=0)
    cache.add("d", keep_until=100, now=10)  # "a" expires only after 10
    assert sorted(cache._seen) == ["a", "b", "c", "d"]
    cache.add("e", keep_until=100, now=25)
    assert sorted(cache._seen) == ["c", "d", "e"]
    assert [jti for _, jti in cache._order] == ["c", "d", "e"]


def test_a_re_added_id_is_not_dropped_by_its_old_entry() -> None:
    cache = ReplayCache(max_seconds=1000)
    cache.add("a", keep_until=10, now=0)
    cache.add("a", keep_until=500, now=11)  # expired, so accepted again, kept to 500
    cache.add("b", keep_until=500, now=12)
    assert cache._seen == {"a": 500, "b": 500}
    assert not cache.add("a", keep_until=600, now=100)


def test_past_the_bound_the_oldest_ids_are_dropped_first() -> None:
    cache = ReplayCache(max_seconds=1000, max_ids=3)
    for name in "abc":
        assert cache.add(name, keep_until=900, now=0)
    assert len(cache) == 3
    assert cache.add("d", keep_until=900, now=1)
    assert sorted(cache._seen) == ["b", "c", "d"]
    assert cache.add("a", keep_until=900, now=2)  # forgotten: accepted again
    assert sorted(cache._seen) == ["a", "c", "d"]


@pytest.mark.parametrize("name", ["x5t", "x5t#S256"])
def test_only_padding_is_trimmed_from_a_thumbprint(
    key: rsa.RSAPrivateKey, setup: Any, name: str
) -> None:
    cert = setup[0].certificates[1]
    real = cert.x5t if name == "x5t" else cert.x5t_s256
    error = refused(setup, sign(key, claims(), header={name: real + "X"}))
    assert error.entry is aadsts.ASSERTION_BAD_SIGNATURE
    assert "The key was not found." in message(error)
