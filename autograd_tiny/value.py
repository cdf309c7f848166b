"""``Value``: one scalar node of the computation graph, and the ops that build the graph."""

from __future__ import annotations

import math
import numbers
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from . import engine
from .modes import MODE, NORMAL
from .ops import LEAF, OPS, Op, as_float, describe

ADD, MUL, DIV, POW, NEG = OPS["+"], OPS["*"], OPS["/"], OPS["**"], OPS["-"]
SUM, DOT = OPS["sum"], OPS["dot"]
_add, _mul, _sum, _dot = ADD.forward, MUL.forward, SUM.forward, DOT.forward
_new = object.__new__


def apply(op: Op, children: tuple[Value, ...]) -> Value:
    """Run ``op`` forward on the children's data and record the result as a graph node."""
    try:
        data = op.forward(*[c.data for c in children])
    except (ArithmeticError, ValueError) as e:
        raise _forward_error(op, children, e) from None
    return record(op, children, data)


def record(op: Op, children: tuple[Value, ...], data: float) -> Value:
    """``data``, computed by ``op`` from ``children``, as a graph node. Every op's result
    passes here, and here the modes act: ``no_grad`` records a leaf, ``detect_anomaly``
    refuses NaN and inf."""
    mode = MODE.get()
    if mode is not NORMAL:
        if mode.anomaly and not math.isfinite(data):
            raise FloatingPointError(f"{op.name}({describe(children)}) gave {data}")
        if mode.trace is not None:
            return mode.trace(op, children, data)  # type: ignore[no-any-return]
        if not mode.grad:
            return Value(data)
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._op_entry = op
    out.children = children
    return out


def _forward_error(op: Op, children: tuple[Value, ...], e: Exception) -> Exception:
    """The error of a forward that failed, naming the op and its operands. Inside
    detect_anomaly an overflow (exp(1000)) is the anomaly it promises to report."""
    kind = FloatingPointError if isinstance(e, OverflowError) and MODE.get().anomaly \
        else type(e)
    return kind(f"{op.name}({describe(children)}): {e}")


def _wrap(x: object) -> Value | None:
    """A Value for a Value or a real number; None for anything else (the operator then
    returns NotImplemented and Python raises TypeError naming both types)."""
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real):
        return Value(float(x))
    return None


def _method(name: str) -> Callable[[Value], Value]:
    """The Value method of a one-operand op of the table, documented by its formula."""
    op = OPS[name]
    forward = op.forward

    def method(self: Value) -> Value:
        try:
            data = forward(self.data)
        except (ArithmeticError, ValueError) as e:
            raise _forward_error(op, (self,), e) from None
        return record(op, (self,), data)

    method.__name__, method.__qualname__ = name, f"Value.{name}"
    method.__doc__ = f"{op.math_text(1)}; d/dx = {op.partial_text(0, 1)}, where out = " \
                     f"{op.math_text(1)}"
    return method


