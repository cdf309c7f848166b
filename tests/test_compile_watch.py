"""What ``compile`` watches besides the inputs: every way ``f`` can reach a Value or a number
that the walk follows, each changed in turn, and the compiled result kept equal to ``f``'s."""

from __future__ import annotations

import functools
import types

import pytest

from autograd_tiny import TraceError, Value, compile

GA = 2.0
GB = 3.0
FACTOR = 5.0
CALLED = 7.0


def test_a_global_number_is_watched():
    global FACTOR
    c = compile(lambda x: x * FACTOR, [1.0])
    FACTOR = 6.0
    try:
        assert c(1.0) == 6.0
    finally:
        FACTOR = 5.0


def test_globals_named_in_every_nested_function_are_watched():
    global GA, GB

    def f(x):
        a = lambda: GA  # noqa: E731
        b = lambda: (lambda: GB)()  # noqa: E731
        return x * a() * b() * Value(1.0)

    c = compile(f, [1.0])
    assert c(1.0) == 6.0
    GA = 4.0
    try:
        assert c(1.0) == 12.0
    finally:
        GA = 2.0


class Box:
    def __init__(self, k: Value) -> None:
        self.k = k

    def scaled(self, x: Value) -> Value:
        return x * self.k.data


class Scaler:
    def __init__(self) -> None:
        self.k = Value(2.0)

    def __call__(self, x: Value) -> Value:
        return x * self.k.data * CALLED


def _changes_are_followed(c, value: Value, before: float, after: float) -> None:
    assert c(1.0) == before
    value.data = after / before * value.data
    assert c(1.0) == after


def test_values_behind_methods_partials_defaults_tuples_and_lists_are_watched():
    # each Value is reachable by one path only
    method, partial_arg, keyword, default, kwdefault, in_tuple, in_list = (
        Value(2.0, name) for name in
        ("method", "partial", "keyword", "default", "kwdefault", "tuple", "list"))
    box = Box(method)
    part = functools.partial(lambda k, x, *, j: x * k.data * j.data, partial_arg, j=keyword)
    pair = (in_tuple, 1)
    items = [in_list]
    cycle: list = []
    cycle.append(cycle)

    def f(x, d=default, *, kd=kwdefault):
        assert Value is not None and cycle  # a class and a cycle on the way
        return (x * d.data * kd.data * pair[0].data * items[0].data
                + later[0](x) + later[1](x))

    later = [box.scaled, part]
    c = compile(f, [1.0])
    expected = c(1.0)
    for v in (method, partial_arg, keyword, default, kwdefault, in_tuple, in_list):
        v.data = 3.0
        interpreted = f(Value(1.0)).data
        assert c(1.0) == interpreted != expected, v.label
        v.data = 2.0
        expected = c(1.0)


def test_a_callable_object_and_its_classs_globals_are_watched():
    global CALLED
    s = Scaler()
    c = compile(s, [1.0])
    assert c(1.0) == 14.0
    s.k.data = 3.0
    assert c(1.0) == 21.0
    CALLED = 1.0
    try:
        assert c(1.0) == 3.0
    finally:
        CALLED = 7.0


def test_params_are_not_watched_they_are_read_live():
    w = Value(2.0, "w")
    c = compile(lambda x: x * w, [1.0], params=[w])
    first = c.traces[0]
    w.data = 5.0
    assert c(1.0) == 5.0 and c.traces == [first]


def test_a_constant_the_walk_cannot_reach_is_watched_as_a_constant():
    hidden = types.ModuleType("hidden")
    hidden.k = Value(2.0)
    c = compile(lambda x: x * hidden.k, [1.0])
    hidden.k.data = 3.0
    assert c(1.0) == 3.0


def test_what_f_changes_is_listed_up_to_three():
    counters = [Value(0.0, f"c{i}") for i in range(4)]

    def f(x):
        for c in counters:
            c.data += 1.0
        return x * 2.0

    with pytest.raises(TraceError) as info:
        compile(f, [1.0])
    text = str(info.value)
    assert "changes the Value 'c0', the Value 'c1', the Value 'c2' that it reads" in text \
        or "the Value 'c3', the Value 'c2', the Value 'c1' that it reads" in text
    assert text.count("the Value 'c") == 3
    assert text.endswith("; the compiled code would not change it. Use the interpreter.")


def test_the_outputs_must_be_values():
    with pytest.raises(TypeError, match=r"^the compiled function must return a Value, or a tuple "
                                        r"of Values whose first is differentiated; got float$"):
        compile(lambda x: 3.0, [1.0])


def test_argument_names_fall_back_to_positions():
    assert "in rows:  # x0, x1\n" in compile(max, [1.0, 2.0]).source
    assert "in rows:  # x0, x1\n" in compile(lambda *xs: xs[0] * xs[1], [1.0, 2.0]).source


def test_eight_paths_are_kept_by_default_then_the_interpreter_runs():
    from autograd_tiny import Compiled

    def f(x):
        out = x
        for t in range(10):
            if x > t:
                out = out * 1.5
        return out

    for c in (compile(f, [0.5]), Compiled(f, [0.5])):
        assert [c(t + 0.5) for t in range(10)] == [f(Value(t + 0.5)).data for t in range(10)]
        assert len(c.traces) == 8 and c.interpreted == 2


def test_bad_params_and_example_inputs_are_named():
    with pytest.raises(TypeError, match=r"^params must be Values, got float$"):
        compile(lambda x: x, [1.0], params=[1.0])
    with pytest.raises(TypeError, match=r"^example input must be a real number"):
        compile(lambda x: x, ["1"])


SETTINGS = {"k": 2.0}


def test_a_watched_entry_that_disappears_is_a_change():
    c = compile(lambda x: x * SETTINGS["k"], [1.0])
    assert c(1.0) == 2.0
    del SETTINGS["k"]
    try:
        with pytest.raises(KeyError):
            c(1.0)  # traced again, and f raises as the interpreter does
    finally:
        SETTINGS["k"] = 2.0
    assert c(1.0) == 2.0


def test_rows_that_are_not_all_floats_are_converted():
    c = compile(lambda x, y: x * y, [1.0, 2.0])
    assert c.accumulate([[1, 2.0], (3.0, 4)]) == [(2.0, 2.0, 1.0), (12.0, 4.0, 3.0)]
    assert c.accumulate(iter([(1.0, 2.0)])) == [(2.0, 2.0, 1.0)]


def test_an_equal_number_stored_anew_keeps_the_trace():
    box = {"k": 2.5}
    c = compile(lambda x: x * box["k"], [1.0])
    first = c.traces[0]
    box["k"] = float("2.5")  # another object, the same number
    assert c(1.0) == 2.5 and c.traces == [first]
