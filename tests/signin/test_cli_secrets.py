"""No secret in the command line's output (issue 9, item 1): every value-taking flag of
``partnercenter consent`` and ``partnercenter emulator serve`` receives secret-shaped values in
turn (the other flags valid), and nothing the command prints, logs or raises may contain them.

``consent`` really runs: its arguments are checked, the store is opened, the loopback listener
starts and the (fake) browser is sent to the authorize URL, where the sign-in is declined, so
each run ends quickly with Azure AD's ``access_denied``. ``emulator serve`` runs until its
arguments fail (a secret is never a usable host, port, log level or config file; the state
directory case is a file in the way, so no emulator is left serving).
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import click
import httpx
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from partnercenter.cli import cli
from partnercenter.cli.consent import consent
from partnercenter.cli.emulator import serve
from partnercenter.stores import generate_store_key

from ..auth.secret_values import leaked, secrets

TENANT = "contosopartner.onmicrosoft.com"
CLIENT_ID = "cc4afb77-5fa2-5d39-8abd-3d28161e9056"
EXAMPLES = 4


def _value_flags(command: click.Command) -> list[str]:
    return sorted(
        param.opts[0]
        for param in command.params
        if isinstance(param, click.Option) and not param.is_flag and param.opts[0] != "--help"
    )


def _decline(url: str) -> bool:
    """A browser whose user declines: the redirect carries ``access_denied`` and the state."""
    query = parse_qs(urlsplit(url).query)
    redirect, state = query["redirect_uri"][0], query["state"][0]
    httpx.get(
        redirect,
        params={"error": "access_denied", "error_description": "declined", "state": state},
        timeout=10,
    )
    return True


def _run(args: list[str], env: dict[str, str], caplog: pytest.LogCaptureFixture) -> str:
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        result = CliRunner().invoke(cli, args, env=env)
    texts = [result.output, *(r.getMessage() for r in caplog.records)]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        texts.append(repr(result.exception))
    return "\n".join(texts)


CONSENT_FLAGS = _value_flags(consent)
SERVE_FLAGS = _value_flags(serve)


def test_the_walk_covers_the_flags() -> None:
    assert {"--client-id", "--tenant", "--client-secret", "--store-key"} <= set(CONSENT_FLAGS)
    assert {"--host", "--port", "--state-dir", "--config"} <= set(SERVE_FLAGS)


@pytest.mark.parametrize("flag", CONSENT_FLAGS)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(secret=secrets)
def test_consent_never_prints_a_flag_value(
    flag: str,
    secret: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("webbrowser.open", _decline)
    options = {
        "--tenant": TENANT,
        "--client-id": CLIENT_ID,
        "--store-path": str(tmp_path / "store.json"),
        "--timeout": "30",
    }
    options[flag] = secret
    args = ["consent"] + [item for pair in options.items() for item in pair]
    env = {"PARTNERCENTER_STORE_KEY": generate_store_key(), "XDG_STATE_HOME": str(tmp_path)}
    output = _run(args, env, caplog)
    assert not leaked(secret, output), f"consent {flag} <secret> printed it:\n{output}"


@pytest.mark.parametrize("flag", SERVE_FLAGS)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(secret=secrets)
def test_emulator_serve_never_prints_a_flag_value(
    flag: str,
    secret: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.chdir(tmp_path)
    value = secret
    if flag == "--state-dir":
        # A file where the directory should be: refused before anything is served.
        blocker = tmp_path / "state" / secret.replace("/", "_").replace("\n", "_")[:200]
        blocker.parent.mkdir(exist_ok=True)
        blocker.write_text("")
        value = str(blocker)
    options = {"--state-dir": str(tmp_path / "state-ok"), flag: value}
    args = ["emulator", "serve"] + [item for pair in options.items() for item in pair]
    output = _run(args, {"XDG_STATE_HOME": str(tmp_path)}, caplog)
    assert "listening" not in output, "the test must never leave an emulator serving"
    assert not leaked(secret, output), f"emulator serve {flag} <secret> printed it:\n{output}"


def test_a_bad_value_says_what_was_expected() -> None:
    result = CliRunner().invoke(cli, ["consent", "--port", "h7k8Q~" + "a" * 34])
    assert result.exit_code == 2
    assert "Invalid value for '--port': must be an integer in the range 0<=x<=65535" in (
        result.output
    )
    assert "h7k8Q~" not in result.output


def test_the_browser_message_waits_for_a_sign_in_that_can_start() -> None:
    # A wrong client id fails before any sign-in: nothing may claim a browser is opening.
    result = CliRunner().invoke(
        cli, ["consent", "--tenant", TENANT, "--client-id", "h7k8Q~" + "a" * 34]
    )
    assert result.exit_code == 1
    assert "Opening your browser" not in result.output
    assert "client_id: got a 40-character string that looks like a client secret" in (result.output)


def test_the_browser_message_is_printed_when_the_sign_in_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("webbrowser.open", _decline)
    result = CliRunner().invoke(
        cli,
        ["consent", "--tenant", TENANT, "--client-id", CLIENT_ID, "--store-path"]
        + [str(tmp_path / "s.json")],
        env={"PARTNERCENTER_STORE_KEY": generate_store_key()},
    )
    assert result.exit_code == 1
    assert "Opening your browser" in result.output
    assert "AccessDeniedError" in result.output
