"""One naming in text and pictures, short parameter names, neuron order, the model summary."""

from __future__ import annotations

import re

import pytest

import nn
from autograd_tiny import Value, backprop_steps, draw_dot
from autograd_tiny.draw import draw_model, node_names, short_name
from autograd_tiny.engine import toposort


def test_draw_dot_names_unlabelled_nodes_as_the_step_through_text_does() -> None:
    a, b, c = Value(2.0, "a"), Value(-3.0, "b"), Value(10.0, "c")
    L = (a * b + c).tanh()
    src = draw_dot(L).source
    text = str(backprop_steps(L))
    for v, name in node_names(toposort(L)).items():
        assert f"{{ {name} | data" in src
        if not v.label:
            assert re.fullmatch(r"n\d+", name)
            assert name in text  # the step-through's text names it the same way


def test_names_override_the_default_names() -> None:
    x = Value(1.0, "x")
    y = x * 2.0
    assert "{ hidden | data 2" in draw_dot(y, names={y: "hidden"}).source


def test_short_names_of_module_paths() -> None:
    assert short_name("layers.0.neurons.3.w.1") == "L0.N3.w1"
    assert short_name("layers.12.neurons.0.b") == "L12.N0.b"
    assert short_name("encoder.fc1.weight") == "encoder.fc1.weight"
    assert short_name("x.0") == "x.0"
    assert short_name("out") == "out"


def _text_positions(svg: str, pattern: str) -> dict[str, float]:
    """y of each <text> matching ``pattern`` (the first one wins)."""
    found: dict[str, float] = {}
    for y, text in re.findall(r'<text[^>]* y="([-\d.]+)"[^>]*>([^<]*)</text>', svg):
        if re.fullmatch(pattern, text) and text not in found:
            found[text] = float(y)
    return found


def test_mlp_neurons_are_drawn_0_1_2_top_to_bottom() -> None:
    model = nn.MLP(2, [4, 3, 1], seed=1)
    out = model([0.5, -1.0])
    assert isinstance(out, Value)
    out.backward()
    svg = draw_dot(out).pipe(format="svg", encoding="utf-8")
    clusters = _text_positions(svg, r"neurons\.\d+")
    assert len(clusters) == 4
    for layer in ("L0", "L1"):
        ys = _text_positions(svg, rf"{layer}\.N\d\.w0")
        ordered = [ys[k] for k in sorted(ys, key=lambda k: int(k.split(".")[1][1:]))]
        assert ordered == sorted(ordered), (layer, ys)
        assert len(ordered) == (4 if layer == "L0" else 3)


@pytest.mark.parametrize("loss", [True, False], ids=["loss", "output"])
@pytest.mark.parametrize("sizes", [[4, 4, 1], [3, 2, 1], [8, 8, 1], [4, 3, 2]])
def test_neurons_are_drawn_in_order_in_a_loss_graph(sizes: list[int], loss: bool) -> None:
    # One sample with a squared loss (the networks the notebooks train): neuron clusters
    # came out 3, 2, 1, 0 here. And a network's own output (or the sum of its outputs).
    model = nn.MLP(2, sizes, seed=0)
    out = model([0.5, -1.0])
    root = out[0] + out[1] if isinstance(out, list) else out
    if loss:
        root = (root - 1.0) ** 2
    svg = draw_dot(root, max_nodes=1000).pipe(format="svg", encoding="utf-8")
    labels = re.findall(r'<text[^>]* y="([-\d.]+)"[^>]*>(layers\.\d+|neurons\.\d+)</text>', svg)
    by_layer: dict[str, list[tuple[float, int]]] = {}
    layer = ""
    for y, text in sorted(labels, key=lambda t: float(t[0])):
        if text.startswith("layers."):
            layer = text
        else:
            by_layer.setdefault(layer, []).append((float(y), int(text.split(".")[1])))
    assert [len(v) for v in by_layer.values()] == sizes
    for layer, neurons in by_layer.items():
        assert [k for _, k in neurons] == list(range(len(neurons))), (layer, neurons)


def test_draw_dot_of_a_model_is_one_row_per_neuron_with_gradient_norms() -> None:
    model = nn.MLP(2, [16, 16, 1], seed=1337)
    score = model([1.0, -0.5])
    assert isinstance(score, Value)
    score.backward()
    g = draw_dot(model)
    src = g.source
    assert src == draw_model(model).source
    assert src.count("<tr>") == 3 * 2 + 16 + 16 + 1  # a title and a header row per layer
    neuron = model.layers[1].neurons[5]
    norm = sum(p.grad ** 2 for p in neuron.parameters()) ** 0.5
    row = re.search(r"L1\.N5</td><td>17</td><td>[^<]+</td><td[^>]*>([^<]+)</td>", src)
    assert row and row.group(1) == f"{norm + 0.0:.4g}"
    assert src.index(">L0.N2<") < src.index(">L0.N10<")  # rows in neuron order
    assert "m0 -> m1" in src and "m1 -> m2" in src
    assert b"<svg" in g.pipe(format="svg")


def test_draw_model_rejects_what_it_cannot_draw() -> None:
    class Empty:
        def named_parameters(self) -> list[tuple[str, Value]]:
            return []

    class Floats:
        def named_parameters(self) -> list[tuple[str, float]]:
            return [("w", 1.0)]

    with pytest.raises(ValueError, match="no parameters"):
        draw_model(Empty())
    with pytest.raises(TypeError, match="'w' is a float"):
        draw_model(Floats())
    with pytest.raises(ValueError, match="rankdir"):
        draw_model(nn.MLP(2, [1], seed=0), rankdir="XY")


def test_too_big_graph_error_points_to_the_model_view() -> None:
    model = nn.MLP(2, [16, 16, 1], seed=0)
    out = model([1.0, 2.0])
    assert isinstance(out, Value)
    with pytest.raises(ValueError, match=r"draw_dot\(model\)"):
        draw_dot(out, max_nodes=100)


def test_step_text_and_its_picture_name_parameters_alike() -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    out = model([1.0, 2.0])
    assert isinstance(out, Value)
    step = backprop_steps(out)[0]
    text, src = step.explain(), step.graph().source
    for name, p in model.named_parameters():
        if p in step.node.children:
            short = short_name(name)
            assert short != name
            assert f"{short}.grad +=" in text
            assert f"{{ {short} | data" in src
            assert name not in text  # the full path is the picture's tooltip, not the text
