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
# # 3. XOR, with the engine and by hand in numpy
#
# XOR is the smallest problem a single neuron cannot solve: the points (0,1) and (1,0) are
# class 1, (0,0) and (1,1) class 0, and no straight line separates them. A hidden layer of three
# sigmoid neurons is enough.
#
# We train a sigmoid 2-3-1 network with binary cross-entropy twice: once with `nn` and the
# engine, once written out by hand in numpy (forward, backward, update). First we check that the
# two compute the same gradients, to 1e-12; then we train them side by side and see why the
# hidden layer needs its nonlinearity. [Notebook 12](12_xor_as_the_articles_wrote_it.ipynb)
# runs XOR as article 004 writes it, watches it stall, and finds out why; the settings used
# here are where that notebook's fixes end.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import nn
from autograd_tiny import Value, draw_dot

X, y = nn.datasets.xor()
for point, label in zip(X, y, strict=True):
    print(point, "->", label)

# %% [markdown]
# ## The engine's network
#
# `MLP(2, [3, 1], "sigmoid", output_activation="sigmoid")`: 2 inputs, 3 hidden neurons, 1
# output, all sigmoids, so the output is a probability. 13 parameters: 3·(2+1) + (3+1).

# %%
model = nn.MLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid", seed=3)
print(model)
for name, value in model.state_dict().items():
    print(f"{name:24s} {value:+.4f}")

# %% [markdown]
# The loss is the mean binary cross-entropy over the four points,
# $L = -\frac14 \sum_n \big(t_n \log p_n + (1 - t_n) \log(1 - p_n)\big)$.

# %%
probs = [model(x) for x in X]
loss = nn.binary_cross_entropy(probs, y)
model.zero_grad()
loss.backward()
print(f"loss = {loss.data:.6f}")
print("p =", [round(p.data, 4) for p in probs])


# %% [markdown]
# ## The same network in numpy
#
# The weights as matrices: row `j` of `W1` is hidden neuron `j`'s weights, `W2` is the output
# neuron's. `nn` lists parameters layer by layer, neuron by neuron, weights then bias, so they
# are easy to copy across.

# %%
def to_numpy(model):
    hidden, out = model.layers
    W1 = np.array([[w.data for w in n.w] for n in hidden.neurons])   # (3, 2)
    b1 = np.array([n.b.data for n in hidden.neurons])                # (3,)
    W2 = np.array([[w.data for w in n.w] for n in out.neurons])      # (1, 3)
    b2 = np.array([n.b.data for n in out.neurons])                   # (1,)
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}

def grads_of(model):
    """The engine's .grad of every parameter, arranged like to_numpy's arrays."""
    hidden, out = model.layers
    return {"W1": np.array([[w.grad for w in n.w] for n in hidden.neurons]),
            "b1": np.array([n.b.grad for n in hidden.neurons]),
            "W2": np.array([[w.grad for w in n.w] for n in out.neurons]),
            "b2": np.array([n.b.grad for n in out.neurons])}

params = to_numpy(model)
Xa, T = np.array(X), np.array(y)
{k: v.shape for k, v in params.items()}


# %% [markdown]
# Forward: $H = \sigma(X W_1^\top + b_1)$, $p = \sigma(H W_2^\top + b_2)$.
#
# Backward, by the chain rule. For a sigmoid output with cross-entropy the two derivatives
# combine neatly: $\partial L / \partial z_2 = (p - t) / N$ where $z_2$ is the output neuron's
# pre-activation. Then
# $\partial L/\partial W_2 = \delta_2^\top H$, $\partial L / \partial H = \delta_2 W_2$,
# $\delta_1 = \partial L / \partial H \odot H(1-H)$, $\partial L/\partial W_1 = \delta_1^\top X$,
# and each bias gets the sum of its neuron's δ.

# %%
def sigmoid(z):
    return 1 / (1 + np.exp(-z))

def forward(params, X):
    H = sigmoid(X @ params["W1"].T + params["b1"])           # (N, 3)
    p = sigmoid(H @ params["W2"].T + params["b2"])[:, 0]     # (N,)
    return H, p

