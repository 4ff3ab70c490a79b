"""No secret in any message, repr, log record, warning or traceback (issue 9, item 1).

A property test walks every public constructor and function (``partnercenter.__all__``,
``partnercenter.aio``, ``partnercenter.client``, ``partnercenter.stores``), puts a secret-shaped
value (:mod:`.secret_values`) into each argument in turn, the others valid, and collects all
the call produces: the exception (message, hint, args, formatted traceback) or the object's
``repr``/``str``, for credentials also a ``get_token`` against a token endpoint that echoes
the request back in its error description (as a hostile or careless server might), and
everything printed, logged or warned meanwhile. None may contain the secret.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import logging
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings

import partnercenter
import partnercenter.aio
import partnercenter.client
import partnercenter.stores
from partnercenter._credentials.token_endpoint import CredentialOptions
from partnercenter.clouds import Cloud
from partnercenter.errors import ConfigurationError, PartnerCenterError
from partnercenter.redaction import describe, secret_shape
from partnercenter.tokens import AccessToken

from ..fakes import app_claims, jwt
from .conftest import CLIENT_ID, TENANT, TENANT_GUID, CertificateFixture
from .secret_values import client_secrets, leaked, secrets

#: How many secret-shaped values each argument receives.
EXAMPLES = 12

#: Public names that are not constructors or functions taking user input, and why.
NOT_WALKED = {
    "__version__": "a string",
    "RefreshTokenStore": "a Protocol",
    "RefreshTokenRecordStore": "a Protocol",
    "AsyncRefreshTokenStore": "a Protocol",
    "TokenCache": "a Protocol",
    "MfaCheck": "a Literal type",
    # Exceptions are built by the library with messages it wrote; their message is the point.
    "AuthenticationError": "an exception",
    "AzureADError": "an exception",
    "PartnerCenterApiError": "an exception",
    "PartnerCenterError": "an exception",
}


REDIS_URL = "redis://127.0.0.1:1/0"


def _tokens_for_tenants(credential: Any, tenant_ids: Any, concurrency: Any = 2) -> Any:
    """``aio.tokens_for_tenants`` run to completion (the walk calls plain callables)."""

    async def run() -> Any:
        return await partnercenter.aio.tokens_for_tenants(
            credential, tenant_ids, concurrency=concurrency
        )

    return anyio.run(run)


def _echo(request: httpx.Request) -> httpx.Response:
    # A token endpoint that quotes the whole request (URL, headers and decoded form) back.
    echoed = " ".join(
        [str(request.url), *(f"{k}={v}" for k, v in request.headers.items())]
        + [unquote_plus(request.content.decode("utf-8", "replace"))]
    )
    return httpx.Response(
        400,
        json={
            "error": "invalid_request",
            "error_description": f"AADSTS90023: Invalid request: {echoed}",
            "error_codes": [90023],
        },
    )


async def _async_echo(request: httpx.Request) -> httpx.Response:
    await request.aread()
    return _echo(request)


class _MemoryKeyring:
    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, user: str) -> str | None:
        return self.entries.get((service, user))

    def set_password(self, service: str, user: str, password: str) -> None:
        self.entries[(service, user)] = password

    def delete_password(self, service: str, user: str) -> None:
        self.entries.pop((service, user), None)


class _StaticCredential:
    """An azure-core style credential (for the adapters and clients)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        raise RuntimeError("not used")


class _AsyncStaticCredential:
    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        raise RuntimeError("not used")


Baselines = dict[str, tuple[Any, dict[str, Any]]]


