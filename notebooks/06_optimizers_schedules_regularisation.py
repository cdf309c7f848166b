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
# # 6. Optimizers, schedules and regularisation
#
# The gradient says which way is downhill; *how far* and *how* to step is the optimizer's job.
# This notebook looks, on problems small enough to run in seconds, at:
#
# 1. the learning rate: too low is slow, too high is unstable;
# 2. momentum, compared with plain gradient descent at the same effective step;
# 3. learning rates adapted from the gradient history: AdaGrad, RMSProp, Adam;
# 4. learning-rate schedules: when decay pays and when it does not;
# 5. L1 and L2 regularisation on a network that over-fits.

# %%
import random

import matplotlib.pyplot as plt
import numpy as np

import nn
from autograd_tiny import Value, compile, no_grad

# %% [markdown]
# ## 1. The learning rate
#
# Gradient descent on one parameter, $f(w) = w^2$, from $w = 1$: each step is
# $w \leftarrow w - \eta \cdot 2w = (1 - 2\eta)\, w$. Four learning rates, 20 steps each:

# %%
def descend_1d(lr, steps=20):
    w = Value(1.0, "w")
    opt = nn.SGD([w], lr=lr)
    path = [w.data]
    for _ in range(steps):
        loss = w * w
        opt.zero_grad()
        loss.backward()
        opt.step()
        path.append(w.data)
    return np.array(path)

paths_1d = {lr: descend_1d(lr) for lr in (0.01, 0.1, 0.9, 1.1)}
fig, ax = plt.subplots(figsize=(6.5, 3), dpi=80)
for lr, path in paths_1d.items():
    ax.plot(path, "o-", ms=3, label=f"lr {lr}")
ax.set(xlabel="step", ylabel="w", ylim=(-4, 4), title="gradient descent on w², from w = 1")
ax.legend(fontsize=8, ncol=4)
plt.show()
for lr, path in paths_1d.items():
    print(f"lr {lr:4}: factor per step 1 - 2 lr = {1 - 2 * lr:+.2f};  w after 20 steps = "
          f"{path[-1]:+.4g}")

# %% [markdown]
# - **0.01, slow**: each step removes 2% of the distance; after 20 steps two thirds of it remain.
# - **0.1, good**: 20% per step; w is at 0.01.
# - **0.9, oscillating**: the step overshoots, w flips sign every step and still converges,
#   by the same factor 0.8 as lr 0.1, only with alternating signs.
# - **1.1, diverging**: every step overshoots by more than it corrects; |w| grows 1.2× per
#   step, 38× after 20.

# %%
p = paths_1d
assert 0.6 < p[0.01][-1] < 0.7
assert 0 < p[0.1][-1] < 0.02
assert np.all(np.sign(p[0.9][1:]) == [(-1) ** k for k in range(1, 21)])
assert np.isclose(abs(p[0.9][-1]), p[0.1][-1])
assert abs(p[1.1][-1]) > 30 and np.all(np.abs(np.diff(np.abs(p[1.1]))) > 0)

# %% [markdown]
# ## 2. Momentum
#
# Momentum keeps a running sum of past gradients, $b \leftarrow \mu b + g$, and steps along
# it, $p \leftarrow p - \eta\, b$. On a steady slope $b$ grows to $g / (1 - \mu)$, so with
# $\mu = 0.9$ the *effective* step is $10\eta$. Comparing momentum at lr 0.1 with plain SGD at
# lr 0.1 mostly compares step sizes; a fair comparison uses the same effective step.
#
# Where momentum helps is a narrow valley, $f(x, y) = \frac12 (x^2 + 50 y^2)$: gentle along
# $x$, steep across $y$. Plain gradient descent must keep $\eta < 2/50 = 0.04$ or it is thrown
# from wall to wall, and then it crawls along the valley floor. Runs of 100 steps from ten
# starting points, $x$ uniform in (-6, -4) and $y$ in (-0.8, 0.8), drawn with
# `random.Random(seed)` for each of the ten seeds `SEEDS` that every claim of this notebook is
# checked on:
#
# - momentum 0.9 with lr 0.02 (effective step 0.2);
# - plain SGD with lr 0.2, the same effective step;
# - plain SGD with lr 0.035, just under its stability limit.

# %%
def valley(x, y):
    return 0.5 * (x * x + 50 * y * y)

