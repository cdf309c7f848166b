"""The step-through player: one self-contained HTML/JS component for ``backprop_steps``.

The graph is laid out once, as one SVG. Each step is data applied to that picture by the
player's script: which node is current (a red border), which grads are final (shown, and the
node shaded by them) and which are still blank, and the step's text. So a player is about as
quick to make as one picture, and stepping changes a few attributes, never the layout.

It needs no kernel, no widget manager and no network: it works in a live notebook, in a saved
one (e.g. nbconvert's HTML) and as a page of its own (``save_html``). Without JavaScript (a
notebook preview on a code-hosting site, an untrusted notebook) the markup alone shows step 1,
picture and text, and says how to step through.

The explanation stands beside the picture, which scrolls inside its own pane: each step
scrolls the current node and its operands into view, or the current node alone when they do
not all fit (the text then names the operands out of view). The picture is never shown so
small that a label is under 9 px. A graph of more than ``COLLAPSE_ABOVE`` values (an MLP of
16-16-1) is drawn collapsed: one box per neuron (values grouped by their labels' module path,
as ``draw_dot`` clusters them), and the current neuron's values listed beside the text.
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import json
import math
import os
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .draw import (
    HIGHLIGHT,
    NOT_REACHED,
    _fill,
    _four_digits,
    _html,
    _natural,
    _places,
    _record,
    draw_dot,
)
from .names import short_name

if TYPE_CHECKING:
    from .render import Digraph
    from .steps import BackpropSteps
    from .value import Value

# Every label of the player's picture is 11 units tall in the SVG (draw_dot's values are;
# its op and edge labels are raised to that): shown at MIN_SCALE px per unit they are 9 px.
# Below it the picture scrolls rather than shrinks; above MAX_SCALE it stops growing
# (Graphviz's own size, 1 pt = 4/3 px).
FONT_UNITS = 11.0
MIN_SCALE = 9.0 / FONT_UNITS
MAX_SCALE = 4.0 / 3.0
# Ranks closer together than draw_dot's default: the player's pictures are wide.
RANKSEP = "0.3"
# Above this many values the picture is collapsed to one box per neuron.
COLLAPSE_ABOVE = 200

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
FONT = "Helvetica,sans-Serif"

_PLAYERS = itertools.count(1)
_SMALL_FONT = re.compile(r"fontsize=(?:9|10)\b")

HOW_TO_STEP = ("This is step {k} of {n}. To step through: run this cell in Jupyter (or trust the "
               "notebook), or open a page written by steps.save_html(path) in a browser.")


class Layout:
    """The one picture of a graph and what each step changes in it.

    ``source`` is the SVG as Graphviz draws it (every grad final); ``_svg(layout, i)`` puts
    it in step ``i``'s state, as the player's script does. ``nodes`` lists the value boxes a step
    may change: ``(id, first step whose grad shows, grad text, fill)``. ``current[i]`` is the
    box of step ``i``'s node and ``focus[i]`` the boxes to keep in view (the node, its op,
    its operands); ``members`` (collapsed view only) the values inside each box.
    """

    def __init__(self, steps: BackpropSteps, collapsed: bool | None = None) -> None:
        self.collapsed = len(steps.order) > COLLAPSE_ABOVE if collapsed is None else collapsed
        self.names: dict[str, str] = {}
        self.members: dict[str, list[list[Any]]] = {}
        top = max((abs(g) for g in steps.grads.values() if math.isfinite(g)), default=0.0)
        ids = {node: f"v{i}" for i, node in enumerate(steps.order)}
        if self.collapsed:
            graph, box = self._collapsed(steps, ids, top)
        else:
            frozen = steps._frozen
            names = {frozen[n]: name for n, name in steps.names.items()}
            graph = draw_dot(frozen[steps.root], grads={frozen[n]: g for n, g in
                                                         steps.grads.items()},
                             names=names, max_nodes=len(steps.order) + 1)
            box = ids
            self.names = {ids[n]: steps.names[n] for n in steps.order}
        graph.graph_attr["ranksep"] = RANKSEP
        # Op names and operand names on edges at the values' size, so all labels scale alike.
        graph.body = [_SMALL_FONT.sub("fontsize=11", line) for line in graph.body]
        shown = {ids[n]: n for n in steps.order if box[n] == ids[n]}
        self.nodes: list[tuple[str, int, str, str]] = [
            (i, steps.shown_from.get(n, len(steps)), _grad_text(steps.grads[n]),
             _fill(steps.grads[n], top)) for i, n in shown.items()]
        self.current = [box[s.node] for s in steps]
        self.focus = []
        for s in steps:
            own = [box[s.node]] + ([] if self.collapsed or not s.node.children
                                   else [box[s.node] + "_op"])
            # Constants are not kept in view: the text gives them no line, only their number.
            operands = [box[c] for c in s.node.children
                        if box[c] != box[s.node] and not steps.is_constant(c)]
            self.focus.append(list(dict.fromkeys(own + operands)))
        self.source = graph.pipe(format="svg", encoding="utf-8")

    def _collapsed(self, steps: BackpropSteps, ids: dict[Value, str],
                   top: float) -> tuple[Digraph, dict[Value, str]]:
        """One box per module (a neuron), the other values as draw_dot draws them."""
        from .render import Digraph

        order = steps.order
        places = _places(order)
        groups: dict[tuple[str, ...], list[Value]] = {}
        for v in order:
            if places[v][0]:
                groups.setdefault(places[v][0], []).append(v)
        box = {v: ids[v] for v in order}
        for members in groups.values():
            out = members[-1]  # the last computed: the neuron's output
            for v in members:
                box[v] = ids[out]
        g = Digraph(format="svg",
                    graph_attr={"rankdir": "LR", "fontname": "Helvetica", "fontsize": "11"},
                    node_attr={"fontname": "Helvetica", "fontsize": "11", "shape": "record"},
                    edge_attr={"arrowsize": "0.6"})
        layers: dict[tuple[str, ...], Any] = {}
        # Neurons last to first: each neuron a cluster of its own (drawn without a border),
        # attached in that order, which this layout stacks 0, 1, 2 top to bottom in every
        # layer fed by neurons. (The first layer, fed by the inputs, can come out rotated,
        # e.g. 12-15 above 0-11: the names on the boxes say which is which.)
        for path, members in sorted(groups.items(), key=lambda kv: _natural(kv[0]),
                                    reverse=True):
            out = members[-1]
            where = g
            if len(path) > 1:
                if path[:-1] not in layers:
                    layers[path[:-1]] = Digraph(
                        name=f"cluster_{len(layers)}",
                        graph_attr={"label": ".".join(path[:-1]), "style": "rounded,filled",
                                    "fillcolor": "#f6f6f6", "color": "#bbbbbb",
                                    "labeljust": "l"})
                where = layers[path[:-1]]
            unit = short_name(".".join([*path, "p"]))[:-2]
            name = f"{unit}: {steps.names[out]}"
            self.names[ids[out]] = name
            self.members[ids[out]] = [
                [steps.names[v], _four_digits(steps.data[v]), _grad_text(steps.grads[v]),
                 steps.shown_from.get(v, len(steps))] for v in members]
            lines = [name, f"data {_four_digits(steps.data[out])}", _grad_text(steps.grads[out])]
            unit_cluster = Digraph(name=f"cluster_unit_{ids[out]}",
                                   graph_attr={"label": "", "style": "invis", "margin": "4"})
            unit_cluster.node(ids[out], label="<" + "<br/>".join(map(_html, lines)) + ">",
                              shape="box", style="filled", fillcolor=_fill(steps.grads[out], top),
                              margin="0.06,0.03", tooltip=f"{len(members)} values: "
                              + ", ".join(steps.names[v] for v in members))
            where.subgraph(unit_cluster)
        edges: dict[tuple[str, str], None] = {}
        for v in order:
            if box[v] != ids[v] or ids[v] in self.members:
                continue
            self.names[ids[v]] = steps.names[v]
            g.node(ids[v], label=_record([steps.operand(v), f"data {_four_digits(steps.data[v])}",
                                          _grad_text(steps.grads[v])], True),
                   style="filled", fillcolor=_fill(steps.grads[v], top))
        for layer in layers.values():
            g.subgraph(layer)
        for v in order:
            target = box[v]
            if not v.children:
                continue
            if target == ids[v] and ids[v] not in self.members:
                op = f"{ids[v]}_op"
                g.node(op, label=v.op, shape="circle" if len(v.op) <= 2 else "ellipse",
                       width="0.3", height="0.3", margin="0.02", fontsize="10")
                edges[(op, target)] = None
                target = op
            for c in v.children:
                if box[c] != box[v]:
                    edges[(box[c], target)] = None
        for tail, head in edges:
            g.edge(tail, head)
        return g, box


def _grad_text(grad: float) -> str:
    return f"grad {_four_digits(grad)}"


def _svg(layout: Layout, start: int) -> str:
    """The layout's SVG in step ``start``'s state, without prolog, comments or repeated
    font names: what the page shows without scripts and the script starts from."""
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    source = layout.source[layout.source.find("<svg"):]
    root = ET.fromstring(source)
    root.set("font-family", FONT)
    nodes = {}
    for g in root.iter(f"{{{SVG_NS}}}g"):
        if g.get("class") == "node":
            title = g.find(f"{{{SVG_NS}}}title")
            if title is not None and title.text:
                nodes[title.text] = g
    for element in root.iter(f"{{{SVG_NS}}}text"):
        if element.get("font-family") == FONT:
            del element.attrib["font-family"]
    current = layout.current[start] if layout.current else None
    for node_id, shown_from, grad, fill in layout.nodes:
        g = nodes[node_id]
        shape = next(g.iter(f"{{{SVG_NS}}}polygon"))
        texts = list(g.iter(f"{{{SVG_NS}}}text"))
        final = shown_from <= start
        texts[-1].text = grad if final else "grad"
        shape.set("fill", fill if final else NOT_REACHED)
        if node_id == current:
            shape.set("stroke", HIGHLIGHT)
            shape.set("stroke-width", "3")
    return ET.tostring(root, encoding="unicode")


_SCRIPT = r"""
(function () {
  var me = document.currentScript;
  var root = (me && me.parentNode) || document.getElementById("__ID__");
  if (!root || root.getAttribute("data-ready")) return;
  root.setAttribute("data-ready", "1");
  var data = JSON.parse(root.querySelector(".atp-data").textContent);
  var n = data.texts.length;
  var q = function (s) { return root.querySelector(s); };
  var src = q(".atp-picture img").getAttribute("src");
  var bytes = atob(src.slice(src.indexOf(",") + 1));
  var codes = new Uint8Array(bytes.length);
  for (var b = 0; b < bytes.length; b++) codes[b] = bytes.charCodeAt(b);
  var picture = q(".atp-picture");
  picture.innerHTML = new TextDecoder().decode(codes);
  var svg = picture.querySelector("svg");
  svg.removeAttribute("width"); svg.removeAttribute("height");
  svg.style.width = "100%"; svg.style.height = "auto"; svg.style.display = "block";
  var el = {};
  var groups = svg.querySelectorAll("g.node");
  for (var k = 0; k < groups.length; k++) {
    var t = groups[k].querySelector("title");
    if (t) el[t.textContent] = groups[k];
  }
  var boxes = data.nodes.map(function (d) {
    var g = el[d[0]], texts = g.querySelectorAll("text");
    return {id: d[0], from: d[1], grad: d[2], fill: d[3], shape: g.querySelector("polygon"),
            text: texts[texts.length - 1]};
  });
  var nojs = q(".atp-nojs");
  if (nojs) nojs.parentNode.removeChild(nojs);
  // The controls exist only where this script runs, so a page without scripts shows none.
  var controls = document.createElement("div");
  controls.className = "atp-controls";
  controls.style.cssText = "display: flex; flex-wrap: wrap; align-items: center; gap: 8px; " +
    "margin: 0 0 6px";
  controls.innerHTML = data.controls;
  root.insertBefore(controls, root.firstChild);
  var view = q(".atp-view"), text = q(".atp-text"), note = q(".atp-note");
  var detail = q(".atp-detail");
  var slider = q(".atp-slider"), prev = q(".atp-prev"), next = q(".atp-next");
  var counter = q(".atp-counter");
  var index = -1, marked = null;
  function box(ids) {
    var r = null;
    for (var k = 0; k < ids.length; k++) {
      if (!el[ids[k]]) continue;
      var b = el[ids[k]].getBoundingClientRect();
      r = r ? {left: Math.min(r.left, b.left), right: Math.max(r.right, b.right),
               top: Math.min(r.top, b.top), bottom: Math.max(r.bottom, b.bottom)}
            : {left: b.left, right: b.right, top: b.top, bottom: b.bottom};
    }
    return r;
  }
  function inside(r, v, pad) {
    return r.left >= v.left + pad && r.right <= v.right - pad &&
           r.top >= v.top + pad && r.bottom <= v.bottom - pad;
  }
  // How far to scroll along one axis: to centre the node with its operands when they fit,
  // else to show the node and, on the side where they lie, some of the operands (half the
  // room left, so the node does not sit at the edge). The browser stops at the picture's
  // edges.
  function shift(aLo, aHi, mLo, mHi, vLo, vHi, pad) {
    var size = vHi - vLo - 2 * pad, lo = mLo, hi = mHi;
    var spare = Math.max(0, size - (mHi - mLo)) / 2;  // half the room left, towards them
    if (aHi - aLo <= size) {
      lo = aLo; hi = aHi;
    } else if (aLo + aHi < mLo + mHi) {
      lo = Math.max(aLo, mLo - spare);
    } else {
      hi = Math.min(aHi, mHi + spare);
    }
    return (lo + hi) / 2 - (vLo + vHi) / 2;
  }
  // The part of the pane that shows the picture: inside its border, beside its scrollbars
  // (the vertical one is on the left: the pane is right-to-left, so it opens at the root).
  function visible() {
    var r = view.getBoundingClientRect(), cs = getComputedStyle(view);
    var bl = parseFloat(cs.borderLeftWidth), bt = parseFloat(cs.borderTopWidth);
    var bar = view.offsetWidth - view.clientWidth - bl - parseFloat(cs.borderRightWidth);
    var left = r.left + bl + (cs.direction === "rtl" ? bar : 0), top = r.top + bt;
    return {left: left, right: left + view.clientWidth, top: top,
            bottom: top + view.clientHeight};
  }
  function follow(i) {
    var focus = data.focus[i], own = focus.slice(0, data.own[i]);
    var v = visible(), pad = 12;
    var all = box(focus), mine = box(own);
    if (!all || !mine) return;
    if (!inside(all, v, pad)) {
      view.scrollBy(shift(all.left, all.right, mine.left, mine.right, v.left, v.right, pad),
                    shift(all.top, all.bottom, mine.top, mine.bottom, v.top, v.bottom, pad));
    }
    var away = [];
    for (var k = data.own[i]; k < focus.length; k++) {
      if (!inside(box([focus[k]]), visible(), 0)) {
        away.push(data.names[focus[k]]);
      }
    }
    // The text names every operand; past a few, the note only says how many are away.
    note.textContent = !away.length ? "" : away.length <= 4
      ? "Out of view in the picture (scroll it to see): " + away.join(", ")
      : away.length + " of the operands are out of view in the picture (scroll it to see " +
        "them); the text names each";
    note.style.display = away.length ? "" : "none";
  }
  // The values inside a neuron's box, as they stand at step i: the current neuron's at
  // each step, or any neuron's when its box is clicked.
  function expand(id, i) {
    var rows = data.members[id] || [];
    detail.innerHTML = "";
    if (!rows.length) return;
    var title = document.createElement("div");
    title.style.cssText = "margin: 6px 0 2px; font-weight: 600";
    title.textContent = "Inside " + data.names[id] + " (its values at step " + (i + 1) +
      "; click a box to see another):";
    var table = document.createElement("table");
    table.style.borderCollapse = "collapse";
    rows.forEach(function (m) {
      var tr = table.insertRow();
      [m[0], "data " + m[1], m[3] <= i ? m[2] : "grad"].forEach(function (t) {
        var td = tr.insertCell();
        td.textContent = t;
        td.style.padding = "0 8px 0 0";
      });
    });
    detail.appendChild(title);
    detail.appendChild(table);
  }
  if (data.members) {
    svg.addEventListener("click", function (e) {
      var g = e.target.closest && e.target.closest("g.node");
      var t = g && g.querySelector("title");
      if (t && data.members[t.textContent]) expand(t.textContent, index);
    });
  }
  function show(i) {
    i = Math.max(0, Math.min(n - 1, i));
    if (i === index) return;
    index = i;
    for (var k = 0; k < boxes.length; k++) {
      var b = boxes[k], final = b.from <= i;
      b.text.textContent = final ? b.grad : "grad";
      b.shape.setAttribute("fill", final ? b.fill : data.blank);
    }
    if (marked) {
      marked.shape.setAttribute("stroke", "black");
      marked.shape.removeAttribute("stroke-width");
    }
    marked = boxes[data.box[data.current[i]]];
    marked.shape.setAttribute("stroke", data.highlight);
    marked.shape.setAttribute("stroke-width", "3");
    text.textContent = data.texts[i];
    counter.textContent = "Step " + (i + 1) + " of " + n;
    slider.value = i + 1;
    prev.disabled = i === 0;
    next.disabled = i === n - 1;
    if (data.members) expand(data.current[i], i);
    follow(i);
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
    new ResizeObserver(function () { if (index >= 0) follow(index); }).observe(view);
  }
})();
"""


def _texts(steps: BackpropSteps) -> list[str]:
    n = len(steps)
    return [f"Step {i + 1} of {n}\n\n{step.explain()}" for i, step in enumerate(steps)]


def _script_json(data: dict[str, Any]) -> str:
    """JSON safe inside ``<script>``: no ``<``, ``>`` or ``&`` at all, so no label (``</script>``,
    ``<!--<script>``) can end the element early or change how the HTML parser reads it."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def player_html(steps: BackpropSteps, start: int = 0, collapsed: bool | None = None) -> str:
    """The player as an HTML fragment (a ``<div>`` with its data and script)."""
    n = len(steps)
    if not n:
        return f"<pre>{html.escape(str(steps))}</pre>"
    layout = Layout(steps, collapsed)
    svg = _svg(layout, start)
    texts = _texts(steps)
    size = re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)"', svg)
    width = float(size.group(1)) if size else 600.0
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
    data: dict[str, Any] = {
        "texts": texts, "start": start, "controls": controls, "nodes": layout.nodes,
        "box": {node[0]: k for k, node in enumerate(layout.nodes)},
        "current": layout.current, "focus": layout.focus,
        "own": [1 if layout.collapsed else min(2, len(f)) for f in layout.focus],
        "names": layout.names, "blank": NOT_REACHED, "highlight": HIGHLIGHT}
    if layout.collapsed:
        data["members"] = layout.members
    payload = _script_json(data)
    # Unique on a page, and the same when a notebook is run again (stable saved outputs).
    digest = hashlib.sha1(payload.encode()).hexdigest()[:12]
    player_id = f"atp-{digest}-{next(_PLAYERS)}"
    image = base64.b64encode(svg.encode()).decode()
    min_width, max_width = round(width * MIN_SCALE), round(width * MAX_SCALE)
    pane = "calc(100vh - 200px)"
    how_to = html.escape(HOW_TO_STEP.format(k=start + 1, n=n))
    return f"""\
<div class="autograd-tiny-player" id="{player_id}" tabindex="0" style="font-family: \
-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; font-size: 13px; color: #222; \
max-width: 100%; min-width: 320px; box-sizing: border-box; outline-offset: 2px">
<div class="atp-body" style="display: flex; flex-wrap: wrap-reverse; gap: 8px; \
align-items: flex-end">
<div class="atp-view" style="flex: 1 1 290px; min-width: 260px; overflow: auto; \
max-height: max(240px, {pane}); direction: rtl; border: 1px solid #ddd; border-radius: 3px; \
background: #fff">
<div class="atp-picture" style="direction: ltr; width: 100%; min-width: {min_width}px; \
max-width: {max_width}px; margin-right: auto">\
<img alt="The graph at step {start + 1} (the picture shows where HTML images are allowed)" \
src="data:image/svg+xml;base64,{image}" \
style="display: block; width: 100%; height: auto"></div>
</div>
<div class="atp-side" style="flex: 0 1 520px; min-width: 320px; box-sizing: border-box">
<pre class="atp-text" style="white-space: pre-wrap; word-break: normal; \
overflow-wrap: anywhere; font-family: Menlo, Consolas, 'DejaVu Sans Mono', monospace; \
font-size: 11px; line-height: 1.4; margin: 0; padding: 6px 8px; background: #f7f7f7; \
border-radius: 3px; box-sizing: border-box">{html.escape(texts[start])}</pre>
<p class="atp-note" style="display: none; color: #8a4b00; margin: 4px 0"></p>
<div class="atp-detail" style="font-size: 12px"></div>
<p class="atp-nojs" style="color: #555; font-style: italic; margin: 4px 0">{how_to}</p>
</div>
</div>
<script type="application/json" class="atp-data">{payload}</script>
<script>{_SCRIPT.replace("__ID__", player_id)}</script>
</div>"""


def page_html(steps: BackpropSteps, start: int = 0, collapsed: bool | None = None) -> str:
    """The player as a standalone HTML page."""
    title = f"Backprop step by step: {steps.names[steps.root]}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
</head>
<body style="margin: 12px 16px; font-family: -apple-system, 'Segoe UI', Helvetica, Arial, \
sans-serif">
<h1 style="font-size: 16px; font-weight: 600; margin: 0 0 6px">{html.escape(title)}</h1>
{player_html(steps, start, collapsed)}
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
    arrow keys step through every step without a kernel. ``collapsed`` draws one box per
    neuron (``None``: when the graph has more than ``COLLAPSE_ABOVE`` values).
    """

    def __init__(self, steps: BackpropSteps, collapsed: bool | None = None) -> None:
        self.steps = steps
        self.index = 0
        self.collapsed = collapsed

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
        return player_html(self.steps, self.index, self.collapsed)

    def to_html(self) -> str:
        """The player as a self-contained HTML page."""
        return page_html(self.steps, self.index, self.collapsed)

    def save_html(self, path: str | os.PathLike[str]) -> Path:
        """Write ``to_html()`` to ``path``; returns the path."""
        return write_page(self.to_html(), path)
