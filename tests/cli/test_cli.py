"""``partnercenter`` as a user runs it: every kind of login, tokens, whoami, the API with
paging, output formats, errors and exit codes, profiles, environment variables.

Each command is a real subprocess; the emulator is real too (TLS on loopback).
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from partnercenter.emulator import Emulator
from partnercenter.stores import FileRefreshTokenStore

from .conftest import Shell
from .pages import complete_device_code, user

HERE = Path(__file__).parent


def token_requests(emu: Emulator) -> int:
    return sum(emu.stats()["token_requests"].values())


def login_user(shell: Shell, name: str = "user") -> dict[str, object]:
    process = shell.popen("login", "--emulator", shell.info, "--device-code", "--name", name)
    complete_device_code(shell.emu, process, user(shell.emu, mfa=True))
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    result: dict[str, object] = json.loads(out)
    return result


# -- logins ---------------------------------------------------------------------------------------
def test_secret_login_then_token_from_the_encrypted_cache(shell: Shell, emu: Emulator) -> None:
    login = shell.ok("login", "--emulator", shell.info)
    assert login["profile"] == "default" and login["kind"] == "secret" and login["current"]
    first = shell.ok("token")
    assert set(first) == {
        "accessToken",
        "expiresOn",
        "expires_on",
        "tokenType",
        "tenant",
        "kind",
        "mfa",
    }
    assert first["kind"] == "app" and first["mfa"] is False and first["tokenType"] == "Bearer"
    assert first["tenant"] == emu.partner_tenant["id"]
    before = token_requests(emu)
    again = shell.ok("token")
    assert again["accessToken"] == first["accessToken"]
    assert token_requests(emu) == before  # served from the on-disk cache, no Azure AD call
    # Neither the secret nor the token is on disk in clear.
    secret = emu.app("partner-center-app")["client_secret"]
    for path in shell.home.rglob("*.json"):
        text = path.read_text()
        assert secret not in text and first["accessToken"] not in text, path
    whoami = shell.ok("whoami")
    assert whoami["kind"] == "app-only" and whoami["profile"] == "default"
    assert whoami["audience"] == "https://api.partnercenter.microsoft.com"


def test_certificate_login_with_its_password_from_the_environment(
    shell: Shell, emu: Emulator
) -> None:
    app = emu.app("partner-center-app")
    certificate = app["certificate"]
    env = {
        "AZURE_CLIENT_CERTIFICATE_PATH": certificate["pfx_path"],
        "AZURE_CLIENT_CERTIFICATE_PASSWORD": certificate["pfx_password"],
    }
    done = shell.run("login", "--emulator", shell.info, "--name", "cert", "-o", "json", extra=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["kind"] == "certificate"
    config = json.loads(shell.config.read_text())["profiles"]["cert"]
    assert config["certificate_path"] == certificate["pfx_path"]
    # Nowhere but in the emulator's own paths (its state directory's name may contain it).
    written = shell.config.read_text().replace(str(emu.state_dir), "")
    assert certificate["pfx_password"] not in written
    # Later, without the environment: the password comes from the encrypted store.
    token = shell.ok("token", "--profile", "cert")
    assert token["kind"] == "app"


def test_device_code_login_is_app_plus_user_with_mfa(shell: Shell, emu: Emulator) -> None:
    login = login_user(shell)
    assert login["kind"] == "user" and login["mfa"] is True
    assert login["account"] == user(emu, mfa=True)["upn"]
    token = shell.ok("--profile", "user", "token")
    assert token["kind"] == "user" and token["mfa"] is True
    # An App+User-only operation, redeemed from the stored refresh token without a user.
    organization = shell.ok("--profile", "user", "call", "GET", "/v1/profiles/organization")
    assert organization["companyName"]
    customer = emu.customer_tenants[0]
    other = shell.ok("--profile", "user", "token", "--tenant", customer["domain"])
    assert other["tenant"] == customer["id"]
    listed = shell.ok("store", "list")
    (row,) = [r for r in listed if r["profile"] == "user"]
    assert row["account"] == login["account"] and row["tenant"] == emu.partner_tenant["id"]
    assert 88 <= row["daysLeft"] <= 90


def test_browser_login(shell: Shell, emu: Emulator) -> None:
    admin = user(emu, mfa=True)
    driver = f"{shlex.quote(sys.executable)} {shlex.quote(str(HERE / 'browser.py'))} %s"
    env = {
        "BROWSER": driver,
        "TEST_UPN": admin["upn"],
        "TEST_PASSWORD": admin["password"],
        "TEST_TOTP_SECRET": admin["totp_secret"],
        "TEST_ADMIN_KEY": emu.admin_key,
        "TEST_CA": str(emu.ca_cert),
    }
    done = shell.run(
        "login", "--emulator", shell.info, "--browser", "--name", "web", "-o", "json", extra=env
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["mfa"] is True
    assert shell.ok("--profile", "web", "whoami")["user"] == admin["upn"]


def test_refresh_token_import(shell: Shell, emu: Emulator) -> None:
    login_user(shell, "first")
    store = FileRefreshTokenStore(
        shell.home / "state" / "partnercenter" / "refresh-tokens.json",
        key=shell.env["PARTNERCENTER_STORE_KEY"],
        keyring=False,
    )
    refresh_token = store.load("partnercenter-cli|first|refresh_token")
    assert refresh_token
    done = shell.run(
        "login",
        "--emulator",
        shell.info,
        "--refresh-token-stdin",
        "--name",
        "imported",
        "-o",
        "json",
        input=refresh_token + "\n",
    )
    assert done.returncode == 0, done.stderr
    assert refresh_token not in done.stdout + done.stderr
    assert json.loads(done.stdout)["kind"] == "user"
    # Rotated on redemption: the stored one is a new token.
    assert store.load("partnercenter-cli|imported|refresh_token") not in (None, refresh_token)


def test_a_user_without_mfa_is_refused_and_nothing_is_saved(shell: Shell, emu: Emulator) -> None:
    process = shell.popen("login", "--emulator", shell.info, "--device-code", "--name", "agent")
    complete_device_code(emu, process, user(emu, mfa=False))
    out, err = process.communicate(timeout=60)
    assert process.returncode == 3, err
    assert "MfaMissingError" in err and "hint:" in err and out == ""
    assert not shell.config.exists() or "agent" not in shell.config.read_text()


# -- environment variables and precedence ---------------------------------------------------------
def test_environment_only_and_flags_env_profile_precedence(shell: Shell, emu: Emulator) -> None:
    app = emu.app("partner-center-app")
    env = {
        "AZURE_TENANT_ID": emu.partner_tenant["id"],
        "AZURE_CLIENT_ID": app["client_id"],
        "AZURE_CLIENT_SECRET": app["client_secret"],
        "AZURE_AUTHORITY_HOST": emu.base_url,
        "PARTNERCENTER_CA_CERT": str(emu.ca_cert),
    }
    # No profile at all: the Azure SDK variables are enough.
    done = shell.run("token", "-o", "json", extra=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["kind"] == "app"
    shell.ok("login", "--emulator", shell.info)
    # The environment beats the profile: a wrong secret there is used, and fails (for a scope
    # not cached yet: a cached token is served whatever the secret, as in azure-identity).
    wrong = "Wr0ng-S3cret-Value~xyz"
    done = shell.run(
        "token",
        "--resource",
        "https://graph.microsoft.com",
        "-o",
        "json",
        extra={**env, "AZURE_CLIENT_SECRET": wrong},
    )
    assert done.returncode == 3
    assert "AADSTS7000215" in done.stderr and "hint:" in done.stderr
    assert wrong not in done.stdout + done.stderr
    # PARTNERCENTER_* beats AZURE_*: the right secret there wins.
    done = shell.run(
        "token",
        "-o",
        "json",
        extra={
            **env,
            "AZURE_CLIENT_SECRET": wrong,
            "PARTNERCENTER_CLIENT_SECRET": app["client_secret"],
        },
    )
    assert done.returncode == 0, done.stderr
    # A flag beats the environment: --profile names a profile that does not exist.
    done = shell.run("--profile", "nope", "token", extra={"PARTNERCENTER_PROFILE": "default"})
    assert done.returncode == 5 and "no profile named 'nope'" in done.stderr
    assert shell.run("token", extra={"PARTNERCENTER_PROFILE": "default"}).returncode == 0


# -- the API ------------------------------------------------------------------------------------
def test_call_follows_both_paging_styles(shell: Shell) -> None:
    shell.ok("login", "--emulator", shell.info)
    # Continuation tokens (customers) and offset links (invoices).
    for path in ("/v1/customers", "/v1/invoices"):
        first = shell.ok("call", "GET", path, "--param", "size=7")
        assert len(first["items"]) == 7 and first["links"]["next"]
        done = shell.run("call", "GET", path, "--param", "size=7", "--all-pages", "-o", "json")
        assert done.returncode == 0, done.stderr
        items = json.loads(done.stdout)
        assert len(items) > 7 and items[:7] == first["items"]
        assert len({item["id"] for item in items}) == len(items)
        pages = [line for line in done.stderr.splitlines() if line.startswith("page ")]
        assert len(pages) == -(-len(items) // 7)  # progress on stderr, one line per page
    every = shell.ok("customers", "list", "--size", "50", "--query", "[].id")
    customers = shell.ok("call", "GET", "/v1/customers", "--all-pages", "--query", "[].id")
    assert every == customers
    some = shell.ok("customers", "list", "--max-items", "3")
    assert len(some) == 3
    one = shell.ok("customers", "show", some[0]["id"])
    assert one["id"] == some[0]["id"]
    assert shell.ok("invoices", "list", "--query", "length(@)") > 0


def test_call_with_a_body_from_a_file(shell: Shell, tmp_path: Path) -> None:
    from tests.emulator_support import new_customer

    shell.ok("login", "--emulator", shell.info)
    customer = new_customer()
    body = tmp_path / "customer.json"
    body.write_text(json.dumps(customer))
    created = shell.ok("call", "POST", "/v1/customers", "--body", f"@{body}")
    domain = customer["companyProfile"]["domain"]
    assert created["id"] and created["companyProfile"]["domain"] == domain
    assert shell.ok("customers", "show", created["id"])["id"] == created["id"]
    bad = shell.run("call", "POST", "/v1/customers", "--body", '{"password": "hunter2-secret",')
    assert bad.returncode == 2 and "not valid JSON" in bad.stderr
    assert "hunter2-secret" not in bad.stderr


def test_output_formats_and_query(shell: Shell) -> None:
    shell.ok("login", "--emulator", shell.info)
    query = "[].{id:id, domain:companyProfile.domain}"
    rows = shell.ok("customers", "list", "--max-items", "2", "--query", query)
    assert [set(r) for r in rows] == [{"id", "domain"}] * 2
    table = shell.run("customers", "list", "--max-items", "2", "--query", query, "-o", "table")
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["id", "domain"] and set(lines[1]) <= {"-", " "}
    assert len(lines) == 4 and rows[0]["id"] in lines[2]
    tsv = shell.run("customers", "list", "--max-items", "2", "--query", query, "-o", "tsv")
    assert tsv.stdout.splitlines()[0] == f"{rows[0]['id']}\t{rows[0]['domain']}"
    yaml_out = shell.run("profile", "show", "-o", "yaml")
    assert "name: default" in yaml_out.stdout and "kind: secret" in yaml_out.stdout
    only = shell.run("token", "--query", "accessToken", "-o", "tsv")
    assert only.stdout.count(".") == 2 and only.stderr == ""  # nothing but the result
    # PARTNERCENTER_OUTPUT sets the default; the flag wins.
    env_yaml = shell.run("profile", "list", extra={"PARTNERCENTER_OUTPUT": "yaml"})
    assert env_yaml.stdout.startswith("- name: default")
    bad = shell.run("profile", "list", "--query", "[?")
    assert bad.returncode == 2 and "JMESPath" in bad.stderr


# -- errors and exit codes ----------------------------------------------------------------------
def test_errors_carry_the_code_and_the_hint(shell: Shell) -> None:
    nothing = shell.run("token")
    assert nothing.returncode == 5 and "partnercenter login" in nothing.stderr
    shell.ok("login", "--emulator", shell.info)
    missing = shell.run("customers", "show", "00000000-0000-0000-0000-000000000000")
    assert missing.returncode == 4
    assert "NotFoundError" in missing.stderr and "code: Partner Center" in missing.stderr
    app_only = shell.run("call", "GET", "/v1/profiles/organization")
    assert app_only.returncode == 4 and "AppUserRequiredError" in app_only.stderr
    assert "partnercenter login --device-code" in app_only.stderr
    usage = shell.run("token", "--no-such-flag")
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
    for done in (nothing, missing, app_only, usage):
        assert done.stdout == ""


def test_no_secret_is_echoed_in_usage_errors(shell: Shell) -> None:
    secret = "S3cr3t~Value.That-Must-Not-Leak"
    cases = [
        ("token", secret),  # pasted where no argument goes
        ("--output", secret, "token"),  # a bad choice
        ("call", secret, "/v1/customers"),  # a bad method
        ("customers", "list", "--size", secret),  # not a number
        ("login", f"--nope={secret}"),  # an unknown option with a value
    ]
    for args in cases:
        done = shell.run(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert secret not in done.stdout + done.stderr, args
        assert "Traceback" not in done.stderr


def test_debug_trace_redacts_secrets_and_tokens(shell: Shell, emu: Emulator) -> None:
    secret = emu.app("partner-center-app")["client_secret"]
    login = shell.run("--debug", "login", "--emulator", shell.info, "-o", "json")
    assert login.returncode == 0, login.stderr
    assert "> POST" in login.stderr and "< HTTP 200" in login.stderr
    assert "client_secret=%3Credacted%3E" in login.stderr or "<redacted>" in login.stderr
    token = shell.ok("token")["accessToken"]
    call = shell.run("--debug", "customers", "list", "--max-items", "1", "-o", "json")
    assert call.returncode == 0 and "Authorization: <redacted>" in call.stderr.replace(
        "authorization", "Authorization"
    )
    for trace in (login.stderr, call.stderr):
        assert secret not in trace and token not in trace
        assert "eyJ" not in trace  # no JWT of any kind
    # App + user: the refresh token never shows either.
    login_user(shell)
    store = FileRefreshTokenStore(
        shell.home / "state" / "partnercenter" / "refresh-tokens.json",
        key=shell.env["PARTNERCENTER_STORE_KEY"],
        keyring=False,
    )
    before = store.load("partnercenter-cli|user|refresh_token")
    done = shell.run(
        "--debug", "--profile", "user", "token", "--tenant", emu.customer_tenants[0]["id"]
    )
    after = store.load("partnercenter-cli|user|refresh_token")
    assert done.returncode == 0, done.stderr
    assert before and after and before != after
    for value in (before, after):
        assert value not in done.stderr
    assert (
        "refresh_token=%3Credacted%3E" in done.stderr or "refresh_token=<redacted>" in done.stderr
    )


# -- profiles, logout, store ----------------------------------------------------------------------
def test_profiles_and_logout(shell: Shell) -> None:
    shell.ok("login", "--emulator", shell.info)
    shell.ok("login", "--emulator", shell.info, "--name", "second")
    names = shell.ok("profile", "list", "--query", "[].[name, current]")
    assert names == [["default", True], ["second", False]]
    assert shell.ok("profile", "use", "second") == {"current": "second"}
    assert shell.ok("whoami")["profile"] == "second"
    shown = shell.ok("profile", "show", "default")
    assert shown["kind"] == "secret" and shown["hasSecret"] is True
    assert "client_secret" not in json.dumps(shown)
    assert shell.ok("--profile", "default", "logout") == {"loggedOut": ["default"]}
    after = shell.run("--profile", "default", "token", "--scope", "https://x.example/.default")
    assert after.returncode == 5 and "no stored client secret" in after.stderr
    assert shell.ok("profile", "delete", "second") == {"deleted": "second"}
    assert shell.ok("profile", "list", "--query", "[].name") == ["default"]
    assert shell.run("profile", "use", "second").returncode == 5


def test_store_delete(shell: Shell) -> None:
    login_user(shell)
    key = "partnercenter-cli|user|refresh_token"
    assert shell.ok("store", "delete", key) == {"deleted": key}
    assert shell.ok("store", "list") == []
    assert shell.run("store", "delete", key).returncode == 5


def test_no_store_key_and_no_keyring_says_exactly_what_to_do(shell: Shell) -> None:
    done = shell.run("login", "--emulator", shell.info, extra={"PARTNERCENTER_STORE_KEY": ""})
    assert done.returncode == 5, done.stderr
    assert 'export PARTNERCENTER_STORE_KEY="$(partnercenter store new-key)"' in done.stderr
    key = shell.run("store", "new-key").stdout.strip()
    assert len(key) == 43


# -- decode and its warnings ----------------------------------------------------------------------
def test_decode_warns_about_the_900420_and_900421_traps(shell: Shell, emu: Emulator) -> None:
    from tests.emulator_support import mint

    graph = mint(emu, aud="https://graph.windows.net")
    done = shell.run("decode", "-o", "json", input=graph)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert any(w.startswith("900420") for w in info["warnings"])
    assert "warning: 900420" in done.stderr
    no_mfa = mint(emu, amr=["pwd"], scp="user_impersonation", idtyp="user")
    info = json.loads(shell.run("decode", no_mfa, "-o", "json").stdout)
    assert info["kind"] == "app + user" and info["mfa"] is False
    assert any(w.startswith("900421") for w in info["warnings"])
    assert no_mfa not in shell.run("decode", no_mfa).stdout
    junk = shell.run("decode", "not-a-token")
    assert junk.returncode == 2 and "not-a-token" not in junk.stderr


def test_shell_completion_scripts() -> None:
    import subprocess

    from .conftest import CLI, clean_environment

    for shell_name, marker in (("bash", "complete"), ("zsh", "compdef"), ("fish", "complete")):
        done = subprocess.run(
            [*CLI, "completion", shell_name],
            capture_output=True,
            text=True,
            env=clean_environment(),
        )
        assert done.returncode == 0 and marker in done.stdout
        assert "_PARTNERCENTER_COMPLETE" in done.stdout


@pytest.mark.parametrize(
    ("blocked", "args", "extra"),
    [
        ("click", ["token"], "cli"),
        ("starlette", ["emulator", "serve"], "emulator"),
        ("yaml", ["emulator", "serve"], "emulator"),
    ],
)
def test_a_missing_extra_is_one_line_naming_the_pip_command(
    blocked: str, args: list[str], extra: str
) -> None:
    import subprocess

    from .conftest import clean_environment

    code = (
        f"import sys; sys.modules[{blocked!r}] = None; from partnercenter.cli import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=clean_environment(),
        timeout=60,
    )
    assert done.returncode == 6, done.stderr
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert f'pip install "partnercenter[{extra}]"' in done.stderr


def test_consent_cloud_option_and_headless_store_key_help(shell: Shell) -> None:
    both = shell.run("consent", "--cloud", "china", "--emulator", shell.info)
    assert both.returncode == 2 and "--cloud and --emulator are exclusive" in both.stderr
    headless = shell.run(
        "consent",
        "--cloud",
        "us_government",
        "--tenant",
        "contoso.onmicrosoft.us",
        "--client-id",
        "cc4afb77-5fa2-5d39-8abd-3d28161e9056",
        "--device-code",
        extra={"PARTNERCENTER_STORE_KEY": ""},
    )
    assert headless.returncode == 1, headless.stderr
    assert 'export PARTNERCENTER_STORE_KEY="$(partnercenter store new-key)"' in headless.stderr


def test_no_command_prints_the_help_and_the_library_names_the_emulator_extra() -> None:
    import subprocess

    from .conftest import CLI, clean_environment

    done = subprocess.run(CLI, capture_output=True, text=True, env=clean_environment())
    assert done.returncode == 0 and "Commands:" in done.stdout and "login" in done.stdout
    code = "import sys; sys.modules['uvicorn'] = None; import partnercenter.emulator"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=clean_environment()
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "ModuleNotFoundError: partnercenter.emulator needs uvicorn from the [emulator] extra: "
        'pip install "partnercenter[emulator]"'
    )


def test_a_user_profile_token_is_served_from_the_cache_by_the_fast_path(
    shell: Shell, emu: Emulator
) -> None:
    # The fast path builds the same cache key as the credential (which names the refresh
    # token's store and key), so a user profile's second `token` is served without httpx and
    # without a token request.
    login_user(shell, "cached-user")
    first = shell.ok("token", "--profile", "cached-user", "-o", "json")
    before = token_requests(emu)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "partnercenter.cli", "token"]
        + ["--profile", "cached-user", "-o", "json"],
        env=shell.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines()}
    assert "httpx" not in imported and "partnercenter.token_cache" in imported
    again = json.loads(done.stdout)
    assert again["accessToken"] == first["accessToken"]
    assert again["kind"] == "user" and token_requests(emu) == before
