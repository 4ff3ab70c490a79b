"""Shared fixtures of the token-core tests: the emulator's app (the emulator is the suite's
``emu``), a scripted token endpoint on ``httpx.MockTransport``, a fake clock and test
certificates."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from partnercenter.emulator import Emulator

from ..fakes import FakeClock, ScriptedTransport, app_claims, jwt, user_claims

TENANT = "contoso.onmicrosoft.com"
TENANT_GUID = "8e2346b3-225f-5cc1-89c3-5f5cea075940"
CUSTOMER = "13b70e0a-e2eb-50b4-bf21-2ab72ba7bb5e"
CLIENT_ID = "cc4afb77-5fa2-5d39-8abd-3d28161e9056"
SECRET = "s3cret~Value-not-the-id"
REFRESH_TOKEN = "0.ARwA-refresh-token-secret"
NOW = 1_000_000.0


def app_token(tid: str = TENANT_GUID, **extra: Any) -> str:
    return jwt({**app_claims(tid, CLIENT_ID), **extra})


def user_token(amr: list[str], tid: str = TENANT_GUID) -> str:
    return jwt(user_claims(tid, CLIENT_ID, amr, "admin@contoso.onmicrosoft.com"))


class TokenServer(ScriptedTransport):
    """A scripted token endpoint: answers from ``replies`` in order (the last one repeats),
    records every request with its decoded form."""

    def default_reply(self) -> httpx.Response:
        return ok()

    def form(self, index: int = -1) -> dict[str, str]:
        body = self.requests[index].content.decode()
        return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def ok(
    token: str | None = None,
    expires_in: int | str = 3600,
    refresh_token: str | None = None,
    **extra: Any,
) -> httpx.Response:
    body: dict[str, Any] = {
        "token_type": "Bearer",
        "expires_in": expires_in,
        "ext_expires_in": expires_in,
        "access_token": token or app_token(),
        **extra,
    }
    if refresh_token:
        body["refresh_token"] = refresh_token
    return httpx.Response(200, json=body)


def aad_error(
    code: int,
    error: str,
    message: str,
    status: int = 400,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    trace, correlation = (
        "0b5c8d1e-1111-2222-3333-444455556666",
        "7f3e2a10-aaaa-bbbb-cccc-ddddeeeeffff",
    )
    return httpx.Response(
        status,
        headers=headers,
        json={
            "error": error,
            "error_description": f"AADSTS{code}: {message}\r\nTrace ID: {trace}\r\n"
            f"Correlation ID: {correlation}\r\nTimestamp: 2026-01-09 02:02:12Z",
            "error_codes": [code],
            "timestamp": "2026-01-09 02:02:12Z",
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": f"https://login.microsoftonline.com/error?code={code}",
        },
    )


@pytest.fixture()
def server() -> TokenServer:
    return TokenServer()


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock(NOW)


@dataclass(frozen=True)
class CertificateFixture:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    pem: bytes  # key + certificate
    encrypted_pem: bytes  # password "pw"


@pytest.fixture(scope="session")
def test_certificate() -> CertificateFixture:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "partnercenter-test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    plain = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    return CertificateFixture(key, cert, plain + cert_pem, encrypted + cert_pem)


@pytest.fixture()
def emu_app(emu: Emulator) -> dict[str, Any]:
    return emu.app("partner-center-app")


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    # Every async test runs on both event loops anyio supports (issue 9.4).
    backend: str = request.param
    return backend
