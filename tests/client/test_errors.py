"""Error bodies become classified exceptions; pre-flight refusals; and no token or secret in
any repr, message or log line."""

from __future__ import annotations

import logging
import warnings
from typing import Any

import httpx
import pytest

from partnercenter import ClientSecretCredential, PartnerClient, Timing
from partnercenter._contract import pc_errors
from partnercenter._contract.operations import OPERATIONS, Access
from partnercenter.errors import (
    AlreadyExistsError,
    AppUserRequiredError,
    BadRequestError,
    ForbiddenError,
    InvalidResponseError,
    MfaMissingWarning,
    MfaRequiredError,
    NotFoundError,
    PartnerCenterApiError,
    ServerError,
    ThrottledError,
    UnauthorizedError,
    api_error_class,
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
    user_token,
)
from .flavours import Flavour
from .helpers import client

flavour, anyio_backend = flavours.fixtures()
pytestmark = pytest.mark.anyio

REQUEST_ID = "11111111-2222-4333-8444-555555555555"
CORRELATION_ID = "66666666-7777-4888-9999-000000000000"


@pytest.mark.parametrize(
    ("status", "code", "description", "cls"),
    [
        (400, 3000, "The property 'x' is required.", BadRequestError),
        (400, 2055, "The ETag is no longer valid; the resource changed.", BadRequestError),
        (401, 800001, "Partner token is missing in the request.", UnauthorizedError),
        (401, 900420, pc_errors.GRAPH_AUDIENCE.description, UnauthorizedError),
        (401, 900421, pc_errors.MFA_REQUIRED.description, MfaRequiredError),
        (
            403,
            900154,
            "This resource can't be accessed by application credentials.",
            AppUserRequiredError,
        ),
        (
            403,
            None,
            "This resource can't be accessed by application credentials.",
            AppUserRequiredError,
        ),
        (403, 900150, "The user's role lacks the rights for this operation.", ForbiddenError),
        (403, 20002, "The partner has no relationship with customer 'x'.", ForbiddenError),
        (404, 1000, "Customer 'x' was not found.", NotFoundError),
        (409, 3000, "The domain already exists.", AlreadyExistsError),
        (500, 500, "An internal error occurred.", ServerError),
        (412, 412, "Precondition failed.", PartnerCenterApiError),
    ],
)
def test_classification(
    api: FakeApi,
    clock: FakeClock,
    status: int,
    code: int | None,
    description: str,
    cls: type[PartnerCenterApiError],
) -> None:
    body: dict[str, Any] = {"description": description, "data": ["d"], "source": "PartnerFD"}
    if code is not None:
        body["code"] = str(code)  # documented as a string; the client reads both
    api.replies = [
        httpx.Response(
            status,
            json=body,
            headers={"MS-RequestId": REQUEST_ID, "MS-CorrelationId": CORRELATION_ID},
        )
    ]
    with client(api, clock, retry=None, deadline=None) as pc, pytest.raises(cls) as caught:
        pc.request("get_customer", customer_id=CUSTOMER)
    error = caught.value
    assert type(error) is cls
    assert (error.status, error.code, error.description) == (status, code, description)
    assert (error.data, error.source) == (("d",), "PartnerFD")
    assert (error.request_id, error.correlation_id) == (REQUEST_ID, CORRELATION_ID)
    assert error.operation == "get_customer" and error.sent
    assert error.path == f"/v1/customers/{CUSTOMER}" and error.method == "GET"
    text = str(error)
    assert f"HTTP {status}" in text and REQUEST_ID in text and CORRELATION_ID in text
    assert "get_customer (GET /v1/customers/" in text
    # Hints from the shared catalog, so the emulator and the client agree.
    expected_hint = {
        800001: pc_errors.TOKEN_MISSING.hint,
        900420: pc_errors.GRAPH_AUDIENCE_HINT,
        900421: pc_errors.MFA_HINT,
        900154: pc_errors.APP_ONLY_HINT,
        20002: pc_errors.NO_RELATIONSHIP.hint,
        # A role refusal names the roles the catalog gives the operation.
        900150: "get_customer is open to these Partner Center roles: admin agent, global admin, "
        "helpdesk agent, sales agent. " + pc_errors.ROLE_FORBIDDEN.hint,
        2055: pc_errors.ETAG_INVALID.hint,
    }.get(code or 0)
    if expected_hint:
        assert error.hint == expected_hint
        assert text.endswith(f"Hint: {expected_hint}")
    if cls is AppUserRequiredError:
        assert error.hint == pc_errors.APP_ONLY_HINT
    if cls is AlreadyExistsError:
        assert error.hint == pc_errors.ALREADY_EXISTS.hint


