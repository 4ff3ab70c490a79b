"""Billing: invoices (offset paging), line items, Azure utilization, usage summaries."""

from __future__ import annotations

from ..billing_data import (
    LINE_ITEM_TYPES,
    PROVIDERS,
    customer_usage_summary,
    invoice_line_items,
    normalize_provider,
    partner_usage_summary,
    utilization_records,
)
from ..call import Call, Result
from ..context import ApiContext, Handler, customer_item, customer_of, date_param, ok
from ..dataset import DAY
from ..errors import invalid, not_found

#: Longest utilization window one request may ask for.
MAX_UTILIZATION_DAYS = 90


#: Only get-by-id carries the billing period: Microsoft's "Get a collection of invoices"
#: example has neither date (https://learn.microsoft.com/partner-center/developer/get-a-collection-of-invoices),
#: its "Get invoice by ID" example has both.
_BY_ID_ONLY = ("billingPeriodStartDate", "billingPeriodEndDate")


def list_invoices(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/invoices: the partner's invoices, newest first, offset paging."""
    page = ctx.pager.page(call, ctx.data.invoices, base="/invoices")
    page["items"] = [
        {key: value for key, value in invoice.items() if key not in _BY_ID_ONLY}
        for invoice in page["items"]
    ]
    return ok(page)


def _invoice(ctx: ApiContext, call: Call) -> dict[str, object]:
    invoice_id = call.param("invoice_id")
    invoice = ctx.data.invoice_index.get(invoice_id.lower())
    if invoice is None:
        raise not_found(f"Invoice '{invoice_id}'")
    return invoice


def get_invoice(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/invoices/{id}."""
    return ok(_invoice(ctx, call))


def list_line_items(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/invoices/{id}/lineitems: by provider and line-item type, offset paging."""
    invoice = _invoice(ctx, call)
    provider = normalize_provider(call.query.get("provider") or "all")
    if provider is None:
        raise invalid(f"provider must be one of {', '.join(PROVIDERS)}.")
    line_type = (call.query.get("invoicelineitemtype") or "billinglineitems").lower()
    line_type = line_type.replace("_", "")
    if line_type not in LINE_ITEM_TYPES:
        raise invalid(f"invoicelineitemtype must be one of {', '.join(LINE_ITEM_TYPES)}.")
    if line_type == "usagelineitems" and provider not in ("azure", "all"):
        raise invalid("Usage line items exist for the azure provider only.")
    items = invoice_line_items(ctx.data, invoice, provider, line_type)
    return ok(
        ctx.pager.page(
            call,
            items,
            base=f"/invoices/{invoice['id']}/lineitems",
            keep={"provider": provider, "invoicelineitemtype": line_type},
            default_size=200,
            max_size=2000,
        )
    )


def _flag(call: Call, name: str, default: bool) -> bool:
    raw = call.query.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() not in ("true", "false"):
        raise invalid(f"'{name}' must be true or false.")
    return raw.lower() == "true"


def list_utilization(ctx: ApiContext, call: Call) -> Result:
    """GET .../utilizations/azure: daily or hourly records, continuation paging."""
    customer, subscription = customer_item(
        ctx, call, ctx.data.subscription_index, "subscription_id", "Subscription"
    )
    cid = customer["id"]
    start = date_param(call, "start_time")
    end = date_param(call, "end_time")
    if start is None or end is None:
        raise invalid("start_time and end_time are required (ISO 8601).")
    if end <= start:
        raise invalid("end_time must be after start_time.")
    if end - start > MAX_UTILIZATION_DAYS * DAY:
        raise invalid(f"The time range may span at most {MAX_UTILIZATION_DAYS} days.")
    granularity = (call.query.get("granularity") or "daily").lower()
    if granularity not in ("daily", "hourly"):
        raise invalid("granularity must be daily or hourly.")
    details = _flag(call, "show_details", True)
    records = utilization_records(
        ctx.data,
        cid,
        subscription,
        start,
        end,
        hourly=granularity == "hourly",
        show_details=details,
    )
    keep = {
        "start_time": call.query["start_time"],
        "end_time": call.query["end_time"],
        "granularity": granularity,
        "show_details": "true" if details else "false",
    }
    return ok(
        ctx.pager.page(
            call,
            records,
            base=f"/v1/customers/{cid}/subscriptions/{subscription['id']}/utilizations/azure",
            keep=keep,
            default_size=1000,
            max_size=1000,
            body_token=True,
        )
    )


def customer_usage(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/customers/{id}/usagesummary."""
    customer = customer_of(ctx, call)
    return ok(customer_usage_summary(ctx.data, customer, call.now))


def partner_usage(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/usagesummary."""
    return ok(partner_usage_summary(ctx.data, call.now))


HANDLERS: dict[str, Handler] = {
    "list_invoices": list_invoices,
    "get_invoice": get_invoice,
    "list_invoice_line_items": list_line_items,
    "list_azure_utilization": list_utilization,
    "get_customer_usage_summary": customer_usage,
    "get_partner_usage_summary": partner_usage,
}
