"""The typed operations' calls, built once for the blocking and the async client (pure).

Each function takes a typed method's arguments and returns the :class:`ApiCall` for the catalog
operation of the same name (``operations.get(name)``); the clients only choose how to run it
(one answer, or a pager). Bodies follow Partner Center's documented shapes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigurationError
from .core import ApiCall, operation_call

__all__ = [
    "check_domain_availability",
    "checkout_cart",
    "create_cart",
    "create_customer",
    "create_customer_user",
    "create_order",
    "get_customer",
    "get_invoice",
    "get_order",
    "get_subscription",
    "list_audit_records",
    "list_customer_users",
    "list_customers",
    "list_invoice_line_items",
    "list_invoices",
    "list_orders",
    "list_subscriptions",
    "profile",
    "reset_user_password",
]


def _body(argument: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigurationError(argument, "must be a dict (the JSON body Partner Center expects)")
    return value


def _size(size: int | None) -> int | None:
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
        raise ConfigurationError("size", "must be a positive int (items per page)")
    return size


def _date(argument: str, value: str | dt.date | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    raise ConfigurationError(argument, "must be a date, a datetime or an ISO 8601 string")


def profile(name: str) -> ApiCall:
    """``get_<name>_profile`` (legal_business, organization, mpn, billing, support)."""
    return operation_call(f"get_{name}_profile")


def list_customers(size: int | None, filter: Mapping[str, Any] | str | None) -> ApiCall:
    return operation_call("list_customers", params={"size": _size(size), "filter": filter})


def get_customer(customer_id: str) -> ApiCall:
    return operation_call("get_customer", customer_id=customer_id)


def create_customer(customer: Mapping[str, Any]) -> ApiCall:
    return operation_call("create_customer", json=dict(_body("customer", customer)))


def list_subscriptions(customer_id: str) -> ApiCall:
    return operation_call("list_subscriptions", customer_id=customer_id)


def get_subscription(customer_id: str, subscription_id: str) -> ApiCall:
    return operation_call(
        "get_subscription", customer_id=customer_id, subscription_id=subscription_id
    )


def list_customer_users(customer_id: str, size: int | None) -> ApiCall:
    return operation_call(
        "list_customer_users", params={"size": _size(size)}, customer_id=customer_id
    )


def create_customer_user(customer_id: str, user: Mapping[str, Any]) -> ApiCall:
    return operation_call(
        "create_customer_user", json=dict(_body("user", user)), customer_id=customer_id
    )


def reset_user_password(
    customer_id: str, user_id: str, password: str, force_change_password: bool
) -> ApiCall:
    if not isinstance(password, str) or not password:
        raise ConfigurationError("password", "must be a non-empty string")
    body = {
        "passwordProfile": {"password": password, "forceChangePassword": force_change_password},
        "attributes": {"objectType": "CustomerUser"},
    }
    return operation_call(
        "reset_user_password", json=body, customer_id=customer_id, user_id=user_id
    )


def list_invoices(size: int | None) -> ApiCall:
    return operation_call("list_invoices", params={"size": _size(size)})


def get_invoice(invoice_id: str) -> ApiCall:
    return operation_call("get_invoice", invoice_id=invoice_id)


def list_invoice_line_items(
    invoice_id: str, provider: str | None, invoice_line_item_type: str | None, size: int | None
) -> ApiCall:
    params = {
        "provider": provider,
        "invoicelineitemtype": invoice_line_item_type,
        "size": _size(size),
    }
    return operation_call("list_invoice_line_items", params=params, invoice_id=invoice_id)


def list_audit_records(
    start_date: str | dt.date | None,
    end_date: str | dt.date | None,
    size: int | None,
    filter: Mapping[str, Any] | str | None,
) -> ApiCall:
    params = {
        "startDate": _date("start_date", start_date),
        "endDate": _date("end_date", end_date),
        "size": _size(size),
        "filter": filter,
    }
    return operation_call("list_audit_records", params=params)


def check_domain_availability(domain: str) -> ApiCall:
    return operation_call("check_domain_availability", domain=domain)


def create_cart(customer_id: str, cart: Mapping[str, Any]) -> ApiCall:
    return operation_call("create_cart", json=dict(_body("cart", cart)), customer_id=customer_id)


def checkout_cart(customer_id: str, cart_id: str) -> ApiCall:
    return operation_call("checkout_cart", customer_id=customer_id, cart_id=cart_id)


def list_orders(customer_id: str) -> ApiCall:
    return operation_call("list_orders", customer_id=customer_id)


def create_order(customer_id: str, order: Mapping[str, Any]) -> ApiCall:
    return operation_call("create_order", json=dict(_body("order", order)), customer_id=customer_id)


def get_order(customer_id: str, order_id: str) -> ApiCall:
    return operation_call("get_order", customer_id=customer_id, order_id=order_id)
