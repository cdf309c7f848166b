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
# # 3. XOR, with the engine, by hand in numpy, and as the articles wrote it
#
# XOR is the smallest problem a single neuron cannot solve: the points (0,1) and (1,0) are
# class 1, (0,0) and (1,1) class 0, and no straight line separates them. A hidden layer of three
# sigmoid neurons is enough.
#
# We train a sigmoid 2-3-1 network with binary cross-entropy twice: once with `nn` and the
# engine, once written out by hand in numpy (forward, backward, update). First we check that the
# two compute the same gradients, to 1e-12. Then we run article 004's XOR code as written,
# watch it stall, find out why and fix it one change at a time; train the engine and numpy
# side by side with the fixed settings; see why the hidden layer needs its nonlinearity; and
# let `gradcheck` catch the δ rule of article 003's worked example.

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
# The engine's graph for one of the four points, with its gradients (the loss for this point
# alone) for the point (0, 1): 13 parameters, each neuron one `dot` node and one `sigmoid` node. Parameters are
# grouped by layer and neuron using their dotted names.

# %%
x_in = [Value(v, f"x{i}") for i, v in enumerate(X[1])]
single = nn.binary_cross_entropy(model(x_in), y[1])
model.zero_grad()
single.backward()
draw_dot(single)

# %% [markdown]
# ## XOR as article 004 writes it
#
# Article 004 trains XOR with a few lines of numpy: weights drawn as `0.1 * randn`, biases 0,
# full-batch gradient descent with learning rate 0.1 for 10,000 epochs, no seed. It names the
# mean squared error as its loss, and its backward pass starts from `dZ2 = A2 - y`. Here is
# that code for this notebook's 2-3-1 sigmoid network, written the article's way (`X @ W1`,
# so `W1` is 2×3), with one change: every array carries a leading axis of *runs*, so ten
# random initialisations train at once. The run with index `s` draws from
# `np.random.default_rng(s)`.

# %%
Y = T[:, None]                                   # the targets as a column, (4, 1)

def swap(a):
    """Transpose the last two axes (the article's .T, for a stack of runs)."""
    return a.swapaxes(-1, -2)

def init_params(seeds, draw, hidden=3):
    """W1 (runs, 2, hidden), b1, W2 (runs, hidden, 1), b2; biases 0."""
    rngs = [np.random.default_rng(s) for s in seeds]
    W1 = np.stack([draw(r, (2, hidden)) for r in rngs])
    W2 = np.stack([draw(r, (hidden, 1)) for r in rngs])
    return {"W1": W1, "b1": np.zeros((len(seeds), 1, hidden)),
            "W2": W2, "b2": np.zeros((len(seeds), 1, 1))}

def small_randn(r, shape):       # the article's 0.1 * randn
    return 0.1 * r.standard_normal(shape)

def article_gradients(P, dZ2_rule="article"):
    """The article's forward and backward; returns the outputs A2 and the gradients."""
    A1 = sigmoid(Xa @ P["W1"] + P["b1"])            # (runs, 4, 3)
    A2 = sigmoid(A1 @ P["W2"] + P["b2"])            # (runs, 4, 1)
    if dZ2_rule == "article":
        dZ2 = A2 - Y
    else:                                           # d(mean squared error)/dZ2, times m
        dZ2 = 2 * (A2 - Y) * A2 * (1 - A2)
    m = len(Xa)
    dZ1 = dZ2 @ swap(P["W2"]) * A1 * (1 - A1)
    grads = {"W2": swap(A1) @ dZ2 / m, "b2": dZ2.sum(axis=1, keepdims=True) / m,
             "W1": Xa.T @ dZ1 / m, "b1": dZ1.sum(axis=1, keepdims=True) / m}
    return A2, grads

def train_article(P, epochs, lr=0.1, dZ2_rule="article", every=1000):
    """Gradient descent as the article does it; the MSE every `every` epochs."""
    P = {k: v.copy() for k, v in P.items()}
    mse = []
    for epoch in range(epochs):
        A2, grads = article_gradients(P, dZ2_rule)
        if epoch % every == 0:
            mse.append(((A2 - Y) ** 2).mean(axis=(1, 2)))
        for k in P:
            P[k] -= lr * grads[k]
    A2, _ = article_gradients(P)
    solved = ((A2[..., 0] > 0.5) == (T > 0.5)).all(axis=1)
    return P, A2[..., 0], np.array(mse), solved

