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
# sequence and ten initialisations, `SEEDS`, the seeds every claim of this notebook is checked
# on:

# %%
SEEDS = range(100, 110)
xs12 = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0]
per_step = []
for seed in SEEDS:
    model = nn.RNNReadout(1, 4, seed=seed)
    outs, loss12 = unrolled(model, xs12, 1.0)
    loss12.backward()
    per_step.append([math.sqrt(sum(v.grad ** 2 for v in h)) for h in outs])
    print(f"seed {seed}: |dL/dh_t| for t = 1..12:", " ".join(f"{g:.0e}" for g in per_step[-1]))
per_step = np.array(per_step)
below_a_hundredth = sum(row[0] < row[-1] / 100 for row in per_step)
print(f"first step below a hundredth of the last: {below_a_hundredth} of {len(SEEDS)}")
assert all((np.diff(row) > 0).all() for row in per_step)
assert all(row[0] < row[-1] / 50 for row in per_step) and below_a_hundredth == 9

fig, ax = plt.subplots(figsize=(6, 2.8), dpi=80)
ax.plot(range(1, 13), per_step.T, "o-", ms=3, label=[f"seed {seed}" for seed in SEEDS])
ax.set(yscale="log", xlabel="time step t", ylabel="|dL/dh_t|", title="vanishing over time")
ax.legend(fontsize=6, ncol=2)
plt.show()

# %% [markdown]
# On all ten seeds the gradient grows at every step from the first to the last, and the
# first step's hidden state gets less than a fiftieth of the last one's gradient (less than a
# hundredth on nine): what the network saw twelve steps ago barely changes its weights.
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
# mini-batches of 8, 60 epochs, the ten seeds (`compile=True` runs each step as generated
# Python, with the same numbers; notebook 8 shows how); then every one of the 8 possible
# sequences is classified:

# %%
X, y = nn.datasets.parity(32, length=3, seed=0)
every_sequence = [list(map(float, bits)) for bits in itertools.product([0, 1], repeat=3)]
results = []
for seed in SEEDS:
    model = nn.RNNReadout(1, 4, seed=seed)
    history = nn.fit(model, X, y, loss="bce_logits", epochs=60, batch_size=8, seed=seed,
                     optimizer=nn.Adam(model.parameters(), lr=0.05), progress=False,
                     compile=True)
    right = sum((model(x).data > 0) == (sum(x) % 2 == 1) for x in every_sequence)
    results.append((history, right))
    print(f"seed {seed}: loss {history.loss[0]:.3f} -> {history.loss[-1]:.3f}, "
          f"{right} of 8 sequences right")
all_right = sum(right == 8 for _, right in results)
print(f"all 8 sequences right on {all_right} of {len(SEEDS)} seeds")
assert all_right == 9 and all(right >= 6 for _, right in results)

# %% [markdown]
# On 9 of the 10 seeds the network classifies all 8 sequences; on the tenth it gets 6 of them.

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
# same direction, bounded step. The same run with and without it, for the ten seeds (each
# seed draws the data set and the readout's initial weights). At every step we also check
# whether the ReLU state is *dead*: the last hidden state 0 for every sequence. Only the last
# hidden state feeds the readout, so then no gradient at all reaches the RNN's weights, and
# nothing can revive them.

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
    w_out = model.readout.neurons[0].w[0].data
    opt = nn.SGD(model.parameters(), lr=lr)
    norms, losses, w_hh, dead = [], [], [], []
    for _ in range(steps):
        last_states = [model.rnn([[v] for v in x])[1] for x in X]
        dead.append(all(h[0].data == 0 for h in last_states))
        loss = nn.mse_loss([model.readout(h) for h in last_states], y)
        opt.zero_grad()
        loss.backward()
        if clip:
            norms.append(nn.clip_grad_norm(model.parameters(), max_norm=1.0))
        else:
            norms.append(math.sqrt(sum(p.grad ** 2 for p in model.parameters())))
        opt.step()
        losses.append(loss.data)
        w_hh.append(model.rnn.weight_hh[0][0].data)
    rnn = model.rnn
    final = {"W_ih": rnn.weight_ih[0][0].data, "W_hh": rnn.weight_hh[0][0].data,
             "b_ih": rnn.bias_ih[0].data, "b_hh": rnn.bias_hh[0].data}
    return {"norms": np.array(norms), "losses": np.array(losses), "w_hh": np.array(w_hh),
            "dead": np.array(dead), "baseline": float(np.var(y)), "w_out": w_out,
            "final": final}

def first_dead(run):
    """After how many steps the state was first dead (dead[k]: before step k + 1), or None."""
    return int(np.argmax(run["dead"])) if run["dead"].any() else None

clipping = {clip: [train_rnn(seed, clip) for seed in SEEDS] for clip in (False, True)}
for clip, runs in clipping.items():
    for seed, r in zip(SEEDS, runs, strict=True):
        print(f"{'clipped  ' if clip else 'unclipped'} seed {seed}: first gradient norm "
              f"{r['norms'][0]:.0e}, W_hh after 1 step {r['w_hh'][0]:+.3g};  loss "
              f"{r['losses'][0]:.3g} -> {r['losses'][-1]:.2e} (predicting the mean: "
              f"{r['baseline']:.2e});  dead after step {first_dead(r)}")

# %% [markdown]
# The first gradient's norm is above 100 on every seed (above 1,000 on nine). Unclipped, the
# first step kills the ReLU state on all ten seeds (on nine it also sends $W_{hh}$ below -100):
# from then on the network's output is the readout's bias alone, whatever the sequence, and the
# loss settles at that of predicting the average target for every sequence (within 0.1%).

