"""Whose token a shared cache hands out: an app + user credential's cache key names its refresh
token (store and key), so two users of one app sharing a cache never get each other's tokens,
while credentials over the same stored refresh token still share one cached token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import partnercenter.aio as aio
from partnercenter import (
    FileRefreshTokenStore,
    MemoryRefreshTokenStore,
    MemoryTokenCache,
    RefreshTokenCredential,
)
from partnercenter.stores import generate_store_key
from partnercenter.stores.base import credential_identity, refresh_token_account, store_identity
from partnercenter.testing import Sandbox


def mfa_users(emu: Sandbox) -> list[str]:
    partner = emu.partner_tenant["id"]
    upns = [
        user["upn"]
        for user in emu.info["users"]
        if user["tenant_id"] == partner and user.get("totp_secret")
    ]
    assert len(upns) >= 2, "the seed has at least two partner users with MFA"
    return upns[:2]


def options(emu: Sandbox) -> dict[str, Any]:
    app = emu.app("partner-center-app")
    return {
        "tenant_id": emu.partner_tenant["id"],
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "cloud": emu.cloud,
        "verify": emu.verify,
    }


def refresh_grants(emu: Sandbox) -> int:
    count: int = emu.stats()["token_requests"].get("refresh_token", 0)
    return count


def test_two_users_of_one_app_sharing_a_cache_get_their_own_tokens(emu: Sandbox) -> None:
    cache = MemoryTokenCache()
    first, second = mfa_users(emu)
    # Each refresh token sits in its own store under the same (default) store key.
    credentials = [
        RefreshTokenCredential(
            refresh_token=emu.mint_refresh_token(upn), cache=cache, **options(emu)
        )
        for upn in (first, second)
    ]
    with credentials[0], credentials[1]:
        tokens = [credential.get_token() for credential in credentials]
    assert [t.user_principal_name for t in tokens] == [first, second]
    assert tokens[0].token != tokens[1].token


def test_credentials_over_one_stored_refresh_token_share_its_cached_token(
    emu: Sandbox, tmp_path: Path
) -> None:
    cache = MemoryTokenCache()
    key = generate_store_key()
    store = FileRefreshTokenStore(tmp_path / "tokens.json", key=key)
    store.save("agent", emu.mint_refresh_token(mfa_users(emu)[0]))
    before = refresh_grants(emu)
    one = RefreshTokenCredential(store=store, store_key="agent", cache=cache, **options(emu))
    # Another object over the same file (as another process would open it).
    again = FileRefreshTokenStore(tmp_path / "tokens.json", key=key)
    two = RefreshTokenCredential(store=again, store_key="agent", cache=cache, **options(emu))
    with one, two:
        assert one.get_token().token == two.get_token().token
    assert refresh_grants(emu) - before == 1


@pytest.mark.anyio
async def test_async_twins_key_by_account_too(emu: Sandbox) -> None:
    cache = MemoryTokenCache()
    first, second = mfa_users(emu)
    tokens = []
    for upn in (first, second):
        store = MemoryRefreshTokenStore({"shared-key": emu.mint_refresh_token(upn)})
        async with aio.RefreshTokenCredential(
            store=store, store_key="shared-key", cache=cache, **options(emu)
        ) as credential:
            tokens.append(await credential.get_token())
    assert [t.user_principal_name for t in tokens] == [first, second]


def test_the_identity_names_the_store_and_key_without_secrets(tmp_path: Path) -> None:
    store = FileRefreshTokenStore(tmp_path / "t.json", key=generate_store_key())
    account = refresh_token_account(store, "profile:agent")
    assert account == f"file:{tmp_path / 't.json'}#profile:agent"
    memory = MemoryRefreshTokenStore()
    assert store_identity(memory) != store_identity(MemoryRefreshTokenStore())
    identity = credential_identity("refresh_token", "login.example", "T", "c", "v2", account)
    assert identity.endswith("|" + account)
    assert credential_identity("secret", "h", "TENANT", "c", "v2") == "secret|h|tenant|c|v2"
