"""Step through a backward pass one chain-rule application at a time, with numbers.

``backprop_steps(root)`` runs the engine's own chain rule (``engine.chain_rule``) on a copy of
the graph one node at a time, in backward's order, and reads the grads it leaves after each:
the engine's order, its rules (``engine.local_partials``) and its grads, so after the last
step every grad is what ``root.backward()`` gives on a fresh graph, exactly. The
user's ``.grad`` fields are never touched. As in ``backward()``, the root is seeded with 1.0
and every other grad starts at 0: for a leaf the steps show this pass's contributions, not
what earlier passes left in ``.grad``.

``forward_steps(root)`` lists the same nodes in the order they were computed.

A leaf without a label is taken for a constant (a number written into an expression, such as
the 3 of ``x ** 3``): the text writes it as its number and gives it no gradient line; its
contribution is still in ``.contributions`` and its grad in the pictures. Label a leaf to
follow its gradient in the text.

A node's grad is *final* once every node that uses it has been processed. In the pictures a
grad is shown from the step that finalises it on (the root's from the first step, since its
seed is final from the start); grads still being accumulated are left blank.

Steps record what they show when they are made: every node's data and label (in ``data``,
``names`` and a private copy of the graph that the pictures are drawn from), the grads, the
upstream and local values. Changing ``.data``, ``.label`` or ``.grad`` afterwards (an SGD
update, another ``backward()``) changes nothing an existing step shows or says.
"""

from __future__ import annotations

import ast
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload

from . import engine, formula
from .names import node_names
from .ops import fill
from .value import Value

if TYPE_CHECKING:
    import graphviz

    from .player import StepPlayer

T = TypeVar("T")

# Displaying a BackpropSteps in Jupyter shows the player (one layout, collapsed to a box per
# neuron past player.COLLAPSE_ABOVE values); past this many values the text is shown instead.
AUTO_PLAYER_NODES = 2000


def _six_digits(x: float) -> str:
    """A number as the explanations print it: short reprs as they are, long ones to 6 digits."""
    x = float(x)
    text = repr(x)
    if len(text) <= 8:
        return text
    text = format(x, ".6g")
    return text + ".0" if text.lstrip("-").isdigit() else text


def _paren(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


def _factor(text: str) -> str:
    """``text`` parenthesised if it has a + or - or if/else outside brackets."""
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch in "([") - (ch in ")]")
        if depth == 0 and i > 0 and (text[i - 1 : i + 2] in (" + ", " - ")
                                     or text.startswith(" if ", i)):
            return f"({text})"
    return text


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _freeze(order: Sequence[Value]) -> dict[Value, Value]:
    """A copy of the graph as it is now (data, labels, ops, children), for the pictures."""
    copies: dict[Value, Value] = {}
    for node in order:
        copy = Value(node.data, node.label)
        copy._op_entry = node._op_entry
        copy.children = tuple(copies[c] for c in node.children)
        copies[node] = copy
    return copies


def _expression(node: Value, args: Sequence[str]) -> str:
    """How ``node`` was computed from ``args`` (its operands, already written out), in the
    op table's math text."""
    op, n = node._op_entry, len(node.children)
    return fill(op.math_text(n), dict(zip(op.operands(n), args, strict=True)))


