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
    # A comment of the form `print(...)  # -> text` promises that line prints `text`.
    promised = [m.group(1).strip() for m in re.finditer(r"^print\(.*?#\s*->\s*(.*)$", source, re.M)]
    printed = out.getvalue().splitlines()
    missing = [p for p in promised if p not in printed]
    assert not missing, f"README block {index} promised {missing}, printed {printed}"


def test_readme_links_and_pictures_exist() -> None:
    root = README.parent
    targets = re.findall(r"\]\(([^)#]+)\)", README.read_text(encoding="utf-8"))
    local = [t for t in targets if "://" not in t]
    assert "docs/neuron.svg" in local
    missing = [t for t in local if not (root / t).exists()]
    assert not missing
