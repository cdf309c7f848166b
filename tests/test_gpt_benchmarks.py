"""The GPT benchmark's implementations are the same model and step: the scalar reference, the
plain-float floor, and nn.GPT interpreted and compiled give the same loss and the same gradient
of every parameter from the same weights on the same documents. No timing is asserted."""

from __future__ import annotations

import pytest

from benchmarks import gpt_reference
from benchmarks.gpt_floor import FloorGPT

TINY = {"vocab_size": 27, "block_size": 5, "n_embd": 8, "n_head": 2, "n_layer": 2}
# a one-letter name, a usual one, and one longer than the block (truncated to 5 positions)
DOCS = ["a", "emma", "christopher"]


def tiny_weights(seed: int = 1) -> list[float]:
    return gpt_reference.initial_weights(seed, TINY["vocab_size"], TINY["block_size"],
                                         TINY["n_embd"], TINY["n_layer"])


def relative_difference(a: list[float], b: list[float]) -> float:
    """max |a - b| over the largest |b|: rounding-level when the two compute the same thing."""
    assert len(a) == len(b)
    return max(abs(x - y) for x, y in zip(a, b, strict=True)) / max(map(abs, b))


def reference_loss_and_grads(model: gpt_reference.GPT,
                             tokens: list[int]) -> tuple[float, list[float]]:
    loss = model.loss(tokens)
    loss.backward()
    grads = [p.grad for p in model.params]
    for p in model.params:
        p.grad = 0.0
    return loss.data, grads


def test_encode_uses_bos_26_and_letters_0_to_25() -> None:
    assert gpt_reference.encode("abz") == [26, 0, 1, 25, 26]


def test_initial_weights_are_gauss_0_008_in_parameter_order() -> None:
    import random

    weights = tiny_weights(7)
    rng = random.Random(7)
    n = sum(rows * cols for _, rows, cols in gpt_reference.shapes(27, 5, 8, 2))
    assert n == 27 * 8 + 5 * 8 + 2 * (4 * 8 * 8 + 2 * 32 * 8) + 27 * 8
    assert weights == [rng.gauss(0, 0.08) for _ in range(n)]


@pytest.mark.parametrize("doc", DOCS)
def test_floor_loss_and_gradients_equal_the_reference(doc: str) -> None:
    weights = tiny_weights()
    tokens = gpt_reference.encode(doc)
    loss, grads = reference_loss_and_grads(gpt_reference.GPT(weights, **TINY), tokens)
    floor = FloorGPT(weights, **TINY)
    assert floor.loss_and_grads(tokens) == pytest.approx(loss, rel=1e-12)
    floor_grads = floor.gradients()
    assert relative_difference(floor_grads, grads) < 1e-12
    # every weight that the document reaches has a gradient (none silently dropped)
    assert sum(g != 0.0 for g in grads) == sum(g != 0.0 for g in floor_grads)
    assert floor.weights() == weights


def test_reference_and_floor_take_the_same_adam_steps() -> None:
    weights = tiny_weights(2)
    reference = gpt_reference.GPT(weights, **TINY, steps=len(DOCS))
    floor = FloorGPT(weights, **TINY, steps=len(DOCS))
    for doc in DOCS:
        tokens = gpt_reference.encode(doc)
        assert floor.step(tokens) == pytest.approx(reference.step(tokens), rel=1e-12)
    assert relative_difference(floor.weights(), reference.weights()) < 1e-12
    assert reference.weights() != weights
    assert all(p.grad == 0.0 for p in reference.params)


def test_nn_gpt_interpreted_and_compiled_give_the_reference_loss_and_gradients() -> None:
    from benchmarks import gpt

    weights = tiny_weights(3)
    check = gpt.cross_check(weights, DOCS, TINY)
    assert check["max_loss_difference"] <= 1e-12
    assert check["max_gradient_difference"] <= 1e-12


def test_cross_check_catches_one_gradient_off_by_a_millionth(monkeypatch) -> None:
    from benchmarks import gpt

    right = FloorGPT.gradients

    def one_off(self: FloorGPT) -> list[float]:
        grads = right(self)
        grads[-1] += 1e-6 * max(map(abs, grads))  # lm_head's last weight
        return grads

    monkeypatch.setattr(FloorGPT, "gradients", one_off)
    with pytest.raises(AssertionError, match="floor .* gradients by 1.0e-06"):
        gpt.cross_check(tiny_weights(3), DOCS[:1], TINY)


def test_nn_gpt_starts_from_the_reference_weights() -> None:
    import nn

    model = nn.GPT(**TINY, seed=5)
    assert [p.data for p in model.parameters()] == tiny_weights(5)


def test_bench_runs_the_four_side_by_side_and_reports_targets() -> None:
    from benchmarks import gpt

    g = gpt.bench(2, 3, config=TINY)
    assert set(g["rows"]) == {gpt.REFERENCE, gpt.INTERPRETER, gpt.COMPILED, gpt.FLOOR}
    assert all(r[clock]["n"] == 2 and r[clock]["total"] > 0 for r in g["rows"].values()
               for clock in ("cpu", "wall"))
    assert set(g["cpu"]) == set(g["wall"]) and g["cpu"]["compiled_vs_floor"] > 0
    assert g["bitwise_compiled_equals_interpreter"] is True
    assert g["max_loss_difference"] <= 1e-9 and g["max_weight_difference"] <= 1e-9
    assert g["cross_check"]["max_gradient_difference"] <= 1e-12
    assert g["training"]["steps"] == 3 and g["training"]["seconds"] > 0
    b = g["back_to_back"]
    assert b["documents"] == 10 and b["max_loss_difference"] <= 1e-9
    assert set(b["cpu_ms_per_step"]) == {gpt.COMPILED, gpt.FLOOR} and b["compiled_vs_floor"] > 0
    targets = gpt.targets(g)
    assert len(targets) == 4 and all(isinstance(t["met"], bool) for t in targets)
    text = "\n".join(gpt.markdown(g))
    assert text.startswith("## GPT step") and "| floor (plain floats) |" in text
