"""FileTokenCache: the CLI's encrypted access-token cache, usable by any credential."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from partnercenter import ClientSecretCredential, FileTokenCache, TokenCache
from partnercenter.emulator import Emulator
from partnercenter.errors import ConfigurationError, RefreshTokenStoreError
from partnercenter.stores import generate_store_key
from partnercenter.tokens import AccessToken
from tests.emulator_support import cloud

KEY = generate_store_key()


def entry(expires_on: int, text: str = "header.payload.signature") -> tuple[float, AccessToken]:
    return (expires_on - 300.0, AccessToken(text, expires_on))


def test_round_trip_across_instances_encrypted_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    now = [1000.0]
    cache = FileTokenCache(path, key=KEY, keyring=False, clock=lambda: now[0])
    assert isinstance(cache, TokenCache)
    cache.set(("id", None, ("scope",)), entry(5000, "secret-token-value"))
    other = FileTokenCache(path, key=KEY, keyring=False, clock=lambda: now[0])
    got = other.get(("id", None, ("scope",)))
    assert got is not None and got[1].token == "secret-token-value" and got[0] == 4700.0
    assert "secret-token-value" not in path.read_text()
    assert json.loads(path.read_text())["encryption"] == "AES-256-GCM"
    assert "secret-token-value" not in repr(other)
    now[0] = 5000.0  # expired: a miss, and pruned on the next write
    assert other.get(("id", None, ("scope",))) is None
    other.set(("id2", None, ()), entry(9000))
    assert list(other.entries()) == ['["id2",null,[]]']


def test_namespaces_and_bounds(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    alice = FileTokenCache(path, key=KEY, keyring=False, namespace="alice", max_entries=3)
    bob = FileTokenCache(path, key=KEY, keyring=False, namespace="bob")
    alice.set("k", entry(2**31))
    assert bob.get("k") is None and alice.get("k") is not None
    for index in range(5):
        alice.set(f"k{index}", entry(2**31 - 10 + index))
    assert len(alice) == 3  # the bound drops those expiring first
    bob.set("k", entry(2**31))
    alice.clear()
    assert len(alice) == 0 and bob.get("k") is not None


def test_wrong_key_raises_and_corrupt_file_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    FileTokenCache(path, key=KEY, keyring=False).set("k", entry(2**31))
    with pytest.raises(RefreshTokenStoreError) as caught:
        FileTokenCache(path, key=generate_store_key(), keyring=False).get("k")
    assert caught.value.reason == "wrong_key"
    path.write_text("{not json")
    cache = FileTokenCache(path, key=KEY, keyring=False)
    assert cache.get("k") is None  # a cache is disposable: start again
    cache.set("k", entry(2**31))
    assert cache.get("k") is not None
    with pytest.raises(ConfigurationError, match="max_entries"):
        FileTokenCache(path, max_entries=0)


def test_a_credential_reuses_the_token_in_another_process(tmp_path: Path, emu: Emulator) -> None:
    app = emu.app("partner-center-app")
    path = tmp_path / "tokens.json"
    options = {"cloud": cloud(emu), "verify": emu.ca_cert}
    with ClientSecretCredential(
        emu.partner_tenant["id"],
        app["client_id"],
        app["client_secret"],
        cache=FileTokenCache(path, key=KEY, keyring=False),
        **options,  # type: ignore[arg-type]
    ) as credential:
        token = credential.get_token()
    before = sum(emu.stats()["token_requests"].values())
    code = f"""
import sys
from partnercenter import ClientSecretCredential, FileTokenCache, Cloud
cloud = Cloud.custom(authority_host={emu.base_url!r}, api_root={emu.base_url!r})
credential = ClientSecretCredential({emu.partner_tenant["id"]!r}, {app["client_id"]!r},
    {app["client_secret"]!r}, cloud=cloud, verify={str(emu.ca_cert)!r},
    cache=FileTokenCache({str(path)!r}, key={KEY!r}, keyring=False))
print(credential.get_token().token)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == token.token
    assert sum(emu.stats()["token_requests"].values()) == before
