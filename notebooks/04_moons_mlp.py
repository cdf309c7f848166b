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
# # 4. Moons with an MLP
#
# micrograd's demo: a two-layer MLP learns to separate two interleaving half-moons. We
# reproduce it step for step, draw the decision boundary, and then compare three ways of
# feeding the data to gradient descent: the full batch, one point at a time (stochastic), and
# mini-batches, at matched work and each at its own best learning rate.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import nn
from autograd_tiny import no_grad

# %% [markdown]
# ## The data
#
# 100 points, noise 0.1. micrograd's loss is the SVM "max-margin" hinge loss, which wants the
# labels as -1 / +1.

# %%
X, y01 = nn.datasets.make_moons(100, noise=0.1, seed=1337)
y = nn.datasets.signed_labels(y01)
Xa, ya = np.array(X), np.array(y)
print(len(X), "points; first three:", [[round(v, 3) for v in x] for x in X[:3]], y[:3])

fig, ax = plt.subplots(figsize=(4.5, 3.2), dpi=80)
ax.scatter(Xa[:, 0], Xa[:, 1], c=ya, cmap="coolwarm", s=20, edgecolors="k", linewidths=0.3)
ax.set(title="make_moons(100, noise=0.1)", xlabel="x[0]", ylabel="x[1]")
ax.legend(*ax.collections[0].legend_elements(), title="label", fontsize=8)
plt.show()

# %% [markdown]
# ## micrograd's demo
#
# `MLP(2, [16, 16, 1])`: two hidden ReLU layers of 16 and a linear output, 337 parameters.
# The loss is the mean of `relu(1 - y·score)` plus `1e-4 · Σ p²`; each step is a full-batch
# gradient step with learning rate `1 - 0.9·k/100`.

# %%
model = nn.MLP(2, [16, 16, 1], seed=1337)
print(model)

def loss_and_accuracy(model, X, y):
    scores = [model(x) for x in X]
    data_loss = nn.hinge_loss(scores, y)
    reg_loss = 1e-4 * nn.l2_penalty(model.parameters())
    accuracy = sum((s.data > 0) == (t > 0) for s, t in zip(scores, y, strict=True)) / len(y)
    return data_loss + reg_loss, accuracy

loss, acc = loss_and_accuracy(model, X, y)
print(f"before training: loss {loss.data:.4f}, accuracy {acc:.0%}")

# %% [markdown]
# The training loop, as in micrograd: forward, zero the grads, backward, update.

# %%
history = []
start = time.perf_counter()
for k in range(100):
    loss, acc = loss_and_accuracy(model, X, y)
    model.zero_grad()
    loss.backward()
    lr = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= lr * p.grad
    history.append((loss.data, acc))
    if k % 10 == 0 or k == 99:
        print(f"step {k:3d} loss {loss.data:.4f}, accuracy {acc:.0%}")
print(f"{time.perf_counter() - start:.1f} s for 100 steps")
assert history[-1][0] < 0.05 and history[-1][1] >= 0.97

# %% [markdown]
# `nn.fit` is the same loop. With `nn.SGD` and the schedule `LinearDecay(1.0, 0.1, 100)`
# (lr = 1 − 0.9·k/100) it gives the same numbers, step for step:

# %%
model_fit = nn.MLP(2, [16, 16, 1], seed=1337)
fit_history = nn.fit(model_fit, X, y, loss="hinge", l2=1e-4,
                     optimizer=nn.SGD(model_fit.parameters(), lr=1.0),
                     schedule=nn.LinearDecay(1.0, 0.1, 100), epochs=100, progress=False)
print(f"fit: final loss {fit_history.loss[-1]:.4f}, accuracy {fit_history.accuracy[-1]:.0%}")
assert np.allclose(fit_history.loss, [h[0] for h in history], rtol=1e-9, atol=1e-12)
assert model_fit.state_dict() == model.state_dict()

# %% [markdown]
# Seed 1337 is micrograd's. The same training from ten other initialisations, seeds 100 to
# 109, ends the same way on every one: at the last of the 100 steps, a loss below 0.05 and at
# least 97% of the points right. (`compile=True` runs each step as generated Python, with the same
# numbers bit for bit and several times faster; notebook 8 shows how.)

# %%
def demo_run(seed):
    m = nn.MLP(2, [16, 16, 1], seed=seed)
    return nn.fit(m, X, y, loss="hinge", l2=1e-4, optimizer=nn.SGD(m.parameters(), lr=1.0),
                  schedule=nn.LinearDecay(1.0, 0.1, 100), epochs=100, progress=False,
                  compile=True)

