"""The running contract: what ``emulator.json`` (and ``Emulator``) tells clients and tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .directory import Application, Tenant
from .state import EmulatorState


def _tenant(tenant: Tenant) -> dict[str, Any]:
    return {
        "id": tenant.id,
        "domain": tenant.default_domain,
        "name": tenant.name,
        "domains": list(tenant.domains),
        "relationship": tenant.relationship,
        "delegated_admin": tenant.delegated_admin,
    }


def _app(app: Application) -> dict[str, Any]:
    cert = app.certificates[0] if app.certificates else None
    current = [s for s in app.secrets]
    return {
        "name": app.name,
        "client_id": app.client_id,
        "tenant_id": app.home_tenant_id,
        "client_secret": current[0].value if current else None,
        "secrets": [{"value": s.value, "expires_on": s.expires_on} for s in app.secrets],
        "certificate": None
        if cert is None
        else {
            "cert_path": str(cert.cert_path) if cert.cert_path else None,
            "key_path": str(cert.key_path) if cert.key_path else None,
            "pfx_path": str(cert.pfx_path) if cert.pfx_path else None,
            "pfx_password": cert.pfx_password,
            "thumbprint_sha1": cert.thumbprint_sha1,
            "thumbprint_sha256": cert.thumbprint_sha256,
        },
        "redirect_uris": list(app.redirect_uris),
        "public_client": app.public_client,
        "multi_tenant": app.multi_tenant,
    }


def describe(
    state: EmulatorState, *, base_url: str, ca_cert: Path | None, state_dir: Path
) -> dict[str, Any]:
    directory = state.directory
    return {
        "base_url": base_url,
        "authority_host": base_url,
        "api_root": base_url,
        "ca_cert": str(ca_cert) if ca_cert else None,
        "admin_key": state.admin_key,
        "state_dir": str(state_dir),
        "partner_tenant": _tenant(directory.partner_tenant),
        "customer_tenants": [_tenant(t) for t in directory.customer_tenants],
        "apps": [_app(app) for app in directory.apps],
        "users": [
            {
                "upn": user.upn,
                "password": user.password,
                "totp_secret": user.totp_secret,
                "tenant_id": user.tenant_id,
                "object_id": user.object_id,
                "display_name": user.display_name,
                "roles": list(user.roles),
            }
            for user in directory.users
        ],
        "resources": [
            {
                "name": r.name,
                "uri": r.uri,
                "app_id": r.app_id,
                "token_version": r.token_version,
                "scopes": list(r.scopes),
            }
            for r in directory.resources
        ],
    }
