"""AdaGrad, RMSProp and clip_grad_norm against PyTorch (float64), step for step."""

from __future__ import annotations

import pytest

import nn
from autograd_tiny import Value

torch = pytest.importorskip("torch")

START = [0.5, -1.5, 2.0, 0.0]


def _f(x0, x1, x2, x3):
    """A small non-quadratic loss of four parameters; works on Values and on torch tensors."""
    tanh = (lambda v: v.tanh()) if isinstance(x0, Value) else torch.tanh
    return (x0 * x1 - 1.0) ** 2 + tanh(x2) * x0 + (x1 - x2) ** 2 * 0.5 + x3 * x3 * 3.0 - x3


def _ours(make, steps, lrs=None):
    params = [Value(x) for x in START]
    opt = make(params)
    trace = []
    for k in range(steps):
        if lrs is not None:
            opt.lr = lrs[k]
        opt.zero_grad()
        _f(*params).backward()
        opt.step()
        trace.append([p.data for p in params])
    return trace


def _torch(make, steps, lrs=None):
    params = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in START]
    opt = make(params)
    trace = []
    for k in range(steps):
        if lrs is not None:
            for group in opt.param_groups:
                group["lr"] = lrs[k]
        opt.zero_grad()
        _f(*params).backward()
        opt.step()
        trace.append([p.item() for p in params])
    return trace


def _assert_same(ours, theirs):
    for k, (got, want) in enumerate(zip(ours, theirs, strict=True)):
        assert got == pytest.approx(want, rel=1e-12, abs=1e-14), f"step {k + 1}"


ADAGRAD_SETTINGS = [
    {},
    {"lr": 0.3},
    {"lr": 0.2, "lr_decay": 0.1},
    {"lr": 0.1, "weight_decay": 0.5},
    {"lr": 0.1, "initial_accumulator_value": 0.7, "eps": 1e-3},
]


@pytest.mark.parametrize("kwargs", ADAGRAD_SETTINGS)
def test_adagrad_matches_torch_step_for_step(kwargs):
    ours = _ours(lambda ps: nn.AdaGrad(ps, **kwargs), steps=12)
    theirs = _torch(lambda ps: torch.optim.Adagrad(ps, **kwargs), steps=12)
    _assert_same(ours, theirs)
    assert ours[0] != ours[-1]  # it moved


RMSPROP_SETTINGS = [
    {},
    {"lr": 0.05, "alpha": 0.9},
    {"lr": 0.01, "momentum": 0.9},
    {"lr": 0.01, "centered": True},
    {"lr": 0.02, "centered": True, "momentum": 0.5, "weight_decay": 0.1, "eps": 1e-4},
    {"lr": 0.01, "alpha": 0.0},
]


@pytest.mark.parametrize("kwargs", RMSPROP_SETTINGS)
def test_rmsprop_matches_torch_step_for_step(kwargs):
    ours = _ours(lambda ps: nn.RMSProp(ps, **kwargs), steps=12)
    theirs = _torch(lambda ps: torch.optim.RMSprop(ps, **kwargs), steps=12)
    _assert_same(ours, theirs)
    assert ours[0] != ours[-1]


def test_defaults_are_pytorchs():
    p = [Value(1.0)]
    ada, rms = nn.AdaGrad(p), nn.RMSProp(p)
    t = [torch.zeros(1, requires_grad=True)]
    tada, trms = torch.optim.Adagrad(t).defaults, torch.optim.RMSprop(t).defaults
    for name in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
        assert getattr(ada, name) == tada[name], name
    for name in ("lr", "alpha", "eps", "weight_decay", "momentum", "centered"):
        assert getattr(rms, name) == trms[name], name


@pytest.mark.parametrize("make, torch_make", [
    (nn.AdaGrad, torch.optim.Adagrad),
    (lambda ps, lr: nn.RMSProp(ps, lr, momentum=0.5), lambda ps, lr: torch.optim.RMSprop(
        ps, lr, momentum=0.5)),
])
def test_a_settable_lr_changes_the_steps_like_torchs_param_groups(make, torch_make):
    lrs = [0.1, 0.05, 0.0, 0.2, 0.01, 0.1]
    ours = _ours(lambda ps: make(ps, 1.0), steps=6, lrs=lrs)
    theirs = _torch(lambda ps: torch_make(ps, 1.0), steps=6, lrs=lrs)
    _assert_same(ours, theirs)


def test_adagrad_first_step_by_hand():
    # s = g**2 after one step, so each parameter moves by lr * g / (|g| + eps) = lr * sign(g)
    p = Value(3.0)
    opt = nn.AdaGrad([p], lr=0.5, eps=0.0)
    (p * p).backward()
    opt.step()
    assert p.data == 2.5
    opt.zero_grad()
    assert p.grad == 0.0


@pytest.mark.parametrize("make, match", [
    (lambda: nn.AdaGrad([Value(1.0)], lr=-0.1), "lr = -0.1"),
    (lambda: nn.AdaGrad([Value(1.0)], lr_decay=-1.0), "lr_decay = -1.0"),
    (lambda: nn.AdaGrad([Value(1.0)], weight_decay=float("nan")), "weight_decay"),
    (lambda: nn.AdaGrad([Value(1.0)], initial_accumulator_value=-0.5),
     "initial_accumulator_value = -0.5"),
    (lambda: nn.AdaGrad([Value(1.0)], eps=-1e-10), "eps = -1e-10"),
    (lambda: nn.AdaGrad([]), "empty"),
    (lambda: nn.RMSProp([Value(1.0)], lr=float("inf")), "lr"),
    (lambda: nn.RMSProp([Value(1.0)], alpha=1.5), "alpha = 1.5"),
    (lambda: nn.RMSProp([Value(1.0)], alpha=-0.1), "alpha = -0.1"),
    (lambda: nn.RMSProp([Value(1.0)], eps=-1.0), "eps = -1.0"),
    (lambda: nn.RMSProp([Value(1.0)], weight_decay=-0.1), "weight_decay = -0.1"),
    (lambda: nn.RMSProp([Value(1.0)], momentum=-0.9), "momentum = -0.9"),
])
def test_bad_arguments_raise_naming_them(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_setting_a_bad_lr_keeps_the_old_one():
    opt = nn.RMSProp([Value(1.0)], lr=0.01)
    with pytest.raises(ValueError, match="lr = -1.0"):
        opt.lr = -1.0
    assert opt.lr == 0.01
