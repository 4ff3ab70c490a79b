"""``partnercenter consent --store redis`` and ``store list|delete`` on Redis: a fleet's admin
signs in once with MFA (real CLI processes, the real emulator's device-code pages), the token
lands in a real password-protected redis-server on a free loopback port, and a worker (a
library credential in this process) redeems it. Redis down, a wrong password, a missing key
and a token sealed with another key all fail before anyone signs in; the URL's password never
shows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from partnercenter import RedisRefreshTokenStore, RefreshTokenCredential
from partnercenter.clouds import Cloud
from partnercenter.demo import authenticator_code, sign_in_pages
from partnercenter.emulator import Emulator
from partnercenter.errors import RefreshTokenMissingError
from partnercenter.stores import generate_store_key
from partnercenter.tokens import AccessToken

from ..redis_server import RedisServer, free_port, password_protected, require_server
from .conftest import Shell
from .pages import complete_device_code, user

PASSWORD = "c0nsent-Redis-pw-9b1e"


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    yield from password_protected(tmp_path_factory.mktemp("redis"), PASSWORD)


@pytest.fixture()
def fresh(redis: RedisServer) -> RedisServer:
    """An empty Redis for each test."""
    import redis as redis_py

    with redis_py.Redis.from_url(url_of(redis)) as client:
        client.flushall()
    return redis


def url_of(server: RedisServer, password: str = PASSWORD, port: int | None = None) -> str:
    return f"redis://:{password}@127.0.0.1:{port or server.port}/0"


def with_env(shell: Shell, **extra: str) -> Shell:
    return Shell(shell.home, {**shell.env, **extra}, shell.emu)


def no_password(*outputs: str) -> None:
    for text in outputs:
        assert PASSWORD not in text, text


def consent(shell: Shell, who: dict[str, Any], *args: str) -> tuple[str, str, list[str]]:
    """Run ``partnercenter consent --emulator ... --device-code ARGS`` and sign in as ``who``."""
    process = shell.popen("consent", "--emulator", shell.info, "--device-code", *args)
    lines = complete_device_code(shell.emu, process, who)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return out, err, lines


def emulator_cloud(emu: Emulator) -> Cloud:
    return Cloud.custom(authority_host=emu.base_url, api_root=emu.base_url, name="emulator")


@contextmanager
def worker(emu: Emulator, url: str, key: str, **options: Any) -> Iterator[AccessToken]:
    """A fleet worker (the library, the shared store, nothing but the URL and the key): the
    app + user token it gets."""
    store = RedisRefreshTokenStore.from_url(url, key=key, **options)
    cloud = emulator_cloud(emu)
    credential = RefreshTokenCredential(
        emu.partner_tenant["id"],
        emu.app("partner-center-cli")["client_id"],
        store=store,
        cloud=cloud,
        verify=emu.verify,
    )
    try:
        with credential:
            yield credential.get_token(cloud.user_impersonation_scope)
    finally:
        store.close()


def test_consent_into_redis_then_a_worker_redeems_and_store_lists_and_deletes(
    shell: Shell, emu: Emulator, fresh: RedisServer
) -> None:
    url = url_of(fresh)
    admin = with_env(shell, PARTNERCENTER_REDIS_URL=url)
    who = user(emu, mfa=True)
    out, err, lines = consent(admin, who, "--store", "redis")
    no_password(out, err, *lines)
    assert "with MFA" in out
    assert f"redis 127.0.0.1:{fresh.port} (prefix 'partnercenter:'), encrypted" in out
    assert "RedisRefreshTokenStore.from_url(url)" in err
    # A worker with the library's defaults (prefix, store key) finds and redeems it.
    key = shell.env["PARTNERCENTER_STORE_KEY"]
    with worker(emu, url, key) as token:
        assert token.is_app_and_user and token.has_mfa
        assert token.user_principal_name == who["upn"]
    # `store list` shows it: the key consent printed, who signed in, 90 days from now (the
    # worker's rotation rewrote the token, not the labels beside it).
    listed = admin.ok("store", "list")
    assert len(listed) == 1, listed
    row = listed[0]
    store_key = f"{emu.base_url}|{emu.app('partner-center-cli')['client_id']}"
    assert f"under the key {store_key!r}" in out
    assert row["key"] == store_key
    assert row["account"] == who["upn"]
    assert row["tenant"] == emu.partner_tenant["id"]
    assert row["daysLeft"] in (89, 90)
    assert row["redisKey"].startswith("partnercenter:rt:")
    assert time.strftime("%Y-%m-%d", time.localtime()) in row["lastUsed"]
    # Delete it: gone for the worker too.
    assert admin.ok("store", "delete", store_key) == {"deleted": store_key}
    assert admin.ok("store", "list") == []
    with pytest.raises(RefreshTokenMissingError), worker(emu, url, key):
        pass
    gone = admin.run("store", "delete", store_key)
    assert gone.returncode == 5 and "no refresh token under that key" in gone.stderr
    no_password(gone.stdout, gone.stderr)


def test_the_flag_beats_the_environment_and_a_prefix_is_where_workers_look(
    shell: Shell, emu: Emulator, fresh: RedisServer
) -> None:
    url = url_of(fresh)
    dead = url_of(fresh, port=free_port())
    admin = with_env(shell, PARTNERCENTER_REDIS_URL=dead)
    # No --store: a Redis URL in force means Redis (as for login); the flag's, not the dead one.
    out, err, lines = consent(
        admin, user(emu, mfa=True), "--redis-url", url, "--redis-prefix", "team-a:"
    )
    no_password(out, err, *lines)
    assert "(prefix 'team-a:')" in out and "prefix='team-a:'" in err
    key = shell.env["PARTNERCENTER_STORE_KEY"]
    # Not under the default prefix; found under the one given.
    default = admin.ok("store", "list", "--redis-url", url)
    assert default == []
    team = admin.ok("store", "list", "--redis-url", url, "--redis-prefix", "team-a:")
    assert len(team) == 1 and team[0]["redisKey"].startswith("team-a:rt:")
    with worker(emu, url, key, prefix="team-a:") as token:
        assert token.has_mfa


def test_redis_down_wrong_password_or_no_key_fail_before_any_sign_in(
    shell: Shell, emu: Emulator, fresh: RedisServer
) -> None:
    outputs: list[str] = []
    before = emu.stats()
    cases = [
        ({"PARTNERCENTER_REDIS_URL": url_of(fresh, port=free_port())}, "cannot use redis"),
        ({"PARTNERCENTER_REDIS_URL": url_of(fresh, "not-the-" + PASSWORD)}, "cannot use redis"),
        (
            {"PARTNERCENTER_REDIS_URL": url_of(fresh), "PARTNERCENTER_STORE_KEY": ""},
            "needs the store key in PARTNERCENTER_STORE_KEY",
        ),
    ]
    for extra, message in cases:
        started = time.monotonic()
        done = shell.run(
            "--debug", "consent", "--emulator", shell.info, "--device-code", "--store", "redis",
            extra=extra,
        )  # fmt: skip
        outputs.extend((done.stdout, done.stderr))
        assert done.returncode == 5, done.stderr
        assert message in done.stderr
        # Nothing was shown to sign in with, and no sign-in started.
        assert "enter the code" not in done.stderr and "devicelogin" not in done.stderr
        assert time.monotonic() - started < 30
    assert "store new-key" in outputs[-1]
    assert "not-the-" not in "".join(outputs)
    after = emu.stats()
    assert after["token_requests"] == before["token_requests"]
    # --store redis with no URL at all is a usage error.
    done = shell.run("consent", "--emulator", shell.info, "--store", "redis")
    assert done.returncode == 2 and "--redis-url URL or PARTNERCENTER_REDIS_URL" in done.stderr
    # store list and delete say the same of a dead Redis.
    for args in (("store", "list"), ("store", "delete", "k")):
        done = shell.run(*args, extra=cases[0][0])
        outputs.extend((done.stdout, done.stderr))
        assert done.returncode == 5 and "cannot use redis 127.0.0.1:" in done.stderr
    no_password(*outputs)


def test_another_fleets_token_under_the_prefix_is_neither_shown_nor_touched(
    shell: Shell, emu: Emulator, fresh: RedisServer
) -> None:
    url = url_of(fresh)
    other = generate_store_key()
    store_key = f"{emu.base_url}|{emu.app('partner-center-cli')['client_id']}"
    theirs = RedisRefreshTokenStore.from_url(url, key=other)
    theirs.save(store_key, "another-fleets-refresh-token")
    admin = with_env(shell, PARTNERCENTER_REDIS_URL=url)
    listed = admin.run("store", "list", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == []
    assert "1 refresh token(s) under this prefix are sealed with another key" in listed.stderr
    # Names are HMACs under the key: the same store key is another entry for this fleet.
    gone = admin.run("store", "delete", store_key)
    assert gone.returncode == 5, gone.stderr
    assert theirs.load(store_key) == "another-fleets-refresh-token"
    theirs.close()
    no_password(listed.stdout, listed.stderr, gone.stdout, gone.stderr)


def test_a_token_saved_by_a_library_call_is_listed_and_deleted_by_its_redis_key(
    shell: Shell, fresh: RedisServer
) -> None:
    url = url_of(fresh)
    key = shell.env["PARTNERCENTER_STORE_KEY"]
    library = RedisRefreshTokenStore.from_url(url, key=key)
    library.save("my-fleet", "a-refresh-token")
    # A worker's rotation lock is not a token.
    with library.rotation("my-fleet"):
        admin = with_env(shell, PARTNERCENTER_REDIS_URL=url)
        listed = admin.ok("store", "list")
    library.close()
    assert len(listed) == 1 and listed[0]["key"] is None and listed[0]["account"] is None
    assert listed[0]["daysLeft"] in (89, 90)

    def stored() -> str | None:
        # A new process: a running worker that saw the token would write it back.
        fresh_worker = RedisRefreshTokenStore.from_url(url, key=key)
        try:
            return fresh_worker.load("my-fleet")
        finally:
            fresh_worker.close()

    # Deleted by the listed Redis key, or by its key (the store computes the name).
    name = listed[0]["redisKey"]
    done = admin.run("store", "delete", name, "-o", "json")
    assert done.returncode == 0 and json.loads(done.stdout) == {"deleted": name}
    assert "revoke the user's sessions" in done.stderr
    assert stored() is None
    library = RedisRefreshTokenStore.from_url(url, key=key)
    library.save("my-fleet", "a-refresh-token")
    assert library.load("my-fleet") == "a-refresh-token"  # this worker now holds a copy
    assert admin.ok("store", "delete", "my-fleet") == {"deleted": "my-fleet"}
    # The running worker sees the deletion marker and forgets its copy (no restore).
    assert library.load("my-fleet") is None
    library.close()
    assert stored() is None
    assert admin.ok("store", "list") == []
    # --store-path still means the file store, whatever the environment says.
    on_disk = admin.ok("store", "list", "--store-path", str(shell.home / "none.json"))
    assert on_disk == []
    both = admin.run("store", "list", "--redis-url", url, "--store-path", "x.json")
    assert both.returncode == 2, both.stderr
    no_password(both.stdout, both.stderr)


def test_the_redis_url_is_refused_for_the_file_stores(shell: Shell, fresh: RedisServer) -> None:
    done = shell.run(
        "consent", "--emulator", shell.info, "--store", "file", "--redis-url", url_of(fresh)
    )
    assert done.returncode == 2 and "--redis-url is for --store redis" in done.stderr
    no_password(done.stdout, done.stderr)


def test_redis_lost_during_the_sign_in_fails_instead_of_reporting_success(
    shell: Shell, emu: Emulator, tmp_path: Path
) -> None:
    require_server()
    server = RedisServer(tmp_path / "redis", None, "--requirepass", PASSWORD).start()
    try:
        admin = with_env(shell, PARTNERCENTER_REDIS_URL=url_of(server))
        process = admin.popen("consent", "--emulator", shell.info, "--device-code")
        assert process.stderr is not None
        # The ping passed (the code is shown); Redis goes away before the token is saved.
        line = process.stderr.readline()
        assert "enter the code" in line, line
        server.stop()
        code = line.split("enter the code ")[1].split()[0]
        uri = line.split("open the page ")[1].split()[0]
        with httpx.Client(verify=emu.verify, timeout=10) as client:
            page = client.post(uri, data={"otc": code})
            person = user(emu, mfa=True)
            sign_in_pages(client, page, person, authenticator_code(emu, person["upn"]))
        out, err = process.communicate(timeout=60)
        assert process.returncode == 5, err
        assert "Redis did not take the refresh token" in err
        assert "Signed in as" not in out
        no_password(out, err, line)
    finally:
        server.stop()