def descend(make_optimizer, start, steps=100):
    x, y = Value(start[0], "x"), Value(start[1], "y")
    opt = make_optimizer([x, y])
    path = [(x.data, y.data)]
    for _ in range(steps):
        loss = valley(x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        path.append((x.data, y.data))
        if abs(x.data) + abs(y.data) > 1e6:    # diverged
            break
    return np.array(path)

def f_end(path):
    return valley(*path[-1])

SEEDS = range(100, 110)

def start_for(seed):
    rng = random.Random(seed)
    return (rng.uniform(-6, -4), rng.uniform(-0.8, 0.8))

starts = [start_for(seed) for seed in SEEDS]
momentum_runs = {
    "momentum 0.9, lr 0.02": lambda p: nn.SGD(p, lr=0.02, momentum=0.9),
    "SGD, lr 0.2": lambda p: nn.SGD(p, lr=0.2),
    "SGD, lr 0.035": lambda p: nn.SGD(p, lr=0.035),
}
valley_paths = {name: [descend(make, s) for s in starts] for name, make in momentum_runs.items()}
for name, paths in valley_paths.items():
    print(f"{name:22s} f after 100 steps, per start:", [f"{f_end(p):.1e}" for p in paths])

def draw_valley(ax, paths, title):
    xs, ys = np.meshgrid(np.linspace(-6.5, 2, 200), np.linspace(-1, 1, 200))
    ax.contour(xs, ys, 0.5 * (xs**2 + 50 * ys**2), levels=np.geomspace(0.01, 40, 12),
               colors="0.7", linewidths=0.7)
    for name, path in paths.items():
        ax.plot(path[:, 0], path[:, 1], ".-", ms=3, lw=1, label=name)
    ax.set(xlim=(-6.5, 2), ylim=(-1, 1), xlabel="x", ylabel="y", title=title)
    ax.legend(fontsize=8, loc="lower left")

fig, ax = plt.subplots(figsize=(8, 3), dpi=80)
draw_valley(ax, {name: paths[0] for name, paths in valley_paths.items()
                 if name != "SGD, lr 0.2"},
            f"f = (x² + 50 y²) / 2, from ({starts[0][0]:.2f}, {starts[0][1]:.2f}), seed {SEEDS[0]}")
plt.show()

# %% [markdown]
# At the same effective step plain SGD diverges: across the valley each step multiplies $y$ by
# $1 - 0.2 \cdot 50 = -9$. At the largest step it survives, it is still crawling towards the
# minimum along $x$ after 100 steps. Momentum's sum cancels the alternating gradients across
# the valley and adds up the steady ones along it: from each of the ten starts it ends 20
# times lower than SGD at lr 0.035 or more, and SGD at lr 0.2 diverges from all ten.

# %%
for k in range(len(starts)):
    m, fast, slow = (valley_paths[name][k] for name in momentum_runs)
    assert f_end(fast) > 1e6
    assert f_end(m) < f_end(slow) / 20

# %% [markdown]
# ## 3. Learning rates from the gradient history: AdaGrad → RMSProp → Adam
#
# The valley is hard because one step size must serve two very different slopes. These three
# optimizers give every parameter its own step, by dividing its gradient by a running measure
# of its size ($\epsilon$, 1e-10 or 1e-8, only prevents a division by zero):
#
# - **AdaGrad**: $s \leftarrow s + g^2$, $\;p \leftarrow p - \eta\, g / (\sqrt{s} + \epsilon)$.
#   Every parameter's first step is exactly $\eta$, whatever its gradient's scale; but $s$ only
#   grows, so on a steady slope the $t$-th step is $\eta/\sqrt t$: AdaGrad slows down for good.
# - **RMSProp**: $s \leftarrow \alpha s + (1 - \alpha) g^2$ (α = 0.99), same step: an
#   exponential average forgets old gradients, so on a steady slope the step tends to η instead
#   of 0. But $s$ starts at 0, so the first steps are too big: $\eta / \sqrt{1 - \alpha^t}$, ten
#   times η at the first step.
# - **Adam**: averages the gradient too, $m \leftarrow \beta_1 m + (1 - \beta_1) g$ (momentum),
#   and divides both averages by their start-up bias:
#   $p \leftarrow p - \eta\, \frac{m / (1 - \beta_1^t)}{\sqrt{v / (1 - \beta_2^t)} + \epsilon}$.
#   On a steady slope every step is η, from the first.
#
# Each is checked against PyTorch step for step in the tests. Here, on a steady slope,
# $f(p) = 3p$, the step each takes at step $t$:

# %%
def steps_on_a_slope(make_optimizer, n=200):
    p = Value(0.0, "p")
    opt = make_optimizer([p])
    moves = []
    for _ in range(n):
        before = p.data
        loss = 3.0 * p
        opt.zero_grad()
        loss.backward()
        opt.step()
        moves.append(before - p.data)
    return np.array(moves)

lr = 0.1
adaptive = {"AdaGrad": lambda p: nn.AdaGrad(p, lr=lr), "RMSProp": lambda p: nn.RMSProp(p, lr=lr),
            "Adam": lambda p: nn.Adam(p, lr=lr)}
moves = {name: steps_on_a_slope(make) for name, make in adaptive.items()}
t = np.arange(1, 201)
for name, m in moves.items():
    print(f"{name:8s} step / lr at t = 1, 2, 10, 100, 200:",
          [round(float(m[k - 1]) / lr, 3) for k in (1, 2, 10, 100, 200)])
assert np.allclose(moves["AdaGrad"], lr / np.sqrt(t), rtol=1e-6)
assert np.allclose(moves["RMSProp"], lr / np.sqrt(1 - 0.99**t), rtol=1e-6)
assert np.allclose(moves["Adam"], lr, rtol=1e-6)

# %% [markdown]
# ### A bigger gradient is not a bigger step
#
# The update the articles teach (000 and 002), $w \leftarrow w - \eta\, \partial L/\partial w$,
# moves a weight in proportion to its gradient, and it is tempting to read every gradient that
# way: a weight with a 100 times larger gradient changes 100 times more. That holds for plain
# SGD, not for the adaptive optimizers that article 002 goes on to describe: they divide
# each gradient by its own running size, so the step barely depends on the gradient's scale.
# Two parameters on steady slopes of 3 and 300, $f(p, q) = 3p + 300q$, ten steps each with
# lr 0.01:

# %%
def moves_of(make_optimizer, steps=10):
    p, q = Value(0.0, "p"), Value(0.0, "q")
    opt = make_optimizer([p, q])
    for _ in range(steps):
        loss = 3.0 * p + 300.0 * q
        opt.zero_grad()
        loss.backward()
        opt.step()
    return -p.data, -q.data

for name, make in {"SGD": lambda ps: nn.SGD(ps, lr=0.01),
                   "Adam": lambda ps: nn.Adam(ps, lr=0.01),
                   "RMSProp": lambda ps: nn.RMSProp(ps, lr=0.01)}.items():
    dp, dq = moves_of(make)
    print(f"{name:8s} p moved {dp:.4f}, q moved {dq:.4f}: q / p = {dq / dp:.3f}")
    if name == "SGD":
        assert np.isclose(dq / dp, 100)
    else:
        assert np.isclose(dq / dp, 1, rtol=1e-6)

# %% [markdown]
# Under SGD $q$ moves 100 times further than $p$; under Adam and RMSProp both move exactly as
# far (the ratio is 1 up to their tiny $\epsilon$). With these optimizers the gradient gives each
# weight's *direction*; its step size comes from the learning rate and from how consistent
# its gradient has been, not from how large it is.

# %% [markdown]
# On the valley, each with a step size suited to it, from the same ten starts. All three
# equalise the two directions and, from every start, end below 1e-3, where plain SGD at its
# largest stable step is still above 5e-3:

# %%
adaptive_runs = {
    "AdaGrad, lr 1": lambda p: nn.AdaGrad(p, lr=1.0),
    "RMSProp, lr 0.1": lambda p: nn.RMSProp(p, lr=0.1),
    "Adam, lr 0.3": lambda p: nn.Adam(p, lr=0.3),
}
adaptive_paths = {name: [descend(make, s) for s in starts] for name, make in adaptive_runs.items()}
for name, paths in adaptive_paths.items():
    print(f"{name:16s} f after 100 steps, per start:", [f"{f_end(p):.1e}" for p in paths])
for paths in adaptive_paths.values():
    for path, slow in zip(paths, valley_paths["SGD, lr 0.035"], strict=True):
        assert f_end(path) < 1e-3 < f_end(slow) / 5

fig, ax = plt.subplots(figsize=(8, 3), dpi=80)
draw_valley(ax, {"SGD, lr 0.035": valley_paths["SGD, lr 0.035"][0],
                 **{name: paths[0] for name, paths in adaptive_paths.items()}},
            f"adaptive steps, from ({starts[0][0]:.2f}, {starts[0][1]:.2f}), seed {SEEDS[0]}")
plt.show()

# %% [markdown]
# ## 4. Learning-rate schedules
#
# A schedule is a function of the step number that returns the learning rate; `fit` sets
# `optimizer.lr = schedule(k)` before step `k`. Decaying the rate trades speed for precision:
# a large rate makes fast progress but, with noisy gradients, keeps bouncing around the
# minimum at a distance set by the rate and the noise; a smaller rate settles closer.
# Whether that pays depends on how much noise there is and how far the run still has to go.
#
# Moons, `MLP(2, [8, 8, 1])`, cross-entropy, plain SGD, the ten seeds (each sets the initial
# weights and the shuffling). We compare the loss on all 100 points at the end of training.
# First the noisiest case: **one point per step**, peak rate 0.3, 500 steps (5 epochs), with
# four schedules. (`fit(..., compile=True)` runs each step as generated Python: the same
# numbers, bit for bit, faster; notebook 8 shows how.)

# %%
X, y = nn.datasets.make_moons(100, noise=0.1, seed=1)

def full_loss(model, X, y):
    """Mean cross-entropy (from logits) over a whole dataset, without building a graph."""
    with no_grad():
        return nn.binary_cross_entropy_with_logits([model(x) for x in X], y).data

def train_with(schedule, lr, seed, epochs, batch_size):
    model = nn.MLP(2, [8, 8, 1], seed=seed)
    nn.fit(model, X, y, loss="bce_logits", optimizer=nn.SGD(model.parameters(), lr=lr),
           schedule=schedule, epochs=epochs, batch_size=batch_size, seed=seed, progress=False,
           compile=True)
    return full_loss(model, X, y)

def schedules_for(lr, steps):
    return {"constant": None,
            "step decay": nn.StepDecay(lr, step_size=steps // 3, gamma=0.2),
            "linear decay": nn.LinearDecay(lr, 0.0, steps),
            "warm-up, then decay": nn.WarmupDecay(lr, warmup=steps // 10, total=steps)}

stochastic = {name: [train_with(s, 0.3, seed, epochs=5, batch_size=1) for seed in SEEDS]
              for name, s in schedules_for(0.3, 500).items()}
for name, losses in stochastic.items():
    print(f"{name:20s} final loss per seed:", " ".join(f"{v:.3f}" for v in losses),
          f"  median {np.median(losses):.3f}")

fig, ax = plt.subplots(figsize=(6.5, 2.6), dpi=80)
for name, s in schedules_for(0.3, 500).items():
    ax.plot([0.3 if s is None else s(k) for k in range(500)], label=name)
ax.set(xlabel="step", ylabel="learning rate", title="four schedules with peak 0.3")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Here decay usually pays, but not on every seed: linear decay ends below the constant rate on
# 9 of the 10 seeds, warm-up then decay on 8, step decay on only 6; each decaying schedule's
# median final loss is below the constant rate's.

# %%
beats_constant = {name: sum(d < c for d, c in zip(stochastic[name], stochastic["constant"],
                                                  strict=True))
                  for name in ("step decay", "linear decay", "warm-up, then decay")}
print("ends below the constant rate, of 10 seeds:", beats_constant)
assert beats_constant == {"step decay": 6, "linear decay": 9, "warm-up, then decay": 8}
assert all(np.median(stochastic[name]) < np.median(stochastic["constant"])
           for name in beats_constant)

# %% [markdown]
# Now a calmer case: **mini-batches of 10**, peak 0.5, 200 steps (20 epochs), constant against
# linear decay:

# %%
minibatch = {name: [train_with(s, 0.5, seed, epochs=20, batch_size=10) for seed in SEEDS]
             for name, s in schedules_for(0.5, 200).items() if name in ("constant", "linear decay")}
for name, losses in minibatch.items():
    print(f"{name:20s} final loss per seed:", " ".join(f"{v:.3f}" for v in losses),
          f"  median {np.median(losses):.3f}")
constant_wins = sum(c < d for c, d in zip(minibatch["constant"], minibatch["linear decay"],
                                          strict=True))
print(f"constant ends below linear decay on {constant_wins} of {len(SEEDS)} seeds")
assert constant_wins == 7
assert np.median(minibatch["constant"]) < np.median(minibatch["linear decay"])

# %% [markdown]
# Here the order turns round: the constant rate ends lower on 7 of the 10 seeds, and its median
# is lower. Averaging ten points makes the gradient much less noisy, so there is little
# bouncing to remove, and after 200 steps the loss is still falling: decaying the rate mostly
# slows the descent down. Decay earns its place when the noise floor, not the distance still to
# go, limits the loss; and on a single run, which schedule wins is partly luck.
#
# ## 5. L1 and L2 regularisation
#
# 20 noisy training points and a network with far more weights than points: it can memorise
# them. We watch the loss on the 20 training points and on 200 fresh test points from the same
# distribution, for three runs: no penalty, $+\,\lambda \sum |w|$ (L1) and
# $+\,\lambda \sum w^2$ (L2), λ = 0.01, over the **weights only**: a bias only shifts a neuron
# and does not make the function more complex, so it is conventionally left unpenalised.
# (`fit(..., l1=, l2=)` penalises every parameter, so we write the loop: the data term
# compiled with `autograd_tiny.compile` and run over the 20 points, the penalty added by the
# engine.) Plain full-batch gradient descent, lr 0.5, 300 steps, the ten seeds.
#
# Why plain SGD: with it, the penalty's gradient acts on each weight as written, L2's
# $2\lambda w$ shrinking every weight by the same *fraction* per step and L1's
# $\lambda\,\mathrm{sign}(w)$ pushing every weight towards 0 by the same *amount*. Adam
# divides every gradient, the penalty's included, by its running size, which undoes exactly
# that difference; that is why PyTorch's `AdamW` applies weight decay separately ("decoupled"),
# outside the gradient.

# %%
Xtr, ytr = nn.datasets.make_moons(20, noise=0.35, seed=3)
Xte, yte = nn.datasets.make_moons(200, noise=0.35, seed=4)

rows = [(*x, t) for x, t in zip(Xtr, ytr, strict=True)]

def train_penalised(penalty, seed, lam=0.01, steps=300, lr=0.5):
    model = nn.MLP(2, [12, 12, 1], seed=seed)
    weights = [w for layer in model.layers for n in layer.neurons for w in n.w]
    opt = nn.SGD(model.parameters(), lr=lr)
    # one point's cross-entropy, traced once; accumulate() runs it over the rows, each seeded
    # with 1/20, so the parameters' grads are those of the mean loss
    term = compile(lambda x0, x1, t: nn.binary_cross_entropy_with_logits([model([x0, x1])], [t]),
                   rows[0], argnums=(), params=model.parameters())
    for _ in range(steps):
        opt.zero_grad()
        term.accumulate(rows, seed=1 / len(rows))
        if penalty == "L1":
            (lam * nn.l1_penalty(weights)).backward()
        elif penalty == "L2":
            (lam * nn.l2_penalty(weights)).backward()
        opt.step()
    return (full_loss(model, Xtr, ytr), full_loss(model, Xte, yte),
            np.abs([w.data for w in weights]))

reg = {penalty: [train_penalised(penalty, seed) for seed in SEEDS]
       for penalty in ("none", "L1", "L2")}
n_weights = len(reg["none"][0][2])
for penalty, rs in reg.items():
    print(f"{penalty:5s} train", [f"{r[0]:.3f}" for r in rs], " test", [f"{r[1]:.3f}" for r in rs],
          f"  |w| < 1e-2 (of {n_weights}):", [int((r[2] < 1e-2).sum()) for r in rs])

# %%
fig, ax = plt.subplots(figsize=(6.5, 3), dpi=80)
for penalty, rs in reg.items():
    ax.hist(np.abs(rs[0][2]), bins=np.logspace(-6, 1, 36), histtype="step", lw=2, label=penalty)
ax.set(xscale="log", xlabel="|weight|", ylabel="count", title=f"weight magnitudes, seed {SEEDS[0]}")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Without a penalty the test loss ends more than five times the training loss on all ten
# seeds: the network fits the noise. Both penalties keep the test loss lower than no penalty
# on all ten, below half of it for L2 on all ten and for L1 on nine. They differ in *how*
# they shrink the weights: under L2 a weight's shrinking slows as it gets small, so weights
# get small but few vanish (between 5% and 15% end below 0.01, on every seed); L1's push is
# the same for a tiny weight as for a large one, so more than four in five weights are driven
# to (about) zero on every seed, and the network becomes sparse. Without a penalty under 5%
# are that small.

# %%
small = {p: [(r[2] < 1e-2).mean() for r in rs] for p, rs in reg.items()}
print("fraction of weights below 0.01:", {p: [f"{v:.0%}" for v in vs] for p, vs in small.items()})
none, l1, l2 = (reg[p] for p in ("none", "L1", "L2"))
assert all(n[1] > 5 * n[0] for n in none)                # over-fits: test far above train
assert all(a[1] < n[1] and b[1] < n[1] for a, b, n in zip(l1, l2, none, strict=True))
halved = {name: sum(r[1] < n[1] / 2 for r, n in zip(rs, none, strict=True))
          for name, rs in (("L1", l1), ("L2", l2))}
print("test loss below half of no penalty's, of 10 seeds:", halved)
assert halved == {"L1": 9, "L2": 10}
assert all(0.05 < v < 0.15 for v in small["L2"]) and all(v > 0.8 for v in small["L1"])
assert all(v < 0.05 for v in small["none"])

# %% [markdown]
# **Next:** [7. Property-testing gradients](07_property_testing_gradients.ipynb) checks the
# engine itself.
