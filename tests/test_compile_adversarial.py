"""autograd_tiny.compile tried adversarially: hostile labels and argument names, state ``f``
reads besides its inputs, plain calls, unused ops that raise, odd inputs, refusals, threads,
recovery cost, and a differential test of random programs against the interpreter."""

from __future__ import annotations

import copy
import gc
import linecache
import math
import pickle
import random
import threading
import unicodedata

import numpy as np
import pytest
from compile_support import examples, same
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn
from autograd_tiny import Compiled, TraceError, Value, compile
from autograd_tiny.ops import OPS
from autograd_tiny.testing import call


def outcome(run):
    """``run()``'s result, or the type of the error it raised."""
    try:
        return run()
    except (ArithmeticError, ValueError, TypeError) as e:
        return type(e)


def assert_same(got, expected):
    if isinstance(expected, type) or isinstance(got, type):
        assert got is expected, (got, expected)
        return
    flat_got, flat_expected = _flatten(got), _flatten(expected)
    assert len(flat_got) == len(flat_expected), (got, expected)
    assert all(same(a, b) for a, b in zip(flat_got, flat_expected, strict=True)), (got, expected)


def _flatten(x):
    if isinstance(x, (tuple, list)):
        return [y for item in x for y in _flatten(item)]
    assert type(x) is float, (type(x), x)
    return [x]


def interpreted(f, xs, argnums=None, seed=1.0):
    """(value, grads) as f(*Values).backward(seed) gives them."""
    vs = [Value(x) for x in xs]
    out = f(*vs)
    out.backward(seed)
    picked = range(len(xs)) if argnums is None else argnums
    return out.data, tuple(vs[i].grad for i in picked)


# Labels and names chosen to collide with what a code generator might write: its own names,
# Python's, and spellings Python folds to one identifier (NFKC).
HOSTILE_LABELS = [
    "g_x", "x", "g_g_x", "v0", "v1", "g0", "g1", "g2", "n0", "p0", "x0", "seed", "rows",
    "params", "grads", "results", "backward", "ｓｅｅｄ", "µ", "μ", "ｘ", "ℓ", "l", "x²", "x₁",
    "½x", "w⁽¹⁾", "class", "lambda", "None", "sum", "tanh", "power", "mul", "inf", "nan",
    "print", "__import__", "1", "0x", "a b", "a\nb", "a\rb", "a\u2028b", "'", '"""', "\\",
    "# no", "", "x.data", "𝐱", "ﬁ", "Ⅸ",
]
HOSTILE_NAMES = ["x", "g_x", "ｘ", "v0", "g0", "seed", "rows", "results", "grads", "µ", "μ",
                 "ℓ", "l", "xᵢ", "ｓｅｅｄ", "tanh", "sum", "inf", "nan", "mul", "power",
                 "print", "𝐱", "ﬁ", "Ⅸ", "_", "__"]
assert all(name.isidentifier() for name in HOSTILE_NAMES)


def _function(names, body):
    """``def f(<names>): return body(<names>)``, with these very parameter names."""
    namespace = {"body": body}
    exec(f"def f({', '.join(names)}):\n    return body({', '.join(names)})\n", namespace)
    return namespace["f"]


def test_a_label_equal_to_a_generated_name_changes_nothing():
    def f(x):
        y = x * x
        y.label = "g_x"
        z = y * y
        z.label = "x"
        return z

    c = compile(f, [2.0])
    assert c.value_and_grad(2.0) == (16.0, (32.0,))
    g = _function(["x", "g_x"], lambda x, g_x: (x ** 2.0) * (x ** 2.0) + g_x)
    c = compile(g, [2.0, 5.0])
    assert_same(c.value_and_grad(2.0, 5.0), interpreted(g, [2.0, 5.0]))


@pytest.mark.parametrize("first, second", [("µ", "μ"), ("ｘ", "x"), ("ℓ", "l"),
                                           ("ｓｅｅｄ", "seed"), ("𝐱", "x"), ("ﬁ", "fi")])
