"""The root command group, the options every command takes, and the error boundary.

Subcommands are imported only when run (a lazy group), so ``partnercenter token`` never
imports the sign-in or emulator code, nor ``httpx`` when its token is cached.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from .._version import __version__
from ..errors import PartnerCenterError
from .errors import EXIT_EXTRA, EXIT_USAGE, CliError, describe
from .extras import missing_extra_message
from .output import FORMATS
from .safety import SecretSafeGroup

__all__ = ["cli", "common_options", "run"]

F = TypeVar("F", bound=Callable[..., Any])

#: command name -> "module:attribute", imported on first use.
_COMMANDS: dict[str, str] = {
    "call": ".api_cmds:call",
    "completion": ".completion:completion",
    "consent": ".consent:consent",
    "customers": ".api_cmds:customers",
    "decode": ".token_cmds:decode",
    "emulator": ".emulator:emulator",
    "invoices": ".api_cmds:invoices",
    "login": ".login:login",
    "logout": ".login:logout",
    "profile": ".profile_cmds:profile",
    "store": ".store_cmds:store",
    "token": ".token_cmds:token",
    "whoami": ".token_cmds:whoami",
}


class LazyGroup(SecretSafeGroup):
    """A group whose subcommands live in modules imported when the subcommand is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        ctx.meta["partnercenter.command"] = cmd_name
        module = importlib.import_module(module_name, __package__)
        command: click.Command = getattr(module, attribute)
        return command


def _remember(name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        # A value given on the subcommand wins over one given before it; unset ones do not
        # erase what the group received.
        if value in (None, False):
            return value
        # A flag beats an environment variable wherever each was given (flags > env).
        meta = ctx.find_root().meta
        typed = ctx.get_parameter_source(param.name or "") is click.core.ParameterSource.COMMANDLINE
        if typed or not meta.get(f"{name}.typed"):
            meta[name] = value
        if typed:
            meta[f"{name}.typed"] = True
        return value

    return callback


def common_options(function: F) -> F:
    """``--output``, ``--query``, ``--profile``, ``--redis-url`` and ``--debug``, accepted by
    every command (and by the group itself, before the command name)."""
    options = [
        click.option(
            "--output",
            "-o",
            type=click.Choice(FORMATS),
            envvar="PARTNERCENTER_OUTPUT",
            expose_value=False,
            callback=_remember("output"),
            help="Output format [default: table on a terminal, json otherwise; "
            "env PARTNERCENTER_OUTPUT].",
        ),
        click.option(
            "--query",
            expose_value=False,
            callback=_remember("query"),
            help='JMESPath query applied to the result, e.g. "[].id".',
        ),
        click.option(
            "--profile",
            "-p",
            envvar="PARTNERCENTER_PROFILE",
            expose_value=False,
            callback=_remember("profile"),
            help="Profile to use [default: the current one; env PARTNERCENTER_PROFILE].",
        ),
        click.option(
            "--redis-url",
            metavar="URL",
            expose_value=False,
            callback=_remember("redis_url"),
            help="Share tokens through this Redis [env PARTNERCENTER_REDIS_URL; `login` saves "
            "it in the profile]. A password here shows in `ps`: prefer the variable.",
        ),
        click.option(
            "--debug",
            is_flag=True,
            expose_value=False,
            callback=_remember("debug"),
            help="Trace every HTTP exchange on stderr (secrets and tokens redacted).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="partnercenter")
@common_options
def cli() -> None:
    """Partner Center from the shell: log in once, get tokens, call the API; and run a local
    emulator of Azure AD and the Partner Center API.

    \b
    Start:   partnercenter login --tenant T --client-id C   (secret in AZURE_CLIENT_SECRET)
    Then:    partnercenter token | whoami | customers list | call GET /v1/invoices
    Docs:    docs/cli.md (every command, exit codes, the PowerShell and az equivalents)
    """


def _command_words() -> set[str]:
    words = set(_COMMANDS)
    for name in ("list", "show", "delete", "use", "serve", "new-key", "bash", "zsh", "fish"):
        words.add(name)
    return words


def sanitize(message: str, argv: Sequence[str]) -> str:
    """``message`` without any value the user typed: a mistyped option's value could be a
    secret (``--client-secret`` given twice, a token pasted in the wrong place), and click
    quotes values in its usage errors."""
    words = _command_words()
    for arg in sorted(argv, key=len, reverse=True):
        value = arg.split("=", 1)[1] if arg.startswith("-") and "=" in arg else arg
        if not value or value.startswith("-") or value in words or value in FORMATS:
            continue
        message = message.replace(value, "<value hidden>")
    return _hide_known(message)


def _hide_known(message: str) -> str:
    """``message`` without the Redis URLs (and their passwords) this process used, wherever
    they came from (flag, environment, profile)."""
    from .settings import hidden_values

    for value in hidden_values():
        message = message.replace(value, "<value hidden>")
    return message


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (see :mod:`.errors`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli.main(args=args, prog_name="partnercenter", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("Interrupted.", err=True)
        return 130
    except CliError as exc:
        exc.show()
        return exc.status
    except click.UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError" and exc.ctx is not None:
            click.echo(exc.ctx.get_help())  # `partnercenter` alone: the help, as az does
            return 0
        if exc.ctx is not None:
            click.echo(exc.ctx.get_usage(), err=True)
        click.echo(f"error: {sanitize(exc.format_message(), args)}", err=True)
        click.echo("hint: run with --help for the options", err=True)
        return EXIT_USAGE
    except click.ClickException as exc:
        # Raised by the commands themselves, whose messages name no secret (usage errors,
        # which quote what the user typed, are sanitized above).
        click.echo(f"error: {_hide_known(exc.format_message())}", err=True)
        return exc.exit_code
    except PartnerCenterError as exc:
        error = describe(exc)
        error.show()
        return error.status
    except ModuleNotFoundError as exc:
        command = args[0] if args else ""
        prefer = "emulator" if command == "emulator" else None
        click.echo(missing_extra_message(exc, prefer=prefer), err=True)
        return EXIT_EXTRA
    except BrokenPipeError:
        return 0  # `partnercenter customers list | head`
    except Exception as exc:  # a bug: say so in one line (--debug shows the traceback)
        if "--debug" in args:
            raise
        click.echo(
            f"error: unexpected {type(exc).__name__}: {sanitize(str(exc), args)} (a bug: "
            "please report it; --debug shows the traceback)",
            err=True,
        )
        return 1
    return int(result) if isinstance(result, int) else 0
