"""Redis URLs: one server, Sentinel and Cluster (parsed, then used against real servers
started here), Valkey schemes, and errors that never echo a password."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from partnercenter import RedisRefreshTokenStore, RedisTokenCache
from partnercenter.errors import ConfigurationError
from partnercenter.stores.redis_support import parse_redis_url

from .conftest import KEY, REDIS_SERVER, RedisServer, free_port
from .test_cache import KEY_A, NOW, Fetcher


def test_single_server_urls() -> None:
    assert parse_redis_url("redis://h:6380/2").url == "redis://h:6380/2"
    assert parse_redis_url("valkey://h/0").url == "redis://h/0"
    secure = parse_redis_url("valkeys://h:6380")
    assert secure.url == "rediss://h:6380" and secure.tls
    assert parse_redis_url("unix:///run/redis.sock").mode == "single"


def test_sentinel_and_cluster_urls() -> None:
    sentinel = parse_redis_url("redis+sentinel://:pw@s1:26380,s2,[::1]:26381/mymaster/3")
    assert sentinel.mode == "sentinel" and sentinel.service == "mymaster" and sentinel.db == 3
    assert sentinel.hosts == (("s1", 26380), ("s2", 26379), ("::1", 26381))
    assert sentinel.password == "pw" and "pw" not in sentinel.describe()
    cluster = parse_redis_url("valkeys+cluster://user:pw@n1:7000,n2:7001")
    assert cluster.mode == "cluster" and cluster.tls and cluster.username == "user"
    assert cluster.hosts == (("n1", 7000), ("n2", 7001))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "non-empty"),
        ("localhost:6379", "scheme"),
        ("http://:s3cret@h", "unknown scheme"),
        ("redis+sentinel://:s3cret@h:26379", "names the service"),
        ("redis+cluster://:s3cret@h:x", "port"),
        ("redis+cluster://:s3cret@h/4", "database 0"),
        ("redis+sentinel://:s3cret@/svc", "no host"),
    ],
)
def test_bad_urls_are_refused_without_echoing_them(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        parse_redis_url(url)
    assert "s3cret" not in str(caught.value)


def test_cluster_url_against_a_one_node_cluster(
    redis_factory: Callable[..., RedisServer], tmp_path: Path
) -> None:
    node = redis_factory(
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        str(tmp_path / "nodes.conf"),
        port=free_port(below=55000),  # the cluster bus listens on port + 10000
    )
    client = redis.Redis.from_url(node.url)
    client.execute_command("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
    deadline = time.monotonic() + 10
    while b"cluster_state:ok" not in client.execute_command("CLUSTER", "INFO"):
        assert time.monotonic() < deadline, "the one-node cluster did not come up"
        time.sleep(0.05)
    url = f"redis+cluster://127.0.0.1:{node.port}"
    cache = RedisTokenCache.from_url(url, key=KEY)
    fetch = Fetcher()
    cache.fetch_shared(KEY_A, fetch, NOW, None)
    assert RedisTokenCache.from_url(url, key=KEY).fetch_shared(KEY_A, fetch, NOW, None)
    assert fetch.calls == 1 and not cache.degraded
    store = RedisRefreshTokenStore.from_url(url, key=KEY)
    store.save("k", "rt-1")
    assert store.replace("k", "rt-1", "rt-2") and not store.replace("k", "rt-1", "rt-3")
    assert store.load("k") == "rt-2"
    cache.close()
    store.close()


def test_sentinel_url_finds_the_master(
    redis_factory: Callable[..., RedisServer], tmp_path: Path
) -> None:
    master = redis_factory()
    port = free_port()
    config = tmp_path / "sentinel.conf"
    config.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor pcmaster 127.0.0.1 {master.port} 1\n"
    )
    assert REDIS_SERVER is not None
    sentinel = subprocess.Popen(
        [REDIS_SERVER, str(config), "--sentinel"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        probe = RedisServer(tmp_path, port)
        deadline = time.monotonic() + 10
        while not probe.ping():
            assert time.monotonic() < deadline, "redis-sentinel did not start"
            time.sleep(0.05)
        url = f"redis+sentinel://127.0.0.1:{port}/pcmaster/0"
        store = RedisRefreshTokenStore.from_url(url, key=KEY)
        store.save("k", "rt-sentinel")
        assert store.load("k") == "rt-sentinel" and not store.degraded
        # Written to the master the sentinel named.
        assert redis.Redis.from_url(master.url).dbsize() == 1
        store.close()
    finally:
        sentinel.terminate()
        sentinel.wait(10)
