"""autograd_tiny.compile: generated forward and backward, bitwise the interpreter's, or a clean
refusal; guards re-trace when the data takes another path."""

from __future__ import annotations

import math
import random

import pytest
from compile_support import examples, same
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd_tiny import (
    Compiled,
    TraceError,
    Value,
    compile,
    detect_anomaly,
    no_grad,
)
from autograd_tiny.ops import OPS
from autograd_tiny.testing import Graph, call, graphs, op_inputs


def interpret(f, xs, argnums=None, seed=1.0):
    """What the engine gives: (value, grads), or (exception type, message)."""
    vs = [Value(x) for x in xs]
    try:
        out = f(*vs)
        root = out[0] if isinstance(out, tuple) else out
        root.backward(seed)
    except (ArithmeticError, ValueError) as e:
        return type(e), str(e)
    picked = range(len(xs)) if argnums is None else argnums
    return root.data, tuple(vs[i].grad for i in picked)


def compiled_result(c: Compiled, xs, seed=1.0):
    try:
        return c.value_and_grad(*xs, seed=seed)
    except (ArithmeticError, ValueError) as e:
        return type(e), str(e)


def assert_same(got, expected):
    if isinstance(expected[0], type):
        assert got == expected
        return
    assert same(got[0], expected[0]), (got, expected)
    assert len(got[1]) == len(expected[1])
    assert all(same(a, b) for a, b in zip(got[1], expected[1], strict=True)), (got, expected)


