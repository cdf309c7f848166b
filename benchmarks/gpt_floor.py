"""The GPT step written by hand in plain floats: no graph, the floor any engine is measured by.

Same model as ``benchmarks.gpt_reference`` (microgpt's: token + position embedding, RMSNorm,
causal multi-head attention over a KV cache, a relu MLP block, a linear head, no biases), same
loss (mean cross-entropy over the positions of one document) and the same Adam step with linear
decay. The forward keeps what the backward needs; the backward walks the positions from last
to first, because a position's key and value are read by every later position, so their
gradients are complete only once the later positions are done. The rules used:

- linear ``y = W x``: ``dx = W^T dy``; ``dW = sum over positions of dy x^T`` (batched at the
  end, as in ``benchmarks.floor``);
- rmsnorm ``y = x s``, ``s = (mean(x**2) + 1e-5)**-0.5``: ``dx = s dy - s**3 / n x (dy . x)``;
- softmax ``a``: ``dz = a * (da - a . da)``; cross-entropy on softmax: ``dz = (p - onehot) / n``;
- relu'(z) = (z > 0).
"""

from __future__ import annotations

import math
from operator import add, mul

from .gpt_reference import shapes


def _rmsnorm(x: list[float]) -> tuple[list[float], float]:
    s = (sum(map(mul, x, x)) / len(x) + 1e-5) ** -0.5
    return [xi * s for xi in x], s


def _rmsnorm_back(dy: list[float], x: list[float], s: float) -> list[float]:
    """dx = s dy - s**3 / n x (dy . x)"""
    c = s * s * s * sum(map(mul, dy, x)) / len(x)
    return [s * dyi - c * xi for dyi, xi in zip(dy, x, strict=True)]


def _linear(W: list[list[float]], x: list[float]) -> list[float]:
    return [sum(map(mul, w, x)) for w in W]


def _outer_sums(dys: list[list[float]], xs: list[list[float]]) -> list[list[float]]:
    """sum_t dy_t x_t^T: row o, column i is sum over positions of dy_t[o] * x_t[i]."""
    xcols = list(zip(*xs, strict=True))
    return [[sum(map(mul, g, xc)) for xc in xcols] for g in zip(*dys, strict=True)]