def test_throttling_body(api: FakeApi, clock: FakeClock) -> None:
    api.replies = [throttled(200)]
    with client(api, clock) as pc, pytest.raises(ThrottledError) as caught:
        pc.get_customer(CUSTOMER)
    assert caught.value.retry_after == 200
    assert caught.value.description == "Rate limit is exceeded. Try again in 200 seconds."
    assert caught.value.hint == pc_errors.THROTTLED_HINT


def test_http_date_retry_after(api: FakeApi, clock: FakeClock) -> None:
    clock.now = 1_700_000_000
    api.replies = [
        httpx.Response(429, headers={"Retry-After": "Tue, 14 Nov 2023 22:13:25 GMT"}),
        ok({}),
    ]
    with client(api, clock, app_token(exp=1_800_000_000)) as pc:
        pc.get_customer(CUSTOMER)
    assert clock.sleeps == [5]


@pytest.mark.parametrize(
    ("response", "description", "code"),
    [
        (httpx.Response(502, text="<html>Bad Gateway</html>"), "Bad Gateway", None),
        (httpx.Response(500, content=b""), "Internal Server Error", None),
        (httpx.Response(503, json={"error": {"code": "Busy", "message": "busy"}}), "busy", "Busy"),
        (httpx.Response(500, json=["not", "an", "object"]), "Internal Server Error", None),
        (
            httpx.Response(500, content=b"\xef\xbb\xbf" + b'{"code": 7, "description": "bom"}'),
            "bom",
            7,
        ),
    ],
)
def test_odd_error_bodies(
    api: FakeApi, clock: FakeClock, response: httpx.Response, description: str, code: Any
) -> None:
    api.replies = [response]
    with client(api, clock, retry=None) as pc, pytest.raises(ServerError) as caught:
        pc.get_customer(CUSTOMER)
    assert caught.value.description == description
    assert caught.value.code == code


def test_long_descriptions_are_cut(api: FakeApi, clock: FakeClock) -> None:
    api.replies = [pc_error(400, 3000, "x" * 5000)]
    with client(api, clock) as pc, pytest.raises(BadRequestError) as caught:
        pc.get_customer(CUSTOMER)
    assert len(caught.value.description) == 1024


def test_success_that_is_not_json(api: FakeApi, clock: FakeClock) -> None:
    api.replies = [httpx.Response(200, text="<html>", headers={"MS-RequestId": REQUEST_ID})]
    with client(api, clock) as pc, pytest.raises(InvalidResponseError) as caught:
        pc.get_customer(CUSTOMER)
    assert caught.value.request_id == REQUEST_ID
    api.replies = [ok([1, 2])]
    with client(api, clock) as pc, pytest.raises(InvalidResponseError):
        pc.get_customer(CUSTOMER)  # a resource must be an object
    # Absurdly nested JSON is "not JSON", not a RecursionError, in answers and error bodies.
    api.replies = [httpx.Response(200, content=b"[" * 100_000)]
    with client(api, clock) as pc, pytest.raises(InvalidResponseError):
        pc.get_customer(CUSTOMER)
    api.replies = [httpx.Response(400, content=b"[" * 100_000)]
    with client(api, clock) as pc, pytest.raises(BadRequestError):
        pc.get_customer(CUSTOMER)


def test_api_error_class_without_status() -> None:
    assert api_error_class(None) is PartnerCenterApiError
    assert api_error_class(503) is ServerError
    assert api_error_class(401, "900421") is MfaRequiredError


# -- pre-flight ----------------------------------------------------------------------------
APP_USER_OPERATIONS = [op for op in OPERATIONS if op.access is not Access.BOTH]


@pytest.mark.parametrize("op", APP_USER_OPERATIONS, ids=lambda op: op.name)
async def test_app_only_refused_before_sending(
    flavour: Flavour, api: FakeApi, clock: FakeClock, op: Any
) -> None:
    params = {name: "x" for name in op.parameters}
    async with flavour.opened(flavour.client(api, clock, app_token())) as pc:
        with pytest.raises(AppUserRequiredError) as caught:
            await flavour(pc.request(op.name, **params))
    assert api.requests == []
    error = caught.value
    assert not error.sent and error.operation == op.name and error.attempts == 0
    assert error.hint == pc_errors.APP_ONLY_HINT
    assert op.name in str(error) and "RefreshTokenCredential" in str(error)
    assert "refused before sending" in str(error)


