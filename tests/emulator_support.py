"""Helpers shared by the tests against a running emulator: its cloud, tokens minted with its
keys, and request bodies of the create operations."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from partnercenter import Cloud
from partnercenter.emulator import Emulator
from partnercenter.emulator.api.catalog_data import (
    AGREEMENT_TEMPLATES,
    OFFERS,
    PRODUCTS,
    catalog_item_id,
)
from partnercenter.testing import access_token_claims, mint_access_token

PC = "https://api.partnercenter.microsoft.com"


def cloud(emu: Emulator) -> Cloud:
    return Cloud.custom(authority_host=emu.base_url, api_root=emu.base_url, name="emulator")


# -- tokens --------------------------------------------------------------------------------------
def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def claims(
    emu: Emulator,
    *,
    user: bool = True,
    mfa: bool = True,
    display_name: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """Claims shaped like Azure AD's v1 Partner Center tokens (app + user by default; a user's
    ``name`` claim only with ``display_name``): the public helper's."""
    return access_token_claims(emu, user=user, mfa=mfa, display_name=display_name, **overrides)


def mint(emu: Emulator, **overrides: Any) -> str:
    """A token signed by the emulator's active key."""
    return mint_access_token(emu, **overrides)


# -- request bodies of the create operations -----------------------------------------------------
def new_customer() -> dict[str, Any]:
    prefix = f"new{uuid.uuid4().hex[:12]}"
    return {
        "companyProfile": {"domain": f"{prefix}.onmicrosoft.com"},
        "billingProfile": {
            "culture": "en-US",
            "email": "owner@example.com",
            "language": "en",
            "companyName": f"New Co {prefix}",
            "defaultAddress": {
                "country": "US",
                "city": "Redmond",
                "state": "WA",
                "addressLine1": "1 Microsoft Way",
                "postalCode": "98052",
                "firstName": "Owner",
                "lastName": "Person",
                "phoneNumber": "4255550100",
            },
        },
    }


def new_user(domain: str) -> dict[str, Any]:
    """A new user of the customer whose domain is ``domain``."""
    name = f"user{uuid.uuid4().hex[:8]}"
    return {
        "usageLocation": "US",
        "userPrincipalName": f"{name}@{domain}",
        "firstName": "New",
        "lastName": "User",
        "displayName": "New User",
        "passwordProfile": {"forceChangePassword": True, "password": "Sup3r-Secret!"},
        "attributes": {"objectType": "CustomerUser"},
    }


def cart_body() -> dict[str, Any]:
    return {
        "lineItems": [
            {
                "id": 0,
                "catalogItemId": catalog_item_id(PRODUCTS[1], "0001"),
                "quantity": 3,
                "billingCycle": "monthly",
                "termDuration": "P1M",
            }
        ]
    }


def order_body(customer_id: str) -> dict[str, Any]:
    return {
        "referenceCustomerId": customer_id,
        "billingCycle": "monthly",
        "lineItems": [{"lineItemNumber": 0, "offerId": OFFERS[0].id, "quantity": 2}],
    }


def agreement_body() -> dict[str, Any]:
    template = AGREEMENT_TEMPLATES[1]
    return {
        "primaryContact": {
            "firstName": "Ada",
            "lastName": "Lovelace",
            "email": "ada@example.com",
            "phoneNumber": "4255550100",
        },
        "templateId": template.template_id,
        "dateAgreed": "2026-11-20T00:00:00Z",
        "type": template.agreement_type,
    }
