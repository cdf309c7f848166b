"""``fit``: the training loop (forward, loss, backward, step), with batches and a schedule.

``loss`` is a name or a callable ``(preds, targets) -> Value``:

==================  ====================================  ===============  ====================
name                loss                                  labels           a prediction is right
==================  ====================================  ===============  ====================
``"hinge"``         ``hinge_loss``                        -1 / +1          score > 0 iff y > 0
``"mse"``           ``mse_loss``                          numbers          see "callable" below
``"bce"``           ``binary_cross_entropy`` (probs)      0 / 1            p > 0.5 iff y > 0.5
``"bce_logits"``    ``binary_cross_entropy_with_logits``  0 / 1            logit > 0 iff y > 0.5
``"cross_entropy"`` ``cross_entropy`` (list of logits)    class indices    argmax == y
==================  ====================================  ===============  ====================

For ``"mse"`` and a callable, accuracy follows the labels: a list of outputs per sample is
right when its argmax equals the label; labels all -1/+1 are compared by sign (threshold 0);
labels all 0/1 with threshold 0.5; any other labels (regression) give accuracy ``nan``.
Pass ``accuracy=`` a callable ``(pred, label) -> bool`` to decide yourself.

The regularisation ``l2 * sum p**2 + l1 * sum |p|`` over the model's parameters is added to
the loss (micrograd's demo: ``loss="hinge", l2=1e-4``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd_tiny import Value

from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l1_penalty,
    l2_penalty,
    mse_loss,
)
from .module import Module
from .optim import Optimizer, non_negative

LossFn = Callable[[list[Any], list[Any]], Value]
Correct = Callable[[Any, Any], bool]


def _by_sign(pred: Value, label: float) -> bool:
    return (pred.data > 0.0) == (label > 0.0)


def _by_logit(pred: Value, label: float) -> bool:
    return (pred.data > 0.0) == (label > 0.5)


def _by_half(pred: Value, label: float) -> bool:
    return (pred.data > 0.5) == (label > 0.5)


def _by_argmax(pred: Sequence[Value], label: float) -> bool:
    scores = [float(p) for p in pred]
    return scores.index(max(scores)) == int(label)


LOSSES: dict[str, tuple[LossFn, Correct | None]] = {
    "hinge": (hinge_loss, _by_sign),
    "mse": (mse_loss, None),
    "bce": (binary_cross_entropy, _by_half),
    "bce_logits": (binary_cross_entropy_with_logits, _by_logit),
    "cross_entropy": (cross_entropy, _by_argmax),
}


@dataclass
class History:
    """Per epoch: the mean total loss (data loss + regularisation, weighted by batch size),
    the training accuracy, and the learning rate of the epoch's last step.

    Loss and accuracy are measured on the epoch's own forward passes, i.e. before each
    batch's update, as micrograd's demo prints them.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)


def _infer_correct(pred: Any, y: Sequence[float]) -> Correct | None:
    if not isinstance(pred, (Value, int, float)):
        return _by_argmax
    labels = {float(v) for v in y}
    if labels <= {-1.0, 1.0}:
        return _by_sign
    if labels <= {0.0, 1.0}:
        return _by_half
    return None


def fit(model: Module | Callable[[Any], Any], X: Sequence[Sequence[float]], y: Sequence[Any], *,
        loss: str | LossFn, optimizer: Optimizer, epochs: int, batch_size: int | None = None,
        schedule: Callable[[int], float] | None = None, progress: bool = True,
        seed: int | None = None, l2: float = 0.0, l1: float = 0.0,
        accuracy: Correct | None = None) -> History:
    """Train ``model`` on ``(X, y)``: per batch, loss(preds) + l2 sum p**2 + l1 sum |p|,
    backward, ``optimizer.step()``. Returns a ``History``.

    ``batch_size=None`` (or >= len(X)) is full batch, in data order; ``1`` stochastic; ``k``
    mini-batches of k (the last may be smaller), shuffled each epoch by ``random.Random(seed)``.
    ``schedule(k)`` sets ``optimizer.lr`` before the k-th step (k counts from 0 across epochs,
    continuing from ``optimizer.steps``). ``progress`` shows a tqdm bar.
    """
    loss_fn, correct = _loss(loss)
    n = len(X)
    if n == 0:
        raise ValueError("fit got an empty dataset (len(X) = 0)")
    if len(y) != n:
        raise ValueError(f"fit got {n} inputs but {len(y)} labels (len(X) != len(y))")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be an integer >= 0, got epochs = {epochs!r}")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                   or batch_size <= 0):
        raise ValueError(f"batch_size must be a positive integer or None, "
                         f"got batch_size = {batch_size!r}")
    l2 = non_negative(l2, "l2")
    l1 = non_negative(l1, "l1")
    if accuracy is not None:
        correct = accuracy
    params = model.parameters() if isinstance(model, Module) else list(optimizer.params)
    full = batch_size is None or batch_size >= n
    size = n if full else batch_size
    assert size is not None
    rng = random.Random(seed)
    order = list(range(n))
    history = History()

    epoch_range: Any = range(epochs)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = epoch_range = tqdm(epoch_range, desc="fit", unit="epoch")

    for _ in epoch_range:
        if not full:
            rng.shuffle(order)
        total = 0.0
        right = 0
        for start in range(0, n, size):
            batch = order[start:start + size]
            if schedule is not None:
                optimizer.lr = schedule(optimizer.steps)
            preds = [model(X[i]) for i in batch]
            targets = [y[i] for i in batch]
            value = loss_fn(preds, targets)
            if not isinstance(value, Value):
                raise TypeError(f"the loss must return a Value built from the predictions, "
                                f"got {type(value).__name__}: {value!r:.60}")
            if l2:
                value = value + l2 * l2_penalty(params)
            if l1:
                value = value + l1 * l1_penalty(params)
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            total += value.data * len(batch)
            if correct is None and start == 0:
                correct = _infer_correct(preds[0], y)
            if correct is not None:
                right += sum(1 for p, t in zip(preds, targets, strict=True) if correct(p, t))
        history.loss.append(total / n)
        history.accuracy.append(right / n if correct is not None else math.nan)
        history.lr.append(optimizer.lr)
        if bar is not None:
            bar.set_postfix(loss=f"{total / n:.4g}", accuracy=f"{history.accuracy[-1]:.1%}")
    return history


def _loss(loss: str | LossFn) -> tuple[LossFn, Correct | None]:
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)} "
                             "or pass a callable (preds, targets) -> Value")
        return LOSSES[loss]
    if not callable(loss):
        raise TypeError(f"loss must be a name or a callable, got {type(loss).__name__}")
    return loss, None
