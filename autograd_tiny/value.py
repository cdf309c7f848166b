"""``Value``: one scalar node of the computation graph, and the ops that build the graph."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any, TypeGuard

from . import engine
from .modes import MODE, NORMAL
from .ops import LEAF, OPS, Op

ADD, MUL, DIV, POW, NEG = OPS["+"], OPS["*"], OPS["/"], OPS["**"], OPS["-"]
SUM, DOT = OPS["sum"], OPS["dot"]

_new = object.__new__


def as_float(data: object, what: str = "Value data") -> float:
    """``data`` as a float, or TypeError naming its type if it is not a real number."""
    if type(data) is float:
        return data
    if isinstance(data, numbers.Real) and not isinstance(data, Value):
        return float(data)
    raise TypeError(f"{what} must be a real number (int or float), got {type(data).__name__}: "
                    f"{data!r:.60}")


def describe(values: Iterable[Value]) -> str:
    """Operands as an error message shows them: ``x = -1.0, 2.0``."""
    return ", ".join(f"{v.label} = {v.data!r}" if v.label else repr(v.data) for v in values)


def _node(data: float, children: tuple[Value, ...], op: Op) -> Value:
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._fn = op
    out.children = children
    return out


def apply(op: Op, children: tuple[Value, ...]) -> Value:
    """Run ``op`` forward on the children's data and record the result as a graph node."""
    try:
        data = op.forward(*[c.data for c in children])
    except (ArithmeticError, ValueError) as e:
        # Inside detect_anomaly an overflow (exp(1000)) is the anomaly it promises to report.
        kind = FloatingPointError if isinstance(e, OverflowError) and MODE.get().anomaly \
            else type(e)
        raise kind(f"{op.name}({describe(children)}): {e}") from None
    mode = MODE.get()
    if mode is NORMAL:
        return _node(data, children, op)
    if mode.anomaly and not math.isfinite(data):
        raise FloatingPointError(f"{op.name}({describe(children)}) gave {data}")
    if not mode.grad:
        return _node(data, (), LEAF)
    return _node(data, children, op)


def _wrap(x: object) -> Value | None:
    """A Value for a Value or a real number; None for anything else (the operator then
    returns NotImplemented and Python raises TypeError naming both types)."""
    if isinstance(x, Value):
        return x
    if isinstance(x, (float, int)):
        return Value(x)
    if isinstance(x, numbers.Real):
        return Value(float(x))
    return None


