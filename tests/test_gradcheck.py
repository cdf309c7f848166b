"""gradcheck: passes correct gradients, catches wrong ones with a readable table, handles kinks
and refuses bad input clearly."""

from __future__ import annotations

import math
import re

import pytest

from autograd_tiny import Value, no_grad
from autograd_tiny.gradcheck import GradcheckError, _Entry, gradcheck, judge, judge_second, step


def rows(message: str, prefix: str) -> list[list[str]]:
    """The table rows of a GradcheckError message whose derivative starts with ``prefix``."""
    return [line.split() for line in message.splitlines() if line.strip().startswith(prefix)]


def test_passes_on_a_smooth_function_of_several_inputs() -> None:
    def f(x: Value, y: Value) -> Value:
        return (x * y).sin() + x ** y + (x / y).log()

    assert gradcheck(f, [1.3, 0.7]) is True
    assert gradcheck(f, (1.3, 0.7), order=2) is True


def test_catches_a_dropped_path_with_a_table_at_the_input() -> None:
    def f(x: Value) -> Value:
        return x * Value(x.data)  # the second factor is cut off from the graph

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [1.5])
    message = str(info.value)
    assert "x = 1.5" in message
    header = rows(message, "derivative")[0]
    assert header == ["derivative", "analytic", "numeric", "abs", "err", "rel", "err"]
    (row,) = rows(message, "d/dx")
    assert row[:5] == ["d/dx", "1.5", "3.0", "1.5", "0.5"]
    assert "FAIL" in row and "worst" in row
    assert "worst: d/dx at x = 1.5: analytic 1.5 vs numeric 3.0" in message


def test_a_failed_check_is_a_failed_assertion_to_test_runners() -> None:
    with pytest.raises(AssertionError, match="FAIL"):
        gradcheck(lambda x: x * Value(x.data), [1.5])


def test_the_worst_entry_is_named_among_several() -> None:
    def f(x: Value, y: Value, z: Value) -> Value:
        return x * y + z * Value(z.data) * 10.0

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [1.0, 2.0, 3.0])
    message = str(info.value)
    assert "1 of 3 first derivatives" in message
    assert [r[0] for r in rows(message, "d/d")] == ["d/dx", "d/dy", "d/dz"]
    assert rows(message, "d/dz")[0][-1] == "worst"
    assert rows(message, "d/dx")[0][-1] == "ok"
    assert "worst: d/dz at x = 1.0, y = 2.0, z = 3.0" in message


def test_a_long_table_shows_the_failing_entries_first() -> None:
    def f(*xs: Value) -> Value:
        return Value.sum([x * Value(x.data) if i % 3 == 0 else x * x for i, x in enumerate(xs)])

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [float(i + 1) for i in range(30)])
    message = str(info.value)
    assert "10 of 30 first derivatives" in message
    shown = rows(message, "d/dx")
    assert len(shown) == 10 and all("FAIL" in r for r in shown)
    assert "(20 more entries not shown, 20 of them passing)" in message
    assert shown[0][0] == "d/dx27"  # the largest input has the largest error


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("f", [
    lambda x: x.relu(),
    lambda x: abs(x),
    lambda x: x.abs(),
    lambda x: x.leaky_relu(0.1),
    lambda x: x.relu() * 3.0 + abs(x) * x.exp(),
], ids=["relu", "abs()", "Value.abs", "leaky_relu", "mixed"])
def test_passes_exactly_at_a_kink(f, order: int) -> None:  # type: ignore[no-untyped-def]
    assert gradcheck(f, [0.0], order=order)


def test_passes_within_eps_of_a_kink() -> None:
    assert gradcheck(lambda x: x.relu(), [3e-7], order=2)
    assert gradcheck(lambda x: abs(x), [-5e-7], order=2)
    assert gradcheck(lambda x, y: (x - y).relu() * y, [1.0, 1.0], order=2)


