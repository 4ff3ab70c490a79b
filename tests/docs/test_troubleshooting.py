"""docs/troubleshooting.md is generated from the error catalogs and must be up to date."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from partnercenter import _docs
from partnercenter._contract import aadsts, pc_errors

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "troubleshooting.md"


def test_committed_page_is_current() -> None:
    assert PAGE.read_text(encoding="utf-8") == _docs.troubleshooting(), (
        f"docs/troubleshooting.md is stale: run `{_docs.REGENERATE}` and commit it"
    )


def test_every_catalog_code_has_a_row_with_a_fix() -> None:
    text = _docs.troubleshooting()
    for code in aadsts.BY_CODE:
        row = re.search(rf"^\| AADSTS{code} \|.*$", text, re.MULTILINE)
        assert row is not None, code
        assert not row.group(0).rstrip().endswith("|  |"), f"AADSTS{code} has no fix"
    for code in pc_errors.BY_CODE:
        assert re.search(rf"^\| {code} \(\d{{3}}\) \|", text, re.MULTILINE), code


def test_codes_sharing_a_number_are_all_listed() -> None:
    text = _docs.troubleshooting()
    assert "`access_denied`" in text and "`authorization_declined`" in text  # both 65004
    assert "{what} already exists." in text  # 3000 (409) is not in pc_errors.BY_CODE


def test_check_mode_reports_a_stale_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "troubleshooting.md"
    assert _docs.main(["troubleshooting", "--output", str(output), "--check"]) == 1
    assert "stale" in capsys.readouterr().err
    assert _docs.main(["troubleshooting", "--output", str(output)]) == 0
    assert _docs.main(["troubleshooting", "--output", str(output), "--check"]) == 0
    output.write_text(output.read_text() + "edited by hand\n")
    assert _docs.main(["troubleshooting", "--output", str(output), "--check"]) == 1


def test_no_markup_leaks_from_catalog_text() -> None:
    # Hints such as "Bearer <token>" must not become HTML tags in the rendered page.
    table_rows = [line for line in _docs.troubleshooting().splitlines() if line.startswith("| ")]
    assert all("<" not in row for row in table_rows)
