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
    # A comment of the form `print(...)  # -> text` promises that line prints `text`, and a
    # comment line `#   -> more` right after it the next line printed, `more` (indent kept).
    printed = out.getvalue().splitlines()
    lines = source.splitlines()
    for i, line in enumerate(lines):
        first = re.match(r"^print\(.*?#\s*->\s*(.*)$", line)
        if not first:
            continue
        promised = [first.group(1).strip()]
        for more in lines[i + 1:]:
            follow = re.match(r"^#\s*-> (.*)$", more)
            if not follow:
                break
            promised.append(follow.group(1).rstrip())
        starts = [k for k, p in enumerate(printed) if p == promised[0]]
        assert any(printed[k:k + len(promised)] == promised for k in starts), \
            f"README block {index} promised {promised}, printed {printed}"


def test_readme_links_and_pictures_exist() -> None:
    root = README.parent
    targets = re.findall(r"\]\(([^)#]+)\)", README.read_text(encoding="utf-8"))
    local = [t for t in targets if "://" not in t]
    assert "docs/neuron.svg" in local
    missing = [t for t in local if not (root / t).exists()]
    assert not missing
