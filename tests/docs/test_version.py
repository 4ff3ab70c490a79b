"""The version lives in ``_version.py``: one source for the package, the build and the
User-Agent, and no module imports the package root for it (issue 10: an 18-module import cycle
existed only because the auth and client modules took ``__version__`` from the root, whose
type-checking imports point back at them)."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import partnercenter
from partnercenter import _version

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "partnercenter"
#: The library proper: what ``import partnercenter`` names resolve to, and what they import.
LIBRARY = ("_credentials", "_client", "client", "aio", "stores")


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(
        ".__init__"
    )


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports, read from the source (type-checking imports
    and the root's lazy map included: a static graph, as linters and type checkers see it)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        edges: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1])
                    source = f"{base}.{node.module}" if node.module else base
                else:
                    source = node.module or ""
                for alias in node.names:
                    # `from . import wire` names a module; `from . import X` a name in one.
                    submodule = f"{source}.{alias.name}"
                    edges.add(submodule if submodule in modules else source)
            elif isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names)
        graph[module] = {edge for edge in edges if edge in modules and edge != module}
    # The root imports its public names lazily: each _LAZY entry is an edge too.
    graph["partnercenter"] |= {
        "partnercenter" + relative for relative in partnercenter._LAZY.values()
    }
    return graph


def cycle_through(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """A shortest import cycle from ``start`` back to itself, or None (breadth first)."""
    paths: dict[str, list[str]] = {start: [start]}
    queue = [start]
    for node in queue:
        for target in sorted(graph.get(node, ())):
            if target == start:
                return [*paths[node], start]
            if target not in paths:
                paths[target] = [*paths[node], target]
                queue.append(target)
    return None


def test_the_graph_sees_the_package() -> None:
    graph = import_graph()
    # The scan resolves relative imports, submodule imports and the lazy map.
    assert "partnercenter._version" in graph["partnercenter._credentials.token_endpoint"]
    assert "partnercenter._contract.wire" in graph["partnercenter._client.paging"]
    assert "partnercenter._credentials.device_code" in graph["partnercenter"]
    # And finds a cycle where there is one.
    assert cycle_through({"a": {"b"}, "b": {"c"}, "c": {"a"}}, "a") == ["a", "b", "c", "a"]


def test_no_import_cycle_through_the_package_root() -> None:
    cycle = cycle_through(import_graph(), "partnercenter")
    assert cycle is None, " -> ".join(cycle or [])


def test_the_library_never_imports_the_root() -> None:
    # The front ends (cli, testing, demo) may use the public names; the library must not.
    graph = import_graph()
    offenders = sorted(
        module
        for module, edges in graph.items()
        if module.split(".")[1:2] and module.split(".")[1] in LIBRARY and "partnercenter" in edges
    )
    assert not offenders, offenders


def test_importing_a_library_module_resolves_no_public_name() -> None:
    # In a fresh interpreter: importing every auth/client/aio/stores module leaves the root's
    # lazy names unloaded, i.e. nothing reached a public name through `partnercenter`.
    modules = sorted(m for m in _modules() if m.split(".")[1:2] and m.split(".")[1] in LIBRARY)
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "    root = sys.modules['partnercenter']\n"
        "    loaded = sorted(set(root._LAZY) & set(vars(root)))\n"
        "    assert not loaded, (name, loaded)\n"
        "print(len(sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_one_source_for_the_version() -> None:
    assert partnercenter.__version__ == _version.__version__
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    # The build reads the version from _version.py; no second copy to keep in step.
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["hatch"]["version"]["path"] == "src/partnercenter/_version.py"
    # Only _version.py spells the version out.
    for path in PACKAGE.rglob("*.py"):
        if path.name != "_version.py":
            assert f'"{_version.__version__}"' not in path.read_text(encoding="utf-8"), path


def test_the_user_agent_carries_the_version() -> None:
    from partnercenter._client.core import CLIENT_NAME
    from partnercenter._credentials.token_endpoint import USER_AGENT

    assert USER_AGENT == CLIENT_NAME == f"partnercenter-python/{_version.__version__}"
