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
# # 5. Activations and vanishing gradients
#
# Backprop multiplies local derivatives along every path from the loss back to a weight. Each
# sigmoid on the way contributes a factor $\sigma'(e) = \sigma(e)(1 - \sigma(e)) \le \frac14$,
# so in a deep sigmoid network the gradient of the early layers shrinks geometrically with
# depth: it *vanishes*, and those layers barely learn. tanh' ≤ 1 shrinks less; ReLU' is exactly
# 1 wherever the neuron is active.
#
# We look at the three activations and their slopes, then at a thin deep network shaded by
# |grad|, the mean gradient per layer of wider deep networks, and how well each one trains,
# and what goes wrong in the one that does not.

# %%
import matplotlib.pyplot as plt
import numpy as np

import nn
from autograd_tiny import Value, draw_dot, grad, no_grad

# %% [markdown]
# ## Three activations and their slopes
#
# Each curve and its derivative, the derivative taken by the engine with `grad`:

# %%
activation_fns = {"sigmoid": Value.sigmoid, "tanh": Value.tanh, "relu": Value.relu}
xs = np.linspace(-5, 5, 201)
fig, axes = plt.subplots(1, 3, figsize=(10, 2.6), dpi=80, sharey=True)
slopes = {}
for ax, (name, act) in zip(axes, activation_fns.items(), strict=True):
    slopes[name] = np.array([grad(act)(x) for x in xs])
    ax.plot(xs, [act(Value(x)).data for x in xs], label=name)
    ax.plot(xs, slopes[name], "--", label="slope")
    ax.axhline(0, color="k", lw=0.5)
    ax.set(title=name, xlabel="e", ylabel=f"{name}(e) and its slope", ylim=(-1.1, 1.6))
    ax.legend(loc="upper left", fontsize=8)
plt.tight_layout()
plt.show()
for name, s in slopes.items():
    print(f"{name:8s} largest slope {s.max():.3f} at e = {xs[s.argmax()]:+.2f};  "
          f"slope at |e| = 5: {s[0]:.4f}")
assert slopes["sigmoid"].max() == 0.25 and xs[slopes["sigmoid"].argmax()] == 0
assert slopes["tanh"].max() == 1.0 and xs[slopes["tanh"].argmax()] == 0
assert set(slopes["relu"]) == {0.0, 1.0}

# %% [markdown]
# The sigmoid's slope is never above ¼, and both S-curves' slopes fall towards 0 when the input
# is large in either direction (they *saturate*). ReLU's slope is 1 for every positive input and
# 0 for every negative one.
#
# ## A thin deep network, drawn
#
# Six neurons in a chain, `MLP(1, [1, 1, 1, 1, 1, 1])`, every weight set to 1 and every bias to
# 0 so that only the activation differs. After `backward()`, `draw_dot(..., color_by="grad")`
# shades each value by |grad| relative to the largest, on a log scale: full colour is the
# largest gradient, white is a millionth of it or less.

# %%
def chain(activation, depth=6):
    model = nn.MLP(1, [1] * depth, activation=activation, output_activation=activation)
    model.load_state_dict({name: 1.0 if ".w." in name else 0.0 for name in model.state_dict()})
    for i, layer in enumerate(model.layers, 1):   # short labels: one straight line, no clusters
        layer.neurons[0].w[0].label, layer.neurons[0].b.label = f"w{i}", f"b{i}"
    x = Value(1.0, "x")
    out = model([x])
    out.label = "out"
    out.backward()
    return model, out

sigmoid_chain, out = chain("sigmoid")
draw_dot(out, rankdir="TB")

