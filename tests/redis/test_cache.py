"""RedisTokenCache against a real redis-server: encrypted entries keyed by HMAC with a TTL from
the expiry, the in-process tier in front, the lock (owned, expiring, compare-and-delete
release), take-over from a dead holder, refused tokens, and the arguments."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import httpx
import pytest
import redis

import partnercenter.aio as aio
from partnercenter import ClientSecretCredential, RedisTokenCache
from partnercenter._credentials.redis_cache import RELEASE_SCRIPT, key_text
from partnercenter.errors import ConfigurationError, RefreshTokenStoreError
from partnercenter.stores import generate_store_key
from partnercenter.tokens import AccessToken

from .conftest import KEY, RedisServer

NOW = 1_800_000_000.0
TENANT = "00000000-0000-0000-0000-0000000000aa"
CLIENT = "00000000-0000-0000-0000-0000000000bb"
KEY_A = ("client_credentials|https://login.example|tenant|client|v2", None, ("scope/.default",))


def token(n: int = 0, lifetime: int = 3600) -> AccessToken:
    return AccessToken(f"secret-access-token-{n}", int(NOW) + lifetime)


def cache(server: RedisServer, prefix: str, **options: Any) -> RedisTokenCache:
    options.setdefault("key", KEY)
    return RedisTokenCache.from_url(server.url, prefix=prefix, **options)


def raw(server: RedisServer) -> redis.Redis:
    return redis.Redis.from_url(server.url)


class Fetcher:
    def __init__(self, delay: float = 0.0) -> None:
        self.calls = 0
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self) -> AccessToken:
        with self.lock:
            self.calls += 1
            n = self.calls
        time.sleep(self.delay)
        return token(n, lifetime=3600 * n)


def test_entry_is_encrypted_keyed_by_hmac_and_expires_with_the_token(
    redis_server: RedisServer, prefix: str
) -> None:
    shared = cache(redis_server, prefix)
    entry = shared.fetch_shared(KEY_A, Fetcher(), NOW, None)
    assert entry[1].token == "secret-access-token-1"
    assert shared.get(KEY_A) is entry  # now in the in-process tier
    client = raw(redis_server)
    (name,) = client.keys(f"{prefix}*")
    assert b"tenant" not in name and b"client" not in name  # an HMAC, not the key
    value = client.get(name)
    assert value is not None and b"secret-access-token" not in value
    # TTL from the expiry: an hour, give or take the time the test takes (real clock vs NOW).
    assert 0 < client.pttl(name) <= 3600 * 1000
    assert client.exists(name.decode() + ":lock") == 0  # released


def test_a_second_process_takes_the_shared_entry(redis_server: RedisServer, prefix: str) -> None:
    first, second = cache(redis_server, prefix), cache(redis_server, prefix)
    fetch = Fetcher()
    one = first.fetch_shared(KEY_A, fetch, NOW, None)
    two = second.fetch_shared(KEY_A, fetch, NOW, None)
    assert fetch.calls == 1 and two[1].token == one[1].token and two[0] == one[0]
    # Past the refresh moment the shared entry is no longer fresh: fetched again, once.
    later = one[0] + 1
    three = second.fetch_shared(KEY_A, fetch, later, None)
    assert fetch.calls == 2 and three[1].token != one[1].token
    assert first.fetch_shared(KEY_A, fetch, later, None)[1].token == three[1].token


def test_another_key_has_its_own_names(
    redis_server: RedisServer, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    cache(redis_server, prefix).fetch_shared(KEY_A, Fetcher(), NOW, None)
    fetch = Fetcher()
    other = cache(redis_server, prefix, key=generate_store_key())
    other.fetch_shared(KEY_A, fetch, NOW, None)
    # Names are HMACs under each key: the other key neither finds nor overwrites the entry.
    assert fetch.calls == 1
    assert len(raw(redis_server).keys(f"{prefix}*")) == 2


def test_threads_of_many_caches_make_one_fetch(redis_server: RedisServer, prefix: str) -> None:
    fetch = Fetcher(delay=0.2)
    caches = [cache(redis_server, prefix) for _ in range(6)]
    results: list[str] = []
    barrier = threading.Barrier(len(caches))

    def run(shared: RedisTokenCache) -> None:
        barrier.wait()
        results.append(shared.fetch_shared(KEY_A, fetch, NOW, None)[1].token)

    threads = [threading.Thread(target=run, args=(c,)) for c in caches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fetch.calls == 1 and set(results) == {"secret-access-token-1"}


def test_a_dead_holder_is_taken_over_after_its_lock_expires(
    redis_server: RedisServer, prefix: str
) -> None:
    shared = cache(redis_server, prefix, lock_ttl=0.3)
    name = shared._name(KEY_A)
    assert name is not None
    # A holder that died: its lock stays until it expires.
    raw(redis_server).set(name + ":lock", "dead-owner", px=300)
    fetch = Fetcher()
    started = time.monotonic()
    assert shared.fetch_shared(KEY_A, fetch, NOW, None)[1].token == "secret-access-token-1"
    assert fetch.calls == 1 and 0.25 < time.monotonic() - started < 3


def test_a_recommended_refresh_serves_the_stale_token_while_another_refreshes(
    redis_server: RedisServer, prefix: str
) -> None:
    shared = cache(redis_server, prefix)
    name = shared._name(KEY_A)
    assert name is not None
    raw(redis_server).set(name + ":lock", "someone-else", px=5000)
    stale = token(99)
    fetch = Fetcher()
    assert shared.fetch_shared(KEY_A, fetch, NOW, stale)[1] is stale
    assert fetch.calls == 0


def test_release_only_deletes_our_own_lock(redis_server: RedisServer, prefix: str) -> None:
    client = raw(redis_server)
    client.set(f"{prefix}lock", "theirs")
    assert client.eval(RELEASE_SCRIPT, 1, f"{prefix}lock", "ours") == 0
    assert client.get(f"{prefix}lock") == b"theirs"
    assert client.eval(RELEASE_SCRIPT, 1, f"{prefix}lock", "theirs") == 1


def test_a_wait_is_bounded(redis_server: RedisServer, prefix: str) -> None:
    shared = cache(redis_server, prefix, wait_timeout=0.3, lock_ttl=30)
    name = shared._name(KEY_A)
    assert name is not None
    raw(redis_server).set(name + ":lock", "stuck", px=30_000)
    started = time.monotonic()
    fetch = Fetcher()
    shared.fetch_shared(KEY_A, fetch, NOW, None)
    assert fetch.calls == 1 and time.monotonic() - started < 2


def test_invalidate_drops_the_shared_copy_of_the_refused_token(
    redis_server: RedisServer, prefix: str
) -> None:
    shared = cache(redis_server, prefix)
    refused = shared.fetch_shared(KEY_A, Fetcher(), NOW, None)[1]
    shared.remove(KEY_A)
    assert shared.get(KEY_A) is None
    assert raw(redis_server).keys(f"{prefix}*") == []
    # And a copy another process wrote back meanwhile is not served here again.
    other = cache(redis_server, prefix)
    other.set(KEY_A, (NOW + 1000, refused))
    fetch = Fetcher()
    fetch.calls = 10
    assert shared.fetch_shared(KEY_A, fetch, NOW, None)[1].token != refused.token
    assert fetch.calls == 11


class TokenEndpoint:
    """A scripted token endpoint (httpx.MockTransport) that counts its requests."""

    def __init__(self) -> None:
        self.requests = 0
        self.transport = httpx.MockTransport(self.answer)

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        body = {"token_type": "Bearer", "expires_in": 3600, "access_token": f"at-{self.requests}"}
        return httpx.Response(200, json=body)

    def credential(self, cache: Any) -> ClientSecretCredential:
        return ClientSecretCredential(
            TENANT, CLIENT, "client-secret", transport=self.transport, cache=cache
        )


def test_credentials_in_two_processes_share_one_token(
    redis_server: RedisServer, prefix: str
) -> None:
    endpoint = TokenEndpoint()
    first = endpoint.credential(cache(redis_server, prefix))
    second = endpoint.credential(cache(redis_server, prefix))  # another process's tiers
    token_one = first.get_token()
    assert first.get_token() is token_one  # the in-process hit
    assert second.get_token().token == token_one.token
    assert endpoint.requests == 1
    # A refused token (401) is dropped from both tiers: the next one is new, for both.
    assert second.invalidate(second.get_token())
    assert second.get_token().token == "at-2"
    first.cache.clear()
    assert first.get_token().token == "at-2" and endpoint.requests == 2


def test_the_hit_path_is_the_in_process_dict(redis_server: RedisServer, prefix: str) -> None:
    shared = cache(redis_server, prefix)
    assert type(shared.get).__name__ == "builtin_function_or_method"


def test_keys_are_serialized_stably() -> None:
    assert key_text(KEY_A) == key_text(tuple(KEY_A))
    assert key_text(("a", None, ("b", "c"))) == '["a",null,["b","c"]]'
    assert key_text(("a", object())) is None  # kept in the process only


def test_arguments(redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PARTNERCENTER_STORE_KEY", raising=False)
    with pytest.raises(RefreshTokenStoreError, match="PARTNERCENTER_STORE_KEY"):
        RedisTokenCache.from_url(redis_server.url)
    monkeypatch.setenv("PARTNERCENTER_STORE_KEY", KEY)
    assert RedisTokenCache.from_url(redis_server.url).options.timeout == 0.5
    with pytest.raises(ConfigurationError, match="timeout"):
        RedisTokenCache.from_url(redis_server.url, timeout=0)
    with pytest.raises(ConfigurationError, match="lock_tll"):
        RedisTokenCache.from_url(redis_server.url, lock_tll=1)
    with pytest.raises(ConfigurationError, match="key"):
        RedisTokenCache.from_url(redis_server.url, key="short")
    with pytest.raises(ConfigurationError, match="aio"):
        TokenEndpoint().credential(aio.RedisTokenCache.from_url(redis_server.url))
    with pytest.raises(ConfigurationError, match="blocking"):
        aio.ClientSecretCredential(
            TENANT, CLIENT, "s", cache=RedisTokenCache.from_url(redis_server.url)
        )


def test_repr_shows_no_secret(redis_server: RedisServer, prefix: str) -> None:
    shared = RedisTokenCache.from_url(
        f"redis://:hunter2-password@127.0.0.1:{redis_server.port}/0", key=KEY, prefix=prefix
    )
    shared.fetch_shared(KEY_A, Fetcher(), NOW, None)
    text = repr(shared)
    assert "hunter2" not in text and KEY not in text and "secret-access-token" not in text


def test_unreachable_redis_degrades_quickly_and_logs_once(
    prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    from .conftest import free_port

    shared = RedisTokenCache.from_url(
        f"redis://127.0.0.1:{free_port()}/0", key=KEY, prefix=prefix, timeout=0.2
    )
    fetch = Fetcher()
    caplog.set_level(logging.WARNING, "partnercenter.redis")
    started = time.monotonic()
    for _ in range(20):
        shared.remove(KEY_A)
        shared.fetch_shared(KEY_A, fetch, NOW, None)
    assert fetch.calls == 20 and time.monotonic() - started < 2
    assert shared.degraded
    assert len([r for r in caplog.records if "unavailable" in r.message]) == 1
