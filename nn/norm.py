"""``BatchNorm``: PyTorch's ``BatchNorm1d`` over a mini-batch of samples of scalar Values.

Per feature j, over the n samples of the batch (training mode)::

    mean = sum(x) / n,  var = sum((x - mean)**2) / n          (the biased variance)
    y = (x - mean) / sqrt(var + eps) * weight[j] + bias[j]

and the running statistics move towards the batch's, with the unbiased variance:
``running_mean = (1 - momentum) running_mean + momentum mean``, ``running_var = (1 - momentum)
running_var + momentum var * n / (n - 1)``. The gradient flows through mean and var, so each
output depends on every sample of the batch. In eval mode (``module.eval()``) the running
statistics replace the batch's and each sample is normalised on its own.

``weight`` (gamma, starting at 1) and ``bias`` (beta, at 0) are the parameters; ``running_mean``
(0) and ``running_var`` (1) are buffers: in ``state_dict()`` and saved files, never trained.
``nn.fit`` leaves the mode alone: call ``model.train()`` / ``model.eval()`` yourself.
PyTorch's ``affine=False``, ``track_running_stats=False`` and ``momentum=None`` (a cumulative
average, with its ``num_batches_tracked``) are not offered.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from autograd_tiny import Value

from . import checks
from .module import Module


def _fraction(x: float, what: str, high: float | None) -> float:
    x = checks.real(x, what)
    if not (x >= 0.0 and math.isfinite(x)) or (high is not None and x > high):
        interval = f"[0, {high:g}]" if high is not None else "a finite number >= 0"
        raise ValueError(f"{what} must be in {interval}, got {what} = {x!r}")
    return x


class BatchNorm(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias per feature, over a batch of samples."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        self.num_features = checks.size(num_features, "num_features")
        self.eps = _fraction(eps, "eps", None)
        self.momentum = _fraction(momentum, "momentum", 1.0)
        n = self.num_features
        self.weight = [Value(1.0) for _ in range(n)]
        self.bias = [Value(0.0) for _ in range(n)]
        self.running_mean = [Value(0.0, f"running_mean.{j}") for j in range(n)]
        self.running_var = [Value(1.0, f"running_var.{j}") for j in range(n)]
        self.label_parameters()

    def __call__(self, xs: Sequence[Any]) -> list[list[Value]]:
        """The batch ``xs`` (samples of ``num_features`` numbers, or numbers when it is 1),
        normalised: one list of ``num_features`` Values per sample."""
        rows = self._rows(xs)
        cols = self._normalise(rows) if self.training else self._normalise_running(rows)
        return [list(row) for row in zip(*cols, strict=True)]

    def _normalise(self, rows: list[list[Value]]) -> list[list[Value]]:
        """Per feature: (x - mean) * w / sqrt(var + eps) + b with the batch's mean and var."""
        n = len(rows)
        if n < 2:
            raise ValueError("BatchNorm in training mode needs a batch of at least 2 samples to "
                             "take a variance, got 1; call .eval() to use the running statistics")
        cols: list[list[Value]] = []
        stats: list[tuple[float, float]] = []
        for j, (w, b) in enumerate(zip(self.weight, self.bias, strict=True)):
            col = [r[j] for r in rows]
            mean = Value.sum(col) / n
            centered = [x - mean for x in col]
            var = Value.dot(centered, centered) / n
            scale = w / (var + self.eps).sqrt()
            cols.append([c * scale + b for c in centered])
            stats.append((mean.data, var.data))
        m = self.momentum
        for rm, rv, (mean_j, var_j) in zip(self.running_mean, self.running_var, stats,
                                           strict=True):
            rm.data = (1.0 - m) * rm.data + m * mean_j
            rv.data = (1.0 - m) * rv.data + m * var_j * n / (n - 1)
        return cols

    def _normalise_running(self, rows: list[list[Value]]) -> list[list[Value]]:
        """Per feature: (x - running_mean) * w / sqrt(running_var + eps) + b."""
        cols: list[list[Value]] = []
        for j, (w, b) in enumerate(zip(self.weight, self.bias, strict=True)):
            mean = self.running_mean[j].data
            scale = w / math.sqrt(self.running_var[j].data + self.eps)
            cols.append([(r[j] - mean) * scale + b for r in rows])
        return cols

    def forward_batch(self, xs: Sequence[Any]) -> list[Any]:
        return self(xs)

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """As ``Module.load_state_dict``, refusing a running variance that sqrt cannot take."""
        check_running_var(self, state)
        super().load_state_dict(state)

    def _rows(self, xs: Sequence[Any]) -> list[list[Value]]:
        if isinstance(xs, (str, bytes, Value)) or not isinstance(xs, Sequence):
            raise TypeError(f"BatchNorm takes a batch (a list of samples), got {type(xs).__name__}")
        if len(xs) == 0:
            raise ValueError("BatchNorm got an empty batch")
        nf = self.num_features
        rows = []
        for i, x in enumerate(xs):
            sample = [x] if isinstance(x, (Value, int, float)) else x
            if isinstance(sample, (str, bytes)) or not isinstance(sample, Sequence):
                raise TypeError(f"sample {i} of the batch is a {type(x).__name__}, expected "
                                f"a list of num_features = {nf} numbers")
            if len(sample) != nf:
                raise ValueError(f"sample {i} of the batch has {len(sample)} values, expected "
                                 f"num_features = {nf}")
            rows.append([v if isinstance(v, Value) else Value(v) for v in sample])
        return rows

    def named_parameters(self) -> list[tuple[str, Value]]:
        return ([(f"weight.{j}", w) for j, w in enumerate(self.weight)]
                + [(f"bias.{j}", b) for j, b in enumerate(self.bias)])

    def named_buffers(self) -> list[tuple[str, Value]]:
        return ([(f"running_mean.{j}", v) for j, v in enumerate(self.running_mean)]
                + [(f"running_var.{j}", v) for j, v in enumerate(self.running_var)])

    def config(self) -> dict[str, Any]:
        return {"num_features": self.num_features, "eps": self.eps, "momentum": self.momentum}

    def __repr__(self) -> str:
        return f"BatchNorm({self.num_features}, eps={self.eps!r}, momentum={self.momentum!r})"