# %% [markdown]
# From the output at the bottom up to the input the boxes fade. With $y_0 = x$ and
# $y_k = \sigma(w_k y_{k-1})$, the chain rule gives
# $\partial\,\mathrm{out}/\partial w_1 = x \prod_{k=1}^{6} \sigma'(e_k) \prod_{k=2}^{6} w_k$ and
# $\partial\,\mathrm{out}/\partial w_6 = y_5\, \sigma'(e_6)$, so with every weight 1
#
# $$\frac{\partial\,\mathrm{out}/\partial w_1}{\partial\,\mathrm{out}/\partial w_6}
#   = \frac{x}{y_5} \prod_{k=1}^{5} \sigma'(e_k) \;\le\; \frac{x}{y_5} \cdot 0.25^5 .$$
#
# The five slopes are about 0.2 each; the factor $x / y_5$ is about 1.5, so the plain $0.25^5$
# is not a bound here:

# %%
def weight_grads(model):
    return [layer.neurons[0].w[0].grad for layer in model.layers]

g = weight_grads(sigmoid_chain)
for i, gi in enumerate(g):
    print(f"d out / d w{i + 1} = {gi:.3e}")
ys = [1.0]                                   # x, y1, ..., y6, forward in floats
for _ in range(6):
    ys.append(1 / (1 + np.exp(-ys[-1])))
slope = [y * (1 - y) for y in ys[1:]]        # sigma'(e_k) = y_k (1 - y_k)
ratio = g[0] / g[-1]
print(f"first / last = {ratio:.2e};  x / y5 = {ys[0] / ys[5]:.3f};  "
      f"slopes {[round(s, 3) for s in slope[:5]]}")
print(f"(x / y5) * product of slopes = {ys[0] / ys[5] * np.prod(slope[:5]):.2e};  "
      f"bound (x / y5) * 0.25**5 = {ys[0] / ys[5] * 0.25**5:.2e};  0.25**5 = {0.25**5:.2e}")
assert np.isclose(ratio, ys[0] / ys[5] * np.prod(slope[:5]), rtol=1e-12)
assert ratio <= ys[0] / ys[5] * 0.25**5 and ratio > 0.25**5 * 0.5
assert 1.4 < ys[0] / ys[5] < 1.6 and all(0.19 < s < 0.25 for s in slope[:5])

# %% [markdown]
# The same chain with ReLU: with the same weights every neuron is active, every local
# derivative is 1, and every weight gets the same gradient, 1:

# %%
relu_chain, out = chain("relu")
g = weight_grads(relu_chain)
print([f"{gi:.3g}" for gi in g])
assert g[0] == g[-1] == 1.0
draw_dot(out, rankdir="TB")

# %% [markdown]
# ## Deep and wider: gradient per layer
#
# Now eight hidden layers of eight neurons, with micrograd's initialisation (weights uniform in
# (-1, 1), biases 0), a linear output, on 40 moons points. Backprop multiplies the same slopes
# and weights whatever the loss does with the output, so we measure that product directly: for
# each of the 40 points, the gradient of the network's *score* for that point,
# $\partial\,\mathrm{score} / \partial w$, and for each layer the mean |grad| of its weights
# over the points. (Why not the loss's gradient: the hinge loss adds up the points' gradients
# with opposite signs for the two classes, and where the network gives every point nearly the
# same score they cancel, in every layer at once; that hides the layer-by-layer effect behind
# a different one, which the section on the forward signal below comes back to.)
#
# Every claim in this notebook is checked on the same ten initialisations, `SEEDS`, and the
# prose says on how many of them it holds.

# %%
X, y01 = nn.datasets.make_moons(40, noise=0.1, seed=0)
y = nn.datasets.signed_labels(y01)
depth, width = 8, 8
SEEDS = range(100, 110)

def grad_per_layer(activation, seed, **kwargs):
    """Per layer, the mean over points and weights of |d score / d w|."""
    model = nn.MLP(2, [width] * depth + [1], activation=activation, seed=seed, **kwargs)
    total = np.zeros(len(model.layers))
    for x in X:
        score = model(x)
        model.zero_grad()
        score.backward()
        total += [np.mean([abs(w.grad) for n in layer.neurons for w in n.w])
                  for layer in model.layers]
    return total / len(X)

