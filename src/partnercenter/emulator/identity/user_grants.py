"""The user grants of the token endpoint: authorization code, refresh token, device code and
resource-owner password.

Each handler has the signature of ``token_endpoint.GrantHandler`` and returns the success body;
every refusal is an ``AadError``. Refresh tokens rotate (a new one on every use; older ones
stay valid, as in Azure AD), expire after the configured days of inactivity, can be revoked,
and redeem at a customer tenant's authority for a partner user.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from typing import Any, TypeVar

from ..._contract import aadsts
from ..._contract.wire import (
    GRANT_AUTHORIZATION_CODE,
    GRANT_DEVICE_CODE,
    GRANT_PASSWORD,
    GRANT_REFRESH_TOKEN,
)
from ..directory import Application, Resource, Tenant, User
from ..state import EmulatorState
from .errors import AadError
from .lifetime import wants_cae
from .scopes import parse_v1_resource, parse_v2_scopes
from .signin_state import AuthorizeRequest, RefreshGrant
from .token_endpoint import (
    GrantHandler,
    TokenRequest,
    authenticate_client,
    path_tenant,
    read_client_auth,
)
from .user_tokens import UserGrant, user_token_response

#: A poll sooner than this share of the interval gets ``slow_down`` (RFC 8628 3.5); the
#: margin keeps a client that sleeps exactly ``interval`` from being told off.
SLOW_DOWN_SHARE = 0.8
R = TypeVar("R")


def _required(form: dict[str, str], name: str) -> str:
    value = form.get(name)
    if value is None:
        raise AadError(aadsts.MISSING_PARAMETER, name=name)
    return value


def _presented(
    req: TokenRequest, name: str, issued: Mapping[str, R]
) -> tuple[Tenant | None, R | None]:
    """The tenant the path names and the record of the code or token the form's ``name``
    presents (None: not issued here); a missing ``name`` is refused before the path."""
    value = _required(req.form, name)
    return path_tenant(req.state, req.segment), issued.get(value)


def user_may_sign_in(state: EmulatorState, user: User, tenant: Tenant) -> bool:
    """A user signs in at home; a partner user also in the partner's customers (delegated
    admin, as GDAP gives)."""
    if user.tenant_id == tenant.id:
        return True
    partner = state.directory.partner_tenant
    return user.tenant_id == partner.id and tenant.kind == "customer"


def issuing_tenant(
    state: EmulatorState, requested: Tenant | None, user: User, segment: str
) -> Tenant:
    if requested is None:
        home = state.directory.tenant(user.tenant_id)
        assert home is not None
        return home
    if not user_may_sign_in(state, user, requested):
        raise AadError(aadsts.USER_NOT_FOUND, upn=user.upn, tenant=segment)
    return requested


def needs_mfa(state: EmulatorState, user: User) -> bool:
    home = state.directory.tenant(user.tenant_id)
    return user.totp_secret is not None and (home is None or home.mfa == "per_user")


def _client(req: TokenRequest, tenant: Tenant) -> tuple[Application, str]:
    auth = read_client_auth(req.form, req.http)
    if auth.client_id is None:
        raise AadError(aadsts.MISSING_PARAMETER, name="client_id")
    app = req.state.directory.app(auth.client_id)
    public = app is not None and app.public_client
    return authenticate_client(
        req.state, req.ctx, auth, tenant, req.segment, credential_required=not public
    )


def _target(
    state: EmulatorState,
    version: int,
    form: dict[str, str],
    tenant: Tenant,
    fallback: AuthorizeRequest | None = None,
) -> tuple[Resource, list[str], list[str]]:
    """(resource, permissions, OpenID scopes) from the request, or the sign-in's own."""
    if version == 2:
        scope = form.get("scope")
        if scope is not None:
            return parse_v2_scopes(state.directory, scope)
        if fallback is not None and fallback.resource is not None:
            return fallback.resource, list(fallback.permissions), list(fallback.oidc_scopes)
        raise AadError(aadsts.MISSING_PARAMETER, name="scope")
    resource_id = form.get("resource")
    if resource_id is not None:
        resource = parse_v1_resource(state.directory, resource_id, tenant.id)
        return resource, list(resource.scopes), ["openid"]
    if fallback is not None and fallback.resource is not None:
        return fallback.resource, list(fallback.permissions), ["openid"]
    raise AadError(aadsts.RESOURCE_MISSING)


def _wants_refresh_token(version: int, oidc_scopes: list[str]) -> bool:
    # v2 hands out refresh tokens only for offline_access; v1 always does.
    return version == 1 or "offline_access" in oidc_scopes


def _check_consent(
    state: EmulatorState, user: User, app: Application, resource: Resource, permissions: list[str]
) -> None:
    granted = state.signin.consented(user, app.client_id)
    missing = [p for p in permissions if f"{resource.uri}/{p}" not in granted]
    if missing:
        raise AadError(aadsts.CONSENT_REQUIRED, client_id=app.client_id, app_name=app.name)


