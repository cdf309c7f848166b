"""Backprop as code: trace a function of Values once, then run it as straight-line Python.

``compile(f, example_inputs)`` calls ``f`` once with the ordinary engine on Values holding the
example inputs, and writes the graph it built as Python: one line per node for the forward, then
the backward in the order ``backward()`` takes, one line per partial, each partial written with
the op table's formula text (``g_n += (1 - out**2) * g_out``) and skipped under ``if g_out:`` when
nothing flows back, as the engine skips it. It runs the same float operations in the same order
as ``f(...).backward()``, so values and gradients are bitwise the interpreter's.

A trace holds only for inputs that take the same path. Comparisons of Values during the trace
(``if x > 0``, ``max(values)``) become guards: the compiled code checks them and, when one fails,
the function is traced again at the new inputs (up to ``max_traces`` paths are kept, then the
interpreter runs). Reading ``.data`` or ``float()`` of a traced Value, or ``no_grad`` inside
``f``, would hide a dependence on the inputs: the trace refuses with a ``TraceError`` naming the
line. Values ``f`` closes over are constants, checked unchanged before every call (a change means
a new trace), except ``params``: they are read afresh at each call and their ``.grad``
accumulates exactly as ``backward()`` accumulates it.
"""


from __future__ import annotations

import inspect
import linecache
import operator
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from . import engine
from .codegen import DATA, Guard, Trace, TraceError, generate, same
from .modes import MODE, is_anomaly_enabled
from .ops import LEAF, Op, as_float
from .value import Value

__all__ = ["Compiled", "TraceError", "compile"]

_ENGINE_MODULES = {"autograd_tiny.value", "autograd_tiny.engine", "autograd_tiny.ops",
                   "autograd_tiny.codegen", __name__}


class _Traced(Value):
    """A Value inside a trace: reading its data outside the engine refuses the trace."""

    __slots__ = ()

    @property  # type: ignore[override]
    def data(self) -> float:
        caller = sys._getframe(1)
        data: float = DATA.__get__(self, Value)
        tracer = MODE.get().trace
        if tracer is not None:
            if caller.f_globals.get("__name__") not in _ENGINE_MODULES:
                tracer.refuse(f"reads .data of {_who(self)}", caller)
            elif caller.f_code.co_name == "_power":  # the engine refuses a negative base there
                tracer.compared(self, "<", 0.0, data < 0.0)
        return data

    @data.setter
    def data(self, value: float) -> None:
        tracer = MODE.get().trace
        if tracer is not None and sys._getframe(1).f_globals.get("__name__") != __name__:
            tracer.refuse(f"sets .data of {_who(self)}", sys._getframe(1))
        DATA.__set__(self, value)

    def __float__(self) -> float:
        tracer = MODE.get().trace
        if tracer is not None:
            tracer.refuse(f"calls float() on {_who(self)}", sys._getframe(1))
        return DATA.__get__(self, Value)  # type: ignore[no-any-return]


def _who(v: Value) -> str:
    return f"the Value {v.label!r}" if v.label else "a Value"


def _user_frame(frame: Any) -> Any:
    """The first frame outside the engine: the line of the user's code."""
    while frame is not None and frame.f_globals.get("__name__") in _ENGINE_MODULES:
        frame = frame.f_back
    return frame


def _where(frame: Any) -> str:
    if frame is None:
        return "<unknown>"
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" + (f": {line}" if line else "")


class _Tracer:
    """Receives every op while ``f`` runs (through ``Mode.trace``) and every comparison."""

    def __init__(self) -> None:
        self.nodes: list[Value] = []
        self.guards: list[Guard] = []
        self.refusal: str | None = None

    def __call__(self, op: Op, children: tuple[Value, ...], data: float) -> Value:
        if not MODE.get().grad:
            self.refuse("runs an op under no_grad (its result would be a constant)",
                        sys._getframe(1))
        out = object.__new__(_Traced)
        DATA.__set__(out, data)
        out.grad = 0.0
        out.label = ""
        out._op_entry = op
        out.children = children
        self.nodes.append(out)
        return out

    def compared(self, a: Value, op: str, b: object, outcome: bool) -> None:
        rhs = b if isinstance(b, Value) else as_float(b, "comparison operand")
        where = _where(_user_frame(sys._getframe(1)))
        self.guards.append(Guard(a, op, rhs, outcome, len(self.nodes), where))

    def refuse(self, what: str, frame: Any) -> None:
        message = (f"cannot compile: the function {what} at {_where(_user_frame(frame))}; "
                   "the compiled code could not follow the data there. Use a comparison "
                   "(which becomes a guard) or the interpreter.")
        if self.refusal is None:
            self.refusal = message  # raised once f returns: f may still raise its own error


