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
# # 2. Step through backprop
#
# The classic worked example of backpropagation: a network with two inputs, hidden layers of
# three and two neurons, and one output, every neuron a sigmoid. We follow one training step:
#
# 1. the **forward** signals, neuron by neuron;
# 2. the **error signal δ** at the output;
# 3. δ propagated **back** through the same weights, summed where paths meet;
# 4. the **weight update** with a learning rate η.
#
# Each backward step is first computed by hand in plain floats, then compared with the engine's
# step-through, `backprop_steps`. Biases are left out to keep the picture small (a bias is one
# more weight whose input is always 1).

# %%
import math

from autograd_tiny import Value, backprop_steps, draw_dot, forward_steps

# %% [markdown]
# ## The network
#
# Neurons are numbered 1–3 (first hidden layer), 4–5 (second) and 6 (output). `w(i,j)` is the
# weight on the connection from input or neuron `i` into neuron `j`. Neuron `j` adds up its
# weighted inputs, its *pre-activation* $e_j = \sum_i w_{i \to j}\, y_i$, and outputs
# $y_j = \sigma(e_j) = 1 / (1 + e^{-e_j})$.

# %%
inputs = {"x1": 0.35, "x2": 0.9}
target = 0.9
weights = {
    ("x1", 1): 0.1, ("x2", 1): 0.8,
    ("x1", 2): 0.4, ("x2", 2): 0.6,
    ("x1", 3): 0.3, ("x2", 3): -0.5,
    (1, 4): 0.3, (2, 4): 0.9, (3, 4): -0.4,
    (1, 5): 0.5, (2, 5): -0.2, (3, 5): 0.7,
    (4, 6): 0.6, (5, 6): -0.8,
}
layers = [[1, 2, 3], [4, 5], [6]]
sources = {1: ["x1", "x2"], 2: ["x1", "x2"], 3: ["x1", "x2"],
           4: [1, 2, 3], 5: [1, 2, 3], 6: [4, 5]}

# %% [markdown]
# ## 1. Forward, neuron by neuron
#
# Each neuron is built from Values: one fused dot-product node for $e_j$ (many children, one
# node) and one `sigmoid` node for $y_j$. The loss is half the squared error,
# $L = \tfrac12 (y_6 - t)^2$.

# %%
w = {(i, j): Value(v, f"w({i},{j})") for (i, j), v in weights.items()}
y = {name: Value(v, name) for name, v in inputs.items()}   # the inputs are the first signals
e = {}
for layer in layers:
    for j in layer:
        e[j] = Value.dot([w[i, j] for i in sources[j]], [y[i] for i in sources[j]])
        e[j].label = f"e{j}"
        y[j] = e[j].sigmoid()
        y[j].label = f"y{j}"
        terms = " + ".join(f"{w[i, j].data:g}·{y[i].data:.4f}" for i in sources[j])
        print(f"neuron {j}: e{j} = {terms} = {e[j].data:+.4f}   y{j} = σ(e{j}) = {y[j].data:.4f}")

t = Value(target, "t")
err = y[6] - t; err.label = "err"
sq = err * err; sq.label = "sq"
L = sq * 0.5; L.label = "L"
print(f"\noutput y6 = {y[6].data:.4f}, target t = {target}, loss L = ½(y6 - t)² = {L.data:.6f}")

# %% [markdown]
# The engine's record of the same forward pass, one line per computed value (leaves omitted):

# %%
for step in forward_steps(L):
    if step.node.children:
        print(step)

# %% [markdown]
# The whole graph, read left to right: inputs and weights, the three neurons of the first layer,
# the two of the second, the output neuron, and the loss. (`y6 - t` is computed as
# `y6 + (-t)`, hence the `-` node.)

# %%
draw_dot(L, show_grad=False, color_by=None, compact=True)

# %% [markdown]
# ## 2. The error signal at the output, by hand
#
# Call $\delta_j = \partial L / \partial e_j$ the error signal of neuron $j$: how much the loss
# changes when the neuron's pre-activation changes. For the output neuron the chain rule gives
#
# $$\delta_6 = \frac{\partial L}{\partial y_6}\,\frac{\partial y_6}{\partial e_6}
#            = (y_6 - t)\; y_6 (1 - y_6),$$
#
# using $\sigma'(e) = \sigma(e)\,(1 - \sigma(e))$. In plain floats:

# %%
yv = {k: v.data for k, v in y.items()}       # the forward signals as floats
wv = dict(weights)
delta = {}
delta[6] = (yv[6] - target) * yv[6] * (1 - yv[6])
print(f"δ6 = (y6 - t) · y6 · (1 - y6) = ({yv[6]:.4f} - {target}) · {yv[6]:.4f} · {1 - yv[6]:.4f}"
      f" = {delta[6]:+.6f}")

# %% [markdown]
# ## 3. δ flows back through the same weights
#
# Neuron $j$ in a hidden layer influences the loss through every neuron $k$ it feeds, so its
# error signal is the weighted **sum** of theirs, times its own sigmoid slope:
#
# $$\delta_j = \Big(\sum_k w_{j \to k}\, \delta_k\Big)\; y_j (1 - y_j).$$
#
# The weights are the ones used forward, now carrying δ the other way.

