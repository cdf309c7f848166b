"""BatchNorm, Sequential and train/eval against torch.nn.BatchNorm1d (float64) and gradcheck."""

from __future__ import annotations

import json
import random

import pytest

import nn
from autograd_tiny import Value, gradcheck

torch = pytest.importorskip("torch")

N, C = 6, 3


def _batch(seed, n=N, c=C, scale=2.0):
    rng = random.Random(seed)
    return [[rng.uniform(-scale, scale) + j for j in range(c)] for _ in range(n)]


def _coefficients(seed, n=N, c=C):
    rng = random.Random(seed)
    return [[rng.uniform(-1, 1) for _ in range(c)] for _ in range(n)]


def _torch_bn(bn):
    t = torch.nn.BatchNorm1d(bn.num_features, eps=bn.eps, momentum=bn.momentum).double()
    with torch.no_grad():
        t.weight.copy_(torch.tensor([w.data for w in bn.weight], dtype=torch.float64))
        t.bias.copy_(torch.tensor([b.data for b in bn.bias], dtype=torch.float64))
    return t


def _ours_step(bn, xs, coef):
    """y = bn(xs), loss = sum c * y, backward; returns (y, x grads)."""
    inputs = [[Value(v) for v in row] for row in xs]
    bn.zero_grad()
    ys = bn(inputs)
    Value.sum([c * y for cr, yr in zip(coef, ys, strict=True)
               for c, y in zip(cr, yr, strict=True)]).backward()
    return [[y.data for y in yr] for yr in ys], [[x.grad for x in row] for row in inputs]


def _torch_step(t, xs, coef):
    x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    t.zero_grad()
    y = t(x)
    (y * torch.tensor(coef, dtype=torch.float64)).sum().backward()
    return y.tolist(), x.grad.tolist()


def _close(a, b):
    assert torch.allclose(torch.tensor(a, dtype=torch.float64),
                          torch.tensor(b, dtype=torch.float64), rtol=1e-12, atol=1e-12), (a, b)


def _step_matches_torch(bn, t, xs, coef):
    """One forward and backward on both sides: outputs, input grads, weight and bias grads."""
    y, gx = _ours_step(bn, xs, coef)
    ty, tgx = _torch_step(t, xs, coef)
    _close(y, ty)
    _close(gx, tgx)
    _close([w.grad for w in bn.weight], t.weight.grad.tolist())
    _close([b.grad for b in bn.bias], t.bias.grad.tolist())


@pytest.mark.parametrize("momentum, eps", [(0.1, 1e-5), (0.5, 1e-3), (1.0, 1e-5)])
def test_training_and_eval_match_torch_batchnorm1d(momentum, eps):
    bn = nn.BatchNorm(C, eps=eps, momentum=momentum)
    rng = random.Random(0)
    for w, b in zip(bn.weight, bn.bias, strict=True):
        w.data, b.data = rng.uniform(0.5, 2.0), rng.uniform(-1.0, 1.0)
    t = _torch_bn(bn)
    for step in range(4):
        _step_matches_torch(bn, t, _batch(step), _coefficients(100 + step))
        _close([v.data for v in bn.running_mean], t.running_mean.tolist())
        _close([v.data for v in bn.running_var], t.running_var.tolist())
    assert bn.eval() is bn and not bn.training
    t.eval()
    for step in range(2):
        _step_matches_torch(bn, t, _batch(10 + step, n=3), _coefficients(200 + step, n=3))
    _close([v.data for v in bn.running_mean], t.running_mean.tolist())  # eval leaves them


def test_a_training_batch_is_normalised_to_mean_0_and_variance_1():
    bn = nn.BatchNorm(2, eps=0.0)
    ys = bn([[1.0, 10.0], [2.0, 20.0], [4.0, 0.0], [5.0, 30.0]])
    for j in range(2):
        col = [row[j].data for row in ys]
        assert sum(col) / 4 == pytest.approx(0.0, abs=1e-15)
        assert sum(v * v for v in col) / 4 == pytest.approx(1.0, rel=1e-14)
    # running stats after one step from (0, 1): 0.1 * mean and 0.9 + 0.1 * unbiased var
    assert bn.running_mean[0].data == pytest.approx(0.1 * 3.0)
    assert bn.running_var[0].data == pytest.approx(0.9 + 0.1 * 10.0 / 3.0)