def test_a_kink_does_not_hide_a_wrong_gradient() -> None:
    # relu's one-sided slopes at 0 are 0 and 1; the detached x adds 1 that backward misses, so
    # the true one-sided derivatives are 1 and 2 while backward says 0.
    with pytest.raises(GradcheckError, match="one-sided: 1.0 from the left, 2.0 from the right"):
        gradcheck(lambda x: x.relu() + Value(x.data), [0.0])


def test_order_2_catches_a_wrong_second_derivative_when_the_first_is_right() -> None:
    def half_square(x: Value) -> Value:
        # Equal to x**2 / 2 with the right first derivative x, but that derivative is built
        # from a detached copy of x, so differentiating it again gives 0 instead of 1.
        c = Value(x.data)
        return x * c - 0.5 * c * c

    assert gradcheck(half_square, [1.5])
    with pytest.raises(GradcheckError) as info:
        gradcheck(half_square, [1.5], order=2)
    (row,) = rows(str(info.value), "d2/dx")
    assert row[:4] == ["d2/dx", "dx", "0.0", "1.0"]


def test_order_2_checks_mixed_partials() -> None:
    def f(x: Value, y: Value) -> Value:
        return x * Value(y.data) + y  # d2f/dxdy should be 1, but y is cut off in x * y

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [0.5, 2.0], order=2)
    message = str(info.value)
    assert rows(message, "d/dy")[0][1:3] == ["1.0", "1.5"]
    assert rows(message, "d2/dx dy")[0][2:4] == ["0.0", "1.0"]


def test_leaves_the_grads_of_values_f_closes_over_alone() -> None:
    w = Value(2.0, "w")
    h = w * 3.0
    w.grad, h.grad = 0.25, -1.0

    def f(x: Value) -> Value:
        return (x * w + h).tanh() * w

    assert gradcheck(f, [0.3], order=2)
    assert w.grad == 0.25 and h.grad == -1.0


def test_records_the_graph_even_inside_no_grad() -> None:
    with no_grad():
        assert gradcheck(lambda x: x.exp() * x, [0.5], order=2)


def test_inputs_are_named_after_f_s_parameters_or_numbered() -> None:
    def f(a: Value, b: Value) -> Value:
        return a * Value(b.data)

    with pytest.raises(GradcheckError, match=r"at a = 1\.0, b = 2\.0") as info:
        gradcheck(f, [1.0, 2.0])
    assert [r[0] for r in rows(str(info.value), "d/d")] == ["d/da", "d/db"]

    with pytest.raises(GradcheckError, match=r"at x0 = 1\.0, x1 = 2\.0"):
        gradcheck(lambda *xs: xs[0] * Value(xs[1].data), [1.0, 2.0])


def test_accepts_a_single_number_and_numeric_types() -> None:
    assert gradcheck(lambda x: x.sin(), 0.5)
    assert gradcheck(lambda x, y: x * y, [2, 3])
    numpy = pytest.importorskip("numpy")
    assert gradcheck(lambda x: x.sin(), numpy.array([0.5, 0.25])[:1])


def test_f_raising_says_where_and_chains_the_cause() -> None:
    with pytest.raises(ValueError, match=r"f raised ValueError at x = -1\.0: log") as info:
        gradcheck(lambda x: x.log(), [-1.0])
    assert isinstance(info.value.__cause__, ValueError)


def test_f_raising_at_a_difference_point_names_the_step() -> None:
    with pytest.raises(ValueError, match=r"at x = -9e-07 \(x - step, for the central difference\)"):
        gradcheck(lambda x: x.log(), [1e-7])


def test_f_raising_an_exception_that_takes_no_message_becomes_runtime_error() -> None:
    class Picky(Exception):
        def __init__(self) -> None:
            super().__init__("picky")

    def f(x: Value) -> Value:
        raise Picky()

    with pytest.raises(RuntimeError, match="f raised Picky at x = 1.0: picky") as info:
        gradcheck(f, [1.0])
    assert isinstance(info.value.__cause__, Picky)


