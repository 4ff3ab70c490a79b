"""``partnercenter login`` and ``logout``: save a named profile, or forget its secrets.

Kinds of login:

- a service principal with a secret (``--client-secret``, or ``AZURE_CLIENT_SECRET``) or a
  certificate (``--certificate`` PEM/PFX, or ``AZURE_CLIENT_CERTIFICATE_PATH``): app-only;
- a user, app + user (the secure application model): ``--device-code`` or ``--browser``,
  with MFA; or ``--refresh-token-stdin`` to import a refresh token you already have.

Every login is checked by getting a token before the profile is saved. Secrets go to the
encrypted store (or the OS keyring with ``--store keyring``), never to the config file.

``--redis-url URL`` (a common option) is saved with the profile (the URL with the secrets, its
host in the config file): its tokens are then shared through that Redis, and an app + user
profile's refresh token is kept there, for every machine of a fleet to redeem.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import PartnerCenterError
from .errors import EXIT_USAGE, CliError, describe
from .main import common_options
from .output import emit
from .profiles import (
    Kind,
    Profile,
    check_name,
    load_config,
    refresh_token_key,
    save_config,
    secret_key,
)
from .settings import (
    Resolved,
    describe_redis,
    env,
    make_cloud,
    secret_store,
    shared_redis,
    token_cache,
)

__all__ = ["login", "logout", "forget"]

#: The seed's apps used with --emulator: a confidential one and a public one.
EMULATOR_APP = "partner-center-app"
EMULATOR_PUBLIC_APP = "partner-center-cli"


def emulator_info(location: str | None) -> dict[str, Any]:
    """A running emulator's emulator.json (default: the default state directory)."""
    from .emulator import default_state_dir

    path = Path(location) if location else default_state_dir() / "emulator.json"
    if path.is_dir():
        path = path / "emulator.json"
    try:
        info = json.loads(path.read_text())
    except OSError as exc:
        raise CliError(
            f"cannot read the emulator's {path}: {exc.strerror or exc}",
            hint="Start it with `partnercenter emulator serve` (it prints that file's path).",
        ) from None
    except ValueError:
        raise CliError(f"{path} is not the emulator's JSON description") from None
    if not isinstance(info, dict) or "base_url" not in info or "partner_tenant" not in info:
        raise CliError(f"{path} is not the emulator's JSON description")
    return info


def _emulator_app(info: dict[str, Any], name: str) -> dict[str, Any]:
    for app in info.get("apps", []):
        if isinstance(app, dict) and app.get("name") == name:
            return app
    raise CliError(f"the emulator has no app named {name!r}")


def _fail(exc: PartnerCenterError) -> CliError:
    return describe(exc)


def _prompt(code: Any) -> None:
    click.echo(code.message, err=True)


def forget(profile: Profile, *, shared: bool = False) -> None:
    """Delete a profile's secrets, refresh token and cached access tokens (not the profile).

    ``shared``: also what it keeps in Redis (a user profile's refresh token and access tokens;
    an app-only profile's tokens are the fleet's and expire on their own). Only ``logout`` and
    ``profile delete`` say so: a login that replaces or fails must not take the fleet's refresh
    token away."""
    store = secret_store(profile)
    url = _shared_url(profile) if shared else None
    for key in (
        secret_key(profile.name, "client_secret"),
        secret_key(profile.name, "certificate_password"),
        secret_key(profile.name, "redis_url"),
        refresh_token_key(profile.name),
    ):
        try:
            store.delete(key)
        except PartnerCenterError as exc:
            if getattr(exc, "reason", "") not in ("no_key",):
                raise
    try:
        token_cache(profile.name).clear()
    except PartnerCenterError:
        pass  # an unreadable cache holds nothing of this profile that can still be used
    if url is not None:
        _forget_shared(profile, url)


def _shared_url(profile: Profile) -> str | None:
    """The Redis URL in force for ``profile`` (the environment's, else its own), or None."""
    url = env("redis_url")
    if url or not profile.redis:
        return url
    try:
        return secret_store(profile).load(secret_key(profile.name, "redis_url"))
    except PartnerCenterError:
        return None