seeds = range(10)
start = time.perf_counter()
_, outputs, mse, solved = train_article(init_params(seeds, small_randn), epochs=10_000)
print(f"{time.perf_counter() - start:.1f} s for 10 runs of 10,000 epochs")
print("outputs of run 0:", outputs[0].round(3), "  targets:", T)
print(f"solved: {solved.sum()} of {len(solved)};  "
      f"final MSE {mse[-1].min():.3f} to {mse[-1].max():.3f}")
assert solved.sum() == 0

# %% [markdown]
# No run learns XOR. Every output of every run is ½ to two decimals, and the squared error
# ¼, the error of answering ½ for everything:

# %%
print(f"largest |output - 0.5| over the 10 runs: {np.abs(outputs - 0.5).max():.4f}")
assert (np.abs(outputs - 0.5) < 0.005).all()
assert (np.abs(mse[-1] - 0.25) < 0.001).all()

# %% [markdown]
# ### Diagnosis 1: which loss does `dZ2 = A2 - y` belong to?
#
# Copy one run's initial weights into an `nn.MLP` and let the engine differentiate both
# candidate losses. The article's gradients are exactly those of the binary **cross-entropy**
# (mean over the four points); those of the mean squared error it names are half as large
# here, because its $\partial L / \partial z_2 = \frac{2}{m}(p - t)\,p(1 - p)$ carries the
# sigmoid's slope $p(1-p) \approx \frac14$ that cross-entropy cancels, and $2 \cdot \frac14 =
# \frac12$.

# %%
def engine_model(P, run):
    """An nn.MLP with run `run`'s weights from the stacked numpy arrays."""
    m = nn.MLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid")
    state = {}
    for j in range(3):
        state[f"layers.0.neurons.{j}.w.0"] = P["W1"][run, 0, j]
        state[f"layers.0.neurons.{j}.w.1"] = P["W1"][run, 1, j]
        state[f"layers.0.neurons.{j}.b"] = P["b1"][run, 0, j]
        state[f"layers.1.neurons.0.w.{j}"] = P["W2"][run, j, 0]
    state["layers.1.neurons.0.b"] = P["b2"][run, 0, 0]
    m.load_state_dict({k: float(v) for k, v in state.items()})
    return m

def engine_gradients(m, loss_fn):
    """The engine's grads, laid out like the article's arrays for one run."""
    loss = loss_fn([m(x) for x in X], y)
    m.zero_grad()
    loss.backward()
    hidden, out = m.layers
    return {"W1": np.array([[n.w[i].grad for n in hidden.neurons] for i in range(2)]),
            "b1": np.array([[n.b.grad for n in hidden.neurons]]),
            "W2": np.array([[w.grad] for w in out.neurons[0].w]),
            "b2": np.array([[out.neurons[0].b.grad]])}

P0 = init_params(seeds, small_randn)
_, article = article_gradients(P0)
for run in (0, 1, 2):
    m = engine_model(P0, run)
    bce_g = engine_gradients(m, nn.binary_cross_entropy)
    mse_g = engine_gradients(m, nn.mse_loss)
    vs_bce = max(np.abs(article[k][run] - bce_g[k]).max() for k in article)
    ratio = np.abs(mse_g["W2"] / article["W2"][run])
    print(f"run {run}: |article - cross-entropy| <= {vs_bce:.1e};  "
          f"MSE / article for W2: {ratio.min():.3f} to {ratio.max():.3f}")
    assert vs_bce < 1e-12
    assert (np.abs(ratio - 0.5) < 0.01).all()

# %% [markdown]
# So the article trains cross-entropy while reporting squared error: a mismatch, not the
# cause of the stall. Cross-entropy's gradient is the *larger* one; with the true MSE
# gradient the same 10,000 epochs do no better:

# %%
_, _, _, solved_mse = train_article(P0, epochs=10_000, dZ2_rule="mse")
print(f"with MSE's own gradient: solved {solved_mse.sum()} of {len(solved_mse)}")
assert solved_mse.sum() == 0

