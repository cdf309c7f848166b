"""How an op is written down in the table: default operand names, call and math texts, formulas
filled with operands, malformed and variadic definitions refused."""

from __future__ import annotations

import math
import operator

import pytest

from autograd_tiny import Value
from autograd_tiny.ops import OPS, Op


@pytest.mark.parametrize("name", [n for n, op in OPS.items() if op.arity == 1 and n != "-"])
def test_each_one_operand_method_documents_its_formula(name: str) -> None:
    op = OPS[name]
    method = abs if name == "abs" else getattr(Value, name)
    if name == "abs":
        method = Value.abs
    assert method.__doc__ == (f"{op.math_text(1)}; d/dx = {op.partial_text(0, 1)}, where out = "
                              f"{op.math_text(1)}")
    assert method.__qualname__ == f"Value.{name}"
    assert Value.tanh.__doc__ == "tanh(x); d/dx = (1 - out**2), where out = tanh(x)"



def test_variadic_ops_write_their_math_and_calls() -> None:
    assert OPS["sum"].math_text(3) == "x[0] + x[1] + x[2]"
    assert OPS["dot"].math_text(5) == "w[0]*x[0] + w[1]*x[1] + b"
    assert OPS["dot"].math_text(4) == "w[0]*x[0] + w[1]*x[1]"
    assert OPS["dot"].call_text(4) == "Value.dot([w[0], w[1]], [x[0], x[1]])"
    assert OPS["sum"].call_text(2) == "Value.sum([x[0], x[1]])"
    assert OPS["tanh"].math_text(1) == "tanh(x)" and OPS["/"].math_text(2) == "a / b"



def test_a_new_op_gets_default_operand_names_call_and_math() -> None:
    unary = Op("twice", 1, lambda x: 2.0 * x, ("2",))
    assert (unary.args, unary.call_text(1), unary.math_text(1)) == \
        (("x",), "x.twice()", "twice(x)")
    binary = Op("hypot", 2, math.hypot, ("a / out", "b / out"))
    assert (binary.args, binary.call_text(2), binary.math_text(2)) == \
        (("a", "b"), "a.hypot(b)", "hypot(a, b)")
    assert binary.rule(5.0, 3.0, 4.0) == (0.6, 0.8)
    named = Op("scaled", 2, operator.mul, ("k", "x"), args=("x", "k"), call="x * k", math="k x")
    assert (named.args, named.call_text(2), named.math_text(2)) == (("x", "k"), "x * k", "k x")
    leaf = Op("", 0, lambda: 0.0, call="", math="")
    assert (leaf.args, leaf.call_text(0), leaf.math_text(0)) == ((), "", "")



def test_a_malformed_op_is_refused_naming_it() -> None:
    with pytest.raises(ValueError) as info:
        Op("bad", 2, operator.add, ("1",))
    assert str(info.value) == ("op 'bad' takes 2 operands but has 2 operand names and 1 "
                               "partial derivatives")
    for kwargs in ({}, {"call": "f(x)"}, {"math": "f(x)"}, {"call": "f(x)", "math": "f(x)"}):
        with pytest.raises(ValueError) as info:
            Op("many", -1, lambda *xs: 0.0, **kwargs)  # type: ignore[arg-type]
        assert str(info.value) == "variadic op 'many' needs its operand groups, call and math"



def test_a_partial_past_the_last_operand_is_an_index_error() -> None:
    with pytest.raises(IndexError, match="op 'sum' with 3 operands has no operand"):
        OPS["sum"].partial_text(3, 3)
    assert OPS["dot"].partial_text(4, 5) == "1"
    assert [OPS["dot"].partial_text(i, 4) for i in range(4)] == ["x[0]", "x[1]", "w[0]", "w[1]"]



def test_fill_writes_operands_into_formulas() -> None:
    from autograd_tiny.ops import fill

    assert fill("-out / b", {"out": "-1.5", "b": "2.0"}) == "-(-1.5) / 2.0"
    assert fill("x", {"x": "-1.0"}) == "-1.0"
    assert fill("f( x )", {"x": "-1"}) == "f( -1 )"
    assert fill("g(a, b)", {"a": "-1", "b": "-2"}) == "g(-1, -2)"
    assert fill("[a, b]", {"a": "-1", "b": "-2"}) == "[-1, -2]"
    assert fill("x**2", {"x": "-3"}) == "(-3)**2"
    assert fill("x ** 2", {"x": "-3"}) == "(-3) ** 2"
    assert fill("a + b", {"a": "-1", "b": "-2"}) == "-1 + (-2)"
    assert fill("a + b", {"a": "1", "b": "2"}) == "1 + 2"
    assert fill("f(x) + 1", {"x": "-1"}) == "f(-1) + 1"
    assert fill("f(1, x + 1)", {"x": "-1"}) == "f(1, (-1) + 1)"
    assert fill("w[0]*x[0]", {"w[0]": "-1", "x[0]": "2"}) == "-1*2"
    assert fill("x[0]*w[0]", {"w[0]": "-1", "x[0]": "2"}) == "2*(-1)"
    assert fill("a.b(x)", {"b": "-1", "x": "y"}) == "a.b(y)"



def test_a_variadic_op_needs_groups_call_and_math() -> None:
    from autograd_tiny.ops import Variadic

    groups = Variadic((("x", "n"),), ("1",))
    for kwargs in ({"call": "f(x)"}, {"math": "f(x)"}, {}):
        with pytest.raises(ValueError, match="needs its operand groups, call and math"):
            Op("many", -1, lambda *xs: 0.0, variadic=groups, **kwargs)  # type: ignore[arg-type]
    ok = Op("many", -1, lambda *xs: 0.0, variadic=groups, call="f(x)", math="f(x)")
    assert ok.operands(2) == ("x[0]", "x[1]")



def test_a_variadic_op_refuses_an_operand_count_its_groups_cannot_hold() -> None:
    from autograd_tiny.ops import Variadic

    odd = Op("odd", -1, lambda *xs: 0.0, call="f", math="f",
             variadic=Variadic((("x", "n"), ("b", "1")), ("1", "1"), scalars=("b",)))
    with pytest.raises(ValueError) as info:
        odd.operands(3)
    assert str(info.value) == "op 'odd' cannot take 3 operands"
    wide = Op("wide", -1, lambda *xs: 0.0, call="f", math="f",
              variadic=Variadic((("x", "n - 2"), ("b", "2")), ("1", "1"), scalars=("b",)))
    with pytest.raises(ValueError, match="op 'wide' cannot take 4 operands"):
        wide.operands(4)



def test_three_operand_default_call() -> None:
    fma = Op("fma", 3, lambda a, b, c: a * b + c, ("b", "a", "1"), args=("a", "b", "c"))
    assert fma.call_text(3) == "a.fma(b, c)" and fma.math_text(3) == "fma(a, b, c)"



def test_dot_call_text_with_a_bias() -> None:
    assert OPS["dot"].call_text(5) == "Value.dot([w[0], w[1]], [x[0], x[1]], b)"

