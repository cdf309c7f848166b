"""Every op's forward, in the table and through the public API, against an independent reference
written with ``math``. A new op without a reference (or without a public call) fails here."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_tiny import Value
from autograd_tiny.ops import OPS
from autograd_tiny.testing import op_inputs


def reference_dot(*xs: float) -> float:
    n = len(xs) // 2
    products = [w * x for w, x in zip(xs[:n], xs[n:2 * n], strict=True)]
    return math.fsum(products + ([xs[-1]] if len(xs) % 2 else []))


REFERENCE: dict[str, Callable[..., float]] = {
    "+": operator.add,
    "*": operator.mul,
    "/": operator.truediv,
    "**": math.pow,
    "-": operator.neg,
    "abs": math.fabs,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "tanh": math.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x)),
    "relu": lambda x: max(x, 0.0),
    "leaky_relu": lambda x, slope: x if x > 0.0 else slope * x,
    "softplus": lambda x: math.log1p(math.exp(x)),
    "sin": math.sin,
    "cos": math.cos,
    "sum": lambda *xs: math.fsum(xs),
    "dot": reference_dot,
}

# How a user reaches each op from Value.
PUBLIC: dict[str, Callable[..., Value]] = {
    "+": lambda a, b: a + b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a ** b,
    "-": lambda x: -x,
    "abs": abs,
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "sqrt": lambda x: x.sqrt(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
    "leaky_relu": lambda x, slope: x.leaky_relu(slope.data),
    "softplus": lambda x: x.softplus(),
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "sum": lambda *xs: Value.sum(xs),
    "dot": lambda *xs: Value.dot(xs[:len(xs) // 2], xs[len(xs) // 2:2 * (len(xs) // 2)],
                                 xs[-1] if len(xs) % 2 else None),
}


def test_every_op_has_a_reference_and_a_public_call() -> None:
    assert set(REFERENCE) == set(OPS), (
        f"missing references: {sorted(set(OPS) - set(REFERENCE))}, "
        f"stale: {sorted(set(REFERENCE) - set(OPS))}")
    assert set(PUBLIC) == set(OPS), (
        f"missing public calls: {sorted(set(OPS) - set(PUBLIC))}, "
        f"stale: {sorted(set(PUBLIC) - set(OPS))}")


def scale(name: str, xs: tuple[float, ...]) -> float:
    """The size of the terms a sum adds up: its rounding error is relative to them, not to the
    (possibly cancelled) result."""
    if name == "sum":
        return math.fsum(map(abs, xs))
    if name == "dot":
        return abs(reference_dot(*map(abs, xs)))
    return 0.0


def check_forward(name: str, xs: tuple[float, ...]) -> None:
    expected = REFERENCE[name](*xs)
    tolerance = 1e-12 * scale(name, xs) + 1e-300
    assert OPS[name].forward(*xs) == pytest.approx(expected, rel=1e-12, abs=tolerance)
    out = PUBLIC[name](*[Value(x) for x in xs])
    assert out.op == name
    assert out.data == pytest.approx(expected, rel=1e-12, abs=tolerance)
    assert len(out.children) == len(xs)


@pytest.mark.parametrize("name", list(OPS))
@given(data=st.data())
def test_forward_matches_math(name: str, data: st.DataObject) -> None:
    check_forward(name, data.draw(op_inputs(name), label="inputs"))


KINKS = [(name, kink) for name, op in OPS.items() if op.domain for kink in op.domain.kinks]


@pytest.mark.parametrize("name, kink", KINKS)
def test_forward_matches_math_at_the_kinks(name: str, kink: float) -> None:
    ranges = OPS[name].domain.ranges  # type: ignore[union-attr]
    check_forward(name, (kink,) + tuple((lo + hi) / 2 for lo, hi in ranges[1:]))


@pytest.mark.parametrize("name, x, expected", [
    ("sigmoid", 1000.0, 1.0), ("sigmoid", -1000.0, 0.0),
    ("softplus", 1000.0, 1000.0), ("softplus", -1000.0, 0.0),
    ("tanh", 1000.0, 1.0), ("tanh", -1000.0, -1.0),
])
def test_stable_forms_reach_their_limits(name: str, x: float, expected: float) -> None:
    assert OPS[name].forward(x) == expected
