"""Under CI, a skipped test is a failed test unless it says why it may skip.

A skip that nobody sees is a test that silently stopped running: a missing optional dependency
(``importorskip("msal")``), an absent browser, seed data that changed. Locally a skip is
convenient; in CI (the ``CI`` environment variable is set, as every CI service does) it must
fail, unless the test carries ``@pytest.mark.may_skip("why this skip is expected")``, for
skips that depend on the platform rather than on the installation (POSIX file modes, root).
Expected failures (``xfail``) are not skips and are left alone.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

MARKER = "may_skip"


def ci() -> bool:
    return bool(os.environ.get("CI"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(reason): this test may skip under CI, for the reason given"
    )


def _reason(longrepr: object) -> str:
    # A skip's longrepr is (path, line, "Skipped: message").
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def _allowed(item: pytest.Item) -> bool:
    marker = item.get_closest_marker(MARKER)
    if marker is None:
        return False
    reason = marker.args[0] if marker.args else marker.kwargs.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.{MARKER} needs a reason")
    return True


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if ci() and report.skipped and not hasattr(report, "wasxfail") and not _allowed(item):
        report.outcome = "failed"
        report.longrepr = (
            f"skipped under CI without @pytest.mark.{MARKER}('why'): {_reason(report.longrepr)}"
        )
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    # A module-level importorskip skips the whole file at collection, before any marker.
    report = yield
    if ci() and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"module skipped under CI: {_reason(report.longrepr)}"
    return report
