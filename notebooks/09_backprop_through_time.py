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
# # 9. Backprop through time
#
# A recurrent network reads a sequence one step at a time and carries a *hidden state* from
# step to step. `nn.RNN` is PyTorch's one-layer Elman cell: at step $t$, for each hidden unit,
#
# $$h_t = \tanh(W_{ih}\, x_t + b_{ih} + W_{hh}\, h_{t-1} + b_{hh}),$$
#
# with the **same** weights at every step and $h_0 = 0$. Run over a sequence, it builds an
# ordinary graph: the network *unrolled in time*, each step a copy of the cell wired to the
# previous one. Backprop on that graph is called backprop through time, but it is the same
# `backward()`: the only new thing is that every weight is used once per step, so, like `x`
# in `x * x`, it collects one contribution per use.
#
# This notebook draws the unrolled graph shaded by |grad|, checks that sum over time, steps
# through the last time step, trains an RNN on a small sequence task, and shows a gradient
# exploding and `nn.clip_grad_norm` taming it.

# %%
import itertools
import math
import random

import matplotlib.pyplot as plt
import numpy as np

import nn
from autograd_tiny import Value, backprop_steps, draw_dot

# %% [markdown]
# ## The unrolled graph
#
# `nn.RNNReadout(1, 1)`: one input per step, one hidden unit, and a linear readout of the last
# hidden state (`W_out h_T + b_out`). Six steps, and a cross-entropy loss on the readout. The
# parameters get short labels, so that the picture shows the chain of time steps rather than
# groups of parameters:

# %%
def unrolled(model, xs, target):
    """The loss on one sequence; hidden states labelled h{t} (h{t}.{i} for several units)."""
    outputs, h_last = model.rnn(xs)
    for t, h in enumerate(outputs, 1):
        for i, v in enumerate(h):
            name = f"{t}" if len(h) == 1 else f"{t}.{i}"
            v.label = f"h{name}"                          # tanh(e_t)
            v.children[0].label = f"e{name}"              # s_t + b_hh, the pre-activation
            v.children[0].children[0].label = f"s{name}"  # W_ih x_t + W_hh h_t-1 + b_ih
    score = model.readout(h_last)
    score.label = "score"
    loss = nn.binary_cross_entropy_with_logits([score], [target])
    loss.label = "loss"
    return outputs, loss

small = nn.RNNReadout(1, 1, seed=0)
rnn = small.rnn
rnn.weight_ih[0][0].label, rnn.weight_hh[0][0].label = "W_ih", "W_hh"
rnn.bias_ih[0].label, rnn.bias_hh[0].label = "b_ih", "b_hh"
small.readout.neurons[0].w[0].label, small.readout.neurons[0].b.label = "W_out", "b_out"
xs = [Value(v, f"x{t}") for t, v in enumerate([1.0, 0.0, 1.0, 1.0, 0.0, 1.0], 1)]
outputs, loss = unrolled(small, [[x] for x in xs], 1.0)
small.zero_grad()
loss.backward()
# Top to bottom, each value's numbers stacked: narrow enough for a 1280-px screen at full size.
draw_dot(loss, rankdir="TB", compact=True)

# %% [markdown]
# Read it from the loss on the right back to the first step on the left: the hidden states
# fade. The same `W_hh`, `W_ih`, `b_ih` and `b_hh` boxes feed every step. Each step back multiplies the gradient by $W_{hh}$ and by tanh's slope
# $1 - h_t^2 \le 1$, so with recurrent weights of this size it shrinks step by step, like the
# sigmoid chain of [notebook 5](05_activations_and_vanishing_gradients.ipynb): the *vanishing*
# gradient, now over time. The size of $\partial L / \partial h_t$ per step, for a 12-step
# sequence and three initialisations:

# %%
xs12 = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0]
per_step = []
for seed in range(3):
    model = nn.RNNReadout(1, 4, seed=seed)
    outs, loss12 = unrolled(model, xs12, 1.0)
    loss12.backward()
    per_step.append([math.sqrt(sum(v.grad ** 2 for v in h)) for h in outs])
    print(f"seed {seed}: |dL/dh_t| for t = 1..12:", " ".join(f"{g:.0e}" for g in per_step[-1]))
per_step = np.array(per_step)
assert all(row[0] < row[-1] / 100 for row in per_step)

