"""What a failed call's error carries when the network fails or the deadline passes: every
field, since support needs the ids and the caller needs the hint (edges the mutation run,
docs/testing-strength.md, found unheld)."""

from __future__ import annotations

import logging

import httpx
import pytest

from partnercenter import RetryPolicy
from partnercenter.errors import ApiConnectionError, ApiTimeoutError, PartnerCenterApiError

from ..fakes import FakeClock
from .conftest import FakeApi
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
