"""The operations catalog drives both clients: every operation has a typed method on
PartnerClient and AsyncPartnerClient with the arguments the catalog states, the generated code
and docs are current, and each method, called against the real emulator, sends the catalog's
method, path, query parameters and body."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import partnercenter.aio as aio
from partnercenter import PartnerClient, _docs
from partnercenter._client import _codegen
from partnercenter._client.calls import build
from partnercenter._contract.operations import (
    OPERATIONS,
    Access,
    Kind,
    Operation,
    Param,
    Result,
    Where,
    body,
    query,
)
from partnercenter.emulator import Emulator
from partnercenter.errors import ConfigurationError

from ..emulator_support import agreement_body, cart_body, new_customer, new_user, order_body
from .emulated import cloud, mint, user_credential

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "partnercenter"
IDS = [op.name for op in OPERATIONS]


# -- generated files are current ----------------------------------------------------------------
@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_generated_methods_are_current(flavour: _codegen.Flavour) -> None:
    target = PACKAGE / _codegen.TARGETS[flavour]
    assert target.read_text(encoding="utf-8") == _codegen.module(flavour), (
        f"{target.name} is stale: run `{_codegen.REGENERATE}` and commit it"
    )


def test_operations_page_is_current() -> None:
    page = ROOT / "docs" / "operations.md"
    assert page.read_text(encoding="utf-8") == _docs.operations_page(), (
        f"docs/operations.md is stale: run `{_docs.REGENERATE_OPERATIONS}` and commit it"
    )


def test_operations_page_has_a_row_per_operation() -> None:
    rows = [line for line in _docs.operations_page().splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == IDS
    update = next(row for row in rows if row.startswith("| `update_subscription`"))
    assert "| PATCH |" in update and "app-only or app + user" in update
    assert "`update_subscription(customer_id, subscription_id, changes, if_match=)`" in update


def test_check_mode_reports_stale_generated_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = [_docs.CODE_COMMAND, "--output", str(tmp_path)]
    assert _docs.main([*command, "--check"]) == 1
    assert "stale" in capsys.readouterr().err
    assert _docs.main(command) == 0
    assert _docs.main([*command, "--check"]) == 0
    written = tmp_path / _codegen.TARGETS["async"]
    written.write_text(written.read_text() + "# edited by hand\n")
    assert _docs.main([*command, "--check"]) == 1


# -- signatures: what the catalog states ------------------------------------------------------
def _expected(op: Operation) -> list[tuple[str, inspect._ParameterKind, object]]:
    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    expected: list[tuple[str, inspect._ParameterKind, object]] = [
        (name, positional, inspect.Parameter.empty) for name in op.parameters
    ]
    for param in op.signature_params:
        if param.required:
            expected.append((param.name, positional, inspect.Parameter.empty))
        else:
            expected.append((param.name, inspect.Parameter.KEYWORD_ONLY, param.default))
    return expected


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
@pytest.mark.parametrize("cls", [PartnerClient, aio.AsyncPartnerClient])
def test_every_operation_has_a_typed_method(op: Operation, cls: type[Any]) -> None:
    method = getattr(cls, op.name)
    signature = inspect.signature(method)
    actual = [(p.name, p.kind, p.default) for p in list(signature.parameters.values())[1:]]
    assert actual == _expected(op)
    assert method.__doc__.startswith(op.summary)
    assert f"``{op.method} {op.path}``" in " ".join(method.__doc__.split())
    returns = signature.return_annotation
    if op.result is Result.COLLECTION:
        assert returns == ("Pager" if cls is PartnerClient else "AsyncPager")
        assert not inspect.iscoroutinefunction(method)
    else:
        assert returns == ("bool" if op.result is Result.ABSENT else "dict[str, Any]")
        assert inspect.iscoroutinefunction(method) == (cls is not PartnerClient)


def test_existing_signatures_are_unchanged() -> None:
    # The hand-written methods' signatures before the catalog generated them.
    assert str(inspect.signature(PartnerClient.list_customers)) == (
        "(self, *, size: 'int | None' = None, "
        "filter: 'Mapping[str, Any] | str | None' = None) -> 'Pager'"
    )
    assert str(inspect.signature(PartnerClient.reset_user_password)) == (
        "(self, customer_id: 'str', user_id: 'str', password: 'str', *, "
        "force_change_password: 'bool' = True) -> 'dict[str, Any]'"
    )
    assert str(inspect.signature(aio.AsyncPartnerClient.list_audit_records)) == (
        "(self, *, start_date: 'str | dt.date | None' = None, "
        "end_date: 'str | dt.date | None' = None, size: 'int | None' = None, "
        "filter: 'Mapping[str, Any] | str | None' = None) -> 'AsyncPager'"
    )


# -- the catalog's own checks and the call builder ------------------------------------------
def test_catalog_refuses_an_inconsistent_entry() -> None:
    with pytest.raises(ValueError, match="used twice"):
        Operation("x", "GET", "/v1/x/{size}", Access.BOTH, params=(query("size", Kind.SIZE),))
    with pytest.raises(ValueError, match="only a HEAD"):
        Operation("x", "GET", "/v1/x", Access.BOTH, result=Result.ABSENT)
    with pytest.raises(ValueError, match="whole or built from fields"):
        Operation(
            "x",
            "POST",
            "/v1/x",
            Access.BOTH,
            params=(body("thing", "a thing"), Param("y", Kind.FLAG, Where.FIELD)),
        )
    with pytest.raises(ValueError, match="no default"):
        Param("y", Kind.TEXT, required=True, default="z")
    with pytest.raises(ValueError, match="identifier"):
        Param("Not-a-name", Kind.TEXT)


def test_build_puts_each_argument_where_the_catalog_says() -> None:
    call = build(
        "list_azure_utilization",
        "c1",
        "s1",
        dt.date(2026, 10, 1),
        dt.datetime(2026, 10, 8, 2, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        "hourly",
        False,
        50,
    )
    assert call.path == "/v1/customers/c1/subscriptions/s1/utilizations/azure"
    assert call.params == {
        "start_time": "2026-10-01",
        "end_time": "2026-10-08T00:00:00Z",
        "granularity": "hourly",
        "show_details": "false",
        "size": "50",
    }
    reset = build("reset_user_password", "c1", "u1", "N3w-Secret!", False)
    assert reset.json == {
        "passwordProfile": {"password": "N3w-Secret!", "forceChangePassword": False},
        "attributes": {"objectType": "CustomerUser"},
    }
    update = build("update_subscription", "c1", "s1", {"quantity": 2}, "abc")
    assert update.json == {"quantity": 2} and update.headers == {"If-Match": '"abc"'}
    assert build("list_indirect_resellers", "IsIndirectResellerOf").params == {
        "relationship_type": "IsIndirectResellerOf"
    }


@pytest.mark.parametrize(
    ("name", "values", "argument", "message"),
    [
        ("list_invoices", (0,), "size", "positive int"),
        ("list_invoices", (True,), "size", "positive int"),
        ("list_offers", (7, None), "country", "string"),
        ("list_audit_records", (20261001, None, None, None), "start_date", "ISO 8601"),
        ("list_customers", (None, 42), "filter", "filter"),
        ("list_azure_utilization", ("c", "s", None, "2026-10-02", None, None, None), "start_time",
         "required"),
        ("list_azure_utilization", ("c", "s", "2026-10-01", "2026-10-02", None, "yes", None),
         "show_details", "True or False"),
        ("create_cart", ("c", ["not", "a", "dict"]), "cart", "dict"),
        ("reset_user_password", ("c", "u", "", True), "password", "non-empty"),
        ("get_customer", ("",), "customer_id", "non-empty"),
    ],
)  # fmt: skip
def test_bad_arguments_are_refused_naming_the_argument(
    name: str, values: tuple[object, ...], argument: str, message: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        build(name, *values)
    assert caught.value.argument == argument and message in str(caught.value)


def test_a_refused_password_is_never_shown() -> None:
    with pytest.raises(ConfigurationError) as caught:
        build("reset_user_password", "c", "u", b"Sup3r-Secret!", True)
    assert "Sup3r" not in str(caught.value) and "Sup3r" not in repr(caught.value)


def test_build_refuses_a_wrong_argument_count() -> None:
    with pytest.raises(TypeError, match="takes 1 arguments, not 2"):
        build("get_customer", "a", "b")


# -- every typed method against the real emulator ---------------------------------------------
def trusting(emu: Emulator) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(emu.ca_cert))


class Recorder:
    """Keeps every request a client sends (through a real TLS transport)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def last(self) -> httpx.Request:
        return self.requests[-1]


