"""Every test example of docs/testing.md runs, as a user would run it: pytest on the file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
QUICK = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_the_examples_of_the_testing_guide_pass(
    pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    pytest.importorskip("msal")
    pytest.importorskip("azure.identity")
    examples = [code for code in blocks("python") if "def test_" in code]
    assert len(examples) >= 8
    files = {f"test_example_{index}": code for index, code in enumerate(examples)}
    pytester.makepyfile(**files)
    (data,) = [code for code in blocks("toml") if "subscriptions" in code]
    (pytester.path / "data").mkdir()
    (pytester.path / "data" / "northwind.toml").write_text(data, encoding="utf-8")
    pytester.makeini("[pytest]\nfilterwarnings =\n    error\n")
    # Recent anyio plugins run an anyio test once per installed backend (asyncio, trio): one
    # run per example, as counted below.
    pytester.makeconftest(
        "import pytest\n\n@pytest.fixture\ndef anyio_backend():\n    return 'asyncio'\n"
    )
    state = tmp_path_factory.mktemp("docs-state")
    result = pytester.runpytest(*QUICK, f"--partnercenter-state-dir={state}")
    tests = sum(len(re.findall(r"^(?:async )?def test_", code, re.M)) for code in examples)
    result.assert_outcomes(passed=tests)


def test_the_example_without_pytest_runs(tmp_path: Path) -> None:
    (script,) = [code for code in blocks("python") if "with Sandbox.start()" in code]
    exec(compile(script, "docs/testing.md", "exec"), {"__name__": "__docs__"})
