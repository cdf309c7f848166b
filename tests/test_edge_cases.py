"""Hostile and odd inputs to the engine: each gives the right answer or a clear error."""

from __future__ import annotations

import copy
import gc
import math
import pickle
import weakref
from collections.abc import Callable
from typing import Any

import pytest

import nn
from autograd_tiny import Value, grad, value_and_grad
from autograd_tiny.engine import toposort
from autograd_tiny.ops import OPS, Op
from autograd_tiny.testing import call


@pytest.mark.parametrize("argnums", [(0, 0), (1, 0, 1), (0, -2), (-1, 1)])
def test_repeated_argnums_are_refused(argnums: tuple[int, ...]) -> None:
    f = lambda x, y: x * y  # noqa: E731
    with pytest.raises(ValueError, match="must not repeat an argument"):
        grad(f, argnums)(3.0, 2.0)
    with pytest.raises(ValueError, match="twice"):
        value_and_grad(f, argnums)(3.0, 2.0)


def test_bool_argnums_are_refused() -> None:
    with pytest.raises(TypeError, match="argnums"):
        grad(lambda x, y: x * y, True)(3.0, 2.0)  # type: ignore[arg-type]


NAN, INF = math.nan, math.inf


def _torch_op(name: str) -> Callable[..., Any]:
    """PyTorch's op of the same name, derived from the table: ``torch.<name>``, else
    ``torch.nn.functional.<name>``, else (an operator) the op's call text run on tensors."""
    torch = pytest.importorskip("torch")
    op = OPS[name]
    if name.isidentifier():
        f = getattr(torch, name, None) or getattr(torch.nn.functional, name, None)
        assert f is not None, f"PyTorch has no op named {name!r}: map it here"
        return f  # type: ignore[no-any-return]
    params = op.operands(op.arity)
    return eval(f"lambda {', '.join(params)}: {op.call_text(op.arity)}")  # type: ignore[no-any-return]  # noqa: S307


def _ours(name: str, *xs: float) -> tuple[float, float]:
    """op(xs) and d/dx0 from the table's op, through its public call (the other operands
    as numbers)."""
    a = Value(xs[0])
    out = call(OPS[name], [a, *xs[1:]])
    out.backward()
    return out.data, a.grad


def _theirs(name: str, *xs: float) -> tuple[float, float]:
    torch = pytest.importorskip("torch")
    op = OPS[name]
    x0 = torch.tensor(xs[0], dtype=torch.float64, requires_grad=True)
    rest = [x if arg in op.constants else torch.tensor(x, dtype=torch.float64)
            for arg, x in zip(op.args[1:], xs[1:], strict=True)]
    out = _torch_op(name)(x0, *rest)
    out.backward()
    return out.item(), x0.grad.item()


def _same(a: float, b: float) -> bool:
    """Equal, NaN equal to NaN, and the sign of a zero counted."""
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) ==
                                                   math.copysign(1, b))


KINKED = [name for name, op in OPS.items() if op.domain is not None and op.domain.kinks]


def _operands(name: str, x: float) -> tuple[float, ...]:
    """x, then for a two-operand op a second operand three quarters up its range."""
    op = OPS[name]
    if op.arity == 1:
        return (x,)
    lo, hi = op.domain.ranges[1] if op.domain else (-3.0, 3.0)
    return (x, lo + 0.75 * (hi - lo))


def test_the_kinked_ops_are_the_ones_expected() -> None:
    assert sorted(KINKED) == ["abs", "leaky_relu", "relu"]


@pytest.mark.parametrize("name", KINKED)
@pytest.mark.parametrize("x", [NAN, -0.0, 0.0, -2.0, 2.0])
def test_kinked_ops_match_pytorch_at_nan_and_signed_zeros(name: str, x: float) -> None:
    # NaN in, NaN out (a NaN row of X must not train to a finite loss), with PyTorch's
    # derivative there; relu(-0.0) is -0.0 as in PyTorch and micrograd.
    xs = _operands(name, x)
    ours, theirs = _ours(name, *xs), _theirs(name, *xs)
    assert _same(ours[0], theirs[0]), (ours, theirs)
    assert _same(ours[1] + 0.0, theirs[1] + 0.0), (ours, theirs)  # a grad's zero sign aside