def _baselines(tmp: Path, cert_path: Path, urls: list[str]) -> Baselines:
    """Valid arguments for each public callable (its other arguments keep their defaults)."""
    token = jwt({**app_claims(TENANT_GUID, CLIENT_ID), "exp": 4_000_000_000})
    options: dict[str, Any] = {
        "transport": httpx.MockTransport(_echo),
        "retry": partnercenter.RetryPolicy(max_retries=0),
        "timing": partnercenter.Timing(sleep=lambda seconds: None),
    }
    aio_options: dict[str, Any] = {**options, "transport": httpx.MockTransport(_async_echo)}
    user = {"open_browser": urls.append, "sign_in_timeout": 0.01}
    pc, aio, client, stores = (
        partnercenter,
        partnercenter.aio,
        partnercenter.client,
        partnercenter.stores,
    )
    secret = {"client_secret": "not-a-real-secret"}
    store_key = stores.generate_store_key()
    access = AccessToken(token, 4_000_000_000)
    call = client.ApiCall("GET", "/v1/customers")
    entries: Baselines = {
        "AccessToken": (pc.AccessToken, {"token": token, "expires_on": 4_000_000_000}),
        "AccessTokenCredential": (pc.AccessTokenCredential, {"token": token}),
        "AzureCredentialAdapter": (pc.AzureCredentialAdapter, {"credential": _StaticCredential()}),
        "CertificateCredential": (
            pc.CertificateCredential,
            {"tenant_id": TENANT, "client_id": CLIENT_ID, "certificate_path": cert_path, **options},
        ),
        "ClientSecretCredential": (
            pc.ClientSecretCredential,
            {"tenant_id": TENANT, "client_id": CLIENT_ID, **secret, **options},
        ),
        "ClientSecret": (pc.ClientSecret, {"value": "not-a-real-secret"}),
        "ClientCertificate": (pc.ClientCertificate.from_file, {"path": cert_path}),
        "ClientAssertion": (pc.ClientAssertion, {"provider": lambda: token}),
        "ClientAssertionCredential": (
            pc.ClientAssertionCredential,
            {"tenant_id": TENANT, "client_id": CLIENT_ID, "assertion": lambda: token, **options},
        ),
        "Cloud": (
            Cloud,
            {
                "name": "custom",
                "authority_host": "https://login.example.com",
                "api_root": "https://api.example.com",
                "partner_center_resource": "https://api.partnercenter.microsoft.com",
                "graph_endpoint": "https://graph.microsoft.com",
                "aad_graph_endpoint": "https://graph.windows.net",
            },
        ),
        "Cloud.custom": (
            Cloud.custom,
            {"authority_host": "https://login.example.com", "api_root": "https://api.example.com"},
        ),
        "DeviceCode": (
            pc.DeviceCode,
            {
                "user_code": "ABCD-EFGH",
                "verification_uri": "https://microsoft.com/devicelogin",
                "message": "Go to https://microsoft.com/devicelogin and enter ABCD-EFGH.",
                "expires_on": 2_000_000_000.0,
                "interval": 5,
                "device_code": "device-code-value",
            },
        ),
        "DeviceCodeCredential": (
            pc.DeviceCodeCredential,
            {"tenant_id": TENANT, "client_id": CLIENT_ID, "prompt_callback": print, **options},
        ),
        "FileRefreshTokenStore": (
            pc.FileRefreshTokenStore,
            {"path": tmp / "store.json", "key": stores.generate_store_key(), "keyring": False},
        ),
        "InteractiveBrowserCredential": (
            pc.InteractiveBrowserCredential,
            {"tenant_id": TENANT, "client_id": CLIENT_ID, **user, **options},
        ),
        "KeyringRefreshTokenStore": (pc.KeyringRefreshTokenStore, {"backend": _MemoryKeyring()}),
        "MemoryRefreshTokenStore": (pc.MemoryRefreshTokenStore, {"tokens": {"key": "rt"}}),
        "MemoryTokenCache": (pc.MemoryTokenCache, {}),
        "PartnerClient": (
            pc.PartnerClient,
            {"credential": pc.AccessTokenCredential(token), "transport": options["transport"]},
        ),
        "RefreshTokenCredential": (
            pc.RefreshTokenCredential,
            {"tenant_id": TENANT, "client_id": CLIENT_ID, "refresh_token": "rt", **options},
        ),
        "RetryPolicy": (pc.RetryPolicy, {}),
        "Timing": (pc.Timing, {}),
        "SignInResult": (
            pc.SignInResult,
            {
                "access_token": access,
                "username": "ops@contoso.onmicrosoft.com",
                "tenant_id": TENANT_GUID,
                "client_id": CLIENT_ID,
                "store_key": "key",
                "scopes": ("https://api.partnercenter.microsoft.com/user_impersonation",),
            },
        ),
        "secure_app_consent": (
            pc.secure_app_consent,
            {
                "tenant_id": TENANT,
                "client_id": CLIENT_ID,
                "store": pc.MemoryRefreshTokenStore(),
                **user,
                **options,
            },
        ),
        "aio.AccessTokenCredential": (aio.AccessTokenCredential, {"token": token}),
        "aio.AsyncPartnerClient": (
            aio.AsyncPartnerClient,
            {"credential": aio.AccessTokenCredential(token)},
        ),
        "aio.AzureCredentialAdapter": (
            aio.AzureCredentialAdapter,
            {"credential": _AsyncStaticCredential()},
        ),
        "aio.CertificateCredential": (
            aio.CertificateCredential,
            {
                "tenant_id": TENANT,
                "client_id": CLIENT_ID,
                "certificate_path": cert_path,
                **aio_options,
            },
        ),
        "aio.ClientAssertionCredential": (
            aio.ClientAssertionCredential,
            {
                "tenant_id": TENANT,
                "client_id": CLIENT_ID,
                "assertion": lambda: token,
                **aio_options,
            },
        ),
        "aio.ClientSecretCredential": (
            aio.ClientSecretCredential,
            {"tenant_id": TENANT, "client_id": CLIENT_ID, **secret, **aio_options},
        ),
        "aio.DeviceCodeCredential": (
            aio.DeviceCodeCredential,
            {"tenant_id": TENANT, "client_id": CLIENT_ID, "prompt_callback": print, **aio_options},
        ),
        "aio.InteractiveBrowserCredential": (
            aio.InteractiveBrowserCredential,
            {"tenant_id": TENANT, "client_id": CLIENT_ID, **user, **aio_options},
        ),
        "aio.RefreshTokenCredential": (
            aio.RefreshTokenCredential,
            {"tenant_id": TENANT, "client_id": CLIENT_ID, "refresh_token": "rt", **aio_options},
        ),
        "client.ApiCall": (client.ApiCall, {"method": "GET", "path": "/v1/customers"}),
        "client.ApiResponse": (
            client.ApiResponse,
            {
                "status": 200,
                "headers": httpx.Headers(),
                "body": {},
                "request_id": "r",
                "correlation_id": "c",
            },
        ),
        "client.ClientSettings": (
            client.ClientSettings,
            {"api_root": "https://api.partnercenter.microsoft.com"},
        ),
        "client.NextPage": (client.NextPage, {"path": "/v1/customers?seek=1"}),
        "client.Outcome": (client.Outcome, {"item": "x", "value": 1}),
        "client.Page": (
            client.Page,
            {"items": [], "body": {}, "request_id": "r", "correlation_id": "c", "next": None},
        ),
        "client.Pager": (
            client.Pager,
            {
                "run": lambda flow: None,
                "call_flow": lambda c: iter(()),
                "first": call,
                "api_root": "https://api.partnercenter.microsoft.com",
                "new_id": lambda: "id",
            },
        ),
        "stores.RefreshTokenRecord": (
            stores.RefreshTokenRecord,
            {"refresh_token": "rt", "saved_at": 1.0, "created_at": 1.0},
        ),
        # Nothing listens on port 1: a valid URL whose first use fails (degraded mode).
        "RedisTokenCache": (pc.RedisTokenCache.from_url, {"url": REDIS_URL, "key": store_key}),
        "RedisRefreshTokenStore": (
            pc.RedisRefreshTokenStore.from_url,
            {"url": REDIS_URL, "key": store_key},
        ),
        "FileTokenCache": (pc.FileTokenCache, {"path": tmp / "cache.json", "key": store_key}),
        "aio.RedisTokenCache": (aio.RedisTokenCache.from_url, {"url": REDIS_URL, "key": store_key}),
        "aio.RedisRefreshTokenStore": (
            aio.RedisRefreshTokenStore.from_url,
            {"url": REDIS_URL, "key": store_key},
        ),
        "aio.FanOutResult": (aio.FanOutResult, {}),
        "aio.fan_out_http_client": (aio.fan_out_http_client, {"connections": 2}),
        "aio.tokens_for_tenants": (
            _tokens_for_tenants,
            {"credential": aio.AccessTokenCredential(token), "tenant_ids": [TENANT_GUID]},
        ),
        "stores.default_store_path": (stores.default_store_path, {}),
        "stores.generate_store_key": (stores.generate_store_key, {}),
    }
    return entries


