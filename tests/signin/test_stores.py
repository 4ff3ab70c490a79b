"""Refresh-token stores: the encrypted file store (round trip, 0600, keys from argument,
environment or keyring, wrong key and corruption never overwritten, concurrent rotation across
processes, a writer killed mid-write), the plaintext opt-in, the OS keyring store, and that no
secret shows in a repr or an error."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import re
import signal
import stat
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from partnercenter import FileRefreshTokenStore, KeyringRefreshTokenStore, RefreshTokenStore
from partnercenter.errors import ConfigurationError, RefreshTokenStoreError
from partnercenter.stores import RefreshTokenRecordStore, generate_store_key

from ..fakes import FakeClock
from . import store_workers
from .conftest import MemoryKeyring
from .fakes import NOW

KEY = store_workers.KEY
TOKEN = "0.ARwA-refresh-token-" + "s" * 40
POSIX = sys.platform != "win32"


def file_store(path: Path, **kwargs: Any) -> FileRefreshTokenStore:
    kwargs.setdefault("key", KEY)
    kwargs.setdefault("keyring", False)
    return FileRefreshTokenStore(path, **kwargs)


# -- the encrypted file store ---------------------------------------------------------------


def test_round_trip_and_layout(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "tokens.json"
    clock = FakeClock(NOW)
    store = file_store(path, clock=clock)
    assert isinstance(store, RefreshTokenStore) and isinstance(store, RefreshTokenRecordStore)
    assert store.load("k") is None and not path.exists()  # loading creates nothing
    store.save("k", TOKEN)
    clock.now += 100
    store.save("other", "rt-2")
    assert store.load("k") == TOKEN
    assert store.keys() == ["k", "other"]
    # A fresh instance (another process, in effect) reads the same.
    again = file_store(path)
    assert again.load("k") == TOKEN and again.load("other") == "rt-2"
    record = again.load_record("k")
    assert record is not None and record.saved_at == record.created_at == 1_700_000_000.0
    # Rotation keeps created_at, moves saved_at.
    clock.now += 50
    store.save("k", TOKEN + "-rotated")
    record = store.load_record("k")
    assert record is not None
    assert record.saved_at == 1_700_000_150.0 and record.created_at == 1_700_000_000.0
    store.delete("k")
    store.delete("never-there")
    assert store.load("k") is None and store.keys() == ["other"]
    # On disk: a versioned envelope, nothing readable inside.
    raw = path.read_bytes()
    assert TOKEN.encode() not in raw and b"rt-2" not in raw and b"other" not in raw
    header = json.loads(raw)
    assert header["format"] == "partnercenter/refresh-token-store"
    assert header["version"] == 1 and header["encryption"] == "AES-256-GCM"
    assert set(header) == {"format", "version", "encryption", "key_id", "nonce", "ciphertext"}


@pytest.mark.may_skip("file modes exist only on POSIX")
@pytest.mark.skipif(not POSIX, reason="POSIX file modes")
def test_files_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "state" / "tokens.json"
        store = file_store(path)
        store.save("k", TOKEN)
        store.save("k", TOKEN + "2")  # the replacement is private too
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.with_name("tokens.json.lock").stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_wrong_key_is_a_clear_error_and_the_file_is_untouched(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    file_store(path).save("k", TOKEN)
    before = path.read_bytes()
    other = file_store(path, key=generate_store_key())
    for action in (lambda: other.load("k"), lambda: other.save("k", "new"), other.keys):
        with pytest.raises(RefreshTokenStoreError) as caught:
            action()
        error = caught.value
        assert error.reason == "wrong_key" and error.location == str(path)
        assert str(path) in str(error) and "another key" in str(error)
        assert "untouched" in str(error) and error.hint
        assert TOKEN not in str(error) and KEY not in str(error)
    assert path.read_bytes() == before
    assert file_store(path).load("k") == TOKEN


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda raw: raw[: len(raw) // 2], id="truncated"),
        pytest.param(lambda raw: b"\x00\xff garbage", id="garbage"),
        pytest.param(lambda raw: b'{"format": "something-else"}', id="foreign-json"),
        pytest.param(
            lambda raw: raw.replace(b'"ciphertext": "', b'"ciphertext": "AAAA'), id="tampered"
        ),
        pytest.param(lambda raw: raw.replace(b'"version": 1', b'"version": 7'), id="newer"),
        # json recurses per level: without care, a RecursionError escapes (issue 9.5).
        pytest.param(lambda raw: b"[" * 200_000, id="nested-arrays"),
        pytest.param(lambda raw: b'{"a":' * 200_000, id="nested-objects"),
    ],
)
def test_corrupt_file_is_a_clear_error_and_never_overwritten(tmp_path: Path, damage: Any) -> None:
    path = tmp_path / "tokens.json"
    store = file_store(path)
    store.save("k", TOKEN)
    broken = damage(path.read_bytes())
    path.write_bytes(broken)
    for action in (lambda: store.load("k"), lambda: store.save("k", "new"), store.keys):
        with pytest.raises(RefreshTokenStoreError) as caught:
            action()
        assert caught.value.reason in ("corrupt", "unsupported")
        assert str(path) in str(caught.value) and "untouched" in str(caught.value)
    with pytest.raises(RefreshTokenStoreError):
        store.delete("k")
    assert path.read_bytes() == broken


def test_key_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tokens.json"
    monkeypatch.setenv("PARTNERCENTER_STORE_KEY", KEY)
    FileRefreshTokenStore(path, keyring=False).save("k", TOKEN)
    assert file_store(path, key=KEY).load("k") == TOKEN
    monkeypatch.setenv("PARTNERCENTER_STORE_KEY", "too-short")
    with pytest.raises(ConfigurationError) as caught:
        FileRefreshTokenStore(path, keyring=False).load("k")
    assert caught.value.argument == "PARTNERCENTER_STORE_KEY"


def test_key_from_the_keyring_is_created_once(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "tokens.json"
    store = FileRefreshTokenStore(path, keyring=memory_keyring)
    assert store.load("k") is None
    assert memory_keyring.entries == {}  # nothing to read: no key made yet
    store.save("k", TOKEN)
    key = memory_keyring.entries[("partnercenter", "refresh-token-store-key")]
    assert len(key) == 43
    assert FileRefreshTokenStore(path, keyring=memory_keyring).load("k") == TOKEN
    assert file_store(path, key=key).load("k") == TOKEN
    # The key vanished from the keyring: a clear error, the file kept.
    memory_keyring.entries.clear()
    with pytest.raises(RefreshTokenStoreError) as caught:
        FileRefreshTokenStore(path, keyring=memory_keyring).save("k", "new")
    assert caught.value.reason == "no_key"
    assert "partnercenter/refresh-token-store-key" in str(caught.value)
    assert file_store(path, key=key).load("k") == TOKEN


def test_keyring_failure_is_reported(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    memory_keyring.fail = RuntimeError("the keyring is locked")
    with pytest.raises(RefreshTokenStoreError) as caught:
        FileRefreshTokenStore(tmp_path / "t.json", keyring=memory_keyring).save("k", TOKEN)
    assert caught.value.reason == "keyring" and "locked" in str(caught.value)


def test_no_key_anywhere(tmp_path: Path) -> None:
    with pytest.raises(RefreshTokenStoreError) as caught:
        FileRefreshTokenStore(tmp_path / "t.json", keyring=False).save("k", TOKEN)
    assert caught.value.reason == "no_key"
    assert "PARTNERCENTER_STORE_KEY" in str(caught.value)
    assert not (tmp_path / "t.json").exists()


def test_plaintext_only_on_request(tmp_path: Path) -> None:
    plain_path, secret_path = tmp_path / "plain.json", tmp_path / "secret.json"
    plain = FileRefreshTokenStore(plain_path, plaintext=True)
    plain.save("k", TOKEN)
    header = json.loads(plain_path.read_text())
    assert header["encryption"] == "none" and header["entries"]["k"]["refresh_token"] == TOKEN
    assert repr(plain) == f"FileRefreshTokenStore(path={str(plain_path)!r}, encrypted=False)"
    # An encrypted store refuses to read a plaintext file, and the other way round.
    with pytest.raises(RefreshTokenStoreError, match="plaintext store"):
        file_store(plain_path).load("k")
    file_store(secret_path).save("k", TOKEN)
    with pytest.raises(RefreshTokenStoreError, match="encrypted"):
        FileRefreshTokenStore(secret_path, plaintext=True).load("k")
    with pytest.raises(ConfigurationError):
        FileRefreshTokenStore(plain_path, plaintext=True, key=KEY)


@pytest.mark.parametrize("saved_at", ["NaN", "1e999", "-1", "1e300"])
def test_a_record_time_out_of_range_is_corrupt(tmp_path: Path, saved_at: str) -> None:
    # JSON as Python reads it allows NaN and 1e999 (infinity): neither is a time to warn about.
    path = tmp_path / "plain.json"
    FileRefreshTokenStore(path, plaintext=True).save("k", TOKEN)
    text = re.sub(r'"saved_at": [^,}]+', f'"saved_at": {saved_at}', path.read_text())
    path.write_text(text)
    with pytest.raises(RefreshTokenStoreError, match="saved_at is not a time") as caught:
        FileRefreshTokenStore(path, plaintext=True).load_record("k")
    assert TOKEN not in str(caught.value)
    assert path.read_text() == text


def test_arguments_and_repr(tmp_path: Path) -> None:
    store = file_store(tmp_path / "t.json")
    assert KEY not in repr(store) and "encrypted=True" in repr(store)
    with pytest.raises(ConfigurationError):
        FileRefreshTokenStore(tmp_path / "t.json", key="not a key")
    with pytest.raises(ConfigurationError):
        FileRefreshTokenStore(tmp_path / "t.json", key=b"short")
    with pytest.raises(ConfigurationError):
        FileRefreshTokenStore(tmp_path / "t.json", keyring="yes")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        store.save("k", "")
    record_repr = repr((store.save("k", TOKEN), store.load_record("k"))[1])
    assert TOKEN not in record_repr and record_repr.startswith("RefreshTokenRecord(saved_at=")


def test_default_path_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert FileRefreshTokenStore(key=KEY).path == tmp_path / "partnercenter" / "refresh-tokens.json"


# -- across processes -------------------------------------------------------------------------

WORKERS = 4
ROUNDS = 50


def test_concurrent_rotation_from_several_processes_loses_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "tokens.json")
    context = multiprocessing.get_context("spawn")
    start = time.time() + 1.5  # after every child has imported the library
    with context.Pool(WORKERS) as pool:
        results = pool.starmap(
            store_workers.rotate, [(path, worker, ROUNDS, start) for worker in range(WORKERS)]
        )
    store = file_store(Path(path))
    for worker, seen in enumerate(results):
        # Each worker read back every value it wrote, in order: no write of another process
        # ever replaced it with an older state of the file.
        assert seen == [f"rt-{worker}-{n}" for n in range(ROUNDS)]
        assert store.load(f"worker-{worker}") == f"rt-{worker}-{ROUNDS - 1}"
    # Every read-modify-write of the shared counter counted: the lock serialized all of them.
    assert store.load("counter") == str(WORKERS * ROUNDS)
    assert [p for p in Path(path).parent.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.may_skip("SIGKILL exists only on POSIX")
@pytest.mark.skipif(not POSIX, reason="SIGKILL")
def test_killed_between_write_and_replace_leaves_the_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = file_store(path)
    store.save("victim", TOKEN)
    before = path.read_bytes()
    child = multiprocessing.get_context("spawn").Process(
        target=store_workers.kill_between_write_and_replace, args=(str(path),)
    )
    child.start()
    child.join(30)
    assert child.exitcode == -signal.SIGKILL
    assert path.read_bytes() == before
    assert store.load("victim") == TOKEN
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1  # the complete temporary file the child never renamed
    # The next writer (holding the lock) cleans it up; the lock died with the child.
    store.save("victim", TOKEN + "-next")
    assert store.load("victim") == TOKEN + "-next"
    assert [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.may_skip("SIGKILL exists only on POSIX")
@pytest.mark.skipif(not POSIX, reason="SIGKILL")
def test_killed_at_random_moments_never_corrupts(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = file_store(path)
    context = multiprocessing.get_context("spawn")
    rng = random.Random(5)
    for attempt in range(4):
        ready = tmp_path / f"ready-{attempt}"
        child = context.Process(target=store_workers.save_forever, args=(str(path), str(ready)))
        child.start()
        deadline = time.time() + 30
        while not ready.exists() and time.time() < deadline:
            time.sleep(0.01)
        time.sleep(0.05 + rng.random() * 0.2)
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        value = store.load("busy")  # always a whole, authentic file
        assert value is not None and value.startswith("rt-")
    store.save("busy", "after")
    assert store.load("busy") == "after"


# -- the OS keyring store ---------------------------------------------------------------------


def test_keyring_store_round_trip(memory_keyring: MemoryKeyring) -> None:
    clock = FakeClock(NOW)
    store = KeyringRefreshTokenStore(backend=memory_keyring, clock=clock)
    assert isinstance(store, RefreshTokenStore) and isinstance(store, RefreshTokenRecordStore)
    assert store.load("k") is None
    store.save("k", TOKEN)
    clock.now += 10
    store.save("k", TOKEN + "2")
    assert store.load("k") == TOKEN + "2"
    record = store.load_record("k")
    assert record is not None and record.created_at == 1_700_000_000.0
    assert record.saved_at == 1_700_000_010.0
    raw = json.loads(memory_keyring.entries[("partnercenter", "k")])
    assert raw["v"] == 1 and raw["refresh_token"] == TOKEN + "2"
    store.delete("k")
    store.delete("k")
    assert store.load("k") is None and memory_keyring.entries == {}
    assert repr(store) == "KeyringRefreshTokenStore(service='partnercenter')"


def test_keyring_store_errors(memory_keyring: MemoryKeyring) -> None:
    store = KeyringRefreshTokenStore("svc", backend=memory_keyring)
    memory_keyring.entries[("svc", "k")] = "not json"
    with pytest.raises(RefreshTokenStoreError) as caught:
        store.save("k", TOKEN)
    assert caught.value.reason == "corrupt" and "untouched" in str(caught.value)
    assert memory_keyring.entries[("svc", "k")] == "not json"
    memory_keyring.fail = RuntimeError("backend down")
    with pytest.raises(RefreshTokenStoreError) as caught:
        store.load("k")
    assert caught.value.reason == "keyring" and "backend down" in str(caught.value)
    with pytest.raises(ConfigurationError):
        KeyringRefreshTokenStore(backend=object())  # type: ignore[arg-type]


def test_keyring_store_with_the_keyring_package() -> None:
    keyring = pytest.importorskip("keyring")
    from keyring.backend import KeyringBackend

    class InMemory(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.entries: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.entries.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.entries[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            from keyring.errors import PasswordDeleteError

            if (service, username) not in self.entries:
                raise PasswordDeleteError(username)
            del self.entries[(service, username)]

    previous = keyring.get_keyring()
    keyring.set_keyring(InMemory())
    try:
        store = KeyringRefreshTokenStore("partnercenter-test")
        store.save("k", TOKEN)
        assert store.load("k") == TOKEN
        store.delete("k")
        assert store.load("k") is None
    finally:
        keyring.set_keyring(previous)


def test_no_os_keyring_is_a_clear_error() -> None:
    keyring = pytest.importorskip("keyring")
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        with pytest.raises(RefreshTokenStoreError) as caught:
            KeyringRefreshTokenStore().load("k")
        assert caught.value.reason == "keyring"
        assert "PARTNERCENTER_STORE_KEY" in (caught.value.hint or "")
    finally:
        keyring.set_keyring(previous)


def test_store_errors_cross_process_boundaries() -> None:
    import pickle

    error = RefreshTokenStoreError("cannot read", location="/x", reason="corrupt", hint="fix")
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.location, copy.reason) == (
        RefreshTokenStoreError,
        str(error),
        "/x",
        "corrupt",
    )


def test_a_deeply_nested_keyring_entry_is_corrupt(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.entries[("partnercenter", "k")] = "[" * 200_000
    store = KeyringRefreshTokenStore(backend=memory_keyring)
    with pytest.raises(RefreshTokenStoreError) as caught:
        store.load("k")
    assert caught.value.reason == "corrupt"
