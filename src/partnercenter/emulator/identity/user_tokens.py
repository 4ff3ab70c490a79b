"""Tokens for a signed-in user: delegated access tokens, id tokens, client_info, the response.

Access tokens follow the resource's shape (v1 for Partner Center: ``upn``, ``unique_name``,
``amr``, ``scp``, ``appid``/``appidacr``); ``amr`` carries ``mfa`` only when the user passed
MFA at sign-in, and refresh tokens carry the sign-in's ``amr`` forward, so a Partner Center
call made with a refreshed token is judged on the original sign-in, as in Azure AD.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from ..._contract.wire import V1_ISSUER_TEMPLATE
from ..directory import Application, Resource, Tenant, User
from ..jose import b64url
from ..keys import run_signing
from ..state import EmulatorState
from .claims import BACKDATE_SECONDS, _opaque, v1_audience, v2_issuer

ID_TOKEN_LIFETIME = 3600


@dataclass(frozen=True, slots=True)
class UserGrant:
    """Everything needed to mint tokens for a user: who, for which app, resource and scopes."""

    tenant: Tenant
    app: Application
    client_acr: str
    user: User
    amr: list[str]
    resource: Resource
    permissions: list[str]
    oidc_scopes: list[str]
    nonce: str | None = None
    #: The resource as the request named it (a v1 token's ``aud`` echoes its form).
    requested_as: str | None = None


def pairwise_subject(user: User, app: Application) -> str:
    """Azure AD's ``sub`` is pairwise: the same user has a different ``sub`` per app."""
    digest = hashlib.sha256(f"{user.object_id}/{app.client_id}".encode()).digest()
    return b64url(digest)[:43]


def _names(user: User) -> tuple[str, str]:
    parts = user.display_name.split(" ", 1)
    return parts[0], parts[1] if len(parts) > 1 else ""


def access_claims(
    grant: UserGrant, *, now: float, lifetime: int, base_url: str, idtyp: bool = False
) -> dict[str, Any]:
    """A delegated access token's claims; v2-shaped tokens carry none of the v1-only claims
    (``acr``, ``amr``, ``ipaddr``, ``puid``, ``unique_name``, ``upn``, names), as Microsoft's
    access-token claims reference lists them; ``idtyp`` is an optional claim."""
    user, tenant, app, resource = grant.user, grant.tenant, grant.app, grant.resource
    issued = int(now) - BACKDATE_SECONDS
    v1 = resource.token_version == 1
    given, family = _names(user)
    claims: dict[str, Any] = {
        "aud": v1_audience(resource, grant.requested_as) if v1 else resource.app_id,
        "iss": V1_ISSUER_TEMPLATE.format(tenant_id=tenant.id)
        if v1
        else v2_issuer(base_url, tenant.id),
        "iat": issued,
        "nbf": issued,
        "exp": int(now) + lifetime,
    }
    if v1:
        claims.update({"acr": "1", "aio": _opaque(48), "amr": list(grant.amr)})
        claims.update({"appid": app.client_id, "appidacr": grant.client_acr})
        claims.update({"family_name": family, "given_name": given})
    else:
        claims.update({"aio": _opaque(48), "azp": app.client_id, "azpacr": grant.client_acr})
    if user.tenant_id != tenant.id:
        # A partner user acting in a customer tenant (delegated admin): a foreign principal.
        claims["idp"] = V1_ISSUER_TEMPLATE.format(tenant_id=user.tenant_id)
    if idtyp:
        claims["idtyp"] = "user"
    if v1:
        claims["ipaddr"] = "127.0.0.1"
    claims.update({"name": user.display_name, "oid": user.object_id})
    if v1:
        claims["puid"] = hashlib.sha1(user.object_id.encode()).hexdigest()[:16].upper()
    claims.update(
        {
            "rh": f"0.{_opaque(36)}.",
            "scp": " ".join(grant.permissions),
            "sub": pairwise_subject(user, app),
            "tid": tenant.id,
        }
    )
    if v1:
        claims.update({"unique_name": user.upn, "upn": user.upn})
    else:
        claims["preferred_username"] = user.upn
    claims.update({"uti": _opaque(16), "ver": "1.0" if v1 else "2.0"})
    return claims


