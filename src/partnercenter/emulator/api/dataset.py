"""The partner's seeded world: customers, subscriptions, users, orders, invoices, audit
records, service requests, agreements, resellers and profiles, plus the changes API calls
make to it (new customers, users, carts, orders, password resets).

Reproducible: one ``random.Random(seed)`` and ids derived from names (``derived_id``), with
dates counted back from a fixed anchor (``ANCHOR``), so every run serves the same data. The
directory's own customer tenants are customers with their real tenant ids and domains (and
their directory users), followed by ``generated`` made-up companies. Resources are stored in
the JSON shape Partner Center serves them (camelCase, ``links``, ``attributes.objectType``),
so handlers serve them without copying field by field.
"""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import functools
import hashlib
import json
import random
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..directory import ID_NAMESPACE, Directory, Tenant
from .catalog_data import (
    AGREEMENT_TEMPLATES,
    PRODUCTS,
    PRODUCTS_BY_ID,
    Offer,
    Product,
)
from .paging import link

Json = dict[str, Any]

#: Generated history ends here (2026-11-01T00:00:00Z); created resources use the clock.
ANCHOR = dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp()
DAY = 86_400.0
#: .NET ticks (100 ns) from 0001-01-01 to the Unix epoch, for ids Partner Center builds from them.
_DOTNET_EPOCH_TICKS = 621_355_968_000_000_000
HISTORY_MONTHS = 12
AUDIT_DAYS = 90
AUDIT_RECORDS = 600
SERVICE_REQUESTS = 80
RESELLERS = 12
MAX_CARTS = 10_000
#: Audit records kept; the oldest go first (a long-running emulator must not grow forever).
MAX_AUDIT_RECORDS = 100_000

_FIRST = (
    "Alpine", "Bellows", "Blue Yonder", "Coho", "Consolidated", "Datum", "Fourth Coffee",
    "Graphic Design", "Humongous", "Litware", "Lucerne", "Margie's", "Nod", "Northwind",
    "Proseware", "Relecloud", "Southridge", "Tailspin", "Trey", "VanArsdel", "Wide World",
    "Woodgrove", "Lamna", "Munson's", "Best For You", "Contoso Pharma", "Fincher", "Olympia",
    "Trey Research", "Bluebird",
)  # fmt: skip
_SECOND = (
    "Traders", "Health", "Logistics", "Bank", "Publishing", "Insurance", "Winery", "Airlines",
    "Foods", "Research", "Studios", "Energy", "Motors", "Consulting", "Labs", "Pharmacy",
    "Architects", "Outfitters", "Analytics", "Freight",
)  # fmt: skip
_GIVEN = (
    "Adele", "Alex", "Ben", "Carla", "Diego", "Emily", "Farah", "Grady", "Henrietta", "Isaiah",
    "Johanna", "Kenji", "Lee", "Lidia", "Lynne", "Megan", "Miriam", "Nestor", "Omar", "Patti",
    "Pradeep", "Raul", "Sofia", "Tomas", "Uma", "Yuki", "Zainab",
)  # fmt: skip
_FAMILY = (
    "Vance", "Wilber", "Andersen", "Diaz", "Braun", "Gonzales", "Khan", "Archie", "Mueller",
    "Holt", "Lang", "Tanaka", "Gu", "Holloway", "Robbins", "Bowen", "Caldwell", "Sherman",
    "Ali", "Fernandez", "Gupta", "Sanchez", "Ivanova", "Novak", "Patel", "Sato", "Okafor",
)  # fmt: skip
_CITIES = (
    ("US", "Redmond", "WA", "98052"), ("US", "Seattle", "WA", "98101"),
    ("US", "Chicago", "IL", "60601"), ("US", "Austin", "TX", "73301"),
    ("US", "New York", "NY", "10001"), ("US", "Denver", "CO", "80202"),
    ("CA", "Toronto", "ON", "M5H 2N2"), ("GB", "London", "", "EC1A 1BB"),
    ("DE", "Munich", "", "80331"), ("FR", "Paris", "", "75001"),
    ("NL", "Amsterdam", "", "1012 JS"), ("AU", "Sydney", "NSW", "2000"),
)  # fmt: skip
_STREETS = ("Main St", "Market St", "1st Ave", "Oak Rd", "Pine St", "Harbor Blvd", "King St")
_AUDIT_OPERATIONS = (
    ("customer", "update_customer_qualification"),
    ("order", "create_order"),
    ("order", "update_order"),
    ("subscription", "update_subscription"),
    ("subscription", "upgrade_subscription"),
    ("customer_user", "create_customer_user"),
    ("customer_user", "update_customer_user"),
    ("customer_user", "reset_customer_user_password"),
    ("customer_user", "delete_customer_user"),
    ("customer", "update_customer_billing_profile"),
)
_SUPPORT_TOPICS = (
    ("32444671", "Billing - Invoice questions"),
    ("32444685", "Licensing - Assign licenses"),
    ("32444699", "Office 365 - Exchange Online mail flow"),
    ("32444702", "Azure - Virtual machine connectivity"),
    ("32444716", "Account management - Relationship"),
)
#: Azure meters (category, subcategory, name, unit, USD price) for usage data.
AZURE_METERS = (
    ("Virtual Machines", "Dv3/DSv3 Series", "D2 v3/D2s v3", "Hours", 0.096),
    ("Storage", "Standard SSD Managed Disks", "E10 Disks", "1/Month", 9.6),
    ("Storage", "Tables", "LRS Data Stored", "1 GB/Month", 0.045),
    ("Bandwidth", "", "Standard Data Transfer Out", "1 GB", 0.087),
    ("SQL Database", "General Purpose", "vCore", "1 Hour", 0.5044),
    ("Azure App Service", "Basic Plan", "B1", "1 Hour", 0.075),
)
REGIONS = ("US West 2", "US East", "EU West", "EU North", "AU East")


