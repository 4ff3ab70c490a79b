"""``partnercenter emulator ...``: run the local Azure AD + Partner Center emulator."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import click


def default_state_dir() -> Path:
    """``$XDG_STATE_HOME/partnercenter/emulator`` (keys and CA survive restarts)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "partnercenter" / "emulator"


@click.group()
def emulator() -> None:
    """Run the local emulator of Azure AD and the Partner Center API."""


@emulator.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback by default)."
)
@click.option(
    "--port",
    default=0,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to bind; 0 picks a free one.",
)
@click.option(
    "--state-dir",
    # Not file_okay=False: the emulator names a file in the way in its own one-line error.
    type=click.Path(path_type=Path),
    default=None,
    help="Where keys, certificates, the CA and emulator.json live "
    "[default: $XDG_STATE_HOME/partnercenter/emulator].",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A TOML, YAML or JSON file extending (or replacing) the seed.",
)
@click.option(
    "--no-tls",
    is_flag=True,
    help="Serve plain HTTP (MSAL refuses non-https authorities; fine for httpx and curl).",
)
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def serve(
    host: str,
    port: int,
    state_dir: Path | None,
    config_file: Path | None,
    no_tls: bool,
    log_level: str,
) -> None:
    """Serve the emulator until Ctrl-C or SIGTERM.

    Once ready it writes STATE_DIR/emulator.json (base URL, CA file, admin key, tenants,
    apps with their secrets and certificates, users) and prints that file's path.
    """
    from ..emulator import ConfigError, Emulator
    from ..emulator.files import StateDirError

    try:
        emu = Emulator.start(
            state_dir=state_dir or default_state_dir(),
            config=config_file,
            host=host,
            port=port,
            tls=not no_tls,
            log_level=log_level,
        )
    except ConfigError as exc:
        raise click.ClickException(f"ConfigError: {exc}") from None
    except StateDirError as exc:
        raise click.ClickException(f"StateDirError: {exc}") from None
    except OSError as exc:
        raise click.ClickException(
            f"cannot serve on {host}:{port}: {exc.strerror or exc}"
        ) from None

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    click.echo(str(emu.info_path))
    click.echo(f"partnercenter emulator listening on {emu.base_url}", err=True)
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        emu.stop()
        click.echo("partnercenter emulator stopped", err=True)
