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
# # 13. Softmax and cross-entropy: more than two classes
#
# With two classes one output is enough: its sigmoid is the probability of class 1. With $K$
# classes the network outputs $K$ numbers $z_1 \dots z_K$ (*logits*), and **softmax** turns
# them into probabilities,
#
# $$s_i = \frac{e^{z_i}}{\sum_j e^{z_j}}.$$
#
# The loss for a sample of class $y$ is **cross-entropy**, $-\log s_y$: small when the right
# class gets most of the probability. This notebook computes softmax's derivative (a
# Jacobian: every output depends on every input), checks it with `gradcheck`, finds the
# famously simple gradient of the loss, and trains a network on a 3-class spiral.

# %%
import matplotlib.pyplot as plt
import numpy as np

import nn
from autograd_tiny import Value, gradcheck, no_grad

# %% [markdown]
# ## Softmax
#
# The outputs are positive and sum to 1, and adding the same number to every logit changes
# nothing (it multiplies numerator and denominator by the same $e^c$). `nn.softmax` uses
# that: it subtracts the largest logit first, so $e^{1000}$ never has to be computed.

# %%
z = [2.0, 1.0, -1.0]
s = [v.data for v in nn.softmax(z)]
print("softmax", z, "=", np.round(s, 4), " sum", sum(s))
shifted = [v.data for v in nn.softmax([zi + 1000.0 for zi in z])]
print("logits + 1000:", np.round(shifted, 4))
assert np.isclose(sum(s), 1.0) and np.allclose(s, shifted, rtol=1e-12)
assert np.allclose(s, np.exp(z) / np.exp(z).sum())

# %% [markdown]
# ## Its Jacobian
#
# Each $s_i$ depends on every $z_j$. Differentiating the quotient:
#
# $$\frac{\partial s_i}{\partial z_j} = s_i\,(\delta_{ij} - s_j),$$
#
# ($\delta_{ij}$ is 1 when $i = j$, else 0): raising $z_i$ raises $s_i$ by $s_i (1 - s_i)$,
# and lowers every other $s_j$, since the total stays 1. One `backward()` per output gives a
# row of the Jacobian:

# %%
def jacobian_by_backward(z):
    rows = []
    for i in range(len(z)):
        zs = [Value(v) for v in z]
        nn.softmax(zs)[i].backward()
        rows.append([v.grad for v in zs])
    return np.array(rows)

J = jacobian_by_backward(z)
s = np.array(s)
formula = np.diag(s) - np.outer(s, s)
print("by backward():\n", np.round(J, 5))
print("s_i (delta_ij - s_j):\n", np.round(formula, 5))
assert np.allclose(J, formula, rtol=1e-12, atol=1e-15)
assert np.allclose(J.sum(axis=0), 0.0, atol=1e-15)   # the outputs' total never changes

# %% [markdown]
# `gradcheck` compares every entry with a central difference. Ten logit vectors of 4 classes,
# drawn from seeds 0-9 (fixed before running), each output $s_i$ checked against all four
# logits:

# %%
SEEDS = list(range(10))
checked = 0
for seed in SEEDS:
    logits = np.random.default_rng(seed).normal(0, 2, size=4).tolist()
    for i in range(4):
        assert gradcheck(lambda *zs, i=i: nn.softmax(list(zs))[i], logits)
        checked += 1
print(f"gradcheck passed for {checked} softmax outputs ({len(SEEDS)} logit vectors x 4), "
      f"{4 * checked} partial derivatives")

# %% [markdown]
# ## Cross-entropy's gradient: probabilities minus the answer
#
# With $L = -\log s_y$, the chain rule through the Jacobian collapses to
#
# $$\frac{\partial L}{\partial z_j} = s_j - \delta_{jy},$$
#
# the predicted probabilities minus the one-hot answer. Every wrong class is pushed down by
# the probability it got, the right one pushed up by what it lacked. `nn.cross_entropy`
# computes $\log \sum_j e^{z_j} - z_y$ directly (stable, never a $\log 0$):

# %%
zs = [Value(v) for v in z]
loss = nn.cross_entropy(zs, 0)
loss.backward()
grads = np.array([v.grad for v in zs])
print(f"L = {loss.data:.4f} = -log s_0 = {-np.log(s[0]):.4f};  dL/dz = {np.round(grads, 4)}"
      f" = s - onehot(0) = {np.round(s - np.eye(3)[0], 4)}")
assert np.isclose(loss.data, -np.log(s[0]))
assert np.allclose(grads, s - np.eye(3)[0], rtol=1e-12)
for seed in SEEDS:
    logits = np.random.default_rng(seed).normal(0, 2, size=4).tolist()
    assert gradcheck(lambda *zs, seed=seed: nn.cross_entropy(list(zs), seed % 4), logits)