class Compiled:
    """``f`` traced and compiled: call it with floats as ``f`` is called with Values.

    ``c(*xs)`` is ``f``'s value (a float, or a tuple of floats when ``f`` returns a tuple: its
    first item is differentiated, the rest are carried along); ``c.value_and_grad(*xs)`` adds
    the gradients with respect to the inputs in ``argnums``; ``c.accumulate(rows, seed)`` runs
    many inputs in one loop. ``c.source`` is the generated Python of the first trace.

    While ``f`` is traced (by ``compile``, and again when a guard fails), ``params`` are
    briefly Values of a tracing subclass, so that a read of their data is caught: do not use
    them from another thread meanwhile.
    """

    def __init__(self, f: Callable[..., Any], example_inputs: Sequence[float], *,
                 argnums: int | Sequence[int] | None = None, params: Iterable[Value] = (),
                 max_traces: int = 8) -> None:
        self.f = f
        self.n = len(example_inputs)
        if argnums is None:
            wanted = tuple(range(self.n))
        else:
            wanted = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        for i in wanted:
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < self.n:
                raise ValueError(f"argnums must hold indices of the {self.n} inputs, got {i!r}")
        self.argnums = wanted
        self.params = list(params)
        for p in self.params:
            if type(p) is not Value:
                raise TypeError(f"params must be Values, got {type(p).__name__}")
            if p.children:
                raise ValueError(f"params must be leaves; {p!r} was computed by {p.op!r}")
        self.max_traces = max_traces
        self.traces: list[Trace] = []
        self.interpreted = 0  # rows run by the interpreter (a guard missed every trace)
        self._trace([as_float(x, "example input") for x in example_inputs])

    @property
    def source(self) -> str:
        """The generated Python of the first trace."""
        return self.traces[0].source

    @property
    def guards(self) -> list[Guard]:
        """The guards of the first trace."""
        return self.traces[0].guards

    def __call__(self, *xs: float) -> Any:
        return self.value_and_grad(*xs)[0]

    def value_and_grad(self, *xs: float, seed: float = 1.0) -> tuple[Any, tuple[float, ...]]:
        """``f``'s value at ``xs`` and d f / d x for x in ``argnums``; params' .grad += d/dp."""
        if len(xs) != self.n:
            raise TypeError(f"the compiled function takes {self.n} inputs, got {len(xs)}")
        out = self.accumulate([xs], seed)[0]
        k = len(out) - len(self.argnums)
        value = out[0] if k == 1 else tuple(out[:k])
        return value, tuple(out[k:])

    def accumulate(self, rows: Sequence[Sequence[float]],
                   seed: float = 1.0) -> list[tuple[float, ...]]:
        """Per row of inputs, ``f(*row).backward(seed)``, params' grads accumulating across
        rows; returns per row ``(value, *carried, *input_grads)`` as floats."""
        table = [tuple(r) for r in rows]
        for i, row in enumerate(table):
            if len(row) != self.n:
                raise TypeError(f"the compiled function takes {self.n} inputs, got {len(row)} "
                                f"in row {i}")
        seed = as_float(seed, "seed")
        results: list[tuple[float, ...]] = []
        grads = list(map(_GRAD, self.params))
        if is_anomaly_enabled() or not set(map(type, grads)) <= {float}:
            for row in table:
                results.append(self._interpret(row, seed))
            return results
        live = list(map(_GET_DATA, self.params))
        start = 0
        try:
            while start < len(table):
                done, failed = self._run(table, start, live, grads, seed, results)
                if done:
                    start += done
                    continue
                if not failed and len(self.traces) < self.max_traces:
                    self._trace(table[start])  # the new path runs next time round
                    continue
                _set_grads(self.params, grads)
                results.append(self._interpret(table[start], seed))
                self.interpreted += 1
                grads = list(map(_GRAD, self.params))
                start += 1
        finally:
            _set_grads(self.params, grads)
        return results

    def _run(self, rows: list[tuple[float, ...]], start: int, live: list[float],
             grads: list[float], seed: float, results: list[tuple[float, ...]]
             ) -> tuple[int, bool]:
        """Rows from ``start`` through the first trace whose guards hold for the first of
        them; returns how many ran, and whether one raised (the interpreter then words it)."""
        for trace in self.traces:
            if not all(same(v.data, d) for v, d in trace.constants):
                continue
            try:
                out = trace.run(rows[start:], live, grads, seed)
            except (ArithmeticError, ValueError):
                return 0, True
            if out:
                results += out
                return len(out), False
        return 0, False

    def _interpret(self, row: tuple[float, ...], seed: float) -> tuple[float, ...]:
        """One row through the ordinary engine: what the compiled code must equal."""
        xs = [Value(x) for x in row]
        root, carried = _outputs(self.f(*xs))
        order = engine.toposort(root)
        keep = {id(v) for v in (*xs, *self.params)}
        saved = [(v, v.grad) for v in order if not v.children and id(v) not in keep]
        root.backward(seed)
        for v, g in saved:
            v.grad = g  # constants f closes over are not touched, as in the compiled code
        return (root.data, *[c.data for c in carried], *[xs[i].grad for i in self.argnums])

    def _trace(self, row: Sequence[float]) -> None:
        """Trace ``f`` at ``row`` and add the compiled path."""
        tracer = _Tracer()
        inputs: list[Value] = []
        for x in row:
            v = object.__new__(_Traced)
            DATA.__set__(v, float(x))
            v.grad, v.label, v._op_entry, v.children = 0.0, "", LEAF, ()
            inputs.append(v)
        token = MODE.set(MODE.get()._replace(trace=tracer))
        for p in self.params:
            p.__class__ = _Traced
        try:
            result = self.f(*inputs)
        finally:
            for p in self.params:
                p.__class__ = Value
            MODE.reset(token)
        if tracer.refusal is not None:
            raise TraceError(tracer.refusal)
        root, carried = _outputs(result)
        trace = generate(root, carried, tracer.nodes, tracer.guards, inputs, self.params,
                         self.argnums, _argument_names(self.f, len(inputs)))
        self.traces.append(trace)


