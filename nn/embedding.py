"""``Embedding``: a table of learned vectors, one row per token id (PyTorch's ``nn.Embedding``).

``emb(i)`` is row ``i`` of ``weight``: the table's own Values, not copies, so every use of a
token adds its gradient to the same row (a token used twice in a sequence receives both
contributions, as any reused node does). Weights start N(0, std**2), std = 1 as in PyTorch;
the GPT uses 0.08. They are drawn row by row from ``random.Random(seed)`` (or ``rng``, or the
global ``random`` module when neither is given), and named ``weight.{i}.{j}``.
"""

from __future__ import annotations

import random
from typing import Any

from autograd_tiny import Value

from . import checks
from .checks import rng_for
from .module import Module


def matrix(nout: int, nin: int, rng: Any, std: float) -> list[list[Value]]:
    """nout rows of nin Values drawn N(0, std**2) from ``rng``, row-major."""
    return [[Value(rng.gauss(0.0, std)) for _ in range(nin)] for _ in range(nout)]


def named_matrix(name: str, w: list[list[Value]]) -> list[tuple[str, Value]]:
    """``(f"{name}.{row}.{col}", w[row][col])`` row-major."""
    return [(f"{name}.{o}.{i}", p) for o, row in enumerate(w) for i, p in enumerate(row)]


class Embedding(Module):
    """emb(i) = weight[i], a list of ``embedding_dim`` Values."""

    def __init__(self, num_embeddings: int, embedding_dim: int, *, std: float = 1.0,
                 seed: int | None = None, rng: random.Random | None = None) -> None:
        self.num_embeddings = checks.size(num_embeddings, "num_embeddings")
        self.embedding_dim = checks.size(embedding_dim, "embedding_dim")
        self.std = checks.real(std, "std")
        if not self.std >= 0.0:
            raise ValueError(f"std must be >= 0, got std = {std!r}")
        self.weight = matrix(self.num_embeddings, self.embedding_dim, rng_for(seed, rng),
                             self.std)
        self.label_parameters()

    def __call__(self, index: int) -> list[Value]:  # type: ignore[override]
        """Row ``index`` of the table (the parameters themselves)."""
        i = checks.integer(index, "Embedding's index")
        if not 0 <= i < self.num_embeddings:
            raise IndexError(f"Embedding index {i} is out of range for num_embeddings = "
                             f"{self.num_embeddings} (valid: 0 .. {self.num_embeddings - 1})")
        return self.weight[i]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return named_matrix("weight", self.weight)

    def config(self) -> dict[str, Any]:
        return {"num_embeddings": self.num_embeddings, "embedding_dim": self.embedding_dim,
                "std": self.std}

    @classmethod
    def parameter_count(cls, config: dict[str, Any]) -> int | None:
        n, d = config.get("num_embeddings"), config.get("embedding_dim")
        return n * d if isinstance(n, int) and isinstance(d, int) else None

    def __repr__(self) -> str:
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"
