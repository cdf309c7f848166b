"""Mutants of the op table: its formula texts (the derivatives) and its forward lambdas.

mutmut mutates function bodies; the table is data (strings that become the rules, lambdas in a
dict literal), so it is mutated here. Each formula text is parsed as a Python expression and
changed one place at a time (an operator, a comparison, a constant, a name, a sign, the two
arms of a conditional), as is the body of each forward lambda. A mutant is the source of
``autograd_tiny/ops.py`` with that one change.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SWAP_BINOP: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
    ast.Pow: ast.Mult,
}
SWAP_CMP: dict[type[ast.cmpop], tuple[type[ast.cmpop], ...]] = {
    ast.Lt: (ast.LtE, ast.Gt), ast.LtE: (ast.Lt, ast.GtE), ast.Gt: (ast.GtE, ast.Lt),
    ast.GtE: (ast.Gt, ast.LtE),
}


@dataclass(frozen=True)
class Mutant:
    """One change to the table: where (op and what), the text before and after, the source."""

    op: str
    where: str  # "partial 0", "variadic partial 1", "forward"
    before: str
    after: str
    source: str

    @property
    def key(self) -> str:
        return f"table {self.op} {self.where}: {self.before} -> {self.after}"


def mutate_expression(text: str, operands: tuple[str, ...]) -> Iterator[str]:
    """Every single-place change of the expression ``text``, as source text; a name among
    ``operands`` may become another of them (``out`` for ``x``, ``a`` for ``b``)."""
    tree = ast.parse(text, mode="eval")
    names = sorted(set(operands))
    nodes = list(ast.walk(tree))
    seen = {ast.unparse(tree)}
    for index, node in enumerate(nodes):
        for change in _changes(node, names):
            mutated = copy.deepcopy(tree)
            target = list(ast.walk(mutated))[index]
            change(target)
            out = ast.unparse(ast.fix_missing_locations(mutated))
            if out not in seen:
                seen.add(out)
                yield out


def _changes(node: ast.AST, names: list[str]) -> Iterator:  # type: ignore[type-arg]
    if isinstance(node, ast.BinOp) and type(node.op) in SWAP_BINOP:
        new = SWAP_BINOP[type(node.op)]
        yield lambda n, new=new: setattr(n, "op", new())
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in SWAP_CMP:
        for new in SWAP_CMP[type(node.ops[0])]:
            yield lambda n, new=new: setattr(n, "ops", [new()])
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        value = node.value
        for new in {value + 1, 0 if value else 1}:
            if new != value:
                yield lambda n, new=new: setattr(n, "value", type(value)(new))
    if isinstance(node, ast.Name) and node.id in names:
        for other in names:
            if other != node.id:
                yield lambda n, other=other: setattr(n, "id", other)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield lambda n: setattr(n, "op", ast.UAdd())
    if isinstance(node, ast.IfExp):
        def swap(n: ast.IfExp) -> None:
            n.body, n.orelse = n.orelse, n.body
        yield swap


def mutants(path: Path) -> Iterator[Mutant]:
    """Every mutant of the table in the ops module at ``path``."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    offsets = [0]
    for line in source.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line.encode("utf-8")))
    # ast offsets are in bytes of UTF-8; work on bytes to replace by them.
    raw = source.encode("utf-8")

    def replaced(node: ast.AST, text: str) -> str:
        start = offsets[node.lineno - 1] + node.col_offset  # type: ignore[attr-defined]
        end = offsets[node.end_lineno - 1] + node.end_col_offset  # type: ignore[attr-defined]
        return (raw[:start] + text.encode("utf-8") + raw[end:]).decode("utf-8")

    table = next(n for n in tree.body if isinstance(n, ast.AnnAssign)
                 and isinstance(n.target, ast.Name) and n.target.id == "OPS")
    for call in ast.walk(table):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id == "Op"):
            continue
        name = call.args[0].value  # type: ignore[attr-defined]
        keywords = {k.arg: k.value for k in call.keywords}
        args = keywords.get("args")
        operand_names: tuple[str, ...] = ("out",)
        if isinstance(args, ast.Tuple):
            operand_names += tuple(e.value for e in args.elts)  # type: ignore[attr-defined]
        elif ast.literal_eval(call.args[1]) == 1:
            operand_names += ("x",)
        elif ast.literal_eval(call.args[1]) == 2:
            operand_names += ("a", "b")
        forward = call.args[2]
        if isinstance(forward, ast.Lambda):
            before = ast.unparse(forward.body)
            params = tuple(a.arg for a in forward.args.args)
            for after in mutate_expression(before, params):
                yield Mutant(name, "forward", before, after, replaced(forward.body, after))
        texts: list[tuple[str, ast.Constant]] = []
        if len(call.args) > 3 and isinstance(call.args[3], ast.Tuple):
            texts += [(f"partial {i}", e) for i, e in enumerate(call.args[3].elts)
                      if isinstance(e, ast.Constant)]
        variadic = keywords.get("variadic")
        if isinstance(variadic, ast.Call) and len(variadic.args) > 1 \
                and isinstance(variadic.args[1], ast.Tuple):
            groups = [g.elts[0].value for g in variadic.args[0].elts]  # type: ignore[attr-defined]
            operand_names += tuple(groups)
            texts += [(f"variadic partial {i}", e) for i, e in enumerate(variadic.args[1].elts)
                      if isinstance(e, ast.Constant)]
        for where, constant in texts:
            before = constant.value
            for after in mutate_expression(before, operand_names):
                yield Mutant(name, where, before, after, replaced(constant, repr(after)))
