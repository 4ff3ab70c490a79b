"""Discovery documents, JWKS, instance discovery and key rotation."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography import x509

from partnercenter.emulator import Emulator

from .helpers import PC_DEFAULT_SCOPE


def test_v2_openid_configuration(emulator: Emulator, client: httpx.Client, tenant_id: str) -> None:
    domain = emulator.partner_tenant["domain"]
    doc = client.get(f"/{domain}/v2.0/.well-known/openid-configuration").json()
    base = emulator.base_url
    assert doc["issuer"] == f"{base}/{tenant_id}/v2.0"
    assert doc["token_endpoint"] == f"{base}/{tenant_id}/oauth2/v2.0/token"
    assert doc["authorization_endpoint"] == f"{base}/{tenant_id}/oauth2/v2.0/authorize"
    assert doc["device_authorization_endpoint"] == f"{base}/{tenant_id}/oauth2/v2.0/devicecode"
    assert doc["jwks_uri"] == f"{base}/{tenant_id}/discovery/v2.0/keys"
    assert doc["end_session_endpoint"] == f"{base}/{tenant_id}/oauth2/v2.0/logout"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {
        "client_secret_post",
        "private_key_jwt",
        "client_secret_basic",
    }
    for key in (
        "response_types_supported",
        "response_modes_supported",
        "scopes_supported",
        "subject_types_supported",
        "claims_supported",
        "tenant_region_scope",
        "cloud_instance_name",
        "cloud_graph_host_name",
        "msgraph_host",
    ):
        assert doc[key], key


def test_v1_openid_configuration(emulator: Emulator, client: httpx.Client, tenant_id: str) -> None:
    doc = client.get(f"/{tenant_id}/.well-known/openid-configuration").json()
    assert doc["issuer"] == f"https://sts.windows.net/{tenant_id}/"
    assert doc["token_endpoint"] == f"{emulator.base_url}/{tenant_id}/oauth2/token"
    assert doc["jwks_uri"] == f"{emulator.base_url}/common/discovery/keys"


def test_common_keeps_the_tenant_placeholder(emulator: Emulator, client: httpx.Client) -> None:
    doc = client.get("/common/v2.0/.well-known/openid-configuration").json()
    assert doc["issuer"] == f"{emulator.base_url}/{{tenantid}}/v2.0"
    assert doc["token_endpoint"] == f"{emulator.base_url}/common/oauth2/v2.0/token"


def test_unknown_tenant_discovery_is_an_aadsts_error(client: httpx.Client) -> None:
    response = client.get("/nowhere.onmicrosoft.com/v2.0/.well-known/openid-configuration")
    assert response.status_code == 400
    assert response.json()["error_codes"] == [90002]


@pytest.mark.parametrize(
    "path",
    [
        "/common/discovery/keys",
        "/common/discovery/v2.0/keys",
        "/discovery/keys",
        "/{tenant}/discovery/keys",
        "/{tenant}/discovery/v2.0/keys",
    ],
)
def test_jwks(client: httpx.Client, tenant_id: str, path: str) -> None:
    keys = client.get(path.format(tenant=tenant_id)).json()["keys"]
    assert len(keys) >= 2
    for key in keys:
        assert key["kty"] == "RSA" and key["use"] == "sig"
        assert set(key) >= {"kid", "x5t", "n", "e", "x5c"}
        der = base64.b64decode(key["x5c"][0])
        x509.load_der_x509_certificate(der)
        thumb = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode()
        assert key["x5t"] == thumb == key["kid"]


def test_instance_discovery_points_back_at_the_emulator(
    emulator: Emulator, client: httpx.Client
) -> None:
    endpoint = f"{emulator.base_url}/contosopartner.onmicrosoft.com/oauth2/v2.0/authorize"
    doc = client.get(
        "/common/discovery/instance",
        params={"api-version": "1.1", "authorization_endpoint": endpoint},
    ).json()
    assert doc["tenant_discovery_endpoint"] == (
        f"{emulator.base_url}/contosopartner.onmicrosoft.com/v2.0/.well-known/openid-configuration"
    )
    host = emulator.base_url.split("://", 1)[1]
    assert doc["metadata"] == [
        {"preferred_network": host, "preferred_cache": host, "aliases": [host]}
    ]
    other = client.get(
        "/common/discovery/instance",
        params={"authorization_endpoint": "https://login.example.com/common/oauth2/v2.0/authorize"},
    )
    assert other.status_code == 400 and other.json()["error"] == "invalid_instance"


def _token(client: httpx.Client, app: dict[str, Any], tenant_id: str) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "scope": PC_DEFAULT_SCOPE,
    }
    return str(client.post(f"/{tenant_id}/oauth2/v2.0/token", data=form).json()["access_token"])


def test_rotation_and_restart(tmp_path: Path) -> None:
    """Rotation publishes a new signing key and keeps the old; keys survive a restart."""
    with Emulator.start(state_dir=tmp_path) as emu:
        app, tenant = emu.app("partner-center-app"), emu.partner_tenant["id"]
        with httpx.Client(base_url=emu.base_url, verify=emu.verify) as c:
            old = _token(c, app, tenant)
            old_kids = [k["kid"] for k in c.get("/common/discovery/keys").json()["keys"]]
            new_kid = emu.rotate_keys()
            kids = [k["kid"] for k in c.get("/common/discovery/keys").json()["keys"]]
            assert kids[0] == new_kid and new_kid not in old_kids
            assert jwt.get_unverified_header(old)["kid"] in kids
            assert jwt.get_unverified_header(_token(c, app, tenant))["kid"] == new_kid
        ca = Path(emu.ca_cert or "").read_bytes()
    with Emulator.start(state_dir=tmp_path) as emu:
        with httpx.Client(base_url=emu.base_url, verify=emu.verify) as c:
            assert [k["kid"] for k in c.get("/common/discovery/keys").json()["keys"]] == kids
        assert Path(emu.ca_cert or "").read_bytes() == ca
        assert emu.app("partner-center-app") == app
