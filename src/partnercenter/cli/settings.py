"""What a command runs with: flags, then environment variables, then the profile.

Order of precedence, per setting (documented in docs/cli.md):

1. a command-line flag;
2. an environment variable: ``PARTNERCENTER_*`` first, then the Azure SDK convention
   (``AZURE_TENANT_ID``, ``AZURE_CLIENT_ID``, ``AZURE_CLIENT_SECRET``,
   ``AZURE_CLIENT_CERTIFICATE_PATH``, ``AZURE_CLIENT_CERTIFICATE_PASSWORD``,
   ``AZURE_AUTHORITY_HOST``);
3. the profile (``--profile``, ``PARTNERCENTER_PROFILE``, or the current one).

A secret or certificate in the environment makes the credential app-only with it, whatever the
profile's kind: that is how a CI job overrides a developer's login. Without any profile,
``AZURE_TENANT_ID`` + ``AZURE_CLIENT_ID`` + a secret or certificate suffice (like
azure-identity's ``EnvironmentCredential``).

Only :func:`cached_token` runs on the fast path of ``partnercenter token``: it imports neither
``httpx`` nor the credentials.
"""

from __future__ import annotations

import os
import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from ..clouds import Cloud
from ..tokens import AccessToken
from .errors import EXIT_CONFIG, CliError
from .profiles import Config, Kind, Profile, load_config, refresh_token_key, secret_key

if TYPE_CHECKING:
    import httpx

    from ..stores import RefreshTokenStore
    from ..token_cache import FileTokenCache

__all__ = ["ENV", "Resolved", "cached_token", "resolve"]

