"""Backprop as code: trace a function of Values once, then run it as straight-line Python.

``compile(f, example_inputs)`` calls ``f`` once with the ordinary engine on Values holding the
example inputs, and writes the graph it built as Python: one line per node for the forward, then
the backward in the order ``backward()`` takes, one line per partial, each partial written with
the op table's formula text (``g3 += (1 - v4**2) * g4``) and skipped under ``if g4:`` when
nothing flows back, as the engine skips it. It runs the same float operations in the same order
as ``f(...).backward()``, so values and gradients are bitwise the interpreter's.

A trace holds only for inputs that take the same path. Comparisons of Values during the trace
(``if x > 0``, ``max(values)``) become guards: the compiled code checks them and, when one fails,
the function is traced again at the new inputs (up to ``max_traces`` paths are kept, then the
interpreter runs). Reading ``.data``, ``float()``, ``repr()`` or ``backward()`` of a traced
Value, or ``no_grad`` inside ``f``, would hide a dependence on the inputs: the trace refuses
with a ``TraceError`` naming the line. What ``f`` can reach besides its inputs (Values and
numbers in its closure, the globals it names and the objects they hold) is compared bitwise
before every call, and a change means a new trace; ``params`` are read afresh at each call and
their ``.grad`` accumulates exactly as ``backward()`` accumulates it.

How the engine tells the tracer what it does: ``record`` hands each new node to
``Mode.trace``, every comparison (including ``**``'s check of its base) calls
``trace.compared``, and the traced Values' own methods mark the engine's reads of their data
(``_Traced``); no call frame is inspected to decide anything, only to name the user's line.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import linecache
import operator
import sys
import threading
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from . import engine
from .codegen import DATA, Code, Guard, TraceError, generate, same
from .functional import function
from .modes import MODE, is_anomaly_enabled
from .ops import LEAF, Op, as_float
from .value import Value

__all__ = ["Compiled", "TraceError", "compile"]

_ENGINE_MODULES = {"autograd_tiny.value", "autograd_tiny.engine", "autograd_tiny.ops",
                   "autograd_tiny.codegen", __name__}
# One lock for every compiled function: they share params (fit compiles one per label), and a
# run reads the params' grads at its start and writes them back at its end.
_LOCK = threading.RLock()


class _Traced(Value):
    """A Value inside a trace. The engine reads its data only to hand it straight to the
    tracer's next hook, naming it as an operand (``record`` an op of it, or ``compared``):
    each read is logged, and a read that no hook takes as an operand was made by ``f``."""

    __slots__ = ()

    @property  # type: ignore[override]
    def data(self) -> float:
        tracer = MODE.get().trace
        if tracer is not None:
            tracer.read(self)
        return DATA.__get__(self)  # type: ignore[no-any-return]

    @data.setter
    def data(self, value: float) -> None:
        tracer = MODE.get().trace
        if tracer is not None:
            tracer.refuse(f"sets .data of {_who(self)}", _where(_user_frame()))
        DATA.__set__(self, value)

    def __float__(self) -> float:
        tracer = MODE.get().trace
        if tracer is not None:
            tracer.refuse(f"calls float() on {_who(self)}", _where(_user_frame()))
        return DATA.__get__(self)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        _refuse_now(self, "shows (repr)")
        return Value.__repr__(self)

    def __format__(self, spec: str) -> str:
        _refuse_now(self, "formats")
        return format(Value.__repr__(self), spec)

    def backward(self, grad: float | Value = 1.0, *, create_graph: bool = False) -> None:
        """Refused inside a trace: the compiled code writes its own backward."""
        _refuse_now(self, "calls backward() on")
        engine.backward(self, grad, create_graph=create_graph)


def _refuse_now(v: Value, what: str) -> None:
    """Inside a trace, refuse at once: what follows would use numbers the trace cannot see."""
    tracer = MODE.get().trace
    if tracer is not None:
        tracer.refuse(f"{what} {_who(v)}", _where(_user_frame()))
        raise TraceError(tracer.refusal)


def _who(v: Value) -> str:
    return f"the Value {v.label!r}" if v.label else "a Value"


def _user_frame() -> Any:
    """The first frame outside the engine: the user's line, for messages (nothing is decided
    by it). There is one: the user called compile."""
    frame: Any = sys._getframe(1)
    while frame is not None and _in_engine(frame.f_globals.get("__name__", "")):
        frame = frame.f_back
    return frame


def _in_engine(module: str) -> bool:
    # mutmut's trampolines sit between the engine's functions while it tests a mutant
    return module in _ENGINE_MODULES or module.startswith("mutmut.")


def _where(frame: Any) -> str:
    return _place(frame.f_code.co_filename, frame.f_lineno)


def _place(filename: str, lineno: int) -> str:
    """``file:line: source``, or ``file:line`` when the source cannot be read."""
    line = linecache.getline(filename, lineno).strip()
    return f"{filename}:{lineno}" + (f": {line}" if line else "")


class _Tracer:
    """Receives every op while ``f`` runs (through ``Mode.trace``), every comparison, and
    every read of a traced Value's data."""

    def __init__(self) -> None:
        self.nodes: list[Value] = []
        self.guards: list[Guard] = []
        self.refusal: str | None = None
        self.reads: list[tuple[Value, tuple[str, int]]] = []  # not yet taken by a hook

    def __call__(self, op: Op, children: tuple[Value, ...], data: float) -> Value:
        self._take(children)
        if not MODE.get().grad:
            self.refuse("runs an op under no_grad (its result would be a constant)",
                        _where(_user_frame()))
        out = object.__new__(_Traced)
        DATA.__set__(out, data)
        out.grad = 0.0
        out.label = ""
        out._op_entry = op
        out.children = children
        self.nodes.append(out)
        return out

    def compared(self, a: Value, op: str, b: Value | float, outcome: bool) -> None:
        rhs = b if isinstance(b, Value) else float(b)  # a number: the comparison checked it
        self._take((a, rhs))  # a number matches no read
        self.guards.append(Guard(a, op, rhs, outcome, len(self.nodes), _where(_user_frame())))

    def read(self, v: Value) -> None:
        frame = _user_frame()
        self.reads.append((v, (frame.f_code.co_filename, frame.f_lineno)))

    def _take(self, operands: tuple[Value | float, ...]) -> None:
        """The engine read these operands' data for this op or comparison; any other read
        still waiting was ``f``'s own."""
        if not self.reads:
            return
        left = self.reads
        self.reads = []
        for v in operands:  # the engine's read of each is the latest
            for k in range(len(left) - 1, -1, -1):
                if left[k][0] is v:
                    del left[k]
                    break
        self.finish(left)

    def finish(self, left: list[tuple[Value, tuple[str, int]]] | None = None) -> None:
        """Refuse if a read was never taken by a hook (by default: any still waiting)."""
        for v, (filename, lineno) in self.reads if left is None else left:
            self.refuse(f"reads .data of {_who(v)}", _place(filename, lineno))

    def refuse(self, what: str, where: str) -> None:
        message = (f"cannot compile: the function {what} at {where}; the compiled code could "
                   "not follow the data there. Use a comparison (which becomes a guard) or "
                   "the interpreter.")
        if self.refusal is None:
            self.refusal = message  # raised once f returns: f may still raise its own error


