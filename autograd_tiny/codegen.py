"""Code generation for ``compile``: a traced graph written out as straight-line Python.

Every name the generated code binds comes from a counter in a reserved namespace: ``v7`` holds
a value, ``g7`` its gradient; labels and argument names appear only in comments, escaped so
that they stay on their line. No label, argument name or Unicode spelling of one (Python folds
identifiers by NFKC) can alias another name.

The forward is one line per traced node in the order the trace made them, every one of them,
used or not, as the interpreter ran every one (``+ * / -`` written as operators, ``dot``,
``sum`` and ``relu`` written out where that is their forward bit for bit, other ops called by
name); guards go where their comparison was made. The backward follows ``backward()``'s order,
one ``g_child += partial * g_node`` per edge whose gradient is wanted, the partial filled in
from the op table's formula text, under ``if g_node:``.
"""

from __future__ import annotations

import ast
import builtins
import functools
import itertools
import keyword
import linecache
import math
import operator
import random
import re
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from . import engine, ops
from .ops import OPS, Op, fill
from .value import Value

# The functions the op table's formula texts call, as the engine evaluates them.
FORMULA_GLOBALS: dict[str, Any] = {k: v for k, v in ops.FORMULA_GLOBALS.items()
                                   if k != "__builtins__"}

_INFIX = {"+": (operator.add, "{} + {}"), "*": (operator.mul, "{} * {}"),
          "/": (operator.truediv, "{} / {}"), "-": (operator.neg, "-{}")}
# The generated function's own names; values are v<k>, gradients g<k>, nothing else.
_PLUMBING = ("rows", "params", "grads", "seed", "results", "backward")
_RESERVED = re.compile(r"[vg]\d+")
DATA = Value.__dict__["data"]  # the slot behind Value.data
_COUNT = itertools.count(1)


class TraceError(TypeError):
    """``f`` cannot be compiled: it depends on the data in a way a trace cannot check."""


def _forward_names(table: Iterable[Op]) -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
    """A Python name per op of ``table`` (its forward, called by the generated code), a name
    per formula function (``formula_log`` where the op ``log`` took ``log``), and their
    namespace."""
    names: dict[str, str] = {}
    namespace: dict[str, Any] = {"inf": math.inf, "nan": math.nan, "mul": operator.mul}
    for op in table:
        infix = _INFIX.get(op.name)
        if infix is not None and op.forward is infix[0]:
            continue
        name = {"**": "power"}.get(op.name, op.name)
        while (name in namespace or keyword.iskeyword(name) or _RESERVED.fullmatch(name)
               or getattr(builtins, name, op.forward) is not op.forward):
            name += "_"
        names[op.name] = name
        namespace[name] = op.forward
    formula: dict[str, str] = {}
    for name, fn in FORMULA_GLOBALS.items():
        formula[name] = name if namespace.get(name, fn) is fn else f"formula_{name}"
        namespace[formula[name]] = fn
    return names, formula, namespace


_FORWARD, _FORMULA, _NAMESPACE = _forward_names(OPS.values())


@dataclass(frozen=True)
class Guard:
    """``lhs op rhs`` was ``outcome`` when traced; the trace holds only while it still is."""

    lhs: Value
    op: str
    rhs: Value | float
    outcome: bool
    after: int  # how many nodes had been made when it was checked
    where: str


@dataclass
class Code:
    """One compiled path: its source, the function, and the constants it wrote in with the
    Values they came from (the caller checks them unchanged before each run)."""

    source: str
    run: Callable[..., bool]
    constants: list[Value]


def same(a: float, b: float) -> bool:
    """Bitwise equal floats: equal with the same sign of zero, or both NaN."""
    if a == b:
        return a != 0.0 or math.copysign(1.0, a) == math.copysign(1.0, b)
    return a != a and b != b


def comment(text: str) -> str:
    """``text`` safe in a ``#`` comment: escapes instead of line breaks and control codes."""
    return repr(text)[1:-1]


