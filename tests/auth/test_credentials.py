"""Credentials against a scripted token endpoint (httpx.MockTransport) and a fake clock:
arguments, retries, refresh policy, rotation, warnings, and that no secret ever leaks."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

import partnercenter.aio as aio
from partnercenter import (
    AccessToken,
    AccessTokenCredential,
    CertificateCredential,
    ClientSecretCredential,
    Cloud,
    MemoryRefreshTokenStore,
    MemoryTokenCache,
    RefreshTokenCredential,
    RetryPolicy,
    Timing,
)
from partnercenter._credentials.assertion import load_certificate
from partnercenter.errors import (
    AccessTokenExpiredError,
    ConfigurationError,
    InvalidClientError,
    InvalidGrantError,
    RefreshTokenMissingError,
    RetiredAudienceWarning,
    TemporarilyUnavailableError,
    TokenEndpointError,
    TokenEndpointUnreachableError,
)

from .conftest import (
    CLIENT_ID,
    CUSTOMER,
    NOW,
    REFRESH_TOKEN,
    SECRET,
    TENANT,
    CertificateFixture,
    FakeClock,
    TokenServer,
    aad_error,
    app_token,
    ok,
    user_token,
)
from .drivers import DRIVERS, SYNC, Driver

PC_DEFAULT = "https://api.partnercenter.microsoft.com/.default"


def secret_credential(
    server: TokenServer, clock: FakeClock, driver: Driver = SYNC, **kw: Any
) -> Any:
    return driver.make(
        "ClientSecretCredential",
        TENANT,
        CLIENT_ID,
        SECRET,
        server=server,
        timing=clock.timing(),
        **kw,
    )


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> Driver:
    """The behaviour tests below run on the blocking driver, asyncio and trio."""
    return Driver(request.param)


# -- construction ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "argument"),
    [
        (("", CLIENT_ID, SECRET), {}, "tenant_id"),
        (("common", CLIENT_ID, SECRET), {}, "tenant_id"),
        (("not a tenant!", CLIENT_ID, SECRET), {}, "tenant_id"),
        ((TENANT, "my-app", SECRET), {}, "client_id"),
        ((TENANT, None, SECRET), {}, "client_id"),
        ((TENANT, CLIENT_ID, ""), {}, "client_secret"),
        ((TENANT, CLIENT_ID, SECRET), {"endpoint_version": "v3"}, "endpoint_version"),
        ((TENANT, CLIENT_ID, SECRET), {"verify": "/no/such/ca.pem"}, "verify"),
        ((TENANT, CLIENT_ID, SECRET), {"timeout": 0}, "timeout"),
        ((TENANT, CLIENT_ID, SECRET), {"http_client": object()}, "http_client"),
        ((TENANT, CLIENT_ID, SECRET), {"clock": 5}, "clock"),
        ((TENANT, CLIENT_ID, SECRET), {"cache": {}}, "cache"),
    ],
)
def test_wrong_arguments_fail_at_construction_naming_them(
    args: tuple[Any, ...], kwargs: dict[str, Any], argument: str
) -> None:
    for cls in (ClientSecretCredential, aio.ClientSecretCredential):
        with pytest.raises(ConfigurationError) as info:
            cls(*args, **kwargs)
        assert info.value.argument == argument
        assert isinstance(info.value, ValueError)
        assert str(info.value).startswith(f"{argument}: ")
        if args[2]:
            assert args[2] not in str(info.value)


def test_certificate_arguments(tmp_path: Path, test_certificate: CertificateFixture) -> None:
    with pytest.raises(ConfigurationError, match="exactly one of") as info:
        CertificateCredential(TENANT, CLIENT_ID)
    assert info.value.argument == "certificate_path"
    with pytest.raises(ConfigurationError, match="cannot read") as info:
        CertificateCredential(TENANT, CLIENT_ID, certificate_path=tmp_path / "missing.pem")
    with pytest.raises(ConfigurationError) as info:
        CertificateCredential(TENANT, CLIENT_ID, certificate_data=test_certificate.encrypted_pem)
    assert info.value.argument == "password"
    with pytest.raises(ConfigurationError) as info:
        CertificateCredential(
            TENANT,
            CLIENT_ID,
            certificate_data=test_certificate.encrypted_pem,
            password="hunter2-pw",
        )
    assert info.value.argument == "password" and "hunter2-pw" not in str(info.value)
    with pytest.raises(ConfigurationError, match="algorithm"):
        CertificateCredential(
            TENANT,
            CLIENT_ID,
            certificate_data=test_certificate.pem,
            algorithm="HS256",  # type: ignore[arg-type]
        )
    other = load_certificate(certificate_data=test_certificate.pem)
    from cryptography.hazmat.primitives.asymmetric import rsa

    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(ConfigurationError, match="does not belong"):
        CertificateCredential(
            TENANT, CLIENT_ID, private_key=stranger, certificate=other.certificate
        )
    ok_cred = CertificateCredential(
        TENANT, CLIENT_ID, certificate_data=test_certificate.encrypted_pem, password="pw"
    )
    assert len(ok_cred.thumbprint) == 40


def test_refresh_token_arguments() -> None:
    with pytest.raises(ConfigurationError, match="neither") as info:
        RefreshTokenCredential(TENANT, CLIENT_ID)
    assert info.value.argument == "refresh_token"
    with pytest.raises(ConfigurationError, match="both"):
        RefreshTokenCredential(TENANT, CLIENT_ID, REFRESH_TOKEN, store=MemoryRefreshTokenStore())
    with pytest.raises(ConfigurationError, match="not both"):
        RefreshTokenCredential(
            TENANT, CLIENT_ID, REFRESH_TOKEN, client_secret=SECRET, certificate_data=b"x"
        )
    # Refresh tokens may be redeemed at the multi-tenant "organizations" authority.
    assert RefreshTokenCredential("organizations", CLIENT_ID, REFRESH_TOKEN).tenant_id == (
        "organizations"
    )


def test_constructors_do_no_io(server: TokenServer, clock: FakeClock) -> None:
    credential = secret_credential(server, clock)
    assert server.requests == [] and credential._http_client is None


# -- requests on the wire --------------------------------------------------------------------


def test_v2_secret_request_and_cache_hit(server: TokenServer, clock: FakeClock) -> None:
    credential = secret_credential(server, clock)
    token = credential.get_token()
    assert token.is_app_only and token.expires_on == NOW + 3600
    assert token.refresh_on == NOW + 1800
    request = server.requests[0]
    assert str(request.url) == f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token"
    assert server.form() == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "scope": PC_DEFAULT,
        "client_secret": SECRET,
    }
    assert request.headers["return-client-request-id"] == "true"
    assert credential.get_token() is token
    assert credential.get_token(PC_DEFAULT) is token  # the default scope, spelled out
    assert len(server.requests) == 1


def test_v1_resource_and_basic_auth(server: TokenServer, clock: FakeClock) -> None:
    credential = secret_credential(server, clock, endpoint_version="v1", secret_in_header=True)
    server.replies = [ok(expires_in="3599")]
    token = credential.get_token()
    assert token.expires_on == NOW + 3599
    assert str(server.requests[0].url).endswith(f"/{TENANT}/oauth2/token")
    form = server.form()
    assert form["resource"] == "https://api.partnercenter.microsoft.com"
    assert "client_secret" not in form and "scope" not in form
    assert server.requests[0].headers["authorization"].startswith("Basic ")


def test_custom_cloud_and_national_clouds(server: TokenServer, clock: FakeClock) -> None:
    cloud = Cloud.custom(authority_host="https://127.0.0.1:9", api_root="https://127.0.0.1:9")
    secret_credential(server, clock, cloud=cloud).get_token()
    assert str(server.requests[-1].url) == f"https://127.0.0.1:9/{TENANT}/oauth2/v2.0/token"
    assert server.form()["scope"] == PC_DEFAULT  # the real audience
    secret_credential(server, clock, cloud="china").get_token()
    assert server.requests[-1].url.host == "login.chinacloudapi.cn"
    assert server.form()["scope"] == (
        "https://partner.partnercenterapi.microsoftonline.cn/.default"
    )


def test_certificate_assertions_are_fresh_and_verifiable(
    server: TokenServer, clock: FakeClock, test_certificate: CertificateFixture
) -> None:
    import jwt as pyjwt

    for algorithm, thumb in (("PS256", "x5t#S256"), ("RS256", "x5t")):
        credential = CertificateCredential(
            TENANT,
            CLIENT_ID,
            certificate_data=test_certificate.pem,
            algorithm=algorithm,  # type: ignore[arg-type]
            send_certificate_chain=True,
            transport=server.transport,
            timing=Timing(clock=clock),
        )
        credential.get_token()
        credential.get_token("https://graph.microsoft.com/.default")
        forms = [server.form(-2), server.form(-1)]
        assertions = [f["client_assertion"] for f in forms]
        assert assertions[0] != assertions[1]
        header = pyjwt.get_unverified_header(assertions[0])
        assert header["alg"] == algorithm and thumb in header and len(header["x5c"]) == 1
        claims = pyjwt.decode(
            assertions[0],
            test_certificate.key.public_key(),
            algorithms=[algorithm],
            audience=f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token",
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
        )
        assert claims["iss"] == claims["sub"] == CLIENT_ID
        assert claims["exp"] - claims["nbf"] == 600 and claims["nbf"] == int(NOW)
        assert forms[0]["client_assertion_type"].endswith("jwt-bearer")


def test_pkcs12_certificate(test_certificate: CertificateFixture) -> None:
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    pfx = pkcs12.serialize_key_and_certificates(
        b"test", test_certificate.key, test_certificate.cert, None, BestAvailableEncryption(b"p")
    )
    credential = CertificateCredential(TENANT, CLIENT_ID, certificate_data=pfx, password="p")
    assert (
        credential.thumbprint
        == load_certificate(certificate_data=test_certificate.pem).thumbprint_sha1
    )


# -- retries ---------------------------------------------------------------------------------


def test_429_with_retry_after_is_honoured(
    server: TokenServer, clock: FakeClock, driver: Driver
) -> None:
    server.replies = [httpx.Response(429, headers={"Retry-After": "7"}), ok()]
    token = driver.run(secret_credential(server, clock, driver).get_token)
    assert token and clock.sleeps == [7.0] and len(server.requests) == 2


def test_503_and_timeouts_back_off_then_succeed(
    server: TokenServer, clock: FakeClock, driver: Driver
) -> None:
    server.replies = [
        httpx.Response(503),
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        ok(),
    ]
    driver.run(secret_credential(server, clock, driver).get_token)
    assert clock.sleeps == [0.375, 0.75, 1.5]  # 0.5 * 2**n with jitter 0.5 -> 75 %
    assert len(server.requests) == 4


def test_retries_are_bounded(server: TokenServer, clock: FakeClock, driver: Driver) -> None:
    server.replies = [aad_error(90033, "temporarily_unavailable", "A transient error", status=503)]
    with pytest.raises(TemporarilyUnavailableError) as info:
        driver.run(
            secret_credential(server, clock, driver, retry=RetryPolicy(max_retries=2)).get_token
        )
    assert len(server.requests) == 3 and info.value.status == 503


def test_connection_failures_after_retries(
    server: TokenServer, clock: FakeClock, driver: Driver
) -> None:
    server.replies = [httpx.ConnectError("connection refused")]
    with pytest.raises(TokenEndpointUnreachableError, match="connection refused") as info:
        driver.run(secret_credential(server, clock, driver).get_token)
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert len(server.requests) == 4


def test_too_long_retry_after_is_raised_not_slept(
    server: TokenServer, clock: FakeClock, driver: Driver
) -> None:
    server.replies = [httpx.Response(429, headers={"Retry-After": "120"})]
    with pytest.raises(TokenEndpointError) as info:
        driver.run(secret_credential(server, clock, driver).get_token)
    assert info.value.retry_after == 120 and clock.sleeps == [] and len(server.requests) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_other_4xx_are_never_retried(
    server: TokenServer, clock: FakeClock, driver: Driver, status: int
) -> None:
    server.replies = [aad_error(7000215, "invalid_client", "Invalid client secret", status)]
    with pytest.raises(InvalidClientError) as info:
        driver.run(secret_credential(server, clock, driver).get_token)
    assert len(server.requests) == 1 and clock.sleeps == []
    assert "Secret ID" in info.value.hint


# -- refresh policy with the clock -----------------------------------------------------------


def test_proactive_refresh_and_expiry(
    server: TokenServer, clock: FakeClock, driver: Driver
) -> None:
    credential = secret_credential(server, clock, driver)
    first = driver.run(credential.get_token)
    clock.now += 1799
    assert driver.run(credential.get_token) is first and len(server.requests) == 1
    clock.now += 1  # refresh_on reached
    second = driver.run(credential.get_token)
    assert second is not first and len(server.requests) == 2


def test_failed_early_refresh_keeps_serving_then_required_refresh_raises(
    server: TokenServer, clock: FakeClock, driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    credential = secret_credential(server, clock, driver, retry=RetryPolicy(max_retries=0))
    first = driver.run(credential.get_token)
    server.replies = [httpx.Response(503)]
    clock.now += 1800
    with caplog.at_level(logging.WARNING, "partnercenter.auth"):
        assert driver.run(credential.get_token) is first
    assert "proactive token refresh failed" in caplog.text
    assert len(server.requests) == 2
    clock.now += 10  # within MIN_REFRESH_INTERVAL: no new attempt
    assert driver.run(credential.get_token) is first and len(server.requests) == 2
    clock.now += 30
    assert driver.run(credential.get_token) is first and len(server.requests) == 3
    clock.now = first.expires_on - 30  # now required
    with pytest.raises(TokenEndpointError):
        driver.run(credential.get_token)
    server.replies = [ok()]
    assert driver.run(credential.get_token) is not first


def test_claims_challenge_bypasses_the_cache(
    server: TokenServer, clock: FakeClock, driver: Driver
) -> None:
    credential = secret_credential(server, clock, driver)
    driver.run(credential.get_token)
    driver.run(credential.get_token, claims='{"access_token":{}}')
    assert len(server.requests) == 2 and server.form()["claims"] == '{"access_token":{}}'


def test_shared_cache_between_credentials(server: TokenServer, clock: FakeClock) -> None:
    cache = MemoryTokenCache()
    a = secret_credential(server, clock, cache=cache)
    b = secret_credential(server, clock, cache=cache)
    assert a.get_token() is b.get_token() and len(server.requests) == 1
    other_tenant = ClientSecretCredential(
        CUSTOMER,
        CLIENT_ID,
        SECRET,
        transport=server.transport,
        cache=cache,
        timing=Timing(clock=clock),
    )
    other_tenant.get_token()
    assert len(server.requests) == 2 and len(cache) == 2


def test_bounded_cache_evicts_oldest() -> None:
    cache = MemoryTokenCache(max_entries=2)
    for i in range(3):
        cache.set(i, (0.0, AccessToken("t", 0)))
    assert cache.get(0) is None and cache.get(2) is not None and len(cache) == 2


# -- refresh tokens --------------------------------------------------------------------------


def test_refresh_token_rotation_and_customer_tenant(
    server: TokenServer, clock: FakeClock, driver: Driver
) -> None:
    store = MemoryRefreshTokenStore({"k": REFRESH_TOKEN})
    credential = driver.make(
        "RefreshTokenCredential",
        TENANT,
        CLIENT_ID,
        store=store,
        store_key="k",
        client_secret=SECRET,
        server=server,
        timing=Timing(clock=clock),
    )
    server.replies = [ok(user_token(["pwd", "mfa"]), refresh_token="rt-2")]
    token = driver.run(credential.get_token)
    assert token.is_app_and_user and token.has_mfa
    form = server.form()
    assert form["grant_type"] == "refresh_token" and form["refresh_token"] == REFRESH_TOKEN
    assert form["scope"] == (
        "https://api.partnercenter.microsoft.com/user_impersonation offline_access"
    )
    assert form["client_secret"] == SECRET
    assert store.load("k") == "rt-2"
    server.replies = [ok(user_token(["mfa"], tid=CUSTOMER), refresh_token="rt-3")]
    customer = driver.run(credential.get_token, tenant_id=CUSTOMER)
    assert customer.tenant_id == CUSTOMER
    assert f"/{CUSTOMER}/oauth2/v2.0/token" in str(server.requests[-1].url)
    assert server.form()["refresh_token"] == "rt-2" and store.load("k") == "rt-3"
    assert driver.run(credential.get_token) is token  # cached per tenant
    assert REFRESH_TOKEN not in repr(store) and "rt-3" not in repr(credential)


def public_refresh_credential(server: TokenServer, clock: FakeClock, driver: Driver) -> Any:
    """A public client's refresh-token credential over ``server``, for ``driver``."""
    return driver.make(
        "RefreshTokenCredential",
        TENANT,
        CLIENT_ID,
        REFRESH_TOKEN,
        server=server,
        timing=Timing(clock=clock),
    )


