"""The encrypted file store's edges, in one process and without waiting: each argument check
and its message, where the key comes from (argument, environment, keyring) and what the
errors say when there is none, every way a file can be unreadable (with the exact problem and
hint), the on-disk layout decrypted independently of the store, and that an unchanged token
is not rewritten. Edges the mutation run (docs/testing-strength.md) found unheld by
``test_stores.py``, whose cross-process tests are too slow to run per mutant."""

from __future__ import annotations

import base64
import errno
import hashlib
import hmac
import json
import logging
import os
import sys
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import partnercenter.stores.file as file_module
from partnercenter import FileRefreshTokenStore
from partnercenter.errors import ConfigurationError, RefreshTokenStoreError
from partnercenter.stores import generate_store_key
from partnercenter.stores.file import default_store_path
from partnercenter.stores.locking import exclusive_lock

from ..fakes import FakeClock
from . import store_workers
from .conftest import MemoryKeyring
from .fakes import NOW

KEY = store_workers.KEY
RAW_KEY = base64.urlsafe_b64decode(KEY + "=")
TOKEN = "0.ARwA-refresh-token-" + "e" * 40
RESTORE = (
    "Restore the file from a backup, or move it aside and sign in again (partnercenter "
    "consent) to make a new one."
)
NO_KEY_HINT = (
    "Set PARTNERCENTER_STORE_KEY to a key from partnercenter.stores.generate_store_key() (keep "
    "it in your secret manager), or use the OS keyring. Install the keyring extra: pip install "
    "'partnercenter[keyring]'."
)
KEYRING_ENTRY = "partnercenter/refresh-token-store-key"


def store(path: Path, **kwargs: Any) -> FileRefreshTokenStore:
    kwargs.setdefault("key", KEY)
    kwargs.setdefault("keyring", False)
    return FileRefreshTokenStore(path, **kwargs)


def key_id(key: bytes) -> str:
    return hmac.new(key, b"partnercenter refresh-token-store key id", hashlib.sha256).hexdigest()[
        :16
    ]


def unreadable(path: Path, problem: str) -> str:
    return f"cannot read the refresh-token store {path}: {problem}. The file was left untouched."


def refused(action: Any) -> RefreshTokenStoreError:
    with pytest.raises(RefreshTokenStoreError) as caught:
        action()
    return caught.value


def write_header(path: Path, header: dict[str, Any]) -> None:
    path.write_text(json.dumps(header))


def encrypt(key: bytes, payload: bytes, **header: Any) -> dict[str, Any]:
    """A file's header encrypted as the layout says, independently of the store's code."""
    fields = {
        "format": "partnercenter/refresh-token-store",
        "version": 1,
        "encryption": "AES-256-GCM",
        "key_id": key_id(key),
        **header,
    }
    aad = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, payload, aad)
    return {
        **fields,
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(sealed).decode(),
    }


# -- keys ----------------------------------------------------------------------------------


def test_generated_keys_are_32_random_bytes_in_unpadded_base64url() -> None:
    keys = {generate_store_key() for _ in range(20)}
    assert len(keys) == 20
    for key in keys:
        assert len(key) == 43 and "=" not in key
        assert len(base64.urlsafe_b64decode(key + "=")) == 32


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(RAW_KEY, id="raw-bytes"),
        pytest.param(KEY, id="base64url"),
        pytest.param(f"  {KEY}\n", id="surrounded-by-space"),
        pytest.param(base64.b64encode(RAW_KEY).decode(), id="standard-base64-padded"),
    ],
)
def test_every_spelling_of_the_key_opens_the_same_file(tmp_path: Path, key: Any) -> None:
    path = tmp_path / "t.json"
    store(path).save("k", TOKEN)
    assert store(path, key=key).load("k") == TOKEN


