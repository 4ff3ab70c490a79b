"""What a failed call's error carries when the network fails or the deadline passes: every
field, since support needs the ids and the caller needs the hint (edges the mutation run,
docs/testing-strength.md, found unheld)."""

from __future__ import annotations

import logging
import ssl

import httpx
import pytest

from partnercenter import ClientSecretCredential, RetryPolicy
from partnercenter.errors import (
    ApiConnectionError,
    ApiTimeoutError,
    NotFoundError,
    PartnerCenterApiError,
    UnexpectedStatusError,
)

from ..fakes import FakeClock
from .conftest import CLIENT_ID, PARTNER, FakeApi, app_token, pc_error, throttled
from .helpers import client

CUSTOMER = "13b70e0a-e2eb-50b4-bf21-2ab72ba7bb5e"


def _ids(api: FakeApi) -> tuple[str, str]:
    sent = api.requests[-1].headers
    return sent["MS-RequestId"], sent["MS-CorrelationId"]


def _check_call_fields(error: PartnerCenterApiError, api: FakeApi, attempts: int) -> None:
    request_id, correlation_id = _ids(api)
    assert (error.request_id, error.correlation_id) == (request_id, correlation_id)
    assert error.operation == "get_customer"
    assert error.method == "GET"
    assert error.path == f"/v1/customers/{CUSTOMER}"
    assert error.attempts == attempts == len(api.requests)
    assert error.status is None


def test_a_connection_failure_names_the_call(api: FakeApi, clock: FakeClock) -> None:
    api.replies = [httpx.ConnectError("connection refused")]
    with client(api, clock, retry=RetryPolicy(max_retries=1)) as pc:
        with pytest.raises(ApiConnectionError) as caught:
            pc.get_customer(CUSTOMER)
    error = caught.value
    assert type(error) is ApiConnectionError
    assert error.description == "ConnectError: connection refused"
    assert error.hint == "Check the network, the cloud's API root, and verify= (the CA file)."
    _check_call_fields(error, api, attempts=2)


def test_an_error_without_text_is_named_by_its_type(api: FakeApi, clock: FakeClock) -> None:
    api.replies = [httpx.ConnectError("  ")]
    with client(api, clock, retry=RetryPolicy(max_retries=0)) as pc:
        with pytest.raises(ApiConnectionError) as caught:
            pc.get_customer(CUSTOMER)
    assert caught.value.description == "ConnectError"


def test_a_timeout_names_the_call(api: FakeApi, clock: FakeClock) -> None:
    api.replies = [httpx.ReadTimeout("timed out")]
    with client(api, clock, retry=RetryPolicy(max_retries=0)) as pc:
        with pytest.raises(ApiTimeoutError) as caught:
            pc.get_customer(CUSTOMER)
    error = caught.value
    assert error.description == "ReadTimeout: timed out"
    assert error.hint == (
        "The API did not answer in time; raise timeout= or deadline=, or retry later."
    )
    _check_call_fields(error, api, attempts=1)


def test_the_deadline_error_keeps_the_ids_and_says_what_to_do(
    api: FakeApi, clock: FakeClock
) -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        clock.now += request.extensions["timeout"]["read"]
        raise httpx.ReadTimeout("timed out")

    api.replies = [hang]
    with client(api, clock, deadline=5, timeout=30) as pc, pytest.raises(ApiTimeoutError) as caught:
        pc.get_customer(CUSTOMER)
    error = caught.value
    assert error.description == "the call's deadline of 5 s passed (ReadTimeout: timed out)"
    assert error.hint == "Raise deadline= (PartnerClient) or retry later."
    _check_call_fields(error, api, attempts=1)


