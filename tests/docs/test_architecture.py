"""The one-way dependencies that docs/architecture.md draws, checked against the imports."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "partnercenter"
SHARED = frozenset(
    {
        # The wire constants and the error and operations catalogs both sides agree on.
        "_contract",
        "errors",
        "clouds",
        "tokens",
        "redaction",
        # Not "(root)": the library takes the version from _version.py, never the package root.
        "_version",
        # The shared machinery: the flow steps and their two drivers, the Timing seam, and
        # crash-safe file replacement (the stores, the CLI and the emulator's state dir).
        "_core",
    }
)
#: Layer -> the layers it may import (besides itself). Layers not listed are not checked.
ALLOWED = {
    "stores": SHARED,
    "_credentials": SHARED | {"stores"},
    "_client": SHARED | {"_credentials"},
    # The public client package only re-exports the implementation's names.
    "client": {"_client"},
    "aio": SHARED | {"stores", "_credentials", "_client"},
    "emulator": SHARED - {"_version", "errors", "clouds", "tokens"},
}
#: Only these may import the emulator: the library must work without its extra.
EMULATOR_USERS = frozenset({"emulator", "cli", "demo", "testing", "_docs"})


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__version__":
        return "(root)"
    return parts[1]


def imports() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        package = ".".join(parts if parts[-1] == "__init__" else parts[:-1]).removesuffix(
            ".__init__"
        )
        module = ".".join(parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    if node.module:
                        targets = [".".join([*base, node.module])]
                    else:
                        targets = [".".join([*base, alias.name]) for alias in node.names]
                elif node.module:
                    targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            for target in targets:
                if target.split(".")[0] == "partnercenter" and _layer(target) != _layer(module):
                    found.setdefault(_layer(module), set()).add(_layer(target))
    return found


def test_layers_import_only_downwards() -> None:
    graph = imports()
    assert "emulator" in graph and "client" in graph  # the scan sees the package
    for layer, allowed in ALLOWED.items():
        extra = graph.get(layer, set()) - allowed
        assert not extra, f"{layer} imports {sorted(extra)}; see docs/architecture.md"


def test_only_the_tools_import_the_emulator() -> None:
    users = {layer for layer, targets in imports().items() if "emulator" in targets}
    assert users <= EMULATOR_USERS, sorted(users - EMULATOR_USERS)


def test_architecture_names_only_existing_files() -> None:
    # Paths in the emulator's section are relative to emulator/.
    text = (PACKAGE.parents[1] / "docs" / "architecture.md").read_text(encoding="utf-8")
    for name in set(re.findall(r"`((?:src/partnercenter/|tests/)?[\w/]+\.py)`", text)):
        candidates = [PACKAGE.parents[1] / name, PACKAGE / name, PACKAGE / "emulator" / name]
        assert any(c.exists() for c in candidates), name
