"""Every credential kind against the running emulator over TLS on loopback: secret and
certificate, v1 and v2, sync and async, single flight counted by the emulator's stats, and
interop with azure-core / azure-identity."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import pytest

import partnercenter.aio as aio
from partnercenter import (
    AzureCredentialAdapter,
    CertificateCredential,
    ClientSecretCredential,
)
from partnercenter.emulator import Emulator
from partnercenter.errors import InvalidClientError, InvalidRequestError, UnauthorizedClientError
from partnercenter.testing import EmulatorFactory

from ..emulator_support import cloud

PC = "https://api.partnercenter.microsoft.com"
T = TypeVar("T")


@pytest.fixture()
def closing() -> Iterator[Callable[[T], T]]:
    """Register credentials to close after the test: an open keep-alive connection would
    outlive the emulator and warn when it stops."""
    opened: list[Any] = []

    def register(credential: T) -> T:
        opened.append(credential)
        return credential

    yield register
    for credential in opened:
        credential.close()


def client_credential_requests(emu: Emulator) -> int:
    return int(emu.stats()["token_requests"].get("client_credentials", 0))


def check_app_token(token: Any, emu: Emulator, app: dict[str, Any]) -> None:
    assert token.is_app_only
    assert token.tenant_id == emu.partner_tenant["id"]
    assert token.client_id == app["client_id"]
    assert token.audience == PC  # the real audience, though the host is the emulator
    assert token.expires_on > token.refresh_on


@pytest.mark.parametrize("version", ["v2", "v1"])
@pytest.mark.parametrize("tenant_key", ["id", "domain"])
def test_secret_credential(
    emu: Emulator, emu_app: dict[str, Any], version: str, tenant_key: str
) -> None:
    with ClientSecretCredential(
        emu.partner_tenant[tenant_key],
        emu_app["client_id"],
        emu_app["client_secret"],
        cloud=cloud(emu),
        verify=emu.ca_cert,
        endpoint_version=version,  # type: ignore[arg-type]
    ) as credential:
        token = credential.get_token()
        check_app_token(token, emu, emu_app)
        assert credential.get_token() is token


def test_secret_in_basic_auth_header(
    emu: Emulator, emu_app: dict[str, Any], closing: Callable[[Any], Any]
) -> None:
    credential = closing(
        ClientSecretCredential(
            emu.partner_tenant["id"],
            emu_app["client_id"],
            emu_app["client_secret"],
            secret_in_header=True,
            cloud=cloud(emu),
            verify=emu.ca_cert,
        )
    )
    check_app_token(credential.get_token(), emu, emu_app)


@pytest.mark.parametrize("version", ["v2", "v1"])
@pytest.mark.parametrize("algorithm", ["PS256", "RS256"])
def test_certificate_credential(
    emu: Emulator,
    emu_app: dict[str, Any],
    version: str,
    algorithm: str,
    closing: Callable[[Any], Any],
) -> None:
    cert = emu_app["certificate"]
    pem = Path(cert["key_path"]).read_bytes() + Path(cert["cert_path"]).read_bytes()
    credential = closing(
        CertificateCredential(
            emu.partner_tenant["id"],
            emu_app["client_id"],
            certificate_data=pem,
            algorithm=algorithm,  # type: ignore[arg-type]
            cloud=cloud(emu),
            verify=emu.ca_cert,
            endpoint_version=version,  # type: ignore[arg-type]
        )
    )
    assert credential.thumbprint == cert["thumbprint_sha1"]
    check_app_token(credential.get_token(), emu, emu_app)
    # Another scope: a second request, with a fresh assertion.
    assert credential.get_token("https://graph.microsoft.com/.default").audience


def test_certificate_credential_signs_a_fresh_assertion_per_request(
    pc_emulator_factory: EmulatorFactory, closing: Callable[[Any], Any]
) -> None:
    """Entra accepts reused assertions; this library never reuses one, so even the emulator's
    opt-in replay refusal (``reject_assertion_replay``) lets every request through."""
    config = {"settings": {"reject_assertion_replay": True}}
    with pc_emulator_factory.private(config) as strict:
        app = strict.app("partner-center-app")
        cert = app["certificate"]
        pem = Path(cert["key_path"]).read_bytes() + Path(cert["cert_path"]).read_bytes()
        credential = closing(
            CertificateCredential(
                strict.partner_tenant["id"],
                app["client_id"],
                certificate_data=pem,
                cloud=cloud(strict),
                verify=strict.ca_cert,
            )
        )
        for scope in (PC, "https://graph.microsoft.com/.default"):
            assert credential.get_token(scope).audience
        assert strict.stats()["token_errors"] == {}
        credential.close()


def test_certificate_from_pkcs12(
    emu: Emulator, emu_app: dict[str, Any], closing: Callable[[Any], Any]
) -> None:
    cert = emu_app["certificate"]
    credential = closing(
        CertificateCredential(
            emu.partner_tenant["domain"],
            emu_app["client_id"],
            certificate_path=cert["pfx_path"],
            password=cert["pfx_password"],
            cloud=cloud(emu),
            verify=emu.ca_cert,
        )
    )
    check_app_token(credential.get_token(), emu, emu_app)


def test_emulator_errors_become_typed_errors_with_hints(
    emu: Emulator, emu_app: dict[str, Any], closing: Callable[[Any], Any]
) -> None:
    def credential(tenant: str, client_id: str, secret: str) -> ClientSecretCredential:
        made: ClientSecretCredential = closing(
            ClientSecretCredential(tenant, client_id, secret, cloud=cloud(emu), verify=emu.ca_cert)
        )
        return made

    tenant = emu.partner_tenant["id"]
    with pytest.raises(InvalidClientError) as wrong:
        credential(tenant, emu_app["client_id"], "not-the-secret").get_token()
    assert wrong.value.code == 7000215 and wrong.value.status == 401
    assert wrong.value.trace_id and wrong.value.correlation_id and wrong.value.hint
    expired = emu.app("expired-secret-app")
    with pytest.raises(InvalidClientError) as old:
        credential(tenant, expired["client_id"], expired["client_secret"]).get_token()
    assert old.value.code == 7000222 and "expired" in old.value.hint
    with pytest.raises(InvalidRequestError) as missing:
        credential("nosuchtenant.onmicrosoft.com", emu_app["client_id"], "x").get_token()
    assert missing.value.code == 90002
    with pytest.raises(UnauthorizedClientError) as unknown:
        credential(tenant, "00000000-0000-0000-0000-000000000001", "x").get_token()
    assert unknown.value.code == 700016


@pytest.mark.anyio
@pytest.mark.parametrize("version", ["v2", "v1"])
async def test_async_secret_and_certificate(
    emu: Emulator, emu_app: dict[str, Any], version: str
) -> None:
    options: dict[str, Any] = {
        "cloud": cloud(emu),
        "verify": emu.ca_cert,
        "endpoint_version": version,
    }
    async with aio.ClientSecretCredential(
        emu.partner_tenant["id"], emu_app["client_id"], emu_app["client_secret"], **options
    ) as secret:
        check_app_token(await secret.get_token(), emu, emu_app)
    async with aio.CertificateCredential(
        emu.partner_tenant["id"],
        emu_app["client_id"],
        certificate_path=emu_app["certificate"]["pfx_path"],
        password=emu_app["certificate"]["pfx_password"],
        **options,
    ) as certificate:
        check_app_token(await certificate.get_token(), emu, emu_app)


def test_64_threads_cold_cache_make_one_request(emu: Emulator, emu_app: dict[str, Any]) -> None:
    credential = ClientSecretCredential(
        emu.partner_tenant["id"],
        emu_app["client_id"],
        emu_app["client_secret"],
        cloud=cloud(emu),
        verify=emu.ca_cert,
    )
    before = client_credential_requests(emu)
    barrier = threading.Barrier(64)
    results: list[Any] = []

    def worker() -> None:
        barrier.wait()
        results.append(credential.get_token())

    threads = [threading.Thread(target=worker) for _ in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 64 and len({id(r) for r in results}) == 1
    assert client_credential_requests(emu) - before == 1
    credential.close()


async def gather(
    calls: list[Callable[[], Awaitable[Any]]], *, return_exceptions: bool = False
) -> list[Any]:
    """``asyncio.gather`` for any anyio backend (the tests run under asyncio and trio)."""
    results: list[Any] = [None] * len(calls)

    async def run(index: int, call: Callable[[], Awaitable[Any]]) -> None:
        try:
            results[index] = await call()
        except Exception as exc:
            if not return_exceptions:
                raise
            results[index] = exc

    async with anyio.create_task_group() as group:
        for index, call in enumerate(calls):
            group.start_soon(run, index, call)
    return results


@pytest.mark.anyio
async def test_1000_coroutines_cold_cache_make_one_request(
    emu: Emulator, emu_app: dict[str, Any]
) -> None:
    async with aio.ClientSecretCredential(
        emu.partner_tenant["id"],
        emu_app["client_id"],
        emu_app["client_secret"],
        cloud=cloud(emu),
        verify=emu.ca_cert,
    ) as credential:
        before = await anyio.to_thread.run_sync(client_credential_requests, emu)
        tokens = await gather([credential.get_token for _ in range(1000)])
        after = await anyio.to_thread.run_sync(client_credential_requests, emu)
    assert len({id(t) for t in tokens}) == 1
    assert after - before == 1


@pytest.mark.anyio
async def test_1000_coroutines_share_one_error(emu: Emulator, emu_app: dict[str, Any]) -> None:
    async with aio.ClientSecretCredential(
        emu.partner_tenant["id"],
        emu_app["client_id"],
        "wrong-secret",
        cloud=cloud(emu),
        verify=emu.ca_cert,
    ) as credential:
        before = await anyio.to_thread.run_sync(emu.stats)
        results = await gather([credential.get_token for _ in range(1000)], return_exceptions=True)
        after = await anyio.to_thread.run_sync(emu.stats)
    assert all(isinstance(r, InvalidClientError) for r in results)
    count = sum(after["token_requests"].values()) - sum(before["token_requests"].values())
    assert count == 1


def test_azure_identity_credential_as_a_source(
    emu: Emulator, emu_app: dict[str, Any], closing: Callable[[Any], Any]
) -> None:
    from azure.identity import ClientSecretCredential as AzureSecretCredential

    source = closing(
        AzureSecretCredential(
            emu.partner_tenant["id"],
            emu_app["client_id"],
            emu_app["client_secret"],
            authority=emu.base_url,
            disable_instance_discovery=True,
            connection_verify=emu.ca_cert,
        )
    )
    adapter = AzureCredentialAdapter(source)
    token = adapter.get_token()
    check_app_token(token, emu, emu_app)
    assert adapter.get_token() is token


def test_our_credential_in_an_azure_core_pipeline(
    emu: Emulator, emu_app: dict[str, Any], closing: Callable[[Any], Any]
) -> None:
    from azure.core.pipeline import PipelineRequest
    from azure.core.pipeline.policies import BearerTokenCredentialPolicy
    from azure.core.pipeline.transport import HttpRequest

    credential = closing(
        ClientSecretCredential(
            emu.partner_tenant["id"],
            emu_app["client_id"],
            emu_app["client_secret"],
            cloud=cloud(emu),
            verify=emu.ca_cert,
        )
    )
    policy = BearerTokenCredentialPolicy(credential, f"{PC}/.default")
    request = PipelineRequest(HttpRequest("GET", f"{emu.base_url}/v1/customers"), _context())
    policy.on_request(request)
    header = request.http_request.headers["Authorization"]
    assert header == f"Bearer {credential.get_token().token}"


def _context() -> Any:
    from azure.core.pipeline import PipelineContext

    return PipelineContext(None)
