"""``nn.MLP`` to and from PyTorch: the same network as a ``torch.nn.Sequential``.

``model.to_torch()`` gives ``Linear`` layers holding the model's weights, each followed by its
activation module; ``nn.MLP.from_torch(seq)`` reads such a ``Sequential`` back into an
``nn.MLP``. Neuron ``j`` of layer ``i`` is row ``j`` of the ``i``-th ``Linear``'s ``weight``
and entry ``j`` of its ``bias``.

This module knows torch's side only: ``sequential`` builds a ``Sequential`` from plain weights,
``read`` takes one apart into plain weights; ``nn.layers`` builds on it (never the other way
round). torch is imported only when one of them is called (``pip install
"autograd-tiny[torch]"``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from .layers import MLP

# nn activation name -> (torch.nn class name, keyword arguments); "linear" has no module.
TORCH_ACTIVATIONS: dict[str, tuple[str, dict[str, float]]] = {
    "relu": ("ReLU", {}),
    "tanh": ("Tanh", {}),
    "sigmoid": ("Sigmoid", {}),
    "leaky_relu": ("LeakyReLU", {"negative_slope": 0.01}),
}

# One layer in plain numbers: a weight row per neuron, a bias per neuron, the activation.
Plain = tuple[list[list[float]], list[float], str]


def _torch() -> Any:
    try:
        import torch
    except ImportError as e:
        raise ImportError('PyTorch is not installed: pip install "autograd-tiny[torch]" (in a '
                          'checkout: pip install -e ".[torch]")') from e
    return torch


def to_torch(model: MLP, dtype: torch.dtype | None = None) -> torch.nn.Sequential:
    """``model.to_torch(dtype)``, for an ``nn.MLP``."""
    if not callable(getattr(type(model), "to_torch", None)):
        raise TypeError(f"to_torch needs an nn.MLP, got {type(model).__name__}")
    return model.to_torch(dtype)


def sequential(layers: list[Plain], dtype: torch.dtype | None = None) -> torch.nn.Sequential:
    """A ``Sequential`` of ``Linear`` and activation modules holding ``layers``' weights, in
    ``dtype`` (default ``torch.float64``, which holds every weight exactly)."""
    torch = _torch()
    dtype = torch.float64 if dtype is None else dtype
    modules = []
    for weight, bias, activation in layers:
        linear = torch.nn.Linear(len(weight[0]), len(weight), dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(weight, dtype=torch.float64))
            linear.bias.copy_(torch.tensor(bias, dtype=torch.float64))
        modules.append(linear)
        if activation != "linear":
            name, kwargs = TORCH_ACTIVATIONS[activation]
            modules.append(getattr(torch.nn, name)(**kwargs))
    return torch.nn.Sequential(*modules)


def read(seq: torch.nn.Sequential) -> list[Plain]:
    """``seq``'s layers as plain weights (floats, exact from float64) and activations.

    ``seq`` must be ``Linear`` layers (with bias), each followed by at most one of ``ReLU``,
    ``Tanh``, ``Sigmoid``, ``LeakyReLU(0.01)`` (exactly these classes, not subclasses, whose
    forward may differ), the same one after every hidden layer, with finite weights.
    """
    torch = _torch()
    if not isinstance(seq, torch.nn.Sequential):
        raise TypeError(f"from_torch needs a torch.nn.Sequential, got {type(seq).__name__}")
    names = {getattr(torch.nn, cls): name for name, (cls, _) in TORCH_ACTIVATIONS.items()}
    layers: list[Plain] = []
    for i, m in enumerate(seq):
        what = f"seq[{i}] ({m!r})"
        if type(m) is torch.nn.Linear:
            if m.bias is None:
                raise ValueError(f"{what} has no bias; nn neurons always have one")
            if layers and m.in_features != len(layers[-1][1]):
                raise ValueError(f"{what} takes {m.in_features} inputs but the layer before "
                                 f"gives {len(layers[-1][1])}")
            weight = m.weight.detach().to(torch.float64).tolist()
            bias = m.bias.detach().to(torch.float64).tolist()
            if not all(math.isfinite(x) for row in [*weight, bias] for x in row):
                raise ValueError(f"{what} holds NaN or infinite weights; nn refuses them, as "
                                 "load_state_dict does")
            layers.append((weight, bias, "linear"))
        elif type(m) in names and layers and layers[-1][2] == "linear":
            if type(m) is torch.nn.LeakyReLU and m.negative_slope != 0.01:
                raise ValueError(f"{what}: nn's leaky_relu has slope 0.01, "
                                 f"not {m.negative_slope}")
            layers[-1] = (*layers[-1][:2], names[type(m)])
        else:
            raise ValueError(f"{what} cannot be read: expected Linear layers, each followed "
                             "by at most one of ReLU, Tanh, Sigmoid, LeakyReLU(0.01)")
    if not layers:
        raise ValueError("from_torch: the Sequential has no Linear layer")
    hidden = {activation for _, _, activation in layers[:-1]}
    if len(hidden) > 1:
        raise ValueError(f"from_torch: nn.MLP has one hidden activation, the Sequential has "
                         f"{sorted(hidden)}")
    return layers