class Trace:
    """One compiled path: its code, its guards, and what it read besides its inputs, with the
    values it had (the trace holds only while they are unchanged)."""

    def __init__(self, code: Code, guards: list[Guard], watched: list[Watch]) -> None:
        self.source = code.source
        self.run = code.run
        self.guards = guards
        self.watched = watched
        # Checked before every call, so read in bulk: the Values' data, then the cells', then
        # the containers' items, against what they held (the very same objects when unchanged).
        self.values = [w.holder for w in watched if isinstance(w.holder, Value)]
        self.cells = [w.holder for w in watched if isinstance(w.holder, types.CellType)]
        self.items = [(w.holder, w.key) for w in watched
                      if not isinstance(w.holder, (Value, types.CellType))]
        self.then = [*[w.value for w in watched if isinstance(w.holder, Value)],
                     *[w.value for w in watched if isinstance(w.holder, types.CellType)],
                     *[w.value for w in watched
                       if not isinstance(w.holder, (Value, types.CellType))]]

    def fresh(self) -> bool:
        """True while everything watched holds what it held: the same objects (quick), or
        bitwise equal numbers of the same type."""
        try:
            now = [*map(DATA.__get__, self.values), *[c.cell_contents for c in self.cells],
                   *[holder[key] for holder, key in self.items]]
        except (KeyError, IndexError, ValueError):
            return all(w.unchanged() for w in self.watched)
        return all(map(operator.is_, now, self.then)) or all(
            w.unchanged() for w in self.watched)