class Step:
    """One application of the chain rule: ``child.grad += local * node.grad`` per child."""

    def __init__(self, steps: BackpropSteps, index: int, node: Value, upstream: float,
                 local: tuple[float, ...], contributions: tuple[tuple[Value, float], ...],
                 totals: tuple[tuple[int, float], ...], finalizes: tuple[Value, ...]) -> None:
        self._steps = steps
        self.index = index
        self.node = node
        self.upstream = upstream
        self.local = local
        self.contributions = contributions
        self._totals = totals  # per child: how many contributions so far, grad after this one
        self.finalizes = finalizes

    def __repr__(self) -> str:
        return f"<Step {self.index + 1} of {len(self._steps)}: {self._header()}>"

    def __str__(self) -> str:
        return self.explain()

    def _header(self) -> str:
        names = self._steps.names
        node = self.node
        expr = _expression(node, [self._steps.operand(c) for c in node.children])
        terms = expr.split(" + ")
        if node.op in ("sum", "dot") and len(terms) > 5:
            # A wide neuron's sum would fill lines; its lines below name every operand.
            expr = " + ".join([*terms[:2], "...", *terms[-2:]])
        seed = " (the seed)" if node is self._steps.root else " from above"
        if self.upstream == 0.0:
            seed += ": nothing flows back, backward() skips it"
        return f"{names[node]} = {expr}, {names[node]}.grad = {_six_digits(self.upstream)}{seed}"

    def explain(self) -> str:
        """The step in words and numbers: one line per operand that is not a constant, the
        op's formula specialised to this node (``a.grad += 3 * a.data**2 * y.grad = ...``)."""
        steps = self._steps
        names, data = steps.names, steps.data
        node = self.node
        n = len(node.children)
        values = [data[c] for c in node.children]
        constant = [steps.is_constant(c) for c in node.children]
        operand_names = [names[c] for c in node.children]
        grad = ast.Name(f"{names[node]}.grad", ast.Load())
        up = _paren(_six_digits(self.upstream))
        lines = [self._header()]
        if self.upstream == 0.0 and any(not k for k in constant):
            # Every line would read "... * 0.0 = 0.0" and change no grad: one line says so.
            shown = dict.fromkeys(names[c] for c, k in zip(node.children, constant, strict=True)
                                  if not k)
            lines.append(f"nothing is added to {', '.join(shown)} (each gets its local "
                         f"derivative * {names[node]}.grad = 0)")
        for i, (child, amount) in enumerate(self.contributions):
            if constant[i] or self.upstream == 0.0:
                continue
            symbols, numbers, notes = formula.partial(
                node._op_entry, i, n, values, data[node], constant, operand_names, names[node],
                _six_digits)
            local = _six_digits(self.local[i])
            chain = [formula.unparse(ast.BinOp(symbols, ast.Mult(), grad))]
            with_numbers = formula.unparse(numbers)
            if with_numbers != local and with_numbers != formula.unparse(symbols):
                chain.append(f"{_factor(with_numbers)} * {up}")
            chain += [f"{local} * {up}", _six_digits(amount)]
            line = f"{names[child]}.grad += " + " = ".join(chain)
            count, total = self._totals[i]
            if count > 1:
                notes = [*notes, f"{_ordinal(count)} contribution; "
                                 f"{names[child]}.grad is now {_six_digits(total)}"]
            if notes:
                line += f"  ({'; '.join(notes)})"
            lines.append(line)
        skipped = list(dict.fromkeys(formula.number(data[c]) for c, k in
                                     zip(node.children, constant, strict=True) if k))
        if skipped:
            what = "a constant" if len(skipped) == 1 else "constants"
            lines.append(f"({', '.join(skipped)}: {what}, no gradient to pass on)")
        return "\n  ".join(lines)

    def known_grads(self) -> dict[Value, float | None]:
        """Every node's grad as this step's picture shows it: final ones, None for the rest."""
        final, shown_from = self._steps.grads, self._steps.shown_from
        return {n: final[n] if shown_from[n] <= self.index else None for n in self._steps.order}

    def graph(self, **kwargs: Any) -> graphviz.Digraph:
        """``draw_dot`` of the root at this step: this node highlighted, unreached grads blank.

        Keyword arguments go to ``draw_dot`` (``rankdir``, ``color_by``, ``max_nodes``, ...).
        The picture is drawn from the graph as it was when the steps were made.
        """
        from .draw import draw_dot

        frozen = self._steps._frozen
        names = kwargs.pop("names", self._steps.names)
        kwargs["names"] = {frozen[n]: name for n, name in names.items() if n in frozen}
        grads = {frozen[n]: g for n, g in self.known_grads().items()}
        return draw_dot(frozen[self._steps.root], highlight=frozen[self.node], grads=grads,
                        **kwargs)


