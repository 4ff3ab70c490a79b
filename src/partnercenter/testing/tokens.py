"""Access tokens minted directly with the emulator's signing key, for API tests that need a
token of a precise shape (no MFA, expired, another audience...) without a sign-in."""

from __future__ import annotations

import uuid
from typing import Any

from .._contract.wire import PARTNER_CENTER_RESOURCE
from ..emulator import Emulator

__all__ = ["access_token_claims", "mint_access_token"]

#: The seed's MFA partner user, whose UPN minted app + user tokens carry by default.
DEFAULT_UPN = "admin@contosopartner.onmicrosoft.com"


def access_token_claims(
    emulator: Emulator,
    *,
    user: bool = True,
    mfa: bool = True,
    upn: str = DEFAULT_UPN,
    display_name: str | None = None,
    app: str = "partner-center-app",
    lifetime: int = 3600,
    **overrides: Any,
) -> dict[str, Any]:
    """Claims shaped like Azure AD's v1 Partner Center tokens for the partner tenant: app + user
    (``amr`` with ``mfa`` unless ``mfa=False``) or app-only (``user=False``). ``overrides``
    replace or add claims; a ``None`` override removes the claim."""
    now = int(emulator.state.clock.now())
    tenant = emulator.partner_tenant["id"]
    body: dict[str, Any] = {
        "aud": PARTNER_CENTER_RESOURCE,
        "iss": f"https://sts.windows.net/{tenant}/",
        "iat": now - 300,
        "nbf": now - 300,
        "exp": now + lifetime,
        "appid": emulator.app(app)["client_id"],
        "appidacr": "1",
        "oid": str(uuid.uuid4()),
        "tid": tenant,
        "ver": "1.0",
    }
    if user:
        body.update(
            {
                "idtyp": "user",
                "scp": "user_impersonation",
                "amr": ["pwd", "mfa"] if mfa else ["pwd"],
                "upn": upn,
            }
        )
        if display_name is not None:
            body["name"] = display_name
    else:
        body["idtyp"] = "app"
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def mint_access_token(emulator: Emulator, **options: Any) -> str:
    """A token signed by the emulator's active key (see :func:`access_token_claims`)."""
    return emulator.state.keys.sign(access_token_claims(emulator, **options))
