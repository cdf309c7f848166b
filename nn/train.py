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

A named loss is a mean over the batch, so ``fit`` builds and backpropagates one sample's term
at a time, seeded with 1/len(batch), after the penalty and from the batch's last sample to its
first: the same float operations, in the same order, as ``backward()`` on the whole batch's
graph, in a graph the size of one sample. ``compile=True`` traces that term once (once per
label for ``bce`` and ``cross_entropy``, whose label shapes the graph) with
``autograd_tiny.compile`` and runs it as generated Python; the penalty, one node, stays
interpreted. The history and the weights are
bit for bit those of ``compile=False``, several times faster. It is off by default because a
trace fixes everything but the inputs and the parameters: a model that draws random numbers or
keeps state between calls must run interpreted. A model that reads ``.data`` while computing
raises ``TraceError``; comparisons become guards and are followed.
"""

from __future__ import annotations

import contextlib
import gc
import inspect
import math
import numbers
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd_tiny import Compiled, Value
from autograd_tiny import compile as compile_fn

from . import checks, losses
from .module import Module
from .optim import Optimizer

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


# How a prediction is judged right under a loss of nn.losses; a loss not here (mse_loss, or
# one added later) gets the rule the labels suggest, as a callable loss does.
_ACCURACY: dict[str, Correct] = {
    "hinge_loss": _by_sign,
    "binary_cross_entropy": _by_half,
    "binary_cross_entropy_with_logits": _by_logit,
    "cross_entropy": _by_argmax,
}
_SHORT = {"binary_cross_entropy": "bce", "binary_cross_entropy_with_logits": "bce_logits"}


def _named_losses() -> dict[str, tuple[LossFn, Correct | None]]:
    """Every loss of nn.losses, by its name without ``_loss`` (``bce``, ``bce_logits`` for
    the binary cross-entropies): its public functions of (predictions, targets)."""
    found: dict[str, tuple[LossFn, Correct | None]] = {}
    for name, fn in vars(losses).items():
        if name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != losses.__name__:
            continue
        required = [p for p in inspect.signature(fn).parameters.values()
                    if p.default is inspect.Parameter.empty]
        if len(required) == 2:
            short = _SHORT.get(name, name.removesuffix("_loss"))
            found[short] = (fn, _ACCURACY.get(name))
    return found


LOSSES = _named_losses()


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



@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a step builds and walks its graph: the graph has
    no cycles, so a collection would only rescan it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def fit(model: Module | Callable[[Any], Any], X: Sequence[Sequence[float]], y: Sequence[Any], *,
        loss: str | LossFn, optimizer: Optimizer, epochs: int, batch_size: int | None = None,
        schedule: Callable[[int], float] | None = None, progress: bool = True,
        seed: int | None = None, l2: float = 0.0, l1: float = 0.0,
        accuracy: Correct | None = None, compile: bool = False) -> History:
    """Train ``model`` on ``(X, y)``: per batch, loss(preds) + l2 sum p**2 + l1 sum |p|,
    backward, ``optimizer.step()``. Returns a ``History``.

    ``batch_size=None`` (or >= len(X)) is full batch, in data order; ``1`` stochastic; ``k``
    mini-batches of k (the last may be smaller), shuffled each epoch by ``random.Random(seed)``.
    ``schedule(k)`` sets ``optimizer.lr`` before the k-th step (k counts from 0 across epochs,
    continuing from ``optimizer.steps``). ``progress`` shows a tqdm bar. ``compile=True``
    runs each sample's loss term as generated Python (see the module docstring); same history.
    """
    loss_fn, correct = _loss(loss)
    _check_types(model, X, y, isinstance(loss, str), optimizer, schedule, accuracy)
    progress, compile = checks.flag(progress, "progress"), checks.flag(compile, "compile")
    seed = checks.seed_or_none(seed)
    n = len(X)
    if n == 0:
        raise ValueError("fit got an empty dataset (len(X) = 0)")
    if len(y) != n:
        raise ValueError(f"fit got {n} inputs but {len(y)} labels (len(X) != len(y))")
    if checks.integer(epochs, "epochs") < 0:
        raise ValueError(f"epochs must be an integer >= 0, got epochs = {epochs!r}")
    if batch_size is not None and checks.integer(batch_size, "batch_size (an int or None)") <= 0:
        raise ValueError(f"batch_size must be a positive integer or None, "
                         f"got batch_size = {batch_size!r}")
    l2 = checks.non_negative(l2, "l2")
    l1 = checks.non_negative(l1, "l1")
    if accuracy is not None:
        correct = accuracy
    params = model.parameters() if isinstance(model, Module) else list(optimizer.params)
    whole = isinstance(model, Module) and type(model).forward_batch is not Module.forward_batch
    if whole and compile:
        raise ValueError(f"compile=True traces one sample, but {type(model).__name__} takes "
                         "the whole batch at once (its forward_batch); pass compile=False")
    if isinstance(loss, str) and not whole:
        step: _Step = _PerSample(model, loss, params, l2, l1, compile)
    elif compile:
        raise ValueError("compile=True needs a named loss (a callable may not be a mean of "
                         f"per-sample terms); choose one of {', '.join(LOSSES)}")
    else:
        step = _WholeBatch(model, loss_fn, params, l2, l1)
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
            targets = [y[i] for i in batch]
            optimizer.zero_grad()
            with collection_paused():
                value, preds = step([X[i] for i in batch], targets)
            optimizer.step()
            total += value * len(batch)
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


class _Step:
    """Forward and backward of one batch: returns the loss and the predictions."""

    def __call__(self, xs: list[Any], targets: list[Any]) -> tuple[float, list[Any]]:
        raise NotImplementedError


class _WholeBatch(_Step):
    """A callable loss: one graph for the whole batch."""

    def __init__(self, model: Callable[[Any], Any], loss_fn: LossFn, params: list[Value],
                 l2: float, l1: float) -> None:
        self.model, self.loss_fn, self.params, self.l2, self.l1 = model, loss_fn, params, l2, l1

    def __call__(self, xs: list[Any], targets: list[Any]) -> tuple[float, list[Any]]:
        model = self.model
        preds = model.forward_batch(xs) if isinstance(model, Module) else [model(x) for x in xs]
        value = self.loss_fn(preds, targets)
        if not isinstance(value, Value):
            raise TypeError(f"the loss must return a Value built from the predictions, "
                            f"got {type(value).__name__}: {value!r:.60}")
        if self.l2:
            value = value + self.l2 * losses.l2_penalty(self.params)
        if self.l1:
            value = value + self.l1 * losses.l1_penalty(self.params)
        value.backward()
        return value.data, preds


class _PerSample(_Step):
    """A named loss, one sample's term at a time; interpreted, or compiled per label."""

    def __init__(self, model: Callable[[Any], Any], loss: str, params: list[Value], l2: float,
                 l1: float, compile: bool) -> None:
        self.model, self.params, self.l2, self.l1 = model, params, l2, l1
        self.loss_fn = LOSSES[loss][0]
        # An input of the trace where the loss only computes with the target; a label that
        # decides the graph's shape (bce's branches, cross_entropy's index) keys a trace.
        self.target_input = loss in ("mse", "hinge", "bce_logits")
        self.compile = compile
        self.terms: dict[Any, Compiled] = {}

    def __call__(self, xs: list[Any], targets: list[Any]) -> tuple[float, list[Any]]:
        seed = 1.0 / len(xs)
        penalties = [(self.l2, losses.l2_penalty), (self.l1, losses.l1_penalty)]
        # backward() on loss + l2 * P2 + l1 * P1 reaches l1's term first, then l2's, the data
        extra = [self._penalty(fn, k) if k else 0.0 for k, fn in reversed(penalties)][::-1]
        if self.compile and all(_numbers(x) for x in xs):
            self._check_labels(targets)
            terms, preds = self._compiled(xs, targets, seed)
        else:
            terms, preds = [0.0] * len(xs), [None] * len(xs)
            for i in reversed(range(len(xs))):
                pred = self.model(xs[i])
                term = self.loss_fn([pred], [targets[i]])
                term.backward(seed)
                terms[i], preds[i] = term.data, pred
        value = sum(terms) * seed
        for (k, _), p in zip(penalties, extra, strict=True):
            if k:
                value = value + k * p
        return value, preds

    def prepare(self, xs: Sequence[Any], targets: Sequence[Any]) -> None:
        """Trace and compile now, for every label in ``targets``."""
        for x, t in zip(xs, targets, strict=True):
            key = self._key(t)
            if key not in self.terms:
                self.terms[key] = self._trace(self._row(x, t), t)

    def compiled(self) -> list[Compiled]:
        """The compiled loss terms so far, one per label (one in all for an input target)."""
        return list(self.terms.values())

    def _penalty(self, fn: Callable[[list[Value]], Value], k: float) -> float:
        """The penalty's value; its gradient times k goes into the parameters' grads. It is
        one node (a dot, or a sum of |p|), so it is interpreted even when compiling: its
        generated code would be two lines per parameter to compile for little gain."""
        p = fn(self.params)
        p.backward(k)
        return p.data

    def _compiled(self, xs: list[Any], targets: list[Any],
                  seed: float) -> tuple[list[float], list[Any]]:
        terms: list[float] = [0.0] * len(xs)
        preds: list[Any] = [None] * len(xs)
        keys = [self._key(t) for t in targets]
        end = len(xs)
        while end > 0:  # runs of samples sharing a label, from the last sample back
            key = keys[end - 1]
            start = end - 1
            while start > 0 and keys[start - 1] == key:
                start -= 1
            if key is None:
                rows = [(*map(float, xs[i]), float(targets[i]))
                        for i in reversed(range(start, end))]
            else:
                rows = [tuple(map(float, xs[i])) for i in reversed(range(start, end))]
            term = self.terms.get(key)
            if term is None:
                term = self.terms[key] = self._trace(rows[0], targets[end - 1])
            for i, out in zip(reversed(range(start, end)), term.accumulate(rows, seed),
                              strict=True):
                terms[i] = out[0]
                preds[i] = Value(out[1]) if len(out) == 2 else [Value(v) for v in out[1:]]
            end = start
        return terms, preds

    def _check_labels(self, targets: list[Any]) -> None:
        """A target the trace takes as an input is checked as the loss checks it, in the
        order the interpreter meets them (from the batch's last sample)."""
        if self.target_input:
            for t in dict.fromkeys(t for t in reversed(targets) if isinstance(t, numbers.Real)):
                self.loss_fn([0.0], [t])

    def _key(self, target: Any) -> Any:
        if self.target_input and (type(target) is float or isinstance(target, numbers.Real)):
            return None
        return tuple(target) if isinstance(target, list) else target

    def _row(self, x: Sequence[float], target: Any) -> tuple[float, ...]:
        row = tuple(float(v) for v in x)
        return (*row, float(target)) if self._key(target) is None else row

    def _trace(self, row: tuple[float, ...], target: Any) -> Compiled:
        n = len(row) - (self._key(target) is None)

        def term(*inputs: Value) -> tuple[Value, ...]:
            pred = self.model(list(inputs[:n]))
            t = inputs[n] if len(inputs) > n else target
            value = self.loss_fn([pred], [t])
            return (value, pred) if isinstance(pred, Value) else (value, *pred)

        return compile_fn(term, row, argnums=(), params=self.params)


