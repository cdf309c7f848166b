"""The code generator's and compiler's small parts, each pinned: what the generated source says,
which partials may raise (read from the op table), and the compiler's bookkeeping."""

from __future__ import annotations

import gc
import linecache
import math
import operator
import sys

import pytest

from autograd_tiny import TraceError, Value, codegen, compile, detect_anomaly, no_grad
from autograd_tiny.codegen import (
    SPECIAL,
    _chunks,
    _risky,
    comment,
    same,
)
from autograd_tiny.ops import OPS, Op


def test_same_is_bitwise():
    assert same(1.5, 1.5) and same(0.0, 0.0) and same(-0.0, -0.0) and same(math.nan, math.nan)
    assert not same(0.0, -0.0) and not same(-0.0, 0.0) and not same(1.0, 2.0)
    assert not same(math.nan, 1.0) and not same(1.0, math.nan)
    assert same(math.inf, math.inf) and not same(math.inf, -math.inf)


def test_comment_keeps_text_on_one_line():
    for text in ["a\nb", "a\rb", "a\u2028b", "a\x0cb", "a\x00b", "a\x85b"]:
        shown = comment(text)
        assert len((shown + "x").splitlines()) == 1, shown
    assert comment("x²") == "x²" and comment("plain") == "plain"


@pytest.mark.parametrize("k", [0.1, -0.0, 1e308, 5e-324, math.inf, -math.inf, math.nan])
def test_constants_are_written_in_exactly(k):
    c = compile(lambda x: x * Value(k) + x, [1.0])
    assert repr(k) in c.source
    assert same(c(2.0), 2.0 * k + 2.0) and same(c.value_and_grad(2.0)[1][0], k + 1.0)


def test_chunks_wrap_long_lists():
    names = [f"g{i}" for i in range(100)]
    chunks = _chunks(names, width=20)
    assert [n for c in chunks for n in c] == names
    assert all(sum(len(n) + 3 for n in c) <= 20 + 3 + 3 for c in chunks)
    assert len(chunks) > 1 and _chunks([]) == [] and _chunks(["a"]) == [["a"]]


def _raises_on_special(op: Op, i: int, n: int) -> bool:
    """Whether the i-th partial raises at some special operands where the forward does not."""
    rule = op.rule
    for xs in _grid(n):
        try:
            out = op.forward(*xs)
        except (ArithmeticError, ValueError):
            continue
        try:
            rule(out, *xs)[i]
        except (ArithmeticError, ValueError):
            return True
    return False


def _grid(n: int):
    if n == 1:
        return [[x] for x in SPECIAL]
    return [[a, b] + [1.0] * (n - 2) for a in SPECIAL for b in SPECIAL]


@pytest.mark.parametrize("name", [name for name, op in OPS.items() if op.arity > 0])
def test_a_partial_that_raises_somewhere_is_known_to_be_risky(name):
    op = OPS[name]
    risky = _risky(op, op.arity)
    for i in range(op.arity):
        if _raises_on_special(op, i, op.arity):
            assert risky[i], (name, i)


def test_risky_is_read_from_the_formula_text():
    def made(text: str) -> Op:
        return Op(f"made {text}", 1, lambda x: x, (text,))

    assert _risky(made("1 / x"), 1) == (True,)
    assert _risky(made("x ** 2"), 1) == (True,)
    assert _risky(made("x % 2"), 1) == (True,)
    assert _risky(made("x // 2"), 1) == (True,)
    assert _risky(made("log(x)"), 1) == (True,)
    assert _risky(made("cos(x)"), 1) == (True,)  # cos(inf) raises
    assert _risky(made("sigmoid(x)"), 1) == (False,)
    assert _risky(made("x * 2 - 1"), 1) == (False,)
    assert _risky(made("sign(x)"), 1) == (False,)
    assert _risky(OPS["*"], 2) == (False, False)
    assert _risky(OPS["/"], 2) == (True, True)