# %% [markdown]
# ### Diagnosis 2: a plateau
#
# With weights of size 0.1 every hidden neuron starts near σ(0) = ½ for all four inputs: the
# three hidden neurons say almost the same thing, the output is ½ everywhere, and the gradient
# that would pull them apart is tiny. Compare the gradient's size at the start with the
# same network initialised like `nn.MLP` (uniform in (-1, 1)):

# %%
def uniform(r, shape):           # nn.MLP's initialisation
    return r.uniform(-1, 1, shape)

def grad_norm(grads):
    return np.sqrt(sum((g.reshape(len(g), -1) ** 2).sum(axis=1) for g in grads.values()))

A1_small = sigmoid(Xa @ P0["W1"] + P0["b1"])
norm_small = grad_norm(article_gradients(P0)[1])
norm_uniform = grad_norm(article_gradients(init_params(seeds, uniform))[1])
print(f"hidden outputs with 0.1*randn: {A1_small.min():.3f} to {A1_small.max():.3f}")
print(f"|gradient| at the start, 0.1*randn:       median {np.median(norm_small):.4f}")
print(f"|gradient| at the start, uniform(-1, 1):  median {np.median(norm_uniform):.4f}")
assert (np.abs(A1_small - 0.5) < 0.1).all()
assert np.median(norm_uniform) > 3 * np.median(norm_small)

# %% [markdown]
# A plateau is slow, not fatal. Given ten times the epochs, most runs do get off it, each
# after a long flat stretch that ends suddenly:

# %%
start = time.perf_counter()
_, _, mse_long, solved_long = train_article(P0, epochs=100_000)
escaped = [int(np.argmax(curve < 0.2)) * 1000 if (curve < 0.2).any() else None
           for curve in mse_long.T]
print(f"{time.perf_counter() - start:.1f} s;  solved after 100,000 epochs: "
      f"{solved_long.sum()} of {len(solved_long)}")
print("epoch at which the MSE first drops below 0.2, per run:", escaped)
assert 5 <= solved_long.sum() < len(solved_long)
assert all(e is None or e > 10_000 for e in escaped)

fig, ax = plt.subplots(figsize=(6.5, 3), dpi=80)
ax.plot(np.arange(0, 100_000, 1000), mse_long, lw=1)
ax.axvline(10_000, color="k", ls=":", lw=1)
ax.text(11_000, 0.12, "the article\nstops here", fontsize=9)
ax.set(xlabel="epoch", ylabel="mean squared error", title="article 004's XOR, 10 runs")
plt.show()

# %% [markdown]
# ### The fix, one change at a time
#
# 1. Name the loss the gradient belongs to: binary cross-entropy (the updates do not change).
# 2. Initialise like `nn.MLP`, uniform in (-1, 1): the hidden neurons start out different.
#    At the article's learning rate 0.1 and 10,000 epochs every run now solves XOR.
# 3. Raise the learning rate to 2: 1,000 epochs are enough.

# %%
P_uniform = init_params(seeds, uniform)
_, _, _, solved_init = train_article(P_uniform, epochs=10_000, lr=0.1)
_, _, _, solved_lr = train_article(P_uniform, epochs=1_000, lr=2.0)
_, _, _, solved_small_lr = train_article(P_uniform, epochs=1_000, lr=0.1)
print(f"uniform(-1, 1), lr 0.1, 10,000 epochs: solved {solved_init.sum()} of 10")
print(f"uniform(-1, 1), lr 0.1,  1,000 epochs: solved {solved_small_lr.sum()} of 10")
print(f"uniform(-1, 1), lr 2,    1,000 epochs: solved {solved_lr.sum()} of 10")
assert solved_init.all() and solved_lr.all() and not solved_small_lr.any()

# %% [markdown]
# These are the settings the engine's network uses below: `nn.MLP`'s initialisation,
# cross-entropy, learning rate 2, 1,000 steps.