def iso(epoch: float) -> str:
    """Partner Center's UTC timestamp format, ``2026-10-01T12:00:00Z``."""
    # Arithmetic plus a cached date: time.gmtime + strftime dominated the data build.
    day, second = divmod(int(epoch), 86_400)
    return f"{_date_text(day)}T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}Z"


@functools.lru_cache(maxsize=4096)
def _date_text(days_since_epoch: int) -> str:
    return dt.date.fromordinal(_EPOCH_ORDINAL + days_since_epoch).isoformat()


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def etag_for(key: str, version: int) -> str:
    """An opaque, stable ETag value per resource version."""
    digest = hashlib.sha256(f"{key}:{version}".encode()).digest()[:9]
    return base64.urlsafe_b64encode(digest).decode("ascii")


def derived_id(*parts: str) -> str:
    """``directory.derived_id`` (uuid5 in the emulator's namespace), about 4x faster.

    The build derives thousands of ids; ``uuid.uuid5`` spends most of its time constructing
    ``UUID`` objects. Same bytes, same string (a test checks it).
    """
    digest = bytearray(hashlib.sha1(_NAMESPACE + "/".join(parts).encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_NAMESPACE = ID_NAMESPACE.bytes


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def month_start(months_back: int) -> float:
    """The first of the month ``months_back`` months before the anchor's month."""
    anchor = dt.datetime.fromtimestamp(ANCHOR, dt.UTC)
    index = anchor.year * 12 + anchor.month - 1 - months_back
    return dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=dt.UTC).timestamp()


def month_end(start: float) -> float:
    """The last second of the month that starts at ``start``."""
    day = dt.datetime.fromtimestamp(start, dt.UTC)
    return start + (calendar.monthrange(day.year, day.month)[1]) * DAY - 1


@dataclass(slots=True)
class Contact:
    """A generated person: name, email and phone."""

    first: str
    last: str
    email: str
    phone: str


class Dataset:
    """The seeded data and its indices; every mutation keeps the indices in step."""

    def __init__(self, directory: Directory, *, seed: int, generated_customers: int) -> None:
        started = time.perf_counter()
        self.rng = random.Random(seed)
        self.seed = seed
        self.partner: Tenant = directory.partner_tenant
        self.partner_name = self.partner.name
        self.mpn_id = str(4_000_000 + int(derived_id("mpn", self.partner.id)[:5], 16) % 999_999)
        self.customers: list[Json] = []
        self.customer_index: dict[str, Json] = {}
        self.domains: dict[str, str] = {}
        self.subscriptions: dict[str, list[Json]] = {}
        self.subscription_index: dict[tuple[str, str], Json] = {}
        self.users: dict[str, list[Json]] = {}
        self.user_index: dict[tuple[str, str], Json] = {}
        self.orders: dict[str, list[Json]] = {}
        self.order_index: dict[tuple[str, str], Json] = {}
        self.carts: OrderedDict[tuple[str, str], Json] = OrderedDict()
        self.invoices: list[Json] = []
        self.invoice_index: dict[str, Json] = {}
        self.audit: list[Json] = []
        self.service_requests: list[Json] = []
        self.service_request_index: dict[str, Json] = {}
        self.customer_agreements: dict[str, list[Json]] = {}
        self.resellers: list[Json] = []
        self.versions: dict[str, int] = {}
        #: Directory tenants the partner has no reseller relationship with (403 / 20002).
        self.unrelated: frozenset[str] = frozenset(
            t.id.lower() for t in directory.customer_tenants if t.relationship == "none"
        )
        # Tenants of the directory own their domains even when they are not customers.
        for tenant in directory.tenants:
            for domain in tenant.domains:
                self.domains[domain.lower()] = tenant.id
        self._build(directory, generated_customers)
        self.build_seconds = time.perf_counter() - started

    # -- generation ------------------------------------------------------------------------
    def _build(self, directory: Directory, generated: int) -> None:
        rng = self.rng
        for tenant in directory.customer_tenants:
            if tenant.id.lower() in self.unrelated:
                continue
            users = [u for u in directory.users if u.tenant_id == tenant.id]
            customer = self._add_customer(
                tenant.id, tenant.name, list(tenant.domains), created=ANCHOR - 700 * DAY
            )
            cid = customer["id"]
            for user in users:
                first, _, last = user.display_name.partition(" ")
                self._add_user(
                    cid, user.object_id, user.upn, first, last or first, ANCHOR - 600 * DAY
                )
            for _ in range(3):
                self._add_generated_user(cid, tenant.default_domain, ANCHOR - 500 * DAY)
            if tenant.subscriptions is not None:
                self._declared_subscriptions(cid, tenant)
            else:
                # Every directory customer has an Azure plan and a Microsoft 365 subscription,
                # so examples always find both kinds.
                self._seed_subscriptions(cid, [PRODUCTS[0], PRODUCTS[3]])
        used = set(self.domains)
        for index in range(generated):
            name = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)}"
            slug = _slug(name)[:20]
            domain = f"{slug}.onmicrosoft.com"
            suffix = 1
            while domain in used:
                suffix += 1
                domain = f"{slug}{suffix}.onmicrosoft.com"
            used.add(domain)
            if suffix > 1:
                name = f"{name} {suffix}"
            tenant_id = derived_id("customer-tenant", str(self.seed), str(index))
            domains = [domain]
            if rng.random() < 0.3:
                domains.append(f"{slug}{suffix if suffix > 1 else ''}.com")
            created = ANCHOR - rng.uniform(30, 1500) * DAY
            customer = self._add_customer(tenant_id, name, domains, created=created)
            cid = customer["id"]
            for _ in range(rng.randint(2, 6)):
                self._add_generated_user(cid, domain, created)
            count = rng.randint(1, 6)
            products = rng.sample(PRODUCTS[1:15], count)
            if rng.random() < 0.4:
                products.insert(0, PRODUCTS[0])
            self._seed_subscriptions(cid, products)
        self._seed_invoices()
        self._seed_audit()
        self._seed_service_requests()
        self._seed_resellers()

    def _declared_subscriptions(self, cid: str, tenant: Tenant) -> None:
        """The subscriptions a config declared for this customer, one order each."""
        for index, wanted in enumerate(tenant.subscriptions or []):
            product = PRODUCTS_BY_ID[wanted.product_id.lower()]
            line = (product, "0001", wanted.quantity, wanted.billing_cycle)
            order = self._add_order(cid, [line], ANCHOR - 30 * DAY, order_seed=f"declared{index}")
            sid = order["lineItems"][0]["subscriptionId"]
            self.subscription_index[(cid.lower(), sid.lower())]["status"] = wanted.status

    def _contact(self, domain: str) -> Contact:
        first, last = self.rng.choice(_GIVEN), self.rng.choice(_FAMILY)
        phone = f"+1 425 555 {self.rng.randint(0, 9999):04d}"
        return Contact(first, last, f"{first.lower()}.{last.lower()}@{domain}", phone)

    def _address(self, contact: Contact) -> Json:
        country, city, state, postal = self.rng.choice(_CITIES)
        return {
            "country": country,
            "city": city,
            "state": state,
            "addressLine1": f"{self.rng.randint(1, 9999)} {self.rng.choice(_STREETS)}",
            "postalCode": postal,
            "firstName": contact.first,
            "lastName": contact.last,
            "phoneNumber": contact.phone,
        }

    def _add_customer(
        self,
        tenant_id: str,
        name: str,
        domains: list[str],
        *,
        created: float,
        billing: Json | None = None,
    ) -> Json:
        domain = domains[0]
        contact = self._contact(domain)
        cid = tenant_id
        billing_id = derived_id("billing-profile", cid)
        billing = billing or {
            "firstName": contact.first,
            "lastName": contact.last,
            "email": contact.email,
            "culture": "en-US",
            "language": "en",
            "companyName": name,
            "defaultAddress": self._address(contact),
        }
        customer: Json = {
            "id": cid,
            "commerceId": derived_id("commerce", cid),
            "companyProfile": {
                "tenantId": tenant_id,
                "domain": domain,
                "companyName": name,
                "links": {"self": link(f"/customers/{cid}/profiles/company")},
                "attributes": {"objectType": "CustomerCompanyProfile"},
            },
            "billingProfile": {
                "id": billing_id,
                **billing,
                "links": {"self": link(f"/customers/{cid}/profiles/billing")},
                "attributes": {
                    "etag": etag_for(billing_id, 0),
                    "objectType": "CustomerBillingProfile",
                },
            },
            "relationshipToPartner": "reseller",
            "allowDelegatedAccess": True,
            "customDomains": domains[1:],
            "links": {"self": link(f"/customers/{cid}")},
            "attributes": {"objectType": "Customer"},
        }
        # Not in Partner Center's body: kept for the handlers, stripped on output.
        customer["_created"] = created
        self.customers.append(customer)
        self.customer_index[cid.lower()] = customer
        for d in domains:
            self.domains[d.lower()] = cid
        self.subscriptions[cid] = []
        self.users[cid] = []
        self.orders[cid] = []
        template = AGREEMENT_TEMPLATES[1]
        self.customer_agreements[cid] = [
            {
                "primaryContact": {
                    "firstName": contact.first,
                    "lastName": contact.last,
                    "email": contact.email,
                    "phoneNumber": contact.phone,
                },
                "templateId": template.template_id,
                "dateAgreed": iso(created),
                "type": template.agreement_type,
                "agreementLink": template.link,
                "userId": derived_id("partner-user", "admin"),
                "attributes": {"objectType": "Agreement"},
            }
        ]
        return customer

    def _add_generated_user(self, cid: str, domain: str, created: float) -> Json:
        first, last = self.rng.choice(_GIVEN), self.rng.choice(_FAMILY)
        upn = f"{first.lower()}.{last.lower()}@{domain}"
        n = 1
        while (cid.lower(), upn) in self._upns(cid):
            n += 1
            upn = f"{first.lower()}.{last.lower()}{n}@{domain}"
        uid = derived_id("customer-user", cid, upn)
        return self._add_user(cid, uid, upn, first, last, created + self.rng.uniform(0, 30) * DAY)

    def _upns(self, cid: str) -> set[tuple[str, str]]:
        return {(cid.lower(), u["userPrincipalName"].lower()) for u in self.users[cid]}

    def _add_user(
        self,
        cid: str,
        uid: str,
        upn: str,
        first: str,
        last: str,
        created: float,
        *,
        display_name: str | None = None,
        usage_location: str = "US",
    ) -> Json:
        key = f"user/{uid}"
        self.versions[key] = 0
        user: Json = {
            "id": uid,
            "usageLocation": usage_location,
            "userPrincipalName": upn,
            "firstName": first,
            "lastName": last,
            "displayName": display_name or f"{first} {last}",
            "userDomainType": "none",
            "state": "active",
            "softDeletionTime": None,
            "lastDirectorySyncTime": None,
            "creationDate": iso(created),
            "links": {"self": link(f"/customers/{cid}/users/{uid}")},
            "attributes": {"etag": etag_for(key, 0), "objectType": "CustomerUser"},
        }
        self.users[cid].append(user)
        self.user_index[(cid.lower(), uid.lower())] = user
        return user

    def _seed_subscriptions(self, cid: str, products: list[Product]) -> None:
        rng = self.rng
        # Subscriptions arrive in orders of up to three line items.
        for start in range(0, len(products), 3):
            created = ANCHOR - rng.uniform(20, 720) * DAY
            lines = []
            for product in products[start : start + 3]:
                quantity = 1 if product.product_type == "Azure" else rng.randint(1, 60)
                cycle = rng.choice(("monthly", "annual"))
                lines.append((product, "0001", quantity, cycle))
            self._add_order(cid, lines, created, order_seed=str(start))

    def _add_order(
        self,
        cid: str,
        lines: Sequence[tuple[Product | Offer, str, int, str]],
        created: float,
        *,
        order_seed: str,
        status: str = "completed",
    ) -> Json:
        oid = derived_id("order", cid, order_seed)
        items = []
        for number, (item, sku, quantity, cycle) in enumerate(lines):
            subscription = self._add_subscription(
                cid, oid, number, item, sku, quantity, cycle, created
            )
            offer_id = subscription["offerId"]
            items.append(
                {
                    "lineItemNumber": number,
                    "offerId": offer_id,
                    "subscriptionId": subscription["id"],
                    "termDuration": subscription["termDuration"],
                    "transactionType": "New",
                    "friendlyName": subscription["friendlyName"],
                    "quantity": quantity,
                    "links": {
                        "subscription": link(f"/customers/{cid}/subscriptions/{subscription['id']}")
                    },
                }
            )
        cycle = lines[0][3] if lines else "monthly"
        order: Json = {
            "id": oid,
            "alternateId": oid.replace("-", "")[:12],
            "referenceCustomerId": cid,
            "billingCycle": cycle,
            "currencyCode": "USD",
            "currencySymbol": "$",
            "lineItems": items,
            "creationDate": iso(created),
            "status": status,
            "transactionType": "UserPurchase",
            "links": {
                "provisioningStatus": link(f"/customers/{cid}/orders/{oid}/provisioningstatus"),
                "self": link(f"/customers/{cid}/orders/{oid}"),
            },
            "attributes": {"objectType": "Order"},
        }
        self.orders[cid].append(order)
        self.order_index[(cid.lower(), oid.lower())] = order
        return order

    def _add_subscription(
        self,
        cid: str,
        oid: str,
        number: int,
        item: Product | Offer,
        sku: str,
        quantity: int,
        cycle: str,
        created: float,
    ) -> Json:
        sid = derived_id("subscription", cid, oid, str(number))
        key = f"subscription/{sid}"
        self.versions[key] = 0
        if isinstance(item, Product):
            azure = item.product_type == "Azure"
            offer_id, name, product_type, unit = (
                f"{item.id}:{sku}",
                item.title,
                item.product_type,
                item.unit,
            )
            links = {
                "product": link(f"/products/{item.id}?country=US"),
                "sku": link(f"/products/{item.id}/skus/{sku}?country=US"),
            }
            price = item.price
        else:
            azure = False
            offer_id, name, product_type, unit = item.id, item.name, "OnlineServices", item.unit
            links = {"offer": link(f"/offers/{item.id}?country=US")}
            price = item.price
        term_days = 365 if cycle == "annual" else 30
        renewals = max(1, int((ANCHOR - created) // (term_days * DAY)) + 1)
        subscription: Json = {
            "id": sid,
            "entitlementId": derived_id("entitlement", sid),
            "offerId": offer_id,
            "offerName": name,
            "friendlyName": name,
            "productType": {"id": product_type, "displayName": product_type},
            "quantity": quantity,
            "unitType": unit,
            "hasPurchasableAddons": False,
            "creationDate": iso(created),
            "effectiveStartDate": iso(created),
            "commitmentEndDate": iso(created + renewals * term_days * DAY),
            "status": "active" if self.rng.random() < 0.92 else "suspended",
            "autoRenewEnabled": True,
            "isTrial": False,
            "billingType": "usage" if azure else "license",
            "billingCycle": "monthly" if azure else cycle,
            "termDuration": "" if azure else ("P1Y" if cycle == "annual" else "P1M"),
            "refundOptions": [],
            "isMicrosoftProduct": True,
            "partnerId": "",
            "contractType": "subscription",
            "orderId": oid,
            "publisherName": "Microsoft Corporation",
            "links": {**links, "self": link(f"/customers/{cid}/subscriptions/{sid}")},
            "attributes": {"etag": etag_for(key, 0), "objectType": "Subscription"},
            # Kept for billing; stripped on output.
            "_price": price,
        }
        self.subscriptions[cid].append(subscription)
        self.subscription_index[(cid.lower(), sid.lower())] = subscription
        return subscription

    def _seed_invoices(self) -> None:
        license_total = sum(
            s["_price"] * s["quantity"]
            for subs in self.subscriptions.values()
            for s in subs
            if s["billingType"] == "license"
        )
        azure_count = sum(
            1 for subs in self.subscriptions.values() for s in subs if s["billingType"] == "usage"
        )
        number = 24_001
        for back in range(HISTORY_MONTHS, 0, -1):
            start = month_start(back)
            end = month_end(start)
            issued = end + 8 * 3600 + DAY
            for kind in ("Recurring", "OneTime"):
                invoice_id = f"G{number:09d}"
                number += 1
                if kind == "Recurring":
                    total = round(license_total * self.rng.uniform(0.93, 1.02), 2)
                    providers = [("billing_line_items", "office")]
                else:
                    total = round(azure_count * self.rng.uniform(80, 140), 2)
                    providers = [("billing_line_items", "one_time"), ("usage_line_items", "azure")]
                invoice: Json = {
                    "id": invoice_id,
                    "invoiceDate": iso(issued),
                    "billingPeriodStartDate": iso(start),
                    "billingPeriodEndDate": iso(end),
                    "totalCharges": total,
                    "paidAmount": total if back > 1 else 0.0,
                    "currencyCode": "USD",
                    "currencySymbol": "$",
                    "pdfDownloadLink": f"/invoices/{invoice_id}/documents/statement",
                    "invoiceDetails": [
                        {
                            "invoiceLineItemType": line_type,
                            "billingProvider": provider,
                            "links": {
                                "self": link(
                                    f"/invoices/{invoice_id}/lineitems?provider={provider}"
                                    f"&invoicelineitemtype={line_type.replace('_', '')}"
                                )
                            },
                            "attributes": {"objectType": "InvoiceDetail"},
                        }
                        for line_type, provider in providers
                    ],
                    "documentType": "invoice",
                    "amendsOf": None,
                    "invoiceType": kind,
                    "links": {"self": link(f"/invoices/{invoice_id}")},
                    "attributes": {"objectType": "Invoice"},
                }
                self.invoices.append(invoice)
                self.invoice_index[invoice_id.lower()] = invoice
        # Newest first, as Partner Center lists them.
        self.invoices.reverse()

    def _seed_audit(self) -> None:
        rng = self.rng
        times = sorted(ANCHOR - rng.uniform(0, AUDIT_DAYS) * DAY for _ in range(AUDIT_RECORDS))
        partner_upn = f"admin@{self.partner.default_domain}"
        for index, when in enumerate(times):
            customer = rng.choice(self.customers)
            resource_type, operation = rng.choice(_AUDIT_OPERATIONS)
            self.record(
                customer,
                resource_type,
                operation,
                when,
                request_id=derived_id("audit", str(self.seed), str(index)),
                upn=partner_upn,
                application_id="",
                new_value={"id": customer["id"], "operation": operation},
            )

    def record(
        self,
        customer: Json,
        resource_type: str,
        operation: str,
        when: float,
        *,
        request_id: str,
        upn: str | None,
        application_id: str,
        new_value: Json,
    ) -> None:
        """Append an audit record for a change made through the API (or seeded)."""
        # "Get a record of Partner Center activity" shows each record's ``id`` as
        # partner_customer_operation_ticks (.NET ticks of the operation date) and the
        # partner among its ``participants``.
        ticks = int(when * 10_000_000) + _DOTNET_EPOCH_TICKS
        record_id = f"{self.partner.id}_{customer['id']}_{operation.replace('_', '')}_{ticks}"
        self.audit.append(
            {
                "id": record_id,
                "partnerId": self.partner.id,
                "participants": [self.partner.id],
                "customerId": customer["id"],
                "customerName": customer["companyProfile"]["companyName"],
                "userPrincipalName": upn or "",
                "resourceType": resource_type,
                "resourceNewValue": json.dumps(new_value, separators=(",", ":")),
                "operationType": operation,
                "operationDate": iso(when),
                "operationStatus": "succeeded",
                "customizedData": [
                    {"key": "CustomerId", "value": customer["id"]},
                    {"key": "ResourceType", "value": resource_type},
                ],
                "applicationId": application_id,
                "sessionId": derived_id("session", request_id),
                "originatingRequestId": request_id,
                "attributes": {"objectType": "AuditRecord"},
                "_when": when,
            }
        )
        if len(self.audit) > MAX_AUDIT_RECORDS:
            del self.audit[: len(self.audit) - MAX_AUDIT_RECORDS]

    def _seed_service_requests(self) -> None:
        rng = self.rng
        for index in range(SERVICE_REQUESTS):
            # The first customer (the directory's first) always has one, for examples.
            customer = self.customers[0] if index == 0 else rng.choice(self.customers)
            topic_id, topic = rng.choice(_SUPPORT_TOPICS)
            created = ANCHOR - rng.uniform(1, 180) * DAY
            status = rng.choice(("open", "closed", "closed", "attention_needed"))
            srid = str(126_110_100_000_000 + index * 7919)
            profile = customer["billingProfile"]
            request: Json = {
                "title": f"{topic.split(' - ')[-1]} ({customer['companyProfile']['companyName']})",
                "description": f"Customer reports an issue: {topic.lower()}.",
                "severity": rng.choice(("minimal", "moderate", "critical")),
                "supportTopicId": topic_id,
                "supportTopicName": topic,
                "id": srid,
                "status": status,
                # "Get all service requests for a customer" shows a primaryContact on
                # each item; the customer's billing contact stands in for it.
                "primaryContact": {
                    "firstName": profile.get("firstName", ""),
                    "lastName": profile.get("lastName", ""),
                    "email": profile.get("email", ""),
                    "phoneNumber": profile["defaultAddress"]["phoneNumber"],
                },
                "organization": {
                    "id": customer["id"],
                    "name": customer["companyProfile"]["companyName"],
                    "phoneNumber": profile["defaultAddress"]["phoneNumber"],
                },
                "productName": topic.split(" - ")[0],
                "createdDate": iso(created),
                "lastModifiedDate": iso(created + rng.uniform(0, 10) * DAY),
                "lastClosedDate": iso(created + 10 * DAY) if status == "closed" else None,
                "notes": [],
                "countryCode": profile["defaultAddress"]["country"],
                "links": {"self": link(f"/servicerequests/{srid}")},
                "attributes": {"objectType": "ServiceRequest"},
            }
            self.service_requests.append(request)
            self.service_request_index[srid] = request

    def _seed_resellers(self) -> None:
        for index in range(RESELLERS):
            name = f"{self.rng.choice(_FIRST)} Solutions"
            self.resellers.append(
                {
                    "id": derived_id("reseller", str(self.seed), str(index)),
                    "name": f"{name} {index + 1}",
                    # The query value is PascalCase; the resource's value is snake_case, as
                    # "Retrieve a list of indirect resellers" shows.
                    "relationshipType": "is_indirect_cloud_solution_provider_of",
                    "state": "Active",
                    "mpnId": str(5_100_000 + index * 137),
                    "location": self.rng.choice(_CITIES)[0],
                    "attributes": {"objectType": "PartnerRelationship"},
                }
            )

    # -- look-ups ----------------------------------------------------------------------------
    def customer(self, cid: str) -> Json | None:
        """The customer with id ``cid`` (case-insensitive), or ``None``."""
        return self.customer_index.get(cid.lower())

    def domain_taken(self, domain: str) -> bool:
        """Whether a tenant or customer owns ``domain`` (case-insensitive)."""
        return domain.lower() in self.domains

    def etag(self, key: str) -> str:
        """The current ETag of the resource ``key`` (``user/<id>``, ``subscription/<id>``...)."""
        return etag_for(key, self.versions.get(key, 0))

    def bump(self, key: str, resource: Json) -> str:
        """A resource changed: new version, new ETag (stored in ``attributes.etag``)."""
        version = self.versions.get(key, 0) + 1
        self.versions[key] = version
        tag = etag_for(key, version)
        resource["attributes"]["etag"] = tag
        return tag

    # -- changes ------------------------------------------------------------------------------
    def create_customer(
        self, domain: str, company_name: str, billing: Json, now: float
    ) -> tuple[Json, str]:
        """A new customer with an admin user; returns it and the admin's initial password."""
        tenant_id = derived_id("created-customer", domain.lower())
        customer = self._add_customer(
            tenant_id, company_name, [domain], created=now, billing=billing
        )
        admin_upn = f"admin@{domain}"
        uid = derived_id("customer-user", tenant_id, admin_upn)
        self._add_user(tenant_id, uid, admin_upn, "Admin", company_name, now, display_name="Admin")
        return customer, secrets.token_urlsafe(12)

    def create_user(self, cid: str, body: Json, now: float) -> Json:
        """Add a user to a customer from a validated body."""
        upn = body["userPrincipalName"]
        uid = derived_id("customer-user", cid, upn.lower())
        return self._add_user(
            cid,
            uid,
            upn,
            body.get("firstName") or "",
            body.get("lastName") or "",
            now,
            display_name=body["displayName"],
            usage_location=body["usageLocation"],
        )

    def add_cart(self, cid: str, cart: Json) -> None:
        """Keep a cart (bounded: the oldest carts are forgotten)."""
        self.carts[(cid.lower(), cart["id"].lower())] = cart
        while len(self.carts) > MAX_CARTS:
            self.carts.popitem(last=False)

    def place_order(
        self,
        cid: str,
        lines: list[tuple[Product | Offer, str, int, str]],
        now: float,
        *,
        order_seed: str,
    ) -> Json:
        """An order with one subscription per line, as checkout and POST orders create them."""
        return self._add_order(cid, lines, now, order_seed=order_seed)


def public(resource: Json) -> Json:
    """The resource without the emulator's private ``_`` fields (a shallow copy)."""
    return {key: value for key, value in resource.items() if not key.startswith("_")}