def test_backward_raising_says_where() -> None:
    # sqrt(0) = 0 is fine forward, but its derivative 0.5 / sqrt(x) divides by zero.
    with pytest.raises(ZeroDivisionError, match=r"backward raised ZeroDivisionError at x = 0\.0"):
        gradcheck(lambda x: x.sqrt(), [0.0])


def test_f_called_with_the_wrong_number_of_inputs() -> None:
    with pytest.raises(TypeError, match="f raised TypeError"):
        gradcheck(lambda x, y: x * y, [1.0])


@pytest.mark.parametrize("result, match", [
    (lambda x: [x, x], "one scalar Value, but it returned a list"),
    (lambda x: (x, x), "one scalar Value, but it returned a tuple"),
    (lambda x: 1.0, "must return a Value .* returned float"),
    (lambda x: x.data, "must return a Value .* returned float"),
    (lambda x: None, "must return a Value .* returned NoneType"),
])
def test_non_scalar_or_non_value_return(result, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError, match=match):
        gradcheck(result, [1.0])


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_inputs(bad: float) -> None:
    with pytest.raises(ValueError, match=re.escape(f"inputs[1] is {bad}")):
        gradcheck(lambda x, y: x * y, [1.0, bad])


@pytest.mark.parametrize("bad, name", [
    ("1.5", "str"), (None, "NoneType"), (1j, "complex"), ([1.0], "list"), (True, "bool"),
])
def test_non_numeric_inputs(bad: object, name: str) -> None:
    with pytest.raises(TypeError, match=f"inputs\\[0\\] is a {name}"):
        gradcheck(lambda x: x, [bad])  # type: ignore[list-item]


def test_value_inputs_are_refused_with_a_hint() -> None:
    with pytest.raises(TypeError, match=r"inputs\[0\] is a Value; pass its \.data \(1\.5\)"):
        gradcheck(lambda x: x, [Value(1.5)])  # type: ignore[list-item]


