"""Module, Neuron, Layer, MLP: construction, parameters, state dicts, saving and loading."""

from __future__ import annotations

import ast
import json
import math
import os
import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd_tiny import Value


def test_parameters_order_and_labels_are_micrographs():
    model = nn.MLP(2, [3, 2, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    expected = [f"layers.{i}.neurons.{j}.{p}"
                for i, (nin, nout) in enumerate([(2, 3), (3, 2), (2, 1)])
                for j in range(nout)
                for p in [*(f"w.{k}" for k in range(nin)), "b"]]
    assert names == expected
    assert [p.label for p in model.parameters()] == expected
    assert model.parameters() == [p for _, p in model.named_parameters()]
    layer0 = model.layers[0]
    assert model.parameters()[:3] == [*layer0.neurons[0].w, layer0.neurons[0].b]
    assert len(model.parameters()) == 3 * 3 + 2 * 4 + 1 * 3


def test_standalone_layer_and_neuron_labels():
    neuron = nn.Neuron(3, rng=random.Random(0))
    assert [p.label for p in neuron.parameters()] == ["w.0", "w.1", "w.2", "b"]
    layer = nn.Layer(2, 2, rng=random.Random(0))
    assert [p.label for p in layer.parameters()][-3:] == ["neurons.1.w.0", "neurons.1.w.1",
                                                            "neurons.1.b"]


def test_init_is_micrograd_and_seeded_without_global_random():
    state = random.getstate()
    a = nn.MLP(2, [16, 16, 1], seed=7)
    assert random.getstate() == state
    b = nn.MLP(2, [16, 16, 1], seed=7)
    assert a.state_dict() == b.state_dict()
    assert nn.MLP(2, [16, 16, 1], seed=8).state_dict() != a.state_dict()
    for layer in a.layers:
        for n in layer.neurons:
            assert n.b.data == 0.0
            assert all(-1.0 <= w.data <= 1.0 for w in n.w)
    rng1, rng2 = random.Random(3), random.Random(3)
    assert nn.Layer(4, 5, rng=rng1).state_dict() == nn.Layer(4, 5, rng=rng2).state_dict()


def test_forward_values_by_hand_for_each_activation():
    x = [0.5, -2.0]
    for name, f in [("relu", lambda z: max(z, 0.0)), ("tanh", math.tanh),
                    ("sigmoid", lambda z: 1 / (1 + math.exp(-z))),
                    ("leaky_relu", lambda z: z if z > 0 else 0.01 * z), ("linear", lambda z: z)]:
        for sign in (1.0, -1.0):
            n = nn.Neuron(2, name, rng=random.Random(1))
            n.w[0].data, n.w[1].data, n.b.data = 0.3 * sign, 0.4 * sign, 0.1 * sign
            z = 0.3 * sign * 0.5 + 0.4 * sign * -2.0 + 0.1 * sign
            assert n(x).data == pytest.approx(f(z), abs=1e-15)


def test_layer_returns_one_value_or_a_list_and_mlp_chains_width_one_layers():
    assert isinstance(nn.Layer(2, 1, rng=random.Random(0))([1.0, 2.0]), Value)
    out = nn.Layer(2, 3, rng=random.Random(0))([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3
    model = nn.MLP(2, [1, 1, 2], activation="tanh", seed=0)
    out = model([0.1, 0.2])
    assert isinstance(out, list) and len(out) == 2
    assert isinstance(nn.MLP(1, [4, 1], seed=0)(0.5), Value)


def test_inputs_may_be_values_and_gradients_reach_them():
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    x = [Value(0.5, "x0"), Value(-1.0, "x1")]
    model(x).backward()
    assert x[0].grad != 0.0 and x[1].grad != 0.0


def test_fused_is_one_dot_node_and_matches_expanded_graph():
    fused = nn.MLP(3, [4, 2], activation="tanh", seed=5)
    expanded = nn.MLP(3, [4, 2], activation="tanh", seed=5, fused=False)
    assert fused.state_dict() == expanded.state_dict()
    out = fused.layers[0].neurons[0]([1.0, 2.0, 3.0])
    assert out.op == "tanh" and out.children[0].op == "dot"
    assert len(out.children[0].children) == 3 + 3 + 1
    plain = expanded.layers[0].neurons[0]([1.0, 2.0, 3.0])
    assert plain.children[0].op == "+"
    x = [0.3, -0.7, 1.1]
    a, b = fused(x), expanded(x)
    assert isinstance(a, list) and isinstance(b, list)
    for u, v in zip(a, b, strict=True):
        assert u.data == pytest.approx(v.data, rel=1e-14)
    Value.sum(a).backward()
    Value.sum(b).backward()
    for p, q in zip(fused.parameters(), expanded.parameters(), strict=True):
        assert p.grad == pytest.approx(q.grad, rel=1e-12, abs=1e-15)
    assert "fused=False" in repr(expanded)


def test_zero_grad():
    model = nn.MLP(2, [3, 1], seed=0)
    model([1.0, 1.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_repr_shows_the_architecture():
    text = repr(nn.MLP(2, [16, 16, 1], seed=0))
    assert "MLP(nin=2, nouts=[16, 16, 1]" in text and "parameters=337" in text
    assert "(layers.0): Layer(nin=2, nout=16, activation='relu')" in text
    assert "(layers.2): Layer(nin=16, nout=1, activation='linear')" in text
    assert repr(nn.Neuron(3, "tanh")) == "Neuron(nin=3, activation='tanh')"


@pytest.mark.parametrize("make, match", [
    (lambda: nn.Neuron(0), "nin"),
    (lambda: nn.Neuron(-3), "nin"),
    (lambda: nn.Layer(2, 0), "nout"),
    (lambda: nn.Layer(0, 2), "nin"),
    (lambda: nn.MLP(0, [2]), "nin"),
    (lambda: nn.MLP(2, []), "nouts"),
    (lambda: nn.MLP(2, [3, 0, 1]), r"nouts\[1\]"),
    (lambda: nn.MLP(2, [3, -1]), r"nouts\[1\]"),
    (lambda: nn.Neuron(2, "softmax"), "softmax"),
    (lambda: nn.Layer(2, 2, "ReLU"), "ReLU"),
    (lambda: nn.MLP(2, [2], activation="gelu"), "gelu"),
    (lambda: nn.MLP(2, [2], output_activation="swish"), "swish"),
])
def test_bad_construction_raises_value_error_naming_the_value(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_non_integer_sizes_raise_type_error():
    with pytest.raises(TypeError, match="nin"):
        nn.Neuron(2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="nouts"):
        nn.MLP(2, 3)  # type: ignore[arg-type]


def test_wrong_input_length_raises_value_error():
    model = nn.MLP(3, [4, 1], seed=0)
    with pytest.raises(ValueError, match="nin = 3, got length 2"):
        model([1.0, 2.0])
    with pytest.raises(ValueError, match="length 4"):
        nn.Layer(3, 2)([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="length 1"):
        nn.Neuron(2)([1.0])
    with pytest.raises(TypeError):
        model(["a", "b", "c"])


def test_state_dict_round_trip_and_strict_loading():
    model = nn.MLP(2, [3, 1], seed=0)
    state = model.state_dict()
    assert list(state) == [name for name, _ in model.named_parameters()]
    other = nn.MLP(2, [3, 1], seed=1)
    other.load_state_dict(state)
    assert other.state_dict() == state


@pytest.mark.parametrize("edit, error, names", [
    (lambda s: s.pop("layers.0.neurons.1.b"), KeyError, ["layers.0.neurons.1.b"]),
    (lambda s: s.update({"layers.9.w": 1.0, "extra": 2.0}), KeyError, ["extra", "layers.9.w"]),
    (lambda s: s.update({"layers.1.neurons.0.w.2": [1.0, 2.0]}), ValueError,
     ["layers.1.neurons.0.w.2"]),
    (lambda s: s.update({"layers.0.neurons.0.w.0": "0.5", "layers.0.neurons.0.b": None}),
     ValueError, ["layers.0.neurons.0.w.0", "layers.0.neurons.0.b"]),
])
def test_load_state_dict_failures_list_problems_and_change_nothing(edit, error, names):
    model = nn.MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    state = nn.MLP(2, [3, 1], seed=1).state_dict()
    edit(state)
    with pytest.raises(error) as info:
        model.load_state_dict(state)
    for name in names:
        assert repr(name) in str(info.value)
    assert model.state_dict() == before


def test_load_state_dict_reports_every_problem_at_once():
    model = nn.MLP(2, [1], seed=0)
    before = model.state_dict()
    state = {"layers.0.neurons.0.w.0": 1.0, "layers.0.neurons.0.w.1": "x", "bogus": 1.0}
    with pytest.raises(nn.StateDictError) as info:
        model.load_state_dict(state)
    err = info.value
    assert isinstance(err, KeyError) and isinstance(err, ValueError)
    assert err.missing == ["layers.0.neurons.0.b"]
    assert err.unexpected == ["bogus"]
    assert err.bad == ["layers.0.neurons.0.w.1"]
    assert model.state_dict() == before


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


finite = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.1, 1 / 3])


@settings(max_examples=30, deadline=None)
@given(st.lists(finite, min_size=13, max_size=13))
def test_save_load_round_trip_is_bit_exact(tmp_path_factory, values):
    path = tmp_path_factory.mktemp("save") / "model.json"
    model = nn.MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0,
                   fused=False)
    for p, v in zip(model.parameters(), values, strict=True):
        p.data = v
    model.save(path)
    loaded = nn.load(path)
    assert type(loaded) is nn.MLP
    assert loaded.config() == model.config()
    assert repr(loaded) == repr(model)
    assert [_bits(p.data) for p in loaded.parameters()] == [_bits(v) for v in values]
    assert [p.label for p in loaded.parameters()] == [p.label for p in model.parameters()]


def test_save_load_layer_and_neuron_and_outputs_match(tmp_path):
    for module in (nn.Layer(3, 2, "leaky_relu", rng=random.Random(2)),
                   nn.Neuron(4, "sigmoid", rng=random.Random(2)),
                   nn.MLP(2, [5, 5, 3], seed=3)):
        path = tmp_path / f"{type(module).__name__}.json"
        module.save(str(path))
        loaded = nn.load(path)
        assert type(loaded) is type(module)
        assert loaded.state_dict() == module.state_dict()
        x = [0.1 * (i + 1) for i in range(module.config()["nin"])]
        a, b = module(x), loaded(x)
        a_list = a if isinstance(a, list) else [a]
        b_list = b if isinstance(b, list) else [b]
        assert [v.data for v in a_list] == [v.data for v in b_list]


def test_saved_file_is_readable_json_without_pickle(tmp_path):
    path = tmp_path / "m.json"
    nn.MLP(2, [2, 1], seed=0).save(path)
    doc = json.loads(path.read_text())
    assert doc["format"] == "autograd-tiny.nn" and doc["version"] == 1
    assert doc["module"] == {"type": "MLP", "config": {
        "nin": 2, "nouts": [2, 1], "activation": "relu", "output_activation": "linear",
        "fused": True}}
    assert set(doc["state"]) == {name for name, _ in nn.MLP(2, [2, 1]).named_parameters()}
    folder = os.path.dirname(nn.__file__)
    imported = set()
    for f in os.listdir(folder):
        if f.endswith(".py"):
            with open(os.path.join(folder, f), encoding="utf-8") as source:
                tree = ast.parse(source.read())
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    imported |= {a.name.split(".")[0] for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module:
                    imported.add(node.module.split(".")[0])
    assert "json" in imported
    assert not imported & {"pickle", "marshal", "shelve", "dill", "cloudpickle"}


def _leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name != "model.json")


@pytest.mark.parametrize("target", ["os.replace", "os.fsync"])
def test_failed_save_leaves_old_file_and_no_temp_file(tmp_path, monkeypatch, target):
    path = tmp_path / "model.json"
    old = nn.MLP(2, [3, 1], seed=0)
    old.save(path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(target, boom)
    with pytest.raises(OSError, match="disk full"):
        nn.MLP(2, [3, 1], seed=1).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == []
    assert nn.load(path).state_dict() == old.state_dict()


def test_failed_serialisation_leaves_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    nn.MLP(2, [1], seed=0).save(path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(json, "dumps", boom)
    with pytest.raises(RuntimeError):
        nn.MLP(2, [1], seed=1).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == []


def test_save_of_a_module_without_config_raises(tmp_path):
    class Custom(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="config"):
        Custom().save(tmp_path / "c.json")
    assert list(tmp_path.iterdir()) == []


def _good_doc():
    model = nn.MLP(2, [2, 1], seed=0)
    return {"format": "autograd-tiny.nn", "version": 1,
            "module": {"type": "MLP", "config": model.config()}, "state": model.state_dict()}


@pytest.mark.parametrize("text, match", [
    ("", "not valid JSON"),
    ("not json at all", "not valid JSON"),
    (json.dumps(_good_doc())[:-40], "not valid JSON"),
    ("[1, 2, 3]", "top level"),
    (json.dumps({**_good_doc(), "format": "pickle"}), "format"),
    (json.dumps({**_good_doc(), "version": 2}), "version"),
    (json.dumps({**_good_doc(), "module": {"type": "Transformer", "config": {}}}), "Transformer"),
    (json.dumps({**_good_doc(), "module": "MLP"}), "module"),
    (json.dumps({**_good_doc(), "state": [1.0]}), "state"),
    (json.dumps({**_good_doc(), "module": {"type": "MLP", "config": {"nin": 2, "nouts": []}}}),
     "nouts"),
    (json.dumps({**_good_doc(), "module": {"type": "MLP", "config": {"width": 2}}}), "width"),
])
def test_load_of_bad_files_raises_value_error(tmp_path, text, match):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        nn.load(path)


def test_load_of_binary_garbage_and_wrong_weights(tmp_path):
    path = tmp_path / "bad.json"
    path.write_bytes(b"\x80\x81\xff\x00")
    with pytest.raises(ValueError, match="not valid JSON"):
        nn.load(path)
    doc = _good_doc()
    doc["state"]["bogus"] = doc["state"].pop("layers.1.neurons.0.b")
    doc["state"]["layers.0.neurons.0.w.0"] = [0.1, 0.2]
    path.write_text(json.dumps(doc))
    with pytest.raises(KeyError, match="layers.1.neurons.0.b") as info:
        nn.load(path)
    assert "layers.0.neurons.0.w.0" in str(info.value) and "bogus" in str(info.value)
    del doc["state"]["bogus"]
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="describes 9 parameters but the file holds only 8"):
        nn.load(path)


def test_successful_save_leaves_only_the_file_with_the_usual_permissions(tmp_path):
    path = tmp_path / "model.json"
    nn.MLP(2, [2, 1], seed=0).save(path)
    nn.MLP(2, [2, 1], seed=1).save(path)  # overwriting works too
    assert _leftovers(tmp_path) == []
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert nn.load(path).state_dict() == nn.MLP(2, [2, 1], seed=1).state_dict()


def test_load_state_dict_checks_every_entry_before_assigning_any():
    model = nn.MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    state = nn.MLP(2, [3, 1], seed=1).state_dict()
    names = list(state)
    state[names[5]] = 10**400  # too large for a float: float() would raise OverflowError
    state[names[9]] = math.nan
    state[names[10]] = -math.inf
    state[names[11]] = True
    with pytest.raises(nn.StateDictError) as info:
        model.load_state_dict(state)
    assert info.value.bad == [names[5], names[9], names[10], names[11]]
    assert "finite" in str(info.value)
    assert model.state_dict() == before


def test_load_state_dict_takes_numpy_numbers():
    np = pytest.importorskip("numpy")
    model = nn.Neuron(2, rng=random.Random(0))
    model.load_state_dict({"w.0": np.float32(0.5), "w.1": np.int64(-2), "b": 3})
    assert model.state_dict() == {"w.0": 0.5, "w.1": -2.0, "b": 3.0}
    assert all(type(p.data) is float for p in model.parameters())


@pytest.mark.parametrize("weight", [math.nan, math.inf, -math.inf])
def test_save_refuses_non_finite_weights_and_writes_nothing(tmp_path, weight):
    path = tmp_path / "model.json"
    nn.MLP(2, [1], seed=0).save(path)
    before = path.read_bytes()
    model = nn.MLP(2, [1], seed=1)
    model.parameters()[1].data = weight
    with pytest.raises(ValueError, match=r"non-finite weights \('layers.0.neurons.0.w.1' = "):
        model.save(path)
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == []


def _saved_text(weight: str) -> str:
    text = json.dumps(_good_doc())
    name = '"layers.0.neurons.0.b": 0.0'
    assert name in text
    return text.replace(name, f'"layers.0.neurons.0.b": {weight}')


@pytest.mark.parametrize("weight, match", [
    ("NaN", "NaN is not a number in strict JSON"),
    ("-Infinity", "-Infinity is not a number in strict JSON"),
    ("Infinity", "Infinity is not a number"),
    ("1e999", "layers.0.neurons.0.b"),
    ("1" * 401, "layers.0.neurons.0.b"),
    ("-" + "9" * 400 + ".5e10", "layers.0.neurons.0.b"),
])
def test_load_refuses_non_finite_and_huge_weights_with_value_error(tmp_path, weight, match):
    path = tmp_path / "model.json"
    path.write_text(_saved_text(weight))
    with pytest.raises(ValueError, match=match):
        nn.load(path)


def test_load_refuses_deep_nesting_with_value_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(ValueError, match="nested too deeply|not valid JSON"):
        nn.load(path)


@pytest.mark.parametrize("config, match", [
    ({"nin": 10**9, "nouts": [1]}, "describes 1000000001 parameters but the file holds only 3"),
    ({"nin": 2, "nouts": [10**6, 10**6]}, "the file holds only 3"),
    ({"nin": 2, "nouts": [1], "fused": "no"}, "fused must be True or False, got str 'no'"),
    ({"nin": 2, "nouts": [1], "fused": 0}, "fused must be True or False"),
    ({"nin": 2, "nouts": 3}, "nouts must be a list"),
    ({"nin": "2", "nouts": [1]}, "nin must be an integer"),
    ({"nouts": [1]}, "nin"),
])
def test_load_checks_the_config_against_the_weights_before_building(tmp_path, config, match):
    doc = {"format": "autograd-tiny.nn", "version": 1,
           "module": {"type": "MLP", "config": config},
           "state": nn.MLP(2, [1], seed=0).state_dict()}
    path = tmp_path / "model.json"
    path.write_text(json.dumps(doc))
    assert path.stat().st_size < 1000
    with pytest.raises(ValueError, match=match):
        nn.load(path)


def test_layer_and_neuron_configs_are_checked_too(tmp_path):
    path = tmp_path / "model.json"
    for module_type, config in [("Layer", {"nin": 10**9, "nout": 10**9}),
                                ("Neuron", {"nin": 10**12})]:
        doc = {"format": "autograd-tiny.nn", "version": 1,
               "module": {"type": module_type, "config": config}, "state": {"b": 0.0}}
        path.write_text(json.dumps(doc))
        with pytest.raises(ValueError, match="the file holds only 1"):
            nn.load(path)


def test_a_module_without_parameter_count_gets_a_size_bound(tmp_path, registry):
    @nn.register
    class Scaled(nn.Module):
        def __init__(self, n: int) -> None:
            self.w = [Value(1.0) for _ in range(n)]

        def named_parameters(self):
            return [(f"w.{i}", w) for i, w in enumerate(self.w)]

        def config(self):
            return {"n": len(self.w)}

    path = tmp_path / "scaled.json"
    Scaled(3).save(path)
    assert nn.load(path).state_dict() == Scaled(3).state_dict()
    doc = json.loads(path.read_text())
    doc["module"]["config"]["n"] = 10**9
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="size 1000000000, larger than the 3 weights"):
        nn.load(path)


def test_load_reads_regular_files_only(tmp_path):
    with pytest.raises(ValueError, match="not a regular file"):
        nn.load(tmp_path)
    if os.path.exists("/dev/zero"):
        with pytest.raises(ValueError, match="not a regular file"):
            nn.load("/dev/zero")
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)
        with pytest.raises(ValueError, match="not a regular file"):
            nn.load(fifo)  # with no writer: must not block


def test_load_refuses_a_file_over_max_bytes(tmp_path):
    path = tmp_path / "model.json"
    nn.MLP(2, [3, 1], seed=0).save(path)
    size = path.stat().st_size
    with pytest.raises(ValueError, match=f"holds {size} bytes, more than max_bytes = 100"):
        nn.load(path, max_bytes=100)
    assert nn.load(path, max_bytes=size).state_dict() == nn.MLP(2, [3, 1], seed=0).state_dict()
    with open(path, "ab") as f:
        f.truncate(nn.module.MAX_BYTES + 1)  # sparse: no disk used
    with pytest.raises(ValueError, match="more than max_bytes"):
        nn.load(path)


def test_save_keeps_the_mode_of_an_existing_file(tmp_path):
    path = tmp_path / "model.json"
    nn.MLP(2, [1], seed=0).save(path)
    os.chmod(path, 0o600)
    nn.MLP(2, [1], seed=1).save(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert nn.load(path).state_dict() == nn.MLP(2, [1], seed=1).state_dict()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_save_writes_through_a_symlink_to_its_target(tmp_path):
    (tmp_path / "models").mkdir()
    target = tmp_path / "models" / "real.json"
    nn.MLP(2, [1], seed=0).save(target)
    link = tmp_path / "model.json"
    link.symlink_to(target)
    nn.MLP(2, [1], seed=1).save(link)
    assert link.is_symlink()
    assert nn.load(target).state_dict() == nn.MLP(2, [1], seed=1).state_dict()
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["real.json"]
    dangling = tmp_path / "new.json"
    dangling.symlink_to(tmp_path / "models" / "new-target.json")
    nn.MLP(2, [1], seed=2).save(dangling)
    assert dangling.is_symlink()
    assert nn.load(tmp_path / "models" / "new-target.json").state_dict() == \
        nn.MLP(2, [1], seed=2).state_dict()


def test_fused_must_be_a_bool():
    for make in (lambda: nn.MLP(2, [1], fused="no"), lambda: nn.Layer(2, 1, fused=1),
                 lambda: nn.Neuron(2, fused=None)):
        with pytest.raises(TypeError, match="fused must be True or False"):
            make()


def test_a_users_own_class_named_mlp_does_not_break_loading_a_saved_mlp(tmp_path, registry):
    path = tmp_path / "mlp.json"
    nn.MLP(2, [3, 1], seed=4).save(path)

    class MLP(nn.Module):  # a user's own model, unrelated to nn.MLP
        def __init__(self, n: int = 1) -> None:
            self.w = [Value(0.0) for _ in range(n)]

        def named_parameters(self):
            return [(f"w.{i}", w) for i, w in enumerate(self.w)]

        def config(self):
            return {"n": len(self.w)}

    loaded = nn.load(path)
    assert type(loaded) is nn.MLP
    assert loaded.state_dict() == nn.MLP(2, [3, 1], seed=4).state_dict()
    with pytest.raises(ValueError, match=r"'MLP' already belongs to nn\.layers\.MLP; register "
                                         r".*MLP under another name"):
        nn.register(MLP)
    nn.register(MLP, "my_mlp")  # under a name of its own it saves and loads beside nn.MLP
    MLP(3).save(tmp_path / "mine.json")
    assert type(nn.load(tmp_path / "mine.json")) is MLP
    assert type(nn.load(path)) is nn.MLP


def test_an_unregistered_module_cannot_be_saved_and_says_how(tmp_path):
    class Mine(nn.Module):
        def config(self):
            return {}

    with pytest.raises(TypeError, match="not registered for saving: decorate it with "
                                        "@nn.register"):
        Mine().save(tmp_path / "mine.json")
    assert list(tmp_path.iterdir()) == []


def test_register_refuses_what_is_not_a_module_or_a_second_name(registry):
    with pytest.raises(TypeError, match="subclass of nn.Module"):
        nn.register(int)  # type: ignore[type-var]
    with pytest.raises(TypeError, match="non-empty str"):
        nn.register(nn.MLP, 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="already registered as 'MLP'"):
        nn.register(nn.MLP, "mlp2")
    assert nn.register(nn.MLP) is nn.MLP  # again under its own name: nothing changes


def test_every_exported_module_that_saves_is_registered():
    exported = [obj for obj in map(vars(nn).get, nn.__all__)
                if isinstance(obj, type) and issubclass(obj, nn.Module) and obj is not nn.Module]
    assert exported
    for cls in exported:
        assert nn.module.saved_type(cls.__name__) is cls, cls
