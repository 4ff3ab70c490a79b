"""Commerce: the catalog (offers, products, SKUs), subscriptions, carts, checkout and orders."""

from __future__ import annotations

from typing import Any

from ...directory import derived_id
from ..call import Call, Json, Result, obj, text
from ..catalog_data import (
    COUNTRIES,
    OFFERS,
    OFFERS_BY_ID,
    PRODUCT_TYPES,
    PRODUCTS,
    PRODUCTS_BY_ID,
    Offer,
    Product,
    availability_id,
    billing_cycles,
    catalog_item_id,
    offer_body,
    product_body,
    sku_body,
    sku_ids,
)
from ..context import (
    ApiContext,
    Handler,
    check_if_match,
    customer_item,
    customer_of,
    ok,
    record_change,
    strip,
)
from ..dataset import DAY, iso, public
from ..errors import invalid, not_found
from ..paging import collection, link

MAX_LINE_ITEMS = 50
TERMS = ("P1M", "P1Y", "P3Y")
SUBSCRIPTION_STATUSES = ("active", "suspended")


def _country(call: Call) -> str:
    country = (call.query.get("country") or "US").upper()
    if country not in COUNTRIES:
        raise invalid(f"country '{country}' is not served; use one of {', '.join(COUNTRIES)}.")
    return country


