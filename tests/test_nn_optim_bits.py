"""Optimizers' exact bits: Adam is the hand-written plain-float Adam (the GPT floor's) to the
last bit, and every optimizer's trajectory on a fixed run is pinned, so that a faster loop
cannot change a single rounding."""

from __future__ import annotations

import hashlib
import math

import pytest

import nn
from autograd_tiny import Value

START = [0.5, -1.5, 2.0, 0.0, 1e-3, -0.25]
LRS = [0.1, 0.05, 0.0, 0.2, 0.01, 0.1, 0.07, 0.03]


def _loss(xs: list[Value]) -> Value:
    """A non-quadratic loss whose gradients change sign and size from step to step."""
    x0, x1, x2, x3, x4, x5 = xs
    return ((x0 * x1 - 1.0) ** 2 + x2.tanh() * x0 + (x1 - x2) ** 2 * 0.5 + x3 * x3 * 3.0 - x3
            + (x4 * 7.0).sin() + x5 * x5 * x5)


def _trajectory(opt: nn.Optimizer, params: list[Value]) -> list[list[float]]:
    trace = []
    for lr in LRS:
        opt.lr = lr
        opt.zero_grad()
        _loss(params).backward()
        opt.step()
        trace.append([p.data for p in params])
    return trace


def _adam_by_hand(lrs: list[float], grads_at, betas=(0.85, 0.99), eps=1e-8):
    """Adam as benchmarks/gpt_floor.py writes it, on plain floats."""
    b1, b2 = betas
    x = list(START)
    m, v = [0.0] * len(x), [0.0] * len(x)
    trace = []
    for t, lr in enumerate(lrs, 1):
        g = grads_at(x)
        step_size = lr / (1.0 - b1**t)
        correction2 = math.sqrt(1.0 - b2**t)
        for i, gi in enumerate(g):
            mi = m[i] = b1 * m[i] + (1.0 - b1) * gi
            vi = v[i] = b2 * v[i] + (1.0 - b2) * gi * gi
            x[i] -= step_size * mi / (math.sqrt(vi) / correction2 + eps)
        trace.append(list(x))
    return trace


def _grads_at(x: list[float]) -> list[float]:
    ps = [Value(xi) for xi in x]
    _loss(ps).backward()
    return [p.grad for p in ps]


def test_adam_is_the_plain_float_adam_bit_for_bit():
    params = [Value(x) for x in START]
    got = _trajectory(nn.Adam(params, betas=(0.85, 0.99)), params)
    assert got == _adam_by_hand(LRS, _grads_at)
    assert got[0] != got[-1]


# sha256 of the float.hex() of every parameter after every step, recorded from the
# per-parameter loops these optimizers had before their loops were made whole-list.
PINNED = [
    (nn.SGD, {'lr': 1.0}, "ba20fc53142d01dd3b6daede7c9671d6"),
    (nn.SGD, {'lr': 1.0, 'momentum': 0.9}, "107dc7ffbad9d0179be70ffb061bf85a"),
    (nn.SGD, {'lr': 1.0, 'momentum': 0.5, 'nesterov': True, 'weight_decay': 0.2},
     "64338927bf1787f787590e7891ee2bb4"),
    (nn.Adam, {}, "bc8b6c58aa24fb9d8fdef48e89e0ff94"),
    (nn.Adam, {'betas': (0.5, 0.9)}, "9deb7b7eca5b6c307581274eb54e25bb"),
    (nn.Adam, {'weight_decay': 0.3, 'eps': 0.001}, "9400e41ce9c6dd84ec331b28580eeaa1"),
    (nn.AdamW, {}, "d47790e83d093eb2b277d0706e12d51f"),
    (nn.AdamW, {'weight_decay': 0.5}, "7218b198d55b606ce9e70b2423ba57b8"),
    (nn.AdamW, {'betas': (0.8, 0.99), 'eps': 0.0001}, "f5ff84f36fd90af303ed10130bf8d6b8"),
    (nn.Adamax, {}, "00f1209caa3746408f450c1f4df8dd9e"),
    (nn.Adamax, {'betas': (0.5, 0.9)}, "67a79edaad91434be6a363ecf33369dc"),
    (nn.Adamax, {'weight_decay': 0.3, 'eps': 0.001}, "63eefa01c1a6fa6aa3b615530a59eff7"),
    (nn.AdaGrad, {}, "e4b8c4ce33b3abb0800092a9fd40a06f"),
    (nn.AdaGrad, {'lr_decay': 0.1}, "7fad345e912403dc529fcbed410fad5d"),
    (nn.AdaGrad, {'weight_decay': 0.5}, "cd400343e8b581d82ccaf9a2f41aea3b"),
    (nn.AdaGrad, {'initial_accumulator_value': 0.7, 'eps': 0.001},
     "86d509b8d7644d24377274c9d2b897c9"),
    (nn.RMSProp, {}, "9644888ad526da91b554a50f779b8da1"),
    (nn.RMSProp, {'alpha': 0.9}, "eafb916ec6787e8db71b2bc28fc0af7b"),
    (nn.RMSProp, {'momentum': 0.9}, "6bb06546c4e8ebe182bb6801cb012a95"),
    (nn.RMSProp, {'centered': True}, "21c3bc40afd75a7876f80f93cdedf709"),
    (nn.RMSProp, {'centered': True, 'momentum': 0.5, 'weight_decay': 0.1, 'eps': 0.0001},
     "5dda018a333f030a28711129fe403e2f"),
    (nn.RMSProp, {'alpha': 0.0}, "0f593939398d94c9bc1010c97d9149dd"),
]


@pytest.mark.parametrize("make, kwargs, digest", PINNED, ids=[f"{m.__name__}-{i}"
                                                              for i, (m, _, _) in
                                                              enumerate(PINNED)])
def test_trajectory_bits_are_pinned(make, kwargs, digest):
    params = [Value(x) for x in START]
    trace = _trajectory(make(params, **kwargs), params)
    text = " ".join(x.hex() for row in trace for x in row)
    assert hashlib.sha256(text.encode()).hexdigest()[:32] == digest


@pytest.mark.parametrize("make", [nn.SGD, nn.Adam, nn.AdaGrad])
def test_a_parameter_passed_twice_is_refused(make):
    # Updated twice per step, with two sets of moments, it would train as no optimizer does.
    p, q = Value(1.0), Value(2.0)
    with pytest.raises(ValueError, match="same Value as parameters 0 and 2"):
        make([p, q, p], lr=0.1)
