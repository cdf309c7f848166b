"""``Conv1d``: PyTorch's ``nn.Conv1d`` on one sample of scalar Values (shared kernel weights).

The input is ``in_channels`` sequences of equal length L (PyTorch's unbatched ``(C_in, L)``);
the output is ``out_channels`` sequences of length
``L_out = (L + 2 padding - dilation (kernel_size - 1) - 1) // stride + 1``::

    out[o][t] = bias[o] + sum_i sum_k weight[o][i][k] * x_pad[i][t * stride + k * dilation]

where ``x_pad`` is the input with ``padding`` zeros at each end. Each output is ONE
``Value.dot`` node. The same ``weight[o][i][k]`` Value is a child of every output position's
node, so ``backward()`` adds up its contributions from all positions: weight sharing is the
engine's accumulation over a reused node. Weights and biases start uniform in
(-1/sqrt(in_channels kernel_size), 1/sqrt(in_channels kernel_size)), PyTorch's default, and are
named like PyTorch's tensor entries: ``weight.{o}.{i}.{k}`` then ``bias.{o}``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

from autograd_tiny import Value

from . import checks
from .module import Module


class Conv1d(Module):
    """out[o][t] = b[o] + sum_{i,k} w[o][i][k] * x[i][t*stride + k*dilation - padding]"""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0, dilation: int = 1, bias: bool = True, *,
                 seed: int | None = None, rng: random.Random | None = None) -> None:
        self.in_channels = checks.size(in_channels, "in_channels")
        self.out_channels = checks.size(out_channels, "out_channels")
        self.kernel_size = checks.size(kernel_size, "kernel_size")
        self.stride = checks.size(stride, "stride")
        self.padding = checks.non_negative_int(padding, "padding")
        self.dilation = checks.size(dilation, "dilation")
        self.bias_on = checks.flag(bias, "bias")
        draw = checks.rng_for(seed, rng)
        k = 1.0 / math.sqrt(self.in_channels * self.kernel_size)
        self.weight = [[[Value(draw.uniform(-k, k)) for _ in range(self.kernel_size)]
                        for _ in range(self.in_channels)] for _ in range(self.out_channels)]
        self.bias = ([Value(draw.uniform(-k, k)) for _ in range(self.out_channels)]
                     if self.bias_on else [])
        self.label_parameters()

    def output_length(self, length: int) -> int:
        """L_out = (L + 2 padding - dilation (kernel_size - 1) - 1) // stride + 1"""
        span = self.dilation * (self.kernel_size - 1) + 1
        return (length + 2 * self.padding - span) // self.stride + 1

    def __call__(self, x: Sequence[Sequence[Value | float]]) -> list[list[Value]]:
        """``out_channels`` lists of ``output_length(L)`` Values for ``in_channels`` lists of L."""
        rows = self._rows(x)
        zero = Value(0.0)  # padding: one constant leaf, never trained
        pad = [zero] * self.padding
        padded = [pad + row + pad for row in rows]
        n_out = self.output_length(len(rows[0]))
        out: list[list[Value]] = []
        for o in range(self.out_channels):
            w = [wk for wi in self.weight[o] for wk in wi]
            b = self.bias[o] if self.bias_on else None
            channel = []
            for t in range(n_out):
                start = t * self.stride
                window = [row[start + k * self.dilation] for row in padded
                          for k in range(self.kernel_size)]
                channel.append(Value.dot(w, window, b))
            out.append(channel)
        return out

    def _rows(self, x: Sequence[Sequence[Value | float]]) -> list[list[Value]]:
        if isinstance(x, (str, bytes, Value)) or not isinstance(x, Sequence):
            raise TypeError(f"Conv1d takes in_channels = {self.in_channels} sequences "
                            f"(a list of lists), got {type(x).__name__}")
        if len(x) != self.in_channels:
            raise ValueError(f"Conv1d expected in_channels = {self.in_channels} sequences, "
                             f"got {len(x)}")
        rows: list[list[Value]] = []
        for i, row in enumerate(x):
            if isinstance(row, (str, bytes, Value, int, float)) or not isinstance(row, Sequence):
                raise TypeError(f"channel {i} of the input is a {type(row).__name__}, expected "
                                "a list of numbers")
            rows.append([v if isinstance(v, Value) else Value(v) for v in row])
        lengths = {len(r) for r in rows}
        if len(lengths) != 1:
            raise ValueError(f"Conv1d's input channels differ in length: {sorted(lengths)}")
        length = lengths.pop()
        if self.output_length(length) < 1:
            raise ValueError(f"an input of length {length} is shorter than the kernel's span "
                             f"{self.dilation * (self.kernel_size - 1) + 1} (with padding "
                             f"{self.padding} on each side)")
        return rows

    def named_parameters(self) -> list[tuple[str, Value]]:
        return ([(f"weight.{o}.{i}.{k}", w) for o, wo in enumerate(self.weight)
                 for i, wi in enumerate(wo) for k, w in enumerate(wi)]
                + [(f"bias.{o}", b) for o, b in enumerate(self.bias)])

    def config(self) -> dict[str, Any]:
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": self.kernel_size, "stride": self.stride,
                "padding": self.padding, "dilation": self.dilation, "bias": self.bias_on}

    @classmethod
    def parameter_count(cls, config: dict[str, Any]) -> int:
        c_in = checks.size(config["in_channels"], "in_channels")
        c_out = checks.size(config["out_channels"], "out_channels")
        k = checks.size(config["kernel_size"], "kernel_size")
        return c_out * (c_in * k + (1 if config.get("bias", True) else 0))

    def __repr__(self) -> str:
        extra = "".join(f", {name}={value}" for name, value, default in (
            ("stride", self.stride, 1), ("padding", self.padding, 0),
            ("dilation", self.dilation, 1), ("bias", self.bias_on, True)) if value != default)
        return (f"Conv1d({self.in_channels}, {self.out_channels}, "
                f"kernel_size={self.kernel_size}{extra})")
