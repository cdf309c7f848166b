"""Losses, penalties and softmax: values by hand, gradients by central differences, bad input."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd_tiny import Value, compile


def _numeric_grads(f, xs, eps=1e-6):
    grads = []
    for i in range(len(xs)):
        up = [x + (eps if j == i else 0.0) for j, x in enumerate(xs)]
        down = [x - (eps if j == i else 0.0) for j, x in enumerate(xs)]
        grads.append((f(up) - f(down)) / (2 * eps))
    return grads


def _check_grads(loss_fn, xs, rel=1e-5, abs_=1e-7):
    """loss_fn(list of Values) -> Value; analytic grads vs central differences."""
    vs = [Value(x) for x in xs]
    loss_fn(vs).backward()
    numeric = _numeric_grads(lambda ys: loss_fn([Value(y) for y in ys]).data, xs)
    assert [v.grad for v in vs] == pytest.approx(numeric, rel=rel, abs=abs_)


def _sigmoid(x):
    return 1 / (1 + math.exp(-x))


def test_mse_loss():
    preds, targets = [0.5, -1.0, 2.0], [1.0, 0.0, 2.5]
    assert nn.mse_loss([Value(p) for p in preds], targets).data == pytest.approx(
        (0.25 + 1.0 + 0.25) / 3)
    _check_grads(lambda vs: nn.mse_loss(vs, targets), preds)
    assert nn.mse_loss(Value(3.0), 1.0).data == 4.0


def test_hinge_loss():
    scores, labels = [0.5, -2.0, 0.3, 2.0], [1.0, -1.0, -1.0, -1.0]
    expected = (0.5 + 0.0 + 1.3 + 3.0) / 4
    assert nn.hinge_loss([Value(s) for s in scores], labels).data == pytest.approx(expected)
    _check_grads(lambda vs: nn.hinge_loss(vs, labels), scores)


def test_binary_cross_entropy():
    probs, targets = [0.9, 0.2, 0.6], [1.0, 0.0, 0.3]
    expected = -sum(t * math.log(p) + (1 - t) * math.log(1 - p)
                    for p, t in zip(probs, targets, strict=True)) / 3
    assert nn.binary_cross_entropy([Value(p) for p in probs], targets).data == pytest.approx(
        expected, rel=1e-14)
    _check_grads(lambda vs: nn.binary_cross_entropy(vs, targets), probs)


def test_binary_cross_entropy_at_saturated_probabilities_is_finite_like_pytorch():
    assert nn.binary_cross_entropy([Value(1.0), Value(0.0)], [1.0, 0.0]).data == 0.0
    assert nn.binary_cross_entropy([Value(0.0)], [1.0]).data == 100.0
    assert nn.binary_cross_entropy([Value(1.0)], [0.0]).data == 100.0


def test_bce_with_logits_matches_bce_of_sigmoid_and_is_stable():
    logits, targets = [2.0, -0.5, 0.1, -3.0], [1.0, 0.0, 1.0, 0.25]
    by_probs = nn.binary_cross_entropy([Value(_sigmoid(x)) for x in logits], targets).data
    assert nn.binary_cross_entropy_with_logits([Value(x) for x in logits], targets).data == \
        pytest.approx(by_probs, rel=1e-12)
    _check_grads(lambda vs: nn.binary_cross_entropy_with_logits(vs, targets), logits)
    big = [Value(1000.0), Value(-1000.0)]
    loss = nn.binary_cross_entropy_with_logits(big, [0.0, 1.0])
    assert loss.data == pytest.approx(1000.0)
    loss.backward()
    assert big[0].grad == pytest.approx(0.5) and big[1].grad == pytest.approx(-0.5)
    right = nn.binary_cross_entropy_with_logits([Value(1000.0), Value(-1000.0)], [1.0, 0.0])
    assert right.data == 0.0


def test_cross_entropy_single_and_batch():
    logits = [1.0, 2.0, 0.5]
    lse = math.log(sum(math.exp(v) for v in logits))
    assert nn.cross_entropy([Value(v) for v in logits], 1).data == pytest.approx(lse - 2.0)
    _check_grads(lambda vs: nn.cross_entropy(vs, 2), logits)
    batch = [[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]]
    expected = ((lse - 2.0) + (math.log(sum(math.exp(v) for v in batch[1])) - 0.0)) / 2
    assert nn.cross_entropy(batch, [1, 0.0]).data == pytest.approx(expected)
    _check_grads(lambda vs: nn.cross_entropy([vs[:3], vs[3:]], [1, 0]), batch[0] + batch[1])


def test_cross_entropy_and_softmax_are_stable():
    logits = [Value(1000.0), Value(0.0), Value(-1000.0)]
    assert nn.cross_entropy(logits, 0).data == pytest.approx(0.0, abs=1e-300)
    assert nn.cross_entropy(logits, 1).data == pytest.approx(1000.0)
    probs = nn.softmax(logits)
    assert [p.data for p in probs] == pytest.approx([1.0, 0.0, 0.0])
    logp = nn.log_softmax(logits)
    assert [v.data for v in logp] == pytest.approx([0.0, -1000.0, -2000.0])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-30, 30), min_size=1, max_size=6))
def test_softmax_sums_to_one_and_matches_definition(xs):
    probs = nn.softmax([Value(x) for x in xs])
    assert math.fsum(p.data for p in probs) == pytest.approx(1.0)
    total = sum(math.exp(x) for x in xs)
    assert [p.data for p in probs] == pytest.approx([math.exp(x) / total for x in xs])


def test_softmax_gradient():
    xs = [0.3, -1.2, 2.0]
    _check_grads(lambda vs: nn.softmax(vs)[0] * 2.0 + nn.softmax(vs)[2], xs)


def test_penalties():
    ps = [Value(v) for v in [0.5, -2.0, 0.0, 3.0]]
    assert nn.l1_penalty(ps).data == 5.5
    assert nn.l2_penalty(ps).data == 0.25 + 4.0 + 9.0
    nn.l2_penalty(ps).backward()
    assert [p.grad for p in ps] == [1.0, -4.0, 0.0, 6.0]
    for p in ps:
        p.grad = 0.0
    nn.l1_penalty(ps).backward()
    assert [p.grad for p in ps] == [1.0, -1.0, 0.0, 1.0]


@pytest.mark.parametrize("call, match", [
    (lambda: nn.mse_loss([Value(1.0), Value(2.0)], [1.0]), "2 predictions but 1 targets"),
    (lambda: nn.mse_loss([], []), "no samples"),
    (lambda: nn.hinge_loss([Value(1.0)], [1.0, -1.0]), "1 predictions but 2"),
    (lambda: nn.hinge_loss([Value(1.0), Value(2.0)], [0.0, 1.0]), r"-1 or \+1, got \[0.0\]"),
    (lambda: nn.binary_cross_entropy([Value(0.5)], [2.0]), r"\[0, 1\], got \[2.0\]"),
    (lambda: nn.binary_cross_entropy([Value(1.5)], [1.0]), "1.5"),
    (lambda: nn.binary_cross_entropy_with_logits([Value(0.5)], [-1.0]), r"got \[-1.0\]"),
    (lambda: nn.binary_cross_entropy_with_logits([Value(0.5)], []), "1 predictions but 0"),
    (lambda: nn.cross_entropy([Value(1.0), Value(2.0)], 2), "index 2 is out of range"),
    (lambda: nn.cross_entropy([Value(1.0), Value(2.0)], -1), "index -1 is out of range"),
    (lambda: nn.cross_entropy([[1.0, 2.0], [3.0, 4.0]], [0, 5]), "index 5"),
    (lambda: nn.cross_entropy([[1.0, 2.0], [3.0, 4.0]], [0]), "2 logit lists but 1"),
    (lambda: nn.cross_entropy([[1.0, 2.0]], 0), "list of target indices"),
    (lambda: nn.cross_entropy([1.0, 2.0], 0.5), "0.5"),
    (lambda: nn.cross_entropy([], []), "no samples"),
    (lambda: nn.softmax([]), "empty"),
])
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


smooth = st.floats(-5, 5)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(smooth, st.floats(0, 1)), min_size=1, max_size=5))
def test_bce_with_logits_gradient_is_sigmoid_minus_target_over_n(pairs):
    logits = [Value(x) for x, _ in pairs]
    targets = [t for _, t in pairs]
    nn.binary_cross_entropy_with_logits(logits, targets).backward()
    n = len(pairs)
    assert [v.grad for v in logits] == pytest.approx(
        [(_sigmoid(x) - t) / n for x, t in pairs], rel=1e-9, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.lists(smooth, min_size=2, max_size=5), st.data())
def test_cross_entropy_gradient_is_softmax_minus_one_hot(xs, data):
    target = data.draw(st.integers(0, len(xs) - 1))
    logits = [Value(x) for x in xs]
    nn.cross_entropy(logits, target).backward()
    total = sum(math.exp(x) for x in xs)
    expected = [math.exp(x) / total - (1.0 if i == target else 0.0) for i, x in enumerate(xs)]
    assert [v.grad for v in logits] == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_softmax_compiles_to_one_trace_whichever_input_is_largest():
    """max(values) compared Values, so each new argmax traced again; relu's max does not."""
    c = compile(lambda a, b, c: nn.softmax([a, b, c])[0] + nn.log_softmax([a, b, c])[1]
                + nn.cross_entropy([a, b, c], 2), [1.0, 2.0, 3.0])
    for xs in ([3.0, 2.0, 1.0], [1.0, 5.0, -2.0], [0.0, 0.0, 0.0], [-3.0, 1.0, 4.0]):
        value, grads = c.value_and_grad(*xs)
        vs = [Value(x) for x in xs]
        out = nn.softmax(vs)[0] + nn.log_softmax(vs)[1] + nn.cross_entropy(vs, 2)
        out.backward()
        assert value == out.data and list(grads) == [v.grad for v in vs]
    assert len(c.traces) == 1 and c.interpreted == 0