demo_runs = [demo_run(seed) for seed in range(100, 110)]
print("final loss:", [round(h.loss[-1], 3) for h in demo_runs])
print("accuracy:  ", [f"{h.accuracy[-1]:.0%}" for h in demo_runs])
assert all(h.loss[-1] < 0.05 and h.accuracy[-1] >= 0.97 for h in demo_runs)


# %% [markdown]
# ## The decision boundary
#
# The model's score on a grid of points (without building graphs: `no_grad`), coloured by sign.

# %%
def boundary(ax, model, title, n=60):
    xs = np.linspace(Xa[:, 0].min() - 0.5, Xa[:, 0].max() + 0.5, n)
    ys = np.linspace(Xa[:, 1].min() - 0.5, Xa[:, 1].max() + 0.5, n)
    with no_grad():
        Z = np.array([[model([a, b]).data for a in xs] for b in ys])
    ax.contourf(xs, ys, Z > 0, levels=1, cmap="coolwarm", alpha=0.35)
    ax.contour(xs, ys, Z, levels=[0.0], colors="k", linewidths=1)
    points = ax.scatter(Xa[:, 0], Xa[:, 1], c=ya, cmap="coolwarm", s=20, edgecolors="k",
                        linewidths=0.3)
    ax.set(title=title, xlabel="x[0]", ylabel="x[1]")
    ax.legend(*points.legend_elements(), title="label", fontsize=8, loc="lower left")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6), dpi=80)
boundary(ax1, model, "decision boundary after 100 steps")
ax2.plot([h[0] for h in history], label="loss")
ax2.set(yscale="log", xlabel="step", ylabel="loss", title="loss (hinge + 1e-4 L2)")
ax3 = ax2.twinx()
ax3.plot([h[1] for h in history], color="tab:green", alpha=0.6, label="accuracy")
ax3.set_ylabel("accuracy", color="tab:green")
ax2.legend(handles=ax2.get_lines() + ax3.get_lines(), loc="center right")
plt.tight_layout()
plt.show()


# %% [markdown]
# ## Full batch, stochastic, mini-batch
#
# Three ways to feed the data to gradient descent: the full batch (one step per pass over the
# data), one point at a time (*stochastic*, 100 steps per pass) and mini-batches of 10 (10
# steps per pass). To compare them fairly we need two things: the same **work**, counted in
# gradients of single points (a pass over the data, an *epoch*, is 100 of them whatever the
# batch size), and for each mode its **own best learning rate**, since a mode's step size and
# its noise go together.
#
# The runs use a smaller network, `MLP(2, [8, 8, 1])`, to stay quick; loss and data as above.
# Each claim below is checked on the same ten initialisations, `SEEDS`, and says on how many
# it holds. Training runs use `fit(..., compile=True)`, which runs each step as generated
# Python: the same numbers, bit for bit, several times faster (notebook 8 shows how).
#
# **A note on names.** Articles 000 and 002 call updating after every example "standard"
# backprop and updating once per pass over the data "batch" backprop, as if they were two
# algorithms. Backprop is the same in both: it computes the gradient of whatever loss it is
# given, one example's or the mean over a batch. What differs is the *optimizer's* choice of
# how many examples to average before each step (stochastic, mini-batch or full-batch gradient
# descent), which is the comparison below; and one example per step is not the standard
# today: mini-batches are. The second cell below checks the first half of that: the
# gradient of a batch's mean loss is the mean of the single examples' gradients (to 1e-12).

# %%
def make_model(seed):
    return nn.MLP(2, [8, 8, 1], seed=seed)

def full_loss(model):
    """Loss (hinge + 1e-4 L2) and accuracy on all 100 points, without building a graph."""
    with no_grad():
        loss, acc = loss_and_accuracy(model, X, y)
    return loss.data, acc

def train(batch_size, lr, seed, epochs=10):
    """Constant-lr SGD from seed `seed`'s weights; the full loss after every epoch."""
    m = make_model(seed)
    opt = nn.SGD(m.parameters(), lr=lr)
    curve = [full_loss(m)[0]]
    for epoch in range(epochs):
        nn.fit(m, X, y, loss="hinge", l2=1e-4, optimizer=opt, epochs=1, batch_size=batch_size,
               seed=1000 * seed + epoch, progress=False, compile=True)
        curve.append(full_loss(m)[0])
    return m, curve