activations = ["sigmoid", "tanh", "relu"]
runs = {a: np.array([grad_per_layer(a, seed) for seed in SEEDS]) for a in activations}
per_layer = {a: r.mean(axis=0) for a, r in runs.items()}
for a, g in per_layer.items():
    print(f"{a:8s}", " ".join(f"{v:8.1e}" for v in g))

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.4), dpi=80)
for a, g in per_layer.items():
    ax.plot(range(len(g)), g, "o-", label=a)
ax.set(yscale="log", xlabel="layer (0 = first, 8 = output)",
       ylabel="mean |d score / dw|",
       title=f"gradient per layer, {depth} hidden layers of {width}, mean of {len(SEEDS)} seeds")
ax.legend()
plt.show()

# %% [markdown]
# The sigmoid network's gradient vanishes layer by layer on every one of the ten seeds: it
# grows at every step from the first hidden layer to the last, and the first hidden layer's is
# 2.6 to 3.7 orders of magnitude (a factor of 400 to 5,000) smaller than the last hidden
# layer's. tanh and ReLU keep their gradients level: on every seed the first layer's is within
# a factor of five of the last hidden layer's, and in neither does it grow at every layer on
# any seed. (With weights uniform in (-1, 1), ReLU layers of eight neurons can amplify the
# signal; deeper or wider, they would *explode*, the opposite problem; initialisation is the
# cure, below.)

# %%
orders = {a: np.log10(r[:, -2] / r[:, 0]) for a, r in runs.items()}
growing = {a: [bool((np.diff(row[:-1]) > 0).all()) for row in r] for a, r in runs.items()}
for a, o in orders.items():
    print(f"{a:8s} log10(last hidden / first) per seed:", np.round(o, 1),
          f"  grows at every layer on {sum(growing[a])} of {len(SEEDS)}")
assert sum(growing["sigmoid"]) == len(SEEDS)
assert all(2.5 < o < 3.8 for o in orders["sigmoid"])
assert all(abs(o) < np.log10(5) for o in np.concatenate([orders["tanh"], orders["relu"]]))
assert sum(growing["tanh"]) == sum(growing["relu"]) == 0

# %% [markdown]
# ## What it does to training
#
# The same three deep networks trained with the hinge loss for 40 full-batch steps of plain
# gradient descent with the same learning rate, 0.05, from the ten initialisations. (`fit(...,
# compile=True)` runs each step as generated Python: the same numbers, bit for bit, faster;
# notebook 8 shows how.)

# %%
def train(activation, seed, epochs=40, lr=0.05, **kwargs):
    model = nn.MLP(2, [width] * depth + [1], activation=activation, seed=seed, **kwargs)
    history = nn.fit(model, X, y, loss="hinge", optimizer=nn.SGD(model.parameters(), lr=lr),
                     epochs=epochs, progress=False, compile=True)
    return model, history

trained = {a: [train(a, seed) for seed in SEEDS] for a in activations}
for a, rs in trained.items():
    print(f"{a:8s} loss", [f"{h.loss[0]:.3f} -> {h.loss[-1]:.3f}" for _, h in rs],
          " accuracy", [f"{h.accuracy[-1]:.0%}" for _, h in rs])

fig, ax = plt.subplots(figsize=(6.5, 3.4), dpi=80)
for (a, rs), color in zip(trained.items(), ["C0", "C1", "C2"], strict=True):
    for k, (_, h) in enumerate(rs):
        ax.plot(h.loss, color=color, label=a if k == 0 else None)
ax.set(xlabel="step", ylabel="hinge loss", yscale="log", title="deep networks, same learning rate")
ax.legend()
plt.show()

# %% [markdown]
# On all ten seeds the sigmoid network ends at a hinge loss of 1 (within 0.01), the loss of a
# score of 0 for every point, and the tanh and ReLU networks learn: their final loss is below
# 0.45 on all ten. Between those two there is no consistent winner at this depth and with this
# initialisation: tanh ends lower than ReLU on 8 of the 10 seeds, ReLU on the other 2 (on
# another ten seeds it was 6 to 4). So "ReLU is the default" is not something this run shows;
# what ReLU needs to go deeper is the right initialisation (below).

