"""Behaviour the fast suite left unchecked until mutation testing showed it: each test here
kills mutants that survived (a comparison at equality, an operator's NotImplemented, an
error's exact wording, a generated docstring, an edge of ** at a <= 0)."""

from __future__ import annotations

import math
import operator

import pytest

import nn
from autograd_tiny import Value, detect_anomaly, grad
from autograd_tiny.engine import local_partials
from autograd_tiny.ops import OPS, Op


def test_comparisons_at_equality_and_with_numbers() -> None:
    one, two = Value(1.0), Value(2.0)
    assert not one < Value(1.0) and one <= Value(1.0) and not one > 1.0 and one >= 1
    assert one < two and one <= 2 and two > one and two >= 1.0
    assert not two < one and not two <= 1 and not one > two and not one >= 2.0
    assert (Value(-0.0) <= 0.0) and (Value(0.0) >= -0.0)


@pytest.mark.parametrize("compare", [operator.lt, operator.le, operator.gt, operator.ge])
def test_comparing_with_a_non_number_names_it(compare) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError) as info:
        compare(Value(1.0), "2")
    assert str(info.value) == "comparison operand must be a real number (int or float), " \
                              "got str: '2'"


BINARY = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("other", ["x", None, [1.0], object()], ids=repr)
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


def test_state_dict_error_messages_exactly() -> None:
    model = nn.MLP(2, [1], seed=0)
    with pytest.raises(nn.StateDictError) as info:
        model.load_state_dict({})
    assert str(info.value) == (
        "state dict does not match the module; missing entries: 'layers.0.neurons.0.w.0', "
        "'layers.0.neurons.0.w.1', 'layers.0.neurons.0.b'; nothing was changed")
    state = dict(model.state_dict(), extra=1.0)
    state["layers.0.neurons.0.b"] = "x"
    with pytest.raises(nn.StateDictError) as info:
        model.load_state_dict(state)
    assert str(info.value) == (
        "state dict does not match the module; unexpected entries: 'extra'; entries that are "
        "not a single finite real number: 'layers.0.neurons.0.b'; nothing was changed")


def test_a_long_list_of_names_is_cut_at_twenty() -> None:
    twenty = nn.MLP(19, [1], seed=0)  # 19 weights and a bias
    with pytest.raises(nn.StateDictError) as info:
        twenty.load_state_dict({})
    assert "in all" not in str(info.value)
    assert str(info.value).count("', '") == 19
    more = nn.MLP(20, [1], seed=0)
    with pytest.raises(nn.StateDictError) as info:
        more.load_state_dict({})
    assert str(info.value).count("', '") == 19
    assert "'layers.0.neurons.0.w.19', ... (21 in all); nothing was changed" in str(info.value)


def test_saving_a_module_without_config_says_so_exactly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    class Custom(nn.Module):
        pass

    with pytest.raises(NotImplementedError) as info:
        Custom().save(tmp_path / "c.json")
    assert str(info.value) == "Custom does not define config(), so it cannot be saved"


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


def test_fused_ops_name_a_bad_operand() -> None:
    with pytest.raises(TypeError) as info:
        Value.sum([Value(1.0), "x"])  # type: ignore[list-item]
    assert str(info.value) == "Value.sum takes Values or real numbers, got str"
    mixed = Value.sum([Value(1.0), 2, 3.5])
    assert mixed.data == 6.5 and [c.data for c in mixed.children] == [1.0, 2.0, 3.5]


def test_leaky_relu_s_slope_is_a_labelled_number() -> None:
    y = Value(-2.0).leaky_relu(0.2)
    assert y.children[1].label == "slope" and y.children[1].data == 0.2 and y.data == -0.4
    with pytest.raises(TypeError) as info:
        Value(1.0).leaky_relu("a")  # type: ignore[arg-type]
    assert str(info.value) == "slope must be a real number (int or float), got str: 'a'"


def test_load_state_dict_of_a_non_mapping_names_its_type() -> None:
    with pytest.raises(TypeError) as info:
        nn.MLP(2, [1], seed=0).load_state_dict([1.0, 2.0])  # type: ignore[arg-type]
    assert str(info.value) == "load_state_dict takes a mapping of name -> float, got list"


def _doc(**changes: object) -> dict[str, object]:
    model = nn.MLP(2, [1], seed=0)
    doc: dict[str, object] = {"format": "autograd-tiny.nn", "version": 1,
                              "module": {"type": "MLP", "config": model.config()},
                              "state": model.state_dict()}
    doc.update(changes)
    return doc