def test_generated_source_shape():
    w = Value(0.5, "w")
    c = compile(lambda x, y: (x * w + y).tanh(), [1.0, 2.0], argnums=1, params=[w])
    src = c.source
    assert src.startswith("def compiled(rows, params, grads, seed, results, backward):\n")
    assert "    # v2 w\n    v2, = params\n" in src and "    g2, = grads\n" in src
    assert "    for v0, v1 in rows:  # x, y\n" in src
    assert "        if not backward:\n            results.append((v5,))\n            continue\n" \
        in src
    assert "            g4 += (1 - v5**2) * g5\n" in src
    assert "        results.append((v5, g1))\n" in src
    assert src.endswith("    else:\n        grads[:] = g2,\n        return True\n"
                        "    grads[:] = g2,\n    return False\n")
    assert "Generated from a trace of 3 ops" in src


def test_a_risky_partial_of_an_unwanted_branch_is_still_evaluated():
    c = compile(lambda x, y: x.log() * y, [2.0, 3.0], argnums=1)
    assert "1 / v0  # raises where backward() would" in c.source.replace("(", "").replace(
        ")", "") or "1 / v0" in c.source


def test_a_guard_on_a_constant_and_a_value_operand():
    k = Value(1.0, "k")

    def f(x, y):
        return x * 2.0 if x > y else (x * k if k > 0.5 else x)

    c = compile(f, [3.0, 1.0])
    assert "if not (v0 > v1):  # guard, " in c.source
    assert c.value_and_grad(0.0, 1.0) == (0.0, (1.0, 0.0))
    assert len(c.traces) == 2 and "if not (1.0 > 0.5)" in c.traces[1].source


def test_guards_sit_where_their_comparison_was_made():
    def f(x):
        y = x * 2.0
        if y > 1.0:
            return y.exp()
        return y

    src = compile(f, [1.0]).source
    assert src.index("v1 = v0 * 2.0") < src.index("if not (v1 > 1.0)") < src.index(
        "v2 = exp(v1)")


def test_max_traces_caps_the_paths_then_the_interpreter_runs():
    def f(x):
        return x * 2.0 if x > 0 else (x * 3.0 if x > -1 else x * 4.0)

    c = compile(f, [1.0], max_traces=2)
    assert c.accumulate([(0.5,), (-0.5,), (-2.0,), (-3.0,), (2.0,)]) == [
        (1.0, 2.0), (-1.5, 3.0), (-8.0, 4.0), (-12.0, 4.0), (4.0, 2.0)]
    assert len(c.traces) == 2 and c.interpreted == 2


def test_accumulate_with_no_rows_and_no_inputs():
    w = Value(2.0, "w")
    c = compile(lambda: w * w, [], params=[w])
    assert c.accumulate([]) == [] and w.grad == 0.0
    assert "    for _ in rows:\n" in c.source
    assert c.accumulate([(), ()]) == [(4.0,), (4.0,)] and w.grad == 8.0
    assert c() == 4.0 and w.grad == 8.0


def test_carried_outputs_and_plain_calls_of_tuples():
    c = compile(lambda a, b: (a * b, a + b, a - b), [2.0, 3.0], argnums=(1, 0))
    assert c(2.0, 3.0) == (6.0, 5.0, -1.0)
    assert c.value_and_grad(2.0, 3.0) == ((6.0, 5.0, -1.0), (2.0, 3.0))


def test_the_example_inputs_must_be_numbers_and_argnums_indices():
    with pytest.raises(TypeError, match="example input"):
        compile(lambda x: x, [None])
    for bad in (-1, 2):
        with pytest.raises(ValueError, match="argnums"):
            compile(lambda x, y: x * y, [1.0, 2.0], argnums=bad)
    for bad in (True, 1.0, "1"):
        with pytest.raises(TypeError, match="argnums must be an int, a sequence of ints or None"):
            compile(lambda x, y: x * y, [1.0, 2.0], argnums=bad)
    with pytest.raises(ValueError, match="argnums must not repeat"):
        compile(lambda x, y: x * y, [1.0, 2.0], argnums=[1, 1])
    with pytest.raises(TypeError, match="params must be Values"):
        compile(lambda x: x, [1.0], params=[1.0])
    with pytest.raises(ValueError, match="params must be leaves"):
        compile(lambda x: x, [1.0], params=[Value(1.0) * 2.0])
    with pytest.raises(TypeError, match="seed"):
        compile(lambda x: x, [1.0]).value_and_grad(1.0, seed="1")


