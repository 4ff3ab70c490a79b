"""The built-in directory: one partner tenant, a few customers, apps, users and resources.

Written as a config document (the same shape a config file takes, see ``config.py``) so the
seed and user configuration go through one loader. Every id and secret is derived from names,
so the seed is the same on every run and machine; only key material is generated (and kept in
the state directory).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from .._contract.wire import (
    AAD_GRAPH_APP_ID,
    AAD_GRAPH_RESOURCE,
    MS_GRAPH_APP_ID,
    MS_GRAPH_RESOURCE,
    PARTNER_CENTER_APP_ID,
    PARTNER_CENTER_RESOURCE,
    USER_IMPERSONATION,
)
from .directory import derived_id

PARTNER_DOMAIN = "contosopartner.onmicrosoft.com"


def seed_secret(name: str) -> str:
    """A stable secret in the shape Azure AD hands out (``xxx8Q~...``)."""
    digest = base64.b32encode(hashlib.sha256(f"secret/{name}".encode()).digest()).decode()
    return f"{digest[:3].lower()}8Q~{digest[3:37]}"


def seed_totp_secret(upn: str) -> str:
    """A stable base32 TOTP secret (160 bits, as authenticator apps expect)."""
    return base64.b32encode(hashlib.sha1(f"totp/{upn}".encode()).digest()).decode().rstrip("=")


def default_seed() -> dict[str, Any]:
    # Partner users hold Partner Center roles (one of each kind, and one with none), so
    # role refusals (403 / 900150) can be tried; customer users hold none.
    users = [
        (
            "admin@contosopartner.onmicrosoft.com",
            "Partner Admin",
            True,
            ["global_admin", "admin_agent"],
        ),
        ("agent@contosopartner.onmicrosoft.com", "Sales Agent (no MFA)", False, ["sales_agent"]),
        ("admin@fabrikam.onmicrosoft.com", "Fabrikam Admin", True, []),
        ("sales@contosopartner.onmicrosoft.com", "Sales Agent", True, ["sales_agent"]),
        ("helpdesk@contosopartner.onmicrosoft.com", "Helpdesk Agent", True, ["helpdesk_agent"]),
        ("billing@contosopartner.onmicrosoft.com", "Billing Admin", True, ["billing_admin"]),
        ("norole@contosopartner.onmicrosoft.com", "No Role", True, []),
    ]
    return {
        "tenants": [
            {
                "name": "Contoso CSP Partner",
                "domains": [PARTNER_DOMAIN, "contosopartner.com"],
                "kind": "partner",
            },
            {"name": "Fabrikam", "domains": ["fabrikam.onmicrosoft.com"], "kind": "customer"},
            {
                "name": "Wingtip Toys",
                "domains": ["wingtiptoys.onmicrosoft.com"],
                "kind": "customer",
            },
            # A customer that never granted delegated admin rights: partner users cannot
            # redeem tokens at its authority (AADSTS90099); the API still serves it.
            {
                "name": "Adatum",
                "domains": ["adatum.onmicrosoft.com"],
                "kind": "customer",
                "delegated_admin": False,
            },
            # A tenant without a reseller relationship: the API answers 403 / 20002.
            {
                "name": "Northwind Traders",
                "domains": ["northwindtraders.onmicrosoft.com"],
                "kind": "customer",
                "relationship": "none",
            },
        ],
        "resources": [
            {
                "name": "Partner Center API",
                "uri": PARTNER_CENTER_RESOURCE,
                "app_id": PARTNER_CENTER_APP_ID,
                "token_version": 1,
                "scopes": [USER_IMPERSONATION],
            },
            {
                "name": "Windows Azure Active Directory",
                "uri": AAD_GRAPH_RESOURCE,
                "app_id": AAD_GRAPH_APP_ID,
                "token_version": 1,
                "scopes": [USER_IMPERSONATION, "Directory.Read"],
            },
            {
                "name": "Microsoft Graph",
                "uri": MS_GRAPH_RESOURCE,
                "app_id": MS_GRAPH_APP_ID,
                "token_version": 1,
                "scopes": ["User.Read", "Directory.Read.All"],
            },
        ],
        "apps": [
            {
                "name": "partner-center-app",
                "secrets": [{"value": seed_secret("partner-center-app")}],
                "certificate": True,
                "redirect_uris": [
                    "http://localhost",
                    "http://localhost/callback",
                    "https://localhost/signin-oidc",
                ],
                "roles": {
                    MS_GRAPH_RESOURCE: ["Directory.Read.All"],
                    AAD_GRAPH_RESOURCE: ["Directory.Read.All"],
                },
            },
            {
                "name": "expired-secret-app",
                "secrets": [
                    {"value": seed_secret("expired-secret-app"), "expires": "2024-06-30T00:00:00Z"}
                ],
            },
            {
                "name": "partner-center-cli",
                "public_client": True,
                "redirect_uris": ["http://localhost", "http://localhost/callback"],
            },
        ],
        "users": [
            {
                "upn": upn,
                "display_name": name,
                "password": "Emulator-Passw0rd!",
                "totp_secret": seed_totp_secret(upn) if mfa else None,
                "roles": roles,
            }
            for upn, name, mfa, roles in users
        ],
    }


def seed_client_id(name: str) -> str:
    return derived_id("app", name)