def test_labels_python_folds_to_one_identifier_stay_apart(first, second):
    def f(x, y):
        a = x * 3.0
        a.label = first
        b = y * 5.0
        b.label = second
        out = a * b + a
        out.label = "seed"
        return out

    c = compile(f, [1.0, 2.0])
    for xs in ([1.0, 2.0], [-0.5, 3.0]):
        assert_same(c.value_and_grad(*xs, seed=2.0), interpreted(f, xs, seed=2.0))


@pytest.mark.parametrize("label", HOSTILE_LABELS)
def test_any_label_compiles_and_stays_in_its_comment(label):
    def f(x):
        y = x.tanh()
        y.label = label
        out = y * x
        out.label = label
        return out

    c = compile(f, [0.5])
    plain = compile(lambda x: x.tanh() * x, [0.5])
    assert len(c.source.splitlines()) == len(plain.source.splitlines())  # no line broken
    assert_same(c.value_and_grad(0.5), interpreted(f, [0.5]))


def test_argument_names_that_fold_or_shadow_are_only_comments():
    names = ["ｘ", "g_x", "seed", "v0"]
    f = _function(names, lambda a, b, c, d: a * b + c * d)
    c = compile(f, [1.0, 2.0, 3.0, 4.0])
    assert_same(c.value_and_grad(1.0, 2.0, 3.0, 4.0), interpreted(f, [1.0, 2.0, 3.0, 4.0]))
    assert "# x, g_x, seed, v0" in c.source  # Python itself folds ｘ to x


def test_a_closed_over_value_read_through_data_is_traced_again_when_it_changes():
    k = Value(2.0, "k")
    c = compile(lambda x: x * k.data, [1.0])
    assert c(1.5) == 3.0
    k.data = 3.0
    assert c(1.5) == 4.5


def test_a_closed_over_number_is_watched_too():
    scale = [2.0]
    c = compile(lambda x: x * scale[0], [1.0])
    scale[0] = -1.0
    assert c(3.0) == -3.0


def test_a_constant_changed_from_zero_to_minus_zero_is_noticed():
    k = Value(0.0)
    c = compile(lambda x: x * k, [1.0])
    assert same(c(1.0), 0.0)
    k.data = -0.0
    assert same(c(1.0), -0.0)


def test_eval_mode_batch_norm_statistics_are_read_fresh():
    bn = nn.BatchNorm(1)
    bn.eval()

    def f(x):
        return bn([x])[0][0]

    c = compile(f, [1.0])
    bn.running_mean[0].data = 0.5
    bn.running_var[0].data = 4.0
    assert_same(c.value_and_grad(3.0), interpreted(f, [3.0]))


def test_a_function_that_changes_what_it_reads_is_refused():
    calls = Value(0.0, "calls")

    def f(x):
        calls.data += 1.0  # the compiled code would not count
        return x * 2.0

    with pytest.raises(TraceError, match="changes the Value 'calls'"):
        compile(f, [1.0])
    bn = nn.BatchNorm(1)  # training mode moves the running statistics at every call
    with pytest.raises(TraceError):
        compile(lambda x, y: bn([x, y])[0][0], [1.0, 2.0])


def test_a_plain_call_computes_no_gradient():
    w = Value(0.5, "w")
    c = compile(lambda x: (x * w).tanh(), [1.0], params=[w])
    assert c(3.0) == math.tanh(1.5)
    assert w.grad == 0.0
    assert c(0.0) == 0.0 and w.grad == 0.0
    c.value_and_grad(3.0)
    assert w.grad != 0.0


def test_a_plain_call_does_not_raise_where_only_backward_would():
    f = lambda x: x.sqrt()  # noqa: E731  (d/dx sqrt(x) at 0 divides by zero)
    c = compile(f, [4.0])
    assert c(0.0) == 0.0
    with pytest.raises(ZeroDivisionError):
        c.value_and_grad(0.0)


def test_an_unused_op_that_raises_still_raises():
    def f(x):
        (x - 2.0).log()  # unused, but the interpreter runs it
        return x * 2.0

    c = compile(f, [3.0])
    with pytest.raises(ValueError, match="log"):
        f(Value(1.0))
    with pytest.raises(ValueError, match="log"):
        c(1.0)
    with pytest.raises(ValueError, match="log"):
        c.value_and_grad(1.0)