def test_gradients_through_the_batch_statistics_pass_gradcheck():
    xs, coef = _batch(1, n=4, c=2), _coefficients(2, n=4, c=2)
    gammas, betas = [1.5, 0.7], [0.3, -0.2]

    def f(*v):
        bn = nn.BatchNorm(2)
        bn.weight, bn.bias = list(v[8:10]), list(v[10:12])
        ys = bn([v[0:2], v[2:4], v[4:6], v[6:8]])
        return Value.sum([c * y for cr, yr in zip(coef, ys, strict=True)
                          for c, y in zip(cr, yr, strict=True)])

    inputs = [x for row in xs for x in row] + gammas + betas
    assert gradcheck(f, inputs)
    # and the squared outputs, a loss that is not linear in y
    assert gradcheck(lambda *v: Value.sum([y * y * c for cr, yr in zip(coef, nn.BatchNorm(2)(
        [v[0:2], v[2:4], v[4:6], v[6:8]]), strict=True) for c, y in zip(cr, yr, strict=True)]),
        inputs[:8])


def test_each_output_depends_on_every_sample_in_training_only():
    bn = nn.BatchNorm(1)
    xs = [Value(1.0), Value(2.0), Value(4.0)]
    bn(xs)[0][0].backward()
    assert all(x.grad != 0.0 for x in xs)
    bn.eval()
    xs = [Value(1.0), Value(2.0), Value(4.0)]
    bn(xs)[0][0].backward()
    assert [x.grad != 0.0 for x in xs] == [True, False, False]


def _sequential(seed=0):
    rng = random.Random(seed)
    return nn.Sequential(nn.Layer(3, 4, "linear", rng=rng), nn.BatchNorm(4),
                         nn.Activation("tanh"), nn.Layer(4, 2, "linear", rng=rng))


def _torch_sequential(model):
    lin1, bn, _, lin2 = model.layers
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Tanh(),
                            torch.nn.Linear(4, 2)).double()
    with torch.no_grad():
        for ours, theirs in ((lin1, t[0]), (lin2, t[3])):
            theirs.weight.copy_(torch.tensor([[w.data for w in n.w] for n in ours.neurons],
                                                 dtype=torch.float64))
            theirs.bias.copy_(torch.tensor([n.b.data for n in ours.neurons], dtype=torch.float64))
        t[1].weight.copy_(torch.tensor([0.5, 1.5, 1.0, 2.0]))
        t[1].bias.copy_(torch.tensor([0.1, -0.1, 0.0, 0.3]))
    for w, b, tw, tb in zip(bn.weight, bn.bias, t[1].weight.tolist(), t[1].bias.tolist(),
                            strict=True):
        w.data, b.data = tw, tb
    return t


def test_sequential_with_batchnorm_matches_torch():
    model = _sequential()
    t = _torch_sequential(model)
    for mode in ("train", "eval"):
        getattr(model, mode)()
        getattr(t, mode)()
        for step in range(3):
            xs, coef = _batch(step, n=5), _coefficients(50 + step, n=5, c=2)
            model.zero_grad()
            ys = model(xs)
            Value.sum([c * y for cr, yr in zip(coef, ys, strict=True)
                       for c, y in zip(cr, yr, strict=True)]).backward()
            x = torch.tensor(xs, dtype=torch.float64)
            t.zero_grad()
            ty = t(x)
            (ty * torch.tensor(coef, dtype=torch.float64)).sum().backward()
            _close([[y.data for y in yr] for yr in ys], ty.tolist())
            theirs = [p for m in (t[0], t[1], t[3]) for p in (m.weight, m.bias)]
            lin1, bn, _, lin2 = model.layers
            ours = [[[w.grad for w in n.w] for n in lin1.neurons], [n.b.grad for n in lin1.neurons],
                    [w.grad for w in bn.weight], [b.grad for b in bn.bias],
                    [[w.grad for w in n.w] for n in lin2.neurons], [n.b.grad for n in lin2.neurons]]
            for o, p in zip(ours, theirs, strict=True):
                _close(o, p.grad.tolist())
            _close([v.data for v in bn.running_var], t[1].running_var.tolist())


