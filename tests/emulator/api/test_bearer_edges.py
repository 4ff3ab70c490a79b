"""The Partner Center API's bearer-token validator on its own: every refusal with the exact
detail Partner Center's 401 carries, the ``Authorization`` header forms, the skew edges, the
principal read from the claims, and both caches (validated tokens, parsed headers). The API
tests hold the same rules through a running emulator; these reach each branch in
milliseconds (edges the mutation run, docs/testing-strength.md, found unheld)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from partnercenter._contract import pc_errors
from partnercenter.emulator import Clock
from partnercenter.emulator.api import bearer
from partnercenter.emulator.api.bearer import (
    CHALLENGE_INVALID,
    DEFAULT_CACHE_SIZE,
    DEFAULT_SKEW_SECONDS,
    MAX_TOKEN_CHARS,
    TokenValidator,
    b64url_strict,
    oauth_challenge,
)
from partnercenter.emulator.api.errors import ApiError
from partnercenter.emulator.jose import b64url
from partnercenter.emulator.keys import KeyRing

TENANT = "9d1f5b0c-6a2c-4a45-a3a5-4c8e1f0f3a11"  # letters: case matters
AUDIENCE = "https://api.partnercenter.microsoft.com"
APP_ID_AUDIENCE = "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd"
NOW = 1_000_000.0


@pytest.fixture(scope="module")
def keys() -> KeyRing:
    return KeyRing.load_or_create(None)


def claims(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "aud": AUDIENCE,
        "iss": f"https://sts.windows.net/{TENANT}/",
        "tid": TENANT,
        "nbf": int(NOW) - 300,
        "exp": int(NOW) + 3600,
        "appid": "app-id",
        "oid": "object-id",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not DROP}


DROP = object()


def validator(keys: KeyRing, now: float = NOW, **kw: Any) -> TokenValidator:
    return TokenValidator(
        keys, Clock(source=lambda: now), TENANT, {AUDIENCE, APP_ID_AUDIENCE.upper()}, **kw
    )


def header_of(keys: KeyRing, **changes: Any) -> str:
    header: dict[str, Any] = {"typ": "JWT", "alg": "RS256", "kid": keys.active.kid}
    header.update(changes)
    return b64url(json.dumps({k: v for k, v in header.items() if v is not DROP}).encode())


def refusal(action: Any) -> str:
    with pytest.raises(ApiError) as caught:
        action()
    error = caught.value
    assert (error.status, error.entry.code) == (401, 400), error.description
    prefix = "Authentication failed. "
    assert error.description.startswith(prefix)
    return error.description[len(prefix) :]


# -- constants and helpers ---------------------------------------------------------------------


def test_the_documented_bounds() -> None:
    assert (MAX_TOKEN_CHARS, DEFAULT_SKEW_SECONDS, DEFAULT_CACHE_SIZE) == (16384, 300, 4096)
    assert CHALLENGE_INVALID == 'Bearer error="invalid_token"'
    assert oauth_challenge("c-1") == "OAuth realm=urn:cpsvc:cpid:c-1"


def test_b64url_strict_pads_and_refuses_the_standard_alphabet() -> None:
    assert b64url_strict("") == b""
    assert b64url_strict("YQ") == b"a"
    assert b64url_strict("YWI") == b"ab"
    assert b64url_strict("-_-_") == bytes.fromhex("fbffbf")
    for bad in ("YQ==", "+/+/", "Y/Q", "YQ="):
        with pytest.raises(ValueError, match="^not base64url$"):
            b64url_strict(bad)
    # Anything else outside the alphabet, or a length of 4n + 1, is refused by the decoder
    # in strict mode (a lenient one would skip the character and decode the rest).
    for bad in ("Y", "YW Jj", " YWJj", "YWJj\nZGVm", "YWJjZGV  ", "YW*Jj"):
        with pytest.raises(ValueError):
            b64url_strict(bad)


# -- the Authorization header --------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "Basic abc", "Bearer", "Bearer   ", "Bearer\t"])
def test_a_missing_token_is_800001(keys: KeyRing, value: str | None) -> None:
    with pytest.raises(ApiError) as caught:
        validator(keys).authenticate(value)
    assert caught.value.entry is pc_errors.TOKEN_MISSING


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_scheme_is_case_insensitive_and_space_is_trimmed(keys: KeyRing, scheme: str) -> None:
    token = keys.sign(claims())
    principal = validator(keys).authenticate(f"  {scheme} {token}  ")
    assert principal.app_id == "app-id"


def test_a_bad_token_after_the_scheme_is_a_400(keys: KeyRing) -> None:
    assert refusal(lambda: validator(keys).authenticate("Bearer a.b")) == (
        "The token is malformed: a JWT has three dot-separated parts."
    )
    # The scheme is the first word; everything after it is the token.
    assert refusal(lambda: validator(keys).authenticate("Bearer two words")) == (
        "The token is malformed: a JWT has three dot-separated parts."
    )


def test_space_between_the_scheme_and_the_token_is_not_part_of_either(keys: KeyRing) -> None:
    principal = validator(keys).authenticate(f"Bearer   {keys.sign(claims())}")
    assert principal.object_id == "object-id"


# -- the principal ---------------------------------------------------------------------------


def test_an_app_only_principal(keys: KeyRing) -> None:
    principal = validator(keys).validate(keys.sign(claims(roles=["r1", "r2"])))
    assert principal == bearer.Principal(
        TENANT,
        "app-id",
        "object-id",
        False,
        False,
        None,
        (),
        ("r1", "r2"),
        float(NOW + 3600),
        float(NOW - 300),
    )


def test_an_app_and_user_principal(keys: KeyRing) -> None:
    token = keys.sign(
        claims(
            appid=DROP,
            azp="azp-id",
            scp="user_impersonation other",
            amr=["pwd", "mfa"],
            upn="admin@contoso",
            unique_name="u",
            tid=TENANT.upper(),
        )
    )
    principal = validator(keys).validate(token)
    assert principal.tenant_id == TENANT.upper()  # as the token spells it
    assert (principal.app_id, principal.user, principal.mfa) == ("azp-id", True, True)
    assert principal.upn == "admin@contoso"
    assert principal.scopes == ("user_impersonation", "other") and principal.roles == ()


def test_principal_fallbacks(keys: KeyRing) -> None:
    token = keys.sign(
        claims(appid=DROP, oid=DROP, scp="", amr=["pwd"], unique_name="un", nbf=DROP, roles=[])
    )
    principal = validator(keys).validate(token)
    assert (principal.app_id, principal.object_id, principal.upn) == ("", "", "un")
    assert principal.user is True and principal.mfa is False  # an empty scp is still delegated
    assert principal.scopes == () and principal.roles == () and principal.not_before == 0.0


@pytest.mark.parametrize(
    "aud", [AUDIENCE, AUDIENCE.upper(), APP_ID_AUDIENCE, APP_ID_AUDIENCE.upper()]
)
def test_either_audience_in_any_case(keys: KeyRing, aud: str) -> None:
    validator(keys).validate(keys.sign(claims(aud=aud)))


# -- refusals, with the detail Partner Center gives ------------------------------------------


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"aud": ["x"]}, "The token's 'aud' claim must be a string."),
        ({"aud": DROP}, "The token's 'aud' claim must be a string."),
        (
            {"aud": "https://other.example"},
            "The token's audience 'https://other.example' is not Partner Center.",
        ),
        ({"tid": "other"}, "The token was issued for another tenant than the partner's."),
        ({"tid": 5}, "The token was issued for another tenant than the partner's."),
        (
            {"iss": "https://sts.windows.net/other/"},
            "The token's issuer 'https://sts.windows.net/other/' is not accepted.",
        ),
        ({"exp": "soon"}, "The token's 'exp' and 'nbf' must be numbers."),
        ({"exp": DROP}, "The token's 'exp' and 'nbf' must be numbers."),
        ({"nbf": True}, "The token's 'exp' and 'nbf' must be numbers."),
        ({"exp": 1e12}, "The token's 'exp' and 'nbf' must be numbers."),
        ({"exp": -1e12}, "The token's 'exp' and 'nbf' must be numbers."),
        ({"scp": 5}, "The token's 'scp' claim must be a string."),
        ({"appid": ["a"]}, "The token's 'appid' claim must be a string."),
        ({"azp": 1}, "The token's 'azp' claim must be a string."),
        ({"oid": {}}, "The token's 'oid' claim must be a string."),
        ({"upn": False}, "The token's 'upn' claim must be a string."),
        ({"unique_name": 2.5}, "The token's 'unique_name' claim must be a string."),
        ({"idtyp": []}, "The token's 'idtyp' claim must be a string."),
        ({"amr": "mfa"}, "The token's 'amr' claim must be a list of strings."),
        ({"amr": ["pwd", 1]}, "The token's 'amr' claim must be a list of strings."),
        ({"roles": [None]}, "The token's 'roles' claim must be a list of strings."),
        ({"roles": {"a": 1}}, "The token's 'roles' claim must be a list of strings."),
    ],
)
def test_each_claim_refusal_names_the_claim(
    keys: KeyRing, changes: dict[str, Any], detail: str
) -> None:
    assert refusal(lambda: validator(keys).validate(keys.sign(claims(**changes)))) == detail


def test_a_wrong_type_found_first_is_the_one_named() -> None:
    # Claims checked in the documented order: the string claims, then the lists.
    message = bearer._wrong_type({"idtyp": 1, "roles": 1, "scp": 1})
    assert message == "The token's 'scp' claim must be a string."
    assert bearer._wrong_type({"amr": 1, "roles": 1}) == (
        "The token's 'amr' claim must be a list of strings."
    )
    assert bearer._wrong_type({}) == "The token's claims have the wrong types."


@pytest.mark.parametrize(
    "aud",
    [
        "https://graph.windows.net",
        "https://graph.windows.net/",
        "HTTPS://GRAPH.WINDOWS.NET",
        "00000002-0000-0000-c000-000000000000",
    ],
)
def test_the_graph_audience_is_900420(keys: KeyRing, aud: str) -> None:
    with pytest.raises(ApiError) as caught:
        validator(keys).validate(keys.sign(claims(aud=aud)))
    assert caught.value.entry is pc_errors.GRAPH_AUDIENCE


def test_expiry_and_not_before_hold_within_the_skew(keys: KeyRing) -> None:
    token = keys.sign(claims(nbf=int(NOW) + 300, exp=int(NOW) - 300))
    validator(keys).validate(token)  # both exactly at the edge: valid
    late = keys.sign(claims(exp=int(NOW) - 301))
    assert refusal(lambda: validator(keys).validate(late)) == "The token is expired."
    early = keys.sign(claims(nbf=int(NOW) + 301))
    assert refusal(lambda: validator(keys).validate(early)) == "The token is not yet valid."
    strict = validator(keys, skew=0)
    assert refusal(lambda: strict.validate(keys.sign(claims(exp=int(NOW) - 1)))) == (
        "The token is expired."
    )


def test_a_float_time_is_a_time(keys: KeyRing) -> None:
    principal = validator(keys).validate(keys.sign(claims(exp=NOW + 0.5, nbf=NOW - 0.5)))
    assert (principal.expires, principal.not_before) == (NOW + 0.5, NOW - 0.5)


def test_a_token_too_large_is_refused_before_parsing(keys: KeyRing) -> None:
    assert refusal(lambda: validator(keys).validate("x" * (MAX_TOKEN_CHARS + 1))) == (
        "The token is too large."
    )
    # At the limit it is parsed (and refused for what it is).
    assert refusal(lambda: validator(keys).validate("x" * MAX_TOKEN_CHARS)) == (
        "The token is malformed: a JWT has three dot-separated parts."
    )


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("e30", "The token's algorithm 'None' is not accepted; RS256 only."),
        ("bm90IGpzb24", "The token is malformed: the header is not JSON."),
        ("W10", "The token is malformed: the header is not a JSON object."),
        ("e30=", "The token is malformed: the header is not JSON."),
        ("WwogIA" + "Ww" * 10, "The token is malformed: the header is not JSON."),
    ],
)
def test_malformed_headers(keys: KeyRing, header: str, detail: str) -> None:
    assert refusal(lambda: validator(keys).validate(f"{header}.e30.c2ln")) == detail


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"alg": "HS256"}, "The token's algorithm 'HS256' is not accepted; RS256 only."),
        ({"alg": "none"}, "The token's algorithm 'none' is not accepted; RS256 only."),
        ({"crit": ["exp"]}, "The token's header has critical extensions."),
        ({"kid": DROP}, "The token's header names no signing key (kid)."),
        ({"kid": ""}, "The token's header names no signing key (kid)."),
        ({"kid": 5}, "The token's header names no signing key (kid)."),
        ({"kid": "unknown"}, "The token's signing key is not one of the issuer's published keys."),
    ],
)
def test_header_refusals(keys: KeyRing, changes: dict[str, Any], detail: str) -> None:
    token = f"{header_of(keys, **changes)}.e30.c2ln"
    assert refusal(lambda: validator(keys).validate(token)) == detail


def test_signature_refusals(keys: KeyRing) -> None:
    token = keys.sign(claims())
    head, payload, signature = token.split(".")
    check = validator(keys)
    for bad in (signature[:-1], signature + "A", "+" + signature[1:], "/" + signature[1:]):
        assert refusal(lambda: check.validate(f"{head}.{payload}.{bad}")) == (  # noqa: B023
            "The token's signature is invalid."
        )
    assert refusal(lambda: check.validate(f"{head}.{payload}.{'é' + signature[1:]}")) == (
        "The token is malformed: the signature is not base64url."
    )
    other = keys.sign(claims(oid="other"))
    assert refusal(lambda: check.validate(f"{head}.{payload}.{other.split('.')[2]}")) == (
        "The token's signature is invalid."
    )


def test_payload_refusals_after_a_good_signature(keys: KeyRing) -> None:
    key = keys.active
    check = validator(keys)
    for payload, detail in (
        (b"not json", "The token is malformed: the payload is not JSON."),
        (b"[1]", "The token is malformed: the payload is not a JSON object."),
        (b"[" * 5_000, "The token is malformed: the payload is not JSON."),  # too deep
    ):
        encoded = b64url(payload)
        signing_input = f"{key.header_v1}.{encoded}"
        # Signed by hand: sign_rs256 only takes claims, and this payload is none.
        signature = key.private_key.sign(
            signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
        token = f"{signing_input}.{b64url(signature)}"
        assert refusal(lambda: check.validate(token)) == detail  # noqa: B023


# -- caches ----------------------------------------------------------------------------------


def test_validated_tokens_are_cached_least_recently_used_first(keys: KeyRing) -> None:
    check = validator(keys, cache_size=2)
    a, b, c = (keys.sign(claims(oid=name)) for name in "abc")
    first = check.validate(a)
    check.validate(b)
    assert check.validate(a) is first  # a hit moves it to the newest end
    check.validate(c)  # evicts b, the least recently used
    assert list(check._cache) == [a, c]
    assert check.validate(a) is first
    check.clear()
    assert check.validate(a) is not first and len(check._cache) == 1


def test_the_cache_holds_exactly_its_size(keys: KeyRing) -> None:
    check = validator(keys, cache_size=3)
    for name in "abc":
        check.validate(keys.sign(claims(oid=name)))
    assert len(check._cache) == 3
    check.validate(keys.sign(claims(oid="d")))
    assert len(check._cache) == 3


def test_a_cache_hit_still_checks_not_before(keys: KeyRing) -> None:
    now = [NOW]
    check = TokenValidator(keys, Clock(source=lambda: now[0]), TENANT, {AUDIENCE})
    token = keys.sign(claims(nbf=int(NOW) + 300))
    check.validate(token)
    now[0] = NOW - 1
    assert refusal(lambda: check.validate(token)) == "The token is not yet valid."


def test_parsed_headers_are_cached_and_bounded(keys: KeyRing) -> None:
    check = validator(keys)
    check.validate(keys.sign(claims()))
    assert check._headers == {keys.active.header_v1: keys.active.kid}
    for i in range(64):
        token = f"{header_of(keys, n=i)}.e30.c2ln"
        refusal(lambda: check.validate(token))  # noqa: B023
    assert 1 <= len(check._headers) <= 64
    assert len(check._headers) == 1  # full at 64: cleared, then this one added


def test_a_cached_header_still_needs_its_key_published(keys: KeyRing) -> None:
    ring = KeyRing.load_or_create(None)
    check = validator(ring)
    token = ring.sign(claims())
    check.validate(token)
    for _ in range(3):
        ring.rotate()
    assert refusal(lambda: check.validate(token)) == (
        "The token's signing key is not one of the issuer's published keys."
    )


def test_a_header_seen_before_is_not_parsed_again(
    keys: KeyRing, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    strict = bearer.b64url_strict

    def counting(segment: str) -> bytes:
        parsed.append(segment)
        return strict(segment)

    monkeypatch.setattr(bearer, "b64url_strict", counting)
    check = validator(keys)
    check.validate(keys.sign(claims(oid="a")))
    check.validate(keys.sign(claims(oid="b")))  # same header, another token
    assert parsed == [keys.active.header_v1]


def test_the_signature_length_is_computed_once_per_key(
    keys: KeyRing, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = keys.sign(claims())
    assert validator(keys).validate(token)
    assert bearer._SIGNATURE_CHARS[keys.active.kid] == 342  # 256 bytes in base64url
    # The remembered length is what is checked (a wrong one refuses a good token).
    monkeypatch.setitem(bearer._SIGNATURE_CHARS, keys.active.kid, 341)
    assert refusal(lambda: validator(keys).validate(token)) == "The token's signature is invalid."


@pytest.mark.parametrize(("url", "standard"), [("-", "+"), ("_", "/")])
def test_a_signature_in_the_standard_alphabet_is_refused(
    keys: KeyRing, url: str, standard: str
) -> None:
    # "+" and "/" decode to the same bits as base64url's "-" and "_": without the check, the
    # same signature spelled in the standard alphabet would verify.
    for n in range(200):
        token = keys.sign(claims(oid=f"o{n}"))
        signature = token.rsplit(".", 1)[1]
        if url in signature:
            break
    else:  # pragma: no cover - 200 signatures without one "-" or "_" do not happen
        pytest.fail(f"no signature with {url!r}")
    head = token.rsplit(".", 1)[0]
    respelled = f"{head}.{signature.replace(url, standard, 1)}"
    assert refusal(lambda: validator(keys).validate(respelled)) == (
        "The token's signature is invalid."
    )


def test_a_payload_with_the_url_safe_characters_is_read(keys: KeyRing) -> None:
    oid = "???>>>~~~"  # base64url of these bytes has "_" and "-"
    token = keys.sign(claims(oid=oid))
    payload = token.split(".")[1]
    assert "_" in payload and "-" in payload
    assert validator(keys).validate(token).object_id == oid
