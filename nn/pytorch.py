"""``nn.MLP`` to and from PyTorch: the same network as a ``torch.nn.Sequential``.

``to_torch(model)`` (``model.to_torch()``) gives ``Linear`` layers holding the model's weights,
each followed by its activation module; ``from_torch(seq)`` (``nn.MLP.from_torch(seq)``) reads
such a ``Sequential`` back into an ``nn.MLP``. Neuron ``j`` of layer ``i`` is row ``j`` of
``seq[...]``'s ``weight`` and entry ``j`` of its ``bias``. torch is imported only here, when
called (``pip install "autograd-tiny[torch]"``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .layers import MLP

if TYPE_CHECKING:
    import torch

# nn activation name -> (torch.nn class name, keyword arguments); "linear" has no module.
TORCH_ACTIVATIONS: dict[str, tuple[str, dict[str, float]]] = {
    "relu": ("ReLU", {}),
    "tanh": ("Tanh", {}),
    "sigmoid": ("Sigmoid", {}),
    "leaky_relu": ("LeakyReLU", {"negative_slope": 0.01}),
}


def _torch() -> Any:
    try:
        import torch
    except ImportError as e:
        raise ImportError('PyTorch is not installed: pip install "autograd-tiny[torch]" (in a '
                          'checkout: pip install -e ".[torch]")') from e
    return torch


def to_torch(model: MLP, dtype: torch.dtype | None = None) -> torch.nn.Sequential:
    """The same network as a ``torch.nn.Sequential`` of ``Linear`` and activation modules,
    with the model's weights, in ``dtype`` (default ``torch.float64``, which holds every
    weight exactly). The two share nothing: training one leaves the other as it was."""
    torch = _torch()
    if not isinstance(model, MLP):
        raise TypeError(f"to_torch needs an nn.MLP, got {type(model).__name__}")
    dtype = torch.float64 if dtype is None else dtype
    modules = []
    for layer in model.layers:
        linear = torch.nn.Linear(layer.nin, layer.nout, dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons],
                                             dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons],
                                           dtype=torch.float64))
        modules.append(linear)
        if layer.activation != "linear":
            name, kwargs = TORCH_ACTIVATIONS[layer.activation]
            modules.append(getattr(torch.nn, name)(**kwargs))
    return torch.nn.Sequential(*modules)


def from_torch(seq: torch.nn.Sequential) -> MLP:
    """An ``nn.MLP`` equal to ``seq``: ``Linear`` layers (with bias), each followed by at most
    one of ``ReLU``, ``Tanh``, ``Sigmoid``, ``LeakyReLU(0.01)``, the same one after every
    hidden layer. Weights are copied as Python floats (exact from float64)."""
    torch = _torch()
    if not isinstance(seq, torch.nn.Sequential):
        raise TypeError(f"from_torch needs a torch.nn.Sequential, got {type(seq).__name__}")
    names = {cls: name for name, (cls, _) in TORCH_ACTIVATIONS.items()}
    linears: list[Any] = []
    acts: list[str] = []
    for i, m in enumerate(seq):
        what = f"seq[{i}] ({m!r})"
        if isinstance(m, torch.nn.Linear):
            if m.bias is None:
                raise ValueError(f"{what} has no bias; nn neurons always have one")
            if linears and m.in_features != linears[-1].out_features:
                raise ValueError(f"{what} takes {m.in_features} inputs but the layer before "
                                 f"gives {linears[-1].out_features}")
            linears.append(m)
            acts.append("linear")
        elif type(m).__name__ in names and linears and acts[-1] == "linear":
            if isinstance(m, torch.nn.LeakyReLU) and m.negative_slope != 0.01:
                raise ValueError(f"{what}: nn's leaky_relu has slope 0.01, "
                                 f"not {m.negative_slope}")
            acts[-1] = names[type(m).__name__]
        else:
            raise ValueError(f"{what} cannot be read: expected Linear layers, each followed "
                             "by at most one of ReLU, Tanh, Sigmoid, LeakyReLU(0.01)")
    if not linears:
        raise ValueError("from_torch: the Sequential has no Linear layer")
    hidden = set(acts[:-1])
    if len(hidden) > 1:
        raise ValueError(f"from_torch: nn.MLP has one hidden activation, the Sequential has "
                         f"{sorted(hidden)}")
    model = MLP(linears[0].in_features, [m.out_features for m in linears],
                activation=hidden.pop() if hidden else "relu", output_activation=acts[-1],
                seed=0)  # seeded so that the global random stream is left alone
    for layer, linear in zip(model.layers, linears, strict=True):
        weight = linear.weight.detach().to(torch.float64).tolist()
        bias = linear.bias.detach().to(torch.float64).tolist()
        for neuron, row, b in zip(layer.neurons, weight, bias, strict=True):
            for w, value in zip(neuron.w, row, strict=True):
                w.data = value
            neuron.b.data = b
    return model
