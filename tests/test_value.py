"""The Value engine: operators, semantics of backward, errors, modes and memory."""

from __future__ import annotations

import gc
import math
import threading
import weakref
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings

from autograd_tiny import Value, detect_anomaly, no_grad
from autograd_tiny.engine import toposort
from autograd_tiny.ops import OPS
from autograd_tiny.testing import Graph, graphs


def test_micrograd_readme_expression() -> None:
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert round(g.data, 4) == 24.7041
    assert round(a.grad, 4) == 138.8338
    assert round(b.grad, 4) == 645.5773


def test_reused_node_keeps_both_children_and_gets_both_contributions() -> None:
    x = Value(3.0)
    y = x * x
    assert y.children == (x, x)
    y.backward()
    assert x.grad == 6.0


def test_leaf_grads_accumulate_and_non_leaf_grads_reset() -> None:
    a = Value(1)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0
    assert b.grad == 2.0
    c.backward()
    assert a.grad == 8.0
    assert b.grad == 2.0


def test_backward_seed_and_leaf_root() -> None:
    x = Value(2.0)
    y = x * 3
    y.backward(0.5)
    assert x.grad == 1.5
    x.backward()
    assert x.grad == 2.5


def test_million_node_chain_without_recursion_error() -> None:
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = -y
    assert len(toposort(y)) == 1_000_001
    y.backward()
    assert x.grad == 1.0


def test_deep_tanh_chain_gradient() -> None:
    x = Value(0.1)
    y = x
    for _ in range(20_000):
        y = (y * 1.0001 + 0.1).tanh()
    y.backward()
    # Each link multiplies the gradient by 1.0001 * (1 - out**2); recompute by hand.
    expected, out = 1.0, 0.1
    for _ in range(20_000):
        out = math.tanh(out * 1.0001 + 0.1)
        expected *= 1.0001 * (1.0 - out * out)
    assert y.data == out
    assert x.grad == pytest.approx(expected, rel=1e-9)


def test_graph_is_freed_by_reference_counting_alone() -> None:
    gc.disable()
    try:
        x = Value(1.0)
        y = x
        for _ in range(100):
            y = (y * 2.0).tanh() + x
        y.backward()
        refs = [weakref.ref(node) for node in toposort(y)]
        del x, y
        assert all(r() is None for r in refs)
    finally:
        gc.enable()


def test_create_graph_grads_are_freed_once_cleared() -> None:
    # A grad built with create_graph=True refers back to the graph (tanh's rule uses its own
    # output), as in PyTorch; clearing the grads breaks that link.
    gc.disable()
    try:
        x = Value(1.0)
        y = (x * 2.0).tanh() * x
        y.backward(create_graph=True)
        order = toposort(y)
        refs = [weakref.ref(node) for node in order]
        for node in order:
            node.grad = 0.0
        del x, y, order, node
        assert all(r() is None for r in refs)
    finally:
        gc.enable()


def test_children_order_and_op_names() -> None:
    a, b = Value(2.0, "a"), Value(3.0, "b")
    assert (a - b).op == "+"
    assert (a - b).children[0] is a
    assert (a / b).op == "/"
    assert (a**b).children == (a, b)
    assert (-a).op == "-"
    assert a.op == "" and a.children == ()
    assert abs(a).op == "abs" and a.abs().op == "abs"
    assert a.leaky_relu().children[1].data == 0.01


@pytest.mark.parametrize("number", [2, 2.0, np.float64(2.0), np.int64(2), np.float32(2.0),
                                    Fraction(2), True])
def test_real_numbers_are_stored_as_float(number: object) -> None:
    v = Value(number)  # type: ignore[arg-type]
    assert type(v.data) is float
    assert v.data == float(number)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["abc", None, [1.0], 1j, (1.0,), {"x": 1}, Value(1.0)])
def test_non_numbers_are_a_type_error_naming_the_type(bad: object) -> None:
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)  # type: ignore[arg-type]


