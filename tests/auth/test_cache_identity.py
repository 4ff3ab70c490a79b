"""Whose token a shared cache hands out: an app + user credential's cache key names its refresh
token (store and key), so two users of one app sharing a cache never get each other's tokens,
while credentials over the same stored refresh token still share one cached token."""

from __future__ import annotations

from collections.abc import Iterator
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


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox.start() as started:
        yield started


def mfa_users(sandbox: Sandbox) -> list[str]:
    partner = sandbox.partner_tenant["id"]
    upns = [
        user["upn"]
        for user in sandbox.info["users"]
        if user["tenant_id"] == partner and user.get("totp_secret")
    ]
    assert len(upns) >= 2, "the seed has at least two partner users with MFA"
    return upns[:2]


def options(sandbox: Sandbox) -> dict[str, Any]:
    app = sandbox.app("partner-center-app")
    return {
        "tenant_id": sandbox.partner_tenant["id"],
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "cloud": sandbox.cloud,
        "verify": sandbox.verify,
    }


def refresh_grants(sandbox: Sandbox) -> int:
    count: int = sandbox.stats()["token_requests"].get("refresh_token", 0)
    return count


def test_two_users_of_one_app_sharing_a_cache_get_their_own_tokens(sandbox: Sandbox) -> None:
    cache = MemoryTokenCache()
    first, second = mfa_users(sandbox)
    # Each refresh token sits in its own store under the same (default) store key.
    credentials = [
        RefreshTokenCredential(
            refresh_token=sandbox.mint_refresh_token(upn), cache=cache, **options(sandbox)
        )
        for upn in (first, second)
    ]
    with credentials[0], credentials[1]:
        tokens = [credential.get_token() for credential in credentials]
    assert [t.user_principal_name for t in tokens] == [first, second]
    assert tokens[0].token != tokens[1].token


def test_credentials_over_one_stored_refresh_token_share_its_cached_token(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    cache = MemoryTokenCache()
    key = generate_store_key()
    store = FileRefreshTokenStore(tmp_path / "tokens.json", key=key)
    store.save("agent", sandbox.mint_refresh_token(mfa_users(sandbox)[0]))
    before = refresh_grants(sandbox)
    one = RefreshTokenCredential(store=store, store_key="agent", cache=cache, **options(sandbox))
    # Another object over the same file (as another process would open it).
    again = FileRefreshTokenStore(tmp_path / "tokens.json", key=key)
    two = RefreshTokenCredential(store=again, store_key="agent", cache=cache, **options(sandbox))
    with one, two:
        assert one.get_token().token == two.get_token().token
    assert refresh_grants(sandbox) - before == 1


@pytest.mark.anyio
async def test_async_twins_key_by_account_too(sandbox: Sandbox) -> None:
    cache = MemoryTokenCache()
    first, second = mfa_users(sandbox)
    tokens = []
    for upn in (first, second):
        store = MemoryRefreshTokenStore({"shared-key": sandbox.mint_refresh_token(upn)})
        async with aio.RefreshTokenCredential(
            store=store, store_key="shared-key", cache=cache, **options(sandbox)
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