def neuron(x1, x2):
    w1, w2, b = Value(-3.0, "w1"), Value(1.0, "w2"), Value(6.8813735870195432, "b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def test_source_is_the_chain_rule_written_out():
    c = compile(neuron, [2.0, 0.0])
    src = c.source
    # forward: one line per node, generated names with the label in a comment; backward from
    # the op table's formulas
    assert "v6 = tanh(v5)  # o" in src
    assert "g5 += (1 - v6**2) * g6" in src
    assert "if g6:" in src
    assert "g0 += -3.0 * " in src  # d(x1 * w1)/dx1 = w1, the constant written in
    assert "for v0, v1 in rows:  # x1, x2" in src  # f's argument names in a comment
    forward = src.split("# forward")[1].split("if not backward")[0].strip().splitlines()
    graph_ops = 0
    stack, seen = [neuron(Value(2.0), Value(0.0))], set()
    while stack:
        v = stack.pop()
        if id(v) not in seen:
            seen.add(id(v))
            graph_ops += bool(v.children)
            stack.extend(v.children)
    assert len(forward) == graph_ops
    value, grads = c.value_and_grad(2.0, 0.0)
    assert_same((value, grads), interpret(neuron, [2.0, 0.0]))
    assert f"{value:.4f}" == "0.7071" and f"{grads[0]:.4f}" == "-1.5000"


def test_call_returns_the_value_and_carried_outputs():
    c = compile(lambda a, b: (a * b, a + b), [2.0, 3.0], argnums=1)
    assert c(2.0, 3.0) == (6.0, 5.0)
    assert c.value_and_grad(4.0, 5.0) == ((20.0, 9.0), (4.0,))
    with pytest.raises(TypeError, match="takes 2 inputs, got 1"):
        c(1.0)
    with pytest.raises(TypeError, match="takes 2 inputs, got 3 in row 1"):
        c.accumulate([(1.0, 2.0), (1.0, 2.0, 3.0)])
    with pytest.raises(ValueError, match="argnums"):
        compile(lambda a: a, [1.0], argnums=3)
    with pytest.raises(TypeError, match="must return a Value"):
        compile(lambda a: 3.0, [1.0])


def _op_function(op):
    if op.name == "leaky_relu":  # the slope is a number, not an input
        return lambda x: x.leaky_relu(0.05)
    return lambda *xs: call(op, list(xs))


def _points(op):
    """Operands on both sides of each kink and at it, and a spread over the domain."""
    arity = op.arity if op.arity >= 0 else 3
    lo, hi = (op.domain.ranges[0] if op.domain else (-3.0, 3.0))
    points = [lo, hi, (lo + hi) / 2, lo + 0.3 * (hi - lo)]
    for k in (op.domain.kinks if op.domain else ()):
        points += [k - 0.5, k - 1e-9, k, k + 1e-9, k + 0.5, -0.0]
    rng = random.Random(op.name)
    rows = []
    for p in points:
        row = [p] + [rng.uniform(0.1, 2.0) for _ in range(arity - 1)]
        rows.append(row[:1] if op.name == "leaky_relu" else row)
    return rows


@pytest.mark.parametrize("name", list(OPS))
def test_every_op_compiled_on_one_side_of_its_kink_agrees_on_the_other(name):
    op = OPS[name]
    rows = _points(op)
    f = _op_function(op)
    for at in (rows[0], rows[-1]):
        c = compile(f, at)
        for row in rows:
            assert_same(compiled_result(c, row), interpret(f, row))


def _branchy(g: Graph, threshold: float):
    """g's graph followed by data-dependent Python: a branch, a max and a clamp."""

    def f(*xs):
        out = g.f(*xs)
        if out > threshold:
            out = out * xs[0] + 1.0
        else:
            out = (out - threshold).tanh()
        top = max(out, xs[-1])  # comparisons inside max
        return top * out if abs(out) < 10.0 else out

    return f


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(g=graphs(max_nodes=12), threshold=st.floats(-2.0, 2.0),
       moves=st.lists(st.floats(-3.0, 3.0), min_size=1, max_size=4),
       branch=st.booleans())
def test_random_graphs_compiled_at_one_point_agree_everywhere(g, threshold, moves, branch):
    f = _branchy(g, threshold) if branch else g.f
    try:
        c = compile(f, g.inputs)
    except TraceError:  # pragma: no cover - the strategies' graphs never read .data
        pytest.fail("a graph of ops was refused")
    points = [g.inputs, tuple(-x for x in g.inputs)]
    points += [tuple(x + m for x in g.inputs) for m in moves]
    points += [tuple(x * m for x in g.inputs) for m in moves]
    for xs in points:
        assert_same(compiled_result(c, xs), interpret(f, xs))
    assert_same(compiled_result(c, g.inputs, seed=-2.5), interpret(f, g.inputs, seed=-2.5))


@settings(max_examples=50, deadline=None)
@given(xs=op_inputs("relu", n=1), ys=st.lists(st.floats(-5, 5), min_size=1, max_size=20))
def test_guards_retrace_and_cache_each_path(xs, ys):
    def f(x):
        return x * 2.0 if x > 0 else x.exp()

    c = compile(f, list(xs))
    for y in ys:
        assert_same(compiled_result(c, [y]), interpret(f, [y]))
    assert len(c.traces) <= 2
    assert c.interpreted == 0


def test_guard_sources_name_the_line_and_paths_are_counted():
    def f(x):
        return x * 2.0 if x > 0 else x.exp()

    c = compile(f, [1.0], max_traces=1)
    assert "if not (v0 > 0.0):  # guard, " in c.source and "test_compile.py" in c.source
    assert [(g.op, g.outcome) for g in c.guards] == [(">", True)]
    assert c.value_and_grad(-1.0) == (math.exp(-1.0), (math.exp(-1.0),))
    assert len(c.traces) == 1 and c.interpreted == 1  # over max_traces: the interpreter ran


@pytest.mark.parametrize("body, what", [
    (lambda x: x * x.data, "reads .data"),
    (lambda x: x * math.exp(x), "calls float()"),
    (lambda x: x * float(x), "calls float()"),
])
def test_data_reads_refuse_with_the_line(body, what):
    with pytest.raises(TraceError, match=what) as info:
        compile(body, [1.5])
    assert "test_compile.py:" in str(info.value)


def test_no_grad_and_setting_data_inside_refuse():
    def under_no_grad(x):
        with no_grad():
            y = x * 2.0
        return x * y

    with pytest.raises(TraceError, match="no_grad"):
        compile(under_no_grad, [1.0])

    def sets(x):
        x.data = 3.0
        return x

    with pytest.raises(TraceError, match="sets .data"):
        compile(sets, [1.0])


def test_refusal_is_raised_even_if_the_function_swallows_it():
    def swallow(x):
        try:
            _ = x.data
        except Exception:
            pass
        return x * 2.0

    with pytest.raises(TraceError, match="reads .data"):
        compile(swallow, [1.0])


def test_a_value_computed_outside_is_refused():
    w = Value(2.0)
    h = w * 3.0

    with pytest.raises(TraceError, match="computed outside"):
        compile(lambda x: x * h, [1.0])


def test_captured_constants_are_checked_and_params_are_read_live():
    k = Value(2.0, "k")
    w = Value(0.5, "w")
    c = compile(lambda x: (x * k + w).tanh(), [1.0], params=[w])
    assert "w" in c.source and "2.0" in c.source  # k written in as a constant, w a parameter
    for step in range(3):
        w.data += 0.25
        if step == 1:
            k.data = -1.0  # a changed constant: traced again, not silently stale
        w.grad = 0.125
        got = c.value_and_grad(0.75)
        grad_after = w.grad
        assert k.grad == 0.0  # a constant's grad is left alone
        w.grad = 0.125
        x = Value(0.75)
        out = (x * k + w).tanh()
        out.backward()
        assert same(got[0], out.data) and same(got[1][0], x.grad)
        assert same(grad_after, w.grad)  # accumulated onto 0.125 exactly as backward() does
        k.grad = 0.0
    # traced again at the change; the trace made with the old constant is dropped
    assert len(c.traces) == 1 and "-1.0" in c.source


def test_accumulate_runs_rows_like_repeated_backward():
    w = [Value(0.3, "w0"), Value(-0.7, "w1")]

    def f(x0, x1):
        return (w[0] * x0 + w[1] * x1).relu()

    rows = [(1.0, 2.0), (-1.0, 0.5), (0.25, -3.0), (2.0, 2.0)]
    c = compile(f, rows[0], params=w)
    out = c.accumulate(rows, seed=0.25)
    got = [p.grad for p in w]
    for p in w:
        p.grad = 0.0
    values = []
    for row in rows:
        o = f(*[Value(x) for x in row])
        o.backward(0.25)
        values.append(o.data)
    assert [r[0] for r in out] == values
    assert got == [p.grad for p in w]


def test_errors_are_the_interpreters():
    f = lambda x: (x - 1.0).log() * x  # noqa: E731
    c = compile(f, [3.0])
    assert_same(compiled_result(c, [0.5]), interpret(f, [0.5]))
    assert compiled_result(c, [0.5])[0] is ValueError
    g = lambda x: x.sqrt()  # noqa: E731
    c = compile(g, [4.0])
    assert compiled_result(c, [0.0])[0] is ZeroDivisionError  # infinite slope, as backward()


def test_detect_anomaly_runs_the_interpreter():
    c = compile(lambda x: x * 1e308, [1.0])
    assert c(10.0) == math.inf
    with detect_anomaly(), pytest.raises(FloatingPointError, match="inf"):
        c(10.0)


def test_pow_with_a_value_exponent_guards_the_sign_of_its_base():
    f = lambda a, b: a ** b  # noqa: E731
    c = compile(f, [2.0, 2.0])
    assert_same(compiled_result(c, [-2.0, 2.0]), interpret(f, [-2.0, 2.0]))
    assert compiled_result(c, [-2.0, 2.0])[0] is ValueError


@pytest.mark.parametrize("n", [3, 1000])
def test_fused_nodes_of_any_width_compile_and_agree(n):
    rng = random.Random(n)
    xs = [rng.uniform(-1.0, 1.0) for _ in range(2 * n + 1)]

    def f(*vs):
        return Value.sum([Value.dot(vs[:n], vs[n:2 * n], vs[-1]).relu(), *vs[:n]])

    c = compile(f, xs)
    assert_same(compiled_result(c, xs), interpret(f, xs))


def test_a_partial_that_raises_in_a_branch_not_differentiated_still_raises():
    f = lambda x, y: x.sqrt() * y  # noqa: E731
    c = compile(f, [4.0, 3.0], argnums=1)  # d/dy only, yet backward() evaluates sqrt's partial
    assert "0.5 / " in c.source
    assert_same(compiled_result(c, [4.0, 3.0]), interpret(f, [4.0, 3.0], argnums=[1]))
    assert compiled_result(c, [0.0, 3.0]) == interpret(f, [0.0, 3.0], argnums=[1])
    assert compiled_result(c, [0.0, 3.0])[0] is ZeroDivisionError


def test_a_written_out_forward_that_differs_on_a_special_value_is_not_used():
    """relu written as ``x if x > 0.0 else 0.0`` maps -0.0 and NaN to 0.0, where the op's
    forward passes them through: every special value is checked, not a random draw of them."""
    from autograd_tiny.codegen import _form_ok

    assert not _form_ok("relu", lambda a: f"({a[0]} if {a[0]} > 0.0 else 0.0)")
    assert _form_ok("relu", lambda a: f"(0.0 if {a[0]} < 0.0 else {a[0]})")
