"""The client against the running emulator: every catalog operation, both paging styles,
pre-flight refusals, every authentication refusal of the API seen through the client, the
forged-token list, idempotent POST retries, throttling with Retry-After, injected 5xx and
dropped connections recovered within the retry budget, and the 401 token refresh."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from partnercenter import PartnerClient, RetryPolicy, Timing
from partnercenter._contract import operations, pc_errors
from partnercenter._contract.operations import OPERATIONS, Access, Paging
from partnercenter.emulator import Emulator
from partnercenter.errors import (
    AlreadyExistsError,
    AppUserRequiredError,
    BadRequestError,
    MfaMissingWarning,
    MfaRequiredError,
    NotFoundError,
    ThrottledError,
    UnauthorizedError,
)

from ..emulator_support import agreement_body, cart_body, new_customer, new_user, order_body
from . import flavours
from .emulated import (
    LoseFirstAnswer,
    app_client,
    app_credential,
    flavoured_client,
    forged,
    mint,
    travel,
    user_client,
)
from .flavours import Flavour

flavour, anyio_backend = flavours.fixtures()
pytestmark = pytest.mark.anyio


def api_requests(emu: Emulator) -> int:
    return int(emu.stats()["api_requests"])


@pytest.fixture(scope="module")
def pc(emu: Emulator) -> Iterator[PartnerClient]:
    with user_client(emu) as client:
        yield client


@pytest.fixture(scope="module")
def world(pc: PartnerClient, emu: Emulator) -> dict[str, Any]:
    """Ids of seeded resources, found through the client itself."""
    fabrikam = next(t for t in emu.customer_tenants if t["name"] == "Fabrikam")
    cid = fabrikam["id"]
    subscriptions = pc.list_subscriptions(cid).collect()
    service_requests = pc.paginate("list_customer_service_requests", customer_id=cid).collect()
    invoices = pc.list_invoices(size=30).collect()
    return {
        "customer_id": cid,
        "domain": fabrikam["domain"],
        "subscription_id": next(s["id"] for s in subscriptions if s["billingType"] == "usage"),
        "license_subscription_id": next(
            s["id"] for s in subscriptions if s["billingType"] == "license"
        ),
        "user_id": pc.list_customer_users(cid).first_page().items[0]["id"],
        "order_id": pc.list_orders(cid).collect()[0]["id"],
        "invoice_id": next(i["id"] for i in invoices if i["invoiceType"] == "Recurring"),
        "product_id": "CFQ7TTC0LH18",
        # The seed holds service requests; without one get_service_request would go untested.
        "service_request_id": service_requests[0]["id"],
    }


# -- every operation of the catalog ------------------------------------------------------------
QUERIES: dict[str, dict[str, str]] = {
    "list_azure_utilization": {
        "start_time": "2026-10-01T00:00:00Z",
        "end_time": "2026-10-08T00:00:00Z",
    },
    "list_invoice_line_items": {"provider": "office", "invoicelineitemtype": "billinglineitems"},
    "list_audit_records": {"startDate": "2026-10-01"},
    "list_offers": {"country": "US"},
    "list_products": {"country": "US", "targetView": "OnlineServices"},
    "list_product_skus": {"country": "US"},
    "list_agreements": {"agreementType": "MicrosoftCustomerAgreement"},
    "list_indirect_resellers": {"relationship_type": "IsIndirectCloudSolutionProviderOf"},
}
PATH_VALUES = {
    "subscription_id": "license_subscription_id",
    "domain": "domain",
}


def body_for(name: str, world: dict[str, Any]) -> Any:
    return {
        "create_customer": lambda: new_customer(),
        "create_customer_user": lambda: new_user(world["domain"]),
        "reset_user_password": lambda: {
            "passwordProfile": {"password": "An0ther-Secret!", "forceChangePassword": True},
            "attributes": {"objectType": "CustomerUser"},
        },
        "update_subscription": lambda: {"autoRenewEnabled": False},
        "create_cart": cart_body,
        "create_order": lambda: order_body(world["customer_id"]),
        "create_customer_agreement": agreement_body,
    }.get(name, lambda: None)()


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_every_operation(
    op: operations.Operation, pc: PartnerClient, world: dict[str, Any], emu: Emulator
) -> None:
    values = dict(world)
    if op.name == "list_azure_utilization":
        values["subscription_id"] = world["subscription_id"]
    else:
        values["subscription_id"] = world["license_subscription_id"]
    if op.name == "checkout_cart":
        values["cart_id"] = pc.create_cart(world["customer_id"], cart_body())["id"]
    params = {name: values[name] for name in op.parameters}
    query = QUERIES.get(op.name)
    if op.name.startswith("list_") and op.method == "GET":
        pages = list(pc.paginate(op.name, params=query, **params).pages())
        assert pages and all(isinstance(p.items, list) for p in pages)
        assert pages[0].body["attributes"]["objectType"] == "Collection"
        return
    response = pc.request(op.name, params=query, json=body_for(op.name, world), **params)
    assert 200 <= response.status < 300
    assert response.request_id and response.correlation_id
    assert response.headers["ms-cv"] and response.headers["ms-serverid"]
    if op.method == "HEAD":
        assert response.body is None
    else:
        assert isinstance(response.body, dict) and response.body["attributes"]["objectType"]


def test_typed_methods(pc: PartnerClient, world: dict[str, Any], emu: Emulator) -> None:
    cid = world["customer_id"]
    assert pc.get_legal_business_profile()["attributes"]["objectType"] == "LegalBusinessProfile"
    for get in (
        pc.get_organization_profile,
        pc.get_mpn_profile,
        pc.get_billing_profile,
        pc.get_support_profile,
    ):
        assert get()["attributes"]["objectType"].endswith("Profile")
    assert pc.get_customer(cid)["id"] == cid
    created = pc.create_customer(new_customer())
    assert pc.get_customer(created["id"])["id"] == created["id"]
    assert pc.check_domain_availability(world["domain"]) is False
    assert pc.check_domain_availability(f"free{uuid.uuid4().hex[:10]}") is True
    subscription = pc.get_subscription(cid, world["license_subscription_id"])
    assert subscription["id"] == world["license_subscription_id"]
    user = pc.create_customer_user(cid, new_user(world["domain"]))
    assert pc.reset_user_password(cid, user["id"], "Yet-An0ther!")["id"] == user["id"]
    invoice = pc.get_invoice(world["invoice_id"])
    items = pc.list_invoice_line_items(
        invoice["id"], provider="office", invoice_line_item_type="billinglineitems", size=7
    ).collect()
    assert items
    records = pc.list_audit_records(start_date="2026-10-01", size=20).first_page()
    assert records.items
    cart = pc.create_cart(cid, cart_body())
    checkout = pc.checkout_cart(cid, cart["id"])
    order_id = checkout["orders"][0]["id"]
    assert pc.get_order(cid, order_id)["id"] == order_id
    assert pc.create_order(cid, order_body(cid))["attributes"]["objectType"] == "Order"
    assert order_id in {o["id"] for o in pc.list_orders(cid)}


def test_etags_with_if_match(pc: PartnerClient, world: dict[str, Any]) -> None:
    cid, sid = world["customer_id"], world["license_subscription_id"]
    current = pc.request("get_subscription", customer_id=cid, subscription_id=sid)
    assert current.etag
    changed = pc.request(
        "update_subscription",
        customer_id=cid,
        subscription_id=sid,
        json={"friendlyName": "renamed"},
        if_match=current.etag.strip('"'),
    )
    assert changed.status == 200
    with pytest.raises(BadRequestError) as caught:
        pc.request(
            "update_subscription",
            customer_id=cid,
            subscription_id=sid,
            json={"friendlyName": "again"},
            if_match=current.etag,
        )
    assert caught.value.code == 2055 and caught.value.hint == pc_errors.ETAG_INVALID.hint


def test_documented_errors(pc: PartnerClient, world: dict[str, Any]) -> None:
    with pytest.raises(NotFoundError) as missing:
        pc.get_customer(str(uuid.uuid4()))
    assert missing.value.code == 1000 and missing.value.request_id
    with pytest.raises(AlreadyExistsError):
        pc.create_customer({**new_customer(), "companyProfile": {"domain": world["domain"]}})
    with pytest.raises(BadRequestError) as bad:
        pc.create_customer({"companyProfile": {}})
    assert bad.value.code == 3000


# -- paging ----------------------------------------------------------------------------------
def ids(items: list[Any]) -> list[str]:
    return [item["id"] for item in items]


async def test_continuation_paging(flavour: Flavour, emu: Emulator) -> None:
    async with flavour.opened(flavoured_client(flavour, emu)) as pc:
        everything = await flavour(pc.list_customers(size=1000).collect())
        pages = await flavour.pages(pc.list_customers(size=40))
    assert len(everything) >= 300 and len(pages) == -(-len(everything) // 40)
    assert all(p.continuation_token for p in pages[:-1]) and pages[-1].next is None
    assert ids([item for page in pages for item in page.items]) == ids(everything)
    assert len({p.correlation_id for p in pages}) == 1
    assert len({p.request_id for p in pages}) == len(pages)
    assert operations.get("list_customers").paging is Paging.CONTINUATION


async def test_offset_paging(flavour: Flavour, emu: Emulator) -> None:
    async with flavour.opened(flavoured_client(flavour, emu)) as pc:
        everything = await flavour(pc.list_invoices(size=1000).collect())
        pages = await flavour.pages(pc.list_invoices(size=7))
        walked = await flavour.items(pc.list_invoices(size=6))
    assert len(pages) > 2 and all(p.continuation_token is None for p in pages)
    assert ids([item for page in pages for item in page.items]) == ids(everything)
    assert ids(walked) == ids(everything)


def test_audit_records_and_users_page_by_continuation(
    pc: PartnerClient, world: dict[str, Any]
) -> None:
    records = list(pc.list_audit_records(start_date="2026-01-01", size=25).pages())
    assert len(records) > 1 and records[0].body.get("continuationToken")
    assert sum(len(p.items) for p in records) == len(
        pc.list_audit_records(start_date="2026-01-01", size=1000).collect()
    )
    users = pc.list_customer_users(world["customer_id"], size=2).collect()
    assert len(users) == len(pc.list_customer_users(world["customer_id"], size=500).collect())


# -- fan-out ----------------------------------------------------------------------------------
async def test_map_concurrently_over_customers(flavour: Flavour, emu: Emulator) -> None:
    async with flavour.opened(flavoured_client(flavour, emu)) as pc:
        customers = ids((await flavour(pc.list_customers(size=25).first_page())).items)
        targets = customers + ["00000000-0000-0000-0000-000000000000"]
        outcomes = await flavour(
            pc.map_concurrently(
                lambda cid: pc.list_subscriptions(cid).collect(), targets, concurrency=6
            )
        )
    assert [o.item for o in outcomes] == targets
    assert all(o.ok for o in outcomes[:-1]) and sum(len(o.value or []) for o in outcomes) > 25
    assert isinstance(outcomes[-1].error, NotFoundError)


# -- pre-flight refusals -------------------------------------------------------------------------
APP_USER = [op for op in OPERATIONS if op.access is not Access.BOTH]


async def test_app_only_refused_before_sending(
    flavour: Flavour, emu: Emulator, world: dict[str, Any]
) -> None:
    credential = app_credential(emu, flavour.lib)
    async with flavour.opened(
        credential, flavour.client_class(credential, verify=emu.ca_cert)
    ) as pc:
        # App-only is fine here (and fetches the token).
        assert (await flavour(pc.get_legal_business_profile()))["attributes"]
        before = api_requests(emu)
        for op in APP_USER:
            params = {name: world.get(name) or "x" for name in op.parameters}
            with pytest.raises(AppUserRequiredError) as caught:
                await flavour(pc.request(op.name, **params))
            assert not caught.value.sent and caught.value.operation == op.name
        assert api_requests(emu) == before  # nothing went over the wire


def test_app_only_403_from_the_api(emu: Emulator, world: dict[str, Any]) -> None:
    with app_client(emu, check_access=False) as pc:
        with pytest.raises(AppUserRequiredError) as caught:
            pc.get_invoice(world["invoice_id"])
    error = caught.value
    assert error.sent and error.status == 403 and error.attempts == 1
    assert "can't be accessed by application credentials" in error.description
    assert error.hint == pc_errors.APP_ONLY_HINT


async def test_mfa_missing_refused_before_sending(flavour: Flavour, emu: Emulator) -> None:
    before = api_requests(emu)
    async with flavour.opened(flavoured_client(flavour, emu, mfa=False)) as pc:
        with pytest.raises(MfaRequiredError) as caught:
            await flavour(pc.get_legal_business_profile())
    assert not caught.value.sent and api_requests(emu) == before
    assert "secure application model" in str(caught.value)


@pytest.mark.parametrize("mode", ["warn", "off"])
def test_mfa_missing_refused_by_the_api(emu: Emulator, mode: Any) -> None:
    with user_client(emu, mfa=False, mfa_check=mode) as pc:
        with pytest.raises(MfaRequiredError) as caught:
            if mode == "warn":
                with pytest.warns(MfaMissingWarning):
                    pc.get_organization_profile()
            else:
                pc.get_organization_profile()
    error = caught.value
    assert error.sent and (error.status, error.code) == (401, 900421)
    assert error.attempts == 1  # a fresh token would not help: no refresh
    assert error.hint == pc_errors.MFA_HINT


# -- authentication refusals of the API, seen through the client --------------------------------
FORGED = [
    "alg_none",
    "hs256_public_key",
    "unknown_kid",
    "stranger_key",
    "tampered",
    "wrong_issuer",
    "other_tenant",
    "expired",
    "not_yet_valid",
    "other_audience",
    "oversized",
    "malformed",
]


@pytest.mark.parametrize("kind", FORGED)
def test_forged_and_broken_tokens(emu: Emulator, kind: str) -> None:
    from partnercenter import AccessTokenCredential

    token = forged(emu, kind)
    credential = AccessTokenCredential(token, expires_on=2**31)
    before = api_requests(emu)
    with user_client(emu, credential=credential) as pc, pytest.raises(UnauthorizedError) as caught:
        pc.get_legal_business_profile()
    error = caught.value
    assert (error.status, error.code) == (401, 400)
    assert error.description.startswith("Authentication failed.")
    assert api_requests(emu) == before + 1  # a static token is not sent twice
    assert token not in str(error) and token not in repr(error.__dict__)


def test_graph_audience_is_900420_with_the_fix(emu: Emulator) -> None:
    from partnercenter import AccessTokenCredential

    credential = AccessTokenCredential(mint(emu, aud="https://graph.windows.net"))
    with user_client(emu, credential=credential) as pc, pytest.raises(UnauthorizedError) as caught:
        pc.get_legal_business_profile()
    assert (caught.value.status, caught.value.code) == (401, 900420)
    assert caught.value.hint == pc_errors.GRAPH_AUDIENCE_HINT
    assert "graph.windows.net" in caught.value.description


def test_401_drops_the_token_and_retries_once(clean: Emulator) -> None:
    emu = clean
    with app_client(emu) as pc:
        pc.get_legal_business_profile()
        issued = emu.stats()["token_requests"]["client_credentials"]
        # Move the emulator past the cached token's expiry (and its skew): the API refuses it,
        # though the credential still thinks it fresh.
        emu.advance_clock(5400 + 400)  # past the longest default lifetime (90 min)
        response = pc.request("get_legal_business_profile")
        assert response.attempts == 2
        assert emu.stats()["token_requests"]["client_credentials"] == issued + 1


# -- idempotent POST retries -----------------------------------------------------------------
async def test_post_retry_after_a_lost_answer_creates_once(flavour: Flavour, emu: Emulator) -> None:
    transport = LoseFirstAnswer(emu.verify)
    replayed = emu.admin("GET", "api")["replayed"]
    async with flavour.opened(
        flavoured_client(flavour, emu, transport=transport, verify=None)
    ) as pc:
        before = len(await flavour(pc.list_customers(size=1000).collect()))
        body = new_customer()
        created = await flavour(pc.create_customer(body))
        assert transport.lost == 1
        customers = await flavour(pc.list_customers(size=1000).collect())
    assert len(customers) == before + 1  # carried out once, though sent twice
    assert created["companyProfile"]["domain"] == body["companyProfile"]["domain"]
    assert emu.admin("GET", "api")["replayed"] == replayed + 1


def test_answer_lost_by_the_server_is_replayed(clean: Emulator, world: dict[str, Any]) -> None:
    """The emulator's ``drop: "after"`` fault carries a request out, then drops its answer."""
    emu = clean
    cid = world["customer_id"]
    replayed = emu.admin("GET", "api")["replayed"]
    sleeps: list[float] = []
    with user_client(emu, timing=Timing(sleep=sleeps.append)) as pc:
        users = len(pc.list_customer_users(cid, size=500).collect())
        customers = len(pc.list_customers(size=1000).collect())
        rule = {"target": "api", "drop": "after", "count": 1}
        emu.admin("POST", "faults", {**rule, "path_prefix": f"/v1/customers/{cid}/users"})
        user = pc.create_customer_user(cid, new_user(world["domain"]))
        emu.admin("POST", "faults", {**rule, "path_prefix": "/v1/customers"})
        customer = pc.create_customer(new_customer())
        assert len(pc.list_customer_users(cid, size=500).collect()) == users + 1
        assert len(pc.list_customers(size=1000).collect()) == customers + 1
    assert user["id"] and customer["id"] and len(sleeps) == 2
    assert emu.admin("GET", "api")["replayed"] == replayed + 2