def test_refusals_name_the_line():
    def reads(x):
        return x * x.data

    with pytest.raises(TraceError) as info:
        compile(reads, [1.0])
    text = str(info.value)
    assert "reads .data of a Value at " in text and "test_compile_mutation.py:" in text
    assert "return x * x.data" in text and "Use a comparison" in text

    def labelled(x):
        x.label = "ex"
        return x * float(x)

    with pytest.raises(TraceError, match="calls float\\(\\) on the Value 'ex' at .*float\\(x\\)"):
        compile(labelled, [1.0])


def test_only_the_first_refusal_is_reported():
    def f(x):
        a = float(x)
        x.data = 2.0
        return x * a

    with pytest.raises(TraceError, match="calls float") as info:
        compile(f, [1.0])
    assert "sets .data" not in str(info.value)


def test_outside_a_trace_traced_values_behave():
    from autograd_tiny.compiler import _Traced

    seen = []
    c = compile(lambda x: (seen.append(x), x * 2.0)[1], [1.5])
    (v,) = seen
    assert type(v) is _Traced
    assert v.data == 1.5 and float(v) == 1.5 and repr(v) == "Value(data=1.5, grad=0.0)"
    assert f"{v}" == repr(v)
    v.data = 2.5
    assert v.data == 2.5
    out = v * 3.0
    out.backward()
    assert v.grad == 3.0
    assert c(1.0) == 2.0


def test_forward_names_and_their_namespace():
    names, formula, namespace = codegen._forward_names(OPS.values())
    assert names == {"**": "power", "abs": "abs", "exp": "exp", "log": "log", "sqrt": "sqrt",
                     "tanh": "tanh", "sigmoid": "sigmoid", "relu": "relu",
                     "leaky_relu": "leaky_relu", "softplus": "softplus", "sin": "sin",
                     "cos": "cos", "sum": "sum_", "dot": "dot"}
    assert formula == {"log": "formula_log", "sin": "formula_sin", "cos": "formula_cos",
                       "sigmoid": "formula_sigmoid", "sign": "sign", "const": "const"}
    for op_name, name in names.items():
        assert namespace[name] is OPS[op_name].forward
    for fname, name in formula.items():
        assert namespace[name] is codegen.FORMULA_GLOBALS[fname]
    assert namespace["inf"] == math.inf and math.isnan(namespace["nan"])
    assert namespace["mul"] is operator.mul
    assert set(namespace) == {*names.values(), *formula.values(), "inf", "nan", "mul"}
    assert not any(codegen._RESERVED.fullmatch(name) for name in namespace)
    assert (names, formula) == (codegen._FORWARD, codegen._FORMULA)


def test_inside_a_trace_each_refusal_says_what_and_where():
    def shows(x):
        x.label = "ex"
        return x * len(repr(x))

    with pytest.raises(TraceError, match=r"shows \(repr\) the Value 'ex' at .*repr\(x\)"):
        compile(shows, [1.0])
    with pytest.raises(TraceError, match=r"formats a Value at .*\{x:>9\}"):
        compile(lambda x: x * len(f"{x:>9}"), [1.0])
    with pytest.raises(TraceError, match=r"calls backward\(\) on a Value at .*backward"):
        compile(lambda x: (x.backward(2.0), x)[1], [1.0])
    with pytest.raises(TraceError, match=r"sets .data of a Value at .*setattr"):
        compile(lambda x: (setattr(x, "data", 2.0), x)[1], [1.0])


def test_outside_a_trace_a_traced_value_differentiates_and_formats():
    from autograd_tiny.compiler import _Traced

    seen = []
    compile(lambda x: (seen.append(x), x * 2.0)[1], [1.5])
    (v,) = seen
    assert type(v) is _Traced
    v.backward(2.0)
    assert v.grad == 2.0
    v.backward()
    assert v.grad == 3.0
    w = Value(1.0)
    y = v * w
    y.backward(create_graph=True)
    assert isinstance(w.grad, Value) and w.grad.data == 1.5
    assert format(v, ">200") == repr(v).rjust(200)
    assert float(v) == 1.5