def rms_norm(x: Sequence[Value], eps: float = 1e-5) -> list[Value]:
    """y_i = x_i * (mean_j x_j**2 + eps) ** -0.5  (no gain: microgpt's rmsnorm)"""
    if not x:
        raise ValueError("rms_norm of an empty vector")
    if type(eps) is not float:  # called per position: the common case costs one type test
        eps = checks.real(eps, "rms_norm's eps")
    ms = Value.dot(x, x) * (1.0 / len(x))
    scale = (ms + eps) ** -0.5
    return [xi * scale for xi in x]


class _VectorNorm(Module):
    """What RMSNorm and LayerNorm share: the size, eps, whether there is an affine part (each
    parameter list starts at ``_starts``' value), the config and the repr."""

    _starts: tuple[float, ...] = ()

    def __init__(self, normalized_shape: int, eps: float = 1e-5,
                 elementwise_affine: bool = True) -> None:
        self.normalized_shape = checks.size(normalized_shape, "normalized_shape")
        self.eps = _fraction(eps, "eps", None)
        self.elementwise_affine = checks.flag(elementwise_affine, "elementwise_affine")
        n = self.normalized_shape if self.elementwise_affine else 0
        self.weight = [Value(self._starts[0]) for _ in range(n)]
        self.bias = [Value(self._starts[1]) for _ in range(n)] if len(self._starts) > 1 else []
        self.label_parameters()

    def named_parameters(self) -> list[tuple[str, Value]]:
        return ([(f"weight.{j}", w) for j, w in enumerate(self.weight)]
                + [(f"bias.{j}", b) for j, b in enumerate(self.bias)])

    def config(self) -> dict[str, Any]:
        return {"normalized_shape": self.normalized_shape, "eps": self.eps,
                "elementwise_affine": self.elementwise_affine}

    @classmethod
    def parameter_count(cls, config: dict[str, Any]) -> int | None:
        """normalized_shape per parameter list, or 0 without elementwise_affine."""
        n, affine = config.get("normalized_shape"), config.get("elementwise_affine", True)
        if not isinstance(n, int) or isinstance(n, bool) or not isinstance(affine, bool):
            return None
        return n * len(cls._starts) if affine else 0

    def __repr__(self) -> str:
        affine = "" if self.elementwise_affine else ", elementwise_affine=False"
        return f"{type(self).__name__}({self.normalized_shape}, eps={self.eps!r}{affine})"


