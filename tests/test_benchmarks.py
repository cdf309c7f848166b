"""Smoke tests for benchmarks/: the runner's output shape, and that the hand-written floor
computes the same step as the engine. No timing is asserted anywhere."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("micrograd")

from autograd_tiny import Value  # noqa: E402
from benchmarks import demo, run, workloads  # noqa: E402
from benchmarks.floor import FloorMLP  # noqa: E402


def close(a: float, b: float, tol: float = 1e-9) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(b))


@pytest.fixture(scope="module")
def data() -> tuple[list[list[float]], list[float], list[float]]:
    X, y = demo.make_moons(30, 0.1, 3)
    return X, y, demo.initial_weights(3)


def test_floor_loss_and_gradients_match_the_engine(data) -> None:
    X, y, weights = data
    ours = demo.OursDemo(X, y, weights)
    loss = ours.loss()
    loss.backward()
    floor = FloorMLP(demo.NIN, demo.NOUTS, weights)
    floor_loss = floor.loss_and_grads(X, y, demo.ALPHA)
    assert close(loss.data, floor_loss)
    grads = floor.gradients()
    assert len(grads) == len(ours.params) == 337
    assert all(close(p.grad, g) for p, g in zip(ours.params, grads, strict=True))
    assert floor.parameters() == weights


def test_three_implementations_take_the_same_steps(data) -> None:
    X, y, weights = data
    impls: list[Any] = [demo.MicrogradDemo(X, y, weights), demo.OursDemo(X, y, weights),
             demo.FloorDemo(X, y, weights)]
    for _ in range(3):
        losses = [impl.step() for impl in impls]
        assert all(close(loss, losses[1]) for loss in losses)
    ws = [impl.weights() for impl in impls]
    assert all(close(a, b) for w in ws for a, b in zip(w, ws[1], strict=True))
    assert ws[1] != weights


def test_chain_and_minimal_backprop_agree_with_the_engine() -> None:
    r = workloads.ours_chain(200)
    assert close(r["grad"], workloads.chain_grad_reference(200))
    x = Value(0.3)
    root = (x * x + x.tanh()).relu() * 2.0
    order = workloads.toposort(root)
    workloads.reset_grads(order, root)
    workloads.first_order_backprop(order)
    minimal = x.grad
    x.grad = 0.0
    root.backward()
    assert close(x.grad, minimal)


def test_quick_run_prints_tables_and_writes_json(tmp_path, capsys) -> None:
    out = tmp_path / "results.json"
    # the GPT benchmark has its own quick test (tests/test_gpt_benchmarks.py)
    only = [f"--only={b}" for b in ("demo", "chain", "wide", "compiled", "overhead")]
    results = run.main(["--quick", "--json", str(out), *only])
    text = capsys.readouterr().out
    for heading in ("## Demo step", "## Deep chain", "## Wide graph", "## Compiled whole",
                    "## First-order backward overhead", "## Targets"):
        assert heading in text
    assert "| micrograd 0.1.0 (gc on) |" in text and "| floor (plain floats) |" in text

    saved = json.loads(out.read_text())
    assert saved == json.loads(json.dumps(results))
    assert {"python", "platform", "cpu_count", "date"} <= set(saved["machine"])
    rows = saved["demo"]["rows"]
    assert set(rows) == {"micrograd 0.1.0 (gc on)", "micrograd 0.1.0 (gc off)",
                         "autograd-tiny", "autograd-tiny compiled", "floor (plain floats)"}
    compiled = saved["demo"]["compiled"]
    assert compiled["bitwise_equal_to_interpreter"] is True
    assert compiled["generated_lines"] > 100 and compiled["compile_seconds"]["median"] > 0
    assert {r["graph"] for r in saved["compiled"]} == {"deep chain", "wide sum"}
    assert all(r["compiled_ms"] > 0 and r["generated_lines"] > 0 for r in saved["compiled"])
    assert all(r["median"] > 0 and r["n"] == saved["repeat"] for r in rows.values())
    assert saved["demo"]["max_loss_difference"] <= 1e-9
    chain = saved["chain"]["rows"]
    assert [r["links"] for r in chain] == [100, 1000]
    assert chain[-1]["micrograd"].startswith("fails")
    assert 100 <= saved["chain"]["micrograd_max_links"] < 1000
    assert [r["new_nodes"] for r in saved["wide"]] == [2001, 1001, 2001]
    assert set(saved["overhead"]["rows"]) == {"engine loop", "minimal loop",
                                              "engine backward()", "toposort+minimal"}
    assert all({"target", "measured", "met"} == set(t) for t in saved["targets"])
    assert len(saved["targets"]) == 7