def test_accumulate_seeds_with_one_by_default():
    c = compile(lambda x: x * 3.0, [1.0])
    assert c.accumulate([(2.0,), (1.0,)]) == [(6.0, 3.0), (3.0, 3.0)]
    assert c.value_and_grad(2.0) == (6.0, (3.0,))


STATE = {"calls": 0}


def test_what_f_changes_is_named():
    def counts_in_a_dict(x):
        STATE["calls"] += 1
        return x * 2.0

    with pytest.raises(TraceError, match="changes the int 'calls' that it reads"):
        compile(counts_in_a_dict, [1.0])
    calls = 0

    def counts_in_a_closure(x):
        nonlocal calls
        calls += 1
        return x * 2.0

    with pytest.raises(TraceError, match="changes a number in a closure"):
        compile(counts_in_a_closure, [1.0])


def test_a_value_computed_outside_is_shown_with_its_data():
    h = Value(2.0, "h") * 3.0
    h.label = "h"
    with pytest.raises(TraceError, match=r"uses the Value 'h' \(data=6.0\), computed outside it "
                                         r"by the op '\*'; compute it inside"):
        compile(lambda x: x * h, [1.0])
    k = Value(2.0) + 3.0
    with pytest.raises(TraceError, match=r"uses a Value \(data=5.0\), computed outside it by "
                                         r"the op '\+'"):
        compile(lambda x: x * k, [1.0])


def test_the_inline_forms_kept_are_those_equal_to_the_forward():
    forms = codegen._inline_forms.__wrapped__
    assert forms("relu") == tuple(codegen._INLINE["relu"])
    assert forms("dot")[-1] is codegen._dot_mapped and len(forms("dot")) in (1, 2)
    assert codegen._dot_written_out in forms("dot") or not codegen._form_ok(
        "dot", codegen._dot_written_out)
    assert forms("sum")[-1] is codegen._INLINE["sum"][1]


def test_forward_names_avoid_keywords_reserved_names_builtins_and_each_other():
    def op(name, forward):
        return Op(name, 1, forward, ("1",))

    table = [op("lambda", abs), op("v3", abs), op("g12", abs), op("abs", math.fabs),
             op("power", abs), OPS["**"], op("exp", math.exp), op("print", print)]
    names, _, namespace = codegen._forward_names(table)
    assert names == {"lambda": "lambda_", "v3": "v3_", "g12": "g12_", "abs": "abs_",
                     "power": "power", "**": "power_", "exp": "exp", "print": "print"}
    assert namespace["abs_"] is math.fabs and namespace["power_"] is OPS["**"].forward


def test_written_out_forms():
    assert codegen._dot_written_out(["w0", "w1", "x0", "x1", "b"]) == "b + w0 * x0 + w1 * x1"
    assert codegen._dot_written_out(["w0", "w1", "x0", "x1"]) == "0.0 + w0 * x0 + w1 * x1"
    assert codegen._dot_written_out(["b"]) == "b"
    assert codegen._dot_mapped(["w0", "w1", "x0", "x1", "b"]) == \
        "sum(map(mul, (w0, w1), (x0, x1)), b)"
    assert codegen._dot_mapped(["w0", "x0"]) == "sum(map(mul, (w0,), (x0,)))"
    assert codegen._sum_written_out(["a", "b"]) == "0.0 + a + b"
    assert codegen._INLINE["sum"][1](["a"]) == "sum((a,))"
    assert codegen._INLINE["relu"][0](["a"]) == "(0.0 if a < 0.0 else a)"


@pytest.mark.parametrize("n", [1, 17])
def test_form_ok_tries_every_count_up_to_17(n):
    def wrong_at(args):  # the sum's form, except for n operands
        return "1.0" if len(args) == n else "sum((" + ", ".join(args) + ",))"

    assert not codegen._form_ok("sum", wrong_at)
    assert codegen._form_ok("sum", lambda args: "sum((" + ", ".join(args) + ",))")