def bce(p, T):
    return -np.mean(T * np.log(p) + (1 - T) * np.log(1 - p))

def backward(params, X, T, H, p):
    d2 = (p - T) / len(T)                          # dL/dz2, (N,)
    d1 = np.outer(d2, params["W2"][0]) * H * (1 - H)   # dL/dz1, (N, 3)
    return {"W2": (d2 @ H)[None, :], "b2": np.array([d2.sum()]),
            "W1": d1.T @ X, "b1": d1.sum(axis=0)}

H, p = forward(params, Xa)
print(f"numpy loss = {bce(p, T):.6f}")
print("numpy p =", p.round(4))

# %% [markdown]
# ## The gradients agree
#
# Every one of the 13 gradients from `loss.backward()` matches the hand-written numpy backward
# pass to within 1e-12 (the only differences are float rounding: the engine differentiates
# `log` and `sigmoid` separately, numpy uses the simplified $(p - t)/N$).

# %%
numpy_grads = backward(params, Xa, T, H, p)
engine_grads = grads_of(model)
worst = max(np.abs(engine_grads[k] - numpy_grads[k]).max() for k in numpy_grads)
for k in numpy_grads:
    print(f"{k}: engine {engine_grads[k].ravel().round(6)}")
    print(f"{'':4s}numpy  {numpy_grads[k].ravel().round(6)}")
print(f"max |engine - numpy| = {worst:.2e}")
assert abs(loss.data - bce(p, T)) < 1e-12
assert worst < 1e-12

# %% [markdown]
# The engine's graph for one of the four points, (0, 1), with its gradients (of the loss for
# this point alone): 13 parameters, each neuron one `dot` node and one `sigmoid` node.
# Parameters are grouped by layer and neuron using their dotted names.

# %%
x_in = [Value(v, f"x{i}") for i, v in enumerate(X[1])]
single = nn.binary_cross_entropy(model(x_in), y[1])
model.zero_grad()
single.backward()
draw_dot(single)

# %% [markdown]
# ## Training both, side by side
#
# `nn.MLP`'s initial weights (uniform in (-1, 1)), cross-entropy, full-batch gradient descent
# with learning rate 2 for 1000 steps (notebook 12 shows why these and not the article's).
# Each step: forward, loss, backward, `w -= lr * grad` — with `nn.SGD` for the engine, with
# array arithmetic for numpy. Both start from the same weights and should stay together.

# %%
lr, steps = 2.0, 1000
opt = nn.SGD(model.parameters(), lr=lr)
engine_loss, numpy_loss = [], []

start = time.perf_counter()
for _ in range(steps):
    loss = nn.binary_cross_entropy([model(x) for x in X], y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    engine_loss.append(loss.data)
engine_seconds = time.perf_counter() - start

start = time.perf_counter()
for _ in range(steps):
    H, p = forward(params, Xa)
    g = backward(params, Xa, T, H, p)
    for k in params:
        params[k] -= lr * g[k]
    numpy_loss.append(bce(p, T))
numpy_seconds = time.perf_counter() - start

print(f"engine: final loss {engine_loss[-1]:.5f} in {engine_seconds:.2f} s")
print(f"numpy:  final loss {numpy_loss[-1]:.5f} in {numpy_seconds:.2f} s")
drift = max(np.abs(to_numpy(model)[k] - params[k]).max() for k in params)
print(f"largest weight difference after {steps} steps: {drift:.1e}")
assert drift < 1e-9

# %% [markdown]
# Both separate the four points: output above ½ exactly for the class-1 points.

# %%
from autograd_tiny import no_grad

with no_grad():
    p_engine = np.array([model(x).data for x in X])
_, p_numpy = forward(params, Xa)
for x, t, pe, pn in zip(X, y, p_engine, p_numpy, strict=True):
    print(f"x = {x}  target {t:.0f}   engine p = {pe:.4f}   numpy p = {pn:.4f}")
assert ((p_engine > 0.5) == (T == 1)).all()
assert ((p_numpy > 0.5) == (T == 1)).all()

# %%
grid = np.linspace(-0.5, 1.5, 41)
G = np.array([[a, b] for b in grid for a in grid])
with no_grad():
    engine_map = np.array([model(list(g)).data for g in G]).reshape(len(grid), len(grid))
numpy_map = forward(params, G)[1].reshape(len(grid), len(grid))

fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), dpi=90)
axes[0].plot(engine_loss, label="engine", lw=3, alpha=0.5)
axes[0].plot(numpy_loss, "--", label="numpy", color="k", lw=1)
axes[0].set(yscale="log", xlabel="step", ylabel="cross-entropy", title="loss")
axes[0].legend()
for ax, values, title in ((axes[1], engine_map, "engine: p(class 1)"),
                          (axes[2], numpy_map, "numpy: p(class 1)")):
    im = ax.contourf(grid, grid, values, levels=np.linspace(0, 1, 11), cmap="RdBu_r")
    ax.contour(grid, grid, values, levels=[0.5], colors="k", linewidths=1)
    points = ax.scatter(Xa[:, 0], Xa[:, 1], c=T, cmap="RdBu_r", edgecolors="k", s=80, vmin=0,
                        vmax=1)
    ax.set(title=title, aspect="equal", xlabel="x[0]")