def generate(root: Value, carried: list[Value], nodes: list[Value], checks: list[Guard],
             inputs: list[Value], params: list[Value], argnums: tuple[int, ...],
             arg_names: list[str]) -> Code:
    """Python for the traced graph: forward in the order it ran, backward in backward()'s."""
    constants = _constants(root, carried, nodes, checks, inputs, params)
    names = _names(inputs, params, nodes)

    def ref(v: Value | float) -> str:
        if not isinstance(v, Value):
            return repr(v)  # inf, -inf and nan are names in the namespace
        if id(v) in constants:
            return repr(DATA.__get__(v))
        return names[id(v)]

    outputs = [ref(root), *[ref(c) for c in carried]]
    body = _forward(nodes, checks, names, ref)
    body += ["if not backward:", f"    results.append(({_unpack(outputs)}))",
             "    continue"]
    body += _backward(root, inputs, params, argnums, names, ref)
    body.append(f"results.append(({_unpack(outputs + _input_grads(inputs, argnums, names))}))")
    source = _assemble(body, inputs, params, names, arg_names, len(nodes))
    return Code(source, _load(source), list(constants.values()))


def _constants(root: Value, carried: list[Value], nodes: list[Value], checks: list[Guard],
               inputs: list[Value], params: list[Value]) -> dict[int, Value]:
    """The Values the trace uses but did not make and were not given (constants ``f`` closes
    over or made from numbers), by id; a non-leaf among them is refused."""
    known = {id(v) for v in (*nodes, *inputs, *params)}
    used = [root, *carried, *[g.lhs for g in checks],
            *[g.rhs for g in checks if isinstance(g.rhs, Value)]]
    for v in nodes:
        used += v.children
    constants: dict[int, Value] = {}
    for v in used:
        if id(v) not in known:
            if v.children:
                raise TraceError(f"cannot compile: the function uses {_shown(v)}, computed "
                                 f"outside it by the op {v.op!r}; compute it inside, or pass "
                                 "it as an input")
            constants[id(v)] = v
    return constants


def _shown(v: Value) -> str:
    data = DATA.__get__(v)
    return f"the Value {v.label!r} (data={data!r})" if v.label else f"a Value (data={data!r})"


def _names(inputs: list[Value], params: list[Value], nodes: list[Value]) -> dict[int, str]:
    """``v<k>`` for the k-th value the code holds: inputs, then params, then nodes."""
    names: dict[int, str] = {}
    for v in (*inputs, *params, *nodes):
        names.setdefault(id(v), f"v{len(names)}")
    return names


def _grad(name: str) -> str:
    return "g" + name[1:]


def _forward(nodes: list[Value], checks: list[Guard], names: dict[int, str],
             ref: Callable[[Value | float], str]) -> list[str]:
    """Every traced node in the order it was made, with each guard before the first node made
    after it was checked."""
    guards = sorted(checks, key=lambda g: g.after)
    body = ["# forward"]
    k = 0
    for i, node in enumerate([*nodes, None]):
        while k < len(guards) and guards[k].after <= i:
            g = guards[k]
            test = f"{ref(g.lhs)} {g.op} {ref(g.rhs)}"
            body.append(f"if {'not ' if g.outcome else ''}({test}):  # guard, "
                        f"{comment(g.where)}")
            body.append("    break  # another path: the caller traces again")
            k += 1
        if node is not None:
            line = f"{names[id(node)]} = {_forward_line(node, ref)}"
            body.append(line + (f"  # {comment(node.label)}" if node.label else ""))
    return body


def _backward(root: Value, inputs: list[Value], params: list[Value], argnums: tuple[int, ...],
              names: dict[int, str], ref: Callable[[Value | float], str]) -> list[str]:
    """The chain rule over the interpreter's order, where a wanted gradient lies below, and
    where a partial can raise (sqrt at 0): backward() evaluates every partial of a node it
    reaches."""
    order = engine.toposort(root)
    wanted = {id(inputs[i]) for i in argnums} | {id(p) for p in params}
    grads: set[int] = set()
    for v in order:
        if id(v) in wanted or any(id(c) in grads for c in v.children) or (
                v.children and any(_risky(v._op_entry, len(v.children)))):
            grads.add(id(v))
    body = ["# backward"]
    inner = [v for v in order if v.children and id(v) in grads and v is not root]
    zeros = _input_grads(inputs, argnums, names) + [_grad(names[id(v)]) for v in inner]
    for chunk in _chunks(zeros):
        body.append(" = ".join(chunk) + " = 0.0")
    if id(root) in grads:
        body.append(f"{_grad(names[id(root)])} {'=' if root.children else '+='} seed")
    for v in reversed(order):
        if not v.children or id(v) not in grads:
            continue
        gv = _grad(names[id(v)])
        body.append(f"if {gv}:" + (f"  # {comment(v.label)}" if v.label else ""))
        n = len(v.children)
        risky = _risky(v._op_entry, n)
        for j, c in enumerate(v.children):
            if id(c) in grads:
                body.append(f"    {_grad(names[id(c)])} += {_partial(v, j, n, ref)}{gv}")
            elif risky[j]:
                body.append(f"    {_partial(v, j, n, ref)[:-3]}  # raises where backward() would")
    return body


