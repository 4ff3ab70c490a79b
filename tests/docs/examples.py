"""Find the Python examples of the Markdown docs, with the markers that say how to run them.

A fenced ```` ```python ```` block runs as it is. An HTML comment on the line just before the
fence changes that (the convention is documented in ``docs/architecture.md``):

- ``<!-- docs-test: skip REASON -->``: not run; the reason is required.
- ``<!-- docs-test: continue -->``: runs in the namespace the file's previous example left.
- ``<!-- docs-test: raises NAME -->``: must raise the exception class ``NAME``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"^<!--\s*docs-test:\s*(skip|continue|raises)\b\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^(\s*)```(\S*)\s*$")


@dataclass(frozen=True)
class Example:
    path: Path
    line: int
    code: str
    marker: str | None
    argument: str

    @property
    def id(self) -> str:
        name = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path.name
        return f"{name}:{self.line}"


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def examples(path: Path) -> list[Example]:
    found: list[Example] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        fence = FENCE.match(lines[index])
        if not fence:
            index += 1
            continue
        indent, language = fence.group(1), fence.group(2)
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        if language == "python":
            body = [
                line[len(indent) :] if line.startswith(indent) else line
                for line in lines[index + 1 : end]
            ]
            previous = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
            marker = MARKER.match(previous.strip())
            found.append(
                Example(
                    path,
                    index + 1,
                    "\n".join(body) + "\n",
                    marker.group(1) if marker else None,
                    marker.group(2) if marker else "",
                )
            )
        index = end + 1
    return found
