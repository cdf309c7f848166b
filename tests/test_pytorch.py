"""nn.MLP <-> torch.nn.Sequential: same weights, same loss and gradients on moons (float64)."""

from __future__ import annotations

import os
import random
from typing import Any

import pytest

import nn
from autograd_tiny import Value
from nn.pytorch import to_torch

if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
    import torch  # CI installs the [torch] extra: a missing torch is a failure there
else:
    torch = pytest.importorskip("torch")


def moons() -> tuple[list[list[float]], list[float]]:
    X, y01 = nn.datasets.make_moons(100, noise=0.1, seed=1337)
    return X, nn.datasets.signed_labels(y01)


def ours_loss(model: nn.MLP, X: list[list[float]], y: list[float]) -> Value:
    scores = [model(x) for x in X]
    data_loss = nn.hinge_loss(scores, y)  # type: ignore[arg-type]
    return data_loss + 1e-4 * nn.l2_penalty(model.parameters())


def torch_loss(seq: Any, X: list[list[float]], y: list[float]) -> Any:
    scores = seq(torch.tensor(X, dtype=torch.float64)).squeeze(1)
    data = torch.relu(1 - torch.tensor(y, dtype=torch.float64) * scores).mean()
    return data + 1e-4 * sum((p * p).sum() for p in seq.parameters())


def torch_grads(seq: Any) -> list[float]:
    """Gradients in nn's parameter order: layer by layer, neuron by neuron, weights then bias."""
    out: list[float] = []
    for linear in (m for m in seq if isinstance(m, torch.nn.Linear)):
        for row, b in zip(linear.weight.grad.tolist(), linear.bias.grad.tolist(), strict=True):
            out += [*row, b]
    return out


def test_to_torch_same_loss_and_gradients_on_moons() -> None:
    X, y = moons()
    model = nn.MLP(2, [16, 16, 1], seed=1337)
    seq = model.to_torch()
    assert isinstance(seq, torch.nn.Sequential)
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert all(p.dtype == torch.float64 for p in seq.parameters())
    loss = ours_loss(model, X, y)
    loss.backward()
    expected = torch_loss(seq, X, y)
    expected.backward()
    assert loss.data == pytest.approx(expected.item(), rel=1e-12, abs=1e-12)
    assert [p.grad for p in model.parameters()] == pytest.approx(torch_grads(seq), rel=1e-12,
                                                                 abs=1e-12)


def test_a_training_step_on_either_side_agrees() -> None:
    X, y = moons()
    model = nn.MLP(2, [8, 1], activation="tanh", seed=3)
    seq = model.to_torch()
    opt = nn.SGD(model.parameters(), lr=0.5)
    topt = torch.optim.SGD(seq.parameters(), lr=0.5)
    for _ in range(3):
        opt.zero_grad()
        ours_loss(model, X, y).backward()
        opt.step()
        topt.zero_grad()
        torch_loss(seq, X, y).backward()
        topt.step()
    after = nn.MLP.from_torch(seq)
    assert [p.data for p in after.parameters()] == pytest.approx(
        [p.data for p in model.parameters()], rel=1e-12, abs=1e-12)


def test_round_trip_is_exact_and_copies() -> None:
    model = nn.MLP(3, [5, 4, 2], activation="leaky_relu", output_activation="sigmoid", seed=9)
    seq = model.to_torch()
    back = nn.MLP.from_torch(seq)
    assert back.state_dict() == model.state_dict()
    assert back.config() == model.config()
    with torch.no_grad():
        seq[0].weight.zero_()
    assert model.layers[0].neurons[0].w[0].data != 0.0  # no sharing


def test_from_torch_reads_a_network_made_in_torch() -> None:
    torch.manual_seed(0)
    seq = torch.nn.Sequential(torch.nn.Linear(2, 6), torch.nn.Tanh(), torch.nn.Linear(6, 6),
                              torch.nn.Tanh(), torch.nn.Linear(6, 1), torch.nn.Sigmoid())
    state = random.getstate()
    model = nn.MLP.from_torch(seq)
    assert random.getstate() == state  # the global stream is left alone
    assert (model.activation, model.output_activation, model.nouts) == ("tanh", "sigmoid",
                                                                          [6, 6, 1])
    x = [0.3, -1.2]
    ours = model(x)
    assert isinstance(ours, Value)
    theirs = seq.double()(torch.tensor([x], dtype=torch.float64)).item()
    assert ours.data == pytest.approx(theirs, rel=1e-12)


def test_from_torch_refuses_what_an_mlp_cannot_hold() -> None:
    lin = torch.nn.Linear
    cases = [
        (torch.nn.Sequential(lin(2, 3), torch.nn.Softmax(dim=1)), r"seq\[1\].*Softmax"),
        (torch.nn.Sequential(lin(2, 3, bias=False)), "no bias"),
        (torch.nn.Sequential(lin(2, 3), lin(4, 1)), "takes 4 inputs"),
        (torch.nn.Sequential(lin(2, 3), torch.nn.ReLU(), lin(3, 3), torch.nn.Tanh(),
                             lin(3, 1)), "one hidden activation"),
        (torch.nn.Sequential(lin(2, 3), torch.nn.LeakyReLU(0.2)), "slope 0.01"),
        (torch.nn.Sequential(torch.nn.ReLU()), r"seq\[0\]"),
        (torch.nn.Sequential(), "no Linear"),
    ]
    for seq, message in cases:
        with pytest.raises(ValueError, match=message):
            nn.MLP.from_torch(seq)
    with pytest.raises(TypeError, match="Sequential"):
        nn.MLP.from_torch([lin(2, 1)])
    with pytest.raises(TypeError, match="nn.MLP"):
        to_torch(nn.Neuron(2))  # type: ignore[arg-type]


def test_from_torch_goes_by_the_module_class_itself_not_its_name() -> None:
    class ReLU(torch.nn.Module):  # named like torch's, computes something else
        def forward(self, x):
            return x * 2

    class Clamped(torch.nn.Tanh):  # a subclass may change forward too
        def forward(self, x):
            return super().forward(x).clamp(-0.5, 0.5)

    for act in (ReLU(), Clamped()):
        with pytest.raises(ValueError, match=r"seq\[1\].*cannot be read"):
            nn.MLP.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), act))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_from_torch_refuses_non_finite_weights_as_load_state_dict_does(bad: float) -> None:
    seq = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    with torch.no_grad():
        seq[2].bias[0] = bad
    with pytest.raises(ValueError, match=r"seq\[2\].*NaN or infinite"):
        nn.MLP.from_torch(seq)
