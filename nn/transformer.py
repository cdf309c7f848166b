"""``GPT``: microgpt's character-level transformer on scalar Values, one position at a time.

The model, for one position with token ``tok`` at position ``pos`` (``rmsnorm(x) = x *
(mean(x**2) + 1e-5) ** -0.5``, no gains; ``linear(x, w)[o] = sum_i w[o][i] x[i]``, no biases)::

    x = rmsnorm(wte[tok] + wpe[pos])
    per layer:  x = x + attn(rmsnorm(x))                 (nn.CausalSelfAttention, KV cache)
                x = x + fc2 relu(fc1 rmsnorm(x))
    logits = lm_head x

Parameters, in ``named_parameters()`` order, all drawn N(0, 0.08**2) in that order, row-major,
from ``random.Random(seed)`` (the global ``random`` module when ``seed`` is None):
``wte.{token}.{j}`` [vocab_size][n_embd], ``wpe.{pos}.{j}`` [block_size][n_embd], then per
layer ``layers.{l}.attn.wq.{o}.{i}``, ``.wk``, ``.wv``, ``.wo`` [n_embd][n_embd] (rows are
outputs), ``layers.{l}.mlp.fc1.{o}.{i}`` [4 n_embd][n_embd], ``layers.{l}.mlp.fc2.{o}.{i}``
[n_embd][4 n_embd], and ``lm_head.{o}.{i}`` [vocab_size][n_embd].

``model.loss(tokens)``, tokens = [BOS, chars..., BOS]: the mean over the first n = min(block_size,
len(tokens) - 1) positions of the cross-entropy of the next token, logsumexp(logits) -
logits[target]. The target's logit is taken as a dot product with the target's one-hot row
(exactly logits[target]), so the graph of a loss depends only on n, not on which tokens: that
is what lets ``Trainer(compile=True)`` compile one program per length, for any tokens.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

from autograd_tiny import Value, no_grad

from . import checks
from .attention import CausalSelfAttention, KVCache, linear
from .embedding import matrix, named_matrix, rng_for
from .losses import logsumexp, softmax
from .module import Module
from .norm import rms_norm
from .tokenizer import CharTokenizer, names_tokenizer

STD = 0.08  # microgpt's initial weights: N(0, 0.08**2)


class TransformerBlock(Module):
    """x = x + attn(rmsnorm(x)); x = x + fc2 relu(fc1 rmsnorm(x)); weights N(0, 0.08**2)."""

    def __init__(self, n_embd: int, n_head: int, *, seed: int | None = None,
                 rng: random.Random | None = None) -> None:
        draw = rng_for(seed, rng)
        self.attn = CausalSelfAttention(n_embd, n_head, std=STD, rng=draw)
        self.fc1 = matrix(4 * self.attn.n_embd, self.attn.n_embd, draw, STD)
        self.fc2 = matrix(self.attn.n_embd, 4 * self.attn.n_embd, draw, STD)
        self.label_parameters()

    def __call__(self, x: list[Value], cache: KVCache) -> list[Value]:  # type: ignore[override]
        """The block's output at this position; appends its key and value to ``cache``."""
        a = self.attn(rms_norm(x), cache)
        x = [ai + xi for ai, xi in zip(a, x, strict=True)]
        h = [hi.relu() for hi in linear(rms_norm(x), self.fc1)]
        return [mi + xi for mi, xi in zip(linear(h, self.fc2), x, strict=True)]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return ([(f"attn.{name}", p) for name, p in self.attn.named_parameters()]
                + named_matrix("mlp.fc1", self.fc1) + named_matrix("mlp.fc2", self.fc2))

    def config(self) -> dict[str, Any]:
        return {"n_embd": self.attn.n_embd, "n_head": self.attn.n_head}

    @classmethod
    def parameter_count(cls, config: dict[str, Any]) -> int | None:
        d = config.get("n_embd")
        return 12 * d * d if isinstance(d, int) and not isinstance(d, bool) else None

    def __repr__(self) -> str:
        return f"TransformerBlock(n_embd={self.attn.n_embd}, n_head={self.attn.n_head})"


