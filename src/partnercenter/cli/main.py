"""The root command group."""

from __future__ import annotations

import click

from .. import __version__
from .consent import consent
from .emulator import emulator
from .safety import SecretSafeGroup


@click.group(cls=SecretSafeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="partnercenter")
def cli() -> None:
    """Authenticate to the Microsoft Partner Center API, and run a local emulator of it."""


cli.add_command(emulator)
cli.add_command(consent)
