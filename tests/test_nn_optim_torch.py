"""Every optimizer against PyTorch's (float64), step for step, from one table, and its defaults."""

from __future__ import annotations

import inspect

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


# One row per optimizer: ours, PyTorch's, and the settings both are run with (the same
# keyword arguments). A new optimizer exported by nn needs its row here (checked below).
OPTIMIZERS = {
    nn.SGD: (torch.optim.SGD, [
        {"lr": 0.05}, {"lr": 0.05, "momentum": 0.9},
        {"lr": 0.02, "momentum": 0.5, "nesterov": True, "weight_decay": 0.2},
    ]),
    nn.Adam: (torch.optim.Adam, [
        {}, {"lr": 0.1, "betas": (0.5, 0.9)}, {"lr": 0.05, "weight_decay": 0.3, "eps": 1e-3},
    ]),
    nn.AdamW: (torch.optim.AdamW, [
        {}, {"lr": 0.1, "weight_decay": 0.5}, {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-4},
    ]),
    nn.Adamax: (torch.optim.Adamax, [
        {}, {"lr": 0.1, "betas": (0.5, 0.9)}, {"lr": 0.05, "weight_decay": 0.3, "eps": 1e-3},
    ]),
    nn.AdaGrad: (torch.optim.Adagrad, [
        {}, {"lr": 0.3}, {"lr": 0.2, "lr_decay": 0.1}, {"lr": 0.1, "weight_decay": 0.5},
        {"lr": 0.1, "initial_accumulator_value": 0.7, "eps": 1e-3},
    ]),
    nn.RMSProp: (torch.optim.RMSprop, [
        {}, {"lr": 0.05, "alpha": 0.9}, {"lr": 0.01, "momentum": 0.9},
        {"lr": 0.01, "centered": True},
        {"lr": 0.02, "centered": True, "momentum": 0.5, "weight_decay": 0.1, "eps": 1e-4},
        {"lr": 0.01, "alpha": 0.0},
    ]),
}
RUNS = [(ours, kwargs) for ours, (_, settings) in OPTIMIZERS.items() for kwargs in settings]


def exported_optimizers() -> set[type]:
    return {obj for obj in map(vars(nn).get, nn.__all__)
            if isinstance(obj, type) and issubclass(obj, nn.Optimizer) and obj is not nn.Optimizer}


def test_every_exported_optimizer_has_a_row_of_the_torch_table():
    assert exported_optimizers() == set(OPTIMIZERS)


@pytest.mark.parametrize("ours, kwargs", RUNS,
                         ids=[f"{o.__name__}-{i}" for i, (o, _) in enumerate(RUNS)])
def test_matches_torch_step_for_step(ours, kwargs):
    theirs = OPTIMIZERS[ours][0]
    # SGD has no default lr in either library
    kwargs = {"lr": 0.05, **kwargs} if ours is nn.SGD else kwargs
    trace = _ours(lambda ps: ours(ps, **kwargs), steps=12)
    _assert_same(trace, _torch(lambda ps: theirs(ps, **kwargs), steps=12))
    assert trace[0] != trace[-1]  # it moved


@pytest.mark.parametrize("ours", list(OPTIMIZERS), ids=lambda o: o.__name__)
def test_defaults_are_pytorchs(ours):
    theirs = OPTIMIZERS[ours][0]([torch.zeros(1, requires_grad=True)], lr=0.5).defaults
    names = [name for name, p in inspect.signature(ours).parameters.items()
             if p.default is not inspect.Parameter.empty]
    assert names
    opt = ours([Value(1.0)], lr=0.5)
    for name in names:
        assert getattr(opt, name) == theirs[name], name
        assert repr(getattr(opt, name)) in repr(opt)


@pytest.mark.parametrize("ours", list(OPTIMIZERS), ids=lambda o: o.__name__)
def test_a_settable_lr_changes_the_steps_like_torchs_param_groups(ours):
    lrs = [0.1, 0.05, 0.0, 0.2, 0.01, 0.1]
    trace = _ours(lambda ps: ours(ps, 1.0), steps=6, lrs=lrs)
    _assert_same(trace, _torch(lambda ps: OPTIMIZERS[ours][0](ps, 1.0), steps=6, lrs=lrs))


def test_adamw_decays_the_weights_apart_from_the_gradient():
    # With a zero gradient Adam's step is 0, so AdamW only shrinks p by lr * wd * p, where
    # Adam with the same weight_decay (L2, in the gradient) takes a full step of about lr.
    p, q = Value(2.0), Value(2.0)
    nn.AdamW([p], lr=0.1, weight_decay=0.5).step()
    nn.Adam([q], lr=0.1, weight_decay=0.5).step()
    assert p.data == 2.0 * (1.0 - 0.1 * 0.5)
    assert q.data == pytest.approx(2.0 - 0.1, rel=1e-6)


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
    (lambda: nn.AdamW([Value(1.0)], betas=(0.9, 1.0)), r"betas\[1\] = 1.0"),
    (lambda: nn.AdamW([Value(1.0)], weight_decay=-0.01), "weight_decay = -0.01"),
    (lambda: nn.Adamax([Value(1.0)], eps=0.0), "eps = 0.0"),
    (lambda: nn.Adamax([Value(1.0)], betas=(-0.1, 0.9)), r"betas\[0\] = -0.1"),
])
def test_bad_arguments_raise_naming_them(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_setting_a_bad_lr_keeps_the_old_one():
    opt = nn.RMSProp([Value(1.0)], lr=0.01)
    with pytest.raises(ValueError, match="lr = -1.0"):
        opt.lr = -1.0
    assert opt.lr == 0.01
