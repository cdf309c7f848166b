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
# # 10. From autograd-tiny to PyTorch
#
# The next step after a scalar engine is a tensor one. `model.to_torch()` turns an `nn.MLP`
# into the equivalent `torch.nn.Sequential` (`Linear` layers holding the same weights, each
# followed by its activation), and `nn.MLP.from_torch(seq)` reads one back. PyTorch comes with
# the `[torch]` extra (`pip install -e ".[torch]"` in a checkout; `make test` installs it).

# %%
import torch

import nn

X, y01 = nn.datasets.make_moons(100, noise=0.1, seed=1337)
y = nn.datasets.signed_labels(y01)
model = nn.MLP(2, [16, 16, 1], seed=1337)
seq = model.to_torch()
seq

# %% [markdown]
# Neuron `j` of layer `i` is row `j` of the `i`-th `Linear`'s `weight` and entry `j` of its
# `bias`. The weights are float64, so they are the same numbers, not just close ones:

# %%
first = model.layers[0].neurons[0]
print([w.data for w in first.w], first.b.data)
print(seq[0].weight[0].tolist(), seq[0].bias[0].item())
assert seq[0].weight.dtype == torch.float64
assert [p.data for p in model.parameters()] == [
    v for m in seq if isinstance(m, torch.nn.Linear)
    for row, b in zip(m.weight.tolist(), m.bias.tolist(), strict=True) for v in (*row, b)]

# %% [markdown]
# The same loss, micrograd's demo loss (hinge + 1e-4 L2), written once with `Value`s and once
# with tensors; `backward()` on each:

# %%
loss = nn.hinge_loss([model(x) for x in X], y) + 1e-4 * nn.l2_penalty(model.parameters())
loss.backward()

scores = seq(torch.tensor(X, dtype=torch.float64)).squeeze(1)
tloss = torch.relu(1 - torch.tensor(y, dtype=torch.float64) * scores).mean()
tloss = tloss + 1e-4 * sum((p * p).sum() for p in seq.parameters())
tloss.backward()
print(f"autograd-tiny {loss.data:.17g}\nPyTorch       {tloss.item():.17g}")
assert abs(loss.data - tloss.item()) < 1e-14

# %% [markdown]
# Every gradient agrees to about the last digit (within 1e-14). In PyTorch a layer's gradients
# are one tensor; here they are one number per parameter, in the same order:

# %%
theirs = []
for linear in (m for m in seq if isinstance(m, torch.nn.Linear)):
    for row, b in zip(linear.weight.grad.tolist(), linear.bias.grad.tolist(), strict=True):
        theirs += [*row, b]
ours = [p.grad for p in model.parameters()]
largest = max(abs(a - b) for a, b in zip(ours, theirs, strict=True))
print(len(ours), "gradients, largest difference", largest)
assert len(ours) == len(theirs) == 337 and largest < 1e-14

# %% [markdown]
# Train in PyTorch, then bring the weights home: a few steps of `torch.optim.SGD`, and
# `from_torch` gives an `nn.MLP` whose loss is PyTorch's loss (within 1e-14).

# %%
Xt, yt = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)


def torch_loss(seq):
    data_loss = torch.relu(1 - yt * seq(Xt).squeeze(1)).mean()
    return data_loss + 1e-4 * sum((p * p).sum() for p in seq.parameters())


opt = torch.optim.SGD(seq.parameters(), lr=0.5)
start_loss = torch_loss(seq).item()
for _ in range(20):
    opt.zero_grad()
    torch_loss(seq).backward()
    opt.step()
back = nn.MLP.from_torch(seq)
tloss = torch_loss(seq)
loss = nn.hinge_loss([back(x) for x in X], y) + 1e-4 * nn.l2_penalty(back.parameters())
print(back)
print(f"before training {start_loss:.6f}; after 20 steps: autograd-tiny {loss.data:.6f}, "
      f"PyTorch {tloss.item():.6f}")
assert tloss.item() < start_loss
assert abs(loss.data - tloss.item()) < 1e-14