def _numbers(x: Any) -> bool:
    return set(map(type, x)) <= {float, int} or all(
        isinstance(v, numbers.Real) and not isinstance(v, Value) for v in x)


def _check_types(model: object, X: object, y: object, named: bool, optimizer: object,
                 schedule: object, accuracy: object) -> None:
    """TypeError, before anything is trained, for an argument of ``fit`` of the wrong type;
    every sample and label is looked at here, so a bad one cannot stop a run half-way."""
    if not callable(model):
        raise TypeError(f"fit's model must be an nn.Module or a callable, got "
                        f"{type(model).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"fit's optimizer must be an nn optimizer (nn.SGD, nn.Adam, ...), got "
                        f"{type(optimizer).__name__} {optimizer!r:.40}")
    for what, fn in (("schedule", schedule), ("accuracy", accuracy)):
        if fn is not None and not callable(fn):
            raise TypeError(f"fit's {what} must be a callable or None, got {type(fn).__name__} "
                            f"{fn!r:.40}")
    xs = checks.sequence(X, "fit's X", "samples (each a list of numbers, or a number)")
    for i, x in enumerate(xs):
        if not isinstance(x, checks.SCALARS) and not _numbers_or_lists(x):
            raise TypeError(f"fit's X[{i}] must be a number or a list of numbers (or of lists "
                            f"of them), got {type(x).__name__} {x!r:.60}")
    labels = checks.sequence(y, "fit's y", "labels (numbers)")
    if named:  # a callable loss decides what its labels are
        bad = [t for t in labels if not isinstance(t, checks.SCALARS)
               and (isinstance(t, (str, bytes)) or not isinstance(t, numbers.Real))]
        if bad:
            raise TypeError(f"fit's y must hold numbers (int or float) for a named loss, got "
                            f"{type(bad[0]).__name__} {bad[0]!r:.40}")




def _numbers_or_lists(x: object) -> bool:
    """x is a list of numbers and lists (an RNN's steps): not a str, nor holding one."""
    return checks.listlike(x) and all(
        isinstance(v, checks.SCALARS) or isinstance(v, numbers.Real) or checks.listlike(v)
        for v in x)  # type: ignore[attr-defined]


def _loss(loss: str | LossFn) -> tuple[LossFn, Correct | None]:
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)} "
                             "or pass a callable (preds, targets) -> Value")
        return LOSSES[loss]
    if not callable(loss):
        raise TypeError(f"loss must be a name or a callable, got {type(loss).__name__}")
    return loss, None
