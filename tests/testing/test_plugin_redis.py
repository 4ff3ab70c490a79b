"""The plugin pointed at Redis (pytester runs of a user's tests, a real password-protected
redis-server on a free loopback port): the credential fixtures share tokens and rotate refresh
tokens through it, each test in keys of its own, deleted after it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ..redis_server import RedisServer, free_port, require_server

#: As in test_plugin: inner runs without the cache and Hypothesis plugins.
QUICK = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")
PASSWORD = "plugin-Redis-pw-77c1"

USER_TESTS = """
from partnercenter.testing import SharedRedis
from partnercenter.testing.sandbox import USER_STORE_KEY


def test_app_tokens_are_shared(pc_emulator, pc_redis: SharedRedis, pc_app_credential):
    # (By name: pytester's in-process runs may import the classes afresh.)
    assert type(pc_app_credential.cache).__name__ == "RedisTokenCache"
    first = pc_app_credential.get_token()
    # Another process of the fleet (its own in-process tier): the token comes from Redis.
    cache, _ = pc_redis.pair("app")
    with pc_emulator.app_credential(cache=cache) as other:
        assert other.get_token().token == first.token
    assert len(pc_emulator.tokens_issued()) == 1
    assert "plugin-Redis-pw" not in repr(pc_redis) + repr(cache)


def test_each_test_has_its_own_keys(pc_emulator, pc_app_credential):
    # Redis is not reset between tests as the emulator is: a token from the test before
    # would be served here without a token request if the tests shared keys.
    pc_app_credential.get_token()
    assert len(pc_emulator.tokens_issued()) == 1


def test_refresh_tokens_rotate_in_redis(pc_emulator, pc_redis, pc_user_credential):
    _, store = pc_redis.pair("user")
    assert type(store).__name__ == "RedisRefreshTokenStore"
    minted = store.load(USER_STORE_KEY)
    token = pc_user_credential.get_token()
    assert token.has_mfa
    rotated = store.load(USER_STORE_KEY)
    assert rotated is not None and rotated != minted


def test_users_do_not_share_tokens(pc_user_credential, pc_user_credential_no_mfa):
    assert pc_user_credential.get_token().has_mfa
    assert not pc_user_credential_no_mfa.get_token().has_mfa
"""


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    require_server()
    server = RedisServer(tmp_path_factory.mktemp("redis"), None, "--requirepass", PASSWORD)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("plugin-state")


def url_of(server: RedisServer, password: str = PASSWORD) -> str:
    return f"redis://:{password}@127.0.0.1:{server.port}/0"


def keys_left(server: RedisServer) -> list[bytes]:
    import redis as redis_py

    with redis_py.Redis.from_url(url_of(server)) as client:
        return list(client.scan_iter("partnercenter-test:*"))


def run(pytester: pytest.Pytester, state_dir: Path, ini: str = "", *args: str) -> pytest.RunResult:
    pytester.makeini(f"[pytest]\nfilterwarnings =\n    error\n{ini}")
    pytester.makepyfile(test_fleet=USER_TESTS)
    return pytester.runpytest(*QUICK, f"--partnercenter-state-dir={state_dir}", *args)


def test_the_environment_variable_points_the_fixtures_at_redis(
    pytester: pytest.Pytester,
    state_dir: Path,
    redis: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PARTNERCENTER_REDIS_URL", url_of(redis))
    monkeypatch.delenv("PARTNERCENTER_STORE_KEY", raising=False)
    result = run(pytester, state_dir, "", "-p", "no:randomly")
    result.assert_outcomes(passed=4)
    assert keys_left(redis) == []  # each test's keys are deleted after it


def test_the_option_beats_the_ini_file_and_a_dead_redis_fails_clearly(
    pytester: pytest.Pytester,
    state_dir: Path,
    redis: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PARTNERCENTER_REDIS_URL", raising=False)
    dead = f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0"
    ini = f"partnercenter_redis_url = {dead}\n"
    result = run(pytester, state_dir, ini, f"--partnercenter-redis-url={url_of(redis)}")
    result.assert_outcomes(passed=4)
    # The ini file's dead Redis alone: every test using the fixtures fails at setup, saying
    # which server (host only) and never the password.
    result = run(pytester, state_dir, ini)
    result.assert_outcomes(errors=4)
    output = result.stdout.str()
    assert "partnercenter: cannot use the Redis: redis 127.0.0.1:" in output
    assert PASSWORD not in output
    # A wrong password: the same, not silently degraded.
    wrong = url_of(redis, "wrong-" + PASSWORD)
    result = run(pytester, state_dir, "", f"--partnercenter-redis-url={wrong}")
    result.assert_outcomes(errors=4)
    assert "refuses the password" in result.stdout.str()
    assert PASSWORD not in result.stdout.str()


def test_without_a_url_the_fixtures_stay_in_memory(
    pytester: pytest.Pytester, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PARTNERCENTER_REDIS_URL", raising=False)
    pytester.makeini("[pytest]\nfilterwarnings =\n    error\n")
    pytester.makepyfile(
        test_plain="""
        def test_plain(pc_redis, pc_app_credential):
            assert pc_redis is None
            assert type(pc_app_credential.cache).__name__ == "MemoryTokenCache"
        """
    )
    result = pytester.runpytest(*QUICK, f"--partnercenter-state-dir={state_dir}")
    result.assert_outcomes(passed=1)


def test_the_plugin_reads_the_library_s_variable() -> None:
    from partnercenter.stores.redis_support import REDIS_URL_ENV
    from partnercenter.testing import shared_redis

    assert shared_redis.REDIS_URL_ENV == REDIS_URL_ENV
