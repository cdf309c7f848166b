"""The op table drives everything: every op's public call gives its table forward, every Value
method has a table entry and every entry a public call, the README lists them all, and an op
added to the table at run time is picked up by the strategies, the step-through, the pictures
and the sweeps with no other edit."""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_tiny import Value, backprop_steps, draw_dot, gradcheck
from autograd_tiny.engine import toposort
from autograd_tiny.ops import ANY_RANGE, FORMULA_GLOBALS, OPS, Domain, Op
from autograd_tiny.testing import call, call_source, graphs, op_inputs

README = Path(__file__).resolve().parent.parent / "README.md"


def scale(name: str, xs: tuple[float, ...]) -> float:
    """The size of the terms a sum adds up: its rounding error is relative to them, not to the
    (possibly cancelled) result."""
    if name == "sum":
        return math.fsum(map(abs, xs))
    if name == "dot":
        return abs(OPS["dot"].reference(*map(abs, xs)))  # type: ignore[misc]
    return 0.0


# The derivative sweep's tolerance: a partial off by 0.1% fails it (shown below), central
# differences in float64 are good to about 1e-8 on the table's domains.
SWEEP_RTOL, SWEEP_ATOL = 1e-5, 1e-7


def check_public_call(op: Op, xs: tuple[float, ...]) -> None:
    """The op through its public call builds one node: the table forward's value, its op name,
    one child per operand."""
    out = call(op, [Value(x) for x in xs])
    assert out.op == op.name
    assert out.data == op.forward(*xs)
    assert len(out.children) == len(xs)


def check_gradients(op: Op, xs: tuple[float, ...]) -> None:
    """Every partial of the op (the rule generated from its texts) against central
    differences, to first and second order, within the sweep's tolerance."""
    from autograd_tiny.value import apply

    assert gradcheck(lambda *vs: apply(op, vs), xs, order=2, rtol=SWEEP_RTOL, atol=SWEEP_ATOL)


@pytest.mark.parametrize("name", list(OPS))
@given(data=st.data())
def test_public_call_gives_the_table_forward(name: str, data: st.DataObject) -> None:
    check_public_call(OPS[name], data.draw(op_inputs(name), label="inputs"))


def test_every_op_has_an_independent_reference() -> None:
    missing = [name for name, op in OPS.items() if op.reference is None]
    assert not missing, f"ops with no reference= in the table: {missing}"
    # and it is not the forward itself
    assert not [name for name, op in OPS.items() if op.reference is op.forward]


@pytest.mark.parametrize("name", list(OPS))
@given(data=st.data())
def test_forward_matches_an_independent_reference(name: str, data: st.DataObject) -> None:
    op = OPS[name]
    xs = data.draw(op_inputs(name), label="inputs")
    assert op.reference is not None
    expected = op.reference(*xs)
    tolerance = 1e-12 * scale(name, xs) + 1e-13
    assert op.forward(*xs) == pytest.approx(expected, rel=1e-12, abs=tolerance)


@pytest.mark.parametrize("name", list(OPS))
@given(data=st.data())
def test_every_partial_matches_central_differences(name: str, data: st.DataObject) -> None:
    check_gradients(OPS[name], data.draw(op_inputs(name), label="inputs"))


def operand_count(op: Op) -> int:
    return op.arity if op.arity >= 0 else 5


def off_by(op: Op, i: int, factor: float) -> Callable[..., tuple[Any, ...]]:
    """op's rule with partial ``i`` multiplied by ``factor``."""
    rule = op.rule

    def wrong(out: Any, *operands: Any) -> tuple[Any, ...]:
        partials = list(rule(out, *operands))
        partials[i] = partials[i] * factor
        return tuple(partials)

    return wrong


@pytest.mark.parametrize("name, i", [(name, i) for name, op in OPS.items()
                                     for i in range(operand_count(op))])
def test_the_sweep_catches_a_partial_off_by_a_tenth_of_a_percent(name: str, i: int) -> None:
    # Inputs drawn as the sweep draws them; the wrong rule must fail on some of them (a
    # partial that is 0 on part of the domain, as relu's, is caught on the rest).
    op = OPS[name]
    inputs = find_inputs(op)
    right = op.rule
    caught = 0
    try:
        object.__setattr__(op, "rule", off_by(op, i, 1.001))
        for xs in inputs:
            try:
                check_gradients(op, xs)
            except AssertionError:
                caught += 1
    finally:
        object.__setattr__(op, "rule", right)
    assert caught >= len(inputs) // 4, f"{caught} of {len(inputs)}"
    for xs in inputs:  # and the right rule passes on the same inputs
        check_gradients(op, xs)


