"""``partnercenter completion bash|zsh|fish``: the shell completion script (click's own)."""

from __future__ import annotations

import click

__all__ = ["completion"]


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the completion script for SHELL. Install it with, e.g.:

    \b
    bash: partnercenter completion bash > ~/.local/share/bash-completion/completions/partnercenter
    zsh:  partnercenter completion zsh > "${fpath[1]}/_partnercenter"
    fish: partnercenter completion fish > ~/.config/fish/completions/partnercenter.fish
    """
    from click.shell_completion import get_completion_class

    from .main import cli

    cls = get_completion_class(shell)
    assert cls is not None
    completer = cls(cli, {}, "partnercenter", "_PARTNERCENTER_COMPLETE")
    click.echo(completer.source())
