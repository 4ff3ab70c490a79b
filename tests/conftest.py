"""Root of the test suite: the CI skip rule (``tests/skip_policy.py``) applies everywhere."""

from __future__ import annotations

from .skip_policy import (  # noqa: F401  (pytest finds hooks by name)
    pytest_configure,
    pytest_make_collect_report,
    pytest_runtest_makereport,
)
