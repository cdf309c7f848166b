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
# # 14. Validation and early stopping
#
# The training loss says how well the network fits the points it learns from; what we want
# is how well it does on points it has never seen. A network with many more weights than
# training points can drive its training loss towards 0 by learning the points' noise by
# heart (*over-fitting*), and then does worse on new points the longer it trains.
#
# The usual defence needs no change to the model:
#
# 1. hold some labelled points back: a **validation** set, never trained on;
# 2. watch the loss on it after every step;
# 3. **stop early**: keep the weights from the step where the validation loss was lowest,
#    and stop once it has not improved for a while (the *patience*).
#
# Choosing a step by the validation loss uses the validation set, so its loss at that step
# is an optimistic estimate. A third set, the **test** set, used once at the end, says how
# well the choice really did.

# %%
import matplotlib.pyplot as plt
import numpy as np

import nn
from autograd_tiny import compile, no_grad

# %% [markdown]
# ## A setup that over-fits
#
# 60 noisy moons points (noise 0.3), split at random into 30 for training and 30 for
# validation; 200 more from the same distribution as the test set. `MLP(2, [16, 16, 1])`
# has 337 parameters for 30 training points. Adam (lr 0.02), full batch, 150 steps,
# cross-entropy from logits.

# %%
X_test, y_test = nn.datasets.make_moons(200, noise=0.3, seed=12345)

def split(seed, n_train=30, n_val=30):
    """n_train + n_val moons points of seed `seed`, shuffled, cut into two sets."""
    X, y = nn.datasets.make_moons(n_train + n_val, noise=0.3, seed=seed)
    return (X[:n_train], y[:n_train]), (X[n_train:], y[n_train:])

def loss_on(model, X, y):
    """Mean cross-entropy over a dataset, without building a graph."""
    with no_grad():
        return nn.binary_cross_entropy_with_logits([model(x) for x in X], y).data

(X_train, y_train), (X_val, y_val) = split(0)
print(f"{len(X_train)} training, {len(X_val)} validation, {len(X_test)} test points;",
      f"train labels {sum(y_train):.0f} ones of {len(y_train)}")

# %% [markdown]
# The training loop records both losses at every step and does the bookkeeping of early
# stopping as it goes: the best validation loss so far, a copy of the weights at that step
# (`state_dict()`), and how many steps since it improved. When that count reaches the
# patience (20 steps), early stopping *would* stop: we note the step and the weights it
# would return, then keep training to 150 steps so the curves show what stopping avoided.
#
# To keep ten runs quick, one sample's loss is compiled once with `autograd_tiny.compile`
# ([notebook 8](08_backprop_as_code.ipynb)): `accumulate(rows, seed)` returns each row's
# loss and adds `seed` times its gradient to the parameters' grads, the same numbers as the
# interpreter's `backward()`. Seed 0 only evaluates: no gradient flows.

# %%
def train(seed, steps=150, patience=20):
    (X_tr, y_tr), (X_va, y_va) = split(seed)
    model = nn.MLP(2, [16, 16, 1], seed=seed)
    sample_loss = compile(
        lambda x0, x1, t: nn.binary_cross_entropy_with_logits(model([x0, x1]), t),
        [0.0, 0.0, 0.0], argnums=(), params=model.parameters())
    train_rows = [(*x, t) for x, t in zip(X_tr, y_tr, strict=True)]
    val_rows = [(*x, t) for x, t in zip(X_va, y_va, strict=True)]
    opt = nn.Adam(model.parameters(), lr=0.02)
    train_curve, val_curve = [], []
    best, best_state, since, stopped = float("inf"), model.state_dict(), 0, None
    for step in range(steps + 1):   # both losses of the weights after `step` updates
        val_curve.append(np.mean([out[0] for out in sample_loss.accumulate(val_rows, 0.0)]))
        if stopped is None:
            if val_curve[-1] < best:
                best, best_state, since = val_curve[-1], model.state_dict(), 0
            else:
                since += 1
                if since == patience:
                    stopped = step
        opt.zero_grad()
        outs = sample_loss.accumulate(train_rows, 1.0 / len(train_rows))  # grads of the mean
        train_curve.append(np.mean([out[0] for out in outs]))
        if step < steps:
            opt.step()
    final_test = loss_on(model, X_test, y_test)
    model.load_state_dict(best_state)   # what early stopping returns
    return {"train": np.array(train_curve), "val": np.array(val_curve), "stopped": stopped,
            "final_test": final_test, "early_test": loss_on(model, X_test, y_test)}

