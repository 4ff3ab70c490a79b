"""``partnercenter consent`` without a browser: arguments, the emulator description, and store
problems reported before anyone signs in (a sign-in must never be wasted on a broken store)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from partnercenter.cli import cli
from partnercenter.errors import RefreshTokenStoreError

TENANT = "contosopartner.onmicrosoft.com"
CLIENT_ID = "cc4afb77-5fa2-5d39-8abd-3d28161e9056"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["consent", *args], env=env)
    return result.exit_code, result.output


def fake_emulator(tmp_path: Path) -> Path:
    info = {
        "base_url": "https://127.0.0.1:9",
        "ca_cert": None,
        "partner_tenant": {"id": "8e2346b3-225f-5cc1-89c3-5f5cea075940"},
        "apps": [{"name": "partner-center-cli", "client_id": CLIENT_ID}],
    }
    path = tmp_path / "emulator.json"
    path.write_text(json.dumps(info))
    return path


def test_tenant_and_client_are_required() -> None:
    code, output = run()
    assert code == 2 and "--tenant and --client-id are required" in output


def test_an_unusable_store_is_reported_before_the_sign_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No key in the environment and no usable OS keyring: nothing could be stored. (The
    # keyring is faked as absent: a developer's real keyring must not receive a test key.)
    def no_keyring(location: str) -> None:
        raise RefreshTokenStoreError("no keyring", location=location, reason="keyring")

    monkeypatch.setattr("partnercenter.stores.file.default_keyring", no_keyring)
    monkeypatch.setattr("webbrowser.open", lambda url: pytest.fail("must not sign in"))
    code, output = run(
        "--emulator",
        str(fake_emulator(tmp_path)),
        "--store-path",
        str(tmp_path / "t.json"),
        env={"PARTNERCENTER_STORE_KEY": "", "XDG_STATE_HOME": str(tmp_path)},
    )
    assert code == 1, output
    assert "RefreshTokenStoreError: no key to encrypt the refresh-token store" in output
    assert "Hint:" in output and "PARTNERCENTER_STORE_KEY" in output


def test_a_corrupt_store_is_reported_before_the_sign_in(tmp_path: Path) -> None:
    store = tmp_path / "t.json"
    store.write_text("not a store")
    code, output = run(
        "--tenant",
        TENANT,
        "--client-id",
        CLIENT_ID,
        "--store",
        "plaintext-file",
        "--store-path",
        str(store),
    )
    assert code == 1 and "RefreshTokenStoreError" in output and "untouched" in output
    assert store.read_text() == "not a store"


def test_emulator_description_errors(tmp_path: Path) -> None:
    code, output = run("--emulator", str(tmp_path / "missing.json"))
    assert code == 1 and "partnercenter emulator serve" in output
    (tmp_path / "bad.json").write_text("[]")
    code, output = run("--emulator", str(tmp_path / "bad.json"))
    assert code == 1 and "not the emulator's JSON description" in output
    for info in (
        {"base_url": "https://127.0.0.1:9"},
        {"base_url": "https://127.0.0.1:9", "partner_tenant": "x"},
        {"base_url": "https://127.0.0.1:9", "partner_tenant": {"id": "t"}, "apps": [1]},
        {
            "base_url": "https://127.0.0.1:9",
            "partner_tenant": {"id": "t"},
            "apps": [{"name": "partner-center-cli"}],
        },
    ):
        (tmp_path / "partial.json").write_text(json.dumps(info))
        code, output = run("--emulator", str(tmp_path / "partial.json"))
        assert code == 1 and "not the emulator's JSON description" in output, output
    (tmp_path / "url.json").write_text(json.dumps({"base_url": "not a url"}))
    code, output = run("--emulator", str(tmp_path / "url.json"))
    assert code == 1 and "ConfigurationError: authority_host" in output, output


def test_wrong_client_id_is_a_configuration_error(tmp_path: Path) -> None:
    code, output = run(
        "--tenant", TENANT, "--client-id", "not-a-guid", "--store-path", str(tmp_path / "t")
    )
    assert code == 1 and "ConfigurationError: client_id" in output


def test_an_empty_keyring_service_is_a_configuration_error() -> None:
    code, output = run(
        "--tenant", TENANT, "--client-id", CLIENT_ID, "--store", "keyring", "--keyring-service", ""
    )
    assert code == 1 and "ConfigurationError: service" in output, output
