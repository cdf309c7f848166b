"""nn.fit: XOR with hand-derived gradients, batching modes, schedules, regularisation, bad input."""

from __future__ import annotations

import math
import random

import pytest

import nn
from autograd_tiny import Value


def _sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def _xor_grads_by_hand(model, X, y):
    """BCE of a sigmoid 2-3-1 net, backpropagated in plain floats.

    h_ij = s(a_ij), a_ij = sum_k W_jk x_ik + b_j;  o_i = s(z_i), z_i = sum_j v_j h_ij + c;
    L = -1/n sum_i [t_i log o_i + (1 - t_i) log(1 - o_i)];  dL/dz_i = (o_i - t_i) / n.
    """
    hidden, out = model.layers[0].neurons, model.layers[1].neurons[0]
    W = [[w.data for w in n.w] for n in hidden]
    b = [n.b.data for n in hidden]
    v = [w.data for w in out.w]
    c = out.b.data
    n = len(X)
    dW = [[0.0, 0.0] for _ in range(3)]
    db = [0.0] * 3
    dv = [0.0] * 3
    dc = 0.0
    loss = 0.0
    for x, t in zip(X, y, strict=True):
        h = [_sigmoid(W[j][0] * x[0] + W[j][1] * x[1] + b[j]) for j in range(3)]
        o = _sigmoid(sum(v[j] * h[j] for j in range(3)) + c)
        loss -= (t * math.log(o) + (1 - t) * math.log(1 - o)) / n
        dz = (o - t) / n
        dc += dz
        for j in range(3):
            dv[j] += dz * h[j]
            da = dz * v[j] * h[j] * (1 - h[j])
            db[j] += da
            dW[j][0] += da * x[0]
            dW[j][1] += da * x[1]
    grads = []
    for j in range(3):
        grads += [dW[j][0], dW[j][1], db[j]]
    return loss, grads + dv + [dc]


def test_xor_gradients_equal_hand_derived_backprop():
    X, y = nn.datasets.xor()
    model = nn.MLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    expected_loss, expected = _xor_grads_by_hand(model, X, y)
    loss = nn.binary_cross_entropy([model(x) for x in X], y)
    assert loss.data == pytest.approx(expected_loss, rel=1e-13)
    model.zero_grad()
    loss.backward()
    assert [p.grad for p in model.parameters()] == pytest.approx(expected, rel=1e-11, abs=1e-15)

    # and one SGD step through fit moves each parameter by -lr * that gradient
    before = [p.data for p in model.parameters()]
    nn.fit(model, X, y, loss="bce", optimizer=nn.SGD(model.parameters(), lr=0.5), epochs=1,
           progress=False)
    after = [p.data for p in model.parameters()]
    assert after == pytest.approx([p - 0.5 * g for p, g in zip(before, expected, strict=True)],
                                  rel=1e-12)


