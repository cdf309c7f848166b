"""micrograd's demo, written once and run on micrograd 0.1.0 and on this project, step by step.

The computation is micrograd's moons demo: ``random.seed(1337)``, ``MLP(2, [16, 16, 1])``,
hinge loss + 1e-4 L2, full-batch SGD with lr = 1.0 - 0.9 k/100, 100 steps. Both sides use
``nn.datasets.make_moons`` for the data.

Why micrograd's children are put in operand order here: micrograd stores a node's children in
a ``set`` (``_prev``), and a set of objects hashed by identity iterates in an order that follows
their memory addresses. Its topological sort, and so the order in which the contributions to a
weight used by 100 samples are added into ``.grad``, changes with whatever was allocated
before: two runs of micrograd's own demo in two processes give losses that differ in the last
bit or two from step 1 on (floating-point addition is not associative). No implementation can
match "micrograd" to the last digit when micrograd does not match itself. The test therefore
gives micrograd's ``_prev`` the operands' order (a tuple without duplicates), which is one of
the orders a set can iterate in; micrograd's arithmetic and its backward are untouched. With it
micrograd is deterministic, and this project must agree with it exactly: same initial weights,
same loss at every step, same final weights, with the fused dot-product neurons (and, for
the first steps, with micrograd's expanded graph, ``fused=False``). A fused dot node gives the
same floats because its forward adds ``b + w0*x0 + w1*x1 + ...`` in micrograd's order and
each contribution ``w_i * grad`` reaches the same node in the same order. Unpatched micrograd
is compared too, to 1e-12.
"""

from __future__ import annotations

import gc
import os
import random
from collections.abc import Callable
from typing import Any

import pytest

import nn
from autograd_tiny import Value

STEPS = 100


def _micrograd() -> tuple[Any, Any]:
    """micrograd's engine and nn modules; a missing micrograd skips, except in CI."""
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        import micrograd.engine
        import micrograd.nn
        return micrograd.engine, micrograd.nn
    return pytest.importorskip("micrograd.engine"), pytest.importorskip("micrograd.nn")


def demo(value: Callable[[float], Any], mlp: Callable[[int, list[int]], Any],
         X: list[list[float]], y: list[float], steps: int) -> tuple[list[float], list[float]]:
    """micrograd's demo loop in micrograd's names: the loss per step and the final weights."""
    random.seed(1337)
    model = mlp(2, [16, 16, 1])

    def step(k: int) -> float:
        inputs = [list(map(value, row)) for row in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        for p in model.parameters():
            p.grad = 0
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        return float(total_loss.data)

    curve = []
    for k in range(steps):
        curve.append(step(k))
        gc.collect(0)  # micrograd's closures make each step's graph a cycle: free it now
    return curve, [float(p.data) for p in model.parameters()]


@pytest.fixture(scope="module")
def moons() -> tuple[list[list[float]], list[float]]:
    X, y01 = nn.datasets.make_moons(100, noise=0.1, seed=1337)
    return X, nn.datasets.signed_labels(y01)


@pytest.fixture(scope="module")
def micrograd_ordered(moons: Any) -> tuple[list[float], list[float]]:
    """micrograd's demo with its children kept in operand order (see the module docstring)."""
    engine, mnn = _micrograd()
    original = engine.Value.__init__

    def init(self: Any, data: float, _children: tuple[Any, ...] = (), _op: str = "") -> None:
        original(self, data, (), _op)
        self._prev = tuple(dict.fromkeys(_children))

    enabled = gc.isenabled()
    gc.disable()
    engine.Value.__init__ = init
    try:
        return demo(engine.Value, mnn.MLP, *moons, STEPS)
    finally:
        engine.Value.__init__ = original
        if enabled:
            gc.enable()


def test_global_seed_gives_micrograds_initial_weights() -> None:
    _, mnn = _micrograd()
    random.seed(1337)
    theirs = [p.data for p in mnn.MLP(2, [16, 16, 1]).parameters()]
    random.seed(1337)
    ours = [p.data for p in nn.MLP(2, [16, 16, 1]).parameters()]
    assert ours == theirs
    assert nn.MLP(2, [16, 16, 1]).state_dict() != nn.MLP(2, [16, 16, 1]).state_dict()


def test_seed_keeps_a_private_stream() -> None:
    random.seed(5)
    expected = random.random()
    random.seed(5)
    a = nn.MLP(2, [3, 1], seed=7)
    assert random.random() == expected  # the global stream was not touched
    assert a.state_dict() == nn.MLP(2, [3, 1], seed=7).state_dict()


def test_micrograd_demo_same_loss_every_step_to_the_last_bit(
        moons: Any, micrograd_ordered: tuple[list[float], list[float]]) -> None:
    theirs_curve, theirs_weights = micrograd_ordered
    curve, weights = demo(Value, nn.MLP, *moons, STEPS)
    assert len(curve) == STEPS
    mismatched = [(k, a, b) for k, (a, b) in enumerate(zip(curve, theirs_curve, strict=True))
                  if a != b]
    assert not mismatched, f"(step, ours, micrograd): {mismatched[:5]}"
    assert weights == theirs_weights
    assert curve[-1] < curve[0] / 10


def test_micrograd_demo_expanded_graph_same_losses(
        moons: Any, micrograd_ordered: tuple[list[float], list[float]]) -> None:
    # micrograd's own graph shape (a multiply and an add per weight): the first 20 steps,
    # as many nodes as micrograd's and so the slow half of this file
    steps = 20
    curve, _ = demo(Value, lambda nin, nouts: nn.MLP(nin, nouts, fused=False), *moons, steps)
    assert curve == micrograd_ordered[0][:steps]


def test_micrograd_as_shipped_agrees_to_1e_12(moons: Any) -> None:
    engine, mnn = _micrograd()
    steps = 3
    theirs, _ = demo(engine.Value, mnn.MLP, *moons, steps)
    ours, _ = demo(Value, nn.MLP, *moons, steps)
    assert ours[0] == theirs[0]  # the forward pass adds in micrograd's order
    assert ours == pytest.approx(theirs, rel=1e-12, abs=0)
