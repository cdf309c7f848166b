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

import ast
import builtins
import functools
import inspect
import keyword
import linecache
import math
import operator
import random
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from . import engine, ops
from .modes import MODE, is_anomaly_enabled
from .ops import LEAF, OPS, Op, as_float, fill
from .value import Value

__all__ = ["Compiled", "TraceError", "compile"]


# The functions the op table's formula texts call, as the engine evaluates them.
FORMULA_GLOBALS: dict[str, Any] = {k: v for k, v in ops.FORMULA_GLOBALS.items()
                                   if k != "__builtins__"}

_INFIX = {"+": (operator.add, "{} + {}"), "*": (operator.mul, "{} * {}"),
          "/": (operator.truediv, "{} / {}"), "-": (operator.neg, "-{}")}
_PLUMBING = {"rows", "params", "grads", "seed", "results", "inf", "nan"}
_ENGINE_MODULES = {"autograd_tiny.value", "autograd_tiny.engine", "autograd_tiny.ops", __name__}
_DATA = Value.__dict__["data"]  # the slot behind Value.data


class TraceError(TypeError):
    """``f`` cannot be compiled: it depends on the data in a way a trace cannot check."""


def _forward_names() -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
    """A Python name per op (its forward, called by the generated code), a name per formula
    function (``formula_log`` where the op ``log`` took ``log``), and their namespace."""
    names: dict[str, str] = {}
    namespace: dict[str, Any] = {"inf": math.inf, "nan": math.nan}
    for op in OPS.values():
        infix = _INFIX.get(op.name)
        if infix is not None and op.forward is infix[0]:
            continue
        name = {"**": "power"}.get(op.name, op.name)
        while (name in namespace or keyword.iskeyword(name)
               or getattr(builtins, name, op.forward) is not op.forward):
            name += "_"
        names[op.name] = name
        namespace[name] = op.forward
    formula: dict[str, str] = {}
    for name, fn in FORMULA_GLOBALS.items():
        formula[name] = name if namespace.get(name, fn) is fn else f"formula_{name}"
        namespace[formula[name]] = fn
    return names, formula, namespace


_FORWARD, _FORMULA, _NAMESPACE = _forward_names()


class _Traced(Value):
    """A Value inside a trace: reading its data outside the engine refuses the trace."""

    __slots__ = ()

    @property  # type: ignore[override]
    def data(self) -> float:
        caller = sys._getframe(1)
        data: float = _DATA.__get__(self, Value)
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
        _DATA.__set__(self, value)

    def __float__(self) -> float:
        tracer = MODE.get().trace
        if tracer is not None:
            tracer.refuse(f"calls float() on {_who(self)}", sys._getframe(1))
        return _DATA.__get__(self, Value)  # type: ignore[no-any-return]


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


@dataclass(frozen=True)
class Guard:
    """``lhs op rhs`` was ``outcome`` when traced; the trace holds only while it still is."""

    lhs: Value
    op: str
    rhs: Value | float
    outcome: bool
    after: int  # how many nodes had been made when it was checked
    where: str


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
        _DATA.__set__(out, data)
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


@dataclass
class _Trace:
    source: str
    run: Callable[..., list[tuple[float, ...]]]
    guards: list[Guard]
    constants: list[tuple[Value, float]]


class Compiled:
    """``f`` traced and compiled: call it with floats as ``f`` is called with Values.

    ``c(*xs)`` is ``f``'s value (a float, or a tuple of floats when ``f`` returns a tuple: its
    first item is differentiated, the rest are carried along); ``c.value_and_grad(*xs)`` adds
    the gradients with respect to the inputs in ``argnums``; ``c.accumulate(rows, seed)`` runs
    many inputs in one loop. ``c.source`` is the generated Python of the first trace.
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
        self.traces: list[_Trace] = []
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
            if not all(_same(v.data, d) for v, d in trace.constants):
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
            _DATA.__set__(v, float(x))
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
        trace = _generate(root, carried, tracer, inputs, self.params, self.argnums,
                          _argument_names(self.f, len(inputs)))
        self.traces.append(trace)


_GRAD = operator.attrgetter("grad")
_GET_DATA = operator.attrgetter("data")


def _set_grads(params: list[Value], grads: list[float]) -> None:
    for p, g in zip(params, grads, strict=True):
        p.grad = g


def _same(a: float, b: float) -> bool:
    return a == b or (a != a and b != b)


def _outputs(result: Any) -> tuple[Value, list[Value]]:
    items = list(result) if isinstance(result, (tuple, list)) else [result]
    if not items or not all(isinstance(v, Value) for v in items):
        raise TypeError("the compiled function must return a Value, or a tuple of Values "
                        f"whose first is differentiated; got {type(result).__name__}")
    return items[0], items[1:]


def _identifier(label: str) -> str:
    name = re.sub(r"\W", "_", label)
    return "_" + name if name[:1].isdigit() else name


def _argument_names(f: Callable[..., Any], n: int) -> list[str]:
    """The names of ``f``'s ``n`` positional parameters, or x0, x1, ... when it has no such."""
    try:
        parameters = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    names = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return names if len(names) == n else [f"x{i}" for i in range(n)]


