"""The Partner Center operations this project knows, and which credentials each accepts.

One table shared by the client (which refuses, before sending, an app-only credential on an
app + user operation) and the emulator (which enforces the same rule on the wire), so the two
agree by construction. Source: Microsoft's Partner Center REST reference
(https://learn.microsoft.com/partner-center/developer/partner-center-rest-api-reference).
Each operation also names the Partner Center roles whose users may call it with app + user
credentials (Microsoft's roles-and-permissions page,
https://learn.microsoft.com/partner-center/account-settings/permissions-overview); the
emulator refuses other users with 403 / 900150.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import quote


class Access(enum.Enum):
    """Which kinds of token an operation accepts."""

    #: App-only or app + user.
    BOTH = "both"
    #: App + user only: an app-only token gets 403 "can't be accessed by application credentials".
    APP_USER = "app+user"
    #: A delegated user only (analytics).
    USER = "user"

    @property
    def accepts_app_only(self) -> bool:
        return self is Access.BOTH


class Paging(enum.Enum):
    """How a collection operation pages."""

    NONE = "none"
    #: ``links.next.uri`` with ``offset=`` (and no headers).
    OFFSET = "offset"
    #: ``seekOperation=Next`` plus the ``MS-ContinuationToken`` header.
    CONTINUATION = "continuation"


class Role(enum.Enum):
    """A Partner Center role a partner user can hold (app-only calls have no role check)."""

    GLOBAL_ADMIN = "global_admin"
    ADMIN_AGENT = "admin_agent"
    SALES_AGENT = "sales_agent"
    HELPDESK_AGENT = "helpdesk_agent"
    BILLING_ADMIN = "billing_admin"


_GA, _AA, _SA, _HA, _BA = (
    Role.GLOBAL_ADMIN,
    Role.ADMIN_AGENT,
    Role.SALES_AGENT,
    Role.HELPDESK_AGENT,
    Role.BILLING_ADMIN,
)
#: Role sets the operations share (the agent roles act on customers; billing on invoices).
EVERYONE: Final = frozenset(Role)
ADMINS: Final = frozenset({_GA, _AA})
AGENTS: Final = frozenset({_GA, _AA, _SA, _HA})
SALES: Final = frozenset({_GA, _AA, _SA})
SUPPORT: Final = frozenset({_GA, _AA, _HA})
BILLING: Final = frozenset({_GA, _AA, _BA})
USAGE: Final = frozenset({_GA, _AA, _SA, _BA})

_PARAM = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    method: str
    #: Path template under the API root, e.g. ``/v1/customers/{customer_id}``.
    path: str
    access: Access
    paging: Paging = Paging.NONE
    summary: str = ""
    #: The Partner Center roles whose users may call it (app + user credentials).
    roles: frozenset[Role] = ADMINS
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Template parameters match one path segment; the rest matches literally.
        pieces = _PARAM.split(self.path)
        regex = "".join(
            f"(?P<{piece}>[^/]+)" if index % 2 else re.escape(piece)
            for index, piece in enumerate(pieces)
        )
        object.__setattr__(self, "pattern", re.compile(f"^{regex}/?$", re.IGNORECASE))

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(_PARAM.findall(self.path))

    def format_path(self, **values: str) -> str:
        """The concrete path; every template parameter must be given (``ValueError`` naming it)."""
        missing = [name for name in self.parameters if not values.get(name)]
        if missing:
            raise ValueError(f"{self.name}: missing path parameter {missing[0]!r}")
        return _PARAM.sub(lambda m: quote(str(values[m.group(1)]), safe=""), self.path)


B, AU = Access.BOTH, Access.APP_USER
OFF, CONT = Paging.OFFSET, Paging.CONTINUATION

OPERATIONS: Final[tuple[Operation, ...]] = (
    Operation(
        "get_legal_business_profile",
        "GET",
        "/v1/profiles/legalbusiness",
        B,
        summary="The partner's legal business profile",
        roles=EVERYONE,
    ),
    Operation(
        "get_organization_profile",
        "GET",
        "/v1/profiles/organization",
        AU,
        summary="The partner's organization profile",
        roles=EVERYONE,
    ),
    Operation(
        "get_mpn_profile",
        "GET",
        "/v1/profiles/mpn",
        AU,
        summary="The partner's MPN (partner network) profile",
        roles=EVERYONE,
    ),
    Operation(
        "get_billing_profile",
        "GET",
        "/v1/profiles/billing",
        AU,
        summary="The partner's billing profile",
        roles=BILLING,
    ),
    Operation(
        "get_support_profile",
        "GET",
        "/v1/profiles/support",
        AU,
        summary="The partner's support profile",
        roles=EVERYONE,
    ),
    Operation(
        "list_customers",
        "GET",
        "/v1/customers",
        B,
        CONT,
        summary="The partner's customers (size=, filter=)",
        roles=AGENTS,
    ),
    Operation(
        "create_customer", "POST", "/v1/customers", B, summary="Create a customer", roles=SALES
    ),
    Operation(
        "get_relationship_request_link",
        "GET",
        "/v1/customers/relationshiprequests",
        AU,
        summary="The link that invites a customer into a reseller relationship",
        roles=SALES,
    ),
    Operation(
        "get_customer", "GET", "/v1/customers/{customer_id}", B, summary="A customer", roles=AGENTS
    ),
    Operation(
        "get_customer_company_profile",
        "GET",
        "/v1/customers/{customer_id}/profiles/company",
        AU,
        summary="A customer's company profile",
        roles=AGENTS,
    ),
    Operation(
        "list_subscriptions",
        "GET",
        "/v1/customers/{customer_id}/subscriptions",
        B,
        summary="A customer's subscriptions",
        roles=AGENTS,
    ),
    Operation(
        "get_subscription",
        "GET",
        "/v1/customers/{customer_id}/subscriptions/{subscription_id}",
        B,
        summary="One subscription",
        roles=AGENTS,
    ),
    Operation(
        "update_subscription",
        "PATCH",
        "/v1/customers/{customer_id}/subscriptions/{subscription_id}",
        B,
        summary="Change a subscription's quantity, status, auto-renewal or name (If-Match)",
        roles=SALES,
    ),
    Operation(
        "list_azure_utilization",
        "GET",
        "/v1/customers/{customer_id}/subscriptions/{subscription_id}/utilizations/azure",
        B,
        CONT,
        summary="Azure utilization records (start_time=, end_time=)",
        roles=USAGE,
    ),
    Operation(
        "list_customer_users",
        "GET",
        "/v1/customers/{customer_id}/users",
        AU,
        CONT,
        summary="A customer's users",
        roles=SUPPORT,
    ),
    Operation(
        "create_customer_user",
        "POST",
        "/v1/customers/{customer_id}/users",
        AU,
        summary="Create a user in a customer's tenant",
        roles=ADMINS,
    ),
    Operation(
        "reset_user_password",
        "PATCH",
        "/v1/customers/{customer_id}/users/{user_id}",
        AU,
        summary="Reset a customer user's password",
        roles=SUPPORT,
    ),
    Operation(
        "list_invoices",
        "GET",
        "/v1/invoices",
        B,
        OFF,
        summary="The partner's invoices (size=, offset=)",
        roles=BILLING,
    ),
    Operation(
        "get_invoice", "GET", "/v1/invoices/{invoice_id}", AU, summary="One invoice", roles=BILLING
    ),
    Operation(
        "list_invoice_line_items",
        "GET",
        "/v1/invoices/{invoice_id}/lineitems",
        B,
        OFF,
        summary="An invoice's line items (provider=, invoicelineitemtype=, size=)",
        roles=BILLING,
    ),
    Operation(
        "list_audit_records",
        "GET",
        "/v1/auditrecords",
        B,
        CONT,
        summary="Audit records (startDate=, endDate=, size=, filter=)",
        roles=EVERYONE,
    ),
    Operation(
        "list_offers", "GET", "/v1/offers", B, OFF, summary="Offers (country=)", roles=EVERYONE
    ),
    Operation(
        "list_products",
        "GET",
        "/v1/products",
        B,
        OFF,
        summary="Products (country=, targetView=)",
        roles=EVERYONE,
    ),
    Operation(
        "list_product_skus",
        "GET",
        "/v1/products/{product_id}/skus",
        B,
        summary="A product's SKUs (country=)",
        roles=EVERYONE,
    ),
    Operation(
        "create_cart",
        "POST",
        "/v1/customers/{customer_id}/carts",
        B,
        summary="Create a cart",
        roles=SALES,
    ),
    Operation(
        "checkout_cart",
        "POST",
        "/v1/customers/{customer_id}/carts/{cart_id}/checkout",
        B,
        summary="Check out a cart (creates orders)",
        roles=SALES,
    ),
    Operation(
        "list_orders",
        "GET",
        "/v1/customers/{customer_id}/orders",
        B,
        summary="A customer's orders",
        roles=AGENTS,
    ),
    Operation(
        "create_order",
        "POST",
        "/v1/customers/{customer_id}/orders",
        B,
        summary="Create an order",
        roles=SALES,
    ),
    Operation(
        "get_order",
        "GET",
        "/v1/customers/{customer_id}/orders/{order_id}",
        B,
        summary="One order",
        roles=AGENTS,
    ),
    Operation(
        "list_customer_service_requests",
        "GET",
        "/v1/customers/{customer_id}/servicerequests",
        AU,
        summary="A customer's service requests",
        roles=SUPPORT,
    ),
    Operation(
        "get_service_request",
        "GET",
        "/v1/servicerequests/{service_request_id}",
        AU,
        summary="One of the partner's service requests",
        roles=SUPPORT,
    ),
    Operation(
        "list_agreements",
        "GET",
        "/v1/agreements",
        AU,
        summary="Agreement metadata (agreementType=)",
        roles=SALES,
    ),
    Operation(
        "list_customer_agreements",
        "GET",
        "/v1/customers/{customer_id}/agreements",
        AU,
        summary="Agreements a customer accepted",
        roles=SALES,
    ),
    Operation(
        "create_customer_agreement",
        "POST",
        "/v1/customers/{customer_id}/agreements",
        AU,
        summary="Confirm a customer's acceptance of an agreement",
        roles=SALES,
    ),
    Operation(
        "check_domain_availability",
        "HEAD",
        "/v1/domains/{domain}",
        B,
        summary="200 when the onmicrosoft.com domain is taken, 404 when free",
        roles=SALES,
    ),
    Operation(
        "get_customer_usage_summary",
        "GET",
        "/v1/customers/{customer_id}/usagesummary",
        AU,
        summary="A customer's usage summary",
        roles=USAGE,
    ),
    Operation(
        "get_partner_usage_summary",
        "GET",
        "/v1/usagesummary",
        AU,
        summary="The partner's usage summary",
        roles=USAGE,
    ),
    Operation(
        "list_indirect_resellers",
        "GET",
        "/v1/relationships",
        AU,
        summary="Indirect resellers (relationship_type=IsIndirectCloudSolutionProviderOf)",
        roles=SALES,
    ),
    Operation(
        "get_mfa_adoption_status",
        "GET",
        "/v1/applicationmfaadoptionstatus",
        AU,
        summary="MFA adoption of the partner's applications",
        roles=ADMINS,
    ),
)

BY_NAME: Final[dict[str, Operation]] = {op.name: op for op in OPERATIONS}


def get(name: str) -> Operation:
    """The operation called ``name`` (``KeyError`` listing close names if unknown)."""
    try:
        return BY_NAME[name]
    except KeyError:
        close = [n for n in BY_NAME if name.split("_")[-1] in n][:5]
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"no Partner Center operation named {name!r}{hint}") from None


def match(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    """The operation a request is for, with its path parameters (``None`` if unknown).

    ``path`` may carry or omit the ``/v1`` prefix, as Partner Center's own links do.
    """
    if not path.lower().startswith("/v1/"):
        path = "/v1" + (path if path.startswith("/") else "/" + path)
    method = method.upper()
    for op in OPERATIONS:
        if op.method != method:
            continue
        found = op.pattern.match(path)
        if found:
            return op, found.groupdict()
    return None
