"""Declarative test data: the tenants, apps, users, customers and subscriptions a test needs.

Python objects that compile to the emulator's config document (the shape of ``--config``
files, see :mod:`partnercenter.emulator.config`), so a TOML/YAML/JSON file and these objects
are interchangeable::

    DATA = EmulatorData(
        customers=[Customer("Northwind", subscriptions=[Subscription("CFQ7TTC0LH18", 25)])],
        users=[User("ops@contosopartner.onmicrosoft.com", mfa=False)],
        generated_customers=0,
    )

Passwords default to the seed's; a user with ``mfa=True`` gets a stable TOTP secret derived from
the UPN (``emulator.user(upn)["totp_secret"]``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..emulator.config import read_config_file
from ..emulator.seed import PARTNER_DOMAIN, default_seed, seed_secret, seed_totp_secret

__all__ = [
    "DEFAULT_PASSWORD",
    "App",
    "Customer",
    "EmulatorData",
    "Partner",
    "Subscription",
    "User",
    "load_data",
]

DEFAULT_PASSWORD = "Emulator-Passw0rd!"


@dataclass(frozen=True)
class User:
    """A user; the tenant follows from the UPN's domain. ``roles`` are Partner Center roles
    (passed through to the emulator's config as ``roles``): a declared user is an admin agent
    unless you say otherwise, so app + user calls work as in the seed; ``roles=()`` declares a
    user with none (Partner Center then answers 403 / 900150)."""

    upn: str
    password: str = field(default=DEFAULT_PASSWORD, repr=False)
    mfa: bool = True
    display_name: str | None = None
    roles: tuple[str, ...] = ("admin_agent",)

    def to_config(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "upn": self.upn,
            "password": self.password,
            "totp_secret": seed_totp_secret(self.upn.lower()) if self.mfa else None,
        }
        if self.display_name is not None:
            entry["display_name"] = self.display_name
        entry["roles"] = list(self.roles)
        return entry


@dataclass(frozen=True)
class Subscription:
    """A subscription to a catalog product (its SKU ``0001``), e.g. ``"CFQ7TTC0LH18"``."""

    product: str
    quantity: int = 1
    billing_cycle: Literal["monthly", "annual"] = "monthly"
    status: Literal["active", "suspended"] = "active"

    def to_config(self) -> dict[str, Any]:
        return {
            "product": self.product,
            "quantity": self.quantity,
            "billing_cycle": self.billing_cycle,
            "status": self.status,
        }


@dataclass(frozen=True)
class Customer:
    """A customer tenant of the partner. ``subscriptions=None`` keeps the seed's usual two
    (an Azure plan and Microsoft 365 Business Premium); ``[]`` means none."""

    name: str
    domain: str | None = None
    subscriptions: Sequence[Subscription | str] | None = None
    users: Sequence[User] = ()
    #: ``"skip"``: a tenant policy that skips MFA (tokens without ``mfa`` in ``amr``).
    mfa: Literal["per_user", "skip"] = "per_user"

    @property
    def default_domain(self) -> str:
        if self.domain is not None:
            return self.domain
        slug = re.sub(r"[^a-z0-9]", "", self.name.lower()) or "customer"
        return f"{slug}.onmicrosoft.com"

    def to_config(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "name": self.name,
            "domains": [self.default_domain],
            "kind": "customer",
            "mfa": self.mfa,
        }
        if self.subscriptions is not None:
            entry["subscriptions"] = [
                (Subscription(s) if isinstance(s, str) else s).to_config()
                for s in self.subscriptions
            ]
        return entry


@dataclass(frozen=True)
class Partner:
    """The partner tenant (exactly one). Without it the seed's partner is kept."""

    name: str = "Contoso CSP Partner"
    domain: str = PARTNER_DOMAIN
    users: Sequence[User] = ()
    mfa: Literal["per_user", "skip"] = "per_user"

    def to_config(self) -> dict[str, Any]:
        return {"name": self.name, "domains": [self.domain], "kind": "partner", "mfa": self.mfa}


@dataclass(frozen=True)
class App:
    """An app registration. ``secret=None`` derives a stable one from the name;
    ``public_client=True`` has none (device-code sign-in)."""

    name: str
    secret: str | None = field(default=None, repr=False)
    certificate: bool = False
    redirect_uris: Sequence[str] = ("http://localhost",)
    public_client: bool = False

    def to_config(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "name": self.name,
            "redirect_uris": list(self.redirect_uris),
            "public_client": self.public_client,
            "certificate": self.certificate,
        }
        if not self.public_client:
            entry["secrets"] = [{"value": self.secret or seed_secret(self.name)}]
        return entry


@dataclass(frozen=True)
class EmulatorData:
    """What a test needs, on top of the seed or (``replace_seed=True``) instead of its tenants
    and users. The seed's apps and resources stay either way (apps are extended or replaced
    by name), so the plugin's credentials keep working.

    ``generated_customers``: how many made-up customers the Partner Center data adds after
    the directory's own (the seed's default is 300; ``0`` for only the declared ones).
    ``settings``: emulator settings (``token_lifetime``, ``device_code_interval``, ...).
    """

    partner: Partner | None = None
    customers: Sequence[Customer] = ()
    users: Sequence[User] = ()
    apps: Sequence[App] = ()
    replace_seed: bool = False
    generated_customers: int | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)

    def to_config(self) -> dict[str, Any]:
        """The config document (the shape of an ``--config`` file)."""
        tenants: list[dict[str, Any]] = []
        users: list[dict[str, Any]] = []
        if self.partner is not None:
            tenants.append(self.partner.to_config())
            users += [user.to_config() for user in self.partner.users]
        elif self.replace_seed:
            tenants.append(Partner().to_config())
        for customer in self.customers:
            tenants.append(customer.to_config())
            users += [user.to_config() for user in customer.users]
        users += [user.to_config() for user in self.users]
        settings = dict(self.settings)
        if self.generated_customers is not None:
            settings["api_generated_customers"] = self.generated_customers
        config: dict[str, Any] = {
            "tenants": tenants,
            "users": users,
            "apps": [app.to_config() for app in self.apps],
        }
        if settings:
            config["settings"] = settings
        if self.replace_seed:
            seed = default_seed()
            declared = {app.name for app in self.apps}
            config["replace_seed"] = True
            config["resources"] = seed["resources"]
            config["apps"] = [
                *(app for app in seed["apps"] if app["name"] not in declared),
                *config["apps"],
            ]
        return config


def load_data(source: EmulatorData | Mapping[str, Any] | str | Path) -> dict[str, Any]:
    """A config document from declared data, a dict, or a TOML/YAML/JSON file path."""
    if isinstance(source, EmulatorData):
        return source.to_config()
    if isinstance(source, Mapping):
        return dict(source)
    if isinstance(source, (str, Path)):
        return read_config_file(Path(source))
    raise TypeError(
        "data must be EmulatorData, a dict or the path of a TOML/YAML/JSON file, "
        f"not {type(source).__name__}"
    )
