"""Partner-wide records: audit records, service requests, indirect resellers, MFA adoption."""

from __future__ import annotations

from ..call import Call, Result
from ..context import ApiContext, Handler, customer_of, date_param, json_filter, ok, strip
from ..dataset import iso
from ..errors import invalid, not_found
from ..paging import collection

INDIRECT_PROVIDER_OF = "IsIndirectCloudSolutionProviderOf"
INDIRECT_RESELLER_OF = "IsIndirectResellerOf"


def list_audit_records(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/auditrecords?startDate=&endDate=&filter=: continuation paging."""
    start = date_param(call, "startDate")
    end = date_param(call, "endDate", end_of_day=True)
    if start is not None and end is not None and end < start:
        raise invalid("endDate must not be before startDate.")
    records = ctx.data.audit
    if start is not None or end is not None:
        low = start if start is not None else float("-inf")
        high = end if end is not None else float("inf")
        records = [r for r in records if low <= r["_when"] <= high]
    keep: dict[str, str] = {}
    for name, value in (("startDate", "startdate"), ("endDate", "enddate")):
        if call.query.get(value):
            keep[name] = call.query[value]
    found = json_filter(
        call,
        {
            "companyname": {"substring", "equals"},
            "customername": {"substring", "equals"},
            "customerid": {"equals"},
            "resourcetype": {"equals"},
        },
    )
    if found is not None:
        field, value, operator = found
        keep["filter"] = call.query["filter"]
        needle = value.lower()
        attribute = {
            "companyname": "customerName",
            "customername": "customerName",
            "customerid": "customerId",
            "resourcetype": "resourceType",
        }[field]
        if operator == "equals":
            records = [r for r in records if r[attribute].lower() == needle]
        else:
            records = [r for r in records if needle in r[attribute].lower()]
    page = ctx.pager.page(
        call, records, base="/v1/auditrecords", keep=keep, default_size=500, body_token=True
    )
    page["items"] = strip(page["items"])
    return ok(page)


def list_customer_service_requests(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/customers/{id}/servicerequests."""
    customer = customer_of(ctx, call)
    cid = customer["id"]
    items = [r for r in ctx.data.service_requests if r["organization"]["id"] == cid]
    return ok(collection(items, self_uri=f"/customers/{cid}/servicerequests"))


def get_service_request(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/servicerequests/{id}."""
    srid = call.param("service_request_id")
    found = ctx.data.service_request_index.get(srid)
    if found is None:
        raise not_found(f"Service request '{srid}'")
    return ok(found)


def list_indirect_resellers(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf."""
    kind = call.query.get("relationship_type")
    if not kind:
        raise invalid(f"relationship_type is required ({INDIRECT_PROVIDER_OF}).")
    if kind.lower() == INDIRECT_PROVIDER_OF.lower():
        items = list(ctx.data.resellers)
    elif kind.lower() == INDIRECT_RESELLER_OF.lower():
        # The seed's partner is an indirect provider, not a reseller of one.
        items = []
    else:
        raise invalid(
            f"relationship_type must be {INDIRECT_PROVIDER_OF} or {INDIRECT_RESELLER_OF}."
        )
    return ok(collection(items, self_uri=f"/relationships?relationship_type={kind}"))


def mfa_adoption(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/applicationmfaadoptionstatus: per app, from the app + user calls seen."""
    names = {app.client_id.lower(): app.name for app in ctx.directory.apps}
    counts = dict(ctx.mfa_usage.counts)
    app_ids = [app.client_id for app in ctx.directory.apps] + [
        app_id for app_id in counts if app_id.lower() not in names
    ]
    items = []
    for app_id in app_ids:
        with_mfa, without, last = counts.get(app_id, [0, 0, 0.0])
        total = int(with_mfa + without)
        status = "NoActivity" if not total else ("Compliant" if not without else "NonCompliant")
        items.append(
            {
                "applicationId": app_id,
                "applicationName": names.get(app_id.lower(), ""),
                "mfaAdoptionStatus": status,
                "totalRequests": total,
                "requestsWithMfa": int(with_mfa),
                "requestsWithoutMfa": int(without),
                "mfaAdoptionPercentage": round(100 * with_mfa / total, 2) if total else 0.0,
                "lastRequestDateTime": iso(last) if last else None,
                "attributes": {"objectType": "ApplicationMfaAdoptionStatus"},
            }
        )
    return ok(collection(items, self_uri="/applicationmfaadoptionstatus"))


HANDLERS: dict[str, Handler] = {
    "list_audit_records": list_audit_records,
    "list_customer_service_requests": list_customer_service_requests,
    "get_service_request": get_service_request,
    "list_indirect_resellers": list_indirect_resellers,
    "get_mfa_adoption_status": mfa_adoption,
}