def test_a_key_with_plus_and_slash_is_read_as_standard_base64(tmp_path: Path) -> None:
    raw = bytes([0xFB, 0xFF]) * 16  # "+" and "/" in standard base64, "-" and "_" in url-safe
    standard = base64.b64encode(raw).decode()
    assert "+" in standard and "/" in standard
    path = tmp_path / "t.json"
    store(path, key=raw).save("k", TOKEN)
    assert store(path, key=standard.rstrip("=")).load("k") == TOKEN
    assert store(path, key=base64.urlsafe_b64encode(raw).decode()).load("k") == TOKEN


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (b"x" * 31, "must be 32 raw bytes"),
        (b"x" * 33, "must be 32 raw bytes"),
        (1234, "must be a base64 string or 32 bytes"),
        ("too-short", "must be 32 bytes in base64 (43 characters), such as "),
        (KEY + "AAAA", "must be 32 bytes in base64 (43 characters), such as "),
        ("!" * 43, "must be 32 bytes in base64 (43 characters), such as "),
    ],
)
def test_a_wrong_key_is_refused_naming_the_argument(tmp_path: Path, key: Any, problem: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        FileRefreshTokenStore(tmp_path / "t.json", key=key)
    assert caught.value.argument == "key"
    assert str(caught.value).startswith(f"key: {problem}")
    if problem.endswith("such as "):
        assert str(caught.value) == (
            "key: must be 32 bytes in base64 (43 characters), such as "
            "partnercenter.stores.generate_store_key() makes"
        )
    if isinstance(key, str):
        assert key.strip() not in str(caught.value)


def test_the_key_comes_from_the_environment_variable_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.json"
    monkeypatch.setenv("MY_STORE_KEY", KEY)
    monkeypatch.setenv("PARTNERCENTER_STORE_KEY", generate_store_key())
    FileRefreshTokenStore(path, key_env="MY_STORE_KEY", keyring=False).save("k", TOKEN)
    assert store(path).load("k") == TOKEN
    monkeypatch.setenv("MY_STORE_KEY", "short")
    with pytest.raises(ConfigurationError) as caught:
        FileRefreshTokenStore(path, key_env="MY_STORE_KEY", keyring=False).load("k")
    assert caught.value.argument == "MY_STORE_KEY"


def test_an_explicit_key_wins_over_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.json"
    monkeypatch.setenv("PARTNERCENTER_STORE_KEY", generate_store_key())
    store(path).save("k", TOKEN)
    header = json.loads(path.read_text())
    assert header["key_id"] == key_id(RAW_KEY)


def test_the_key_is_read_once_per_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.json"
    monkeypatch.setenv("PARTNERCENTER_STORE_KEY", KEY)
    reader = FileRefreshTokenStore(path, keyring=False)
    reader.save("k", TOKEN)
    monkeypatch.setenv("PARTNERCENTER_STORE_KEY", generate_store_key())
    assert reader.load("k") == TOKEN  # the key found first is kept


def test_an_empty_environment_variable_falls_through_to_the_keyring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    monkeypatch.setenv("PARTNERCENTER_STORE_KEY", "")
    memory_keyring.entries[("partnercenter", "refresh-token-store-key")] = KEY
    path = tmp_path / "t.json"
    FileRefreshTokenStore(path, keyring=memory_keyring).save("k", TOKEN)
    assert store(path).load("k") == TOKEN


def test_no_key_anywhere_says_where_it_looked(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    error = refused(lambda: FileRefreshTokenStore(path, keyring=False).save("k", TOKEN))
    assert error.message == (
        f"no key to encrypt the refresh-token store {path}: $PARTNERCENTER_STORE_KEY is not set "
        "and no OS keyring is in use"
    )
    assert (error.reason, error.location, error.hint) == ("no_key", str(path), NO_KEY_HINT)
    store(path).save("k", TOKEN)
    error = refused(lambda: FileRefreshTokenStore(path, keyring=False).load("k"))
    assert error.message.startswith(f"no key to decrypt the refresh-token store {path}: ")


def test_no_key_without_an_environment_variable_or_with_an_empty_keyring(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "t.json"
    store(path).save("k", TOKEN)
    error = refused(lambda: FileRefreshTokenStore(path, key_env=None, keyring=False).load("k"))
    assert error.message == (
        f"no key to decrypt the refresh-token store {path}: no environment variable is not set "
        "and no OS keyring is in use"
    )
    assert error.hint == NO_KEY_HINT
    error = refused(
        lambda: FileRefreshTokenStore(
            path, key_env="MY_KEY", keyring=memory_keyring, keyring_service="svc"
        ).load("k")
    )
    assert error.message == (
        f"no key to decrypt the refresh-token store {path}: $MY_KEY is not set and the OS "
        "keyring has no entry svc/refresh-token-store-key"
    )
    assert error.hint.startswith("Set MY_KEY to a key from ")
    assert memory_keyring.entries == {}  # reading never creates a key


# -- the keyring as the key's source -------------------------------------------------------


def test_a_new_key_is_made_in_the_named_keyring_entry_and_logged(
    tmp_path: Path, memory_keyring: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "t.json"
    made = FileRefreshTokenStore(
        path, keyring=memory_keyring, keyring_service="svc", keyring_username="user"
    )
    with caplog.at_level(logging.INFO, "partnercenter.stores"):
        made.save("k", TOKEN)
    (key,) = memory_keyring.entries.values()
    assert list(memory_keyring.entries) == [("svc", "user")]
    assert [r.getMessage() for r in caplog.records] == [
        "created a new refresh-token store key in the OS keyring (svc/user)"
    ]
    assert key not in caplog.text
    assert store(path, key=key).load("k") == TOKEN
    other = FileRefreshTokenStore(path, keyring=memory_keyring, keyring_service="svc")
    error = refused(lambda: other.load("k"))
    assert error.reason == "no_key" and "svc/refresh-token-store-key" in error.message


def test_a_wrong_key_in_the_keyring_is_refused_naming_the_entry(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    memory_keyring.entries[("partnercenter", "refresh-token-store-key")] = "short"
    with pytest.raises(ConfigurationError) as caught:
        FileRefreshTokenStore(tmp_path / "t.json", keyring=memory_keyring).save("k", TOKEN)
    assert caught.value.argument == f"keyring entry {KEYRING_ENTRY}"


def test_the_wrong_key_error_names_the_keyring_as_the_source(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "t.json"
    store(path).save("k", TOKEN)
    other = generate_store_key()
    memory_keyring.entries[("partnercenter", "refresh-token-store-key")] = other
    error = refused(lambda: FileRefreshTokenStore(path, keyring=memory_keyring).load("k"))
    other_id = key_id(base64.urlsafe_b64decode(other + "="))
    assert error.message == unreadable(
        path,
        f"it was encrypted with another key (key id {key_id(RAW_KEY)!r}; the key from the OS "
        f"keyring ({KEYRING_ENTRY}) has id {other_id!r})",
    )


class NoKeyringError(Exception):
    """Named as the ``keyring`` package's error for "no backend here"."""


def test_no_os_keyring_falls_through_to_the_no_key_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    memory_keyring.fail = NoKeyringError("no backend")
    monkeypatch.setattr(file_module, "default_keyring", lambda location: memory_keyring)
    path = tmp_path / "t.json"
    error = refused(lambda: FileRefreshTokenStore(path).save("k", TOKEN))
    assert error.reason == "no_key"
    assert error.message.endswith(f"the OS keyring has no entry {KEYRING_ENTRY}")
    # A backend given explicitly that has no keyring is an error of that backend.
    error = refused(lambda: FileRefreshTokenStore(path, keyring=memory_keyring).save("k", TOKEN))
    assert error.reason == "keyring"
    assert error.message == (
        f"cannot read the store key from the OS keyring for {path}: NoKeyringError: no backend"
    )


def test_the_default_keyring_is_used_when_installed_and_skipped_when_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "t.json"
    asked: list[str] = []

    def default(location: str) -> MemoryKeyring:
        asked.append(location)
        return memory_keyring

    monkeypatch.setattr(file_module, "default_keyring", default)
    FileRefreshTokenStore(path).save("k", TOKEN)
    assert asked == [str(path)] and len(memory_keyring.entries) == 1
    monkeypatch.undo()
    monkeypatch.delenv("PARTNERCENTER_STORE_KEY", raising=False)
    monkeypatch.setitem(sys.modules, "keyring", None)  # not installed
    error = refused(lambda: FileRefreshTokenStore(tmp_path / "u.json").save("k", TOKEN))
    assert error.reason == "no_key" and error.message.endswith("and no OS keyring is in use")


def test_keyring_failures_name_the_call(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    path = tmp_path / "t.json"
    memory_keyring.fail = RuntimeError("locked")
    error = refused(lambda: FileRefreshTokenStore(path, keyring=memory_keyring).save("k", TOKEN))
    assert error.message == (
        f"cannot read the store key from the OS keyring for {path}: RuntimeError: locked"
    )

    class ReadOnly(MemoryKeyring):
        def set_password(self, service_name: str, username: str, password: str) -> None:
            raise PermissionError("read-only keyring")

    error = refused(lambda: FileRefreshTokenStore(path, keyring=ReadOnly()).save("k", TOKEN))
    assert error.message == (
        f"cannot save a new store key in the OS keyring for {path}: PermissionError: "
        "read-only keyring"
    )
    assert not path.exists()


# -- arguments, repr, identity -------------------------------------------------------------


@pytest.mark.parametrize("plaintext", [1, "yes", None])
def test_plaintext_must_be_a_bool(tmp_path: Path, plaintext: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        FileRefreshTokenStore(tmp_path / "t.json", plaintext=plaintext)
    assert str(caught.value) == "plaintext: must be True or False"


def test_a_plaintext_store_takes_no_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        FileRefreshTokenStore(tmp_path / "t.json", plaintext=True, key=KEY)
    assert str(caught.value) == "key: a plaintext store takes no key"
    assert FileRefreshTokenStore(tmp_path / "t.json", plaintext=False, key=KEY).encrypted


@pytest.mark.parametrize("keyring", ["yes", 1, None, object()])
def test_keyring_must_be_a_bool_or_a_backend(tmp_path: Path, keyring: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        FileRefreshTokenStore(tmp_path / "t.json", keyring=keyring)
    assert str(caught.value) == (
        "keyring: must be True, False or an object with get/set/delete_password"
    )


@pytest.mark.parametrize("timeout", [0, -1, "5", None, True * 0])
def test_lock_timeout_must_be_positive(tmp_path: Path, timeout: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        store(tmp_path / "t.json", lock_timeout=timeout)
    assert str(caught.value) == "lock_timeout: must be a positive number of seconds"


def test_the_path_defaults_and_expands_the_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    expected = tmp_path / ".local" / "state" / "partnercenter" / "refresh-tokens.json"
    assert default_store_path() == expected
    assert FileRefreshTokenStore(key=KEY).path == expected
    monkeypatch.setenv("XDG_STATE_HOME", "")
    assert default_store_path() == expected
    assert FileRefreshTokenStore("~/t.json", key=KEY).path == tmp_path / "t.json"


def test_cache_identity_is_the_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert store(Path("t.json")).cache_identity == f"file:{tmp_path / 't.json'}"


def test_repr_and_encrypted(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    assert repr(store(path)) == f"FileRefreshTokenStore(path={str(path)!r}, encrypted=True)"
    assert FileRefreshTokenStore(path, plaintext=True).encrypted is False


@pytest.mark.parametrize("token", ["", None, 5])
def test_save_refuses_an_empty_or_non_string_token(tmp_path: Path, token: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        store(tmp_path / "t.json").save("k", token)
    assert str(caught.value) == "refresh_token: must be a non-empty string"
    assert not (tmp_path / "t.json").exists()


@pytest.mark.parametrize("key", ["", None, 5])
def test_update_refuses_an_empty_or_non_string_key(tmp_path: Path, key: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        store(tmp_path / "t.json").update(key, lambda old: "x")
    assert str(caught.value) == "key: must be a non-empty string"


# -- update -----------------------------------------------------------------------------------


def test_update_sees_the_current_token_and_returns_the_new_one(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    path = tmp_path / "t.json"
    tokens = store(path, clock=clock)
    seen: list[str | None] = []

    def rotate(old: str | None) -> str:
        seen.append(old)
        return f"rt-{len(seen)}"

    assert tokens.update("k", rotate) == "rt-1"
    clock.now += 10
    assert tokens.update("k", rotate) == "rt-2"
    assert seen == [None, "rt-1"]
    record = tokens.load_record("k")
    assert record is not None and (record.saved_at, record.created_at) == (NOW + 10, NOW)


def test_an_unchanged_token_is_not_rewritten(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    path = tmp_path / "t.json"
    tokens = store(path, clock=clock)
    tokens.save("k", TOKEN)
    before = path.read_bytes()
    clock.now += 100
    assert tokens.update("k", lambda old: old) == TOKEN
    assert path.read_bytes() == before  # a new nonce would change every byte
    record = tokens.load_record("k")
    assert record is not None and record.saved_at == NOW


def test_deleting_an_absent_key_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    tokens = store(path)
    assert tokens.update("k", lambda old: None) is None
    assert not path.exists()
    tokens.save("other", TOKEN)
    before = path.read_bytes()
    tokens.delete("k")
    assert path.read_bytes() == before
    tokens.delete("other")
    assert tokens.keys() == [] and path.read_bytes() != before


def test_check_makes_the_directory_lock_and_keyring_key(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    path = tmp_path / "new" / "t.json"
    FileRefreshTokenStore(path, keyring=memory_keyring).check()
    assert path.parent.is_dir() and path.with_name("t.json.lock").exists()
    assert len(memory_keyring.entries) == 1 and not path.exists()
    FileRefreshTokenStore(tmp_path / "p" / "t.json", plaintext=True).check()  # no key needed
    error = refused(FileRefreshTokenStore(tmp_path / "x" / "t.json", keyring=False).check)
    assert error.reason == "no_key" and error.message.startswith("no key to encrypt")


# -- the layout on disk ----------------------------------------------------------------------


def test_the_encrypted_layout_decrypts_independently(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    path = tmp_path / "t.json"
    tokens = store(path, clock=clock)
    tokens.save("b", "rt-b")
    tokens.save("a", TOKEN)
    text = path.read_text()
    assert text.endswith("}\n") and text.startswith('{\n "format": ')
    header = json.loads(text)
    assert list(header) == ["format", "version", "encryption", "key_id", "nonce", "ciphertext"]
    assert header["key_id"] == key_id(RAW_KEY)
    fields = {k: header[k] for k in ("format", "version", "encryption", "key_id")}
    aad = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    nonce = base64.b64decode(header["nonce"])
    assert len(nonce) == 12
    plain = AESGCM(RAW_KEY).decrypt(nonce, base64.b64decode(header["ciphertext"]), aad)
    assert (
        plain
        == json.dumps(
            {
                "entries": {
                    "a": {"refresh_token": TOKEN, "saved_at": NOW, "created_at": NOW},
                    "b": {"refresh_token": "rt-b", "saved_at": NOW, "created_at": NOW},
                }
            },
            separators=(",", ":"),
        ).encode()
    )
    nonces = {header["nonce"]}
    tokens.save("a", "rt-a2")
    nonces.add(json.loads(path.read_text())["nonce"])
    assert len(nonces) == 2  # a fresh nonce for every write


def test_a_file_written_by_the_layout_is_read(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    payload = {"entries": {"k": {"refresh_token": TOKEN, "saved_at": NOW}}}
    write_header(path, encrypt(RAW_KEY, json.dumps(payload).encode()))
    record = store(path).load_record("k")
    assert record is not None and (record.refresh_token, record.created_at) == (TOKEN, NOW)


def test_the_plaintext_layout(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    plain = FileRefreshTokenStore(path, plaintext=True, clock=FakeClock(NOW))
    plain.save("b", "rt-b")
    plain.save("a", TOKEN)
    header = json.loads(path.read_text())
    assert header == {
        "format": "partnercenter/refresh-token-store",
        "version": 1,
        "encryption": "none",
        "entries": {
            "a": {"refresh_token": TOKEN, "saved_at": NOW, "created_at": NOW},
            "b": {"refresh_token": "rt-b", "saved_at": NOW, "created_at": NOW},
        },
    }
    assert list(header["entries"]) == ["a", "b"]


# -- unreadable files: each problem, reason and hint -----------------------------------------


def test_each_unreadable_file_says_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    encrypted = store(path)
    plain = FileRefreshTokenStore(path, plaintext=True)
    base = {"format": "partnercenter/refresh-token-store", "version": 1}
    cases: list[tuple[FileRefreshTokenStore, bytes, str, str, str]] = [
        (encrypted, b"not json", "corrupt", "it is not valid JSON", RESTORE),
        (encrypted, b"\xff\xfe", "corrupt", "it is not valid JSON", RESTORE),
        (encrypted, b"[" * 100_000, "corrupt", "it is nested too deeply to be a store", RESTORE),
        (encrypted, b"[]", "corrupt", "it is not a partnercenter refresh-token store", RESTORE),
        (
            encrypted,
            json.dumps({"format": "other"}).encode(),
            "corrupt",
            "it is not a partnercenter refresh-token store",
            RESTORE,
        ),
        (
            encrypted,
            json.dumps({**base, "version": 2}).encode(),
            "unsupported",
            "its layout version is 2; this partnercenter reads version 1",
            "A newer partnercenter wrote it: upgrade partnercenter.",
        ),
        (
            encrypted,
            json.dumps({**base, "version": "1"}).encode(),
            "unsupported",
            "its layout version is '1'; this partnercenter reads version 1",
            "A newer partnercenter wrote it: upgrade partnercenter.",
        ),
        (
            encrypted,
            json.dumps({**base, "encryption": "none", "entries": {}}).encode(),
            "unsupported",
            "it is a plaintext store",
            "Open it with plaintext=True (--store plaintext-file), or move it aside and sign in "
            "again to make an encrypted one.",
        ),
        (
            encrypted,
            json.dumps({**base, "encryption": "ROT13"}).encode(),
            "unsupported",
            "unknown encryption 'ROT13'",
            RESTORE,
        ),
        (
            plain,
            json.dumps({**base, "encryption": "AES-256-GCM"}).encode(),
            "unsupported",
            "it is encrypted but was opened as a plaintext store",
            "Open it without plaintext=True (--store file).",
        ),
        (
            plain,
            json.dumps({**base, "encryption": "none", "entries": []}).encode(),
            "corrupt",
            "it has no entries object",
            RESTORE,
        ),
        (
            plain,
            json.dumps({**base, "encryption": "none"}).encode(),
            "corrupt",
            "it has no entries object",
            RESTORE,
        ),
        (
            plain,
            json.dumps({**base, "encryption": "none", "entries": {"k": []}}).encode(),
            "corrupt",
            "entry 'k': a record must be a JSON object",
            RESTORE,
        ),
    ]
    for reader, data, reason, problem, hint in cases:
        path.write_bytes(data)
        for action in (partial(reader.load, "k"), reader.keys, partial(reader.save, "k", "new")):
            error = refused(action)
            assert (error.reason, error.location) == (reason, str(path)), problem
            assert error.message == unreadable(path, problem)
            assert error.hint == hint
        assert path.read_bytes() == data


def test_an_entry_name_that_looks_like_a_secret_is_not_shown(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    name = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    body = {"format": "partnercenter/refresh-token-store", "version": 1, "encryption": "none"}
    write_header(path, {**body, "entries": {name: {"refresh_token": ""}}})
    error = refused(lambda: FileRefreshTokenStore(path, plaintext=True).load("k"))
    assert name not in str(error) and "a record has no refresh_token string" in error.message


def test_a_tampered_or_malformed_ciphertext_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    good = encrypt(RAW_KEY, b'{"entries":{}}')
    problem = "its contents fail authentication (the file is corrupt or was modified)"
    variants: list[dict[str, Any]] = [
        {k: v for k, v in good.items() if k != "nonce"},
        {k: v for k, v in good.items() if k != "ciphertext"},
        {**good, "nonce": "not base64!"},
        {**good, "ciphertext": 12},
        {**good, "ciphertext": base64.b64encode(b"x" * 40).decode()},
        encrypt(RAW_KEY, b"{not json"),
        encrypt(RAW_KEY, b"[" * 100_000),
    ]
    for header in variants:
        write_header(path, header)
        error = refused(lambda: store(path).load("k"))
        assert (error.reason, error.message, error.hint) == (
            "corrupt",
            unreadable(path, problem),
            RESTORE,
        )
    write_header(path, encrypt(RAW_KEY, b"[1, 2]"))
    error = refused(lambda: store(path).load("k"))
    assert error.message == unreadable(path, "its decrypted contents are not a JSON object")
    assert error.reason == "corrupt"
    write_header(path, encrypt(RAW_KEY, b'{"entries": 5}'))
    assert refused(lambda: store(path).load("k")).message == unreadable(
        path, "it has no entries object"
    )


@pytest.mark.parametrize("field", ["format", "version", "encryption", "key_id"])
def test_every_header_field_is_authenticated(tmp_path: Path, field: str) -> None:
    # Encrypted with one header field different from what the file says: the associated data
    # no longer matches, so the file fails authentication even though each field is valid.
    path = tmp_path / "t.json"
    honest = encrypt(RAW_KEY, b'{"entries":{}}')
    sealed_with = {"format": "x", "version": 9, "encryption": "y", "key_id": "z"}[field]
    forged = encrypt(RAW_KEY, b'{"entries":{}}', **{field: sealed_with})
    write_header(path, {**forged, field: honest[field]})
    error = refused(lambda: store(path).load("k"))
    assert error.message == unreadable(
        path, "its contents fail authentication (the file is corrupt or was modified)"
    )


def test_the_wrong_key_error_gives_both_key_ids_and_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.json"
    store(path).save("k", TOKEN)
    other = generate_store_key()
    other_id = key_id(base64.urlsafe_b64decode(other + "="))
    error = refused(lambda: store(path, key=other).load("k"))
    assert error.message == unreadable(
        path,
        f"it was encrypted with another key (key id {key_id(RAW_KEY)!r}; the key from key= "
        f"has id {other_id!r})",
    )
    assert error.hint == (
        "Use the key it was written with (PARTNERCENTER_STORE_KEY or the OS keyring), or move "
        "the file aside and sign in again."
    )
    assert error.reason == "wrong_key"
    monkeypatch.setenv("PARTNERCENTER_STORE_KEY", other)
    error = refused(lambda: FileRefreshTokenStore(path, keyring=False).load("k"))
    assert "the key from $PARTNERCENTER_STORE_KEY has id" in error.message


# -- I/O failures ---------------------------------------------------------------------------


def test_a_directory_that_cannot_be_made_is_an_io_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    path = tmp_path / "file" / "t.json"
    error = refused(lambda: store(path).save("k", TOKEN))
    assert error.message == (
        f"cannot create the directory of the refresh-token store {path}: File exists"
    )
    assert (error.reason, error.location) == ("io", str(path))
    assert error.hint == "Check the path and its permissions."


def test_a_file_that_cannot_be_read_is_an_io_error(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.mkdir()
    error = refused(lambda: store(path).load("k"))
    assert error.message == f"cannot read the refresh-token store {path}: Is a directory"
    assert (error.reason, error.hint) == ("io", "Check the path and its permissions.")


def test_a_lock_that_cannot_be_taken_is_an_io_error(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.with_name("t.json.lock").mkdir()
    error = refused(lambda: store(path).save("k", TOKEN))
    assert error.message == f"cannot lock the refresh-token store {path}: Is a directory"
    assert error.reason == "io"


def test_a_held_lock_times_out_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    lock_path = path.with_name("t.json.lock")
    with exclusive_lock(lock_path, 5):
        error = refused(lambda: store(path, lock_timeout=0.2).save("k", TOKEN))
    assert error.message == (
        f"timed out after 0.2 s waiting for the lock on {lock_path} (another process holds it)"
    )
    assert (error.reason, error.location) == ("io", str(path))
    assert error.hint == "Check for a stuck process using this store."
    store(path, lock_timeout=1).save("k", TOKEN)  # released: an int timeout works too
    assert store(path).load("k") == TOKEN


def test_a_failed_write_is_an_io_error_and_keeps_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.json"
    store(path).save("k", TOKEN)
    before = path.read_bytes()

    def full(target: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(file_module, "write_atomic", full)
    error = refused(lambda: store(path).save("k", "rt-new"))
    assert error.message == (
        f"cannot write the refresh-token store {path}: No space left on device"
    )
    assert error.reason == "io" and path.read_bytes() == before


def test_an_os_error_without_strerror_is_shown_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.json"

    def broken(target: Path, data: bytes) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(file_module, "write_atomic", broken)
    error = refused(lambda: store(path).save("k", TOKEN))
    assert error.message == f"cannot write the refresh-token store {path}: disk gone"


def test_stale_temporary_files_are_removed_under_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    stale = tmp_path / ".t.json.abc123.tmp"
    stale.write_text("half a write")
    unrelated = tmp_path / ".other.json.abc.tmp"
    unrelated.write_text("")
    store(path).save("k", TOKEN)
    assert not stale.exists() and unrelated.exists()


@pytest.mark.parametrize("field", ["nonce", "ciphertext"])
@pytest.mark.parametrize("junk", ["!", "\n", " "])
def test_base64_in_the_header_is_read_strictly(tmp_path: Path, field: str, junk: str) -> None:
    # A stray character would be skipped by a lenient decoder and the file would still
    # decrypt: the layout is exact base64, so anything else is a modified file.
    path = tmp_path / "t.json"
    store(path).save("k", TOKEN)
    header = json.loads(path.read_text())
    header[field] = header[field][:8] + junk + header[field][8:]
    write_header(path, header)
    error = refused(lambda: store(path).load("k"))
    assert error.reason == "corrupt" and "fail authentication" in error.message


def test_the_keyring_key_is_read_once_per_store(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    memory_keyring.entries[("partnercenter", "refresh-token-store-key")] = KEY
    tokens = FileRefreshTokenStore(tmp_path / "t.json", keyring=memory_keyring)
    tokens.save("k", TOKEN)
    memory_keyring.entries.clear()  # gone from the keyring: this store still has it
    assert tokens.load("k") == TOKEN
    tokens.save("k", "rt-2")
    assert store(tmp_path / "t.json").load("k") == "rt-2"
