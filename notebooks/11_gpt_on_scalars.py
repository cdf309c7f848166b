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
# # 11. A GPT on scalars
#
# A one-layer GPT, the model of Karpathy's microgpt, built from scalar `Value`s: token and
# position embeddings, RMSNorm, causal self-attention over a cache of keys and values, an MLP
# block, and softmax cross-entropy. Trained on a list of first names, one name a document, it
# learns to make up new ones.
#
# Each piece is first built small and checked: one attention head on three tokens, drawn with
# its gradients; softmax's Jacobian; the key and value cache, whose keys collect gradient from
# every later position. Then `nn.GPT` is trained, compiled, and sampled.

# %%
import math
import random
import statistics
import time
from collections import Counter

import matplotlib.pyplot as plt

import nn
import nn.gpt
from autograd_tiny import Value, backprop_steps, draw_dot, gradcheck

# %% [markdown]
# ## One attention head on three tokens
#
# Three tokens have each been given a key $k_t$ and a value $v_t$, vectors of 2 numbers; the
# third token also has a query $q$. It looks back at all three: $q$ is compared with each key
# (a dot product scaled by $1/\sqrt{d}$), softmax turns the three scores into weights that sum
# to 1, and the head's output is the weighted sum of the values. To see every gradient, the
# output's two numbers are added into one, $y$, and `y.backward()`:

# %%
def head(q, keys, values):
    """out = sum_t softmax(q . k_t / sqrt(d))_t v_t"""
    scores = [Value.dot(q, k) / math.sqrt(len(q)) for k in keys]
    weights = nn.softmax(scores)
    out = [Value.sum([a * v[j] for a, v in zip(weights, values, strict=True)])
           for j in range(len(q))]
    for t, (s, a) in enumerate(zip(scores, weights, strict=True)):
        s.label, a.label = f"score{t}", f"a{t}"
    for j, o in enumerate(out):
        o.label = f"out{j}"
    return out

def vector(name, numbers):
    return [Value(x, f"{name}_{i}") for i, x in enumerate(numbers)]

q = vector("q", [0.8, -0.4])
keys = [vector(f"k{t}", k) for t, k in enumerate([(1.0, 0.2), (-0.5, 0.9), (0.3, -1.1)])]
values = [vector(f"v{t}", v) for t, v in enumerate([(0.5, -1.0), (1.5, 0.4), (-0.7, 0.6)])]
out = head(q, keys, values)
y = out[0] + out[1]
y.label = "y"
y.backward()
draw_dot(y)

# %% [markdown]
# The `sum`, `relu` and `-` nodes under the scores are softmax's max, subtracted before `exp`
# so that a large score cannot overflow; it changes no weight. The output is a weighted mix of
# the values, the weights the softmax of the scores:

# %%
scores = [sum(a.data * b.data for a, b in zip(q, k, strict=True)) / math.sqrt(2) for k in keys]
weights = [math.exp(s) / sum(math.exp(z) for z in scores) for s in scores]
by_hand = [sum(a * v[j].data for a, v in zip(weights, values, strict=True)) for j in range(2)]
print("attention weights:", [f"{a:.4f}" for a in weights], " sum", sum(weights))
print("head output:", [f"{o.data:.6f}" for o in out], " by hand:", [f"{o:.6f}" for o in by_hand])
assert all(math.isclose(o.data, h, rel_tol=1e-12) for o, h in zip(out, by_hand, strict=True))

# %% [markdown]
# And every gradient in the picture agrees with central differences: `gradcheck` computes the
# head again as a function of its 14 inputs (the query, the keys, the values).

# %%
leaves = [*q, *(x for k in keys for x in k), *(x for v in values for x in v)]

def y_of(*xs):
    o = head(xs[:2], [xs[2:4], xs[4:6], xs[6:8]], [xs[8:10], xs[10:12], xs[12:14]])
    return o[0] + o[1]

assert gradcheck(y_of, [p.data for p in leaves])
print("gradcheck passed for", len(leaves), "inputs:")
for p in leaves:
    print(f"  d y / d {p.label} = {p.grad:+.6f}")

# %% [markdown]
# ## Softmax's Jacobian
#
# Softmax $s_i = e^{z_i} / \sum_j e^{z_j}$ has the Jacobian
# $\partial s_i / \partial z_j = s_i (\delta_{ij} - s_j)$. `nn.softmax` subtracts the largest
# score before exponentiating, so that large scores do not overflow; the max is a constant to
# the gradient (shifting every $z$ by the same amount does not change $s$). Each row of the
# Jacobian is the gradient of one output; the engine's rows equal the formula, and `gradcheck`
# checks each row against central differences:

