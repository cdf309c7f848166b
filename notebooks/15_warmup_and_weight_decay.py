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
# # 15. Warm-up and weight decay under Adam
#
# Two settings that almost every modern training recipe has, both easiest to understand from
# how Adam sizes its steps:
#
# 1. **Learning-rate warm-up**: start with a small learning rate and raise it over the first
#    steps. Why would the *first* steps need a smaller rate than later ones?
# 2. **Weight decay**: `nn.Adam(weight_decay=λ)` adds $\lambda p$ to every gradient (an L2
#    penalty $\frac{\lambda}{2}\sum p^2$ folded into the gradient), while `nn.AdamW` shrinks
#    every weight by $1 - \eta\lambda$ per step, outside the gradient ("decoupled"). Under
#    plain SGD the two are the same thing; under Adam they are not.
#
# Both start from one fact about Adam, which
# [notebook 6](06_optimizers_schedules_regularisation.ipynb) showed on a steady slope: **a
# bigger gradient is not a bigger step.**

# %%
import matplotlib.pyplot as plt
import numpy as np

import nn
from autograd_tiny import Value, no_grad

# %% [markdown]
# ## Adam's first step moves every weight by the learning rate
#
# Adam steps by $\eta\, \hat m / (\sqrt{\hat v} + \epsilon)$, with $\hat m$ and $\hat v$ the
# bias-corrected running averages of $g$ and $g^2$. At the first step they are exactly $g$
# and $g^2$, so the step is $\eta\, g / |g| = \pm\eta$: **every weight moves by the learning
# rate, whatever the size of its gradient.** SGD moves each weight by $\eta\, g$.
#
# One step of each from the same weights (`MLP(2, [16, 16, 1])`, seed 0), on the gradient of
# the cross-entropy over 10 moons points:

# %%
X, y = nn.datasets.make_moons(100, noise=0.1, seed=7)

def first_step(make_optimizer, scale=1.0, seed=0):
    """|gradient| and |change| of every parameter after one step on the first 10 points."""
    model = nn.MLP(2, [16, 16, 1], seed=seed)
    before = np.array([p.data for p in model.parameters()])
    loss = nn.binary_cross_entropy_with_logits([model(x) for x in X[:10]], y[:10]) * scale
    loss.backward()
    grads = np.abs([p.grad for p in model.parameters()])
    make_optimizer(model.parameters()).step()
    return grads, np.abs(np.array([p.data for p in model.parameters()]) - before)

lr = 0.01
g, adam_moves = first_step(lambda ps: nn.Adam(ps, lr=lr))
_, sgd_moves = first_step(lambda ps: nn.SGD(ps, lr=lr))
live = g > 0   # a parameter behind a ReLU that is off for all 10 points gets no gradient
print(f"{live.sum()} of {len(g)} parameters have a gradient; |gradient| from {g[live].min():.1e} "
      f"to {g[live].max():.1e}")
print(f"SGD  moves them by {sgd_moves[live].min():.1e} .. {sgd_moves[live].max():.1e}")
print(f"Adam moves them by {adam_moves[live].min():.6f} .. {adam_moves[live].max():.6f}")
assert g[live].max() / g[live].min() > 1e3
assert np.allclose(adam_moves[live], lr, rtol=1e-4) and np.all(adam_moves[~live] == 0)
assert np.allclose(sgd_moves, lr * g, rtol=1e-9, atol=1e-15)

fig, ax = plt.subplots(figsize=(6, 3.2), dpi=80)
ax.loglog(g[live], sgd_moves[live], ".", label="SGD: step = lr · |g|")
ax.loglog(g[live], adam_moves[live], ".", label="Adam's first step: lr, for every weight")
ax.set(xlabel="|gradient|", ylabel="|change of the weight|", title=f"one step, lr {lr}")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **A bigger gradient is not a bigger step.** Multiplying the loss by 1000 multiplies every
# gradient by 1000; SGD's steps grow 1000 times, Adam's do not change (only $\epsilon$ =
# 1e-8 stands between them and exact invariance). Not only the first step: $\hat m /
# \sqrt{\hat v}$ is the gradient's running mean over its running RMS, so Adam's step is set by
# the learning rate and by how *consistent* the gradient's sign has been, never by its size.
# Twenty full-batch steps with the loss as it is and times 1000 end at the same weights, up
# to what $\epsilon$ changes in the steps of the smallest gradients:

