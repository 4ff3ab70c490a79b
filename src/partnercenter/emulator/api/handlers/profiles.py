"""Partner profiles: legal business, organization, MPN, billing and support."""

from __future__ import annotations

from ..call import Call, Json, Result
from ..context import ApiContext, Handler, ok
from ..paging import link


def _address(ctx: ApiContext) -> Json:
    return {
        "country": "US",
        "city": "Redmond",
        "state": "WA",
        "addressLine1": "1 Microsoft Way",
        "postalCode": "98052",
        "firstName": "Partner",
        "lastName": "Admin",
        "phoneNumber": "4255550100",
    }


def _contact(ctx: ApiContext) -> Json:
    return {
        "firstName": "Partner",
        "lastName": "Admin",
        "email": f"admin@{ctx.data.partner.default_domain}",
        "phoneNumber": "4255550100",
    }


def _tagged(ctx: ApiContext, key: str, body: Json, object_type: str, uri: str) -> Result:
    tag = ctx.data.etag(f"profile/{key}")
    body["links"] = {"self": link(uri)}
    body["attributes"] = {"etag": tag, "objectType": object_type}
    return ok(body, etag=tag)


def legal_business(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/profiles/legalbusiness."""
    return _tagged(
        ctx,
        "legalbusiness",
        {
            "address": _address(ctx),
            "companyApproverAddress": _address(ctx),
            "companyApproverEmail": f"approver@{ctx.data.partner.default_domain}",
            "companyName": ctx.data.partner_name,
            "country": "US",
            "primaryContact": _contact(ctx),
            "vettingStatus": "Authorized",
            "vettingSubStatus": "None",
            "vettingVersion": "Current",
            "profileType": "LegalBusinessProfile",
        },
        "LegalBusinessProfile",
        "/profiles/legalbusiness",
    )


def organization(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/profiles/organization."""
    partner = ctx.data.partner
    return _tagged(
        ctx,
        "organization",
        {
            "id": partner.id,
            "companyName": ctx.data.partner_name,
            "defaultAddress": _address(ctx),
            "tenantId": partner.id,
            "domain": partner.default_domain,
            "email": f"admin@{partner.default_domain}",
            "language": "en",
            "culture": "en-US",
            "profileType": "OrganizationProfile",
        },
        "OrganizationProfile",
        "/profiles/organization",
    )


def mpn(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/profiles/mpn."""
    body: Json = {
        "partnerName": ctx.data.partner_name,
        "mpnId": ctx.data.mpn_id,
        "profileType": "MpnProfile",
        "links": {"self": link("/profiles/mpn")},
        "attributes": {"objectType": "MpnProfile"},
    }
    return ok(body)


def billing(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/profiles/billing."""
    return _tagged(
        ctx,
        "billing",
        {
            "billingCurrency": "USD",
            "purchaseOrderNumber": "",
            "taxId": "",
            "billingContact": _contact(ctx),
            "address": _address(ctx),
            "profileType": "BillingProfile",
        },
        "BillingProfile",
        "/profiles/billing",
    )


def support(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/profiles/support."""
    domain = ctx.data.partner.default_domain
    return _tagged(
        ctx,
        "support",
        {
            "email": f"support@{domain}",
            "telephone": "4255550199",
            "website": f"https://{domain.split('.')[0]}.example.com/support",
            "profileType": "SupportProfile",
        },
        "SupportProfile",
        "/profiles/support",
    )


HANDLERS: dict[str, Handler] = {
    "get_legal_business_profile": legal_business,
    "get_organization_profile": organization,
    "get_mpn_profile": mpn,
    "get_billing_profile": billing,
    "get_support_profile": support,
}