# %%
z = [0.3, -1.2, 2.0, 0.5]
for i in range(len(z)):
    zs = [Value(v) for v in z]
    s = nn.softmax(zs)
    s[i].backward()
    row = [v.grad for v in zs]
    formula = [s[i].data * ((i == j) - s[j].data) for j in range(len(z))]
    print(f"d s{i} / dz =", " ".join(f"{g:+.5f}" for g in row))
    assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
               for a, b in zip(row, formula, strict=True))
    assert gradcheck(lambda *zs, i=i: nn.softmax(zs)[i], z)
big = nn.softmax([Value(1000.0), Value(999.0)])
print("softmax of [1000, 999]:", [f"{v.data:.6f}" for v in big])

# %% [markdown]
# ## The key and value cache: a key used by every later position
#
# The GPT reads a name one token at a time. At each position it computes that position's key and
# value once and appends them to a cache; the query of each later position is compared with
# every key in the cache. So the key of position 0 is one node used by positions 0, 1 and 2:
# as [notebook 1](01_values_and_the_chain_rule.ipynb) showed for a node used twice, its gradient
# is the **sum** of what each use sends back.
#
# Three tokens, each a vector of 2 numbers (in the GPT, its embedding), and three 2×2 matrices
# that map a token to its query, key and value. All three positions, with the loss the sum of
# their outputs:

# %%
rng = random.Random(0)
def matrix(name, rows, cols):
    return [[Value(round(rng.gauss(0, 0.5), 2), f"{name}{i}{j}") for j in range(cols)]
            for i in range(rows)]

def linear(x, w):
    """y[o] = sum_i w[o][i] * x[i], one fused dot node per output"""
    return [Value.dot(row, x) for row in w]

wq, wk, wv = matrix("wq", 2, 2), matrix("wk", 2, 2), matrix("wv", 2, 2)
tokens = [vector(f"x{t}", pair) for t, pair in enumerate([(1.0, 0.0), (0.5, -1.0), (-0.3, 0.8)])]

def causal(tokens):
    """Each position appends its key and value, then attends over the cache so far."""
    cache_k, cache_v, outs = [], [], []
    for x in tokens:
        cache_k.append(linear(x, wk))
        cache_v.append(linear(x, wv))
        outs.append(head(linear(x, wq), cache_k, cache_v))
    return cache_k, outs

cache_k, outs = causal(tokens)
per_position = [o[0] + o[1] for o in outs]
loss = Value.sum(per_position)
loss.backward()
k0 = cache_k[0][0]
total = k0.grad

# %% [markdown]
# Now one position at a time: `backward()` from position $p$'s output alone gives what that
# position sends back to the key (a key is not a leaf, so each pass starts it from 0):

# %%
contributions = []
for p, out_p in enumerate(per_position):
    out_p.backward()
    contributions.append(k0.grad)
    print(f"position {p}: d out_{p} / d k0[0] = {k0.grad:+.6f}")
print(f"sum = {sum(contributions):+.6f};  the gradient from the whole loss: {total:+.6f}")
assert math.isclose(total, sum(contributions), rel_tol=1e-12)
assert contributions[0] == 0.0 and all(c != 0.0 for c in contributions[1:])

# %% [markdown]
# Position 0 sends nothing back to its own key: with one key in the cache, softmax gives it
# weight 1 whatever the score, so the score (and the key) does not matter there. The later
# positions each send their share, and the key's gradient is their sum.

# %% [markdown]
# ## Stepping through the head
#
# The player steps through `y.backward()` on the single head above, one chain-rule step at a
# time: from `y` back through the weighted sum, softmax and the scaled dot products, to the
# query, the keys and the values (click the player, then ← →).

# %%
steps = backprop_steps(y)
print(len(steps), "steps; the first:", steps[0].explain())
steps.widget()

# %% [markdown]
# ## The GPT
#
# `nn.GPT` puts the pieces together, microgpt's model exactly: for each position,
# x = rmsnorm(wte[token] + wpe[pos]); then a block: attention with 4 heads of width 4 over the
# cache (plus the residual x), and an MLP 16 → 64 → 16 with relu (plus the residual); then
# logits = lm_head x. The loss of a name is the mean over its positions of the cross-entropy
# of the next character. The names and their tokenizer: 26 letters and one token, `BOS`, that
# starts and ends every name.

