"""Retries and back-off with an injected clock, sleep and jitter (no real waiting): 5xx,
connection failures, 429 with Retry-After, idempotent POST, the deadline, statuses never
retried, and the one-time token refresh on 401."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from partnercenter import (
    Cloud,
    RetryPolicy,
    Timing,
)
from partnercenter._client.policy import api_retry_delay
from partnercenter.errors import (
    AlreadyExistsError,
    ApiConnectionError,
    ApiTimeoutError,
    BadRequestError,
    ForbiddenError,
    MfaRequiredError,
    NotFoundError,
    ServerError,
    ThrottledError,
    UnauthorizedError,
)

from . import flavours
from .conftest import (
    CLIENT_ID,
    CUSTOMER,
    PARTNER,
    FakeApi,
    FakeClock,
    app_token,
    ok,
    pc_error,
    throttled,
)
from .flavours import Flavour

POLICY = RetryPolicy()
flavour, anyio_backend = flavours.fixtures()
pytestmark = pytest.mark.anyio


# -- the pure decision ------------------------------------------------------------------------
def test_backoff_doubles_with_equal_jitter() -> None:
    assert [api_retry_delay(POLICY, n, 0.0, status=503) for n in range(4)] == [
        0.25,
        0.5,
        1.0,
        None,
    ]
    assert api_retry_delay(POLICY, 0, 0.999999, status=None) == pytest.approx(0.5)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 412, 417])
def test_answers_are_never_retried(status: int) -> None:
    assert api_retry_delay(POLICY, 0, 0.5, status=status) is None


def test_retry_after_first_then_backoff_on_top() -> None:
    assert api_retry_delay(POLICY, 0, 0.5, status=429, retry_after=2) == 2
    # Throttled again: never less than the back-off for the throttles so far.
    policy = RetryPolicy(max_retries=6, backoff=4)
    assert api_retry_delay(policy, 1, 0.5, status=429, retry_after=1, throttled_before=1) == 3
    assert api_retry_delay(policy, 2, 0.5, status=429, retry_after=1, throttled_before=2) == 6


def test_long_retry_after_is_not_waited_for() -> None:
    assert api_retry_delay(POLICY, 0, 0.5, status=429, retry_after=61) is None


def test_deadline_bounds_the_wait() -> None:
    assert api_retry_delay(POLICY, 0, 0.5, status=429, retry_after=5, now=0, deadline=4) is None
    assert api_retry_delay(POLICY, 0, 0.5, status=429, retry_after=5, now=0, deadline=6) == 5


# -- through the client -----------------------------------------------------------------------
async def test_5xx_and_connection_errors_recovered(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    api.replies = [
        ok(status=500),
        httpx.ConnectError("connection refused"),
        httpx.RemoteProtocolError("peer closed connection"),
        ok({"id": CUSTOMER}),
    ]
    async with flavour.opened(flavour.client(api, clock)) as pc:
        assert await flavour(pc.get_customer(CUSTOMER)) == {"id": CUSTOMER}
    assert clock.sleeps == [0.375, 0.75, 1.5]


async def test_retries_are_bounded(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    api.replies = [pc_error(503, 503, "The service is temporarily unavailable.")]
    async with flavour.opened(flavour.client(api, clock)) as pc:
        with pytest.raises(ServerError) as caught:
            await flavour(pc.get_customer(CUSTOMER))
    assert len(api.requests) == 4  # 1 + RetryPolicy().max_retries
    assert caught.value.attempts == 4
    assert caught.value.status == 503
    assert "Retry with back-off" in caught.value.hint


async def test_connection_failure_after_retries(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    api.replies = [httpx.ConnectError("connection refused")]
    async with flavour.opened(flavour.client(api, clock, retry=RetryPolicy(max_retries=1))) as pc:
        with pytest.raises(ApiConnectionError) as caught:
            await flavour(pc.get_customer(CUSTOMER))
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert caught.value.status is None and caught.value.attempts == 2


async def test_timeouts_become_api_timeout_error(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    api.replies = [httpx.ReadTimeout("timed out")]
    async with flavour.opened(flavour.client(api, clock, retry=RetryPolicy(max_retries=0))) as pc:
        with pytest.raises(ApiTimeoutError):
            await flavour(pc.get_customer(CUSTOMER))


async def test_retry_after_is_honoured(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    api.replies = [throttled(3), throttled(1), ok({"id": CUSTOMER})]
    async with flavour.opened(flavour.client(api, clock)) as pc:
        await flavour(pc.get_customer(CUSTOMER))
    assert clock.sleeps == [3, 1]


async def test_throttled_error_carries_retry_after(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    api.replies = [throttled(120)]
    async with flavour.opened(flavour.client(api, clock)) as pc:
        with pytest.raises(ThrottledError) as caught:
            await flavour(pc.list_invoices().collect())
    error = caught.value
    assert error.retry_after == 120
    assert len(api.requests) == 1  # longer than max_retry_after: raised, not slept
    assert error.status == 429 and error.code is None
    assert "Rate limit is exceeded" in error.description
    assert "Retry-After" in error.hint
    assert clock.sleeps == []


async def test_throttled_after_every_retry(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    api.replies = [throttled(1)]
    async with flavour.opened(flavour.client(api, clock)) as pc:
        with pytest.raises(ThrottledError) as caught:
            await flavour(pc.get_customer(CUSTOMER))
    assert caught.value.retry_after == 1
    assert len(api.requests) == 4


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, 3000, BadRequestError),
        (403, 900150, ForbiddenError),
        (404, 1000, NotFoundError),
        (409, 3000, AlreadyExistsError),
    ],
)
async def test_answers_are_not_retried(
    flavour: Flavour, api: FakeApi, clock: FakeClock, status: int, code: int, cls: type[Exception]
) -> None:
    api.replies = [pc_error(status, code, "no")]
    async with flavour.opened(flavour.client(api, clock)) as pc:
        with pytest.raises(cls):
            await flavour(pc.get_customer(CUSTOMER))
    assert len(api.requests) == 1
    assert clock.sleeps == []


async def test_post_is_retried_with_the_same_request_id(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    created = {"id": "new-customer"}
    api.replies = [ok(status=500), httpx.ReadError("connection reset"), ok(created, status=201)]
    customer = {"companyProfile": {"domain": "fabrikam.onmicrosoft.com"}}
    async with flavour.opened(flavour.client(api, clock)) as pc:
        assert await flavour(pc.create_customer(customer)) == created
    assert [r.method for r in api.requests] == ["POST"] * 3
    assert len(set(api.ids())) == 1
    assert {r.content for r in api.requests} == {
        json.dumps(customer, separators=(",", ":")).encode()
    } or all(json.loads(r.content) == customer for r in api.requests)


async def test_patch_is_retried_with_the_same_request_id(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    api.replies = [ok(status=502), ok({"id": "u"})]
    async with flavour.opened(flavour.client(api, clock)) as pc:
        await flavour(
            pc.request("PATCH", f"/v1/customers/{CUSTOMER}/subscriptions/s", json={"quantity": 2})
        )
    assert len(api.requests) == 2 and len(set(api.ids())) == 1


async def test_deadline_stops_a_long_wait(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    api.replies = [throttled(50)]
    async with flavour.opened(flavour.client(api, clock, deadline=30)) as pc:
        with pytest.raises(ThrottledError) as caught:
            await flavour(pc.get_customer(CUSTOMER))
    assert caught.value.retry_after == 50
    assert len(api.requests) == 1 and clock.sleeps == []


async def test_deadline_clips_the_attempt_timeout(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    def slow_failure(request: httpx.Request) -> httpx.Response:
        # Each answer takes 4 s of the 10 s deadline; an attempt given less times out.
        timeout = request.extensions["timeout"]["read"]
        if timeout < 4:
            clock.now += timeout
            raise httpx.ReadTimeout("timed out")
        clock.now += 4
        return ok(status=503)

    api.replies = [slow_failure]
    async with flavour.opened(flavour.client(api, clock, deadline=10, timeout=30)) as pc:
        with pytest.raises(ApiTimeoutError):
            await flavour(pc.get_customer(CUSTOMER))
    timeouts = [r.extensions["timeout"]["read"] for r in api.requests]
    assert timeouts == [10, 5.625, 0.875]
    assert clock.now - 1_000_000 == pytest.approx(10)


async def test_deadline_passed_during_timeouts(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        clock.now += request.extensions["timeout"]["read"]
        raise httpx.ReadTimeout("timed out")

    api.replies = [hang]
    async with flavour.opened(flavour.client(api, clock, deadline=5, timeout=30)) as pc:
        with pytest.raises(ApiTimeoutError) as caught:
            await flavour(pc.get_customer(CUSTOMER))
    assert "deadline of 5 s" in str(caught.value)
    assert len(api.requests) == 1


# -- 401: drop the token, retry once with a fresh one -----------------------------------------
class TokenEndpoint:
    def __init__(self) -> None:
        self.issued: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        token = app_token(marker=f"token-{len(self.issued)}")
        self.issued.append(token)
        return httpx.Response(
            200, json={"token_type": "Bearer", "expires_in": 3600, "access_token": token}
        )


def secret_credential(flavour: Flavour, clock: FakeClock, endpoint: TokenEndpoint) -> Any:
    return flavour.lib.ClientSecretCredential(
        PARTNER,
        CLIENT_ID,
        "client-secret-value",
        transport=httpx.MockTransport(endpoint.handle),
        timing=clock.timing(),
    )


async def test_401_refreshes_the_token_once(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    endpoint = TokenEndpoint()
    credential = secret_credential(flavour, clock, endpoint)
    api.replies = [pc_error(401, 400, "Authentication failed. Signature invalid."), ok({"id": 1})]
    async with flavour.opened(credential, flavour.client(api, clock, credential=credential)) as pc:
        assert await flavour(pc.get_customer(CUSTOMER)) == {"id": 1}
        await flavour(pc.get_customer(CUSTOMER))  # the fresh token is the cached one now
    sent = [r.headers["Authorization"] for r in api.requests]
    assert sent == [f"Bearer {endpoint.issued[0]}"] + [f"Bearer {endpoint.issued[1]}"] * 2
    assert len(set(api.ids()[:2])) == 1  # the retry is the same call
    assert clock.sleeps == []


async def test_401_twice_raises(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    endpoint = TokenEndpoint()
    credential = secret_credential(flavour, clock, endpoint)
    api.replies = [pc_error(401, 400, "Authentication failed.")]
    async with flavour.opened(credential, flavour.client(api, clock, credential=credential)) as pc:
        with pytest.raises(UnauthorizedError) as caught:
            await flavour(pc.get_customer(CUSTOMER))
    assert len(api.requests) == 2 and len(endpoint.issued) == 2
    assert caught.value.status == 401 and caught.value.code == 400


@pytest.mark.parametrize("code", [900420, 900421])
async def test_no_refresh_when_a_fresh_token_cannot_help(
    flavour: Flavour, api: FakeApi, clock: FakeClock, code: int
) -> None:
    endpoint = TokenEndpoint()
    credential = secret_credential(flavour, clock, endpoint)
    api.replies = [pc_error(401, code, "refused")]
    async with flavour.opened(credential, flavour.client(api, clock, credential=credential)) as pc:
        with pytest.raises(UnauthorizedError) as caught:
            await flavour(pc.get_customer(CUSTOMER))
    assert len(api.requests) == 1 and len(endpoint.issued) == 1
    assert isinstance(caught.value, MfaRequiredError) == (code == 900421)


async def test_static_token_is_not_resent(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    api.replies = [pc_error(401, 400, "Authentication failed.")]
    credential = flavour.lib.AccessTokenCredential(app_token(), timing=Timing(clock=clock))
    async with flavour.opened(flavour.client(api, clock, credential=credential)) as pc:
        with pytest.raises(UnauthorizedError):
            await flavour(pc.get_customer(CUSTOMER))
    assert len(api.requests) == 1


async def test_token_errors_propagate(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    from partnercenter.errors import AccessTokenExpiredError

    credential = flavour.lib.AccessTokenCredential(app_token(), timing=Timing(clock=clock))
    clock.now += 7200
    async with flavour.opened(flavour.client(api, clock, credential=credential)) as pc:
        with pytest.raises(AccessTokenExpiredError):
            await flavour(pc.get_customer(CUSTOMER))
    assert api.requests == []


async def test_custom_cloud_is_the_credentials(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    endpoint = TokenEndpoint()
    cloud = Cloud.custom(authority_host="https://127.0.0.1:9", api_root="https://127.0.0.1:8")
    credential = flavour.lib.ClientSecretCredential(
        PARTNER,
        CLIENT_ID,
        "client-secret-value",
        cloud=cloud,
        transport=httpx.MockTransport(endpoint.handle),
        timing=Timing(clock=clock),
    )
    client = flavour.client_class(
        credential, transport=flavour.transport(api), timing=Timing(clock=clock)
    )
    async with flavour.opened(credential, client) as pc:
        await flavour(pc.get_customer(CUSTOMER))
        assert pc.cloud is cloud
    assert str(api.requests[0].url).startswith("https://127.0.0.1:8/v1/customers/")