fig, ax = plt.subplots(figsize=(6, 2.8), dpi=80)
ax.plot(range(1, 13), per_step.T, "o-", ms=3)
ax.set(yscale="log", xlabel="time step t", ylabel="|dL/dh_t|", title="vanishing over time")
plt.show()

# %% [markdown]
# On every seed the first step's hidden state gets less than a hundredth of the last one's
# gradient: what the network saw twelve steps ago barely changes its weights.
#
# ## One weight, many uses: the gradient sums over time
#
# The recurrent weight $W_{hh}$ enters every step $t \ge 2$ (at $t = 1$, $h_0 = 0$). Its
# gradient is the sum of one contribution per step: the gradient at that step's pre-activation
# times the state $h_{t-1}$ it multiplied. The pre-activation is the node just below each
# `tanh`:

# %%
for i in range(rnn.hidden_size):
    for j in range(rnn.hidden_size):
        contributions = [outputs[t][i].children[0].grad * outputs[t - 1][j].data
                         for t in range(1, len(xs))]
        w = rnn.weight_hh[i][j]
        print(f"W_hh[{i}][{j}].grad = {w.grad:+.6f} = sum of",
              " ".join(f"{c:+.4f}" for c in contributions))
        assert math.isclose(w.grad, math.fsum(contributions), rel_tol=1e-12, abs_tol=1e-15)

# %% [markdown]
# ## Stepping through the last time step
#
# `backprop_steps` lists backward's chain-rule steps in order. The first ones are the loss, the
# readout and the last time step: the `tanh`, the pre-activation (`+ b_hh`), and the fused
# dot product that hands gradient to the weights, to $x_6$ and to $h_5$, the state before it.

# %%
steps = backprop_steps(loss)
h5 = outputs[-2]
k5 = next(k for k, step in enumerate(steps) if step.node in h5)   # the first step inside step 5
last = {id(v) for v in outputs[-1]}                                 # h6: tanh,
last |= {id(v.children[0]) for v in outputs[-1]}                    # + bias_hh,
last |= {id(c) for v in outputs[-1] for c in v.children[0].children if c.op}   # the dot
shown = [step for step in steps[:k5] if step.node.label == "score" or id(step.node) in last]
print(f"{k5} steps before the first one inside time step 5: {k5 - len(shown)} through the "
      f"loss's own nodes, then these {len(shown)}:\n")
for step in shown:
    print(step.explain())
    print()

# %% [markdown]
# After these steps $h_5$ holds its whole gradient: it is used only by step 6, and step 6 is
# done. The step-through's numbers are the ones `backward()` produced:

# %%
assert all(steps.grads[v] == v.grad for v in h5)
assert all(steps.grads[w] == w.grad for row in rnn.weight_hh for w in row)
print("h5.grad =", [f"{v.grad:+.6f}" for v in h5])
k = next(i for i, s in enumerate(steps) if s.node is outputs[-1][0])
steps[k].graph(rankdir="TB", compact=True)

# %% [markdown]
# ## Training: parity of a bit sequence
#
# `nn.datasets.parity(n, length)` gives random bit sequences, one bit per time step, labelled 1
# when the number of ones is odd. The label depends on every bit, so the network must carry
# what it has seen through all the steps. Sequences of three bits, `RNNReadout(1, 4)`, Adam,
# mini-batches of 8, 60 epochs, three seeds; then every one of the 8 possible sequences is
# classified:

# %%
X, y = nn.datasets.parity(32, length=3, seed=0)
every_sequence = [list(map(float, bits)) for bits in itertools.product([0, 1], repeat=3)]
results = []
for seed in range(3):
    model = nn.RNNReadout(1, 4, seed=seed)
    history = nn.fit(model, X, y, loss="bce_logits", epochs=60, batch_size=8, seed=seed,
                     optimizer=nn.Adam(model.parameters(), lr=0.05), progress=False)
    right = sum((model(x).data > 0) == (sum(x) % 2 == 1) for x in every_sequence)
    results.append((history, right))
    print(f"seed {seed}: loss {history.loss[0]:.3f} -> {history.loss[-1]:.3f}, "
          f"{right} of 8 sequences right")
assert all(right == 8 for _, right in results)

