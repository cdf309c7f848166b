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
# # 7. Property-testing gradients
#
# How do we know `backward()` is right? Not by reading it: by checking it against a definition
# of the derivative that needs no chain rule at all, the central difference
# $\frac{f(x + \varepsilon) - f(x - \varepsilon)}{2\varepsilon}$, on many inputs, including
# ones nobody thought of. This notebook shows the tools for that:
#
# - `gradcheck`, which compares every derivative of a function with central differences and
#   explains any disagreement in a table;
# - the hypothesis strategies of `autograd_tiny.testing`, which generate valid inputs and whole
#   random computation graphs for property tests;
# - second derivatives with `grad(grad(f))` and `hessian`, which are checked the same way.

# %%
import math

from autograd_tiny import GradcheckError, Value, draw_dot, forward_steps, grad, gradcheck, hessian


# %% [markdown]
# ## gradcheck
#
# `gradcheck(f, inputs)` calls `f` with fresh Values built from the float `inputs`, runs
# `backward()`, and compares each derivative with its central difference. It returns `True`
# when they all agree within `atol + rtol·|numeric|`.

# %%
def f(x, y):
    return (x * y + (x / y).tanh()) * x.exp()

print(gradcheck(f, [0.7, -1.3]))


# %% [markdown]
# ## A broken function, caught
#
# A classic mistake: building part of an expression from a raw number instead of the Value,
# which cuts it out of the graph. `x * Value(x.data)` computes x² correctly, but backward only
# sees one of the two factors depend on `x`, so it returns `x` instead of `2x`:

# %%
def broken_square(x):
    return x * Value(x.data)

try:
    gradcheck(broken_square, [1.5])
except GradcheckError as e:
    error = e
    print(e)
else:
    raise AssertionError("gradcheck did not catch the broken derivative")

# %% [markdown]
# The table gives, for each derivative, the analytic value (from backward), the numeric one,
# and their absolute and relative errors; the worst entry is marked. The fix is to use `x`
# itself:

# %%
assert "FAIL" in str(error) and isinstance(error, AssertionError)
assert gradcheck(lambda x: x * x, [1.5])

# %% [markdown]
# At a kink such as `relu` at 0 the central difference is the average of two different slopes
# (0 and 1 here), which would fail any derivative. gradcheck recognises the kink numerically and
# accepts an analytic derivative that lies between the one-sided slopes (PyTorch's convention
# is relu'(0) = 0):

# %%
print(gradcheck(lambda x: x.relu(), [0.0]), gradcheck(lambda x: abs(x) * 3, [0.0]))

# %% [markdown]
# ## Property tests with hypothesis
#
# A single check proves little; a property test checks *every* input hypothesis can think of.
# The catch is that derivatives do not exist everywhere: random inputs land on kinks (relu at 0)
# and poles (1/x at 0), and a good test must keep away from them *by construction*, not by
# luck. `autograd_tiny.testing.floats_away_from` does that.
#
# The words hypothesis uses, as they appear below:
#
# - a **strategy** describes how to draw one kind of value: `st.floats(0.5, 10)` draws floats
#   in [0.5, 10], `st.sampled_from(names)` one of the names, `st.tuples(a, b)` a pair, and
#   `s.flatmap(f)` draws from `s` and then from the strategy `f` makes of what it drew (an op's
#   name, then inputs valid for that op);
# - **`@given(strategy)`** turns a test function of one argument into a test that hypothesis
#   calls many times, each with a value drawn from the strategy; calling it runs them all;
# - **`@settings(...)`** tunes the run: `max_examples` (how many draws), `deadline` (a time
#   limit per call; `None` turns it off), `derandomize=True` (the same draws every run, so this
#   notebook's output does not change) and `database` (below);
# - **shrinking**: when a call fails, hypothesis tries simpler and simpler versions of the
#   failing input (smaller numbers, shorter lists, fewer graph nodes) until no simpler one
#   fails, and reports that one;
# - the **example database** is a folder (`.hypothesis/`) where hypothesis stores failing
#   inputs so that the next run tries them first; `database=None` keeps this notebook from
#   writing one;
# - **`assume(condition)`** inside a test, or **`.filter(condition)`** on a strategy, throws a
#   draw away when it is invalid. That works, but hypothesis gives up when too many draws are
#   thrown away, and a test that filters out the region near a kink only avoids it as often as
#   the draws happen to. `floats_away_from` draws only valid inputs, so nothing is thrown away.

# %%
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_tiny.testing import floats_away_from, graphs, op_inputs


def softsign(x):
    return x / (1 + abs(x))          # abs has a kink at 0

@settings(max_examples=50, deadline=None, derandomize=True, database=None)
@given(floats_away_from([0.0], margin=1e-3, min_value=-10, max_value=10))
def test_softsign_gradient(x):
    assert gradcheck(softsign, [x])

test_softsign_gradient()
print("softsign: 50 inputs checked")


