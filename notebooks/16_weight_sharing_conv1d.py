# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 16. Weight sharing: a 1-D convolution
#
# A dense layer gives every output its own weights. A *convolution* slides one small kernel
# along the input and uses the **same** weights at every position:
#
# $$y_t = b + \sum_{k} w_k\, x_{t+k}.$$
#
# In the graph, each kernel weight $w_k$ is one node used by every output $y_t$: a reused
# node, exactly like `x` in `x * x` in [notebook 1](01_values_and_the_chain_rule.ipynb). So
# backprop needs nothing new: the engine's `child.grad += local * node.grad` adds up one
# contribution per position,
#
# $$\frac{\partial L}{\partial w_k} = \sum_t \frac{\partial L}{\partial y_t}\, x_{t+k}.$$
#
# This notebook builds `nn.Conv1d` (PyTorch's `Conv1d` on one sample of `Value`s), takes a
# shared weight's gradient apart position by position, checks everything against PyTorch in
# float64, and measures what sharing buys when data is scarce.

# %%
import random

import matplotlib.pyplot as plt
import numpy as np
import torch

import nn
from autograd_tiny import Value, backprop_steps

# %% [markdown]
# ## One kernel, one channel
#
# `Conv1d(in_channels, out_channels, kernel_size)`; the input is a list of channels, each a
# list of numbers (PyTorch's unbatched `(C_in, L)`), and so is the output. A kernel of 3 on a
# signal of 8 gives 8 - 3 + 1 = 6 outputs, each one `dot` node:

# %%
conv = nn.Conv1d(1, 1, kernel_size=3, seed=0)
print(conv, [f"{name} = {p.data:+.4f}" for name, p in conv.named_parameters()])
x = [Value(v, f"x{t}") for t, v in enumerate([0.5, -1.0, 2.0, 0.0, 1.5, -0.5, 1.0, -2.0])]
y = conv([x])[0]
print("y =", [round(v.data, 4) for v in y])
w = conv.weight[0][0]
b = conv.bias[0]
by_hand = [b.data + sum(w[k].data * x[t + k].data for k in range(3)) for t in range(6)]
assert np.allclose([v.data for v in y], by_hand, rtol=1e-15, atol=1e-15)
assert all(v.op == "dot" and w[0] in v.children for v in y)   # w0 is a child of every output

# %% [markdown]
# ## A shared weight's gradient, position by position
#
# Take $L = \frac12 \sum_t y_t^2$, so $\partial L / \partial y_t = y_t$. Each output $y_t$
# hands $w_k$ the amount $y_t \cdot x_{t+k}$; `backward()` adds the six amounts.

# %%
L = Value.sum([v * v for v in y]) * 0.5
L.backward()
contributions = np.array([[y[t].data * x[t + k].data for t in range(6)] for k in range(3)])
for k in range(3):
    print(f"w{k}: per position", np.round(contributions[k], 4),
          f" sum {contributions[k].sum():+.6f}   w{k}.grad {w[k].grad:+.6f}")
print(f"b:  sum of dL/dy_t = {sum(v.data for v in y):+.6f}   b.grad {b.grad:+.6f}")
assert np.allclose(contributions.sum(axis=1), [wk.grad for wk in w], rtol=1e-12, atol=1e-12)
assert np.isclose(b.grad, sum(v.data for v in y), rtol=1e-12)

# %% [markdown]
# The step-through shows the same thing from the engine's side: six of its steps (one per
# output node) add an amount to `weight.0.0.0`, and those amounts are the row for $w_0$ above.
# (The step text shortens dotted parameter names: `weight.0.0.0` is written `W0.0.0`.)

# %%
steps = backprop_steps(L)
to_w0 = [amount for step in steps for child, amount in step.contributions if child is w[0]]
print(len(steps), "steps;", len(to_w0), "of them add to w0:", np.round(to_w0, 4))
assert len(to_w0) == 6
assert np.allclose(sorted(to_w0), sorted(contributions[0]), rtol=1e-12, atol=1e-12)
print(next(s for s in steps if s.node is y[2]).explain())

# %% [markdown]
# Had the engine *overwritten* grads (`child.grad = ...`), $w_0$ would keep only the last
# position it was reached from, one sixth of the story, and a convolution would train on a
# gradient that ignores most of the signal:

# %%
last = to_w0[-1]
print(f"overwriting would give w0.grad = {last:+.4f}; the true gradient is {w[0].grad:+.4f}")
assert not np.isclose(last, w[0].grad)

# %%
fig, ax = plt.subplots(figsize=(6.5, 2.8), dpi=80)
for k in range(3):
    ax.plot(range(6), contributions[k], "o-", label=f"w{k}: sum {contributions[k].sum():+.2f}")
ax.axhline(0, color="0.6", lw=0.8)
ax.set(xlabel="output position t", ylabel="contribution y_t · x_{t+k}",
       title="each kernel weight's gradient is the sum of one line")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## The same numbers as PyTorch
#
# A bigger case: 2 input channels, 3 output channels, kernel 3, stride 2, padding 1, on a
# signal of length 9. PyTorch's `torch.nn.Conv1d` in float64 gets the same weights; both
# compute the outputs and, for $L = \sum_{o,t} c_{o,t}\, y_{o,t}$ with fixed random
# $c$, the gradients of the input, the kernel and the bias. (`tests/test_nn_conv.py` checks
# more shapes, dilation and no-bias included.)