def _public_names() -> set[str]:
    names: set[str] = set()
    for prefix, module in (
        ("", partnercenter),
        ("aio.", partnercenter.aio),
        ("client.", partnercenter.client),
        ("stores.", partnercenter.stores),
    ):
        for name in module.__all__:
            if name in NOT_WALKED:
                continue
            obj = getattr(module, name)
            # A name exported by several modules is walked once, under its first home.
            if prefix and getattr(partnercenter, name, None) is obj:
                continue
            if prefix == "stores." and getattr(partnercenter.client, name, None) is obj:
                continue
            names.add(prefix + name)
    return names | {"Cloud.custom"}


def _parameters(factory: Any) -> list[str]:
    params = []
    for name, param in inspect.signature(factory).parameters.items():
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            params.extend(CredentialOptions.__annotations__)
        elif param.kind is not inspect.Parameter.VAR_POSITIONAL:
            params.append(name)
    return params


def _cases() -> list[tuple[str, str]]:
    # Built without the fixtures: only names and parameter lists are needed here.
    entries = _baselines(Path("/nonexistent"), Path("/nonexistent"), [])
    return [(name, param) for name in sorted(entries) for param in _parameters(entries[name][0])]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            self.texts.extend(traceback.format_exception(record.exc_info[1]))


@contextlib.contextmanager
def _capture() -> Iterator[list[str]]:
    """Everything printed, logged (any level) or warned inside the block."""
    texts: list[str] = []
    handler = _Collect()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    out = io.StringIO()
    try:
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(out),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            yield texts
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    texts.append(out.getvalue())
    texts.extend(handler.texts)
    texts.extend(str(w.message) for w in caught)


