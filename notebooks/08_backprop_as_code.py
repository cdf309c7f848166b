# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
# ---

# %% [markdown]
# # 8. Backprop as code
#
# `backward()` walks a graph node by node and looks up each node's rule in the op table.
# `autograd_tiny.compile` does that walk once, while tracing a function, and writes down what
# it would do as plain Python: one line per node for the forward pass, then one line per
# partial derivative for the backward pass, each partial written with the op table's formula
# (`out * (1 - out)` for a sigmoid), skipped under `if g...:` when nothing flows back, as the
# engine skips it. The result is the chain rule written out by hand, and it computes
# bitwise the same numbers as the interpreter. The code names each value `v` and a number
# (`v7`), its gradient `g` and the same number (`g7`); labels are shown in comments.
#
# We compile one sample's loss of a sigmoid 2-3-1 network, put the source next to the graph,
# compare it with the backward pass the classic XOR tutorial writes by hand in numpy, and
# time it on the moons.

# %%
import html
import re
import time

import numpy as np
from IPython.display import HTML

import nn
from autograd_tiny import Value, compile, draw_dot

model = nn.MLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
X, y = nn.datasets.xor()
print(model)

# %% [markdown]
# One sample's loss is the squared error of the network's output. We name the
# intermediate values as a lecture would: `z` before an activation, `h` a hidden unit, `o` the
# output. The parameters carry their dotted names (`layers.0.neurons.2.w.1`) from `nn`.

# %%
def loss_of(x0: Value, x1: Value, t: Value) -> Value:
    hidden = model.layers[0]([x0, x1])
    for i, h in enumerate(hidden):
        h.label, h.children[0].label = f"h{i}", f"z{i}"
    o = model.layers[1](hidden)
    o.label, o.children[0].label = "o", "zo"
    d = o - t
    d.label = "d"
    loss = d * d
    loss.label = "loss"
    return loss


params = model.parameters()
loss_c = compile(loss_of, [*X[1], y[1]], argnums=(), params=params)
print(loss_c.source)

# %% [markdown]
# Below, that code again above the graph of the same loss, drawn after `backward()`. Each
# line of the forward is a node of the picture (its label in the comment); each
# `g_child += partial * g_node` line is one edge of the picture walked backwards. `g17` is the
# gradient of the loss with respect to the value `v17`.

# %%
x0, x1, t = Value(X[1][0], "x0"), Value(X[1][1], "x1"), Value(y[1], "t")
loss = loss_of(x0, x1, t)
model.zero_grad()
loss.backward()
svg = draw_dot(loss, compact=True).pipe(format="svg", encoding="utf-8")
# The code above the picture, lines wrapped rather than cut; the picture as wide as the page,
# never so small that its 11-unit labels are under 9 px (it scrolls sideways instead).
width = float(re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+)', svg)[1])
svg = re.sub(r'<svg width="[^"]*" height="[^"]*"',
             f'<svg style="width:100%;min-width:{width * 9 / 11:.0f}px;height:auto"', svg, count=1)
HTML('<pre style="font-size:12px;line-height:1.3;white-space:pre-wrap;'
     f'overflow-wrap:anywhere;margin:0 0 8px">{html.escape(loss_c.source)}</pre>'
     f'<div style="overflow-x:auto">{svg}</div>')

# %% [markdown]
# The compiled code and the interpreter agree exactly, not just closely: the same float
# operations in the same order. `value_and_grad` also adds each parameter's gradient to its
# `.grad`, as `backward()` does.

# %%
interpreted = [p.grad for p in params]
model.zero_grad()
value, _ = loss_c.value_and_grad(*X[1], y[1])
assert value == loss.data
assert [p.grad for p in params] == interpreted
print(f"loss {value:.6f}; d loss / d layers.1.neurons.0.b = {params[-1].grad:.6f}")

# %% [markdown]
# ## The same network by hand, in numpy
#
# This is how the classic XOR tutorials write it: whole-batch matrices, the forward pass, then
# the deltas layer by layer (`delta = error * sigmoid'`), then the weight gradients as outer
# products. Loss: the mean of the four samples' squared errors.

# %%
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