def test_operators_with_bad_operands_are_type_errors() -> None:
    x = Value(1.0)
    with pytest.raises(TypeError, match="str"):
        x + "x"  # type: ignore[operator]
    with pytest.raises(TypeError, match="Value"):
        "x" * x  # type: ignore[operator]
    with pytest.raises(TypeError):
        x + 1j  # type: ignore[operator]
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)  # type: ignore[arg-type]


def test_reflected_operators() -> None:
    x = Value(4.0)
    assert (2 + x).data == 6.0
    assert (2 - x).data == -2.0
    assert (2 * x).data == 8.0
    assert (2 / x).data == 0.5
    assert (2**x).data == 16.0
    assert (x**0.5).data == 2.0
    y = 2**x
    y.backward()
    assert x.grad == pytest.approx(16.0 * math.log(2.0))


def test_value_exponent_gradient() -> None:
    a, b = Value(2.0), Value(3.0)
    y = a**b
    y.backward()
    assert a.grad == 12.0
    assert b.grad == pytest.approx(8.0 * math.log(2.0))


def test_constant_exponent_with_negative_base() -> None:
    x = Value(-3.0)
    y = x**2
    y.backward()
    assert y.data == 9.0 and x.grad == -6.0
    z = Value(0.0) ** 0
    z.backward()
    assert z.data == 1.0


@pytest.mark.parametrize(
    ("build", "error", "words"),
    [
        (lambda: Value(0.0, "x").log(), ValueError, ["log", "x = 0.0"]),
        (lambda: Value(-1.0, "x").log(), ValueError, ["log", "x = -1.0"]),
        (lambda: Value(-1.0, "x").sqrt(), ValueError, ["sqrt", "x = -1.0"]),
        (lambda: Value(-2.0, "a") ** Value(2.0, "b"), ValueError, ["**", "a = -2.0", "b = 2.0"]),
        (lambda: Value(-8.0, "a") ** (1 / 3), ValueError, ["**", "a = -8.0"]),
        (lambda: Value(1.0, "x") / 0, ZeroDivisionError, ["/", "x = 1.0", "0.0"]),
        (lambda: Value(1.0, "x") / Value(0.0, "y"), ZeroDivisionError, ["/", "y = 0.0"]),
        (lambda: Value(0.0, "x") ** -1, ZeroDivisionError, ["**", "x = 0.0", "-1.0"]),
        (lambda: 0 ** Value(-1.0, "e"), ZeroDivisionError, ["**", "e = -1.0"]),
        (lambda: Value(1000.0, "x").exp(), OverflowError, ["exp", "x = 1000.0"]),
    ],
)
def test_bad_math_raises_at_the_op_naming_op_and_operands(build, error, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error) as info:
        build()
    for word in words:
        assert word in str(info.value)


def test_bad_math_leaves_the_graph_as_it_was() -> None:
    x = Value(-1.0, "x")
    y = x * 2.0
    y.backward()
    before = (x.grad, y.grad, y.children)
    with pytest.raises(ValueError):
        y.log()
    assert (x.grad, y.grad, y.children) == before


@pytest.mark.parametrize("name", ["sigmoid", "softplus", "tanh"])
def test_stable_functions_at_large_inputs(name: str) -> None:
    limits = {"sigmoid": (1.0, 0.0), "softplus": (1000.0, 0.0), "tanh": (1.0, -1.0)}
    high, low = limits[name]
    for x, expected in ((1000.0, high), (-1000.0, low)):
        v = Value(x)
        out = getattr(v, name)()
        out.backward()
        assert out.data == expected
        assert math.isfinite(v.grad)


def test_kink_conventions() -> None:
    for build, expected in (
        (lambda v: v.relu(), 0.0),
        (lambda v: abs(v), 0.0),
        (lambda v: v.leaky_relu(0.1), 0.1),
        (lambda v: v.leaky_relu(), 0.01),
    ):
        x = Value(0.0)
        build(x).backward()
        assert x.grad == expected


def test_comparisons_use_data_and_equality_is_identity() -> None:
    a, b = Value(1.0), Value(2.0)
    assert a < b and a <= b and b > a and b >= a
    assert a < 1.5 and a >= 1
    assert a != Value(1.0)
    assert a == a
    assert len({a, Value(1.0), a}) == 2
    assert {a: 1}[a] == 1


