"""Pictures of a computation graph: ``draw_dot(root)`` gives a Graphviz ``Digraph``.

Each value is a record node (label | data | grad), each op its own small node, and edges follow
the data: child -> op -> value. Values are shaded by |grad| so a vanishing gradient shows at a
glance, and values whose labels are dotted paths (``layers.0.neurons.3.w.1``) are grouped into
nested clusters, one per module.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from .engine import toposort
from .names import Path, module_path, node_names, short_name
from .value import Value

if TYPE_CHECKING:
    from .render import Digraph

RANKDIRS = ("LR", "RL", "TB", "BT")
COLOR_BY = ("grad", "none", None)

# Shading is on a log scale of |grad| / max|grad|: full colour at 1, white at 10**-DECADES.
DECADES = 6
POSITIVE = (239, 138, 98)  # grad > 0
NEGATIVE = (103, 169, 207)  # grad < 0
WHITE = (255, 255, 255)
NOT_REACHED = "#e8e8e8"
NON_FINITE = "#c994c7"
HIGHLIGHT = "#d62728"
CLUSTER_FILLS = ("#f6f6f6", "#ececec", "#e2e2e2")

_RECORD_SPECIAL = re.compile(r'([\\{}|<>"])')
# Control characters but the newline (a label's line break): shown as Python writes them.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


class Model(Protocol):
    """Anything with dotted, named parameters, such as an ``nn.Module``."""

    def named_parameters(self) -> list[tuple[str, Value]]: ...


def draw_dot(root: Value | Model, *, rankdir: str = "LR", show_grad: bool = True,
             color_by: str | None = "grad", highlight: Value | Iterable[Value] | None = None,
             max_nodes: int = 500, grads: Mapping[Value, Any] | None = None,
             names: Mapping[Value, str] | None = None, compact: bool = False) -> Digraph:
    """The graph that computed ``root``, as a ``graphviz.Digraph`` (renders in Jupyter, and
    with ``.pipe()`` / ``.render()``, using ``dot`` or else ``graphviz-pure``).

    - ``rankdir``: ``"LR"``, ``"RL"``, ``"TB"`` or ``"BT"``.
    - ``show_grad``: show each value's grad (and shade by it); ``False`` shows label and data.
    - ``color_by``: ``"grad"`` fills each value by |grad| relative to the largest |grad| in the
      picture, on a log scale over 6 decades, orange for grad > 0 and blue for grad < 0, with
      a legend; ``None`` (or ``"none"``) leaves values unfilled.
    - ``highlight``: a Value or Values of this graph to mark with a thick red border.
    - ``max_nodes``: the most value nodes drawn; a larger graph raises ``ValueError`` as soon
      as the limit is passed, without walking the rest.
    - ``grads``: ``{value: grad}`` overriding the grad shown for the values it contains (a
      number, a Value, or ``None`` for "not reached yet", drawn blank and grey); values not in
      it show their own ``.grad``. The step-through uses it to draw a moment of backward.
    - ``names``: ``{value: name}`` shown for values that have no label. Without it an
      unlabelled value is named ``n<i>`` by its position in topological order, the names the
      step-through's text uses (``node_names``).
    - ``compact``: each value's name, data and grad stacked across the direction of the
      edges instead of along it, and ranks closer: a picture of a network about half as
      long, to fit a page at a readable size, with every label at the values' size.

    A value labelled with a dotted module path (``layers.0.neurons.3.w.1``) is drawn inside one
    cluster per module, named by its short form ``L0.N3.w1`` with the full path as its tooltip;
    neurons and weights are laid out in their index order, top to bottom under ``"LR"``.
    ``root`` may also be a model (anything with ``named_parameters()``): then it is
    ``draw_model(root)``, one box per neuron with its gradient norm.

    Grads that are Values (after ``backward(create_graph=True)``) are shown by their data.
    Node ids follow the graph's topological order, so the same graph gives the same source.
    """
    from graphviz import nohtml

    from .render import Digraph

    _check_types(rankdir, show_grad, color_by, grads, names, compact)
    if not isinstance(root, Value) and callable(getattr(root, "named_parameters", None)):
        return draw_model(root, rankdir=rankdir)
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot needs a Value as root, got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(map(repr, RANKDIRS))}, "
                         f"got {rankdir!r}")
    if color_by not in COLOR_BY:
        raise ValueError(f"color_by must be 'grad' or None, got {color_by!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int):
        raise TypeError(f"max_nodes must be an int, got {type(max_nodes).__name__}")
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
    _check_size(root, max_nodes)

    order = toposort(root)
    ids = {v: f"v{i}" for i, v in enumerate(order)}
    marked = _highlighted(highlight, ids)
    shown = {v: _shown_grad(v, grads) for v in order} if show_grad else {}
    top = max((abs(g) for g in shown.values() if g is not None and math.isfinite(g)),
              default=0.0)
    shade = show_grad and color_by == "grad"
    places = _places(order)
    horizontal = rankdir in ("LR", "RL")

    g = Digraph(format="svg",
                graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "11"},
                node_attr={"fontname": "Helvetica", "fontsize": "11"},
                edge_attr={"arrowsize": "0.6", "fontname": "Helvetica"})
    # Op and operand names smaller than the values', unless compact: a compact picture is
    # shown scaled down, and all its labels at one size keep the smallest readable.
    small = ("11", "11") if compact else ("10", "9")
    if compact:
        g.graph_attr.update(ranksep="0.25", nodesep="0.12")
    clusters: dict[Path, Any] = {}
    edges: list[tuple[str, str, str]] = []
    default_names = node_names(order)
    # Emitted cluster by cluster in their natural order (neuron 2 before neuron 10), which the
    # layout keeps top to bottom; ids and the order inside a cluster stay topological.
    rank = {v: i for i, v in enumerate(order)}
    emitted = sorted(order, key=lambda v: (_natural(places[v][0]), rank[v]))
    for v in emitted:
        path, name = places[v]
        if path and v.label:
            name = short_name(v.label)
        elif not name:
            name = names.get(v, "") if names else ""
            name = name or default_names[v]
        where = g if not path else _cluster(clusters, path, Digraph)
        fields = [name] if name else []
        fields.append(f"data {_four_digits(v.data)}")
        if show_grad:
            grad = shown[v]
            fields.append("grad" if grad is None else f"grad {_four_digits(grad)}")
        attrs = {"shape": "record", "label": _record(fields, horizontal != compact)}
        if v.label and (path or v.label != name):
            # the full label, as typed (a parameter's dotted path)
            attrs["tooltip"] = nohtml(_as_typed(_visible(v.label).replace("\\", "\\\\")))
        if shade:
            attrs.update(style="filled", fillcolor=_fill(shown[v], top))
        if v in marked:
            attrs.update(color=HIGHLIGHT, penwidth="3")
        where.node(ids[v], **attrs)
        if v.children:
            op = f"{ids[v]}_op"
            where.node(op, label=v.op, shape="circle" if len(v.op) <= 2 else "ellipse",
                       width="0.3", height="0.3", margin="0.02", fontsize=small[0])
            # Where operand order matters (a / b, a ** b) each edge names its operand.
            fn = v._op_entry
            operands = fn.args if not fn.commutative and len(fn.args) > 1 else \
                ("",) * len(v.children)
            edges.extend((ids[c], op, arg) for c, arg in zip(v.children, operands, strict=True))
            edges.append((op, ids[v], ""))

    # A subgraph's lines are copied when it is attached, so attach the deepest first. Sibling
    # clusters (the neurons of a layer share their inputs, so every order ties on crossings)
    # come out stacked in the order they are attached when the root is outside every cluster
    # (a loss), and in reverse when it is inside one (a network's output): attached so that
    # neuron 0, 1, 2 read top to bottom either way (tests/test_draw_names.py checks both).
    outside = not places[root][0]
    for path in sorted(clusters, key=lambda p: (-len(p), _natural(p)) if outside
                       else (len(p), _natural(p)), reverse=not outside):
        parent = clusters[path[:-1]] if len(path) > 1 else g
        parent.subgraph(clusters[path])
    for tail, head, name in edges:
        if name:
            g.edge(tail, head, label=name, fontsize=small[1], fontcolor="#555555")
        else:
            g.edge(tail, head)
    if shade:
        _legend(g, top, shown, small[1])
    return g


def _natural(parts: Iterable[str]) -> tuple[tuple[int, int | str], ...]:
    """A sort key putting ``neurons.2`` before ``neurons.10``."""
    return tuple((0, int(t)) if t.isdigit() else (1, t)
                 for part in parts for t in re.split(r"[.]", part) if t)


def _check_size(root: Value, max_nodes: int) -> None:
    """Raise as soon as more than ``max_nodes`` values are found, without walking the rest."""
    seen = {root}
    stack = [root]
    while stack:
        for child in stack.pop().children:
            if child not in seen:
                seen.add(child)
                if len(seen) > max_nodes:
                    raise ValueError(
                        f"draw_dot: the graph has more than max_nodes={max_nodes} value nodes. "
                        f"To draw it anyway pass a larger limit, e.g. "
                        f"draw_dot(root, max_nodes={max(10 * max_nodes, 1000)}) (big pictures "
                        "are slow to lay out and hard to read), or draw a sub-graph by passing "
                        "an intermediate node as root, e.g. draw_dot(hidden_value), or draw a "
                        "model one box per layer and one row per neuron with draw_dot(model).")
                stack.append(child)


def _check_types(rankdir: object, show_grad: object, color_by: object, grads: object,
                 names: object, compact: object) -> None:
    """TypeError naming the accepted types for an argument of draw_dot of the wrong type."""
    wrong = [(what, accepted, x) for what, accepted, ok, x in [
        ("rankdir", "a str", isinstance(rankdir, str), rankdir),
        ("show_grad", "True or False", isinstance(show_grad, bool), show_grad),
        ("color_by", "a str or None", color_by is None or isinstance(color_by, str), color_by),
        ("grads", "a dict {Value: grad} or None", grads is None or isinstance(grads, Mapping),
         grads),
        ("names", "a dict {Value: str} or None", names is None or isinstance(names, Mapping),
         names),
        ("compact", "True or False", isinstance(compact, bool), compact)] if not ok]
    if wrong:
        what, accepted, x = wrong[0]
        raise TypeError(f"draw_dot's {what} must be {accepted}, got {type(x).__name__} "
                        f"{x!r:.40}")


def _highlighted(highlight: Value | Iterable[Value] | None,
                 nodes: Mapping[Value, str]) -> set[Value]:
    if highlight is None:
        return set()
    if isinstance(highlight, Value):
        items = [highlight]
    elif isinstance(highlight, Iterable) and not isinstance(highlight, (str, bytes)):
        items = list(highlight)
    else:
        items = [highlight]  # the type error below names it
    for h in items:
        if not isinstance(h, Value):
            raise TypeError(f"highlight must be a Value, a list of Values or None, got "
                            f"{type(h).__name__} {h!r:.40}")
        if h not in nodes:
            raise ValueError(f"highlight: {h!r} is not in the graph being drawn")
    return set(items)


def _shown_grad(v: Value, grads: Mapping[Value, Any] | None) -> float | None:
    """The grad a node shows: the override from ``grads`` if it has one, else ``v.grad``."""
    g = grads[v] if grads is not None and v in grads else v.grad
    if g is None:
        return None
    if isinstance(g, Value):
        return g.data
    if isinstance(g, numbers.Real):
        return float(g)
    raise TypeError(f"the grad shown for {v!r} must be a number, a Value or None, "
                    f"got {type(g).__name__}")


def _four_digits(x: float) -> str:
    """4 significant digits; -0 shown as 0."""
    return f"{x + 0.0:.4g}"


def _record(fields: list[str], horizontal: bool) -> str:
    """A record label laid out side by side: braces flip the orientation under LR/RL."""
    text = " | ".join(_as_typed(_RECORD_SPECIAL.sub(r"\\\1", _visible(f))) for f in fields)
    return "{ " + text + " }" if horizontal else text


def _visible(text: str) -> str:
    """Control characters (NUL, tab, ...) written as escapes, ``\\x00``, so they show."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def _as_typed(escaped: str) -> str:
    """DOT text whose backslashes are already escaped, shown as typed: ``&`` is not taken for
    an entity, and a newline breaks the line (Graphviz would drop it)."""
    return escaped.replace("&", "&amp;").replace("\n", "\\n")


