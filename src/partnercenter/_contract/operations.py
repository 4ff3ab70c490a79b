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
from typing import Any, Final
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
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


class Result(enum.Enum):
    """What an operation's typed method returns."""

    #: One JSON object, as a ``dict`` (exactly as Partner Center sends it).
    OBJECT = "object"
    #: A collection: a pager over its items, following whichever paging style the operation
    #: uses (one page when it does not page).
    COLLECTION = "collection"
    #: ``True`` when the API answered 404: a HEAD that asks whether something is taken.
    ABSENT = "absent"


class Kind(enum.Enum):
    """An argument's Python type, and the check the client applies before sending it."""

    #: ``str``, sent as it is.
    TEXT = "text"
    #: ``str``, non-empty, never shown (a password).
    SECRET = "secret"
    #: ``int`` of at least 1: items per page.
    SIZE = "size"
    #: ``str``, ``datetime.date`` or ``datetime.datetime``, sent as ISO 8601 (UTC).
    DATE = "date"
    #: Partner Center's JSON filter: a ``dict`` (sent as JSON) or the JSON text.
    FILTER = "filter"
    #: ``bool``, sent as ``true`` / ``false``.
    FLAG = "flag"
    #: A ``dict``: the JSON body.
    MAPPING = "mapping"


class Where(enum.Enum):
    """Where an argument travels."""

    #: A query parameter named ``Param.wire``.
    QUERY = "query"
    #: The whole JSON body.
    BODY = "body"
    #: A field of a body built from the arguments; ``Param.wire`` is its dotted path.
    FIELD = "field"
    #: The ``If-Match`` header (an ETag read from an earlier answer).
    IF_MATCH = "if_match"


@dataclass(frozen=True, slots=True)
class Param:
    """One argument of an operation's typed method besides its path parameters.

    Required arguments follow the path parameters positionally; optional ones are
    keyword-only, defaulting to ``default`` (``None``: not sent).
    """

    name: str
    kind: Kind
    where: Where = Where.QUERY
    #: The query parameter's name on the wire, or a body field's dotted path.
    wire: str = ""
    required: bool = False
    default: str | bool | None = None
    #: One line for the method's docstring and the docs table.
    doc: str = ""

    def __post_init__(self) -> None:
        if not _IDENTIFIER.match(self.name):
            raise ValueError(f"Param.name must be a Python identifier: {self.name!r}")
        if self.where in (Where.QUERY, Where.FIELD) and not self.wire:
            object.__setattr__(self, "wire", self.name)
        if self.required and self.default is not None:
            raise ValueError(f"Param {self.name!r}: a required argument has no default")


def query(
    name: str, kind: Kind = Kind.TEXT, wire: str = "", *, required: bool = False, **extra: Any
) -> Param:
    """A query parameter (``wire``: its name on the wire, when not ``name``)."""
    return Param(name, kind, Where.QUERY, wire, required, **extra)


def body(name: str, doc: str) -> Param:
    """The operation's JSON body, a required ``dict`` argument called ``name``."""
    return Param(name, Kind.MAPPING, Where.BODY, required=True, doc=doc)


#: Arguments several operations share.
SIZE: Final = query("size", Kind.SIZE, doc="items per page")
FILTER: Final = query(
    "filter",
    Kind.FILTER,
    doc='Partner Center\'s filter, e.g. ``{"Field": ..., "Value": ..., "Operator": ...}``',
)
COUNTRY: Final = query("country", doc="ISO 3166 two-letter country code (Partner Center: required)")
IF_MATCH: Final = Param(
    "if_match", Kind.TEXT, Where.IF_MATCH, doc="the ETag read with the resource (``If-Match``)"
)
AGREEMENT_TYPE: Final = query(
    "agreement_type", wire="agreementType", doc="e.g. ``MicrosoftCustomerAgreement`` or ``All``"
)


