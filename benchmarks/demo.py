"""micrograd's demo step three ways: micrograd==0.1.0, autograd-tiny, and the plain-float floor.

One step = forward over every sample, loss = mean hinge + alpha * sum p**2, backward, SGD
update. All three start from the same data and the same initial weights (drawn once and copied
in), so after each step they hold the same loss and, to rounding, the same weights.
"""

from __future__ import annotations

import random
from itertools import pairwise
from time import perf_counter
from typing import Any

import nn
from autograd_tiny import Value

from .floor import FloorMLP

NIN, NOUTS = 2, [16, 16, 1]
ALPHA = 1e-4
LR = 0.1


def make_moons(n_samples: int, noise: float, seed: int) -> tuple[list[list[float]], list[float]]:
    """Two interleaving half circles (``nn.datasets.make_moons``) with labels -1 / +1."""
    X, y = nn.datasets.make_moons(n_samples, noise, seed)
    return [[float(v) for v in row] for row in X], [1.0 if float(v) > 0.0 else -1.0 for v in y]


def initial_weights(seed: int) -> list[float]:
    """micrograd's initialisation: weights uniform in [-1, 1], biases 0, in parameter order."""
    rng = random.Random(seed)
    sizes = [NIN, *NOUTS]
    params: list[float] = []
    for fan_in, fan_out in pairwise(sizes):
        for _ in range(fan_out):
            params.extend(rng.uniform(-1.0, 1.0) for _ in range(fan_in))
            params.append(0.0)
    return params


class _GraphDemo:
    """The step on a graph-building engine: loss, zero_grad, backward, SGD update."""

    model: Any
    params: list[Any]

    def loss(self) -> Any:
        raise NotImplementedError

    def step(self, lr: float = LR) -> float:
        total_loss = self.loss()
        self.model.zero_grad()
        total_loss.backward()
        for p in self.params:
            p.data -= lr * p.grad
        return float(total_loss.data)

    def weights(self) -> list[float]:
        return [float(p.data) for p in self.params]

    def _load(self, weights: list[float]) -> None:
        for p, w in zip(self.params, weights, strict=True):
            p.data = w


class MicrogradDemo(_GraphDemo):
    """The step exactly as micrograd's demo.ipynb writes it."""

    name = "micrograd"

    def __init__(self, X: list[list[float]], y: list[float], weights: list[float]) -> None:
        from micrograd import engine, nn

        self.Value = engine.Value
        self.model = nn.MLP(NIN, list(NOUTS))
        self.params = self.model.parameters()
        self._load(weights)
        self.X, self.y = X, y

    def loss(self) -> Any:
        inputs = [list(map(self.Value, xrow)) for xrow in self.X]
        scores = list(map(self.model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(self.y, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in self.params)
        return data_loss + reg_loss


class OursDemo(_GraphDemo):
    """The same step on autograd-tiny, written the natural way with ``nn``."""

    name = "autograd-tiny"
    model_kind = "nn.MLP"

    def __init__(self, X: list[list[float]], y: list[float], weights: list[float]) -> None:
        self.model = nn.MLP(NIN, list(NOUTS), seed=0)
        self.params = self.model.parameters()
        self._load(weights)
        self.X, self.y = X, y

    def loss(self) -> Value:
        scores = [self.model(x) for x in self.X]
        return nn.hinge_loss(scores, self.y) + ALPHA * nn.l2_penalty(self.params)


class FloorDemo:
    """The same step by hand in plain floats (``benchmarks.floor``)."""

    name = "floor (plain floats)"

    def __init__(self, X: list[list[float]], y: list[float], weights: list[float]) -> None:
        self.model = FloorMLP(NIN, list(NOUTS), weights)
        self.X, self.y = X, y

    def step(self, lr: float = LR) -> float:
        return self.model.step(self.X, self.y, ALPHA, lr)

    def weights(self) -> list[float]:
        return self.model.parameters()


def graph_size(root: Value) -> int:
    """Number of nodes (ops and leaves) in ``root``'s graph."""
    from autograd_tiny.engine import toposort

    return len(toposort(root))


def micrograd_graph_size(root: Any) -> int:
    seen = {id(root)}
    stack = [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


class CompiledDemo(OursDemo):
    """The step as ``nn.fit(..., compile=True)`` takes it: each sample's hinge term traced
    once and run as generated Python, the penalty (one node) interpreted; the same SGD
    update."""

    name = "autograd-tiny compiled"

    def __init__(self, X: list[list[float]], y: list[float], weights: list[float]) -> None:
        from nn.train import _PerSample

        super().__init__(X, y, weights)
        t = perf_counter()
        self.batch = _PerSample(self.model, "hinge", self.params, ALPHA, 0.0, compile=True)
        self.batch.prepare(X, y)
        self.compile_seconds = perf_counter() - t
        self.lines = sum(len(c.source.splitlines()) for c in self.batch.compiled())

    def step(self, lr: float = LR) -> float:
        self.model.zero_grad()
        loss, _ = self.batch(self.X, self.y)
        for p in self.params:
            p.data -= lr * p.grad
        return loss