def test_bad_input_containers() -> None:
    with pytest.raises(TypeError, match="got a str"):
        gradcheck(lambda x: x, "1.5")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="sequence of real numbers, got object"):
        gradcheck(lambda x: x, object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one input"):
        gradcheck(lambda: Value(1.0), [])


def test_non_finite_output() -> None:
    with pytest.raises(ValueError, match="f returned nan at x = 1.0"):
        gradcheck(lambda x: x * math.nan, [1.0])


@pytest.mark.parametrize("kwargs, error", [
    ({"eps": 0.0}, ValueError), ({"eps": -1e-6}, ValueError), ({"atol": math.nan}, ValueError),
    ({"rtol": -1.0}, ValueError), ({"order": 3}, ValueError), ({"order": True}, TypeError),
    ({"eps": "small"}, TypeError),
])
def test_bad_settings(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        gradcheck(lambda x: x, [1.0], **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("x", [1e11, -3e15, 1e300, 2.5e-12])
def test_the_step_scales_with_the_input(x: float) -> None:
    assert gradcheck(lambda v: v * 1.0, [x])
    assert gradcheck(lambda v: v * 3.0 + 1.0, [x], order=2)
    assert gradcheck(lambda v, w: v * w, [x, 2.0], order=2)


def test_a_wrong_gradient_at_a_large_input_is_a_gradcheck_error_not_a_crash() -> None:
    with pytest.raises(GradcheckError, match=r"v = 100000000000\.0"):
        gradcheck(lambda v: v * Value(v.data), [1e11])


def test_an_eps_too_small_for_the_input_is_a_clear_value_error() -> None:
    with pytest.raises(ValueError, match=r"eps = 1e-30 is too small for v = 1\.0"):
        gradcheck(lambda v: v * 1.0, [1.0], eps=1e-30)
    assert gradcheck(lambda v: v * 1.0, [1e-20], eps=1e-12)  # the step is at least eps


def test_the_step_is_eps_times_max_1_abs_x() -> None:
    assert step(0.0, 1e-6) == 1e-6
    assert step(0.5, 1e-6) == 1e-6
    assert step(-4.0, 1e-6) == 4e-6
    assert step(1e11, 1e-6) == 1e11 * 1e-6


def entry(analytic: float, numeric: float, left: float, right: float) -> _Entry:
    return _Entry("d/dx", analytic, numeric, left, right)


def test_judge_passes_a_close_entry_and_fails_a_far_one() -> None:
    assert judge(entry(1.0, 1.0 + 1e-6, 1.0, 1.0), 1e-5, 1e-3).ok
    e = judge(entry(1.0, 1.1, 1.1, 1.1), 1e-5, 1e-3)
    assert not e.ok and e.kink == ""
    assert judge(entry(1.0, 1.0009, 1.0009, 1.0009), 0.0, 1e-3).ok  # rtol * |numeric|
    assert not judge(entry(1.0, 1.0011, 1.0011, 1.0011), 0.0, 1e-3).ok
    assert judge(entry(0.0, 9e-6, 9e-6, 9e-6), 1e-5, 0.0).ok  # atol alone
    assert not judge(entry(0.0, 1.1e-5, 1.1e-5, 1.1e-5), 1e-5, 0.0).ok


@pytest.mark.parametrize("analytic, ok", [
    (0.0, True), (1.0, True), (0.25, True),  # relu at 0: slopes 0 and 1, anything between
    (1.0 + 5e-6, True), (-5e-6, True),  # within the tolerance of either end
    (1.1, False), (-0.1, False), (2.0, False),
])
def test_judge_at_a_kink_accepts_exactly_what_lies_between_the_one_sided_slopes(
        analytic: float, ok: bool) -> None:
    e = judge(entry(analytic, 0.5, 0.0, 1.0), 1e-5, 1e-3)  # the central difference averages
    assert e.ok is ok
    assert e.kink == ("between the one-sided differences" if ok else "")
    flipped = judge(entry(analytic, 0.5, 1.0, 0.0), 1e-5, 1e-3)  # either order of sides
    assert flipped.ok is ok


def test_judge_does_not_call_a_smooth_disagreement_a_kink() -> None:
    # One-sided slopes equal to within the tolerance: no kink, so a far analytic fails.
    e = judge(entry(0.5, 1.0, 1.0, 1.0 + 1e-7), 1e-5, 1e-3)
    assert not e.ok and e.kink == ""
    # Disagreeing one-sided slopes, analytic outside them: fails.
    assert not judge(entry(3.0, 0.0, -1.0, 1.0), 1e-5, 1e-3).ok


def test_judge_second_accepts_a_jump_at_x_and_an_agreement_closer_in() -> None:
    tol = 1e-5, 1e-3
    # d/dx jumps from 0 to 1 near x, by as much over step/8 as over the step: a kink at x.
    e = judge_second(entry(2.0, 1e6, 1e6, 1e6), 1.0, 1.0, 0.0, 2.5e-7, "d/dx", *tol)
    assert e.ok and e.kink == "d/dx jumps here"
    # A kink just beyond step/8: closer in the difference agrees with the analytic value.
    e = judge_second(entry(2.0, 7.0, 7.0, 7.0), 5.0, 1.0 + 2.0 * 1.25e-7,
                     1.0 - 2.0 * 1.25e-7, 2.5e-7, "d/dx", *tol)
    assert e.ok and e.kink == ""
    # The first derivative changes smoothly and the analytic value is wrong: fails.
    e = judge_second(entry(0.0, 2.0, 2.0, 2.0), 4e-6, 1.0 + 2.5e-7, 1.0 - 2.5e-7, 2.5e-7,
                     "d/dx", *tol)
    assert not e.ok
    # A jump over the step that shrinks closer in is not a kink at x: fails.
    e = judge_second(entry(0.0, 1e6, 1e6, 1e6), 2.0, 1.1, 1.0, 2.5e-7, "d/dx", *tol)
    assert not e.ok