modes = {"full batch": None, "mini-batch (10)": 10, "stochastic": 1}
steps_per_epoch = {"full batch": 1, "mini-batch (10)": 10, "stochastic": 100}
SEEDS = range(100, 110)

# %%
def data_gradient(model, idx):
    """The gradient of the mean hinge loss over the points idx (no penalty)."""
    loss = nn.hinge_loss([model(X[i]) for i in idx], [y[i] for i in idx])
    model.zero_grad()
    loss.backward()
    return np.array([p.grad for p in model.parameters()])

m = make_model(SEEDS[0])
batch_gradient = data_gradient(m, range(10))
mean_of_singles = np.mean([data_gradient(m, [i]) for i in range(10)], axis=0)
print(f"largest difference: {np.abs(batch_gradient - mean_of_singles).max():.1e}")
assert np.allclose(batch_gradient, mean_of_singles, rtol=1e-12, atol=1e-15)

# %% [markdown]
# ### Noise
#
# A step on one point follows that point's gradient, which can point almost anywhere. At the
# initial weights, compare each point's gradient (and each mini-batch's) with the full-batch
# gradient: the fraction that points *uphill* for the loss on all points (negative dot product
# with the full gradient), on each of the ten initialisations:

# %%
def gradient(model, idx):
    loss, _ = loss_and_accuracy(model, [X[i] for i in idx], [y[i] for i in idx])
    model.zero_grad()
    loss.backward()
    return np.array([p.grad for p in model.parameters()])

def cosines(seed, batch_size):
    m = make_model(seed)
    full = gradient(m, range(len(X)))
    order = np.random.default_rng(seed).permutation(len(X))
    gs = [gradient(m, order[i:i + batch_size]) for i in range(0, len(X), batch_size)]
    return np.array([g @ full / (np.linalg.norm(g) * np.linalg.norm(full) + 1e-300) for g in gs])

noise = {bs: [cosines(seed, bs) for seed in SEEDS] for bs in (1, 10)}
for bs, cs in noise.items():
    print(f"batch of {bs:2d}: uphill fraction per seed",
          [f"{(c < 0).mean():.0%}" for c in cs])
    print("             median cosine with the full gradient", [f"{np.median(c):.2f}" for c in cs])
assert all(0.1 <= (c < 0).mean() <= 0.35 for c in noise[1])
assert all(np.median(c) < 0.4 for c in noise[1])
assert all((c < 0).mean() <= 0.1 for c in noise[10])
assert all((c10 < 0).mean() < (c1 < 0).mean() for c1, c10 in zip(noise[1], noise[10],
                                                                   strict=True))
assert all(np.median(c10) > np.median(c1) for c1, c10 in zip(noise[1], noise[10], strict=True))

fig, ax = plt.subplots(figsize=(6, 2.8), dpi=80)
ax.hist(np.concatenate(noise[1]), bins=np.linspace(-1, 1, 41), alpha=0.6, label="one point")
ax.hist(np.concatenate(noise[10]), bins=np.linspace(-1, 1, 41), alpha=0.8, label="10 points")
ax.axvline(0, color="k", lw=1)
ax.set(xlabel=f"cosine with the full-batch gradient ({len(SEEDS)} seeds pooled)", ylabel="count",
       title="how well a small batch's gradient points downhill")
ax.legend()
plt.show()

# %% [markdown]
# On every one of the ten seeds, between a tenth and a third of the single points' gradients
# point uphill (13% to 31%), and the median one makes an angle of more than 66° with the full
# gradient (a cosine below 0.4). On every seed a mini-batch of 10 averages most of that noise
# away: at most one batch in ten points uphill, and its median cosine is higher. The full
# batch has none. Yet the many cheap, noisy steps are the point of small batches.
#
# ### Matched work, each mode at its best learning rate
#
# First a small search: each mode with each learning rate in {0.1, 0.3, 1, 3}, 10 epochs
# from seed 0's weights (not one of the ten seeds the comparison then uses). Each mode keeps
# the rate with the lowest final loss.

# %%
lrs = [0.1, 0.3, 1.0, 3.0]
search = {name: {lr: train(bs, lr, seed=0)[1][-1] for lr in lrs} for name, bs in modes.items()}
best_lr = {name: min(results, key=results.get) for name, results in search.items()}
for name, results in search.items():
    print(f"{name:16s}", "  ".join(f"lr {lr}: {v:.3f}" for lr, v in results.items()),
          f"  -> lr {best_lr[name]}")

