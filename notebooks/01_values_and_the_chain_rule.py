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
# # 1. Values and the chain rule
#
# A `Value` is one number that remembers how it was computed. Combine Values with `+ - * / **`
# or methods like `tanh()`, and you get a graph; call `backward()` on the final Value and every
# Value it depends on gets `.grad`, the derivative of the final Value with respect to it.
#
# This notebook builds small expressions, draws them, runs `backward()`, checks the results
# against finite differences, and then looks at the two details that make backprop correct:
# gradients *accumulate* at nodes used more than once, and nodes are processed in
# *topological order*.

# %%
import math

from autograd_tiny import Value, backprop_steps, draw_dot

# %% [markdown]
# ## An expression
#
# micrograd's first example: `L = (a*b + c) * f`. Labels are optional; they name the nodes
# in pictures and explanations.

# %%
a = Value(2.0, "a")
b = Value(-3.0, "b")
c = Value(10.0, "c")
f = Value(-2.0, "f")
e = a * b; e.label = "e"
d = e + c; d.label = "d"
L = d * f; L.label = "L"
L

# %% [markdown]
# Each result records its operation and its operands (its *children*), in order:

# %%
print(L.op, [v.label for v in L.children])
print(d.op, [v.label for v in d.children])
print(e.op, [v.label for v in e.children])
print(repr(a.op), a.children)   # a leaf: no op, no children

# %% [markdown]
# `draw_dot` draws the graph: a box per value (label | data | grad), a circle per operation.
# Nothing has been differentiated yet, so every grad is 0.

# %%
draw_dot(L, color_by=None)

# %% [markdown]
# ## backward()
#
# `L.backward()` sets `L.grad = 1` (dL/dL) and walks the graph from `L` back to the leaves,
# applying the chain rule at every node: each child gets
# `child.grad += (d node / d child) * node.grad`.

# %%
L.backward()
for v in (a, b, c, f, e, d, L):
    print(f"d L / d {v.label} = {v.grad}")

# %% [markdown]
# The same numbers by hand, one chain-rule step at a time:
#
# - `L = d * f`, so dL/dd = f = -2 and dL/df = d = 4
# - `d = e + c`: a sum passes its grad through unchanged, dL/de = dL/dc = -2
# - `e = a * b`: dL/da = b · dL/de = (-3)(-2) = 6 and dL/db = a · dL/de = 2 · (-2) = -4

# %%
assert (L.grad, d.grad, f.grad) == (1.0, -2.0, 4.0)
assert (e.grad, c.grad) == (-2.0, -2.0)
assert (a.grad, b.grad) == (6.0, -4.0)

# %% [markdown]
# The picture now shows every grad. Boxes are shaded by |grad| (orange for positive, blue for
# negative), so you can see at a glance where the output is most sensitive.

# %%
draw_dot(L)

# %% [markdown]
# `backprop_steps` replays the same backward pass one node at a time, with the numbers
# substituted into each local derivative. It changes no grad; it only explains.

# %%
print(backprop_steps(L))


# %% [markdown]
# ## Checking against finite differences
#
# A derivative is a limit: $\frac{\partial L}{\partial a} \approx
# \frac{L(a + h) - L(a - h)}{2h}$ for a small $h$. Write `L` as a plain function of floats and
# compare every input.

# %%
def L_of(a, b, c, f):
    return (a * b + c) * f

inputs = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}
analytic = {"a": a.grad, "b": b.grad, "c": c.grad, "f": f.grad}
h = 1e-6
for name in inputs:
    up = dict(inputs, **{name: inputs[name] + h})
    down = dict(inputs, **{name: inputs[name] - h})
    numeric = (L_of(**up) - L_of(**down)) / (2 * h)
    print(f"{name}: backward {analytic[name]:+.6f}   central difference {numeric:+.6f}")
    assert abs(numeric - analytic[name]) < 1e-6

# %% [markdown]
# ## A neuron
#
# micrograd's neuron: `o = tanh(x1*w1 + x2*w2 + b)`. The derivative of tanh is
# `1 - tanh(x)**2`, computed from the output `o` itself.

# %%
x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
bias = Value(6.8813735870195432, "b")
n = x1 * w1 + x2 * w2 + bias; n.label = "n"
o = n.tanh(); o.label = "o"
o.backward()
print(f"o = {o.data:.6f}, do/dn = 1 - o**2 = {n.grad:.6f}")
print(f"do/dw1 = x1 * do/dn = {w1.grad:.6f}, do/dx1 = w1 * do/dn = {x1.grad:.6f}")
assert math.isclose(n.grad, 1 - o.data**2)
assert math.isclose(w1.grad, x1.data * n.grad) and math.isclose(x1.grad, w1.data * n.grad)
draw_dot(o)

# %% [markdown]
# ## Reused nodes accumulate
#
# If a value is used twice, its grad must collect *both* contributions. For `y = x * x` both
# children of the `*` node are the same `x`: each receives `(other operand) * y.grad = 3`, and
# the total is `6 = dy/dx = 2x`.

# %%
x = Value(3.0, "x")
y = x * x; y.label = "y"
print("children:", [v.label for v in y.children])
y.backward()
print("x.grad =", x.grad)
assert x.grad == 2 * x.data
print(backprop_steps(y))

# %% [markdown]
# Had the engine written `child.grad = local * node.grad` (overwriting instead of adding), the
# second contribution would replace the first and `x.grad` would be 3, half the truth. The same
# with `b = a + a` (db/da = 2) and a chain of reuse, `c = b + b` (dc/da = 4):

