"""The pytest plugin (registered as ``partnercenter`` through the ``pytest11`` entry point).

Fixtures (none is autouse, so installing the plugin changes nothing until a test asks):

- ``pc_emulator_session`` (session): the running emulator, one per pytest process (so one per
  pytest-xdist worker);
- ``pc_emulator``: the emulator for this test, reset before it (or, under
  ``@pytest.mark.partnercenter_data(...)``, an emulator built from that data);
- ``pc_emulator_module`` (module): this module's emulator (its marker's data), reset when the
  module starts, not between its tests;
- ``pc_emulator_factory`` (session): an :class:`EmulatorFactory`, for emulators with data or
  start options of the caller's choosing, shared (for module- or session-scoped fixtures) or
  private to a ``with`` block;
- ``pc_app_credential``, ``pc_user_credential``, ``pc_user_credential_no_mfa``: app-only,
  app + user with MFA, app + user without MFA, for the partner tenant;
- ``pc_client`` (app + user with MFA) and ``pc_app_client`` (app-only): ``PartnerClient``\\ s;
- ``pc_redis``: with a Redis URL (``--partnercenter-redis-url``, ``PARTNERCENTER_REDIS_URL`` or
  the ``partnercenter_redis_url`` ini value), this test's share of that Redis, and the credential
  fixtures above use a Redis token cache and refresh-token store from it; else ``None``;
- ``pc_trust``: ``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE`` and ``CURL_CA_BUNDLE`` set to a bundle
  that trusts the emulator, for code under test that builds its own HTTP clients.

Only the standard library and pytest are imported here: the plugin loads even where the
``emulator`` extra is not installed, and its fixtures then fail with the install command.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .. import ClientSecretCredential, PartnerClient, RefreshTokenCredential
    from .sandbox import Sandbox
    from .shared_redis import SharedRedis
    from .trust import Trust

from .emulators import MAX_RUNNING, PLUGIN_SETTINGS, EmulatorFactory, Emulators

__all__ = ["MAX_RUNNING", "PLUGIN_SETTINGS", "EmulatorFactory", "Emulators"]

MARKER = "partnercenter_data"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("partnercenter", "partnercenter emulator")
    group.addoption(
        "--partnercenter-state-dir",
        dest="partnercenter_state_dir",
        default=None,
        help="where the plugin's emulators keep keys and certificates between runs "
        "(default: pytest's cache directory)",
    )
    parser.addini(
        "partnercenter_state_dir",
        "where the plugin's emulators keep keys and certificates between runs",
        default=None,
    )
    group.addoption(
        "--partnercenter-redis-url",
        dest="partnercenter_redis_url",
        default=None,
        help="share the credential fixtures' tokens and refresh tokens through this Redis "
        "(default: $PARTNERCENTER_REDIS_URL; a password here shows in `ps`: prefer the variable)",
    )
    parser.addini(
        "partnercenter_redis_url",
        "Redis URL for the credential fixtures' token cache and refresh-token store",
        default=None,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(data, tls=True, plugin_settings=True): run against an emulator built from "
        "this data (EmulatorData, a dict, the path of a TOML/YAML/JSON config file relative to "
        "the test file, or None for the seed alone); tls=False serves plain HTTP, "
        "plugin_settings=False starts from the emulator's own defaults",
    )


#: Requests shown under a failed test that used the emulator.
REPORTED_REQUESTS = 25


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Under a failed test that used ``pc_emulator``, what the emulator received (no secrets:
    see :mod:`partnercenter.emulator.journal`)."""
    report = yield
    if report.when == "call" and report.failed:
        sandbox = getattr(item, "funcargs", {}).get("pc_emulator")
        if sandbox is not None:
            with contextlib.suppress(Exception):  # a report must never fail the run itself
                report.sections.append(
                    ("partnercenter emulator: requests received", describe_requests(sandbox))
                )
    return report


def describe_requests(sandbox: Sandbox, limit: int = REPORTED_REQUESTS) -> str:
    """The journal's last ``limit`` entries, one line each."""
    entries = sandbox.requests()
    lines = [] if len(entries) <= limit else [f"({len(entries) - limit} earlier not shown)"]
    for entry in entries[-limit:]:
        details = [
            f"{name}={value}"
            for name, value in (
                ("client", entry.client_id),
                ("grant", entry.grant_type),
                ("user", entry.user),
                ("token", entry.token_kind),
                ("mfa", entry.mfa),
                ("error", entry.error),
            )
            if value is not None
        ]
        query = f"?{entry.query}" if entry.query else ""
        lines.append(
            f"{entry.status:3d} {entry.method:6} {entry.path}{query}  [{entry.kind}] "
            + " ".join(details)
        )
    return "\n".join(lines) or "(no requests)"