def _generate(root: Value, carried: list[Value], tracer: _Tracer, inputs: list[Value],
              params: list[Value], argnums: tuple[int, ...], arg_names: list[str]) -> _Trace:
    """Python for the traced graph: forward in the order it ran, backward in backward()'s."""
    made = {id(v): i for i, v in enumerate(tracer.nodes)}
    kind: dict[int, str] = {id(v): "input" for v in inputs}
    kind.update({id(p): "param" for p in params})
    # Which nodes the forward needs: the outputs, the guards' operands, and all below them.
    needed: set[int] = set()
    stack = [root, *carried, *[g.lhs for g in tracer.guards],
             *[g.rhs for g in tracer.guards if isinstance(g.rhs, Value)]]
    constants: dict[int, Value] = {}
    while stack:
        v = stack.pop()
        if id(v) in needed:
            continue
        needed.add(id(v))
        if id(v) in made:
            stack.extend(v.children)
        elif id(v) not in kind:
            if v.children:
                raise TraceError(f"cannot compile: the function uses {v!r}, computed outside "
                                 "it by op {v.op!r}; compute it inside, or pass it as an input")
            constants[id(v)] = v

    names: dict[int, str] = {}
    taken = set(_NAMESPACE) | _PLUMBING

    def name(v: Value, default: str) -> str:
        base = _identifier(v.label) if v.label else default
        candidate = base
        k = 2
        while candidate in taken or keyword.iskeyword(candidate) or hasattr(builtins, candidate):
            candidate, k = f"{base}_{k}", k + 1
        taken.add(candidate)
        names[id(v)] = candidate
        return candidate

    for v, arg in zip(inputs, arg_names, strict=True):
        name(v, arg)
    for i, p in enumerate(params):
        name(p, f"p{i}")
    forward = [v for v in tracer.nodes if id(v) in needed]
    for i, v in enumerate(forward):
        name(v, f"n{i}")

    def ref(v: Value | float) -> str:
        if not isinstance(v, Value):
            return _literal(v)
        if id(v) in constants:
            return _literal(_DATA.__get__(v, Value))
        return names[id(v)]

    lines = ["def compiled(rows, params, grads, seed):",
             f'    """Generated from a trace of {len(forward)} ops; see autograd_tiny.compile."""']
    if params:
        lines.append(f"    {_unpack([names[id(p)] for p in params])} = params")
        lines.append(f"    {_unpack(['g_' + names[id(p)] for p in params])} = grads")
    lines += ["    results = []", f"    for {_unpack([names[id(v)] for v in inputs]) or '_'} "
              "in rows:"]
    guards = sorted(tracer.guards, key=lambda g: g.after)
    body: list[str] = ["# forward"]
    k = 0
    node: Value | None
    for node in [*forward, None]:
        # A guard goes before the first node made after it was checked.
        limit = made[id(node)] if node is not None else len(tracer.nodes)
        while k < len(guards) and guards[k].after <= limit:
            g = guards[k]
            test = f"{ref(g.lhs)} {g.op} {ref(g.rhs)}"
            body.append(f"if {'not ' if g.outcome else ''}({test}):  # guard, {g.where}")
            body.append("    break  # another path: the caller traces again")
            k += 1
        if node is not None:
            body.append(f"{names[id(node)]} = {_forward_line(node, ref)}")

    # Backward over the interpreter's order, only where a wanted gradient lies below.
    order = engine.toposort(root)
    wanted = {id(inputs[i]) for i in argnums} | {id(p) for p in params}
    grads: set[int] = set()
    for v in order:
        if id(v) in wanted or any(id(c) in grads for c in v.children):
            grads.add(id(v))
    body.append("# backward")
    inner = [v for v in order if v.children and id(v) in grads and v is not root]
    zeros = [f"g_{names[id(inputs[i])]}" for i in argnums] + [f"g_{names[id(v)]}" for v in inner]
    for chunk in _chunks(zeros):
        body.append(" = ".join(chunk) + " = 0.0")
    if id(root) in grads:
        if root.children:
            body.append(f"g_{names[id(root)]} = seed")
        else:
            body.append(f"g_{names[id(root)]} += seed")
    for v in reversed(order):
        if not v.children or id(v) not in grads:
            continue
        gv = f"g_{names[id(v)]}"
        body.append(f"if {gv}:")
        n = len(v.children)
        for j, c in enumerate(v.children):
            if id(c) in grads:
                body.append(f"    g_{names[id(c)]} += {_partial(v, j, n, ref)}{gv}")
    outs = [ref(root), *[ref(c) for c in carried]] + [f"g_{names[id(inputs[i])]}" for i in argnums]
    body.append(f"results.append(({', '.join(outs)},))")
    lines += ["        " + line for line in body]
    if params:
        lines.append(f"    grads[:] = {_unpack(['g_' + names[id(p)] for p in params])}")
    lines.append("    return results")
    source = "\n".join(lines) + "\n"
    namespace = dict(_NAMESPACE)
    exec(builtins.compile(source, "<autograd_tiny.compile>", "exec"), namespace)
    const_list = [(v, _DATA.__get__(v, Value)) for v in constants.values()]
    return _Trace(source, namespace["compiled"], list(tracer.guards), const_list)


