"""Optimizers with PyTorch's update rules and defaults, and learning-rate schedules.

``Optimizer`` does the bookkeeping every optimizer shares: the parameters, the settable
``lr``, weight decay (added to the gradient, L2, or decoupled as AdamW's), the step count
``steps`` and the checks of the hyper-parameters. An optimizer adds its hyper-parameters,
stored under their argument names, and ``updates(grads)``: how far each parameter moves down
for its gradient at step ``self.steps`` (counted from 1), one loop over plain float lists with
the step's constants computed once, not a method call per parameter.

A schedule is a callable of the 0-based step number ``k`` (the number of optimizer steps
taken before this one) that returns the learning rate itself, not a factor. ``fit`` sets
``optimizer.lr = schedule(k)`` before step ``k``; by hand, do the same.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from autograd_tiny import Value

from .checks import count, flag, fraction, non_negative, positive


def beta_pair(pair: object) -> tuple[float, float]:
    """Adam's ``(beta1, beta2)``, each in [0, 1)."""
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2) of floats, got "
                        f"{type(pair).__name__} {pair!r:.60}")
    return fraction(pair[0], "betas[0]"), fraction(pair[1], "betas[1]")


class Optimizer:
    """Holds the parameters, ``lr``, ``weight_decay`` and the step count; ``step()`` moves
    every ``p.data`` down by its entry of ``updates(grads)``."""

    # True: weight decay shrinks p by lr * wd * p before the update (AdamW); False: it adds
    # wd * p to the gradient (L2, as PyTorch's SGD and Adam).
    decoupled: ClassVar[bool] = False

    def __init__(self, params: Iterable[Value], lr: float, weight_decay: float = 0.0) -> None:
        if isinstance(params, Value) or not isinstance(params, Iterable):
            raise TypeError(f"the optimizer takes a list of Values (model.parameters()), "
                            f"got {type(params).__name__}")
        self.params = list(params)
        if not self.params:
            raise ValueError("the optimizer got an empty list of parameters")
        bad = [type(p).__name__ for p in self.params if not isinstance(p, Value)]
        if bad:
            raise TypeError(f"the optimizer's parameters must be Values, got {bad[0]}")
        first: dict[int, int] = {}
        for i, p in enumerate(self.params):
            j = first.setdefault(id(p), i)
            if j != i:  # it would take two steps, each with its own moments
                raise ValueError(f"the optimizer got the same Value as parameters {j} and {i}; "
                                 "pass each parameter once")
        self.lr = lr
        self.weight_decay = non_negative(weight_decay, "weight_decay")
        self.steps = 0

    @property
    def lr(self) -> float:
        """The learning rate, settable (a schedule sets it before each step)."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = non_negative(value, "lr")

    def zeros(self) -> list[float]:
        """One 0.0 per parameter: a fresh per-parameter state (a moment, a buffer)."""
        return [0.0] * len(self.params)

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """One update of every parameter from its grad: p -= updates(grad + wd p)[i], or with
        decoupled decay p *= 1 - lr wd, then p -= updates(grad)[i]."""
        self.steps += 1
        params, lr, wd = self.params, self._lr, self.weight_decay
        grads = [float(p.grad) for p in params]
        if wd and self.decoupled:
            shrink = 1.0 - lr * wd
            for p in params:
                p.data *= shrink
        elif wd:
            grads = [g + wd * p.data for g, p in zip(grads, params, strict=True)]
        for p, u in zip(params, self.updates(grads), strict=True):
            p.data -= u

    def updates(self, grads: list[float]) -> list[float]:
        """How far each parameter moves down for its gradient in ``grads``."""
        raise NotImplementedError(f"{type(self).__name__} does not define updates()")

    def __repr__(self) -> str:
        names = [name for name in inspect.signature(type(self)).parameters if name != "params"]
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__name__}({shown})"


class SGD(Optimizer):
    """PyTorch's SGD: g = grad + wd p; b = mu b + g (b = g at the first step);
    p -= lr (g + mu b) (nesterov) or lr b."""

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.momentum = non_negative(momentum, "momentum")
        self.nesterov = flag(nesterov, "nesterov")
        if self.nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True needs momentum > 0, got momentum = 0.0")
        self.buffers = self.zeros()

    def updates(self, grads: list[float]) -> list[float]:
        lr, mu = self._lr, self.momentum
        if not mu:
            return [lr * g for g in grads]
        self.buffers = b = (list(grads) if self.steps == 1 else
                            [mu * b + g for b, g in zip(self.buffers, grads, strict=True)])
        if self.nesterov:
            return [lr * (g + mu * bi) for g, bi in zip(grads, b, strict=True)]
        return [lr * bi for bi in b]


class Adam(Optimizer):
    """PyTorch's Adam: g = grad + wd p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g**2;
    p -= lr (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps)."""

    def __init__(self, params: Iterable[Value], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.betas = beta_pair(betas)
        self.eps = positive(eps, "eps")
        self.m, self.v = self.zeros(), self.zeros()

    def updates(self, grads: list[float]) -> list[float]:
        b1, b2 = self.betas
        step_size = self._lr / (1.0 - b1**self.steps)
        correction2, eps, sqrt = math.sqrt(1.0 - b2**self.steps), self.eps, math.sqrt
        self.m = m = [b1 * mi + (1.0 - b1) * g for mi, g in zip(self.m, grads, strict=True)]
        self.v = v = [b2 * vi + (1.0 - b2) * g * g for vi, g in zip(self.v, grads, strict=True)]
        return [step_size * mi / (sqrt(vi) / correction2 + eps)
                for mi, vi in zip(m, v, strict=True)]


class AdamW(Adam):
    """PyTorch's AdamW: Adam on the raw gradient, with the weight decay decoupled:
    p *= 1 - lr wd before each Adam step (Loshchilov & Hutter). Default wd = 0.01."""

    decoupled = True

    def __init__(self, params: Iterable[Value], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


class Adamax(Optimizer):
    """PyTorch's Adamax: g = grad + wd p; m = b1 m + (1-b1) g; u = max(b2 u, |g| + eps);
    p -= lr / (1 - b1**t) * m / u."""

    def __init__(self, params: Iterable[Value], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.betas = beta_pair(betas)
        self.eps = positive(eps, "eps")
        self.m, self.u = self.zeros(), self.zeros()

    def updates(self, grads: list[float]) -> list[float]:
        b1, b2 = self.betas
        step_size, eps = self._lr / (1.0 - b1**self.steps), self.eps
        self.m = m = [b1 * mi + (1.0 - b1) * g for mi, g in zip(self.m, grads, strict=True)]
        self.u = u = [max(b2 * ui, abs(g) + eps) for ui, g in zip(self.u, grads, strict=True)]
        return [step_size * mi / ui for mi, ui in zip(m, u, strict=True)]


class AdaGrad(Optimizer):
    """PyTorch's Adagrad: g = grad + wd p; s += g**2 (s starts at initial_accumulator_value);
    p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)."""

    def __init__(self, params: Iterable[Value], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10) -> None:
        super().__init__(params, lr, weight_decay)
        self.lr_decay = non_negative(lr_decay, "lr_decay")
        self.initial_accumulator_value = non_negative(initial_accumulator_value,
                                                      "initial_accumulator_value")
        self.eps = non_negative(eps, "eps")
        self.sums = [self.initial_accumulator_value] * len(self.params)

    def updates(self, grads: list[float]) -> list[float]:
        clr, eps, sqrt = self._lr / (1.0 + (self.steps - 1) * self.lr_decay), self.eps, math.sqrt
        self.sums = sums = [s + g * g for s, g in zip(self.sums, grads, strict=True)]
        return [clr * (g / (sqrt(s) + eps)) for g, s in zip(grads, sums, strict=True)]


class RMSProp(Optimizer):
    """PyTorch's RMSprop: g = grad + wd p; s = alpha s + (1-alpha) g**2; d = sqrt(s) + eps
    (centered: m = alpha m + (1-alpha) g, d = sqrt(s - m**2) + eps); b = mu b + g / d,
    p -= lr b (mu > 0) or p -= lr g / d."""

    def __init__(self, params: Iterable[Value], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        super().__init__(params, lr, weight_decay)
        self.alpha = fraction(alpha, "alpha", one=True)
        self.eps = non_negative(eps, "eps")
        self.momentum = non_negative(momentum, "momentum")
        self.centered = flag(centered, "centered")
        self.square_avg, self.grad_avg, self.buffers = self.zeros(), self.zeros(), self.zeros()

    def updates(self, grads: list[float]) -> list[float]:
        alpha, eps, mu, lr, sqrt = self.alpha, self.eps, self.momentum, self._lr, math.sqrt
        self.square_avg = s = [alpha * si + (1.0 - alpha) * g * g
                               for si, g in zip(self.square_avg, grads, strict=True)]
        if self.centered:
            self.grad_avg = m = [alpha * mi + (1.0 - alpha) * g
                                 for mi, g in zip(self.grad_avg, grads, strict=True)]
            # s >= m**2 in exact arithmetic; max() keeps rounding from making it negative
            d = [sqrt(max(si - mi * mi, 0.0)) + eps for si, mi in zip(s, m, strict=True)]
        else:
            d = [sqrt(si) + eps for si in s]
        if mu:
            self.buffers = b = [mu * bi + g / di
                                for bi, g, di in zip(self.buffers, grads, d, strict=True)]
            return [lr * bi for bi in b]
        return [lr * (g / di) for g, di in zip(grads, d, strict=True)]


def clip_grad_norm(params: Iterable[Value] | Value, max_norm: float, *,
                   error_if_nonfinite: bool = False) -> float:
    """total = sqrt(sum p.grad**2); when max_norm / (total + 1e-6) < 1, every grad is scaled by
    it (PyTorch's ``clip_grad_norm_``). Returns total, the norm before clipping."""
    ps = [params] if isinstance(params, Value) else list(params)
    bad = [type(p).__name__ for p in ps if not isinstance(p, Value)]
    if bad:
        raise TypeError(f"clip_grad_norm takes Values, got {bad[0]}")
    max_norm = non_negative(max_norm, "max_norm")
    error_if_nonfinite = flag(error_if_nonfinite, "error_if_nonfinite")
    total = math.hypot(*(float(p.grad) for p in ps))  # sqrt(sum g**2) without overflow
    if error_if_nonfinite and not math.isfinite(total):
        raise FloatingPointError(f"the total norm of the gradients is {total}; "
                                 "pass error_if_nonfinite=False to clip anyway")
    coef = max_norm / (total + 1e-6)
    if not coef >= 1.0:  # NaN scales too, as in PyTorch
        for p in ps:
            p.grad = p.grad * coef
    return total


@dataclass(frozen=True)
class StepDecay:
    """lr(k) = lr * gamma ** (k // step_size)   (PyTorch's StepLR)"""

    lr: float
    step_size: int
    gamma: float = 0.1

    def __post_init__(self) -> None:
        non_negative(self.lr, "lr")
        non_negative(self.gamma, "gamma")
        if count(self.step_size, "step_size") <= 0:
            raise ValueError(f"step_size must be positive, got step_size = {self.step_size}")

    def __call__(self, k: int) -> float:
        return self.lr * self.gamma ** (k // self.step_size)


@dataclass(frozen=True)
class LinearDecay:
    """lr(k) = start - (start - end) * min(k, steps) / steps; micrograd's demo is
    ``LinearDecay(1.0, 0.1, 100)``: lr(k) = 1 - 0.9 k / 100."""

    start: float
    end: float
    steps: int

    def __post_init__(self) -> None:
        non_negative(self.start, "start")
        non_negative(self.end, "end")
        if count(self.steps, "steps") <= 0:
            raise ValueError(f"steps must be positive, got steps = {self.steps}")

    def __call__(self, k: int) -> float:
        return self.start - (self.start - self.end) * min(k, self.steps) / self.steps


@dataclass(frozen=True)
class WarmupDecay:
    """Linear warm-up lr * (k + 1) / warmup for k < warmup, then linear (or cosine) decay
    from lr to ``end`` at step ``total`` (and ``end`` after it)."""

    lr: float
    warmup: int
    total: int
    end: float = 0.0
    decay: str = "linear"

    def __post_init__(self) -> None:
        non_negative(self.lr, "lr")
        non_negative(self.end, "end")
        count(self.total, "total")
        if count(self.warmup, "warmup") < 0:
            raise ValueError(f"warmup must be >= 0, got warmup = {self.warmup}")
        if self.total <= self.warmup:
            raise ValueError(f"total must exceed warmup, got total = {self.total}, "
                             f"warmup = {self.warmup}")
        if not isinstance(self.decay, str):
            raise TypeError(f"decay must be a str, 'linear' or 'cosine'; got "
                            f"{type(self.decay).__name__} {self.decay!r:.40}")
        if self.decay not in ("linear", "cosine"):
            raise ValueError(f"decay must be 'linear' or 'cosine', got decay = {self.decay!r}")

    def __call__(self, k: int) -> float:
        if k < self.warmup:
            return self.lr * (k + 1) / self.warmup
        frac = min(k - self.warmup, self.total - self.warmup) / (self.total - self.warmup)
        if self.decay == "cosine":
            frac = (1.0 - math.cos(math.pi * frac)) / 2.0
        return self.lr - (self.lr - self.end) * frac
