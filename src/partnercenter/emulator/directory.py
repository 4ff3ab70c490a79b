"""The emulator's directory: tenants, applications, users and resources.

A plain in-memory model of what an Azure AD tenant knows about, with the look-ups the token
service needs (tenant by GUID or verified domain, app by client id, resource by identifier URI
or application id). The built-in seed lives in ``seed.py``; config files extend or replace it
(``config.py``).
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cryptography import x509

from .x509util import thumbprint_sha1, thumbprint_sha256, x5t, x5t_s256

#: Namespace for the ids the emulator derives from names, so a seed is reproducible.
ID_NAMESPACE = uuid.UUID("6f1c2a0e-4d7b-5c3e-9a8f-0b1d2e3f4a5b")


def derived_id(*parts: str) -> str:
    """A stable GUID derived from names (same input, same id, every run)."""
    return str(uuid.uuid5(ID_NAMESPACE, "/".join(parts)))


@dataclass(frozen=True, slots=True)
class DeclaredSubscription:
    """A subscription a config file asks a customer to have (a catalog product's SKU 0001)."""

    product_id: str
    quantity: int = 1
    billing_cycle: Literal["monthly", "annual"] = "monthly"
    status: Literal["active", "suspended"] = "active"


@dataclass(slots=True)
class Tenant:
    id: str
    name: str
    domains: list[str]
    kind: Literal["partner", "customer"] = "customer"
    #: ``per_user``: users with a TOTP secret must pass MFA; ``skip``: a tenant policy that
    #: skips MFA, so every sign-in yields tokens whose ``amr`` lacks ``mfa``.
    mfa: Literal["per_user", "skip"] = "per_user"
    #: A customer's relationship with the partner: ``reseller`` (the partner's customer) or
    #: ``none`` (a tenant the partner does not serve: Partner Center answers 403 / 20002).
    relationship: Literal["reseller", "none"] = "reseller"
    #: The customer granted the partner delegated admin rights (DAP/GDAP), so partner users
    #: may redeem tokens at its authority (Entra answers AADSTS90099 otherwise).
    delegated_admin: bool = True
    #: Subscriptions a config declares for this customer (None: the seed's usual two).
    subscriptions: list[DeclaredSubscription] | None = None

    @property
    def default_domain(self) -> str:
        return self.domains[0]


@dataclass(slots=True)
class RegisteredSecret:
    value: str = field(repr=False)
    #: Epoch seconds after which the secret is refused (AADSTS7000222); None never expires.
    expires_on: float | None = None
    id: str = ""


@dataclass(slots=True)
class AppCertificate:
    certificate: x509.Certificate
    cert_path: Path | None = None
    key_path: Path | None = None
    pfx_path: Path | None = None
    pfx_password: str | None = field(default=None, repr=False)
    thumbprint_sha1: str = field(init=False)
    thumbprint_sha256: str = field(init=False)
    x5t: str = field(init=False)
    x5t_s256: str = field(init=False)

    def __post_init__(self) -> None:
        self.thumbprint_sha1 = thumbprint_sha1(self.certificate)
        self.thumbprint_sha256 = thumbprint_sha256(self.certificate)
        self.x5t = x5t(self.certificate)
        self.x5t_s256 = x5t_s256(self.certificate)


@dataclass(slots=True)
class Application:
    name: str
    client_id: str
    home_tenant_id: str
    secrets: list[RegisteredSecret] = field(default_factory=list)
    certificates: list[AppCertificate] = field(default_factory=list)
    redirect_uris: list[str] = field(default_factory=list)
    public_client: bool = False
    #: Multi-tenant apps have a service principal in every tenant of the directory (as a
    #: partner's app does in its customers' tenants through delegated admin).
    multi_tenant: bool = True
    #: Application permissions (``roles`` claim of app-only tokens), by resource URI.
    roles: dict[str, list[str]] = field(default_factory=dict)

    def installed_in(self, tenant_id: str) -> bool:
        return self.multi_tenant or tenant_id == self.home_tenant_id

    def service_principal_id(self, tenant_id: str) -> str:
        """The app's object id in ``tenant_id`` (the ``oid`` of its app-only tokens)."""
        return derived_id("service-principal", self.client_id, tenant_id)

    def match_secret(self, presented: str) -> RegisteredSecret | None:
        """The registered secret equal to ``presented`` (constant-time per comparison)."""
        found = None
        for secret in self.secrets:
            if hmac.compare_digest(secret.value.encode(), presented.encode()):
                found = secret
        return found

    def certificate_by_thumbprint(
        self, *, sha1: str | None, sha256: str | None
    ) -> AppCertificate | None:
        for cert in self.certificates:
            if (sha256 and cert.x5t_s256 == sha256) or (sha1 and cert.x5t == sha1):
                return cert
        return None


@dataclass(slots=True)
class User:
    upn: str
    tenant_id: str
    object_id: str
    display_name: str
    password: str = field(repr=False)
    #: Base32 TOTP secret; None means the user has no MFA method registered.
    totp_secret: str | None = field(default=None, repr=False)
    #: Partner Center roles (``admin_agent``, ``sales_agent``...; see
    #: ``partnercenter._contract.operations.Role``) of a partner-tenant user; empty: no role.
    roles: list[str] = field(default_factory=list)
    #: Under a conditional-access policy that requires MFA for every token (the emulator's
    #: one modelled policy): tokens without MFA are refused with a claims challenge.
    conditional_access: bool = False


@dataclass(slots=True)
class Resource:
    """An API that tokens are issued for (``aud``)."""

    name: str
    uri: str
    app_id: str
    #: Access-token shape this API asks for: 1 (``sts.windows.net`` issuer, ``aud`` = URI)
    #: or 2 (``aud`` = app id). Partner Center and both Graphs take v1 tokens.
    token_version: Literal[1, 2] = 1
    #: Delegated permissions (``scp``) the API exposes.
    scopes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Directory:
    tenants: list[Tenant] = field(default_factory=list)
    apps: list[Application] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    _tenant_index: dict[str, Tenant] = field(default_factory=dict, repr=False)
    _app_index: dict[str, Application] = field(default_factory=dict, repr=False)
    _resource_index: dict[str, Resource] = field(default_factory=dict, repr=False)
    _user_index: dict[str, User] = field(default_factory=dict, repr=False)
    _user_oid_index: dict[str, User] = field(default_factory=dict, repr=False)

    def reindex(self) -> None:
        """Rebuild the look-up tables; call after changing the lists."""
        self._tenant_index = {}
        for tenant in self.tenants:
            self._tenant_index[tenant.id.lower()] = tenant
            for domain in tenant.domains:
                self._tenant_index[domain.lower()] = tenant
        self._app_index = {app.client_id.lower(): app for app in self.apps}
        self._resource_index = {}
        for resource in self.resources:
            self._resource_index[_normalize_uri(resource.uri)] = resource
            self._resource_index[resource.app_id.lower()] = resource
        self._user_index = {user.upn.lower(): user for user in self.users}
        self._user_oid_index = {user.object_id.lower(): user for user in self.users}

    @property
    def partner_tenant(self) -> Tenant:
        for tenant in self.tenants:
            if tenant.kind == "partner":
                return tenant
        raise LookupError("the directory has no partner tenant")

    @property
    def customer_tenants(self) -> list[Tenant]:
        return [tenant for tenant in self.tenants if tenant.kind == "customer"]

    def tenant(self, segment: str) -> Tenant | None:
        """The tenant named by a GUID or a verified domain (case-insensitive)."""
        return self._tenant_index.get(segment.lower())

    def app(self, client_id: str) -> Application | None:
        return self._app_index.get(client_id.lower())

    def resource(self, identifier: str) -> Resource | None:
        """The resource named by its identifier URI (trailing slash tolerated) or app id."""
        return self._resource_index.get(_normalize_uri(identifier)) or self._resource_index.get(
            identifier.lower()
        )

    def user(self, upn: str) -> User | None:
        return self._user_index.get(upn.lower())

    def user_by_object_id(self, object_id: str) -> User | None:
        return self._user_oid_index.get(object_id.lower())


def _normalize_uri(uri: str) -> str:
    return uri.rstrip("/").lower()