def test_inputs_are_converted_as_value_converts_them():
    f = lambda x: x * 1.0  # noqa: E731
    c = compile(f, [1.0])
    out = c(np.float32(0.3))
    assert type(out) is float and out == Value(np.float32(0.3)).data
    big = 2**53 + 1
    assert type(c(big)) is float and c(big) == float(big)
    value, grads = c.value_and_grad(np.int64(3))
    assert type(value) is float and type(grads[0]) is float
    with pytest.raises(TypeError, match="str"):
        c("2.0")
    with pytest.raises(TypeError, match="str"):
        c.accumulate([("2.0",)])
    with pytest.raises(TypeError, match="str"):
        compile(f, ["2.0"])


@pytest.mark.parametrize("body, what", [
    (lambda x: (x.backward(), x)[1], "backward"),
    (lambda x: (x * 2.0).backward(create_graph=True) or x, "backward"),
    (lambda x: (repr(x), x)[1], "repr"),
    (lambda x: (f"{x}", x)[1], "formats"),
    (lambda x: (f"{x:>30}", x)[1], "formats"),
    (lambda x: (str(x), x)[1], "repr"),
])
def test_showing_or_differentiating_a_traced_value_inside_f_is_refused(body, what):
    with pytest.raises(TraceError, match=what) as info:
        compile(body, [1.5])
    assert "test_compile_adversarial.py:" in str(info.value)


def test_a_data_read_is_refused_even_right_before_an_op_on_the_same_value():
    def f(x):
        k = x.data  # the engine reads x next, for relu: this read is still the user's
        return Value.relu(x) * k

    with pytest.raises(TraceError, match="reads .data") as info:
        compile(f, [1.5])
    assert "k = x.data" in str(info.value)


def test_engine_methods_called_unbound_are_not_refusals():
    f = lambda x, y: Value.relu(x) + Value.__mul__(x, y) + Value.sum([x, y])  # noqa: E731
    c = compile(f, [1.0, 2.0])
    assert_same(c.value_and_grad(-1.0, 2.0), interpreted(f, [-1.0, 2.0]))


def test_threads_sharing_a_compiled_function_lose_no_gradient():
    w = Value(0.0, "w")
    c = compile(lambda x: x * w, [1.0], params=[w])
    per_thread, threads = 2000, 4

    def work():
        for _ in range(per_thread):
            c.value_and_grad(1.0)

    runners = [threading.Thread(target=work) for _ in range(threads)]
    for t in runners:
        t.start()
    for t in runners:
        t.join()
    assert w.grad == per_thread * threads  # each call adds exactly 1.0


def test_recovery_after_a_raising_row_runs_each_row_a_bounded_number_of_times():
    f = lambda x: (x - 1.0).log() * x  # noqa: E731
    c = compile(f, [3.0])
    run = c.traces[0].run
    pulled = [0]

    def counted(rows, *args):
        def each():
            for row in rows:
                pulled[0] += 1
                yield row
        return run(each(), *args)

    c.traces[0].run = counted
    n = 400
    rows = [(3.0 + i,) for i in range(n - 1)] + [(0.5,)]  # the last raises
    with pytest.raises(ValueError, match="log"):
        c.accumulate(rows)
    assert pulled[0] <= 2 * n


def test_generated_sources_leave_linecache_when_freed():
    def ours():
        return {k for k in linecache.cache if k.startswith("<autograd_tiny.compile")}

    before = ours()
    c = compile(lambda x: x * 2.0, [1.0])
    added = ours() - before
    assert len(added) == 1
    del c
    gc.collect()
    assert not (ours() & added)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"max_traces": "3"}, TypeError, "max_traces must be an int, got str"),
    ({"max_traces": 0}, ValueError, "max_traces"),
    ({"max_traces": True}, TypeError, "max_traces must be an int, got bool"),
    ({"argnums": (0, 0)}, ValueError, "argnums"),
])
def test_bad_options_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        compile(lambda x, y: x * y, [1.0, 2.0], **kwargs)