# -- throttling and injected faults -------------------------------------------------------------
async def test_throttling_with_retry_after(flavour: Flavour, clean: Emulator) -> None:
    emu = clean
    sleeps: list[float] = []
    async with flavour.opened(flavoured_client(flavour, emu, timing=travel(emu, sleeps))) as pc:
        emu.admin("POST", "throttling", {"rate_per_second": 0.5, "burst": 2})
        for _ in range(5):
            await flavour(pc.get_legal_business_profile())
    # Exactly Retry-After: 2 s at 0.5 requests a second (1 s if the bucket refilled meanwhile).
    assert sleeps and all(s in (1, 2) for s in sleeps) and 2 in sleeps
    assert emu.admin("GET", "api")["throttled"] >= len(sleeps)


def test_throttled_beyond_the_policy(clean: Emulator) -> None:
    emu = clean
    with user_client(emu, timing=Timing(sleep=lambda s: pytest.fail("must not sleep"))) as pc:
        emu.admin("POST", "throttling", {"rate_per_second": 0.01, "burst": 1})
        pc.get_legal_business_profile()
        with pytest.raises(ThrottledError) as caught:
            pc.get_legal_business_profile()
    assert caught.value.retry_after is not None and 95 <= caught.value.retry_after <= 100
    assert caught.value.attempts == 1