def test_form_ok_tries_special_values_and_drawn_ones():
    assert not codegen._form_ok("relu", lambda a: f"({a[0]} if {a[0]} > 0.0 else 0.0)")  # -0.0
    assert not codegen._form_ok("relu", lambda a: f"(0.0 if {a[0]} < 1e-30 else {a[0]})")
    assert not codegen._form_ok("relu", lambda a: f"(0.0 if {a[0]} < 0.0 else {a[0]} + 1e-300)")
    assert not codegen._form_ok("dot", lambda a: codegen._dot_mapped(a) + " * 1.0000001")


def test_the_refusal_says_what_to_do():
    with pytest.raises(TraceError) as info:
        compile(lambda x: x * x.data, [1.0])
    assert str(info.value).startswith("cannot compile: the function reads .data of a Value at ")
    assert str(info.value).endswith("; the compiled code could not follow the data there. Use "
                                    "a comparison (which becomes a guard) or the interpreter.")


def test_a_bad_seed_is_named():
    c = compile(lambda x: x * 2.0, [1.0])
    for run in (lambda: c.accumulate([(1.0,)], seed="1"), lambda: c.value_and_grad(1.0, seed=[])):
        with pytest.raises(TypeError, match="^seed must be a real number"):
            run()


def test_the_interpreter_leaves_constants_grads_alone():
    k = Value(3.0, "k")
    k.grad = 0.25
    w = Value(2.0, "w")

    def f(x):
        return x * k * w if x > 0 else x * w * k

    c = compile(f, [1.0], max_traces=1, params=[w])
    assert c.value_and_grad(-1.0) == (-6.0, (6.0,)) and c.interpreted == 1
    assert k.grad == 0.25 and w.grad == -3.0
    with detect_anomaly():
        assert c.value_and_grad(2.0) == (12.0, (6.0,))
    assert k.grad == 0.25 and w.grad == 3.0


def test_a_traced_node_differentiates_twice_outside_the_trace():
    seen = []

    def f(x):
        y = x * x
        seen.append((x, y))
        return y

    compile(f, [3.0])
    ((x, y),) = seen
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 6.0


def test_a_refusal_in_code_without_source_names_file_and_line_only():
    namespace = {}
    exec("def f(x):\n    return x * x.data\n", namespace)
    with pytest.raises(TraceError, match=r"reads .data of a Value at <string>:2; the compiled"):
        compile(namespace["f"], [1.0])
    exec("def g(x):\n    return x * float(x)\n", namespace)
    with pytest.raises(TraceError, match=r"calls float\(\) on a Value at <string>:2; the compiled"):
        compile(namespace["g"], [1.0])


SCALE = {"k": 0}


def test_a_number_that_changes_type_is_a_change():
    c = compile(lambda x: x * SCALE["k"], [1.0])
    assert same(c(1.0), 0.0)
    SCALE["k"] = -0.0  # equal to 0, but another number here
    assert same(c(1.0), -0.0)
    SCALE["k"] = 0.0
    assert same(c(1.0), 0.0)
    SCALE["k"] = 0


GOLDEN = """\
def compiled(rows, params, grads, seed, results, backward):
    \"\"\"Generated from a trace of 5 ops; see autograd_tiny.compile.\"\"\"
    # v2 w1, v3 w2
    v2, v3 = params
    g2, g3 = grads
    for v0, v1 in rows:  # x, y
        # forward
        v4 = v0 * (-2.0)  # a
        v5 = (-3.0) + v2 * v4 + v3 * v1
        v6 = (0.0 if v5 < 0.0 else v5)
        v7 = log(v1)
        v8 = 0.0 + v6 + (-1.0) + v7  # l\\ne
        if not backward:
            results.append((v8,))
            continue
        # backward
        g0 = g4 = g5 = g6 = g7 = 0.0
        g8 = seed
        if g8:  # l\\ne
            g6 += g8
            g7 += g8
        if g7:
            1 / v1  # raises where backward() would
        if g6:
            g5 += (0 if v5 <= 0 else 1) * g6
        if g5:
            g2 += v4 * g5
            g3 += v1 * g5
            g4 += v2 * g5
        if g4:  # a
            g0 += -2.0 * g4
        results.append((v8, g0))
    else:
        grads[:] = g2, g3
        return True
    grads[:] = g2, g3
    return False
"""


