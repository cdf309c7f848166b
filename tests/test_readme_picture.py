"""The README's picture reads at the width a code-hosting page shows it (about 830 px)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nn.demo import neuron_svg

README_WIDTH_PX = 830
MIN_TEXT_PX = 9.0
PICTURE = Path(__file__).resolve().parent.parent / "docs" / "neuron.svg"


def smallest_text_px(svg: str, shown_width: float = README_WIDTH_PX) -> float:
    """The smallest font size in ``svg`` once the picture is scaled to ``shown_width`` px."""
    view = re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) [\d.]+"', svg)
    assert view, "the SVG has no viewBox"
    sizes = [float(s) for s in re.findall(r'<text[^>]*font-size="([\d.]+)"', svg)]
    assert sizes, "the SVG has no text"
    return min(sizes) * shown_width / float(view.group(1))


def test_scaled_text_height_is_computed_from_font_size_and_width() -> None:
    svg = '<svg viewBox="0 0 1660 100"><text font-size="10.00">a</text></svg>'
    assert smallest_text_px(svg) == 5.0


@pytest.mark.parametrize("source", ["committed docs/neuron.svg", "nn.demo.neuron_svg()"])
def test_readme_picture_text_is_at_least_9px_at_830px(source: str) -> None:
    svg = PICTURE.read_text(encoding="utf-8") if source.startswith("committed") \
        else neuron_svg()
    assert smallest_text_px(svg) >= MIN_TEXT_PX


def test_readme_shows_the_picture() -> None:
    readme = (PICTURE.parent.parent / "README.md").read_text(encoding="utf-8")
    assert "](docs/neuron.svg)" in readme
