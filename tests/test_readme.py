"""Every Python code block in the README runs, and its printed values are the ones shown."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_python_blocks() -> None:
    assert BLOCKS


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs_and_prints_what_its_comments_say(
    index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    source = BLOCKS[index]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, f"README block {index}", "exec"), {"__name__": "__readme__"})
    promised = _promised(source)
    printed = [line.strip() for line in out.getvalue().splitlines()]
    every_print_promised = all("# ->" in line for line in source.splitlines()
                               if line.startswith("print("))
    if every_print_promised:
        # The comments show all the block prints, line for line.
        assert printed == promised, f"README block {index} promised {promised}, printed {printed}"
    else:
        rest = iter(printed)
        missing = [p for p in promised if p not in rest]
        assert not missing, f"README block {index} promised {missing}, printed {printed}"


def _promised(source: str) -> list[str]:
    """What a block's comments say it prints, in order.

    `print(...)  # -> text` promises that the print writes `text`; comment-only lines right
    below it continue the promise, one printed line each (a step's explanation has two).
    """
    promised: list[str] = []
    continuing = False
    for line in source.splitlines():
        m = re.match(r"^print\(.*?#\s*->\s*(.*)$", line)
        if m:
            promised.append(m.group(1).strip())
            continuing = True
        elif continuing and (c := re.match(r"^\s+#\s+(\S.*)$", line)):
            promised.append(c.group(1).strip())
        else:
            continuing = False
    return promised


def test_a_promise_continues_on_the_comment_lines_below_it() -> None:
    source = "x = 1\nprint(x)  # -> a\n          #    b\ny = 2  # not a promise\nprint(y)  # -> c\n"
    assert _promised(source) == ["a", "b", "c"]


def test_readme_links_and_pictures_exist() -> None:
    root = README.parent
    targets = re.findall(r"\]\(([^)#]+)\)", README.read_text(encoding="utf-8"))
    local = [t for t in targets if "://" not in t]
    assert "docs/neuron.svg" in local
    missing = [t for t in local if not (root / t).exists()]
    assert not missing
