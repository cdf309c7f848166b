"""init="uniform" | "xavier" | "he": the weights' distribution, its saving, and bad names."""

from __future__ import annotations

import math
import random

import pytest

import nn


def _weights(layer):
    return [w.data for n in layer.neurons for w in n.w]


@pytest.mark.parametrize("init, nin, nout, bound", [
    ("uniform", 200, 300, 1.0),
    ("xavier", 200, 300, math.sqrt(6 / 500)),
    ("he", 200, 300, math.sqrt(6 / 200)),
    ("xavier", 50, 1200, math.sqrt(6 / 1250)),
])
def test_weights_are_uniform_on_the_documented_interval(init, nin, nout, bound):
    layer = nn.Layer(nin, nout, init=init, rng=random.Random(0))
    w = _weights(layer)
    n = len(w)
    mean = sum(w) / n
    var = sum((x - mean) ** 2 for x in w) / n
    # U(-a, a): mean 0, variance a**2 / 3, every weight inside and the extremes near +-a
    assert max(abs(x) for x in w) <= bound
    assert min(w) < -0.999 * bound and max(w) > 0.999 * bound
    assert abs(mean) < 4 * bound / math.sqrt(3 * n)
    assert var == pytest.approx(bound**2 / 3, rel=0.03)
    # uniform, not bell-shaped: half the weights within a / 2
    inner = sum(1 for x in w if abs(x) < bound / 2) / n
    assert inner == pytest.approx(0.5, abs=0.01)
    assert all(neuron.b.data == 0.0 for neuron in layer.neurons)


def test_xavier_and_he_variances_are_the_textbook_ones():
    nin, nout = 400, 200
    for init, want in (("xavier", 2 / (nin + nout)), ("he", 2 / nin)):
        w = _weights(nn.Layer(nin, nout, init=init, rng=random.Random(1)))
        var = sum(x * x for x in w) / len(w)
        assert var == pytest.approx(want, rel=0.03), init


def test_mlp_gives_every_layer_its_own_fan_in_and_fan_out():
    model = nn.MLP(30, [100, 10, 1], init="xavier", seed=3)
    sizes = [30, 100, 10, 1]
    for i, layer in enumerate(model.layers):
        bound = math.sqrt(6 / (sizes[i] + sizes[i + 1]))
        w = _weights(layer)
        assert max(abs(x) for x in w) <= bound
        assert max(abs(x) for x in w) > 0.8 * bound
    he = nn.MLP(30, [100, 10, 1], init="he", seed=3)
    assert max(abs(w.data) for w in he.layers[1].neurons[0].w) <= math.sqrt(6 / 100)


def test_a_lone_neuron_is_a_layer_of_one():
    neuron = nn.Neuron(1000, init="xavier", rng=random.Random(0))
    assert max(abs(w.data) for w in neuron.w) <= math.sqrt(6 / 1001)
    assert max(abs(w.data) for w in neuron.w) > 0.99 * math.sqrt(6 / 1001)


def test_uniform_is_the_default_and_draws_micrograds_weights_unchanged():
    a = nn.MLP(3, [4, 4, 1], seed=7)
    b = nn.MLP(3, [4, 4, 1], seed=7, init="uniform")
    assert a.state_dict() == b.state_dict()
    rng = random.Random(7)
    assert [w.data for w in a.layers[0].neurons[0].w] == [rng.uniform(-1, 1) for _ in range(3)]
    assert "init" not in a.config() and "init" not in repr(a)


def test_same_seed_same_stream_scaled():
    # every init draws the same uniforms from the rng, scaled to its own interval
    u = nn.MLP(20, [30], seed=5)
    x = nn.MLP(20, [30], seed=5, init="xavier")
    a = math.sqrt(6 / 50)
    for (_, p), (_, q) in zip(u.named_parameters(), x.named_parameters(), strict=True):
        assert q.data == pytest.approx(a * p.data, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("init", ["xavier", "he"])
def test_init_is_saved_and_load_rebuilds_it(tmp_path, init):
    model = nn.MLP(3, [5, 1], activation="tanh", seed=2, init=init)
    assert model.config()["init"] == init
    assert f"init={init!r}" in repr(model)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = nn.load(path)
    assert isinstance(loaded, nn.MLP)
    assert loaded.config() == model.config()
    assert loaded.state_dict() == model.state_dict()
    assert all(layer.init == init for layer in loaded.layers)
    layer = nn.Layer(4, 6, init=init, rng=random.Random(0))
    layer.save(tmp_path / "layer.json")
    assert nn.load(tmp_path / "layer.json").config() == layer.config()


@pytest.mark.parametrize("make", [
    lambda: nn.MLP(2, [3, 1], init="glorot"),
    lambda: nn.Layer(2, 3, init="Xavier"),
    lambda: nn.Neuron(2, init="kaiming"),
])
def test_an_unknown_init_raises_naming_it_and_the_choices(make):
    with pytest.raises(ValueError, match=r"unknown init .*choose one of uniform, xavier, he"):
        make()


def test_an_init_that_is_not_a_str_is_a_type_error_naming_the_choices():
    with pytest.raises(TypeError, match=r"init must be a str, one of uniform, xavier, he; "
                                        r"got NoneType"):
        nn.MLP(2, [3, 1], init=None)  # type: ignore[arg-type]


def test_a_bad_init_draws_nothing_from_the_rng():
    rng = random.Random(0)
    state = rng.getstate()
    with pytest.raises(ValueError, match="'bad'"):
        nn.Layer(3, 2, init="bad", rng=rng)
    assert rng.getstate() == state
