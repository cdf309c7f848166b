"""Pictures: DOT source, shading, clusters, limits, and rendering with or without `dot`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import graphviz
import pytest

from autograd_tiny import Value
from autograd_tiny.draw import NOT_REACHED, draw_dot
from autograd_tiny.render import RendererNotFound, find_executable

PURE = shutil.which("graphviz-pure", path=str(Path(sys.executable).parent))


def micrograd_expression(backward: bool = True) -> tuple[Value, dict[str, Value]]:
    """Karpathy's lecture example: L = (a*b + c) * f."""
    a, b, c, f = Value(2.0, "a"), Value(-3.0, "b"), Value(10.0, "c"), Value(-2.0, "f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    if backward:
        L.backward()
    return L, {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "L": L}


def node_line(source: str, label: str) -> str:
    """The DOT line of the value node whose record starts with ``label``."""
    lines = [ln for ln in source.splitlines() if f'label="{{ {label} |' in ln]
    assert len(lines) == 1, (label, lines)
    return lines[0]


def fill(line: str) -> str | None:
    m = re.search(r'fillcolor="([^"]+)"', line)
    return m.group(1) if m else None


def test_source_has_every_label_data_grad_and_op() -> None:
    L, v = micrograd_expression()
    src = draw_dot(L).source
    expected = {"a": (2, 6), "b": (-3, -4), "c": (10, -2), "e": (-6, -2), "d": (4, -2),
                "f": (-2, 4), "L": (-8, 1)}
    for label, (data, grad) in expected.items():
        assert f"{{ {label} | data {data} | grad {grad} }}" in src
    assert src.count('label="*"') == 2
    assert src.count('label="+"') == 1


def test_edges_run_child_to_op_to_value() -> None:
    L, v = micrograd_expression()
    src = draw_dot(L).source
    ids = {k: node_line(src, k).split()[0] for k in v}
    assert f"{ids['a']} -> {ids['e']}_op" in src
    assert f"{ids['b']} -> {ids['e']}_op" in src
    assert f"{ids['e']}_op -> {ids['e']}" in src
    assert f"{ids['d']} -> {ids['L']}_op" in src


def test_same_graph_same_source() -> None:
    L1, _ = micrograd_expression()
    L2, _ = micrograd_expression()
    assert draw_dot(L1).source == draw_dot(L1).source
    assert draw_dot(L1).source == draw_dot(L2).source


def test_reused_node_gets_one_edge_per_use() -> None:
    x = Value(3.0, "x")
    y = x * x
    y.backward()
    src = draw_dot(y).source
    assert "{ x | data 3 | grad 6 }" in src
    assert src.count("v0 -> v1_op") == 2


def test_numbers_have_four_significant_digits() -> None:
    x = Value(1 / 3, "x")
    y = x * 1234567.0
    y.backward()
    src = draw_dot(y).source
    assert "{ x | data 0.3333 | grad 1.235e+06 }" in src


def test_grads_that_are_values_show_their_data() -> None:
    L, v = micrograd_expression(backward=False)
    L.backward(create_graph=True)
    assert isinstance(v["a"].grad, Value)
    assert "{ a | data 2 | grad 6 }" in draw_dot(L).source


def test_record_special_characters_are_escaped() -> None:
    x = Value(1.0, 'odd {label} | <x> "q"')
    y = x.tanh()
    src = draw_dot(y).source
    assert r"odd \{label\} \| \<x\> \"q\"" in src
    assert b"<svg" in draw_dot(y).pipe(format="svg")


def test_top_to_bottom_lays_fields_side_by_side() -> None:
    L, _ = micrograd_expression()
    src = draw_dot(L, rankdir="TB").source
    assert "rankdir=TB" in src
    assert 'label="a | data 2 | grad 6"' in src


def test_shading_by_grad_magnitude_and_sign() -> None:
    large = Value(1e-7, "large")  # grad 3, the largest |grad| in the picture
    tiny = Value(3.0, "tiny")  # grad 1e-7
    neg = Value(1.0, "neg")  # grad -3
    out = large * tiny + neg * -3.0
    out.backward()
    src = draw_dot(out).source
    assert fill(node_line(src, "large")) == "#ef8a62"  # full orange
    assert fill(node_line(src, "tiny")) == "#ffffff"  # under 1e-6 of the largest: white
    assert fill(node_line(src, "neg")) == "#67a9cf"  # full blue: as large, negative
    assert "legend" in src and "max |grad| = 3" in src


def test_vanishing_gradient_fades_to_white() -> None:
    x = Value(1.0, "x")
    h = x
    for _ in range(30):
        h = (h * 4.0).sigmoid()
    h.label = "top"
    h.backward()
    src = draw_dot(h).source
    assert fill(node_line(src, "x")) == "#ffffff"
    assert fill(node_line(src, "top")) == "#ef8a62"


def test_color_by_none_leaves_values_unfilled() -> None:
    L, _ = micrograd_expression()
    for color_by in (None, "none"):
        src = draw_dot(L, color_by=color_by).source
        assert "fillcolor" not in src
        assert "legend" not in src


def test_show_grad_false_hides_grads() -> None:
    L, _ = micrograd_expression()
    src = draw_dot(L, show_grad=False).source
    assert "grad" not in src
    assert "{ a | data 2 }" in src


def test_highlight_marks_exactly_the_given_nodes() -> None:
    L, v = micrograd_expression()
    src = draw_dot(L, highlight=[v["e"], v["c"]]).source
    marked = [ln for ln in src.splitlines() if "penwidth=3" in ln]
    assert len(marked) == 2
    assert node_line(src, "e") in marked and node_line(src, "c") in marked
    single = draw_dot(L, highlight=v["a"]).source
    assert [ln for ln in single.splitlines() if "penwidth=3" in ln] == [node_line(single, "a")]


def test_highlight_outside_the_graph_is_an_error() -> None:
    L, _ = micrograd_expression()
    with pytest.raises(ValueError, match="not in the graph"):
        draw_dot(L, highlight=Value(1.0, "stranger"))
    with pytest.raises(TypeError, match="highlight must be a Value.* got float"):
        draw_dot(L, highlight=[1.0])


def test_grads_override_blanks_nodes_not_reached() -> None:
    L, v = micrograd_expression()
    src = draw_dot(L, grads={v["L"]: 1.0, v["d"]: -2.0, v["e"]: None, v["c"]: None}).source
    assert "{ L | data -8 | grad 1 }" in src
    assert "{ d | data 4 | grad -2 }" in src
    assert "{ e | data -6 | grad }" in src
    assert "{ c | data 10 | grad }" in src
    assert fill(node_line(src, "e")) == NOT_REACHED
    assert "{ a | data 2 | grad 6 }" in src  # not in the mapping: its own grad
    assert "not reached" in src
    assert v["e"].grad == -2.0  # the graph itself is untouched


def test_bad_arguments_name_the_value() -> None:
    L, _ = micrograd_expression()
    with pytest.raises(ValueError, match="'XY'"):
        draw_dot(L, rankdir="XY")
    with pytest.raises(ValueError, match="'data'"):
        draw_dot(L, color_by="data")
    with pytest.raises(ValueError, match="max_nodes"):
        draw_dot(L, max_nodes=0)
    with pytest.raises(TypeError, match="Value"):
        draw_dot(3.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="str"):
        draw_dot(L, grads={L: "one"})


def test_long_chain_raises_a_clear_error_without_hanging() -> None:
    x = Value(0.5, "x")
    y = x
    for _ in range(3000):
        y = y * 1.0001
    with pytest.raises(ValueError) as info:
        draw_dot(y)
    message = str(info.value)
    assert "max_nodes=500" in message
    assert "draw_dot(root, max_nodes=" in message
    assert "intermediate node as root" in message


def test_sub_graph_or_larger_limit_draws_the_chain() -> None:
    x = Value(0.5, "x")
    nodes = [x]
    for _ in range(3000):
        nodes.append(nodes[-1] * 1.0001)
    assert "x | data 0.5" in draw_dot(nodes[100]).source
    assert draw_dot(nodes[-1], max_nodes=6001).source.count("record") == 6001
    with pytest.raises(ValueError):
        draw_dot(nodes[-1], max_nodes=6000)


def clusters_of(source: str) -> dict[str, list[str]]:
    """For each node with a tooltip (a full dotted label), the labels of the clusters
    enclosing it, outermost first; also ``"<id>"`` keys for every node id."""
    where: dict[str, list[str]] = {}
    stack: list[str] = []
    for line in source.splitlines():
        s = line.strip()
        if s.startswith("subgraph cluster_"):
            stack.append("?")
        elif s.startswith("graph [") and stack:
            stack[-1] = re.search(r'label="?([^" \]]+)', s).group(1)  # type: ignore[union-attr]
        elif s == "}" and stack:
            stack.pop()
        elif re.match(r"^\w+ \[", s):
            where["<" + s.split()[0] + ">"] = list(stack)
            m = re.search(r'tooltip="([^"]+)"', s)
            if m:
                where[m.group(1)] = list(stack)
    return where


def hand_mlp(sizes: list[int]) -> tuple[Value, list[Value]]:
    """An MLP built from labelled Values the way nn labels parameters."""
    xs = [Value(0.5 * (k + 1), f"x.{k}") for k in range(sizes[0])]
    params = []
    for i, (nin, nout) in enumerate(zip(sizes, sizes[1:], strict=False)):
        outs = []
        for j in range(nout):
            w = [Value(0.1 * (k - j), f"layers.{i}.neurons.{j}.w.{k}") for k in range(nin)]
            b = Value(0.01 * j, f"layers.{i}.neurons.{j}.b")
            params += [*w, b]
            outs.append(Value.dot(w, xs, b).tanh())
        xs = outs
    loss = (xs[0] - 1.0) ** 2
    loss.backward()
    return loss, params


def test_mlp_has_a_cluster_per_neuron_inside_one_per_layer() -> None:
    loss, params = hand_mlp([2, 3, 1])
    src = draw_dot(loss).source
    assert src.count("subgraph cluster_") == 2 + 3 + 1
    where = clusters_of(src)
    for p in params:
        layer, i, neurons, j, *_ = p.label.split(".")
        assert where[p.label] == [f"{layer}.{i}", f"{neurons}.{j}"]
    # the neuron's own computation sits in its box; inputs and the loss do not
    assert "{ x.0 | data 0.5" in src and "x.0" not in where
    assert where["<" + node_line(src, "x.0").split()[0] + ">"] == []
    dot_nodes = [ln.split()[0] for ln in src.splitlines() if "label=dot" in ln]
    assert sorted(tuple(where[f"<{d}>"]) for d in dot_nodes) == [
        ("layers.0", "neurons.0"), ("layers.0", "neurons.1"), ("layers.0", "neurons.2"),
        ("layers.1", "neurons.0")]
    power = [ln.split()[0] for ln in src.splitlines() if 'label="**"' in ln]
    assert where[f"<{power[0]}>"] == []
    # a parameter shows its short name; the full dotted one is its tooltip
    line = node_line(src, "L0.N0.w1")
    assert "data 0.1 |" in line and 'tooltip="layers.0.neurons.0.w.1"' in line


def test_dotted_labels_cluster_by_prefix_in_general() -> None:
    w = Value(2.0, "encoder.fc1.weight")
    x = Value(3.0, "x.0")
    y = w * x
    src = draw_dot(y).source
    assert clusters_of(src)["encoder.fc1.weight"] == ["encoder", "fc1"]
    for label in ("1.5", "a..b", "with space.0", "x.0"):
        assert draw_dot(Value(1.0, label)).source.count("cluster") == 0


def test_nn_mlp_picture_has_layer_and_neuron_clusters() -> None:
    nn = pytest.importorskip("nn")
    if not hasattr(nn, "MLP"):
        pytest.skip("nn.MLP is not written yet")
    model = nn.MLP(2, [3, 1], seed=0)
    out = model([Value(1.0, "x.0"), Value(-1.0, "x.1")])
    out = out[0] if isinstance(out, list) else out
    out.backward()
    src = draw_dot(out).source
    assert src.count("subgraph cluster_") == 2 + 3 + 1
    where = clusters_of(src)
    for name, p in model.named_parameters():
        layer, i, neurons, j, *_ = name.split(".")
        assert where[p.label] == [f"{layer}.{i}", f"{neurons}.{j}"]



def test_what_consumes_a_neuron_output_stays_outside_its_cluster() -> None:
    w = [Value(0.3, "layers.0.neurons.0.w.0"), Value(-0.2, "layers.0.neurons.0.w.1")]
    b = Value(0.1, "layers.0.neurons.0.b")
    act = Value.dot(w, [1.0, 2.0], b).sigmoid()
    loss = -(act.log() * 1.0)
    loss.backward()
    src = draw_dot(loss).source
    where = clusters_of(src)
    ids = {op: [ln.split()[0] for ln in src.splitlines() if f"label={op} " in ln
                or f'label="{op}"' in ln] for op in ("dot", "sigmoid", "log")}
    assert where[f"<{ids['dot'][0]}>"] == ["layers.0", "neurons.0"]
    assert where[f"<{ids['sigmoid'][0]}>"] == ["layers.0", "neurons.0"]
    assert where[f"<{ids['log'][0]}>"] == []

@pytest.fixture
def no_dot_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH holds only an empty directory: no `dot`, no `graphviz-pure`."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return empty


def test_renders_svg_and_png_with_graphviz_pure_beside_the_interpreter(
        no_dot_on_path: Path, tmp_path: Path) -> None:
    assert PURE is not None, "graphviz-pure (a dependency) is not installed beside Python"
    assert find_executable() == os.path.abspath(PURE)
    L, _ = micrograd_expression()
    g = draw_dot(L)
    svg = g.pipe(format="svg", encoding="utf-8")
    assert "<svg" in svg and "data 2" in svg and "grad 6" in svg
    assert g.pipe(format="png")[:8] == b"\x89PNG\r\n\x1a\n"
    out = g.render(outfile=tmp_path / "out" / "L.png")
    assert Path(out).read_bytes()[:4] == b"\x89PNG"
    out = g.render(filename="L.gv", directory=tmp_path / "out")
    assert out.endswith("L.gv.svg") and "<svg" in Path(out).read_text()
    # graphviz's own graphs are left alone: they still look for `dot` only
    assert graphviz.backend.dot_command.DOT_BINARY == Path("dot")
    with pytest.raises(graphviz.ExecutableNotFound):
        graphviz.Digraph().pipe(format="svg")


def test_jupyter_display_gives_svg(no_dot_on_path: Path) -> None:
    L, _ = micrograd_expression()
    bundle = draw_dot(L)._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]
    assert "<svg" in bundle["image/svg+xml"]
    formatters = pytest.importorskip("IPython.core.formatters")
    data, _ = formatters.DisplayFormatter().format(draw_dot(L))
    assert "<svg" in data["image/svg+xml"]