# %%
final = {a: [h.loss[-1] for _, h in rs] for a, rs in trained.items()}
tanh_lower = sum(t < r for t, r in zip(final["tanh"], final["relu"], strict=True))
print(f"tanh ends below ReLU on {tanh_lower} of {len(SEEDS)} seeds")
assert all(abs(v - 1.0) < 0.01 for v in final["sigmoid"])
assert all(v < 0.45 for v in final["tanh"] + final["relu"])
assert tanh_lower == 8

# %% [markdown]
# ### Why the sigmoid network is stuck: the forward signal has collapsed
#
# Small early-layer gradients are not the whole story. Look at the *forward* pass: how much
# does the last hidden layer's output change from one input point to another? For each neuron
# of that layer, the spread (max − min) of its output over the 40 points, at the initial
# weights:

# %%
def last_hidden_spread(activation, seed, **kwargs):
    model = nn.MLP(2, [width] * depth + [1], activation=activation, seed=seed, **kwargs)
    with no_grad():
        hs = []
        for x in X:
            h = x
            for layer in model.layers[:-1]:
                h = layer(h)
            hs.append([v.data for v in h])
    return np.ptp(np.array(hs), axis=0).max()

spread = {a: [last_hidden_spread(a, seed) for seed in SEEDS] for a in activations}
for a, s in spread.items():
    print(f"{a:8s} largest spread of a last-hidden-layer output over the inputs:",
          [f"{v:.1e}" for v in s])
assert all(v < 2e-3 for v in spread["sigmoid"])
assert all(v > 0.5 for v in spread["tanh"] + spread["relu"])

# %% [markdown]
# Eight sigmoid layers with these weights squash every input to (almost) the same vector: on
# every seed the last hidden layer varies by less than two thousandths across the whole
# dataset, where tanh's and ReLU's vary by more than 0.5. The output neuron sees the same
# features for every point, so the best it can do is a constant score, and the hinge loss sits
# at 1.
#
# This is also why the *loss's* gradient is no use for seeing the layer-by-layer vanishing in
# this network: with the same score for every point, the hinge loss's gradient is +1/40 for
# every point of one class and -1/40 for every point of the other, and with 20 of each, the
# points' contributions cancel in every layer at once, the output layer's included. The mean
# |dL/dw| of the output layer's weights, per seed:

# %%
def output_layer_loss_grad(activation, seed):
    """The output layer's mean |dL/dw| and the largest |score| over the points."""
    model = nn.MLP(2, [width] * depth + [1], activation=activation, seed=seed)
    scores = [model(x) for x in X]
    loss = nn.hinge_loss(scores, y)
    model.zero_grad()
    loss.backward()
    return (np.mean([abs(w.grad) for w in model.layers[-1].neurons[0].w]),
            max(abs(s.data) for s in scores))

cancelled = {a: [output_layer_loss_grad(a, seed) for seed in SEEDS] for a in ("sigmoid", "tanh")}
for a, gs in cancelled.items():
    print(f"{a:8s} output layer's mean |dL/dw|:", [f"{g:.0e}" for g, _ in gs])
print("sigmoid, largest |score|:", [f"{m:.2f}" for _, m in cancelled["sigmoid"]])
print(f"labels: {sum(t > 0 for t in y)} of +1, {sum(t < 0 for t in y)} of -1")
tiny = [g < 1e-3 for g, _ in cancelled["sigmoid"]]
assert sum(tiny) == 8 and all(g > 1e-2 for g, _ in cancelled["tanh"])
assert all(m > 1 for (_, m), t in zip(cancelled["sigmoid"], tiny, strict=True) if not t)
assert all(m < 1 for (_, m), t in zip(cancelled["sigmoid"], tiny, strict=True) if t)

# %% [markdown]
# On 8 of the 10 seeds the sigmoid network's output layer gets less than a thousandth from
# the loss; the tanh network's gets more than a hundredth on all ten. On the other two sigmoid
# seeds the common score starts beyond ±1, so one class's hinge terms are already 0 and do not
# cancel the other's; the gradient they leave moves the common score back towards 0 (the
# training above ends at a loss of 1 on those seeds too). The small early-layer gradient and the collapse
# come from the same product of slopes and weights, applied forward to differences between
# inputs and backward to the gradient; a large gradient would first have to undo the collapse.