def conditional_access_challenge(user: User) -> str:
    """The ``claims`` challenge of the modelled policy: Entra names the unmet policies in
    ``capolids``; a client passes the string as ``claims`` to its next interactive sign-in."""
    policy = str(uuid.uuid5(uuid.NAMESPACE_URL, f"partnercenter-emulator/ca/{user.tenant_id}"))
    challenge = {"access_token": {"capolids": {"essential": True, "values": [policy]}}}
    return json.dumps(challenge, separators=(",", ":"))


def check_conditional_access(user: User, amr: list[str], resource: Resource) -> None:
    """The modelled policy: a flagged user's tokens need MFA at sign-in. A user with no MFA
    method must enrol first (50079); otherwise 50076. Both are ``invalid_grant`` with
    ``suberror`` ``basic_action`` and the resource's app id, as Entra answers them."""
    if not user.conditional_access or "mfa" in amr:
        return
    entry = aadsts.MFA_REQUIRED if user.totp_secret else aadsts.MFA_ENROLL
    raise AadError(entry, claims=conditional_access_challenge(user), resource=resource.app_id)


async def _respond(
    req: TokenRequest,
    grant: UserGrant,
    refresh_family: str | None = None,
    with_refresh: bool | None = None,
) -> dict[str, Any]:
    """The success body for ``grant``; ``with_refresh`` None: as the grant's scopes decide."""
    state, version, form = req.state, req.version, req.form
    if with_refresh is None:
        with_refresh = _wants_refresh_token(version, grant.oidc_scopes)
    check_conditional_access(grant.user, grant.amr, grant.resource)
    cae = wants_cae(form.get("claims"))
    if version == 1 and "resource" in form:
        grant = dataclasses.replace(grant, requested_as=form["resource"])
    refresh: RefreshGrant | None = None
    if with_refresh:
        refresh = state.signin.new_refresh_token(
            grant.user,
            grant.app.client_id,
            grant.amr,
            state.clock.now(),
            refresh_family,
            resource=grant.resource.uri,
            # Tokens unused for twice the inactivity limit are dropped (until then they still
            # answer 700082); see SignInState for the rotation bound.
            max_age=2 * state.settings.refresh_token_inactivity_days * 86400,
        )
    return await user_token_response(
        state,
        grant,
        version=version,
        base_url=req.ctx.origin,
        refresh_token=refresh.token if refresh else None,
        want_client_info=form.get("client_info") == "1",
        cae=cae,
    )


async def authorization_code(req: TokenRequest) -> dict[str, Any]:
    state, version, segment, form = req.state, req.version, req.segment, req.form
    requested, record = _presented(req, "code", state.signin.codes)
    if record is None:
        raise AadError(aadsts.CODE_INVALID, name="code", detail="The code is unknown or malformed.")
    tenant = issuing_tenant(state, requested or record.request.tenant, record.user, segment)
    app, acr = _client(req, tenant)
    if app.client_id != record.request.app.client_id:
        raise AadError(
            aadsts.CODE_INVALID, name="code", detail="The code was issued to a different client."
        )
    with state.signin.lock:
        already = record.redeemed
        record.redeemed = True
    if already:
        raise AadError(aadsts.CODE_REDEEMED)
    if state.clock.now() > record.expires:
        raise AadError(aadsts.GRANT_EXPIRED)
    if form.get("redirect_uri") != record.request.redirect_uri:
        raise AadError(
            aadsts.CODE_INVALID,
            name="redirect_uri",
            detail="It does not match the redirect_uri of the authorization request.",
        )
    challenge = record.request.code_challenge
    if challenge is not None and not pkce_matches(
        challenge, record.request.code_challenge_method or "plain", form.get("code_verifier")
    ):
        raise AadError(aadsts.CODE_VERIFIER_MISMATCH)
    # The sign-in decided the scopes; a v1 redemption may still name the resource.
    override = form if version == 1 and "resource" in form else {}
    resource, permissions, oidc = _target(state, version, override, tenant, record.request)
    grant = UserGrant(
        tenant,
        app,
        acr,
        record.user,
        record.amr,
        resource,
        permissions,
        record.request.oidc_scopes or oidc,
        record.request.nonce,
    )
    return await _respond(req, grant)


def pkce_matches(challenge: str, method: str, verifier: str | None) -> bool:
    """RFC 7636: S256 compares base64url(SHA-256(verifier)); plain compares as is."""
    if not verifier:
        return False
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    else:
        computed = verifier
    return hmac.compare_digest(computed.encode(), challenge.encode())


