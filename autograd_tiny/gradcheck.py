"""Gradient checking: analytic derivatives from ``backward`` against central differences.

``gradcheck(f, inputs)`` calls ``f`` with fresh ``Value``s, so the grads of the user's own
Values are left alone, and compares every first derivative (and with ``order=2`` every second
derivative) with a central difference taken in float64. The step for input x is
``eps * max(1, |x|)``, as numerical-differentiation libraries scale it: a fixed step vanishes
against a large x (1e11 + 1e-6 == 1e11 in float64).

Three parts: ``_Evaluator`` calls ``f`` and backward (the only part that runs user code),
``judge`` and ``judge_second`` decide an entry from its numbers alone (pure functions), and
``report`` writes the table.

At a kink (relu or abs at 0, ...) the central difference averages two different slopes. An entry
that fails there is accepted when the one-sided differences disagree (a kink, found numerically,
not from a list of ops) and the analytic derivative lies between them. A second derivative is
also accepted where the first derivative jumps (as much over step / 8 as over the step): there
it does not exist, and any convention is valid.
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .functional import function, gradients
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
    numeric = (f(x + h) - f(x - h)) / (2 h) and h = eps * max(1, |x|). ``order=2`` also checks
    every second derivative d2f/dx_i dx_j (``backward(create_graph=True)``) against central
    differences of the first derivatives.
    """
    function(f, "gradcheck")
    xs = _check_inputs(inputs)
    eps = _positive(eps, "eps")
    atol = _non_negative(atol, "atol")
    rtol = _non_negative(rtol, "rtol")
    if type(order) is not int:
        raise TypeError(f"gradcheck order must be an int (1 or 2), got {type(order).__name__} "
                        f"{order!r:.40}")
    if order not in (1, 2):
        raise ValueError(f"gradcheck order must be 1 or 2, got {order!r}")
    labels = _labels(f, len(xs))
    for x, name in zip(xs, labels, strict=True):
        h = step(x, eps / 8 if order == 2 else eps)
        if x + h == x or x - h == x:
            raise ValueError(f"gradcheck eps = {eps!r} is too small for {name} = {x!r}: the "
                             f"step {h!r} vanishes in float64 (x + step == x)")
    run = _Evaluator(f, xs, labels, eps)
    tol = atol, rtol

    grads = run.gradient(xs)
    diffs = run.central()
    entries = [judge(_Entry(f"d/d{name}", a, *d), *tol)
               for name, a, d in zip(labels, grads, diffs, strict=True)]
    if order == 2:
        graph_grads, hess = run.analytic_hessian()
        # create_graph=True runs the rules on Values: its first derivatives must agree too.
        for name, a, g, d in zip(labels, graph_grads, grads, diffs, strict=True):
            e = judge(_Entry(f"d/d{name} (create_graph=True)", a, *d), *tol)
            if not e.ok and not close(a, g, *tol):
                entries.append(e)
        entries += _second_order(run, grads, hess, tol)
    if all(e.ok for e in entries):
        return True
    raise GradcheckError(report(entries, order, run.where(xs), eps, atol, rtol))


def step(x: float, eps: float) -> float:
    """The finite-difference step at x: eps * max(1, |x|)."""
    return eps * max(1.0, abs(x))


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


def close(a: float, b: float, atol: float, rtol: float) -> bool:
    """|a - b| <= atol + rtol * |b|"""
    return abs(a - b) <= atol + rtol * abs(b)


def judge(e: _Entry, atol: float, rtol: float) -> _Entry:
    """Mark ``e`` ok if analytic is close to the central difference, or if the one-sided
    differences disagree (a kink) and analytic lies between them."""
    if close(e.analytic, e.numeric, atol, rtol):
        e.ok = True
        return e
    # A kink: the slope jumps, so the one-sided differences disagree by more than the
    # tolerance (on a smooth function they differ only by about f'' * step). Any value
    # between them is a valid one-sided convention (relu'(0) = 0, abs'(0) = 0).
    low, high = sorted((e.left, e.right))
    tol = atol + rtol * max(abs(low), abs(high))
    if high - low > tol and low - tol <= e.analytic <= high + tol:
        e.ok, e.kink = True, "between the one-sided differences"
    return e


def judge_second(e: _Entry, coarse_jump: float, fine_up: float, fine_down: float,
                 fine_step: float, what: str, atol: float, rtol: float) -> _Entry:
    """A second derivative d/dx_j (d/dx_i): ``judge``, then, if that fails, a look closer in.

    ``coarse_jump`` is the change of d/dx_i over the step, ``fine_up`` and ``fine_down`` the
    values of d/dx_i an eighth of the step either side of x_j (``fine_step`` apart). If the
    finer difference agrees, the kink lay just beyond it; if d/dx_i jumps by as much over the
    finer step as over the whole one, it jumps at x: the second derivative does not exist
    there and any convention is valid.
    """
    if judge(e, atol, rtol).ok:
        return e
    fine_jump = fine_up - fine_down
    if close(e.analytic, fine_jump / fine_step, atol, rtol):
        e.ok = True
    elif (abs(fine_jump) > atol + rtol * max(abs(fine_up), abs(fine_down))
          and abs(fine_jump) > 0.5 * abs(coarse_jump)):
        e.ok, e.kink = True, f"{what} jumps here"
    return e