# %%
_, adam_big = first_step(lambda ps: nn.Adam(ps, lr=lr), scale=1000.0)
_, sgd_big = first_step(lambda ps: nn.SGD(ps, lr=lr), scale=1000.0)
print(f"loss x 1000, first step: SGD's steps x {np.median(sgd_big[live] / sgd_moves[live]):.0f}, "
      f"Adam's x {np.median(adam_big[live] / adam_moves[live]):.6f}")
assert np.allclose(adam_big, adam_moves, rtol=1e-4, atol=1e-12)
assert np.allclose(sgd_big[live], 1000 * sgd_moves[live], rtol=1e-9)

def adam_path(scale, steps=20):
    model = nn.MLP(2, [16, 16, 1], seed=0)
    opt = nn.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = nn.binary_cross_entropy_with_logits([model(x) for x in X], y) * scale
        opt.zero_grad()
        loss.backward()
        opt.step()
    return np.array([p.data for p in model.parameters()])

start = np.array([p.data for p in nn.MLP(2, [16, 16, 1], seed=0).parameters()])
path_1, path_1000 = adam_path(1.0), adam_path(1000.0)
moved, gap = np.abs(path_1 - start).max(), np.abs(path_1 - path_1000).max()
print(f"after 20 Adam steps the weights moved by up to {moved:.3f}; the two runs' weights "
      f"differ by at most {gap:.1e}")
assert moved > 0.1 and gap < 0.005 * moved

# %% [markdown]
# ## Why warm-up helps
#
# So at step 1 every weight that has a gradient moves by the full learning rate at once, each
# in the direction of *one* mini-batch's gradient, with $\hat v$ estimated from that single
# gradient: a change as large as any later step, made on the least information. With a large
# rate that change can throw ReLU units into the region where they output 0 for every input
# (*dead*: while they stay there, no gradient from this data reaches their weights). Warm-up
# scales the first steps down while $m$ and $v$ average over more mini-batches:
# $\eta_k = \eta \cdot \min(1, (k + 1) / 20)$ here, a linear ramp over 20 steps, then constant.
#
# The experiment: moons (100 points), `MLP(2, [16, 16, 1])`, Adam at lr 0.1, mini-batches of
# 10, with and without the warm-up; seeds 0-19 (fixed before running) draw the initial
# weights and the batches. Measured: the hidden units dead on all 100 points after step 20
# (the end of the warm-up), and the full-batch loss after 100 steps. (`fit(compile=True)`
# runs each sample's loss as generated code, [notebook 8](08_backprop_as_code.ipynb): the
# same numbers, several times faster.)

# %%
def dead_units(model):
    """Hidden ReLU units whose output is 0 on every training point."""
    dead = 0
    with no_grad():
        hs = [[Value(v) for v in x] for x in X]
        for layer in model.layers[:-1]:
            hs = [layer.forward(h) for h in hs]
            dead += sum(all(h[j].data <= 0.0 for h in hs) for j in range(layer.nout))
    return dead

def full_loss(model):
    with no_grad():
        return nn.binary_cross_entropy_with_logits([model(x) for x in X], y).data

def warmup_only(peak, steps):
    """lr(k) = peak * min(1, (k + 1) / steps): a linear ramp, then constant."""
    return lambda k: peak * min(1.0, (k + 1) / steps)

def run(seed, warmup, peak=0.1):
    model = nn.MLP(2, [16, 16, 1], seed=seed)
    opt = nn.Adam(model.parameters(), lr=peak)
    schedule = warmup_only(peak, 20) if warmup else None
    dead = {0: dead_units(model)}
    losses = []
    for epochs in (2, 8):     # 10 steps per epoch: to step 20, then to step 100
        history = nn.fit(model, X, y, loss="bce_logits", optimizer=opt, epochs=epochs,
                         batch_size=10, schedule=schedule, seed=100 * seed + epochs,
                         progress=False, compile=True)
        losses += history.loss
        dead[opt.steps] = dead_units(model)
    return {"curve": losses, "final": full_loss(model), "dead": dead}

