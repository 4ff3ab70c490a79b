"""The CI skip rule: under ``CI`` a skip fails unless the test names why it may skip."""

from __future__ import annotations

import pytest

# The plugin is already imported by the suite's own conftest, hence no assertion rewriting.
PLUGIN = (
    "-p",
    "tests.skip_policy",
    "-p",
    "no:cacheprovider",
    "-W",
    "ignore::pytest.PytestAssertRewriteWarning",
)

TESTS = """
import pytest

def test_missing_dependency():
    pytest.importorskip("partnercenter_no_such_module")

@pytest.mark.skipif(True, reason="platform")
def test_skipif():
    pass

@pytest.mark.may_skip("POSIX file modes mean nothing on Windows")
@pytest.mark.skipif(True, reason="not POSIX")
def test_allowed():
    pass

@pytest.mark.xfail(reason="known", strict=True)
def test_xfail():
    assert False

def test_runs():
    pass
"""


def test_without_ci_skips_are_skips(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(test_sample=TESTS)
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=1, skipped=3, xfailed=1)


def test_under_ci_a_missing_optional_dependency_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    pytester.makepyfile(test_sample=TESTS)
    result = pytester.runpytest(*PLUGIN)
    # A skipif skips in setup, so there it surfaces as an error: a failure all the same.
    result.assert_outcomes(passed=1, failed=1, errors=1, skipped=1, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "*skipped under CI without @pytest.mark.may_skip*partnercenter_no_such_module*",
            "*skipped under CI without @pytest.mark.may_skip*platform*",
        ]
    )


def test_under_ci_a_module_level_importorskip_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "1")
    pytester.makepyfile(
        test_module_skip="""
import pytest
pytest.importorskip("partnercenter_no_such_module")

def test_never():
    pass
"""
    )
    result = pytester.runpytest(*PLUGIN)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*module skipped under CI*partnercenter_no_such_module*"])


def test_may_skip_needs_a_reason(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "1")
    pytester.makepyfile(
        test_no_reason="""
import pytest

@pytest.mark.may_skip
def test_skips():
    pytest.skip("why not")
"""
    )
    result = pytester.runpytest(*PLUGIN)
    assert result.ret != 0
    assert "needs a reason" in result.stdout.str() + result.stderr.str()