class _Numbered(Sequence[T]):
    """Steps over the graph of ``root``, indexable and iterable, printed as a numbered list."""

    _steps: list[T]

    def __init__(self, root: Value) -> None:
        self.root = root
        self.order = engine.toposort(root)
        self.names = node_names(self.order)
        self.data: Mapping[Value, float] = {node: node.data for node in self.order}
        # A leaf without a label is a constant (a number written into an expression, as the
        # 3 of x ** 3): the text writes it as its number and gives it no gradient line.
        self._constants = {node for node in self.order if not node.children and not node.label}

    def is_constant(self, node: Value) -> bool:
        """Whether the text treats ``node`` as a constant: an unlabelled leaf."""
        return node in self._constants

    def operand(self, node: Value) -> str:
        """How an operand is written in an expression: its name, or a constant's number."""
        return formula.number(self.data[node]) if node in self._constants else self.names[node]

    @overload
    def __getitem__(self, i: int) -> T: ...

    @overload
    def __getitem__(self, i: slice) -> list[T]: ...

    def __getitem__(self, i: int | slice) -> T | list[T]:
        return self._steps[i]

    def __len__(self) -> int:
        return len(self._steps)

    def __iter__(self) -> Iterator[T]:
        return iter(self._steps)

    def __str__(self) -> str:
        width = len(str(len(self)))
        return "\n".join(f"{i + 1:>{width}}. " + str(s).replace("\n", "\n" + " " * width)
                         for i, s in enumerate(self._steps))

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))


def _local(node: Value, upstream: float) -> tuple[float, ...]:
    """The node's local derivatives; NaN where one is undefined and nothing flows anyway."""
    try:
        return tuple(float(p) for p in engine.local_partials(node))
    except (ArithmeticError, ValueError):
        if upstream != 0.0:
            raise
        return (math.nan,) * len(node.children)