def _fill(grad: float | None, top: float) -> str:
    """White to full colour as log10(|grad| / top) goes from -DECADES to 0."""
    if grad is None:
        return NOT_REACHED
    if not math.isfinite(grad):
        return NON_FINITE
    if grad == 0.0 or top == 0.0:
        return "#ffffff"
    t = min(1.0, max(0.0, 1.0 + math.log10(abs(grad) / top) / DECADES))
    return _mix(POSITIVE if grad > 0 else NEGATIVE, t)


def _mix(hue: tuple[int, int, int], t: float) -> str:
    r, g, b = (round(w + t * (h - w)) for w, h in zip(WHITE, hue, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def _legend(g: Digraph, top: float, shown: Mapping[Value, float | None],
            fontsize: str = "9") -> None:
    ticks = [(0, "1"), (2, "1e-2"), (4, "1e-4"), (DECADES, f"&lt;=1e-{DECADES}")]
    rows = [f'<tr><td colspan="{len(ticks) + 1}">|grad| / max |grad|, '
            f"max |grad| = {_four_digits(top)}</td></tr>"]
    for name, hue in (("grad &gt; 0", POSITIVE), ("grad &lt; 0", NEGATIVE)):
        cells = "".join(f'<td bgcolor="{_mix(hue, 1 - d / DECADES)}">{text}</td>'
                        for d, text in ticks)
        rows.append(f'<tr><td align="left">{name}</td>{cells}</tr>')
    grads = list(shown.values())
    if any(gr is None for gr in grads):
        rows.append(f'<tr><td align="left">not reached</td><td bgcolor="{NOT_REACHED}" '
                    f'colspan="{len(ticks)}"></td></tr>')
    if any(gr is not None and not math.isfinite(gr) for gr in grads):
        rows.append(f'<tr><td align="left">nan / inf</td><td bgcolor="{NON_FINITE}" '
                    f'colspan="{len(ticks)}"></td></tr>')
    table = ('<<table border="0" cellborder="1" cellspacing="0" cellpadding="3">'
             + "".join(rows) + "</table>>")
    with g.subgraph() as s:
        s.attr(rank="sink")
        s.node("legend", label=table, shape="plaintext", fontsize=fontsize)


def _common(paths: Iterable[Path]) -> Path:
    it = iter(paths)
    common = next(it, ())
    for p in it:
        n = 0
        while n < min(len(common), len(p)) and common[n] == p[n]:
            n += 1
        common = common[:n]
    return common


def _places(order: list[Value]) -> dict[Value, tuple[Path, str]]:
    """Each value's cluster path and the name it shows.

    A dotted label places a value by its prefix. An unlabelled result joins the modules of its
    labelled leaf operands (a neuron's weights put its dot product in the neuron), or else,
    when it is the only consumer of results that all sit in one module and its other operands
    are plain constants, that module too (the neuron's activation).
    """
    parents: dict[Value, int] = {}
    for v in order:
        for c in set(v.children):
            parents[c] = parents.get(c, 0) + 1
    places: dict[Value, tuple[Path, str]] = {}
    by_leaves: set[Value] = set()  # placed by its labelled leaf operands, not by propagation
    for v in order:
        found = module_path(v.label) if v.label else None
        if found is not None:
            places[v] = found
            continue
        path: Path = ()
        if v.children and not v.label:
            leaves = [places[c][0] for c in v.children if not c.children]
            inner = [c for c in v.children if c.children]
            if any(leaves):
                path = _common(p for p in leaves if p)
                by_leaves.add(v)
            elif inner and all(c in by_leaves and parents[c] == 1 for c in inner):
                # One step only: the activation joins its neuron, what consumes it does not.
                path = _common(places[c][0] for c in inner)
        places[v] = (path, v.label)
    return places


def _cluster(clusters: dict[Path, Any], path: Path, factory: type[Digraph]) -> Any:
    """The subgraph for ``path``, made (with its enclosing ones) on first use."""
    for depth in range(1, len(path) + 1):
        prefix = path[:depth]
        if prefix not in clusters:
            fill = CLUSTER_FILLS[min(depth, len(CLUSTER_FILLS)) - 1]
            clusters[prefix] = factory(
                name=f"cluster_{len(clusters)}",
                graph_attr={"label": prefix[-1], "style": "rounded,filled",
                            "fillcolor": fill, "color": "#bbbbbb", "labeljust": "l"})
    return clusters[path]


def draw_model(model: Model, *, rankdir: str = "LR") -> Digraph:
    """A model too big to draw value by value, one box per layer and one row per neuron.

    Parameters whose dotted names share a prefix make a unit (``layers.0.neurons.3.*`` is
    neuron ``L0.N3``); units that share the prefix before that make a box (layer ``layers.0``).
    Each row gives the unit's parameter count, the norm of its parameters ||p|| and of their
    gradients ||grad||, shaded by ||grad|| relative to the largest (log scale, as
    ``draw_dot``); rows keep the order of ``named_parameters()``. ``model`` is anything with
    ``named_parameters()`` giving ``(dotted name, Value)`` pairs, such as an ``nn.Module``.
    """
    from .render import Digraph

    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(map(repr, RANKDIRS))}, "
                         f"got {rankdir!r}")
    units: dict[Path, list[Value]] = {}
    for name, p in model.named_parameters():
        if not isinstance(p, Value):
            raise TypeError(f"draw_model: parameter {name!r} is a {type(p).__name__}, "
                            "not a Value")
        found = module_path(name)
        units.setdefault(found[0] if found else (), []).append(p)
    if not units:
        raise ValueError(f"draw_model: {type(model).__name__} has no parameters to draw")
    norms = {u: (math.hypot(*(float(p.data) for p in ps)),
                 math.hypot(*(_shown_grad(p, None) or 0.0 for p in ps)))
             for u, ps in units.items()}
    top = max((gn for _, gn in norms.values() if math.isfinite(gn)), default=0.0)
    layers: dict[Path, list[Path]] = {}
    for u in units:
        layers.setdefault(u[:-1], []).append(u)

    g = Digraph(format="svg",
                graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "11",
                            "ranksep": "0.5", "labelloc": "t",
                            "label": f"{type(model).__name__}: rows shaded by ||grad|| / max "
                                     f"||grad|| (log scale), max ||grad|| = {_four_digits(top)}"},
                node_attr={"fontname": "Helvetica", "fontsize": "11", "shape": "plaintext"},
                edge_attr={"arrowsize": "0.6"})
    ids = {layer: f"m{i}" for i, layer in enumerate(layers)}
    for layer, members in layers.items():
        title = ".".join(layer) or type(model).__name__
        units_text = f"{len(members)} unit" + ("s" if len(members) > 1 else "")
        rows = [f'<tr><td colspan="4"><b>{_html(title)}</b> ({units_text})</td></tr>',
                "<tr><td>unit</td><td>params</td><td>||p||</td><td>||grad||</td></tr>"]
        for u in members:
            weight, grad = norms[u]
            name = short_name(".".join([*u, "p"]))[:-2] if u else title
            rows.append(f'<tr><td align="left" bgcolor="{_fill(grad, top)}">{_html(name)}</td>'
                        f'<td>{len(units[u])}</td><td>{_four_digits(weight)}</td>'
                        f'<td bgcolor="{_fill(grad, top)}">{_four_digits(grad)}</td></tr>')
        g.node(ids[layer], label='<<table border="0" cellborder="1" cellspacing="0" '
                                 'cellpadding="3">' + "".join(rows) + "</table>>",
               tooltip=title)
    names = list(layers)
    for before, after in zip(names, names[1:], strict=False):
        g.edge(ids[before], ids[after])
    return g


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