def list_offers(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/offers?country=: legacy offers, offset paging."""
    country = _country(call)
    items = [offer_body(offer, rank, country) for rank, offer in enumerate(OFFERS, 1)]
    return ok(ctx.pager.page(call, items, base="/offers", keep={"country": country}))


def list_products(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/products?country=&targetView=: new-commerce products, offset paging."""
    country = _country(call)
    view = call.query.get("targetview")
    products = list(PRODUCTS)
    keep = {"country": country}
    if view:
        by_lower = {t.lower(): t for t in PRODUCT_TYPES}
        if view.lower() not in by_lower:
            raise invalid(f"targetView must be one of {', '.join(PRODUCT_TYPES)}.")
        products = [p for p in products if p.product_type.lower() == view.lower()]
        keep["targetView"] = by_lower[view.lower()]
    items = [product_body(p, country) for p in products]
    return ok(ctx.pager.page(call, items, base="/products", keep=keep))


def list_skus(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/products/{id}/skus?country=."""
    country = _country(call)
    product_id = call.param("product_id")
    product = PRODUCTS_BY_ID.get(product_id.lower())
    if product is None:
        raise not_found(f"Product '{product_id}'")
    items = [sku_body(product, sku, country) for sku in sku_ids(product)]
    return ok(collection(items, self_uri=f"/products/{product.id}/skus?country={country}"))


def list_subscriptions(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/customers/{id}/subscriptions."""
    customer = customer_of(ctx, call)
    cid = customer["id"]
    items = strip(ctx.data.subscriptions[cid])
    return ok(collection(items, self_uri=f"/customers/{cid}/subscriptions"))


def _subscription(ctx: ApiContext, call: Call) -> tuple[Json, Json]:
    return customer_item(ctx, call, ctx.data.subscription_index, "subscription_id", "Subscription")


def get_subscription(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/customers/{id}/subscriptions/{sub}, with its ETag."""
    _customer, subscription = _subscription(ctx, call)
    return ok(public(subscription), etag=subscription["attributes"]["etag"])


def update_subscription(ctx: ApiContext, call: Call) -> Result:
    """PATCH a subscription (quantity, status, autoRenewEnabled, friendlyName); If-Match."""
    customer, subscription = _subscription(ctx, call)
    key = f"subscription/{subscription['id']}"
    check_if_match(call, ctx.data.etag(key))
    body = call.body_object()
    changes: dict[str, Any] = {}
    if "quantity" in body:
        quantity = body["quantity"]
        if (
            not isinstance(quantity, int)
            or isinstance(quantity, bool)
            or not 1 <= quantity <= 10000
        ):
            raise invalid("quantity must be a whole number from 1 to 10000.")
        if subscription["billingType"] == "usage" and quantity != 1:
            raise invalid("An Azure plan's quantity is always 1.")
        changes["quantity"] = quantity
    if "status" in body:
        status = body["status"]
        if not isinstance(status, str) or status.lower() not in SUBSCRIPTION_STATUSES:
            raise invalid(f"status must be one of {', '.join(SUBSCRIPTION_STATUSES)}.")
        changes["status"] = status.lower()
    if "autoRenewEnabled" in body:
        if not isinstance(body["autoRenewEnabled"], bool):
            raise invalid("autoRenewEnabled must be true or false.")
        changes["autoRenewEnabled"] = body["autoRenewEnabled"]
    friendly = text(body, "friendlyName", required=False, max_length=128)
    if friendly is not None:
        changes["friendlyName"] = friendly
    # Clients PATCH back the object they read; unchanged or read-only fields are ignored.
    changes = {k: v for k, v in changes.items() if subscription.get(k) != v}
    if changes:
        subscription.update(changes)
        tag = ctx.data.bump(key, subscription)
        record_change(
            ctx,
            call,
            customer,
            "subscription",
            "update_subscription",
            {"id": subscription["id"], **changes},
        )
    else:
        tag = subscription["attributes"]["etag"]
    return ok(public(subscription), etag=tag)


def _line_items(body: Json) -> list[Json]:
    lines = body.get("lineItems")
    if not isinstance(lines, list) or not lines:
        raise invalid("lineItems must be a non-empty list.")
    if len(lines) > MAX_LINE_ITEMS:
        raise invalid(f"A request takes at most {MAX_LINE_ITEMS} line items.")
    for index, line in enumerate(lines):
        if not isinstance(line, dict):
            raise invalid(f"lineItems[{index}] must be an object.")
    return lines


def _quantity(line: Json, index: int, maximum: int) -> int:
    quantity = line.get("quantity", 1)
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= maximum:
        raise invalid(f"lineItems[{index}].quantity must be a whole number from 1 to {maximum}.")
    return quantity


def create_cart(ctx: ApiContext, call: Call) -> Result:
    """POST /v1/customers/{id}/carts: validate the line items against the catalog."""
    customer = customer_of(ctx, call)
    cid = customer["id"]
    lines_out: list[Json] = []
    for index, line in enumerate(_line_items(call.body_object())):
        item_id = text(line, "catalogItemId", max_length=64)
        assert item_id is not None
        parts = item_id.split(":")
        product = PRODUCTS_BY_ID.get(parts[0].lower()) if len(parts) == 3 else None
        if product is None or parts[1] not in sku_ids(product):
            raise invalid(f"lineItems[{index}].catalogItemId '{item_id}' is not in the catalog.")
        if parts[2].upper() != availability_id(product, parts[1]):
            raise invalid(f"lineItems[{index}].catalogItemId names an unknown availability.")
        cycles = billing_cycles(product, parts[1])
        cycle = line.get("billingCycle", cycles[0])
        if not isinstance(cycle, str) or cycle.lower() not in cycles:
            raise invalid(f"lineItems[{index}].billingCycle must be one of {', '.join(cycles)}.")
        term = line.get("termDuration", "P1Y" if cycle.lower() == "annual" else "P1M")
        if product.product_type != "Azure" and term not in TERMS:
            raise invalid(f"lineItems[{index}].termDuration must be one of {', '.join(TERMS)}.")
        context = obj(line, "provisioningContext", required=False)
        lines_out.append(
            {
                "id": line.get("id", index) if isinstance(line.get("id"), int) else index,
                "catalogItemId": catalog_item_id(product, parts[1]),
                "friendlyName": text(line, "friendlyName", required=False) or product.title,
                "quantity": _quantity(line, index, product.max_quantity),
                "billingCycle": cycle.lower(),
                "termDuration": term if product.product_type != "Azure" else "",
                "currencyCode": "USD",
                "provisioningContext": context,
                "orderGroup": "0",
                "participants": [],
            }
        )
    cart_id = derived_id("cart", cid, call.request_id)
    cart: Json = {
        "id": cart_id,
        "creationTimestamp": iso(call.now),
        "lastModifiedTimestamp": iso(call.now),
        "expirationTimestamp": iso(call.now + 7 * DAY),
        "lastModifiedUser": call.principal.upn or call.principal.app_id,
        "status": "Active",
        "lineItems": lines_out,
        "links": {"self": link(f"/customers/{cid}/carts/{cart_id}")},
        "attributes": {"objectType": "Cart"},
    }
    ctx.data.add_cart(cid, cart)
    return ok(cart, status=201)


def checkout_cart(ctx: ApiContext, call: Call) -> Result:
    """POST .../carts/{cart}/checkout: one order per billing cycle, with subscriptions."""
    customer, cart = customer_item(ctx, call, ctx.data.carts, "cart_id", "Cart")
    cid = customer["id"]
    if cart["status"] != "Active":
        raise invalid(f"The cart '{call.param('cart_id')}' has already been checked out.")
    groups: dict[str, list[tuple[Product | Offer, str, int, str]]] = {}
    for line in cart["lineItems"]:
        product_id, sku, _availability = line["catalogItemId"].split(":")
        product = PRODUCTS_BY_ID[product_id.lower()]
        groups.setdefault(line["billingCycle"], []).append(
            (product, sku, line["quantity"], line["billingCycle"])
        )
    orders = []
    for cycle, lines in groups.items():
        order = ctx.data.place_order(cid, lines, call.now, order_seed=f"cart/{cart['id']}/{cycle}")
        orders.append(order)
        record_change(
            ctx, call, customer, "order", "create_order", {"id": order["id"], "cartId": cart["id"]}
        )
    cart["status"] = "Ordered"
    cart["lastModifiedTimestamp"] = iso(call.now)
    body = {"orders": orders, "orderErrors": [], "attributes": {"objectType": "CartCheckoutResult"}}
    return ok(body, status=201)


def list_orders(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/customers/{id}/orders (items without ``currencySymbol``, which Microsoft's
    "Get all of a customer's orders" example omits and "Get an order by ID" carries)."""
    customer = customer_of(ctx, call)
    cid = customer["id"]
    items = [
        {key: value for key, value in order.items() if key != "currencySymbol"}
        for order in ctx.data.orders[cid]
    ]
    return ok(collection(items, self_uri=f"/customers/{cid}/orders"))


def get_order(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/customers/{id}/orders/{order}."""
    _customer, order = customer_item(ctx, call, ctx.data.order_index, "order_id", "Order")
    return ok(order)


def create_order(ctx: ApiContext, call: Call) -> Result:
    """POST /v1/customers/{id}/orders: legacy offers (or ``product:sku`` ids)."""
    customer = customer_of(ctx, call)
    cid = customer["id"]
    body = call.body_object()
    reference = body.get("referenceCustomerId")
    if reference is not None and (
        not isinstance(reference, str) or reference.lower() != cid.lower()
    ):
        raise invalid("referenceCustomerId must be the customer in the path.")
    cycle = body.get("billingCycle", "monthly")
    if not isinstance(cycle, str) or cycle.lower() not in ("monthly", "annual"):
        raise invalid("billingCycle must be monthly or annual.")
    lines: list[tuple[Product | Offer, str, int, str]] = []
    for index, line in enumerate(_line_items(body)):
        offer_id = text(line, "offerId", max_length=64)
        assert offer_id is not None
        item: Product | Offer | None = OFFERS_BY_ID.get(offer_id.lower())
        sku = ""
        if item is None and ":" in offer_id:
            # New-commerce style "product:sku" offer ids are accepted too.
            product_id, _, sku = offer_id.partition(":")
            sku = sku.split(":")[0]
            product = PRODUCTS_BY_ID.get(product_id.lower())
            if product is not None and sku in sku_ids(product):
                item = product
        if item is None:
            raise invalid(f"lineItems[{index}].offerId '{offer_id}' is not an offer.")
        maximum = item.max_quantity if isinstance(item, Product) else 10000
        lines.append((item, sku or "0001", _quantity(line, index, maximum), cycle.lower()))
    order = ctx.data.place_order(cid, lines, call.now, order_seed=f"order/{call.request_id}")
    record_change(ctx, call, customer, "order", "create_order", {"id": order["id"]})
    result = ok(order, status=201)
    result.headers["Location"] = f"/v1/customers/{cid}/orders/{order['id']}"
    return result


HANDLERS: dict[str, Handler] = {
    "list_offers": list_offers,
    "list_products": list_products,
    "list_product_skus": list_skus,
    "list_subscriptions": list_subscriptions,
    "get_subscription": get_subscription,
    "update_subscription": update_subscription,
    "create_cart": create_cart,
    "checkout_cart": checkout_cart,
    "list_orders": list_orders,
    "create_order": create_order,
    "get_order": get_order,
}
