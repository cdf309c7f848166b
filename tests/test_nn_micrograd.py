"""Parity with micrograd's MLP, and micrograd's demo (moons, hinge + L2, SGD) through nn.fit."""

from __future__ import annotations

import random

import pytest

import nn
from autograd_tiny import Value

micrograd_nn = pytest.importorskip("micrograd.nn")


def _micrograd_mlp(nin, nouts, seed):
    state = random.getstate()
    random.seed(seed)
    try:
        return micrograd_nn.MLP(nin, nouts)
    finally:
        random.setstate(state)


def test_same_seed_gives_micrograds_weights():
    theirs = _micrograd_mlp(2, [16, 16, 1], seed=1337)
    ours = nn.MLP(2, [16, 16, 1], seed=1337)
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]


@pytest.mark.parametrize("fused", [True, False])
def test_same_outputs_and_gradients_as_micrograd(fused):
    ours = nn.MLP(3, [8, 8, 2], seed=4, fused=fused)
    theirs = micrograd_nn.MLP(3, [8, 8, 2])
    assert len(theirs.parameters()) == len(ours.parameters())
    for q, p in zip(theirs.parameters(), ours.parameters(), strict=True):
        q.data = p.data
    rng = random.Random(0)
    for _ in range(5):
        x = [rng.uniform(-2, 2) for _ in range(3)]
        out, ref = ours(x), theirs(x)
        assert isinstance(out, list)
        if fused:
            assert [v.data for v in out] == pytest.approx([v.data for v in ref], rel=1e-12)
        else:
            # the expanded graph adds in micrograd's order: bit-identical
            assert [v.data for v in out] == [v.data for v in ref]
        loss = out[0] * out[0] + out[1] * 3.0
        ref_loss = ref[0] * ref[0] + ref[1] * 3.0
        ours.zero_grad()
        theirs.zero_grad()
        loss.backward()
        ref_loss.backward()
        assert [p.grad for p in ours.parameters()] == pytest.approx(
            [q.grad for q in theirs.parameters()], rel=1e-10, abs=1e-12)


def test_micrograd_demo_reaches_full_training_accuracy():
    X, y01 = nn.datasets.make_moons(100, noise=0.1, seed=1337)
    y = nn.datasets.signed_labels(y01)
    model = nn.MLP(2, [16, 16, 1], seed=1337)
    optimizer = nn.SGD(model.parameters(), lr=1.0)
    schedule = nn.LinearDecay(1.0, 0.1, 100)
    history = nn.fit(model, X, y, loss="hinge", l2=1e-4, optimizer=optimizer, epochs=100,
                     schedule=schedule, progress=False)
    assert len(history.loss) == len(history.accuracy) == 100
    assert history.loss[-1] < history.loss[0] / 10
    assert history.lr[-1] == 1.0 - 0.9 * 99 / 100
    scores = [model(x) for x in X]
    assert all(isinstance(s, Value) for s in scores)
    correct = sum((s.data > 0) == (t > 0) for s, t in zip(scores, y, strict=True))
    assert correct == 100
    assert history.accuracy[-1] == 1.0


def test_demo_loss_by_hand_matches_fit_loss():
    # the first recorded loss is micrograd's total_loss of step 0, written out as in its demo
    X, y01 = nn.datasets.make_moons(30, noise=0.1, seed=3)
    y = nn.datasets.signed_labels(y01)
    model = nn.MLP(2, [4, 1], seed=2)
    scores = [model(x) for x in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    expected = (data_loss + reg_loss).data
    history = nn.fit(model, X, y, loss="hinge", l2=1e-4, epochs=1, progress=False,
                     optimizer=nn.SGD(model.parameters(), lr=0.1))
    assert history.loss[0] == pytest.approx(expected, rel=1e-12)
