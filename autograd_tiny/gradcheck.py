"""Gradient checking: analytic derivatives from ``backward`` against central differences.

``gradcheck(f, inputs)`` calls ``f`` with fresh ``Value``s, so the grads of the user's own
Values are left alone, and compares every first derivative (and with ``order=2`` every second
derivative) with a central difference taken in float64.

At a kink (relu or abs at 0, ...) the central difference averages two different slopes. An entry
that fails there is accepted when the one-sided differences disagree (a kink, found numerically,
not from a list of ops) and the analytic derivative lies between them. A second derivative is
also accepted where the first derivative jumps (as much over eps / 8 as over eps): there it
does not exist, and any convention is valid.
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .functional import gradients
from .modes import enable_grad
from .value import Value

__all__ = ["GradcheckError", "gradcheck"]

MAX_ROWS = 20  # a longer table shows its failing entries only, worst first


class GradcheckError(AssertionError):
    """A derivative computed by backward disagrees with its central difference.

    An AssertionError (not PyTorch's RuntimeError): gradcheck is an assertion about the user's
    code, like ``numpy.testing.assert_allclose``, so pytest and hypothesis report it as a failed
    check, while a broken ``f`` (it raises, returns the wrong type) gets the ordinary errors.
    """


def gradcheck(f: Callable[..., Value], inputs: Iterable[float] | float, *, eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, order: int = 1) -> bool:
    """True if ``f``'s derivatives at ``inputs`` match central differences, else GradcheckError.

    An entry passes when |analytic - numeric| <= atol + rtol * |numeric|, with
    numeric = (f(x + eps) - f(x - eps)) / (2 eps). ``order=2`` also checks every second
    derivative d2f/dx_i dx_j (``backward(create_graph=True)``) against central differences of
    the first derivatives.
    """
    xs = _check_inputs(inputs)
    eps = _check_positive(eps, "eps", allow_zero=False)
    atol = _check_positive(atol, "atol")
    rtol = _check_positive(rtol, "rtol")
    if order not in (1, 2) or isinstance(order, bool):
        raise ValueError(f"gradcheck order must be 1 or 2, got {order!r}")
    check = _Check(f, xs, _labels(f, len(xs)), eps, atol, rtol)

    grads = check.gradient(xs)
    diffs = check.central()
    entries = check.first_order(grads, diffs)
    if order == 2:
        graph_grads, hess = check.analytic_hessian()
        # create_graph=True runs the rules on Values: its first derivatives must agree too.
        again = check.first_order(graph_grads, diffs, " (create_graph=True)")
        entries += [e for e, g in zip(again, grads, strict=True)
                    if not e.ok and not check.close(e.analytic, g)]
        entries += check.second_order(grads, hess)
    if all(e.ok for e in entries):
        return True
    raise GradcheckError(check.report(entries, order))


@dataclass
class _Entry:
    """One derivative: analytic, its central difference and the one-sided differences."""

    name: str
    analytic: float
    numeric: float
    left: float
    right: float
    ok: bool = False
    kink: str = ""  # why the entry passed at a kink

    @property
    def abs_err(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def rel_err(self) -> float:
        if self.numeric != 0.0:
            return self.abs_err / abs(self.numeric)
        return 0.0 if self.abs_err == 0.0 else math.inf


class _Check:
    def __init__(self, f: Callable[..., Value], xs: list[float], labels: list[str],
                 eps: float, atol: float, rtol: float) -> None:
        self.f, self.xs, self.labels = f, xs, labels
        self.eps, self.atol, self.rtol = eps, atol, rtol

    def where(self, point: Sequence[float], note: str = "") -> str:
        shown = [f"{name} = {x!r}" for name, x in zip(self.labels, point, strict=True)]
        if len(shown) > 10:
            shown = shown[:10] + [f"... ({len(shown) - 10} more)"]
        return ", ".join(shown) + (f" ({note})" if note else "")

    def call(self, point: Sequence[float], note: str = "") -> tuple[list[Value], Value]:
        """Fresh leaves at ``point`` and f's output on them, with errors that say where."""
        leaves = [Value(x, name) for x, name in zip(point, self.labels, strict=True)]
        try:
            with enable_grad():
                out = self.f(*leaves)
        except Exception as e:
            raise _reraise(e, f"f raised {type(e).__name__} at {self.where(point, note)}: "
                              f"{e}") from e
        if not isinstance(out, Value):
            if isinstance(out, (list, tuple, dict, set)) or inspect.isgenerator(out):
                raise TypeError(f"f must return one scalar Value, but it returned a "
                                f"{type(out).__name__}; gradcheck each output on its own or "
                                f"combine them, e.g. with Value.sum(outputs)")
            raise TypeError(f"f must return a Value (built from the Values it is given), but "
                            f"it returned {type(out).__name__}: {out!r:.60}")
        if not math.isfinite(out.data):
            raise ValueError(f"f returned {out.data} at {self.where(point, note)}; gradcheck "
                             "needs a finite output around the inputs")
        return leaves, out

    def value(self, point: Sequence[float], note: str) -> float:
        return self.call(point, note)[1].data

    def gradient(self, point: Sequence[float], note: str = "") -> list[float]:
        """df/dx_i at ``point`` by one plain backward pass."""
        leaves, out = self.call(point, note)
        return [float(g) for g in self.derivatives(out, leaves, point, note)]

    def analytic_hessian(self) -> tuple[list[float], list[list[float]]]:
        """First derivatives with create_graph=True, and each one differentiated again."""
        leaves, out = self.call(self.xs)
        graph_grads = self.derivatives(out, leaves, self.xs, "", create_graph=True)
        hess = [[float(h) for h in self.derivatives(
                    g, leaves, self.xs, f"differentiating d/d{self.labels[i]} again")]
                for i, g in enumerate(graph_grads)]
        return [float(g) for g in graph_grads], hess

    def derivatives(self, out: Value, leaves: list[Value], point: Sequence[float], note: str,
                    create_graph: bool = False) -> list[Any]:
        """d out / d leaf for each leaf; every grad in the graph is left as it was, so Values
        that f closes over keep theirs."""
        try:
            return gradients(out, leaves, create_graph)
        except Exception as e:
            what = "backward" if not note else f"backward ({note})"
            raise _reraise(e, f"{what} raised {type(e).__name__} at {self.where(point)}: "
                              f"{e}") from e

    def steps(self, i: int, eps: float) -> tuple[list[float], list[float], float, float]:
        """The points x + eps e_i and x - eps e_i, and the steps actually taken in float64."""
        x = self.xs[i]
        up, down = list(self.xs), list(self.xs)
        up[i], down[i] = x + eps, x - eps
        return up, down, up[i] - x, x - down[i]

    def central(self) -> list[tuple[float, float, float]]:
        """For each input: the central, left and right differences of f."""
        f0 = self.value(self.xs, "")
        diffs = []
        for i in range(len(self.xs)):
            up, down, h_up, h_down = self.steps(i, self.eps)
            f_up = self.value(up, f"{self.labels[i]} + eps, for the central difference")
            f_down = self.value(down, f"{self.labels[i]} - eps, for the central difference")
            diffs.append(((f_up - f_down) / (h_up + h_down), (f0 - f_down) / h_down,
                          (f_up - f0) / h_up))
        return diffs

    def first_order(self, grads: list[float], diffs: list[tuple[float, float, float]],
                    suffix: str = "") -> list[_Entry]:
        return [self.judge(_Entry(f"d/d{name}{suffix}", a, *d))
                for name, a, d in zip(self.labels, grads, diffs, strict=True)]

    def second_order(self, grads: list[float], hess: list[list[float]]) -> list[_Entry]:
        n = len(self.xs)
        columns = [self.gradients_around(j, self.eps) for j in range(n)]
        closer: dict[int, tuple[list[float], list[float], float, float]] = {}
        entries = []
        for i in range(n):
            for j, (g_up, g_down, h_up, h_down) in enumerate(columns):
                e = self.judge(_Entry(f"d2/d{self.labels[i]} d{self.labels[j]}", hess[i][j],
                                      (g_up[i] - g_down[i]) / (h_up + h_down),
                                      (grads[i] - g_down[i]) / h_down,
                                      (g_up[i] - grads[i]) / h_up))
                if not e.ok:
                    if j not in closer:
                        closer[j] = self.gradients_around(j, self.eps / 8)
                    c_up, c_down, c_h_up, c_h_down = closer[j]
                    jump, step = c_up[i] - c_down[i], c_h_up + c_h_down
                    if self.close(e.analytic, jump / step):
                        # A kink just beyond eps / 8: closer in, f is smooth and agrees.
                        e.ok = True
                    elif (abs(jump) > self.atol + self.rtol * max(abs(c_up[i]), abs(c_down[i]))
                          and abs(jump) > 0.5 * abs(g_up[i] - g_down[i])):
                        # d/dx_i jumps by as much over eps / 8 as over eps: a kink, where the
                        # second derivative does not exist and any convention is valid.
                        e.ok, e.kink = True, f"d/d{self.labels[i]} jumps here"
                entries.append(e)
        return entries

    def gradients_around(self, j: int, eps: float) -> tuple[list[float], list[float],
                                                             float, float]:
        """The gradient at x + eps e_j and at x - eps e_j, and the steps actually taken."""
        up, down, h_up, h_down = self.steps(j, eps)
        name = self.labels[j]
        return (self.gradient(up, f"{name} + {eps!r}, for the second derivatives"),
                self.gradient(down, f"{name} - {eps!r}, for the second derivatives"),
                h_up, h_down)

    def close(self, a: float, b: float) -> bool:
        return abs(a - b) <= self.atol + self.rtol * abs(b)

    def judge(self, e: _Entry) -> _Entry:
        if self.close(e.analytic, e.numeric):
            e.ok = True
            return e
        # A kink: the slope jumps, so the one-sided differences disagree by more than the
        # tolerance (on a smooth function they differ only by about f'' * eps). Any value
        # between them is a valid one-sided convention (relu'(0) = 0, abs'(0) = 0).
        low, high = sorted((e.left, e.right))
        tol = self.atol + self.rtol * max(abs(low), abs(high))
        if high - low > tol and low - tol <= e.analytic <= high + tol:
            e.ok, e.kink = True, "between the one-sided differences"
        return e

    def report(self, entries: list[_Entry], order: int) -> str:
        failed = sorted((e for e in entries if not e.ok), key=_badness, reverse=True)
        kind = "first" if order == 1 else "first and second"
        lines = [
            f"gradcheck failed: {len(failed)} of {len(entries)} {kind} derivatives differ from "
            f"central differences (eps={self.eps!r}, atol={self.atol!r}, rtol={self.rtol!r}; "
            "an entry fails when |analytic - numeric| > atol + rtol * |numeric|)",
            f"at {self.where(self.xs)}",
            "",
        ]
        shown = entries if len(entries) <= MAX_ROWS else failed[:MAX_ROWS]
        worst = failed[0]
        header = ["derivative", "analytic", "numeric", "abs err", "rel err", ""]
        rows = [header] + [[e.name, _num(e.analytic), _num(e.numeric), _num(e.abs_err),
                            _num(e.rel_err), _status(e, worst)] for e in shown]
        widths = [max(len(r[k]) for r in rows) for k in range(len(header))]
        for r in rows:
            cells = [r[0].ljust(widths[0])]
            cells += [c.rjust(w) for c, w in zip(r[1:5], widths[1:5], strict=True)]
            lines.append("  " + "  ".join(cells + [r[5]]).rstrip())
        if len(shown) < len(entries):
            lines.append(f"  ({len(entries) - len(shown)} more entries not shown, "
                         f"{len(entries) - len(failed)} of them passing)")
        lines += ["", f"worst: {worst.name} at {self.where(self.xs)}: analytic "
                      f"{_num(worst.analytic)} vs numeric {_num(worst.numeric)} (one-sided: "
                      f"{_num(worst.left)} from the left, {_num(worst.right)} from the right)"]
        return "\n".join(lines)


def _badness(e: _Entry) -> float:
    err = e.abs_err
    return math.inf if math.isnan(err) else err / (1.0 + abs(e.numeric))


def _status(e: _Entry, worst: _Entry) -> str:
    if e is worst:
        return "FAIL <- worst"
    if not e.ok:
        return "FAIL"
    return f"ok (kink: {e.kink})" if e.kink else "ok"


def _num(x: float) -> str:
    """A float to 7 significant digits, written as Python writes floats (3.0, not 3)."""
    if not math.isfinite(x):
        return str(x)
    return repr(float(f"{x:.7g}"))


def _reraise(e: Exception, message: str) -> Exception:
    """``e``'s own type with a message saying where, or RuntimeError if that type won't take
    a message."""
    try:
        new = type(e)(message)
    except Exception:
        return RuntimeError(message)
    return new if str(new) == message else RuntimeError(message)


def _check_inputs(inputs: Any) -> list[float]:
    if isinstance(inputs, (str, bytes)):
        raise TypeError(f"gradcheck inputs must be real numbers, got a {type(inputs).__name__}")
    if isinstance(inputs, (numbers.Real, Value)):
        inputs = [inputs]
    try:
        items = list(inputs)
    except TypeError:
        raise TypeError("gradcheck inputs must be a sequence of real numbers, got "
                        f"{type(inputs).__name__}") from None
    if not items:
        raise ValueError("gradcheck needs at least one input")
    xs = []
    for i, x in enumerate(items):
        if isinstance(x, Value):
            raise TypeError(f"gradcheck inputs are floats, but inputs[{i}] is a Value; pass "
                            f"its .data ({x.data!r}): f is called with fresh Values")
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"gradcheck inputs must be real numbers, but inputs[{i}] is a "
                            f"{type(x).__name__}: {x!r:.60}")
        x = float(x)
        if not math.isfinite(x):
            raise ValueError(f"gradcheck inputs must be finite, but inputs[{i}] is {x}")
        xs.append(x)
    return xs


def _check_positive(x: Any, name: str, allow_zero: bool = True) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"gradcheck {name} must be a real number, got {type(x).__name__}")
    x = float(x)
    if not math.isfinite(x) or x < 0.0 or (x == 0.0 and not allow_zero):
        need = "non-negative" if allow_zero else "positive"
        raise ValueError(f"gradcheck {name} must be a finite {need} number, got {x}")
    return x


def _labels(f: Callable[..., Value], n: int) -> list[str]:
    """f's positional parameter names (``x``, ``y``), or ``x0, x1, ...`` where it has none."""
    names: list[str] = []
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        params = []  # type: ignore[assignment]
    for p in params:
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            break
        names.append(p.name)
    labels = names[:n] + [f"x{i}" for i in range(len(names), n)]
    return labels if len(set(labels)) == n else [f"x{i}" for i in range(n)]
