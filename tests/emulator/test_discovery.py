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
from partnercenter.testing import EmulatorFactory

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


@pytest.mark.parametrize(
    "path",
    ["/{t}/v2.0/.well-known/openid-configuration", "/{t}/.well-known/openid-configuration"],
)
def test_unknown_tenant_discovery_is_invalid_tenant(
    emulator: Emulator, client: httpx.Client, path: str
) -> None:
    response = client.get(path.format(t="nowhere.onmicrosoft.com"))
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_tenant" and body["error_codes"] == [90002]
    assert body["error_description"].startswith(
        "AADSTS90002: Tenant 'nowhere.onmicrosoft.com' not found. Check to make sure you have the "
        "correct tenant ID and are signing into the correct cloud. Check with your subscription "
        "administrator, this may happen if there are no active subscriptions for the tenant.\r\n"
    )
    assert response.headers["access-control-allow-origin"] == "*"
    # error_uri points at a page the emulator serves, on the configured base URL.
    assert body["error_uri"] == f"{emulator.base_url}/error?code=90002"
    page = client.get(body["error_uri"])
    assert page.status_code == 200 and "AADSTS90002" in page.text
    assert "not found" in page.text


def test_error_page_for_unknown_and_junk_codes(client: httpx.Client) -> None:
    assert client.get("/error?code=7000215").status_code == 200
    for junk in ("1", "abc", "9" * 50, "<script>", "\u00b2", "\u0663"):
        response = client.get("/error", params={"code": junk})
        assert response.status_code == 404 and "<script>" not in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/{t}/v2.0/.well-known/openid-configuration",
        "/{t}/.well-known/openid-configuration",
        "/common/discovery/keys",
        "/{t}/discovery/v2.0/keys",
    ],
)
def test_discovery_cache_and_cors_headers(client: httpx.Client, tenant_id: str, path: str) -> None:
    response = client.get(path.format(t=tenant_id))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "max-age=86400, private"
    assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("version", ["v2.0/", ""])
def test_every_advertised_endpoint_is_served(
    emulator: Emulator, client: httpx.Client, tenant_id: str, version: str
) -> None:
    doc = client.get(f"/{tenant_id}/{version}.well-known/openid-configuration").json()
    urls = {k: v for k, v in doc.items() if k.endswith(("_endpoint", "_uri", "_iframe"))}
    for name, url in urls.items():
        assert url.startswith(emulator.base_url), (name, url)
        path = url[len(emulator.base_url) :]
        method = "POST" if name in ("token_endpoint", "device_authorization_endpoint") else "GET"
        response = client.request(method, path)
        # Served: whatever the answer, not the router's 404/405 for an unknown route.
        assert response.status_code not in (404, 405), (name, response.status_code)