class RMSNorm(_VectorNorm):
    """y_i = x_i * (mean_j x_j**2 + eps) ** -0.5 * weight_i (PyTorch's ``nn.RMSNorm`` over one
    vector; its eps defaults to the float's machine epsilon, here to 1e-5 as in microgpt).

    ``weight`` (the gain) starts at 1; ``elementwise_affine=False`` leaves it out."""

    _starts = (1.0,)

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        """The normalised vector (``normalized_shape`` Values)."""
        xs = _vector(x, self.normalized_shape, "RMSNorm")
        y = rms_norm(xs, self.eps)
        return [yi * w for yi, w in zip(y, self.weight, strict=True)] if self.weight else y


class LayerNorm(_VectorNorm):
    """y_i = (x_i - mean) * (var + eps) ** -0.5 * weight_i + bias_i over one vector, var the
    biased variance mean_j (x_j - mean)**2 (PyTorch's ``nn.LayerNorm``).

    ``weight`` starts at 1 and ``bias`` at 0; ``elementwise_affine=False`` leaves both out."""

    _starts = (1.0, 0.0)

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        """The normalised vector (``normalized_shape`` Values)."""
        xs = _vector(x, self.normalized_shape, "LayerNorm")
        n = len(xs)
        mean = Value.sum(xs) * (1.0 / n)
        centered = [xi - mean for xi in xs]
        scale = (Value.dot(centered, centered) * (1.0 / n) + self.eps) ** -0.5
        y = [c * scale for c in centered]
        if not self.weight:
            return y
        return [yi * w + b for yi, w, b in zip(y, self.weight, self.bias, strict=True)]


def _vector(x: Sequence[Value | float], n: int, what: str) -> list[Value]:
    if isinstance(x, (str, bytes, Value)) or not isinstance(x, Sequence):
        raise TypeError(f"{what} takes a vector (a list of {n} numbers), got "
                        f"{type(x).__name__}")
    if len(x) != n:
        raise ValueError(f"{what} expected a vector of normalized_shape = {n} values, got "
                         f"{len(x)}")
    return [v if isinstance(v, Value) else Value(v) for v in x]


def check_running_var(module: Module, state: Mapping[str, Any], prefix: str = "") -> None:
    """ValueError naming every ``running_var`` entry of ``state`` for the BatchNorm layers in
    ``module`` (``prefix`` + their names) that is a number below 0, or that leaves
    running_var + eps <= 0: eval mode would take its square root. Anything else is left to
    ``load_state_dict``'s own checks."""
    if not isinstance(state, Mapping):
        return  # load_state_dict words that
    bad = []
    todo: list[tuple[str, Any]] = [(prefix, module)]
    while todo:
        at, m = todo.pop()
        if not isinstance(m, BatchNorm):
            todo += [(f"{at}layers.{i}.", sub) for i, sub in enumerate(getattr(m, "layers", ()))]
            continue
        for j in range(m.num_features):
            name = f"{at}running_var.{j}"
            x = state.get(name)
            if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) \
                    and (x < 0.0 or x + m.eps <= 0.0):
                bad.append(f"{name} = {x!r}")
    if bad:
        raise ValueError(f"running variances must be >= 0 (with eps, > 0): {', '.join(bad)}; "
                         "nothing was loaded")
