"""The demo step written by hand in plain floats: no graph, the floor any engine is measured by.

Same model as ``MLP(nin, [16, 16, 1])`` (relu hidden layers, linear output), same loss
(mean hinge + alpha * sum of squared parameters), same SGD update. The backward pass is the
textbook batched one: for a layer ``z = W h + b``,
``dW = dz^T h``, ``db = sum over samples of dz``, ``dh = dz W``, and relu'(z) = (z > 0).
"""

from __future__ import annotations

from itertools import pairwise
from operator import mul


class FloorMLP:
    """An MLP held as lists of floats; ``step`` does forward, loss, backward and update."""

    def __init__(self, nin: int, nouts: list[int], params: list[float]) -> None:
        sizes = [nin, *nouts]
        self.W: list[list[list[float]]] = []
        self.b: list[list[float]] = []
        it = iter(params)
        for fan_in, fan_out in pairwise(sizes):
            W, b = [], []
            for _ in range(fan_out):
                W.append([next(it) for _ in range(fan_in)])
                b.append(next(it))
            self.W.append(W)
            self.b.append(b)
        if next(it, None) is not None:
            raise ValueError("more parameters than the architecture has")
        self.dW: list[list[list[float]]] = []
        self.db: list[list[float]] = []

    def parameters(self) -> list[float]:
        """Flat, in micrograd's order: layer by layer, neuron by neuron, weights then bias."""
        return [p for W, b in zip(self.W, self.b, strict=True)
                for w, bj in zip(W, b, strict=True) for p in (*w, bj)]

    def gradients(self) -> list[float]:
        """d loss / d parameter from the last ``loss_and_grads``, in ``parameters()`` order."""
        return [g for dW, db in zip(self.dW, self.db, strict=True)
                for dw, dbj in zip(dW, db, strict=True) for g in (*dw, dbj)]

    def loss_and_grads(self, X: list[list[float]], y: list[float], alpha: float) -> float:
        """mean_i relu(1 - y_i * score_i) + alpha * sum p**2; fills ``dW`` and ``db``."""
        n = len(X)
        last = len(self.W) - 1
        H = X
        inputs, pre = [], []
        for li, (W, b) in enumerate(zip(self.W, self.b, strict=True)):
            Z = [[sum(map(mul, w, h)) + bj for w, bj in zip(W, b, strict=True)] for h in H]
            inputs.append(H)
            pre.append(Z)
            H = Z if li == last else [[z if z > 0.0 else 0.0 for z in row] for row in Z]
        scores = [row[0] for row in H]

        margins = [1.0 - yi * s for yi, s in zip(y, scores, strict=True)]
        data_loss = sum(m for m in margins if m > 0.0) / n
        reg_loss = alpha * sum(p * p for p in self.parameters())
        # d/ds relu(1 - y s) / n = -y / n where the margin is positive (relu'(0) = 0)
        G = [[-yi / n if m > 0.0 else 0.0] for yi, m in zip(y, margins, strict=True)]

        self.dW = [[] for _ in self.W]
        self.db = [[] for _ in self.W]
        for li in range(last, -1, -1):
            W, b = self.W[li], self.b[li]
            Gcols = list(zip(*G, strict=True))  # per neuron, over samples
            Hcols = list(zip(*inputs[li], strict=True))
            self.dW[li] = [[sum(map(mul, gcol, hcol)) + 2.0 * alpha * wk
                            for hcol, wk in zip(Hcols, w, strict=True)]
                           for gcol, w in zip(Gcols, W, strict=True)]
            self.db[li] = [sum(gcol) + 2.0 * alpha * bj
                           for gcol, bj in zip(Gcols, b, strict=True)]
            if li:
                Wcols = list(zip(*W, strict=True))
                G = [[sum(map(mul, g, wcol)) if z > 0.0 else 0.0
                      for wcol, z in zip(Wcols, zrow, strict=True)]
                     for g, zrow in zip(G, pre[li - 1], strict=True)]
        return data_loss + reg_loss

    def step(self, X: list[list[float]], y: list[float], alpha: float, lr: float) -> float:
        """One forward + backward + SGD update; returns the loss before the update."""
        loss = self.loss_and_grads(X, y, alpha)
        for W, b, dW, db in zip(self.W, self.b, self.dW, self.db, strict=True):
            for w, dw in zip(W, dW, strict=True):
                w[:] = [wk - lr * gk for wk, gk in zip(w, dw, strict=True)]
            b[:] = [bj - lr * gj for bj, gj in zip(b, db, strict=True)]
        return loss
