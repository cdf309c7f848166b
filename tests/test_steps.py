"""The step-through: backprop_steps replays backward exactly, explains it, draws it, plays it."""

from __future__ import annotations

import html
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from autograd_tiny import Value
from autograd_tiny.__main__ import neuron
from autograd_tiny.engine import toposort
from autograd_tiny.ops import FORMULA_GLOBALS, OPS
from autograd_tiny.steps import backprop_steps, forward_steps
from autograd_tiny.testing import Graph, graphs
from autograd_tiny.value import apply

ROOT = Path(__file__).resolve().parent.parent


def build(g: Graph) -> Value:
    """A drawn graph built on fresh labelled leaves (each call builds an identical graph)."""
    return g.f(*[Value(x, f"x{i}") for i, x in enumerate(g.inputs)])


def small_graph(with_sum: bool = True) -> Value:
    """A fixed graph of *, +, dot, tanh (and a sum) whose root adds every earlier value, so
    nodes are reused."""
    x0, x1, x2 = Value(0.5, "x0"), Value(1.5, "x1"), Value(0.75, "x2")
    a = x0 * x1
    b = a + x0
    c = Value.dot([b, a], [x1, x0], x2)
    pool = [x0, x1, x2, a, b, c, c.tanh()]
    if with_sum:
        pool.append(Value.sum([pool[6], b, a]))
    return pool[-1] + Value.sum(pool[:-1])


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def shown_from(steps) -> dict[Value, int]:  # type: ignore[no-untyped-def]
    """Independently of the implementation: the step after which each node's grad is final,
    i.e. the step processing its last parent in backward's order (the root: from the start)."""
    last = {steps.root: 0}
    for j, step in enumerate(steps):
        for child in step.node.children:
            last[child] = j
    return last


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(max_nodes=12))
def test_steps_replay_backward_exactly_and_leave_user_grads_alone(g: Graph) -> None:
    root = build(g)
    order = toposort(root)
    for i, node in enumerate(order):
        node.grad = 100.0 + i
    before = [node.grad for node in order]

    steps = backprop_steps(root)
    str(steps)
    final = shown_from(steps)
    for k, step in enumerate(steps):
        shown = step.known_grads()
        assert [n for n in order if shown[n] is not None] == [n for n in order if final[n] <= k]

    assert [node.grad for node in order] == before

    fresh = build(g)
    fresh.backward()
    fresh_order = toposort(fresh)
    assert len(fresh_order) == len(order)
    assert len(steps) == sum(1 for node in order if node.children)
    assert [s.node for s in steps] == [n for n in reversed(order) if n.children]

    # Summing the contributions, in step order from 0.0, gives backward's grads exactly.
    total = {node: 0.0 for node in order}
    total[root] += 1.0
    for step in steps:
        assert same(step.upstream, total[step.node])
        assert len(step.local) == len(step.node.children) == len(step.contributions)
        for (child, amount), local in zip(step.contributions, step.local, strict=True):
            assert same(amount, local * step.upstream)
            total[child] += amount
    for node, twin in zip(order, fresh_order, strict=True):
        assert same(total[node], twin.grad)
        assert same(steps.grads[node], twin.grad)


def test_reuse_a_plus_a() -> None:
    a = Value(1.0, "a")
    b = a + a
    b.label = "b"
    c = b + b
    c.label = "c"
    steps = backprop_steps(c)
    assert len(steps) == 2
    first, second = steps
    assert first.node is c and first.upstream == 1.0 and first.local == (1.0, 1.0)
    assert first.contributions == ((b, 1.0), (b, 1.0))
    assert second.node is b and second.upstream == 2.0 and second.local == (1.0, 1.0)
    assert second.contributions == ((a, 2.0), (a, 2.0))
    assert steps.grads[a] == 4.0
    assert a.grad == 0.0 and b.grad == 0.0 and c.grad == 0.0
    assert "(2nd contribution; b.grad is now 2.0)" in first.explain()
    lines = second.explain().splitlines()
    assert lines[1].strip() == "a.grad += 1 * b.grad = 1.0 * 2.0 = 2.0"
    assert lines[2].strip().endswith("(2nd contribution; a.grad is now 4.0)")
    # b's grad is final only after both of c's contributions: it shows from the first step.
    assert first.finalizes == (b,) and second.finalizes == (a,)


