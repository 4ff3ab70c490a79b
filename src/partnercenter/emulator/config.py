"""Loading the emulator's directory and settings from the seed and an optional config file.

A config file (TOML, YAML or JSON, by extension) has the seed's shape::

    replace_seed = false          # true: start from an empty directory instead of the seed
    [settings]
    token_lifetime = 3599
    [[tenants]]
    name = "Northwind"
    domains = ["northwind.onmicrosoft.com"]
    [[apps]]
    name = "my-app"
    secrets = [{ value = "s3cret", expires = "2030-01-01T00:00:00Z" }]
    certificate = true

Entries extend the seed; an entry with the same ``name`` (``upn`` for users) replaces the seed's.
Every problem is reported as ``ConfigError("FILE: ENTRY: PROBLEM")`` naming the entry, e.g.
``emu.toml: apps[2].client_id: 'abc' is not a GUID``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from .._contract.operations import Role
from .directory import (
    AppCertificate,
    Application,
    DeclaredSubscription,
    Directory,
    RegisteredSecret,
    Resource,
    Tenant,
    User,
    derived_id,
)
from .files import write_private
from .seed import default_seed, seed_client_id
from .x509util import cert_pem, key_pem, new_rsa_key, self_signed

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.I)
_BASE32 = re.compile(r"^[A-Z2-7]{16,}=*$")
PFX_PASSWORD = "emulator"


class ConfigError(ValueError):
    """A config file (or entry) the emulator cannot use; the message names where and why."""


@dataclass(frozen=True, slots=True)
class Settings:
    #: A fixed access-token lifetime (seconds). Unset, lifetimes are random between 60 and
    #: 90 minutes, as Entra ID's are (see docs/decisions.md).
    token_lifetime: int | None = None
    #: Seed for the random lifetimes (unset: a fresh seed), for reproducible tests.
    token_lifetime_seed: int | None = None
    #: A fixed lifetime for tokens of CAE-capable clients (``xms_cc`` ``cp1``); unset, random
    #: between 20 and 28 hours.
    cae_token_lifetime: int | None = None
    #: Opt-in: refuse a client assertion whose ``jti`` was already used (AADSTS7000230, an
    #: emulator-only code). Entra ID accepts a reused assertion while it is valid, and MSAL
    #: Python reuses one for up to 540 s, so this is off by default.
    reject_assertion_replay: bool = False
    #: Seconds between publishing a rotated signing key in the JWKS and signing with it.
    key_rotation_delay: int = 300
    #: Add the optional ``idtyp`` claim (``app``/``user``) to access tokens, as a resource
    #: that lists it among its optional claims gets; off by default.
    idtyp_claim: bool = False
    #: Clock skew tolerated on client assertion ``nbf``/``exp`` (seconds).
    assertion_skew: int = 300
    #: Device-code polling interval announced to clients (seconds); polls faster than this
    #: get ``slow_down``.
    device_code_interval: int = 5
    device_code_lifetime: int = 900
    #: Authorization codes are short-lived and single-use.
    auth_code_lifetime: int = 600
    #: Refresh tokens expire after this many days unused (AADSTS700082).
    refresh_token_inactivity_days: int = 90
    #: Refuse a TOTP code of a time step the user already signed in with, or of an earlier
    #: one (RFC 6238 5.2: a code is accepted once, as Entra ID does). Scripts get an unused
    #: code from partnercenter.testing.next_totp or POST /_emulator/users/{upn}/totp; false
    #: accepts a code again within its window (see docs/decisions.md).
    single_use_totp: bool = True
    #: Partner Center API throttling: token buckets per partner tenant and per partner tenant
    #: per customer (requests a second, bucket size). Customer-scoped calls are limited as
    #: Partner Center documents for the Customer resource, 500 requests a minute per customer
    #: tenant; Microsoft publishes no partner-wide figure, so that bucket is generous. Raise
    #: them (or POST /_emulator/throttling) for load tests; lower them to test 429 handling.
    api_rate_per_second: float = 10_000.0
    api_burst: int = 10_000
    api_customer_rate_per_second: float = 500 / 60
    api_customer_burst: int = 500
    #: Clock skew tolerated on the API's bearer tokens (``nbf``/``exp``, seconds).
    api_token_skew: int = 300
    #: The seeded Partner Center data: random seed and number of made-up customers.
    api_data_seed: int = 20261101
    api_generated_customers: int = 300


_SETTING_TYPES: dict[str, type] = {
    "token_lifetime": int,
    "token_lifetime_seed": int,
    "cae_token_lifetime": int,
    "reject_assertion_replay": bool,
    "key_rotation_delay": int,
    "idtyp_claim": bool,
    "assertion_skew": int,
    "device_code_interval": int,
    "device_code_lifetime": int,
    "auth_code_lifetime": int,
    "refresh_token_inactivity_days": int,
    "single_use_totp": bool,
    "api_rate_per_second": float,
    "api_burst": int,
    "api_customer_rate_per_second": float,
    "api_customer_burst": int,
    "api_token_skew": int,
    "api_data_seed": int,
    "api_generated_customers": int,
}


#: Settings for which 0 means "none" rather than an error.
_ZERO_ALLOWED = frozenset({"api_generated_customers"})


class _Where:
    """Builds ``FILE: ENTRY: PROBLEM`` messages."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, entry: str, problem: str) -> ConfigError:
        return ConfigError(
            f"{self.source}: {entry}: {problem}" if entry else f"{self.source}: {problem}"
        )


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse a TOML, YAML or JSON file into a dict, with errors that name the file."""
    where = _Where(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise where.error("", "file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise where.error("", f"cannot read the file ({exc})") from exc
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            raise where.error("", "unknown format: use a .toml, .yaml/.yml or .json file")
    except (tomllib.TOMLDecodeError, yaml.YAMLError, json.JSONDecodeError) as exc:
        raise where.error("", f"not valid {suffix[1:].upper()}: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise where.error("", "the top level must be a table/mapping")
    return data


def build(
    config: dict[str, Any] | None,
    *,
    source: str = "config",
    apps_dir: Path,
) -> tuple[Directory, Settings]:
    """Merge ``config`` into the seed (or replace it) and build the directory and settings."""
    where = _Where(source)
    config = dict(config or {})
    allowed = {"replace_seed", "settings", "tenants", "apps", "users", "resources"}
    for key in config:
        if key not in allowed:
            raise where.error(key, f"unknown key (expected one of {', '.join(sorted(allowed))})")
    replace = config.get("replace_seed", False)
    if not isinstance(replace, bool):
        raise where.error("replace_seed", "must be true or false")
    doc: dict[str, list[Any]] = (
        {"tenants": [], "apps": [], "users": [], "resources": []} if replace else default_seed()
    )
    # Remember where each entry came from so errors name the user's entry, not the seed's.
    origins: dict[str, list[str]] = {
        kind: [f"seed {kind}[{i}]" for i in range(len(doc[kind]))] for kind in doc
    }
    for kind, key in (
        ("tenants", "name"),
        ("apps", "name"),
        ("users", "upn"),
        ("resources", "name"),
    ):
        entries = config.get(kind, [])
        if not isinstance(entries, list):
            raise where.error(kind, "must be a list of tables")
        for index, entry in enumerate(entries):
            label = f"{kind}[{index}]"
            if not isinstance(entry, dict):
                raise where.error(label, "must be a table/mapping")
            existing = [i for i, e in enumerate(doc[kind]) if e.get(key) == entry.get(key)]
            if existing and entry.get(key) is not None:
                doc[kind][existing[0]] = entry
                origins[kind][existing[0]] = label
            else:
                doc[kind].append(entry)
                origins[kind].append(label)
    settings = _settings(config.get("settings", {}), where)
    directory = Directory()
    directory.resources = [
        _resource(e, _Entry(where, origins["resources"][i])) for i, e in enumerate(doc["resources"])
    ]
    directory.tenants = [
        _tenant(e, _Entry(where, origins["tenants"][i])) for i, e in enumerate(doc["tenants"])
    ]
    _unique(where, origins["tenants"], [t.id for t in directory.tenants], "id")
    _unique(where, origins["tenants"], [d for t in directory.tenants for d in t.domains], "domain")
    partners = [t for t in directory.tenants if t.kind == "partner"]
    if len(partners) != 1:
        raise where.error(
            "tenants", f"exactly one tenant must be kind 'partner' ({len(partners)} are)"
        )
    directory.reindex()
    directory.apps = [
        _app(e, _Entry(where, origins["apps"][i]), directory, apps_dir)
        for i, e in enumerate(doc["apps"])
    ]
    _unique(where, origins["apps"], [a.client_id.lower() for a in directory.apps], "client_id")
    directory.users = [
        _user(e, _Entry(where, origins["users"][i]), directory) for i, e in enumerate(doc["users"])
    ]
    directory.reindex()
    return directory, settings


class _Entry:
    def __init__(self, where: _Where, label: str) -> None:
        self.where = where
        self.label = label

    def error(self, field: str, problem: str) -> ConfigError:
        return self.where.error(f"{self.label}.{field}" if field else self.label, problem)

    def check_keys(self, entry: dict[str, Any], allowed: set[str]) -> None:
        for key in entry:
            if key not in allowed:
                raise self.error(
                    str(key), f"unknown field (expected one of {', '.join(sorted(allowed))})"
                )

    def str_(self, entry: dict[str, Any], field: str, default: str | None = None) -> str:
        value = entry.get(field, default)
        if not isinstance(value, str) or not value.strip():
            raise self.error(field, "is required and must be a non-empty string")
        return value

    def guid(self, entry: dict[str, Any], field: str, default: str) -> str:
        value = entry.get(field, default)
        try:
            return str(uuid.UUID(str(value)))
        except ValueError:
            raise self.error(field, f"{value!r} is not a GUID") from None

    def bool_(self, entry: dict[str, Any], field: str, default: bool) -> bool:
        value = entry.get(field, default)
        if not isinstance(value, bool):
            raise self.error(field, "must be true or false")
        return value

    def str_list(self, entry: dict[str, Any], field: str) -> list[str]:
        value = entry.get(field, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(field, "must be a list of non-empty strings")
        return list(value)


def _unique(where: _Where, labels: list[str], values: list[str], field: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value.lower() in seen:
            raise where.error(field, f"{value!r} is used by more than one entry")
        seen.add(value.lower())


def _settings(raw: Any, where: _Where) -> Settings:
    if not isinstance(raw, dict):
        raise where.error("settings", "must be a table/mapping")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        expected = _SETTING_TYPES.get(key)
        if expected is None:
            raise where.error(
                f"settings.{key}", f"unknown setting (expected one of {', '.join(_SETTING_TYPES)})"
            )
        if expected is float and type(value) is int:
            value = float(value)  # TOML/YAML write 5 for 5.0
        if type(value) is not expected:
            raise where.error(f"settings.{key}", f"must be {expected.__name__}")
        if key in _ZERO_ALLOWED and value == 0:
            pass  # e.g. no made-up customers: only the directory's own
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and not value > 0:
            raise where.error(f"settings.{key}", "must be a positive number of seconds")
        values[key] = value
    return Settings(**values)


def _resource(raw: dict[str, Any], at: _Entry) -> Resource:
    at.check_keys(raw, {"name", "uri", "app_id", "token_version", "scopes"})
    name = at.str_(raw, "name")
    uri = at.str_(raw, "uri")
    if not re.match(r"^(https?|api)://", uri):
        raise at.error("uri", f"{uri!r} is not an identifier URI (https://... or api://...)")
    version = raw.get("token_version", 1)
    if version not in (1, 2) or isinstance(version, bool):
        raise at.error("token_version", "must be 1 or 2")
    return Resource(
        name=name,
        uri=uri.rstrip("/"),
        app_id=at.guid(raw, "app_id", derived_id("resource", name)),
        token_version=version,
        scopes=at.str_list(raw, "scopes"),
    )


def _tenant(raw: dict[str, Any], at: _Entry) -> Tenant:
    known = {"name", "id", "domains", "kind", "mfa", "relationship", "delegated_admin"}
    at.check_keys(raw, known | {"subscriptions"})
    name = at.str_(raw, "name")
    domains = at.str_list(raw, "domains")
    if not domains:
        raise at.error("domains", "needs at least one verified domain")
    for domain in domains:
        if not _DOMAIN.match(domain):
            raise at.error("domains", f"{domain!r} is not a domain name")
    kind = raw.get("kind", "customer")
    if kind not in ("partner", "customer"):
        raise at.error("kind", f"{kind!r} must be 'partner' or 'customer'")
    mfa = raw.get("mfa", "per_user")
    if mfa not in ("per_user", "skip"):
        raise at.error(
            "mfa",
            f"{mfa!r} must be 'per_user' (users with a TOTP secret do MFA) "
            "or 'skip' (a policy that skips MFA)",
        )
    relationship = raw.get("relationship", "reseller")
    if relationship not in ("reseller", "none"):
        raise at.error("relationship", f"{relationship!r} must be 'reseller' or 'none'")
    return Tenant(
        relationship=relationship,
        delegated_admin=at.bool_(raw, "delegated_admin", relationship == "reseller"),
        subscriptions=_subscriptions(raw, at, kind),
        mfa=mfa,
        id=at.guid(raw, "id", derived_id("tenant", name)),
        name=name,
        domains=[d.lower() for d in domains],
        kind=kind,
    )


def _subscriptions(raw: dict[str, Any], at: _Entry, kind: str) -> list[DeclaredSubscription] | None:
    """``subscriptions = [{product = "CFQ7TTC0LH18", quantity = 5}]`` on a customer tenant."""
    entries = raw.get("subscriptions")
    if entries is None:
        return None
    if kind != "customer":
        raise at.error("subscriptions", "only a customer tenant has subscriptions")
    if not isinstance(entries, list):
        raise at.error("subscriptions", "must be a list of tables")
    from .api.catalog_data import PRODUCTS_BY_ID  # the catalog, only when a config asks

    found = []
    for index, entry in enumerate(entries):
        where = f"subscriptions[{index}]"
        if isinstance(entry, str):
            entry = {"product": entry}
        if not isinstance(entry, dict):
            raise at.error(where, "must be a product id or a table")
        at.check_keys(entry, {"product", "quantity", "billing_cycle", "status"})
        product = entry.get("product")
        if not isinstance(product, str) or product.lower() not in PRODUCTS_BY_ID:
            raise at.error(f"{where}.product", f"{product!r} is not a product of the catalog")
        quantity = entry.get("quantity", 1)
        if type(quantity) is not int or not 1 <= quantity <= 10_000:
            raise at.error(f"{where}.quantity", "must be a whole number from 1 to 10000")
        cycle = entry.get("billing_cycle", "monthly")
        if cycle not in ("monthly", "annual"):
            raise at.error(f"{where}.billing_cycle", "must be 'monthly' or 'annual'")
        status = entry.get("status", "active")
        if status not in ("active", "suspended"):
            raise at.error(f"{where}.status", "must be 'active' or 'suspended'")
        found.append(
            DeclaredSubscription(PRODUCTS_BY_ID[product.lower()].id, quantity, cycle, status)
        )
    return found


def _app(raw: dict[str, Any], at: _Entry, directory: Directory, apps_dir: Path) -> Application:
    at.check_keys(
        raw,
        {
            "name",
            "client_id",
            "tenant",
            "secrets",
            "client_secret",
            "certificate",
            "redirect_uris",
            "public_client",
            "multi_tenant",
            "roles",
        },
    )
    name = at.str_(raw, "name")
    home = raw.get("tenant", directory.partner_tenant.id)
    tenant = directory.tenant(str(home))
    if tenant is None:
        raise at.error("tenant", f"{home!r} is not a tenant of this directory")
    secrets = _secrets(raw, at)
    public = at.bool_(raw, "public_client", False)
    if public and secrets:
        raise at.error("secrets", "a public client cannot have secrets")
    redirect_uris = at.str_list(raw, "redirect_uris")
    for uri in redirect_uris:
        if not re.match(r"^(https?://[^\s]+|[a-z][a-z0-9+.-]*://[^\s]*)$", uri, re.I):
            raise at.error("redirect_uris", f"{uri!r} is not an absolute URI")
    roles_raw = raw.get("roles", {})
    if not isinstance(roles_raw, dict):
        raise at.error("roles", "must map a resource URI to a list of role names")
    roles: dict[str, list[str]] = {}
    for resource_id, role_list in roles_raw.items():
        resource = directory.resource(str(resource_id))
        if resource is None:
            raise at.error(f"roles.{resource_id}", "is not a resource of this directory")
        if not isinstance(role_list, list) or not all(isinstance(r, str) for r in role_list):
            raise at.error(f"roles.{resource_id}", "must be a list of role names")
        roles[resource.uri] = list(role_list)
    client_id = at.guid(raw, "client_id", seed_client_id(name))
    certificates = _certificates(raw, at, name, apps_dir)
    if public and certificates:
        raise at.error("certificate", "a public client cannot have certificates")
    return Application(
        name=name,
        client_id=client_id,
        home_tenant_id=tenant.id,
        secrets=secrets,
        certificates=certificates,
        redirect_uris=redirect_uris,
        public_client=public,
        multi_tenant=at.bool_(raw, "multi_tenant", True),
        roles=roles,
    )


def _secrets(raw: dict[str, Any], at: _Entry) -> list[RegisteredSecret]:
    entries: list[Any] = list(raw.get("secrets", []) or [])
    if "client_secret" in raw:
        entries.append({"value": raw["client_secret"]})
    secrets = []
    for index, entry in enumerate(entries):
        if isinstance(entry, str):
            entry = {"value": entry}
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("value"), str)
            or not entry["value"]
        ):
            raise at.error(f"secrets[{index}]", "must have a non-empty string 'value'")
        secrets.append(
            RegisteredSecret(
                value=entry["value"],
                expires_on=_timestamp(entry.get("expires"), at, f"secrets[{index}].expires"),
                id=derived_id("secret", entry["value"]),
            )
        )
    return secrets


def _timestamp(value: Any, at: _Entry, field: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):  # TOML and YAML parse dates themselves
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).timestamp()
    raise at.error(field, f"{value!r} is not a date (use ISO 8601, e.g. 2030-01-01T00:00:00Z)")


def _certificates(
    raw: dict[str, Any], at: _Entry, name: str, apps_dir: Path
) -> list[AppCertificate]:
    spec = raw.get("certificate", False)
    if spec is False or spec is None:
        return []
    if spec is True:
        return [materialize_certificate(name, apps_dir)]
    if isinstance(spec, dict):
        path = spec.get("cert_path")
        if not isinstance(path, str):
            raise at.error("certificate.cert_path", "must be the path of a PEM certificate")
        try:
            cert = x509.load_pem_x509_certificate(Path(path).expanduser().read_bytes())
        except OSError as exc:
            raise at.error(
                "certificate.cert_path", f"cannot read {path!r} ({exc.strerror})"
            ) from exc
        except ValueError as exc:
            raise at.error("certificate.cert_path", f"{path!r} is not a PEM certificate") from exc
        return [AppCertificate(cert, cert_path=Path(path))]
    raise at.error("certificate", 'must be true (generate one) or {cert_path = "..."}')


def materialize_certificate(app_name: str, apps_dir: Path) -> AppCertificate:
    """The app's generated certificate and key (PEM and PKCS#12), made once and kept."""
    slug = re.sub(r"[^a-z0-9-]+", "-", app_name.lower()).strip("-") or "app"
    folder = apps_dir / slug
    cert_path, key_path, pfx_path = folder / "cert.pem", folder / "key.pem", folder / "cert.pfx"
    if cert_path.exists() and key_path.exists() and pfx_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    else:
        key = new_rsa_key()
        cert = self_signed(key, f"{app_name} (partnercenter emulator)", days=730)
        write_private(key_path, key_pem(key))
        write_private(cert_path, cert_pem(cert))
        pfx = pkcs12.serialize_key_and_certificates(
            app_name.encode(), key, cert, None, BestAvailableEncryption(PFX_PASSWORD.encode())
        )
        write_private(pfx_path, pfx)
    return AppCertificate(
        cert, cert_path=cert_path, key_path=key_path, pfx_path=pfx_path, pfx_password=PFX_PASSWORD
    )