# %%
for layer in reversed(layers[:-1]):
    for j in layer:
        users = [k for k in sources if j in sources[k]]
        total = sum(wv[j, k] * delta[k] for k in users)
        delta[j] = total * yv[j] * (1 - yv[j])
        paths = " + ".join(f"w({j},{k})·δ{k}" for k in users)
        print(f"δ{j} = ({paths}) · y{j}(1 - y{j}) = {total:+.6f} · {yv[j] * (1 - yv[j]):.4f}"
              f" = {delta[j]:+.6f}")

# %% [markdown]
# Neurons 1, 2 and 3 each feed *both* neurons 4 and 5: two paths meet, and their contributions
# add up. The gradient of a weight is then the error signal of the neuron it feeds times the
# signal on its input:
#
# $$\frac{\partial L}{\partial w_{i \to j}} = \delta_j\, y_i .$$

# %%
dw = {(i, j): delta[j] * yv[i] for (i, j) in weights}
for (i, j), g in dw.items():
    print(f"∂L/∂w({i},{j}) = δ{j} · {i if isinstance(i, str) else f'y{i}'} = {g:+.6f}")

# %% [markdown]
# ### Article 003's δ rule: the slopes left out
#
# Article 003 works through this same network, and its symbols map onto ours: its `e` and
# `f(e)` are $e_j$ and $y_j$, `df(e)/de` is the slope $y_j(1 - y_j)$, `z` is the target $t$,
# and its output error `δ = z − y` is $t - y_6 = -\partial L / \partial y_6$. But it sends δ
# back **through the weights alone**, $\delta_m = \sum_n w_{m \to n}\, \delta_n$, and
# multiplies by a neuron's slope only when updating that neuron's own weights,
# $w_{m \to n} \leftarrow w_{m \to n} + \eta\, \delta_n\, y_n (1 - y_n)\, y_m$. The rule above
# multiplies by the slope *on the way back*, so a hidden neuron's δ also carries the slopes of
# every layer above it. The article's rule, in plain floats beside the δ computed above:

# %%
article_delta = {6: target - yv[6]}                              # δ = z − y
for layer in reversed(layers[:-1]):
    for m in layer:
        article_delta[m] = sum(wv[m, n] * article_delta[n]
                               for n in sources if m in sources[n])   # the weights alone
article_step = {(i, j): article_delta[j] * yv[j] * (1 - yv[j]) * yv[i] for (i, j) in weights}
ratio = {key: article_step[key] / -dw[key] for key in weights}      # backprop steps by −∂L/∂w
for name, js in (("into the output, 6", [6]), ("into layer 2, 4-5", [4, 5]),
                 ("into layer 1, 1-3", [1, 2, 3])):
    r = [ratio[i, j] for (i, j) in weights if j in js]
    print(f"weights {name}: article's update / backprop's = {min(r):.2f} to {max(r):.2f}")
assert all(math.isclose(ratio[i, j], 1.0, rel_tol=1e-12) for (i, j) in weights if j == 6)
assert all(3.95 < ratio[i, j] < 4.05 for (i, j) in weights if j in (4, 5))
assert all(16.4 < ratio[i, j] < 17.7 for (i, j) in weights if j in (1, 2, 3))

# %% [markdown]
# The output layer's updates agree; the second layer's are 4.0 times too large (the missing
# factor is the output's slope $y_6(1 - y_6) \approx 0.25$) and the first layer's 16.5 to 17.6
# times (two missing slopes). Every update still points downhill here, which is why a network
# trained this way can still learn: the rule is wrong in size, not in sign.
# [Notebook 12](12_xor_as_the_articles_wrote_it.ipynb) lets `gradcheck` catch it.

# %% [markdown]
# ## The same steps, by the engine
#
# `backprop_steps(L)` lists the chain-rule steps `L.backward()` will take, one per computed
# node, in the same order, with numbers. It does not touch any `.grad`. Look for the steps
# `e4 = ...` and `e5 = ...`: each adds a contribution to `y1`, `y2` and `y3`, and the second one
# says so ("2nd contribution; ... is now ...") — that is the sum over paths above.

# %%
steps = backprop_steps(L)
print(steps)

# %% [markdown]
# Steps 1–4 are the loss: `L = ½ sq`, `sq = err·err` (err is used twice, so it gets two
# contributions: ∂L/∂err = err = y6 - t), and `err = y6 - t`. Step 5, through the sigmoid of the
# output neuron, produces δ6, the grad of `e6`.
#
# A single step can be drawn as the graph at that moment: the current node has a red border,
# grads already final are shown, grads still being accumulated are blank and grey. Backward
# reaches `e5` first (step 8), then `e4`: the step through `e4` is where `y1`, `y2` and `y3`
# receive their second contribution and become final:

# %%
k = next(i for i, s in enumerate(steps) if s.node is e[4])
step_e4 = steps[k].explain()
print(f"step {k + 1} of {len(steps)}:")
print(step_e4)
assert {y[1], y[2], y[3]} <= set(steps[k].finalizes) and step_e4.count("2nd contribution") == 3
steps[k].graph(compact=True)

# %% [markdown]
# `steps.widget()` is the player: previous / next buttons, a slider and the ← → keys (click
# the player first) step through all 16 steps, with the picture and the explanation of each.
# The picture scrolls to the node each step is about. The player is plain HTML and JavaScript
# with every step embedded, so it keeps working in this notebook saved and opened without a
# kernel or a network (nbconvert's HTML, nbviewer); where scripts do not run (a preview on a
# code-hosting site, a notebook JupyterLab does not trust) it shows step 1 and says how to step
# through. `steps.save_html("backprop.html")` writes the same player as a page of its own.

# %%
steps.widget()

# %% [markdown]
# ## Check: the engine's grads are the δ computed by hand
#
# After `L.backward()`, the grad of each pre-activation node `e_j` is exactly
# $\partial L / \partial e_j = \delta_j$, and each weight's grad is $\delta_j y_i$.

# %%
L.backward()
for j in sorted(delta):
    print(f"δ{j}: by hand {delta[j]:+.12f}   engine e{j}.grad {e[j].grad:+.12f}")
    assert math.isclose(e[j].grad, delta[j], rel_tol=1e-12, abs_tol=1e-15), j
for key, g in dw.items():
    assert math.isclose(w[key].grad, g, rel_tol=1e-12, abs_tol=1e-15), key
print("all 6 error signals and 14 weight gradients agree")

# %% [markdown]
# And after the last step of the step-through, every grad equals what `backward()` gave:

# %%
final = steps.grads
assert all(final[node] == node.grad for node in [*e.values(), *w.values()])

# %% [markdown]
# ## 4. The weight update
#
# Gradient descent moves every weight a small step against its gradient, with learning rate η:
#
# $$w_{i \to j} \leftarrow w_{i \to j} - \eta\, \delta_j\, y_i .$$

# %%
eta = 0.5
for key, p in w.items():
    p.data -= eta * p.grad
    assert p.data == weights[key] - eta * dw[key]
    print(f"w({key[0]},{key[1]}): {weights[key]:+.4f} → {p.data:+.6f}")

# %% [markdown]
# The steps recorded the numbers they were made from. The weights have changed, but the step
# through `e4` (and the player above, stepping back) still shows the pass it describes, with
# the weights it used:

# %%
assert steps[k].explain() == step_e4
print(steps[k].explain().splitlines()[5])
print(f"w(2,4) is now {w[2, 4].data:.6f}")


# %% [markdown]
# A fresh forward pass with the new weights: the output moved towards the target and the loss
# went down.

# %%
def forward(wv):
    yv = dict(inputs)
    for layer in layers:
        for j in layer:
            ej = sum(wv[i, j] * yv[i] for i in sources[j])
            yv[j] = 1 / (1 + math.exp(-ej))
    return yv[6], 0.5 * (yv[6] - target) ** 2

y6_new, L_new = forward({key: p.data for key, p in w.items()})
print(f"before: y6 = {yv[6]:.6f}, L = {L.data:.6f}")
print(f"after:  y6 = {y6_new:.6f}, L = {L_new:.6f}   (target {target})")
assert abs(y6_new - target) < abs(yv[6] - target)
assert L_new < L.data

# %% [markdown]
# ## The same network with `nn`
#
# `nn.MLP(2, [3, 2, 1], "sigmoid", output_activation="sigmoid")` is this network with biases.
# Load our starting weights into it (biases 0) and the output and every gradient agree.

# %%
import nn

model = nn.MLP(2, [3, 2, 1], "sigmoid", output_activation="sigmoid")
state = {}
for k, layer in enumerate(layers):
    for n, j in enumerate(layer):
        for m, i in enumerate(sources[j]):
            state[f"layers.{k}.neurons.{n}.w.{m}"] = weights[i, j]
        state[f"layers.{k}.neurons.{n}.b"] = 0.0
model.load_state_dict(state)

out = model([inputs["x1"], inputs["x2"]])
loss = 0.5 * (out - target) ** 2
loss.backward()
print(f"nn.MLP: y6 = {out.data:.6f}, L = {loss.data:.6f}")
grads = dict(model.named_parameters())
for k, layer in enumerate(layers):
    for n, j in enumerate(layer):
        for m, i in enumerate(sources[j]):
            w_grad = grads[f"layers.{k}.neurons.{n}.w.{m}"].grad
            assert math.isclose(w_grad, dw[i, j], rel_tol=1e-12)
        assert math.isclose(grads[f"layers.{k}.neurons.{n}.b"].grad, delta[j], rel_tol=1e-12)
print("every weight grad is δ_j·y_i and every bias grad is δ_j")

# %% [markdown]
# Note the last line: a bias is a weight on a constant input 1, so its gradient is the
# neuron's δ itself.
#
# **Next:** [3. XOR](03_xor.ipynb) trains a small sigmoid network, and checks the engine
# against the same network written by hand in numpy.
