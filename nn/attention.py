"""Causal multi-head self-attention, one position at a time, with a KV cache (microgpt's).

For the vector x of the current position, with ``head_dim = n_embd / n_head``::

    q, k, v = Wq x, Wk x, Wv x                  (linear(x, w)[o] = sum_i w[o][i] x[i])
    append k and v to the cache
    per head h, over the cached positions t = 0 .. now (slices h*head_dim .. of q, k, v):
        logits_t = (q_h / sqrt(head_dim)) . k_h[t]
        weights  = softmax(logits)               (max subtracted: nn.softmax)
        out_h[j] = sum_t weights_t v_h[t][j]
    y = Wo concat(out_0, ..., out_{n_head-1})

Attention is causal because the cache holds only the positions seen so far. The cached keys
and values are the graph's own nodes: position t's key is used again by every later position,
so its gradient sums the contributions of all of them (as notebook 01 shows for any reused
node) and flows back into Wk and the earlier positions' inputs. Weights are rows = outputs,
``n_embd`` x ``n_embd`` each, no biases, named ``wq.{o}.{i}``, ``wk``, ``wv``, ``wo``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from autograd_tiny import Value

from . import checks
from .embedding import matrix, named_matrix, rng_for
from .losses import softmax
from .module import Module


def linear(x: Sequence[Value], w: list[list[Value]]) -> list[Value]:
    """y[o] = sum_i w[o][i] x[i], one dot node per output (no bias)."""
    return [Value.dot(row, x) for row in w]


class KVCache:
    """The keys and values of the positions attended to so far, one list per position."""

    def __init__(self) -> None:
        self.keys: list[list[Value]] = []
        self.values: list[list[Value]] = []

    def __len__(self) -> int:
        return len(self.keys)

    def __repr__(self) -> str:
        return f"KVCache({len(self)} positions)"


class CausalSelfAttention(Module):
    """y = Wo concat_h(softmax_t(q_h . k_h[t] / sqrt(head_dim)) . v_h) over the cached t."""

    def __init__(self, n_embd: int, n_head: int, *, std: float = 0.08, seed: int | None = None,
                 rng: random.Random | None = None) -> None:
        self.n_embd = checks.size(n_embd, "n_embd")
        self.n_head = checks.size(n_head, "n_head")
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd = {self.n_embd} must be a multiple of n_head = "
                             f"{self.n_head} (each head takes n_embd / n_head of it)")
        self.head_dim = self.n_embd // self.n_head
        self.std = checks.real(std, "std")
        draw = rng_for(seed, rng)
        d = self.n_embd
        self.wq = matrix(d, d, draw, self.std)
        self.wk = matrix(d, d, draw, self.std)
        self.wv = matrix(d, d, draw, self.std)
        self.wo = matrix(d, d, draw, self.std)
        self.label_parameters()

    def __call__(self, x: Sequence[Value], cache: KVCache) -> list[Value]:  # type: ignore[override]
        """The attention output at this position; appends its key and value to ``cache``."""
        if len(x) != self.n_embd:
            raise ValueError(f"CausalSelfAttention expected a vector of n_embd = {self.n_embd} "
                             f"values, got {len(x)}")
        xs = [v if isinstance(v, Value) else Value(v) for v in x]
        hd = self.head_dim
        # q scaled once rather than every logit: (q s) . k, one constant and n_embd nodes per
        # position; s = 0.5 for head_dim 4, so this is (q . k) / 2 bit for bit.
        scale = Value(hd ** -0.5)
        q = [qi * scale for qi in linear(xs, self.wq)]
        cache.keys.append(linear(xs, self.wk))
        cache.values.append(linear(xs, self.wv))
        out: list[Value] = []
        for h in range(0, self.n_embd, hd):
            q_h = q[h:h + hd]
            logits = [Value.dot(q_h, k[h:h + hd]) for k in cache.keys]
            weights = softmax(logits)
            out += [Value.dot(weights, [v[j] for v in cache.values]) for j in range(h, h + hd)]
        return linear(out, self.wo)

    def named_parameters(self) -> list[tuple[str, Value]]:
        return (named_matrix("wq", self.wq) + named_matrix("wk", self.wk)
                + named_matrix("wv", self.wv) + named_matrix("wo", self.wo))

    def config(self) -> dict[str, Any]:
        return {"n_embd": self.n_embd, "n_head": self.n_head, "std": self.std}

    @classmethod
    def parameter_count(cls, config: dict[str, Any]) -> int | None:
        d = config.get("n_embd")
        return 4 * d * d if isinstance(d, int) else None

    def __repr__(self) -> str:
        return f"CausalSelfAttention(n_embd={self.n_embd}, n_head={self.n_head})"