class SyncRecording(httpx.BaseTransport):
    def __init__(self, verify: Any, recorder: Recorder) -> None:
        self.inner = httpx.HTTPTransport(verify=verify)
        self.recorder = recorder

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.recorder.requests.append(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class AsyncRecording(httpx.AsyncBaseTransport):
    def __init__(self, verify: Any, recorder: Recorder) -> None:
        self.inner = httpx.AsyncHTTPTransport(verify=verify)
        self.recorder = recorder

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.recorder.requests.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture(scope="module")
def world(emu: Emulator) -> Iterator[dict[str, Any]]:
    """Ids of seeded resources, found through the generic calls (not the methods under test)."""
    fabrikam = next(t for t in emu.customer_tenants if t["name"] == "Fabrikam")
    cid = fabrikam["id"]
    with PartnerClient(user_credential(emu), cloud=cloud(emu), verify=emu.ca_cert) as pc:

        def new_cart() -> str:
            return str(pc.request("create_cart", customer_id=cid, json=cart_body()).body["id"])

        subscriptions = pc.paginate("list_subscriptions", customer_id=cid).collect()
        invoices = pc.paginate("list_invoices").collect()
        yield {
            "customer_id": cid,
            "domain": fabrikam["domain"],
            "usage_subscription_id": next(
                s["id"] for s in subscriptions if s["billingType"] == "usage"
            ),
            "subscription_id": next(
                s["id"] for s in subscriptions if s["billingType"] == "license"
            ),
            "user_id": pc.paginate("list_customer_users", customer_id=cid).collect()[0]["id"],
            "order_id": pc.paginate("list_orders", customer_id=cid).collect()[0]["id"],
            "invoice_id": next(i["id"] for i in invoices if i["invoiceType"] == "Recurring"),
            "product_id": "CFQ7TTC0LH18",
            "service_request_id": pc.paginate(
                "list_customer_service_requests", customer_id=cid
            ).collect()[0]["id"],
            "cart_id": new_cart,
        }


#: Values for every optional argument the emulator accepts (each one must reach the wire).
OPTIONAL: dict[str, dict[str, Any]] = {
    "list_customers": {
        "size": 5,
        "filter": {"Field": "CompanyName", "Value": "F", "Operator": "starts_with"},
    },
    "list_azure_utilization": {"granularity": "daily", "show_details": True, "size": 10},
    "list_customer_users": {"size": 3},
    "reset_user_password": {"force_change_password": False},
    "list_invoices": {"size": 4},
    "list_invoice_line_items": {
        "provider": "office",
        "invoice_line_item_type": "billinglineitems",
        "size": 7,
    },
    "list_audit_records": {"start_date": dt.date(2026, 10, 1), "end_date": "2026-11-01", "size": 9},
    "list_offers": {"country": "US", "size": 2},
    "list_products": {"country": "US", "target_view": "OnlineServices", "size": 2},
    "list_product_skus": {"country": "US"},
    "list_agreements": {"agreement_type": "MicrosoftCustomerAgreement"},
    "list_customer_agreements": {"agreement_type": "All"},
}


def arguments(op: Operation, world: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """Positional and keyword arguments for ``op``'s typed method."""
    path = dict(world)
    if op.name == "list_azure_utilization":
        path["subscription_id"] = world["usage_subscription_id"]
    if op.name == "checkout_cart":
        path["cart_id"] = world["cart_id"]()
    positional: list[Any] = [path[name] for name in op.parameters]
    required = {
        "create_customer": lambda: new_customer(),
        "update_subscription": lambda: {"autoRenewEnabled": False},
        "create_customer_user": lambda: new_user(world["domain"]),
        "reset_user_password": lambda: f"An0ther-{uuid.uuid4().hex[:8]}!",
        "create_cart": cart_body,
        "create_order": lambda: order_body(world["customer_id"]),
        "create_customer_agreement": agreement_body,
    }
    for param in op.signature_params:
        if not param.required:
            continue
        if param.kind is Kind.DATE:
            positional.append("2026-10-01" if param.name == "start_time" else dt.date(2026, 10, 8))
        else:
            positional.append(required[op.name]())
    return positional, dict(OPTIONAL.get(op.name, {}))


def check_request(
    op: Operation, request: httpx.Request, positional: list[Any], keywords: dict[str, Any]
) -> None:
    """The request carries the catalog's method, path, query names and body."""
    assert request.method == op.method
    path_values = dict(zip(op.parameters, positional, strict=False))
    assert request.url.path == op.format_path(**path_values)
    assert op.pattern.match(request.url.path)
    given = dict(zip(op.arguments, positional, strict=False)) | keywords
    sent = {p.name: p for p in op.params if given.get(p.name, p.default) is not None}
    wires = {p.wire for p in sent.values() if p.where is Where.QUERY}
    assert set(request.url.params) == wires
    if any(p.where is Where.BODY for p in sent.values()):
        body_param = next(p for p in sent.values() if p.where is Where.BODY)
        assert json.loads(request.content) == dict(given[body_param.name])
    elif any(p.where is Where.FIELD for p in sent.values()):
        document = json.loads(request.content)
        for param in (p for p in sent.values() if p.where is Where.FIELD):
            value: Any = document
            for key in param.wire.split("."):
                value = value[key]
            assert value == given.get(param.name, param.default)
    else:
        assert request.content == b""


@pytest.fixture(scope="module")
def recorded(emu: Emulator) -> Iterator[tuple[PartnerClient, Recorder]]:
    recorder = Recorder()
    transport = SyncRecording(trusting(emu), recorder)
    with PartnerClient(user_credential(emu), cloud=cloud(emu), transport=transport) as client:
        yield client, recorder


@pytest.mark.parametrize("op", OPERATIONS, ids=IDS)
def test_each_typed_method_sends_the_catalog_request(
    op: Operation, recorded: tuple[PartnerClient, Recorder], world: dict[str, Any]
) -> None:
    client, recorder = recorded
    positional, keywords = arguments(op, world)
    before = len(recorder.requests)
    result = getattr(client, op.name)(*positional, **keywords)
    if op.result is Result.COLLECTION:
        page = result.first_page()
        assert isinstance(page.items, list)
        assert page.body["attributes"]["objectType"] == "Collection"
        # The page size reached the API under the catalog's wire name.
        assert len(page.items) <= keywords.get("size", len(page.items))
    elif op.result is Result.ABSENT:
        assert result is False  # the seeded customer's domain is taken
    else:
        assert isinstance(result, dict) and result["attributes"]["objectType"]
    assert len(recorder.requests) == before + 1
    check_request(op, recorder.last(), positional, keywords)


@pytest.mark.anyio
async def test_each_async_typed_method_sends_the_catalog_request(
    emu: Emulator, world: dict[str, Any]
) -> None:
    recorder = Recorder()
    transport = AsyncRecording(trusting(emu), recorder)
    credential = aio.AccessTokenCredential(mint(emu))
    async with aio.AsyncPartnerClient(credential, cloud=cloud(emu), transport=transport) as client:
        for op in OPERATIONS:
            positional, keywords = arguments(op, world)
            before = len(recorder.requests)
            result = getattr(client, op.name)(*positional, **keywords)
            if op.result is Result.COLLECTION:
                page = await result.first_page()
                assert page.body["attributes"]["objectType"] == "Collection", op.name
                assert len(page.items) <= keywords.get("size", len(page.items)), op.name
            elif op.result is Result.ABSENT:
                assert await result is False
            else:
                assert (await result)["attributes"]["objectType"], op.name
            assert len(recorder.requests) == before + 1, op.name
            check_request(op, recorder.last(), positional, keywords)