def test_explanations_use_the_op_table_formulas() -> None:
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = a * b
    c.label = "c"
    assert backprop_steps(c)[0].explain().splitlines()[1:] == [
        "  a.grad += b.data * c.grad = -3.0 * 1.0 = -3.0",
        "  b.grad += a.data * c.grad = 2.0 * 1.0 = 2.0",
    ]
    text = str(backprop_steps(neuron()))
    assert text.startswith("1. o = tanh(n), o.grad = 1.0 (the seed)\n")
    assert "n.grad += (1 - o.data**2) * o.grad = (1 - 0.707107**2) * 1.0 = 0.5 * 1.0 = 0.5" in text
    assert "5. x1w1 = x1 * w1, x1w1.grad = 0.5 from above" in text
    assert "x1.grad += w1.data * x1w1.grad = -3.0 * 0.5 = -1.5" in text


def test_fused_dot_gives_one_line_per_weight_and_input() -> None:
    w = [Value(0.5, "w0"), Value(-2.0, "w1")]
    x = [Value(3.0, "x0"), Value(4.0, "x1")]
    bias = Value(1.0, "bias")
    out = Value.dot(w, x, bias)
    out.label = "out"
    lines = backprop_steps(out)[0].explain().splitlines()
    assert lines[0] == "out = w0*x0 + w1*x1 + bias, out.grad = 1.0 (the seed)"
    assert [line.strip() for line in lines[1:]] == [
        "w0.grad += x0.data * out.grad = 3.0 * 1.0 = 3.0",
        "w1.grad += x1.data * out.grad = 4.0 * 1.0 = 4.0",
        "x0.grad += w0.data * out.grad = 0.5 * 1.0 = 0.5",
        "x1.grad += w1.data * out.grad = -2.0 * 1.0 = -2.0",
        "bias.grad += 1 * out.grad = 1.0 * 1.0 = 1.0",
    ]


def test_unlabelled_nodes_get_positional_names() -> None:
    x = Value(3.0)
    y = (x * 2.0).exp()
    steps = backprop_steps(y)
    assert steps.names == {x: "n0", y.children[0].children[1]: "n1", y.children[0]: "n2",
                           y: "n3"}
    assert steps[0].explain().splitlines()[1].strip().startswith("n2.grad += n3.data * n3.grad")
    assert backprop_steps(y).names == steps.names


def test_every_op_in_the_table_can_be_explained() -> None:
    x, y = Value(0.7, "x"), Value(1.3, "y")
    from autograd_tiny.ops import OPS
    from autograd_tiny.testing import call

    results = [call(op, {1: [x], 2: [x, y]}.get(op.arity, [x, y, x])) for op in OPS.values()]
    for r in results:
        text = backprop_steps(r)[0].explain()
        assert "x.grad += " in text


def test_a_leaf_root_has_no_steps() -> None:
    x = Value(2.0, "x")
    steps = backprop_steps(x)
    assert len(steps) == 0 and list(steps) == []
    assert steps.grads == {x: 1.0}
    assert "leaf" in str(steps)
    assert "x is a leaf" in steps.widget()._repr_html_() and "x is a leaf" in steps.to_html()


def test_forward_steps_list_values_in_the_order_computed() -> None:
    o = neuron()
    forward = forward_steps(o)
    assert [s.node for s in forward] == toposort(o)
    assert forward[2].op == "*" and [v.label for v in forward[2].inputs] == ["x1", "w1"]
    text = str(forward).splitlines()
    assert text[0] == " 1. x1 = 2.0"
    assert text[2] == " 3. x1w1 = x1 * w1 = 2.0 * (-3.0) = -6.0"
    assert text[-1] == "10. o = tanh(n) = tanh(0.881374) = 0.707107"