# %%
unclipped = clipping[False]
assert all(r["norms"][0] > 100 for r in unclipped)
assert sum(r["norms"][0] > 1000 for r in unclipped) == 9
assert all(first_dead(r) == 1 and r["dead"][1:].all() for r in unclipped)
assert sum(r["w_hh"][0] < -100 for r in unclipped) == 9
assert all(math.isclose(r["losses"][-1], r["baseline"], rel_tol=1e-3) for r in unclipped)

# %% [markdown]
# Clipped, every parameter moves at most lr · max_norm = 0.1 per step, so $W_{hh}$ comes down
# from 1.3 gradually and ends below 1 on every seed. But clipping does **not** prevent a dead
# ReLU state. On 4 of the 10 seeds the clipped run ends below the predict-the-mean baseline:
# it uses the sequence. On another 4 the state dies all the same, after 6 to 12 steps, and
# stays dead to the end, with the loss at the baseline. On the remaining 2 it is alive but
# still above the baseline after 100 steps.

# %%
clipped = clipping[True]
beats = [r["losses"][-1] < r["baseline"] for r in clipped]
died = [first_dead(r) for r in clipped]
print("clipped, ends below the baseline:", [s for s, b in zip(SEEDS, beats, strict=True) if b])
print("clipped, dead after step:", {s: d for s, d in zip(SEEDS, died, strict=True) if d})
print("readout weight W_out at the start, dead runs:",
      [f"{r['w_out']:+.2f}" for r, d in zip(clipped, died, strict=True) if d],
      " the others:", [f"{r['w_out']:+.2f}" for r, d in zip(clipped, died, strict=True) if not d])
assert all(np.all(np.abs(np.diff(np.concatenate([[1.3], r["w_hh"]]))) <= 0.1 + 1e-12)
           for r in clipped)
assert all(0 < r["w_hh"][-1] < 1 for r in clipped)
assert sum(beats) == 4 and sum(d is not None for d in died) == 4
assert all(6 <= d <= 12 and r["dead"][d:].all() for r, d in zip(clipped, died, strict=True)
           if d is not None)
assert not any(b and d is not None for b, d in zip(beats, died, strict=True))
dead_runs = [r for r, d in zip(clipped, died, strict=True) if d is not None]
start = {"W_ih": 0.5, "W_hh": 1.3, "b_ih": 0.1, "b_hh": 0.0}
for r in dead_runs:
    print("dead run, the RNN's weights at the end:",
          {k: f"{v:+.3f} (from {start[k]:+.1f})" for k, v in r["final"].items()})
assert all(-0.6 < r["w_out"] < -0.3 for r in dead_runs)
assert all(r["final"][k] < start[k] for r in dead_runs for k in start)
assert all(math.isclose(r["losses"][-1], r["baseline"], rel_tol=1e-3) for r in dead_runs)

# %% [markdown]
# Why: clipping bounds each step's *length*, not its direction. In the four runs that die, the
# readout's initial weight $W_{out}$ is clearly negative (-0.34 to -0.57), so the exploding
# hidden state makes the output far too negative, and the gradient says, step after step,
# "lower the hidden state": the biases, $W_{ih}$ and $W_{hh}$ all fall, by up to 0.1 a step
# (in all four they end below where they started: the biases at about -0.12 and -0.22,
# $W_{ih}$ at about 0.37, $W_{hh}$ at about 0.9).
# Six to twelve such short steps in the same direction are enough to make the last step's
# pre-activation negative for every sequence. Once it is, the ReLU's slope is
# 0 everywhere, the gradient reaching the RNN is exactly 0, and clipping has nothing to scale.
# A unit that cannot die (tanh, leaky ReLU), a smaller learning rate or a better
# initialisation are the remedies; clipping only keeps one huge step from doing the damage at
# once.

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3), dpi=80)
outcome_colour = {"unclipped": "C0", "clipped, below the baseline": "C2",
                  "clipped, dead": "C3", "clipped, alive, above the baseline": "C1"}
for clip, runs in clipping.items():
    for r, b, d in zip(runs, beats, died, strict=True):
        outcome = ("unclipped" if not clip else "clipped, below the baseline" if b
                   else "clipped, dead" if d else "clipped, alive, above the baseline")
        axes[0].plot(r["losses"] / r["baseline"], color=outcome_colour[outcome], lw=1)
        axes[1].plot(r["w_hh"], color=outcome_colour[outcome], lw=1)
axes[0].axhline(1, color="k", ls=":", lw=0.8)
axes[0].set(yscale="log", xlabel="step", ylabel="loss / predicting the mean",
            title="loss (dotted: predicting the mean target)")
axes[1].set(yscale="symlog", xlabel="step", ylabel="W_hh", title="the recurrent weight")
for name, colour in outcome_colour.items():
    for ax in axes:
        ax.plot([], [], color=colour, label=name)
for ax in axes:
    ax.legend(fontsize=7)
plt.tight_layout()
plt.show()

# %% [markdown]
# Clipping changes the step's length, never its direction, so it costs nothing when the
# gradient is small and keeps one huge gradient from throwing the weights far away in one
# step; as above, it cannot stop a series of short steps from going the wrong way. It does nothing for
# the *vanishing* gradient of the first sections: that needs cells built to carry a state
# over many steps (LSTM and GRU), or shorter paths through time.