class BackpropSteps(_Numbered[Step]):
    """The steps of one backward pass, in the order ``backward()`` applies them."""

    def __init__(self, root: Value) -> None:
        super().__init__(root)
        self._frozen = _freeze(self.order)
        # The engine's own backward pass, run on the copy one node at a time in backward's
        # order: the user's grads stay as they are, and every grad below is what the engine's
        # chain rule left, read after each node.
        copies = [self._frozen[node] for node in self.order]
        for copy in copies:
            copy.grad = 0.0
        self._frozen[root].grad = 1.0
        counts: dict[Value, int] = {}
        last_parent: dict[Value, int] = {}
        raw: list[tuple[Value, float, tuple[float, ...], tuple[tuple[Value, float], ...],
                        tuple[tuple[int, float], ...]]] = []
        for node in reversed(self.order):
            if not node.children:
                continue
            copy = self._frozen[node]
            g = copy.grad  # final when backward reaches it, so what it multiplies by
            local = _local(copy, g)
            before = {child: self._frozen[child].grad for child in node.children}
            engine.chain_rule([copy])
            # As in backward(), a node whose grad is 0 passes nothing on.
            amounts = [d * g if g != 0.0 else 0.0 for d in local]
            contributions, totals = [], []
            for i, (child, amount) in enumerate(zip(node.children, amounts, strict=True)):
                counts[child] = counts.get(child, 0) + 1
                last_parent[child] = len(raw)
                if child in node.children[i + 1:]:  # used again by this node: a partial sum
                    before[child] += amount
                    total = before[child]
                else:
                    total = self._frozen[child].grad
                contributions.append((child, amount))
                totals.append((counts[child], total))
            raw.append((node, g, local, tuple(contributions), tuple(totals)))
        self.grads: Mapping[Value, float] = {node: self._frozen[node].grad
                                             for node in self.order}
        self.shown_from: Mapping[Value, int] = {root: 0, **last_parent}
        finalizing: dict[int, list[Value]] = {}
        for child, i in last_parent.items():
            finalizing.setdefault(i, []).append(child)
        self._steps = [Step(self, i, *r, finalizes=tuple(finalizing.get(i, ())))
                       for i, r in enumerate(raw)]

    def __repr__(self) -> str:
        return f"<BackpropSteps: {len(self)} steps back from {self.names[self.root]}>"

    def __str__(self) -> str:
        if not self._steps:
            return f"{self.names[self.root]} is a leaf: backward has no chain rule to apply."
        return super().__str__()

    def widget(self, *, collapsed: bool | None = None) -> StepPlayer:
        """The player: picture and explanation of each step, previous / next, a slider and
        the arrow keys. Self-contained HTML/JS: it needs no kernel and no network, so it
        keeps working in a saved notebook; without JavaScript it shows the first step."""
        from .player import StepPlayer

        return StepPlayer(self, collapsed)

    def _repr_html_(self) -> str | None:
        """The player, for graphs of up to ``AUTO_PLAYER_NODES`` values; for a bigger one
        Jupyter shows the numbered steps (``widget()`` draws the player anyway)."""
        if len(self.order) > AUTO_PLAYER_NODES:
            return None
        from .player import player_html

        return player_html(self)

    def to_html(self) -> str:
        """The player as one self-contained HTML page (no network needed to open it)."""
        from .player import page_html

        return page_html(self)

    def save_html(self, path: str | os.PathLike[str]) -> Path:
        """Write ``to_html()`` to ``path`` (replacing it whole); returns the path."""
        from .player import write_page

        return write_page(self.to_html(), path)


def backprop_steps(root: Value) -> BackpropSteps:
    """The chain-rule steps ``root.backward()`` takes, one per non-leaf node, in its order."""
    if not isinstance(root, Value):
        raise TypeError(f"backprop_steps needs a Value as root, got {type(root).__name__}")
    return BackpropSteps(root)


class ForwardStep:
    """One node of the forward pass: its value, op and inputs."""

    def __init__(self, steps: ForwardSteps, index: int, node: Value) -> None:
        self._steps = steps
        self.index = index
        self.node = node
        self.op = node.op
        self.inputs = node.children

    def __repr__(self) -> str:
        return f"<ForwardStep {self.index + 1}: {self.explain()}>"

    def __str__(self) -> str:
        return self.explain()

    def explain(self) -> str:
        """``c = a * b = 2.0 * (-3.0) = -6.0``; a leaf is ``a = 2.0``."""
        names, data, node = self._steps.names, self._steps.data, self.node
        if not node.children:
            return f"{names[node]} = {_six_digits(data[node])}"
        symbols = _expression(node, [self._steps.operand(c) for c in node.children])
        numbers = _expression(node, [_six_digits(data[c]) for c in node.children])
        result = _six_digits(data[node])
        chain = [symbols] + ([numbers] if numbers != result else []) + [result]
        return f"{names[node]} = " + " = ".join(chain)


class ForwardSteps(_Numbered[ForwardStep]):
    """Every node ``root`` depends on, in the order computed (children before parents)."""

    def __init__(self, root: Value) -> None:
        super().__init__(root)
        self._steps = [ForwardStep(self, i, node) for i, node in enumerate(self.order)]

    def __repr__(self) -> str:
        return f"<ForwardSteps: {len(self)} values up to {self.names[self.root]}>"


def forward_steps(root: Value) -> ForwardSteps:
    """The forward pass that built ``root``: each value, its op and inputs, in order computed."""
    if not isinstance(root, Value):
        raise TypeError(f"forward_steps needs a Value as root, got {type(root).__name__}")
    return ForwardSteps(root)