run0 = train(0)
best0 = int(run0["val"].argmin())
print(f"seed 0: training loss {run0['train'][0]:.3f} -> {run0['train'][-1]:.3f}; validation loss "
      f"lowest {run0['val'][best0]:.3f} at step {best0}, {run0['val'][-1]:.3f} at step 150")

# %%
fig, ax = plt.subplots(figsize=(7, 3.2), dpi=80)
steps_axis = np.arange(151)
ax.plot(steps_axis, run0["train"], label="training loss (30 points)")
ax.plot(steps_axis, run0["val"], label="validation loss (30 other points)")
ax.axvline(best0, color="C2", ls="--", lw=1, label=f"lowest validation loss, step {best0}")
if run0["stopped"] is not None:
    ax.axvline(run0["stopped"], color="0.5", ls=":", lw=1,
               label=f"patience 20 runs out, step {run0['stopped']}")
ax.set(xlabel="step", ylabel="cross-entropy", yscale="log", title="seed 0")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# Both losses fall together at first: the network learns the two moons' shape, which holds
# for every point. Then the training loss keeps falling while the validation loss turns and
# climbs: from there on, what the network learns is specific to the 30 training points.
#
# ## On ten seeds
#
# Seeds 0-9, fixed before running; each draws its own 60 points (so its own split) and its
# own initial weights. The test set is the same 200 points for all. Two claims are measured:
#
# - **over-fitting shows**: the validation loss at step 150 is at least 1.5 times its lowest
#   value, while the training loss at step 150 is below its value at that lowest point;
# - **early stopping pays**: the weights early stopping returns (patience 20) have a lower
#   test loss than the weights after all 150 steps.

# %%
SEEDS = list(range(10))
runs = [run0] + [train(seed) for seed in SEEDS[1:]]
for seed, r in zip(SEEDS, runs, strict=True):
    b = int(r["val"].argmin())
    print(f"seed {seed}: validation lowest {r['val'][b]:.3f} (step {b:3d}), at 150 "
          f"{r['val'][-1]:.3f} ({r['val'][-1] / r['val'][b]:4.1f}x);  stop at step "
          f"{'-' if r['stopped'] is None else r['stopped']};  test loss: early "
          f"{r['early_test']:.3f}, after 150 {r['final_test']:.3f}")

over_fits = sum(r["val"][-1] >= 1.5 * r["val"].min() and
                r["train"][-1] < r["train"][int(r["val"].argmin())] for r in runs)
pays = sum(r["early_test"] < r["final_test"] for r in runs)
print(f"over-fitting shows on {over_fits} of {len(SEEDS)} seeds; "
      f"early stopping has the lower test loss on {pays} of {len(SEEDS)}")
assert over_fits >= 8 and pays >= 8

# %%
fig, axes = plt.subplots(2, 5, figsize=(12, 4.4), dpi=80, sharex=True)
for seed, r, ax in zip(SEEDS, runs, axes.flat, strict=True):
    ax.plot(steps_axis, r["train"], lw=1, label="training")
    ax.plot(steps_axis, r["val"], lw=1, label="validation")
    if r["stopped"] is not None:
        ax.axvline(r["stopped"], color="0.5", ls=":", lw=1, label="early stop")
    ax.set(yscale="log", title=f"seed {seed}")
for ax in axes[1]:
    ax.set_xlabel("step")
for ax in axes[:, 0]:
    ax.set_ylabel("cross-entropy")
axes[0, 0].legend(fontsize=7)
plt.tight_layout()
plt.show()

# %% [markdown]
# Early stopping watched only the validation loss, yet the weights it kept do better on the
# 200 test points than the fully trained ones: the validation set stood in for "points the
# network has not seen". Two costs remain. The validation points are not trained on (here half
# the data), and 30 points make a noisy stand-in: on seed 3 the validation loss is still at
# its lowest at step 150, yet the test loss after 150 steps is well above early stopping's (it
# stopped at step 27 on a pause in the curve); a patience too short can stop before a later,
# lower minimum, too long wastes steps. Once early stopping has chosen, the usual last step
# is to retrain on training and validation points together for the chosen number of steps.
#
# **Next:** [15. Warm-up and weight decay](15_warmup_and_weight_decay.ipynb): two more knobs
# of the optimizer, looked at under Adam.