def _unpack(names: list[str]) -> str:
    return ", ".join(names) + ("," if len(names) == 1 else "")


def _chunks(names: list[str], width: int = 88) -> list[list[str]]:
    out: list[list[str]] = []
    line: list[str] = []
    used = 0
    for n in names:
        if line and used + len(n) > width:
            out.append(line)
            line, used = [], 0
        line.append(n)
        used += len(n) + 3
    if line:
        out.append(line)
    return out


def _literal(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


def _forward_line(v: Value, ref: Callable[[Value], str]) -> str:
    op = v._op_entry
    args = [ref(c) for c in v.children]
    infix = _INFIX.get(op.name)
    if infix is not None and op.forward is infix[0]:
        return infix[1].format(*[f"({a})" if a.startswith("-") else a for a in args])
    form = _inline_form(op.name) if op.name in _INLINE else None
    if form is not None:
        return form([f"({a})" if a.startswith("-") else a for a in args])
    return f"{_FORWARD[op.name]}({', '.join(args)})"


def _dot_written_out(args: Sequence[str]) -> str:
    k = len(args) // 2
    terms = [f"{w} * {x}" for w, x in zip(args[:k], args[k:2 * k], strict=True)]
    # sum() starts from the bias, or from 0
    return " + ".join([*args[2 * k:], *terms] if len(args) % 2 else ["0.0", *terms])


def _dot_mapped(args: Sequence[str]) -> str:
    k = len(args) // 2
    start = f", {args[-1]}" if len(args) % 2 else ""
    return f"sum(map(mul, ({_unpack(list(args[:k]))}), ({_unpack(list(args[k:2 * k]))})){start})"


Form = Callable[[Sequence[str]], str]
# The hottest ops written out instead of called, in the first form that is the op's forward
# bit for bit on this Python (``_inline_form`` checks each once against ``Op.forward``: a
# compensated sum(), as in Python 3.12, rules out the written-out sum); else the call stays.
_INLINE: dict[str, list[Form]] = {
    "dot": [_dot_written_out, _dot_mapped],
    "sum": [lambda args: " + ".join(["0.0", *args]),
            lambda args: f"sum(({_unpack(list(args))}))"],
    "relu": [lambda args: f"({args[0]} if {args[0]} > 0.0 else 0.0)"],
}
_NAMESPACE["mul"] = operator.mul


@functools.cache
def _inline_form(name: str) -> Form | None:
    for form in _INLINE[name]:
        if _form_ok(name, form):
            return form
    return None


def _form_ok(name: str, form: Form) -> bool:
    """True if ``form`` of op ``name`` equals its forward, bit for bit, on random and special
    operands (signed zeros, infinities, NaN, subnormals) of every size up to 17."""
    op = OPS[name]
    rng = random.Random(0)
    special = [0.0, -0.0, 1.0, -1.0, 0.1, 1 / 3, 5e-324, 1e308, -1e308, math.inf, -math.inf,
               math.nan]
    for n in range(1, 18) if op.arity < 0 else [op.arity]:
        params = [f"a{i}" for i in range(n)]
        fn = eval(f"lambda {', '.join(params)}: {form(params)}", dict(_NAMESPACE))
        for _ in range(40):
            xs = [rng.choice(special) if rng.random() < 0.2 else rng.uniform(-1e3, 1e3)
                  * 10.0 ** rng.randint(-20, 20) for _ in range(n)]
            try:
                expected = op.forward(*xs)
            except (ArithmeticError, ValueError):
                continue
            got = fn(*xs)
            if not _same(got, expected) or (got == got and math.copysign(1, got)
                                              != math.copysign(1, expected)):
                return False
    return True


def _partial(node: Value, i: int, n: int, ref: Callable[[Value], str]) -> str:
    """The i-th partial of ``node`` as the table writes it, operands named, then `` * ``."""
    template, used = _template(node._op_entry, i, n)
    if not template:
        return ""  # 1 * g is g exactly
    names: dict[str, str] = {}
    for k in used:
        r = ref(node if k < 0 else node.children[k])
        names[f"o{k}" if k >= 0 else "out"] = f"({r})" if r.startswith("-") and \
            template not in ("{out}", f"{{o{k}}}") else r
    return template.format_map(names) + " * "


@functools.cache
def _template(op: Op, i: int, n: int) -> tuple[str, tuple[int, ...]]:
    """The partial's text as a format string (``{o0}`` for operand 0, ``{out}`` for the
    result), and which operands it uses (-1: out)."""
    text = op.partial_text(i, n)
    if text.strip() in ("1", "1.0"):
        return "", ()
    values = {name: f"v_{k}" for k, name in enumerate(op.operands(n))}
    code = fill(text, {**values, "out": "v_out"})
    for fname, renamed in _FORMULA.items():
        if renamed != fname:
            code = re.sub(rf"\b{fname}\(", f"{renamed}(", code)
    code = _factor(code)
    used = sorted({-1 if m == "out" else int(m) for m in re.findall(r"\bv_(out|\d+)\b", code)})
    template = re.sub(r"\bv_(\d+)\b", r"{o\1}", code).replace("v_out", "{out}")
    return template, tuple(used)


def _factor(code: str) -> str:
    """``code`` in parentheses unless it is already one factor of a product."""
    if code.startswith("(") and code.endswith(")"):
        depth = 0
        for j, ch in enumerate(code):
            depth += (ch == "(") - (ch == ")")
            if depth == 0:
                if j == len(code) - 1:
                    return code
                break
    top = ast.parse(code, mode="eval").body
    if isinstance(top, (ast.Name, ast.Constant, ast.Call, ast.Subscript, ast.UnaryOp)) or (
            isinstance(top, ast.BinOp) and isinstance(top.op, (ast.Mult, ast.Div, ast.Pow))):
        return code
    return f"({code})"


def compile(f: Callable[..., Any], example_inputs: Sequence[float], *,
            argnums: int | Sequence[int] | None = None, params: Iterable[Value] = (),
            max_traces: int = 8) -> Compiled:
    """Trace ``f`` (called with one Value per input) at ``example_inputs`` and compile its
    forward and backward to Python; see ``Compiled``. ``argnums`` picks the inputs to
    differentiate (all by default); ``params`` are Values ``f`` closes over that change between
    calls (a model's parameters): read afresh each call, their ``.grad`` accumulates."""
    return Compiled(f, example_inputs, argnums=argnums, params=params, max_traces=max_traces)
