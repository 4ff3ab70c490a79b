"""The README's layout section matches the tree; the sources cite nothing outside the repo."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "partnercenter"


def layout_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Project layout and docs") :]
    return section[section.index("```") + 3 : section.index("```", section.index("```") + 3)]


def test_readme_layout_lists_every_top_level_entry_of_the_package() -> None:
    listed = set(re.findall(r"^  (\S+?)/?\s", layout_block(), re.MULTILINE))
    present = {
        p.name
        for p in PACKAGE.iterdir()
        if p.name not in {"py.typed", "__pycache__"} and not p.name.endswith(".pyc")
    }
    assert present - listed == set(), "add them to README.md's layout section"
    assert listed - present == set(), "README.md's layout section names files that do not exist"


def test_readme_layout_names_existing_folders_and_docs() -> None:
    block = layout_block()
    for folder in re.findall(r"^(\w+)/\s", block, re.MULTILINE):
        assert (ROOT / folder).is_dir(), folder
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for doc in set(re.findall(r"`(docs/[\w-]+\.md)`", text)):
        assert (ROOT / doc).is_file(), doc


#: Paths of the machine the project was written on, or of material outside the repository.
OUTSIDE = re.compile(r"shared/reference|\.\./shared|/work/|/home/\w+/")


def test_sources_refer_to_nothing_outside_the_repository() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offenders == [], "cite a public source (a Microsoft page, an RFC) instead"