NODE = re.compile(r"^\s*(v\d+) \[(.*)\]$", re.M)


def picture(step) -> dict[str, tuple[str | None, bool]]:  # type: ignore[no-untyped-def]
    """From the DOT source: node id -> (grad text or None if blank, highlighted)."""
    nodes = {}
    for node_id, attrs in NODE.findall(step.graph().source):
        grad = re.search(r"\| grad( [^|}\"]+)? }", attrs)
        assert grad is not None, attrs
        value = grad.group(1).strip() if grad.group(1) else None
        nodes[node_id] = (value, "penwidth=3" in attrs)
    return nodes


@pytest.mark.parametrize("make", [neuron, small_graph])
def test_pictures_highlight_the_node_and_show_only_final_grads(make) -> None:  # type: ignore[no-untyped-def]
    root = make()
    steps = backprop_steps(root)
    order = toposort(root)
    final = shown_from(steps)
    fresh = make()
    fresh.backward()
    expected_grads = [n.grad for n in toposort(fresh)]
    for k, step in enumerate(steps):
        nodes = picture(step)
        assert set(nodes) == {f"v{i}" for i in range(len(order))}
        assert [i for i, _ in enumerate(order) if nodes[f"v{i}"][1]] == [order.index(step.node)]
        for i, node in enumerate(order):
            grad = nodes[f"v{i}"][0]
            if final[node] <= k:
                assert grad == f"{expected_grads[i]:.4g}"
            else:
                assert grad is None
        assert step.known_grads() == {n: steps.grads[n] if final[n] <= k else None
                                      for n in order}
        assert set(step.finalizes) == {n for n in order if n is not root and final[n] == k}
    assert all(v.grad == 0.0 for v in order)


def test_widget_steps_programmatically() -> None:
    steps = backprop_steps(neuron())
    player = steps.widget()
    assert player.index == 0
    assert player.text.startswith("Step 1 of 5\n\no = tanh(n)")
    player.next()
    player.next()
    assert player.index == 2 and player.text.startswith("Step 3 of 5\n")
    player.prev()
    assert player.index == 1
    player.step_to(-1)
    assert player.index == 4
    player.next()
    assert player.index == 4
    player.step_to(0)
    player.prev()
    assert player.index == 0
    player.step_to(3)
    assert "x2w2 = x2 * w2" in player.text
    assert repr(player) == "<StepPlayer: step 4 of 5>"


def test_player_html_is_self_contained_and_opens_at_its_step() -> None:
    steps = backprop_steps(neuron())
    player = steps.widget()
    player.step_to(3)
    fragment = player._repr_html_()
    # Without scripts: that step's picture and text, and how to step through.
    assert 'src="data:image/svg+xml;base64,' in fragment
    assert "Step 4 of 5\n\nx2w2 = x2 * w2" in html.unescape(fragment)
    assert "To step through" in fragment
    # No network: nothing is loaded from anywhere.
    for page in (fragment, steps.to_html(), player.to_html()):
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
        assert "<script src" not in page
    # Every step's text is embedded for the script.
    data = json.loads(re.search(r'class="atp-data">(.*?)</script>', fragment, re.S)
                      .group(1).replace("<\\/", "</"))
    assert data["texts"] == [f"Step {i + 1} of 5\n\n{s.explain()}" for i, s in enumerate(steps)]
    assert data["start"] == 3
    assert steps._repr_html_().count('class="autograd-tiny-player"') == 1
    assert steps.to_html().startswith("<!DOCTYPE html>")