print(nn.cross_entropy([1000.0, 0.0, -1000.0], 2).data, "(a confident wrong answer, finite)")

# %% [markdown]
# ## A 3-class spiral
#
# `nn.datasets.make_spirals(n_classes=3)`: three arms wound once around the origin, 30 points
# each. `MLP(2, [16, 16, 3])`: two ReLU layers and three logits, one per class; the
# prediction is the class with the largest logit. `fit(loss="cross_entropy")` trains it with
# Adam (lr 0.02), 150 full-batch steps (`compile=True` runs each sample's loss as generated
# code, [notebook 8](08_backprop_as_code.ipynb): the same numbers, several times faster).

# %%
def spiral(n, seed):
    return nn.datasets.make_spirals(n, noise=0.05, n_classes=3, seed=seed)

def predict(model, x):
    with no_grad():
        out = [v.data for v in model(x)]
    return out.index(max(out))

def train(seed):
    X, y = spiral(90, seed)
    model = nn.MLP(2, [16, 16, 3], seed=seed)
    history = nn.fit(model, X, y, loss="cross_entropy", epochs=150,
                     optimizer=nn.Adam(model.parameters(), lr=0.02), progress=False,
                     compile=True)
    return model, history

X, y = spiral(90, 0)
Xa, ya = np.array(X), np.array(y)
model, history = train(0)
print(f"seed 0: loss {history.loss[0]:.3f} -> {history.loss[-1]:.3f}, "
      f"training accuracy {history.accuracy[-1]:.0%}")
first = [v.data for v in nn.softmax(model(X[0]))]
print("softmax of the first point's logits:", np.round(first, 3), " its class:", int(y[0]))

# %% [markdown]
# Decision regions: every point of a grid coloured by its predicted class.

# %%
def regions(ax, model, Xa, ya, n=40):
    xs = np.linspace(Xa[:, 0].min() - 0.3, Xa[:, 0].max() + 0.3, n)
    ys = np.linspace(Xa[:, 1].min() - 0.3, Xa[:, 1].max() + 0.3, n)
    Z = np.array([[predict(model, [a, b]) for a in xs] for b in ys])
    ax.contourf(xs, ys, Z, levels=[-0.5, 0.5, 1.5, 2.5], colors=["C0", "C1", "C2"], alpha=0.25)
    for k in range(3):
        ax.scatter(*Xa[ya == k].T, color=f"C{k}", s=18, edgecolors="k", linewidths=0.3,
                   label=f"class {k}")
    ax.set(xlabel="x0", ylabel="x1")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), dpi=80)
regions(ax1, model, Xa, ya)
ax1.set_title("decision regions, seed 0")
ax1.legend(fontsize=8, loc="lower right")
ax2.plot(history.loss, label="cross-entropy")
ax2.plot(history.accuracy, label="training accuracy")
ax2.axhline(np.log(3), color="0.6", ls="--", lw=1, label="log 3 (uniform guess)")
ax2.set(xlabel="step", ylabel="loss / accuracy", title="training, seed 0")
ax2.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# The loss starts above $\log 3 \approx 1.1$, the loss of a uniform guess: the untrained
# network's logits are random, not equal, and as often confidently wrong as right. Is seed 0
# typical? The same recipe on seeds 0-9 (each seed draws its own spiral
# noise and initial weights), scored on its 90 training points and on 150 fresh points of
# the same spiral (drawn with seed 1000 + seed):

# %%
scores = []
for seed in SEEDS:
    m, h = (model, history) if seed == 0 else train(seed)
    Xt, yt = spiral(150, 1000 + seed)
    test_acc = np.mean([predict(m, x) == int(c) for x, c in zip(Xt, yt, strict=True)])
    scores.append((h.accuracy[-1], test_acc))
print("training accuracy per seed:", [f"{a:.0%}" for a, _ in scores])
print("test accuracy per seed:    ", [f"{b:.0%}" for _, b in scores])
good = sum(a >= 0.9 and b >= 0.9 for a, b in scores)
print(f"at least 90% on training and test points on {good} of {len(SEEDS)} seeds "
      "(a uniform guess gets 33%)")
assert good >= 9

# %% [markdown]
# What is asserted: at least 90% accuracy on both the training and the fresh points on at
# least 9 of the 10 seeds. The fresh points score a few percent below the training points: 90
# points do not pin down the arms' ends, where the regions above are guesses.
#
# **Next:** [14. Validation and early stopping](14_validation_and_early_stopping.ipynb): how
# to tell when a network starts to learn its training points by heart.