class Watch:
    """One thing ``f`` can read that is not an input: a Value's data, or a number held in a
    closure cell, a dict (globals, an object's attributes) or a list; with its value then."""

    __slots__ = ("holder", "key", "value")

    def __init__(self, holder: Any, key: Any) -> None:
        self.holder, self.key = holder, key
        self.value = self.now()

    def now(self) -> Any:
        if isinstance(self.holder, Value):
            return DATA.__get__(self.holder)
        try:
            if isinstance(self.holder, types.CellType):
                return self.holder.cell_contents
            return self.holder[self.key]
        except (KeyError, IndexError, ValueError):
            return _GONE

    def unchanged(self) -> bool:
        now = self.now()
        return type(now) is type(self.value) and same(now, self.value)

    def name(self) -> str:
        if isinstance(self.holder, Value):
            return _who(self.holder)
        return f"the {type(self.value).__name__} {self.key!r}" if self.key is not None \
            else "a number in a closure"


_GONE = object()
_SCALARS = (bool, int, float, str)
_WALK_LIMIT = 100_000  # objects looked at; past it, what f reaches further is not watched


def _watch(f: Callable[..., Any], skip: set[int]) -> list[Watch]:
    """What ``f`` can read besides its inputs: the Values and numbers reachable from it (its
    closure, defaults, the globals its code names, and the lists, dicts and object attributes
    they hold), Values in ``skip`` (the params) left out."""
    found: list[Watch] = []
    seen: dict[int, Any] = {}  # holding each object: a freed one's id could come back
    stack: list[Any] = [f]

    def hold(holder: Any, key: Any, item: Any) -> None:
        if isinstance(item, _SCALARS):
            found.append(Watch(holder, key))
        else:
            stack.append(item)

    while stack and len(seen) < _WALK_LIMIT:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen[id(obj)] = obj
        if isinstance(obj, Value):
            if type(obj) is Value and id(obj) not in skip:
                found.append(Watch(obj, None))
        elif isinstance(obj, (type, types.ModuleType, Compiled, Trace, _SCALARS, bytes)):
            continue
        elif isinstance(obj, types.FunctionType):
            for cell in obj.__closure__ or ():
                try:
                    hold(cell, None, cell.cell_contents)
                except ValueError:  # an empty cell
                    pass
            stack += [obj.__defaults__ or (), obj.__kwdefaults__ or {}]
            for name in _global_names(obj.__code__):
                if name in obj.__globals__:
                    hold(obj.__globals__, name, obj.__globals__[name])
        elif isinstance(obj, types.MethodType):
            stack += [obj.__self__, obj.__func__]
        elif isinstance(obj, functools.partial):
            stack += [obj.func, obj.args, obj.keywords]
        elif isinstance(obj, dict):
            for key, item in list(obj.items()):
                hold(obj, key, item)
        elif isinstance(obj, list):
            for i, item in enumerate(obj):
                hold(obj, i, item)
        elif isinstance(obj, (tuple, set, frozenset)):
            stack += [item for item in obj if not isinstance(item, _SCALARS)]
        else:
            if hasattr(obj, "__dict__"):
                stack.append(vars(obj))
            call = inspect.getattr_static(type(obj), "__call__", None)
            if isinstance(call, types.FunctionType):
                stack.append(call)
    return found


def _global_names(code: types.CodeType) -> Iterator[str]:
    """The names ``code`` and the functions defined in it may look up as globals."""
    todo = [code]
    while todo:
        c = todo.pop()
        yield from c.co_names
        todo += [k for k in c.co_consts if isinstance(k, types.CodeType)]


