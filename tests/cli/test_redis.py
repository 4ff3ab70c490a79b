"""The command line pointed at Redis: real CLI processes, the real emulator, and a real
password-protected redis-server on a free loopback port.

Two processes of one profile make one token request between them; an app + user profile keeps
its refresh token in Redis, not on disk; the flag beats the environment, which beats the
profile; the on-disk cache is not served while Redis is configured; and the URL's password
never appears in any output.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from partnercenter.emulator import Emulator
from partnercenter.stores import FileRefreshTokenStore

from ..redis_server import RedisServer, free_port, password_protected
from .conftest import Shell
from .pages import complete_device_code, user

PASSWORD = "s3cret-Redis-pw-4f9a"


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    yield from password_protected(tmp_path_factory.mktemp("redis"), PASSWORD)


def url_of(server: RedisServer, password: str = PASSWORD) -> str:
    return f"redis://:{password}@127.0.0.1:{server.port}/0"


def flush(server: RedisServer) -> None:
    """An empty Redis: a cold fleet."""
    import redis as redis_py

    with redis_py.Redis.from_url(url_of(server)) as client:
        client.flushall()


def token_requests(emu: Emulator) -> int:
    return sum(emu.stats()["token_requests"].values())


def no_password(*outputs: str) -> None:
    for text in outputs:
        assert PASSWORD not in text, text


def run_together(shells: list[Shell], *args: str) -> list[dict[str, object]]:
    processes = [shell.popen(*args, "-o", "json") for shell in shells]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        no_password(out, err)
        results.append(json.loads(out))
    return results


def machine(shell: Shell, name: str) -> Shell:
    """Another machine of the same fleet: its own home, the same store key."""
    home = shell.home / name
    env = {
        **shell.env,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    return Shell(home, env, shell.emu)


def test_two_machines_with_one_profile_make_one_token_request(
    shell: Shell, emu: Emulator, redis: RedisServer
) -> None:
    flush(redis)
    a, b = machine(shell, "a"), machine(shell, "b")
    before = token_requests(emu)
    for each in (a, b):
        login = each.ok("login", "--emulator", each.info, "--redis-url", url_of(redis))
        assert login["redis"] == f"redis 127.0.0.1:{redis.port}"
    # The first login's check asked Azure AD; the second found that token in Redis.
    assert token_requests(emu) == before + 1
    # Cold fleet: both machines at once, one token request between them.
    flush(redis)
    before = token_requests(emu)
    first, second = run_together([a, b], "token")
    assert token_requests(emu) == before + 1
    assert first["accessToken"] == second["accessToken"]
    # Nothing went to the on-disk cache: Redis holds the fleet's tokens.
    assert not (a.home / "cache" / "partnercenter" / "access-tokens.json").exists()
    assert a.ok("token")["accessToken"] == first["accessToken"]
    assert token_requests(emu) == before + 1
    # The URL (with its password) is with the secrets; the config file names the host only.
    config = json.loads(a.config.read_text())["profiles"]["default"]
    assert config["redis"] == f"redis 127.0.0.1:{redis.port}"
    for path in a.home.rglob("*.json"):
        assert PASSWORD not in path.read_text(), path


def test_an_app_user_profile_keeps_its_refresh_token_in_redis(
    shell: Shell, emu: Emulator, redis: RedisServer
) -> None:
    flush(redis)
    process = shell.popen(
        "login", "--emulator", shell.info, "--device-code", "--name", "user",
        "--redis-url", url_of(redis), "-o", "json",
    )  # fmt: skip
    lines = complete_device_code(emu, process, user(emu, mfa=True))
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    no_password(out, err, *lines)
    assert json.loads(out)["kind"] == "user"
    # Not on disk: the refresh token is the fleet's, in Redis (encrypted, under an HMAC name).
    disk = FileRefreshTokenStore(
        shell.home / "state" / "partnercenter" / "refresh-tokens.json",
        key=shell.env["PARTNERCENTER_STORE_KEY"],
        keyring=False,
    )
    assert disk.load("partnercenter-cli|user|refresh_token") is None
    import redis as redis_py

    with redis_py.Redis.from_url(url_of(redis)) as client:
        names = sorted(name.decode() for name in client.keys("*"))
    # Under the profile's own prefix (a cache key names no user): its refresh token and tokens.
    assert [name.rpartition(":")[0] for name in names] == [
        "partnercenter:cli:user:at",
        "partnercenter:cli:user:rt",
    ]
    # Two processes, access tokens gone from Redis: one refresh-token redemption.
    with redis_py.Redis.from_url(url_of(redis)) as client:
        for name in client.scan_iter("partnercenter:cli:user:at:*"):
            client.delete(name)
    before = token_requests(emu)
    first, second = run_together([shell, shell], "--profile", "user", "token")
    assert token_requests(emu) == before + 1
    assert first["accessToken"] == second["accessToken"] and first["kind"] == "user"
    # logout takes the shared refresh token away too: only its deletion marker is left (so a
    # process still holding the token does not put it back), and no access token.
    done = shell.run("logout", "--profile", "user")
    assert done.returncode == 0, done.stderr
    with redis_py.Redis.from_url(url_of(redis)) as client:
        left = list(client.scan_iter("partnercenter:cli:user:*"))
        assert len(left) == 1 and b":rt:" in left[0]
        assert client.hgetall(left[0]) == {b"deleted": b"1"}


def test_the_disk_cache_is_not_served_once_redis_is_configured(
    shell: Shell, emu: Emulator, redis: RedisServer
) -> None:
    flush(redis)
    shell.ok("login", "--emulator", shell.info)
    on_disk = shell.ok("token")["accessToken"]
    before = token_requests(emu)
    shared = shell.ok("token", extra={"PARTNERCENTER_REDIS_URL": url_of(redis)})
    assert shared["accessToken"] != on_disk  # asked Redis (empty), then Azure AD
    assert token_requests(emu) == before + 1
    # Without Redis the fast path serves the disk cache and imports neither redis nor httpx.
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "partnercenter.cli", "token", "-o", "json"],
        env=shell.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines()}
    assert "redis" not in imported and "httpx" not in imported
    assert json.loads(done.stdout)["accessToken"] == on_disk


def test_the_flag_beats_the_environment_which_beats_the_profile(
    shell: Shell, emu: Emulator, redis: RedisServer
) -> None:
    flush(redis)
    shell.ok("login", "--emulator", shell.info, "--redis-url", url_of(redis))
    dead = f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0"
    # The environment's (dead) Redis wins over the profile's: the token still comes, degraded.
    done = shell.run("token", "-o", "json", extra={"PARTNERCENTER_REDIS_URL": dead})
    assert done.returncode == 0, done.stderr
    assert "is unavailable" in done.stderr and "127.0.0.1" in done.stderr
    no_password(done.stdout, done.stderr)
    # The flag wins over both: the live one, no complaint.
    done = shell.run(
        "token", "--redis-url", url_of(redis), "-o", "json",
        extra={"PARTNERCENTER_REDIS_URL": dead},
    )  # fmt: skip
    assert done.returncode == 0 and "unavailable" not in done.stderr, done.stderr


def test_the_password_never_shows(shell: Shell, emu: Emulator, redis: RedisServer) -> None:
    flush(redis)
    url = url_of(redis)
    outputs: list[str] = []

    def run(*args: str, code: int = 0, **kwargs: object) -> str:
        done = shell.run(*args, **kwargs)  # type: ignore[arg-type]
        assert done.returncode == code, done.stderr
        outputs.extend((done.stdout, done.stderr))
        return done.stdout + done.stderr

    run("login", "--emulator", shell.info, "--redis-url", url, "-o", "json")
    shown = json.loads(run("profile", "show", "-o", "json"))
    assert shown["redis"] == f"redis 127.0.0.1:{redis.port}"
    assert f"127.0.0.1:{redis.port}" in run("profile", "list", "-o", "table")
    traced = run("whoami", "--debug", "-o", "json")
    assert f"sharing tokens through redis 127.0.0.1:{redis.port}" in traced
    run("call", "GET", "/v1/profiles/legalbusiness", "--debug", "-o", "json")
    # A wrong password: the login fails at once, naming the host only; nothing is saved.
    wrong = url_of(redis, "not-the-" + PASSWORD)
    failed = run("login", "--emulator", shell.info, "--name", "bad", "--redis-url", wrong, code=5)
    assert f"cannot use redis 127.0.0.1:{redis.port}" in failed
    assert "not-the-" not in failed
    assert "bad" not in json.loads(shell.config.read_text())["profiles"]
    # A malformed URL: the error says what is wrong, not what was given.
    bad = f"redis://:{PASSWORD}@127.0.0.1:notaport/0"
    failed = run("token", "-o", "json", code=5, extra={"PARTNERCENTER_REDIS_URL": bad})
    assert "Redis URL" in failed
    bad_cluster = f"redis+cluster://:{PASSWORD}@127.0.0.1:{redis.port}/3"
    failed = run("token", "--redis-url", bad_cluster, code=5)
    assert "database 0" in failed
    no_password(*outputs)
