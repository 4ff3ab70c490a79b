"""``partnercenter store list|delete|new-key``: the refresh tokens kept on this machine, or in
a fleet's Redis (``--redis-url`` or ``PARTNERCENTER_REDIS_URL``)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..stores.records import INACTIVITY_LIMIT
from ..stores.redis_support import DEFAULT_PREFIX
from .errors import EXIT_CONFIG, EXIT_USAGE, CliError
from .main import common_options
from .output import emit
from .profiles import load_config, refresh_token_key

if TYPE_CHECKING:
    from ..stores.redis_store import RedisRefreshTokenStore

__all__ = ["open_redis_store", "store"]

_STORE_PATH = click.option(
    "--store-path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The store file [default: $XDG_STATE_HOME/partnercenter/refresh-tokens.json].",
)


_REDIS_PREFIX = click.option(
    "--redis-prefix",
    default=DEFAULT_PREFIX,
    show_default=True,
    help="With Redis: the key prefix (the workers' RedisRefreshTokenStore prefix).",
)


def _file_store(path: Path | None) -> Any:
    from ..stores import FileRefreshTokenStore
    from ..stores.file import default_store_path

    return FileRefreshTokenStore(path or default_store_path())


def _redis_url(store_path: Path | None) -> str | None:
    """The Redis URL in force (``--redis-url``, else ``PARTNERCENTER_REDIS_URL``), or None:
    the file store. ``--store-path`` names the file store, whatever the environment says."""
    from .settings import env

    flag = click.get_current_context().find_root().meta.get("redis_url")
    if flag and store_path is not None:
        raise CliError("give --redis-url or --store-path, not both", exit_code=EXIT_USAGE)
    if store_path is not None:
        return None
    return flag or env("redis_url")


def open_redis_store(url: str, prefix: str) -> RedisRefreshTokenStore:
    """The Redis refresh-token store at ``url``, once Redis has answered (also for ``consent
    --store redis``). Every error names the host only: the URL may hold a password."""
    from ..errors import PartnerCenterError
    from ..stores.file import STORE_KEY_ENV
    from ..stores.redis_admin import ping
    from ..stores.redis_store import RedisRefreshTokenStore
    from .errors import describe
    from .settings import describe_redis

    where = describe_redis(url)  # checks the URL; hides it and its password from all output
    if not os.environ.get(STORE_KEY_ENV):
        raise CliError(
            f"{where} needs the store key in {STORE_KEY_ENV}: Redis has no OS keyring to fall "
            "back on, and every worker must read the token with the same key",
            hint='Make one with `export PARTNERCENTER_STORE_KEY="$(partnercenter store '
            'new-key)"`, keep it in your secret manager, and give the workers the same value.',
            exit_code=EXIT_CONFIG,
        )
    try:
        tokens = RedisRefreshTokenStore.from_url(url, prefix=prefix)
    except PartnerCenterError as exc:
        raise describe(exc) from None
    try:
        ping(tokens)
    except PartnerCenterError as exc:
        tokens.close()
        raise describe(exc) from None
    return tokens


def _days_left(saved_at: float, now: float) -> int:
    return max(0, int((saved_at + INACTIVITY_LIMIT - now) / 86_400))


def _last_used(saved_at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(saved_at))


def _list_redis(url: str, prefix: str) -> None:
    from ..errors import PartnerCenterError
    from ..stores.redis_admin import MAX_ENTRIES, entries
    from .errors import describe

    tokens = open_redis_store(url, prefix)
    try:
        found = entries(tokens)
    except PartnerCenterError as exc:
        raise describe(exc) from None
    finally:
        tokens.close()
    now = time.time()
    rows = []
    unreadable = 0
    for entry in found:
        if entry.saved_at is None:
            unreadable += 1
            continue
        rows.append(
            {
                "key": entry.key,
                "account": entry.labels.get("account") or None,
                "tenant": entry.labels.get("tenant") or None,
                "lastUsed": _last_used(entry.saved_at),
                "daysLeft": _days_left(entry.saved_at, now),
                # What `store delete` takes for a token saved without a label (by a library
                # call rather than `partnercenter consent`): names are HMACs of the keys.
                "redisKey": entry.name,
            }
        )
    if unreadable:
        click.echo(
            f"warning: {unreadable} refresh token(s) under this prefix are sealed with another "
            "key than PARTNERCENTER_STORE_KEY (not shown)",
            err=True,
        )
    if len(found) >= MAX_ENTRIES:
        click.echo(f"warning: only the first {MAX_ENTRIES} refresh tokens are shown", err=True)
    emit(rows)


def _delete_redis(url: str, prefix: str, key: str) -> None:
    from ..errors import PartnerCenterError
    from ..stores.redis_admin import delete_entry
    from .errors import describe

    tokens = open_redis_store(url, prefix)
    try:
        deleted = delete_entry(tokens, key)
    except PartnerCenterError as exc:
        raise describe(exc) from None
    finally:
        tokens.close()
    if not deleted:
        raise CliError(
            "no refresh token under that key in Redis (see `partnercenter store list`; "
            "--redis-prefix if the workers use another prefix)",
            exit_code=EXIT_CONFIG,
        )
    click.echo(
        "note: this removes the store's copy; the token itself stays valid at Entra ID until "
        "it expires: revoke the user's sessions there to end it.",
        err=True,
    )
    emit({"deleted": key})


@click.group()
def store() -> None:
    """Refresh tokens in the encrypted store, or in the fleet's Redis (--redis-url or
    PARTNERCENTER_REDIS_URL): who, which tenant, days left."""


@store.command("list")
@_STORE_PATH
@_REDIS_PREFIX
@common_options
def list_tokens(store_path: Path | None, redis_prefix: str) -> None:
    """Each stored refresh token: key, account, tenant, days left before the 90-day
    inactivity limit (every use restarts it). Tokens themselves are never shown."""
    url = _redis_url(store_path)
    if url is not None:
        _list_redis(url, redis_prefix)
        return
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
                "lastUsed": _last_used(record.saved_at),
                "daysLeft": max(0, int(left)),
            }
        )
    emit(rows)


@store.command()
@click.argument("key")
@_STORE_PATH
@_REDIS_PREFIX
@common_options
def delete(key: str, store_path: Path | None, redis_prefix: str) -> None:
    """Delete the refresh token stored under KEY (see `store list`; in Redis, KEY may also be
    the listed redisKey)."""
    url = _redis_url(store_path)
    if url is not None:
        _delete_redis(url, redis_prefix, key)
        return
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