def test_the_generated_source_in_full():
    w1, w2 = Value(0.5, "w1"), Value(-1.5, "w2")

    def f(x, y):
        a = x * -2.0
        a.label = "a"
        b = Value.dot([w1, w2], [a, y], -3.0).relu()
        s = Value.sum([b, -1.0, y.log()])
        s.label = "l\ne"
        return s

    c = compile(f, [1.0, 2.0], argnums=(0,), params=[w1, w2])
    assert c.source == GOLDEN
    leaf = compile(lambda x: x, [1.0]).source
    assert "        g0 = 0.0\n        g0 += seed\n        results.append((v0, g0))\n" in leaf
    assert "    for v0, in rows:  # x\n" in leaf


def test_the_generated_lines_are_in_linecache():
    c = compile(lambda x: x * 2.0, [1.0])
    filename = c.traces[0].run.__code__.co_filename
    assert filename.startswith("<autograd_tiny.compile #")
    assert linecache.getline(filename, 1) == \
        "def compiled(rows, params, grads, seed, results, backward):\n"
    assert linecache.getline(filename, 5) == "        v1 = v0 * 2.0\n"


@pytest.mark.parametrize("n, written_out", [(32, True), (33, False)])
def test_a_dot_is_written_out_up_to_64_operands(n, written_out):
    c = compile(lambda *xs: Value.dot(xs[:n], xs[n:]), [1.0] * (2 * n))
    assert ("sum(map(mul" not in c.source) is written_out
    assert c(*[1.0] * (2 * n)) == n


def test_factor():
    assert codegen._factor("(a) * (b)") == "(a) * (b)"
    assert codegen._factor("(a + b)") == "(a + b)"
    assert codegen._factor("a + b") == "(a + b)"
    assert codegen._factor("x if c else y") == "(x if c else y)"
    assert codegen._factor("a ** b") == "a ** b" and codegen._factor("-a") == "-a"
    assert codegen._factor("f(a)") == "f(a)" and codegen._factor("a[1]") == "a[1]"


def test_input_errors_are_worded():
    c = compile(lambda x: x * 2.0, [1.0])
    with pytest.raises(TypeError, match=r"^the compiled function takes 1 inputs, got 2$"):
        c(1.0, 2.0)
    with pytest.raises(TypeError, match=r"^input must be a real number \(int or float\), got str"):
        c("2.0")


def test_chunks_break_where_the_width_is_passed():
    assert [len(c) for c in _chunks(["x" * 10] * 16)] == [7, 7, 2]
    assert [len(c) for c in _chunks(["x" * 10] * 6 + ["y" * 11])] == [6, 1]


def test_traced_nodes_start_blank_and_no_grad_is_refused_where_it_is():
    seen = []

    def f(x):
        y = x * x
        seen.append(y)
        return y

    compile(f, [3.0])
    assert seen[0].grad == 0.0 and seen[0].label == "" and seen[0].op == "*"

    def quiet(x):
        with no_grad():
            return x * 2.0

    with pytest.raises(TraceError, match=r"runs an op under no_grad \(its result would be a "
                                         r"constant\) at .*test_compile_mutation.py:\d+: "
                                         r"return x \* 2.0; the compiled"):
        compile(quiet, [1.0])


def test_the_refusal_of_a_value_computed_outside_says_what_to_do():
    h = Value(2.0) * 3.0
    with pytest.raises(TraceError, match=r"; compute it inside, or pass it as an input$"):
        compile(lambda x: x * h, [1.0])


def test_a_negative_constant_inside_a_partial_is_parenthesised():
    assert "g0 += 1 / (-2.0) * g1" in compile(lambda x: x / -2.0, [1.0]).source


def test_freeing_after_linecache_was_cleared_reports_nothing(monkeypatch):
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    c = compile(lambda x: x * 2.0, [1.0])
    linecache.clearcache()
    del c
    gc.collect()
    assert reported == []
