"""RNN (backprop through time) against torch.nn.RNN (float64), gradcheck, clip_grad_norm
against torch.nn.utils.clip_grad_norm_, and a parity run."""

from __future__ import annotations

import itertools
import math
import random

import pytest

import nn
from autograd_tiny import Value, gradcheck

torch = pytest.importorskip("torch")


def _sequence(seed, length, size):
    rng = random.Random(seed)
    return [[rng.uniform(-1.5, 1.5) for _ in range(size)] for _ in range(length)]


def _torch_rnn(rnn):
    t = torch.nn.RNN(rnn.input_size, rnn.hidden_size, nonlinearity=rnn.nonlinearity,
                     dtype=torch.float64)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh"):
            getattr(t, f"{name}_l0").copy_(torch.tensor(
                [[w.data for w in row] for row in getattr(rnn, name)], dtype=torch.float64))
        for name in ("bias_ih", "bias_hh"):
            getattr(t, f"{name}_l0").copy_(torch.tensor(
                [b.data for b in getattr(rnn, name)], dtype=torch.float64))
    return t


def _close(a, b, tol=1e-12):
    assert torch.allclose(torch.tensor(a, dtype=torch.float64),
                          torch.tensor(b, dtype=torch.float64), rtol=tol, atol=tol), (a, b)


@pytest.mark.parametrize("nonlinearity, input_size, hidden_size, length, with_h0", [
    ("tanh", 2, 3, 5, False),
    ("tanh", 1, 4, 6, True),
    ("relu", 3, 3, 4, True),
    ("relu", 2, 5, 3, False),
])
def test_outputs_and_gradients_match_torch_rnn(nonlinearity, input_size, hidden_size, length,
                                               with_h0):
    rnn = nn.RNN(input_size, hidden_size, nonlinearity, rng=random.Random(length))
    t = _torch_rnn(rnn)
    xs = _sequence(1, length, input_size)
    coef = _sequence(2, length, hidden_size)
    h0 = [0.3 * (i - 1) for i in range(hidden_size)] if with_h0 else None

    x_vals = [[Value(v) for v in row] for row in xs]
    h0_vals = [Value(v) for v in h0] if h0 is not None else None
    outputs, h_n = rnn(x_vals, h0_vals)
    loss = Value.sum([c * h for cr, hr in zip(coef, outputs, strict=True)
                      for c, h in zip(cr, hr, strict=True)]) + Value.sum(h_n)
    loss.backward()

    tx = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    th0 = torch.tensor([h0], dtype=torch.float64, requires_grad=True) if h0 is not None else None
    tout, th_n = t(tx, th0)
    ((tout * torch.tensor(coef, dtype=torch.float64)).sum() + th_n.sum()).backward()

    _close([[h.data for h in hr] for hr in outputs], tout.tolist())
    _close([h.data for h in h_n], th_n[0].tolist())
    _close([[x.grad for x in row] for row in x_vals], tx.grad.tolist())
    for name in ("weight_ih", "weight_hh"):
        _close([[w.grad for w in row] for row in getattr(rnn, name)],
               getattr(t, f"{name}_l0").grad.tolist())
    for name in ("bias_ih", "bias_hh"):
        _close([b.grad for b in getattr(rnn, name)], getattr(t, f"{name}_l0").grad.tolist())
    if h0 is not None:
        assert h0_vals is not None
        _close([h.grad for h in h0_vals], th0.grad[0].tolist())


def test_parameters_are_named_and_ordered_like_torchs():
    rnn = nn.RNN(2, 3, rng=random.Random(0))
    t = _torch_rnn(rnn)
    ours = [p.data for p in rnn.parameters()]
    theirs = [v for p in t.parameters() for v in p.detach().flatten().tolist()]
    assert ours == theirs
    names = [name for name, _ in rnn.named_parameters()]
    assert names[:2] == ["weight_ih.0.0", "weight_ih.0.1"] and names[-1] == "bias_hh.2"
    assert rnn.weight_hh[1][2].label == "weight_hh.1.2"
    # PyTorch's default init: every weight and bias in (-1/sqrt(hidden), 1/sqrt(hidden))
    big = nn.RNN(4, 100, rng=random.Random(0))
    values = [p.data for p in big.parameters()]
    assert max(abs(v) for v in values) <= 0.1 and max(abs(v) for v in values) > 0.099