def test_public_client_refresh_sends_no_credential(
    server: TokenServer, clock: FakeClock, driver: Driver
) -> None:
    credential = public_refresh_credential(server, clock, driver)
    server.replies = [ok(user_token(["mfa"]))]
    driver.run(credential.get_token)
    form = server.form()
    assert "client_secret" not in form and "client_assertion" not in form
    assert credential.store.load(credential.store_key) == REFRESH_TOKEN  # not rotated


def test_expired_refresh_token_and_empty_store(
    server: TokenServer, clock: FakeClock, driver: Driver
) -> None:
    server.replies = [aad_error(700082, "invalid_grant", "The refresh token has expired")]
    credential = public_refresh_credential(server, clock, driver)
    with pytest.raises(InvalidGrantError) as info:
        driver.run(credential.get_token)
    assert "90 days" in info.value.hint and info.value.code == 700082
    empty = driver.make(
        "RefreshTokenCredential", TENANT, CLIENT_ID, store=MemoryRefreshTokenStore(), server=server
    )
    with pytest.raises(RefreshTokenMissingError, match="consent"):
        driver.run(empty.get_token)


# -- static tokens ---------------------------------------------------------------------------


def test_static_access_token(clock: FakeClock) -> None:
    raw = app_token(exp=int(NOW) + 60)
    credential = AccessTokenCredential("Bearer " + raw, timing=Timing(clock=clock))
    assert credential.get_token().token == raw
    assert credential.get_token().expires_on == NOW + 60
    clock.now += 60
    with pytest.raises(AccessTokenExpiredError, match="expired 0 s ago") as info:
        credential.get_token()
    assert "cannot be refreshed" in info.value.hint and raw not in str(info.value)
    with pytest.raises(ConfigurationError) as bad:
        AccessTokenCredential("opaque")
    assert bad.value.argument == "expires_on"
    assert AccessTokenCredential("opaque", expires_on=NOW + 1, timing=Timing(clock=clock))
    assert raw not in repr(AccessTokenCredential(raw))
    for garbled in ("tök", "two words", "line\nbreak"):
        with pytest.raises(ConfigurationError) as bad:
            AccessTokenCredential(garbled, expires_on=NOW + 1)
        assert bad.value.argument == "token" and garbled not in str(bad.value)
    for endless in (float("nan"), float("inf")):
        with pytest.raises(ConfigurationError) as bad:
            AccessTokenCredential("opaque", expires_on=endless)
        assert bad.value.argument == "expires_on"


