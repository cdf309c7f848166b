"""Optimizers and schedules against their textbook update rules, computed here in plain floats."""

from __future__ import annotations

import math

import pytest

import nn
from autograd_tiny import Value

A = [1.0, 3.0, 0.5]
C = [2.0, -1.0, 0.5]
START = [0.0, 1.0, -2.0]


def _quadratic(xs):
    """f(x) = sum a_i (x_i - c_i)**2 built with Values."""
    return Value.sum([(x - c) * (x - c) * a for x, a, c in zip(xs, A, C, strict=True)])


def _grad(xs):
    return [2 * a * (x - c) for x, a, c in zip(xs, A, C, strict=True)]


def _run(optimizer_factory, steps, lrs=None):
    params = [Value(x) for x in START]
    opt = optimizer_factory(params)
    trace = []
    for k in range(steps):
        if lrs is not None:
            opt.lr = lrs[k]
        opt.zero_grad()
        _quadratic(params).backward()
        opt.step()
        trace.append([p.data for p in params])
    return trace


def _sgd_reference(lr, momentum=0.0, nesterov=False, weight_decay=0.0, steps=5):
    """PyTorch's documented SGD: g += wd x; b = mu b + g (b_1 = g); g = g + mu b or b."""
    x = list(START)
    b = None
    trace = []
    for _ in range(steps):
        g = [gi + weight_decay * xi for gi, xi in zip(_grad(x), x, strict=True)]
        if momentum:
            b = list(g) if b is None else [momentum * bi + gi for bi, gi in zip(b, g, strict=True)]
            g = [gi + momentum * bi for gi, bi in zip(g, b, strict=True)] if nesterov else b
        x = [xi - lr * gi for xi, gi in zip(x, g, strict=True)]
        trace.append(x)
    return trace


@pytest.mark.parametrize("kwargs", [
    {},
    {"momentum": 0.9},
    {"momentum": 0.9, "nesterov": True},
    {"weight_decay": 0.1},
    {"momentum": 0.5, "nesterov": True, "weight_decay": 0.2},
])
def test_sgd_matches_its_update_rule(kwargs):
    trace = _run(lambda ps: nn.SGD(ps, lr=0.05, **kwargs), steps=5)
    expected = _sgd_reference(0.05, steps=5, **kwargs)
    for got, want in zip(trace, expected, strict=True):
        assert got == pytest.approx(want, rel=1e-13, abs=1e-15)


def test_plain_sgd_first_step_by_hand():
    params = [Value(x) for x in START]
    opt = nn.SGD(params, lr=0.1)
    _quadratic(params).backward()
    opt.step()
    # grads 2 a (x - c) = [-4, 12, -2.5]
    assert [p.data for p in params] == pytest.approx([0.4, -0.2, -1.75])


def _adam_reference(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, steps=5):
    """Kingma & Ba's Adam with bias correction; L2 weight decay added to the gradient."""
    b1, b2 = betas
    x = list(START)
    m = [0.0] * 3
    v = [0.0] * 3
    trace = []
    for t in range(1, steps + 1):
        g = [gi + weight_decay * xi for gi, xi in zip(_grad(x), x, strict=True)]
        m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g, strict=True)]
        v = [b2 * vi + (1 - b2) * gi**2 for vi, gi in zip(v, g, strict=True)]
        m_hat = [mi / (1 - b1**t) for mi in m]
        v_hat = [vi / (1 - b2**t) for vi in v]
        x = [xi - lr * mh / (math.sqrt(vh) + eps)
             for xi, mh, vh in zip(x, m_hat, v_hat, strict=True)]
        trace.append(x)
    return trace


@pytest.mark.parametrize("kwargs", [
    {},
    {"betas": (0.8, 0.99)},
    {"weight_decay": 0.1, "eps": 1e-3},
])
def test_adam_matches_its_update_rule(kwargs):
    trace = _run(lambda ps: nn.Adam(ps, lr=0.1, **kwargs), steps=5)
    expected = _adam_reference(0.1, steps=5, **kwargs)
    for got, want in zip(trace, expected, strict=True):
        assert got == pytest.approx(want, rel=1e-12, abs=1e-14)


def test_adam_first_step_moves_each_parameter_by_lr():
    # after one step m_hat = g and v_hat = g**2, so every parameter moves by lr * sign(g)
    params = [Value(x) for x in START]
    opt = nn.Adam(params, lr=0.01, eps=5e-324)  # the smallest eps > 0
    _quadratic(params).backward()
    opt.step()
    assert [p.data for p in params] == pytest.approx([0.01, 0.99, -1.99], rel=1e-14)


