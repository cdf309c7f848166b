"""no_grad and detect_anomaly: shared between threads, and every anomaly reported once."""

from __future__ import annotations

import math
import threading

import pytest

from autograd_tiny import Value, detect_anomaly, no_grad


def test_one_no_grad_object_entered_by_two_threads() -> None:
    # b enters first, then a; b leaves while a is still inside, then a leaves.
    quiet = no_grad()
    b_in, a_in, b_out = threading.Event(), threading.Event(), threading.Event()
    children: dict[str, int] = {}
    errors: list[BaseException] = []

    def a() -> None:
        try:
            b_in.wait(timeout=10)
            with quiet:
                a_in.set()
                b_out.wait(timeout=10)
                children["a"] = len((Value(1.0) * 2).children)
            children["a after"] = len((Value(1.0) * 2).children)
        except BaseException as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)

    def b() -> None:
        try:
            with quiet:
                b_in.set()
                a_in.wait(timeout=10)
                children["b"] = len((Value(1.0) * 2).children)
            children["b after"] = len((Value(1.0) * 2).children)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)
        finally:
            b_out.set()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert errors == []
    assert children == {"a": 0, "b": 0, "a after": 2, "b after": 2}
    assert len((Value(1.0) * 2).children) == 2


def test_one_object_nested_in_itself_and_in_another() -> None:
    quiet = no_grad()
    with quiet:
        with quiet:
            assert (Value(1.0) * 2).children == ()
        assert (Value(1.0) * 2).children == ()
        with detect_anomaly(), pytest.raises(FloatingPointError):
            Value(math.inf) + 1
    assert len((Value(1.0) * 2).children) == 2


def test_detect_anomaly_in_backward_says_it_once() -> None:
    a, b = Value(2.0, "a"), Value(3.0, "b")
    y = a * b
    with detect_anomaly(), pytest.raises(FloatingPointError) as info:
        y.backward(1e308)  # d/da = 3e308 overflows
    message = str(info.value)
    assert message.count("backward") == 1
    assert message.count("a = 2.0, b = 3.0") == 1


def test_detect_anomaly_reports_a_gradient_overflow_once() -> None:
    x = Value(1e300, "x")
    y = x * 1e10  # inf forward, outside detect_anomaly
    with detect_anomaly(), pytest.raises(FloatingPointError) as info:
        (x * 2.0).backward(1e308)
    assert str(info.value).count("backward through") == 1
    assert math.isinf(y.data)


@pytest.mark.parametrize("build", [
    lambda v: v.exp(),
    lambda v: v ** 400.0,
    lambda v: 10.0 ** v,
], ids=["exp", "pow", "rpow"])
def test_forward_overflow_inside_detect_anomaly_is_floating_point_error(build) -> None:  # type: ignore[no-untyped-def]
    x = Value(1000.0, "x")
    with detect_anomaly(), pytest.raises(FloatingPointError, match="x = 1000.0"):
        build(x)
    with pytest.raises(OverflowError):  # Python's own type outside detect_anomaly
        build(x)


def test_detect_anomaly_refuses_a_non_finite_seed_even_on_a_leaf_root() -> None:
    for seed in (math.nan, math.inf, -math.inf):
        leaf = Value(1.0, "w")
        with detect_anomaly(), pytest.raises(FloatingPointError, match="seed.*w"):
            leaf.backward(seed)
        assert leaf.grad == 0.0
        root = leaf * 2.0
        with detect_anomaly(), pytest.raises(FloatingPointError, match="seed"):
            root.backward(Value(seed), create_graph=True)
    leaf = Value(1.0)
    leaf.backward(math.nan)  # outside detect_anomaly: as PyTorch, it is just a number
    assert math.isnan(leaf.grad)
