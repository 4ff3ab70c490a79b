"""``--output json|table|tsv|yaml`` and ``--query`` (JMESPath), as ``az`` does.

Only the result goes to stdout; progress, prompts and warnings go to stderr. ``table`` and
``tsv`` show scalar fields only (nested objects are skipped, as in ``az``): shape the result
with ``--query`` first, e.g. ``--query "[].{id:id, domain:companyProfile.domain}"``.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Final

from .errors import EXIT_USAGE, CliError

__all__ = ["FORMATS", "default_format", "emit", "render"]

FORMATS: Final = ("json", "table", "tsv", "yaml")


def default_format() -> str:
    """Tables for people (a terminal), JSON for scripts (a pipe or a file)."""
    return "table" if sys.stdout.isatty() else "json"


def _query(result: Any, expression: str) -> Any:
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        return jmespath.search(expression, result)
    except JMESPathError as exc:
        # The expression is the user's own text (not a secret); jmespath's message shows where.
        raise CliError(
            f"--query: invalid JMESPath expression: {str(exc).splitlines()[0]}",
            hint="See https://jmespath.org/ for the syntax.",
            exit_code=EXIT_USAGE,
        ) from None


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rows(result: Any) -> tuple[list[str], list[list[str]]] | None:
    """Columns and rows of scalar fields, or None for a scalar result."""
    items = result if isinstance(result, list) else [result]
    if all(_scalar(item) for item in items):
        if isinstance(result, list):
            return ["Result"], [[_text(item)] for item in items]
        return None
    columns: list[str] = []
    for item in items:
        if isinstance(item, dict):
            for key, value in item.items():
                if _scalar(value) and key not in columns:
                    columns.append(str(key))
    rows = []
    for item in items:
        if isinstance(item, dict):
            rows.append([_text(item.get(c)) if _scalar(item.get(c)) else "" for c in columns])
        else:
            rows.append([_text(item) if _scalar(item) else ""] + [""] * (len(columns) - 1))
    return columns, rows


def _table(result: Any) -> str:
    shaped = _rows(result)
    if shaped is None:
        return _text(result)
    columns, rows = shaped
    if not columns:
        return ""
    widths = [len(c) for c in columns]
    for row in rows:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _tsv(result: Any) -> str:
    items = result if isinstance(result, list) else [result]
    lines = []
    for item in items:
        if isinstance(item, dict):
            values = [_text(v) for v in item.values() if _scalar(v)]
        elif isinstance(item, list):
            values = [_text(v) for v in item if _scalar(v)]
        else:
            values = [_text(item)]
        lines.append("\t".join(v.replace("\t", " ").replace("\n", " ") for v in values))
    return "\n".join(lines)


def _yaml(result: Any) -> str:
    import yaml

    text: str = yaml.safe_dump(
        result, sort_keys=False, allow_unicode=True, default_flow_style=False
    )
    return text.rstrip("\n")


def render(result: Any, output: str, query: str | None) -> str:
    """``result`` shaped by ``query`` and formatted as ``output``."""
    if query:
        result = _query(result, query)
    if output == "json":
        return json.dumps(result, indent=2, ensure_ascii=False, default=str)
    if output == "yaml":
        return _yaml(result)
    if output == "tsv":
        return _tsv(result)
    return _table(result)


def emit(result: Any) -> None:
    """Print ``result`` on stdout as the current command's --output and --query say."""
    import click

    ctx = click.get_current_context()
    options = ctx.find_root().meta
    output = options.get("output") or default_format()
    text = render(result, output, options.get("query"))
    if text:
        click.echo(text)