# %% [markdown]
# Then each mode at its rate from the ten initialisations, 10 epochs, so every run computes
# 1,000 single-point gradients:

# %%
runs = {name: [train(bs, best_lr[name], seed) for seed in SEEDS]
        for name, bs in modes.items()}
for name, rs in runs.items():
    print(f"{name:16s} lr {best_lr[name]:<5} {steps_per_epoch[name] * 10:4d} steps: final loss",
          [round(curve[-1], 2) for _, curve in rs])

fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), dpi=80)
for (name, rs), color in zip(runs.items(), ["C0", "C1", "C2"], strict=True):
    for k, (_, curve) in enumerate(rs):
        epochs_axis = np.arange(len(curve))
        axes[0].plot(epochs_axis, curve, color=color, label=name if k == 0 else None)
        axes[1].plot(epochs_axis[1:] * steps_per_epoch[name], curve[1:], color=color,
                     label=name if k == 0 else None)
axes[0].set(yscale="log", xlabel="epoch (100 single-point gradients)", ylabel="loss, all points",
            title="per unit of work")
axes[1].set(yscale="log", xscale="log", xlabel="optimizer steps", ylabel="loss, all points",
            title="per step")
axes[0].legend()
axes[1].legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# For the same work, the full batch ends last on 9 of the 10 seeds: behind stochastic on all
# ten and behind the mini-batches on nine. It takes one step per epoch where the others take
# 10 or 100. Per *step* the order reverses, as the right-hand plot shows: a full-batch step is
# the most useful single step (after 10 steps the full batch is ahead of the mini-batches on 9
# of the 10 seeds); it is just 10 or 100 times more expensive.

# %%
final = {name: [curve[-1] for _, curve in rs] for name, rs in runs.items()}
full, mini, single = final["full batch"], final["mini-batch (10)"], final["stochastic"]
behind_mini = sum(f > m for f, m in zip(full, mini, strict=True))
behind_single = sum(f > s for f, s in zip(full, single, strict=True))
last = sum(f > max(m, s) for f, m, s in zip(full, mini, single, strict=True))
full_after_10_steps = [curve[10] for _, curve in runs["full batch"]]
mini_after_10_steps = [curve[1] for _, curve in runs["mini-batch (10)"]]
ahead_per_step = sum(f < m for f, m in zip(full_after_10_steps, mini_after_10_steps, strict=True))
print(f"same work: full batch behind mini-batch on {behind_mini}, behind stochastic on "
      f"{behind_single}, last on {last} of {len(SEEDS)}")
print(f"same number of steps (10): full batch ahead of mini-batch on {ahead_per_step}")
assert (behind_mini, behind_single, last, ahead_per_step) == (9, 10, 9, 9)

# %% [markdown]
# ### What a scalar engine hides
#
# In PyTorch or numpy a batch is one matrix product, and on vector hardware (SIMD units, a
# GPU) a product over 100 rows costs far less than 100 products over one row: large batches
# buy speed, which is why they are the norm despite taking fewer steps per epoch. Here every
# point is its own graph of scalar `Value`s, so the graph, and the time to build and
# differentiate it, grows linearly with the batch: a batch of 100 is 100 points of work, and
# matched work is matched time. The per-epoch comparison above is the whole story here; with
# tensors on vector hardware, the full batch's epochs would be much cheaper.

# %%
def graph_nodes(root):
    """Computed (non-leaf) nodes in root's graph."""
    seen, stack = set(), [root]
    while stack:
        v = stack.pop()
        if v not in seen:
            seen.add(v)
            stack.extend(v.children)
    return sum(1 for v in seen if v.children)

m = make_model(0)
nodes = {k: graph_nodes(loss_and_accuracy(m, X[:k], y[:k])[0]) for k in (1, 10, 100)}
per_point = (nodes[100] - nodes[10]) / 90
print({k: f"{n:,} nodes" for k, n in nodes.items()}, f"  {per_point:g} more for each point")
assert nodes[10] - nodes[1] == 9 * per_point      # exactly linear in the batch size

# %% [markdown]
# **Next:** [5. Activations and vanishing gradients](05_activations_and_vanishing_gradients.ipynb)
# looks at what
# makes deep networks hard to train: vanishing gradients, collapsing signals, and the
# initialisation and normalisation that cure them.
