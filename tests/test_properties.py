"""Property tests: backward agrees with central differences on every op of the table and on
random graphs, to first and second order; the strategies keep their promises."""

from __future__ import annotations

import math
import subprocess
import sys
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_tiny import Value, gradcheck
from autograd_tiny.engine import toposort
from autograd_tiny.ops import ANY_RANGE, OPS
from autograd_tiny.testing import (
    MAX_VALUE,
    Graph,
    allowed_intervals,
    floats_away_from,
    graphs,
    op_inputs,
)
from autograd_tiny.value import apply

MARGIN = 0.1


def constraints(op_name: str, i: int) -> tuple[float, float, tuple[float, ...]]:
    """Range and points to avoid for operand i, read straight from the table's Domain."""
    domain = OPS[op_name].domain
    if domain is None:
        return ANY_RANGE[0], ANY_RANGE[1], ()
    lo, hi = domain.ranges[min(i, len(domain.ranges) - 1)]
    return lo, hi, domain.kinks + domain.poles


def in_domain(op_name: str, i: int, x: float, margin: float = MARGIN) -> bool:
    lo, hi, points = constraints(op_name, i)
    return lo <= x <= hi and all(abs(x - p) >= margin for p in points)


# Every op of the table, every partial of its rule (leaky_relu's slope included), first and
# second derivatives: a new op is covered the moment it is added.
@pytest.mark.parametrize("name", list(OPS))
@given(data=st.data())
def test_gradcheck_passes_on_every_op(name: str, data: st.DataObject) -> None:
    op = OPS[name]
    xs = data.draw(op_inputs(op), label="inputs")
    assert gradcheck(lambda *vs: apply(op, vs), xs, order=2)


@given(graphs(max_nodes=30))
def test_first_and_second_derivatives_pass_on_random_graphs(g: Graph) -> None:
    assert gradcheck(g.f, g.inputs, order=2)


# The user-style property test, as in the README.
def softsign(x: Value) -> Value:  # your own function; |x| makes a kink at 0
    return x / (1 + abs(x))


@given(floats_away_from([0.0], margin=0.1, min_value=-10.0, max_value=10.0))
def test_softsign_gradients(x: float) -> None:
    assert gradcheck(softsign, [x], order=2)


# What the strategies promise.
@given(graphs())
def test_every_node_of_a_graph_is_inside_its_ops_domain(g: Graph) -> None:
    out = g.f(*[Value(x) for x in g.inputs])
    for node in toposort(out):
        assert math.isfinite(node.data) and abs(node.data) <= MAX_VALUE
        for i, child in enumerate(node.children):
            assert in_domain(node.op, i, child.data), (node.op, i, child.data, str(g))


@given(graphs(max_nodes=12))
def test_every_input_and_every_drawn_node_feeds_the_output(g: Graph) -> None:
    assert g.inputs
    leaves = [Value(x) for x in g.inputs]
    reached = set(toposort(g.f(*leaves)))
    assert all(leaf in reached for leaf in leaves)
    drawn = g.description.count(" = ")
    assert sum(1 for node in reached if node.children) >= drawn


@given(graphs(max_nodes=12))
def test_a_graph_has_at_most_max_nodes_ops_and_its_description_is_its_code(g: Graph) -> None:
    leaves = [Value(x) for x in g.inputs]
    out = g.f(*leaves)
    assert sum(1 for node in toposort(out) if node.children) <= 12
    namespace: dict[str, object] = {"Value": Value}
    exec(g.description, namespace)
    again = namespace["f"](*[Value(x) for x in g.inputs])  # type: ignore[operator]
    assert again.data == out.data
    assert g.description in str(g) and repr(g.inputs) in repr(g)


@given(graphs(ops=["log", "sqrt", "/", "relu"], max_nodes=10))
def test_graphs_use_only_the_ops_asked_for(g: Graph) -> None:
    out = g.f(*[Value(x) for x in g.inputs])
    assert {node.op for node in toposort(out)} <= {"", "log", "sqrt", "/", "relu"}
    assert gradcheck(g.f, g.inputs, order=2)


@pytest.mark.parametrize("name", list(OPS))
@given(data=st.data())
def test_op_inputs_are_inside_the_domain(name: str, data: st.DataObject) -> None:
    xs = data.draw(op_inputs(name))
    assert xs and (len(xs) == OPS[name].arity or OPS[name].arity < 0)
    assert all(in_domain(name, i, x) for i, x in enumerate(xs))


