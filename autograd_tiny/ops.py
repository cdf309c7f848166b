"""The op table: every primitive's forward on floats and its local-derivative rule.

A rule is called as ``rule(out, *xs)`` and returns one partial derivative d out / d x_i per
child. It is written with ordinary arithmetic, so the same rule gives floats in a plain
``backward()`` (``out`` and ``xs`` are floats) and ``Value``s under ``create_graph=True``
(``out`` is the node itself and ``xs`` its children), which is what makes higher-order
derivatives work without a second set of rules.

``text`` gives each partial as the step-through writes it: one string per child for a fixed
arity, or a function ``(i, n) -> str`` for the variadic ``sum`` and ``dot``. The operands are
called by the op's ``args`` (``x`` for one, ``a, b`` for two unless named otherwise), ``x[i]``
and ``w[i]`` in ``dot``; ``out`` is the result. ``note`` states the convention at a kink.

``domain`` describes inputs on which the op is smooth, for the op-sweeping tests and the
hypothesis strategies: one ``(low, high)`` range per child, ``kinks`` the points where the
derivative jumps, ``poles`` the points to keep away from.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Number = Any  # float, or Value when differentiating a derivative


@dataclass(frozen=True)
class Domain:
    """Where an op is smooth: per-child ranges, and points to keep a margin from."""

    ranges: tuple[tuple[float, float], ...]
    kinks: tuple[float, ...] = ()
    poles: tuple[float, ...] = ()


@dataclass(frozen=True, eq=False)
class Op:
    """One primitive: its name, forward on floats, and local-derivative rule."""

    name: str
    arity: int  # -1 for variadic
    forward: Callable[..., float]
    rule: Callable[..., tuple[Number, ...]]
    text: tuple[str, ...] | Callable[[int, int], str]
    domain: Domain | None = None
    note: str = field(default="")
    args: tuple[str, ...] = ()  # the operands' names in `text`: x for one, a, b for two
    commutative: bool = False  # operand order does not matter (pictures leave edges unnamed)

    def __post_init__(self) -> None:
        if not self.args and self.arity in (1, 2):
            object.__setattr__(self, "args", ("x",) if self.arity == 1 else ("a", "b"))

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    def partial_text(self, i: int, n: int) -> str:
        """The i-th partial of this op with n children, as a formula."""
        if callable(self.text):
            return self.text(i, n)
        return self.text[i]


# Math that works on floats and on Values alike, for use inside rules.
def log(x: Number) -> Number:
    return math.log(x) if isinstance(x, float) else x.log()


def sin(x: Number) -> Number:
    return math.sin(x) if isinstance(x, float) else x.sin()


def cos(x: Number) -> Number:
    return math.cos(x) if isinstance(x, float) else x.cos()


def sigmoid(x: Number) -> Number:
    return _sigmoid(x) if isinstance(x, float) else x.sigmoid()


def _sigmoid(x: float) -> float:
    """1 / (1 + e^-x), without overflow for large |x|."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softplus(x: float) -> float:
    """log(1 + e^x) = max(x, 0) + log1p(e^-|x|), without overflow for large |x|."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _pow(a: float, b: float) -> float:
    if a < 0.0 and b != math.floor(b):
        raise ValueError("a negative base with a non-integer exponent has no real power")
    return a**b


def _pow_rule(out: Number, a: Number, b: Number) -> tuple[Number, Number]:
    """d/da a**b = b * a**(b-1); d/db a**b = a**b * log(a), defined for a > 0."""
    # NOTE: where a <= 0 the exponent is a constant (a Value exponent with a <= 0 is refused
    # in the forward), so b is held constant in d/da and d/db is taken as 0.
    if a > 0:
        return b * a ** (b - 1), out * log(a)
    if float(b) == 0.0:
        return 0.0, 0.0  # a**0 = 1 for every a, so d/da = 0 even at a = 0
    return b * a ** (float(b) - 1), 0.0


def _dot(*operands: float) -> float:
    """b + w[0]*x[0] + w[1]*x[1] + ..., added in that order as micrograd's neuron does;
    operands ``(*w, *x)`` then ``b`` if given."""
    k = len(operands) // 2
    products = map(operator.mul, operands[:k], operands[k:2 * k])
    return sum(products, operands[-1]) if len(operands) % 2 else sum(products)


def _dot_rule(out: Number, *xs: Number) -> tuple[Number, ...]:
    """d/dw_i (sum_j w_j x_j + b) = x_i; d/dx_i = w_i; d/db = 1."""
    n = len(xs) // 2
    partials = xs[n : 2 * n] + xs[:n]
    return partials + (1.0,) if len(xs) % 2 else partials


def _dot_text(i: int, n: int) -> str:
    k = n // 2
    if i < k:
        return f"x[{i}]"
    if i < 2 * k:
        return f"w[{i - k}]"
    return "1"


REAL = (-3.0, 3.0)
POSITIVE = (0.05, 4.0)

OPS: dict[str, Op] = {
    op.name: op
    for op in (
        Op("+", 2, operator.add, lambda out, a, b: (1.0, 1.0), ("1", "1"),
           Domain((REAL, REAL)), commutative=True),
        Op("*", 2, operator.mul, lambda out, a, b: (b, a), ("b", "a"),
           Domain((REAL, REAL)), commutative=True),
        Op("/", 2, operator.truediv, lambda out, a, b: (1.0 / b, -out / b),
           ("1 / b", "-out / b"), Domain((REAL, REAL), poles=(0.0,))),
        Op("**", 2, _pow, _pow_rule, ("b * a**(b - 1)", "(out * log(a) if a > 0 else 0)"),
           Domain((POSITIVE, REAL))),
        Op("-", 1, operator.neg, lambda out, x: (-1.0,), ("-1",), Domain((REAL,))),
        Op("abs", 1, abs, lambda out, x: (1.0 if x > 0 else -1.0 if x < 0 else 0.0,),
           ("sign(x)",), Domain((REAL,), kinks=(0.0,)), note="abs'(0) = 0"),
        Op("exp", 1, math.exp, lambda out, x: (out,), ("out",), Domain((REAL,))),
        Op("log", 1, math.log, lambda out, x: (1.0 / x,), ("1 / x",), Domain((POSITIVE,))),
        Op("sqrt", 1, math.sqrt, lambda out, x: (0.5 / out,), ("0.5 / out",),
           Domain((POSITIVE,))),
        Op("tanh", 1, math.tanh, lambda out, x: (1.0 - out * out,), ("(1 - out**2)",),
           Domain((REAL,))),
        Op("sigmoid", 1, _sigmoid, lambda out, x: (out * (1.0 - out),), ("out * (1 - out)",),
           Domain((REAL,))),
        Op("relu", 1, lambda x: x if x > 0.0 else 0.0,
           lambda out, x: (1.0 if x > 0 else 0.0,), ("(x > 0)",),
           Domain((REAL,), kinks=(0.0,)), note="relu'(0) = 0"),
        Op("leaky_relu", 2, lambda x, slope: x if x > 0.0 else slope * x,
           lambda out, x, slope: (1.0 if x > 0 else slope, 0.0 if x > 0 else x),
           ("(1 if x > 0 else slope)", "(0 if x > 0 else x)"),
           Domain((REAL, (0.01, 0.3)), kinks=(0.0,)), note="leaky_relu'(0) = slope",
           args=("x", "slope")),
        Op("softplus", 1, _softplus, lambda out, x: (sigmoid(x),), ("sigmoid(x)",),
           Domain((REAL,))),
        Op("sin", 1, math.sin, lambda out, x: (cos(x),), ("cos(x)",), Domain((REAL,))),
        Op("cos", 1, math.cos, lambda out, x: (-sin(x),), ("-sin(x)",), Domain((REAL,))),
        Op("sum", -1, lambda *xs: sum(xs),
           lambda out, *xs: (1.0,) * len(xs), lambda i, n: "1", commutative=True),
        Op("dot", -1, _dot, _dot_rule, _dot_text),
    )
}

LEAF = Op("", 0, lambda: 0.0, lambda out: (), ())

