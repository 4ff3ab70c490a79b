"""Real clients nobody here wrote, unchanged, against the running emulator.

MSAL Python (``ConfidentialClientApplication.acquire_token_for_client``) with a client secret
and with certificates in each shape MSAL signs (RS256 + ``x5t`` from a SHA-1 thumbprint,
PS256 + ``x5t#S256`` from a public certificate or a PFX), with instance discovery off and
pointed at the emulator's ``/common/discovery/instance``; and azure-identity's
``ClientSecretCredential`` and ``CertificateCredential``, sync and ``aio``. Every token is
verified with PyJWT against the emulator's published JWKS.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import jwt
import msal
import pytest
import requests
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CertificateCredential, ClientSecretCredential
from azure.identity.aio import CertificateCredential as AsyncCertificateCredential
from azure.identity.aio import ClientSecretCredential as AsyncClientSecretCredential

from partnercenter.emulator import Emulator

PC_RESOURCE = "https://api.partnercenter.microsoft.com"
PC_SCOPE = f"{PC_RESOURCE}/.default"
ACR_SECRET, ACR_CERTIFICATE = "1", "2"

Verifier = Callable[[str], dict[str, Any]]


@pytest.fixture(autouse=True)
def _session_verify_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a Session's own ``verify``
    # (psf/requests#3829), and MSAL's ``verify=`` is set on its Session: on a machine that
    # exports those variables MSAL would ignore the emulator's CA. Clear them for these tests.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture()
def ca_cert(emulator: Emulator) -> str:
    assert emulator.ca_cert is not None, "the interop tests need the emulator over TLS"
    return emulator.ca_cert


@pytest.fixture()
def verify_token(client: httpx.Client, tenant_id: str, app: dict[str, Any]) -> Verifier:
    """Verify an app-only Partner Center token as a resource server would, and return its claims.

    The JWKS is fetched on each call (after the token was issued) so a key rotated by another
    test is still found, as a real resource server re-fetches on an unknown ``kid``.
    """

    def verify(token: str) -> dict[str, Any]:
        header = jwt.get_unverified_header(token)
        assert header["typ"] == "JWT"
        assert header["alg"] == "RS256"
        assert header["x5t"] == header["kid"]  # v1 tokens carry x5t, equal to kid
        response = client.get(f"/{tenant_id}/discovery/keys")
        assert response.status_code == 200
        keys = {k["kid"]: k for k in response.json()["keys"]}
        assert header["kid"] in keys
        claims: dict[str, Any] = jwt.decode(
            token,
            key=jwt.PyJWK(keys[header["kid"]]),
            algorithms=["RS256"],
            audience=PC_RESOURCE,
            issuer=f"https://sts.windows.net/{tenant_id}/",
            options={"require": ["exp", "iat", "nbf", "aud", "iss", "sub"]},
        )
        assert claims["aud"] == PC_RESOURCE
        assert claims["tid"] == tenant_id
        assert claims["ver"] == "1.0"
        assert claims.get("idtyp", "app") == "app"  # an optional claim, off by default
        assert claims["appid"] == app["client_id"]
        assert claims["oid"] == claims["sub"]
        assert "scp" not in claims
        return claims

    return verify


# -- MSAL ------------------------------------------------------------------------------------


class Recorder:
    """A ``requests.Session`` hook keeping the token requests MSAL sent (to see its assertion)."""

    def __init__(self) -> None:
        self.token_forms: list[dict[str, str]] = []

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        request = response.request
        if request.method == "POST" and (request.url or "").endswith("/oauth2/v2.0/token"):
            body = request.body or ""
            text = body.decode() if isinstance(body, bytes) else str(body)
            self.token_forms.append({k: v[0] for k, v in parse_qs(text).items()})

    def assertion_header(self) -> dict[str, Any]:
        assert len(self.token_forms) == 1
        form = self.token_forms[0]
        assert form["client_assertion_type"] == (
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        )
        assert "client_secret" not in form
        return dict(jwt.get_unverified_header(form["client_assertion"]))


MsalFactory = Callable[..., msal.ConfidentialClientApplication]


@pytest.fixture()
def make_msal(
    emulator: Emulator, tenant_id: str, app: dict[str, Any], ca_cert: str
) -> Iterator[MsalFactory]:
    """Build ``ConfidentialClientApplication``s for the seed app; their HTTP clients are closed."""
    built: list[msal.ConfidentialClientApplication] = []

    def make(
        credential: Any,
        *,
        discovery: str = "off",
        http_client: requests.Session | None = None,
    ) -> msal.ConfidentialClientApplication:
        instance_discovery: bool | str = (
            False if discovery == "off" else f"{emulator.base_url}/common/discovery/instance"
        )
        cca = msal.ConfidentialClientApplication(
            app["client_id"],
            client_credential=credential,
            authority=f"{emulator.base_url}/{tenant_id}",
            verify=ca_cert,
            instance_discovery=instance_discovery,
            http_client=http_client,
        )
        built.append(cca)
        return cca

    yield make
    for cca in built:
        cca.http_client.close()


def recording_session(ca_cert: str) -> tuple[requests.Session, Recorder]:
    session = requests.Session()
    session.verify = ca_cert
    recorder = Recorder()
    session.hooks["response"].append(recorder)
    return session, recorder


def assert_msal_success(result: dict[str, Any]) -> str:
    assert "error" not in result, result
    assert result["token_type"] == "Bearer"
    assert isinstance(result["expires_in"], int)
    # Entra's (and the emulator's default) lifetime: random between 60 and 90 minutes.
    assert 3500 < result["expires_in"] <= 5400
    assert result["token_source"] == "identity_provider"
    token: str = result["access_token"]
    return token


@pytest.mark.parametrize("discovery", ["off", "url"])
def test_msal_client_secret(
    make_msal: MsalFactory, app: dict[str, Any], verify_token: Verifier, discovery: str
) -> None:
    cca = make_msal(app["client_secret"], discovery=discovery)
    token = assert_msal_success(cca.acquire_token_for_client(scopes=[PC_SCOPE]))
    claims = verify_token(token)
    assert claims["appidacr"] == ACR_SECRET
    assert claims["exp"] - time.time() > 3000

    # MSAL parsed the answer well enough to cache it: the second call never leaves the process.
    again = cca.acquire_token_for_client(scopes=[PC_SCOPE])
    assert again["token_source"] == "cache"
    assert again["access_token"] == token


def test_msal_instance_discovery_answer_points_back_at_the_emulator(
    emulator: Emulator, client: httpx.Client, tenant_id: str
) -> None:
    # What MSAL sends: the authority's host name without its port (msal.authority.canonicalize).
    host = httpx.URL(emulator.base_url).host
    response = client.get(
        "/common/discovery/instance",
        params={
            "authorization_endpoint": f"https://{host}/{tenant_id}/oauth2/v2.0/authorize",
            "api-version": "1.0",
        },
    )
    assert response.status_code == 200
    assert response.json()["tenant_discovery_endpoint"] == (
        f"{emulator.base_url}/{tenant_id}/v2.0/.well-known/openid-configuration"
    )


@pytest.mark.parametrize("discovery", ["off", "url"])
def test_msal_certificate_rs256_x5t(
    make_msal: MsalFactory,
    app: dict[str, Any],
    verify_token: Verifier,
    ca_cert: str,
    discovery: str,
) -> None:
    cert = app["certificate"]
    session, recorder = recording_session(ca_cert)
    credential = {
        "private_key": Path(cert["key_path"]).read_text(),
        "thumbprint": cert["thumbprint_sha1"],
    }
    cca = make_msal(credential, discovery=discovery, http_client=session)
    token = assert_msal_success(cca.acquire_token_for_client(scopes=[PC_SCOPE]))
    assert verify_token(token)["appidacr"] == ACR_CERTIFICATE

    header = recorder.assertion_header()
    assert header["alg"] == "RS256"
    assert "x5t" in header and "x5t#S256" not in header


@pytest.mark.parametrize("discovery", ["off", "url"])
def test_msal_certificate_ps256_x5t_s256(
    make_msal: MsalFactory,
    app: dict[str, Any],
    verify_token: Verifier,
    ca_cert: str,
    discovery: str,
) -> None:
    cert = app["certificate"]
    session, recorder = recording_session(ca_cert)
    credential = {
        "private_key": Path(cert["key_path"]).read_text(),
        "public_certificate": Path(cert["cert_path"]).read_text(),
    }
    cca = make_msal(credential, discovery=discovery, http_client=session)
    token = assert_msal_success(cca.acquire_token_for_client(scopes=[PC_SCOPE]))
    assert verify_token(token)["appidacr"] == ACR_CERTIFICATE

    header = recorder.assertion_header()
    assert header["alg"] == "PS256"
    assert "x5t#S256" in header and "x5t" not in header
    assert header["x5c"]  # MSAL sends the chain with a public certificate (SN/I auth)
    thumbprint = base64.urlsafe_b64decode(header["x5t#S256"] + "==").hex().upper()
    assert thumbprint == cert["thumbprint_sha256"].upper()


def test_msal_certificate_from_pfx(
    make_msal: MsalFactory, app: dict[str, Any], verify_token: Verifier, ca_cert: str
) -> None:
    cert = app["certificate"]
    session, recorder = recording_session(ca_cert)
    credential = {"private_key_pfx_path": cert["pfx_path"], "passphrase": cert["pfx_password"]}
    cca = make_msal(credential, http_client=session)
    token = assert_msal_success(cca.acquire_token_for_client(scopes=[PC_SCOPE]))
    assert verify_token(token)["appidacr"] == ACR_CERTIFICATE
    assert recorder.assertion_header()["alg"] == "PS256"


def test_msal_one_app_object_gets_tokens_twice_with_a_certificate(
    make_msal: MsalFactory, app: dict[str, Any], verify_token: Verifier, ca_cert: str
) -> None:
    """One app object reuses its signed assertion (and jti) for about ten minutes; Entra accepts
    a reused assertion while it is valid, and so does the emulator with its default settings."""
    cert = app["certificate"]
    credential = {
        "private_key": Path(cert["key_path"]).read_text(),
        "public_certificate": Path(cert["cert_path"]).read_text(),
    }
    session, recorder = recording_session(ca_cert)
    cca = make_msal(credential, http_client=session)
    first = assert_msal_success(cca.acquire_token_for_client(scopes=[PC_SCOPE]))
    cca.remove_tokens_for_client()  # so the second call goes to the token endpoint again
    second = assert_msal_success(cca.acquire_token_for_client(scopes=[PC_SCOPE]))
    assert first != second
    assert verify_token(first)["uti"] != verify_token(second)["uti"]
    assertions = [form["client_assertion"] for form in recorder.token_forms]
    assert len(assertions) == 2 and assertions[0] == assertions[1]  # MSAL reused it


def test_msal_surfaces_the_aadsts_error_for_a_wrong_secret(make_msal: MsalFactory) -> None:
    cca = make_msal("not-the-secret")
    result = cca.acquire_token_for_client(scopes=[PC_SCOPE])
    assert "access_token" not in result
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [7000215]
    assert result["error_description"].startswith("AADSTS7000215: ")
    assert "Trace ID: " in result["error_description"]
    assert "not-the-secret" not in json.dumps(result)


def test_msal_surfaces_an_unknown_scope(make_msal: MsalFactory, app: dict[str, Any]) -> None:
    cca = make_msal(app["client_secret"])
    result = cca.acquire_token_for_client(scopes=["https://nothing.example.com/.default"])
    assert "access_token" not in result
    assert result["error"] == "invalid_resource"
    assert result["error_codes"] == [500011]


# -- azure-identity ---------------------------------------------------------------------------


@pytest.fixture()
def pem_bundle(app: dict[str, Any], tmp_path: Path) -> str:
    """The key and certificate in one PEM file, the shape ``CertificateCredential`` reads."""
    cert = app["certificate"]
    path = tmp_path / "key-and-cert.pem"
    path.write_bytes(Path(cert["key_path"]).read_bytes() + Path(cert["cert_path"]).read_bytes())
    return str(path)


def identity_kwargs(emulator: Emulator, ca_cert: str) -> dict[str, Any]:
    return {
        "authority": emulator.base_url,
        "disable_instance_discovery": True,
        "connection_verify": ca_cert,
    }


def check_access_token(token: AccessToken, verify_token: Verifier, acr: str) -> None:
    assert 3000 < token.expires_on - time.time() <= 5400
    claims = verify_token(token.token)
    assert claims["appidacr"] == acr
    # The client computes expires_on from expires_in and its own clock: a second either way.
    assert abs(claims["exp"] - token.expires_on) <= 5


def check_token_info(info: AccessTokenInfo, verify_token: Verifier, acr: str) -> None:
    assert info.token_type.lower() == "bearer"
    assert 3000 < info.expires_on - time.time() <= 5400
    assert info.refresh_on is None or time.time() < info.refresh_on < info.expires_on
    claims = verify_token(info.token)
    assert claims["appidacr"] == acr


def test_identity_client_secret_credential(
    emulator: Emulator,
    tenant_id: str,
    app: dict[str, Any],
    ca_cert: str,
    verify_token: Verifier,
) -> None:
    with ClientSecretCredential(
        tenant_id, app["client_id"], app["client_secret"], **identity_kwargs(emulator, ca_cert)
    ) as credential:
        check_access_token(credential.get_token(PC_SCOPE), verify_token, ACR_SECRET)
        check_token_info(credential.get_token_info(PC_SCOPE), verify_token, ACR_SECRET)


@pytest.mark.parametrize("form", ["pem", "pfx"])
def test_identity_certificate_credential(
    emulator: Emulator,
    tenant_id: str,
    app: dict[str, Any],
    ca_cert: str,
    verify_token: Verifier,
    pem_bundle: str,
    form: str,
) -> None:
    cert = app["certificate"]
    source: dict[str, Any] = (
        {"certificate_path": pem_bundle}
        if form == "pem"
        else {"certificate_path": cert["pfx_path"], "password": cert["pfx_password"]}
    )
    with CertificateCredential(
        tenant_id, app["client_id"], **source, **identity_kwargs(emulator, ca_cert)
    ) as credential:
        check_access_token(credential.get_token(PC_SCOPE), verify_token, ACR_CERTIFICATE)
        check_token_info(credential.get_token_info(PC_SCOPE), verify_token, ACR_CERTIFICATE)


def test_identity_wrong_secret_raises_with_the_aadsts_code(
    emulator: Emulator, tenant_id: str, app: dict[str, Any], ca_cert: str
) -> None:
    with ClientSecretCredential(
        tenant_id, app["client_id"], "not-the-secret", **identity_kwargs(emulator, ca_cert)
    ) as credential:
        with pytest.raises(ClientAuthenticationError) as raised:
            credential.get_token(PC_SCOPE)
    assert "AADSTS7000215" in str(raised.value)
    assert "not-the-secret" not in str(raised.value)


@pytest.mark.anyio
async def test_identity_aio_client_secret_credential(
    emulator: Emulator,
    tenant_id: str,
    app: dict[str, Any],
    ca_cert: str,
    verify_token: Verifier,
) -> None:
    async with AsyncClientSecretCredential(
        tenant_id, app["client_id"], app["client_secret"], **identity_kwargs(emulator, ca_cert)
    ) as credential:
        check_access_token(await credential.get_token(PC_SCOPE), verify_token, ACR_SECRET)
        info = await credential.get_token_info(PC_SCOPE)
        check_token_info(info, verify_token, ACR_SECRET)


@pytest.mark.anyio
@pytest.mark.parametrize("form", ["pem", "pfx"])
async def test_identity_aio_certificate_credential(
    emulator: Emulator,
    tenant_id: str,
    app: dict[str, Any],
    ca_cert: str,
    verify_token: Verifier,
    pem_bundle: str,
    form: str,
) -> None:
    cert = app["certificate"]
    source: dict[str, Any] = (
        {"certificate_path": pem_bundle}
        if form == "pem"
        else {"certificate_path": cert["pfx_path"], "password": cert["pfx_password"]}
    )
    async with AsyncCertificateCredential(
        tenant_id, app["client_id"], **source, **identity_kwargs(emulator, ca_cert)
    ) as credential:
        check_access_token(await credential.get_token(PC_SCOPE), verify_token, ACR_CERTIFICATE)
        info = await credential.get_token_info(PC_SCOPE)
        check_token_info(info, verify_token, ACR_CERTIFICATE)


@pytest.mark.anyio
async def test_identity_aio_wrong_secret_raises_with_the_aadsts_code(
    emulator: Emulator, tenant_id: str, app: dict[str, Any], ca_cert: str
) -> None:
    async with AsyncClientSecretCredential(
        tenant_id, app["client_id"], "not-the-secret", **identity_kwargs(emulator, ca_cert)
    ) as credential:
        with pytest.raises(ClientAuthenticationError) as raised:
            await credential.get_token(PC_SCOPE)
    assert "AADSTS7000215" in str(raised.value)


def test_msal_cae_client_gets_a_long_token_and_refreshes_at_refresh_in(
    emulator: Emulator, tenant_id: str, app: dict[str, Any], ca_cert: str, verify_token: Verifier
) -> None:
    """MSAL declares CAE with ``client_capabilities=["CP1"]`` (a ``claims`` parameter with
    ``xms_cc``): Entra then issues 20-28 h tokens with ``refresh_in``, which MSAL honours."""
    cca = msal.ConfidentialClientApplication(
        app["client_id"],
        client_credential=app["client_secret"],
        authority=f"{emulator.base_url}/{tenant_id}",
        verify=ca_cert,
        instance_discovery=False,
        client_capabilities=["CP1"],
    )
    try:
        result = cca.acquire_token_for_client(scopes=[PC_SCOPE])
        assert "error" not in result, result
        assert 20 * 3600 - 60 <= result["expires_in"] <= 28 * 3600
        claims = verify_token(result["access_token"])
        assert claims["exp"] - claims["nbf"] - 300 >= 20 * 3600
        (cached,) = cca.token_cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)
        lifetime = int(cached["expires_on"]) - int(cached["cached_at"])
        refresh_after = int(cached["refresh_on"]) - int(cached["cached_at"])
        assert abs(refresh_after - lifetime // 2) <= 2  # refresh_in: half the lifetime
    finally:
        cca.http_client.close()