def _require_emulator_extra() -> None:
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        pytest.fail(
            "partnercenter's emulator fixtures need the 'emulator' extra: "
            "pip install 'partnercenter[emulator]'",
            pytrace=False,
        )


def _state_base(config: pytest.Config, factory: pytest.TempPathFactory) -> Path:
    chosen = config.getoption("partnercenter_state_dir", None) or config.getini(
        "partnercenter_state_dir"
    )
    if chosen:
        return Path(str(chosen)).expanduser()
    cache = getattr(config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir("partnercenter-emulator"))
    return factory.getbasetemp() / "partnercenter-emulator"


def _worker(config: pytest.Config) -> str:
    workerinput = getattr(config, "workerinput", None)
    if isinstance(workerinput, dict) and "workerid" in workerinput:
        return str(workerinput["workerid"])
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def pc_emulators(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Emulators]:
    """Every emulator this process runs (stopped at the end of the session)."""
    _require_emulator_extra()
    try:
        base = _state_base(request.config, tmp_path_factory)
        base.mkdir(parents=True, exist_ok=True)
    except OSError:
        base = Path(tempfile.mkdtemp(prefix="pc-emulators-"))
    registry = Emulators(base, _worker(request.config))
    try:
        yield registry
    finally:
        registry.close()


@pytest.fixture(scope="session")
def pc_emulator_factory(pc_emulators: Emulators) -> EmulatorFactory:
    """Emulators with data and options of your choosing (see :class:`EmulatorFactory`):
    ``pc_emulator_factory(data)`` for a fixture of any scope, ``with
    pc_emulator_factory.private(data) as emulator:`` for one of a test's own."""
    return EmulatorFactory(pc_emulators)


@pytest.fixture(scope="session")
def pc_emulator_session(pc_emulators: Emulators) -> Sandbox:
    """The emulator of this test session (one per process / xdist worker), seeded by default.
    Not reset between tests: use ``pc_emulator`` for that."""
    return pc_emulators.get(None)


@pytest.fixture(scope="module")
def pc_emulator_module(request: pytest.FixtureRequest, pc_emulators: Emulators) -> Sandbox:
    """The emulator of this module (its ``partnercenter_data`` marker's, else the default),
    reset when the module starts but not between its tests: for tests that build on each
    other's state, or module-scoped fixtures. Shared with every module that declares the
    same data and options (one per process)."""
    config, options = _declared(request)
    sandbox = pc_emulators.get(config, pin=True, **options)
    sandbox.reset()
    return sandbox


@pytest.fixture()
def pc_emulator(request: pytest.FixtureRequest, pc_emulators: Emulators) -> Sandbox:
    """The emulator for this test, reset before it: no sign-ins, refresh tokens, consents,
    faults, clock offset, journal entries or API changes left from earlier tests."""
    config, options = _declared(request)
    sandbox = pc_emulators.get(config, **options)
    sandbox.reset()
    return sandbox


#: The marker's keyword arguments: how the emulator starts, beside its data.
MARKER_OPTIONS = ("tls", "plugin_settings")


def _declared(request: pytest.FixtureRequest) -> tuple[dict[str, Any] | None, dict[str, bool]]:
    """The data and start options of the marker closest to the requesting node."""
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        return None, {}
    return _marker_data(marker, request), _marker_options(marker)


def _marker_data(marker: pytest.Mark, request: pytest.FixtureRequest) -> dict[str, Any] | None:
    from .data import load_data

    if len(marker.args) != 1:
        raise pytest.UsageError(
            f"@pytest.mark.{MARKER} takes one argument, the data (None for the seed alone), "
            f"and the keywords {', '.join(MARKER_OPTIONS)}"
        )
    data = marker.args[0]
    if data is None:
        return None
    if isinstance(data, (str, Path)) and not Path(data).is_absolute():
        data = Path(request.node.path).parent / data
    return load_data(data)