@dataclass(frozen=True, slots=True)
class Operation:
    """One Partner Center operation: everything its typed methods, the emulator's routing and
    the docs table need."""

    name: str
    method: str
    #: Path template under the API root, e.g. ``/v1/customers/{customer_id}``.
    path: str
    access: Access
    paging: Paging = Paging.NONE
    #: One sentence: the typed method's docstring.
    summary: str = ""
    #: The Partner Center roles whose users may call it (app + user credentials).
    roles: frozenset[Role] = ADMINS
    #: The typed method's arguments after the path parameters (query, body, If-Match).
    params: tuple[Param, ...] = ()
    result: Result = Result.OBJECT
    #: ``attributes.objectType`` of a body built from :attr:`Where.FIELD` arguments.
    object_type: str | None = None
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    #: Every argument name of the typed method, path parameters first, in signature order.
    arguments: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Template parameters match one path segment; the rest matches literally.
        pieces = _PARAM.split(self.path)
        regex = "".join(
            f"(?P<{piece}>[^/]+)" if index % 2 else re.escape(piece)
            for index, piece in enumerate(pieces)
        )
        object.__setattr__(self, "pattern", re.compile(f"^{regex}/?$", re.IGNORECASE))
        names = (*self.parameters, *(p.name for p in self.signature_params))
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: an argument name is used twice")
        if self.result is Result.ABSENT and self.method != "HEAD":
            raise ValueError(f"{self.name}: only a HEAD answers 404 for 'absent'")
        wheres = [p.where for p in self.params]
        if Where.BODY in wheres and (Where.FIELD in wheres or self.object_type):
            raise ValueError(f"{self.name}: a body is given whole or built from fields, not both")
        object.__setattr__(self, "arguments", names)

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(_PARAM.findall(self.path))

    @property
    def signature_params(self) -> tuple[Param, ...]:
        """:attr:`params` in signature order: the required ones, then the optional ones."""
        return tuple(p for p in self.params if p.required) + tuple(
            p for p in self.params if not p.required
        )

    def format_path(self, **values: str) -> str:
        """The concrete path; every template parameter must be given (``ValueError`` naming it)."""
        missing = [name for name in self.parameters if not values.get(name)]
        if missing:
            raise ValueError(f"{self.name}: missing path parameter {missing[0]!r}")
        return _PARAM.sub(lambda m: quote(str(values[m.group(1)]), safe=""), self.path)


B, AU = Access.BOTH, Access.APP_USER
OFF, CONT = Paging.OFFSET, Paging.CONTINUATION
COLLECTION = Result.COLLECTION

