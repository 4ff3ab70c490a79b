"""``partnercenter store list|delete|new-key``: the refresh tokens kept on this machine."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from ..stores.records import INACTIVITY_LIMIT
from .errors import EXIT_CONFIG, CliError
from .main import common_options
from .output import emit
from .profiles import load_config, refresh_token_key

__all__ = ["store"]

_STORE_PATH = click.option(
    "--store-path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The store file [default: $XDG_STATE_HOME/partnercenter/refresh-tokens.json].",
)


def _file_store(path: Path | None) -> Any:
    from ..stores import FileRefreshTokenStore
    from ..stores.file import default_store_path

    return FileRefreshTokenStore(path or default_store_path())


@click.group()
def store() -> None:
    """Refresh tokens in the encrypted store: who, which tenant, days left."""


@store.command("list")
@_STORE_PATH
@common_options
def list_tokens(store_path: Path | None) -> None:
    """Each stored refresh token: key, account, tenant, days left before the 90-day
    inactivity limit (every use restarts it). Tokens themselves are never shown."""
    tokens = _file_store(store_path)
    owners = {refresh_token_key(p.name): p for p in load_config().profiles.values()}
    now = time.time()
    rows = []
    for key in tokens.keys():
        record = tokens.load_record(key)
        if record is None:
            continue
        if key.startswith("partnercenter-cli|") and not key.endswith("|refresh_token"):
            continue  # a profile's client secret, not a refresh token
        owner = owners.get(key)
        left = (record.saved_at + INACTIVITY_LIMIT - now) / 86_400
        rows.append(
            {
                "key": key,
                "profile": owner.name if owner else None,
                "account": owner.account if owner else None,
                "tenant": owner.tenant if owner else None,
                "lastUsed": time.strftime("%Y-%m-%d %H:%M", time.localtime(record.saved_at)),
                "daysLeft": max(0, int(left)),
            }
        )
    emit(rows)


@store.command()
@click.argument("key")
@_STORE_PATH
@common_options
def delete(key: str, store_path: Path | None) -> None:
    """Delete the refresh token stored under KEY (see `store list`)."""
    tokens = _file_store(store_path)
    if key not in tokens.keys():
        raise CliError(
            "no refresh token under that key (see `partnercenter store list`)",
            exit_code=EXIT_CONFIG,
        )
    tokens.delete(key)
    emit({"deleted": key})


@store.command("new-key")
def new_key() -> None:
    """Print a new random store key, for PARTNERCENTER_STORE_KEY where no OS keyring exists:

    export PARTNERCENTER_STORE_KEY="$(partnercenter store new-key)"
    """
    from ..stores.file import generate_store_key

    click.echo(generate_store_key())
