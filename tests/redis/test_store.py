"""RedisRefreshTokenStore: sealed records with fingerprints, compare-and-set, the rotation view,
a wrong key refused without overwriting, and the async twin."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis

import partnercenter.aio as aio
from partnercenter import RedisRefreshTokenStore
from partnercenter.errors import ConfigurationError, RefreshTokenStoreError
from partnercenter.stores import generate_store_key

from ..redis_server import require_server
from .conftest import KEY, RedisServer


def store(server: RedisServer, prefix: str, **options: object) -> RedisRefreshTokenStore:
    options.setdefault("key", KEY)
    return RedisRefreshTokenStore.from_url(server.url, prefix=prefix, **options)


def test_records_are_sealed_and_keep_their_creation_time(
    redis_server: RedisServer, prefix: str
) -> None:
    times = iter([100.0, 200.0])
    shared = store(redis_server, prefix, clock=lambda: next(times))
    shared.save("https://login.example|client", "rt-secret-1")
    shared.save("https://login.example|client", "rt-secret-2")
    record = shared.load_record("https://login.example|client")
    assert record is not None and record.refresh_token == "rt-secret-2"
    assert (record.created_at, record.saved_at) == (100.0, 200.0)
    client = redis.Redis.from_url(redis_server.url)
    (name,) = client.keys(f"{prefix}*")
    assert b"login" not in name
    value = client.hgetall(name)
    assert set(value) == {b"fp", b"v"} and b"rt-secret" not in b"".join(value.values())


def test_compare_and_set(redis_server: RedisServer, prefix: str) -> None:
    shared = store(redis_server, prefix)
    assert shared.replace("k", None, "rt-1")
    assert not shared.replace("k", None, "rt-x")  # not absent any more
    assert shared.replace("k", "rt-1", "rt-2")
    assert not shared.replace("k", "rt-1", "rt-3")  # rotated away: the newest stays
    assert shared.load("k") == "rt-2"
    view_store = store(redis_server, prefix)
    with view_store.rotation("k") as view:
        assert view.load("k") == "rt-2"
        shared.save("k", "rt-from-elsewhere")  # (only possible if the lock had expired)
        view.save("k", "rt-late")
    assert shared.load("k") == "rt-from-elsewhere"
    shared.delete("k")
    assert shared.load("k") is None


def test_the_rotation_lock_is_exclusive_and_bounded(redis_server: RedisServer, prefix: str) -> None:
    first = store(redis_server, prefix, wait_timeout=0.2)
    second = store(redis_server, prefix, wait_timeout=0.2)
    lock = first._name("k") + ":lock"
    client = redis.Redis.from_url(redis_server.url)
    with first.rotation("k"):
        owner = client.get(lock)
        assert owner is not None
        with second.rotation("k"):  # gives up waiting, goes on without the lock
            assert client.get(lock) == owner
    assert client.get(lock) is None


def test_another_key_is_an_error_and_nothing_is_overwritten(
    redis_server: RedisServer, prefix: str
) -> None:
    store(redis_server, prefix).save("k", "rt-1")
    other = store(redis_server, prefix, key=generate_store_key())
    # Names are HMACs under the key: another key does not even find the record...
    assert other.load("k") is None
    # ...and a record sealed under another key for the same name is refused, not replaced.
    name = store(redis_server, prefix)._name("k")
    client = redis.Redis.from_url(redis_server.url)
    client.hset(other._name("k"), mapping={"fp": "x", "v": client.hget(name, "v") or b""})
    with pytest.raises(RefreshTokenStoreError, match="another key") as caught:
        other.load("k")
    assert caught.value.reason == "wrong_key"


def test_arguments(redis_server: RedisServer, prefix: str) -> None:
    shared = store(redis_server, prefix)
    with pytest.raises(ConfigurationError, match="refresh_token"):
        shared.save("k", "")
    with pytest.raises(ConfigurationError, match="key"):
        shared.load("")
    with pytest.raises(ConfigurationError, match="serialize"):
        store(redis_server, prefix, serialize="yes")
    assert "rt-" not in repr(shared) and KEY not in repr(shared)


@pytest.mark.anyio
async def test_async_store(redis_server: RedisServer, prefix: str) -> None:
    shared = aio.RedisRefreshTokenStore.from_url(redis_server.url, key=KEY, prefix=prefix)
    blocking = store(redis_server, prefix)
    await shared.save("k", "rt-1")
    assert blocking.load("k") == "rt-1"  # the same layout
    assert await shared.replace("k", "rt-1", "rt-2")
    assert not await shared.replace("k", "rt-1", "rt-3")
    async with shared.rotation("k") as view:
        assert await view.load("k") == "rt-2"
        await view.save("k", "rt-4")
    assert await shared.load("k") == "rt-4"
    record = await shared.load_record("k")
    assert record is not None and record.refresh_token == "rt-4"
    await shared.delete("k")
    assert await shared.load("k") is None
    await shared.aclose()


def test_redis_from_env(
    redis_server: RedisServer, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from partnercenter import RedisTokenCache
    from partnercenter.fleet import redis_from_env

    monkeypatch.delenv("PARTNERCENTER_REDIS_URL", raising=False)
    assert redis_from_env() is None
    monkeypatch.setenv("PARTNERCENTER_REDIS_URL", redis_server.url)
    pair = redis_from_env(key=KEY, prefix=prefix)
    assert pair is not None
    cache, shared = pair
    assert isinstance(cache, RedisTokenCache) and isinstance(shared, RedisRefreshTokenStore)
    shared.save("k", "rt-env")
    assert store(redis_server, prefix).load("k") == "rt-env"
    async_pair = redis_from_env(redis_server.url, asynchronous=True, key=KEY)
    assert async_pair is not None and isinstance(async_pair[0], aio.RedisTokenCache)
    with pytest.raises(ConfigurationError, match="url"):
        redis_from_env("ftp://x")


def test_a_deleted_token_is_not_restored_by_a_worker_that_holds_it(
    redis_server: RedisServer, prefix: str
) -> None:
    client = redis.Redis.from_url(redis_server.url)
    admin, worker = store(redis_server, prefix), store(redis_server, prefix)
    admin.save("k", "rt-1")
    assert worker.load("k") == "rt-1"  # the worker now holds a copy
    (name,) = client.keys(f"{prefix}*")
    # Lost by Redis (restart without persistence, eviction): the worker restores its copy.
    client.delete(name)
    assert worker.load("k") == "rt-1"
    assert admin.load("k") == "rt-1"
    # Deleted on purpose: a marker, which the worker obeys and forgets its copy for.
    admin.delete("k")
    assert client.hgetall(name) == {b"deleted": b"1"}
    assert 89 * 86_400 < client.ttl(name) <= 90 * 86_400
    assert worker.load("k") is None
    assert worker.load_record("k") is None and client.hgetall(name) == {b"deleted": b"1"}
    # A new consent replaces the marker, and lives without its expiry.
    admin.save("k", "rt-2")
    assert set(client.hgetall(name)) == {b"fp", b"v"} and client.ttl(name) == -1
    assert worker.load("k") == "rt-2"
    admin.delete("k")
    assert admin.replace("k", None, "rt-3")  # so does a compare-and-set from nothing
    assert set(client.hgetall(name)) == {b"fp", b"v"} and client.ttl(name) == -1
    assert worker.load("k") == "rt-3"


@pytest.mark.anyio
async def test_the_async_store_obeys_deletion_markers(
    redis_server: RedisServer, prefix: str
) -> None:
    client = redis.Redis.from_url(redis_server.url)
    admin = store(redis_server, prefix)
    worker = aio.RedisRefreshTokenStore.from_url(redis_server.url, key=KEY, prefix=prefix)
    try:
        await worker.save("k", "rt-1")
        (name,) = client.keys(f"{prefix}*")
        client.delete(name)
        assert await worker.load("k") == "rt-1"  # lost: restored
        admin.delete("k")
        assert await worker.load("k") is None  # deleted: not restored
        assert client.hgetall(name) == {b"deleted": b"1"}
        await worker.save("k", "rt-2")
        assert client.ttl(name) == -1 and admin.load("k") == "rt-2"
        await worker.delete("k")
        assert client.hgetall(name) == {b"deleted": b"1"} and admin.load("k") is None
    finally:
        await worker.aclose()


def test_a_deletion_while_redis_is_away_is_written_when_it_is_back(tmp_path: Path) -> None:
    require_server()
    server = RedisServer(tmp_path / "redis").start()
    options = {"key": KEY, "prefix": "del:", "timeout": 0.2, "retry_interval": 0.3}
    try:
        worker = RedisRefreshTokenStore.from_url(server.url, **options)
        other = RedisRefreshTokenStore.from_url(server.url, **options)
        worker.save("k", "rt-1")
        server.pause()  # SIGSTOP: nothing answers
        try:
            worker.delete("k")  # degraded: remembered, not lost
            assert worker.degraded and worker.load("k") is None
        finally:
            server.resume()
        time.sleep(0.45)  # past the retry interval
        assert worker.load("k") is None  # back: the marker is written first
        client = redis.Redis.from_url(server.url)
        (name,) = client.keys("del:*")
        assert client.hgetall(name) == {b"deleted": b"1"}
        assert other.load("k") is None
        # A missing key gets no marker (nothing to protect).
        assert other.load("never-saved") is None
        other.delete("never-saved")
        assert len(client.keys("del:*")) == 1
        worker.close()
        other.close()
    finally:
        server.stop()