def test_each_retry_and_answer_is_logged_with_the_request_id(
    api: FakeApi, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    api.replies = [
        httpx.Response(503),
        httpx.ConnectError("refused"),
        httpx.Response(200, json={"id": CUSTOMER}),
    ]
    with caplog.at_level(logging.DEBUG, logger="partnercenter.client"):
        with client(api, clock, retry=RetryPolicy(max_retries=3)) as pc:
            pc.get_customer(CUSTOMER)
    request_id, correlation_id = _ids(api)
    path = f"/v1/customers/{CUSTOMER}"
    lines = [r.getMessage() for r in caplog.records if r.name == "partnercenter.client"]
    assert (
        lines[0]
        == f"GET {path} -> 503; retry 1 in {clock.sleeps[0]:.2f} s (request id {request_id})"
    )
    assert lines[1] == (
        f"GET {path} -> ConnectError; retry 2 in {clock.sleeps[1]:.2f} s (request id {request_id})"
    )
    assert lines[2] == f"GET {path} -> 200 (request id {request_id})"
    assert {r.headers["MS-CorrelationId"] for r in api.requests} == {correlation_id}


def test_a_401_retry_is_logged_with_the_request_id(
    api: FakeApi, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    issued: list[str] = []

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        issued.append(app_token(marker=f"token-{len(issued)}"))
        body = {"token_type": "Bearer", "expires_in": 3600, "access_token": issued[-1]}
        return httpx.Response(200, json=body)

    credential = ClientSecretCredential(
        PARTNER,
        CLIENT_ID,
        "client-secret-value",
        transport=httpx.MockTransport(token_endpoint),
        timing=clock.timing(),
    )
    api.replies = [pc_error(401, 400, "Authentication failed."), httpx.Response(200, json={})]
    with caplog.at_level(logging.INFO, logger="partnercenter.client"):
        with credential, client(api, clock, credential=credential) as pc:
            pc.get_customer(CUSTOMER)
    request_id, _ = _ids(api)
    lines = [r.getMessage() for r in caplog.records if r.name == "partnercenter.client"]
    assert lines == [
        f"GET /v1/customers/{CUSTOMER} -> 401; retrying once with a fresh token "
        f"(request id {request_id})"
    ]
    assert [r.headers["Authorization"] for r in api.requests] == [f"Bearer {t}" for t in issued]


def test_each_429_of_a_call_backs_off_further(api: FakeApi, clock: FakeClock) -> None:
    # Retry-After: 0 each time, so the waits are the back-off alone: the first 429 waits
    # exactly Retry-After; the n-th waits the back-off of n-1 earlier 429s (0.375, 0.75 s with
    # the default policy and a jitter draw of 0.5).
    api.replies = [throttled(0), throttled(0), throttled(0), httpx.Response(200, json={})]
    with client(api, clock, retry=RetryPolicy(max_retries=3)) as pc:
        pc.get_customer(CUSTOMER)
    assert clock.sleeps == [0, 0.375, 0.75]


def test_only_429_answers_count_as_throttled(api: FakeApi, clock: FakeClock) -> None:
    # A 503 retried before is no throttling: the first 429 still waits exactly Retry-After.
    api.replies = [httpx.Response(503), throttled(0), httpx.Response(200, json={})]
    with client(api, clock, retry=RetryPolicy(max_retries=3)) as pc:
        pc.get_customer(CUSTOMER)
    assert clock.sleeps == [0.375, 0]


@pytest.mark.parametrize(
    ("client_id", "call_id", "sent"),
    [("client-level", "call-level", "call-level"), ("client-level", None, "client-level")],
)
def test_the_call_correlation_id_wins_over_the_client_one(
    api: FakeApi, clock: FakeClock, client_id: str, call_id: str | None, sent: str
) -> None:
    with client(api, clock, correlation_id=client_id) as pc:
        pc.request("get_customer", customer_id=CUSTOMER, correlation_id=call_id)
    assert api.header("MS-CorrelationId") == sent


def test_without_any_correlation_id_each_call_gets_a_new_one(
    api: FakeApi, clock: FakeClock
) -> None:
    with client(api, clock) as pc:
        pc.request("get_customer", customer_id=CUSTOMER, correlation_id="call-level")
        pc.get_customer(CUSTOMER)
        pc.get_customer(CUSTOMER)
    first, second, third = api.ids("MS-CorrelationId")
    assert first == "call-level"
    assert second and third and len({first, second, third}) == 3


# -- answers outside 2xx that are no error status (redirects, 1xx) ---------------------------
SECRET_QUERY = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def test_a_redirect_error_names_the_call_and_hides_a_secret_in_the_location(
    api: FakeApi, clock: FakeClock
) -> None:
    api.replies = [
        httpx.Response(302, headers={"Location": f"https://x.example/cb?{SECRET_QUERY}"})
    ]
    with client(api, clock, retry=RetryPolicy(max_retries=3)) as pc:
        with pytest.raises(UnexpectedStatusError) as caught:
            pc.get_customer(CUSTOMER)
    error = caught.value
    assert error.description == (
        "the API answered with a redirect (302 Found) to https://x.example/cb?<a 63-character "
        "string that looks like a JWT (an access token or a client assertion)>; redirects are not "
        "followed"
    )
    assert SECRET_QUERY not in str(error)
    assert error.hint == (
        "Check the client's cloud and api_root: a proxy or a wrong API root may redirect "
        "(the bearer token is never sent to another address)."
    )
    assert error.status == 302
    request_id, correlation_id = _ids(api)
    assert (error.request_id, error.correlation_id) == (request_id, correlation_id)
    assert (error.operation, error.method, error.path) == (
        "get_customer",
        "GET",
        f"/v1/customers/{CUSTOMER}",
    )
    assert error.attempts == 1 == len(api.requests)


def test_a_status_without_location_or_reason_is_described_plainly(
    api: FakeApi, clock: FakeClock
) -> None:
    api.replies = [httpx.Response(399)]
    with client(api, clock) as pc, pytest.raises(UnexpectedStatusError) as caught:
        pc.get_customer(CUSTOMER)
    error = caught.value
    assert error.description == "the API answered 399 no reason given, not a 2xx success"
    assert error.hint == "Check the client's cloud and api_root, and any proxy between."
    assert error.status == 399


def test_the_unexpected_status_error_prefers_the_ids_the_api_echoed(
    api: FakeApi, clock: FakeClock
) -> None:
    api.replies = [
        httpx.Response(
            300, headers={"MS-RequestId": "echoed-request", "MS-CorrelationId": "echoed-corr"}
        )
    ]
    with client(api, clock) as pc, pytest.raises(UnexpectedStatusError) as caught:
        pc.get_customer(CUSTOMER)
    error = caught.value
    assert error.description == "the API answered 300 Multiple Choices, not a 2xx success"
    assert (error.request_id, error.correlation_id) == ("echoed-request", "echoed-corr")


def test_299_is_a_success_and_300_is_not(api: FakeApi, clock: FakeClock) -> None:
    api.replies = [httpx.Response(299, json={"id": CUSTOMER})]
    with client(api, clock) as pc:
        assert pc.get_customer(CUSTOMER) == {"id": CUSTOMER}
        api.replies = [httpx.Response(300, json={"id": CUSTOMER})]
        with pytest.raises(UnexpectedStatusError):
            pc.get_customer(CUSTOMER)


def test_answers_without_echoed_ids_carry_the_ids_sent(api: FakeApi, clock: FakeClock) -> None:
    api.replies = [httpx.Response(200, json={})]
    with client(api, clock) as pc:
        response = pc.request("get_customer", customer_id=CUSTOMER)
        assert (response.request_id, response.correlation_id) == _ids(api)
        api.replies = [httpx.Response(404, json={"code": 1000, "description": "not found"})]
        with pytest.raises(NotFoundError) as caught:
            pc.get_customer(CUSTOMER)
    assert (caught.value.request_id, caught.value.correlation_id) == _ids(api)


# -- an untrusted certificate ------------------------------------------------------------------
def _untrusted() -> httpx.ConnectError:
    error = httpx.ConnectError("[SSL] handshake failed")
    error.__cause__ = ssl.SSLCertVerificationError(1, "certificate verify failed")
    return error


def test_an_untrusted_certificate_fails_at_once_with_the_fix(
    api: FakeApi, clock: FakeClock
) -> None:
    api.replies = [_untrusted()]
    with client(api, clock, retry=RetryPolicy(max_retries=3)) as pc:
        with pytest.raises(ApiConnectionError) as caught:
            pc.get_customer(CUSTOMER)
    error = caught.value
    assert len(api.requests) == 1 and clock.sleeps == []  # never retried
    assert error.description == (
        "the API's TLS certificate is not trusted (ConnectError: [SSL] handshake failed)"
    )
    assert error.hint == (
        "Give PartnerClient (or the credential, whose trust the client shares) verify= with "
        "the CA file that issued the API's certificate, e.g. the emulator's ca_cert or a "
        "company proxy's CA."
    )
    assert isinstance(error.__cause__, httpx.ConnectError)
    _check_call_fields(error, api, attempts=1)
