"""``RNN``: PyTorch's one-layer Elman ``nn.RNN`` over scalar Values, unrolled over a sequence,
and ``RNNReadout``: an RNN whose last hidden state feeds a linear layer.

Per step t and hidden unit i::

    h_t[i] = tanh(W_ih[i] . x_t + b_ih[i] + W_hh[i] . h_{t-1} + b_hh[i])

``outputs, h_n = rnn(xs, h0)`` runs the cell over the sequence ``xs`` and, as PyTorch does,
returns every hidden state (``outputs[t]`` is h_t) and the last one; ``h0`` defaults to zeros.
The graph is the network unrolled in time: the same ``W_hh`` Values appear at every step, so
``backward()`` is backprop through time, and each weight's grad sums its contributions from
all steps. Weights and biases start uniform in (-1/sqrt(hidden_size), 1/sqrt(hidden_size)),
PyTorch's default, and are named like PyTorch's: ``weight_ih.{i}.{j}``, ``weight_hh.{i}.{j}``,
``bias_ih.{i}``, ``bias_hh.{i}``, in that order.

PyTorch's ``nn.RNN`` has no output layer; ``RNNReadout`` is the usual RNN + ``nn.Linear``
model for a sequence-to-one task: ``model(xs)`` = ``W h_T + b``, one Value (``output_size=1``)
or a list, so ``nn.fit`` trains it like an ``MLP`` (each sample of ``X`` is a sequence). Its
readout weights start uniform in (-1/sqrt(hidden_size), 1/sqrt(hidden_size)), biases at 0.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

from autograd_tiny import Value

from . import checks
from .layers import Layer
from .module import Module

NONLINEARITIES = ("tanh", "relu")


class RNN(Module):
    """h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), act tanh (or relu), over a sequence."""

    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh", *,
                 rng: random.Random | None = None) -> None:
        self.input_size = checks.size(input_size, "input_size")
        self.hidden_size = n = checks.size(hidden_size, "hidden_size")
        self.nonlinearity = checks.choice(nonlinearity, NONLINEARITIES, "nonlinearity")
        draw = checks.rng_for(None, rng)
        k = 1.0 / math.sqrt(n)
        self.weight_ih = [[Value(draw.uniform(-k, k)) for _ in range(self.input_size)]
                          for _ in range(n)]
        self.weight_hh = [[Value(draw.uniform(-k, k)) for _ in range(n)] for _ in range(n)]
        self.bias_ih = [Value(draw.uniform(-k, k)) for _ in range(n)]
        self.bias_hh = [Value(draw.uniform(-k, k)) for _ in range(n)]
        self.label_parameters()

    def __call__(self, xs: Sequence[Any], h0: Sequence[Value | float] | None = None
                 ) -> tuple[list[list[Value]], list[Value]]:
        """``(outputs, h_n)``: the hidden state after every step of ``xs``, and the last."""
        steps = self._steps(xs)
        h: list[Value] | None = None
        if h0 is not None:
            if isinstance(h0, (Value, int, float)) or len(h0) != self.hidden_size:
                raise ValueError(f"h0 must be a list of hidden_size = {self.hidden_size} "
                                 f"numbers, got {h0!r:.80}")
            h = [v if isinstance(v, Value) else Value(v) for v in h0]
        relu = self.nonlinearity == "relu"
        outputs: list[list[Value]] = []
        for x in steps:
            new = []
            for i in range(self.hidden_size):
                if h is None:  # h0 = 0 adds nothing: skip W_hh's step-0 terms
                    pre = Value.dot(self.weight_ih[i], x, self.bias_ih[i]) + self.bias_hh[i]
                else:
                    pre = (Value.dot([*self.weight_ih[i], *self.weight_hh[i]], [*x, *h],
                                     self.bias_ih[i]) + self.bias_hh[i])
                new.append(pre.relu() if relu else pre.tanh())
            outputs.append(new)
            h = new
        return outputs, outputs[-1]

    def _steps(self, xs: Sequence[Any]) -> list[list[Value]]:
        if isinstance(xs, (str, bytes, Value)) or not isinstance(xs, Sequence):
            raise TypeError(f"RNN takes a sequence (a list of steps), got {type(xs).__name__}")
        if len(xs) == 0:
            raise ValueError("RNN got an empty sequence")
        steps = []
        for t, x in enumerate(xs):
            step = [x] if isinstance(x, (Value, int, float)) else x
            if isinstance(step, (str, bytes)) or not isinstance(step, Sequence) \
                    or len(step) != self.input_size:
                raise ValueError(f"step {t} of the sequence is {x!r:.60}, expected "
                                 f"input_size = {self.input_size} numbers")
            steps.append([v if isinstance(v, Value) else Value(v) for v in step])
        return steps

    def named_parameters(self) -> list[tuple[str, Value]]:
        return ([(f"weight_ih.{i}.{j}", w) for i, row in enumerate(self.weight_ih)
                 for j, w in enumerate(row)]
                + [(f"weight_hh.{i}.{j}", w) for i, row in enumerate(self.weight_hh)
                   for j, w in enumerate(row)]
                + [(f"bias_ih.{i}", b) for i, b in enumerate(self.bias_ih)]
                + [(f"bias_hh.{i}", b) for i, b in enumerate(self.bias_hh)])

    def config(self) -> dict[str, Any]:
        return {"input_size": self.input_size, "hidden_size": self.hidden_size,
                "nonlinearity": self.nonlinearity}

    def __repr__(self) -> str:
        act = "" if self.nonlinearity == "tanh" else f", nonlinearity={self.nonlinearity!r}"
        return f"RNN({self.input_size}, {self.hidden_size}{act})"


class RNNReadout(Module):
    """y = W h_T + b: an ``RNN`` over the sequence, then a linear ``Layer`` on its last state."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int = 1,
                 nonlinearity: str = "tanh", *, seed: int | None = None) -> None:
        # every argument checked before the global random module is drawn from
        checks.size(input_size, "input_size")
        checks.size(hidden_size, "hidden_size")
        checks.choice(nonlinearity, NONLINEARITIES, "nonlinearity")
        output_size = checks.size(output_size, "output_size")
        seed = checks.seed_or_none(seed)
        # seed=None draws the private stream's seed from the global random module
        rng = random.Random(random.getrandbits(64) if seed is None else seed)
        self.rnn = RNN(input_size, hidden_size, nonlinearity, rng=rng)
        self.readout = Layer(self.rnn.hidden_size, output_size, "linear", rng=rng)
        k = 1.0 / math.sqrt(self.rnn.hidden_size)
        for neuron in self.readout.neurons:  # nn.Linear's U(-1/sqrt(nin), 1/sqrt(nin)); b = 0
            for w in neuron.w:
                w.data *= k
        self.label_parameters()

    def __call__(self, xs: Sequence[Any]) -> Value | list[Value]:
        _, h = self.rnn(xs)
        return self.readout(h)

    def named_parameters(self) -> list[tuple[str, Value]]:
        return ([(f"rnn.{name}", p) for name, p in self.rnn.named_parameters()]
                + [(f"readout.{name}", p) for name, p in self.readout.named_parameters()])

    def config(self) -> dict[str, Any]:
        return {**self.rnn.config(), "output_size": self.readout.nout}

    def __repr__(self) -> str:
        return f"RNNReadout(rnn={self.rnn!r}, readout={self.readout!r})"