def test_lr_is_settable_and_used():
    lrs = [0.1, 0.0, 0.05, 0.2]
    trace = _run(lambda ps: nn.SGD(ps, lr=1.0), steps=4, lrs=lrs)
    x = list(START)
    for lr, got in zip(lrs, trace, strict=True):
        x = [xi - lr * gi for xi, gi in zip(x, _grad(x), strict=True)]
        assert got == pytest.approx(x, rel=1e-14)


def test_zero_grad_and_grad_values_from_create_graph():
    p = Value(3.0)
    opt = nn.SGD([p], lr=0.5)
    (p * p).backward(create_graph=True)
    assert isinstance(p.grad, Value)
    opt.step()
    assert p.data == 0.0
    opt.zero_grad()
    assert p.grad == 0.0


def test_schedules():
    linear = nn.LinearDecay(1.0, 0.1, 100)
    assert [linear(k) for k in range(100)] == [1.0 - 0.9 * k / 100 for k in range(100)]
    assert linear(100) == pytest.approx(0.1) and linear(500) == linear(100)
    step = nn.StepDecay(0.5, step_size=3, gamma=0.1)
    assert [step(k) for k in range(7)] == pytest.approx(
        [0.5, 0.5, 0.5, 0.05, 0.05, 0.05, 0.005])
    warm = nn.WarmupDecay(1.0, warmup=4, total=8, end=0.2)
    assert [warm(k) for k in range(10)] == pytest.approx(
        [0.25, 0.5, 0.75, 1.0, 1.0, 0.8, 0.6, 0.4, 0.2, 0.2])
    cos = nn.WarmupDecay(1.0, warmup=0, total=4, decay="cosine")
    assert [cos(k) for k in range(5)] == pytest.approx(
        [1.0, (1 + math.cos(math.pi / 4)) / 2, 0.5, (1 + math.cos(3 * math.pi / 4)) / 2, 0.0])


def test_schedule_drives_sgd_steps_like_micrograds_loop():
    schedule = nn.LinearDecay(1.0, 0.1, 100)
    lrs = [schedule(k) for k in range(6)]
    trace = _run(lambda ps: nn.SGD(ps, lr=0.0), steps=6, lrs=[lr * 0.01 for lr in lrs])
    x = list(START)
    for k, got in enumerate(trace):
        lr = (1.0 - 0.9 * k / 100) * 0.01
        x = [xi - lr * gi for xi, gi in zip(x, _grad(x), strict=True)]
        assert got == pytest.approx(x, rel=1e-14)


@pytest.mark.parametrize("make, match", [
    (lambda: nn.SGD([Value(1.0)], lr=-0.1), "lr = -0.1"),
    (lambda: nn.Adam([Value(1.0)], lr=-1e-3), "lr = -0.001"),
    (lambda: nn.SGD([Value(1.0)], lr=float("nan")), "lr"),
    (lambda: nn.SGD([], lr=0.1), "empty"),
    (lambda: nn.SGD([Value(1.0)], lr=0.1, momentum=-0.5), "momentum = -0.5"),
    (lambda: nn.SGD([Value(1.0)], lr=0.1, nesterov=True), "nesterov"),
    (lambda: nn.SGD([Value(1.0)], lr=0.1, weight_decay=-1.0), "weight_decay = -1.0"),
    (lambda: nn.Adam([Value(1.0)], betas=(1.0, 0.999)), r"betas\[0\]"),
    (lambda: nn.Adam([Value(1.0)], betas=(0.9, -0.1)), r"betas\[1\]"),
    (lambda: nn.LinearDecay(1.0, 0.1, 0), "steps = 0"),
    (lambda: nn.LinearDecay(-1.0, 0.1, 10), "start = -1.0"),
    (lambda: nn.StepDecay(0.1, step_size=0), "step_size = 0"),
    (lambda: nn.WarmupDecay(0.1, warmup=5, total=5), "total"),
    (lambda: nn.WarmupDecay(0.1, warmup=1, total=5, decay="exp"), "exp"),
])
def test_bad_optimizer_and_schedule_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_setting_a_negative_lr_raises_and_keeps_the_old_one():
    opt = nn.Adam([Value(1.0)], lr=0.01)
    with pytest.raises(ValueError, match="lr = -0.5"):
        opt.lr = -0.5
    assert opt.lr == 0.01


@pytest.mark.parametrize("eps", [0.0, -1e-8, -0.0, math.nan, math.inf])
def test_adam_refuses_an_eps_that_is_not_positive_and_finite(eps):
    with pytest.raises(ValueError, match="eps"):
        nn.Adam([Value(1.0)], eps=eps)


def test_adam_with_a_tiny_eps_steps_a_parameter_whose_grad_is_zero():
    p = Value(1.0)
    nn.Adam([p], eps=5e-324).step()
    assert p.data == 1.0
