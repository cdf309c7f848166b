"""The backward pass: topological order by an explicit stack, then one chain-rule loop."""

from __future__ import annotations

import contextlib
import gc
import math
from typing import TYPE_CHECKING, Any

from .modes import enable_grad, is_anomaly_enabled
from .ops import as_float, describe

if TYPE_CHECKING:
    from .value import Value as Value
else:
    def __getattr__(name: str) -> Any:
        # micrograd's import line, ``from autograd_tiny.engine import Value``. Value lives in
        # value.py, which builds on this module, so it is looked up when asked for: neither
        # module needs the other loaded first.
        if name == "Value":
            from .value import Value

            return Value
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_NOTHING = contextlib.nullcontext()


def toposort(root: Value, *, leaves: bool = True) -> list[Value]:
    """Every node ``root`` depends on, children before parents, without recursion; with
    ``leaves=False`` only the op nodes (the order backward applies the chain rule in).

    Depth-first with an explicit stack: a node is placed once all its children are. Children
    are visited in order, so the order is deterministic for a given graph, and the op nodes
    come in the same order with or without the leaves. This is the one walk of the graph:
    backward, the step-through, the pictures and the code generator all use it.
    """
    children = getattr(root, "children", None)
    if type(children) is not tuple:
        raise TypeError(f"the root of a graph must be a Value, got {type(root).__name__} "
                        f"{root!r:.60}")
    if not children:
        return [root] if leaves else []
    order: list[Value] = []
    visited = {root}
    # The path from the root down, and for each node on it an iterator over the children not
    # yet looked at. Two lists, not a list of pairs: one object fewer per level keeps the
    # cyclic GC from rescanning the graph while a million-node chain is being walked.
    path = [root]
    todo = [iter(children)]
    while path:
        for child in todo[-1]:
            if child not in visited:
                if child.children:
                    visited.add(child)
                    path.append(child)
                    todo.append(iter(child.children))
                    break
                if leaves:  # a leaf is done as soon as it is seen
                    visited.add(child)
                    order.append(child)
        else:
            todo.pop()
            order.append(path.pop())
    return order


def local_partials(node: Value) -> tuple[float, ...]:
    """The node's local derivatives d node / d child, one per child, as floats."""
    return node._op_entry.rule(node.data, *[c.data for c in node.children])


def chain_rule(order: list[Value], create_graph: bool = False) -> None:
    """Apply the chain rule over ``order`` (children before parents), from the end back:
    ``child.grad += local * node.grad``, the only place any grad is accumulated.

    A node whose grad is exactly 0 adds 0 to every child, so it is skipped without evaluating
    its rule: in a ReLU network that is every unit that is off. (An infinite local derivative
    behind a zero gradient, such as sqrt at 0 feeding a relu that is off, so gives 0, not NaN.)
    With ``create_graph=True`` the rules run on Values and record a graph, even in ``no_grad``.
    """
    anomaly = is_anomaly_enabled()
    with enable_grad() if create_graph else _NOTHING:
        for node in reversed(order):
            g = node.grad
            if g == 0.0:
                continue  # nothing flows back (a Value grad under create_graph is never == 0.0)
            children = node.children
            rule = node._op_entry.rule
            try:
                if create_graph:
                    partials = rule(node, *children)
                elif len(children) == 1:  # activations, the most common op: no list to build
                    partials = rule(node.data, children[0].data)
                else:
                    partials = rule(node.data, *[c.data for c in children])
            except (ArithmeticError, TypeError) as e:
                # Inside detect_anomaly an overflow is the anomaly it promises to report.
                kind = FloatingPointError if anomaly and isinstance(e, OverflowError) else type(e)
                raise kind(f"backward through {node.op}({describe(children)}): {e}") from None
            for child, local in zip(children, partials, strict=False):
                child.grad += local * g
            if anomaly:
                _check_finite(node)


def _check_finite(node: Value) -> None:
    for child in node.children:
        if not math.isfinite(float(child.grad)):
            who = child.label or repr(child.data)
            raise FloatingPointError(
                f"backward through {node.op}({describe(node.children)}) gave a "
                f"gradient of {float(child.grad)} for operand {who}")


def backward(root: Value, grad: Any = 1.0, *, create_graph: bool = False) -> None:
    """``root.backward()``: reset the op nodes' grads, seed the root, apply the chain rule.

    The cyclic garbage collector is paused meanwhile: the pass allocates no cycles, and a
    collection would only rescan the graph. Under ``create_graph`` the seed is a Value and a
    Value grad is never skipped, so every grad the pass reaches ends up a Value.
    """
    cls = type(root)
    if not isinstance(grad, cls):
        grad = as_float(grad, "backward grad")
        if create_graph:
            grad = cls(grad)
    if is_anomaly_enabled() and not math.isfinite(float(grad)):
        raise FloatingPointError(f"backward seed grad = {float(grad)} for the root "
                                 f"{root.label or repr(root.data)}")
    collecting = gc.isenabled()
    gc.disable()
    try:
        order = toposort(root, leaves=False)
        for node in order:  # op nodes hold this pass's grads only; leaf grads accumulate
            node.grad = 0.0
        root.grad += grad
        chain_rule(order, create_graph)
    finally:
        if collecting:
            gc.enable()