def _error_texts(exc: BaseException) -> list[str]:
    texts = ["".join(traceback.format_exception(exc)), repr(exc), repr(exc.args)]
    texts.extend(str(getattr(exc, name, "")) for name in ("hint", "description", "argument"))
    return texts


def _exercise(factory: Callable[..., Any], kwargs: dict[str, Any]) -> list[str]:
    """Call ``factory(**kwargs)`` and everything around it; every text it produced."""
    texts: list[str] = []
    with _capture() as captured:
        try:
            obj = factory(**kwargs)
        except Exception as exc:
            texts.extend(_error_texts(exc))
        else:
            texts.extend([repr(obj), str(obj)])
            get_token = getattr(obj, "get_token", None)
            if get_token is not None and "transport" in kwargs:
                try:
                    if inspect.iscoroutinefunction(get_token):
                        anyio.run(get_token)
                    else:
                        get_token()
                except Exception as exc:
                    texts.extend(_error_texts(exc))
            close = getattr(obj, "close", None)
            if close is not None and not inspect.iscoroutinefunction(close):
                close()
    return texts + captured


@pytest.fixture(scope="module")
def baselines(
    tmp_path_factory: pytest.TempPathFactory, test_certificate: CertificateFixture
) -> tuple[Baselines, list[str]]:
    tmp = tmp_path_factory.mktemp("leaks")
    cert_path = tmp / "app.pem"
    cert_path.write_bytes(test_certificate.pem)
    urls: list[str] = []
    return _baselines(tmp, cert_path, urls), urls