def test_backprop_through_time_passes_gradcheck():
    rnn = nn.RNN(1, 2, rng=random.Random(3))

    def f(*v):
        rnn.weight_hh = [[v[4], v[5]], [v[6], v[7]]]
        outputs, h_n = rnn([[v[0]], [v[1]], [v[2]], [v[3]]])
        return h_n[0] * 2.0 - h_n[1] + outputs[1][0] * outputs[0][1]

    inputs = [0.5, -1.0, 0.3, 1.2] + [w.data for row in rnn.weight_hh for w in row]
    assert gradcheck(f, inputs)


def test_a_number_per_step_when_input_size_is_1_and_the_same_weights_at_every_step():
    rnn = nn.RNN(1, 2, rng=random.Random(0))
    a, _ = rnn([1.0, 0.0, -1.0])
    b, _ = rnn([[1.0], [0.0], [-1.0]])
    assert [[h.data for h in r] for r in a] == [[h.data for h in r] for r in b]
    # h_t = tanh(dot(W_ih[i] + W_hh[i], x_t + h_{t-1}, b_ih[i]) + b_hh[i]): at steps 1 and 2
    # the dot nodes read the very same W_hh Values
    for t in (1, 2):
        dots = [h.children[0].children[0] for h in a[t]]
        assert [d.children[1:3] for d in dots] == [tuple(row) for row in rnn.weight_hh]
        assert [d.children[4:6] for d in dots] == [tuple(a[t - 1])] * 2


def test_rnn_readout_is_the_last_state_through_a_linear_layer(tmp_path):
    model = nn.RNNReadout(2, 3, output_size=2, seed=0)
    xs = _sequence(0, 4, 2)
    _, h = model.rnn(xs)
    want = [Value.dot(n.w, h, n.b).data for n in model.readout.neurons]
    assert [v.data for v in model(xs)] == want
    assert all(abs(w.data) <= 1 / math.sqrt(3) for n in model.readout.neurons for w in n.w)
    assert isinstance(nn.RNNReadout(1, 3, seed=0)([1.0, 0.0]), Value)
    path = tmp_path / "rnn.json"
    model.save(path)
    loaded = nn.load(path)
    assert repr(loaded) == repr(model)
    assert loaded.state_dict() == model.state_dict()
    assert [v.data for v in loaded(xs)] == want
    assert nn.RNNReadout(1, 3, seed=5).state_dict() == nn.RNNReadout(1, 3, seed=5).state_dict()
    random.seed(9)
    a = nn.RNNReadout(1, 3).state_dict()
    random.seed(9)
    assert nn.RNNReadout(1, 3).state_dict() == a


def test_parity_dataset():
    X, y = nn.datasets.parity(50, 5, seed=0)
    assert len(X) == len(y) == 50 and all(len(x) == 5 for x in X)
    assert all(set(x) <= {0.0, 1.0} for x in X)
    assert y == [float(sum(x) % 2) for x in X]
    assert nn.datasets.parity(50, 5, seed=0) == (X, y)
    assert 10 < sum(y) < 40
    with pytest.raises(ValueError, match="length = 0"):
        nn.datasets.parity(10, 0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rnn_learns_parity_of_three_bits(seed):
    X, y = nn.datasets.parity(24, 3, seed=0)
    model = nn.RNNReadout(1, 4, seed=seed)
    history = nn.fit(model, X, y, loss="bce_logits", epochs=100, progress=False,
                     optimizer=nn.Adam(model.parameters(), lr=0.1))
    assert history.accuracy[0] < 0.7
    assert history.accuracy[-1] == 1.0
    every = [list(map(float, bits)) for bits in itertools.product([0, 1], repeat=3)]
    assert all((model(x).data > 0) == (sum(x) % 2 == 1) for x in every)


@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.RNN(0, 3), ValueError, "input_size = 0"),
    (lambda: nn.RNN(1, 3, "sigmoid"), ValueError, "sigmoid"),
    (lambda: nn.RNN(1, 2)([]), ValueError, "empty sequence"),
    (lambda: nn.RNN(2, 2)([[1.0, 2.0], [1.0]]), ValueError, "step 1"),
    (lambda: nn.RNN(1, 2)([1.0], h0=[0.0]), ValueError, "hidden_size = 2"),
    (lambda: nn.RNN(1, 2)(Value(1.0)), TypeError, "sequence"),
    (lambda: nn.RNNReadout(1, 2, output_size=0), ValueError, "output_size = 0"),
])
def test_bad_arguments_raise_naming_them(make, error, match):
    with pytest.raises(error, match=match):
        make()