def test_losses_take_tuples_iterators_and_numpy_numbers():
    np = pytest.importorskip("numpy")
    preds, targets = [Value(0.5), Value(-1.0)], [1.0, -1.0]
    want = nn.hinge_loss(preds, targets).data
    assert nn.hinge_loss(tuple(preds), tuple(targets)).data == want
    assert nn.hinge_loss(iter(preds), iter(targets)).data == want
    assert nn.hinge_loss(preds, np.array(targets)).data == want
    assert nn.mse_loss(np.float32(0.5), np.int64(1)).data == nn.mse_loss(0.5, 1).data


@pytest.mark.parametrize("call, named", [
    (lambda: nn.mse_loss([Value(1.0), "2"], [1.0, 2.0]), "mse_loss's preds .* got str '2'"),
    (lambda: nn.hinge_loss([Value(1.0)], [None]), "hinge_loss's labels .* got NoneType"),
    (lambda: nn.binary_cross_entropy(Value(0.5), b"1"), "targets .* got bytes"),
    (lambda: nn.cross_entropy([Value(1.0), Value(2.0)], "1"), "target_index .* got str"),
    (lambda: nn.cross_entropy([[Value(1.0)]], "1"), "target_index .* got str"),
    (lambda: nn.cross_entropy([[1.0, 2.0]], [Value(1.0)]), "target_index .* got Value"),
    (lambda: nn.l1_penalty([Value(1.0), 2.0]), "l1_penalty takes a list of Values"),
    (lambda: nn.l2_penalty(Value(1.0)), "l2_penalty takes a list of Values"),
])
def test_a_wrong_type_in_a_loss_is_a_type_error_naming_it(call, named):
    with pytest.raises(TypeError, match=named):
        call()


def test_cross_entropy_of_one_sample_with_a_list_of_targets_is_a_shape_error():
    with pytest.raises(ValueError, match="one list of logits takes one target index"):
        nn.cross_entropy([Value(1.0), Value(2.0)], [1])