def too_close(x: float, points: list[float], margin: float) -> bool:
    """Closer than the margin to a point, in exact arithmetic."""
    return any(abs(Fraction(x) - Fraction(p)) < Fraction(margin) for p in points)


@given(points=st.lists(st.floats(-5, 5), max_size=4), margin=st.floats(0, 2),
       bounds=st.tuples(st.floats(-5, 5), st.floats(-5, 5)).map(sorted), data=st.data())
def test_floats_away_from_keeps_the_margin_or_says_none_is_left(
        points: list[float], margin: float, bounds: list[float], data: st.DataObject) -> None:
    lo, hi = bounds
    try:
        strategy = floats_away_from(points, margin, lo, hi)
    except ValueError:
        # Nothing is left: the range's ends and the floats around each point +- margin (where
        # an allowed interval would start or end) are all too close to some point.
        edges = [math.nextafter(p + s * margin, s * k * math.inf)
                 for p in points for s in (-1, 1) for k in (-1, 1)]
        edges += [p + s * margin for p in points for s in (-1, 1)]
        assert all(too_close(e, points, margin) for e in [lo, hi, *edges] if lo <= e <= hi)
        return
    x = data.draw(strategy)
    assert lo <= x <= hi and not too_close(x, points, margin)


def test_floats_away_from_builds_the_intervals_directly() -> None:
    assert allowed_intervals([0.0], 0.5, -1.0, 1.0) == [(-1.0, -0.5), (0.5, 1.0)]
    assert allowed_intervals([-1.0, 1.0], 0.25, -2.0, 2.0) == [
        (-2.0, -1.25), (-0.75, 0.75), (1.25, 2.0)]
    assert allowed_intervals(7.0, 0.5, -1.0, 1.0) == [(-1.0, 1.0)]
    assert allowed_intervals([0.0], 0.0, -1.0, 1.0) == [(-1.0, 0.0), (0.0, 1.0)]
    assert allowed_intervals([], 0.1, 0.0, -0.0) == [(0.0, 0.0)]
    # 1 - 1e-300 rounds to 1.0, but is closer to 1.0 than 1.0: the edge is exact.
    with pytest.raises(ValueError, match="no float"):
        floats_away_from([1.0], 1.0, 1e-300, 1.0)


# Bad input to the strategies.
@pytest.mark.parametrize("args, match", [
    (([0.0], 5.0), "no float in \\[-3.0, 3.0\\] is at least 5.0 away"),
    (([-1.0, 1.0], 1.5, -2.0, 2.0), "no float"),
    (([0.0], -0.1), "margin must be >= 0"),
    (([0.0], 0.1, 1.0, -1.0), "greater than max_value"),
    (([math.nan], 0.1), "point must be finite"),
    (([0.0], math.inf), "margin must be finite"),
])
def test_floats_away_from_refuses_impossible_margins(args: tuple, match: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match=match):
        floats_away_from(*args)


def test_floats_away_from_refuses_non_numbers() -> None:
    with pytest.raises(TypeError, match="point must be a real number, got str"):
        floats_away_from(["0"], 0.1)  # type: ignore[list-item]


def test_graphs_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="at least one op"):
        graphs(ops=[])
    with pytest.raises(ValueError, match="unknown op 'nope'"):
        graphs(ops=["nope"])
    with pytest.raises(ValueError, match="no float"):
        graphs(ops=["relu"], margin=10.0)
    with pytest.raises(ValueError, match="max_nodes"):
        graphs(max_nodes=0)
    with pytest.raises(ValueError, match="max_inputs"):
        graphs(max_inputs=0)


def test_op_inputs_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown op"):
        op_inputs("nope")
    with pytest.raises(ValueError, match="takes 1 operands, not 3"):
        op_inputs("log", n=3)
    with pytest.raises(ValueError, match="at least one operand"):
        op_inputs("sum", n=0)
    with pytest.raises(ValueError, match="no float"):
        op_inputs("relu", margin=4.0)


def test_importing_the_engine_does_not_import_hypothesis() -> None:
    code = ("import sys, autograd_tiny, autograd_tiny.gradcheck; "
            "assert 'hypothesis' not in sys.modules, 'hypothesis was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