def _forget_shared(profile: Profile, url: str) -> None:
    resolved = Resolved(
        profile=profile,
        cloud=make_cloud("global", None, None)[0],
        tenant=profile.tenant,
        client_id=profile.client_id,
        kind=profile.kind,
        ca_cert=None,
        endpoint_version=profile.endpoint_version,
        redis_url=url,
    )
    shared = shared_redis(resolved)
    if shared is None:
        return
    cache, store = shared
    try:
        if profile.kind != "user":
            return
        store.delete(refresh_token_key(profile.name))
        cache.purge()  # this profile's own prefix (see profiles.redis_prefix)
    except Exception as exc:  # Redis down: the refresh token stays; say so, do not fail
        click.echo(
            f"warning: could not remove the profile's tokens from {describe_redis(url)} "
            f"({type(exc).__name__}); revoke the user's sessions in Entra ID if needed.",
            err=True,
        )
    finally:
        cache.close()
        store.close()


@click.command()
@click.option("--name", "-n", "name", default="default", show_default=True, help="Profile name.")
@click.option("--tenant", help="The partner tenant: GUID or domain [env AZURE_TENANT_ID].")
@click.option("--client-id", help="The app registration's id [env AZURE_CLIENT_ID].")
@click.option(
    "--client-secret",
    help="The app's secret [better: env AZURE_CLIENT_SECRET, which stays out of `ps`].",
)
@click.option(
    "--certificate",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The app's certificate, PEM with key or PFX [env AZURE_CLIENT_CERTIFICATE_PATH].",
)
@click.option("--device-code", is_flag=True, help="Sign in as a user with a device code (MFA).")
@click.option("--browser", is_flag=True, help="Sign in as a user in this machine's browser.")
@click.option(
    "--refresh-token-stdin",
    is_flag=True,
    help="Import a refresh token you already have, read from stdin (app + user).",
)
@click.option("--no-browser", is_flag=True, help="With --browser: print the address instead.")
@click.option("--login-hint", help="Pre-fill the user name on the sign-in page.")
@click.option(
    "--cloud",
    type=click.Choice(["global", "china", "us_government", "custom"]),
    help="Microsoft cloud [env PARTNERCENTER_CLOUD; default global].",
)
@click.option("--authority-host", help="Azure AD host [env AZURE_AUTHORITY_HOST].")
@click.option("--api-root", help="Partner Center API root [env PARTNERCENTER_API_ROOT].")
@click.option(
    "--ca-cert",
    type=click.Path(dir_okay=False, exists=True),
    help="CA file to trust (an emulator's) [env PARTNERCENTER_CA_CERT].",
)
@click.option("--v1", "v1", is_flag=True, help="Use the v1 token endpoint (resource=).")
@click.option(
    "--store",
    "store_kind",
    type=click.Choice(["file", "keyring"]),
    default="file",
    show_default=True,
    help="Keep secrets in the encrypted file store (key: PARTNERCENTER_STORE_KEY or the OS "
    "keyring) or directly in the OS keyring.",
)
@click.option(
    "--emulator",
    "emulator",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[EMULATOR_JSON]",
    help="Log in at a running `partnercenter emulator` (its URL, CA, tenant and seed apps).",
)
@click.option("--timeout", type=click.FloatRange(min=1), help="Sign-in time limit (seconds).")
@common_options
def login(
    name: str,
    tenant: str | None,
    client_id: str | None,
    client_secret: str | None,
    certificate: Path | None,
    device_code: bool,
    browser: bool,
    refresh_token_stdin: bool,
    no_browser: bool,
    login_hint: str | None,
    cloud: str | None,
    authority_host: str | None,
    api_root: str | None,
    ca_cert: str | None,
    v1: bool,
    store_kind: str,
    emulator: str | None,
    timeout: float | None,
) -> None:
    """Log in and save a named profile (like Connect-PartnerCenter or az login).

    \b
    App-only:  partnercenter login --tenant T --client-id C            (AZURE_CLIENT_SECRET set)
               partnercenter login --tenant T --client-id C --certificate app.pem
    App+user:  partnercenter login --tenant T --client-id C --device-code
               partnercenter login --tenant T --client-id C --browser
               partnercenter login --tenant T --client-id C --refresh-token-stdin < rt.txt
    """
    check_name(name)
    redis_flag = click.get_current_context().find_root().meta.get("redis_url")
    redis_url = redis_flag or env("redis_url")
    user_modes = [m for m in (device_code, browser, refresh_token_stdin) if m]
    if len(user_modes) > 1:
        raise CliError(
            "choose one of --device-code, --browser, --refresh-token-stdin", exit_code=EXIT_USAGE
        )
    secret = client_secret or env("client_secret")
    certificate_path = str(certificate) if certificate else env("certificate_path")
    certificate_password = env("certificate_password")
    kind: Kind = "user" if user_modes else "certificate" if certificate_path else "secret"
    if emulator is not None:
        info = emulator_info(emulator or None)
        authority_host = authority_host or str(info["base_url"])
        api_root = api_root or str(info["base_url"])
        cloud = cloud or "custom"
        ca_cert = ca_cert or (str(info["ca_cert"]) if info.get("ca_cert") else None)
        tenant = tenant or str(info["partner_tenant"]["id"])
        if client_id is None:
            app_name = EMULATOR_PUBLIC_APP if kind == "user" else EMULATOR_APP
            app = _emulator_app(info, app_name)
            client_id = str(app["client_id"])
            if kind == "secret" and secret is None:
                secret = str(app["client_secret"])
    tenant = tenant or env("tenant")
    client_id = client_id or env("client_id")
    if not tenant or not client_id:
        raise CliError(
            "--tenant and --client-id are needed (or AZURE_TENANT_ID and AZURE_CLIENT_ID)",
            exit_code=EXIT_USAGE,
        )
    if kind == "secret" and not secret:
        raise CliError(
            "no credential: give a secret (AZURE_CLIENT_SECRET), --certificate, or sign in as a "
            "user with --device-code, --browser or --refresh-token-stdin",
            exit_code=EXIT_USAGE,
        )
    cloud_object, cloud_name = make_cloud(
        cloud or env("cloud"), authority_host or env("authority_host"), api_root or env("api_root")
    )
    ca_cert = ca_cert or env("ca_cert")
    profile = Profile(
        name=name,
        tenant=tenant,
        client_id=client_id,
        kind=kind,
        cloud=cloud_name,
        authority_host=cloud_object.authority_host if cloud_name == "custom" else None,
        api_root=cloud_object.api_root if cloud_name == "custom" else None,
        ca_cert=str(Path(ca_cert).resolve()) if ca_cert else None,
        endpoint_version="v1" if v1 else "v2",
        certificate_path=str(Path(certificate_path).resolve()) if certificate_path else None,
        store=store_kind,
        has_secret=bool(secret) and kind != "certificate",
        has_certificate_password=bool(certificate_password) and bool(certificate_path),
        # Only a URL given on the command line is saved; the environment's stays there.
        redis=describe_redis(redis_flag) if redis_flag else None,
    )
    config = load_config()
    if name in config.profiles:
        forget(config.profiles[name])  # a new login replaces the old one's secrets
    store = secret_store(profile)
    try:
        if hasattr(store, "check"):
            store.check()  # a store problem must not waste a sign-in
        if profile.has_secret and secret:
            store.save(secret_key(name, "client_secret"), secret)
        if profile.has_certificate_password and certificate_password:
            store.save(secret_key(name, "certificate_password"), certificate_password)
        if redis_flag:
            store.save(secret_key(name, "redis_url"), redis_flag)
        resolved = Resolved(
            profile=profile,
            cloud=cloud_object,
            tenant=tenant,
            client_id=client_id,
            kind=kind,
            ca_cert=profile.ca_cert,
            endpoint_version=profile.endpoint_version,
            client_secret=secret,
            certificate_path=profile.certificate_path,
            certificate_password=certificate_password,
            redis_url=redis_url,
        )
        refresh_store: Any = _shared_store(resolved) if redis_url else store
        if kind == "user":
            _user_login(
                resolved,
                refresh_store,
                device_code=device_code,
                refresh_token=sys.stdin.read().strip() if refresh_token_stdin else None,
                no_browser=no_browser,
                login_hint=login_hint,
                timeout=timeout,
            )
        access = _check(resolved, store_kind)
        if refresh_store is not store:
            refresh_store.close()
    except PartnerCenterError as exc:
        _cleanup(profile)
        raise _fail(exc) from None
    except BaseException:
        _cleanup(profile)
        raise
    if kind == "user":
        profile.account = access.user_principal_name
    config.profiles[name] = profile
    if config.current is None or name == "default" or config.current == name:
        config.current = name
    save_config(config)
    from .token_cmds import describe_token

    summary = describe_token(access)
    click.echo(
        f"Logged in: profile {name!r} ({summary['kind']}, tenant {summary['tenant']}"
        + (f", {profile.account}" if profile.account else "")
        + (", with MFA" if access.has_mfa else "")
        + ").",
        err=True,
    )
    if config.current != name:
        click.echo(
            f"Use it with --profile {name}, or `partnercenter profile use {name}`.", err=True
        )
    emit(
        {
            "profile": name,
            "current": config.current == name,
            "kind": kind,
            "tenant": tenant,
            "clientId": client_id,
            "account": profile.account,
            "mfa": access.has_mfa,
            "cloud": cloud_name,
            # Host only: the URL may hold a password.
            "redis": profile.redis or (describe_redis(redis_url) if redis_url else None),
        }
    )