hidden, out = model.layers[0].neurons, model.layers[1].neurons[0]
W1 = np.array([[w.data for w in n.w] for n in hidden])  # 3 x 2
b1 = np.array([n.b.data for n in hidden])  # 3
W2 = np.array([[w.data for w in out.w]])  # 1 x 3
b2 = np.array([out.b.data])  # 1
Xs, T = np.array(X), np.array(y).reshape(-1, 1)

# forward
h = sigmoid(Xs @ W1.T + b1)  # 4 x 3
o = sigmoid(h @ W2.T + b2)  # 4 x 1
mean_loss = np.mean((o - T) ** 2)

# backward
d_o = 2 * (o - T) / len(Xs)  # d loss / d o
delta2 = d_o * o * (1 - o)  # d loss / d zo
dW2, db2 = delta2.T @ h, delta2.sum(axis=0)
delta1 = (delta2 @ W2) * h * (1 - h)  # d loss / d z
dW1, db1 = delta1.T @ Xs, delta1.sum(axis=0)
by_hand = [g for j in range(3) for g in (*dW1[j], db1[j])] + [*dW2[0], db2[0]]
print(f"numpy: loss {mean_loss:.6f}")

# %% [markdown]
# The compiled function loops over rows: `accumulate` runs the four samples, each seeded with
# 1/4 (the mean), the parameters' gradients adding up across them exactly as four calls of
# `backward()` would.

# %%
model.zero_grad()
rows = [(*x, t) for x, t in zip(X, y, strict=True)]
values = [r[0] for r in loss_c.accumulate(rows, seed=1 / len(rows))]
compiled = [p.grad for p in params]
assert np.isclose(np.mean(values), mean_loss, rtol=1e-14, atol=0)
assert np.allclose(compiled, by_hand, rtol=1e-12, atol=1e-15)
for (name, p), g in zip(model.named_parameters(), by_hand, strict=True):
    print(f"{name:22} compiled {p.grad:+.12f}   numpy {g:+.12f}")

# %% [markdown]
# Line for line they are the same chain rule: numpy's `delta1 = (delta2 @ W2) * h * (1 - h)`
# is, per hidden unit, `g17 += v12 * g22` (h0's gradient from zo's, through the weight
# `v12`, layers.1.neurons.0.w.0) followed by `g16 += v17 * (1 - v17) * g17` (z0's from
# h0's); `dW1 = delta1.T @ Xs` is `g3 += v0 * g16` (layers.0.neurons.0.w.0's, input x0). numpy computes every gradient densely for the whole batch; the compiled code works
# one sample at a time and skips a node whose gradient is exactly 0.
#
# ## Faster training
#
# `nn.fit(..., compile=True)` traces one sample's loss once, then runs the
# generated code over every batch. The history is the interpreter's, bit for bit. micrograd's
# moons demo, 20 steps each:

# %%
Xm, ym = nn.datasets.make_moons(100, noise=0.1, seed=1337)
ym = nn.datasets.signed_labels(ym)


def train(compile: bool):
    mlp = nn.MLP(2, [16, 16, 1], seed=1337)
    start = time.perf_counter()
    history = nn.fit(mlp, Xm, ym, loss="hinge", l2=1e-4, epochs=20, progress=False,
                     optimizer=nn.SGD(mlp.parameters(), lr=1.0), compile=compile)
    return time.perf_counter() - start, history, mlp


t_interpreted, h_interpreted, m_interpreted = train(compile=False)
t_compiled, h_compiled, m_compiled = train(compile=True)
assert h_compiled.loss == h_interpreted.loss
assert m_compiled.state_dict() == m_interpreted.state_dict()
print(f"interpreted: {t_interpreted:.2f} s, compiled (tracing included): {t_compiled:.2f} s, "
      f"{t_interpreted / t_compiled:.1f}x faster; final loss {h_compiled.loss[-1]:.4f} both")

# %% [markdown]
# The measured ratio depends on the machine and its load (`make bench` measures it properly,
# interleaved, against a hand-written plain-float version too). The trace holds for inputs that
# take the same path through the Python that built it: a comparison such as `if x > 0` becomes
# a guard, checked by the compiled code, and a new path is traced when it fails; reading
# `.data` inside the traced function is refused with an error naming the line.

# %%
def branchy(x: Value) -> Value:
    return x * 2.0 if x > 0 else x.exp()


c = compile(branchy, [1.0])
print(c.source)
print(c(3.0), c(-1.0), f"{len(c.traces)} paths traced")
