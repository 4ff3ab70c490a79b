"""The admin API under /_emulator/ and the running contract (Emulator fields, emulator.json)."""

from __future__ import annotations

import json
import os
import stat
import uuid
from pathlib import Path

import httpx
import pytest

from partnercenter.emulator import Emulator
from partnercenter.testing import EmulatorFactory

from .helpers import PC_DEFAULT_SCOPE


def test_running_contract_fields(emulator: Emulator) -> None:
    info = json.loads(emulator.info_path.read_text())
    assert info == emulator.info
    assert stat.S_IMODE(os.stat(emulator.info_path).st_mode) == 0o600
    assert info["base_url"].startswith("https://127.0.0.1:")
    assert Path(info["ca_cert"]).is_file()
    assert info["admin_key"]
    assert uuid.UUID(info["partner_tenant"]["id"]) and info["partner_tenant"]["domain"]
    assert len(info["customer_tenants"]) >= 3
    for app in info["apps"]:
        assert {
            "name",
            "client_id",
            "client_secret",
            "certificate",
            "redirect_uris",
            "public_client",
        } <= set(app)
    cert = emulator.app("partner-center-app")["certificate"]
    for key in ("cert_path", "key_path", "pfx_path"):
        assert Path(cert[key]).is_file()
    assert len(cert["thumbprint_sha1"]) == 40 and len(cert["thumbprint_sha256"]) == 64
    users = {u["upn"]: u for u in info["users"]}
    assert users["admin@contosopartner.onmicrosoft.com"]["totp_secret"]
    assert users["agent@contosopartner.onmicrosoft.com"]["totp_secret"] is None
    uris = {r["uri"] for r in info["resources"]}
    assert {
        "https://api.partnercenter.microsoft.com",
        "https://graph.windows.net",
        "https://graph.microsoft.com",
    } <= uris
    pc = next(r for r in info["resources"] if r["uri"] == "https://api.partnercenter.microsoft.com")
    assert pc["app_id"] == "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd"


def test_seed_is_reproducible(emulator: Emulator, pc_emulator_factory: EmulatorFactory) -> None:
    with pc_emulator_factory.private(plugin_settings=False) as other:
        assert other.partner_tenant == emulator.partner_tenant
        assert [a["client_id"] for a in other.apps] == [a["client_id"] for a in emulator.apps]
        assert [a["client_secret"] for a in other.apps] == [
            a["client_secret"] for a in emulator.apps
        ]


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"X-Emulator-Key": "wrong"}]
)
def test_admin_needs_the_key(client: httpx.Client, headers: dict[str, str]) -> None:
    response = client.get("/_emulator/stats", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_stats_count_token_requests_by_grant(pc_emulator_factory: EmulatorFactory) -> None:
    with pc_emulator_factory.private(plugin_settings=False) as emu:
        app, tenant = emu.app("partner-center-app"), emu.partner_tenant["id"]
        form = {
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": PC_DEFAULT_SCOPE,
        }
        with httpx.Client(base_url=emu.base_url, verify=emu.verify) as c:
            for _ in range(3):
                assert c.post(f"/{tenant}/oauth2/v2.0/token", data=form).status_code == 200
            c.post(f"/{tenant}/oauth2/v2.0/token", data={**form, "client_secret": "x"})
            c.post(f"/{tenant}/oauth2/v2.0/token", data={**form, "grant_type": "magic"})
            stats = c.get("/_emulator/stats", headers={"X-Emulator-Key": emu.admin_key}).json()
        assert stats["token_requests"] == {"client_credentials": 4, "other": 1}
        assert stats["tokens_issued"] == {"client_credentials": 3}
        assert stats["token_errors"] == {"AADSTS7000215": 1, "AADSTS70003": 1}
        assert stats["api_requests"] == 0
        emu.reset_stats()
        assert emu.stats()["token_requests"] == {}


def test_time_travel(emulator: Emulator, client: httpx.Client) -> None:
    auth = {"Authorization": f"Bearer {emulator.admin_key}"}
    before = client.get("/_emulator/clock", headers=auth).json()["now"]
    try:
        moved = client.post("/_emulator/clock", json={"advance": 86400}, headers=auth).json()
        assert 86400 <= moved["now"] - before < 86460 and moved["offset"] == 86400
        at = client.post("/_emulator/clock", json={"now": 2_000_000_000}, headers=auth).json()
        assert abs(at["now"] - 2_000_000_000) < 5
    finally:
        emulator.reset_clock()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1]",
        b'{"advance": "soon"}',
        b'{"advance": 1, "now": 2}',
        b"{}",
        b'{"advance": 1e300}',
        b'{"now": -100000000000}',
        b'{"advance": 99000000000}',
    ],
)
def test_bad_admin_input_gets_a_json_error(
    emulator: Emulator, client: httpx.Client, body: bytes
) -> None:
    response = client.post(
        "/_emulator/clock",
        content=body,
        headers={"X-Emulator-Key": emulator.admin_key, "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"] in ("invalid_json", "invalid_value")
    assert emulator.state.clock.offset == 0


def test_repeated_advances_cannot_push_the_clock_out_of_range(
    emulator: Emulator, client: httpx.Client
) -> None:
    auth = {"Authorization": f"Bearer {emulator.admin_key}"}
    try:
        first = client.post("/_emulator/clock", json={"advance": 5e10}, headers=auth)
        second = client.post("/_emulator/clock", json={"advance": 5e10}, headers=auth)
        assert first.status_code == 200
        assert second.status_code == 400 and second.json()["error"] == "invalid_value"
        # Every error body formats the clock's time: it must still render.
        tenant = emulator.partner_tenant["id"]
        token = client.post(
            f"/{tenant}/oauth2/v2.0/token", data={"grant_type": "client_credentials"}
        )
        assert token.status_code == 400 and token.json()["error_codes"] == [900144]
    finally:
        emulator.reset_clock()


def test_fault_and_throttling_helpers(pc_emulator_factory: EmulatorFactory) -> None:
    with pc_emulator_factory.private(plugin_settings=False) as emu:
        app, tenant = emu.app("partner-center-app"), emu.partner_tenant["id"]
        form = {
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": PC_DEFAULT_SCOPE,
        }
        rule = emu.add_fault(target="token", status=503, count=1)
        assert rule["statuses"] == [503] and rule["remaining"] == 1
        with httpx.Client(base_url=emu.base_url, verify=emu.verify) as c:
            failed = c.post(f"/{tenant}/oauth2/v2.0/token", data=form)
            assert failed.status_code == 503
            assert failed.json()["error"] == "temporarily_unavailable"
            assert c.post(f"/{tenant}/oauth2/v2.0/token", data=form).status_code == 200
        assert emu.set_throttling(burst=5)["burst"] == 5
        emu.reset_throttling()
        assert emu.set_throttling()["burst"] != 5
        emu.clear_faults()
        assert emu.admin("GET", "faults")["rules"] == []


def test_unknown_admin_path_is_a_json_404(emulator: Emulator, client: httpx.Client) -> None:
    response = client.get("/_emulator/nope", headers={"X-Emulator-Key": emulator.admin_key})
    assert response.status_code == 404 and response.json()["error"] == "not_found"
    # The API side's admin routes still answer (the catch-all comes after them).
    faults = client.get("/_emulator/faults", headers={"X-Emulator-Key": emulator.admin_key})
    assert faults.status_code == 200