# %% [markdown]
# ## Exploding gradients, and clipping
#
# The opposite failure: when the recurrent weight is above 1 and the state is not squashed,
# each step back *multiplies* the gradient, and it explodes. A one-unit ReLU RNN with
# $W_{hh} = 1.3$ reads 20 numbers drawn from [0, 1] and should output their mean; 16 such
# sequences, squared error. Through 20 steps the gradient carries factors up to
# $1.3^{19} \approx 150$ (and its sum over steps far more): one SGD step with learning rate
# 0.1 throws $W_{hh}$ far past any sensible value.
#
# `nn.clip_grad_norm(params, max_norm)` (PyTorch's `clip_grad_norm_`) computes the norm of
# all the gradients together and, when it is above `max_norm`, scales them all down to it:
# same direction, bounded step. The same run with and without it, for three data sets and
# readout initialisations:

# %%
def mean_task(seed):
    rng = random.Random(seed)
    X = [[rng.random() for _ in range(20)] for _ in range(16)]
    return X, [sum(x) / len(x) for x in X]

def train_rnn(seed, clip, lr=0.1, steps=100):
    X, y = mean_task(seed)
    model = nn.RNNReadout(1, 1, nonlinearity="relu", seed=seed)
    model.rnn.weight_hh[0][0].data = 1.3
    model.rnn.weight_ih[0][0].data = 0.5
    model.rnn.bias_ih[0].data, model.rnn.bias_hh[0].data = 0.1, 0.0
    opt = nn.SGD(model.parameters(), lr=lr)
    norms, losses, w_hh = [], [], []
    for _ in range(steps):
        loss = nn.mse_loss([model(x) for x in X], y)
        opt.zero_grad()
        loss.backward()
        if clip:
            norms.append(nn.clip_grad_norm(model.parameters(), max_norm=1.0))
        else:
            norms.append(math.sqrt(sum(p.grad ** 2 for p in model.parameters())))
        opt.step()
        losses.append(loss.data)
        w_hh.append(model.rnn.weight_hh[0][0].data)
    return np.array(norms), np.array(losses), np.array(w_hh), float(np.var(y))

clipping = {clip: [train_rnn(seed, clip) for seed in range(3)] for clip in (False, True)}
for clip, runs in clipping.items():
    for seed, (norms, losses, w_hh, var) in enumerate(runs):
        print(f"{'clipped  ' if clip else 'unclipped'} seed {seed}: first gradient norm "
              f"{norms[0]:.0e}, W_hh after 1 step {w_hh[0]:+.3g}, after 100 {w_hh[-1]:+.3g};  "
              f"loss {losses[0]:.3g} -> {losses[-1]:.2e} (predicting the mean: {var:.2e})")

# %% [markdown]
# The first gradient is in the thousands or more on every seed. Unclipped, the first step sends
# $W_{hh}$ to a large negative value, and the run never recovers: the network's output no
# longer depends on the sequence, and the loss settles exactly at that of predicting the
# average target for every sequence. Clipped, $W_{hh}$ moves at most
# 0.1 per step, comes down below 1 where the state no longer explodes, and the network ends
# below that baseline on every seed: it uses the sequence.

# %%
for seed in range(3):
    norms, losses, w_hh, var = clipping[False][seed]
    assert norms[0] > 1000 and w_hh[0] < -5
    assert math.isclose(losses[-1], var, rel_tol=1e-3)
    norms, losses, w_hh, var = clipping[True][seed]
    assert np.all(np.abs(np.diff(np.concatenate([[1.3], w_hh]))) <= 0.1 + 1e-12)
    assert 0 < w_hh[-1] < 1 and losses[-1] < var

fig, axes = plt.subplots(1, 2, figsize=(10, 3), dpi=80)
for clip, runs in clipping.items():
    for seed, (_, losses, w_hh, _) in enumerate(runs):
        style = dict(color="C1" if clip else "C0", label=("clipped" if clip else "unclipped")
                     if seed == 0 else None)
        axes[0].plot(losses, **style)
        axes[1].plot(w_hh, **style)
for _, _, _, var in clipping[True]:
    axes[0].axhline(var, color="k", ls=":", lw=0.8)
axes[0].set(yscale="log", xlabel="step", ylabel="squared error",
            title="loss (dotted: predicting the mean target)")
axes[1].set(yscale="symlog", xlabel="step", ylabel="W_hh", title="the recurrent weight")
axes[0].legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# Clipping changes the step's length, never its direction, so it costs nothing when the
# gradient is small and saves the run when one step's gradient is huge. It does nothing for
# the *vanishing* gradient of the first sections: that needs cells built to carry a state
# over many steps (LSTM and GRU), or shorter paths through time.
