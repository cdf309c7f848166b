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
from .attention import CausalSelfAttention, KVCache
from .conv import Conv1d
from .embedding import Embedding
from .layers import ACTIVATIONS, INITS, MLP, Layer, Neuron
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l1_penalty,
    l2_penalty,
    log_softmax,
    logsumexp,
    max_value,
    mse_loss,
    softmax,
)
from .module import Module, StateDictError, load, register
from .norm import BatchNorm, LayerNorm, RMSNorm, rms_norm
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
from .tokenizer import CharTokenizer
from .train import LOSSES, History, fit
from .transformer import GPT, TransformerBlock

# The modules nn.load rebuilds, each saved under its class name.
for _saved in (Neuron, Layer, MLP, BatchNorm, Sequential, Activation, RNN, RNNReadout, Conv1d,
               Embedding, RMSNorm, LayerNorm, CausalSelfAttention, TransformerBlock, GPT):
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
    "Conv1d",
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
    "Embedding",
    "RMSNorm",
    "LayerNorm",
    "rms_norm",
    "logsumexp",
    "max_value",
    "CausalSelfAttention",
    "KVCache",
    "TransformerBlock",
    "GPT",
    "CharTokenizer",
]
