"""nn: neurons, layers and MLPs, losses, optimizers and a training loop, on autograd_tiny.

```python
import nn
X, y = nn.datasets.make_moons(100, noise=0.1, seed=1337)
model = nn.MLP(2, [16, 16, 1], seed=1337)
opt = nn.SGD(model.parameters(), lr=1.0)
nn.fit(model, X, nn.datasets.signed_labels(y), loss="hinge", l2=1e-4, optimizer=opt,
       epochs=100, schedule=nn.LinearDecay(1.0, 0.1, 100))
```
"""

from . import datasets
from .layers import ACTIVATIONS, INITS, MLP, Layer, Neuron
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l1_penalty,
    l2_penalty,
    log_softmax,
    mse_loss,
    softmax,
)
from .module import Module, StateDictError, load, register
from .norm import BatchNorm
from .optim import (
    SGD,
    AdaGrad,
    Adam,
    Adamax,
    AdamW,
    LinearDecay,
    Optimizer,
    RMSProp,
    StepDecay,
    WarmupDecay,
    clip_grad_norm,
)
from .rnn import RNN, RNNReadout
from .sequential import Activation, Sequential
from .train import LOSSES, History, fit

# The modules nn.load rebuilds, each saved under its class name.
for _saved in (Neuron, Layer, MLP, BatchNorm, Sequential, Activation, RNN, RNNReadout):
    register(_saved)
del _saved

__all__ = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "ACTIVATIONS",
    "INITS",
    "BatchNorm",
    "Sequential",
    "Activation",
    "RNN",
    "RNNReadout",
    "StateDictError",
    "load",
    "register",
    "mse_loss",
    "hinge_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "softmax",
    "log_softmax",
    "l1_penalty",
    "l2_penalty",
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "Adamax",
    "AdaGrad",
    "RMSProp",
    "clip_grad_norm",
    "StepDecay",
    "LinearDecay",
    "WarmupDecay",
    "fit",
    "History",
    "LOSSES",
    "datasets",
]
