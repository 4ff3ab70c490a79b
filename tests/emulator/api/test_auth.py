"""Authentication as Partner Center enforces it: every refusal, and the forged-token list."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from partnercenter.emulator import Emulator

from .pc import (
    GRAPH,
    b64url,
    claims,
    error,
    fetch_token,
    forge,
    hs256_with_public_key,
    mint,
    segment,
    signed_by_stranger,
    signed_ps256,
)

APP_USER_PATH = "/v1/profiles/organization"  # App+User only
BOTH_PATH = "/v1/profiles/legalbusiness"  # app-only or app + user


def call(emulator: Emulator, token: str | None, path: str = BOTH_PATH) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    with httpx.Client(base_url=emulator.base_url, verify=emulator.verify, timeout=10) as client:
        return client.get(path, headers=headers)


def assert_challenge(response: httpx.Response) -> None:
    """Partner Center's documented 401 challenge, naming the request's correlation id."""
    correlation = response.headers["MS-CorrelationId"]
    assert response.headers["WWW-Authenticate"] == f"OAuth realm=urn:cpsvc:cpid:{correlation}"


def assert_refused(response: httpx.Response, code: int = 400) -> None:
    assert error(response) == (401, code), response.text
    assert_challenge(response)


def test_missing_token_is_800001(anonymous: httpx.Client) -> None:
    response = anonymous.get(BOTH_PATH)
    assert error(response) == (401, 800001)
    assert_challenge(response)
    # Another scheme, or "Bearer" with nothing after it, is no token either.
    for value in ("Basic dXNlcjpwYXNz", "Bearer", "Token abc"):
        response = anonymous.get(BOTH_PATH, headers={"Authorization": value})
        assert error(response) == (401, 800001)


def test_unknown_paths_need_a_token_too(anonymous: httpx.Client) -> None:
    assert error(anonymous.get("/v1/nothing-here")) == (401, 800001)


def test_app_only_token_works_on_both_operations(pc_app: httpx.Client) -> None:
    assert pc_app.get(BOTH_PATH).status_code == 200


def test_app_only_token_on_app_user_operation_is_403(pc_app: httpx.Client) -> None:
    response = pc_app.get(APP_USER_PATH)
    status, _code = error(response)
    assert status == 403
    assert response.json()["description"] == (
        "This resource can't be accessed by application credentials."
    )


def test_app_user_token_with_mfa_is_accepted(pc: httpx.Client) -> None:
    assert pc.get(APP_USER_PATH).status_code == 200
    assert pc.get(BOTH_PATH).status_code == 200


def test_app_user_token_without_mfa_is_900421(emulator: Emulator) -> None:
    for path in (APP_USER_PATH, BOTH_PATH):
        response = call(emulator, mint(emulator, mfa=False), path)
        assert error(response) == (401, 900421)
        assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
        assert "MFA" in response.json()["description"]


def test_user_token_is_recognised_by_scp_alone(emulator: Emulator) -> None:
    token = mint(emulator, idtyp=None, amr=["pwd"])
    assert error(call(emulator, token)) == (401, 900421)


def test_graph_audience_is_900420_with_the_explanation(
    emulator: Emulator, client: httpx.Client
) -> None:
    # A real token from the token service for the old audience, as the seed's example asks.
    token = fetch_token(emulator, client, resource=GRAPH)
    response = call(emulator, token)
    assert error(response) == (401, 900420)
    description = response.json()["description"]
    assert "https://graph.windows.net" in description and "no longer supported" in description
    assert_challenge(response)


def test_other_audiences_are_refused(emulator: Emulator, client: httpx.Client) -> None:
    token = fetch_token(emulator, client, resource="https://graph.microsoft.com")
    assert_refused(call(emulator, token))
    assert_refused(call(emulator, mint(emulator, aud="https://management.azure.com")))


def test_api_app_id_audience_is_accepted(emulator: Emulator) -> None:
    token = mint(emulator, aud="fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd")
    assert call(emulator, token).status_code == 200


def test_expiry_and_not_before_with_skew(emulator: Emulator) -> None:
    now = int(emulator.state.clock.now())
    # Within the 300 s skew: accepted; beyond it: refused.
    assert call(emulator, mint(emulator, exp=now - 100)).status_code == 200
    assert_refused(call(emulator, mint(emulator, exp=now - 400)))
    assert call(emulator, mint(emulator, nbf=now + 100)).status_code == 200
    assert_refused(call(emulator, mint(emulator, nbf=now + 400)))


def test_expiry_follows_the_emulator_clock_even_when_cached(clean_emulator: Emulator) -> None:
    emulator = clean_emulator
    token = mint(emulator, exp=int(emulator.state.clock.now()) + 600)
    assert call(emulator, token).status_code == 200  # now cached
    emulator.advance_clock(1000)
    response = call(emulator, token)
    assert_refused(response)
    assert "expired" in response.json()["description"]


def test_another_tenants_token_is_refused(emulator: Emulator, client: httpx.Client) -> None:
    # A genuine token from the token service, but for a customer's tenant.
    customer = emulator.customer_tenants[0]["id"]
    token = fetch_token(emulator, client, tenant=customer)
    response = call(emulator, token)
    assert_refused(response)
    assert "tenant" in response.json()["description"]


def test_wrong_issuer_is_refused(emulator: Emulator) -> None:
    tenant = emulator.partner_tenant["id"]
    for issuer in (
        f"https://login.microsoftonline.com/{tenant}/v2.0",
        "https://sts.windows.net/00000000-0000-0000-0000-000000000000/",
        None,
    ):
        assert_refused(call(emulator, mint(emulator, iss=issuer)))


def _payload(emulator: Emulator) -> dict[str, Any]:
    return claims(emulator)


@pytest.mark.parametrize(
    "forgery",
    [
        "alg_none",
        "alg_none_uppercase",
        "hs256_public_key",
        "ps256",
        "unknown_kid",
        "no_kid",
        "stranger_with_real_kid",
        "tampered_payload",
        "tampered_signature",
        "truncated_signature",
        "crit_header",
    ],
)
def test_forged_tokens_are_refused(forgery: str, emulator: Emulator) -> None:
    payload = _payload(emulator)
    kid = emulator.state.keys.active.kid
    if forgery == "alg_none":
        token = f"{segment({'typ': 'JWT', 'alg': 'none', 'kid': kid})}.{segment(payload)}."
    elif forgery == "alg_none_uppercase":
        token = f"{segment({'alg': 'NONE', 'kid': kid})}.{segment(payload)}.{b64url(b'x')}"
    elif forgery == "hs256_public_key":
        token = hs256_with_public_key(emulator, payload)
    elif forgery == "ps256":
        token = signed_ps256(emulator, payload)
    elif forgery == "unknown_kid":
        token = signed_by_stranger(payload, "not-a-published-kid")
    elif forgery == "no_kid":
        good = mint(emulator)
        token = segment({"typ": "JWT", "alg": "RS256"}) + good[good.index(".") :]
    elif forgery == "stranger_with_real_kid":
        token = signed_by_stranger(payload, kid)
    elif forgery == "tampered_payload":
        header, _payload_segment, signature = mint(emulator).split(".")
        elevated = dict(payload, upn="ceo@contosopartner.onmicrosoft.com")
        token = f"{header}.{segment(elevated)}.{signature}"
    elif forgery == "tampered_signature":
        good = mint(emulator)
        flipped = "A" if good[-5] != "A" else "B"
        token = good[:-5] + flipped + good[-4:]
    elif forgery == "truncated_signature":
        token = mint(emulator)[:-10]
    else:
        key = emulator.state.keys.active

        def sign(data: bytes) -> bytes:
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import padding

            return key.private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())

        token = forge({"alg": "RS256", "kid": kid, "crit": ["exp"]}, payload, sign)
    assert_refused(call(emulator, token))


@pytest.mark.parametrize(
    "token",
    [
        "abc",
        "a.b",
        "a.b.c.d",
        "....",
        "not base64.at all.!",
        "eyJhbGciOiJSUzI1NiJ9.e30.",
        b64url(b"[1,2]") + "." + b64url(b"{}") + ".c2ln",
        b64url(b'{"alg":"RS256","kid":"x"}') + "." + b64url(b"not json") + ".c2ln",
        "\u00e9\u00e9.\u00e9.\u00e9",
    ],
)
def test_malformed_tokens_are_refused(token: str, emulator: Emulator) -> None:
    headers = {"Authorization": f"Bearer {token}".encode()}
    with httpx.Client(base_url=emulator.base_url, verify=emulator.verify) as client:
        response = client.get(BOTH_PATH, headers=headers)
    assert_refused(response)


def test_malformed_payload_after_a_valid_signature_is_refused(emulator: Emulator) -> None:
    # Signed by the real key, but the payload is not a JSON object.
    key = emulator.state.keys.active
    from partnercenter.emulator.jose import sign_rs256

    token = sign_rs256(key.private_key, key.header_v1, {"x": 1})
    assert_refused(call(emulator, token))
    bad_exp = mint(emulator, exp="tomorrow")
    assert_refused(call(emulator, bad_exp))
    huge = mint(emulator, exp=10**400)
    assert_refused(call(emulator, huge))


def test_oversized_token_is_refused(emulator: Emulator) -> None:
    token = mint(emulator, padding_claim="x" * 17_000)
    assert len(token) > 16 * 1024
    response = call(emulator, token)
    assert_refused(response)
    assert "too large" in response.json()["description"]


def test_unauthorized_answers_carry_request_ids(emulator: Emulator) -> None:
    with httpx.Client(base_url=emulator.base_url, verify=emulator.verify) as client:
        response = client.get(BOTH_PATH, headers={"MS-RequestId": "req-1", "MS-CorrelationId": "c"})
    assert response.status_code == 401
    assert response.headers["MS-RequestId"] == "req-1"
    assert response.headers["MS-CorrelationId"] == "c"
    assert response.headers["MS-CV"] and response.headers["MS-ServerId"]


def test_legacy_generatetoken(emulator: Emulator, app_only_token: str) -> None:
    with httpx.Client(base_url=emulator.base_url, verify=emulator.verify) as client:
        for path in ("/generatetoken", "/v3/generatetoken"):
            response = client.post(
                path,
                data={"grant_type": "jwt_token"},
                headers={"Authorization": f"Bearer {app_only_token}"},
            )
            assert response.status_code == 200, response.text
            assert response.headers["Deprecation"] == "true"
            body = response.json()
            assert body["token_type"].lower() == "bearer" and body["expires_in"] > 0
            legacy = body["access_token"]
            assert (
                client.get(BOTH_PATH, headers={"Authorization": f"Bearer {legacy}"}).status_code
                == 200
            )
        wrong = client.post(
            "/generatetoken",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Bearer {app_only_token}"},
        )
        assert error(wrong) == (400, 3000)
        assert error(client.post("/generatetoken", data={"grant_type": "jwt_token"})) == (
            401,
            800001,
        )
        assert client.get("/generatetoken").status_code == 405
