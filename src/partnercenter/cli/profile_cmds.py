"""``partnercenter profile list|show|delete|use``."""

from __future__ import annotations

from typing import Any

import click

from .login import forget
from .main import common_options
from .output import emit
from .profiles import Profile, load_config, save_config

__all__ = ["profile"]


def _row(profile: Profile, current: str | None) -> dict[str, Any]:
    return {
        "name": profile.name,
        "current": profile.name == current,
        "kind": profile.kind,
        "cloud": profile.cloud,
        "tenant": profile.tenant,
        "clientId": profile.client_id,
        "account": profile.account,
        "store": profile.store,
        "redis": profile.redis,  # host only: the URL, which may hold a password, is a secret
    }


@click.group()
def profile() -> None:
    """Named profiles (saved by `partnercenter login`)."""


@profile.command("list")
@common_options
def list_profiles() -> None:
    """Every profile; the current one is marked."""
    config = load_config()
    emit([_row(p, config.current) for _, p in sorted(config.profiles.items())])


@profile.command()
@click.argument("name", required=False)
@common_options
def show(name: str | None) -> None:
    """One profile's settings (default: the current one). Secrets are never shown."""
    config = load_config()
    chosen = config.get(name or click.get_current_context().find_root().meta.get("profile"))
    row = _row(chosen, config.current)
    row.update(
        authorityHost=chosen.authority_host,
        apiRoot=chosen.api_root,
        caCert=chosen.ca_cert,
        endpointVersion=chosen.endpoint_version,
        certificatePath=chosen.certificate_path,
        hasSecret=chosen.has_secret,
    )
    emit(row)


@profile.command()
@click.argument("name")
@common_options
def delete(name: str) -> None:
    """Log out of a profile and remove it."""
    config = load_config()
    chosen = config.get(name)
    forget(chosen, shared=True)
    del config.profiles[chosen.name]
    if config.current == chosen.name:
        config.current = None
    save_config(config)
    emit({"deleted": chosen.name})


@profile.command()
@click.argument("name")
@common_options
def use(name: str) -> None:
    """Make a profile the current one."""
    config = load_config()
    config.current = config.get(name).name
    save_config(config)
    emit({"current": config.current})