_GRAD = operator.attrgetter("grad")
_GET_DATA = operator.attrgetter("data")


def _set_grads(params: list[Value], grads: list[float]) -> None:
    for p, g in zip(params, grads, strict=True):
        p.grad = g


def _outputs(result: Any) -> tuple[Value, list[Value]]:
    items = list(result) if isinstance(result, (tuple, list)) else [result]
    if not items or not all(isinstance(v, Value) for v in items):
        raise TypeError("the compiled function must return a Value, or a tuple of Values "
                        f"whose first is differentiated; got {type(result).__name__}")
    return items[0], items[1:]


def _argument_names(f: Callable[..., Any], n: int) -> list[str]:
    """The names of ``f``'s ``n`` positional parameters, or x0, x1, ... when it has no such."""
    try:
        parameters = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    names = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return names if len(names) == n else [f"x{i}" for i in range(n)]


def compile(f: Callable[..., Any], example_inputs: Sequence[float], *,
            argnums: int | Sequence[int] | None = None, params: Iterable[Value] = (),
            max_traces: int = 8) -> Compiled:
    """Trace ``f`` (called with one Value per input) at ``example_inputs`` and compile its
    forward and backward to Python; see ``Compiled``. ``argnums`` picks the inputs to
    differentiate (all by default); ``params`` are Values ``f`` closes over that change between
    calls (a model's parameters): read afresh each call, their ``.grad`` accumulates."""
    return Compiled(f, example_inputs, argnums=argnums, params=params, max_traces=max_traces)