async def test_a_pager_is_refused_before_sending(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    async with flavour.opened(flavour.client(api, clock, app_token())) as pc:
        pager = pc.list_customer_users(CUSTOMER)  # lazy: refused by the iteration
        with pytest.raises(AppUserRequiredError):
            await flavour(pager.collect())
        with pytest.raises(AppUserRequiredError):
            await flavour(pager.first_page())
    assert api.requests == []


async def test_method_and_path_get_the_same_check(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    async with flavour.opened(flavour.client(api, clock, app_token())) as pc:
        with pytest.raises(AppUserRequiredError) as caught:
            await flavour(pc.request("GET", "invoices/abc"))  # matched to get_invoice, /v1 added
    assert caught.value.operation == "get_invoice"
    assert api.requests == []


async def test_check_access_off_sends_and_reads_the_403(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    api.replies = [pc_error(403, 900154, pc_errors.APP_ONLY_FORBIDDEN.description)]
    async with flavour.opened(flavour.client(api, clock, app_token(), check_access=False)) as pc:
        with pytest.raises(AppUserRequiredError) as caught:
            await flavour(pc.get_invoice("abc"))
    assert caught.value.sent and len(api.requests) == 1


async def test_app_only_on_both_operations_goes_out(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    async with flavour.opened(flavour.client(api, clock, app_token())) as pc:
        await flavour(pc.get_customer(CUSTOMER))
        await flavour(pc.request("GET", "/v1/not-in-the-catalog"))
    assert len(api.requests) == 2


async def test_mfa_missing_is_refused(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    async with flavour.opened(flavour.client(api, clock, user_token(amr=["pwd"]))) as pc:
        with pytest.raises(MfaRequiredError) as caught:
            await flavour(pc.get_customer(CUSTOMER))
    assert api.requests == []
    error = caught.value
    assert not error.sent and error.code == 900421
    assert "secure application model" in str(error) and "mfa_check" in error.hint


def test_mfa_missing_warns(api: FakeApi, clock: FakeClock) -> None:
    with client(api, clock, user_token(amr=["pwd"]), mfa_check="warn") as pc:
        with pytest.warns(MfaMissingWarning, match="secure application model") as record:
            pc.get_customer(CUSTOMER)
    assert record[0].filename == __file__  # attributed to the caller's line
    assert len(api.requests) == 1


async def test_mfa_check_off(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    async with flavour.opened(
        flavour.client(api, clock, user_token(amr=["pwd"]), mfa_check="off")
    ) as pc:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            await flavour(pc.get_customer(CUSTOMER))
    assert len(api.requests) == 1


def test_user_token_with_mfa_goes_everywhere(api: FakeApi, clock: FakeClock) -> None:
    with client(api, clock, user_token()) as pc:
        pc.get_invoice("abc")
        pc.get_organization_profile()
    assert len(api.requests) == 2


def test_opaque_tokens_are_sent(api: FakeApi, clock: FakeClock) -> None:
    from partnercenter import AccessTokenCredential

    credential = AccessTokenCredential(
        "opaque-token", expires_on=clock.now + 600, timing=Timing(clock=clock)
    )
    with client(api, clock, credential=credential) as pc:
        pc.get_invoice("abc")
    assert api.header("Authorization") == "Bearer opaque-token"


# -- secrets never leak --------------------------------------------------------------------
def test_no_token_or_secret_anywhere(
    api: FakeApi, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "client-secret-VALUE-42"
    issued: list[str] = []

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        issued.append(app_token(marker=f"t{len(issued)}"))
        return httpx.Response(
            200, json={"token_type": "Bearer", "expires_in": 3600, "access_token": issued[-1]}
        )

    credential = ClientSecretCredential(
        PARTNER,
        CLIENT_ID,
        secret,
        transport=httpx.MockTransport(token_endpoint),
        timing=Timing(clock=clock),
    )
    api.replies = [
        pc_error(401, 400, "Authentication failed."),
        ok(status=503),
        httpx.ConnectError("refused"),
        pc_error(404, 1000, "Customer was not found."),
    ]
    caught: list[BaseException] = []
    caplog.set_level(logging.DEBUG)
    with credential, client(api, clock, credential=credential) as pc:
        texts = [repr(pc), str(pc)]
        try:
            pc.get_customer(CUSTOMER)
        except NotFoundError as exc:
            caught.append(exc)
        api.replies = [throttled(500)]
        try:
            pc.list_customers().collect()
        except ThrottledError as exc:
            caught.append(exc)
        api.replies = [ok({})]
        response = pc.request("get_customer", customer_id=CUSTOMER)
        texts += [repr(response), repr(pc.list_customers())]
    assert len(caught) == 2 and len(issued) == 2
    for exc in caught:
        texts += [str(exc), repr(exc), repr(exc.__dict__), str(exc.args)]
    texts += [record.getMessage() for record in caplog.records]
    texts.append(caplog.text)
    blob = "\n".join(texts)
    assert "retry" in caplog.text  # the logs were captured
    for value in (secret, *issued):
        assert value not in blob
    assert CLIENT_ID in repr(pc)  # identifiers are fine


def test_repr(api: FakeApi, clock: FakeClock) -> None:
    token = app_token()
    with client(api, clock, token) as pc:
        text = repr(pc)
    assert text.startswith("PartnerClient(cloud=Cloud.GLOBAL")
    assert token not in text
    assert isinstance(pc, PartnerClient)
