"""What the dashboard shows of the emulator's state, as plain data and without any secret.

Secrets, passwords, TOTP secrets, refresh tokens and codes are never read here: an app shows
how many secrets it has and when they expire, a user whether MFA is registered, a refresh
token who holds it, for which app, how it was obtained and until when it stays usable.
"""

from __future__ import annotations

from typing import Any

from ..state import EmulatorState

#: Rows of grants shown (newest first); the rest are counted.
MAX_GRANT_ROWS = 200


def directory(state: EmulatorState) -> dict[str, Any]:
    d = state.directory
    tenants = {t.id: t for t in d.tenants}
    return {
        "tenants": [
            {
                "name": t.name,
                "id": t.id,
                "kind": t.kind,
                "domains": list(t.domains),
                "mfa": "per user" if t.mfa == "per_user" else "skipped by tenant policy",
            }
            for t in d.tenants
        ],
        "apps": [
            {
                "name": a.name,
                "client_id": a.client_id,
                "home_tenant": _tenant_name(tenants, a.home_tenant_id),
                "type": "public" if a.public_client else "confidential",
                "secrets": len(a.secrets),
                "secret_expiry": [s.expires_on for s in a.secrets],
                "certificates": [c.thumbprint_sha1 for c in a.certificates],
                "redirect_uris": list(a.redirect_uris),
                "multi_tenant": a.multi_tenant,
                "roles": {uri: list(names) for uri, names in a.roles.items()},
            }
            for a in d.apps
        ],
        "users": [
            {
                "upn": u.upn,
                "display_name": u.display_name,
                "tenant": _tenant_name(tenants, u.tenant_id),
                # Another branch may give users roles; shown when the directory has them.
                "roles": list(getattr(u, "roles", None) or []),
                "mfa": _user_mfa(u.totp_secret is not None, tenants.get(u.tenant_id)),
            }
            for u in d.users
        ],
    }


def grants(state: EmulatorState) -> dict[str, Any]:
    signin = state.signin
    users = {u.object_id: u.upn for u in state.directory.users}
    apps = {a.client_id.lower(): a.name for a in state.directory.apps}
    with signin.lock:
        consents = [(key, sorted(value)) for key, value in signin.consents.items()]
        refresh = list(signin.refresh_tokens.values())
    refresh.sort(key=lambda grant: grant.issued, reverse=True)
    inactivity = state.settings.refresh_token_inactivity_days * 86400
    return {
        "consents": [
            {
                "user": users.get(object_id, object_id),
                "app": apps.get(client_id.lower(), client_id),
                "permissions": granted,
            }
            for (object_id, client_id), granted in consents[:MAX_GRANT_ROWS]
        ],
        "consents_total": len(consents),
        "refresh_tokens": [
            {
                "user": grant.user.upn,
                "app": apps.get(grant.client_id.lower(), grant.client_id),
                "amr": list(grant.amr),
                "issued": grant.issued,
                "usable_until": grant.issued + inactivity,
                "resource": grant.resource,
                "revoked": grant.revoked,
            }
            for grant in refresh[:MAX_GRANT_ROWS]
        ],
        "refresh_tokens_total": len(refresh),
    }


def _tenant_name(tenants: dict[str, Any], tenant_id: str) -> str:
    tenant = tenants.get(tenant_id)
    return str(tenant.name) if tenant is not None else tenant_id


def _user_mfa(registered: bool, tenant: Any) -> str:
    if tenant is not None and tenant.mfa == "skip":
        return "skipped (tenant policy): tokens lack mfa"
    return "TOTP registered" if registered else "none: tokens lack mfa"