def test_float_and_repr() -> None:
    x = Value(2.5, "x")
    assert float(x) == 2.5
    assert repr(x) == "Value(data=2.5, grad=0.0, label='x')"
    assert repr(Value(1.0)) == "Value(data=1.0, grad=0.0)"


def test_fused_sum_and_dot_are_single_nodes() -> None:
    ws = [Value(float(i), f"w{i}") for i in range(1, 4)]
    xs = [Value(float(i) / 10) for i in range(1, 4)]
    b = Value(0.5, "b")
    d = Value.dot(ws, xs, b)
    assert d.op == "dot"
    assert d.children == (*ws, *xs, b)
    assert d.data == pytest.approx(1 * 0.1 + 2 * 0.2 + 3 * 0.3 + 0.5)
    d.backward()
    assert [w.grad for w in ws] == [x.data for x in xs]
    assert [x.grad for x in xs] == [w.data for w in ws]
    assert b.grad == 1.0
    s = Value.sum([*ws, 1.0])
    assert s.op == "sum" and len(s.children) == 4 and s.data == 7.0
    s.backward()
    assert ws[0].grad == 0.1 + 1.0
    assert Value.sum([]).data == 0.0
    assert Value.dot([2.0], [3.0]).data == 6.0
    with pytest.raises(ValueError, match="2 weights and 1 inputs"):
        Value.dot(ws[:2], xs[:1])
    with pytest.raises(TypeError, match="str"):
        Value.sum([ws[0], "x"])  # type: ignore[list-item]


def test_no_grad_records_no_graph_and_is_reentrant() -> None:
    x = Value(2.0)
    with no_grad():
        y = x * 3
        with no_grad():
            z = y + 1
        w = z * 2
    assert y.children == () and y.op == "" and w.children == ()
    assert len((x * 3).children) == 2

    @no_grad()
    def f(v: Value) -> Value:
        return v * v

    @no_grad
    def g(v: Value) -> Value:
        return v * v

    assert f(x).children == () and g(x).children == ()
    assert len((x * x).children) == 2


def test_no_grad_is_per_thread() -> None:
    seen: list[int] = []

    def other() -> None:
        seen.append(len((Value(1.0) * 2).children))

    with no_grad():
        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert (Value(1.0) * 2).children == ()
    assert seen == [2]


def test_detect_anomaly_forward_and_backward() -> None:
    big = Value(1e308, "big")
    assert math.isinf((big * 10).data)
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"\*.*big"):
        big * 10
    x = Value(0.0, "x")
    y = x.sqrt()
    with detect_anomaly(), pytest.raises(ZeroDivisionError, match="sqrt.*x = 0.0"):
        y.backward()
    n = Value(float("nan"), "n")
    with detect_anomaly(), pytest.raises(FloatingPointError, match="n = nan"):
        n + 1


def test_detect_anomaly_in_backward_names_op() -> None:
    x = Value(1.0, "x")
    z = x * 1e10
    z.backward(1e300)
    assert math.isinf(x.grad)
    z = x * 1e10
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"\*\(x = 1.0.*inf.*x"):
        z.backward(1e300)


def test_backward_rejects_bad_seed() -> None:
    with pytest.raises(TypeError, match="str"):
        Value(1.0).backward("one")  # type: ignore[arg-type]


def test_gradient_at_singular_point_names_op() -> None:
    x = Value(0.0, "x")
    with pytest.raises(ZeroDivisionError, match=r"backward through sqrt\(x = 0.0\)"):
        x.sqrt().backward()


def test_zero_gradient_passes_nothing_on_without_evaluating_rules() -> None:
    # relu'(0) = 0, so sqrt's infinite derivative at 0 is never multiplied in.
    x = Value(0.0, "x")
    x.sqrt().relu().backward()
    assert x.grad == 0.0
    a, b = Value(-2.0, "a"), Value(3.0, "b")
    off = (a * b).relu()
    on = (a + b).relu()
    (off + on).backward()
    assert (a.grad, b.grad) == (1.0, 1.0)


