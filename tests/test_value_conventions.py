"""Exact numbers at the edges: empty fused nodes, powers at a non-positive base, seeds, local
partials, the walk and the chain rule's defaults, NaN, signed zeros and leaky_relu's slope."""

from __future__ import annotations

import math

import pytest

from autograd_tiny import Value, grad
from autograd_tiny.engine import local_partials


def test_comparisons_at_equality_and_with_numbers() -> None:
    one, two = Value(1.0), Value(2.0)
    assert not one < Value(1.0) and one <= Value(1.0) and not one > 1.0 and one >= 1
    assert one < two and one <= 2 and two > one and two >= 1.0
    assert not two < one and not two <= 1 and not one > two and not one >= 2.0
    assert (Value(-0.0) <= 0.0) and (Value(0.0) >= -0.0)



def test_empty_fused_nodes_are_a_zero_leaf() -> None:
    for empty in (Value.dot([], []), Value.sum([])):
        assert empty.data == 0.0 and empty.op == "" and empty.children == ()



def test_powers_at_a_non_positive_base() -> None:
    assert grad(lambda a: a**0.0)(0.0) == 0.0  # a**0 = 1 for every a
    assert grad(lambda a: a**0.0)(-2.0) == 0.0
    assert grad(lambda a: a**2.0)(-3.0) == -6.0
    assert grad(lambda a: a**3.0)(0.0) == 0.0
    assert grad(lambda a, b: a**b, argnums=1)(0.0, 2.0) == 0.0  # d/db taken as 0 at a = 0
    assert grad(lambda a, b: a**b, argnums=(0, 1))(2.0, 3.0) == (12.0, 8.0 * math.log(2.0))
    assert (Value(0.0) ** 0.5).data == 0.0
    with pytest.raises(ZeroDivisionError):
        grad(lambda a: a**0.5)(0.0)
    assert grad(grad(lambda a: a**3.0))(-1.0) == -6.0



def test_backward_takes_value_and_numpy_seeds() -> None:
    np = pytest.importorskip("numpy")
    x = Value(3.0)
    (x * 2.0).backward(np.float64(0.5))
    assert x.grad == 1.0 and type(x.grad) is float
    y = Value(3.0)
    (y * 2.0).backward(Value(0.25))
    assert float(y.grad) == 0.5
    with pytest.raises(TypeError, match="backward grad must be a real number"):
        (y * 2.0).backward("1")  # type: ignore[arg-type]



def test_local_partials_are_the_rule_on_the_node_s_numbers() -> None:
    x, w = Value(3.0), Value(-2.0)
    assert local_partials(x * w) == (-2.0, 3.0)
    y = x.tanh()
    assert local_partials(y) == (1.0 - y.data**2,)
    q = x / w
    assert local_partials(q) == (1.0 / -2.0, -q.data / -2.0)



def test_leaky_relu_s_slope_is_a_labelled_number() -> None:
    y = Value(-2.0).leaky_relu(0.2)
    assert y.children[1].label == "slope" and y.children[1].data == 0.2 and y.data == -0.4
    with pytest.raises(TypeError) as info:
        Value(1.0).leaky_relu("a")  # type: ignore[arg-type]
    assert str(info.value) == "slope must be a real number (int or float), got str: 'a'"



def test_toposort_lists_each_node_once() -> None:
    from autograd_tiny.engine import toposort

    x, w = Value(2.0), Value(3.0)
    y = x * x
    z = (y + x) * (w + x)
    order = toposort(z)
    assert len(order) == len(set(order)) == 6
    assert order[0] is x and order[-1] is z



def test_chain_rule_and_backward_defaults() -> None:
    from autograd_tiny.engine import backward, chain_rule, toposort

    x = Value(3.0)
    y = x * x
    y.grad = 1.0
    chain_rule(toposort(y))
    assert x.grad == 6.0 and type(x.grad) is float
    x2 = Value(3.0)
    backward(x2 * x2)
    assert x2.grad == 6.0



def test_create_graph_makes_every_grad_a_value_even_one_never_reached() -> None:
    x, w = Value(-1.0), Value(2.0)
    y = x.relu() * w  # relu is off: x is never reached
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 0.0
    assert isinstance(w.grad, Value) and w.grad.data == 0.0



def test_a_new_node_starts_with_grad_zero_and_no_label() -> None:
    for node in (Value(1.0) * 2.0, Value(1.0).tanh(), Value.dot([1.0], [2.0]),
                 Value.sum([Value(1.0), 2.0])):
        assert node.grad == 0.0 and type(node.grad) is float and node.label == ""



@pytest.mark.parametrize("x", [0.9, 0.15, 0.35, -0.9, 3.0, -3.0])
def test_sigmoid_is_one_over_one_plus_e_to_minus_x_exactly(x: float) -> None:
    want = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
    assert Value(x).sigmoid().data == want



def test_relu_passes_nan_and_negative_zero_through() -> None:
    assert math.copysign(1.0, Value(-0.0).relu().data) == -1.0  # as PyTorch and micrograd
    assert math.copysign(1.0, Value(0.0).relu().data) == 1.0
    assert math.isnan(Value(math.nan).relu().data)
    assert Value(-2.0).relu().data == 0.0 and Value(2.0).relu().data == 2.0
    assert grad(lambda x: x.relu())(math.nan) == 1.0  # PyTorch's relu'(nan)
    assert math.copysign(1.0, Value(-0.0).leaky_relu(0.1).data) == -1.0



def test_mixed_second_derivative_of_a_power_below_one() -> None:
    from autograd_tiny import hessian

    a, b = 0.5, 2.0
    h = hessian(lambda a, b: a**b)(a, b)
    assert h[0][1] == pytest.approx(a ** (b - 1) * (1 + b * math.log(a)), rel=1e-12)
    assert h[0][0] == pytest.approx(b * (b - 1) * a ** (b - 2), rel=1e-12)
    assert h[1][1] == pytest.approx(a**b * math.log(a) ** 2, rel=1e-12)



def test_leaky_relu_with_a_negative_slope_keeps_torch_s_zero_signs() -> None:
    # x if x > 0 else slope * x: at +0.0 the slope applies, so a negative slope gives -0.0.
    assert math.copysign(1.0, Value(0.0).leaky_relu(-0.1).data) == -1.0
    assert math.copysign(1.0, Value(-0.0).leaky_relu(-0.1).data) == 1.0



@pytest.mark.parametrize("x, slope, dx, dslope", [
    (-2.0, 0.1, 0.1, -2.0), (3.0, 0.1, 1.0, 0.0), (0.5, 0.1, 1.0, 0.0), (0.0, 0.1, 0.1, 0.0),
    (-2.0, -0.1, -0.1, -2.0), (2.0, -0.1, 1.0, 0.0),
])
def test_leaky_relu_s_derivatives_for_both_operands(x: float, slope: float, dx: float,
                                                    dslope: float) -> None:
    # The slope is a leaf of the graph (pictures and the step-through show its grad).
    v = Value(x)
    y = v.leaky_relu(slope)
    y.backward()
    assert (v.grad, y.children[1].grad) == (dx, dslope)