@pytest.mark.skipif(sys.platform == "win32", reason="the fake `dot` is a POSIX shell script")
def test_dot_on_path_is_used_when_present(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in `dot` on PATH (it logs its arguments, then runs graphviz-pure) must be the
    program that runs. This machine may have no real Graphviz; see the next test."""
    assert PURE is not None
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "dot.log"
    fake = bin_dir / "dot"
    fake.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{PURE}" "$@"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    assert find_executable() == "dot"
    L, _ = micrograd_expression()
    g = draw_dot(L)
    assert "<svg" in g.pipe(format="svg", encoding="utf-8")
    assert "<svg" in g._repr_mimebundle_()["image/svg+xml"]
    g.render(outfile=tmp_path / "L.svg")
    assert log.read_text().splitlines() == ["-Kdot -Tsvg"] * 2 + [
        "-Kdot -Tsvg -o L.svg L.gv"]


@pytest.mark.skipif(shutil.which("dot") is None, reason="no system Graphviz `dot` installed")
def test_real_dot_renders() -> None:
    assert find_executable() == "dot"
    L, _ = micrograd_expression()
    assert b"<svg" in draw_dot(L).pipe(format="svg")


def test_without_any_renderer_the_error_says_what_to_install(
        no_dot_on_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setattr(sysconfig, "get_path", lambda *args, **kwargs: str(tmp_path))
    L, _ = micrograd_expression()
    g = draw_dot(L)
    assert "data 2" in g.source
    with pytest.raises(RendererNotFound, match="pip install graphviz-pure") as info:
        g.pipe(format="svg")
    assert isinstance(info.value, graphviz.ExecutableNotFound)
    assert "system Graphviz" in str(info.value) and ".source" in str(info.value)
    with pytest.raises(RendererNotFound):
        g._repr_mimebundle_()


def test_importing_draw_does_not_import_graphviz() -> None:
    code = "import sys, autograd_tiny.draw; print('graphviz' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_edges_name_the_operands_where_order_matters() -> None:
    a, b = Value(6.0, "num"), Value(3.0, "den")
    q = a / b
    src = draw_dot(q).source
    ids = {label: node_line(src, label).split()[0] for label in ("num", "den")}
    assert re.search(rf"{ids['num']} -> \w+ \[label=a\b", src)
    assert re.search(rf"{ids['den']} -> \w+ \[label=b\b", src)
    plain = draw_dot(a * b).source
    assert "label=a" not in plain and "label=b" not in plain


def svg_texts(svg: str) -> list[str]:
    """The text lines an SVG shows, as a browser decodes them."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg)  # an XML parser decodes entities, as a browser does
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


@pytest.mark.parametrize("label, lines", [
    ("a\x00b", ["a\\x00b"]),  # NUL: shown as its escape, not a renderer syntax error
    ("two\nlines", ["two", "lines"]),  # a newline breaks the line instead of vanishing
    ("tab\there", ["tab\\there"]),
    ("&amp;", ["&amp;"]),  # not taken for an entity
    ("&lt;&#65;", ["&lt;&#65;"]),
    ('x<y>"q"\\n', ['x<y>"q"\\n']),  # a typed backslash-n is two characters
    ("a{b}|c", ["a{b}|c"]),
    ("<b>bold</b>", ["<b>bold</b>"]),
    ("back\\", ["back\\"]),
])
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_labels_show_as_typed(no_dot_on_path: Path, label: str, lines: list[str],
                              rankdir: str) -> None:
    x = Value(1.5, label)
    y = x * 2.0
    y.label = label
    texts = svg_texts(draw_dot(y, rankdir=rankdir).pipe(format="svg", encoding="utf-8"))
    shown = [t for t in texts if not t.startswith(("data", "grad", "|grad|"))]
    assert shown[:len(lines)] == lines
    assert texts.count(lines[0]) == 2  # x and y both


def test_a_tooltip_with_odd_characters_renders(no_dot_on_path: Path) -> None:
    # A dotted label becomes a cluster and a short name; the full label is the tooltip.
    w = Value(0.5, "layers.0.w.1")
    y = w * 2.0
    svg = draw_dot(y).pipe(format="svg", encoding="utf-8")
    assert 'xlink:title="layers.0.w.1"' in svg


def test_render_without_a_name_writes_graph_gv_svg(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    x = Value(2.0, "x")
    written = draw_dot(x * x).render()
    assert written == "graph.gv.svg"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.gv", "graph.gv.svg"]
    assert (tmp_path / "graph.gv.svg").read_text().lstrip().startswith("<?xml")
    # A name given is kept.
    assert draw_dot(x * x).render("mine") == "mine.svg"


def test_compact_pictures_stack_each_values_fields_and_use_one_label_size() -> None:
    a, b = Value(2.0, "a"), Value(3.0, "b")
    y = a / b
    y.label = "y"
    wide, narrow = draw_dot(y), draw_dot(y, compact=True)
    assert "{ a | data 2 | grad 0 }" in wide.source
    assert '"a | data 2 | grad 0"' in narrow.source  # under LR, no braces: stacked
    assert re.findall(r"fontsize=(\d+)", wide.source).count("9") > 0
    assert set(re.findall(r"fontsize=(\d+)", narrow.source)) == {"11"}
    width = [float(re.search(r'<svg width="([\d.]+)pt', g.pipe(format="svg", encoding="utf-8"))[1])
             for g in (wide, narrow)]
    assert width[1] < 0.8 * width[0]
