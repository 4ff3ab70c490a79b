"""``partnercenter emulator serve`` as users run it: a separate process, stopped by a signal."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CLI = [sys.executable, "-c", "from partnercenter.cli import main; main()"]


@contextlib.contextmanager
def _serve(tmp_path: Path, *extra: str) -> Iterator[subprocess.Popen[str]]:
    with subprocess.Popen(
        [*CLI, "emulator", "serve", "--state-dir", str(tmp_path), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _wait_ready(proc: subprocess.Popen[str]) -> Path:
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()  # the contract: the path of emulator.json, once ready
    assert line, proc.stderr.read() if proc.stderr else ""
    return Path(line)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_writes_the_contract_and_stops_on_signal(tmp_path: Path, sig: int) -> None:
    with _serve(tmp_path) as proc:
        info_path = _wait_ready(proc)
        assert info_path == tmp_path / "emulator.json"
        info = json.loads(info_path.read_text())
        tenant = info["partner_tenant"]["id"]
        doc = httpx.get(
            f"{info['base_url']}/{tenant}/v2.0/.well-known/openid-configuration",
            verify=_ctx(info["ca_cert"]),
        )
        assert doc.status_code == 200
        proc.send_signal(sig)
        assert proc.wait(timeout=15) == 0
        assert "stopped" in (proc.stderr.read() if proc.stderr else "")
        assert not info_path.exists()


def test_serve_plain_http(tmp_path: Path) -> None:
    with _serve(tmp_path, "--no-tls") as proc:
        info = json.loads(_wait_ready(proc).read_text())
        assert info["base_url"].startswith("http://") and info["ca_cert"] is None
        assert httpx.get(f"{info['base_url']}/common/discovery/keys").status_code == 200


def test_bad_config_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "emu.toml"
    config.write_text('[[apps]]\nname = "x"\nclient_id = "abc"\n')
    result = subprocess.run(
        [*CLI, "emulator", "serve", "--state-dir", str(tmp_path / "s"), "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert f"ConfigError: {config}: apps[0].client_id: 'abc' is not a GUID" in result.stderr
    assert "Traceback" not in result.stderr


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with _serve(tmp_path / "a") as proc:
        port = json.loads(_wait_ready(proc).read_text())["base_url"].rsplit(":", 1)[1]
        result = subprocess.run(
            [*CLI, "emulator", "serve", "--state-dir", str(tmp_path / "b"), "--port", port],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1
        assert f"cannot serve on 127.0.0.1:{port}" in result.stderr
        assert "Traceback" not in result.stderr


def _refused(state_dir: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*CLI, "emulator", "serve", "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "cannot serve on" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result


def test_a_second_serve_on_a_state_dir_in_use_refuses(tmp_path: Path) -> None:
    with _serve(tmp_path) as first:
        info_path = _wait_ready(first)
        info = json.loads(info_path.read_text())
        second = _refused(tmp_path)
        assert "already running" in second.stderr
        assert f"pid {first.pid}, {info['base_url']}" in second.stderr
        # The first one still serves, and its contract is untouched.
        assert json.loads(info_path.read_text()) == info
        keys = httpx.get(f"{info['base_url']}/common/discovery/keys", verify=_ctx(info["ca_cert"]))
        assert keys.status_code == 200
    # Once it stopped (the kernel drops the lock with the process), the directory is free.
    with _serve(tmp_path) as again:
        assert _wait_ready(again) == info_path


def test_a_state_dir_that_is_a_file_is_a_one_line_error(tmp_path: Path) -> None:
    target = tmp_path / "state"
    target.write_text("not a directory")
    result = _refused(target)
    assert f"StateDirError: {target}: the state directory is a file" in result.stderr


def test_corrupt_signing_keys_are_a_one_line_error(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "signing-0001.pem").write_text("-----BEGIN PRIVATE KEY-----\ngarbage\n")
    result = _refused(tmp_path)
    assert f"{keys}: cannot load the signing keys" in result.stderr


def test_corrupt_tls_files_are_a_one_line_error(tmp_path: Path) -> None:
    tls = tmp_path / "tls"
    tls.mkdir()
    (tls / "ca.pem").write_text("garbage")
    (tls / "ca-key.pem").write_text("garbage")
    result = _refused(tmp_path)
    assert f"{tls}: cannot load the TLS certificates" in result.stderr


@pytest.mark.may_skip("root ignores directory permissions; CI containers often run as root")
@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through directory permissions")
def test_an_unwritable_state_dir_is_a_one_line_error(tmp_path: Path) -> None:
    target = tmp_path / "state"
    target.mkdir(mode=0o500)
    try:
        result = _refused(target)
    finally:
        target.chmod(0o700)
    assert f"StateDirError: {target}: the state directory is not writable" in result.stderr


def test_a_write_refused_inside_the_state_dir_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In process, so that it runs as root too: the key files cannot be written.
    from partnercenter.emulator import Emulator, keys
    from partnercenter.emulator.files import StateDirError

    def refuse(path: Path, data: bytes) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(keys, "write_private", refuse)
    with pytest.raises(StateDirError) as caught:
        Emulator.start(state_dir=tmp_path)
    message = str(caught.value)
    assert message.startswith(str(tmp_path / "keys")) and "not writable" in message
    assert "\n" not in message
    # The lock was released: the directory is usable at once.
    monkeypatch.undo()
    with Emulator.start(state_dir=tmp_path) as emu:
        assert emu.state_dir == tmp_path


def test_help_and_version() -> None:
    out = subprocess.run([*CLI, "--help"], capture_output=True, text=True, timeout=60).stdout
    assert "emulator" in out
    out = subprocess.run(
        [*CLI, "emulator", "serve", "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    for option in ("--host", "--port", "--state-dir", "--config", "--no-tls"):
        assert option in out
    version = subprocess.run([*CLI, "--version"], capture_output=True, text=True, timeout=60)
    assert version.stdout.startswith("partnercenter, version ")


def _ctx(ca: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca)
