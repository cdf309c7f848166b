"""The backward pass: topological order by an explicit stack, then one chain-rule loop."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .modes import enable_grad, is_anomaly_enabled

if TYPE_CHECKING:
    from .value import Value


def toposort(root: Value) -> list[Value]:
    """Every node ``root`` depends on, children before parents, without recursion.

    Depth-first with an explicit stack: a node is placed once all its children are. Children
    are visited in order, so the order is deterministic for a given graph.
    """
    order: list[Value] = []
    visited = {root}
    # The path from the root down, and for each node on it an iterator over the children not
    # yet looked at. Two lists, not a list of pairs: one object fewer per level keeps the
    # cyclic GC from rescanning the graph while a million-node chain is being walked.
    path = [root]
    todo = [iter(root.children)]
    while path:
        for child in todo[-1]:
            if child not in visited:
                visited.add(child)
                if child.children:
                    path.append(child)
                    todo.append(iter(child.children))
                    break
                order.append(child)  # a leaf is done as soon as it is seen
        else:
            todo.pop()
            order.append(path.pop())
    return order


def local_partials(node: Value, create_graph: bool = False) -> tuple[Any, ...]:
    """The node's local derivatives d node / d child, one per child, from the op table."""
    if create_graph:
        partials = node._fn.rule(node, *node.children)
    else:
        partials = node._fn.rule(node.data, *[c.data for c in node.children])
    if len(partials) != len(node.children):
        from .value import describe

        raise ValueError(f"the rule of op {node._fn.name!r} returned {len(partials)} "
                         f"partials for {len(node.children)} children at "
                         f"{node._fn.name}({describe(node.children)})")
    return partials


def backprop(order: list[Value], create_graph: bool = False) -> None:
    """Apply the chain rule over ``order`` (children before parents), from the end back:
    ``child.grad += local * node.grad``, the only place any grad is accumulated.

    A node whose grad is exactly 0 adds 0 to every child, so it is skipped without evaluating
    its rule: in a ReLU network that is every unit that is off. (An infinite local derivative
    behind a zero gradient, such as sqrt at 0 feeding a relu that is off, so gives 0, not NaN.)
    With ``create_graph=True`` the rules run on Values and record a graph, even in ``no_grad``.
    """
    if create_graph:
        with enable_grad():
            _backprop(order, True)
    else:
        _backprop(order, False)


def _backprop(order: list[Value], create_graph: bool) -> None:
    anomaly = is_anomaly_enabled()
    node = None
    try:
        for node in reversed(order):
            children = node.children
            if not children:
                continue
            g = node.grad
            if g == 0.0:
                continue  # nothing flows back (a Value grad under create_graph is never == 0.0)
            for child, local in zip(children, local_partials(node, create_graph), strict=False):
                child.grad += local * g
            if anomaly:
                _check_finite(node)
    except ArithmeticError as e:
        if node is None or isinstance(e, FloatingPointError):
            raise  # _check_finite's message already names the node
        from .value import describe

        kind = FloatingPointError if anomaly and isinstance(e, OverflowError) else type(e)
        raise kind(f"backward through {node._fn.name}({describe(node.children)}): {e}") \
            from None


def _check_finite(node: Value) -> None:
    for child in node.children:
        if not math.isfinite(float(child.grad)):
            from .value import describe

            who = child.label or repr(child.data)
            raise FloatingPointError(
                f"backward through {node._fn.name}({describe(node.children)}) gave a "
                f"gradient of {float(child.grad)} for operand {who}")


def backward(root: Value, grad: Any = 1.0, *, create_graph: bool = False) -> None:
    """``root.backward()``: reset non-leaf grads, seed the root, propagate."""
    cls = type(root)
    if not isinstance(grad, cls):
        from .value import as_float

        grad = as_float(grad, "backward grad")
        if create_graph:
            grad = cls(grad)
    if is_anomaly_enabled() and not math.isfinite(float(grad)):
        raise FloatingPointError(f"backward seed grad = {float(grad)} for the root "
                                 f"{root.label or repr(root.data)}")
    order = toposort(root)
    for node in order:
        if node.children:
            node.grad = 0.0
    root.grad += grad
    backprop(order, create_graph)
    if create_graph:
        for node in order:
            if not isinstance(node.grad, cls):
                node.grad = cls(float(node.grad))
