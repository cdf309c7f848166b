"""Every notebook has a jupytext twin (``notebooks/NN_name.py``, percent format) that matches it,
so a change to a lesson reads as a code diff. ``make notebooks-sync`` updates the twins."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
# The header records the jupytext version that wrote it; any version writes the same cells.
VERSION = re.compile(r"^#\s+jupytext_version: .*$", re.MULTILINE)


def _text(twin: str) -> str:
    return VERSION.sub("", twin)


def test_every_notebook_is_found() -> None:
    assert len(NOTEBOOKS) >= 10


@pytest.mark.parametrize("ipynb", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_a_twin_in_sync(ipynb: Path) -> None:
    twin = ipynb.with_suffix(".py")
    assert twin.exists(), f"{twin.name} is missing: run `make notebooks-sync`"
    nb = jupytext.read(ipynb)
    assert nb.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    expected = jupytext.writes(nb, fmt="py:percent")
    assert _text(twin.read_text(encoding="utf-8")) == _text(expected), (
        f"{twin.name} and {ipynb.name} differ: run `make notebooks-sync`")


@pytest.mark.parametrize("ipynb", NOTEBOOKS, ids=lambda p: p.stem)
def test_twin_reads_back_as_the_notebooks_cells(ipynb: Path) -> None:
    nb = jupytext.read(ipynb)
    back = jupytext.reads(ipynb.with_suffix(".py").read_text(encoding="utf-8"), fmt="py:percent")
    cells = [(c.cell_type, c.source) for c in nb.cells]
    assert [(c.cell_type, c.source) for c in back.cells] == cells
