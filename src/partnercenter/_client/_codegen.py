"""The source of both clients' typed methods, written from the operations catalog (pure).

``python -m partnercenter._docs operations-code`` writes ``_client/_operations_sync.py`` and
``aio/_operations_async.py`` with :func:`module`; ``tests/client/test_catalog.py`` fails when
they are stale. Generated source rather than methods built at import: type checkers and IDEs
read real signatures and docstrings, and a reader sees plain code (docs/decisions.md). The
output is laid out as ``ruff format`` lays it out, so the formatter check passes unchanged.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final, Literal

from .._contract.operations import OPERATIONS, Access, Kind, Operation, Paging, Param, Result

Flavour = Literal["sync", "async"]

#: Where each flavour's module lives, relative to the package.
TARGETS: Final[dict[Flavour, Path]] = {
    "sync": Path("_client/_operations_sync.py"),
    "async": Path("aio/_operations_async.py"),
}
REGENERATE: Final = "python -m partnercenter._docs operations-code"
LINE: Final = 100  # ruff's line-length for this project (pyproject.toml)

_TYPES: Final[dict[Kind, str]] = {
    Kind.TEXT: "str",
    Kind.SECRET: "str",
    Kind.SIZE: "int",
    Kind.DATE: "str | dt.date",
    Kind.FILTER: "Mapping[str, Any] | str",
    Kind.FLAG: "bool",
    Kind.MAPPING: "Mapping[str, Any]",
}
ACCESS_TEXT: Final[dict[Access, str]] = {
    Access.BOTH: "app-only or app + user",
    Access.APP_USER: "app + user only",
    Access.USER: "a delegated user only",
}
PAGING_TEXT: Final[dict[Paging, str]] = {
    Paging.NONE: "",
    Paging.OFFSET: "offset paging",
    Paging.CONTINUATION: "continuation-token paging",
}


def _default(param: Param) -> str:
    value = param.default
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def annotation(param: Param) -> str:
    """The argument's annotation with its default, as the signature shows it."""
    base = _TYPES[param.kind]
    if param.required:
        return base
    if param.default is None:
        return f"{base} | None = None"
    return f"{base} = {_default(param)}"


def signature_items(op: Operation) -> list[str]:
    """The typed method's parameters after ``self``: path parameters and required arguments
    positionally, the optional ones keyword-only."""
    items = [f"{name}: str" for name in op.parameters]
    optional = False
    for param in op.signature_params:
        if not param.required and not optional:
            items.append("*")
            optional = True
        items.append(f"{param.name}: {annotation(param)}")
    return items


def call_text(op: Operation) -> str:
    """The typed method as the docs show it: ``get_order(customer_id, order_id)``."""
    items = list(op.parameters)
    for param in op.signature_params:
        items.append(param.name if param.required else f"{param.name}=")
    return f"{op.name}({', '.join(items)})"


def _wrap(indent: int, head: str, items: Sequence[str], tail: str) -> list[str]:
    # The three layouts ruff format chooses between, in its order of preference.
    pad = " " * indent
    one = f"{pad}{head}{', '.join(items)}{tail}"
    if len(one) <= LINE:
        return [one]
    inner = " " * (indent + 4)
    hugged = f"{inner}{', '.join(items)}"
    if len(hugged) <= LINE:
        return [f"{pad}{head}", hugged, f"{pad}{tail}"]
    return [f"{pad}{head}", *(f"{inner}{item}," for item in items), f"{pad}{tail}"]


def _docstring(op: Operation, indent: int) -> list[str]:
    pad = " " * indent
    width = LINE - indent
    paging = PAGING_TEXT[op.paging]
    where = f"``{op.method} {op.path}``: {ACCESS_TEXT[op.access]}" + (
        f"; {paging}." if paging else "."
    )
    wrap = textwrap.TextWrapper(width, break_on_hyphens=False, break_long_words=False)
    lines = wrap.wrap('"""' + op.summary)
    lines += ["", *wrap.wrap(where)]
    described = [p for p in op.signature_params if p.doc]
    if described:
        lines.append("")
        for param in described:
            lines += wrap.wrap(f"``{param.name}``: {param.doc}.")
    lines.append('"""')
    return [f"{pad}{line}" if line else "" for line in lines]