# %%
a = Value(1.0, "a")
b = a + a; b.label = "b"
c = b + b; c.label = "c"
c.backward()
print(f"a.grad = {a.grad}, b.grad = {b.grad}")
assert (a.grad, b.grad) == (4.0, 2.0)
print(backprop_steps(c))

# %% [markdown]
# Leaf grads keep accumulating *across* calls too, as in PyTorch: a second `backward()` adds
# the same gradient again. That is why training loops zero the grads before each backward pass.

# %%
c.backward()
print("after a second backward: a.grad =", a.grad)
assert a.grad == 8.0
a.grad = 0.0
c.backward()
assert a.grad == 4.0

# %% [markdown]
# ## Why the order matters
#
# A node may only pass its grad on once its grad is *complete*, that is after every node that
# uses it has been processed. `backward()` guarantees this by visiting the nodes in reverse
# topological order (every node after all of its users).
#
# To see what goes wrong otherwise, here is a naive backward that walks breadth-first from the
# output, propagating each node the first time it is reached. On a graph where one value
# reaches the output by a short path and by a long one, it propagates too early:

# %%
x = Value(0.5, "x")
h = x.tanh(); h.label = "h"
u = h * 2.0; u.label = "u"
v = u * 3.0; v.label = "v"
out = v + h; out.label = "out"   # h reaches out directly, and through u and v
draw_dot(out, color_by=None, show_grad=False)

# %%
from collections import deque

RULES = {  # local derivatives d node / d child, for the three ops used here
    "+": lambda node, a, b: (1.0, 1.0),
    "*": lambda node, a, b: (b.data, a.data),
    "tanh": lambda node, a: (1.0 - node.data**2,),
}

def naive_backward(root):
    """Breadth-first from the root; each node propagates when first reached. WRONG."""
    grads = {root: 1.0}
    queue, seen = deque([root]), {root}
    while queue:
        node = queue.popleft()
        partials = RULES.get(node.op, lambda *_: ())(node, *node.children)
        for child, local in zip(node.children, partials, strict=True):
            grads[child] = grads.get(child, 0.0) + local * grads[node]
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return grads

naive = naive_backward(out)
out.backward()
print("naive breadth-first: dout/dx =", naive[x])
print("backward():          dout/dx =", x.grad)
print("by hand:             dout/dx = (2*3 + 1) * (1 - tanh(x)**2) =", 7 * (1 - math.tanh(0.5)**2))

# %% [markdown]
# The breadth-first walk reached `h` from `out` before the long path `out → v → u → h` had
# delivered its contribution, so `h` passed on only `1` instead of `1 + 6 = 7`. `backward()`
# gets it right because `h` is processed last among the non-leaves:

# %%
assert math.isclose(x.grad, 7 * (1 - math.tanh(0.5)**2))
assert not math.isclose(naive[x], x.grad)
for i, step in enumerate(backprop_steps(out), 1):
    print(i, step.node.label, "with grad", step.upstream)

# %% [markdown]
# The topological order is computed with an explicit stack, not recursion, so depth is no
# problem. A chain of 100,000 links `y = y * 1.0 + 0.0`, 200,000 operations deep,
# differentiates fine (the benchmarks in the README go to 1,000,000 links):

# %%
x = Value(1.0, "x")
y = x
links = 100_000
for _ in range(links):
    y = y * 1.0 + 0.0
y.backward()
print(f"a chain of {links:,} links ({2 * links:,} ops): dy/dx = {x.grad}")
assert x.grad == 1.0

# %% [markdown]
# micrograd 0.1.0 sorts its graph with a recursive function, one Python stack frame per level
# of depth, so it stops at Python's recursion limit (1,000 frames by default). The same chain
# in micrograd: find the longest chain whose backward still works.

# %%
import sys

from micrograd.engine import Value as MicrogradValue


def longest_micrograd_chain(link):
    """The most links y = link(y) whose micrograd backward() works (bisection)."""
    def works(links):
        y = MicrogradValue(1.0)
        for _ in range(links):
            y = link(y)
        try:
            y.backward()
        except RecursionError:
            return False
        return True

    lo, hi = 1, 1_000   # works at lo, fails at hi
    assert works(lo) and not works(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if works(mid) else (lo, mid)
    return lo

two_ops = longest_micrograd_chain(lambda y: y * 1.0 + 0.0)
three_ops = longest_micrograd_chain(lambda y: (y * 1.0001 + 0.1).relu())
print(f"recursion limit {sys.getrecursionlimit()}")
print(f"y * 1.0 + 0.0:            works up to {two_ops} links = {2 * two_ops} ops deep")
print(f"relu(y * 1.0001 + 0.1):   works up to {three_ops} links = {3 * three_ops} ops deep")
assert sys.getrecursionlimit() == 1000
# about 1,000 nodes deep either way (the frames of Jupyter above this cell count too)
assert 900 < 2 * two_ops < 1000 and 900 < 3 * three_ops < 1000

# %% [markdown]
# So micrograd fails once a graph is about 1,000 nodes deep: just under 500 links of the 2-op
# chain, and just under 330 of the 3-op chain that the README's benchmark times (329 there,
# run as a script with fewer frames above it). autograd-tiny's backward has no such limit.

# %% [markdown]
# **Next:** [2. Step through backprop](02_step_through_backprop.ipynb) applies the same steps
# to a small sigmoid network, neuron by neuron.
