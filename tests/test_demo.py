"""The demo (``make demo``) trains, prints, and writes its three pictures."""

from __future__ import annotations

from pathlib import Path

import pytest

from nn import demo

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_demo_writes_boundary_loss_curve_and_neuron_graph(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pictures"
    assert demo.main(["--quick", "--out", str(out)]) == 0
    for name in ("decision_boundary.png", "loss.png"):
        data = (out / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE), name
        assert len(data) > 1000, name
    svg = (out / "neuron.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "</svg>" in svg
    assert "w.0" in svg and "grad" in svg
    printed = capsys.readouterr().out
    assert "accuracy" in printed
    for name in ("decision_boundary.png", "loss.png", "neuron.svg"):
        assert str(out / name) in printed


@pytest.mark.parametrize("dataset", ["circles", "spirals", "xor"])
@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_demo_options(tmp_path: Path, dataset: str, optimizer: str) -> None:
    args = ["--quick", "--dataset", dataset, "--optimizer", optimizer, "--hidden", "3",
            "--epochs", "2", "--seed", "1", "--out", str(tmp_path)]
    assert demo.main(args) == 0
    assert (tmp_path / "decision_boundary.png").read_bytes().startswith(PNG_SIGNATURE)


def test_neuron_only_writes_just_the_picture(tmp_path: Path) -> None:
    assert demo.main(["--neuron-only", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["neuron.svg"]
    assert "<svg" in (tmp_path / "neuron.svg").read_text(encoding="utf-8")


def test_demo_trains_the_moons_to_high_accuracy(tmp_path: Path) -> None:
    """micrograd's demo cut to 40 full-batch steps already separates the moons."""
    args = ["--epochs", "40", "--out", str(tmp_path)]
    model, X, y, history = demo.train(demo.parse_args(args))
    assert history.loss[-1] < history.loss[0]
    assert history.accuracy[-1] >= 0.95


@pytest.mark.parametrize("bad", [["--hidden", "16,x"], ["--hidden", "0"], ["--epochs", "0"],
                                 ["--dataset", "mnist"]])
def test_bad_options_exit_with_usage_error(bad: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        demo.main(bad)
    assert info.value.code == 2


def test_demo_compiles_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--quick", "--neuron-only", "--out", str(tmp_path)]) == 0
    assert demo.parse_args([]).compile is True
    assert demo.parse_args(["--no-compile"]).compile is False
    demo.train(demo.parse_args(["--quick"]))
    assert "backprop: compiled" in capsys.readouterr().out


def test_demo_step_compiled_equals_interpreted_over_100_steps(tmp_path: Path) -> None:
    """The full demo (MLP(2, [16, 16, 1]), 100 moons, 100 SGD steps): every loss, accuracy
    and final weight of the compiled run is the interpreter's exactly."""
    compiled = demo.train(demo.parse_args([]))
    interpreted = demo.train(demo.parse_args(["--no-compile"]))
    assert len(compiled[3].loss) == 100
    assert compiled[3].loss == interpreted[3].loss
    assert compiled[3].accuracy == interpreted[3].accuracy
    assert compiled[0].state_dict() == interpreted[0].state_dict()
    assert compiled[3].accuracy[-1] == 1.0