def id_token_claims(grant: UserGrant, *, version: int, now: float, base_url: str) -> dict[str, Any]:
    user, tenant, app = grant.user, grant.tenant, grant.app
    issued = int(now) - BACKDATE_SECONDS
    claims: dict[str, Any] = {
        "aud": app.client_id,
        "iss": V1_ISSUER_TEMPLATE.format(tenant_id=tenant.id)
        if version == 1
        else v2_issuer(base_url, tenant.id),
        "iat": issued,
        "nbf": issued,
        "exp": int(now) + ID_TOKEN_LIFETIME,
    }
    if version == 1:
        given, family = _names(user)
        claims.update(
            {
                "amr": list(grant.amr),
                "family_name": family,
                "given_name": given,
                "ipaddr": "127.0.0.1",
            }
        )
    claims["name"] = user.display_name
    if grant.nonce:
        claims["nonce"] = grant.nonce
    claims["oid"] = user.object_id
    if version == 2:
        claims["preferred_username"] = user.upn
    claims.update({"rh": f"0.{_opaque(36)}.", "sub": pairwise_subject(user, app), "tid": tenant.id})
    if version == 1:
        claims.update({"unique_name": user.upn, "upn": user.upn})
    claims.update({"uti": _opaque(16), "ver": "1.0" if version == 1 else "2.0"})
    return claims


def client_info(user: User) -> str:
    """MSAL's account key material: base64url JSON ``{"uid": oid, "utid": home tenant}``."""
    raw = json.dumps({"uid": user.object_id, "utid": user.tenant_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


async def user_token_response(
    state: EmulatorState,
    grant: UserGrant,
    *,
    version: int,
    base_url: str,
    refresh_token: str | None,
    want_client_info: bool,
    cae: bool = False,
) -> dict[str, Any]:
    lifetime = state.token_lifetimes().choose(cae=cae)
    now = state.clock.now()
    access = access_claims(
        grant,
        now=now,
        lifetime=lifetime.seconds,
        base_url=base_url,
        idtyp=state.settings.idtyp_claim,
    )
    want_id_token = version == 1 or "openid" in grant.oidc_scopes
    id_claims = (
        id_token_claims(grant, version=version, now=now, base_url=base_url)
        if want_id_token
        else None
    )

    def sign() -> tuple[str, str | None]:
        token = state.keys.sign(access, v1_header=grant.resource.token_version == 1)
        # v1 ID tokens carry x5t in the header as v1 access tokens do; v2 ones only kid.
        id_token = state.keys.sign(id_claims, v1_header=version == 1) if id_claims else None
        return token, id_token

    access_token, id_token = await run_signing(sign)
    expires_in = int(access["exp"] - int(now))
    if version == 1:
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "scope": " ".join(grant.permissions),
            "expires_in": str(expires_in),
            "ext_expires_in": str(expires_in),
            "expires_on": str(access["exp"]),
            "not_before": str(access["nbf"]),
            "resource": grant.requested_as or grant.resource.uri,
            "access_token": access_token,
        }
    else:
        scopes = [f"{grant.resource.uri}/{p}" for p in grant.permissions]
        scopes += [s for s in grant.oidc_scopes if s != "offline_access"]
        body = {
            "token_type": "Bearer",
            "scope": " ".join(scopes),
            "expires_in": expires_in,
            "ext_expires_in": expires_in,
            "access_token": access_token,
        }
    if lifetime.refresh_in is not None:
        body["refresh_in"] = str(lifetime.refresh_in) if version == 1 else lifetime.refresh_in
    if refresh_token is not None:
        body["refresh_token"] = refresh_token
    if id_token is not None:
        body["id_token"] = id_token
    if want_client_info:
        body["client_info"] = client_info(grant.user)
    return body