# %% [markdown]
# ## Training both, side by side
#
# With the fixed settings: `nn.MLP`'s initial weights, cross-entropy, full-batch gradient
# descent with learning rate 2 for 1000 steps. Each step: forward, loss, backward,
# `w -= lr * grad` — with `nn.SGD` for the engine, with array arithmetic for numpy. Both start
# from the same weights and should stay together.

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
    ax.scatter(Xa[:, 0], Xa[:, 1], c=T, cmap="RdBu_r", edgecolors="k", s=80, vmin=0, vmax=1)
    ax.set(title=title, aspect="equal")
fig.colorbar(im, ax=axes[1:], shrink=0.8)
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
# training as above, five seeds each:

# %%
def train_xor(activation, seed):
    m = nn.MLP(2, [3, 1], activation=activation, output_activation="sigmoid", seed=seed)
    return nn.fit(m, X, y, loss="bce", optimizer=nn.SGD(m.parameters(), lr=2.0), epochs=1000,
                  progress=False)

nonlinearity = {a: [train_xor(a, seed) for seed in range(5)] for a in ("sigmoid", "linear")}
for a, hs in nonlinearity.items():
    print(f"{a:8s} final loss", [round(h.loss[-1], 4) for h in hs],
          " accuracy", [f"{h.accuracy[-1]:.0%}" for h in hs])
assert all(h.accuracy[-1] == 1.0 for h in nonlinearity["sigmoid"])
assert all(h.loss[-1] > np.log(2) - 1e-6 and h.accuracy[-1] < 1 for h in nonlinearity["linear"])

# %% [markdown]
# ## Article 003's δ rule, checked
#
# Article 003's worked example trains the 2-3-2-1 sigmoid network of
# [notebook 2](02_step_through_backprop.ipynb). Its symbols, in this project's terms:
#
# | article 003 | notebooks 2 and 3 | what it is |
# |---|---|---|
# | `w(xm)n`, `wmn` | `w(xm,n)`, `w(m,n)` | weight from input `xm` or neuron `m` into neuron `n` |
# | `e` | $e_n$ | a neuron's weighted sum |
# | `f(e)` | $y_n = \sigma(e_n)$ | a neuron's output |
# | `df(e)/de` | $\sigma'(e_n) = y_n(1 - y_n)$ | its slope |
# | `y` | $y_6$ | the network's output |
# | `z` | $t$ | the target |
# | `δ = z − y` | $-\partial L/\partial y_6$, with $L = \frac12 (y_6 - t)^2$ | the output error |
# | `η` | η | the learning rate |
#
# The article sends δ back **through the weights alone**, $\delta_m = \sum_n w_{mn}\delta_n$,
# and applies `df(e)/de` only in the update, $w_{mn} \leftarrow w_{mn} + \eta\, \delta_n\,
# \frac{df_n(e)}{de}\, y_m$. Backprop (notebook 2) multiplies by each neuron's slope *on the
# way back*, so every layer below the output should also carry the slopes of the layers above
# it. On notebook 2's network, in plain floats beside the engine:

# %%
import math

inputs = {"x1": 0.35, "x2": 0.9}
target = 0.9
weights = {                               # notebook 2's network
    ("x1", 1): 0.1, ("x2", 1): 0.8, ("x1", 2): 0.4, ("x2", 2): 0.6,
    ("x1", 3): 0.3, ("x2", 3): -0.5,
    (1, 4): 0.3, (2, 4): 0.9, (3, 4): -0.4, (1, 5): 0.5, (2, 5): -0.2, (3, 5): 0.7,
    (4, 6): 0.6, (5, 6): -0.8,
}
layers = [[1, 2, 3], [4, 5], [6]]
sources = {j: [i for (i, k) in weights if k == j] for layer in layers for j in layer}
users = {m: [n for (i, n) in weights if i == m] for m in [1, 2, 3, 4, 5]}

def forward_floats(wv):
    yv = dict(inputs)
    for layer in layers:
        for n in layer:
            yv[n] = 1 / (1 + math.exp(-sum(wv[m, n] * yv[m] for m in sources[n])))
    return yv

def article_updates(wv):
    """Article 003: how far each weight moves per unit of η."""
    yv = forward_floats(wv)
    delta = {6: target - yv[6]}                                  # δ = z − y
    for layer in reversed(layers[:-1]):
        for m in layer:
            delta[m] = sum(wv[m, n] * delta[n] for n in users[m])   # the weights alone
    return {(m, n): delta[n] * yv[n] * (1 - yv[n]) * yv[m] for (m, n) in wv}

