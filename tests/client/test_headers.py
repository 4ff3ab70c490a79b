"""Headers on every request: token, ids (stable across retries, new per call), locale,
contract version, application and client identifiers."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

import partnercenter
from partnercenter.errors import ConfigurationError

from . import flavours
from .conftest import API, CUSTOMER, FakeApi, FakeClock, app_token, ok
from .flavours import Flavour
from .helpers import client

flavour, anyio_backend = flavours.fixtures()
pytestmark = pytest.mark.anyio

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


async def test_every_header(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    token = app_token()
    api.replies = [ok({"id": CUSTOMER})]
    async with flavour.opened(
        flavour.client(api, clock, token, application_name="Contoso Billing Sync")
    ) as pc:
        assert await flavour(pc.get_customer(CUSTOMER)) == {"id": CUSTOMER}
    request = api.requests[0]
    assert str(request.url) == f"{API}/v1/customers/{CUSTOMER}"
    headers = request.headers
    assert headers["Authorization"] == f"Bearer {token}"
    assert headers["Accept"] == "application/json"
    assert GUID.match(headers["MS-RequestId"])
    assert GUID.match(headers["MS-CorrelationId"])
    assert headers["MS-RequestId"] != headers["MS-CorrelationId"]
    assert headers["X-Locale"] == "en-US"
    assert headers["MS-Contract-Version"] == "v1"
    assert headers["MS-PartnerCenter-Application"] == "Contoso Billing Sync"
    version = partnercenter.__version__
    assert headers["MS-PartnerCenter-Client"] == f"partnercenter-python/{version}"
    assert headers["User-Agent"].startswith(f"partnercenter-python/{version} httpx/")


async def test_no_application_header_unless_given(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    async with flavour.opened(flavour.client(api, clock, locale="fr-FR")) as pc:
        await flavour(pc.get_legal_business_profile())
    assert "MS-PartnerCenter-Application" not in api.requests[0].headers
    assert api.header("X-Locale") == "fr-FR"


async def test_new_ids_per_call(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    async with flavour.opened(flavour.client(api, clock)) as pc:
        await flavour(pc.get_customer(CUSTOMER))
        await flavour(pc.get_customer(CUSTOMER))
    assert len(set(api.ids("MS-RequestId"))) == 2
    assert len(set(api.ids("MS-CorrelationId"))) == 2


async def test_caller_correlation_ids(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    mine = str(uuid.uuid4())
    async with flavour.opened(flavour.client(api, clock, correlation_id=mine)) as pc:
        await flavour(pc.get_customer(CUSTOMER))
        await flavour(pc.request("get_customer", customer_id=CUSTOMER, correlation_id="call-level"))
        derived = pc.with_options(correlation_id="derived", locale="de-DE")
        await flavour(derived.get_customer(CUSTOMER))
        await flavour(pc.get_customer(CUSTOMER))  # the parent keeps its own settings
    assert api.ids("MS-CorrelationId") == [mine, "call-level", "derived", mine]
    assert api.ids("X-Locale") == ["en-US", "en-US", "de-DE", "en-US"]


async def test_same_request_id_on_every_retry(
    flavour: Flavour, api: FakeApi, clock: FakeClock
) -> None:
    api.replies = [ok(status=503), httpx.ConnectError("refused"), ok({"id": "x"})]
    async with flavour.opened(flavour.client(api, clock)) as pc:
        await flavour(pc.get_customer(CUSTOMER))
    assert len(api.requests) == 3
    assert len(set(api.ids("MS-RequestId"))) == 1
    assert len(set(api.ids("MS-CorrelationId"))) == 1


async def test_query_parameters(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    api.replies = [ok({"items": []})]
    async with flavour.opened(flavour.client(api, clock)) as pc:
        await flavour(
            pc.list_customers(size=40, filter={"Field": "CompanyName", "Value": "Con"}).collect()
        )
    url = api.requests[0].url
    assert url.path == "/v1/customers"
    assert url.params["size"] == "40"
    assert url.params["filter"] == '{"Field":"CompanyName","Value":"Con"}'


async def test_if_match_is_quoted(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    async with flavour.opened(flavour.client(api, clock)) as pc:
        await flavour(pc.request("GET", "/v1/customers/x", if_match="abc"))
        await flavour(pc.request("GET", "/v1/customers/x", if_match='"abc"'))
    assert api.ids("If-Match") == ['"abc"', '"abc"']


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("locale", "en US"),
        ("application_name", "bad\nname"),
        ("correlation_id", ""),
        ("timeout", 0),
        ("deadline", -1),
        ("mfa_check", "maybe"),
    ],
)
async def test_bad_options(
    flavour: Flavour, api: FakeApi, clock: FakeClock, option: str, value: object
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        flavour.client(api, clock, **{option: value})
    assert caught.value.argument == option


async def test_timeout_per_attempt(flavour: Flavour, api: FakeApi, clock: FakeClock) -> None:
    async with flavour.opened(flavour.client(api, clock, timeout=7, deadline=None)) as pc:
        await flavour(pc.get_customer(CUSTOMER))
    assert api.requests[0].extensions["timeout"]["read"] == 7


def test_parsed_urls_are_cached_and_bounded(api: FakeApi, clock: FakeClock) -> None:
    from partnercenter._client import core

    with client(api, clock) as pc:
        pc.get_customer(CUSTOMER)
        pc.get_customer(CUSTOMER)
        cache = pc.settings.url_cache
        assert list(cache) == [f"/v1/customers/{CUSTOMER}"]
        for n in range(core.URL_CACHE_SIZE + 5):
            pc.settings.url(f"/v1/customers/c{n}")
        assert len(cache) <= core.URL_CACHE_SIZE
    assert len({str(r.url) for r in api.requests}) == 1


def test_ids_are_version_4_guids() -> None:
    from partnercenter._client.core import new_id

    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(GUID.match(i) and uuid.UUID(i).version == 4 for i in ids)