def _grads(seed, n):
    rng = random.Random(seed)
    return [rng.uniform(-3, 3) for _ in range(n)]


@pytest.mark.parametrize("max_norm, seed", [(1.0, 0), (100.0, 1), (0.5, 2), (0.0, 3)])
def test_clip_grad_norm_matches_torch(max_norm, seed):
    grads = _grads(seed, 7)
    params = [Value(0.0) for _ in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad = g
    total = nn.clip_grad_norm(params, max_norm)
    tparams = [torch.zeros(1, dtype=torch.float64, requires_grad=True) for _ in grads]
    for p, g in zip(tparams, grads, strict=True):
        p.grad = torch.tensor([g], dtype=torch.float64)
    ttotal = torch.nn.utils.clip_grad_norm_(tparams, max_norm)
    assert total == pytest.approx(ttotal.item(), rel=1e-14)
    assert total == pytest.approx(math.sqrt(sum(g * g for g in grads)), rel=1e-14)
    assert [p.grad for p in params] == pytest.approx([p.grad.item() for p in tparams],
                                                     rel=1e-14, abs=1e-300)
    clipped = math.sqrt(sum(p.grad**2 for p in params))
    assert clipped == pytest.approx(min(total, max_norm), rel=1e-5, abs=1e-12)


def test_clip_grad_norm_leaves_small_gradients_alone_and_checks_its_arguments():
    p, q = Value(1.0), Value(2.0)
    p.grad, q.grad = 0.3, 0.4
    assert nn.clip_grad_norm([p, q], 1.0) == pytest.approx(0.5)
    assert (p.grad, q.grad) == (0.3, 0.4)
    assert nn.clip_grad_norm(p, 0.15) == pytest.approx(0.3)
    assert p.grad == pytest.approx(0.15, rel=1e-5)
    with pytest.raises(ValueError, match="max_norm = -1.0"):
        nn.clip_grad_norm([p], -1.0)
    with pytest.raises(TypeError, match="float"):
        nn.clip_grad_norm([p, 1.0], 1.0)
    # gradients whose squares overflow a float still give their norm, and are scaled to max_norm
    p.grad, q.grad = 3e200, -4e200
    assert nn.clip_grad_norm([p, q], 1.0) == pytest.approx(5e200)
    assert (p.grad, q.grad) == pytest.approx((0.6, -0.8))
    q.grad = float("inf")
    with pytest.raises(FloatingPointError, match="inf"):
        nn.clip_grad_norm([p, q], 1.0, error_if_nonfinite=True)
    assert q.grad == float("inf")


@pytest.mark.parametrize("kwargs", [{"nonlinearity": "sigmoid"}, {"nonlinearity": 3.5},
                                    {"input_size": 0}, {"seed": "1"}])
def test_rnn_readout_checks_its_arguments_before_drawing_from_the_global_random(kwargs):
    args = {"input_size": 2, "hidden_size": 3, **kwargs}
    state = random.getstate()
    with pytest.raises((TypeError, ValueError)):
        nn.RNNReadout(**args)
    assert random.getstate() == state