def L_of(*ws):
    """½ (y6 − t)², the network built from Values."""
    w = dict(zip(weights, ws, strict=True))
    yv = {k: Value(v, k) for k, v in inputs.items()}
    for layer in layers:
        for n in layer:
            yv[n] = Value.dot([w[m, n] for m in sources[n]], [yv[m] for m in sources[n]]).sigmoid()
    err = yv[6] - target
    return 0.5 * err * err

ws = [Value(v, f"w({m},{n})") for (m, n), v in weights.items()]
L_of(*ws).backward()
article = article_updates(weights)
ratio = {key: article[key] / -w.grad for key, w in zip(weights, ws, strict=True)}
for group, keys in (("into the output, 6", [k for k in weights if k[1] == 6]),
                    ("into layer 2, 4-5", [k for k in weights if k[1] in (4, 5)]),
                    ("into layer 1, 1-3", [k for k in weights if k[1] in (1, 2, 3)])):
    r = [ratio[k] for k in keys]
    print(f"weights {group}: article's update / backprop's = {min(r):.2f} to {max(r):.2f}")
out_r = [ratio[k] for k in weights if k[1] == 6]
mid_r = [ratio[k] for k in weights if k[1] in (4, 5)]
low_r = [ratio[k] for k in weights if k[1] in (1, 2, 3)]
assert all(abs(r - 1) < 1e-12 for r in out_r)
assert all(3.95 < r < 4.05 for r in mid_r)
assert 16.4 < min(low_r) and max(low_r) < 17.7

# %% [markdown]
# The output layer's updates are right; the second layer's are 4.0× too large (the missing
# factor is the output's slope $y_6(1-y_6) \approx 0.25$) and the first layer's 16.5–17.6×
# (two missing slopes). The direction of every update is still downhill here, which is why a
# network trained this way can still learn: the rule is wrong in size, not in sign.

# %%
assert all(r > 0 for r in ratio.values())

# %% [markdown]
# `gradcheck` catches the rule. To hand it over, write the network as a graph whose backward
# pass does what the article says: each neuron's output is σ(e) on the way to its own
# weights (`own`), and passes the error to the layer below unchanged, through the weights
# alone (`back`, whose forward value `back - back.data` is 0, so the loss is unchanged).

# %%
from autograd_tiny import GradcheckError, gradcheck


def L_article(*ws):
    """The same ½ (y6 − t)²; its backward pass is article 003's rule."""
    w = dict(zip(weights, ws, strict=True))
    yv = {k: Value(v, k) for k, v in inputs.items()}
    for layer in layers:
        for n in layer:
            own = Value.dot([w[m, n] for m in sources[n]], [yv[m].data for m in sources[n]])
            back = Value.dot([w[m, n].data for m in sources[n]], [yv[m] for m in sources[n]])
            yv[n] = own.sigmoid() + (back - back.data)
    err = yv[6] - target
    return 0.5 * err * err

ws_article = [Value(v) for v in weights.values()]
loss_article = L_article(*ws_article)
loss_article.backward()
assert loss_article.data == L_of(*weights.values()).data                # same loss
assert all(math.isclose(-w.grad, article[key], rel_tol=1e-12)            # the article's rule
           for key, w in zip(weights, ws_article, strict=True))
assert gradcheck(L_of, list(weights.values()))                           # backprop passes
try:
    gradcheck(L_article, list(weights.values()))
except GradcheckError as error:
    print(error)
else:
    raise AssertionError("gradcheck should have failed")

# %% [markdown]
# `x0` … `x13` are the 14 weights in notebook 2's order, `w(x1,1)` first and `w(5,6)` last.
# The twelve weights of the two hidden layers fail, by the factors above (relative errors
# 3.0 and 15.6–16.6 are ratios of 4.0 and 16.6–17.6); the two output weights pass.

# %% [markdown]
# **Next:** [4. Moons with an MLP](04_moons_mlp.ipynb) reproduces micrograd's demo and compares
# full-batch, stochastic and mini-batch training.
# x = 1