def _input_grads(inputs: list[Value], argnums: tuple[int, ...],
                 names: dict[int, str]) -> list[str]:
    return [_grad(names[id(inputs[i])]) for i in argnums]


def _assemble(body: list[str], inputs: list[Value], params: list[Value], names: dict[int, str],
              arg_names: list[str], n_nodes: int) -> str:
    """The function around the row's body: unpack params and grads, loop over the rows, write
    the grads back whether the rows ran out (True) or a guard failed (False)."""
    lines = ["def compiled(rows, params, grads, seed, results, backward):",
             f'    """Generated from a trace of {n_nodes} ops; see autograd_tiny.compile."""']
    write_back: list[str] = []
    if params:
        held = [names[id(p)] for p in params]
        labelled = [f"{names[id(p)]} {comment(p.label)}" for p in params if p.label]
        lines += [f"    # {', '.join(chunk)}" for chunk in _chunks(labelled)]
        lines.append(f"    {_unpack(held)} = params")
        lines.append(f"    {_unpack([_grad(n) for n in held])} = grads")
        write_back = [f"grads[:] = {_unpack([_grad(n) for n in held])}"]
    taken = _unpack([names[id(v)] for v in inputs]) or "_"
    shown = ", ".join(comment(a) for a in arg_names)
    lines.append(f"    for {taken} in rows:" + (f"  # {shown}" if shown else ""))
    lines += ["        " + line for line in body]
    lines += ["    else:", *["        " + line for line in write_back], "        return True"]
    lines += ["    " + line for line in write_back] + ["    return False"]
    return "\n".join(lines) + "\n"


def _load(source: str) -> Callable[..., bool]:
    """``source``'s function; its lines stay in linecache (for tracebacks) while it lives."""
    namespace = dict(_NAMESPACE)
    filename = f"<autograd_tiny.compile #{next(_COUNT)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(builtins.compile(source, filename, "exec"), namespace)
    run: Callable[..., bool] = namespace.pop("compiled")  # no cycle through its globals
    weakref.finalize(run, linecache.cache.pop, filename, None)
    return run


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


def _forward_line(v: Value, ref: Callable[[Value], str]) -> str:
    op = v._op_entry
    args = [ref(c) for c in v.children]
    infix = _INFIX.get(op.name)
    if infix is not None and op.forward is infix[0]:
        return infix[1].format(*[f"({a})" if a.startswith("-") else a for a in args])
    # A long chain of + nests as deep as it is long, past what Python's compiler recurses to.
    forms = _inline_forms(op.name) if op.name in _INLINE else ()
    for form in forms:
        if len(args) <= _WRITTEN_OUT_MAX or form not in _WRITTEN_OUT:
            return form([f"({a})" if a.startswith("-") else a for a in args])
    return f"{_FORWARD[op.name]}({', '.join(args)})"


def _dot_written_out(args: Sequence[str]) -> str:
    k = len(args) // 2
    terms = [f"{args[i]} * {args[k + i]}" for i in range(k)]
    # sum() starts from the bias, or from 0
    return " + ".join([args[-1], *terms] if len(args) % 2 else ["0.0", *terms])


def _dot_mapped(args: Sequence[str]) -> str:
    k = len(args) // 2
    start = f", {args[-1]}" if len(args) % 2 else ""
    return f"sum(map(mul, ({_unpack(list(args[:k]))}), ({_unpack(list(args[k:2 * k]))})){start})"


Form = Callable[[Sequence[str]], str]
# The hottest ops written out instead of called, in the first form that is the op's forward
# bit for bit on this Python (``_inline_forms`` checks each once against ``Op.forward``: a
# compensated sum(), as in Python 3.12, rules out the written-out sum); else the call stays.
def _sum_written_out(args: Sequence[str]) -> str:
    return " + ".join(["0.0", *args])  # sum() starts at 0


