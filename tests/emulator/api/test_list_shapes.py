"""List items shaped like the response examples of Microsoft's REST pages (issue 8, item 10):
audit records, service requests, indirect resellers and agreements."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from ...emulator_support import agreement_body

#: .NET ticks from 0001-01-01 to 1970-01-01.
_EPOCH_TICKS = 621_355_968_000_000_000


def test_audit_records_carry_an_id_and_participants(pc: httpx.Client) -> None:
    records = pc.get("/v1/auditrecords", params={"size": 20}).json()["items"]
    assert records
    for record in records:
        partner, customer, operation, ticks = record["id"].split("_")
        assert (partner, customer) == (record["partnerId"], record["customerId"])
        assert operation == record["operationType"].replace("_", "")
        assert record["participants"] == [record["partnerId"]]
        when = dt.datetime.fromisoformat(record["operationDate"].replace("Z", "+00:00"))
        seconds = (int(ticks) - _EPOCH_TICKS) / 10_000_000
        assert abs(seconds - when.timestamp()) < 1
        assert record["attributes"] == {"objectType": "AuditRecord"}
    assert len({r["id"] for r in records}) == len(records)


def test_service_requests_carry_a_primary_contact(pc: httpx.Client, world: dict[str, Any]) -> None:
    cid = world["service_request_customer"]
    items = pc.get(f"/v1/customers/{cid}/servicerequests").json()["items"]
    assert items
    for item in items:
        contact = item["primaryContact"]
        assert contact["firstName"] and contact["lastName"] and "@" in contact["email"]
        # The list keeps the whole resource: its 2015 example is abbreviated (numeric enums).
        assert pc.get(f"/v1/servicerequests/{item['id']}").json() == item


def test_indirect_resellers_use_the_resources_relationship_type(pc: httpx.Client) -> None:
    query = {"relationship_type": "IsIndirectCloudSolutionProviderOf"}
    items = pc.get("/v1/relationships", params=query).json()["items"]
    assert items
    for item in items:
        assert set(item) == {
            "id",
            "name",
            "relationshipType",
            "state",
            "mpnId",
            "location",
            "attributes",
        }
        assert item["relationshipType"] == "is_indirect_cloud_solution_provider_of"
        assert len(item["location"]) == 2 and item["location"].isupper()
        assert item["attributes"] == {"objectType": "PartnerRelationship"}


def test_agreement_metadata_items_have_the_examples_fields(pc: httpx.Client) -> None:
    items = pc.get("/v1/agreements").json()["items"]
    assert {i["agreementType"] for i in items} == {
        "MicrosoftCloudAgreement",
        "MicrosoftCustomerAgreement",
    }
    for item in items:
        assert set(item) == {"templateId", "agreementType", "agreementLink", "versionRank"}


def test_customer_agreement_list_items_are_lighter_than_the_created_one(
    pc: httpx.Client, world: dict[str, Any]
) -> None:
    cid = world["customer_id"]
    created = pc.post(f"/v1/customers/{cid}/agreements", json=agreement_body())
    assert created.status_code == 201
    full = created.json()
    assert full["userId"] and full["attributes"] == {"objectType": "Agreement"}
    items = pc.get(f"/v1/customers/{cid}/agreements").json()["items"]
    fields = {"primaryContact", "templateId", "dateAgreed", "type", "agreementLink"}
    assert all(set(item) == fields for item in items)
    assert {k: v for k, v in full.items() if k in fields} in items