class Compiled:
    """``f`` traced and compiled: call it with floats as ``f`` is called with Values.

    ``c(*xs)`` is ``f``'s value (a float, or a tuple of floats when ``f`` returns a tuple: its
    first item is differentiated, the rest are carried along), as ``f(*xs)`` without
    ``backward()``: no gradient is computed and no ``.grad`` changes. ``c.value_and_grad(*xs)``
    adds the gradients with respect to the inputs in ``argnums`` and adds d/dp to each param's
    ``.grad``; ``c.accumulate(rows, seed)`` runs many inputs in one loop. ``c.source`` is the
    generated Python of the first trace.

    Calls from several threads are safe: every compiled function takes one lock for a call, so
    they run one at a time and no gradient update is lost. While ``f`` is traced (by
    ``compile``, and again when a guard fails), ``params`` are briefly Values of a tracing
    subclass, so that a read of their data is caught.
    """

    def __init__(self, f: Callable[..., Any], example_inputs: Sequence[float], *,
                 argnums: int | Sequence[int] | None = None, params: Iterable[Value] = (),
                 max_traces: int = 8) -> None:
        function(f, "compile")
        self.f = f
        self.n = len(example_inputs)
        wanted: tuple[Any, ...]  # checked to be ints just below
        if argnums is None:
            wanted = tuple(range(self.n))
        elif isinstance(argnums, Iterable) and not isinstance(argnums, (str, bytes)):
            wanted = tuple(argnums)
        else:
            wanted = (argnums,)
        for i in wanted:
            if isinstance(i, bool) or not isinstance(i, int):
                raise TypeError(f"argnums must be an int, a sequence of ints or None, got "
                                f"{type(i).__name__} {i!r:.40}")
            if not 0 <= i < self.n:
                raise ValueError(f"argnums must hold indices of the {self.n} inputs, got {i!r}")
        if len(set(wanted)) < len(wanted):
            raise ValueError(f"argnums must not repeat an input, got {argnums!r}")
        if isinstance(max_traces, bool) or not isinstance(max_traces, int):
            raise TypeError(f"max_traces must be an int, got {type(max_traces).__name__} "
                            f"{max_traces!r:.40}")
        if max_traces < 1:
            raise ValueError(f"max_traces must be an integer >= 1, got {max_traces!r}")
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
        row = tuple(as_float(x, "example input") for x in example_inputs)
        with _LOCK:
            self._trace(row)

    @property
    def source(self) -> str:
        """The generated Python of the first trace."""
        return self.traces[0].source

    @property
    def guards(self) -> list[Guard]:
        """The guards of the first trace."""
        return self.traces[0].guards

    def __call__(self, *xs: float) -> Any:
        """``f(*xs)``'s value, as floats; no gradient, no ``.grad`` changed."""
        out = self._execute([self._row(xs)], None)[0]
        return out[0] if len(out) == 1 else out

    def value_and_grad(self, *xs: float, seed: float = 1.0) -> tuple[Any, tuple[float, ...]]:
        """``f``'s value at ``xs`` and d f / d x for x in ``argnums``; params' .grad += d/dp."""
        out = self._execute([self._row(xs)], as_float(seed, "seed"))[0]
        k = len(out) - len(self.argnums)
        value = out[0] if k == 1 else tuple(out[:k])
        return value, tuple(out[k:])

    def accumulate(self, rows: Sequence[Sequence[float]],
                   seed: float = 1.0) -> list[tuple[float, ...]]:
        """Per row of inputs, ``f(*row).backward(seed)``, params' grads accumulating across
        rows; returns per row ``(value, *carried, *input_grads)`` as floats."""
        rows = list(rows)
        if set(map(len, rows)) <= {self.n} and \
                set(map(type, itertools.chain.from_iterable(rows))) <= {float}:
            table = list(map(tuple, rows))  # rows of floats, as fit passes them: checked at once
        else:
            table = [self._row(r, i) for i, r in enumerate(rows)]
        return self._execute(table, as_float(seed, "seed"))

    def _row(self, xs: Sequence[float], i: int | None = None) -> tuple[float, ...]:
        """The inputs as floats, converted as ``Value`` converts them."""
        if len(xs) != self.n:
            where = f" in row {i}" if i is not None else ""
            raise TypeError(f"the compiled function takes {self.n} inputs, got {len(xs)}{where}")
        row = tuple(xs)
        if all(type(x) is float for x in row):
            return row
        return tuple(as_float(x, "input") for x in row)

    def _execute(self, table: list[tuple[float, ...]],
                 seed: float | None) -> list[tuple[float, ...]]:
        """The rows, differentiated from ``seed``, or forward only when it is None."""
        backward = seed is not None
        with _LOCK:
            grads = list(map(_GRAD, self.params))
            results: list[tuple[float, ...]] = []
            if is_anomaly_enabled() or not set(map(type, grads)) <= {float}:
                for row in table:
                    results.append(self._interpret(row, seed))
                return results
            if table:
                self._drop_stale()
            live = list(map(_GET_DATA, self.params))
            try:
                self._loop(table, live, grads, seed, results, backward)
            finally:
                _set_grads(self.params, grads)
            return results

    def _loop(self, table: list[tuple[float, ...]], live: list[float], grads: list[float],
              seed: float | None, results: list[tuple[float, ...]], backward: bool) -> None:
        """Each row through the first trace whose guards hold for it, a trace running on
        through the rows after it until a guard fails; a new trace, or the interpreter, for a
        row no trace takes. Every row is taken from ``rest`` once (a failed guard leaves its
        row in ``row``), so rows cost the same wherever a guard fails."""
        rest = iter(table)
        row = next(rest, None)
        pos = 0
        while row is not None:
            moved = raised = False
            for trace in self.traces:
                before = len(results)
                try:
                    finished = trace.run(itertools.chain((row,), rest), live, grads, seed,
                                         results, backward)
                except (ArithmeticError, ValueError):
                    done = len(results) - before
                    del results[before:]
                    # its grads were not written back: run the rows before the one that raised
                    # again (they do not raise), then let the interpreter word the error
                    trace.run(table[pos:pos + done], live, grads, seed, results, backward)
                    pos += done
                    raised = True
                    break
                done = len(results) - before
                if finished:
                    return
                if done:  # a guard failed further on: look for that row's path from the first
                    pos += done
                    moved = True
                    break
            if moved:
                row = table[pos]
                continue
            if not raised and len(self.traces) < self.max_traces:
                self._trace(row)  # the new path runs next time round
                continue
            _set_grads(self.params, grads)
            results.append(self._interpret(table[pos], seed))
            self.interpreted += 1
            grads[:] = map(_GRAD, self.params)
            self._drop_stale()
            pos += 1
            row = next(rest, None)

    def _drop_stale(self) -> None:
        """Forget the traces made when what ``f`` reads held other values."""
        self.traces = [t for t in self.traces if t.fresh()]

    def _interpret(self, row: tuple[float, ...], seed: float | None) -> tuple[float, ...]:
        """One row through the ordinary engine: what the compiled code must equal."""
        xs = [Value(x) for x in row]
        root, carried = _outputs(self.f(*xs))
        if seed is None:
            return (root.data, *[c.data for c in carried])
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
            DATA.__set__(v, x)
            v.grad, v.label, v._op_entry, v.children = 0.0, "", LEAF, ()
            inputs.append(v)
        watched = _watch(self.f, {id(p) for p in self.params})
        token = MODE.set(MODE.get()._replace(trace=tracer))
        for p in self.params:
            p.__class__ = _Traced
        try:
            result = self.f(*inputs)
        finally:
            for p in self.params:
                p.__class__ = Value
            MODE.reset(token)
        tracer.finish()
        if tracer.refusal is not None:
            raise TraceError(tracer.refusal)
        changed = [w.name() for w in watched if not w.unchanged()]
        if changed:
            raise TraceError(f"cannot compile: the function changes {', '.join(changed[:3])} "
                             "that it reads besides its inputs; the compiled code would not "
                             "change it. Use the interpreter.")
        root, carried = _outputs(result)
        code = generate(root, carried, tracer.nodes, tracer.guards, inputs, self.params,
                        self.argnums, _argument_names(self.f, len(inputs)))
        known = {id(w.holder) for w in watched}
        watched += [Watch(v, None) for v in code.constants if id(v) not in known]
        self.traces.append(Trace(code, list(tracer.guards), watched))


_GRAD = operator.attrgetter("grad")
_GET_DATA = operator.attrgetter("data")


def _set_grads(params: list[Value], grads: list[float]) -> None:
    for k, p in enumerate(params):
        p.grad = grads[k]


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