# Query parameter names and meanings: each operation's page of Microsoft's Partner Center REST
# reference (https://learn.microsoft.com/partner-center/developer/); see docs/decisions.md.
OPERATIONS: Final[tuple[Operation, ...]] = (
    Operation(
        "get_legal_business_profile",
        "GET",
        "/v1/profiles/legalbusiness",
        B,
        summary="The partner's legal business profile.",
        roles=EVERYONE,
    ),
    Operation(
        "get_organization_profile",
        "GET",
        "/v1/profiles/organization",
        AU,
        summary="The partner's organization profile.",
        roles=EVERYONE,
    ),
    Operation(
        "get_mpn_profile",
        "GET",
        "/v1/profiles/mpn",
        AU,
        summary="The partner's MPN (partner network) profile.",
        roles=EVERYONE,
    ),
    Operation(
        "get_billing_profile",
        "GET",
        "/v1/profiles/billing",
        AU,
        summary="The partner's billing profile.",
        roles=BILLING,
    ),
    Operation(
        "get_support_profile",
        "GET",
        "/v1/profiles/support",
        AU,
        summary="The partner's support profile.",
        roles=EVERYONE,
    ),
    Operation(
        "list_customers",
        "GET",
        "/v1/customers",
        B,
        CONT,
        summary="The partner's customers.",
        roles=AGENTS,
        params=(SIZE, FILTER),
        result=COLLECTION,
    ),
    Operation(
        "create_customer",
        "POST",
        "/v1/customers",
        B,
        summary="Create a customer; retried safely (one request id).",
        roles=SALES,
        params=(body("customer", "``companyProfile`` and ``billingProfile``"),),
    ),
    Operation(
        "get_relationship_request_link",
        "GET",
        "/v1/customers/relationshiprequests",
        AU,
        summary="The link that invites a customer into a reseller relationship.",
        roles=SALES,
    ),
    Operation(
        "get_customer",
        "GET",
        "/v1/customers/{customer_id}",
        B,
        summary="One customer.",
        roles=AGENTS,
    ),
    Operation(
        "get_customer_company_profile",
        "GET",
        "/v1/customers/{customer_id}/profiles/company",
        AU,
        summary="A customer's company profile.",
        roles=AGENTS,
    ),
    Operation(
        "list_subscriptions",
        "GET",
        "/v1/customers/{customer_id}/subscriptions",
        B,
        summary="A customer's subscriptions.",
        roles=AGENTS,
        result=COLLECTION,
    ),
    Operation(
        "get_subscription",
        "GET",
        "/v1/customers/{customer_id}/subscriptions/{subscription_id}",
        B,
        summary="One subscription (its ETag is on the answer of request()).",
        roles=AGENTS,
    ),
    Operation(
        "update_subscription",
        "PATCH",
        "/v1/customers/{customer_id}/subscriptions/{subscription_id}",
        B,
        summary="Change a subscription's quantity, status, auto-renewal or friendly name.",
        roles=SALES,
        params=(
            body("changes", "the fields to change, or the whole subscription as read"),
            IF_MATCH,
        ),
    ),
    Operation(
        "list_azure_utilization",
        "GET",
        "/v1/customers/{customer_id}/subscriptions/{subscription_id}/utilizations/azure",
        B,
        CONT,
        summary="An Azure subscription's utilization records.",
        roles=USAGE,
        params=(
            query("start_time", Kind.DATE, required=True, doc="start of the range (ISO 8601)"),
            query("end_time", Kind.DATE, required=True, doc="end of the range"),
            query("granularity", doc="``daily`` (Partner Center's default) or ``hourly``"),
            query("show_details", Kind.FLAG, doc="instance-level details (default true)"),
            query("size", Kind.SIZE, doc="records per page (at most 1000)"),
        ),
        result=COLLECTION,
    ),
    Operation(
        "list_customer_users",
        "GET",
        "/v1/customers/{customer_id}/users",
        AU,
        CONT,
        summary="A customer's users.",
        roles=SUPPORT,
        params=(SIZE,),
        result=COLLECTION,
    ),
    Operation(
        "create_customer_user",
        "POST",
        "/v1/customers/{customer_id}/users",
        AU,
        summary="Create a user in a customer's tenant; retried safely (one request id).",
        roles=ADMINS,
        params=(body("user", "the user (``userPrincipalName``, ``passwordProfile``...)"),),
    ),
    Operation(
        "reset_user_password",
        "PATCH",
        "/v1/customers/{customer_id}/users/{user_id}",
        AU,
        summary="Reset a customer user's password.",
        roles=SUPPORT,
        params=(
            Param(
                "password",
                Kind.SECRET,
                Where.FIELD,
                "passwordProfile.password",
                required=True,
                doc="the new password (never logged or shown)",
            ),
            Param(
                "force_change_password",
                Kind.FLAG,
                Where.FIELD,
                "passwordProfile.forceChangePassword",
                default=True,
                doc="whether the user must change it at next sign-in",
            ),
        ),
        object_type="CustomerUser",
    ),
    Operation(
        "list_invoices",
        "GET",
        "/v1/invoices",
        B,
        OFF,
        summary="The partner's invoices.",
        roles=BILLING,
        params=(SIZE,),
        result=COLLECTION,
    ),
    Operation(
        "get_invoice",
        "GET",
        "/v1/invoices/{invoice_id}",
        AU,
        summary="One invoice.",
        roles=BILLING,
    ),
    Operation(
        "list_invoice_line_items",
        "GET",
        "/v1/invoices/{invoice_id}/lineitems",
        B,
        OFF,
        summary="An invoice's line items.",
        roles=BILLING,
        params=(
            query("provider", doc="``Office``, ``Azure``, ``OneTime`` or ``All``"),
            query(
                "invoice_line_item_type",
                wire="invoicelineitemtype",
                doc="``BillingLineItems`` or ``UsageLineItems``",
            ),
            SIZE,
        ),
        result=COLLECTION,
    ),
    Operation(
        "list_audit_records",
        "GET",
        "/v1/auditrecords",
        B,
        CONT,
        summary="The partner's audit records.",
        roles=EVERYONE,
        params=(
            query("start_date", Kind.DATE, "startDate", doc="first day (Partner Center: required)"),
            query("end_date", Kind.DATE, "endDate", doc="last day"),
            SIZE,
            FILTER,
        ),
        result=COLLECTION,
    ),
    Operation(
        "list_offers",
        "GET",
        "/v1/offers",
        B,
        OFF,
        summary="The offers of a country (legacy commerce).",
        roles=EVERYONE,
        params=(COUNTRY, SIZE),
        result=COLLECTION,
    ),
    Operation(
        "list_products",
        "GET",
        "/v1/products",
        B,
        OFF,
        summary="The products of a country (new commerce).",
        roles=EVERYONE,
        params=(
            COUNTRY,
            query("target_view", wire="targetView", doc="e.g. ``OnlineServices``, ``Azure``"),
            SIZE,
        ),
        result=COLLECTION,
    ),
    Operation(
        "list_product_skus",
        "GET",
        "/v1/products/{product_id}/skus",
        B,
        summary="A product's SKUs.",
        roles=EVERYONE,
        params=(COUNTRY,),
        result=COLLECTION,
    ),
    Operation(
        "create_cart",
        "POST",
        "/v1/customers/{customer_id}/carts",
        B,
        summary="Create a cart; retried safely (one request id).",
        roles=SALES,
        params=(body("cart", "the cart (``lineItems``)"),),
    ),
    Operation(
        "checkout_cart",
        "POST",
        "/v1/customers/{customer_id}/carts/{cart_id}/checkout",
        B,
        summary="Check out a cart: the orders it created.",
        roles=SALES,
    ),
    Operation(
        "list_orders",
        "GET",
        "/v1/customers/{customer_id}/orders",
        B,
        summary="A customer's orders.",
        roles=AGENTS,
        result=COLLECTION,
    ),
    Operation(
        "create_order",
        "POST",
        "/v1/customers/{customer_id}/orders",
        B,
        summary="Create an order; retried safely (one request id).",
        roles=SALES,
        params=(body("order", "the order (``lineItems``)"),),
    ),
    Operation(
        "get_order",
        "GET",
        "/v1/customers/{customer_id}/orders/{order_id}",
        B,
        summary="One order.",
        roles=AGENTS,
    ),
    Operation(
        "list_customer_service_requests",
        "GET",
        "/v1/customers/{customer_id}/servicerequests",
        AU,
        summary="A customer's service requests.",
        roles=SUPPORT,
        result=COLLECTION,
    ),
    Operation(
        "get_service_request",
        "GET",
        "/v1/servicerequests/{service_request_id}",
        AU,
        summary="One of the partner's service requests.",
        roles=SUPPORT,
    ),
    Operation(
        "list_agreements",
        "GET",
        "/v1/agreements",
        AU,
        summary="Agreement metadata (the templates a customer can accept).",
        roles=SALES,
        params=(AGREEMENT_TYPE,),
        result=COLLECTION,
    ),
    Operation(
        "list_customer_agreements",
        "GET",
        "/v1/customers/{customer_id}/agreements",
        AU,
        summary="The agreements a customer accepted.",
        roles=SALES,
        params=(AGREEMENT_TYPE,),
        result=COLLECTION,
    ),
    Operation(
        "create_customer_agreement",
        "POST",
        "/v1/customers/{customer_id}/agreements",
        AU,
        summary="Confirm a customer's acceptance of an agreement.",
        roles=SALES,
        params=(body("agreement", "``primaryContact``, ``templateId``, ``dateAgreed``, ``type``"),),
    ),
    Operation(
        "check_domain_availability",
        "HEAD",
        "/v1/domains/{domain}",
        B,
        summary="True when the onmicrosoft.com domain prefix is free (404), False when taken.",
        roles=SALES,
        result=Result.ABSENT,
    ),
    Operation(
        "get_customer_usage_summary",
        "GET",
        "/v1/customers/{customer_id}/usagesummary",
        AU,
        summary="A customer's usage summary.",
        roles=USAGE,
    ),
    Operation(
        "get_partner_usage_summary",
        "GET",
        "/v1/usagesummary",
        AU,
        summary="The partner's usage summary.",
        roles=USAGE,
    ),
    Operation(
        "list_indirect_resellers",
        "GET",
        "/v1/relationships",
        AU,
        summary="The partner's indirect resellers (or indirect providers).",
        roles=SALES,
        params=(
            query(
                "relationship_type",
                default="IsIndirectCloudSolutionProviderOf",
                doc="``IsIndirectCloudSolutionProviderOf`` or ``IsIndirectResellerOf``",
            ),
        ),
        result=COLLECTION,
    ),
    Operation(
        "get_mfa_adoption_status",
        "GET",
        "/v1/applicationmfaadoptionstatus",
        AU,
        summary="MFA adoption of the partner's applications, one item per application.",
        roles=ADMINS,
        result=COLLECTION,
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