def test_the_player_lays_the_graph_out_once_and_each_step_is_data() -> None:
    from autograd_tiny.player import Layout, _svg

    for root in (neuron(), small_graph(with_sum=False)):
        steps = backprop_steps(root)
        layout = Layout(steps)
        assert not layout.collapsed
        ids = {node: f"v{i}" for i, node in enumerate(steps.order)}
        # What the script does at step k, done here: the same picture in k's state.
        svgs = [_svg(layout, k) for k in range(len(steps))]
        outline = re.compile(r'<title>(v\d+(?:_op)?)</title>\s*<(?:polygon|ellipse) [^>]*?'
                             r'((?:points|cx)="[^"]*"(?: cy="[^"]*")?)')
        boxes = [outline.findall(svg) for svg in svgs]
        assert len(boxes[0]) == 2 * len(steps) + sum(1 for n in steps.order if not n.children)
        assert all(b == boxes[0] for b in boxes)
        for k, (svg, step) in enumerate(zip(svgs, steps, strict=True)):
            assert layout.current[k] == ids[step.node]
            assert layout.focus[k] == list(dict.fromkeys(
                [ids[step.node], ids[step.node] + "_op",
                 *(ids[c] for c in step.node.children if c.label or c.children)]))
            shapes = dict(re.findall(r'<title>([^<]+)</title>\s*<(?:polygon|ellipse) ([^>]*)>',
                                     svg))
            assert [i for i, attrs in shapes.items() if "#d62728" in attrs] == [ids[step.node]]
            grads = dict(re.findall(r'<title>(v\d+)</title>.*?>(grad[^<]*)</text>\s*</g>', svg,
                                    re.S))
            for node, grad in step.known_grads().items():
                shown = grads[ids[node]].replace("&#45;", "-")
                assert shown == ("grad" if grad is None else f"grad {grad + 0.0:.4g}")
        # One picture in the page, whatever the number of steps.
        page = steps.to_html()
        assert page.count("data:image/svg+xml;base64,") == 1