class Value:
    """A scalar that remembers how it was computed, so its gradient can flow back.

    ``data`` is the number, ``grad`` d(root)/d(this) after ``root.backward()``, ``op`` the
    name of the op that made it (``""`` for a leaf), ``children`` its operands in order.
    """

    __slots__ = ("data", "grad", "label", "_fn", "children", "__weakref__")

    data: float
    grad: Any  # float, or a Value after backward(create_graph=True)
    label: str
    _fn: Op  # the op-table entry that made this node (LEAF for a leaf)
    children: tuple[Value, ...]

    def __init__(self, data: float | int, label: str = "") -> None:
        if type(label) is not str:
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self.data = data if type(data) is float else as_float(data)
        self.grad = 0.0
        self.label = label
        self._fn = LEAF
        self.children = ()

    @property
    def op(self) -> str:
        """The name of the op that produced this value; ``""`` for a leaf."""
        return self._fn.name

    # micrograd's names, so code written for it (such as its lecture's draw_dot) runs as-is.
    @property
    def _op(self) -> str:
        return self._fn.name

    @property
    def _prev(self) -> set[Value]:
        return set(self.children)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        return self.data

    # Arithmetic. A number on either side becomes a leaf Value.
    def __add__(self, other: Value | float) -> Value:
        o = _wrap(other)
        return NotImplemented if o is None else apply(ADD, (self, o))

    def __radd__(self, other: float) -> Value:
        o = _wrap(other)
        return NotImplemented if o is None else apply(ADD, (o, self))

    def __mul__(self, other: Value | float) -> Value:
        o = _wrap(other)
        return NotImplemented if o is None else apply(MUL, (self, o))

    def __rmul__(self, other: float) -> Value:
        o = _wrap(other)
        return NotImplemented if o is None else apply(MUL, (o, self))

    def __truediv__(self, other: Value | float) -> Value:
        o = _wrap(other)
        return NotImplemented if o is None else apply(DIV, (self, o))

    def __rtruediv__(self, other: float) -> Value:
        o = _wrap(other)
        return NotImplemented if o is None else apply(DIV, (o, self))

    def __neg__(self) -> Value:
        return apply(NEG, (self,))

    def __sub__(self, other: Value | float) -> Value:
        """a - b = a + (-b)"""
        o = _wrap(other)
        return NotImplemented if o is None else self + (-o)

    def __rsub__(self, other: float) -> Value:
        o = _wrap(other)
        return NotImplemented if o is None else o + (-self)

    def __pow__(self, other: Value | float) -> Value:
        """d/da a**b = b * a**(b-1); d/db a**b = a**b * log(a), for a Value b only if a > 0."""
        if isinstance(other, Value):
            return _pow(self, other)
        o = _wrap(other)
        return NotImplemented if o is None else apply(POW, (self, o))

    def __rpow__(self, other: float) -> Value:
        o = _wrap(other)
        return NotImplemented if o is None else _pow(o, self)

    def __abs__(self) -> Value:
        return apply(OPS["abs"], (self,))

    # Comparisons look at data. `==` is not overridden: Values hash by identity.
    def __lt__(self, other: Value | float) -> bool:
        return self.data < _data(other)

    def __le__(self, other: Value | float) -> bool:
        return self.data <= _data(other)

    def __gt__(self, other: Value | float) -> bool:
        return self.data > _data(other)

    def __ge__(self, other: Value | float) -> bool:
        return self.data >= _data(other)

    # Functions: each is one entry of the op table.
    def exp(self) -> Value:
        """d/dx e**x = e**x"""
        return apply(OPS["exp"], (self,))

    def log(self) -> Value:
        """d/dx log(x) = 1/x, for x > 0"""
        return apply(OPS["log"], (self,))

    def sqrt(self) -> Value:
        """d/dx sqrt(x) = 1 / (2 sqrt(x)), for x >= 0"""
        return apply(OPS["sqrt"], (self,))

    def tanh(self) -> Value:
        """d/dx tanh(x) = 1 - tanh(x)**2"""
        return apply(OPS["tanh"], (self,))

    def sigmoid(self) -> Value:
        """d/dx sigmoid(x) = sigmoid(x) * (1 - sigmoid(x))"""
        return apply(OPS["sigmoid"], (self,))

    def relu(self) -> Value:
        """d/dx max(x, 0) = 1 if x > 0 else 0 (relu'(0) = 0)"""
        return apply(OPS["relu"], (self,))

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """d/dx = 1 if x > 0 else slope (leaky_relu'(0) = slope)"""
        return apply(OPS["leaky_relu"], (self, Value(as_float(slope, "slope"), "slope")))

    def softplus(self) -> Value:
        """d/dx log(1 + e**x) = sigmoid(x)"""
        return apply(OPS["softplus"], (self,))

    def sin(self) -> Value:
        """d/dx sin(x) = cos(x)"""
        return apply(OPS["sin"], (self,))

    def cos(self) -> Value:
        """d/dx cos(x) = -sin(x)"""
        return apply(OPS["cos"], (self,))

    def abs(self) -> Value:
        """d/dx |x| = sign(x) (abs'(0) = 0)"""
        return apply(OPS["abs"], (self,))

    # Fused ops: one node with many children, for speed and smaller graphs.
    @staticmethod
    def sum(values: Iterable[Value | float]) -> Value:
        """One node for v0 + v1 + ... ; d/dv_i = 1."""
        given = tuple(values)
        children = given if _all_values(given) else tuple(_operand(v, "Value.sum") for v in given)
        if not children:
            return Value(0.0)
        return apply(SUM, children)

    @staticmethod
    def dot(ws: Sequence[Value | float], xs: Sequence[Value | float],
            bias: Value | float | None = None) -> Value:
        """One node for w0*x0 + w1*x1 + ... (+ bias); d/dw_i = x_i, d/dx_i = w_i, d/dbias = 1.

        Children are ``(*ws, *xs)``, then ``bias`` when given.
        """
        if len(ws) != len(xs):
            raise ValueError(f"Value.dot needs as many weights as inputs, got {len(ws)} "
                             f"weights and {len(xs)} inputs")
        given = (*ws, *xs) if bias is None else (*ws, *xs, bias)
        if _all_values(given):
            children = given
        else:
            children = tuple(_operand(v, "Value.dot") for v in (*ws, *xs))
            if bias is not None:
                children += (_operand(bias, "Value.dot bias"),)
        if not children:
            return Value(0.0)
        return apply(DOT, children)

    def backward(self, grad: float | Value = 1.0, *, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every node this value depends on with d(self)/d(node).

        Non-leaf grads are reset first; leaf grads accumulate across calls. With
        ``create_graph=True`` grads are Values that can be differentiated again.
        """
        engine.backward(self, grad, create_graph=create_graph)


def _data(x: object) -> float:
    if isinstance(x, Value):
        return x.data
    return as_float(x, "comparison operand")


def _all_values(xs: tuple[object, ...]) -> TypeGuard[tuple[Value, ...]]:
    # One C-level pass instead of a Python call per child: most fused nodes take only Values.
    return set(map(type, xs)) == {Value}


def _operand(x: object, where: str) -> Value:
    v = _wrap(x)
    if v is None:
        raise TypeError(f"{where} takes Values or real numbers, got {type(x).__name__}")
    return v


def _pow(base: Value, exponent: Value) -> Value:
    if base.data < 0.0:
        raise ValueError(f"**({describe((base, exponent))}): a negative base with a Value "
                         "exponent has no derivative d/db a**b = a**b * log(a)")
    return apply(POW, (base, exponent))