@pytest.mark.parametrize("name", [n for n in OPS if OPS[n].arity in (1, 2)])
def test_every_op_gives_nan_for_a_nan_operand_as_pytorch_does(name: str) -> None:
    xs = _operands(name, NAN)
    ours, theirs = _ours(name, *xs), _theirs(name, *xs)
    assert math.isnan(ours[0]) and math.isnan(theirs[0])
    assert _same(ours[1], theirs[1]), (ours, theirs)


def test_a_nan_sample_gives_a_nan_loss() -> None:
    model = nn.MLP(2, [4, 1], seed=0)
    loss = nn.hinge_loss([model([NAN, 1.0]), model([0.5, 0.5])], [1.0, -1.0])
    assert math.isnan(loss.data)


@pytest.mark.parametrize("exponent", [NAN, INF, -INF])
def test_a_negative_base_with_a_non_finite_exponent_is_python_s_power(exponent: float) -> None:
    assert _same((Value(-2.0) ** exponent).data, (-2.0) ** exponent)
    assert _same(_theirs("**", -2.0, exponent)[0], (-2.0) ** exponent)


def test_a_value_and_a_model_pickle_and_deepcopy() -> None:
    x, w = Value(2.0, "x"), Value(-3.0, "w")
    y = (x * w).tanh() + x.relu()
    y.backward()
    again = pickle.loads(pickle.dumps(y))
    assert (again.data, again.grad, again.op) == (y.data, y.grad, y.op)
    assert again._op_entry is OPS["+"]  # the table's own entry, found by name
    x2 = again.children[1].children[0]
    assert (x2.label, x2.data, x2.grad) == ("x", 2.0, x.grad)
    assert x2.op == "" and x2.children == ()
    again.backward()
    assert x2.grad == pytest.approx(2 * x.grad, rel=1e-15)  # leaf grads accumulate

    model = nn.MLP(2, [3, 1], seed=0)
    for copy_of in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        assert copy_of.state_dict() == model.state_dict()
        assert copy_of([0.5, -1.0]).data == model([0.5, -1.0]).data
        assert copy_of.parameters()[0] is not model.parameters()[0]


def test_a_graph_using_an_op_outside_the_table_refuses_to_pickle_clearly() -> None:
    from autograd_tiny.value import apply

    twice = Op("twice", 1, lambda x: 2 * x, ("2",))
    y = apply(twice, (Value(1.0),))
    assert y.data == 2.0
    with pytest.raises(TypeError, match="^op 'twice' is not in the op table, so a graph using "
                                        "it cannot be pickled$"):
        pickle.dumps(y)


def _clear_grads(nodes: list[Value]) -> None:
    for node in nodes:
        node.grad = 0.0


def test_create_graph_grads_hold_the_graph_until_every_grad_is_cleared_or_gc_runs() -> None:
    # As the README says: zeroing only the parameters' grads does not free the graph (every
    # other grad is a Value built from it, and refers back to it); clearing every grad of the
    # graph does, and so does the cyclic GC.
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    gc.collect()
    gc.disable()
    try:
        for clear_all in (False, True):
            loss = nn.mse_loss([model([0.5, -1.0]), model([1.0, 2.0])], [1.0, 0.0])
            loss.backward(create_graph=True)
            nodes = toposort(loss)  # inputs and constants too: their grads are Values
            refs = [weakref.ref(v) for v in nodes if v.children]
            for p in model.parameters():
                p.grad = 0.0
            if clear_all:
                _clear_grads(nodes)
            del loss, nodes
            alive = sum(r() is not None for r in refs)
            if clear_all:
                assert alive == 0
            else:
                assert alive >= len(refs) - 1  # all but the root
            gc.collect()
            assert all(r() is None for r in refs)
    finally:
        gc.enable()