@pytest.mark.parametrize(
    "rule",
    [
        {"status": 503, "count": 3},
        {"status": 500, "count": 2},
        {"status": 429, "count": 2, "retry_after": 1},
        {"drop": True, "count": 2},
        {"drop": "reset", "count": 2},
    ],
    ids=["503", "500", "429", "drop", "reset"],
)
async def test_faults_recovered_within_the_budget(
    flavour: Flavour, clean: Emulator, rule: dict[str, Any]
) -> None:
    emu = clean
    sleeps: list[float] = []
    async with flavour.opened(flavoured_client(flavour, emu, timing=travel(None, sleeps))) as pc:
        await flavour(pc.get_legal_business_profile())  # warm the connection
        emu.admin("POST", "faults", {"target": "api", **rule})
        response = await flavour(pc.request("get_legal_business_profile"))
    assert response.attempts == rule["count"] + 1
    assert len(sleeps) == rule["count"]


def test_a_share_of_failures(clean: Emulator) -> None:
    emu = clean
    sleeps: list[float] = []
    emu.admin(
        "POST",
        "faults",
        {"target": "api", "rate": 0.3, "statuses": [500, 503, 429], "seed": 11},
    )
    with user_client(
        emu, timing=Timing(sleep=sleeps.append), retry=RetryPolicy(max_retries=6)
    ) as pc:
        pages = list(pc.list_customers(size=20).pages())
    assert sum(len(p.items) for p in pages) >= 300
    assert sleeps  # some were retried