def test_every_public_callable_is_walked() -> None:
    walked = set(_baselines(Path("/nonexistent"), Path("/nonexistent"), []))
    assert walked == _public_names(), "add the new public name to _baselines (or NOT_WALKED)"


@pytest.mark.parametrize(("name", "parameter"), _cases())
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(secret=secrets)
def test_no_secret_in_any_output(
    baselines: tuple[Baselines, list[str]],
    name: str,
    parameter: str,
    secret: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    entries, urls = baselines
    factory, valid = entries[name]
    monkeypatch.chdir(tmp_path)  # a secret used as a relative path lands here
    urls.clear()
    texts = _exercise(factory, {**valid, parameter: secret})
    texts.extend(urls)  # what would have been shown to the user as the sign-in address
    for text in texts:
        assert not leaked(secret, text), f"{name}({parameter}=<secret>) leaked it: {text[:300]}"


# -- the messages still say what is wrong -------------------------------------------------
@given(secret=client_secrets)
@settings(max_examples=50, deadline=None)
def test_net_argument_order_names_the_mistake(secret: str) -> None:
    # .NET's order is (appId, appSecret, aadDomain): here that puts the secret in client_id.
    with pytest.raises(ConfigurationError) as caught:
        partnercenter.ClientSecretCredential(CLIENT_ID, secret, TENANT)
    message = str(caught.value)
    assert message.startswith("client_id: got a ")
    assert "looks like a client secret, not a GUID" in message
    assert secret not in message and secret not in repr(caught.value.args)


def test_a_wrong_client_id_says_its_length_and_shape() -> None:
    with pytest.raises(ConfigurationError, match=r"client_id: got a 7-character string;"):
        partnercenter.ClientSecretCredential(TENANT, "not-one", "x")
    with pytest.raises(ConfigurationError, match=r"tenant_id: got a .* looks like a JWT"):
        partnercenter.ClientSecretCredential("eyJhbGciOi.eyJzdWIiOiIx.c2ln", CLIENT_ID, "x")


@pytest.mark.parametrize(
    ("value", "shape"),
    [
        ("abc8Q~" + "x" * 34, "a client secret"),
        ("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "a JWT"),
        ("0.AXoA" + "a1B2" * 20, "a refresh token"),
        ("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----", "a PEM"),
        ("00112233445566778899aabbccddeeff", "a key"),
        ("Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo=", "a client secret or key (base64)"),
        ("k9Tz_Qw3Lm8pX2vB7nR4yH6c", "a random string"),
    ],
)
def test_secret_shapes(value: str, shape: str) -> None:
    found = secret_shape(value)
    assert found is not None and found.startswith(shape)
    assert value not in describe(value)


@pytest.mark.parametrize(
    "value",
    [
        CLIENT_ID,
        TENANT,
        "ops@contoso.onmicrosoft.com",
        "https://login.microsoftonline.com|" + CLIENT_ID,
        "/home/user/.local/state/partnercenter/refresh-tokens.json",
        "partner-center-app",
        "Contoso Billing Sync",
        "https://api.partnercenter.microsoft.com/user_impersonation",
    ],
)
def test_identifiers_are_not_taken_for_secrets(value: str) -> None:
    assert secret_shape(value) is None


def test_errors_built_by_the_library_keep_no_secret_in_their_args() -> None:
    # The hierarchy's own constructor: the message is what the library wrote, nothing more.
    error = PartnerCenterError("message", hint="hint")
    assert error.args == ("message",)
