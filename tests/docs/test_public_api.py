"""The public API is what docs/api.md lists: a name that enters or leaves an ``__all__`` of a
public module without the page saying so fails here (the page is the announcement). Every
listed name resolves (the root's lazy map included), every public class and function has a
docstring, and no public name is defined elsewhere in the package for something else."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import partnercenter

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "partnercenter"
API_DOC = ROOT / "docs" / "api.md"

#: The modules users import from (docs/architecture.md, "Private internals, a small public face").
PUBLIC = (
    "partnercenter",
    "partnercenter.aio",
    "partnercenter.client",
    "partnercenter.errors",
    "partnercenter.stores",
    "partnercenter.emulator",
    "partnercenter.testing",
)
#: Modules whose public classes must document each public method too. The emulator's and the
#: testing helpers' methods are described in docs/testing.md and the README instead.
METHODS_DOCUMENTED = (
    "partnercenter",
    "partnercenter.aio",
    "partnercenter.client",
    "partnercenter.errors",
    "partnercenter.stores",
)
#: Public names also defined elsewhere in the package, for the same thing, and why.
SAME_MEANING = {
    # The declaration a test writes, and the directory record the emulator makes of it.
    "User": {"partnercenter.testing.data", "partnercenter.emulator.directory"},
}

HEADING = re.compile(r"^## `([\w.]+)`\s*$")
ENTRY = re.compile(r"^- `([\w.]+)`: \S")


def documented() -> dict[str, list[str]]:
    """Module -> the names docs/api.md lists under its heading, in order."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in API_DOC.read_text(encoding="utf-8").splitlines():
        if heading := HEADING.match(line):
            current = sections.setdefault(heading.group(1), [])
        elif line.startswith("## "):
            current = None
        elif current is not None and (entry := ENTRY.match(line)):
            current.append(entry.group(1))
    return sections


def _module(name: str) -> ModuleType:
    return importlib.import_module(name)


def _public_objects() -> list[tuple[str, str, Any]]:
    return [
        (module, name, getattr(_module(module), name))
        for module in PUBLIC
        for name in _module(module).__all__
    ]


def test_the_page_has_one_section_per_public_module() -> None:
    assert set(documented()) == set(PUBLIC)


@pytest.mark.parametrize("module", PUBLIC)
def test_the_page_lists_exactly_the_public_names(module: str) -> None:
    listed = documented()[module]
    assert len(listed) == len(set(listed)), f"listed twice under {module}"
    exported = set(_module(module).__all__)
    unannounced = sorted(exported - set(listed))
    assert not unannounced, f"{module}: announce {unannounced} in docs/api.md"
    withdrawn = sorted(set(listed) - exported)
    assert not withdrawn, f"{module}: docs/api.md lists {withdrawn}, no longer in __all__"


def test_the_parser_reads_entries_and_headings() -> None:
    # A check that cannot fail checks nothing: the page's entries are really read.
    sections = documented()
    assert "ClientSecretCredential" in sections["partnercenter"]
    assert "AsyncPartnerClient" in sections["partnercenter.aio"]
    assert "__version__" in sections["partnercenter"]
    assert ENTRY.match("- `Name`: a line") and not ENTRY.match("- `Name` without a colon")


@pytest.mark.parametrize("module", PUBLIC)
def test_every_public_name_resolves(module: str) -> None:
    imported = _module(module)
    names = imported.__all__
    assert len(names) == len(set(names)), f"{module}.__all__ repeats a name"
    for name in names:
        assert getattr(imported, name, None) is not None, f"{module}.{name}"


def test_the_root_lazy_map_is_the_public_names() -> None:
    lazy = partnercenter._LAZY
    assert set(lazy) == set(partnercenter.__all__) - {"__version__"}
    for name, relative in lazy.items():
        defining = importlib.import_module("partnercenter" + relative)
        assert getattr(defining, name) is getattr(partnercenter, name), name


def test_type_checkers_see_what_the_lazy_map_loads() -> None:
    # The `if TYPE_CHECKING:` imports of __init__.py are all that mypy and IDEs see.
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    )
    seen: dict[str, str] = {}
    for node in block.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            for alias in node.names:
                seen[alias.asname or alias.name] = "." + (node.module or "")
    assert seen == partnercenter._LAZY


def _own_docstring(obj: Any) -> str | None:
    if inspect.isclass(obj):
        doc = vars(obj).get("__doc__")
        # A dataclass without a docstring gets its signature as one: not documentation.
        if doc and doc.startswith(f"{obj.__name__}("):
            return None
        return doc if isinstance(doc, str) else None
    return obj.__doc__ if isinstance(obj.__doc__, str) else None


def test_every_public_class_and_function_has_a_docstring() -> None:
    # Values (__version__, MfaCheck, CA_VARIABLES) are described by their line in docs/api.md.
    missing = [
        f"{module}.{name}"
        for module, name, obj in _public_objects()
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and not _own_docstring(obj)
    ]
    assert not missing, missing


def test_every_public_method_of_the_library_has_a_docstring() -> None:
    missing = []
    for module, name, obj in _public_objects():
        if module not in METHODS_DOCUMENTED or not inspect.isclass(obj):
            continue
        for attribute, value in vars(obj).items():
            if attribute.startswith("_"):
                continue
            function = value.fget if isinstance(value, property) else value
            function = getattr(function, "__func__", function)  # classmethod, staticmethod
            if inspect.isfunction(function) and not function.__doc__:
                missing.append(f"{module}.{name}.{attribute}")
    assert not missing, missing


def definitions() -> dict[str, set[str]]:
    """Top-level name -> the package modules that define it (class, function or assignment)."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            names: list[str] = []
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                names = [node.name]
            elif isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names = [node.target.id]
            for name in names:
                found.setdefault(name, set()).add(module)
    return found


def test_each_public_name_means_one_thing() -> None:
    # The async twins carry the blocking names on purpose (one in aio/, one outside it); any
    # other second definition of a public name is a different thing under the same name.
    aio, stores = _module("partnercenter.aio"), _module("partnercenter.stores")
    where = definitions()
    collisions = []
    for module, name, obj in _public_objects():
        homes = where.get(name, set())
        if name in SAME_MEANING:
            assert homes == SAME_MEANING[name], name  # the exception stays as narrow as it is
            continue
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            extra = set(sorted(homes)[1:])  # a value: one definition at most
        else:
            allowed = {obj.__module__}
            twin = getattr(partnercenter, name, None) or getattr(stores, name, None)
            if name in aio.__all__ and twin is not None:
                allowed |= {getattr(aio, name).__module__, twin.__module__}
            extra = homes - allowed
        if extra:
            collisions.append(f"{module}.{name} is also defined in {sorted(extra)}")
    assert not collisions, collisions


def test_the_collision_check_sees_definitions() -> None:
    where = definitions()
    assert where["PartnerClient"] == {"partnercenter._client.client"}
    assert where["ClientSecretCredential"] == {
        "partnercenter._credentials.client_secret",
        "partnercenter.aio.client_secret",
    }
    # The emulator's own records are named apart from the library's public names.
    assert where["DeviceCode"] == {"partnercenter._credentials.signin_protocol"}
    assert where["Pager"] == {"partnercenter._client.paging"}
    assert where["ClientAuth"] == {"partnercenter._credentials.client_auth"}


def test_the_readme_indexes_the_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "- `docs/api.md`:" in readme