#: setting -> environment variables, most specific first.
ENV: Final[dict[str, tuple[str, ...]]] = {
    "tenant": ("PARTNERCENTER_TENANT_ID", "AZURE_TENANT_ID"),
    "client_id": ("PARTNERCENTER_CLIENT_ID", "AZURE_CLIENT_ID"),
    "client_secret": ("PARTNERCENTER_CLIENT_SECRET", "AZURE_CLIENT_SECRET"),
    "certificate_path": ("PARTNERCENTER_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PATH"),
    "certificate_password": (
        "PARTNERCENTER_CLIENT_CERTIFICATE_PASSWORD",
        "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    ),
    "authority_host": ("PARTNERCENTER_AUTHORITY_HOST", "AZURE_AUTHORITY_HOST"),
    "api_root": ("PARTNERCENTER_API_ROOT",),
    "cloud": ("PARTNERCENTER_CLOUD",),
    "ca_cert": ("PARTNERCENTER_CA_CERT",),
}

#: The credential classes' cache-identity kinds (see partnercenter.auth.base.CredentialCore).
_IDENTITY_KIND: Final = {"secret": "secret", "certificate": "certificate", "user": "refresh_token"}
_KNOWN_CLOUDS: Final = ("global", "china", "us_government")


def env(setting: str) -> str | None:
    """The first non-empty environment variable for ``setting``."""
    for name in ENV[setting]:
        value = os.environ.get(name)
        if value:
            return value
    return None


def _with_scheme(host: str) -> str:
    # azure-identity's AZURE_AUTHORITY_HOST may be a bare host name ("login.microsoftonline.us").
    return host if "://" in host else f"https://{host}"


def make_cloud(
    cloud: str | None, authority_host: str | None, api_root: str | None
) -> tuple[Cloud, str]:
    """The cloud and how to record it in a profile (a well-known name, or ``custom``)."""
    from ..errors import ConfigurationError

    name = (cloud or "global").lower().replace("-", "_")
    if name not in (*_KNOWN_CLOUDS, "custom"):
        raise CliError(
            "unknown cloud; use global, china, us_government or custom",
            exit_code=EXIT_CONFIG,
        )
    base = Cloud.by_name("global" if name == "custom" else name)
    if authority_host is None and api_root is None:
        if name == "custom":
            raise CliError("a custom cloud needs --authority-host", exit_code=EXIT_CONFIG)
        return base, name
    host = _with_scheme(authority_host) if authority_host else base.authority_host
    for known in (Cloud.GLOBAL, Cloud.CHINA, Cloud.US_GOVERNMENT):
        if host.rstrip("/") == known.authority_host and api_root is None:
            return known, known.name
    try:
        # An emulator serves both on one origin, hence the API root's default.
        custom = Cloud.custom(authority_host=host, api_root=api_root or host, like=base)
    except ConfigurationError as exc:
        raise CliError(f"{exc.argument}: not an https URL (http only on loopback)") from None
    return custom, "custom"


@dataclass
class Resolved:
    """Everything a credential needs, with where the secrets are."""

    profile: Profile | None
    cloud: Cloud
    tenant: str
    client_id: str
    kind: Kind
    ca_cert: str | None
    endpoint_version: str
    client_secret: str | None = None
    certificate_path: str | None = None
    certificate_password: str | None = None

    @property
    def name(self) -> str:
        return self.profile.name if self.profile else "(environment)"

    def default_scope(self) -> str:
        if self.kind == "user":
            return self.cloud.user_impersonation_scope
        return self.cloud.partner_center_scope

    def cache_key(self, scopes: tuple[str, ...], tenant: str | None) -> Hashable:
        """The key the credential caches ``scopes`` under (its identity, the tenant override,
        the scopes as asked), so this process and the credential find the same entry."""
        from ..stores.base import credential_identity, refresh_token_account

        account = ""
        if self.kind == "user" and self.profile is not None:
            # As build_credential's RefreshTokenCredential names its refresh token.
            store = secret_store(self.profile)
            account = refresh_token_account(store, refresh_token_key(self.profile.name))
        identity = credential_identity(
            _IDENTITY_KIND[self.kind],
            self.cloud.authority_host,
            self.tenant,
            self.client_id,
            self.endpoint_version,
            account,
        )
        return (identity, tenant, scopes)


def resolve(
    config: Config | None = None,
    *,
    profile_name: str | None = None,
    tenant: str | None = None,
    client_id: str | None = None,
) -> Resolved:
    """The settings for a command: flags (given here), environment, profile."""
    config = config if config is not None else load_config()
    if profile_name is None:
        import click

        profile_name = click.get_current_context().find_root().meta.get("profile")
    secret = env("client_secret")
    certificate = env("certificate_path")
    env_tenant, env_client = env("tenant"), env("client_id")
    profile: Profile | None = None
    if (
        profile_name
        or config.current
        or not (env_tenant and env_client and (secret or certificate))
    ):
        profile = config.get(profile_name)
    kind: Kind
    if certificate:
        kind = "certificate"
    elif secret:
        kind = "secret"
    elif profile is not None:
        kind = profile.kind
    else:  # pragma: no cover - config.get raised
        raise CliError("no credential", exit_code=EXIT_CONFIG)
    final_tenant = tenant or env_tenant or (profile.tenant if profile else None)
    final_client = client_id or env_client or (profile.client_id if profile else None)
    if not final_tenant or not final_client:
        raise CliError(
            "the tenant and the client id are needed",
            hint="Set AZURE_TENANT_ID and AZURE_CLIENT_ID, or log in with a profile.",
            exit_code=EXIT_CONFIG,
        )
    cloud, _ = make_cloud(
        env("cloud") or (profile.cloud if profile else None),
        env("authority_host") or (profile.authority_host if profile else None),
        env("api_root") or (profile.api_root if profile else None),
    )
    return Resolved(
        profile=profile,
        cloud=cloud,
        tenant=final_tenant,
        client_id=final_client,
        kind=kind,
        ca_cert=env("ca_cert") or (profile.ca_cert if profile else None),
        endpoint_version=profile.endpoint_version if profile else "v2",
        client_secret=secret,
        certificate_path=certificate or (profile.certificate_path if profile else None),
        certificate_password=env("certificate_password"),
    )


def token_cache(profile: str) -> FileTokenCache:
    """The CLI's encrypted access-token cache, one namespace per profile (a credential's cache
    key does not name the signed-in user)."""
    from ..token_cache import FileTokenCache

    return FileTokenCache(namespace=f"profile:{profile}")


def cached_token(
    resolved: Resolved, scopes: tuple[str, ...], tenant: str | None
) -> AccessToken | None:
    """A token from the encrypted cache that needs no refresh yet, or None."""
    entry = token_cache(resolved.name).get(resolved.cache_key(scopes, tenant))
    if entry is not None and time.time() < entry[0]:
        return entry[1]
    return None


def secret_store(profile: Profile) -> RefreshTokenStore:
    """Where a profile's secrets and refresh token are kept."""
    from ..stores import FileRefreshTokenStore, KeyringRefreshTokenStore
    from ..stores.file import default_store_path

    if profile.store == "keyring":
        return KeyringRefreshTokenStore()
    return FileRefreshTokenStore(default_store_path())


def _secret(resolved: Resolved, what: str) -> str | None:
    profile = resolved.profile
    if profile is None:
        return None
    return secret_store(profile).load(secret_key(profile.name, what))


def verify_option(resolved: Resolved) -> Any:
    return resolved.ca_cert or True


def build_credential(
    resolved: Resolved, http_client: httpx.Client, cache: FileTokenCache | None = None
) -> Any:
    """The library credential for these settings (imports httpx: the slow path)."""
    from .. import CertificateCredential, ClientSecretCredential, RefreshTokenCredential

    options: dict[str, Any] = {
        "cloud": resolved.cloud,
        "endpoint_version": resolved.endpoint_version,
        "http_client": http_client,
        "cache": cache if cache is not None else token_cache(resolved.name),
    }
    if resolved.kind == "secret":
        secret = resolved.client_secret or _secret(resolved, "client_secret")
        if not secret:
            raise CliError(
                f"profile {resolved.name!r} has no stored client secret",
                hint="Log in again: partnercenter login (secret in AZURE_CLIENT_SECRET).",
                exit_code=EXIT_CONFIG,
            )
        return ClientSecretCredential(resolved.tenant, resolved.client_id, secret, **options)
    password = resolved.certificate_password
    if password is None and resolved.profile and resolved.profile.has_certificate_password:
        password = _secret(resolved, "certificate_password")
    if resolved.kind == "certificate":
        return CertificateCredential(
            resolved.tenant,
            resolved.client_id,
            certificate_path=resolved.certificate_path,
            password=password,
            **options,
        )
    profile = resolved.profile
    assert profile is not None
    secret = _secret(resolved, "client_secret") if profile.has_secret else None
    return RefreshTokenCredential(
        resolved.tenant,
        resolved.client_id,
        store=secret_store(profile),
        store_key=refresh_token_key(profile.name),
        client_secret=secret,
        certificate_path=resolved.certificate_path,
        password=password,
        **options,
    )