# -- warnings and secrets --------------------------------------------------------------------


def test_graph_windows_net_warns(server: TokenServer, clock: FakeClock) -> None:
    credential = secret_credential(server, clock)
    with pytest.warns(RetiredAudienceWarning, match="900420") as record:
        credential.get_token("https://graph.windows.net")
    assert record[0].filename == __file__
    assert server.form()["scope"] == "https://graph.windows.net/.default"
    v1 = secret_credential(server, clock, endpoint_version="v1")
    with pytest.warns(RetiredAudienceWarning, match="2025"):
        v1.get_token("https://graph.windows.net/.default")
    assert server.form()["resource"] == "https://graph.windows.net"


def test_no_secret_in_repr_errors_or_logs(
    server: TokenServer,
    clock: FakeClock,
    test_certificate: CertificateFixture,
    caplog: pytest.LogCaptureFixture,
) -> None:
    echo = lambda request: httpx.Response(  # noqa: E731
        400,
        json={
            "error": "invalid_request",
            "error_description": "AADSTS90023: echo " + request.content.decode(),
            "error_codes": [90023],
        },
    )
    secrets: list[str] = [SECRET, REFRESH_TOKEN]
    server.replies = [httpx.Response(503), echo]
    credentials = [
        secret_credential(server, clock),
        secret_credential(server, clock, secret_in_header=True),
        RefreshTokenCredential(
            TENANT, CLIENT_ID, REFRESH_TOKEN, client_secret=SECRET, transport=server.transport
        ),
        CertificateCredential(
            TENANT, CLIENT_ID, certificate_data=test_certificate.pem, transport=server.transport
        ),
    ]
    texts = []
    with caplog.at_level(logging.DEBUG):
        for credential in credentials:
            server.replies = [httpx.Response(503), echo]
            texts.append(repr(credential))
            with pytest.raises(Exception) as info:  # noqa: B017
                credential.get_token()
            texts.append(str(info.value))
            texts.append(repr(info.value))
    for form_index in range(len(server.requests)):
        form = server.form(form_index)
        secrets += [form[k] for k in ("client_assertion",) if k in form]
        if "authorization" in server.requests[form_index].headers:
            secrets.append(server.requests[form_index].headers["authorization"].split()[1])
    texts.append(caplog.text)
    for credential in credentials:
        parts = credential._client_auth.parts("https://login.example/token", NOW)
        secrets += parts.secrets
        texts.append(repr(parts))
    everything = "\n".join(texts)
    assert "AADSTS90023: echo" in everything
    for secret in secrets:
        assert secret not in everything


