"""Conv1d against torch.nn.Conv1d (float64): outputs, input and weight gradients; a shared
weight's grad is the sum of its per-position contributions; save/load; bad input."""

from __future__ import annotations

import json
import random

import pytest

import nn
from autograd_tiny import Value, gradcheck

torch = pytest.importorskip("torch")


def _signal(seed, channels, length):
    rng = random.Random(seed)
    return [[rng.uniform(-2.0, 2.0) for _ in range(length)] for _ in range(channels)]


def _torch_conv(conv):
    t = torch.nn.Conv1d(conv.in_channels, conv.out_channels, conv.kernel_size,
                        stride=conv.stride, padding=conv.padding, dilation=conv.dilation,
                        bias=conv.bias_on, dtype=torch.float64)
    with torch.no_grad():
        t.weight.copy_(torch.tensor([[[w.data for w in wi] for wi in wo] for wo in conv.weight],
                                    dtype=torch.float64))
        if conv.bias_on:
            t.bias.copy_(torch.tensor([b.data for b in conv.bias], dtype=torch.float64))
    return t


@pytest.mark.parametrize("c_in, c_out, k, stride, padding, dilation, bias, length", [
    (1, 1, 3, 1, 0, 1, True, 8),
    (2, 3, 3, 1, 1, 1, True, 7),
    (3, 2, 2, 2, 0, 1, False, 9),
    (1, 2, 3, 2, 2, 2, True, 6),
    (2, 1, 5, 1, 2, 1, True, 5),
])
def test_outputs_and_gradients_match_torch_conv1d(c_in, c_out, k, stride, padding, dilation,
                                                  bias, length):
    conv = nn.Conv1d(c_in, c_out, k, stride, padding, dilation, bias, seed=length)
    t = _torch_conv(conv)
    x = _signal(1, c_in, length)
    xv = [[Value(v) for v in row] for row in x]
    out = conv(xv)
    coef = _signal(2, c_out, len(out[0]))
    loss = Value.sum([c * y for cr, yr in zip(coef, out, strict=True)
                      for c, y in zip(cr, yr, strict=True)])
    loss.backward()

    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out_t = t(xt)
    (torch.tensor(coef, dtype=torch.float64) * out_t).sum().backward()

    assert out_t.shape == (c_out, len(out[0]))
    assert torch.allclose(out_t, torch.tensor([[y.data for y in r] for r in out],
                                              dtype=torch.float64), rtol=1e-12, atol=1e-12)
    assert torch.allclose(xt.grad, torch.tensor([[v.grad for v in r] for r in xv],
                                                dtype=torch.float64), rtol=1e-12, atol=1e-12)
    assert torch.allclose(t.weight.grad, torch.tensor(
        [[[w.grad for w in wi] for wi in wo] for wo in conv.weight], dtype=torch.float64),
        rtol=1e-12, atol=1e-12)
    if bias:
        assert torch.allclose(t.bias.grad, torch.tensor([b.grad for b in conv.bias],
                                                        dtype=torch.float64),
                              rtol=1e-12, atol=1e-12)


def test_default_init_is_pytorchs_bound():
    conv = nn.Conv1d(3, 4, 5, seed=0)
    bound = 1 / (3 * 5) ** 0.5
    ws = [p.data for p in conv.parameters()]
    assert len(ws) == 4 * 3 * 5 + 4
    assert all(-bound <= w <= bound for w in ws)
    assert max(abs(w) for w in ws) > 0.8 * bound


def test_shared_weight_grad_is_the_sum_over_positions():
    """d loss / d w[k] = sum_t d loss / d out[t] * x[t + k]: one contribution per position."""
    conv = nn.Conv1d(1, 1, 3, seed=4)
    x = _signal(5, 1, 10)[0]
    out = conv([x])[0]
    loss = Value.sum([(y * y) * 0.5 for y in out])  # d loss / d out[t] = out[t]
    loss.backward()
    for k, w in enumerate(conv.weight[0][0]):
        contributions = [y.data * x[t + k] for t, y in enumerate(out)]
        assert len(contributions) == 8
        assert w.grad == pytest.approx(sum(contributions), rel=1e-12, abs=1e-12)
        # no single position's contribution is the whole gradient
        assert all(abs(c - w.grad) > 1e-9 for c in contributions)
    assert conv.bias[0].grad == pytest.approx(sum(y.data for y in out), rel=1e-12)