def _shared_store(resolved: Resolved) -> Any:
    """The Redis store a login saves the refresh token in, once Redis has answered: a store
    that cannot reach Redis would keep it in this process only, and lose it at exit."""
    shared = shared_redis(resolved)
    assert shared is not None and resolved.profile is not None
    cache, store = shared
    cache.close()
    store.load(refresh_token_key(resolved.profile.name))
    if store.degraded:
        store.close()
        where = describe_redis(resolved.redis_url or "")
        raise CliError(
            f"cannot use {where}: it does not answer, or refuses the password or user",
            hint="Check the URL (--redis-url or PARTNERCENTER_REDIS_URL) and that the server "
            "runs; nothing was saved.",
        )
    return store


def _cleanup(profile: Profile) -> None:
    try:
        forget(profile)
    except PartnerCenterError:
        pass


def _user_login(
    resolved: Resolved,
    store: Any,
    *,
    device_code: bool,
    refresh_token: str | None,
    no_browser: bool,
    login_hint: str | None,
    timeout: float | None,
) -> None:
    profile = resolved.profile
    assert profile is not None
    key = refresh_token_key(profile.name)
    if refresh_token is not None:
        if not refresh_token:
            raise CliError("no refresh token on stdin", exit_code=EXIT_USAGE)
        store.save(key, refresh_token)  # redeemed (and rotated) by the check that follows
        return
    from .._credentials.arguments import check_verify
    from .._credentials.consent import secure_app_consent

    options: dict[str, Any] = {
        "cloud": resolved.cloud,
        "verify": check_verify(resolved.ca_cert or True),
    }
    if resolved.endpoint_version == "v1":
        options["endpoint_version"] = "v1"
    if resolved.certificate_path:
        options["certificate_path"] = resolved.certificate_path
        options["password"] = resolved.certificate_password
    if device_code:
        click.echo("Starting a device-code sign-in...", err=True)
    secure_app_consent(
        resolved.tenant,
        resolved.client_id,
        store=store,
        store_key=key,
        method="device_code" if device_code else "browser",
        client_secret=resolved.client_secret if profile.has_secret else None,
        open_browser=not no_browser,
        login_hint=login_hint,
        prompt_callback=_prompt,
        sign_in_timeout=timeout,
        **options,
    )


def _check(resolved: Resolved, store_kind: str) -> Any:
    """Get a token now: a wrong secret or tenant fails the login, not the first use."""
    from .session import session

    with session(resolved) as (credential, _client):
        return credential.get_token(resolved.default_scope())


@click.command()
@click.option("--all", "everything", is_flag=True, help="Log out of every profile.")
@common_options
def logout(everything: bool) -> None:
    """Forget the profile's secrets, refresh token and cached tokens (keeps its settings).

    `partnercenter profile delete NAME` also removes the profile.
    """
    config = load_config()
    if everything:
        profiles = list(config.profiles.values())
    else:
        name = click.get_current_context().find_root().meta.get("profile")
        profiles = [config.get(name)]
    for profile in profiles:
        forget(profile, shared=True)
    emit({"loggedOut": [p.name for p in profiles]})