def test_micrograd_lecture_style_code_runs_as_is() -> None:
    # The graph walk from micrograd's lecture reads _prev and _op.
    def trace(root: Value) -> tuple[set[Value], set[tuple[Value, Value]]]:
        nodes: set[Value] = set()
        edges: set[tuple[Value, Value]] = set()

        def build(v: Value) -> None:
            if v not in nodes:
                nodes.add(v)
                for child in v._prev:
                    edges.add((child, v))
                    build(child)

        build(root)
        return nodes, edges

    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    d = c + a
    nodes, edges = trace(d)
    assert nodes == {a, b, c, d}
    assert edges == {(a, c), (b, c), (c, d), (a, d)}
    assert (d._op, c._op, a._op) == ("+", "*", "")


def test_an_op_with_a_partial_per_operand_missing_is_refused_naming_it() -> None:
    from autograd_tiny.ops import Op

    with pytest.raises(ValueError, match=r"op 'bad' takes 2 operands but has 2 operand names "
                                         r"and 1 partial derivatives"):
        Op("bad", 2, lambda a, b: a + b, ("1",))


def test_a_node_with_the_wrong_number_of_operands_fails_in_backward_naming_the_op() -> None:
    from autograd_tiny.value import apply

    x = Value(1.0, "x")
    y = apply(OPS["+"], (x, Value(2.0, "y")))
    y.children = (x,)
    with pytest.raises(TypeError, match=r"backward through \+\(x = 1.0\)"):
        y.backward()


def test_enable_grad_records_again_inside_no_grad() -> None:
    from autograd_tiny import enable_grad

    x = Value(2.0)
    with no_grad():
        with enable_grad():
            y = x * 3
        z = x * 3
    assert len(y.children) == 2 and z.children == ()


def test_backward_leaves_the_garbage_collector_as_it_was() -> None:
    # backward pauses the cyclic GC (it would only rescan the graph) and restores its state,
    # also when a derivative fails.
    x = Value(0.0, "x")
    try:
        for enabled in (True, False):
            gc.enable() if enabled else gc.disable()
            (x * 2.0).backward()
            assert gc.isenabled() is enabled
            with pytest.raises(ZeroDivisionError):
                x.sqrt().backward()
            assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_dot_adds_in_chained_order_with_one_rounding_per_addition():
    """b + w0*x0 + w1*x1 + ... exactly as chained ``+`` (micrograd's neuron) gives it, on every
    Python: sum() compensates its rounding from 3.12 on and would give 2.0 here."""
    ws, xs, b = [1e100, 1.0, -1e100], [1.0, 1.0, 1.0], 1.0
    chained = ((b + ws[0] * xs[0]) + ws[1] * xs[1]) + ws[2] * xs[2]
    assert chained == 0.0
    assert Value.dot(ws, xs, b).data == chained
    assert Value.dot([Value(w) for w in ws], [Value(x) for x in xs], Value(b)).data == chained


@settings(max_examples=60, deadline=None)
@given(graphs(max_nodes=25))
def test_one_walk_backward_visits_the_op_nodes_of_toposort_in_its_order(g: Graph) -> None:
    # backward, the step-through, the pictures and the code generator share engine.toposort;
    # without the leaves it must give the op nodes in the same order as with them.
    out = g.f(*[Value(x) for x in g.inputs])
    everything = toposort(out)
    assert toposort(out, leaves=False) == [node for node in everything if node.children]
    assert len(set(map(id, everything))) == len(everything)
    assert everything[-1] is out


def test_a_leaf_root_walks_to_itself_and_backward_seeds_it() -> None:
    x = Value(3.0)
    assert toposort(x) == [x] and toposort(x, leaves=False) == []
    x.backward()
    x.backward()
    assert x.grad == 2.0


@pytest.mark.parametrize("root", [3.0, None, "x", [Value(1.0)]])
def test_walking_something_that_is_not_a_value_names_its_type(root: object) -> None:
    from autograd_tiny import backprop_steps, forward_steps

    for walk in (toposort, backprop_steps, forward_steps):
        with pytest.raises(TypeError, match=f"Value.*, got {type(root).__name__}"):
            walk(root)  # type: ignore[arg-type]
