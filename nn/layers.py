"""``Neuron``, ``Layer`` and ``MLP``: micrograd's model, on fused dot-product nodes.

A neuron computes ``act(w . x + b)`` as ONE ``Value.dot`` node (children ``(*w, *x, b)``) and
one activation node. With ``fused=False`` it builds micrograd's expanded graph instead,
``b + w0*x0 + w1*x1 + ...``, one multiply and one add per weight, for teaching pictures.

By default weights start uniform in (-1, 1) and biases at 0, as in micrograd. With no
``seed``/``rng`` they are drawn from the global ``random`` module in micrograd's order (layer by
layer, neuron by neuron, weight by weight), so ``random.seed(1337); MLP(2, [16, 16, 1])`` has
micrograd's exact weights; ``seed=`` (or ``rng=``) draws from a private ``random.Random``
instead.

``init=`` picks the weights' distribution, always uniform U(-a, a) with biases 0; fan_in = nin and
fan_out = nout of the layer (1 for a lone ``Neuron``):

- ``"uniform"`` (the default, micrograd's): a = 1, whatever the layer's size.
- ``"xavier"``: Xavier/Glorot uniform, a = sqrt(6 / (fan_in + fan_out)), so Var(w) =
  2 / (fan_in + fan_out) (PyTorch's ``xavier_uniform_`` with gain 1); made for tanh and sigmoid.
- ``"he"``: He/Kaiming uniform for ReLU in fan-in mode, a = sqrt(6 / fan_in), so Var(w) =
  2 / fan_in (PyTorch's ``kaiming_uniform_(mode="fan_in", nonlinearity="relu")``, gain sqrt(2)).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

from autograd_tiny import Value

from . import checks, pytorch
from .module import Module

Input = Sequence[Value | float] | Value | float

ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "leaky_relu": Value.leaky_relu,  # slope 0.01, as PyTorch
    "linear": None,
}


def _activation(name: object, what: str = "activation") -> Callable[[Value], Value] | None:
    return ACTIVATIONS[checks.choice(name, list(ACTIVATIONS), what)]


INITS = ("uniform", "xavier", "he")


def _init_bound(init: object, fan_in: int, fan_out: int) -> float:
    """a of U(-a, a): 1 (uniform), sqrt(6 / (fan_in + fan_out)) (xavier), sqrt(6 / fan_in) (he)."""
    if not isinstance(init, str):
        raise TypeError(f"init must be a str, one of {', '.join(INITS)}; got "
                        f"{type(init).__name__} {init!r:.40}")
    if init == "uniform":
        return 1.0
    if init == "xavier":
        return math.sqrt(6.0 / (fan_in + fan_out))
    if init == "he":
        return math.sqrt(6.0 / fan_in)
    raise ValueError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")




def _inputs(x: Input, nin: int) -> list[Value]:
    """``x`` as a list of ``nin`` Values (numbers become leaves once, shared by every neuron)."""
    if isinstance(x, (Value, int, float)):
        x = [x]
    xs = [v if type(v) is Value else _leaf(v) for v in x]
    if len(xs) != nin:
        raise ValueError(f"expected an input of length nin = {nin}, got length {len(xs)}")
    return xs


def _leaf(v: object) -> Value:
    return v if isinstance(v, Value) else Value(v)  # type: ignore[arg-type]


class Neuron(Module):
    """act(w . x + b): one ``Value.dot`` node and one activation node.

    ``fan_out`` is the width of the layer the neuron belongs to; only ``init="xavier"`` uses it.
    """

    def __init__(self, nin: int, activation: str = "relu", *, rng: random.Random | None = None,
                 fused: bool = True, init: str = "uniform", fan_out: int = 1) -> None:
        nin = checks.size(nin, "nin")
        self._act = _activation(activation)
        bound = _init_bound(init, nin, checks.size(fan_out, "fan_out"))
        self.init, self.fan_out = init, fan_out
        self.activation = activation
        self.fused = checks.flag(fused, "fused")
        draw = checks.rng_or_none(rng)
        uniform = random.uniform if draw is None else draw.uniform
        self.w = [Value(uniform(-bound, bound)) for _ in range(nin)]
        self.b = Value(0.0)
        self.label_parameters()

    @property
    def nin(self) -> int:
        return len(self.w)

    def __call__(self, x: Input) -> Value:
        return self.forward(_inputs(x, len(self.w)))

    def forward(self, x: list[Value]) -> Value:
        """The neuron on a list of ``nin`` Values, without checking or converting it."""
        if self.fused:
            out = Value.dot(self.w, x, self.b)
        else:
            out = sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)
        act = self._act
        return out if act is None else act(out)

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [(f"w.{i}", wi) for i, wi in enumerate(self.w)] + [("b", self.b)]

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def config(self) -> dict[str, Any]:
        fan_out = {} if self.fan_out == 1 else {"fan_out": self.fan_out}
        return {"nin": self.nin, "activation": self.activation, "fused": self.fused,
                **_init_config(self.init), **fan_out}

    @classmethod
    def parameter_count(cls, config: dict[str, Any]) -> int:
        return checks.size(config["nin"], "nin") + 1

    def __repr__(self) -> str:
        return (f"Neuron(nin={self.nin}, activation={self.activation!r}{_fused(self.fused)}"
                f"{_init_repr(self.init)})")


class Layer(Module):
    """``nout`` neurons reading the same input; one Value when nout == 1, else a list."""

    def __init__(self, nin: int, nout: int, activation: str = "relu", *,
                 rng: random.Random | None = None, fused: bool = True,
                 init: str = "uniform") -> None:
        nin, nout = checks.size(nin, "nin"), checks.size(nout, "nout")
        _activation(activation)
        checks.rng_or_none(rng)
        _init_bound(init, nin, nout)
        self.init = init
        self.nin = nin
        self.activation = activation
        self.fused = checks.flag(fused, "fused")
        self.neurons = [Neuron(nin, activation, rng=rng, fused=fused, init=init, fan_out=nout)
                        for _ in range(nout)]
        self.label_parameters()

    @property
    def nout(self) -> int:
        return len(self.neurons)

    def __call__(self, x: Input) -> Value | list[Value]:
        out = self.forward(_inputs(x, self.nin))
        return out[0] if len(out) == 1 else out

    def forward(self, x: list[Value]) -> list[Value]:
        """Every neuron on a list of ``nin`` Values, as a list (also when nout == 1)."""
        return [n.forward(x) for n in self.neurons]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [(f"neurons.{i}.{name}", p) for i, n in enumerate(self.neurons)
                for name, p in n.named_parameters()]

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout, "activation": self.activation,
                "fused": self.fused, **_init_config(self.init)}

    @classmethod
    def parameter_count(cls, config: dict[str, Any]) -> int:
        return checks.size(config["nout"], "nout") * (checks.size(config["nin"], "nin") + 1)

    def __repr__(self) -> str:
        return (f"Layer(nin={self.nin}, nout={self.nout}, activation={self.activation!r}"
                f"{_fused(self.fused)}{_init_repr(self.init)})")


class MLP(Module):
    """Layers of sizes ``nouts`` on ``nin`` inputs: ``activation`` on hidden layers,
    ``output_activation`` on the last. ``MLP(2, [16, 16, 1])`` is micrograd's MLP."""

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu",
                 output_activation: str = "linear", *, seed: int | None = None,
                 fused: bool = True, init: str = "uniform") -> None:
        nin = checks.size(nin, "nin")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence):
            raise TypeError(f"nouts must be a list of layer sizes, got {type(nouts).__name__}")
        if len(nouts) == 0:
            raise ValueError("nouts must list at least one layer size, got nouts = []")
        sizes = [nin] + [checks.size(n, f"nouts[{i}]") for i, n in enumerate(nouts)]
        _activation(activation)
        _activation(output_activation, "output_activation")
        _init_bound(init, 1, 1)
        self.init = init
        seed = checks.seed_or_none(seed)
        rng = None if seed is None else random.Random(seed)
        last = len(nouts) - 1
        self.activation = activation
        self.output_activation = output_activation
        self.fused = checks.flag(fused, "fused")
        self.layers = [
            Layer(sizes[i], sizes[i + 1], output_activation if i == last else activation,
                  rng=rng, fused=fused, init=init)
            for i in range(len(nouts))
        ]
        self.label_parameters()

    @property
    def nin(self) -> int:
        return self.layers[0].nin

    @property
    def nouts(self) -> list[int]:
        return [layer.nout for layer in self.layers]

    def __call__(self, x: Input) -> Value | list[Value]:
        out = _inputs(x, self.layers[0].nin)
        for layer in self.layers:
            out = layer.forward(out)
        return out[0] if len(out) == 1 else out

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [(f"layers.{i}.{name}", p) for i, layer in enumerate(self.layers)
                for name, p in layer.named_parameters()]

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for n in layer.neurons for p in (*n.w, n.b)]

    def to_torch(self, dtype: Any = None) -> Any:
        """The same network as a ``torch.nn.Sequential`` of ``Linear`` and activation modules,
        with the model's weights, in ``dtype`` (default ``torch.float64``, which holds every
        weight exactly). The two share nothing: training one leaves the other as it was."""
        return pytorch.sequential([([[w.data for w in n.w] for n in layer.neurons],
                                    [n.b.data for n in layer.neurons], layer.activation)
                                   for layer in self.layers], dtype)

    @classmethod
    def from_torch(cls, seq: Any) -> MLP:
        """An MLP equal to a ``torch.nn.Sequential`` of ``Linear`` layers, each followed by at
        most one of ``ReLU``, ``Tanh``, ``Sigmoid``, ``LeakyReLU(0.01)``, the same one after
        every hidden layer (``nn.pytorch.read``)."""
        layers = pytorch.read(seq)
        hidden = layers[0][2] if len(layers) > 1 else "relu"
        model = cls(len(layers[0][0][0]), [len(bias) for _, bias, _ in layers], hidden,
                    layers[-1][2], seed=0)  # seeded so that the global random stream is left alone
        for layer, (weight, bias, _) in zip(model.layers, layers, strict=True):
            for neuron, row, b in zip(layer.neurons, weight, bias, strict=True):
                for w, value in zip(neuron.w, row, strict=True):
                    w.data = value
                neuron.b.data = b
        return model

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nouts": self.nouts, "activation": self.activation,
                "output_activation": self.output_activation, "fused": self.fused,
                **_init_config(self.init)}

    @classmethod
    def parameter_count(cls, config: dict[str, Any]) -> int:
        nouts = config["nouts"]
        if not isinstance(nouts, list):
            raise TypeError(f"nouts must be a list of layer sizes, got {type(nouts).__name__}")
        sizes = [checks.size(config["nin"], "nin")] + [checks.size(n, "nouts") for n in nouts]
        return sum(nout * (nin + 1) for nin, nout in zip(sizes, sizes[1:], strict=False))

    def __repr__(self) -> str:
        lines = [f"  (layers.{i}): {layer!r}" for i, layer in enumerate(self.layers)]
        return (f"MLP(nin={self.nin}, nouts={self.nouts}{_fused(self.fused)}"
                f"{_init_repr(self.init)},"
                f" parameters={len(self.parameters())}\n" + "\n".join(lines) + "\n)")


def _fused(fused: bool) -> str:
    return "" if fused else ", fused=False"


def _init_config(init: str) -> dict[str, str]:
    # The default is left out, so a default model's saved file reads as it always has.
    return {} if init == "uniform" else {"init": init}


def _init_repr(init: str) -> str:
    return "" if init == "uniform" else f", init={init!r}"