class Value:
    """A scalar that remembers how it was computed, so its gradient can flow back.

    ``data`` is the number, ``grad`` d(root)/d(this) after ``root.backward()``, ``op`` the
    name of the op that made it (``""`` for a leaf), ``children`` its operands in order.
    """

    __slots__ = ("data", "grad", "label", "_op_entry", "children", "__weakref__")

    data: float
    grad: Any  # float, or a Value after backward(create_graph=True)
    label: str
    _op_entry: Op  # the op-table entry that made this node (LEAF for a leaf)
    children: tuple[Value, ...]

    def __init__(self, data: float | int, label: str = "") -> None:
        if type(label) is not str:
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self.data = data if type(data) is float else as_float(data)
        self.grad = 0.0
        self.label = label
        self._op_entry = LEAF
        self.children = ()

    @property
    def op(self) -> str:
        """The name of the op that produced this value; ``""`` for a leaf."""
        return self._op_entry.name

    # micrograd's names, so code written for it (such as its lecture's draw_dot) runs as-is.
    @property
    def _op(self) -> str:
        return self._op_entry.name

    @property
    def _prev(self) -> set[Value]:
        return set(self.children)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        return self.data

    # Arithmetic. A number on either side becomes a leaf Value. + and * skip apply's generic
    # path (they cannot fail) but still record through `record`, where the modes act.
    def __add__(self, other: Value | float) -> Value:
        o = other if type(other) is Value else _wrap(other)
        if o is None:
            return NotImplemented
        return record(ADD, (self, o), _add(self.data, o.data))

    def __radd__(self, other: float) -> Value:
        o = _wrap(other)
        return NotImplemented if o is None else record(ADD, (o, self), _add(o.data, self.data))

    def __mul__(self, other: Value | float) -> Value:
        o = other if type(other) is Value else _wrap(other)
        if o is None:
            return NotImplemented
        return record(MUL, (self, o), _mul(self.data, o.data))

    def __rmul__(self, other: float) -> Value:
        o = _wrap(other)
        return NotImplemented if o is None else record(MUL, (o, self), _mul(o.data, self.data))

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
        """a ** b; for a Value exponent b the base must be >= 0 (d/db a**b = a**b * log(a))."""
        if isinstance(other, Value):
            return _power(self, other)
        o = _wrap(other)
        return NotImplemented if o is None else apply(POW, (self, o))

    def __rpow__(self, other: float) -> Value:
        o = _wrap(other)
        return NotImplemented if o is None else _power(o, self)

    def __abs__(self) -> Value:
        return apply(ABS, (self,))

    # Comparisons look at data. `==` is not overridden: Values hash by identity.
    def __lt__(self, other: Value | float) -> bool:
        return _guarded(self, "<", other, self.data < _compared(other))

    def __le__(self, other: Value | float) -> bool:
        return _guarded(self, "<=", other, self.data <= _compared(other))

    def __gt__(self, other: Value | float) -> bool:
        return _guarded(self, ">", other, self.data > _compared(other))

    def __ge__(self, other: Value | float) -> bool:
        return _guarded(self, ">=", other, self.data >= _compared(other))

    # Functions: each is one entry of the op table, documented there.
    exp = _method("exp")
    log = _method("log")
    sqrt = _method("sqrt")
    tanh = _method("tanh")
    sigmoid = _method("sigmoid")
    relu = _method("relu")
    softplus = _method("softplus")
    sin = _method("sin")
    cos = _method("cos")
    abs = _method("abs")

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x if x > 0 else slope * x; leaky_relu'(0) = slope"""
        return apply(LEAKY_RELU, (self, Value(as_float(slope, "slope"), "slope")))

    # Fused ops: one node with many children, for speed and smaller graphs.
    @staticmethod
    def sum(values: Iterable[Value | float]) -> Value:
        """One node for v0 + v1 + ... ; d/dv_i = 1."""
        children = tuple(values)
        data = [c.data for c in children if type(c) is Value]
        if len(data) < len(children):
            children, data = _operands(children, "Value.sum")
        if not children:
            return Value(0.0)
        return record(SUM, children, _sum(*data))  # type: ignore[arg-type]

    @staticmethod
    def dot(ws: Sequence[Value | float], xs: Sequence[Value | float],
            bias: Value | float | None = None) -> Value:
        """One node for bias + w0*x0 + w1*x1 + ... (summed in that order, as micrograd's
        neuron does); d/dw_i = x_i, d/dx_i = w_i, d/dbias = 1.

        Children are ``(*ws, *xs)``, then ``bias`` when given.
        """
        if len(ws) != len(xs):
            raise ValueError(f"Value.dot needs as many weights as inputs, got {len(ws)} "
                             f"weights and {len(xs)} inputs")
        children = (*ws, *xs) if bias is None else (*ws, *xs, bias)
        data = [c.data for c in children if type(c) is Value]  # one pass checks and reads
        if len(data) < len(children):
            children, data = _operands(children, "Value.dot")
        if not children:
            return Value(0.0)
        return record(DOT, children, _dot(*data))  # type: ignore[arg-type]

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled and deep-copied without recursion, however deep the graph: the first Value
        met brings every node below it, children first, so that each node is saved when its
        children already are (pickle and deepcopy then refer back to them)."""
        covered = _PICKLING.covered
        if not self.children or self in covered:
            return (_node, (self.data, self.grad, self.label, self._op_entry, self.children))
        below = engine.toposort(self)[:-1]
        cover = _Cover([v for v in below if v not in covered])
        return (_root, (below, self.data, self.grad, self.label, self._op_entry, self.children,
                        cover))

    def backward(self, grad: float | Value = 1.0, *, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every node this value depends on with d(self)/d(node).

        Non-leaf grads are reset first; leaf grads accumulate across calls. With
        ``create_graph=True`` grads are Values that can be differentiated again.
        """
        engine.backward(self, grad, create_graph=create_graph)


ABS, LEAKY_RELU = OPS["abs"], OPS["leaky_relu"]


def _compared(x: object) -> float:
    if isinstance(x, Value):
        return x.data
    return as_float(x, "comparison operand")


def _guarded(a: Value, op: str, b: object, result: bool) -> bool:
    # While compile() traces, a comparison becomes a guard the compiled code checks.
    trace = MODE.get().trace
    if trace is not None:
        trace.compared(a, op, b, result)
    return result


def _operands(given: tuple[object, ...], where: str) -> tuple[tuple[Value, ...], list[float]]:
    """The operands of a fused op as Values (numbers become leaves), and their data."""
    children = tuple(_operand(v, where) for v in given)
    return children, [c.data for c in children]


def _operand(x: object, where: str) -> Value:
    v = _wrap(x)
    if v is None:
        raise TypeError(f"{where} takes Values or real numbers, got {type(x).__name__}")
    return v


def _power(base: Value, exponent: Value) -> Value:
    # The sign of the base decides whether this raises: a comparison, so a trace guards it.
    if _guarded(base, "<", 0.0, base.data < 0.0):
        raise ValueError(f"**({describe((base, exponent))}): a negative base with a Value "
                         "exponent has no derivative d/db a**b = a**b * log(a)")
    return apply(POW, (base, exponent))


# Pickling: the nodes a root being saved has brought along, per thread; they are saved in the
# plain form, their children being saved before them.
class _Pickling(threading.local):
    def __init__(self) -> None:
        self.covered: weakref.WeakSet[Value] = weakref.WeakSet()


_PICKLING = _Pickling()


class _Cover:
    """The nodes one root brought along; released once they are saved (or, in a shallow copy,
    when the copy is made), so a later pickle of one of them starts afresh."""

    def __init__(self, nodes: list[Value]) -> None:
        self.nodes = nodes
        _PICKLING.covered.update(nodes)

    def release(self) -> None:
        for v in self.nodes:
            _PICKLING.covered.discard(v)

    def __reduce__(self) -> tuple[Any, ...]:
        self.release()  # saved last of the root's arguments: everything before it is saved
        return (type(None), ())


def _node(data: float, grad: Any, label: str, op: Op, children: tuple[Value, ...]) -> Value:
    """A Value with these fields, for unpickling."""
    out = _new(Value)
    out.data, out.grad, out.label, out._op_entry, out.children = data, grad, label, op, children
    return out


def _root(below: list[Value], data: float, grad: Any, label: str, op: Op,
          children: tuple[Value, ...], cover: _Cover | None) -> Value:
    """The root of a pickled graph; ``below`` (its nodes, children first) is already built."""
    if cover is not None:
        cover.release()
    return _node(data, grad, label, op, children)