def test_end_session_endpoint_signs_out(
    emulator: Emulator, client: httpx.Client, tenant_id: str
) -> None:
    app = emulator.app("partner-center-app")
    page = client.get(f"/{tenant_id}/oauth2/v2.0/logout")
    assert page.status_code == 200 and "signed out" in page.text
    registered = "http://localhost/callback"
    redirect = client.get(
        f"/{tenant_id}/oauth2/v2.0/logout",
        params={
            "post_logout_redirect_uri": registered,
            "client_id": app["client_id"],
            "state": "s1",
        },
    )
    assert redirect.status_code == 302 and redirect.headers["location"] == f"{registered}?state=s1"
    # An unregistered target is never followed (an open redirect otherwise).
    stay = client.get(
        f"/{tenant_id}/oauth2/logout", params={"post_logout_redirect_uri": "https://evil.example/"}
    )
    assert stay.status_code == 200 and "evil.example" not in stay.headers.get("location", "")
    posted = client.post(
        f"/{tenant_id}/oauth2/v2.0/logout",
        data={"post_logout_redirect_uri": registered, "client_id": app["client_id"]},
    )
    assert posted.status_code == 302 and posted.headers["location"] == registered
    for junk in (b"x" * 100_000, b"\xff\xfe=1"):
        response = client.post(
            f"/{tenant_id}/oauth2/v2.0/logout",
            content=junk,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 200
    multipart = client.post(f"/{tenant_id}/oauth2/logout", files={"f": b"x"})
    assert multipart.status_code == 200


def test_userinfo_answers_for_user_tokens_only(
    emulator: Emulator, client: httpx.Client, tenant_id: str
) -> None:
    assert client.get("/oidc/userinfo").status_code == 401
    app_only = _token(client, emulator.app("partner-center-app"), tenant_id)
    for bad in (app_only, "not.a.token", "x" * 20000, app_only[:-4] + "AAAA"):
        response = client.get("/oidc/userinfo", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_discovery_never_trusts_the_host_header(
    emulator: Emulator, client: httpx.Client, tenant_id: str
) -> None:
    forged = {"Host": "evil.example:443"}
    doc = client.get(f"/{tenant_id}/v2.0/.well-known/openid-configuration", headers=forged).json()
    for value in (doc["issuer"], doc["token_endpoint"], doc["jwks_uri"]):
        assert value.startswith(emulator.base_url) and "evil" not in value
    assert "evil" not in doc["cloud_instance_name"]
    keys = client.get(f"/{tenant_id}/discovery/v2.0/keys", headers=forged).json()["keys"]
    assert all(key["issuer"] == f"{emulator.base_url}/{tenant_id}/v2.0" for key in keys)
    instance = client.get(
        "/common/discovery/instance",
        params={"authorization_endpoint": "https://evil.example/common/oauth2/v2.0/authorize"},
        headers=forged,
    )
    assert instance.status_code == 400


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
def test_jwks(emulator: Emulator, client: httpx.Client, tenant_id: str, path: str) -> None:
    keys = client.get(path.format(tenant=tenant_id)).json()["keys"]
    assert len(keys) >= 2
    for key in keys:
        if "v2.0" in path:
            # Microsoft tells multi-tenant validators to check a token's iss against this.
            tid = tenant_id if "{tenant}" in path else "{tenantid}"
            assert key["issuer"] == f"{emulator.base_url}/{tid}/v2.0"
        else:
            assert "issuer" not in key
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


def test_rotation_publishes_first_and_signs_after_the_delay(
    pc_emulator_factory: EmulatorFactory,
) -> None:
    """A validator that fetched the JWKS just after the rotation knows the key that signs."""
    config = {"settings": {"key_rotation_delay": 600}}
    with pc_emulator_factory.private(config, plugin_settings=False) as emu:
        app, tenant = emu.app("partner-center-app"), emu.partner_tenant["id"]
        with httpx.Client(base_url=emu.base_url, verify=emu.verify) as c:
            old_kid = jwt.get_unverified_header(_token(c, app, tenant))["kid"]
            answer = emu.admin("POST", "keys/rotate")
            new_kid = answer["new_kid"]
            assert answer["active_kid"] == old_kid and new_kid != old_kid
            assert answer["activates_at"] == pytest.approx(emu.state.clock.now() + 600, abs=5)
            published = [k["kid"] for k in c.get("/common/discovery/keys").json()["keys"]]
            assert new_kid in published and old_kid in published
            # Still signed with the old key until the delay has passed on the emulator's clock.
            assert jwt.get_unverified_header(_token(c, app, tenant))["kid"] == old_kid
            emu.advance_clock(599)
            assert jwt.get_unverified_header(_token(c, app, tenant))["kid"] == old_kid
            emu.advance_clock(2)
            assert jwt.get_unverified_header(_token(c, app, tenant))["kid"] == new_kid
            for bad in ({"delay": -1}, {"delay": "soon"}, {"immediate": "yes"}, {"delay": 1e9}):
                with pytest.raises(httpx.HTTPStatusError) as caught:
                    emu.admin("POST", "keys/rotate", bad)
                assert caught.value.response.status_code == 400
                assert caught.value.response.json()["error"] == "invalid_value"


def test_a_rotation_that_cannot_be_saved_keeps_the_old_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from partnercenter.emulator import keys as keys_module

    with Emulator.start(state_dir=tmp_path) as emu:
        before = [k["kid"] for k in emu.state.keys.jwks()["keys"]]
        active = emu.state.keys.active.kid
        on_disk = sorted(p.read_bytes() for p in (tmp_path / "keys").glob("*.pem"))

        def disk_full(path: Path, data: bytes) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(keys_module, "write_private", disk_full)
        with pytest.raises(httpx.HTTPStatusError) as caught:
            emu.rotate_keys(immediate=True)
        assert caught.value.response.status_code == 503
        error = caught.value.response.json()
        assert error["error"] == "save_failed" and "old key stays active" in error["message"]
        assert [k["kid"] for k in emu.state.keys.jwks()["keys"]] == before
        assert emu.state.keys.active.kid == active and emu.state.keys.next_key is None
        assert sorted(p.read_bytes() for p in (tmp_path / "keys").glob("*.pem")) == on_disk


def test_rotation_and_restart(tmp_path: Path) -> None:
    """An immediate rotation (the "unknown kid -> refetch the JWKS" path) signs with the new
    key at once and keeps the old published; keys survive a restart."""
    with Emulator.start(state_dir=tmp_path) as emu:
        app, tenant = emu.app("partner-center-app"), emu.partner_tenant["id"]
        with httpx.Client(base_url=emu.base_url, verify=emu.verify) as c:
            old = _token(c, app, tenant)
            old_kids = [k["kid"] for k in c.get("/common/discovery/keys").json()["keys"]]
            new_kid = emu.rotate_keys(immediate=True)
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