def test_dropped_post_is_created_once(clean: Emulator) -> None:
    emu = clean
    sleeps: list[float] = []
    with user_client(emu, timing=Timing(sleep=sleeps.append)) as pc:
        before = len(pc.list_customers(size=1000).collect())
        emu.admin(
            "POST",
            "faults",
            {"target": "api", "drop": True, "count": 1, "path_prefix": "/v1/customers"},
        )
        pc.create_customer(new_customer())
        assert len(pc.list_customers(size=1000).collect()) == before + 1
    assert len(sleeps) == 1


def test_token_service_faults(clean: Emulator) -> None:
    emu = clean
    injected = emu.admin("GET", "faults")["injected"]
    emu.admin("POST", "faults", {"target": "token", "status": 503, "count": 1})
    sleeps: list[float] = []
    credential = app_credential(emu, timing=Timing(sleep=sleeps.append))
    with credential, app_client(emu, credential=credential) as pc:
        assert pc.get_legal_business_profile()
    # The call succeeded *because* the credential retried: the 503 was answered, exactly once.
    faults = emu.admin("GET", "faults")
    assert faults["injected"] == injected + 1
    assert [rule["hits"] for rule in faults["exhausted"]] == [1]
    assert faults["rules"] == []
    assert len(sleeps) == 1
