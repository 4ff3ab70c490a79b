"""Data made on demand: invoice line items, Azure utilization records, usage summaries.

These are large (a line per subscription per invoice, a record per meter per day), so they
are generated when asked, each from its own seeded ``random.Random`` (seeded by the dataset
seed and the resource's ids), which keeps them reproducible and the start-up build fast.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import OrderedDict

from .dataset import AZURE_METERS, DAY, REGIONS, Dataset, Json, iso
from .paging import link

#: Line-item lists kept after generation (a walk over pages reuses one list).
_LINE_ITEM_CACHE = 32

PROVIDERS = ("office", "azure", "onetime", "all")
LINE_ITEM_TYPES = ("billinglineitems", "usagelineitems")

_cache: OrderedDict[tuple[int, str, str, str], list[Json]] = OrderedDict()


def normalize_provider(value: str) -> str | None:
    """A ``provider`` query value in canonical form (``one_time`` is ``onetime``), or ``None``."""
    value = value.lower().replace("_", "")
    return value if value in PROVIDERS else None


def invoice_line_items(data: Dataset, invoice: Json, provider: str, line_type: str) -> list[Json]:
    """The line items of one invoice for a provider (``office``, ``azure``, ``onetime``, ``all``)
    and type (``billinglineitems``, ``usagelineitems``)."""
    key = (id(data), invoice["id"], provider, line_type)
    found = _cache.get(key)
    if found is not None:
        _cache.move_to_end(key)
        return found
    items: list[Json] = []
    kind = invoice["invoiceType"]
    if line_type == "billinglineitems":
        if provider in ("office", "all") and kind == "Recurring":
            items.extend(_license_items(data, invoice))
        if provider in ("onetime", "all") and kind == "OneTime":
            items.extend(_one_time_items(data, invoice))
    elif provider in ("azure", "all") and kind == "OneTime":
        items.extend(_usage_items(data, invoice))
    _cache[key] = items
    if len(_cache) > _LINE_ITEM_CACHE:
        _cache.popitem(last=False)
    return items


def _subscriptions(data: Dataset, billing_type: str, before: str) -> list[tuple[Json, Json]]:
    return [
        (customer, subscription)
        for customer in data.customers
        for subscription in data.subscriptions[customer["id"]]
        if subscription["billingType"] == billing_type and subscription["creationDate"] <= before
    ]


def _license_items(data: Dataset, invoice: Json) -> list[Json]:
    start, end = invoice["billingPeriodStartDate"], invoice["billingPeriodEndDate"]
    items = []
    for customer, sub in _subscriptions(data, "license", end):
        price = float(sub.get("_price", 0.0))
        amount = round(price * sub["quantity"], 2)
        tax = round(amount * 0.08, 2)
        items.append(
            {
                "partnerId": data.partner.id,
                "customerId": customer["id"],
                "customerName": customer["companyProfile"]["companyName"],
                "mpnId": data.mpn_id,
                "tier2MpnId": "",
                "orderId": sub["orderId"],
                "subscriptionId": sub["id"],
                "syndicationPartnerSubscriptionNumber": "",
                "offerId": sub["offerId"],
                "durableOfferId": sub["offerId"].split(":")[0],
                "offerName": sub["offerName"],
                "domainName": customer["companyProfile"]["domain"],
                "billingCycleType": sub["billingCycle"],
                "subscriptionName": sub["friendlyName"],
                "subscriptionDescription": sub["offerName"],
                "orderDate": sub["creationDate"],
                "chargeStartDate": start,
                "chargeEndDate": end,
                "chargeType": "Cycle fee",
                "unitPrice": price,
                "quantity": sub["quantity"],
                "amount": amount,
                "totalOtherDiscount": 0.0,
                "subtotal": amount,
                "tax": tax,
                "totalForCustomer": round(amount + tax, 2),
                "currency": "USD",
                "invoiceLineItemType": "BillingLineItems",
                "billingProvider": "Office",
                "attributes": {"objectType": "LicenseBasedLineItem"},
            }
        )
    return items


def _one_time_items(data: Dataset, invoice: Json) -> list[Json]:
    rng = random.Random(f"{data.seed}/{invoice['id']}/onetime")
    end = invoice["billingPeriodEndDate"]
    items = []
    for customer, sub in _subscriptions(data, "usage", end):
        subtotal = round(rng.uniform(20, 900), 2)
        tax = round(subtotal * 0.08, 2)
        items.append(
            {
                "partnerId": data.partner.id,
                "customerId": customer["id"],
                "customerName": customer["companyProfile"]["companyName"],
                "customerDomainName": customer["companyProfile"]["domain"],
                "invoiceNumber": invoice["id"],
                "mpnId": data.mpn_id,
                "orderId": sub["orderId"],
                "orderDate": sub["creationDate"],
                "productId": "DZH318Z0BQ3Q",
                "skuId": "0001",
                "availabilityId": "",
                "productName": "Azure plan",
                "skuName": "Azure plan",
                "chargeType": "new",
                "unitPrice": subtotal,
                "effectiveUnitPrice": subtotal,
                "unitType": "Usage-based",
                "quantity": 1,
                "subtotal": subtotal,
                "taxTotal": tax,
                "totalForCustomer": round(subtotal + tax, 2),
                "currency": "USD",
                "subscriptionId": sub["id"],
                "chargeStartDate": invoice["billingPeriodStartDate"],
                "chargeEndDate": end,
                "termAndBillingCycle": "Monthly",
                "alternateId": sub["orderId"].replace("-", "")[:12],
                "billingFrequency": "Monthly",
                "pricingCurrency": "USD",
                "invoiceLineItemType": "BillingLineItems",
                "billingProvider": "OneTime",
                "attributes": {"objectType": "OneTimeInvoiceLineItem"},
            }
        )
    return items


def _usage_items(data: Dataset, invoice: Json) -> list[Json]:
    rng = random.Random(f"{data.seed}/{invoice['id']}/usage")
    end = invoice["billingPeriodEndDate"]
    items = []
    for customer, sub in _subscriptions(data, "usage", end):
        for category, subcategory, name, unit, price in rng.sample(AZURE_METERS, 2):
            quantity = round(rng.uniform(1, 700), 4)
            items.append(
                {
                    "partnerId": data.partner.id,
                    "partnerName": data.partner_name,
                    "customerId": customer["id"],
                    "customerName": customer["companyProfile"]["companyName"],
                    "mpnId": data.mpn_id,
                    "invoiceNumber": invoice["id"],
                    "subscriptionId": sub["id"],
                    "subscriptionName": sub["friendlyName"],
                    "chargeStartDate": invoice["billingPeriodStartDate"],
                    "chargeEndDate": end,
                    "serviceName": category,
                    "serviceType": subcategory,
                    "resourceName": name,
                    "region": rng.choice(REGIONS),
                    "consumedQuantity": quantity,
                    "unit": unit,
                    "listPrice": price,
                    "postTaxTotal": round(quantity * price * 1.08, 2),
                    "currency": "USD",
                    "invoiceLineItemType": "UsageLineItems",
                    "billingProvider": "Azure",
                    "attributes": {"objectType": "DailyUsageLineItem"},
                }
            )
    return items


def utilization_records(
    data: Dataset,
    customer_id: str,
    subscription: Json,
    start: float,
    end: float,
    *,
    hourly: bool,
    show_details: bool,
) -> list[Json]:
    """Azure utilization records of one Azure subscription over ``[start, end)``."""
    if subscription["billingType"] != "usage":
        return []
    sid = subscription["id"]
    meters = random.Random(f"{data.seed}/{sid}/meters").sample(AZURE_METERS, 3)
    region = REGIONS[int(sid[:2], 16) % len(REGIONS)]
    step = 3600.0 if hourly else DAY
    first = start - (start % step)
    records = []
    slot = first
    while slot < end:
        rng = random.Random(f"{data.seed}/{sid}/{int(slot)}")
        for category, subcategory, name, unit, _price in meters:
            resource_id = (
                f"/subscriptions/{sid}/resourceGroups/rg-{category.lower().replace(' ', '')}"
            )
            record: Json = {
                "usageStartTime": iso(slot),
                "usageEndTime": iso(slot + step),
                "resource": {
                    "id": f"{category.lower()}-{name.lower()}".replace(" ", "-").replace("/", "-"),
                    "name": name,
                    "category": category,
                    "subcategory": subcategory,
                    "region": region,
                },
                "quantity": round(rng.uniform(0.01, 24.0 if not hourly else 1.0), 6),
                "unit": unit,
                "infoFields": {},
                "attributes": {"objectType": "AzureUtilizationRecord"},
            }
            if show_details:
                record["instanceData"] = {
                    "resourceUri": f"{resource_id}/providers/Microsoft.Compute/virtualMachines/vm1",
                    "location": "westus2",
                    "partNumber": "",
                    "orderNumber": "",
                    "additionalInfo": {},
                    "tags": {},
                }
            records.append(record)
        slot += step
    return records


def customer_usage_summary(data: Dataset, customer: Json, now: float) -> Json:
    """A customer's Azure spending this month against its budget (``CustomerUsageSummary``)."""
    cid = customer["id"]
    rng = random.Random(f"{data.seed}/{cid}/usage-summary")
    azure = [s for s in data.subscriptions[cid] if s["billingType"] == "usage"]
    budget = float(rng.choice((500, 1000, 2500, 5000)))
    cost = round(sum(rng.uniform(50, 1200) for _ in azure), 2)
    return {
        "resourceId": cid,
        "resourceName": customer["companyProfile"]["companyName"],
        "budget": {"amount": budget, "attributes": {"objectType": "SpendingBudget"}},
        "percentUsed": round(100 * cost / budget, 2),
        "usageStartTime": iso(_month_start(now)),
        "usageEndTime": iso(now),
        "totalCost": cost,
        "currencyLocale": "en-US",
        "currencyCode": "USD",
        "links": {"self": link(f"/customers/{cid}/usagesummary")},
        "attributes": {"objectType": "CustomerUsageSummary"},
    }


def partner_usage_summary(data: Dataset, now: float) -> Json:
    """Budget status over the partner's usage-billed customers (``PartnerUsageSummary``)."""
    with_usage = [
        c
        for c in data.customers
        if any(s["billingType"] == "usage" for s in data.subscriptions[c["id"]])
    ]
    rng = random.Random(f"{data.seed}/partner-usage-summary")
    over = sum(1 for _ in with_usage if rng.random() < 0.08)
    trending = sum(1 for _ in with_usage if rng.random() < 0.12)
    return {
        "customersOverBudget": over,
        "customersTrendingOver": trending,
        "customersWithUsageBasedBilling": len(with_usage),
        "resourceId": data.partner.id,
        "resourceName": data.partner_name,
        "usageStartTime": iso(_month_start(now)),
        "usageEndTime": iso(now),
        "currencyLocale": "en-US",
        "currencyCode": "USD",
        "links": {"self": link("/usagesummary")},
        "attributes": {"objectType": "PartnerUsageSummary"},
    }


def _month_start(now: float) -> float:
    day = dt.datetime.fromtimestamp(now, dt.UTC)
    return dt.datetime(day.year, day.month, 1, tzinfo=dt.UTC).timestamp()