async def refresh_token(req: TokenRequest) -> dict[str, Any]:
    state, version, segment, form = req.state, req.version, req.segment, req.form
    requested, record = _presented(req, "refresh_token", state.signin.refresh_tokens)
    if record is None:
        raise AadError(
            aadsts.REFRESH_TOKEN_MALFORMED,
            detail="The refresh token is malformed or was not issued here.",
        )
    tenant = issuing_tenant(state, requested, record.user, segment)
    app, acr = _client(req, tenant)
    if app.client_id != record.client_id:
        raise AadError(
            aadsts.CODE_INVALID,
            name="refresh_token",
            detail="The refresh token was issued to a different client.",
        )
    if record.revoked:
        raise AadError(aadsts.GRANT_REVOKED)
    if tenant.id != record.user.tenant_id and not tenant.delegated_admin:
        # A partner user acts in a customer tenant only through delegated admin rights.
        raise AadError(
            aadsts.PARTNER_APP_NOT_AUTHORIZED,
            app=app.client_id,
            app_name=app.name,
            tenant=tenant.id,
        )
    now = state.clock.now()
    limit = state.settings.refresh_token_inactivity_days * 86400
    if now - record.issued > limit:
        # Entra writes the issue time with 7 fractional digits and the inactivity limit as a
        # .NET TimeSpan ("90.00:00:00"), whatever the real idle time was.
        issued = dt.datetime.fromtimestamp(record.issued, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        inactive = f"{state.settings.refresh_token_inactivity_days}.00:00:00"
        raise AadError(aadsts.REFRESH_TOKEN_INACTIVE, issued=f"{issued}0Z", inactive=inactive)
    if version == 2 or "resource" in form:
        resource, permissions, oidc = _target(state, version, form, tenant)
    else:
        found = state.directory.resource(record.resource) if record.resource else None
        if found is None:
            raise AadError(aadsts.RESOURCE_MISSING)
        resource, permissions, oidc = found, list(found.scopes), ["openid"]
    _check_consent(state, record.user, app, resource, permissions)
    grant = UserGrant(tenant, app, acr, record.user, record.amr, resource, permissions, oidc)
    # Rotation: a new refresh token on every use, in the same family as the sign-in.
    return await _respond(req, grant, record.family, with_refresh=True)


async def device_code(req: TokenRequest) -> dict[str, Any]:
    state, segment, form = req.state, req.segment, req.form
    # MSAL sends the code as both device_code and code.
    value = form.get("device_code") or form.get("code")
    if value is None:
        raise AadError(aadsts.MISSING_PARAMETER, name="device_code")
    requested = path_tenant(state, segment)
    record = state.signin.device_codes.get(value)
    if record is None:
        raise AadError(aadsts.DEVICE_BAD_CODE)
    home = requested or record.request.tenant or state.directory.partner_tenant
    app, acr = _client(req, home)
    if app.client_id != record.request.app.client_id:
        raise AadError(aadsts.DEVICE_BAD_CODE)
    now = state.clock.now()
    with state.signin.lock:
        status, last = record.status, record.last_poll
        record.last_poll = now
        if status == "approved" and now <= record.expires:
            record.status = "redeemed"
    if now > record.expires:
        raise AadError(aadsts.DEVICE_EXPIRED)
    if status == "redeemed":
        raise AadError(aadsts.CODE_REDEEMED)
    if status == "declined":
        raise AadError(aadsts.DEVICE_DECLINED)
    if status == "pending":
        if last is not None and now - last < record.interval * SLOW_DOWN_SHARE:
            raise AadError(aadsts.DEVICE_SLOW_DOWN, interval=record.interval)
        raise AadError(aadsts.DEVICE_PENDING)
    assert record.user is not None
    tenant = issuing_tenant(state, requested or record.request.tenant, record.user, segment)
    assert record.request.resource is not None
    grant = UserGrant(
        tenant,
        app,
        acr,
        record.user,
        record.amr,
        record.request.resource,
        list(record.request.permissions),
        list(record.request.oidc_scopes),
    )
    return await _respond(req, grant)


async def password(req: TokenRequest) -> dict[str, Any]:
    state, segment, form = req.state, req.segment, req.form
    username = _required(form, "username")
    secret = _required(form, "password")
    requested = path_tenant(state, segment)
    user = state.directory.user(username)
    if user is None:
        raise AadError(aadsts.USER_NOT_FOUND, upn=username, tenant=segment)
    tenant = issuing_tenant(state, requested, user, segment)
    app, acr = _client(req, tenant)
    # Smart lockout: 50053 while locked, 50126 (counted) for a wrong password.
    state.signin.lockout.check_password(user, secret, state.clock.now())
    resource, permissions, oidc = _target(state, req.version, form, tenant)
    check_conditional_access(user, ["pwd"], resource)
    if needs_mfa(state, user):
        # The password grant cannot satisfy MFA: Azure AD answers 50076.
        raise AadError(aadsts.MFA_REQUIRED, resource=resource.app_id)
    _check_consent(state, user, app, resource, permissions)
    grant = UserGrant(tenant, app, acr, user, ["pwd"], resource, permissions, oidc)
    return await _respond(req, grant)


USER_GRANTS: dict[str, GrantHandler] = {
    GRANT_AUTHORIZATION_CODE: authorization_code,
    GRANT_REFRESH_TOKEN: refresh_token,
    GRANT_DEVICE_CODE: device_code,
    GRANT_PASSWORD: password,
}
