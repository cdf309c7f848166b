"""Hypothesis strategies for property tests of code built on autograd_tiny.

    from hypothesis import given
    from autograd_tiny import gradcheck
    from autograd_tiny.testing import graphs

    @given(graphs(max_nodes=20))
    def test_backward_matches_central_differences(g):
        assert gradcheck(g.f, g.inputs, order=2)

Every value these strategies draw is built valid, a margin away from kinks and poles, never
filtered after the fact, so hypothesis does not struggle. Importing this module imports
hypothesis (a dev dependency); ``import autograd_tiny`` never does.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from .ops import ANY_RANGE, OPS, Op, fill
from .value import Value

__all__ = ["Graph", "call", "call_source", "floats_away_from", "graphs", "op_inputs"]

# Limits on every node of a drawn graph: its value, and its derivative with respect to each
# input. Inputs move by eps in a gradient check, so with |d node / d input| <= MAX_GRADIENT a
# node never crosses a kink it is kept `margin` away from, and differences stay accurate.
MAX_VALUE = 100.0
MAX_GRADIENT = 100.0

# An operand of a drawn node: ("input", index), ("node", index) or ("constant", its value).
Ref = tuple[str, Any]


def floats_away_from(points: Iterable[float] | float, margin: float = 0.1,
                     min_value: float = -3.0, max_value: float = 3.0) -> st.SearchStrategy[float]:
    """Finite floats in [min_value, max_value] at least ``margin`` away from every point.

    ``floats_away_from([0.0], 0.1)`` draws from [-3, -0.1] and [0.1, 3]: kinks and
    singularities are kept out by construction. ValueError if nothing is left.
    """
    pieces = allowed_intervals(points, margin, min_value, max_value)
    return st.one_of([st.floats(lo, hi, allow_nan=False, allow_infinity=False)
                      for lo, hi in pieces])


@functools.lru_cache(maxsize=256)
def _floats_away_from(points: tuple[float, ...], margin: float, min_value: float,
                      max_value: float) -> st.SearchStrategy[float]:
    """floats_away_from, built once per operand constraint while drawing graphs."""
    return floats_away_from(points, margin, min_value, max_value)


def allowed_intervals(points: Iterable[float] | float, margin: float, min_value: float,
                      max_value: float) -> list[tuple[float, float]]:
    """The closed intervals of [min_value, max_value] at least ``margin`` away from the points."""
    marks = sorted(_finite(p, "point")
                   for p in (points if isinstance(points, Iterable) else [points]))
    margin = _finite(margin, "margin")
    min_value, max_value = _finite(min_value, "min_value"), _finite(max_value, "max_value")
    if margin < 0.0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    if min_value > max_value:
        raise ValueError(f"min_value {min_value} is greater than max_value {max_value}")
    pieces = []
    lo = min_value
    for p in marks:
        below, above = _edge(p, -margin), _edge(p, margin)
        if below >= lo:
            pieces.append((lo, min(below, max_value)))
        lo = max(lo, above)
        if lo > max_value:
            break
    else:
        pieces.append((lo, max_value))
    # + 0.0 turns -0.0 into 0.0, so no piece is the empty [0.0, -0.0] of hypothesis' floats.
    pieces = [(a + 0.0, b + 0.0) for a, b in pieces if a <= b]
    if not pieces:
        raise ValueError(f"no float in [{min_value}, {max_value}] is at least {margin} away "
                         f"from {marks}: use a smaller margin or a wider range")
    return pieces


def op_inputs(op: Op | str, *, margin: float = 0.1,
              n: int | None = None) -> st.SearchStrategy[tuple[float, ...]]:
    """Operands for one op of the table, inside its domain and ``margin`` away from its kinks
    and poles (in every operand, as the domain does not say which operand they concern).

    A variadic op (``sum``, ``dot``) gets ``n`` operands, or 1 to 4 when ``n`` is None.
    """
    op = _as_op(op)
    if op.arity < 0:
        if n is not None and n < 1:
            raise ValueError(f"{op.name} needs at least one operand, got n={n}")
        sizes = st.integers(1, 4) if n is None else st.just(n)
        return sizes.flatmap(lambda k: st.tuples(*[operand_floats(op, i, margin)
                                                   for i in range(k)]))
    if n is not None and n != op.arity:
        raise ValueError(f"op {op.name!r} takes {op.arity} operands, not {n}")
    return st.tuples(*[operand_floats(op, i, margin) for i in range(op.arity)])


def operand_floats(op: Op, i: int, margin: float) -> st.SearchStrategy[float]:
    """Valid floats for operand ``i`` of ``op``."""
    lo, hi, points = _constraints(op, i)
    return floats_away_from(points, margin, lo, hi)


@dataclass(frozen=True)
class Graph:
    """A random computation graph: ``f(*Values)`` builds it, ``inputs`` are valid floats.

    ``description`` is ``f`` written as Python using autograd_tiny, ready to paste into a test.
    """

    f: Callable[..., Value]
    inputs: tuple[float, ...]
    description: str

    def __str__(self) -> str:
        return f"{self.description}\n# inputs: {self.inputs!r}"

    def __repr__(self) -> str:
        body = "\n".join("    " + line for line in self.description.splitlines())
        return f"Graph(inputs={self.inputs!r}, f=\n{body}\n)"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        """How hypothesis shows a failing example: the code indented under ``Graph(``."""
        with p.group(4, "Graph(", ")"):
            p.text(f"inputs={self.inputs!r}, f=")
            with p.indent(4):
                for line in self.description.splitlines():
                    p.break_()
                    p.text(line)


def graphs(max_nodes: int = 30, ops: Iterable[Op | str] | None = None, *,
           max_inputs: int = 4, margin: float = 0.1) -> st.SearchStrategy[Graph]:
    """Random graphs of 1 to ``max_nodes`` op nodes drawn from ``ops`` (default: the whole
    table), on up to ``max_inputs`` inputs.

    Each node's operands are chosen among the earlier nodes, inputs and constants whose values
    lie in the op's domain, ``margin`` away from its kinks and poles; a new input or constant is
    drawn valid. Values stay within MAX_VALUE and derivatives within MAX_GRADIENT (a node that
    would exceed them is left out), so the graph is smooth around its inputs and central
    differences are accurate. The output is the last node that depends on an input; nodes and
    inputs it does not depend on are dropped, so a check of the output covers the whole graph.
    """
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")
    if isinstance(max_inputs, bool) or not isinstance(max_inputs, int) or max_inputs < 1:
        raise ValueError(f"max_inputs must be a positive int, got {max_inputs!r}")
    if isinstance(ops, (str, Op)):
        ops = [ops]
    table = list(OPS.values()) if ops is None else [_as_op(op) for op in ops]
    if not table:
        raise ValueError("graphs needs at least one op; pass ops=None for the whole table")
    for op in table:
        for i in range(op.arity if op.arity >= 0 else 1):
            lo, hi, points = _constraints(op, i)
            allowed_intervals(points, margin, lo, hi)  # ValueError when the margin leaves none
    return _graphs(table, max_nodes, max_inputs, margin)


@st.composite
def _graphs(draw: st.DrawFn, table: list[Op], max_nodes: int, max_inputs: int,
            margin: float) -> Graph:
    inputs: list[float] = []
    values: list[float] = []  # of the nodes, in order
    grads: list[list[float]] = []  # d node / d input, per node
    steps: list[tuple[Op, tuple[Ref, ...]]] = []
    for _ in range(draw(st.integers(1, max_nodes))):
        op = draw(st.sampled_from(table))
        n = op.arity if op.arity >= 0 else draw(st.integers(2, 4))
        refs: list[Ref] = []
        operands: list[float] = []
        operand_grads: list[list[float]] = []
        for i in range(n):
            lo, hi, points = _constraints(op, i)

            def valid(x: float, lo: float = lo, hi: float = hi,
                      points: tuple[float, ...] = points) -> bool:
                return lo <= x <= hi and all(abs(x - p) >= margin for p in points)

            constant_ok = any(kind != "constant" for kind, _ in refs)
            kind, k = _choose(draw, op, i, inputs, values, valid, max_inputs, constant_ok)
            if kind == "node":
                x, dx = values[k], grads[k]
            elif kind == "input" and k is not None:
                x, dx = inputs[k], _unit(k, max_inputs)
            else:
                x = draw(_floats_away_from(points, margin, lo, hi))
                if kind == "input":
                    k = len(inputs)
                    inputs.append(x)
                    dx = _unit(k, max_inputs)
                else:
                    k, dx = x, [0.0] * max_inputs
            refs.append((kind, k))
            operands.append(x)
            operand_grads.append(dx)
        try:
            out = op.forward(*operands)
            partials = op.rule(out, *operands)
        except (ArithmeticError, ValueError):
            continue
        grad = [sum(float(p) * dx[m] for p, dx in zip(partials, operand_grads, strict=True))
                for m in range(max_inputs)]
        if (not math.isfinite(out) or abs(out) > MAX_VALUE
                or not all(abs(g) <= MAX_GRADIENT for g in grad)):
            continue
        steps.append((op, tuple(refs)))
        values.append(out)
        grads.append(grad)
    steps, inputs = _prune(steps, inputs)
    program = _Program(tuple(steps), len(inputs))
    return Graph(program, tuple(inputs), program.source())


def _prune(steps: list[tuple[Op, tuple[Ref, ...]]],
           inputs: list[float]) -> tuple[list[tuple[Op, tuple[Ref, ...]]], list[float]]:
    """Only the nodes and inputs the output depends on, renumbered in order, so that every
    part of a drawn graph is checked by a gradient check of its output. The output is the
    last node that depends on an input (a graph of constants alone is just its first input)."""
    on_inputs: list[bool] = []
    for _, refs in steps:
        on_inputs.append(any(kind == "input" or (kind == "node" and on_inputs[k])
                             for kind, k in refs))
    if not any(on_inputs):
        return [], inputs[:1]
    live = {max(j for j, on in enumerate(on_inputs) if on)}
    for j in reversed(range(len(steps))):
        if j in live:
            live.update(k for kind, k in steps[j][1] if kind == "node")
    used = sorted({k for j in live for kind, k in steps[j][1] if kind == "input"})
    new_node = {j: n for n, j in enumerate(sorted(live))}
    new_input = {k: n for n, k in enumerate(used)}
    renumber = {"node": new_node, "input": new_input}
    kept = [(op, tuple((kind, renumber[kind][k]) if kind in renumber else (kind, k)
                       for kind, k in refs))
            for j, (op, refs) in enumerate(steps) if j in live]
    return kept, [inputs[k] for k in used]


def _choose(draw: st.DrawFn, op: Op, i: int, inputs: list[float], values: list[float],
            valid: Callable[[float], bool], max_inputs: int, constant_ok: bool) -> Ref:
    """Operand ``i`` of the next node: mostly a recent node (so graphs grow deep and the output
    depends on much of the graph), else an input (maybe a new one), else a constant.

    ``("input", None)`` and ``("constant", None)`` ask for a new input or constant to be
    drawn. A constant is only chosen when ``constant_ok`` (an earlier operand is not one: a
    node of constants tests nothing) or nothing else is valid.
    """
    if not inputs:
        return ("input", None)  # the first operand of a graph is its first input
    if _constant_only(op, i):
        return ("constant", None)
    nodes = [k for k in reversed(range(len(values))) if valid(values[k])][:4]
    leaves: list[Ref] = [("input", k) for k in range(len(inputs)) if valid(inputs[k])]
    if len(inputs) < max_inputs:
        leaves.append(("input", None))
    # Mostly nodes: with fewer, each node would pull in less than one earlier node on average
    # and the output would depend on only a few of them.
    category = draw(st.integers(0, 9))  # shrinks towards the most recent node
    if nodes and (category < 8 or not (leaves or constant_ok)):
        return ("node", nodes[draw(st.integers(0, len(nodes) - 1))])
    if leaves and (category < 9 or not constant_ok):
        return leaves[draw(st.integers(0, len(leaves) - 1))]
    return ("constant", None)


class _Program:
    """The drawn graph as Python: ``source()`` writes it with one public autograd_tiny call per
    step, and calling the program runs that very source."""

    def __init__(self, steps: tuple[tuple[Op, tuple[Ref, ...]], ...], n_inputs: int) -> None:
        self.steps = steps
        self.n_inputs = n_inputs
        namespace: dict[str, Any] = {"Value": Value}
        exec(self.source(), namespace)
        self._f: Callable[..., Value] = namespace["f"]

    def __call__(self, *xs: Value | float) -> Value:
        if len(xs) != self.n_inputs:
            raise TypeError(f"this graph takes {self.n_inputs} inputs, got {len(xs)}")
        return self._f(*[x if isinstance(x, Value) else Value(x) for x in xs])

    def source(self) -> str:
        names = [f"x{k}" for k in range(self.n_inputs)]
        lines = [f"def f({', '.join(names)}):"]
        for j, (op, refs) in enumerate(self.steps):
            args = [names[k] if kind == "input" else f"v{k}" if kind == "node" else repr(k)
                    for kind, k in refs]
            lines.append(f"    v{j} = {call_source(op, args, [kind for kind, _ in refs])}")
        lines.append(f"    return {f'v{len(self.steps) - 1}' if self.steps else names[0]}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.source()


def call_source(op: Op, args: Sequence[str], kinds: Sequence[str]) -> str:
    """The Python that applies ``op`` the way a user writes it (``op.call_text``), given each
    operand's text and kind (``"constant"`` for a number, anything else for a Value). A
    constant first operand is wrapped in ``Value(...)`` where the result would otherwise not be
    a Value (a method called on it, or every operand a number)."""
    names = op.operands(len(args))
    template = op.call_text(len(args))
    shown = list(args)
    if kinds[0] == "constant" and (template.startswith(f"{names[0]}.")
                                   or all(kind == "constant" for kind in kinds)):
        shown[0] = f"Value({args[0]})"
    return fill(template, dict(zip(names, shown, strict=True)))


def call(op: Op | str, args: Sequence[Value | float]) -> Value:
    """``op`` applied to ``args`` (Values, or numbers for constants) by its public call."""
    op = _as_op(op)
    kinds = tuple("constant" if not isinstance(a, Value) else "value" for a in args)
    values = [float(a) if name in op.constants else a
              for a, name in zip(args, op.operands(len(args)), strict=True)]
    return _caller(op, kinds)(*values)  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=256)
def _caller(op: Op, kinds: tuple[str, ...]) -> Callable[..., Any]:
    params = [f"_{i}" for i in range(len(kinds))]
    source = f"lambda {', '.join(params)}: {call_source(op, params, kinds)}"
    return eval(source, {"Value": Value})  # type: ignore[no-any-return]


def _constant_only(op: Op, i: int) -> bool:
    """Operands the public API takes as a plain number, such as leaky_relu's slope."""
    return op.arity >= 0 and op.args[i] in op.constants


def _constraints(op: Op, i: int) -> tuple[float, float, tuple[float, ...]]:
    """Range and points to avoid for operand ``i`` of ``op``."""
    domain = op.domain
    if domain is None:
        return ANY_RANGE[0], ANY_RANGE[1], ()
    ranges = domain.ranges or (ANY_RANGE,)
    lo, hi = ranges[min(i, len(ranges) - 1)]
    return lo, hi, tuple(domain.kinks) + tuple(domain.poles)


def _edge(p: float, offset: float) -> float:
    """The float nearest to p + offset that is at least |offset| from p in exact arithmetic
    (so also when the distance is computed in floats, as a user's test does)."""
    x = p + offset
    if not math.isfinite(x):
        return x
    toward = math.copysign(math.inf, offset)
    while abs(Fraction(x) - Fraction(p)) < abs(Fraction(offset)):
        x = math.nextafter(x, toward)
    return x


def _unit(k: int, n: int) -> list[float]:
    return [1.0 if m == k else 0.0 for m in range(n)]


def _as_op(op: Op | str) -> Op:
    if isinstance(op, Op):
        return op
    if isinstance(op, str) and op in OPS:
        return OPS[op]
    raise ValueError(f"unknown op {op!r}; the table has {', '.join(OPS)}")


def _finite(x: Any, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{what} must be a real number, got {type(x).__name__}")
    if not math.isfinite(x):
        raise ValueError(f"{what} must be finite, got {x}")
    return float(x)