class FloorGPT:
    """The weights as lists of rows of floats; ``step`` does forward, backward and Adam."""

    def __init__(self, weights: list[float], vocab_size: int = 27, block_size: int = 16,
                 n_embd: int = 16, n_head: int = 4, n_layer: int = 1, lr: float = 0.01,
                 betas: tuple[float, float] = (0.85, 0.99), eps: float = 1e-8,
                 steps: int = 1000) -> None:
        self.block_size, self.n_embd, self.n_head, self.n_layer = (block_size, n_embd, n_head,
                                                                   n_layer)
        self.head_dim = n_embd // n_head
        self.names = [name for name, _, _ in shapes(vocab_size, block_size, n_embd, n_layer)]
        it = iter(weights)
        self.W = {name: [[next(it) for _ in range(cols)] for _ in range(rows)]
                  for name, rows, cols in shapes(vocab_size, block_size, n_embd, n_layer)}
        if next(it, None) is not None:
            raise ValueError("more weights than the architecture has")
        self.grads = {name: [[0.0] * len(W[0]) for _ in W] for name, W in self.W.items()}
        self.m = {name: [[0.0] * len(W[0]) for _ in W] for name, W in self.W.items()}
        self.v = {name: [[0.0] * len(W[0]) for _ in W] for name, W in self.W.items()}
        self.lr, self.betas, self.eps, self.steps = lr, betas, eps, steps
        self.k = 0

    def weights(self) -> list[float]:
        return [w for name in self.names for row in self.W[name] for w in row]

    def gradients(self) -> list[float]:
        """d loss / d weight from the last ``loss_and_grads``, in ``weights()`` order."""
        return [g for name in self.names for row in self.grads[name] for g in row]

    def loss_and_grads(self, tokens: list[int]) -> float:
        """Mean over positions of -log softmax(logits)[next token]; fills ``grads``."""
        W, hd = self.W, self.head_dim
        n = min(self.block_size, len(tokens) - 1)
        layers = range(self.n_layer)
        heads = [slice(h * hd, (h + 1) * hd) for h in range(self.n_head)]
        sqrt_hd = math.sqrt(hd)
        # the KV cache, per layer and head: one vector of head_dim per position
        keys: list[list[list[list[float]]]] = [[[] for _ in heads] for _ in layers]
        values: list[list[list[list[float]]]] = [[[] for _ in heads] for _ in layers]
        # what the backward reads, per position (and per layer)
        emb, dlogits, x_out = [], [], []
        cache: list[list[tuple]] = [[] for _ in layers]
        loss = 0.0
        for pos in range(n):
            x_in = list(map(add, W["wte"][tokens[pos]], W["wpe"][pos]))
            x, s = _rmsnorm(x_in)
            emb.append((x_in, s))
            for li in layers:
                p = f"layer{li}."
                res = x
                xn, s1 = _rmsnorm(x)
                q = _linear(W[p + "attn_wq"], xn)
                k = _linear(W[p + "attn_wk"], xn)
                v = _linear(W[p + "attn_wv"], xn)
                att: list[float] = []
                weights = []
                for hs, keys_h, values_h in zip(heads, keys[li], values[li], strict=True):
                    keys_h.append(k[hs])
                    values_h.append(v[hs])
                    q_h = q[hs]
                    logits = [sum(map(mul, q_h, k_t)) / sqrt_hd for k_t in keys_h]
                    top = max(logits)
                    exps = [math.exp(z - top) for z in logits]
                    total = sum(exps)
                    a = [e / total for e in exps]
                    weights.append(a)
                    att += [sum(map(mul, a, col)) for col in zip(*values_h, strict=True)]
                x1 = list(map(add, _linear(W[p + "attn_wo"], att), res))
                xn2, s2 = _rmsnorm(x1)
                h = _linear(W[p + "mlp_fc1"], xn2)
                r = [hi if hi > 0.0 else 0.0 for hi in h]
                x = list(map(add, _linear(W[p + "mlp_fc2"], r), x1))
                cache[li].append((res, s1, xn, q, weights, att, x1, s2, xn2, r))
            logits = _linear(W["lm_head"], x)
            top = max(logits)
            exps = [math.exp(z - top) for z in logits]
            total = sum(exps)
            target = tokens[pos + 1]
            loss += math.log(total) + top - logits[target]
            g = [e / total / n for e in exps]
            g[target] -= 1.0 / n
            dlogits.append(g)
            x_out.append(x)

        # weights transposed once, for dx = W^T dy
        WT = {name: [list(col) for col in zip(*M, strict=True)] for name, M in W.items()
              if name not in ("wte", "wpe")}
        zero = [0.0] * hd
        dkeys = [[[zero] * n for _ in heads] for _ in layers]
        dvalues = [[[zero] * n for _ in heads] for _ in layers]
        dys: dict[str, list[list[float]]] = {name: [] for name in WT}
        xs: dict[str, list[list[float]]] = {name: [] for name in WT}
        dwte = [[0.0] * self.n_embd for _ in W["wte"]]
        dwpe = [[0.0] * self.n_embd for _ in W["wpe"]]
        for pos in range(n - 1, -1, -1):
            dy = dlogits[pos]
            dys["lm_head"].append(dy)
            xs["lm_head"].append(x_out[pos])
            dx = _linear(WT["lm_head"], dy)
            for li in reversed(layers):
                p = f"layer{li}."
                res, s1, xn, q, weights, att, x1, s2, xn2, r = cache[li][pos]
                dys[p + "mlp_fc2"].append(dx)
                xs[p + "mlp_fc2"].append(r)
                dr = _linear(WT[p + "mlp_fc2"], dx)
                dh = [g if ri > 0.0 else 0.0 for g, ri in zip(dr, r, strict=True)]
                dys[p + "mlp_fc1"].append(dh)
                xs[p + "mlp_fc1"].append(xn2)
                dx1 = list(map(add, dx, _rmsnorm_back(_linear(WT[p + "mlp_fc1"], dh), x1, s2)))
                dys[p + "attn_wo"].append(dx1)
                xs[p + "attn_wo"].append(att)
                datt = _linear(WT[p + "attn_wo"], dx1)
                dq: list[float] = []
                for hs, a, keys_h, values_h, dk_h, dv_h in zip(
                        heads, weights, keys[li], values[li], dkeys[li], dvalues[li],
                        strict=True):
                    dout = datt[hs]
                    q_h = q[hs]
                    # out = sum_t a_t v_t
                    da = [sum(map(mul, dout, v_t)) for v_t in values_h]
                    dot = sum(map(mul, a, da))
                    dq_h = zero
                    for t in range(pos + 1):
                        at = a[t]
                        dv_h[t] = list(map(add, dv_h[t], [at * g for g in dout]))
                        # a = softmax(q . k_t / sqrt(hd))
                        dz = at * (da[t] - dot) / sqrt_hd
                        dq_h = list(map(add, dq_h, [dz * kj for kj in keys_h[t]]))
                        dk_h[t] = list(map(add, dk_h[t], [dz * qj for qj in q_h]))
                    dq += dq_h
                # every later position has added to this position's key and value by now
                dk = [g for dk_h in dkeys[li] for g in dk_h[pos]]
                dv = [g for dv_h in dvalues[li] for g in dv_h[pos]]
                for name, g in (("attn_wq", dq), ("attn_wk", dk), ("attn_wv", dv)):
                    dys[p + name].append(g)
                    xs[p + name].append(xn)
                dxn = [a + b + c for a, b, c in zip(_linear(WT[p + "attn_wq"], dq),
                                                    _linear(WT[p + "attn_wk"], dk),
                                                    _linear(WT[p + "attn_wv"], dv),
                                                    strict=True)]
                dx = list(map(add, dx1, _rmsnorm_back(dxn, res, s1)))
            x_in, s = emb[pos]
            dx_in = _rmsnorm_back(dx, x_in, s)
            row = dwte[tokens[pos]]
            row[:] = map(add, row, dx_in)
            row = dwpe[pos]
            row[:] = map(add, row, dx_in)
        grads = {name: _outer_sums(dys[name], xs[name]) for name in WT}
        grads["wte"], grads["wpe"] = dwte, dwpe
        self.grads = grads
        return loss / n

    def step(self, tokens: list[int]) -> float:
        """Forward, backward, one Adam update at lr * (1 - k / steps); returns the loss."""
        loss = self.loss_and_grads(tokens)
        b1, b2 = self.betas
        lr_t = self.lr * (1 - self.k / self.steps)
        self.k += 1
        step_size = lr_t / (1.0 - b1**self.k)
        correction2 = math.sqrt(1.0 - b2**self.k)
        eps, sqrt = self.eps, math.sqrt
        for name in self.names:
            for w, g, m, v in zip(self.W[name], self.grads[name], self.m[name], self.v[name],
                                  strict=True):
                for i, gi in enumerate(g):
                    mi = m[i] = b1 * m[i] + (1.0 - b1) * gi
                    vi = v[i] = b2 * v[i] + (1.0 - b2) * gi * gi
                    w[i] -= step_size * mi / (sqrt(vi) / correction2 + eps)
        return loss