def _returns(op: Operation, flavour: Flavour) -> str:
    if op.result is Result.COLLECTION:
        return "Pager" if flavour == "sync" else "AsyncPager"
    if op.result is Result.ABSENT:
        return "bool"
    return "dict[str, Any]"


def _body(op: Operation, flavour: Flavour) -> str:
    wait = "await " if flavour == "async" else ""
    if op.result is Result.COLLECTION:
        return "return self._pager(call)"
    if op.result is Result.ABSENT:
        # The only 404 that is an answer: core's ok_statuses lets it through as a response.
        if flavour == "async":
            return "return (await self._execute(call)).status == 404"
        return "return self._execute(call).status == 404"
    return f"return {wait}self._body(call)"


def method(op: Operation, flavour: Flavour) -> list[str]:
    """One typed method's source lines (indented for a class body)."""
    coroutine = flavour == "async" and op.result is not Result.COLLECTION
    head = f"{'async ' if coroutine else ''}def {op.name}("
    lines = _wrap(4, head, ["self", *signature_items(op)], f") -> {_returns(op, flavour)}:")
    lines += _docstring(op, 8)
    lines += _wrap(8, "call = build(", [f'"{op.name}"', *op.arguments], ")")
    lines.append(f"        {_body(op, flavour)}")
    return lines


def _imports(ops: Iterable[Operation], flavour: Flavour) -> list[str]:
    kinds = {p.kind for op in ops for p in op.params}
    stdlib = []
    if Kind.DATE in kinds:
        stdlib.append("import datetime as dt")
    if kinds & {Kind.FILTER, Kind.MAPPING}:
        stdlib.append("from collections.abc import Mapping")
    stdlib.append("from typing import TYPE_CHECKING, Any")
    if flavour == "sync":
        local = ["from .calls import build"]
        typing_only = [
            "from .core import ApiCall",
            "from .paging import Pager",
            "from .responses import ApiResponse",
        ]
    else:
        local = ["from .._client.calls import build"]
        typing_only = [
            "from .._client.core import ApiCall",
            "from .._client.responses import ApiResponse",
            "from .client_flow import AsyncPager",
        ]
    return [
        *stdlib,
        "",
        *local,
        "",
        "if TYPE_CHECKING:",
        *(f"    {line}" for line in typing_only),
    ]


_HOOKS: Final[dict[Flavour, list[str]]] = {
    "sync": [
        "def _execute(self, call: ApiCall) -> ApiResponse: ...",
        "def _body(self, call: ApiCall) -> dict[str, Any]: ...",
        "def _pager(self, call: ApiCall) -> Pager: ...",
    ],
    "async": [
        "async def _execute(self, call: ApiCall) -> ApiResponse: ...",
        "async def _body(self, call: ApiCall) -> dict[str, Any]: ...",
        "def _pager(self, call: ApiCall) -> AsyncPager: ...",
    ],
}


def module(flavour: Flavour, ops: Sequence[Operation] = OPERATIONS) -> str:
    """The whole generated module of ``flavour``."""
    if flavour == "sync":
        client, owner = "PartnerClient", ":class:`~partnercenter.PartnerClient`"
        mixin = "PartnerOperations"
    else:
        client, owner = "AsyncPartnerClient", ":class:`~partnercenter.aio.AsyncPartnerClient`"
        mixin = "AsyncPartnerOperations"
    lines = [
        '"""The typed Partner Center operations: one method per entry of the operations',
        "catalog (:mod:`partnercenter._contract.operations`),",
        f"inherited by {owner}.",
        "",
        f"Generated by ``{REGENERATE}`` from the catalog; do not edit",
        "(tests/client/test_catalog.py fails when this file is stale). To add an operation, see",
        '"How do I add a Partner Center operation?" in docs/architecture.md.',
        '"""',
        "",
        "from __future__ import annotations",
        "",
        *_imports(ops, flavour),
        "",
        '__all__ = ["' + mixin + '"]',
        "",
        "",
        f"class {mixin}:",
        f'    """The typed methods {client} inherits; it supplies how a call runs."""',
        "",
        "    if TYPE_CHECKING:",
        "        # Supplied by the client class (its I/O shell).",
    ]
    hooks = _HOOKS[flavour]
    for index, hook in enumerate(hooks):
        lines.append(f"        {hook}")
        if index < len(hooks) - 1:
            lines.append("")
    for op in ops:
        lines.append("")
        lines += method(op, flavour)
    lines.append("")
    return "\n".join(lines)
