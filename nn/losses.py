"""Losses (means over the samples given), penalties and softmax, on ``Value``s.

Predictions are Values (or numbers); targets are numbers (or Values). A single prediction
and target may be passed bare instead of as one-element lists.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterable, Sequence

from autograd_tiny import Value

from . import checks

Scalar = Value | float
Preds = Sequence[Scalar] | Scalar

# PyTorch clamps log(p) at -100 in binary cross-entropy so that p = 0 or 1 gives a finite loss.
_LOG_FLOOR = -100.0
_P_FLOOR = math.exp(_LOG_FLOOR)


def _pairs(preds: Preds, targets: Preds, what: str) -> tuple[list[Scalar], list[Scalar]]:
    names = _ARGS[what]
    ps, ts = _samples(preds, what, names[0]), _samples(targets, what, names[1])
    if len(ps) != len(ts):
        raise ValueError(f"{what}: got {len(ps)} predictions but {len(ts)} targets")
    if not ps:
        raise ValueError(f"{what}: got no samples (empty predictions and targets)")
    return ps, ts


# The argument names of each loss of (predictions, targets), for the messages.
_ARGS = {"mse_loss": ("preds", "targets"), "hinge_loss": ("scores", "labels"),
         "binary_cross_entropy": ("probs", "targets"),
         "binary_cross_entropy_with_logits": ("logits", "targets")}


def _samples(xs: Preds, what: str, name: str) -> list[Scalar]:
    """``xs`` as a list of Values and numbers (a bare one as a list of one), each checked
    by one isinstance: fit calls a loss per sample."""
    if isinstance(xs, checks.SCALARS):
        return [xs]
    if isinstance(xs, list):
        out = xs
    elif isinstance(xs, (str, bytes)) or not isinstance(xs, Iterable):
        if isinstance(xs, numbers.Real):
            return [xs]
        raise TypeError(f"{what}'s {name} must be a Value, a number or a list of them, got "
                        f"{type(xs).__name__} {xs!r:.40}")
    else:
        out = list(xs)
    for x in out:
        if not isinstance(x, checks.SCALARS) and (isinstance(x, (str, bytes))
                                            or not isinstance(x, numbers.Real)):
            raise TypeError(f"{what}'s {name} must be Values or numbers (int or float), got "
                            f"{type(x).__name__} {x!r:.40}")
    return out


def _value(x: Scalar) -> Value:
    return x if isinstance(x, Value) else Value(x)


def mse_loss(preds: Preds, targets: Preds) -> Value:
    """mean((pred - target)**2)"""
    ps, ts = _pairs(preds, targets, "mse_loss")
    diffs = [_value(p) + (-t) for p, t in zip(ps, ts, strict=True)]
    return Value.sum([d * d for d in diffs]) * (1.0 / len(ps))


def hinge_loss(scores: Preds, labels: Preds) -> Value:
    """mean(relu(1 - label * score)), labels -1 or +1 (micrograd's SVM "max-margin" loss)."""
    ps, ts = _pairs(scores, labels, "hinge_loss")
    bad = [float(t) for t in ts if not isinstance(t, Value) and float(t) not in (-1.0, 1.0)]
    if bad:
        raise ValueError(f"hinge_loss needs labels -1 or +1, got {bad[:5]!r}; for 0/1 labels "
                         "use nn.datasets.signed_labels(y) (= 2*y - 1)")
    margins = [(_value(p) * -t + 1.0).relu() for p, t in zip(ps, ts, strict=True)]
    return Value.sum(margins) * (1.0 / len(ps))


def binary_cross_entropy(probs: Preds, targets: Preds) -> Value:
    """mean(-(t log p + (1 - t) log(1 - p))), p in [0, 1]; log is clamped at -100 as in PyTorch."""
    ps, ts = _pairs(probs, targets, "binary_cross_entropy")
    _check_unit(ts, "binary_cross_entropy")
    terms: list[Value] = []
    for p, t in zip(ps, ts, strict=True):
        p = _value(p)
        if not (0.0 <= p <= 1.0):  # comparisons, not .data: autograd_tiny.compile guards them
            raise ValueError(f"binary_cross_entropy needs probabilities in [0, 1], got {p!r}"
                             " (for raw scores use binary_cross_entropy_with_logits)")
        if t != 0:
            terms.append(_log(p) * t)
        if t != 1:
            terms.append(_log(1.0 - p) * (1.0 - t))
    return Value.sum(terms) * (-1.0 / len(ps))


def _log(p: Value) -> Value:
    """log(p), or the constant -100 (no gradient) where log(p) < -100."""
    return p.log() if p > _P_FLOOR else Value(_LOG_FLOOR)


def binary_cross_entropy_with_logits(logits: Preds, targets: Preds) -> Value:
    """mean(softplus(x) - t x) = BCE(sigmoid(x), t), stable for any x."""
    xs, ts = _pairs(logits, targets, "binary_cross_entropy_with_logits")
    _check_unit(ts, "binary_cross_entropy_with_logits")
    xs_v = [_value(x) for x in xs]
    total = Value.sum([x.softplus() for x in xs_v]) - Value.dot(ts, xs_v)
    return total * (1.0 / len(xs))


def _check_unit(ts: list[Scalar], what: str) -> None:
    bad = [float(t) for t in ts if not isinstance(t, Value) and not 0.0 <= float(t) <= 1.0]
    if bad:
        raise ValueError(f"{what} needs targets in [0, 1], got {bad[:5]!r}")


def _index(t: object, n: int) -> int:
    if isinstance(t, float):
        if not t.is_integer():
            raise ValueError(f"cross_entropy target_index must be a whole class index, got {t!r}")
        i = int(t)
    elif isinstance(t, bool) or not hasattr(t, "__index__"):
        raise TypeError(f"cross_entropy's target_index must be an int class index (or a list "
                        f"of them for a batch), got {type(t).__name__} {t!r:.40}")
    else:
        i = operator.index(t)  # type: ignore[arg-type]
    if not 0 <= i < n:
        raise ValueError(f"cross_entropy target_index {i} is out of range for {n} classes "
                         f"(valid: 0 .. {n - 1})")
    return i


def max_value(values: Sequence[Scalar]) -> Value:
    """max(x) as a node of the graph without comparing Values: m = x_0, then m = m + relu(x - m)
    for each next x (relu'(0) = 0: on a tie the earlier one keeps the gradient).

    ``max(values)`` would compare Values, so a compiled trace would guard which one is largest
    and trace again whenever another is; relu decides inside its op, so one trace serves every
    input. (m + (x - m) may round to a neighbour of x: it only needs to be close to the max.)"""
    xs = [_value(x) for x in values]
    if not xs:
        raise ValueError("max_value of an empty list of values")
    m = xs[0]
    for x in xs[1:]:
        m = m + (x - m).relu()
    return m


def logsumexp(values: Sequence[Scalar]) -> Value:
    """log(sum_j e**x_j), computed as m + log(sum_j e**(x_j - m)), m = max x: never overflows.

    The result does not depend on m, so the gradient through m adds up to 0 (up to rounding)."""
    xs = [_value(x) for x in values]
    if not xs:
        raise ValueError("logsumexp of an empty list of values")
    m = max_value(xs)
    neg = -m  # once: x - m is x + (-m)
    return Value.sum([(x + neg).exp() for x in xs]).log() + m


def log_softmax(logits: Sequence[Scalar]) -> list[Value]:
    """x_i - log(sum_j e**x_j), computed as x_i - m - log(sum_j e**(x_j - m)), m = max x.

    m is ``max_value(logits)``, a node built without comparisons, so a compiled trace holds
    whichever logit is largest."""
    xs = [_value(x) for x in logits]
    if not xs:
        raise ValueError("log_softmax of an empty list of logits")
    lse = logsumexp(xs)
    return [x - lse for x in xs]


def softmax(values: Sequence[Scalar]) -> list[Value]:
    """e**x_i / sum_j e**x_j, computed with m = max x subtracted first, so it never overflows."""
    xs = [_value(x) for x in values]
    if not xs:
        raise ValueError("softmax of an empty list of values")
    neg = -max_value(xs)  # once: x - m is x + (-m)
    es = [(x + neg).exp() for x in xs]
    total = Value.sum(es)
    return [e / total for e in es]


def cross_entropy(logits: Sequence[Scalar] | Sequence[Sequence[Scalar]],
                  target_index: int | float | Sequence[int | float]) -> Value:
    """mean(-log softmax(logits)[target]) = mean(logsumexp(logits) - logits[target]).

    One sample: a list of logits and an int. A batch: a list of logit lists and a list of ints.
    """
    if isinstance(logits, (str, bytes)) or not isinstance(logits, Sequence):
        raise TypeError("cross_entropy's logits must be a list of Values or numbers (or a list "
                        f"of such lists for a batch), got {type(logits).__name__} "
                        f"{logits!r:.40}")
    if logits and not isinstance(logits[0], (Value, numbers.Real)):
        if isinstance(target_index, (Value, numbers.Real)):
            raise ValueError("cross_entropy: a batch of logit lists needs a list of target "
                             f"indices, got {target_index!r}")
        rows = [list(row) for row in logits]  # type: ignore[arg-type]
        targets = list(checks.sequence(target_index, "cross_entropy's target_index",
                                       "int class indices"))
    else:
        if logits and checks.listlike(target_index):  # shapes disagree; a str: wrong type
            raise ValueError("cross_entropy: one list of logits takes one target index, got "
                             f"{target_index!r:.40}; a batch is a list of logit lists")
        rows = [list(logits)]  # type: ignore[arg-type]
        targets = [target_index]  # type: ignore[list-item]
    if len(rows) != len(targets):
        raise ValueError(f"cross_entropy: got {len(rows)} logit lists but {len(targets)} "
                         "target indices")
    if not rows or not rows[0]:
        raise ValueError("cross_entropy: got no samples or no logits")
    terms = []
    for row, t in zip(rows, targets, strict=True):
        i = _index(t, len(row))
        xs = [_value(x) for x in row]
        terms.append(logsumexp(xs) - xs[i])
    return Value.sum(terms) * (1.0 / len(rows))


def l1_penalty(params: Sequence[Value]) -> Value:
    """sum |p| (abs'(0) = 0)"""
    return Value.sum([abs(p) for p in _params(params, "l1_penalty")])


def l2_penalty(params: Sequence[Value]) -> Value:
    """sum p**2, as ONE dot node: dot(params, params), whose gradient is 2 p."""
    params = _params(params, "l2_penalty")
    return Value.dot(params, params)


def _params(params: Sequence[Value], what: str) -> list[Value]:
    """``params`` as a list, each checked to be a Value (once per batch in fit)."""
    if isinstance(params, (str, bytes, Value)) or not isinstance(params, Iterable):
        raise TypeError(f"{what} takes a list of Values (model.parameters()), got "
                        f"{type(params).__name__} {params!r:.40}")
    ps = list(params)
    for p in ps:
        if not isinstance(p, Value):
            raise TypeError(f"{what} takes a list of Values (model.parameters()), got "
                            f"{type(p).__name__} {p!r:.40} in it")
    return ps