def _second_order(run: _Evaluator, grads: list[float], hess: list[list[float]],
                  tol: tuple[float, float]) -> list[_Entry]:
    n = len(run.xs)
    columns = [run.gradients_around(j, run.eps) for j in range(n)]
    finer: dict[int, tuple[list[float], list[float], float, float]] = {}
    entries = []
    for i in range(n):
        for j, (g_up, g_down, h_up, h_down) in enumerate(columns):
            e = _Entry(f"d2/d{run.labels[i]} d{run.labels[j]}", hess[i][j],
                       (g_up[i] - g_down[i]) / (h_up + h_down),
                       (grads[i] - g_down[i]) / h_down, (g_up[i] - grads[i]) / h_up)
            if not judge(e, *tol).ok:
                if j not in finer:
                    finer[j] = run.gradients_around(j, run.eps / 8)
                f_up, f_down, f_h_up, f_h_down = finer[j]
                judge_second(e, g_up[i] - g_down[i], f_up[i], f_down[i], f_h_up + f_h_down,
                             f"d/d{run.labels[i]}", *tol)
            entries.append(e)
    return entries


class _Evaluator:
    """Calls ``f`` and backward at ``xs`` and at points around it, with errors that say where."""

    def __init__(self, f: Callable[..., Value], xs: list[float], labels: list[str],
                 eps: float) -> None:
        self.f, self.xs, self.labels, self.eps = f, xs, labels, eps

    def where(self, point: Sequence[float], note: str = "") -> str:
        shown = [f"{name} = {x!r}" for name, x in zip(self.labels, point, strict=True)]
        if len(shown) > 10:
            shown = shown[:10] + [f"... ({len(shown) - 10} more)"]
        return ", ".join(shown) + (f" ({note})" if note else "")

    def call(self, point: Sequence[float], note: str = "") -> tuple[list[Value], Value]:
        """Fresh leaves at ``point`` and f's output on them."""
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
        """The points x + h e_i and x - h e_i (h = eps * max(1, |x_i|)), and the steps
        actually taken in float64."""
        x = self.xs[i]
        h = step(x, eps)
        up, down = list(self.xs), list(self.xs)
        up[i], down[i] = x + h, x - h
        return up, down, up[i] - x, x - down[i]

    def central(self) -> list[tuple[float, float, float]]:
        """For each input: the central, left and right differences of f."""
        f0 = self.value(self.xs, "")
        diffs = []
        for i in range(len(self.xs)):
            up, down, h_up, h_down = self.steps(i, self.eps)
            f_up = self.value(up, f"{self.labels[i]} + step, for the central difference")
            f_down = self.value(down, f"{self.labels[i]} - step, for the central difference")
            diffs.append(((f_up - f_down) / (h_up + h_down), (f0 - f_down) / h_down,
                          (f_up - f0) / h_up))
        return diffs

    def gradients_around(self, j: int, eps: float) -> tuple[list[float], list[float],
                                                             float, float]:
        """The gradient at x + h e_j and at x - h e_j, and the steps actually taken."""
        up, down, h_up, h_down = self.steps(j, eps)
        name = self.labels[j]
        return (self.gradient(up, f"{name} + {h_up!r}, for the second derivatives"),
                self.gradient(down, f"{name} - {h_down!r}, for the second derivatives"),
                h_up, h_down)


def report(entries: list[_Entry], order: int, where: str, eps: float, atol: float,
           rtol: float) -> str:
    """The GradcheckError message: a summary, the table (failing entries first when long)
    and the worst entry with its one-sided differences."""
    failed = sorted((e for e in entries if not e.ok), key=_badness, reverse=True)
    kind = "first" if order == 1 else "first and second"
    lines = [
        f"gradcheck failed: {len(failed)} of {len(entries)} {kind} derivatives differ from "
        f"central differences (eps={eps!r}, step eps * max(1, |x|), atol={atol!r}, "
        f"rtol={rtol!r}; an entry fails when |analytic - numeric| > atol + rtol * |numeric|)",
        f"at {where}",
        "",
    ]
    shown = entries if len(entries) <= MAX_ROWS else failed[:MAX_ROWS]
    worst = failed[0]
    header = ["derivative", "analytic", "numeric", "abs err", "rel err", ""]
    num = _seven_digits
    rows = [header] + [[e.name, num(e.analytic), num(e.numeric), num(e.abs_err), num(e.rel_err),
                        _status(e, worst)] for e in shown]
    widths = [max(len(r[k]) for r in rows) for k in range(len(header))]
    for r in rows:
        cells = [r[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(r[1:5], widths[1:5], strict=True)]
        lines.append("  " + "  ".join(cells + [r[5]]).rstrip())
    if len(shown) < len(entries):
        lines.append(f"  ({len(entries) - len(shown)} more entries not shown, "
                     f"{len(entries) - len(failed)} of them passing)")
    lines += ["", f"worst: {worst.name} at {where}: analytic {num(worst.analytic)} vs numeric "
                  f"{num(worst.numeric)} (one-sided: {num(worst.left)} from the left, "
                  f"{num(worst.right)} from the right)"]
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


def _seven_digits(x: float) -> str:
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


def _real(x: Any, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"gradcheck {name} must be a real number, got {type(x).__name__}")
    return float(x)


def _positive(x: Any, name: str) -> float:
    x = _real(x, name)
    if not math.isfinite(x) or x <= 0.0:
        raise ValueError(f"gradcheck {name} must be a finite positive number, got {x}")
    return x


def _non_negative(x: Any, name: str) -> float:
    x = _real(x, name)
    if not math.isfinite(x) or x < 0.0:
        raise ValueError(f"gradcheck {name} must be a finite non-negative number, got {x}")
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