@pytest.mark.parametrize("doc, problem", [
    ([1, 2], "the top level is a list, not an object"),
    (_doc(format="pickle"), "'format' is 'pickle', expected 'autograd-tiny.nn'"),
    (_doc(version=2), "'version' is 2, this library reads version 1"),
    (_doc(module={"type": "MLP"}), "'module' must be an object with 'type' and 'config'"),
    (_doc(module={"type": "Nope", "config": {}}), "unknown module type 'Nope' (known: "),
    (_doc(state=[0.5]), "'state' must be an object mapping parameter names to numbers"),
])
def test_load_says_exactly_what_is_wrong_with_a_file(tmp_path, doc, problem) -> None:  # type: ignore[no-untyped-def]
    import json

    path = tmp_path / "model.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError) as info:
        nn.load(path)
    assert str(info.value).startswith(f"{path} is not a saved autograd-tiny model: {problem}")


@nn.register
class _Sized(nn.Module):
    def __init__(self, n: int, sizes: list[int] | None = None) -> None:
        self.w = [Value(0.5) for _ in range(n)]
        self.sizes = sizes or []

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [(f"w.{i}", w) for i, w in enumerate(self.w)]

    def config(self) -> dict[str, object]:
        return {"n": len(self.w), "sizes": self.sizes}


@pytest.mark.parametrize("config, bad", [
    ({"n": 1, "sizes": [2]}, 2), ({"n": 1, "sizes": [1, 10**9]}, 10**9),
    ({"n": 1, "sizes": [[1, 7]]}, 7),
])
def test_any_integer_in_a_config_is_bounded_by_the_weights(tmp_path, config, bad) -> None:  # type: ignore[no-untyped-def]
    import json

    path = tmp_path / "sized.json"
    _Sized(1, [1]).save(path)
    assert nn.load(path).state_dict() == {"w.0": 0.5}
    doc = json.loads(path.read_text())
    doc["module"]["config"] = config
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError) as info:
        nn.load(path)
    assert str(info.value).endswith(f"cannot be built: the config holds the size {bad}, larger "
                                    "than the 1 weights in the file")


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


@pytest.mark.parametrize("x", [0.9, 0.15, 0.35, -0.9, 3.0, -3.0])
def test_sigmoid_is_one_over_one_plus_e_to_minus_x_exactly(x: float) -> None:
    want = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
    assert Value(x).sigmoid().data == want


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


@pytest.mark.parametrize("count, more", [(5, ""), (6, ", ... (6 in all)")])
def test_save_names_at_most_five_non_finite_weights(tmp_path, count, more) -> None:  # type: ignore[no-untyped-def]
    model = nn.Neuron(6, rng=__import__("random").Random(0))
    for p in model.parameters()[:count]:
        p.data = math.inf
    shown = ", ".join(f"'w.{i}' = inf" for i in range(5))
    with pytest.raises(ValueError) as info:
        model.save(tmp_path / "m.json")
    assert str(info.value) == (f"cannot save non-finite weights ({shown}{more}): JSON has no "
                               "NaN or infinity; nothing was written")


def test_a_saved_file_is_indented_strict_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "m.json"
    nn.Neuron(1, rng=__import__("random").Random(0)).save(path)
    assert path.read_text().startswith('{\n "format": "autograd-tiny.nn",\n "version": 1,\n')

    @nn.register
    class Odd(nn.Module):
        def config(self) -> dict[str, object]:
            return {"scale": math.nan}

    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        Odd().save(tmp_path / "odd.json")
    assert not (tmp_path / "odd.json").exists()


def test_save_writes_its_temporary_file_beside_the_target(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os
    import secrets

    target_dir = tmp_path / "models"
    target_dir.mkdir()
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    (target_dir / ".m.json.taken.tmp").write_text("someone else's")
    names = iter(["taken", "free"])
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(names))
    moved = []
    replace = os.replace

    def spy(src, dst):  # type: ignore[no-untyped-def]
        moved.append(os.path.dirname(os.path.abspath(src)))
        replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    nn.Neuron(1, rng=__import__("random").Random(0)).save(target_dir / "m.json")
    assert moved == [str(target_dir)]
    assert (target_dir / ".m.json.taken.tmp").read_text() == "someone else's"
    assert sorted(p.name for p in target_dir.iterdir()) == [".m.json.taken.tmp", "m.json"]


def test_a_file_that_grows_while_being_read_is_refused(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os
    import stat

    path = tmp_path / "m.json"
    nn.Neuron(3, rng=__import__("random").Random(0)).save(path)
    real = os.fstat

    def small(fd):  # type: ignore[no-untyped-def]
        info = real(fd)  # as if the file had been 10 bytes long when looked at
        return os.stat_result((stat.S_IFREG | 0o644, *info[1:6], 10, *info[7:10]))

    monkeypatch.setattr(os, "fstat", small)
    with pytest.raises(ValueError) as info:
        nn.load(path, max_bytes=20)
    assert str(info.value) == f"{path} grew past max_bytes = 20 while being read"


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