# %% [markdown]
# ## Initialisation: Xavier and He
#
# How far a signal travels through many layers depends on the weights' scale. For a layer with
# `fan_in` inputs, `nn.MLP(..., init=...)` draws weights uniform in (-a, a), biases 0:
#
# - `"uniform"` (the default, micrograd's): a = 1, whatever the layer's size;
# - `"xavier"` (Glorot): $a = \sqrt{6 / (\text{fan\_in} + \text{fan\_out})}$, so
#   Var(w) = 2 / (fan_in + fan_out): keeps the variance of a tanh layer's output level, tanh
#   having slope 1 around 0;
# - `"he"` (Kaiming): $a = \sqrt{6 / \text{fan\_in}}$, so Var(w) = 2 / fan_in: the factor 2
#   makes up for ReLU zeroing half of its inputs.
#
# Sixteen hidden layers of sixteen, at the initial weights (no training): the spread of each
# layer's outputs over the 40 input points (max − min, averaged over the layer's neurons), on
# the ten seeds (the plot shows their mean).

# %%
def spread_per_layer(activation, init, seed, depth=16, width=16):
    """Per hidden layer, the spread of its outputs over the inputs; and the fraction of the
    last layer's outputs with |h| > 0.99."""
    model = nn.MLP(2, [width] * depth + [1], activation=activation, seed=seed, init=init)
    with no_grad():
        rows = []
        for x in X:
            h, row = x, []
            for layer in model.layers[:-1]:
                h = layer(h)
                row.append([v.data for v in h])
            rows.append(row)
    rows = np.array(rows)                                   # (points, layers, neurons)
    return np.ptp(rows, axis=0).mean(axis=1), np.mean(np.abs(rows[:, -1]) > 0.99)

cases = [("relu", "uniform"), ("relu", "he"), ("tanh", "uniform"), ("tanh", "xavier"),
         ("sigmoid", "uniform"), ("sigmoid", "xavier")]
measured = {case: [spread_per_layer(*case, seed) for seed in SEEDS] for case in cases}
signal = {case: np.array([m[0] for m in ms]) for case, ms in measured.items()}
sat = {init: [m[1] for m in measured["tanh", init]] for init in ("uniform", "xavier")}
fig, ax = plt.subplots(figsize=(6.5, 3.4), dpi=80)
for (a, init), s in signal.items():
    ax.plot(range(1, 17), s.mean(axis=0), "o-" if init == "uniform" else "s--", ms=3,
            color={"relu": "C2", "tanh": "C1", "sigmoid": "C0"}[a], label=f"{a}, {init}")
ax.set(yscale="log", xlabel="hidden layer", ylabel="spread of outputs over the inputs",
       title=f"the forward signal, 16 layers of 16, mean of {len(SEEDS)} seeds")
ax.legend(fontsize=8, ncol=3)
plt.show()
for (a, init), s in signal.items():
    print(f"{a:8s}{init:8s} layer 16 / layer 1 per seed:", [f"{r:.1e}" for r in s[:, -1] / s[:, 0]])

# %% [markdown]
# On each of the ten seeds:
#
# - **ReLU**: with micrograd's uniform weights each layer multiplies the signal by about
#   $\sqrt{16 \cdot \frac13 / 2} \approx 1.6$: after 16 layers it is more than 100 times
#   larger (it *explodes*, and so do the gradients). With He's weights layer 16's spread is
#   within a factor of 15 of layer 1's, either way.
# - **tanh**: uniform weights drive many pre-activations into the flat parts, where tanh
#   saturates: in the last layer between one output in twenty and one in five is within 1% of
#   ±1, where the slope is below 0.02. With Xavier none is.
# - **sigmoid**: neither helps: layer 16's spread is less than 1e-4 of layer 1's. Xavier
#   assumes an activation with slope 1 around 0 and mean 0; the sigmoid's slope is at most ¼
#   and its mean ½. Xavier's smaller weights make the collapse even faster: a smaller ratio
#   than uniform's on every seed.

