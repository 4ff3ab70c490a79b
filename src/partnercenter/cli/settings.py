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

A Redis URL (``--redis-url``, ``PARTNERCENTER_REDIS_URL``, or the one saved with the profile,
in that order) makes the credential share access tokens, and an app + user profile's refresh
token, through Redis (:func:`shared_redis`) instead of the on-disk cache and store. The on-disk
cache is then neither read nor written: it could hold a token the fleet has since dropped.

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
from .profiles import (
    Config,
    Kind,
    Profile,
    load_config,
    redis_prefix,
    refresh_token_key,
    secret_key,
)

if TYPE_CHECKING:
    import httpx

    from ..stores import RefreshTokenStore
    from ..token_cache import FileTokenCache

__all__ = ["ENV", "Resolved", "cached_token", "describe_redis", "hidden_values", "resolve"]

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
    "redis_url": ("PARTNERCENTER_REDIS_URL",),
}

#: Values this process must never print (Redis URLs and their passwords), for the CLI's last
#: line of defence against an unexpected error message (see partnercenter.cli.main.run).
_HIDDEN: set[str] = set()


def hidden_values() -> list[str]:
    """The values to blank out of any message, longest first."""
    return sorted(_HIDDEN, key=len, reverse=True)


def describe_redis(url: str) -> str:
    """A Redis URL as it may be shown: scheme and hosts, never the password. Remembers the URL
    and its password as values never to print."""
    from urllib.parse import urlsplit

    from ..errors import ConfigurationError
    from ..stores.redis_support import parse_redis_url

    _HIDDEN.add(url)

    def bad(problem: str) -> CliError:
        return CliError(
            f"the Redis URL {problem} (it is not repeated here: it may hold a password)",
            hint="Check --redis-url, PARTNERCENTER_REDIS_URL, or the profile's (log in again). "
            "Forms: redis://[:password@]host[:port][/db], rediss://, redis+sentinel://, "
            "redis+cluster://.",
            exit_code=EXIT_CONFIG,
        )

    try:
        target = parse_redis_url(url)
    except ConfigurationError as exc:
        raise bad(str(exc.message).partition(": ")[2]) from None
    password = target.password
    if target.url:
        parts = urlsplit(target.url)
        password = parts.password
        if password:
            _HIDDEN.add(password)
        # redis-py reads one-server URLs itself, on first use: check them now, with our words.
        try:
            parts.port  # noqa: B018 - parsing the port is the check
        except ValueError:
            raise bad("has a port that is not a number") from None
        database = parts.path.strip("/")
        if target.url.startswith("redis") and database and not database.isdigit():
            raise bad("has a database number that is not a number")
    if password:
        _HIDDEN.add(password)
    return target.describe()


#: The credential classes' cache-identity kinds (see
#: partnercenter._credentials.base.CredentialCore).
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
    #: From --redis-url or PARTNERCENTER_REDIS_URL (the profile's own is read on demand).
    redis_url: str | None = None

    @property
    def uses_redis(self) -> bool:
        """Whether tokens are shared through Redis (known without reading any store)."""
        return bool(self.redis_url) or bool(self.profile and self.profile.redis)

    def shared_redis_url(self) -> str | None:
        """The Redis URL in force: the flag's or the environment's, else the profile's."""
        if self.redis_url:
            return self.redis_url
        profile = self.profile
        if profile is None or not profile.redis:
            return None
        url = secret_store(profile).load(secret_key(profile.name, "redis_url"))
        if not url:
            raise CliError(
                f"profile {profile.name!r} shares tokens through {profile.redis}, but its URL "
                "is not in the secret store",
                hint="Log in again with --redis-url, or set PARTNERCENTER_REDIS_URL.",
                exit_code=EXIT_CONFIG,
            )
        return url

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
    redis_url: str | None = None,
) -> Resolved:
    """The settings for a command: flags (given here), environment, profile."""
    config = config if config is not None else load_config()
    if profile_name is None:
        import click

        meta = click.get_current_context().find_root().meta
        profile_name = meta.get("profile")
        redis_url = redis_url or meta.get("redis_url")
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
        redis_url=redis_url or env("redis_url"),
    )


def token_cache(profile: str) -> FileTokenCache:
    """The CLI's encrypted access-token cache, one namespace per profile (a credential's cache
    key does not name the signed-in user)."""
    from ..token_cache import FileTokenCache

    return FileTokenCache(namespace=f"profile:{profile}")


def cached_token(
    resolved: Resolved, scopes: tuple[str, ...], tenant: str | None
) -> AccessToken | None:
    """A token from the encrypted cache that needs no refresh yet, or None (always None when
    tokens are shared through Redis: the disk may hold one the fleet has dropped)."""
    if resolved.uses_redis:
        return None
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


def shared_redis(resolved: Resolved) -> tuple[Any, Any] | None:
    """``(RedisTokenCache, RedisRefreshTokenStore)`` when a Redis URL is in force, else None.

    Nothing connects here. The encryption key is ``PARTNERCENTER_STORE_KEY`` (every machine of
    the fleet needs the same one). App + user profiles get a key prefix of their own: see
    :func:`~partnercenter.cli.profiles.redis_prefix`."""
    url = resolved.shared_redis_url()
    if url is None:
        return None
    describe_redis(url)  # checks the URL (errors without it) and hides it from every message
    from ..fleet import redis_from_env

    options: dict[str, Any] = {}
    if resolved.kind == "user" and resolved.profile is not None:
        options["prefix"] = redis_prefix(resolved.profile.name)
    return redis_from_env(url, **options)


def build_credential(
    resolved: Resolved,
    http_client: httpx.Client,
    cache: Any = None,
    store: RefreshTokenStore | None = None,
) -> Any:
    """The library credential for these settings (imports httpx: the slow path). ``cache`` and
    ``store`` default to the on-disk ones."""
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
        store=store if store is not None else secret_store(profile),
        store_key=refresh_token_key(profile.name),
        client_secret=secret,
        certificate_path=resolved.certificate_path,
        password=password,
        **options,
    )
