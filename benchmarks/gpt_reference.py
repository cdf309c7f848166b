"""The GPT step as people write it today: a minimal scalar ``Value`` and the model around it.

The baseline the GPT benchmark measures against. ``Value`` has the usual micrograd/microgpt
shape: each node stores its children and its local gradients when it is made, ``backward``
sorts the graph with a recursive depth-first search and loops over it in reverse. The model is
microgpt's one-position-at-a-time GPT with a KV cache; the step is one document's mean
cross-entropy, backward, and Adam with linear learning-rate decay.
"""

from __future__ import annotations

import math
import random
from typing import Any

BOS = 26  # token of the beginning / end of a name; 'a'..'z' are 0..25


def encode(name: str) -> list[int]:
    """[BOS] + one token per letter + [BOS]."""
    return [BOS, *(ord(ch) - ord("a") for ch in name), BOS]


class Value:
    """A scalar that remembers its children and d(self)/d(child) for each."""

    __slots__ = ("data", "grad", "_children", "_local_grads")

    def __init__(self, data: float, children: tuple[Value, ...] = (),
                 local_grads: tuple[float, ...] = ()) -> None:
        self.data = data
        self.grad = 0.0
        self._children = children
        self._local_grads = local_grads

    def __add__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, k: float) -> Value:
        return Value(self.data**k, (self,), (k * self.data ** (k - 1),))

    def log(self) -> Value:
        return Value(math.log(self.data), (self,), (1.0 / self.data,))

    def exp(self) -> Value:
        out = math.exp(self.data)
        return Value(out, (self,), (out,))

    def relu(self) -> Value:
        return Value(max(0.0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self) -> Value:
        return self * -1.0

    def __radd__(self, other: Any) -> Value:
        return self + other

    def __sub__(self, other: Any) -> Value:
        return self + (-other)

    def __rsub__(self, other: Any) -> Value:
        return other + (-self)

    def __rmul__(self, other: Any) -> Value:
        return self * other

    def __truediv__(self, other: Any) -> Value:
        return self * other**-1

    def __rtruediv__(self, other: Any) -> Value:
        return other * self**-1

    def backward(self) -> None:
        topo: list[Value] = []
        visited: set[Value] = set()

        def build_topo(v: Value) -> None:
            if v not in visited:
                visited.add(v)
                for child in v._children:
                    build_topo(child)
                topo.append(v)

        build_topo(self)
        self.grad = 1.0
        for v in reversed(topo):
            for child, local_grad in zip(v._children, v._local_grads, strict=True):
                child.grad += local_grad * v.grad


def linear(x: list[Value], w: list[list[Value]]) -> list[Value]:
    return [sum(wi * xi for wi, xi in zip(wo, x, strict=True)) for wo in w]


def softmax(logits: list[Value]) -> list[Value]:
    max_val = max(val.data for val in logits)
    exps = [(val - max_val).exp() for val in logits]
    total = sum(exps)
    return [e / total for e in exps]


def rmsnorm(x: list[Value]) -> list[Value]:
    ms = sum(xi * xi for xi in x) / len(x)
    scale = (ms + 1e-5) ** -0.5
    return [xi * scale for xi in x]


def shapes(vocab_size: int, block_size: int, n_embd: int,
           n_layer: int) -> list[tuple[str, int, int]]:
    """(name, rows, columns) of every weight matrix, in parameter order."""
    out = [("wte", vocab_size, n_embd), ("wpe", block_size, n_embd)]
    for i in range(n_layer):
        out += [(f"layer{i}.attn_wq", n_embd, n_embd), (f"layer{i}.attn_wk", n_embd, n_embd),
                (f"layer{i}.attn_wv", n_embd, n_embd), (f"layer{i}.attn_wo", n_embd, n_embd),
                (f"layer{i}.mlp_fc1", 4 * n_embd, n_embd),
                (f"layer{i}.mlp_fc2", n_embd, 4 * n_embd)]
    return [*out, ("lm_head", vocab_size, n_embd)]


def initial_weights(seed: int, vocab_size: int = 27, block_size: int = 16, n_embd: int = 16,
                    n_layer: int = 1) -> list[float]:
    """gauss(0, 0.08) from random.Random(seed), matrix by matrix, row-major."""
    rng = random.Random(seed)
    return [rng.gauss(0, 0.08) for _, rows, cols in shapes(vocab_size, block_size, n_embd,
                                                             n_layer) for _ in range(rows * cols)]


class GPT:
    """microgpt's model and training step on the ``Value`` above."""

    def __init__(self, weights: list[float], vocab_size: int = 27, block_size: int = 16,
                 n_embd: int = 16, n_head: int = 4, n_layer: int = 1, lr: float = 0.01,
                 betas: tuple[float, float] = (0.85, 0.99), eps: float = 1e-8,
                 steps: int = 1000) -> None:
        self.block_size, self.n_embd, self.n_head, self.n_layer = (block_size, n_embd, n_head,
                                                                   n_layer)
        self.head_dim = n_embd // n_head
        it = iter(weights)
        self.state_dict = {name: [[Value(next(it)) for _ in range(cols)] for _ in range(rows)]
                           for name, rows, cols in shapes(vocab_size, block_size, n_embd,
                                                          n_layer)}
        self.params = [p for mat in self.state_dict.values() for row in mat for p in row]
        if len(self.params) != len(weights):
            raise ValueError(f"{len(weights)} weights for {len(self.params)} parameters")
        self.lr, self.betas, self.eps, self.steps = lr, betas, eps, steps
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)
        self.k = 0

    def gpt(self, token_id: int, pos_id: int, keys: list[list[list[Value]]],
            values: list[list[list[Value]]]) -> list[Value]:
        sd, hd = self.state_dict, self.head_dim
        x = [t + p for t, p in zip(sd["wte"][token_id], sd["wpe"][pos_id], strict=True)]
        x = rmsnorm(x)
        for li in range(self.n_layer):
            x_residual = x
            x = rmsnorm(x)
            q = linear(x, sd[f"layer{li}.attn_wq"])
            k = linear(x, sd[f"layer{li}.attn_wk"])
            v = linear(x, sd[f"layer{li}.attn_wv"])
            keys[li].append(k)
            values[li].append(v)
            x_attn = []
            for h in range(self.n_head):
                hs = h * hd
                q_h = q[hs:hs + hd]
                k_h = [ki[hs:hs + hd] for ki in keys[li]]
                v_h = [vi[hs:hs + hd] for vi in values[li]]
                attn_logits = [sum(q_h[j] * k_h[t][j] for j in range(hd)) / hd**0.5
                               for t in range(len(k_h))]
                attn_weights = softmax(attn_logits)
                head_out = [sum(attn_weights[t] * v_h[t][j] for t in range(len(v_h)))
                            for j in range(hd)]
                x_attn.extend(head_out)
            x = linear(x_attn, sd[f"layer{li}.attn_wo"])
            x = [a + b for a, b in zip(x, x_residual, strict=True)]
            x_residual = x
            x = rmsnorm(x)
            x = linear(x, sd[f"layer{li}.mlp_fc1"])
            x = [xi.relu() for xi in x]
            x = linear(x, sd[f"layer{li}.mlp_fc2"])
            x = [a + b for a, b in zip(x, x_residual, strict=True)]
        return linear(x, sd["lm_head"])

    def loss(self, tokens: list[int]) -> Value:
        """Mean over positions of -log softmax(logits)[next token]."""
        n = min(self.block_size, len(tokens) - 1)
        keys: list[list[list[Value]]] = [[] for _ in range(self.n_layer)]
        values: list[list[list[Value]]] = [[] for _ in range(self.n_layer)]
        losses = []
        for pos_id in range(n):
            token_id, target_id = tokens[pos_id], tokens[pos_id + 1]
            logits = self.gpt(token_id, pos_id, keys, values)
            probs = softmax(logits)
            losses.append(-probs[target_id].log())
        return (1 / n) * sum(losses)

    def step(self, tokens: list[int]) -> float:
        """Forward, backward, one Adam update at lr * (1 - k / steps), zero grads."""
        loss = self.loss(tokens)
        loss.backward()
        beta1, beta2 = self.betas
        lr_t = self.lr * (1 - self.k / self.steps)
        self.k += 1
        for i, p in enumerate(self.params):
            self.m[i] = beta1 * self.m[i] + (1 - beta1) * p.grad
            self.v[i] = beta2 * self.v[i] + (1 - beta2) * p.grad**2
            m_hat = self.m[i] / (1 - beta1**self.k)
            v_hat = self.v[i] / (1 - beta2**self.k)
            p.data -= lr_t * m_hat / (v_hat**0.5 + self.eps)
            p.grad = 0.0
        return loss.data

    def weights(self) -> list[float]:
        return [p.data for p in self.params]