_INLINE: dict[str, list[Form]] = {
    "dot": [_dot_written_out, _dot_mapped],
    "sum": [_sum_written_out, lambda args: f"sum(({_unpack(list(args))}))"],
    "relu": [lambda args: f"(0.0 if {args[0]} < 0.0 else {args[0]})"],
}
_WRITTEN_OUT = (_dot_written_out, _sum_written_out)
_WRITTEN_OUT_MAX = 64  # operands
# Probe values for checks against the table: signed zeros, infinities, NaN, subnormals, halves.
SPECIAL = (0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 0.1, 1 / 3, 5e-324, 1e308, -1e308, math.inf,
           -math.inf, math.nan)


# Operands _form_ok tries, per count up to 17: every special value in every place, and drawn
# numbers of every magnitude with specials among them (made once, at import).
_DRAW = random.Random(0)
_PROBES = {n: [[x] * n for x in SPECIAL] + [
    [_DRAW.choice(SPECIAL) if _DRAW.random() < 0.2 else
     _DRAW.uniform(-1e3, 1e3) * 10.0 ** _DRAW.randint(-20, 20) for _ in range(n)]
    for _ in range(40)] for n in range(1, 18)}


@functools.cache
def _inline_forms(name: str) -> tuple[Form, ...]:
    return tuple(form for form in _INLINE[name] if _form_ok(name, form))


def _form_ok(name: str, form: Form) -> bool:
    """True if ``form`` of op ``name`` equals its forward, bit for bit, on the probes: special
    operands (signed zeros, infinities, NaN, subnormals) and drawn ones, of every count up to
    17."""
    op = OPS[name]
    for n in _PROBES if op.variadic is not None else [op.arity]:
        params = [f"a{i}" for i in range(n)]
        fn = eval(f"lambda {', '.join(params)}: {form(params)}", dict(_NAMESPACE))
        # the inlined ops (dot, sum, relu) never raise on floats
        if not all(same(fn(*xs), op.forward(*xs)) for xs in _PROBES[n]):
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
        # a negative constant in parentheses, unless it is the whole partial (out is a name)
        names[f"o{k}" if k >= 0 else "out"] = f"({r})" if r.startswith("-") and \
            template != f"{{o{k}}}" else r
    return template.format_map(names) + " * "


# Python operators that can raise on floats (division by zero, a power's overflow or domain).
_RAISING_OPERATORS = (ast.Div, ast.Pow, ast.Mod, ast.FloorDiv)


@functools.cache
def _raises_somewhere(fn: Callable[[float], Any]) -> bool:
    """True if the formula function ``fn`` raises on one of the special floats."""
    for x in SPECIAL:
        try:
            fn(x)
        except (ArithmeticError, ValueError):
            return True
    return False


@functools.cache
def _risky(op: Op, n: int) -> tuple[bool, ...]:
    """Per operand: can evaluating this partial raise? Read from the table's text: it divides,
    takes a power, or calls a formula function that raises somewhere (log at 0, cos at inf)."""
    found = []
    for i in range(n):
        tree = ast.parse(op.partial_text(i, n), mode="eval")
        found.append(any(
            (isinstance(node, ast.BinOp) and isinstance(node.op, _RAISING_OPERATORS))
            or (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and _raises_somewhere(FORMULA_GLOBALS[node.func.id]))
            for node in ast.walk(tree)))
    return tuple(found)


@functools.cache
def _template(op: Op, i: int, n: int) -> tuple[str, tuple[int, ...]]:
    """The partial's text as a format string (``{o0}`` for operand 0, ``{out}`` for the
    result), and which operands it uses (-1: out)."""
    text = op.partial_text(i, n)
    if text.strip() in ("1", "1.0"):
        return "", ()
    position = _positions(op, n)
    values = {name: f"v_{position[name]}" for name in _OPERAND.findall(text) if name in position}
    code = fill(text, {**values, "out": "v_out"})
    for fname, renamed in _FORMULA.items():
        if renamed != fname:
            code = re.sub(rf"\b{fname}\(", f"{renamed}(", code)
    code = _factor(code)
    used = sorted({-1 if m == "out" else int(m) for m in re.findall(r"\bv_(out|\d+)\b", code)})
    template = re.sub(r"\bv_(\d+)\b", r"{o\1}", code).replace("v_out", "{out}")
    return template, tuple(used)


_OPERAND = re.compile(r"[A-Za-z_]\w*(?:\[\d+\])?")  # a name as the texts write it: x, w[3]


@functools.cache
def _positions(op: Op, n: int) -> dict[str, int]:
    """Each operand name of ``op`` with ``n`` operands, and its position."""
    return {name: k for k, name in enumerate(op.operands(n))}


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
