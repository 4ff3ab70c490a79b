"""Keeping option values out of the command line's error messages.

click quotes a rejected value ("'h7k8Q~...' is not a valid integer"), and a value given to the
wrong flag (``--client-id <secret>``) may be a secret that then lands in a terminal log or a CI
transcript. :class:`SecretSafeGroup` is the root group's class: a bad value is reported by what
was expected, never by what was given, and every other usage or command error passes through
:func:`~partnercenter.redaction.redact_text` (which replaces secret-shaped words, even inside a
path) before it is printed.
"""

from __future__ import annotations

from typing import Any

import click

from ..redaction import redact_text

__all__ = ["SecretSafeGroup", "expected_value"]


def expected_value(param_type: click.ParamType[Any] | None) -> str:
    """What a parameter of ``param_type`` accepts, in words (no value of the user's)."""
    if isinstance(param_type, click.Choice):
        return "must be one of: " + ", ".join(str(choice) for choice in param_type.choices)
    if isinstance(param_type, click.IntRange | click.FloatRange):
        kind = "an integer" if isinstance(param_type, click.IntRange) else "a number"
        return f"must be {kind} in the range {param_type._describe_range()}"
    if param_type is click.INT:
        return "must be an integer"
    if param_type is click.FLOAT:
        return "must be a number"
    if param_type is click.BOOL:
        return "must be true or false"
    name = getattr(param_type, "name", "value")
    return f"must be a valid {name}"


class SecretSafeGroup(click.Group):
    """A click group whose error messages never repeat a value given on the command line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.BadParameter as exc:
            param_type = exc.param.type if exc.param is not None else None
            if isinstance(param_type, click.Path):
                # A path is worth showing (which file?) unless it holds a secret's shape.
                message = redact_text(exc.message)
            else:
                message = (
                    f"{expected_value(param_type)} (the value given is not repeated: it could "
                    "be a secret)"
                )
            raise click.BadParameter(
                message, ctx=exc.ctx, param=exc.param, param_hint=exc.param_hint
            ) from None
        except click.ClickException as exc:
            # Usage errors ("No such command", extra arguments) and the commands' own errors.
            # (click marks message Final for its own classes; the instance is ours to clean.)
            exc.message = redact_text(exc.message)  # type: ignore[misc]
            raise