def test_a_value_computed_outside_is_named_in_the_refusal():
    h = Value(2.0, "h") * 3.0
    with pytest.raises(TraceError) as info:
        compile(lambda x: x * h, [1.0])
    assert "{v.op" not in str(info.value) and "'*'" in str(info.value)


def test_fit_refuses_compile_for_a_whole_batch_model_without_blaming_batch_norm():
    model = nn.Sequential(nn.Layer(2, 1, activation="linear"))
    X, y = [[0.0, 1.0], [1.0, 0.0]], [1.0, -1.0]
    with pytest.raises(ValueError, match="compile") as info:
        nn.fit(model, X, y, loss="mse", optimizer=nn.SGD(model.parameters(), lr=0.1),
               epochs=1, progress=False, compile=True)
    assert "batch norm" not in str(info.value).lower()


def _rnn_output(steps: int) -> Value:
    rnn = nn.RNN(1, 2, rng=random.Random(0))
    xs = [[Value(0.01 * t)] for t in range(steps)]
    return Value.sum(rnn(xs)[1])


def test_a_deep_graph_pickles_and_copies():
    out = _rnn_output(100)
    out.backward()
    for loaded in (pickle.loads(pickle.dumps(out)), copy.deepcopy(out)):
        assert loaded is not out and same(loaded.data, out.data) and loaded.op == out.op
        stack, seen, nodes = [(loaded, out)], set(), 0
        while stack:
            a, b = stack.pop()
            if id(a) in seen:
                continue
            seen.add(id(a))
            nodes += 1
            assert same(a.data, b.data) and same(a.grad, b.grad) and a.label == b.label
            assert a.op == b.op and len(a.children) == len(b.children)
            stack += list(zip(a.children, b.children, strict=True))
        assert nodes > 200


def test_pickling_keeps_shared_nodes_shared():
    x = Value(2.0, "x")
    y = x * x
    z = y + x
    deep = _rnn_output(60)
    a, b, c, d = pickle.loads(pickle.dumps((x, z, y, deep)))
    assert c.children == (a, a) and b.children == (c, a)  # shared, as in the original
    a2, b2 = copy.deepcopy((x, z))
    assert b2.children[1] is a2
    shallow = copy.copy(z)
    assert shallow is not z and shallow.children == z.children
    again = pickle.loads(pickle.dumps(deep))  # nothing left over from the last pickling
    assert same(again.data, d.data)


def test_negative_running_var_is_refused_at_load(tmp_path):
    bn = nn.BatchNorm(2)
    state = bn.state_dict()
    state["running_var.1"] = -0.5
    with pytest.raises(ValueError, match="running_var.1"):
        bn.load_state_dict(state)
    assert bn.running_var[1].data == 1.0  # nothing changed
    model = nn.Sequential(nn.Layer(2, 2, activation="linear"), nn.BatchNorm(2))
    model.layers[1].running_var[0].data = -1.0
    path = tmp_path / "model.json"
    model.save(path)
    with pytest.raises(ValueError, match=r"layers\.1\.running_var\.0"):
        nn.load(path)


# The differential test: random programs over the op table, hostile labels and argument
# names, params among the operands, compiled and interpreted, compared bit for bit.
_ARITY = {name: (op.arity if op.arity > 0 else 3) for name, op in OPS.items()}


def _apply(name: str, operands: list[Value]) -> Value:
    if name == "leaky_relu":
        return operands[0].leaky_relu(0.05)
    return call(OPS[name], operands[:_ARITY[name]])


@st.composite
def programs(draw):
    names = draw(st.lists(st.sampled_from(HOSTILE_NAMES), min_size=1, max_size=3,
                          unique_by=lambda n: unicodedata.normalize("NFKC", n)))
    params = draw(st.lists(st.tuples(st.floats(-2, 2), st.sampled_from(HOSTILE_LABELS)),
                           max_size=2))
    steps = draw(st.lists(st.tuples(
        st.sampled_from([*OPS, "branch"]),
        st.lists(st.integers(0, 50), min_size=3, max_size=3),
        st.sampled_from(HOSTILE_LABELS)), min_size=1, max_size=8))
    unused = draw(st.booleans())
    points = draw(st.lists(st.lists(st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -3.0, 1e-3]),
                                    min_size=len(names), max_size=len(names)),
                           min_size=2, max_size=4))
    return names, params, steps, unused, points