class GPT(Module):
    """logits = lm_head(blocks(rmsnorm(wte[tok] + wpe[pos]))), one position at a time."""

    def __init__(self, vocab_size: int, block_size: int = 16, n_embd: int = 16, n_head: int = 4,
                 n_layer: int = 1, *, seed: int | None = None) -> None:
        self.vocab_size = checks.size(vocab_size, "vocab_size")
        self.block_size = checks.size(block_size, "block_size")
        self.n_embd = checks.size(n_embd, "n_embd")
        self.n_head = checks.size(n_head, "n_head")
        self.n_layer = checks.size(n_layer, "n_layer")
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd = {self.n_embd} must be a multiple of n_head = "
                             f"{self.n_head} (each head takes n_embd / n_head of it)")
        rng = rng_for(seed, None)
        self.wte = matrix(self.vocab_size, self.n_embd, rng, STD)
        self.wpe = matrix(self.block_size, self.n_embd, rng, STD)
        self.layers = [TransformerBlock(self.n_embd, self.n_head, rng=rng)
                       for _ in range(self.n_layer)]
        self.lm_head = matrix(self.vocab_size, self.n_embd, rng, STD)
        self.label_parameters()

    @property
    def bos(self) -> int:
        """The beginning/end token: vocab_size - 1."""
        return self.vocab_size - 1

    def __call__(self, token: int, pos: int,  # type: ignore[override]
                 caches: list[KVCache]) -> list[Value]:
        """The logits of the token after ``token`` at position ``pos``, given the earlier
        positions' keys and values in ``caches`` (one per layer; this position's are appended)."""
        tok, p = self._index(token, self.vocab_size, "token"), self._index(pos, self.block_size,
                                                                         "pos")
        if len(caches) != self.n_layer or any(len(c) != p for c in caches):
            raise ValueError(f"caches must be {self.n_layer} KVCache(s) holding the {p} "
                             f"positions before pos = {p}, got lengths {[len(c) for c in caches]}")
        return self.logits([t + q for t, q in zip(self.wte[tok], self.wpe[p], strict=True)],
                           caches)

    def logits(self, x: list[Value], caches: list[KVCache]) -> list[Value]:
        """lm_head(blocks(rmsnorm(x))) for the embedding x = wte[tok] + wpe[pos]."""
        x = rms_norm(x)
        for block, cache in zip(self.layers, caches, strict=True):
            x = block(x, cache)
        return linear(x, self.lm_head)

    def loss(self, tokens: Sequence[int]) -> Value:
        """mean over pos < n of logsumexp(logits) - logits[tokens[pos + 1]], n = min(block_size,
        len(tokens) - 1): the cross-entropy of each next token (see the module docstring)."""
        ids = self._tokens(tokens)
        n = min(self.block_size, len(ids) - 1)
        xs = [[t + q for t, q in zip(self.wte[ids[p]], self.wpe[p], strict=True)]
              for p in range(n)]
        return self.loss_from(xs, [self.one_hot(t) for t in ids[1:n + 1]])

    def loss_from(self, xs: Sequence[Sequence[Value]],
                  targets: Sequence[Sequence[Value | float]]) -> Value:
        """The loss of the embeddings ``xs`` (one per position) against one-hot ``targets``:
        mean_pos logsumexp(logits) - targets[pos] . logits."""
        terms = self.terms(xs, targets)
        return Value.sum(terms) * (1.0 / len(terms))

    def terms(self, xs: Sequence[Sequence[Value]],
              targets: Sequence[Sequence[Value | float]]) -> list[Value]:
        """Per position, logsumexp(logits) - target . logits (the cross-entropy of the
        one-hot ``target``), the positions attending to each other through the KV caches."""
        caches = [KVCache() for _ in self.layers]
        terms = []
        for x, target in zip(xs, targets, strict=True):
            logits = self.logits(list(x), caches)
            terms.append(logsumexp(logits) - Value.dot(target, logits))
        return terms

    def one_hot(self, token: int) -> list[float]:
        """[0.0, ..., 1.0 at ``token``, ..., 0.0], vocab_size long."""
        row = [0.0] * self.vocab_size
        row[token] = 1.0
        return row

    def generate(self, rng: random.Random, temperature: float = 0.5) -> list[int]:
        """Token ids drawn one at a time from softmax(logits / temperature), starting after BOS,
        until BOS is drawn or block_size tokens are made (BOS not included)."""
        if not (temperature > 0.0 and math.isfinite(temperature)):
            raise ValueError(f"temperature must be a finite number > 0, got {temperature!r}")
        out: list[int] = []
        caches = [KVCache() for _ in self.layers]
        token = self.bos
        ids = range(self.vocab_size)
        with no_grad():
            for pos in range(self.block_size):
                logits = self(token, pos, caches)
                probs = softmax([v * (1.0 / temperature) for v in logits])
                token = rng.choices(ids, weights=[p.data for p in probs])[0]
                if token == self.bos:
                    break
                out.append(token)
        return out

    def sample(self, rng: random.Random, temperature: float = 0.5,
               tokenizer: CharTokenizer | None = None) -> str:
        """One generated document as text (``tokenizer`` defaults to the names' a-z + BOS)."""
        tok = tokenizer if tokenizer is not None else names_tokenizer()
        if tok.vocab_size != self.vocab_size:
            raise ValueError(f"the tokenizer has vocab_size = {tok.vocab_size} but the model "
                             f"has {self.vocab_size}")
        return tok.decode(self.generate(rng, temperature))

    def named_parameters(self) -> list[tuple[str, Value]]:
        return (named_matrix("wte", self.wte) + named_matrix("wpe", self.wpe)
                + [(f"layers.{i}.{name}", p) for i, block in enumerate(self.layers)
                   for name, p in block.named_parameters()]
                + named_matrix("lm_head", self.lm_head))

    def config(self) -> dict[str, Any]:
        return {"vocab_size": self.vocab_size, "block_size": self.block_size,
                "n_embd": self.n_embd, "n_head": self.n_head, "n_layer": self.n_layer}

    @classmethod
    def parameter_count(cls, config: dict[str, Any]) -> int | None:
        sizes = [config.get(k) for k in ("vocab_size", "block_size", "n_embd", "n_layer")]
        if not all(isinstance(s, int) and not isinstance(s, bool) for s in sizes):
            return None
        v, b, d, layers = sizes  # type: ignore[misc]
        return v * d + b * d + layers * 12 * d * d + v * d  # type: ignore[operator]

    def __repr__(self) -> str:
        return (f"GPT(vocab_size={self.vocab_size}, block_size={self.block_size}, "
                f"n_embd={self.n_embd}, n_head={self.n_head}, n_layer={self.n_layer})")

    def _tokens(self, tokens: Sequence[int]) -> list[int]:
        if isinstance(tokens, (str, bytes)) or not isinstance(tokens, Sequence):
            raise TypeError(f"tokens must be a sequence of token ids, got {type(tokens).__name__}")
        if len(tokens) < 2:
            raise ValueError(f"tokens must hold at least 2 ids (an input and its next token), "
                             f"got {len(tokens)}")
        return [self._index(t, self.vocab_size, "token") for t in tokens]

    @staticmethod
    def _index(i: object, n: int, what: str) -> int:
        k = checks.integer(i, what)
        if not 0 <= k < n:
            raise ValueError(f"{what} {k} is out of range (valid: 0 .. {n - 1})")
        return k
