"""Small 2-D classification datasets and a sequence task, generated in pure Python: no
downloads, no numpy.

Each returns ``(X, y)``: ``X`` a list of ``[x0, x1]`` points (``parity``: of bit sequences,
one bit per time step, for ``RNN``) and ``y`` their labels as floats,
``0.0`` / ``1.0`` (class indices ``0.0 .. k-1`` for ``make_spirals(n_classes=k)``). Hinge loss
wants labels -1 / +1: use ``signed_labels(y)`` (micrograd's ``y * 2 - 1``). Noise and order
come from a ``random.Random(seed)`` of their own; ``seed=None`` draws a fresh one.

``names()`` is text, not points: the 32,033 first names of makemore (MIT licence; see
``nn/data/README.md``), shipped with the package, for the character-level ``nn.GPT``.
"""

from __future__ import annotations

import math
import random
from importlib import resources

from . import checks

Dataset = tuple[list[list[float]], list[float]]


def _linspace(a: float, b: float, n: int) -> list[float]:
    """n evenly spaced numbers from a to b inclusive (numpy.linspace)."""
    if n == 1:
        return [a]
    return [a + (b - a) * i / (n - 1) for i in range(n)]


def _finish(points: list[tuple[float, float, float]], noise: float,
            rng: random.Random) -> Dataset:
    rng.shuffle(points)
    X = [[x0 + rng.gauss(0.0, noise), x1 + rng.gauss(0.0, noise)] if noise else [x0, x1]
         for x0, x1, _ in points]
    return X, [label for _, _, label in points]


def xor() -> Dataset:
    """The four XOR points: y = x0 xor x1."""
    return [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0, 0.0]


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int | None = None) -> Dataset:
    """Two interleaving half circles (sklearn's make_moons): upper moon 0, lower moon 1."""
    n = checks.size(n_samples, "n_samples")
    noise = checks.non_negative(noise, "noise")
    rng = random.Random(seed)
    n_out = n // 2
    n_in = n - n_out
    points = [(math.cos(t), math.sin(t), 0.0) for t in _linspace(0.0, math.pi, n_out)]
    points += [(1.0 - math.cos(t), 0.5 - math.sin(t), 1.0) for t in _linspace(0.0, math.pi, n_in)]
    return _finish(points, noise, rng)


def make_circles(n_samples: int = 100, noise: float = 0.05, factor: float = 0.5,
                 seed: int | None = None) -> Dataset:
    """A circle of radius 1 (label 0) around one of radius ``factor`` (label 1)."""
    n = checks.size(n_samples, "n_samples")
    noise = checks.non_negative(noise, "noise")
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor must be in (0, 1), got factor = {factor!r}")
    rng = random.Random(seed)
    n_out = n // 2
    n_in = n - n_out
    points = [(math.cos(t), math.sin(t), 0.0)
              for t in (2 * math.pi * i / n_out for i in range(n_out))]
    points += [(factor * math.cos(t), factor * math.sin(t), 1.0)
               for t in (2 * math.pi * i / n_in for i in range(n_in))]
    return _finish(points, noise, rng)


def make_spirals(n_samples: int = 100, noise: float = 0.05, n_classes: int = 2,
                 turns: float = 1.0, seed: int | None = None) -> Dataset:
    """``n_classes`` interleaved spiral arms from the origin, ``turns`` turns each; arm j has
    label j, the points of an arm at radius r = i/(m-1) and angle 2 pi (j / n_classes + turns r).
    """
    n = checks.size(n_samples, "n_samples")
    k = checks.size(n_classes, "n_classes")
    noise = checks.non_negative(noise, "noise")
    if not (turns > 0 and math.isfinite(turns)):
        raise ValueError(f"turns must be a positive number, got turns = {turns!r}")
    rng = random.Random(seed)
    points: list[tuple[float, float, float]] = []
    for j in range(k):
        m = n // k + (1 if j < n % k else 0)
        for r in _linspace(0.0, 1.0, m) if m else []:
            angle = 2 * math.pi * (j / k + turns * r)
            points.append((r * math.sin(angle), r * math.cos(angle), float(j)))
    return _finish(points, noise, rng)


def signed_labels(y: list[float]) -> list[float]:
    """0/1 labels as -1/+1 (y * 2 - 1), for hinge loss."""
    bad = [v for v in y if v not in (0.0, 1.0)]
    if bad:
        raise ValueError(f"signed_labels needs labels 0 or 1, got {bad[:5]!r}")
    return [v * 2.0 - 1.0 for v in y]


def parity(n_samples: int = 64, length: int = 4, seed: int | None = None) -> Dataset:
    """Random bit sequences and their parity: ``X[i]`` holds ``length`` bits (0.0 / 1.0), one per
    time step, and ``y[i]`` is 1.0 when it has an odd number of ones. The label depends on every
    bit, the first as much as the last, so an RNN must carry it through all the steps."""
    n = checks.size(n_samples, "n_samples")
    length = checks.size(length, "length")
    rng = random.Random(seed)
    X = [[float(rng.getrandbits(1)) for _ in range(length)] for _ in range(n)]
    return X, [float(sum(x) % 2) for x in X]


def names() -> list[str]:
    """The 32,033 lower-case first names (a-z, 2 to 15 letters) of makemore's ``names.txt``, in
    the file's order; shipped in ``nn/data`` (MIT licence, copyright 2022 Andrej Karpathy)."""
    text = resources.files("nn").joinpath("data").joinpath("names.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]
