"""Customer users: list (continuation paging), create, and the password reset (PATCH)."""

from __future__ import annotations

import re

from ...._contract import pc_errors
from ..call import Call, Json, Result, obj, text
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
from ..dataset import public
from ..errors import ApiError, invalid

_UPN = re.compile(r"^[A-Za-z0-9._'+-]{1,64}@([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


def password_problem(password: str) -> str | None:
    """Azure AD's password rule: 8 to 256 characters with three of four character kinds."""
    if not 8 <= len(password) <= 256:
        return "The password must be 8 to 256 characters long."
    kinds = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if kinds < 3:
        return (
            "The password does not meet complexity requirements: use three of lower case, "
            "upper case, digits and symbols."
        )
    return None


def list_users(ctx: ApiContext, call: Call) -> Result:
    """GET /v1/customers/{id}/users: continuation paging."""
    customer = customer_of(ctx, call)
    cid = customer["id"]
    page = ctx.pager.page(call, ctx.data.users[cid], base=f"/v1/customers/{cid}/users")
    page["items"] = strip(page["items"])
    return ok(page)


def _password(body: Json, *, required: bool) -> tuple[str, bool] | None:
    profile = obj(body, "passwordProfile", required=required)
    if not profile:
        return None
    password = text(profile, "password", max_length=256)
    assert password is not None
    problem = password_problem(password)
    if problem:
        raise invalid(problem)
    force = profile.get("forceChangePassword", True)
    if not isinstance(force, bool):
        raise invalid("passwordProfile.forceChangePassword must be true or false.")
    return password, force


def create_user(ctx: ApiContext, call: Call) -> Result:
    """POST /v1/customers/{id}/users: 201; 409 if the UPN exists; weak passwords are 400."""
    customer = customer_of(ctx, call)
    cid = customer["id"]
    body = call.body_object()
    upn = text(body, "userPrincipalName")
    assert upn is not None
    if not _UPN.match(upn):
        raise invalid(f"userPrincipalName '{upn}' is not a user principal name.")
    domain = upn.rsplit("@", 1)[1].lower()
    owned = {customer["companyProfile"]["domain"].lower()} | {
        d.lower() for d in customer.get("customDomains", [])
    }
    if domain not in owned:
        raise invalid(f"The domain '{domain}' of userPrincipalName is not the customer's.")
    display = text(body, "displayName")
    for name in ("firstName", "lastName"):
        text(body, name, required=False)
    location = text(body, "usageLocation")
    assert display is not None and location is not None
    if not _COUNTRY.match(location):
        raise invalid("usageLocation must be a two-letter country code.")
    password = _password(body, required=True)
    assert password is not None
    if any(u["userPrincipalName"].lower() == upn.lower() for u in ctx.data.users[cid]):
        raise ApiError(pc_errors.ALREADY_EXISTS, what=f"The user '{upn}'")
    user = ctx.data.create_user(
        cid, {**body, "userPrincipalName": upn, "usageLocation": location.upper()}, call.now
    )
    record_change(
        ctx,
        call,
        customer,
        "customer_user",
        "create_customer_user",
        {"id": user["id"], "userPrincipalName": upn},
    )
    answer = public(user)
    # The password is never echoed; forceChangePassword is.
    answer["passwordProfile"] = {"forceChangePassword": password[1]}
    result = ok(answer, status=201, etag=user["attributes"]["etag"])
    result.headers["Location"] = f"/v1/customers/{cid}/users/{user['id']}"
    return result


def update_user(ctx: ApiContext, call: Call) -> Result:
    """PATCH /v1/customers/{id}/users/{user}: the password reset (and name/location); If-Match."""
    customer, user = customer_item(ctx, call, ctx.data.user_index, "user_id", "User")
    key = f"user/{user['id']}"
    check_if_match(call, ctx.data.etag(key))
    body = call.body_object()
    password = _password(body, required=False)
    changes: Json = {}
    for name in ("displayName", "firstName", "lastName"):
        value = text(body, name, required=False)
        if value is not None:
            changes[name] = value
    location = text(body, "usageLocation", required=False)
    if location is not None:
        if not _COUNTRY.match(location):
            raise invalid("usageLocation must be a two-letter country code.")
        changes["usageLocation"] = location.upper()
    if password is None and not changes:
        raise invalid("Send passwordProfile (a password reset) or a property to change.")
    user.update(changes)
    tag = ctx.data.bump(key, user)
    if password is not None:
        record_change(
            ctx, call, customer, "customer_user", "reset_customer_user_password", {"id": user["id"]}
        )
    answer = public(user)
    if password is not None:
        answer["passwordProfile"] = {"forceChangePassword": password[1]}
    return ok(answer, etag=tag)


HANDLERS: dict[str, Handler] = {
    "list_customer_users": list_users,
    "create_customer_user": create_user,
    "reset_user_password": update_user,
}
