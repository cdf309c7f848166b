"""Optimizers with PyTorch's update rules, and learning-rate schedules.

A schedule is a callable of the 0-based step number ``k`` (the number of optimizer steps
taken before this one) that returns the learning rate itself, not a factor. ``fit`` sets
``optimizer.lr = schedule(k)`` before step ``k``; by hand, do the same.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from autograd_tiny import Value


def non_negative(x: float, what: str) -> float:
    x = float(x)
    if not (x >= 0.0 and math.isfinite(x)):
        raise ValueError(f"{what} must be a finite number >= 0, got {what} = {x!r}")
    return x


class Optimizer:
    """Holds the parameters and the learning rate; ``step()`` updates ``p.data`` from ``p.grad``."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("the optimizer got an empty list of parameters")
        bad = [type(p).__name__ for p in self.params if not isinstance(p, Value)]
        if bad:
            raise TypeError(f"the optimizer's parameters must be Values, got {bad[0]}")
        self.lr = lr
        self.steps = 0

    @property
    def lr(self) -> float:
        """The learning rate, settable (a schedule sets it before each step)."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = non_negative(value, "lr")

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """PyTorch's SGD: g = grad + wd p; b = mu b + g (b = g at the first step);
    g = g + mu b (nesterov) or b; p -= lr g."""

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = non_negative(momentum, "momentum")
        self.weight_decay = non_negative(weight_decay, "weight_decay")
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True needs momentum > 0, got momentum = 0.0")
        self.buffers: list[float] | None = None

    def step(self) -> None:
        """One update of every parameter from its grad."""
        lr, mu, wd = self._lr, self.momentum, self.weight_decay
        if mu == 0.0:
            for p in self.params:
                g = float(p.grad) + wd * p.data if wd else float(p.grad)
                p.data -= lr * g
        else:
            first = self.buffers is None
            buffers = [0.0] * len(self.params) if self.buffers is None else self.buffers
            for i, p in enumerate(self.params):
                g = float(p.grad) + wd * p.data if wd else float(p.grad)
                b = g if first else mu * buffers[i] + g
                buffers[i] = b
                p.data -= lr * (g + mu * b if self.nesterov else b)
            self.buffers = buffers
        self.steps += 1

    def __repr__(self) -> str:
        return (f"SGD(lr={self._lr!r}, momentum={self.momentum!r}, nesterov={self.nesterov}, "
                f"weight_decay={self.weight_decay!r})")


class Adam(Optimizer):
    """PyTorch's Adam: g = grad + wd p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g**2;
    p -= lr (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps)."""

    def __init__(self, params: Iterable[Value], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        b1, b2 = betas
        for name, b in (("betas[0]", b1), ("betas[1]", b2)):
            if not 0.0 <= float(b) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {name} = {b!r}")
        self.betas = (float(b1), float(b2))
        self.eps = non_negative(eps, "eps")
        if self.eps == 0.0:  # a parameter whose grad stays 0 would divide 0 by 0
            raise ValueError(f"eps must be a finite number > 0, got eps = {eps!r}")
        self.weight_decay = non_negative(weight_decay, "weight_decay")
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        """One update of every parameter from its grad."""
        self.steps += 1
        t = self.steps
        b1, b2 = self.betas
        wd, eps = self.weight_decay, self.eps
        step_size = self._lr / (1.0 - b1**t)
        correction2 = math.sqrt(1.0 - b2**t)
        m, v = self.m, self.v
        for i, p in enumerate(self.params):
            g = float(p.grad) + wd * p.data if wd else float(p.grad)
            m[i] = b1 * m[i] + (1.0 - b1) * g
            v[i] = b2 * v[i] + (1.0 - b2) * g * g
            p.data -= step_size * m[i] / (math.sqrt(v[i]) / correction2 + eps)

    def __repr__(self) -> str:
        return (f"Adam(lr={self._lr!r}, betas={self.betas!r}, eps={self.eps!r}, "
                f"weight_decay={self.weight_decay!r})")


class AdaGrad(Optimizer):
    """PyTorch's Adagrad: g = grad + wd p; s += g**2 (s starts at initial_accumulator_value);
    p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)."""

    def __init__(self, params: Iterable[Value], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10) -> None:
        super().__init__(params, lr)
        self.lr_decay = non_negative(lr_decay, "lr_decay")
        self.weight_decay = non_negative(weight_decay, "weight_decay")
        self.initial_accumulator_value = non_negative(initial_accumulator_value,
                                               "initial_accumulator_value")
        self.eps = non_negative(eps, "eps")
        self.sums = [self.initial_accumulator_value] * len(self.params)

    def step(self) -> None:
        """One update of every parameter from its grad."""
        self.steps += 1
        clr = self._lr / (1.0 + (self.steps - 1) * self.lr_decay)
        wd, eps, sums = self.weight_decay, self.eps, self.sums
        for i, p in enumerate(self.params):
            g = float(p.grad) + wd * p.data if wd else float(p.grad)
            sums[i] += g * g
            p.data -= clr * (g / (math.sqrt(sums[i]) + eps))

    def __repr__(self) -> str:
        return (f"AdaGrad(lr={self._lr!r}, lr_decay={self.lr_decay!r}, "
                f"weight_decay={self.weight_decay!r}, "
                f"initial_accumulator_value={self.initial_accumulator_value!r}, eps={self.eps!r})")


class RMSProp(Optimizer):
    """PyTorch's RMSprop: g = grad + wd p; s = alpha s + (1-alpha) g**2; d = sqrt(s) + eps
    (centered: m = alpha m + (1-alpha) g, d = sqrt(s - m**2) + eps); b = mu b + g / d,
    p -= lr b (mu > 0) or p -= lr g / d."""

    def __init__(self, params: Iterable[Value], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        super().__init__(params, lr)
        alpha = float(alpha)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got alpha = {alpha!r}")
        self.alpha = alpha
        self.eps = non_negative(eps, "eps")
        self.weight_decay = non_negative(weight_decay, "weight_decay")
        self.momentum = non_negative(momentum, "momentum")
        self.centered = bool(centered)
        n = len(self.params)
        self.square_avg = [0.0] * n
        self.grad_avg = [0.0] * n
        self.buffers = [0.0] * n

    def step(self) -> None:
        """One update of every parameter from its grad."""
        self.steps += 1
        lr, alpha, eps = self._lr, self.alpha, self.eps
        wd, mu = self.weight_decay, self.momentum
        s, m, b = self.square_avg, self.grad_avg, self.buffers
        for i, p in enumerate(self.params):
            g = float(p.grad) + wd * p.data if wd else float(p.grad)
            s[i] = alpha * s[i] + (1.0 - alpha) * g * g
            if self.centered:
                m[i] = alpha * m[i] + (1.0 - alpha) * g
                # s >= m**2 in exact arithmetic; max() keeps rounding from making it negative
                d = math.sqrt(max(s[i] - m[i] * m[i], 0.0)) + eps
            else:
                d = math.sqrt(s[i]) + eps
            if mu:
                b[i] = mu * b[i] + g / d
                p.data -= lr * b[i]
            else:
                p.data -= lr * (g / d)

    def __repr__(self) -> str:
        return (f"RMSProp(lr={self._lr!r}, alpha={self.alpha!r}, eps={self.eps!r}, "
                f"weight_decay={self.weight_decay!r}, momentum={self.momentum!r}, "
                f"centered={self.centered})")


def clip_grad_norm(params: Iterable[Value] | Value, max_norm: float, *,
                   error_if_nonfinite: bool = False) -> float:
    """total = sqrt(sum p.grad**2); when max_norm / (total + 1e-6) < 1, every grad is scaled by
    it (PyTorch's ``clip_grad_norm_``). Returns total, the norm before clipping."""
    ps = [params] if isinstance(params, Value) else list(params)
    bad = [type(p).__name__ for p in ps if not isinstance(p, Value)]
    if bad:
        raise TypeError(f"clip_grad_norm takes Values, got {bad[0]}")
    max_norm = non_negative(max_norm, "max_norm")
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
        if self.step_size <= 0:
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
        if self.steps <= 0:
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
        if self.warmup < 0:
            raise ValueError(f"warmup must be >= 0, got warmup = {self.warmup}")
        if self.total <= self.warmup:
            raise ValueError(f"total must exceed warmup, got total = {self.total}, "
                             f"warmup = {self.warmup}")
        if self.decay not in ("linear", "cosine"):
            raise ValueError(f"decay must be 'linear' or 'cosine', got decay = {self.decay!r}")

    def __call__(self, k: int) -> float:
        if k < self.warmup:
            return self.lr * (k + 1) / self.warmup
        frac = min(k - self.warmup, self.total - self.warmup) / (self.total - self.warmup)
        if self.decay == "cosine":
            frac = (1.0 - math.cos(math.pi * frac)) / 2.0
        return self.lr - (self.lr - self.end) * frac