# %% [markdown]
# The same property, pointed at the broken function, fails, and hypothesis shrinks the failing
# input to a simple one before reporting it (here 1.0, the simplest float in [0.5, 10]):

# %%
@settings(max_examples=50, deadline=None, derandomize=True, database=None)
@given(st.floats(0.5, 10))
def test_broken_square_gradient(x):
    assert gradcheck(broken_square, [x])

try:
    test_broken_square_gradient()
except GradcheckError as e:
    print(e)
    shrunk = str(e)
else:
    raise AssertionError("the property test did not catch the broken derivative")
assert "at x = 1.0" in shrunk      # shrunk to the simplest float in [0.5, 10]

# %% [markdown]
# `op_inputs(name)` draws valid operands for any op of the engine's table (inside its domain,
# away from its kinks and poles), so one property test, run once per op, covers them all. The
# ops come straight from the table, `autograd_tiny.ops.OPS`, and so does their number printed
# below, so an op added to it is tested (and counted) here too:

# %%
from autograd_tiny.ops import OPS
from autograd_tiny.value import apply


def check_op(name, examples=10):
    """A property test of one op: gradcheck at `examples` inputs drawn by op_inputs(name)."""
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None)
    @given(op_inputs(name))
    def test_op_gradient(args):
        assert gradcheck(lambda *vs: apply(OPS[name], vs), list(args)), name

    test_op_gradient()

for name in OPS:
    check_op(name)
print(f"{len(OPS)} ops in the table ({' '.join(OPS)}), 10 random cases each: all agree")

# %% [markdown]
# And `graphs()` draws whole random computation graphs from the op table, with valid inputs.
# Each comes with its source code, ready to paste into a regression test if it ever fails:

# %%
drawn = []

@settings(max_examples=20, derandomize=True, database=None)
@given(graphs(max_nodes=6))
def collect(g):
    drawn.append(g)

collect()
def size(g):
    """How many op nodes the output actually depends on."""
    return sum(1 for step in forward_steps(g.f(*map(Value, g.inputs))) if step.node.children)

example = max(drawn, key=size)
print(example)
assert gradcheck(example.f, example.inputs)
out = example.f(*[Value(v, f"x{i}") for i, v in enumerate(example.inputs)])
out.backward()
draw_dot(out)


# %% [markdown]
# The engine's own test suite runs this property over hundreds of graphs; here a small run,
# first and second order:

# %%
@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(graphs(max_nodes=12))
def test_random_graphs(g):
    assert gradcheck(g.f, g.inputs, order=2)

test_random_graphs()
print("30 random graphs: first and second derivatives agree with central differences")

# %% [markdown]
# ## Second derivatives
#
# `grad(f)` is a function returning df/dx. Because the engine can record the backward pass
# itself as a graph (`backward(create_graph=True)`), `grad` nests: `grad(grad(f))` is the second
# derivative. For $f(x) = x^3$: $f'' = 6x$. For $\tanh$: $\tanh'' = -2\tanh(x)(1 - \tanh^2 x)$.

# %%
cube = lambda x: x**3
print(grad(cube)(2.0), grad(grad(cube))(2.0), grad(grad(grad(cube)))(2.0))
assert grad(grad(cube))(2.0) == 12.0 and grad(grad(grad(cube)))(2.0) == 6.0

d2_tanh = grad(grad(lambda x: x.tanh()))
for x in (-1.0, 0.3, 2.0):
    t = math.tanh(x)
    formula = -2 * t * (1 - t * t)
    print(f"x = {x:+.1f}: grad(grad(tanh)) = {d2_tanh(x):+.6f}, formula {formula:+.6f}")
    assert math.isclose(d2_tanh(x), -2 * t * (1 - t * t), rel_tol=1e-12)


# %% [markdown]
# `hessian(f)` gives the matrix of all second derivatives of a function of several variables.
# For $f(x, y) = x^2 y + \sin y$:
# $H = \begin{pmatrix} 2y & 2x \\ 2x & -\sin y \end{pmatrix}$.

# %%
def g(x, y):
    return x**2 * y + y.sin()

H = hessian(g)(1.5, -0.5)
for row in H:
    print([f"{v:+.6f}" for v in row])
expected = [[2 * -0.5, 2 * 1.5], [2 * 1.5, -math.sin(-0.5)]]
assert all(math.isclose(H[i][j], expected[i][j], rel_tol=1e-12) for i in range(2) for j in range(2))

# %% [markdown]
# And `gradcheck(..., order=2)` checks the second derivatives against central differences of
# the first ones, so the broken square is caught at second order as well:

# %%
assert gradcheck(g, [1.5, -0.5], order=2)
try:
    gradcheck(lambda x, y: broken_square(x) * y, [1.5, 2.0], order=2)
except GradcheckError as e:
    print(e)
    second_order_table = str(e)
assert "d2/dx dx" in second_order_table

# %% [markdown]
# That is the whole toolkit: gradcheck for one function at one point, the strategies for
# every point and every graph, and the same checks one derivative higher.