WARMUP_SEEDS = list(range(20))
warm = {w: [run(seed, w) for seed in WARMUP_SEEDS] for w in (False, True)}
for w, name in ((False, "no warm-up"), (True, "warm-up 20")):
    print(f"{name:10s} dead units at step 0:  ", [r["dead"][0] for r in warm[w]])
    print(f"{'':10s} dead units at step 20: ", [r["dead"][20] for r in warm[w]])
    print(f"{'':10s} loss after 100 steps:  ", [f"{r['final']:.2f}" for r in warm[w]])

# %%
fewer_dead = sum(b["dead"][20] < a["dead"][20] for a, b in zip(warm[False], warm[True],
                                                                  strict=True))
more_dead = sum(b["dead"][20] > a["dead"][20] for a, b in zip(warm[False], warm[True],
                                                                 strict=True))
lower_loss = sum(b["final"] < a["final"] for a, b in zip(warm[False], warm[True],
                                                                  strict=True))
n = len(WARMUP_SEEDS)
print(f"dead units at step 20: fewer with warm-up on {fewer_dead} of {n} seeds, "
      f"more on {more_dead}")
print(f"loss after 100 steps: lower with warm-up on {lower_loss} of {n} seeds")
assert fewer_dead >= 14 and 4 <= lower_loss <= 16

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.2), dpi=80)
for w, color, name in ((False, "C0", "no warm-up"), (True, "C1", "warm-up over 20 steps")):
    for k, r in enumerate(warm[w]):
        ax1.plot(np.arange(1, 11), r["curve"], color=color, alpha=0.35, lw=1,
                 label=name if k == 0 else None)
ax1.set(yscale="log", xlabel="epoch (10 steps)", ylabel="mean loss over the epoch's batches",
        title="Adam, lr 0.1, batches of 10, 20 seeds")
ax1.legend(fontsize=8)
ax2.plot(range(100), [0.1] * 100, label="no warm-up")
ax2.plot(range(100), [warmup_only(0.1, 20)(k) for k in range(100)], label="warm-up")
ax2.set(xlabel="step", ylabel="learning rate", title="the two schedules")
ax2.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# What the numbers say, and what they do not. The warm-up's effect is in the early steps: at
# step 20 fewer hidden units are dead with it on most seeds (asserted: at least 14 of 20).
# It did not buy a lower loss at step 100 on this small problem: the loss there is lower
# with warm-up on only 4 of the 20 seeds (asserted: between 4 and 16, i.e. warm-up is no
# reliable win here). The 20 slow steps cost progress, and a 16-16 network on moons has
# units to spare, so the units saved matter little. Warm-up earns its place where one bad
# early step is costly: large networks, large learning rates, and models (transformers)
# whose early updates can push many units out of range at once.
#
# ## L2 in the gradient vs decoupled weight decay
#
# Under SGD, adding $\lambda p$ to the gradient shrinks every weight by the fraction
# $\eta\lambda$ per step. Under Adam the added $\lambda p$ goes through the division by
# $\sqrt{\hat v}$ like the rest of the gradient, so
#
# - a weight whose loss gradient is large barely feels it: $\lambda p$ is a small part of a
#   gradient that is normalised anyway;
# - a weight whose loss gradient is small or zero is *all* penalty: normalised, the penalty
#   alone moves it by up to $\eta$ per step towards 0, whatever the size of $\lambda$.
#
# AdamW (Loshchilov & Hutter) takes the decay out of the gradient: before each Adam step,
# $p \leftarrow (1 - \eta\lambda)\, p$, the same fraction for every weight.
#
# The clearest case: one weight the loss does not use at all (loss gradient 0), starting at
# 1, lr 0.01, for two values of λ:

# %%
def unused_weight(make_optimizer, steps=300):
    w = Value(1.0, "w")
    opt = make_optimizer([w])
    path = [w.data]
    for _ in range(steps):
        opt.zero_grad()      # the loss does not depend on w: its gradient is 0
        opt.step()
        path.append(w.data)
    return np.array(path)

