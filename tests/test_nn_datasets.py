"""nn.datasets: shapes, label conventions, seeding, geometry, bad input."""

from __future__ import annotations

import math
import random

import pytest

import nn
from nn import datasets


def test_xor():
    X, y = datasets.xor()
    assert X == [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    assert y == [0.0, 1.0, 1.0, 0.0]


@pytest.mark.parametrize("make", [datasets.make_moons, datasets.make_circles,
                                  datasets.make_spirals])
@pytest.mark.parametrize("n", [1, 2, 7, 100])
def test_shapes_labels_and_seeding(make, n):
    X, y = make(n, seed=3)
    assert len(X) == len(y) == n
    assert all(len(row) == 2 and all(type(v) is float for v in row) for row in X)
    assert set(y) <= {0.0, 1.0} and all(type(v) is float for v in y)
    if n >= 2:
        assert set(y) == {0.0, 1.0}
        assert abs(y.count(0.0) - y.count(1.0)) <= 1
    assert make(n, seed=3) == (X, y)
    if n >= 7:
        assert make(n, seed=4) != (X, y)


def test_datasets_leave_the_global_random_state_alone():
    state = random.getstate()
    datasets.make_moons(50, seed=None)
    datasets.make_spirals(50, seed=1)
    assert random.getstate() == state


def test_noise_free_geometry():
    X, y = datasets.make_moons(20, noise=0.0, seed=0)
    for (a, b), label in zip(X, y, strict=True):
        if label == 0.0:
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12
    X, y = datasets.make_circles(20, noise=0.0, factor=0.3, seed=0)
    for (a, b), label in zip(X, y, strict=True):
        assert math.hypot(a, b) == pytest.approx(1.0 if label == 0.0 else 0.3)
    X, y = datasets.make_spirals(30, noise=0.0, n_classes=3, seed=0)
    assert sorted(set(y)) == [0.0, 1.0, 2.0]
    assert all(math.hypot(a, b) <= 1.0 + 1e-12 for a, b in X)


def test_noise_moves_points():
    clean, _ = datasets.make_moons(50, noise=0.0, seed=1)
    noisy, _ = datasets.make_moons(50, noise=0.1, seed=1)
    offsets = [math.hypot(a - c, b - d) for (a, b), (c, d) in zip(noisy, clean, strict=True)]
    assert 0.02 < sum(offsets) / len(offsets) < 0.3


def test_signed_labels():
    assert datasets.signed_labels([0.0, 1.0, 1.0]) == [-1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="0 or 1"):
        datasets.signed_labels([0.0, 2.0])
    assert nn.datasets is datasets


@pytest.mark.parametrize("call, error, match", [
    (lambda: datasets.make_moons(0), ValueError, "n_samples = 0"),
    (lambda: datasets.make_circles(-5), ValueError, "n_samples = -5"),
    (lambda: datasets.make_spirals(10, n_classes=0), ValueError, "n_classes = 0"),
    (lambda: datasets.make_moons(10, noise=-0.1), ValueError, "noise = -0.1"),
    (lambda: datasets.make_circles(10, factor=1.5), ValueError, "factor = 1.5"),
    (lambda: datasets.make_spirals(10, turns=0.0), ValueError, "turns = 0.0"),
    (lambda: datasets.make_moons(10.5),  # type: ignore[arg-type]
     TypeError, "n_samples"),
    (lambda: datasets.make_moons(10, noise="0.1"),  # type: ignore[arg-type]
     TypeError, "noise must be a real number"),
])
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
