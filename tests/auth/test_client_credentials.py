"""Client authentication as one value (``ClientSecret``, ``ClientCertificate``,
``ClientAssertion``): argument checks that name the argument and never echo a secret, and every
form against a real emulator over TLS, blocking and async (asyncio and trio)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import partnercenter.aio as aio
from partnercenter import (
    CertificateCredential,
    ClientAssertion,
    ClientAssertionCredential,
    ClientCertificate,
    ClientSecret,
    ClientSecretCredential,
    MemoryRefreshTokenStore,
    RefreshTokenCredential,
    secure_app_consent,
)
from partnercenter._credentials.assertion import build_client_assertion
from partnercenter._credentials.client_credential import client_auth_for
from partnercenter.errors import ConfigurationError, InvalidClientError
from partnercenter.testing import Sandbox

SECRET_VALUE = "s3cr3t-value-that-must-never-show"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox.start() as started:
        yield started


def app(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.app("partner-center-app")


def options(sandbox: Sandbox) -> dict[str, Any]:
    return {"cloud": sandbox.cloud, "verify": sandbox.verify}


def pem_of(sandbox: Sandbox) -> bytes:
    cert = app(sandbox)["certificate"]
    return Path(cert["key_path"]).read_bytes() + Path(cert["cert_path"]).read_bytes()


def signed_assertions(sandbox: Sandbox, calls: list[str]) -> ClientAssertion:
    """What a workload identity or an HSM would hand out: a fresh signed assertion per call."""
    certificate = ClientCertificate.from_pem(pem_of(sandbox))
    audience = sandbox.cloud.token_url(sandbox.partner_tenant["id"], "v2")

    def provide() -> str:
        assertion = build_client_assertion(
            certificate,
            client_id=app(sandbox)["client_id"],
            audience=audience,
            now=time.time(),
            jti=str(uuid.uuid4()),
        )
        calls.append(assertion)
        return assertion

    return ClientAssertion(provide)


# -- the values themselves ----------------------------------------------------------------


def test_a_client_secret_hides_its_value() -> None:
    secret = ClientSecret(SECRET_VALUE, in_header=True)
    assert SECRET_VALUE not in repr(secret)
    assert repr(secret) == "ClientSecret(value=<hidden>, in_header=True)"


@pytest.mark.parametrize(
    ("arguments", "named"),
    [(("",), "value"), ((123,), "value"), ((SECRET_VALUE, "yes"), "in_header")],
)
def test_a_bad_client_secret_names_the_argument(arguments: tuple[Any, ...], named: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        ClientSecret(*arguments)
    assert raised.value.argument == named
    assert SECRET_VALUE not in str(raised.value)


def test_a_client_assertion_needs_a_callable() -> None:
    with pytest.raises(ConfigurationError) as raised:
        ClientAssertion(SECRET_VALUE)  # type: ignore[arg-type]
    assert raised.value.argument == "provider"
    assert SECRET_VALUE not in str(raised.value)


def test_client_certificate_loaders(sandbox: Sandbox, tmp_path: Path) -> None:
    cert = app(sandbox)["certificate"]
    from_pfx = ClientCertificate.from_file(cert["pfx_path"], password=cert["pfx_password"])
    from_text = ClientCertificate.from_pem(pem_of(sandbox).decode("ascii"))
    from_key = ClientCertificate.from_key(from_text.private_key, from_text.certificate)
    thumbprints = {c.thumbprint_sha1 for c in (from_pfx, from_text, from_key)}
    assert thumbprints == {cert["thumbprint_sha1"]}
    with pytest.raises(ConfigurationError) as missing:
        ClientCertificate.from_file(tmp_path / "absent.pem")
    assert missing.value.argument == "path"
    with pytest.raises(ConfigurationError) as not_pem:
        ClientCertificate.from_pem(SECRET_VALUE)
    assert not_pem.value.argument == "data"
    assert SECRET_VALUE not in str(not_pem.value)
    with pytest.raises(ConfigurationError) as wrong_password:
        ClientCertificate.from_file(cert["pfx_path"], password=SECRET_VALUE)
    assert wrong_password.value.argument == "password"
    assert SECRET_VALUE not in str(wrong_password.value)


def test_an_unknown_client_credential_is_refused_by_type_only() -> None:
    with pytest.raises(ConfigurationError) as raised:
        client_auth_for("client", SECRET_VALUE)
    assert raised.value.argument == "client_credential"
    assert "not a str" in str(raised.value)
    assert SECRET_VALUE not in str(raised.value)


def test_one_value_or_the_keywords_not_both(sandbox: Sandbox) -> None:
    with pytest.raises(ConfigurationError) as raised:
        RefreshTokenCredential(
            sandbox.partner_tenant["id"],
            app(sandbox)["client_id"],
            "a-refresh-token",
            client_credential=ClientSecret(SECRET_VALUE),
            client_secret=SECRET_VALUE,
        )
    assert raised.value.argument == "client_credential"
    assert SECRET_VALUE not in str(raised.value)
    with pytest.raises(ConfigurationError) as mixed:
        CertificateCredential(
            sandbox.partner_tenant["id"],
            app(sandbox)["client_id"],
            certificate=ClientCertificate.from_pem(pem_of(sandbox)),
            password=SECRET_VALUE,
        )
    assert mixed.value.argument == "password"
    assert SECRET_VALUE not in str(mixed.value)


# -- against the emulator -----------------------------------------------------------------


def test_certificate_credential_takes_a_client_certificate(sandbox: Sandbox) -> None:
    cert = app(sandbox)["certificate"]
    certificate = ClientCertificate.from_file(cert["pfx_path"], password=cert["pfx_password"])
    with CertificateCredential(
        sandbox.partner_tenant["id"],
        app(sandbox)["client_id"],
        certificate=certificate,
        **options(sandbox),
    ) as credential:
        assert credential.thumbprint == cert["thumbprint_sha1"]
        token = credential.get_token()
    assert token.is_app_only and token.client_id == app(sandbox)["client_id"]


def test_client_secret_credential_takes_a_client_secret(sandbox: Sandbox) -> None:
    with ClientSecretCredential(
        sandbox.partner_tenant["id"],
        app(sandbox)["client_id"],
        ClientSecret(app(sandbox)["client_secret"], in_header=True),
        **options(sandbox),
    ) as credential:
        assert credential.get_token().is_app_only


def test_a_client_assertion_is_asked_for_every_request(sandbox: Sandbox) -> None:
    calls: list[str] = []
    with ClientAssertionCredential(
        sandbox.partner_tenant["id"],
        app(sandbox)["client_id"],
        signed_assertions(sandbox, calls),
        **options(sandbox),
    ) as credential:
        token = credential.get_token()
        assert credential.get_token() is token  # cached: no new assertion
        assert credential.get_token("https://graph.microsoft.com/.default").audience
    assert token.is_app_only and token.client_id == app(sandbox)["client_id"]
    assert len(calls) == 2 and calls[0] != calls[1]


def test_an_assertion_azure_ad_refuses_is_invalid_client(sandbox: Sandbox) -> None:
    forged = "eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    with (
        ClientAssertionCredential(
            sandbox.partner_tenant["id"],
            app(sandbox)["client_id"],
            lambda: forged,
            **options(sandbox),
        ) as credential,
        pytest.raises(InvalidClientError) as raised,
    ):
        credential.get_token()
    assert forged not in str(raised.value)


def test_a_provider_returning_no_jwt_is_refused_without_showing_it(sandbox: Sandbox) -> None:
    with (
        ClientAssertionCredential(
            sandbox.partner_tenant["id"],
            app(sandbox)["client_id"],
            lambda: SECRET_VALUE,
            **options(sandbox),
        ) as credential,
        pytest.raises(ConfigurationError) as raised,
    ):
        credential.get_token()
    assert raised.value.argument == "client_credential"
    assert SECRET_VALUE not in str(raised.value)


@pytest.mark.parametrize("kind", ["secret", "certificate", "assertion"])
def test_refresh_token_credential_takes_each_client_credential(sandbox: Sandbox, kind: str) -> None:
    calls: list[str] = []
    value: Any = {
        "secret": ClientSecret(app(sandbox)["client_secret"]),
        "certificate": ClientCertificate.from_pem(pem_of(sandbox)),
        "assertion": signed_assertions(sandbox, calls),
    }[kind]
    user = next(u["upn"] for u in sandbox.info["users"] if u.get("totp_secret"))
    with RefreshTokenCredential(
        sandbox.partner_tenant["id"],
        app(sandbox)["client_id"],
        sandbox.mint_refresh_token(user),
        client_credential=value,
        **options(sandbox),
    ) as credential:
        token = credential.get_token()
    assert not token.is_app_only and token.has_mfa
    assert len(calls) == (1 if kind == "assertion" else 0)


def test_consent_takes_a_client_credential_before_any_sign_in(sandbox: Sandbox) -> None:
    # A wrong value is refused at once, before a browser opens.
    opened: list[str] = []
    with pytest.raises(ConfigurationError) as raised:
        secure_app_consent(
            sandbox.partner_tenant["id"],
            app(sandbox)["client_id"],
            store=MemoryRefreshTokenStore(),
            client_credential=SECRET_VALUE,  # type: ignore[arg-type]
            open_browser=opened.append,
            **options(sandbox),
        )
    assert raised.value.argument == "client_credential"
    assert opened == [] and SECRET_VALUE not in str(raised.value)


@pytest.mark.anyio
async def test_async_credentials_take_the_same_values(sandbox: Sandbox) -> None:
    calls: list[str] = []
    tenant, client_id = sandbox.partner_tenant["id"], app(sandbox)["client_id"]
    async with aio.ClientAssertionCredential(
        tenant, client_id, signed_assertions(sandbox, calls), **options(sandbox)
    ) as by_assertion:
        assert (await by_assertion.get_token()).is_app_only
    async with aio.CertificateCredential(
        tenant,
        client_id,
        certificate=ClientCertificate.from_pem(pem_of(sandbox)),
        **options(sandbox),
    ) as by_certificate:
        assert (await by_certificate.get_token()).is_app_only
    user = next(u["upn"] for u in sandbox.info["users"] if u.get("totp_secret"))
    async with aio.RefreshTokenCredential(
        tenant,
        client_id,
        sandbox.mint_refresh_token(user),
        client_credential=ClientSecret(app(sandbox)["client_secret"]),
        **options(sandbox),
    ) as by_secret:
        assert (await by_secret.get_token()).has_mfa
    assert len(calls) == 1