def test_xor_training_separates_all_four_points():
    X, y = nn.datasets.xor()
    model = nn.MLP(2, [3, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    history = nn.fit(model, X, y, loss="bce", optimizer=nn.Adam(model.parameters(), lr=0.1),
                     epochs=300, progress=False)
    probs = [model(x).data for x in X]
    assert [p > 0.5 for p in probs] == [False, True, True, False]
    assert history.accuracy[-1] == 1.0
    assert history.loss[-1] < 0.05 < history.loss[0]


def _moons():
    return nn.datasets.make_moons(40, noise=0.1, seed=5)


def _moons_run(batch_size, epochs=15, seed=0):
    X, y = _moons()
    model = nn.MLP(2, [8, 1], seed=1)
    lr = {1: 0.05, 8: 0.2}.get(batch_size, 0.5)
    optimizer = nn.SGD(model.parameters(), lr=lr, momentum=0.5)
    history = nn.fit(model, X, y, loss="bce_logits", optimizer=optimizer, epochs=epochs,
                     batch_size=batch_size, seed=seed, progress=False)
    return model, history, optimizer


@pytest.mark.parametrize("batch_size", [None, 1, 8])
def test_full_batch_stochastic_and_mini_batch_reduce_the_loss(batch_size):
    X, y = _moons()
    initial = nn.binary_cross_entropy_with_logits([nn.MLP(2, [8, 1], seed=1)(x) for x in X], y)
    model, history, optimizer = _moons_run(batch_size)
    final = nn.binary_cross_entropy_with_logits([model(x) for x in X], y)
    assert final.data < 0.8 * initial.data
    assert history.loss[0] == pytest.approx(initial.data, rel=0.2)
    assert history.loss[-1] < 0.85 * history.loss[0]
    assert optimizer.steps == 15 * {None: 1, 1: 40, 8: 5}[batch_size]


def test_mini_batch_of_the_whole_set_equals_full_batch_exactly():
    full_model, full, _ = _moons_run(None)
    whole_model, whole, _ = _moons_run(40, seed=123)
    bigger_model, bigger, _ = _moons_run(1000)
    assert full.loss == whole.loss == bigger.loss
    assert full.accuracy == whole.accuracy
    assert full_model.state_dict() == whole_model.state_dict() == bigger_model.state_dict()


def test_shuffling_is_seeded():
    a, _, _ = _moons_run(4, epochs=2, seed=9)
    b, _, _ = _moons_run(4, epochs=2, seed=9)
    c, _, _ = _moons_run(4, epochs=2, seed=10)
    assert a.state_dict() == b.state_dict() != c.state_dict()
    state = random.getstate()
    _moons_run(4, epochs=1, seed=None)
    assert random.getstate() == state


def test_schedule_sets_lr_before_every_step():
    X, y = nn.datasets.make_moons(12, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    optimizer = nn.SGD(model.parameters(), lr=99.0)
    seen = []

    def schedule(k):
        seen.append(k)
        return 0.1 / (k + 1)

    history = nn.fit(model, X, y, loss="bce_logits", optimizer=optimizer, epochs=3,
                     batch_size=5, schedule=schedule, progress=False)
    assert seen == list(range(9))
    assert optimizer.lr == 0.1 / 9
    assert history.lr == [0.1 / 3, 0.1 / 6, 0.1 / 9]


def test_schedule_steps_follow_micrograds_learning_rate():
    X, y01 = nn.datasets.make_moons(10, seed=0)
    y = nn.datasets.signed_labels(y01)
    ours = nn.MLP(2, [4, 1], seed=3)
    ref = nn.MLP(2, [4, 1], seed=3)
    nn.fit(ours, X, y, loss="hinge", l2=1e-4, optimizer=nn.SGD(ours.parameters(), lr=0.0),
           epochs=5, schedule=nn.LinearDecay(1.0, 0.1, 100), progress=False)
    for k in range(5):  # micrograd's demo loop, written out
        scores = [ref(x) for x in X]
        data_loss = nn.hinge_loss(scores, y)
        total = data_loss + 1e-4 * nn.l2_penalty(ref.parameters())
        ref.zero_grad()
        total.backward()
        for p in ref.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
    assert ours.state_dict() == ref.state_dict()


def _overfit_problem():
    rng = random.Random(0)
    X = [[rng.gauss(0, 1) for _ in range(10)] for _ in range(8)]
    y = [2 * x[0] - x[1] + 0.1 * rng.gauss(0, 1) for x in X]
    return X, y


def _train_linear(**kwargs):
    X, y = _overfit_problem()
    model = nn.Neuron(10, "linear", rng=random.Random(1))
    nn.fit(model, X, y, loss="mse", optimizer=nn.SGD(model.parameters(), lr=0.05), epochs=300,
           progress=False, **kwargs)
    return [w.data for w in model.w]


def test_l2_shrinks_weights_and_l1_zeroes_most_of_them():
    plain = _train_linear()
    ridge = _train_linear(l2=0.1)
    lasso = _train_linear(l1=0.2)
    assert sum(w * w for w in ridge) < 0.7 * sum(w * w for w in plain)
    assert sum(abs(w) < 0.02 for w in plain) == 0
    assert sum(abs(w) < 0.02 for w in lasso) >= 5
    assert abs(lasso[0]) > 1.5 and abs(lasso[1]) > 0.5  # the two features that matter stay


def test_l2_term_is_added_to_the_recorded_loss():
    X, y = _overfit_problem()
    model = nn.Neuron(10, "linear", rng=random.Random(1))
    expected = (nn.mse_loss([model(x) for x in X], y)
                + 0.1 * nn.l2_penalty(model.parameters())
                + 0.2 * nn.l1_penalty(model.parameters())).data
    history = nn.fit(model, X, y, loss="mse", l2=0.1, l1=0.2, epochs=1, progress=False,
                     optimizer=nn.SGD(model.parameters(), lr=0.0))
    assert history.loss == [pytest.approx(expected, rel=1e-12)]
    assert math.isnan(history.accuracy[0])  # regression targets: no accuracy


def test_cross_entropy_on_three_spirals_and_argmax_accuracy():
    X, y = nn.datasets.make_spirals(30, n_classes=3, noise=0.0, turns=0.3, seed=0)
    model = nn.MLP(2, [12, 3], activation="tanh", seed=0)
    history = nn.fit(model, X, y, loss="cross_entropy",
                     optimizer=nn.Adam(model.parameters(), lr=0.05), epochs=40, progress=False)
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert history.accuracy[-1] >= 0.9


def test_callable_loss_and_accuracy_inference_and_override():
    X, y = nn.datasets.make_circles(20, seed=0)
    model = nn.MLP(2, [6, 1], output_activation="sigmoid", seed=0)
    calls = []

    def loss(preds, targets):
        calls.append(len(preds))
        return nn.mse_loss(preds, targets)

    history = nn.fit(model, X, y, loss=loss, optimizer=nn.SGD(model.parameters(), lr=0.1),
                     epochs=2, batch_size=7, progress=False, seed=0)
    assert calls == [7, 7, 6, 7, 7, 6]
    preds = [model(x).data for x in X]
    assert 0.0 <= history.accuracy[0] <= 1.0
    never = nn.fit(model, X, y, loss="mse", optimizer=nn.SGD(model.parameters(), lr=0.0),
                   epochs=1, progress=False, accuracy=lambda pred, label: False)
    assert never.accuracy == [0.0]
    by_half = nn.fit(model, X, y, loss="mse", optimizer=nn.SGD(model.parameters(), lr=0.0),
                     epochs=1, progress=False)
    assert by_half.accuracy[0] == sum((p > 0.5) == (t > 0.5) for p, t in zip(
        preds, y, strict=True)) / len(y)


def test_progress_bar(capsys):
    X, y = nn.datasets.xor()
    model = nn.MLP(2, [2, 1], seed=0)
    nn.fit(model, X, y, loss="bce_logits", optimizer=nn.SGD(model.parameters(), lr=0.1),
           epochs=2, progress=True)
    assert "fit" in capsys.readouterr().err
    nn.fit(model, X, y, loss="bce_logits", optimizer=nn.SGD(model.parameters(), lr=0.1),
           epochs=2, progress=False)
    assert capsys.readouterr().err == ""


def test_zero_epochs_changes_nothing():
    X, y = nn.datasets.xor()
    model = nn.MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    history = nn.fit(model, X, y, loss="bce_logits", optimizer=nn.SGD(model.parameters(), lr=1.0),
                     epochs=0, progress=False)
    assert history.loss == [] and model.state_dict() == before


def _fit(model=None, **overrides):
    X, y = nn.datasets.xor()
    model = nn.MLP(2, [2, 1], seed=0) if model is None else model
    kwargs = {"loss": "bce_logits", "optimizer": nn.SGD(model.parameters(), lr=0.1),
              "epochs": 1, "progress": False}
    kwargs.update(overrides)
    X = kwargs.pop("X", X)
    y = kwargs.pop("y", y)
    return nn.fit(model, X, y, **kwargs)


@pytest.mark.parametrize("overrides, match", [
    ({"X": [], "y": []}, "empty dataset"),
    ({"y": [0.0, 1.0, 1.0]}, "4 inputs but 3 labels"),
    ({"X": [[0.0, 1.0, 2.0]] * 4}, "nin = 2, got length 3"),
    ({"loss": "l2"}, "unknown loss 'l2'"),
    ({"epochs": -1}, "epochs = -1"),
    ({"batch_size": 0}, "batch_size = 0"),
    ({"batch_size": -4}, "batch_size = -4"),
    ({"l2": -1e-4}, "l2 = -0.0001"),
    ({"l1": float("inf")}, "l1 = inf"),
    ({"loss": "hinge"}, r"-1 or \+1"),
    ({"loss": "cross_entropy", "y": [0.0, 1.0, 2.0, 1.0]}, "index"),
    ({"schedule": lambda k: -1.0}, "lr = -1.0"),
])
@pytest.mark.parametrize("compile", [False, True])
def test_fit_bad_input_raises_value_error(overrides, match, compile):
    model = nn.MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=match):
        _fit(model=model, compile=compile, **overrides)
    assert model.state_dict() == before


def test_fit_rejects_a_loss_that_is_not_a_name_or_callable():
    with pytest.raises(TypeError, match="loss"):
        _fit(loss=3)


def test_history_values_are_floats():
    history = _fit(epochs=2)
    assert all(isinstance(v, float) for v in history.loss + history.accuracy)
    assert len(history.loss) == len(history.accuracy) == len(history.lr) == 2


def test_fit_works_on_value_inputs():
    X = [[Value(0.0), Value(1.0)], [Value(1.0), Value(0.0)]]
    model = nn.MLP(2, [2, 1], seed=0)
    history = nn.fit(model, X, [1.0, 0.0], loss="bce_logits", progress=False, epochs=3,
                     optimizer=nn.SGD(model.parameters(), lr=0.1))
    assert len(history.loss) == 3


def _problem(loss):
    """A small dataset and model for each named loss."""
    if loss == "cross_entropy":
        X, y = nn.datasets.make_spirals(18, n_classes=3, noise=0.0, turns=0.3, seed=0)
        return X, y, nn.MLP(2, [5, 3], activation="tanh", seed=2)
    X, y = nn.datasets.make_moons(16, noise=0.1, seed=4)
    if loss == "hinge":
        y = nn.datasets.signed_labels(y)
    if loss == "mse":
        y = [2.0 * x[0] - x[1] for x in X]  # regression targets: one trace for all of them
    out = "sigmoid" if loss == "bce" else "linear"
    return X, y, nn.MLP(2, [6, 1], output_activation=out, seed=2)


OPTIMIZERS = {
    "sgd": lambda ps: nn.SGD(ps, lr=0.1),
    "nesterov": lambda ps: nn.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "adam": lambda ps: nn.Adam(ps, lr=0.02, weight_decay=1e-3),
}


def _train(loss, optimizer, batch_size, compile):
    X, y, model = _problem(loss)
    opt = OPTIMIZERS[optimizer](model.parameters())
    history = nn.fit(model, X, y, loss=loss, optimizer=opt, epochs=4, batch_size=batch_size,
                     l2=1e-3, l1=1e-4, seed=7, progress=False, compile=compile,
                     schedule=nn.WarmupDecay(opt.lr, 2, 10))
    return history, model.state_dict()


@pytest.mark.parametrize("loss", list(nn.train.LOSSES))
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("batch_size", [None, 1, 5])
def test_compiled_fit_has_the_same_history_and_weights_bit_for_bit(loss, optimizer,
                                                                   batch_size):
    interpreted, weights = _train(loss, optimizer, batch_size, compile=False)
    compiled, compiled_weights = _train(loss, optimizer, batch_size, compile=True)
    assert compiled.loss == interpreted.loss
    assert compiled.accuracy == interpreted.accuracy or math.isnan(interpreted.accuracy[0])
    assert compiled_weights == weights
    assert compiled_weights != _problem(loss)[2].state_dict()  # it did train


def test_per_sample_backward_equals_the_whole_batch_graph_exactly():
    X, y, model = _problem("hinge")
    reference = nn.MLP(2, [6, 1], seed=2)
    nn.fit(model, X, y, loss="hinge", l2=1e-3, l1=1e-4, epochs=1, progress=False,
           optimizer=nn.SGD(model.parameters(), lr=0.0))
    total = (nn.hinge_loss([reference(x) for x in X], y)
             + 1e-3 * nn.l2_penalty(reference.parameters())
             + 1e-4 * nn.l1_penalty(reference.parameters()))
    total.backward()
    assert [p.grad for p in model.parameters()] == [p.grad for p in reference.parameters()]


def test_compile_needs_a_named_loss():
    with pytest.raises(ValueError, match="compile=True needs a named loss"):
        _fit(loss=nn.mse_loss, compile=True)


def test_compiled_fit_refuses_a_model_that_reads_data():
    X, y = nn.datasets.xor()

    def model(x):
        return x[0] * x[1].data + x[1]

    w = Value(0.5)
    with pytest.raises(TypeError, match="reads .data"):
        nn.fit(model, X, y, loss="mse", optimizer=nn.SGD([w], lr=0.1), epochs=1,
               progress=False, compile=True)


@pytest.mark.parametrize("result", [0.5, 1, None, [Value(1.0)]])
def test_a_loss_callable_that_returns_no_value_is_a_type_error(result):
    model = nn.MLP(2, [1], seed=0)
    before = model.state_dict()
    with pytest.raises(TypeError, match=f"the loss must return a Value .* got "
                                        f"{type(result).__name__}"):
        nn.fit(model, [[0.0, 1.0]], [1.0], loss=lambda preds, targets: result, epochs=1,
               optimizer=nn.SGD(model.parameters(), lr=0.1), progress=False)
    assert model.state_dict() == before


@pytest.mark.parametrize("overrides, named", [
    ({"y": [0.0, 1.0, 1.0, "0"]}, "str '0'"),
    ({"X": [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], "11"]}, "X\\[3\\]"),
    ({"X": [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, None]]}, "X\\[3\\]"),
])
@pytest.mark.parametrize("compile", [False, True])
def test_fit_checks_every_sample_and_label_before_the_first_step(overrides, named, compile):
    # one step per sample: a bad last sample found while training would come after 3 steps
    model = nn.MLP(2, [2, 1], seed=0)
    optimizer = nn.SGD(model.parameters(), lr=0.1)
    before = model.state_dict()
    with pytest.raises(TypeError, match=named):
        _fit(model=model, optimizer=optimizer, batch_size=1, compile=compile, **overrides)
    assert model.state_dict() == before
    assert optimizer.steps == 0


def test_fit_takes_numpy_arrays_as_lists():
    np = pytest.importorskip("numpy")
    X, y = nn.datasets.xor()
    histories = []
    for data in ((X, y), (np.array(X), np.array(y))):
        model = nn.MLP(2, [2, 1], seed=0)
        histories.append(_fit(model=model, X=data[0], y=data[1], epochs=3).loss)
    assert histories[0] == histories[1]
