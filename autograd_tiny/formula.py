"""A local derivative's formula from the op table, written out for one node as a learner reads it.

The table's texts are general: ``x ** 3``'s d/da is
``(b * a**(b - 1) if a > 0 else b * a**(const(b) - 1) if const(b) else 0)``. For one node the
step-through prints only what applies there:

- each operand as ``name.data``, or as its number when it is a constant (an unlabelled leaf,
  such as the 3 of ``x ** 3``);
- of each ``A if C else B`` the branch the node's numbers take (with the condition as a note
  when the other branch would read differently);
- ``const(v)`` as ``v`` (the same number), sums of numbers added up, ``a**1`` as ``a``.

So ``x ** 3`` gives ``3 * a.data**2``, and every printed formula evaluates, with the names it
shows, to the derivative the engine computed.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping, Sequence

from .ops import FORMULA_GLOBALS, Op

_FLIP = {ast.Gt: ast.LtE, ast.GtE: ast.Lt, ast.Lt: ast.GtE, ast.LtE: ast.Gt}


def number(x: float) -> str:
    """A constant as code writes it: ``3`` for 3.0, else its repr."""
    if math.isfinite(x) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


class _Reference(ast.NodeTransformer):
    """Operand names (``a``, ``x[2]``) and ``out`` replaced by placeholders ``_0``, ``_out``."""

    def __init__(self, operands: Sequence[str]) -> None:
        self.index = {name: i for i, name in enumerate(operands)}

    def _ref(self, node: ast.expr) -> ast.expr | None:
        text = ast.unparse(node)
        if text == "out":
            return ast.Name("_out", ast.Load())
        if text in self.index:
            return ast.Name(f"_{self.index[text]}", ast.Load())
        return None

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return self._ref(node) or node

    def visit_Subscript(self, node: ast.Subscript) -> ast.expr:
        return self._ref(node) or self.generic_visit(node)  # type: ignore[return-value]


class _Specialise(ast.NodeTransformer):
    """Branches decided by the node's numbers, ``const`` dropped, constants as numbers."""

    def __init__(self, values: Mapping[str, float], constants: Mapping[str, float],
                 show: Callable[[ast.expr], str]) -> None:
        self.values = values
        self.constants = constants
        self.show = show
        self.notes: list[str] = []

    def _holds(self, test: ast.expr) -> bool | None:
        code = compile(ast.Expression(ast.fix_missing_locations(test)), "<formula>", "eval")
        try:
            return bool(eval(code, FORMULA_GLOBALS, dict(self.values)))  # noqa: S307
        except (ArithmeticError, ValueError, TypeError):
            return None

    def visit_IfExp(self, node: ast.IfExp) -> ast.expr:
        holds = self._holds(node.test)
        if holds is None:
            return self.generic_visit(node)  # type: ignore[return-value]
        taken, other = (node.body, node.orelse) if holds else (node.orelse, node.body)
        notes = len(self.notes)
        taken = self.visit(taken)
        shadow = _Specialise(self.values, self.constants, self.show)
        if self.show(shadow.visit(other)) != self.show(taken):
            test = node.test if holds else _negate(node.test)
            test = _Specialise(self.values, self.constants, self.show).visit(test)
            if not isinstance(test, ast.Constant):  # a condition on numbers only says nothing
                self.notes.insert(notes, self.show(test))
        return taken  # type: ignore[no-any-return]

    def visit_Call(self, node: ast.Call) -> ast.expr:
        node = self.generic_visit(node)  # type: ignore[assignment]
        if isinstance(node.func, ast.Name) and node.func.id == "const" and len(node.args) == 1:
            return node.args[0]
        return node

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.constants:
            return ast.Constant(self.constants[node.id])
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        node = self.generic_visit(node)  # type: ignore[assignment]
        if isinstance(node.op, ast.Add | ast.Sub) and isinstance(node.left, ast.Constant) \
                and isinstance(node.right, ast.Constant):
            left, right = float(node.left.value), float(node.right.value)  # type: ignore[arg-type]
            return ast.Constant(left + right if isinstance(node.op, ast.Add) else left - right)
        if isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant) \
                and node.right.value == 1:
            return node.left  # a**1 is a
        return node


def _negate(test: ast.expr) -> ast.expr:
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _FLIP:
        return ast.Compare(test.left, [_FLIP[type(test.ops[0])]()], test.comparators)
    return ast.UnaryOp(ast.Not(), test)


class _Show(ast.NodeTransformer):
    """Placeholders and constants written out: names as ``name.data``, or numbers."""

    def __init__(self, shown: Mapping[str, str]) -> None:
        self.shown = shown

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return _text(self.shown[node.id]) if node.id in self.shown else node

    def visit_Constant(self, node: ast.Constant) -> ast.expr:
        return _text(number(node.value)) if isinstance(node.value, float) else node


def _text(shown: str) -> ast.expr:
    """A name or number as an expression: a negative one as a minus sign on its magnitude, so
    it is parenthesised where it must be (``(-2.0)**2``)."""
    if shown.startswith("-"):
        return ast.UnaryOp(ast.USub(), ast.Name(shown[1:], ast.Load()))
    return ast.Name(shown, ast.Load())


def unparse(tree: ast.expr) -> str:
    """Python text of ``tree``, with ``**`` written tight as the op table writes it."""
    return ast.unparse(tree).replace(" ** ", "**")


def partial(op: Op, i: int, n: int, values: Sequence[float], out: float,
            constant: Sequence[bool], names: Sequence[str], out_name: str,
            write: Callable[[float], str]) -> tuple[ast.expr, ast.expr, list[str]]:
    """d out / d operand ``i``, specialised: (with names, with numbers, notes).

    ``values`` are the operands' numbers and ``out`` the node's; ``constant[k]`` says operand
    ``k`` is written as its number; ``names`` the operands' names, ``out_name`` the node's;
    ``write`` formats a number in the numbers version.
    """
    tree = ast.parse(op.partial_text(i, n), mode="eval").body
    tree = _Reference(op.operands(n)).visit(tree)
    env = {f"_{k}": v for k, v in enumerate(values)}
    env["_out"] = out
    constants = {f"_{k}": v for k, v in enumerate(values) if constant[k]}
    symbols = {f"_{k}": f"{name}.data" for k, name in enumerate(names)}
    symbols["_out"] = f"{out_name}.data"

    def show_symbols(t: ast.expr) -> str:
        return unparse(_Show(symbols).visit(_copy(t)))

    spec = _Specialise(env, constants, show_symbols)
    tree = spec.visit(tree)
    with_names = _Show(symbols).visit(_copy(tree))
    numbers = {key: write(v) for key, v in env.items()}
    with_numbers = _Show(numbers).visit(_copy(tree))
    return with_names, with_numbers, spec.notes


def _copy(tree: ast.expr) -> ast.expr:
    return ast.parse(ast.unparse(tree), mode="eval").body