# -- async twins -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_async_store_rotation(server: TokenServer, clock: FakeClock) -> None:
    # (Retries, refresh and rotation run on every driver above; this is the async store.)
    class AsyncStore:
        def __init__(self) -> None:
            self.value: str | None = REFRESH_TOKEN

        async def load(self, key: str) -> str | None:
            return self.value

        async def save(self, key: str, refresh_token: str) -> None:
            self.value = refresh_token

        async def delete(self, key: str) -> None:
            self.value = None

    store = AsyncStore()
    server.replies = [ok(user_token(["mfa"]), refresh_token="rt-async")]
    refresh = aio.RefreshTokenCredential(
        TENANT, CLIENT_ID, store=store, transport=server.async_transport, timing=Timing(clock=clock)
    )
    assert (await refresh.get_token()).has_mfa and store.value == "rt-async"
    with pytest.raises(ConfigurationError, match="async store"):
        RefreshTokenCredential(TENANT, CLIENT_ID, store=store)


@pytest.mark.anyio
async def test_async_static_token(clock: FakeClock) -> None:
    credential = aio.AccessTokenCredential(
        app_token(), expires_on=NOW + 5, timing=Timing(clock=clock)
    )
    assert (await credential.get_token_info()).expires_on == NOW + 5
    clock.now += 5
    with pytest.raises(AccessTokenExpiredError):
        await credential.get_token()
