"""The step-through player: one self-contained HTML/JS component for ``backprop_steps``.

Every step's picture and text are embedded, so the player needs no kernel, no widget manager
and no network: it works in a live notebook, in a saved one (nbconvert HTML, nbviewer), and as
a page of its own (``save_html``). Without JavaScript (a notebook preview on a code-hosting
site, an untrusted notebook) the markup alone shows one step, picture and text, and says how
to step through.

The pictures are laid out so that nothing moves from step to step: every value node is given
the size it has when its grad is shown, so a blank grad takes the same room as a filled one
and all steps share one layout. The picture is shown at the output's width but never so small
that a label is under 9 px (it scrolls instead), and each step scrolls the current node and
its operands into view.
"""

from __future__ import annotations

import base64
import difflib
import html
import json
import os
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .render import Digraph
    from .steps import BackpropSteps

# The value labels are 11 units tall in the SVG (draw_dot's fontsize): shown 1:1 they are
# 11 px. Below MIN_SCALE the picture scrolls rather than shrinks further; above MAX_SCALE it
# stops growing (Graphviz's own size, 1 pt = 4/3 px).
FONT_UNITS = 11.0
MIN_SCALE = 9.0 / FONT_UNITS
MAX_SCALE = 4.0 / 3.0
# Ranks closer together than draw_dot's default: the player's pictures are wide.
RANKSEP = "0.3"

_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')

HOW_TO_STEP = ("This is step {k} of {n}. To step through: run this cell in Jupyter (or trust the "
               "notebook), or open a page written by steps.save_html(path) in a browser.")


def _svg(graph: Digraph) -> str:
    """The SVG of ``graph`` without its XML prolog and comments, to embed in HTML."""
    svg = graph.pipe(format="svg", encoding="utf-8")
    svg = svg[svg.find("<svg"):]
    return re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)


def _node_sizes(plain: str) -> dict[str, tuple[float, float]]:
    """Node name -> (width, height) in inches, from Graphviz's ``plain`` output."""
    sizes = {}
    for line in plain.splitlines():
        parts = line.split()
        if parts and parts[0] == "node":
            sizes[parts[1].strip('"')] = (float(parts[4]), float(parts[5]))
    return sizes


def step_pictures(steps: BackpropSteps) -> list[str]:
    """Every step's picture as SVG, all with the same layout and size.

    Each node gets at least the largest size it has at any step, so the layout, which only
    depends on the graph and the node sizes, is the same at every step.
    """
    graphs = []
    for step in steps:
        g = step.graph()
        g.graph_attr["ranksep"] = RANKSEP
        graphs.append(g)
    sizes: dict[str, tuple[float, float]] = {}
    for g in graphs:
        for name, (w, h) in _node_sizes(g.pipe(format="plain", encoding="utf-8")).items():
            old = sizes.get(name, (0.0, 0.0))
            sizes[name] = (max(old[0], w), max(old[1], h))
    for g in graphs:
        for name, (w, h) in sizes.items():
            # A second statement for a node only adds attributes; width and height are minima.
            g.node(name, width=f"{w + 0.001:.4f}", height=f"{h + 0.001:.4f}")
    return [_svg(g) for g in graphs]