def test_gradcheck_through_the_kernel():
    def f(w0, w1, w2, b, x0, x1, x2, x3):
        conv = nn.Conv1d(1, 1, 3, padding=1, seed=0)
        conv.weight[0][0][:] = [w0, w1, w2]
        conv.bias[:] = [b]
        return Value.sum([y.tanh() for y in conv([[x0, x1, x2, x3]])[0]])

    assert gradcheck(f, [0.3, -0.7, 0.5, 0.1, 1.0, -0.5, 0.25, 2.0])


def test_parameter_names_and_order_follow_pytorch():
    conv = nn.Conv1d(2, 2, 2, seed=1)
    names = [name for name, _ in conv.named_parameters()]
    assert names[:3] == ["weight.0.0.0", "weight.0.0.1", "weight.0.1.0"]
    assert names[-2:] == ["bias.0", "bias.1"]
    assert [p.label for p in conv.parameters()] == names
    assert nn.Conv1d.parameter_count(conv.config()) == len(names) == 10
    assert repr(nn.Conv1d(1, 2, 3, stride=2, bias=False)) == (
        "Conv1d(1, 2, kernel_size=3, stride=2, bias=False)")


def test_save_and_load_round_trip(tmp_path):
    conv = nn.Conv1d(2, 3, 3, stride=2, padding=1, dilation=1, bias=False, seed=7)
    path = tmp_path / "conv.json"
    conv.save(path)
    doc = json.loads(path.read_text())
    assert doc["module"]["type"] == "Conv1d"
    back = nn.load(path)
    assert isinstance(back, nn.Conv1d)
    assert back.config() == conv.config()
    assert back.state_dict() == conv.state_dict()
    x = _signal(3, 2, 6)
    assert [[y.data for y in r] for r in back(x)] == [[y.data for y in r] for r in conv(x)]


def test_seed_gives_a_private_stream_and_none_the_global_one():
    assert nn.Conv1d(1, 2, 3, seed=5).state_dict() == nn.Conv1d(1, 2, 3, seed=5).state_dict()
    random.seed(11)
    a = nn.Conv1d(1, 2, 3).state_dict()
    random.seed(11)
    assert nn.Conv1d(1, 2, 3).state_dict() == a


@pytest.mark.parametrize("args, error, match", [
    ((0, 1, 3), ValueError, "in_channels"),
    ((1, 1, 0), ValueError, "kernel_size"),
    ((1, 1, 2.5), TypeError, "kernel_size"),
    ((1, 1, 3, 0), ValueError, "stride"),
    ((1, 1, 3, 1, -1), ValueError, "padding"),
    ((1, 1, 3, 1, 0, 0), ValueError, "dilation"),
    ((1, 1, 3, 1, 0, 1, "yes"), TypeError, "bias"),
])
def test_bad_arguments_raise_naming_them(args, error, match):
    with pytest.raises(error, match=match):
        nn.Conv1d(*args)


def test_seed_and_rng_together_are_refused():
    with pytest.raises(ValueError, match="seed= or rng="):
        nn.Conv1d(1, 1, 3, seed=1, rng=random.Random(1))


def test_bad_input_raises_naming_what_was_wrong():
    conv = nn.Conv1d(2, 1, 3, seed=0)
    with pytest.raises(ValueError, match="in_channels = 2"):
        conv([[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="differ in length"):
        conv([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0]])
    with pytest.raises(ValueError, match="shorter than the kernel"):
        conv([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(TypeError, match="channel 0"):
        conv([1.0, 2.0])
    with pytest.raises(TypeError, match="list of lists"):
        conv("abc")