# %%
conv2 = nn.Conv1d(2, 3, kernel_size=3, stride=2, padding=1, seed=1)
rng = np.random.default_rng(0)
signal = rng.uniform(-2, 2, size=(2, 9))
xv = [[Value(float(v)) for v in row] for row in signal]
out = conv2(xv)
coef = rng.uniform(-1, 1, size=(3, len(out[0])))
loss = Value.sum([float(c) * v for crow, vrow in zip(coef, out, strict=True)
                  for c, v in zip(crow, vrow, strict=True)])
loss.backward()

t_conv = torch.nn.Conv1d(2, 3, 3, stride=2, padding=1, dtype=torch.float64)
with torch.no_grad():
    t_conv.weight.copy_(torch.tensor([[[p.data for p in wi] for wi in wo] for wo in conv2.weight],
                                     dtype=torch.float64))
    t_conv.bias.copy_(torch.tensor([p.data for p in conv2.bias], dtype=torch.float64))
xt = torch.tensor(signal, requires_grad=True)
out_t = t_conv(xt)
(torch.tensor(coef) * out_t).sum().backward()

ours = {
    "output": np.array([[v.data for v in row] for row in out]),
    "input grad": np.array([[v.grad for v in row] for row in xv]),
    "weight grad": np.array([[[p.grad for p in wi] for wi in wo] for wo in conv2.weight]),
    "bias grad": np.array([p.grad for p in conv2.bias]),
}
theirs = {"output": out_t.detach().numpy(), "input grad": xt.grad.numpy(),
          "weight grad": t_conv.weight.grad.numpy(), "bias grad": t_conv.bias.grad.numpy()}
for name in ours:
    diff = np.abs(ours[name] - theirs[name]).max()
    print(f"{name:12s} shape {ours[name].shape}   largest difference from PyTorch {diff:.1e}")
    assert ours[name].shape == theirs[name].shape and diff < 1e-12

# %% [markdown]
# ## What sharing buys: a kernel learned from five signals
#
# The target is an edge detector, $y_t = x_t - x_{t+2}$ (the kernel $[1, 0, -1]$, no bias),
# on signals of length 10, so 8 outputs per signal. Two models learn it from the same **5**
# random signals (40 output numbers):
#
# - `Conv1d(1, 1, 3)`: 4 parameters, the same at every position;
# - a dense linear `Layer(10, 8)`: 88 parameters, every output with its own weights.
#
# Each is trained with Adam (lr 0.05, 300 full-batch steps) on the mean squared error, then
# scored on 100 fresh signals. Seeds 0-9, chosen before running, draw both the signals and
# the initial weights.

# %%
KERNEL = [1.0, 0.0, -1.0]

def edges(signal):
    return [signal[t] * KERNEL[0] + signal[t + 2] * KERNEL[2] for t in range(len(signal) - 2)]

def mse(model_out, signals):
    preds = [v for s in signals for v in model_out(s)]
    targets = [v for s in signals for v in edges(s)]
    return nn.mse_loss(preds, targets)

def learn(seed, shared, n_train=5, n_test=100, steps=300):
    rng = np.random.default_rng(seed)
    train = rng.normal(size=(n_train, 10)).tolist()
    test = rng.normal(size=(n_test, 10)).tolist()
    if shared:
        model = nn.Conv1d(1, 1, 3, seed=seed)
        def run(s):
            return model([s])[0]
    else:
        model = nn.Layer(10, 8, "linear", rng=random.Random(seed))
        run = model
    opt = nn.Adam(model.parameters(), lr=0.05)
    for _ in range(steps):
        loss = mse(run, train)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, loss.data, mse(run, test).data

SEEDS = list(range(10))
results = {shared: [learn(seed, shared) for seed in SEEDS] for shared in (True, False)}
for shared, name in ((True, "Conv1d(1, 1, 3), 4 parameters"), (False, "Layer(10, 8), 88")):
    print(f"{name:31s} train MSE", [f"{r[1]:.0e}" for r in results[shared]])
    print(f"{'':31s} test MSE ", [f"{r[2]:.0e}" for r in results[shared]])
kernels = [[round(p.data, 3) for p in r[0].weight[0][0]] for r in results[True]]
print("learned kernels:", kernels[:3], "...")

# %%
conv_wins = sum(c[2] < d[2] / 100 for c, d in zip(results[True], results[False], strict=True))
recovered = sum(np.allclose([p.data for p in r[0].weight[0][0]], KERNEL, atol=1e-2)
                for r in results[True])
print(f"conv test MSE 100x below the dense layer's on {conv_wins} of {len(SEEDS)} seeds; "
      f"kernel recovered to 0.01 on {recovered} of {len(SEEDS)}")
assert conv_wins >= 9 and recovered >= 9

fig, ax = plt.subplots(figsize=(6.5, 3), dpi=80)
ax.semilogy(SEEDS, [r[2] for r in results[True]], "o", label="Conv1d, 4 parameters")
ax.semilogy(SEEDS, [r[2] for r in results[False]], "s", label="dense Layer, 88 parameters")
ax.set(xlabel="seed", ylabel="test MSE (100 fresh signals)",
       title="learning an edge detector from 5 signals")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Both fit the five training signals. The dense layer has more unknowns than the 40 numbers
# it is shown, so it fits them in many ways, almost all wrong elsewhere, and its test error
# stays high. The convolution has the fact "the same rule applies at every position" built in:
# 40 equations for 4 unknowns, and it recovers $[1, 0, -1]$. The price is that it can only
# express position-independent rules, which is exactly why convolutions suit signals and
# images.
#
# **Back to:** [1. Values and the chain rule](01_values_and_the_chain_rule.ipynb), where the
# accumulation that makes this work was first met on `x * x`.