axes[1].set_ylabel("x[1]")
axes[1].legend(*points.legend_elements(), title="target", fontsize=7, title_fontsize=7,
               loc="upper center", framealpha=0.9)
fig.colorbar(im, ax=axes[1:], shrink=0.8, label="p(class 1); black line: p = 0.5")
plt.show()

# %% [markdown]
# The two pictures are the same function. The hidden layer bends the input space so that one
# line in it (the output neuron) becomes the band you see here.

# %% [markdown]
# ## Why the hidden layer needs a nonlinearity
#
# Without an activation function, a layer is a linear map, and linear maps composed are one
# linear map: the 2-3-1 network with `activation="linear"` computes σ(a·x + c), a single
# neuron, whatever its weights. No straight line separates XOR, and for this one the best a
# single neuron can do under cross-entropy is to answer ½ everywhere, a loss of log 2. Same
# training as above, from ten initialisations each, seeds 100 to 109 (`compile=True` runs
# each step as generated Python, with the same numbers; notebook 8 shows how):

# %%
SEEDS = range(100, 110)

def train_xor(activation, seed):
    m = nn.MLP(2, [3, 1], activation=activation, output_activation="sigmoid", seed=seed)
    return nn.fit(m, X, y, loss="bce", optimizer=nn.SGD(m.parameters(), lr=2.0), epochs=1000,
                  progress=False, compile=True)

nonlinearity = {a: [train_xor(a, seed) for seed in SEEDS] for a in ("sigmoid", "linear")}
for a, hs in nonlinearity.items():
    print(f"{a:8s} final loss", [round(h.loss[-1], 3) for h in hs])
    print(f"{'':8s} accuracy  ", [f"{h.accuracy[-1]:.0%}" for h in hs])
solved = sum(h.accuracy[-1] == 1.0 for h in nonlinearity["sigmoid"])
print(f"sigmoid hidden layer: all four points right on {solved} of {len(SEEDS)} seeds")
assert solved == 9
assert all(h.loss[-1] > np.log(2) - 1e-6 and h.accuracy[-1] < 1 for h in nonlinearity["linear"])

# %% [markdown]
# With the sigmoid hidden layer, 9 of the 10 runs get all four points right; the tenth ends in
# a local minimum with two of them wrong. Without the nonlinearity none of the ten does, and
# every one ends at a loss of log 2 or above: the linear network can do no better than ½.

# %% [markdown]
# **Next:** [4. Moons with an MLP](04_moons_mlp.ipynb) reproduces micrograd's demo and compares
# full-batch, stochastic and mini-batch training. Or, to see an XOR recipe from an article
# stall and be mended step by step, and a wrong δ rule caught by `gradcheck`:
# [12. XOR as the articles wrote it](12_xor_as_the_articles_wrote_it.ipynb).
