"""The admin helpers behind ``partnercenter store list|delete`` and ``consent --store redis``:
labels beside a token that survive its rotation and go with it, a SCAN bounded to the prefix
(glob characters in it taken literally, locks skipped), entries sealed with another key not
opened, and a ping that raises where the store would degrade."""

from __future__ import annotations

import pytest
import redis

from partnercenter import RedisRefreshTokenStore
from partnercenter.errors import RefreshTokenStoreError
from partnercenter.stores import generate_store_key
from partnercenter.stores.redis_admin import delete_entry, entries, label, ping

from .conftest import KEY, RedisServer, free_port


def store(url: str, prefix: str, **options: object) -> RedisRefreshTokenStore:
    options.setdefault("key", KEY)
    return RedisRefreshTokenStore.from_url(url, prefix=prefix, **options)


def test_labels_survive_rotation_and_go_with_the_token(
    redis_server: RedisServer, prefix: str
) -> None:
    times = iter([100.0, 200.0, 300.0])
    shared = store(redis_server.url, prefix, clock=lambda: next(times))
    assert label(shared, "fleet", {"account": "a@b"}) is False  # no token: nothing written
    assert redis.Redis.from_url(redis_server.url).keys(f"{prefix}*") == []
    shared.save("fleet", "rt-1")
    assert label(shared, "fleet", {"account": "admin@contoso", "tenant": "t-1"}) is True
    with shared.rotation("fleet") as view:
        assert view.load("fleet") == "rt-1"
        view.save("fleet", "rt-2")  # the compare-and-set script
    shared.save("fleet", "rt-3")  # an unconditional save
    (entry,) = entries(shared)
    assert entry.key == "fleet" and entry.saved_at == 300.0
    assert dict(entry.labels) == {"account": "admin@contoso", "tenant": "t-1", "key": "fleet"}
    raw = redis.Redis.from_url(redis_server.url).hgetall(entry.name)
    assert set(raw) == {b"fp", b"v", b"m"} and b"admin@contoso" not in raw[b"m"]
    assert delete_entry(shared, "fleet") is True
    # Only the deletion marker is left (workers holding the token must not restore it).
    assert redis.Redis.from_url(redis_server.url).hgetall(entry.name) == {b"deleted": b"1"}
    assert entries(shared) == []
    assert delete_entry(shared, "fleet") is False
    shared.close()


def test_entries_stay_under_the_prefix_skip_locks_and_other_keys(
    redis_server: RedisServer, prefix: str
) -> None:
    special = f"{prefix}[x]*?:"
    mine = store(redis_server.url, special)
    nested = store(redis_server.url, special + "cli:user:")
    lookalike = store(redis_server.url, prefix + "x*?:")  # what an unescaped glob would match
    theirs = store(redis_server.url, special, key=generate_store_key())
    for each in (mine, nested, lookalike, theirs):
        each.save("k", "rt")
    with mine.rotation("k"):  # holds a lock key under the prefix
        found = entries(mine)
    assert [entry.saved_at is None for entry in found].count(True) == 1  # theirs, unopened
    (readable,) = [entry for entry in found if entry.saved_at is not None]
    assert readable.name.startswith(special + "rt:") and readable.labels == {}
    assert len(found) == 2 and len(entries(mine, limit=1)) == 1
    # Deleted by its Redis name too (a token saved without a label).
    assert delete_entry(mine, readable.name) is True
    assert redis.Redis.from_url(redis_server.url).hgetall(readable.name) == {b"deleted": b"1"}
    assert nested.load("k") == "rt" and lookalike.load("k") == "rt"
    for each in (mine, nested, lookalike, theirs):
        each.close()


def test_ping_raises_naming_the_host_only() -> None:
    dead = store(f"redis://:pw-secret@127.0.0.1:{free_port()}/0", "p:")
    with pytest.raises(RefreshTokenStoreError) as caught:
        ping(dead)
    assert caught.value.reason == "io" and "127.0.0.1" in str(caught.value)
    assert "pw-secret" not in str(caught.value) and "pw-secret" not in repr(caught.value)
    dead.close()
