"""``Sequential`` and ``Activation``: layers, batch norms and activations chained over a batch.

Like PyTorch's ``nn.Sequential``, ``Sequential(*layers)`` maps a batch to a batch: ``seq(xs)``
takes a list of samples and returns one output per sample (a Value when the last module gives
one number, else a list). Each module sees the whole batch through ``forward_batch``, so a
``BatchNorm`` can take the batch's statistics; a ``Layer`` or ``MLP`` runs sample by sample.
``nn.fit`` feeds it whole mini-batches the same way.

```python
model = nn.Sequential(nn.Layer(2, 16, "linear"), nn.BatchNorm(16), nn.Activation("relu"),
                      nn.Layer(16, 1, "linear"))
scores = model(X[:8])          # 8 Values
```
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from autograd_tiny import Value

from .layers import _activation
from .module import Module, saved_name, saved_type
from .norm import check_running_var


class Activation(Module):
    """act(x) on each value of a sample: ``Activation("relu")`` is PyTorch's ``nn.ReLU()``."""

    def __init__(self, activation: str = "relu") -> None:
        self._act = _activation(activation)
        self.activation = activation

    def __call__(self, x: Any) -> Any:
        act = self._act
        if isinstance(x, (Value, int, float)):
            v = x if isinstance(x, Value) else Value(x)
            return v if act is None else act(v)
        vs = [v if isinstance(v, Value) else Value(v) for v in x]
        return vs if act is None else [act(v) for v in vs]

    def config(self) -> dict[str, Any]:
        return {"activation": self.activation}

    def __repr__(self) -> str:
        return f"Activation({self.activation!r})"


class Sequential(Module):
    """Modules applied in turn to a batch of samples; parameters named ``layers.{i}.{name}``."""

    def __init__(self, *layers: Module) -> None:
        if not layers:
            raise ValueError("Sequential needs at least one module, got none")
        for i, m in enumerate(layers):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential takes nn modules, got {type(m).__name__} "
                                f"at position {i}")
        self.layers = list(layers)
        self.label_parameters()

    def __call__(self, xs: Sequence[Any]) -> list[Any]:
        """One output per sample of the batch ``xs``."""
        if isinstance(xs, (str, bytes, Value)) or not isinstance(xs, Sequence):
            raise TypeError(f"Sequential takes a batch (a list of samples), "
                            f"got {type(xs).__name__}")
        batch: list[Any] = list(xs)
        for m in self.layers:
            batch = m.forward_batch(batch)
        return batch

    def forward_batch(self, xs: Sequence[Any]) -> list[Any]:
        return self(xs)

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [(f"layers.{i}.{name}", p) for i, m in enumerate(self.layers)
                for name, p in m.named_parameters()]

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """As ``Module.load_state_dict``, first refusing a BatchNorm's negative running_var."""
        check_running_var(self, state)
        super().load_state_dict(state)

    def named_buffers(self) -> list[tuple[str, Value]]:
        return [(f"layers.{i}.{name}", v) for i, m in enumerate(self.layers)
                for name, v in m.named_buffers()]

    def config(self) -> dict[str, Any]:
        return {"layers": [{"type": saved_name(type(m)), "config": m.config()}
                           for m in self.layers]}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Module:
        layers = config.get("layers")
        if not isinstance(layers, list):
            raise ValueError("a Sequential config needs 'layers', a list of {type, config}")
        built = []
        for i, spec in enumerate(layers):
            kind = saved_type(spec.get("type")) if isinstance(spec, dict) else None
            if kind is None or not isinstance(spec.get("config"), dict):
                raise ValueError(f"layers[{i}] of the Sequential config is not a known module "
                                 f"type with a config: {spec!r:.100}")
            built.append(kind.from_config(spec["config"]))
        return cls(*built)

    def __repr__(self) -> str:
        lines = [f"  (layers.{i}): {m!r}".replace("\n", "\n  ")
                 for i, m in enumerate(self.layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"
