"""The op table: for every primitive, how it is called and written, its forward on floats, and
its local derivatives as formula texts. It is the one place a derivative is written.

What other modules (and tools such as a code generator) rely on:

- ``OPS: dict[str, Op]``, keyed by ``Op.name``, which is also ``Value.op`` of the nodes the op
  makes: the operator symbol for arithmetic, the method name otherwise.
- ``Op.arity`` (-1 for the variadic ``sum`` and ``dot``), ``Op.forward`` (floats in, a float
  out), ``Op.args`` (the operands' names for a fixed arity: ``x``; ``a, b``; ``x, slope``) and
  ``Op.operands(n)`` (the names of n operands, for any arity: ``x[0], x[1], ...`` for ``sum``;
  ``w[0], ..., x[0], ..., b`` for ``dot``).
- ``Op.partial_text(i, n)``: d out / d operand i as a Python expression over the operand names
  and ``out`` (the op's result), e.g. ``"(1 - out**2)"``. ``Op.call_text(n)`` is the Python a
  user writes to apply the op (``"a ** b"``, ``"x.tanh()"``); ``Op.math_text(n)`` how it reads
  in math (``"a ** b"``, ``"tanh(x)"``); ``fill(text, {name: shown})`` writes operands into
  any of these texts.
- ``FORMULA_GLOBALS``: the namespace the texts are evaluated in. Its functions (``log``, ``sin``,
  ``cos``, ``sigmoid``, ``sign``, ``const``) work on floats and on Values.
- ``Op.rule``: ``rule(out, *operands) -> partials``, generated once from the texts by
  ``eval`` in ``FORMULA_GLOBALS``. It is what the engine runs: on floats in a plain
  ``backward()``, on Values (``out`` the node itself) under ``create_graph=True``, which records
  the derivative as a graph, so higher-order derivatives come from the same texts.

A text is evaluated on Values too, where ``<, <=, >, >=`` compare data but ``==``, ``!=`` and
truth are identity: a text tests an operand only with ``<, <=, >, >=`` or through
``const(v)`` (its float, held constant). The convention at a kink is part of the text.

``Domain`` describes inputs on which the op is smooth, for the op-sweeping tests and the
hypothesis strategies: one ``(low, high)`` range per operand, ``kinks`` the points where the
derivative jumps, ``poles`` the points to keep away from.
"""

from __future__ import annotations

import ast
import functools
import math
import numbers
import operator
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Protocol

# Sampling ranges for the op-sweeping tests and the strategies.
ANY_RANGE = (-3.0, 3.0)
POSITIVE_RANGE = (0.05, 4.0)


class Operand(Protocol):
    """What a formula sees: a float, or a Value when differentiating a derivative."""

    label: str
    data: float


def as_float(data: object, what: str = "Value data") -> float:
    """``data`` as a float, or TypeError naming its type if it is not a real number."""
    if type(data) is float:
        return data
    if isinstance(data, numbers.Real):
        return float(data)
    raise TypeError(f"{what} must be a real number (int or float), got {type(data).__name__}: "
                    f"{data!r:.60}")


def describe(operands: Iterable[Operand]) -> str:
    """Operands as an error message shows them: ``x = -1.0, 2.0``."""
    return ", ".join(f"{v.label} = {v.data!r}" if v.label else repr(v.data) for v in operands)


# The functions formula texts may call: on floats they are math's, on Values the Value ops.
def log(x: Any) -> Any:
    return math.log(x) if type(x) is float else x.log()


def sin(x: Any) -> Any:
    return math.sin(x) if type(x) is float else x.sin()


def cos(x: Any) -> Any:
    return math.cos(x) if type(x) is float else x.cos()


def sigmoid(x: Any) -> Any:
    return _sigmoid(x) if type(x) is float else x.sigmoid()


def sign(x: Any) -> float:
    """1.0, -1.0 or 0.0 (a constant: its derivative is 0 wherever it exists)."""
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0


def const(x: Any) -> float:
    """The number ``x`` holds, as a constant: no derivative flows through it."""
    return float(x)


FORMULA_GLOBALS: dict[str, object] = {
    "__builtins__": {}, "log": log, "sin": sin, "cos": cos, "sigmoid": sigmoid, "sign": sign,
    "const": const,
}


@dataclass(frozen=True)
class Domain:
    """Where an op is smooth: per-operand ranges, and points to keep a margin from."""

    ranges: tuple[tuple[float, float], ...]
    kinks: tuple[float, ...] = ()
    poles: tuple[float, ...] = ()