def test_train_and_eval_reach_every_sub_module():
    class Net(nn.Module):
        def __init__(self):
            self.body = _sequential()
            self.norms = [nn.BatchNorm(2), nn.BatchNorm(2)]

    net = Net()
    everything = net.modules()
    assert sum(isinstance(m, nn.BatchNorm) for m in everything) == 3
    assert all(m.training for m in everything)
    assert net.eval() is net
    assert not any(m.training for m in everything)
    net.train()
    assert all(m.training for m in everything)
    net.body.layers[1].train(False)
    assert [m.training for m in net.norms] == [True, True] and not net.body.layers[1].training
    # a module held twice (or a reference back up) is visited once
    net.again = net.norms[0]
    net.parent_of_body = net
    assert len(net.modules()) == len(everything)


def test_running_statistics_are_saved_not_trained(tmp_path):
    model = _sequential()
    params = model.parameters()
    assert not any(v in params for _, v in model.named_buffers())
    opt = nn.SGD(params, lr=0.1)
    for step in range(3):
        ys = model(_batch(step, n=5))
        model.zero_grad()
        Value.sum([y for yr in ys for y in yr]).backward()
        opt.step()
    state = model.state_dict()
    assert state["layers.1.running_mean.0"] == model.layers[1].running_mean[0].data != 0.0
    assert {f"layers.1.{s}.{j}" for s in ("weight", "bias", "running_mean", "running_var")
            for j in range(4)} <= set(state)
    path = tmp_path / "bn.json"
    model.save(path)
    doc = json.loads(path.read_text())
    assert doc["module"]["type"] == "Sequential"
    loaded = nn.load(path)
    assert repr(loaded) == repr(model)
    assert loaded.state_dict() == state
    model.eval()
    loaded.eval()
    xs = _batch(9, n=2)
    assert [[v.data for v in r] for r in loaded(xs)] == [[v.data for v in r] for r in model(xs)]
    del state["layers.1.running_var.2"]
    with pytest.raises(KeyError, match="layers.1.running_var.2"):
        loaded.load_state_dict(state)


def test_fit_feeds_whole_mini_batches_to_a_sequential():
    X, y = nn.datasets.make_moons(60, noise=0.1, seed=0)
    rng = random.Random(0)
    model = nn.Sequential(nn.Layer(2, 16, "linear", rng=rng, init="he"), nn.BatchNorm(16),
                          nn.Activation("relu"), nn.Layer(16, 1, "linear", rng=rng, init="he"))
    history = nn.fit(model, X, nn.datasets.signed_labels(y), loss="hinge",
                     optimizer=nn.Adam(model.parameters(), lr=0.05), epochs=60, batch_size=15,
                     seed=0, progress=False)
    assert history.loss[-1] < 0.2 * history.loss[0]
    assert history.accuracy[-1] >= 0.9
    # in eval mode the running statistics classify every point on its own
    model.eval()
    assert sum((model([x])[0].data > 0) == (t > 0.5) for x, t in zip(X, y, strict=True)) >= 57
    # a mini-batch of one cannot be normalised in training mode, as in PyTorch
    model.train()
    with pytest.raises(ValueError, match="at least 2 samples"):
        nn.fit(model, X, nn.datasets.signed_labels(y), loss="hinge", batch_size=1, epochs=1,
               optimizer=nn.SGD(model.parameters(), lr=0.1), progress=False)


@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.BatchNorm(0), ValueError, "num_features = 0"),
    (lambda: nn.BatchNorm(2, eps=-1e-5), ValueError, "eps = -1e-05"),
    (lambda: nn.BatchNorm(2, momentum=1.5), ValueError, "momentum = 1.5"),
    (lambda: nn.BatchNorm(2)([[1.0, 2.0]]), ValueError, "at least 2 samples"),
    (lambda: nn.BatchNorm(2)([[1.0, 2.0], [1.0]]), ValueError, "sample 1 .* 1 values"),
    (lambda: nn.BatchNorm(2)([]), ValueError, "empty batch"),
    (lambda: nn.BatchNorm(2)(Value(1.0)), TypeError, "a batch"),
    (lambda: nn.Sequential(), ValueError, "at least one module"),
    (lambda: nn.Sequential(nn.BatchNorm(2), len), TypeError, "position 1"),
    (lambda: nn.Activation("swish"), ValueError, "swish"),
])
def test_bad_arguments_raise_naming_them(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_a_failed_batch_leaves_the_running_statistics_alone():
    bn = nn.BatchNorm(2, eps=0.0)
    with pytest.raises(ZeroDivisionError):
        bn([[1.0, 2.0], [1.0, 3.0]])  # feature 0 has variance 0
    assert [v.data for v in bn.running_mean + bn.running_var] == [0.0, 0.0, 1.0, 1.0]
