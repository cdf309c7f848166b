"""The graph-shaped workloads: a deep chain, a wide sum, and first-order backward overhead.

Each ``*_sample`` function builds what it needs, times only the part it names, and returns
seconds (or a dict of measurements), so the runner can interleave them.
"""

from __future__ import annotations

import gc
import math
import random
import tracemalloc
from collections.abc import Callable
from time import perf_counter
from typing import Any

from autograd_tiny import Value
from autograd_tiny.engine import chain_rule, toposort

CHAIN_OPS_PER_LINK = 3  # y * 1.0001, + 0.1, tanh


def ours_chain(depth: int) -> dict[str, float]:
    """y = tanh(y * 1.0001 + 0.1), ``depth`` times; times forward, backward, freeing."""
    x = Value(0.5)
    y = x
    t0 = perf_counter()
    for _ in range(depth):
        y = (y * 1.0001 + 0.1).tanh()
    t1 = perf_counter()
    y.backward()
    t2 = perf_counter()
    grad = x.grad
    del y
    t3 = perf_counter()
    return {"forward_s": t1 - t0, "backward_s": t2 - t1, "free_s": t3 - t2, "grad": grad}


def chain_grad_reference(depth: int) -> float:
    """dy/dx of the chain by the chain rule in plain floats, to check the engine against."""
    y, g = 0.5, 1.0
    for _ in range(depth):
        y = math.tanh(y * 1.0001 + 0.1)
        g *= (1.0 - y * y) * 1.0001
    return g


def micrograd_chain_works(depth: int) -> bool:
    """Whether micrograd's (recursive) backward survives a chain of ``depth`` links."""
    from micrograd.engine import Value as MValue

    y = MValue(0.5)
    for _ in range(depth):
        # micrograd 0.1.0 has no tanh; y * 1.0001 + 0.1 then relu keeps the same depth
        y = (y * 1.0001 + 0.1).relu()
    try:
        y.backward()
    except RecursionError:
        return False
    finally:
        del y
        gc.collect()
    return True


def micrograd_max_chain(limit: int) -> int:
    """The longest chain (in links) micrograd's backward handles, by bisection up to limit."""
    if micrograd_chain_works(limit):
        return limit
    lo, hi = 0, limit  # works at lo, fails at hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if micrograd_chain_works(mid):
            lo = mid
        else:
            hi = mid
    return lo


def _retained(build: Callable[[], Any]) -> tuple[int, Any]:
    """Bytes still allocated after ``build()`` returns, i.e. what the graph it returns holds."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        root = build()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return after - before, root


def wide_inputs(n: int, seed: int = 0) -> tuple[list[float], list[float]]:
    rng = random.Random(seed)
    return [rng.uniform(-1, 1) for _ in range(n)], [rng.uniform(-1, 1) for _ in range(n)]


def wide_memory(n: int) -> list[dict[str, Any]]:
    """Retained memory of sum_i w_i * x_i over n leaf pairs (the leaves exist beforehand and
    are not counted), for micrograd and for autograd-tiny written two ways."""
    from micrograd.engine import Value as MValue

    wdata, xdata = wide_inputs(n)
    rows = []

    def measure(name: str, make_leaf: Callable[[float], Any],
                build: Callable[[list[Any], list[Any]], Any], count: Callable[[Any], int],
                backward: Callable[[Any], None]) -> None:
        ws = [make_leaf(v) for v in wdata]
        xs = [make_leaf(v) for v in xdata]
        t0 = perf_counter()
        nbytes, root = _retained(lambda: build(ws, xs))
        build_s = perf_counter() - t0
        expected = sum(w * x for w, x in zip(wdata, xdata, strict=True))
        assert abs(root.data - expected) <= 1e-9 * max(1.0, abs(expected)), name
        nodes = count(root) - 2 * n
        t0 = perf_counter()
        try:
            backward(root)
            backward_ms: float | str = (perf_counter() - t0) * 1e3
        except RecursionError:
            backward_ms = "fails (RecursionError)"
        rows.append({"variant": name, "terms": n, "new_nodes": nodes, "retained_bytes": nbytes,
                     "bytes_per_node": nbytes / nodes, "bytes_per_term": nbytes / n,
                     "build_ms_with_tracemalloc": build_s * 1e3, "backward_ms": backward_ms})
        del root
        gc.collect()

    from .demo import micrograd_graph_size

    measure("micrograd: sum(w * x for ...)", MValue,
            lambda ws, xs: sum(w * x for w, x in zip(ws, xs, strict=True)), micrograd_graph_size,
            lambda root: root.backward())
    measure("autograd-tiny: Value.sum([w * x for ...])", Value,
            lambda ws, xs: Value.sum([w * x for w, x in zip(ws, xs, strict=True)]),
            lambda root: len(toposort(root)), lambda root: root.backward())
    measure("autograd-tiny: sum(w * x for ...) (micrograd-style)", Value,
            lambda ws, xs: sum(w * x for w, x in zip(ws, xs, strict=True)),
            lambda root: len(toposort(root)), lambda root: root.backward())
    return rows


def first_order_backprop(order: list[Value]) -> None:
    """The least a first-order-only engine must do over the same order with the same rules:
    no create_graph branch, no anomaly check, no error wrapping."""
    for node in reversed(order):
        children = node.children
        if children:
            g = node.grad
            if g == 0.0:
                continue
            partials = node._op_entry.rule(node.data, *[c.data for c in children])
            for child, local in zip(children, partials, strict=True):
                child.grad += local * g


def reset_grads(order: list[Value], root: Value) -> None:
    for node in order:
        node.grad = 0.0
    root.grad = 1.0


def backward_overhead_samples(root: Value, repeat: int) -> dict[str, list[float]]:
    """Interleaved timings on one graph: the engine's ``chain_rule`` loop vs
    ``first_order_backprop``, and ``root.backward()`` vs toposort + reset + that loop."""
    order = toposort(root)
    samples: dict[str, list[float]] = {"engine loop": [], "minimal loop": [],
                                       "engine backward()": [], "toposort+minimal": []}
    leaves = [n for n in order if not n.children]

    def engine_loop() -> float:
        reset_grads(order, root)
        t = perf_counter()
        chain_rule(order)
        return perf_counter() - t

    def minimal_loop() -> float:
        reset_grads(order, root)
        t = perf_counter()
        first_order_backprop(order)
        return perf_counter() - t

    def engine_backward() -> float:
        for leaf in leaves:
            leaf.grad = 0.0
        t = perf_counter()
        root.backward()
        return perf_counter() - t

    def toposort_minimal() -> float:
        for leaf in leaves:
            leaf.grad = 0.0
        t = perf_counter()
        o = toposort(root)
        for node in o:
            node.grad = 0.0
        root.grad = 1.0
        first_order_backprop(o)
        return perf_counter() - t

    fns = [("engine loop", engine_loop), ("minimal loop", minimal_loop),
           ("engine backward()", engine_backward), ("toposort+minimal", toposort_minimal)]
    reference: list[float] | None = None
    for r in range(repeat):
        for name, fn in fns[r % 4:] + fns[:r % 4]:
            gc.collect()
            samples[name].append(fn())
            grads = [leaf.grad for leaf in leaves]
            if reference is None:
                reference = grads
            assert all(abs(a - b) <= 1e-12 * max(1.0, abs(b)) for a, b in
                       zip(grads, reference, strict=True)), f"{name} gave different gradients"
    return samples
