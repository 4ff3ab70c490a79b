"""Access-token claims, shaped as Azure AD shapes them.

The token's version follows the resource, not the endpoint: Partner Center, Azure AD Graph
and Microsoft Graph take v1-shaped tokens (``iss`` ``https://sts.windows.net/{tid}/``,
``aud`` = the resource URI, ``appid``/``appidacr``) from both the v1 and v2 endpoints; a
resource registered with token version 2 gets ``aud`` = its app id, the v2 issuer and
``azp``/``azpacr``.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Any

from ..._contract.wire import V1_ISSUER_TEMPLATE
from ..directory import Application, Resource, Tenant

#: Azure AD back-dates ``iat``/``nbf`` by five minutes for clock skew (the seed's example:
#: ``expires_on - not_before`` = lifetime + 300).
BACKDATE_SECONDS = 300

#: ``appidacr``/``azpacr``: how the client authenticated.
ACR_PUBLIC, ACR_SECRET, ACR_CERTIFICATE = "0", "1", "2"


def _opaque(n: int) -> str:
    return base64.urlsafe_b64encode(os.urandom(n)).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class Issued:
    """What the endpoint needs to answer: the signed token and its times."""

    access_token: str
    issued_at: int
    not_before: int
    expires_on: int
    audience: str


def v2_issuer(base_url: str, tenant_id: str) -> str:
    return f"{base_url}/{tenant_id}/v2.0"


def v1_audience(resource: Resource, requested: str | None) -> str:
    """A v1 token's ``aud``: the resource in the form the request named it, its application
    id GUID or its identifier URI, as Entra ID echoes it."""
    if requested is not None and requested.lower() == resource.app_id.lower():
        return resource.app_id
    return resource.uri


def app_only_claims(
    *,
    tenant: Tenant,
    app: Application,
    resource: Resource,
    audience: str,
    client_acr: str,
    now: float,
    lifetime: int,
    base_url: str,
    idtyp: bool = False,
) -> dict[str, Any]:
    """An app-only token's claims. ``idtyp`` (``app``) is an optional claim Entra ID adds only
    when the resource asks for it, so validators must not depend on it."""
    issued = int(now) - BACKDATE_SECONDS
    oid = app.service_principal_id(tenant.id)
    v1_issuer = V1_ISSUER_TEMPLATE.format(tenant_id=tenant.id)
    claims: dict[str, Any] = {
        "aud": v1_audience(resource, audience) if resource.token_version == 1 else resource.app_id,
        "iss": v1_issuer if resource.token_version == 1 else v2_issuer(base_url, tenant.id),
        "iat": issued,
        "nbf": issued,
        "exp": int(now) + lifetime,
        "aio": _opaque(48),
    }
    if resource.token_version == 1:
        claims.update({"appid": app.client_id, "appidacr": client_acr, "idp": v1_issuer})
    else:
        claims.update({"azp": app.client_id, "azpacr": client_acr})
    if idtyp:
        claims["idtyp"] = "app"
    claims["oid"] = oid
    claims["rh"] = f"0.{_opaque(36)}."
    roles = app.roles.get(resource.uri)
    if roles:
        claims["roles"] = list(roles)
    claims.update(
        {
            "sub": oid,
            "tid": tenant.id,
            "uti": _opaque(16),
            "ver": "1.0" if resource.token_version == 1 else "2.0",
        }
    )
    return claims