def _user(raw: dict[str, Any], at: _Entry, directory: Directory) -> User:
    at.check_keys(
        raw, {"upn", "password", "totp_secret", "display_name", "roles", "conditional_access"}
    )
    upn = at.str_(raw, "upn")
    if upn.count("@") != 1:
        raise at.error("upn", f"{upn!r} is not a user principal name (name@domain)")
    tenant = directory.tenant(upn.split("@", 1)[1])
    if tenant is None:
        raise at.error("upn", f"the domain of {upn!r} is not a verified domain of any tenant")
    totp = raw.get("totp_secret")
    if totp is not None and (not isinstance(totp, str) or not _BASE32.match(totp.upper())):
        raise at.error("totp_secret", "must be a base32 secret (A-Z, 2-7; 16+ characters) or null")
    roles = at.str_list(raw, "roles")
    known = {role.value for role in Role}
    for role in roles:
        if role not in known:
            raise at.error(
                "roles", f"{role!r} is not a Partner Center role ({', '.join(sorted(known))})"
            )
    return User(
        roles=roles,
        upn=upn.lower(),
        tenant_id=tenant.id,
        object_id=derived_id("user", upn.lower()),
        display_name=str(raw.get("display_name") or upn.split("@")[0]),
        password=at.str_(raw, "password"),
        totp_secret=totp.upper() if isinstance(totp, str) else None,
        conditional_access=at.bool_(raw, "conditional_access", False),
    )
