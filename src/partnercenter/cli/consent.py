"""``partnercenter consent``: the secure application model's one-time sign-in, from a shell.

A thin shell over :func:`partnercenter.secure_app_consent`: parse the options, build the store,
sign in (browser or device code, with MFA), print who signed in and where the refresh token
went. ``--emulator`` reads the running emulator's ``emulator.json`` for its URL, CA and seed.

``--store redis`` puts the token where a fleet's workers redeem it: the Redis of ``--redis-url``
or ``PARTNERCENTER_REDIS_URL``, under the library's default prefix (what
``RedisRefreshTokenStore.from_url(url)`` reads), sealed with ``PARTNERCENTER_STORE_KEY``. Redis
is pinged before the sign-in: a person must not do MFA for a token that cannot be kept.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .._credentials.signin_protocol import DeviceCode
from ..clouds import Cloud
from ..errors import PartnerCenterError
from ..redaction import redact_text
from ..stores import FileRefreshTokenStore, KeyringRefreshTokenStore, RefreshTokenStore
from ..stores.file import KEYRING_SERVICE, default_store_path
from ..stores.redis_support import DEFAULT_PREFIX
from .emulator import default_state_dir
from .errors import EXIT_CONFIG, EXIT_USAGE, CliError

if TYPE_CHECKING:
    from ..stores.redis_store import RedisRefreshTokenStore

__all__ = ["consent"]

#: The seed's public client, used with --emulator when no --client-id is given.
EMULATOR_CLI_APP = "partner-center-cli"
_DEFAULT_EMULATOR = "<default>"


def _emulator_info(location: str) -> dict[str, Any]:
    path = Path(location)
    if location == _DEFAULT_EMULATOR:
        path = default_state_dir() / "emulator.json"
    if path.is_dir():
        path = path / "emulator.json"
    try:
        info = json.loads(path.read_text())
    except OSError as exc:
        raise click.ClickException(
            f"cannot read the emulator's {redact_text(str(path))}: {exc.strerror or exc}. Start "
            "it with "
            "`partnercenter emulator serve` (it prints that file's path)."
        ) from None
    except ValueError:
        raise click.ClickException(f"{path} is not the emulator's JSON description") from None
    if not isinstance(info, dict) or "base_url" not in info:
        raise click.ClickException(f"{path} is not the emulator's JSON description")
    return info


def _store(kind: str, path: Path | None, keyring_service: str) -> tuple[RefreshTokenStore, str]:
    if kind == "keyring":
        where = f"the OS keyring ({redact_text(keyring_service)})"
        return KeyringRefreshTokenStore(keyring_service), where
    target = path or default_store_path()
    if kind == "plaintext-file":
        where = f"{redact_text(str(target))} (PLAINTEXT)"
        return FileRefreshTokenStore(target, plaintext=True), where
    return FileRefreshTokenStore(target), f"{redact_text(str(target))} (encrypted)"


def _key_help(exc: PartnerCenterError) -> str:
    # Headless Linux has no OS keyring: say exactly how to give the store key instead.
    if getattr(exc, "reason", None) in ("no_key", "keyring"):
        from .errors import store_key_help

        return f"\n{store_key_help()}"
    return ""


def _prompt(code: DeviceCode) -> None:
    click.echo(code.message, err=True)


def _show_sign_in(open_browser: bool) -> Callable[[str], None]:
    """The ``open_browser`` callable: called once the sign-in has started (arguments checked,
    store usable, redirect listener up), so nothing is announced for a sign-in that cannot
    happen."""

    def show(url: str) -> None:
        if open_browser:
            click.echo(
                "Opening your browser to sign in (--no-browser prints the address)...", err=True
            )
        else:
            click.echo("Open the address below in a browser on this machine to sign in.", err=True)
        from .._credentials.interactive import open_url

        open_url(open_browser, url)

    return show


@click.command()
@click.option("--tenant", "tenant", help="The partner tenant: GUID or domain.")
@click.option("--client-id", help="The application (client) id of the app registration.")
@click.option(
    "--client-secret",
    envvar="PARTNERCENTER_CLIENT_SECRET",
    help="Secret of a confidential app (better: the PARTNERCENTER_CLIENT_SECRET variable).",
)
@click.option(
    "--certificate",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Certificate (PEM with key, or PFX) of a confidential app.",
)
@click.option(
    "--certificate-password",
    envvar="PARTNERCENTER_CERTIFICATE_PASSWORD",
    help="Password of the certificate file (or PARTNERCENTER_CERTIFICATE_PASSWORD).",
)
@click.option(
    "--device-code",
    is_flag=True,
    help="Sign in with a device code (on any device) instead of this machine's browser.",
)
@click.option("--no-browser", is_flag=True, help="Print the sign-in address instead of opening it.")
@click.option(
    "--port",
    default=0,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Loopback port for the browser's redirect (0: any free port).",
)
@click.option("--login-hint", help="Pre-fill the user name on the sign-in page.")
@click.option(
    "--store",
    "store_kind",
    type=click.Choice(["file", "keyring", "plaintext-file", "redis"]),
    default=None,
    help="Where to keep the refresh token: an encrypted file (key from PARTNERCENTER_STORE_KEY "
    "or the OS keyring), the OS keyring, an unencrypted file (only if you must), or Redis, "
    "for a fleet's workers (key from PARTNERCENTER_STORE_KEY) [default: redis with a Redis "
    "URL, else file].",
)
@click.option(
    "--redis-url",
    metavar="URL",
    help="The fleet's Redis, for --store redis [env PARTNERCENTER_REDIS_URL]. A password here "
    "shows in `ps`: prefer the variable.",
)
@click.option(
    "--redis-prefix",
    default=DEFAULT_PREFIX,
    show_default=True,
    help="Key prefix in Redis: the one the workers' RedisRefreshTokenStore uses.",
)
@click.option(
    "--store-path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The store file [default: $XDG_STATE_HOME/partnercenter/refresh-tokens.json].",
)
@click.option("--store-key", help="The key the token is saved under [default: HOST|CLIENT_ID].")
@click.option(
    "--keyring-service", default=KEYRING_SERVICE, show_default=True, help="OS keyring service."
)
@click.option(
    "--cloud",
    "cloud_name",
    type=click.Choice(["global", "china", "us_government"]),
    default=None,
    help="The Microsoft cloud to sign in to [default: global].",
)
@click.option("--v1", "v1", is_flag=True, help="Use the v1 endpoints (resource=) instead of v2.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    help="Give up if the sign-in takes longer (seconds) [default: 300, device code: 900].",
)
@click.option(
    "--emulator",
    "emulator",
    is_flag=False,
    flag_value=_DEFAULT_EMULATOR,
    default=None,
    metavar="[EMULATOR_JSON]",
    help="Sign in at a running `partnercenter emulator`: read its emulator.json (default: the "
    "default state dir) for URL and CA; tenant and client default to its partner tenant and "
    f"its public '{EMULATOR_CLI_APP}' app.",
)
def consent(
    tenant: str | None,
    client_id: str | None,
    client_secret: str | None,
    certificate: Path | None,
    certificate_password: str | None,
    device_code: bool,
    no_browser: bool,
    port: int,
    login_hint: str | None,
    store_kind: str | None,
    redis_url: str | None,
    redis_prefix: str,
    store_path: Path | None,
    store_key: str | None,
    keyring_service: str,
    cloud_name: str | None,
    v1: bool,
    timeout: float | None,
    emulator: str | None,
) -> None:
    """Sign in once with MFA and store the refresh token (the secure application model).

    A person signs in (browser, or --device-code) to the partner tenant for the app, with
    multi-factor authentication, and consents to its Partner Center permission. The token must
    carry MFA (Partner Center refuses app + user tokens without it): otherwise nothing is
    stored. The refresh token is then redeemed unattended by RefreshTokenCredential, which
    saves every rotated token back to the same store.
    """
    from .._credentials.consent import secure_app_consent

    options: dict[str, Any] = {}
    if cloud_name is not None:
        if emulator is not None:
            raise click.UsageError("--cloud and --emulator are exclusive")
        options["cloud"] = Cloud.by_name(cloud_name)
    if emulator is not None:
        info = _emulator_info(emulator)
        base = str(info["base_url"])
        try:
            options["cloud"] = Cloud.custom(authority_host=base, api_root=base, name="emulator")
            if info.get("ca_cert"):
                options["verify"] = str(info["ca_cert"])
            tenant = tenant or str(info["partner_tenant"]["id"])
            if client_id is None:
                apps = info.get("apps", [])
                app = next((a for a in apps if a.get("name") == EMULATOR_CLI_APP), None)
                if app is None:
                    raise click.ClickException(
                        f"the emulator has no app named {EMULATOR_CLI_APP!r}"
                    )
                client_id = str(app["client_id"])
        except PartnerCenterError as exc:
            raise click.ClickException(f"{type(exc).__name__}: {exc}") from None
        except (KeyError, TypeError, AttributeError):
            raise click.ClickException(
                f"{emulator} is not the emulator's JSON description (partner_tenant or apps "
                "is missing or malformed)"
            ) from None
    if not tenant or not client_id:
        raise click.UsageError("--tenant and --client-id are required (or use --emulator)")
    if v1:
        options["endpoint_version"] = "v1"
    if certificate is not None:
        options["certificate_path"] = certificate
        options["password"] = certificate_password
    flag = redis_url or click.get_current_context().find_root().meta.get("redis_url")
    url = _redis_url(flag)
    kind = _store_kind(store_kind, url, flag, store_path)
    redis: RedisRefreshTokenStore | None = None
    if kind == "redis":
        assert url is not None
        cloud = options.get("cloud", Cloud.GLOBAL)
        redis, where = _redis_store(
            url, redis_prefix, store_key or f"{cloud.authority_host}|{client_id}"
        )
        store: RefreshTokenStore = redis
    else:
        try:
            store, where = _store(kind, store_path, keyring_service)
        except PartnerCenterError as exc:
            raise click.ClickException(f"{type(exc).__name__}: {exc}{_key_help(exc)}") from None
    try:
        result = secure_app_consent(
            tenant,
            client_id,
            store=store,
            store_key=store_key,
            method="device_code" if device_code else "browser",
            client_secret=client_secret,
            open_browser=_show_sign_in(not no_browser),
            redirect_port=port,
            login_hint=login_hint,
            prompt_callback=_prompt,
            sign_in_timeout=timeout,
            **options,
        )
    except PartnerCenterError as exc:
        if redis is not None:
            redis.close()
        raise click.ClickException(f"{type(exc).__name__}: {exc}{_key_help(exc)}") from None
    if redis is not None:
        try:
            _check_saved(redis, result.store_key, result.username, result.tenant_id)
        finally:
            redis.close()
    mfa = "with MFA" if result.has_mfa else "WITHOUT MFA"
    click.echo(f"Signed in as {result.username} (tenant {result.tenant_id}) {mfa}.")
    click.echo(f"Refresh token saved in {where} under the key {result.store_key!r}.")
    if kind == "plaintext-file":
        click.echo("Warning: the token is stored unencrypted; protect that file.", err=True)
    if kind == "redis":
        redeem = (
            "Workers redeem it with RefreshTokenCredential(tenant_id, client_id, "
            "store=RedisRefreshTokenStore.from_url(url)) and the same PARTNERCENTER_STORE_KEY"
        )
        if redis_prefix != DEFAULT_PREFIX:
            redeem += f" (from_url(url, prefix={redis_prefix!r}))"
    else:
        redeem = "Redeem it unattended with RefreshTokenCredential(tenant_id, client_id, store=...)"
    click.echo(
        f"{redeem}; it warns two weeks before the 90-day inactivity limit.",
        err=True,
    )
    sys.stdout.flush()


def _redis_url(flag: str | None) -> str | None:
    """The Redis URL in force: the flag (this command's, else the group's: ``partnercenter
    --redis-url URL consent``), then ``PARTNERCENTER_REDIS_URL``."""
    from .settings import env

    return flag or env("redis_url")


def _store_kind(
    chosen: str | None, url: str | None, flag: str | None, store_path: Path | None
) -> str:
    """Which store: ``--store`` when given; else Redis when a Redis URL is in force (as for
    ``login``), else the encrypted file."""
    if chosen is None:
        chosen = "redis" if url and store_path is None else "file"
    if chosen == "redis":
        if not url:
            raise CliError(
                "--store redis needs the Redis URL: --redis-url URL or PARTNERCENTER_REDIS_URL",
                exit_code=EXIT_USAGE,
            )
        if store_path is not None:
            raise CliError("--store-path is for the file stores, not Redis", exit_code=EXIT_USAGE)
    elif flag:
        raise CliError(f"--redis-url is for --store redis, not {chosen}", exit_code=EXIT_USAGE)
    return chosen


def _redis_store(url: str, prefix: str, key: str) -> tuple[RedisRefreshTokenStore, str]:
    """The fleet's store, once Redis has answered and the key reads what is under ``key``:
    everything that could lose the token is found before anyone signs in."""
    from .settings import describe_redis
    from .store_cmds import open_redis_store

    store = open_redis_store(url, prefix)
    try:
        store.load_record(key)  # an entry that cannot be read fails here, untouched
    except PartnerCenterError as exc:
        store.close()
        from .errors import describe

        raise describe(exc) from None
    if store.degraded:  # (it stopped answering since the ping)
        store.close()
        raise CliError(
            f"cannot use {describe_redis(url)}: it stopped answering", exit_code=EXIT_CONFIG
        )
    from ..stores.redis_admin import where

    return store, f"{where(store)}, encrypted"


def _check_saved(
    store: RedisRefreshTokenStore, key: str | None, account: str | None, tenant: str | None
) -> None:
    """Make sure the token reached Redis (a store that lost Redis mid-way keeps it in this
    process only, gone at exit), and label it for ``store list``."""
    from ..stores.redis_admin import label

    if key is None or store.load_record(key) is None or store.degraded:
        raise CliError(
            "the sign-in succeeded, but Redis did not take the refresh token (it stopped "
            "answering); nothing usable was stored",
            hint="Run partnercenter consent again once Redis answers.",
            exit_code=EXIT_CONFIG,
        )
    labels = {"account": account or "", "tenant": tenant or ""}
    try:
        label(store, key, labels)
    except PartnerCenterError:
        # The token is there; only `store list` loses who it belongs to.
        click.echo("warning: could not label the token for `store list`", err=True)