def _program(names, params, steps, unused):
    ws = [Value(x, label) for x, label in params]

    def body(*xs):
        values = [*xs, *ws]
        for name, picks, label in steps:
            operands = [values[k % len(values)] for k in picks]
            if name == "branch":  # data-dependent Python: a guard
                v = operands[0] if operands[0] > operands[1] else operands[1] * 2.0
            else:
                v = _apply(name, operands)
            v.label = label
            values.append(v)
        return values[-2] if unused and len(values) > len(xs) + len(ws) + 1 else values[-1]

    return _function(names, body), ws


@settings(max_examples=examples(250), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs())
def test_random_programs_with_hostile_names_compile_to_the_interpreters_results(program):
    names, params, steps, unused, points = program
    f, ws = _program(names, params, steps, unused)

    def run_interpreted(xs):
        for w in ws:
            w.grad = 0.0
        vs = [Value(x) for x in xs]
        out = f(*vs)
        out.backward(0.5)
        return out.data, tuple(v.grad for v in vs), tuple(w.grad for w in ws)

    def run_compiled(c, xs):
        for w in ws:
            w.grad = 0.0
        value, grads = c.value_and_grad(*xs, seed=0.5)
        return value, grads, tuple(w.grad for w in ws)

    def forward(xs):
        return f(*[Value(x) for x in xs]).data

    first = outcome(lambda: f(*[Value(x) for x in points[0]]))
    if isinstance(first, type):  # the example inputs raise: so does compiling there
        with pytest.raises(first):
            compile(f, points[0], params=ws)
        return
    c = compile(f, points[0], params=ws)
    for xs in points:
        expected = outcome(lambda xs=xs: run_interpreted(xs))
        got = outcome(lambda xs=xs: run_compiled(c, xs))
        assert_same(got, expected)
        assert_same(outcome(lambda xs=xs: c(*xs)), outcome(lambda xs=xs: forward(xs)))


def test_compiled_is_exported_under_its_names():
    import autograd_tiny

    assert autograd_tiny.compile is compile and callable(autograd_tiny.compile)
    assert isinstance(compile(lambda x: x, [1.0]), Compiled)
    assert autograd_tiny.compiler.Compiled is Compiled


def test_pickling_is_linear_in_the_graph():
    sizes = [len(pickle.dumps(_rnn_output(steps))) for steps in (40, 80)]
    assert sizes[1] < 2.2 * sizes[0]
    leaf = Value(1.0, "x")
    assert leaf.__reduce__()[0].__name__ == "_node"  # a leaf alone is saved as it is


def test_pow_guards_the_sign_of_its_base_at_zero():
    c = compile(lambda a, b: a ** b, [2.0, 3.0])
    assert [(g.op, g.rhs, g.outcome) for g in c.guards] == [("<", 0.0, False)]


def test_recovery_after_a_raising_row_keeps_every_row_before_it():
    w = Value(0.5, "w")

    def f(x):
        return (x - 3.0).log() * w if x > 2.0 else x * w

    rows = [(4.0,), (1.0,), (5.0,), (6.0,), (2.5,), (7.0,)]
    c = compile(f, [4.0], params=[w])
    with pytest.raises(ValueError) as compiled_error:
        c.accumulate(rows, seed=0.5)
    compiled_grad = w.grad
    w.grad = 0.0
    with pytest.raises(ValueError) as interpreted_error:
        for (x,) in rows:
            f(Value(x)).backward(0.5)
    assert str(compiled_error.value) == str(interpreted_error.value)
    assert "log" in str(compiled_error.value)
    assert same(compiled_grad, w.grad) and compiled_grad != 0.0


def test_a_deep_graph_pickles_in_another_thread():
    out = _rnn_output(100)
    loaded = []
    worker = threading.Thread(target=lambda: loaded.append(pickle.loads(pickle.dumps(out))))
    worker.start()
    worker.join()
    assert len(loaded) == 1 and same(loaded[0].data, out.data)