@dataclass(frozen=True)
class Variadic:
    """The operands of a variadic op, in named groups: ``groups`` pairs each name with its
    size, an expression of the operand count ``n`` (``"n // 2"``).

    A group named ``g`` holds ``g[0], g[1], ...``; a group listed in ``scalars`` holds at most
    one operand, named ``g``. ``partials[k]`` is the formula of d out / d ``g[i]`` for group
    ``k``, with ``i`` standing for the index, e.g. ``"x[i]"``.
    """

    groups: tuple[tuple[str, str], ...]
    partials: tuple[str, ...]
    scalars: tuple[str, ...] = ()

    def sizes(self, n: int) -> tuple[int, ...]:
        """How many operands each group holds, out of ``n``."""
        return tuple(eval(size, {"__builtins__": {}}, {"n": n}) for _, size in self.groups)


@dataclass(frozen=True, eq=False)
class Op:
    """One primitive: its name, how it is called and written, its forward on floats, and its
    local derivatives as formula texts (one per operand, or ``variadic`` for sum and dot)."""

    name: str
    arity: int  # -1 for variadic
    forward: Callable[..., float]
    partials: tuple[str, ...] = ()
    domain: Domain | None = None
    args: tuple[str, ...] = ()  # the operands' names: x for one, a, b for two by default
    call: str | Callable[[int], str] = ""  # default "x.name()"
    math: str | Callable[[int], str] = ""  # default "name(x)"
    commutative: bool = False  # operand order does not matter (pictures leave edges unnamed)
    constants: tuple[str, ...] = ()  # operands the public API takes as plain numbers
    variadic: Variadic | None = None
    # The forward written a second, independent way (a series, another formula, exact
    # rational arithmetic): the tests compare the two, so a slip in either shows.
    reference: Callable[..., float] | None = None
    # rule(out, *operands) -> partials, generated from the texts (not given)
    rule: Callable[..., tuple[Any, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.args and self.arity in (1, 2):
            object.__setattr__(self, "args", ("x",) if self.arity == 1 else ("a", "b"))
        if self.arity >= 0:
            if len(self.args) != self.arity or len(self.partials) != self.arity:
                raise ValueError(f"op {self.name!r} takes {self.arity} operands but has "
                                 f"{len(self.args)} operand names and {len(self.partials)} "
                                 "partial derivatives")
            if not self.call and self.args:
                rest = ", ".join(self.args[1:])
                object.__setattr__(self, "call", f"{self.args[0]}.{self.name}({rest})")
            if not self.math and self.args:
                object.__setattr__(self, "math", f"{self.name}({', '.join(self.args)})")
        elif self.variadic is None or not self.call or not self.math:
            raise ValueError(f"variadic op {self.name!r} needs its operand groups, call and math")
        object.__setattr__(self, "rule", _generate_rule(self))

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled by name and looked up again on loading, so a pickled Value (or model)
        # refers to the table's own entry; its rule is generated code pickle cannot store.
        if OPS.get(self.name) is not self and self is not LEAF:
            raise TypeError(f"op {self.name!r} is not in the op table, so a graph using it "
                            "cannot be pickled")
        return (_table_entry, (self.name,))

    def operands(self, n: int) -> tuple[str, ...]:
        """The names of ``n`` operands, as the texts write them."""
        if self.variadic is None:
            return self.args
        names: list[str] = []
        for (group, _), size in zip(self.variadic.groups, self._sizes(n), strict=True):
            if group in self.variadic.scalars:
                names += [group] * size
            else:
                names += [f"{group}[{i}]" for i in range(size)]
        return tuple(names)

    def partial_text(self, i: int, n: int) -> str:
        """d out / d operand ``i`` of a node with ``n`` operands, as a formula."""
        if self.variadic is None:
            return self.partials[i]
        for text, size in zip(self.variadic.partials, self._sizes(n), strict=True):
            if i < size:
                return _INDEX.sub(f"[{i}]", text)
            i -= size
        raise IndexError(f"op {self.name!r} with {n} operands has no operand {i}")

    def call_text(self, n: int) -> str:
        """The Python that applies the op to ``n`` operands named as in ``operands(n)``."""
        return self.call(n) if callable(self.call) else self.call

    def math_text(self, n: int) -> str:
        """The op applied to ``n`` operands, written as math."""
        return self.math(n) if callable(self.math) else self.math

    def _sizes(self, n: int) -> tuple[int, ...]:
        assert self.variadic is not None
        sizes = self.variadic.sizes(n)
        if sum(sizes) != n or any(size > 1 for (group, _), size in
                                  zip(self.variadic.groups, sizes, strict=True)
                                  if group in self.variadic.scalars):
            raise ValueError(f"op {self.name!r} cannot take {n} operands")
        return sizes


def _table_entry(name: str) -> Op:
    """The op named ``name`` (``""`` for a leaf), for unpickling."""
    return OPS[name] if name else LEAF


_INDEX = re.compile(r"\[i\]")
_IDENTIFIER = re.compile(r"\b[A-Za-z_]\w*\b")
_NAME = re.compile(r"(?<![\w.])[A-Za-z_]\w*(?:\[\d+\])?")


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` (a formula, call or math text) with each name in ``values`` replaced by its
    value; a value starting with ``-`` is parenthesised unless it stands alone (an argument
    of a call, or first in the text and not a base of ``**``)."""

    def replace(m: re.Match[str]) -> str:
        name = m.group()
        if name not in values:
            return name
        shown = values[name]
        if not shown.startswith("-"):
            return shown
        before, after = text[:m.start()].rstrip(" "), text[m.end():].lstrip(" ")
        alone = (before[-1:] in ("(", "[", ",") and after[:1] in (")", "]", ",", "")) or \
            (not before and not after.startswith("**"))
        return shown if alone else f"({shown})"

    return _NAME.sub(replace, text)


def _check_names(op: Op) -> None:
    """Refuse, when the table is built, a formula that is not Python or that uses a name
    other than the op's operands, ``out`` and the functions of ``FORMULA_GLOBALS``: it
    would otherwise fail with a bare NameError in the middle of some later backward."""
    functions = sorted(set(FORMULA_GLOBALS) - {"__builtins__"})
    if op.variadic is None:
        texts, operands = op.partials, sorted(op.args)
    else:
        texts, operands = op.variadic.partials, sorted(g for g, _ in op.variadic.groups)
    known = {"out", *functions, *operands} | ({"i"} if op.variadic else set())
    for k, text in enumerate(texts):
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as e:
            raise ValueError(f"op {op.name!r}: partial derivative {k} {text!r} is not a Python "
                             f"expression ({e.msg})") from None
        unknown = sorted({node.id for node in ast.walk(tree)
                          if isinstance(node, ast.Name) and node.id not in known})
        if unknown:
            raise ValueError(
                f"op {op.name!r}: partial derivative {k} {text!r} uses {', '.join(unknown)}, "
                f"which is neither an operand ({', '.join(operands)}), out, nor a formula "
                f"function ({', '.join(functions)}); a new function goes in "
                "ops.FORMULA_GLOBALS")


def _generate_rule(op: Op) -> Callable[..., tuple[Any, ...]]:
    """The function the engine calls, made from the op's texts: for a fixed arity
    ``lambda out, a, b: (b, a)``; for a variadic op one that splits its operands into groups
    and evaluates each group's text at every index."""
    _check_names(op)
    if op.variadic is None:
        partials = "".join(f"{text}, " for text in op.partials)
        source = f"lambda {', '.join(('out', *op.args))}: ({partials})"
        return eval(source, FORMULA_GLOBALS)  # type: ignore[no-any-return]
    v = op.variadic
    names = [group for group, _ in v.groups]
    size_of = dict(v.groups)
    lines = ["def rule(out, *operands):", "    n = len(operands)"]
    start = ""
    for k, (group, size) in enumerate(v.groups):  # slice the operands into their groups
        end = "" if k == len(v.groups) - 1 else f"e{k}"
        if end:
            lines.append(f"    {end} = {start + ' + ' if start else ''}{size}")
        lines.append(f"    {group} = operands[{start}:{end}]")
        start = end
    parts = []
    for group, text in zip(names, v.partials, strict=True):
        indexed = re.fullmatch(r"(\w+)\[i\]", text)
        if indexed and indexed.group(1) in names:  # d/dw[i] = x[i]: group x itself
            other = indexed.group(1)
            same = size_of[other] == size_of[group]
            parts.append(f"*{other}" if same else f"*{other}[:len({group})]")
        elif any(name in names for name in _IDENTIFIER.findall(_INDEX.sub("", text))):
            parts.append(f"*[{text} for i in range(len({group}))]")
        else:
            parts.append(f"*({text},) * len({group})")  # the same constant at every index
    lines.append(f"    return ({', '.join(parts)},)")
    namespace = dict(FORMULA_GLOBALS, len=len, range=range)
    exec("\n".join(lines), namespace)
    rule: Callable[..., tuple[Any, ...]] = namespace["rule"]  # type: ignore[assignment]
    return rule


# Forwards on floats.
def _sigmoid(x: float) -> float:
    """1 / (1 + e^-x), without overflow for large |x|."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softplus(x: float) -> float:
    """log(1 + e^x) = max(x, 0) + log1p(e^-|x|), without overflow for large |x|."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _real_power(a: float, b: float) -> float:
    """a ** b, refusing a negative base with a non-integer exponent (a complex number)."""
    if a < 0.0 and math.isfinite(b) and b != math.floor(b):
        raise ValueError("a negative base with a non-integer exponent has no real power")
    return a**b


# start + x0 + x1 + ..., one rounding per addition as chained + (micrograd's neuron) gives: what
# sum() does up to Python 3.11; from 3.12 on sum() compensates its rounding, so reduce is used.
_add_in_order: Callable[[Iterable[float], float], float] = (
    sum if sys.version_info < (3, 12) else functools.partial(functools.reduce, operator.add))


def _dot(*operands: float) -> float:
    """b + w[0]*x[0] + w[1]*x[1] + ..., added in that order as micrograd's neuron does;
    operands ``(*w, *x)`` then ``b`` if given."""
    k = len(operands) // 2
    products = map(operator.mul, operands[:k], operands[k:2 * k])
    start = operands[-1] if len(operands) % 2 else 0.0
    return _add_in_order(products, start)


# Second formulas for the forwards (Op.reference), written independently of them: exact rational
# arithmetic, Taylor series, identities between functions.
def _exactly(f: Callable[..., Fraction]) -> Callable[..., float]:
    """f evaluated exactly on the floats as fractions, rounded once."""
    return lambda *xs: float(f(*map(Fraction, xs)))


def _exp_series(x: float) -> float:
    """e^x = sum x^k / k! (for x < 0, 1 / e^-x: a series of terms of one sign, no cancelling)"""
    if x < 0.0:
        return 1.0 / _exp_series(-x)
    return math.fsum(x**k / math.factorial(k) for k in range(100))


def _log_series(x: float) -> float:
    """log x = 2 atanh(z) = 2 sum z^(2k+1) / (2k+1), z = (x - 1) / (x + 1)"""
    z = (x - 1.0) / (x + 1.0)
    return 2.0 * math.fsum(z ** (2 * k + 1) / (2 * k + 1) for k in range(600))


def _sin_series(x: float) -> float:
    """sin x = sum (-1)^k x^(2k+1) / (2k+1)!"""
    return math.fsum((-1) ** k * x ** (2 * k + 1) / math.factorial(2 * k + 1) for k in range(40))


def _cos_series(x: float) -> float:
    """cos x = sum (-1)^k x^(2k) / (2k)!"""
    return math.fsum((-1) ** k * x ** (2 * k) / math.factorial(2 * k) for k in range(40))


def _dot_sum(*xs: Fraction) -> Fraction:
    """sum w[i] x[i] (+ b), operands (*w, *x[, b])"""
    k = len(xs) // 2
    return sum((xs[i] * xs[k + i] for i in range(k)), xs[-1] if len(xs) % 2 else Fraction(0))


def _newton_sqrt(x: float) -> float:
    """y = (y + x / y) / 2 until it settles"""
    y = max(x, 1.0)
    for _ in range(100):
        y = (y + x / y) / 2.0
    return y


def _dot_call(n: int) -> str:
    k = n // 2
    ws = ", ".join(f"w[{i}]" for i in range(k))
    xs = ", ".join(f"x[{i}]" for i in range(k))
    return f"Value.dot([{ws}], [{xs}]{', b' if n % 2 else ''})"


def _dot_math(n: int) -> str:
    terms = [f"w[{i}]*x[{i}]" for i in range(n // 2)]
    return " + ".join(terms + (["b"] if n % 2 else []))


def _sum_call(n: int) -> str:
    return f"Value.sum([{', '.join(f'x[{i}]' for i in range(n))}])"


def _sum_math(n: int) -> str:
    return " + ".join(f"x[{i}]" for i in range(n))


ON_ANY, ON_POSITIVE = Domain((ANY_RANGE,)), Domain((POSITIVE_RANGE,))

OPS: dict[str, Op] = {
    op.name: op
    for op in (
        Op("+", 2, operator.add, ("1", "1"), Domain((ANY_RANGE, ANY_RANGE)),
           call="a + b", math="a + b", commutative=True,
           reference=_exactly(operator.add)),
        Op("*", 2, operator.mul, ("b", "a"), Domain((ANY_RANGE, ANY_RANGE)),
           call="a * b", math="a * b", commutative=True,
           reference=_exactly(operator.mul)),
        Op("/", 2, operator.truediv, ("1 / b", "-out / b"),
           Domain((ANY_RANGE, ANY_RANGE), poles=(0.0,)), call="a / b", math="a / b",
           reference=_exactly(operator.truediv)),
        # NOTE: where a <= 0 the exponent is a constant (the forward refuses a Value exponent
        # with a < 0), so d/da holds b constant and d/db is 0; a**0 = 1, so d/da = 0 at b = 0.
        Op("**", 2, _real_power,
           ("(b * a**(b - 1) if a > 0 else b * a**(const(b) - 1) if const(b) else 0)",
            "(out * log(a) if a > 0 else 0)"),
           Domain((POSITIVE_RANGE, ANY_RANGE)), call="a ** b", math="a ** b",
           reference=lambda a, b: _exp_series(b * _log_series(a))),
        Op("-", 1, operator.neg, ("-1",), ON_ANY, call="-x", math="-x",
           reference=_exactly(lambda x: 0 - x)),
        # NOTE: abs'(0) = 0, as in PyTorch.
        Op("abs", 1, abs, ("sign(x)",), Domain((ANY_RANGE,), kinks=(0.0,)), call="abs(x)",
           reference=lambda x: max(x, -x)),
        Op("exp", 1, math.exp, ("out",), ON_ANY, reference=_exp_series),
        Op("log", 1, math.log, ("1 / x",), ON_POSITIVE, reference=_log_series),
        Op("sqrt", 1, math.sqrt, ("0.5 / out",), ON_POSITIVE, reference=_newton_sqrt),
        Op("tanh", 1, math.tanh, ("(1 - out**2)",), ON_ANY,
           reference=lambda x: 1.0 - 2.0 / (_exp_series(2.0 * x) + 1.0)),
        Op("sigmoid", 1, _sigmoid, ("out * (1 - out)",), ON_ANY,
           reference=lambda x: (1.0 + math.tanh(x / 2.0)) / 2.0),
        # NOTE: relu'(0) = 0, as in PyTorch; like PyTorch (and micrograd) NaN and -0.0 pass
        # through, and relu'(NaN) = 1.
        Op("relu", 1, lambda x: 0.0 if x < 0.0 else x, ("(0 if x <= 0 else 1)",),
           Domain((ANY_RANGE,), kinks=(0.0,)), reference=lambda x: (x + abs(x)) / 2.0),
        # NOTE: leaky_relu'(0) = slope, as in PyTorch.
        Op("leaky_relu", 2, lambda x, slope: x if x > 0.0 else slope * x,
           ("(1 if x > 0 else slope)", "(0 if x > 0 else x)"),
           Domain((ANY_RANGE, (0.01, 0.3)), kinks=(0.0,)), args=("x", "slope"),
           constants=("slope",), reference=lambda x, slope: max(x, slope * x)),
        Op("softplus", 1, _softplus, ("sigmoid(x)",), ON_ANY,
           reference=lambda x: _log_series(1.0 + _exp_series(x))),
        Op("sin", 1, math.sin, ("cos(x)",), ON_ANY, reference=_sin_series),
        Op("cos", 1, math.cos, ("-sin(x)",), ON_ANY, reference=_cos_series),
        Op("sum", -1, lambda *xs: sum(xs), call=_sum_call, math=_sum_math, commutative=True,
           variadic=Variadic((("x", "n"),), ("1",)), reference=_exactly(lambda *xs: sum(xs))),
        Op("dot", -1, _dot, call=_dot_call, math=_dot_math,
           variadic=Variadic((("w", "n // 2"), ("x", "n // 2"), ("b", "n % 2")),
                             ("x[i]", "w[i]", "1"), scalars=("b",)),
           reference=_exactly(_dot_sum)),
    )
}

LEAF = Op("", 0, lambda: 0.0, call="", math="")