def _marker_options(marker: pytest.Mark) -> dict[str, bool]:
    unknown = sorted(set(marker.kwargs) - set(MARKER_OPTIONS))
    if unknown:
        raise pytest.UsageError(
            f"@pytest.mark.{MARKER}: unknown keyword {unknown[0]!r} "
            f"(it takes {', '.join(MARKER_OPTIONS)})"
        )
    options: dict[str, bool] = {}
    for name, value in marker.kwargs.items():
        if not isinstance(value, bool):
            raise pytest.UsageError(f"@pytest.mark.{MARKER}: {name} must be True or False")
        options[name] = value
    return options


@pytest.fixture(scope="session")
def pc_redis_url(request: pytest.FixtureRequest) -> tuple[str, str] | None:
    """The Redis URL for the credential fixtures and the key to encrypt with, or ``None``."""
    from .shared_redis import OPTION, configured_url

    config = request.config
    url = configured_url(config.getoption(OPTION, None), config.getini(OPTION) or None)
    if url is None:
        return None
    from ..stores import generate_store_key
    from ..stores.file import STORE_KEY_ENV

    return url, os.environ.get(STORE_KEY_ENV) or generate_store_key()


@pytest.fixture()
def pc_redis(pc_redis_url: tuple[str, str] | None) -> Iterator[SharedRedis | None]:
    """This test's share of the configured Redis (prefixes of its own, deleted after it), or
    ``None`` without a Redis URL. ``pc_redis.pair(name)`` gives a ``(RedisTokenCache,
    RedisRefreshTokenStore)`` for your own credentials."""
    if pc_redis_url is None:
        yield None
        return
    from ..errors import PartnerCenterError
    from .shared_redis import SharedRedis

    try:
        shared = SharedRedis(*pc_redis_url)
        shared.check()
    except (PartnerCenterError, ConnectionError) as exc:
        # Never the URL itself: it may hold a password.
        pytest.fail(f"partnercenter: cannot use the Redis: {exc}", pytrace=False)
    try:
        yield shared
    finally:
        shared.close()


@pytest.fixture()
def pc_app_credential(
    pc_emulator: Sandbox, pc_redis: SharedRedis | None
) -> Iterator[ClientSecretCredential]:
    """App-only: the seed's ``partner-center-app`` with its secret, at the partner tenant."""
    cache = pc_redis.pair("app")[0] if pc_redis is not None else None
    credential = pc_emulator.app_credential(cache=cache)
    yield credential
    credential.close()


@pytest.fixture()
def pc_user_credential(
    pc_emulator: Sandbox, pc_redis: SharedRedis | None
) -> Iterator[RefreshTokenCredential]:
    """App + user with MFA: a refresh token of the partner's first MFA user."""
    cache, store = pc_redis.pair("user") if pc_redis is not None else (None, None)
    credential = pc_emulator.user_credential(mfa=True, cache=cache, store=store)
    yield credential
    credential.close()


@pytest.fixture()
def pc_user_credential_no_mfa(
    pc_emulator: Sandbox, pc_redis: SharedRedis | None
) -> Iterator[RefreshTokenCredential]:
    """App + user without MFA (Partner Center refuses its tokens: 401, code 900421)."""
    cache, store = pc_redis.pair("user-no-mfa") if pc_redis is not None else (None, None)
    credential = pc_emulator.user_credential(mfa=False, cache=cache, store=store)
    yield credential
    credential.close()


@pytest.fixture()
def pc_client(
    pc_emulator: Sandbox, pc_user_credential: RefreshTokenCredential
) -> Iterator[PartnerClient]:
    """A ``PartnerClient`` with app + user (MFA) credentials: every operation accepts it."""
    with pc_emulator.client(pc_user_credential) as client:
        yield client


@pytest.fixture()
def pc_app_client(
    pc_emulator: Sandbox, pc_app_credential: ClientSecretCredential
) -> Iterator[PartnerClient]:
    """A ``PartnerClient`` with app-only credentials."""
    with pc_emulator.client(pc_app_credential) as client:
        yield client


@pytest.fixture()
def pc_trust(pc_emulator: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Trust:
    """Point ``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE`` and ``CURL_CA_BUNDLE`` at a bundle of
    the public roots plus the emulator's CA for this test; returns the paths and an
    ``ssl.SSLContext`` for httpx's ``verify=``."""
    from .trust import trust

    found = trust(pc_emulator)
    for name, value in found.env.items():
        monkeypatch.setenv(name, value)
    return found