# %%
def ratios(case):
    s = signal[case]
    return s[:, -1] / s[:, 0]

print("tanh, fraction of saturated outputs in layer 16:",
      {k: [f"{v:.0%}" for v in vs] for k, vs in sat.items()})
assert all(r > 100 for r in ratios(("relu", "uniform")))
assert all(1 / 15 < r < 15 for r in ratios(("relu", "he")))
assert all(0.05 < v < 0.2 for v in sat["uniform"]) and all(v == 0 for v in sat["xavier"])
assert all(r < 1e-4 for r in ratios(("sigmoid", "uniform")))
assert all(x < u for x, u in zip(ratios(("sigmoid", "xavier")), ratios(("sigmoid", "uniform")),
                                 strict=True))

# %% [markdown]
# ## Batch normalisation
#
# The other remedy: normalise each neuron's pre-activation over the mini-batch, so that
# whatever the weights do, it reaches the activation with mean 0 and variance 1, then let two
# learned numbers per neuron (scale γ and shift β) set the range the next layer gets:
#
# $$\hat e = \frac{e - \mathrm{mean}_{\text{batch}}(e)}{\sqrt{\mathrm{var}_{\text{batch}}(e)
#   + \epsilon}}, \qquad \mathrm{out} = \gamma\, \hat e + \beta .$$
#
# The mean and variance are computed from Values, so backward flows through them too: each
# output depends on every sample of the batch. `nn.BatchNorm(n)` does this for `n` neurons,
# and `nn.Sequential` chains layers, batch norms and activations over a batch. The deep sigmoid
# network of the training section, with a batch norm before every sigmoid:

# %%
import random


def sigmoid_with_batchnorm(seed):
    rng = random.Random(seed)
    modules, nin = [], 2
    for _ in range(depth):
        modules += [nn.Layer(nin, width, "linear", rng=rng), nn.BatchNorm(width),
                    nn.Activation("sigmoid")]
        nin = width
    return nn.Sequential(*modules, nn.Layer(nin, 1, "linear", rng=rng))

print(sigmoid_with_batchnorm(0).layers[:3])
bn_spread, bn_runs = [], []
for seed in SEEDS:
    model = sigmoid_with_batchnorm(seed)
    with no_grad():
        h = X
        for m in model.layers[:-1]:
            h = m.forward_batch(h)
        bn_spread.append(np.ptp(np.array([[v.data for v in row] for row in h]), axis=0).max())
    bn_runs.append(nn.fit(model, X, y, loss="hinge", optimizer=nn.SGD(model.parameters(), lr=0.2),
                          epochs=20, progress=False))
print("largest spread of a last-hidden-layer output:", [f"{v:.2f}" for v in bn_spread])
print("hinge loss:", [f"{h.loss[0]:.3f} -> {h.loss[-1]:.3f}" for h in bn_runs])
below = sum(h.loss[-1] < 0.45 for h in bn_runs)
print(f"below 0.45 after 20 steps: {below} of {len(SEEDS)}")
assert all(0.5 < v < 1 for v in bn_spread)
assert all(h.loss[-1] < h.loss[0] and h.loss[-1] < 0.75 for h in bn_runs) and below == 9

# %% [markdown]
# With batch norm the last hidden layer varies across the inputs again (by 0.5 to 1 on every
# seed, instead of less than two thousandths), and the network trains: after 20 steps the loss
# has fallen on every seed, to below 0.45 on 9 of the 10 (and below 0.75 on all), where the
# plain sigmoid network stayed at 1 after 40. Each step costs
# more, though: every normalisation adds a mean and a variance to the graph.
#
# During training the statistics come from the batch; `model.eval()` switches to running
# averages collected during training, so a single point can be classified on its own.

# %% [markdown]
# **Next:** [6. Optimizers, schedules and regularisation](06_optimizers_schedules_regularisation.ipynb).