def find_inputs(op: Op, count: int = 12) -> list[tuple[float, ...]]:
    found: list[tuple[float, ...]] = []

    @settings(max_examples=count, database=None, derandomize=True)
    @given(op_inputs(op, n=5 if op.arity < 0 else None))
    def draw(xs: tuple[float, ...]) -> None:
        found.append(xs)

    draw()
    return found


KINKS = [(name, kink) for name, op in OPS.items() if op.domain for kink in op.domain.kinks]


@pytest.mark.parametrize("name, kink", KINKS)
def test_public_call_at_the_kinks(name: str, kink: float) -> None:
    ranges = OPS[name].domain.ranges  # type: ignore[union-attr]
    check_public_call(OPS[name], (kink,) + tuple((lo + hi) / 2 for lo, hi in ranges[1:]))


@pytest.mark.parametrize("name, x, expected", [
    ("sigmoid", 1000.0, 1.0), ("sigmoid", -1000.0, 0.0),
    ("softplus", 1000.0, 1000.0), ("softplus", -1000.0, 0.0),
    ("tanh", 1000.0, 1.0), ("tanh", -1000.0, -1.0),
])
def test_stable_forms_reach_their_limits(name: str, x: float, expected: float) -> None:
    assert OPS[name].forward(x) == expected


def test_the_rule_is_the_formula_text_evaluated() -> None:
    # What a code generator relies on: evaluating partial_text(i, n) in FORMULA_GLOBALS on
    # floats gives exactly the engine's partials.
    for op in OPS.values():
        n = op.arity if op.arity >= 0 else 5
        xs = tuple(0.3 + 0.4 * i for i in range(n))
        out = op.forward(*xs)
        names = dict(zip(op.operands(n), xs, strict=True))
        texts = [op.partial_text(i, n) for i in range(n)]
        evaluated = [eval(re.sub(r"(\w+)\[(\d+)\]", r"\1_\2", t), FORMULA_GLOBALS,  # noqa: S307
                          {re.sub(r"(\w+)\[(\d+)\]", r"\1_\2", k): v for k, v in names.items()}
                          | {"out": out}) for t in texts]
        assert list(op.rule(out, *xs)) == evaluated, op.name


def test_power_at_zero_is_one_formula_everywhere() -> None:
    # d/da a**b at a = 0: 0 for b = 0 (a**0 = 1), b * 0**(b - 1) otherwise; never a division
    # by zero in the text where the derivative exists.
    pow_ = OPS["**"]
    assert pow_.rule(1.0, 0.0, 0.0) == (0, 0)
    assert pow_.rule(0.0, 0.0, 2.0) == (0.0, 0)
    assert pow_.rule(9.0, -3.0, 2.0) == (-6.0, 0)
    with pytest.raises(ZeroDivisionError):
        pow_.rule(0.0, 0.0, 0.5)  # the derivative is infinite there


# How Value's arithmetic reaches the table: the operator's special method, the reflected one
# (2 + x), and the ones composed from others.
SPECIAL = {ast.Add: "__add__", ast.Mult: "__mul__", ast.Div: "__truediv__", ast.Pow: "__pow__",
           ast.USub: "__neg__"}
COMPOSED = {"__sub__", "__rsub__"}  # a - b = a + (-b)


def methods_called(op: Op) -> set[str]:
    """The Value attributes the op's public call uses: special methods for operators."""
    n = op.arity if op.arity >= 0 else 3
    names = set()
    for node in ast.walk(ast.parse(op.call_text(n), mode="eval")):
        if isinstance(node, (ast.BinOp, ast.UnaryOp)):
            names.add(SPECIAL[type(node.op)])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            names.add(f"__{node.func.id}__")  # abs(x)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            names.add(node.func.attr)
    return names


def value_methods() -> set[str]:
    """Value's public methods and arithmetic special methods, without backward."""
    public = {name for name in vars(Value) if not name.startswith("_")
              and callable(getattr(Value, name))} - {"backward"}
    arithmetic = {name for name in vars(Value) if name.startswith("__") and name.rstrip("_")[2:]
                  in {"add", "mul", "truediv", "pow", "neg", "abs", "sub", "radd", "rmul",
                      "rtruediv", "rpow", "rsub"}}
    return public | arithmetic


def test_every_value_method_has_a_table_entry_and_every_entry_a_method() -> None:
    reached = set().union(*(methods_called(op) for op in OPS.values()))
    reflected = {f"__r{name[2:]}" for name in reached if name.startswith("__")}
    named = set(OPS)  # Value.abs is the table's abs, as abs(x) is
    missing = value_methods() - reached - reflected - named - COMPOSED
    assert not missing, f"Value methods with no op table entry: {sorted(missing)}"
    absent = {name for name in reached if not hasattr(Value, name)}
    assert not absent, f"op table calls that Value does not have: {sorted(absent)}"


