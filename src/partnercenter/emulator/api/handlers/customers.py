"""Customers: list (continuation paging, filter), get, create, company profile, domain
availability, relationship request link and agreements."""

from __future__ import annotations

import re

from ...._contract import pc_errors
from ... import directory as _directory
from ..call import Call, Json, Result, obj, text
from ..catalog_data import AGREEMENT_TEMPLATES, AGREEMENT_TYPES, TEMPLATES_BY_ID, template_body
from ..context import ApiContext, Handler, customer_of, json_filter, ok, parse_date, record_change
from ..dataset import iso, public
from ..errors import ApiError, invalid
from ..paging import collection

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
#: New customers get an ``<prefix>.onmicrosoft.com`` domain; Partner Center limits the prefix.
_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,25}[a-z0-9])?$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$")
ONMICROSOFT = ".onmicrosoft.com"


def list_customers(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/customers?size=&filter=: continuation paging."""
    items = ctx.data.customers
    keep: dict[str, str] = {}
    found = json_filter(
        call,
        {
            "domain": {"starts_with"},
            "companyname": {"starts_with"},
            "indirectreseller": {"equals", "starts_with"},
        },
    )
    if found is not None:
        field, value, _operator = found
        keep["filter"] = call.query["filter"]
        needle = value.lower()
        if field == "domain":
            items = [c for c in items if c["companyProfile"]["domain"].startswith(needle)]
        elif field == "companyname":
            items = [
                c for c in items if c["companyProfile"]["companyName"].lower().startswith(needle)
            ]
        else:
            # No customer is served through an indirect reseller in the seed.
            items = []
    page = ctx.pager.page(call, items, base="/v1/customers", keep=keep)
    page["items"] = [list_item(customer) for customer in page["items"]]
    return ok(page)


#: What a customer carries in a list, as Microsoft's "Get a list of customers" example shows
#: (https://learn.microsoft.com/partner-center/developer/get-a-list-of-customers); the rest
#: (``commerceId``, ``billingProfile``, ``allowDelegatedAccess``...) only comes by id.
LIST_ITEM_FIELDS = ("id", "companyProfile", "relationshipToPartner", "links", "attributes")


def list_item(customer: Json) -> Json:
    """The lighter shape of a customer in a collection."""
    return {name: customer[name] for name in LIST_ITEM_FIELDS if name in customer}


def get_customer(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/customers/{id}."""
    return ok(public(customer_of(ctx, call)))


def company_profile(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/customers/{id}/profiles/company."""
    customer = customer_of(ctx, call)
    return ok(dict(customer["companyProfile"]))


def normalize_domain(raw: str) -> str | None:
    """A domain as Partner Center checks it: a bare prefix means ``<prefix>.onmicrosoft.com``."""
    domain = raw.strip().lower().rstrip(".")
    if "." not in domain:
        domain += ONMICROSOFT
    return domain if _DOMAIN.match(domain) else None


def domain_availability(ctx: ApiContext, call: Call) -> Result:
    """HEAD /v1/domains/{domain}: 200 taken, 404 free, empty body."""
    domain = normalize_domain(call.param("domain"))
    if domain is None:
        return Result(None, 400)
    # 200 = taken, 404 = free; the body is empty either way.
    return Result(None, 200 if ctx.data.domain_taken(domain) else 404)


def create_customer(ctx: ApiContext, call: Call) -> Result:
    """POST /v1/customers: 201 with the admin's credentials; 409 if the domain is taken."""
    body = call.body_object()
    company = obj(body, "companyProfile")
    raw_domain = text(company, "domain")
    assert raw_domain is not None
    domain = raw_domain.strip().lower()
    if not domain.endswith(ONMICROSOFT):
        domain += ONMICROSOFT
    prefix = domain[: -len(ONMICROSOFT)]
    if not _PREFIX.match(prefix):
        raise invalid(
            "companyProfile.domain must be an available '<prefix>.onmicrosoft.com' domain; the "
            "prefix has 1 to 27 letters, digits or hyphens."
        )
    billing_in = obj(body, "billingProfile")
    email = text(billing_in, "email")
    assert email is not None
    if not _EMAIL.match(email):
        raise invalid("billingProfile.email is not an email address.")
    company_name = text(billing_in, "companyName", max_length=256)
    assert company_name is not None
    culture = text(billing_in, "culture", required=False) or "en-US"
    language = text(billing_in, "language", required=False) or "en"
    address_in = obj(billing_in, "defaultAddress")
    address: Json = {}
    for name in ("country", "city", "addressLine1", "postalCode"):
        address[name] = text(address_in, name, max_length=128)
    if not re.match(r"^[A-Za-z]{2}$", address["country"]):
        raise invalid("billingProfile.defaultAddress.country must be a two-letter country code.")
    address["country"] = address["country"].upper()
    for name in ("state", "addressLine2", "firstName", "lastName", "phoneNumber"):
        value = text(address_in, name, required=False, max_length=128)
        if value is not None:
            address[name] = value
    if ctx.data.domain_taken(domain):
        raise ApiError(pc_errors.ALREADY_EXISTS, what=f"The domain '{domain}'")
    billing: Json = {
        "firstName": text(billing_in, "firstName", required=False) or address.get("firstName", ""),
        "lastName": text(billing_in, "lastName", required=False) or address.get("lastName", ""),
        "email": email,
        "culture": culture,
        "language": language,
        "companyName": company_name,
        "defaultAddress": address,
    }
    customer, password = ctx.data.create_customer(domain, company_name, billing, call.now)
    record_change(
        ctx, call, customer, "customer", "create_customer", {"id": customer["id"], "domain": domain}
    )
    answer = public(customer)
    answer["userCredentials"] = {"userName": "admin", "password": password}
    result = ok(answer, status=201)
    result.headers["Location"] = f"/v1/customers/{customer['id']}"
    return result


def relationship_request(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/customers/relationshiprequests: the reseller invitation link."""
    partner = ctx.data.partner
    url = (
        "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship"
        f"&partnerId={partner.id}&msppId=0&DAP=true#/BillingAccounts/partner-invitation"
    )
    return ok({"url": url, "attributes": {"objectType": "CustomerRelationshipRequest"}})


def list_agreements(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/agreements?agreementType=: agreement templates."""
    wanted = call.query.get("agreementtype")
    templates = list(AGREEMENT_TEMPLATES)
    if wanted and wanted.lower() != "all":
        by_type = {t.lower(): t for t in AGREEMENT_TYPES}
        if wanted.lower() not in by_type:
            raise invalid(f"agreementType must be one of {', '.join(AGREEMENT_TYPES)} or All.")
        templates = [t for t in templates if t.agreement_type.lower() == wanted.lower()]
    # "Get agreement metadata" shows items without per-item ``attributes``.
    items = [
        {key: value for key, value in template_body(t).items() if key != "attributes"}
        for t in templates
    ]
    return ok(collection(items, self_uri="/agreements"))


#: What a customer agreement carries in a list, as "Get confirmation of customer acceptance
#: of Microsoft Customer Agreement" shows; ``userId`` and ``attributes`` come only from the
#: POST that records an acceptance.
AGREEMENT_LIST_FIELDS = ("primaryContact", "templateId", "dateAgreed", "type", "agreementLink")


def list_customer_agreements(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/customers/{id}/agreements."""
    customer = customer_of(ctx, call)
    cid = customer["id"]
    items = list(ctx.data.customer_agreements[cid])
    wanted = call.query.get("agreementtype")
    if wanted and wanted.lower() != "all":
        items = [a for a in items if a["type"].lower() == wanted.lower()]
    items = [{key: a[key] for key in AGREEMENT_LIST_FIELDS if key in a} for a in items]
    return ok(collection(items, self_uri=f"/customers/{cid}/agreements"))


def create_customer_agreement(ctx: ApiContext, call: Call) -> Result:
    """POST /v1/customers/{id}/agreements: record a customer's acceptance."""
    customer = customer_of(ctx, call)
    body = call.body_object()
    contact_in = obj(body, "primaryContact")
    contact: Json = {}
    for name in ("firstName", "lastName", "email"):
        contact[name] = text(contact_in, name, max_length=128)
    if not _EMAIL.match(contact["email"]):
        raise invalid("primaryContact.email is not an email address.")
    phone = text(contact_in, "phoneNumber", required=False, max_length=64)
    if phone is not None:
        contact["phoneNumber"] = phone
    template_id = text(body, "templateId")
    assert template_id is not None
    template = TEMPLATES_BY_ID.get(template_id.lower())
    if template is None:
        raise invalid(f"templateId '{template_id}' is not an agreement template.")
    kind = text(body, "type", required=False)
    if kind is not None and kind.lower() != template.agreement_type.lower():
        raise invalid(f"type '{kind}' does not match the template ({template.agreement_type}).")
    agreed_raw = text(body, "dateAgreed")
    assert agreed_raw is not None
    agreed = parse_date(agreed_raw, "dateAgreed")
    agreement: Json = {
        "primaryContact": contact,
        "templateId": template.template_id,
        "dateAgreed": iso(agreed),
        "type": template.agreement_type,
        "agreementLink": template.link,
        "userId": text(body, "userId", required=False)
        or call.principal.object_id
        or _directory.derived_id("partner-user", "admin"),
        "attributes": {"objectType": "Agreement"},
    }
    ctx.data.customer_agreements[customer["id"]].append(agreement)
    return ok(agreement, status=201)


HANDLERS: dict[str, Handler] = {
    "list_customers": list_customers,
    "create_customer": create_customer,
    "get_relationship_request_link": relationship_request,
    "get_customer": get_customer,
    "get_customer_company_profile": company_profile,
    "check_domain_availability": domain_availability,
    "list_agreements": list_agreements,
    "list_customer_agreements": list_customer_agreements,
    "create_customer_agreement": create_customer_agreement,
}
