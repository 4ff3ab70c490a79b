"""The docs-example finder: fences, indentation and markers (the harness must not miss a block)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .examples import examples
from .test_examples import run

PAGE = """# A page

```python
a = 1
```

<!-- docs-test: continue -->
```python
b = a + 1
```

- a list item with an indented example:

  ```python
  c = 3
  ```

<!-- docs-test: skip needs a browser -->

```python
open_browser()
```

<!-- docs-test: raises ZeroDivisionError -->
```python
1 / 0
```

```sh
echo not python
```

```console
$ not python either
```
"""


@pytest.fixture()
def page(tmp_path: Path) -> Path:
    path = tmp_path / "page.md"
    path.write_text(PAGE, encoding="utf-8")
    return path


def test_blocks_markers_and_indentation(page: Path) -> None:
    found = examples(page)
    assert [(e.marker, e.argument, e.code) for e in found] == [
        (None, "", "a = 1\n"),
        ("continue", "", "b = a + 1\n"),
        (None, "", "c = 3\n"),
        ("skip", "needs a browser", "open_browser()\n"),
        ("raises", "ZeroDivisionError", "1 / 0\n"),
    ]
    assert found[0].id == "page.md:3"


def test_a_failing_example_fails_and_top_level_await_runs(page: Path) -> None:
    broken = examples(page)[3]
    with pytest.raises(NameError):
        run(broken, {})
    namespace: dict[str, object] = {}
    awaiting = type(broken)(page, 1, "import anyio\nawait anyio.sleep(0)\nx = 2\n", None, "")
    run(awaiting, namespace)
    assert namespace["x"] == 2