# %%
names = nn.datasets.names()
tokenizer = nn.gpt.names_tokenizer()
model = nn.GPT(tokenizer.vocab_size, seed=42)
print(f"{len(names):,} names, e.g.", names[:5])
print("'emma' ->", tokenizer.encode("emma"), " vocab", tokenizer.vocab_size)
print(model)
print(f"{len(model.parameters()):,} parameters; loss on 'emma' before training:",
      f"{model.loss(tokenizer.encode('emma')).data:.4f}  (uniform: ln 27 = {math.log(27):.4f})")

# %% [markdown]
# ## Training
#
# `nn.gpt.train` takes one name per step, shuffled by the seed: the loss of that name,
# backward, and Adam with the learning rate decaying linearly from 0.01 to 0 over the run.
# With `compile=True` (the default) each step's forward and backward run as generated Python,
# bit for bit the interpreter's numbers. A name runs the program compiled for its number of
# positions or the next longer one, padded; `lengths=(8, 16)` keeps two programs (by default
# there is one per length up to 10), so each run compiles in a few seconds, which is what
# counts for three short runs. 1,000 steps on three seeds:

# %%
SEEDS = (42, 1, 2)
runs = {}
for seed in SEEDS:
    cpu = time.process_time()
    runs[seed] = nn.gpt.train(1000, seed=seed, progress=False, lengths=(8, 16))
    run, cpu = runs[seed], time.process_time() - cpu
    print(f"seed {seed}: {run.seconds:.1f} s ({cpu:.1f} s of CPU); mean loss of the first "
          f"100 steps {statistics.fmean(run.losses[:100]):.3f}, of the last 100 "
          f"{statistics.fmean(run.losses[-100:]):.3f} nats/char")

# %% [markdown]
# What is a good loss? Guessing uniformly among 27 tokens costs ln 27 = 3.30 nats per
# character. A **bigram** model, counting how often each character follows each other one,
# does much better. It is counted here on every name except the 100 it is scored on, which are
# the names of the GPT's last 100 steps (each scored, as the GPT's loss is, before it is
# trained on), with one added to every count so no pair has probability 0:

# %%
def bigram_loss(train_docs, test_docs):
    counts = Counter()
    for doc in train_docs:
        ids = tokenizer.encode(doc)
        counts.update(zip(ids, ids[1:], strict=False))
    V = tokenizer.vocab_size
    rows = {a: sum(counts[a, b] for b in range(V)) + V for a in range(V)}
    per_doc = []
    for doc in test_docs:
        ids = tokenizer.encode(doc)
        n = min(model.block_size, len(ids) - 1)
        per_doc.append(statistics.fmean(-math.log((counts[a, b] + 1) / rows[a])
                                        for a, b in zip(ids[:n], ids[1:n + 1], strict=True)))
    return statistics.fmean(per_doc)

print(f"uniform: {math.log(27):.3f} nats/char")
for seed in SEEDS:
    order = list(names)
    random.Random(seed).shuffle(order)  # the order train(seed=seed) took them in
    last = order[900:1000]
    held_out = set(last)
    bigram = bigram_loss([d for d in names if d not in held_out], last)
    gpt = statistics.fmean(runs[seed].losses[-100:])
    print(f"seed {seed}: GPT {gpt:.3f}, bigram {bigram:.3f} on the same 100 names")
    assert gpt < 2.7 and gpt < bigram

# %% [markdown]
# On every seed the mean loss of the last 100 steps is below 2.7 nats per character, far
# from uniform guessing, and below the bigram model counted on 32,000 names, though the GPT
# has seen only 1,000 names, once each: attention lets it use more than the one character
# before.

# %%
fig, ax = plt.subplots(figsize=(7, 3), dpi=80)
for seed in SEEDS:
    losses = runs[seed].losses
    smooth = [statistics.fmean(losses[max(0, k - 49):k + 1]) for k in range(len(losses))]
    ax.plot(smooth, label=f"seed {seed}")
ax.axhline(math.log(27), color="k", ls=":", lw=0.8, label="uniform, ln 27")
ax.set(xlabel="step", ylabel="loss (mean of 50 steps)", title="training loss, nats per char")
ax.legend()
plt.show()

# %% [markdown]
# ## Samples
#
# `model.sample(rng, temperature)` starts from BOS and draws one character at a time from
# softmax(logits / temperature) until BOS comes out. The model of seed 42, at temperature 0.5:

# %%
trained = runs[42].model
rng = random.Random(0)
samples = [trained.sample(rng, temperature=0.5) for _ in range(50)]
print(" ".join(samples[:20]))
namelike = [s for s in samples if 2 <= len(s) <= 12 and s.isascii() and s.isalpha()]
known = set(names)
print(f"{len(namelike)} of {len(samples)} are 2-12 letters; "
      f"{sum(s not in known for s in samples)} are not in the list of names")
assert len(namelike) >= 40