def _patches(svgs: list[str]) -> list[list[tuple[int, int, list[str]]]]:
    """Each step's SVG after the first as line edits of the step before: ``(i, j, lines)``
    replaces lines ``i:j``. Steps change a few lines (a fill, a grad, the highlight)."""
    patches = []
    for before, after in zip(svgs, svgs[1:], strict=False):
        a, b = before.split("\n"), after.split("\n")
        ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
        patches.append([(i1, i2, b[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag != "equal"])
    return patches


def apply_patch(svg: str, patch: list[tuple[int, int, list[str]]]) -> str:
    """The next step's SVG from this one and its patch (what the player's script does)."""
    lines = svg.split("\n")
    for i, j, new in reversed(patch):
        lines[i:j] = new
    return "\n".join(lines)


def _focus(steps: BackpropSteps) -> list[list[str]]:
    """Per step, the picture's node ids to keep in view: the node, its op, its operands.

    draw_dot names value nodes ``v<i>`` by position in topological order, op nodes
    ``v<i>_op``; the steps' ``order`` is the same order.
    """
    ids = {node: f"v{i}" for i, node in enumerate(steps.order)}
    return [[ids[s.node], ids[s.node] + "_op", *dict.fromkeys(ids[c] for c in s.node.children)]
            for s in steps]


def _texts(steps: BackpropSteps) -> list[str]:
    n = len(steps)
    return [f"Step {i + 1} of {n}\n\n{step.explain()}" for i, step in enumerate(steps)]


_SCRIPT = r"""
(function () {
  var me = document.currentScript;
  var root = (me && me.parentNode) || document.getElementById("__ID__");
  if (!root || root.getAttribute("data-ready")) return;
  root.setAttribute("data-ready", "1");
  var data = JSON.parse(root.querySelector(".atp-data").textContent);
  var n = data.texts.length;
  var q = function (s) { return root.querySelector(s); };
  var first = data.svg;
  if (first === null) {  // step 1's picture is the image shown without scripts
    var src = q(".atp-picture img").getAttribute("src");
    var bytes = atob(src.slice(src.indexOf(",") + 1));
    var codes = new Uint8Array(bytes.length);
    for (var b = 0; b < bytes.length; b++) codes[b] = bytes.charCodeAt(b);
    first = new TextDecoder().decode(codes);
  }
  var lines = first.split("\n"), svgs = [first];
  for (var k = 0; k < data.patches.length; k++) {
    var p = data.patches[k];
    lines = lines.slice();
    for (var e = p.length - 1; e >= 0; e--) {
      Array.prototype.splice.apply(lines, [p[e][0], p[e][1] - p[e][0]].concat(p[e][2]));
    }
    svgs.push(lines.join("\n"));
  }
  var nojs = q(".atp-nojs");
  if (nojs) nojs.parentNode.removeChild(nojs);
  // The controls exist only where this script runs, so a page without scripts shows none.
  var controls = document.createElement("div");
  controls.className = "atp-controls";
  controls.style.cssText = "display: flex; flex-wrap: wrap; align-items: center; gap: 8px; " +
    "margin: 4px 0 6px";
  controls.innerHTML = data.controls;
  root.insertBefore(controls, root.firstChild);
  var view = q(".atp-view"), picture = q(".atp-picture"), text = q(".atp-text");
  var slider = q(".atp-slider"), prev = q(".atp-prev"), next = q(".atp-next");
  var counter = q(".atp-counter");
  var index = -1;
  function inView(ids) {
    var box = null;
    var nodes = picture.querySelectorAll("g.node");
    for (var k = 0; k < nodes.length; k++) {
      var t = nodes[k].querySelector("title");
      if (t && ids.indexOf(t.textContent) >= 0) {
        var r = nodes[k].getBoundingClientRect();
        box = box ? {left: Math.min(box.left, r.left), right: Math.max(box.right, r.right),
                     top: Math.min(box.top, r.top), bottom: Math.max(box.bottom, r.bottom)}
                  : {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
      }
    }
    if (!box) return;
    var v = view.getBoundingClientRect(), pad = 12;
    var dx = 0, dy = 0;
    if (box.left < v.left + pad || box.right > v.right - pad) {
      // Centre the node and its operands; if they are wider than the view, the node wins.
      dx = box.right - box.left > v.width - 2 * pad
        ? box.right - (v.right - pad)
        : (box.left + box.right) / 2 - (v.left + v.right) / 2;
    }
    if (box.top < v.top + pad || box.bottom > v.bottom - pad) {
      dy = (box.top + box.bottom) / 2 - (v.top + v.bottom) / 2;
    }
    if (dx || dy) view.scrollBy(dx, dy);
  }
  function show(i) {
    i = Math.max(0, Math.min(n - 1, i));
    if (i === index) return;
    index = i;
    picture.innerHTML = svgs[i];
    var svg = picture.querySelector("svg");
    svg.removeAttribute("width"); svg.removeAttribute("height");
    svg.style.width = "100%"; svg.style.height = "auto"; svg.style.display = "block";
    text.textContent = data.texts[i];
    counter.textContent = "Step " + (i + 1) + " of " + n;
    slider.value = i + 1;
    prev.disabled = i === 0;
    next.disabled = i === n - 1;
    inView(data.focus[i]);
  }
  prev.addEventListener("click", function () { show(index - 1); });
  next.addEventListener("click", function () { show(index + 1); });
  slider.addEventListener("input", function () { show(+slider.value - 1); });
  root.addEventListener("keydown", function (e) {
    if (e.target === slider) return;
    var to = {ArrowLeft: index - 1, ArrowRight: index + 1, Home: 0, End: n - 1}[e.key];
    if (to === undefined) return;
    e.preventDefault(); e.stopPropagation();
    show(to);
  });
  show(data.start);
  if (window.ResizeObserver) {
    new ResizeObserver(function () { inView(data.focus[index]); }).observe(view);
  }
})();
"""


def player_html(steps: BackpropSteps, start: int = 0) -> str:
    """The player as an HTML fragment (a ``<div>`` with its data and script)."""
    n = len(steps)
    if not n:
        return f"<pre>{html.escape(str(steps))}</pre>"
    svgs = step_pictures(steps)
    texts = _texts(steps)
    width, height = (float(x) for x in _SIZE.search(svgs[0]).groups())  # type: ignore[union-attr]
    player_id = f"atp-{uuid.uuid4().hex[:12]}"
    button = ("font: inherit; padding: 2px 10px; border: 1px solid #999; border-radius: 3px; "
              "background: #f4f4f4; cursor: pointer")
    controls = f"""\
<button type="button" class="atp-prev" title="previous step (&#8592;)" style="{button}">\
&#9664; previous</button>
<button type="button" class="atp-next" title="next step (&#8594;)" style="{button}">\
next &#9654;</button>
<input type="range" class="atp-slider" min="1" max="{n}" value="{start + 1}" \
aria-label="step" style="flex: 0 1 260px; min-width: 80px">
<span class="atp-counter" style="font-weight: 600; white-space: nowrap"></span>
<span style="color: #666; white-space: nowrap">&#8592; &#8594; keys step when the player has \
focus</span>"""
    data = {"svg": None if start == 0 else svgs[0], "patches": _patches(svgs), "texts": texts,
            "focus": _focus(steps), "start": start, "controls": controls}
    # Inside <script>, "</" would end it early.
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    image = base64.b64encode(svgs[start].encode()).decode()
    lines = max(text.count("\n") + 1 for text in texts)
    min_width, max_width = round(width * MIN_SCALE), round(width * MAX_SCALE)
    return f"""\
<div class="autograd-tiny-player" id="{player_id}" tabindex="0" style="font-family: \
-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; font-size: 13px; color: #222; \
max-width: 100%; min-width: 320px; box-sizing: border-box; outline-offset: 2px">
<div class="atp-view" style="overflow: auto; max-height: 75vh; direction: rtl; \
border: 1px solid #ddd; border-radius: 3px; background: #fff">
<div class="atp-picture" style="direction: ltr; width: 100%; min-width: {min_width}px; \
max-width: {max_width}px; margin-right: auto">\
<img alt="The graph at step {start + 1} (the picture shows where HTML images are allowed)" \
src="data:image/svg+xml;base64,{image}" \
style="display: block; width: 100%; height: auto"></div>
</div>
<pre class="atp-text" style="white-space: pre-wrap; overflow-wrap: anywhere; \
font-family: Menlo, Consolas, 'DejaVu Sans Mono', monospace; font-size: 12.5px; \
line-height: 1.45; margin: 6px 0 0; padding: 6px 8px; background: #f7f7f7; \
border-radius: 3px; min-height: {lines * 1.45:.2f}em; min-width: 320px; \
box-sizing: border-box">\
{html.escape(texts[start])}</pre>
<p class="atp-nojs" style="color: #555; font-style: italic; margin: 4px 0">\
{html.escape(HOW_TO_STEP.format(k=start + 1, n=n))}</p>
<script type="application/json" class="atp-data">{payload}</script>
<script>{_SCRIPT.replace("__ID__", player_id)}</script>
</div>"""


def page_html(steps: BackpropSteps, start: int = 0) -> str:
    """The player as a standalone HTML page."""
    title = f"Backprop step by step: {steps.names[steps.root]}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
</head>
<body style="margin: 16px; font-family: -apple-system, 'Segoe UI', Helvetica, Arial, \
sans-serif">
<h1 style="font-size: 18px; font-weight: 600; margin: 0 0 8px">{html.escape(title)}</h1>
{player_html(steps, start)}
</body>
</html>
"""


def write_page(text: str, path: str | os.PathLike[str]) -> Path:
    """Write ``text`` to ``path`` (UTF-8) through a temporary file, so a failed write leaves
    any old file whole."""
    target = Path(path)
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot write {target}: the directory {target.parent} "
                                "does not exist")
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


class StepPlayer:
    """The step-through player of a ``BackpropSteps``: shows itself in Jupyter as HTML.

    ``index`` is the step it opens at (0-based, as in ``steps[index]``); ``step_to(i)``,
    ``next()`` and ``prev()`` move it. In the page, previous / next, the slider and the
    arrow keys step through every step without a kernel.
    """

    def __init__(self, steps: BackpropSteps) -> None:
        self.steps = steps
        self.index = 0

    def __repr__(self) -> str:
        n = len(self.steps)
        return f"<StepPlayer: step {self.index + 1} of {n}>" if n else "<StepPlayer: no steps>"

    def step_to(self, i: int) -> None:
        """Open at step ``i`` (0-based; negative counts from the end, clamped to the range)."""
        n = len(self.steps)
        if n:
            if i < 0:
                i += n
            self.index = min(max(i, 0), n - 1)

    def next(self) -> None:
        self.step_to(self.index + 1)

    def prev(self) -> None:
        self.step_to(max(self.index - 1, 0))

    @property
    def text(self) -> str:
        """What the player's explanation shows: ``Step i of n`` and the step's text."""
        if not self.steps:
            return str(self.steps)
        return _texts(self.steps)[self.index]

    def _repr_html_(self) -> str:
        return player_html(self.steps, self.index)

    def to_html(self) -> str:
        """The player as a self-contained HTML page."""
        return page_html(self.steps, self.index)

    def save_html(self, path: str | os.PathLike[str]) -> Path:
        """Write ``to_html()`` to ``path``; returns the path."""
        return write_page(self.to_html(), path)
