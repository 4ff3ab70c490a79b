"""Config files extend or replace the seed; bad ones name the file, the entry and the problem."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from partnercenter.emulator import ConfigError, Emulator
from partnercenter.emulator.config import build, read_config_file

TOML = """
[settings]
token_lifetime = 600

[[tenants]]
name = "Northwind"
domains = ["northwind.onmicrosoft.com"]

[[apps]]
name = "northwind-app"
tenant = "northwind.onmicrosoft.com"
multi_tenant = false
secrets = [{ value = "nw-secret", expires = 2030-01-01T00:00:00Z }]

[[users]]
upn = "ops@northwind.onmicrosoft.com"
password = "pw"
"""


def test_toml_extends_the_seed(tmp_path: Path) -> None:
    path = tmp_path / "emu.toml"
    path.write_text(TOML)
    with Emulator.start(state_dir=tmp_path / "state", config=path) as emu:
        names = [t["name"] for t in emu.customer_tenants]
        assert "Northwind" in names and "Fabrikam" in names
        app = emu.app("northwind-app")
        with httpx.Client(base_url=emu.base_url, verify=emu.verify) as c:
            form = {
                "grant_type": "client_credentials",
                "client_id": app["client_id"],
                "client_secret": "nw-secret",
                "scope": "https://api.partnercenter.microsoft.com/.default",
            }
            ok = c.post("/northwind.onmicrosoft.com/oauth2/v2.0/token", data=form)
            assert ok.status_code == 200 and ok.json()["expires_in"] == 600
            # Single-tenant app: not installed in the partner tenant.
            other = c.post(f"/{emu.partner_tenant['id']}/oauth2/v2.0/token", data=form)
            assert other.json()["error_codes"] == [700016]


@pytest.mark.parametrize(
    "suffix,text",
    [
        (".yaml", "apps:\n  - name: yaml-app\n    client_secret: y\n"),
        (".json", json.dumps({"apps": [{"name": "json-app", "client_secret": "j"}]})),
    ],
)
def test_yaml_and_json(tmp_path: Path, suffix: str, text: str) -> None:
    path = tmp_path / f"emu{suffix}"
    path.write_text(text)
    directory, _ = build(read_config_file(path), source=str(path), apps_dir=tmp_path / "apps")
    assert directory.app(
        next(
            a.client_id
            for a in directory.apps
            if a.name.endswith("-app") and a.name.split("-")[0] in ("yaml", "json")
        )
    )


def test_replace_seed(tmp_path: Path) -> None:
    config = {
        "replace_seed": True,
        "tenants": [{"name": "Solo", "domains": ["solo.onmicrosoft.com"], "kind": "partner"}],
        "resources": [
            {
                "name": "PC",
                "uri": "https://api.partnercenter.microsoft.com",
                "app_id": "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd",
            }
        ],
    }
    directory, _ = build(config, apps_dir=tmp_path)
    assert [t.name for t in directory.tenants] == ["Solo"]
    assert directory.apps == [] and directory.users == []


def test_same_name_replaces_the_seed_entry(tmp_path: Path) -> None:
    config = {"apps": [{"name": "partner-center-app", "client_secret": "mine"}]}
    directory, _ = build(config, apps_dir=tmp_path)
    apps = [a for a in directory.apps if a.name == "partner-center-app"]
    assert len(apps) == 1 and apps[0].secrets[0].value == "mine"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"aps": []}, "cfg.toml: aps: unknown key"),
        ({"apps": {"name": "x"}}, "cfg.toml: apps: must be a list"),
        (
            {"apps": [{"name": "x", "client_id": "abc"}]},
            "cfg.toml: apps[0].client_id: 'abc' is not a GUID",
        ),
        (
            {"apps": [{"name": "x", "tenant": "nope.example"}]},
            "cfg.toml: apps[0].tenant: 'nope.example' is not a tenant",
        ),
        (
            {"apps": [{"name": "x", "secrets": [{"value": "s", "expires": "tomorrow"}]}]},
            "cfg.toml: apps[0].secrets[0].expires: 'tomorrow' is not a date",
        ),
        (
            {"apps": [{"name": "x", "public_client": True, "client_secret": "s"}]},
            "cfg.toml: apps[0].secrets: a public client cannot have secrets",
        ),
        ({"apps": [{"name": "x", "colour": "blue"}]}, "cfg.toml: apps[0].colour: unknown field"),
        (
            {"apps": [{"name": "x", "roles": {"https://nope.example": ["R"]}}]},
            "cfg.toml: apps[0].roles.https://nope.example: is not a resource",
        ),
        (
            {"tenants": [{"name": "T", "domains": ["not a domain"]}]},
            "cfg.toml: tenants[0].domains: 'not a domain' is not a domain name",
        ),
        (
            {"tenants": [{"name": "T", "domains": ["t.example.com"], "kind": "reseller"}]},
            "cfg.toml: tenants[0].kind: 'reseller' must be 'partner' or 'customer'",
        ),
        (
            {"tenants": [{"name": "T", "domains": ["t.example.com"], "kind": "partner"}]},
            "cfg.toml: tenants: exactly one tenant must be kind 'partner' (2 are)",
        ),
        (
            {"tenants": [{"name": "T", "domains": ["fabrikam.onmicrosoft.com"]}]},
            "cfg.toml: domain: 'fabrikam.onmicrosoft.com' is used by more than one entry",
        ),
        (
            {"users": [{"upn": "bob@unknown.example", "password": "p"}]},
            "cfg.toml: users[0].upn: the domain of 'bob@unknown.example' is not a verified domain",
        ),
        (
            {
                "users": [
                    {
                        "upn": "bob@fabrikam.onmicrosoft.com",
                        "password": "p",
                        "totp_secret": "not base32!",
                    }
                ]
            },
            "cfg.toml: users[0].totp_secret: must be a base32 secret",
        ),
        (
            {"users": [{"upn": "bob@fabrikam.onmicrosoft.com"}]},
            "cfg.toml: users[0].password: is required",
        ),
        (
            {"resources": [{"name": "R", "uri": "ftp://x"}]},
            "cfg.toml: resources[0].uri: 'ftp://x' is not an identifier URI",
        ),
        (
            {"resources": [{"name": "R", "uri": "api://x", "token_version": 3}]},
            "cfg.toml: resources[0].token_version: must be 1 or 2",
        ),
        ({"settings": {"token_lifetime": "1h"}}, "cfg.toml: settings.token_lifetime: must be int"),
        (
            {"settings": {"token_lifetime": -5}},
            "cfg.toml: settings.token_lifetime: must be a positive",
        ),
        ({"settings": {"lifetime": 5}}, "cfg.toml: settings.lifetime: unknown setting"),
        ({"replace_seed": "yes"}, "cfg.toml: replace_seed: must be true or false"),
    ],
)
def test_bad_config_names_file_entry_and_problem(
    tmp_path: Path, config: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        build(config, source="cfg.toml", apps_dir=tmp_path)
    assert str(caught.value).startswith(message), str(caught.value)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.toml", "apps = [", "bad.toml: not valid TOML"),
        ("bad.yaml", "apps: [", "bad.yaml: not valid YAML"),
        ("bad.json", "{", "bad.json: not valid JSON"),
        ("bad.ini", "[x]", "bad.ini: unknown format"),
        ("list.json", "[1, 2]", "list.json: the top level must be a table"),
    ],
)
def test_unreadable_config_file(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        read_config_file(path)
    assert str(caught.value).startswith(f"{tmp_path}/{message}"), str(caught.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        Emulator.start(state_dir=tmp_path, config=tmp_path / "nope.toml")