paths = {}
for lam in (1e-4, 1e-2):
    paths[f"Adam, weight_decay={lam:g} (L2)"] = unused_weight(
        lambda ps, lam=lam: nn.Adam(ps, lr=0.01, weight_decay=lam))
    paths[f"AdamW, weight_decay={lam:g}"] = unused_weight(
        lambda ps, lam=lam: nn.AdamW(ps, lr=0.01, weight_decay=lam))
for name, path in paths.items():
    print(f"{name:32s} w after 50, 100, 300 steps:", [f"{path[k]:.4f}" for k in (50, 100, 300)])

fig, ax = plt.subplots(figsize=(6.5, 3), dpi=80)
for name, path in paths.items():
    ax.plot(path, ls="--" if name.startswith("Adam,") and "0.01" in name else "-", label=name)
ax.set(xlabel="step", ylabel="w", title="a weight the loss does not use, lr 0.01 "
       "(the two L2 curves coincide)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Under Adam with L2, λ = 1e-4 and λ = 1e-2 give the same path: the gradient is all penalty,
# $\lambda w$, and Adam's step does not depend on the gradient's size, so λ drops out. The
# first step is the full learning rate, later ones shrink as $w$ (and so the gradient) falls
# below its remembered RMS; the weight is halved in about 50 steps and is ~0 by step 300, a
# hundred times smaller λ or not. Under AdamW, λ means what it says: the weight is
# multiplied by $1 - \eta\lambda$ per step, $(1 - 10^{-4})^{300} \approx 0.97$ and
# $(1 - 10^{-6})^{300} \approx 0.9997$ after 300 steps.

# %%
L2_small, W_small = paths["Adam, weight_decay=0.0001 (L2)"], paths["AdamW, weight_decay=0.0001"]
L2_big, W_big = paths["Adam, weight_decay=0.01 (L2)"], paths["AdamW, weight_decay=0.01"]
assert np.allclose(L2_small, L2_big, atol=1e-3) and L2_small[50] < 0.6 and L2_small[300] < 1e-3
assert np.allclose(W_small, (1 - 0.01 * 1e-4) ** np.arange(301), rtol=1e-12)
assert np.allclose(W_big, (1 - 0.01 * 1e-2) ** np.arange(301), rtol=1e-12)

# %% [markdown]
# ### On a network
#
# The over-fitting setup of [notebook 14](14_validation_and_early_stopping.ipynb): 30 noisy
# moons points, `MLP(2, [16, 16, 1])`, Adam at lr 0.01, 200 full-batch steps; test loss on
# 200 other points. Three runs per seed, seeds 0-9 (fixed before running):
#
# - no weight decay;
# - `nn.Adam(weight_decay=0.01)`: L2 in the gradient;
# - `nn.AdamW(weight_decay=1.0)`: decoupled. With the *same* λ = 0.01 AdamW would shrink
#   each weight by at most $1 - (1 - 10^{-4})^{200} \approx 2\%$ in all, so it needs a λ
#   about 100 times larger to do anything here: the two λ's are not the same unit.
#
# For every weight we also record its gradient's RMS in the run without decay (Adam's
# $\sqrt{\hat v}$ at the end) and how much each decay shrank it: $\log(|p_\text{decay}| /
# |p_\text{none}|)$. Measured, per seed: the rank correlation between the two (Spearman's:
# do weights with larger gradients shrink less?), and each run's test loss.

# %%
X_test, y_test = nn.datasets.make_moons(200, noise=0.3, seed=12345)

def decay_run(seed, make_optimizer, steps=200):
    X_tr, y_tr = nn.datasets.make_moons(30, noise=0.3, seed=seed)
    model = nn.MLP(2, [16, 16, 1], seed=seed)
    opt = make_optimizer(model.parameters())
    nn.fit(model, X_tr, y_tr, loss="bce_logits", optimizer=opt, epochs=steps,
           progress=False, compile=True)
    with no_grad():
        test = nn.binary_cross_entropy_with_logits([model(x) for x in X_test], y_test).data
    rms = np.sqrt(np.array(opt.v) / (1 - opt.betas[1] ** opt.steps))
    return np.array([p.data for p in model.parameters()]), rms, test

def rank_correlation(a, b):
    return np.corrcoef(np.argsort(np.argsort(a)), np.argsort(np.argsort(b)))[0, 1]

DECAY_SEEDS = list(range(10))
decays = {"L2": lambda ps: nn.Adam(ps, lr=0.01, weight_decay=0.01),
          "AdamW": lambda ps: nn.AdamW(ps, lr=0.01, weight_decay=1.0)}
table = []
for seed in DECAY_SEEDS:
    w_none, rms, test_none = decay_run(seed, lambda ps: nn.Adam(ps, lr=0.01))
    row = {"none": (np.linalg.norm(w_none), test_none)}
    for name, make in decays.items():
        w, _, test = decay_run(seed, make)
        shrink = np.log(np.abs(w) + 1e-12) - np.log(np.abs(w_none) + 1e-12)
        row[name] = (np.linalg.norm(w), test, rank_correlation(rms, shrink),
                     float(np.mean(np.abs(w) < 0.01)))
    table.append(row)
    print(f"seed {seed}: |p| none {row['none'][0]:4.1f} L2 {row['L2'][0]:4.1f} AdamW "
          f"{row['AdamW'][0]:4.1f};  correlation L2 {row['L2'][2]:+.2f} AdamW "
          f"{row['AdamW'][2]:+.2f};  test loss none {row['none'][1]:.2f} L2 {row['L2'][1]:.2f} "
          f"AdamW {row['AdamW'][1]:.2f}")

# %%
n = len(DECAY_SEEDS)
l2_follows = sum(r["L2"][2] > 0.3 for r in table)
l2_more = sum(r["L2"][2] > r["AdamW"][2] for r in table)
adamw_flat = sum(abs(r["AdamW"][2]) < 0.3 for r in table)
near_zero = sum(r["L2"][3] > 2 * r["AdamW"][3] for r in table)
helps = {name: sum(r[name][1] < r["none"][1] for r in table) for name in decays}
print(f"L2 under Adam: larger gradients shrink less (correlation > 0.3) on {l2_follows} of {n}"
      f" seeds; higher correlation than AdamW's on {l2_more} of {n}")
print(f"AdamW: correlation within ±0.3 on {adamw_flat} of {n}")
print(f"share of weights below 0.01 more than twice AdamW's under L2 on {near_zero} of {n}")
print(f"test loss below the no-decay run's: L2 on {helps['L2']} of {n}, "
      f"AdamW on {helps['AdamW']} of {n}")
assert l2_follows >= 8 and l2_more >= 9 and adamw_flat >= 8 and near_zero >= 8
assert helps["L2"] >= 8 and helps["AdamW"] >= 8
assert all(r[name][0] < r["none"][0] for r in table for name in decays)   # |p| shrinks

fig, ax = plt.subplots(figsize=(6.5, 3), dpi=80)
ax.plot(DECAY_SEEDS, [r["L2"][2] for r in table], "o", label="Adam, weight_decay 0.01 (L2)")
ax.plot(DECAY_SEEDS, [r["AdamW"][2] for r in table], "s", label="AdamW, weight_decay 1.0")
ax.axhline(0, color="0.6", lw=0.8)
ax.set(xlabel="seed", ylabel="rank correlation",
       title="does a larger gradient protect a weight from decay?")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Both kinds of decay shrink the weights and lower the test loss of this over-fitting network.
# They differ in *which* weights they shrink. Under L2 in Adam, a weight's shrinking follows
# its gradient: weights the data pulls on hard are barely decayed, weights it hardly uses are
# driven towards 0 at up to the learning rate per step (an L1-like push, so more weights end
# near 0). Under AdamW, every weight is pulled in by the same fraction and the correlation
# stays near 0: the decay is a property of the weight's size alone, as in SGD, and λ
# sets its strength in a unit that does not depend on the gradients. That predictability is
# why AdamW is the default in most recipes today.
#
# **Back to:**
# [6. Optimizers, schedules and regularisation](06_optimizers_schedules_regularisation.ipynb),
# where L1 and L2 were compared under plain SGD.
