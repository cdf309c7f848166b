"""Higher-order derivatives: backward(create_graph=True), grad, value_and_grad, hessian."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_tiny import Value, grad, hessian, no_grad, value_and_grad
from autograd_tiny.engine import toposort
from autograd_tiny.ops import ANY_RANGE, OPS, Op
from autograd_tiny.testing import call


def central(f: Callable[[float], float], x: float, h: float = 1e-5) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def sig(x: float) -> float:
    return 1 / (1 + math.exp(-x))


# (name, f on Values, f', f'', x): expressions with known derivatives. (Every op of the
# table is also swept to second order against central differences in test_ops_table.)
CASES = [
    ("add_mul", lambda x: 3 * x * x + x + 2, lambda x: 6 * x + 1, lambda x: 6.0, 0.7),
    ("sub_neg", lambda x: -(x * x) - x, lambda x: -2 * x - 1, lambda x: -2.0, 1.3),
    ("div", lambda x: 1 / (x + 2), lambda x: -1 / (x + 2) ** 2, lambda x: 2 / (x + 2) ** 3, 0.5),
    ("pow_const", lambda x: x**3, lambda x: 3 * x**2, lambda x: 6 * x, -1.2),
    ("pow_value", lambda x: x**x, lambda x: x**x * (math.log(x) + 1),
     lambda x: x**x * ((math.log(x) + 1) ** 2 + 1 / x), 1.5),
    ("exp", lambda x: (2 * x).exp(), lambda x: 2 * math.exp(2 * x),
     lambda x: 4 * math.exp(2 * x), 0.3),
    ("log", lambda x: (x * x).log(), lambda x: 2 / x, lambda x: -2 / x**2, 1.7),
    ("sqrt", lambda x: x.sqrt(), lambda x: 0.5 / math.sqrt(x),
     lambda x: -0.25 * x**-1.5, 2.0),
    ("tanh", lambda x: x.tanh(), lambda x: 1 - math.tanh(x) ** 2,
     lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2), 0.4),
    ("sigmoid", lambda x: x.sigmoid(), lambda x: sig(x) * (1 - sig(x)),
     lambda x: sig(x) * (1 - sig(x)) * (1 - 2 * sig(x)), -0.6),
    ("softplus", lambda x: x.softplus(), sig, lambda x: sig(x) * (1 - sig(x)), 0.9),
    ("sin_cos", lambda x: x.sin() * x.cos(), lambda x: math.cos(2 * x),
     lambda x: -2 * math.sin(2 * x), 0.8),
    ("relu", lambda x: x.relu() * x, lambda x: 2 * x if x > 0 else 0.0,
     lambda x: 2.0 if x > 0 else 0.0, 1.1),
    ("leaky_relu", lambda x: x.leaky_relu(0.1) * x, lambda x: 0.2 * x, lambda x: 0.2, -2.0),
    ("abs", lambda x: abs(x) * x, lambda x: 2 * abs(x), lambda x: 2.0 if x > 0 else -2.0, -0.5),
    ("sum_dot", lambda x: Value.dot([x, x], [x, 2.0], Value.sum([x, x, 1.0])),
     lambda x: 2 * x + 4, lambda x: 2.0, 0.25),
]


@pytest.mark.parametrize(("name", "f", "df", "d2f", "x"), CASES, ids=[c[0] for c in CASES])
def test_first_and_second_derivatives(name, f, df, d2f, x) -> None:  # type: ignore[no-untyped-def]
    assert grad(f)(x) == pytest.approx(df(x), rel=1e-12, abs=1e-12)
    second = grad(grad(f))(x)
    assert second == pytest.approx(d2f(x), rel=1e-9, abs=1e-12)
    assert second == pytest.approx(central(grad(f), x), rel=1e-6, abs=1e-8)


def test_third_derivative_nests() -> None:
    f = lambda x: x.sin() * x  # noqa: E731
    assert grad(grad(grad(f)))(1.0) == pytest.approx(-math.cos(1.0) - 3 * math.sin(1.0))
    assert grad(grad(grad(grad(lambda x: x**4))))(3.0) == pytest.approx(24.0)


def test_double_backward_by_hand() -> None:
    x = Value(0.7, "x")
    y = x.tanh() * x
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value)
    t = math.tanh(0.7)
    assert x.grad.data == pytest.approx(t + 0.7 * (1 - t * t))
    dx = x.grad
    x.grad = 0.0
    dx.backward()
    assert x.grad == pytest.approx(2 * (1 - t * t) - 2 * 0.7 * t * (1 - t * t))


def test_create_graph_false_gives_floats() -> None:
    x = Value(2.0)
    (x * x).backward()
    assert type(x.grad) is float


def test_create_graph_works_inside_no_grad() -> None:
    x = Value(2.0)
    y = x * x * x
    with no_grad():
        y.backward(create_graph=True)
    dx = x.grad
    x.grad = 0.0
    dx.backward()
    assert x.grad == 12.0


HESSIANS = [
    (lambda x, y: x * y + (x * y).sin(),
     lambda x, y: [[-y * y * math.sin(x * y), 1 + math.cos(x * y) - x * y * math.sin(x * y)],
                   [1 + math.cos(x * y) - x * y * math.sin(x * y), -x * x * math.sin(x * y)]],
     (1.0, 2.0)),
    (lambda x, y: x**2 * y + y**3,
     lambda x, y: [[2 * y, 2 * x], [2 * x, 6 * y]], (0.5, -1.5)),
    (lambda x, y, z: (x * y * z).exp(),
     lambda x, y, z: [[(y * z) ** 2 * math.exp(x * y * z),
                       (z + x * y * z * z) * math.exp(x * y * z),
                       (y + x * y * y * z) * math.exp(x * y * z)],
                      [(z + x * y * z * z) * math.exp(x * y * z),
                       (x * z) ** 2 * math.exp(x * y * z),
                       (x + x * x * y * z) * math.exp(x * y * z)],
                      [(y + x * y * y * z) * math.exp(x * y * z),
                       (x + x * x * y * z) * math.exp(x * y * z),
                       (x * y) ** 2 * math.exp(x * y * z)]],
     (0.3, 0.5, -0.7)),
]


@pytest.mark.parametrize(("f", "expected", "args"), HESSIANS)
def test_hessian_matches_analytic_and_is_symmetric(f, expected, args) -> None:  # type: ignore[no-untyped-def]
    h = hessian(f)(*args)
    want = expected(*args)
    n = len(args)
    assert len(h) == n and all(len(row) == n for row in h)
    for i in range(n):
        for j in range(n):
            assert h[i][j] == pytest.approx(want[i][j], rel=1e-10, abs=1e-12)
            assert h[i][j] == h[j][i]


def test_grad_argnums_and_value_and_grad() -> None:
    f = lambda x, y: x * y * y  # noqa: E731
    assert grad(f, 1)(2.0, 3.0) == 12.0
    assert grad(f, (0, 1))(2.0, 3.0) == (9.0, 12.0)
    assert grad(f, -1)(2.0, 3.0) == 12.0
    assert value_and_grad(f)(2.0, 3.0) == (18.0, 9.0)
    value, (dx, dy) = value_and_grad(f, (0, 1))(2.0, 3.0)
    assert (value, dx, dy) == (18.0, 9.0, 12.0)


def test_same_value_passed_twice_gets_partial_per_argument() -> None:
    x = Value(3.0)
    dx, dy = grad(lambda a, b: a * b * b, (0, 1))(x, x)
    assert (dx.data, dy.data) == (9.0, 18.0)


def test_grad_leaves_user_values_untouched() -> None:
    w = Value(2.0, "w")
    w.grad = 5.0
    x = Value(3.0, "x")
    x.grad = 7.0
    inner = w * x
    inner.backward()
    before = (w.grad, x.grad, inner.grad)
    assert grad(lambda v: v * w * inner)(1.5) == 2.0 * 6.0
    d = grad(lambda v: v * v * w)(x)
    assert isinstance(d, Value) and d.data == 12.0
    assert (w.grad, x.grad, inner.grad) == before


def test_grad_with_control_flow() -> None:
    def f(x: Value) -> Value:
        y = x
        for _ in range(3):
            y = y * y if y < 10 else y + 1
        return y

    assert grad(f)(1.5) == pytest.approx(8 * 1.5**7)


def test_constant_function_has_zero_derivative() -> None:
    assert grad(lambda x: 3.0)(1.0) == 0.0
    assert grad(grad(lambda x: x * 2))(1.0) == 0.0
    assert grad(lambda x, y: y * 2)(1.0, 2.0) == 0.0


def test_second_derivative_at_relu_kink_is_zero() -> None:
    assert grad(grad(lambda x: x.relu()))(0.0) == 0.0
    assert grad(grad(lambda x: x.relu()))(1.0) == 0.0
    assert grad(lambda x: x.relu())(0.0) == 0.0


@pytest.mark.parametrize("result", [[1.0], "x", None, (Value(1.0),)])
def test_grad_of_non_scalar_is_type_error(result: object) -> None:
    with pytest.raises(TypeError, match="must return a scalar Value"):
        grad(lambda x: result)(1.0)


def test_bad_argnums_and_inputs() -> None:
    f = lambda x, y: x * y  # noqa: E731
    with pytest.raises(ValueError, match="argnums 2 is out of range"):
        grad(f, 2)(1.0, 2.0)
    with pytest.raises(TypeError, match="argnums"):
        grad(f, "0")(1.0, 2.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="argument 0 .* str"):
        grad(f)("a", 2.0)
    with pytest.raises(ValueError, match="at least one argument"):
        hessian(lambda: Value(1.0))()


def squashed(op: Op) -> Callable[[Value], Value]:
    """op applied to v squashed into its range, lo + (hi - lo) * sigmoid(v): smooth wherever
    op is smooth on its range, so it composes with anything."""
    lo, hi = op.domain.ranges[0] if op.domain else ANY_RANGE
    return lambda v: call(op, [lo + (hi - lo) * v.sigmoid()])


# Every one-operand op of the table that is smooth on its whole range (no kink, no pole),
# derived from the table, and a few compositions.
SMOOTH: dict[str, Callable[[Value], Value]] = {
    name: squashed(op) for name, op in OPS.items()
    if op.arity == 1 and not (op.domain and (op.domain.kinks or op.domain.poles))
} | {
    "square_plus_one_log": lambda v: (v * v + 1).log(),
    "sqrt_of_square_plus_one": lambda v: (v * v + 1).sqrt(),
    "inverse": lambda v: 1 / (v * v + 1),
    "exp_half": lambda v: (v * 0.5).exp(),
    "cube": lambda v: v**3 * 0.3,
}


@given(st.lists(st.sampled_from(sorted(SMOOTH)), min_size=1, max_size=5),
       st.floats(-2.0, 2.0))
def test_second_derivative_of_random_compositions(names: list[str], x: float) -> None:
    def f(v: Value) -> Value:
        for name in names:
            v = SMOOTH[name](v)
        return v

    first = grad(f)
    second = grad(first)(x)
    assert second == pytest.approx(central(first, x), rel=1e-5, abs=1e-6)


def ops_used(f: Callable[[Value], Value], x: float) -> set[str]:
    return {node.op for node in toposort(f(Value(x))) if node.children}


def test_every_op_has_a_case_with_known_derivatives_or_is_in_smooth() -> None:
    # A new op that is smooth with one operand is swept through SMOOTH with no edit; one
    # with a kink or two operands needs a row of CASES with its derivatives worked out.
    covered = set().union(*(ops_used(c[1], c[4]) for c in CASES),
                          *(ops_used(f, 0.3) for f in SMOOTH.values()))
    missing = set(OPS) - covered
    assert not missing, f"ops in no CASES row and not in SMOOTH: {sorted(missing)}"


def test_create_graph_leaves_every_grad_a_value_even_where_the_partial_is_0():
    x = Value(-1.0, "x")
    y = x.relu() * x + (x * 0.0).exp()  # relu'(-1) = 0 and a multiplier of 0
    y.backward(create_graph=True)
    assert all(isinstance(node.grad, Value) for node in toposort(y))
    assert x.grad.data == 0.0  # d/dx (relu(x)*x + exp(0*x)) at -1: 0 + 0