def test_a_big_network_is_drawn_one_box_per_neuron() -> None:
    import nn
    from autograd_tiny.player import COLLAPSE_ABOVE, Layout

    model = nn.MLP(2, [16, 16, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    steps = backprop_steps(loss)
    assert len(steps.order) > COLLAPSE_ABOVE
    layout = Layout(steps)
    assert layout.collapsed
    assert len(layout.members) == 16 + 16 + 1
    for k, step in enumerate(steps):
        box = layout.current[k]
        if box in layout.members:  # the step's node is inside the neuron drawn as this box
            assert steps.names[step.node] in [m[0] for m in layout.members[box]]
        else:
            assert box == f"v{steps.order.index(step.node)}"
    svg = layout.source
    assert svg.count('class="node"') < 100 < len(steps.order)
    names = dict(model.named_parameters())
    assert "L1.N15: " in layout.names[layout.current[[s.node for s in steps].index(
        next(s.node for s in steps if names["layers.1.neurons.15.b"] in s.node.children))]]
    # Not collapsed when asked.
    assert not Layout(steps, collapsed=False).collapsed


def test_hostile_labels_cannot_end_the_players_script_early() -> None:
    from autograd_tiny.player import _script_json

    hostile = ["<!--<script>", "</script>", "<b>", "\"'", "]]>", "ünï ✓ 中"]
    text = _script_json({"texts": hostile})
    assert not set("<>&") & set(text)
    assert json.loads(text) == {"texts": hostile}


def test_backprop_steps_of_a_number_is_a_type_error() -> None:
    from autograd_tiny import draw_dot

    for bad in (3.0, "x", None, [Value(1.0)]):
        with pytest.raises(TypeError, match="needs a Value as root, got"):
            backprop_steps(bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="needs a Value as root, got"):
            forward_steps(bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="needs a Value as root, got"):
            draw_dot(bad)  # type: ignore[arg-type]


def test_a_constant_exponent_reads_as_the_power_rule_and_constants_get_no_line() -> None:
    a = Value(-2.0, "a")
    y = a**3
    y.label = "y"
    lines = backprop_steps(y)[0].explain().splitlines()
    assert lines[0] == "y = a ** 3, y.grad = 1.0 (the seed)"
    assert lines[1].strip() == "a.grad += 3 * a.data**2 * y.grad = 3 * (-2.0)**2 * 1.0 = " \
                               "12.0 * 1.0 = 12.0"
    assert lines[2].strip() == "(3: a constant, no gradient to pass on)"
    assert len(lines) == 3
    # The square: a**1 is written a.
    z = Value(1.5, "z") ** 2
    z.label = "q"
    assert "z.grad += 2 * z.data * q.grad = 2 * 1.5 * 1.0 = 3.0 * 1.0 = 3.0" in \
        backprop_steps(z)[0].explain()
    # A Value exponent keeps both lines, and the branch taken is said.
    b = Value(1.5, "b")
    p = Value(2.0, "a") ** b
    p.label = "p"
    text = backprop_steps(p)[0].explain()
    assert "a.grad += b.data * a.data**(b.data - 1) * p.grad" in text
    assert "b.grad += p.data * log(a.data) * p.grad" in text and "(a.data > 0)" in text
    # relu says which side of its kink it is on.
    r = Value(-0.5, "x").relu()
    r.label = "r"
    assert "x.grad += 0 * r.grad = 0.0 * 1.0 = 0.0  (x.data <= 0)" in \
        backprop_steps(r)[0].explain()
    # No step text calls const(), a name a reader does not have.
    for root in (y, z, p, r, neuron(), small_graph()):
        assert "const(" not in str(backprop_steps(root))


def test_save_html_writes_the_page_and_the_command_line_does_too(tmp_path: Path) -> None:
    steps = backprop_steps(neuron())
    path = steps.save_html(tmp_path / "steps.html")
    assert path == tmp_path / "steps.html"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "Step 1 of 5" in text
    assert [p.name for p in tmp_path.iterdir()] == ["steps.html"]
    out = subprocess.run([sys.executable, "-m", "autograd_tiny", "steps", "--html",
                          str(tmp_path / "cli.html")], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    page = (tmp_path / "cli.html").read_text(encoding="utf-8")
    assert "Step 1 of 5" in page and "o = tanh(n)" in html.unescape(page)
    assert str(tmp_path / "cli.html") in out.stdout


def test_a_big_graph_displays_as_text_unless_the_player_is_asked_for() -> None:
    from autograd_tiny.steps import AUTO_PLAYER_NODES

    xs = [Value(float(i), f"x{i}") for i in range(AUTO_PLAYER_NODES)]
    steps = backprop_steps(Value.sum(xs).tanh())
    assert steps._repr_html_() is None
    small = backprop_steps(Value.sum(xs[: AUTO_PLAYER_NODES - 2]).tanh())
    assert "autograd-tiny-player" in (small._repr_html_() or "")


def test_widget_needs_no_ipywidgets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    assert "Step 1 of 5" in backprop_steps(neuron()).widget()._repr_html_()


def test_import_stays_light() -> None:
    code = ("import sys, autograd_tiny.steps; "
            "print(any(m in sys.modules for m in ('graphviz', 'ipywidgets')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_terminal_demo_prints_numbered_steps() -> None:
    out = subprocess.run([sys.executable, "-m", "autograd_tiny", "steps"], capture_output=True,
                         text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "1. o = tanh(n), o.grad = 1.0 (the seed)" in out.stdout
    assert "5. x1w1 = x1 * w1" in out.stdout
    assert "(2nd contribution; a.grad is now 4.0)" in out.stdout


def test_a_node_with_zero_gradient_is_a_step_that_passes_nothing_on() -> None:
    x = Value(0.0, "x")
    r = x.sqrt()
    r.label = "r"
    y = r.relu()
    y.label = "y"
    steps = backprop_steps(y)
    assert [s.node for s in steps] == [y, r]
    assert steps[1].upstream == 0.0
    assert steps[1].contributions == ((x, 0.0),)
    assert "nothing flows back" in steps[1].explain()
    assert steps.grads[x] == 0.0
    y.backward()
    assert x.grad == steps.grads[x]


def test_step_pictures_name_unlabelled_nodes_as_the_text_does() -> None:
    a = Value(2.0, "a")
    y = (a * 3.0).tanh()
    steps = backprop_steps(y)
    unnamed = [n for n in steps.order if not n.label]
    assert unnamed
    src = steps[0].graph().source
    text = steps[0].explain() + steps[1].explain()
    for node in unnamed:
        assert f"{{ {steps.names[node]} | data" in src
        # A constant (the 3.0) is written as its number; other unlabelled values by name.
        assert (f"{node.data:g}" if steps.is_constant(node) else steps.names[node]) in text
        assert f"{{ {steps.names[node]} | data" in draw_dot_source(y)


def draw_dot_source(root: Value) -> str:
    from autograd_tiny import draw_dot

    return draw_dot(root).source


def snapshot(steps) -> list[object]:  # type: ignore[no-untyped-def]
    """Everything a user can read off the steps: text, pictures, numbers."""
    return [str(steps), dict(steps.grads), dict(steps.data), dict(steps.names)] + [
        (s.explain(), s.graph().source, s.upstream, s.local, s.contributions,
         s.known_grads(), s.finalizes) for s in steps]


def test_steps_record_their_numbers_so_later_updates_change_nothing_shown() -> None:
    import nn

    model = nn.MLP(2, [3, 1], "sigmoid", output_activation="sigmoid", seed=3)
    x = [Value(0.35, "x1"), Value(0.9, "x2")]
    out = model(x)
    loss = nn.mse_loss([out], [0.9])
    loss.label = "L"
    steps = backprop_steps(loss)
    before = snapshot(steps)

    # What a training loop does next: backward, an SGD update, another backward; and a user
    # renaming and editing nodes by hand.
    optimizer = nn.SGD(model.parameters(), lr=0.5)
    loss.backward()
    optimizer.step()
    loss.backward()
    for node in steps.order:
        if node.children:
            node.data += 1.0
    out.label = "renamed"
    x[0].data = -7.0

    assert snapshot(steps) == before
    # Not vacuous: the same graph stepped through now reads differently.
    now = backprop_steps(loss)
    assert [s.explain() for s in now] != [s.explain() for s in steps]
    assert [s.graph().source for s in now] != [s.graph().source for s in steps]


def test_pictures_and_forward_steps_show_the_recorded_data() -> None:
    o = neuron()
    steps, forward = backprop_steps(o), forward_steps(o)
    text, picture, forward_text = str(steps), steps[2].graph().source, str(forward)
    for node in toposort(o):
        node.data = 123.0
        node.grad = 456.0
    assert "123" not in str(steps) + steps[2].graph().source + str(forward)
    assert "456" not in steps[2].graph().source
    assert (str(steps), steps[2].graph().source, str(forward)) == (text, picture, forward_text)
    assert "data 0.7071" in picture and "x1w1 = x1 * w1 = 2.0 * (-3.0) = -6.0" in forward_text


# Every printed formula, checked: each line `child.grad += F * node.grad = F' * (up) =
# local * (up) = amount` states a partial F in the op table's words, the same with the
# numbers put in (F', when it differs), and the result. Evaluating F with the operands'
# recorded values, and F' as printed, must give the printed local derivative.

# Only the names a reader sees in the text: const() is the table's, never printed.
FORMULA_FUNCTIONS = {name: f for name, f in FORMULA_GLOBALS.items()
                     if name not in ("__builtins__", "const")}
# Negative and positive points; each op also gets its kinks and, with two operands, a
# negative first operand with an integer second (x**2 at x < 0). Points outside an op's
# domain (log and sqrt of a negative number) are left out.
POINTS = (-2.3, -0.7, 0.45, 1.6)
CHAIN_LINE = re.compile(r"^(?P<child>\S+)\.grad \+= (?P<chain>.*?)(?:  \(.*\))?$")


def op_cases() -> list[tuple[str, tuple[float, ...], tuple[int, ...]]]:
    """(op, operands, which operands are unlabelled constants): every point with labelled
    operands, and with two or more operands the same with the last one a constant."""
    from autograd_tiny.ops import OPS

    cases = []
    for name, op in OPS.items():
        n = op.arity if op.arity > 0 else 5  # variadic: sum of 5; dot of 2 weights, 2 inputs, bias
        firsts = [*POINTS, *(op.domain.kinks if op.domain else ())]
        points = [(first, *(POINTS[(k + j + 1) % len(POINTS)] for j in range(n - 1)))
                  for k, first in enumerate(firsts)]
        if n == 2:
            points.append((-1.5, 2.0))
        for point in points:
            for constants in ((), (n - 1,)) if n >= 2 else ((),):
                if make_node(name, point, constants) is not None:
                    cases.append((name, point, constants))
    return cases


def make_node(name: str, point: tuple[float, ...], constants: tuple[int, ...] = ()) -> Value | None:
    from autograd_tiny.ops import OPS
    from autograd_tiny.value import apply

    children = tuple(Value(x, "" if i in constants else f"u{i}") for i, x in enumerate(point))
    try:
        out = apply(OPS[name], children)
    except (ArithmeticError, ValueError):
        return None  # outside the op's domain (log of a negative number, ...)
    out.label = "y"
    return out


def one_sided(step, i: int, eps: float = 1e-6) -> tuple[float, float] | None:  # type: ignore[no-untyped-def]
    """The op's forward differenced in operand ``i`` at the step's recorded operands, from the
    right and from the left; None where the op is undefined a step away (a negative base to a
    non-integer power)."""
    op = OPS[step.node.op]
    xs = [step._steps.data[c] for c in step.node.children]

    def f(shift: float) -> float:
        moved = list(xs)
        moved[i] += shift
        return apply(op, tuple(Value(x) for x in moved)).data

    try:
        here, right, left = f(0.0), f(eps), f(-eps)
    except (ArithmeticError, ValueError):
        return None
    return (right - here) / eps, (here - left) / eps


def check_printed_formulas(step) -> int:  # type: ignore[no-untyped-def]
    """Assert that every chain-rule line's formulas evaluate to its printed result; return
    how many lines were checked."""
    names = step._steps.names
    recorded = {f"{names[n]}.data": value for n, value in step._steps.data.items()}
    up_name = f"{names[step.node]}.grad"
    lines = [line.strip() for line in step.explain().splitlines()[1:]]
    if lines and lines[-1].startswith("("):  # the constants, which get no line
        assert "constant" in lines.pop()
    assert "const(" not in step.explain()
    shown = [i for i, c in enumerate(step.node.children) if not step._steps.is_constant(c)]
    assert len(lines) == len(shown)
    for i, line in zip(shown, lines, strict=True):
        m = CHAIN_LINE.match(line)
        assert m, line
        assert m["child"] == names[step.node.children[i]]
        parts = m["chain"].split(" = ")
        assert len(parts) in (3, 4), line
        symbols, *numbers, result, amount = parts
        assert symbols.endswith(f" * {up_name}"), line
        formula = symbols[: -len(f" * {up_name}")]
        up = result.rsplit(" * ", 1)[1]
        local = float(result[: -len(f" * {up}")])
        assert float(up.strip("()")) == pytest.approx(step.upstream, rel=1e-5)
        assert local == pytest.approx(float(step.local[i]), rel=1e-5, abs=1e-12)
        assert float(amount) == pytest.approx(local * float(up.strip("()")), rel=1e-5,
                                              abs=1e-12)
        # The printed result is the derivative: it lies between the one-sided differences of
        # the op's forward (equal but for O(eps) away from a kink).
        slopes = one_sided(step, i)
        if slopes is not None:
            lo, hi = min(slopes), max(slopes)
            tol = 1e-4 * (1 + abs(local))
            assert lo - tol <= local <= hi + tol, \
                f"{line}: the printed result {local} is not the central difference {slopes}"
        # F with the recorded operand values (longest names first: u1 before u10).
        exact = formula
        for name in sorted(recorded, key=len, reverse=True):
            exact = exact.replace(name, f"({recorded[name]!r})")
        value = eval(exact, {"__builtins__": {}}, FORMULA_FUNCTIONS)  # noqa: S307
        assert float(value) == pytest.approx(local, rel=1e-5, abs=1e-9), (line, exact)
        if numbers:
            assert numbers[0].endswith(f" * {up}"), line
            printed = numbers[0][: -len(f" * {up}")]
            value = eval(printed, {"__builtins__": {}}, FORMULA_FUNCTIONS)  # noqa: S307
            # The numbers are printed to 6 digits, so allow for that rounding.
            assert float(value) == pytest.approx(local, rel=1e-4, abs=1e-6), (line, printed)
    return len(lines)


@pytest.mark.parametrize(("name", "point", "constants"), op_cases(), ids=lambda v: repr(v))
def test_every_printed_formula_evaluates_to_the_printed_result(
        name: str, point: tuple[float, ...], constants: tuple[int, ...]) -> None:
    out = make_node(name, point, constants)
    assert out is not None
    steps = backprop_steps(out)
    assert check_printed_formulas(steps[0]) == len(point) - len(constants)


def test_every_op_has_its_formulas_checked_at_several_points() -> None:
    from autograd_tiny.ops import OPS

    checked: dict[str, list[tuple[float, ...]]] = {}
    for name, point, _ in op_cases():
        checked.setdefault(name, []).append(point)
    assert set(checked) == set(OPS)
    for name, points in checked.items():
        assert any(p[0] < 0 for p in points) or name in ("log", "sqrt"), name
        assert any(p[0] > 0 for p in points), name
        kinks = OPS[name].domain.kinks if OPS[name].domain else ()
        assert all(any(p[0] == k for p in points) for k in kinks), name


@pytest.mark.parametrize(("name", "wrong"), [("sin", "-cos(x)"), ("tanh", "(1 + out**2)"),
                                             ("/", "out / b")])
def test_a_wrong_formula_text_fails_the_check(name: str, wrong: str) -> None:
    # The text is the rule backward runs, so a wrong one is printed and computed alike: the
    # check catches it by the printed result's disagreement with central differences, and
    # gradcheck does too.
    import dataclasses

    from autograd_tiny import GradcheckError, gradcheck

    op = OPS[name]
    bad = dataclasses.replace(op, partials=(*op.partials[:-1], wrong))
    for point in [(0.45, 1.6), (-2.3, 0.45)]:
        xs = point[: op.arity]
        operands = tuple(Value(x, f"u{i}") for i, x in enumerate(xs))  # labelled: not constants
        check_printed_formulas(backprop_steps(apply(op, operands))[0])
        with pytest.raises(AssertionError, match="central difference"):
            check_printed_formulas(backprop_steps(apply(bad, operands))[0])
        assert gradcheck(lambda *vs: apply(op, vs), xs)
        with pytest.raises(GradcheckError):
            gradcheck(lambda *vs: apply(bad, vs), xs)


def test_save_html_into_a_missing_directory_names_it_and_writes_nothing(tmp_path: Path) -> None:
    steps = backprop_steps(neuron())
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "missing"))):
        steps.save_html(tmp_path / "missing" / "steps.html")
    assert list(tmp_path.iterdir()) == []
    out = subprocess.run([sys.executable, "-m", "autograd_tiny", "steps", "--html",
                          str(tmp_path / "missing" / "x.html")], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 2 and "does not exist" in out.stderr
    assert "Traceback" not in out.stderr


def test_the_player_benchmark_reports_size_time_and_targets() -> None:
    from benchmarks import player as bench

    row = bench.generate([2, 2, 1], repeat=1)
    assert row["network"] == "2-2-1" and row["steps"] > 0 and not row["collapsed"]
    assert row["kb"] == len(row["page"].encode()) / 1024 and row["seconds"]["median"] > 0
    result = {"rows": [dict(row, network="4-4-1")], "step_network": "16-16-1",
              "step_ms": {"median": 3.0, "max": 60.0, "rounds": 5, "max_any_round": 80.0}}
    targets = bench.targets(result)
    assert [t["met"] for t in targets] == [row["seconds"]["median"] <= 0.3, False]
    assert "## Step-through player" in "\n".join(bench.markdown(result))