def test_the_value_method_check_catches_a_method_without_an_entry(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Value, "arctan", lambda self: self, raising=False)
    with pytest.raises(AssertionError, match="arctan"):
        test_every_value_method_has_a_table_entry_and_every_entry_a_method()


def test_readme_lists_every_method_and_operator_of_the_table() -> None:
    text = " ".join(README.read_text(encoding="utf-8").split())
    operators = re.search(r"Operators `([^`]*)`", text)
    methods = re.search(r"methods `([^`]*)`", text)
    assert operators and methods
    listed = {re.sub(r"\(.*\)", "", m) for m in methods.group(1).split()}
    table_methods = {name for op in OPS.values() for name in methods_called(op)
                     if not name.startswith("__")} - {"sum", "dot"}
    assert listed == table_methods
    symbols = {op.name for op in OPS.values() if op.call_text(max(op.arity, 1)).startswith(
        tuple(op.operands(max(op.arity, 1))))} - table_methods
    assert symbols <= set(operators.group(1).split())


# An op added at run time: one table entry and one Value method. (Named arctan so that it can
# never be one of the table's own: test_adding_an_op adds a real atan to a copy.)
@pytest.fixture
def arctan(monkeypatch: pytest.MonkeyPatch) -> Iterator[Op]:
    from autograd_tiny.value import _method

    op = Op("arctan", 1, math.atan, ("1 / (1 + x**2)",), Domain((ANY_RANGE,)),
            reference=lambda x: math.asin(x / math.sqrt(1 + x * x)))
    monkeypatch.setitem(OPS, "arctan", op)
    monkeypatch.setattr(Value, "arctan", _method("arctan"), raising=False)
    yield op


def test_a_new_op_is_picked_up_everywhere(arctan: Op) -> None:
    x = Value(0.5, "x")
    y = x.arctan()
    y.label = "y"
    assert (y.op, y.data) == ("arctan", math.atan(0.5))
    assert Value.arctan.__doc__ == "arctan(x); d/dx = 1 / (1 + x**2), where out = arctan(x)"
    # The step-through writes the new op and its formula.
    step = backprop_steps(y)[0]
    assert step.explain().splitlines() == [
        "y = arctan(x), y.grad = 1.0 (the seed)",
        "  x.grad += 1 / (1 + x.data**2) * y.grad = 1 / (1 + 0.5**2) * 1.0 = 0.8 * 1.0 = 0.8"]
    # The picture shows its node.
    assert 'label=arctan' in draw_dot(y).source
    # The sweeps: public call, forward and gradients, on inputs the strategy draws.
    assert call_source(arctan, ["v0"], ["node"]) == "v0.arctan()"

    @settings(max_examples=25, database=None)
    @given(op_inputs("arctan"))
    def sweep(xs: tuple[float, ...]) -> None:
        check_public_call(arctan, xs)
        check_gradients(arctan, xs)

    sweep()

    # Random graphs: drawn with it, and by default (the whole table) too.
    seen: list[set[str]] = []

    @settings(max_examples=25, database=None)
    @given(graphs(ops=["arctan", "*"], max_nodes=6), graphs(max_nodes=40))
    def drawn(only: object, everything: object) -> None:
        for g in (only, everything):
            out = g.f(*g.inputs)  # type: ignore[attr-defined]
            seen.append({node.op for node in toposort(out)})
            assert gradcheck(g.f, g.inputs)  # type: ignore[attr-defined]

    drawn()
    assert any("arctan" in ops for ops in seen)


@pytest.mark.parametrize("text, complaint", [
    ("1 / (1 + x**2) * sec(x)", "uses sec, which is neither an operand (x), out, nor a formula"),
    ("exp(x)", "uses exp"),  # math's exp is not a formula function: out is
    ("1 / (1 + ", "is not a Python expression"),
])
def test_a_formula_using_an_unknown_name_fails_when_the_table_is_built(
        text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=re.escape(complaint)):
        Op("arctan", 1, math.atan, (text,), Domain((ANY_RANGE,)))


def test_a_variadic_formula_is_checked_too() -> None:
    from autograd_tiny.ops import Variadic

    with pytest.raises(ValueError, match="uses y"):
        Op("sum2", -1, sum, call="s", math="s", variadic=Variadic((("x", "n"),), ("y[i]",)))
