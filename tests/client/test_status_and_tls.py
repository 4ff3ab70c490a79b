"""Issue 9, items 2 and 3: every status outside 2xx is an error (a redirect is neither taken for
success nor followed), and the client trusts what its credential trusts; a certificate
failure is reported at once, with a hint, never retried."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from partnercenter import ClientSecretCredential, PartnerClient, Timing
from partnercenter.aio import AsyncPartnerClient
from partnercenter.aio import ClientSecretCredential as AsyncClientSecretCredential
from partnercenter.clouds import Cloud
from partnercenter.emulator import Emulator
from partnercenter.errors import ApiConnectionError, UnexpectedStatusError

from .conftest import FakeApi, FakeClock
from .helpers import async_client, client

ELSEWHERE = "https://login.example.net/landing?session=1"


def redirect(status: int = 302) -> httpx.Response:
    return httpx.Response(status, headers={"Location": ELSEWHERE})


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_an_error_not_an_empty_answer(
    api: FakeApi, clock: FakeClock, status: int
) -> None:
    api.replies = [redirect(status)]
    with client(api, clock) as pc, pytest.raises(UnexpectedStatusError) as caught:
        pc.get_legal_business_profile()
    error = caught.value
    assert error.status == status and error.operation == "get_legal_business_profile"
    message = str(error)
    assert f"HTTP {status}" in message and ELSEWHERE in message
    assert "get_legal_business_profile (GET /v1/profiles/legalbusiness)" in message
    assert len(api.requests) == 1  # neither followed nor retried


def test_a_redirected_list_is_not_an_empty_list(api: FakeApi, clock: FakeClock) -> None:
    api.replies = [redirect()]
    with client(api, clock) as pc, pytest.raises(UnexpectedStatusError, match="list_customers"):
        list(pc.list_customers())


def test_a_redirect_is_not_followed_even_by_a_following_http_client(
    api: FakeApi, clock: FakeClock
) -> None:
    api.replies = [redirect()]
    following = httpx.Client(transport=api.transport, follow_redirects=True)
    with (
        PartnerClient(
            _token_credential(clock), http_client=following, timing=Timing(clock=clock)
        ) as pc,
        pytest.raises(UnexpectedStatusError),
    ):
        pc.get_legal_business_profile()
    assert [r.url.host for r in api.requests] == ["api.partnercenter.microsoft.com"]
    following.close()


def test_an_informational_status_is_an_error(api: FakeApi, clock: FakeClock) -> None:
    api.replies = [httpx.Response(103)]
    with client(api, clock) as pc, pytest.raises(UnexpectedStatusError, match="HTTP 103"):
        pc.get_legal_business_profile()


@pytest.mark.anyio
async def test_the_async_client_raises_for_a_redirect(api: FakeApi, clock: FakeClock) -> None:
    api.replies = [redirect()]
    async with async_client(api, clock) as pc:
        with pytest.raises(UnexpectedStatusError, match="redirect"):
            await pc.get_legal_business_profile()
    assert len(api.requests) == 1


def _token_credential(clock: FakeClock) -> object:
    from partnercenter import AccessTokenCredential

    from .conftest import app_token

    return AccessTokenCredential(app_token(), timing=Timing(clock=clock))


# -- item 3: TLS trust -----------------------------------------------------------------------
def _emulator_cloud(emu: Emulator) -> Cloud:
    return Cloud.custom(authority_host=emu.base_url, api_root=emu.base_url, name="emulator")


def test_the_client_uses_the_credentials_trust(emu: Emulator) -> None:
    app = emu.app("partner-center-app")
    credential = ClientSecretCredential(
        emu.partner_tenant["id"],
        app["client_id"],
        app["client_secret"],
        cloud=_emulator_cloud(emu),
        verify=emu.ca_cert,
    )
    # No verify= for the client: it trusts the emulator's CA because the credential does.
    with credential, PartnerClient(credential) as pc:
        assert pc.get_legal_business_profile()["companyName"]


def test_verify_given_to_the_client_wins(emu: Emulator) -> None:
    app = emu.app("partner-center-app")
    credential = ClientSecretCredential(
        emu.partner_tenant["id"],
        app["client_id"],
        app["client_secret"],
        cloud=_emulator_cloud(emu),
        verify=emu.ca_cert,
    )
    # The system CAs do not know the emulator's: the client's own verify=True is obeyed.
    sleeps: list[float] = []
    with (
        credential,
        PartnerClient(credential, verify=True, timing=Timing(sleep=sleeps.append)) as pc,
        pytest.raises(ApiConnectionError) as caught,
    ):
        pc.get_legal_business_profile()
    error = caught.value
    assert error.attempts == 1 and sleeps == []  # a certificate failure is not retried
    assert "certificate" in str(error).lower()
    assert "verify=" in error.hint and "CA" in error.hint


@pytest.mark.anyio
async def test_the_async_client_uses_the_credentials_trust(emu: Emulator) -> None:
    app = emu.app("partner-center-app")
    credential = AsyncClientSecretCredential(
        emu.partner_tenant["id"],
        app["client_id"],
        app["client_secret"],
        cloud=_emulator_cloud(emu),
        verify=emu.ca_cert,
    )
    async with credential, AsyncPartnerClient(credential) as pc:
        assert (await pc.get_legal_business_profile())["companyName"]


def test_a_certificate_error_fails_at_once(api: FakeApi, clock: FakeClock) -> None:
    failure = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    failure.__cause__ = ssl.SSLCertVerificationError(1, "certificate verify failed")
    api.replies = [failure]
    with client(api, clock) as pc, pytest.raises(ApiConnectionError) as caught:
        pc.get_legal_business_profile()
    assert len(api.requests) == 1 and clock.sleeps == []
    assert "not trusted" in str(caught.value)


def test_an_unreadable_ca_path_names_verify(tmp_path: Path) -> None:
    from partnercenter.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="verify: no CA file"):
        PartnerClient(_token_credential(FakeClock(0.0)), verify=tmp_path / "missing.pem")


def test_the_token_endpoint_certificate_error_fails_at_once(emu: Emulator) -> None:
    from partnercenter.errors import TokenEndpointUnreachableError

    app = emu.app("partner-center-app")
    sleeps: list[float] = []
    credential = ClientSecretCredential(
        emu.partner_tenant["id"],
        app["client_id"],
        app["client_secret"],
        cloud=_emulator_cloud(emu),
        verify=True,  # the system CAs: the emulator's own CA is not among them
        timing=Timing(sleep=sleeps.append),
    )
    with credential, pytest.raises(TokenEndpointUnreachableError) as caught:
        credential.get_token()
    assert sleeps == [] and "not trusted" in str(caught.value)
    assert "verify=" in caught.value.hint
