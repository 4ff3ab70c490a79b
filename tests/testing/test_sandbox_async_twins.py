"""The async credential helpers of ``partnercenter.testing.Sandbox`` take the same ``cache=``
and ``store=`` as the blocking ones (e.g. to test a fleet's Redis set-up in async code)."""

from __future__ import annotations

import pytest

from partnercenter import MemoryRefreshTokenStore, MemoryTokenCache
from partnercenter.errors import ConfigurationError
from partnercenter.testing import Sandbox
from partnercenter.testing.sandbox import USER_STORE_KEY

pytestmark = pytest.mark.anyio


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"


async def test_async_user_credential_rotates_in_the_store_and_fills_the_cache(
    pc_emulator: Sandbox,
) -> None:
    store = MemoryRefreshTokenStore()
    cache = MemoryTokenCache()
    credential = pc_emulator.async_user_credential(cache=cache, store=store)
    before = len(pc_emulator.tokens_issued())
    try:
        minted = store.load(USER_STORE_KEY)
        assert minted
        token = await credential.get_token()
        assert credential.store is store
        rotated = store.load(USER_STORE_KEY)
        assert rotated and rotated != minted  # the redemption rotated it, in the store
        assert len(cache) == 1
        assert await credential.get_token() is token  # served by the given cache
        assert len(pc_emulator.tokens_issued()) - before == 1
    finally:
        await credential.close()


async def test_async_app_credential_uses_the_given_cache(pc_emulator: Sandbox) -> None:
    cache = MemoryTokenCache()
    first = pc_emulator.async_app_credential(cache=cache)
    second = pc_emulator.async_app_credential(cache=cache)
    before = len(pc_emulator.tokens_issued())
    try:
        token = await first.get_token()
        assert await second.get_token() == token  # one cache, one token request
        assert len(pc_emulator.tokens_issued()) - before == 1
    finally:
        await first.close()
        await second.close()


async def test_an_async_store_is_refused_with_the_way_to_do_it(pc_emulator: Sandbox) -> None:
    class AsyncStore:
        async def load(self, key: str) -> str | None:
            return None

        async def save(self, key: str, refresh_token: str) -> None:
            pass

        async def delete(self, key: str) -> None:
            pass

    with pytest.raises(ConfigurationError, match="async store cannot be seeded") as raised:
        pc_emulator.async_user_credential(store=AsyncStore())
    assert raised.value.argument == "store"
    assert "mint_refresh_token" in (raised.value.hint or "")
    with pytest.raises(ConfigurationError, match="must be a blocking store"):
        pc_emulator.async_user_credential(store=object())
