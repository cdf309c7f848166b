"""Errors of Value's operators, methods, fused ops and backward, and detect_anomaly's messages:
each names the op, the operands and what was wrong, exactly."""

from __future__ import annotations

import math
import operator

import pytest

from autograd_tiny import Value, detect_anomaly


@pytest.mark.parametrize("compare", [operator.lt, operator.le, operator.gt, operator.ge])
def test_comparing_with_a_non_number_names_it(compare) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError) as info:
        compare(Value(1.0), "2")
    assert str(info.value) == "comparison operand must be a real number (int or float), " \
                              "got str: '2'"



BINARY = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]



@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("other", ["x", None, [1.0], object()], ids=lambda v: type(v).__name__)
def test_every_operator_returns_notimplemented_for_a_non_number(op, other) -> None:  # type: ignore[no-untyped-def]
    v = Value(2.0)
    for left, right in ((v, other), (other, v)):
        with pytest.raises(TypeError):
            op(left, right)
    name = op.__name__.strip("_")
    assert getattr(v, f"__{name}__")(other) is NotImplemented
    assert getattr(v, f"__r{name}__")(other) is NotImplemented



def test_method_errors_name_the_op_and_operands_exactly() -> None:
    for build, error, message in [
        (lambda: Value(-1.0).sqrt(), ValueError, "sqrt(-1.0): math domain error"),
        (lambda: Value(-1.0, "x").log(), ValueError, "log(x = -1.0): math domain error"),
        (lambda: Value(0.0).log(), ValueError, "log(0.0): math domain error"),
        (lambda: Value(1.0, "a") / Value(0.0, "b"), ZeroDivisionError,
         "/(a = 1.0, b = 0.0): float division by zero"),
        (lambda: Value(800.0, "x").exp(), OverflowError, "exp(x = 800.0): math range error"),
    ]:
        with pytest.raises(error) as info:
            build()
        assert str(info.value) == message



def test_an_overflow_in_a_method_inside_detect_anomaly_says_the_same() -> None:
    with detect_anomaly(), pytest.raises(FloatingPointError) as info:
        Value(800.0, "x").exp()
    assert str(info.value) == "exp(x = 800.0): math range error"



def test_a_graph_built_and_differentiated_inside_detect_anomaly() -> None:
    with detect_anomaly():
        x, w = Value(2.0, "x"), Value(-3.0, "w")
        y = (x * w + 1.0).tanh() + x.relu() + Value.dot([w], [x], 0.5) + Value.sum([x, w])
        assert y.children and all(isinstance(c, Value) for c in y.children)
        y.backward()
    plain_x, plain_w = Value(2.0), Value(-3.0)
    plain = ((plain_x * plain_w + 1.0).tanh() + plain_x.relu()
             + Value.dot([plain_w], [plain_x], 0.5) + Value.sum([plain_x, plain_w]))
    plain.backward()
    assert (y.data, x.grad, w.grad) == (plain.data, plain_x.grad, plain_w.grad)



def test_a_gradient_anomaly_names_the_unlabelled_operand_by_its_value() -> None:
    a = Value(2.0, "a")
    with detect_anomaly(), pytest.raises(FloatingPointError) as info:
        (a * 3.0).backward(1e308)
    assert str(info.value) == ("backward through *(a = 2.0, 3.0) gave a gradient of inf for "
                               "operand a")
    with detect_anomaly(), pytest.raises(FloatingPointError) as info:
        (Value(3.0) * a).backward(1e308)
    assert str(info.value) == ("backward through *(3.0, a = 2.0) gave a gradient of inf for "
                               "operand 3.0")



def test_fused_ops_name_a_bad_operand() -> None:
    with pytest.raises(TypeError) as info:
        Value.sum([Value(1.0), "x"])  # type: ignore[list-item]
    assert str(info.value) == "Value.sum takes Values or real numbers, got str"
    mixed = Value.sum([Value(1.0), 2, 3.5])
    assert mixed.data == 6.5 and [c.data for c in mixed.children] == [1.0, 2.0, 3.5]



def test_an_overflow_in_a_rule_inside_detect_anomaly() -> None:
    a = Value(0.5, "a")
    y = a ** -1023.0  # 2**1023 is finite; d/da = -1023 * 0.5**-1024 overflows in the rule
    with pytest.raises(OverflowError):
        y.backward()
    with detect_anomaly(), pytest.raises(FloatingPointError) as info:
        y.backward()
    assert str(info.value).startswith("backward through **(a = 0.5, -1023.0): ")



def test_a_non_finite_seed_names_an_unlabelled_root_by_its_value() -> None:
    with detect_anomaly(), pytest.raises(FloatingPointError) as info:
        Value(1.5).backward(math.nan)
    assert str(info.value) == "backward seed grad = nan for the root 1.5"



def test_constructor_and_fused_op_messages_exactly() -> None:
    for build, error, message in [
        (lambda: Value(1.0, 5), TypeError, "Value label must be a str, got int"),
        (lambda: Value("x"), TypeError,
         "Value data must be a real number (int or float), got str: 'x'"),
        (lambda: Value.dot([Value(1.0)], ["x"]), TypeError,
         "Value.dot takes Values or real numbers, got str"),
        (lambda: Value(-2.0) ** Value(0.5), ValueError,
         "**(-2.0, 0.5): a negative base with a Value exponent has no derivative "
         "d/db a**b = a**b * log(a)"),
        (lambda: Value(-2.0) ** 0.5, ValueError,
         "**(-2.0, 0.5): a negative base with a non-integer exponent has no real power"),
    ]:
        with pytest.raises(error) as info:
            build()
        assert str(info.value) == message

