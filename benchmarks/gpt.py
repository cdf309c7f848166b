"""The GPT training step four ways, side by side: the scalar reference, nn.GPT interpreted and
compiled, and the plain-float floor; then the default 1,000-step compiled training run.

All four start from the same weights (``nn.GPT(seed=...)``'s, which are microgpt's draw) and
take the same steps on the same names, so before anything is timed they must give the same
loss and the same gradient of every parameter (``cross_check``). Steps are timed interleaved:
in round r every implementation takes its step on the r-th name, the starting implementation
rotating, each sample after an untimed ``gc.collect()``. Before the timed rounds every
implementation takes the same untimed steps on one name of each length the timed names have,
so the compiled trainer has compiled its program for every length (those first steps' times
are reported as compile costs). After them the compiled trainer and the floor also take steps
back to back, as a training run does (``time_blocks``): interleaved, each step follows a
reference step that evicts the caches, which costs the compiled step's large generated code
more than the floor's small loops.
"""

from __future__ import annotations

import gc
import random
import statistics
from collections.abc import Sequence
from time import perf_counter, process_time
from typing import Any

import nn
from nn import gpt as nn_gpt

from .gpt_floor import FloorGPT
from .gpt_reference import GPT as ReferenceGPT
from .gpt_reference import encode, initial_weights

CONFIG = {"vocab_size": 27, "block_size": 16, "n_embd": 16, "n_head": 4, "n_layer": 1}
REFERENCE = "reference (scalar Value)"
INTERPRETER = "autograd-tiny interpreter"
COMPILED = "autograd-tiny compiled"
FLOOR = "floor (plain floats)"
TARGET_INTERPRETER = 5.0  # x faster than the reference
TARGET_COMPILED = 30.0  # x faster than the reference
TARGET_COMPILED_VS_FLOOR = 1.0  # x the floor's time
TARGET_TRAINING_S = 60.0
BLOCK = 50  # back-to-back steps per implementation in time_blocks
BLOCKS = 4


def documents(seed: int) -> list[str]:
    """The names in the order ``nn.gpt.train(seed=seed)`` takes them."""
    docs = nn.datasets.names()
    random.Random(seed).shuffle(docs)
    return docs


class _Recorder:
    """An optimizer that only records the gradients it is handed, to read a Trainer's."""

    def __init__(self, params: list[Any]) -> None:
        self.params, self.lr, self.grads = params, 0.0, [0.0] * len(params)

    def step(self) -> None:
        self.grads = [float(p.grad) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = 0.0


class _NN:
    """nn.GPT with its trainer, loaded with the given weights."""

    def __init__(self, weights: list[float], compile: bool, steps: int,
                 config: dict[str, int]) -> None:
        self.model = nn.GPT(**config, seed=0)
        self.params = self.model.parameters()
        if len(self.params) != len(weights):
            raise ValueError(f"nn.GPT has {len(self.params)} parameters, not {len(weights)}")
        for p, w in zip(self.params, weights, strict=True):
            p.data = w
        self.trainer = nn_gpt.Trainer(self.model, steps=steps, compile=compile)

    def step(self, tokens: list[int]) -> float:
        return self.trainer.step(tokens)

    def weights(self) -> list[float]:
        return [p.data for p in self.params]


class _Reference:
    def __init__(self, weights: list[float], steps: int, config: dict[str, int]) -> None:
        self.model = ReferenceGPT(weights, **config, steps=steps)

    def step(self, tokens: list[int]) -> float:
        return self.model.step(tokens)

    def weights(self) -> list[float]:
        return self.model.weights()


class _Floor:
    def __init__(self, weights: list[float], steps: int, config: dict[str, int]) -> None:
        self.model = FloorGPT(weights, **config, steps=steps)

    def step(self, tokens: list[int]) -> float:
        return self.model.step(tokens)

    def weights(self) -> list[float]:
        return self.model.weights()


def implementations(weights: list[float], steps: int,
                    config: dict[str, int] = CONFIG) -> dict[str, Any]:
    return {REFERENCE: _Reference(weights, steps, config),
            INTERPRETER: _NN(weights, False, steps, config),
            COMPILED: _NN(weights, True, steps, config),
            FLOOR: _Floor(weights, steps, config)}


def relative_difference(a: Sequence[float], b: Sequence[float]) -> float:
    """max |a - b| over max |b|: rounding-level when a and b are the same computation."""
    if len(a) != len(b):
        raise ValueError(f"{len(a)} numbers against {len(b)}")
    return max(abs(x - y) for x, y in zip(a, b, strict=True)) / max(map(abs, b))


def cross_check(weights: list[float], docs: Sequence[str],
                config: dict[str, int] = CONFIG, tol: float = 1e-12) -> dict[str, Any]:
    """Same loss and gradients from every implementation on each document, all from
    ``weights``, or AssertionError. Differences are relative to the reference's loss and to its
    largest gradient. nn's are read through ``Trainer.step`` with an optimizer that only
    records, so the compiled programs are the ones training runs."""
    reference = ReferenceGPT(weights, **config)
    floor = FloorGPT(weights, **config)
    trainers = {}
    for name in (INTERPRETER, COMPILED):
        nn_run = _NN(weights, name == COMPILED, len(docs), config)
        trainers[name] = (nn_run.trainer, _Recorder(nn_run.params))
        nn_run.trainer.optimizer = trainers[name][1]
    worst_loss, worst_grad = 0.0, 0.0
    for doc in docs:
        tokens = encode(doc)
        loss = reference.loss(tokens)
        loss.backward()
        ref_loss, ref_grads = loss.data, [p.grad for p in reference.params]
        for p in reference.params:
            p.grad = 0.0
        results = {FLOOR: (floor.loss_and_grads(tokens), floor.gradients())}
        for name, (trainer, recorder) in trainers.items():
            results[name] = (trainer.step(tokens), recorder.grads)
        for name, (loss_i, grads) in results.items():
            dl = abs(loss_i - ref_loss) / abs(ref_loss)
            dg = relative_difference(grads, ref_grads)
            if not (dl <= tol and dg <= tol):
                raise AssertionError(f"{name} on {doc!r}: loss differs by {dl:.1e}, gradients "
                                     f"by {dg:.1e} (relative) from the reference")
            worst_loss, worst_grad = max(worst_loss, dl), max(worst_grad, dg)
    return {"documents": list(docs), "max_loss_difference": worst_loss,
            "max_gradient_difference": worst_grad, "tolerance": tol}


def _stats(samples: Sequence[float]) -> dict[str, Any]:
    return {"median": statistics.median(samples), "mean": statistics.fmean(samples),
            "min": min(samples), "max": max(samples), "total": sum(samples), "n": len(samples)}


def _warmup_docs(docs: Sequence[str], block_size: int) -> list[str]:
    """One document per number of positions among ``docs``, in order of first appearance."""
    seen: dict[int, str] = {}
    for doc in docs:
        seen.setdefault(min(block_size, len(doc) + 1), doc)
    return list(seen.values())


def time_steps(impls: dict[str, Any], docs: Sequence[str]) -> tuple[dict[str, list[float]],
                                                                      dict[str, list[float]],
                                                                      dict[str, list[float]]]:
    """Round r: every implementation steps on docs[r], the first one rotating; wall seconds,
    CPU seconds and losses per implementation."""
    names = list(impls)
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    losses: dict[str, list[float]] = {name: [] for name in names}
    for r, doc in enumerate(docs):
        tokens = encode(doc)
        k = r % len(names)
        for name in names[k:] + names[:k]:
            gc.collect()
            t, c = perf_counter(), process_time()
            loss = impls[name].step(tokens)
            cpu[name].append(process_time() - c)
            wall[name].append(perf_counter() - t)
            losses[name].append(loss)
    return wall, cpu, losses


def time_blocks(impls: dict[str, Any], names: Sequence[str],
                docs: Sequence[str]) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Blocks of ``BLOCK`` documents: each of ``names`` steps through the block back to back,
    the order of the implementations alternating from block to block; CPU seconds and losses
    per implementation."""
    cpu = {name: 0.0 for name in names}
    losses: dict[str, list[float]] = {name: [] for name in names}
    for b in range(0, len(docs), BLOCK):
        block = [encode(doc) for doc in docs[b:b + BLOCK]]
        for name in names if (b // BLOCK) % 2 == 0 else list(reversed(names)):
            step = impls[name].step
            gc.collect()
            c = process_time()
            for tokens in block:
                losses[name].append(step(tokens))
            cpu[name] += process_time() - c
    return cpu, losses


def training_run(steps: int, seed: int = 42, config: dict[str, int] = CONFIG) -> dict[str, Any]:
    """``nn.gpt.train(steps, seed=seed)``, compiled: wall and CPU time of the whole call
    (building the model, compiling, every step)."""
    gc.collect()
    t, c = perf_counter(), process_time()
    sizes = {k: v for k, v in config.items() if k != "vocab_size"}
    run = nn_gpt.train(steps, seed=seed, compile=True, progress=False, **sizes)
    cpu, seconds = process_time() - c, perf_counter() - t
    losses = run.losses
    tail = losses[-min(100, len(losses)):]
    return {"steps": steps, "seed": seed, "seconds": seconds, "cpu_seconds": cpu,
            "mean_loss_last_100": statistics.fmean(tail), "first_loss": losses[0]}


def bench(n_steps: int, train_steps: int, seed: int = 42,
          config: dict[str, int] = CONFIG) -> dict[str, Any]:
    """``n_steps`` timed steps of the four, the first steps of ``nn.gpt.train(seed=seed)``."""
    docs = documents(seed)
    weights = [p.data for p in nn.GPT(**config, seed=seed).parameters()]
    if weights != initial_weights(seed, config["vocab_size"], config["block_size"],
                                  config["n_embd"], config["n_layer"]):
        raise AssertionError("nn.GPT's initial weights are not microgpt's draw")
    timed = docs[:n_steps]
    # the first two names and the first one longer than 10 positions, which runs the compiled
    # trainer's padded program
    long = next(d for d in docs if len(d) + 1 > 10)
    check = cross_check(weights, [*docs[:2], long], config)
    warm = _warmup_docs(timed, config["block_size"])
    # the back-to-back names: later ones of the lengths already compiled
    lengths = {min(config["block_size"], len(d) + 1) for d in warm}
    later = [d for d in docs[n_steps:] if min(config["block_size"], len(d) + 1) in lengths]
    blocked = later[:min(BLOCK * BLOCKS, 5 * n_steps)]
    impls = implementations(weights, len(warm) + len(timed) + len(blocked), config)
    warm_wall, _, warm_losses = time_steps(impls, warm)
    wall, cpu, losses = time_steps(impls, timed)
    worst = 0.0
    for name in impls:
        for a, b in zip(warm_losses[name] + losses[name], warm_losses[REFERENCE]
                        + losses[REFERENCE], strict=True):
            worst = max(worst, abs(a - b) / abs(b))
    if worst > 1e-9:
        raise AssertionError(f"the implementations' losses drift apart by {worst:.1e}")
    bitwise = (losses[COMPILED] == losses[INTERPRETER]
               and warm_losses[COMPILED] == warm_losses[INTERPRETER]
               and impls[COMPILED].weights() == impls[INTERPRETER].weights())
    if not bitwise:
        raise AssertionError("the compiled steps differ from the interpreter's")
    wdiff = max(relative_difference(impl.weights(), impls[REFERENCE].weights())
                for impl in impls.values())
    rows = {name: {"cpu": _stats(cpu[name]), "wall": _stats(wall[name])} for name in impls}
    block_cpu, block_losses = time_blocks(impls, [COMPILED, FLOOR], blocked)
    drift = max(abs(a - b) / abs(b) for a, b in zip(block_losses[COMPILED], block_losses[FLOOR],
                                                     strict=True))
    if drift > 1e-9:
        raise AssertionError(f"the compiled and floor losses drift apart by {drift:.1e}")
    back_to_back = {"documents": len(blocked), "block": BLOCK,
                    "positions": sum(min(config["block_size"], len(d) + 1) for d in blocked),
                    "cpu_ms_per_step": {name: block_cpu[name] / len(blocked) * 1e3
                                        for name in block_cpu},
                    "compiled_vs_floor": block_cpu[COMPILED] / block_cpu[FLOOR],
                    "max_loss_difference": drift}

    def ratios(clock: str) -> dict[str, float]:
        total = {name: r[clock]["total"] for name, r in rows.items()}
        return {"interpreter_speedup": total[REFERENCE] / total[INTERPRETER],
                "compiled_speedup": total[REFERENCE] / total[COMPILED],
                "floor_speedup": total[REFERENCE] / total[FLOOR],
                "compiled_vs_floor": total[COMPILED] / total[FLOOR],
                "interpreter_vs_floor": total[INTERPRETER] / total[FLOOR]}

    return {"config": config, "seed": seed, "cross_check": check,
            "warmup_documents": warm, "timed_documents": timed,
            "positions": sum(min(config["block_size"], len(d) + 1) for d in timed),
            "max_loss_difference": worst, "max_weight_difference": wdiff,
            "bitwise_compiled_equals_interpreter": bitwise, "rows": rows,
            "first_step_per_length_compiled_s": _stats(warm_wall[COMPILED]),
            "cpu": ratios("cpu"), "wall": ratios("wall"), "back_to_back": back_to_back,
            "training": training_run(train_steps, seed, config)}


def targets(g: dict[str, Any]) -> list[dict[str, Any]]:
    """Met or not by CPU time (what the step costs, whoever else shares the machine); the
    wall-clock ratio of the same run is shown beside it."""
    c, w, t = g["cpu"], g["wall"], g["training"]

    def both(key: str, digits: int) -> str:
        return f"{c[key]:.{digits}f}x (wall clock {w[key]:.{digits}f}x)"

    return [{"target": f"GPT step: interpreter >= {TARGET_INTERPRETER:g}x faster than the "
             "scalar reference", "measured": both("interpreter_speedup", 1),
             "met": c["interpreter_speedup"] >= TARGET_INTERPRETER},
            {"target": f"GPT step: compiled >= {TARGET_COMPILED:g}x faster than the scalar "
             "reference", "measured": both("compiled_speedup", 1),
             "met": c["compiled_speedup"] >= TARGET_COMPILED},
            {"target": f"GPT step: compiled <= {TARGET_COMPILED_VS_FLOOR:g}x the plain-float "
             "floor", "measured": both("compiled_vs_floor", 2),
             "met": c["compiled_vs_floor"] <= TARGET_COMPILED_VS_FLOOR},
            {"target": f"GPT training, {t['steps']:,} compiled steps, < {TARGET_TRAINING_S:g} s",
             "measured": f"{t['seconds']:.1f} s wall clock ({t['cpu_seconds']:.1f} s CPU)",
             "met": t["seconds"] < TARGET_TRAINING_S}]


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f}" if seconds >= 0.01 else f"{seconds * 1e3:.2f}"


def markdown(g: dict[str, Any]) -> list[str]:
    c, t, x = g["config"], g["training"], g["cross_check"]
    ref = g["rows"][REFERENCE]
    lines = [f"## GPT step: microgpt's model ({c['n_layer']} layer, {c['n_head']} heads, width "
             f"{c['n_embd']}, block {c['block_size']}) on one name, forward + backward + Adam",
             "", f"{len(g['timed_documents'])} names ({g['positions']} positions) timed, after "
             f"{len(g['warmup_documents'])} untimed steps, one per name length. Before timing, "
             f"on {len(x['documents'])} names from the same weights, losses agree to "
             f"{x['max_loss_difference']:.1e} and gradients to "
             f"{x['max_gradient_difference']:.1e} (relative); over the timed steps losses "
             f"agree to {g['max_loss_difference']:.1e}, weights to "
             f"{g['max_weight_difference']:.1e}; compiled equals the interpreter bit for bit: "
             f"{'yes' if g['bitwise_compiled_equals_interpreter'] else 'NO'}. CPU time is the "
             "process's own; wall clock also counts time the machine gave to other work.", "",
             "| implementation | CPU ms, mean | median | min | max | wall ms, mean "
             "| vs reference (CPU) | vs reference (wall) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in g["rows"].items():
        cpu, wall = r["cpu"], r["wall"]
        vs = [f"{ref[k]['total'] / r[k]['total']:.1f}x" for k in ("cpu", "wall")]
        lines.append(f"| {name} | {_ms(cpu['mean'])} | {_ms(cpu['median'])} | "
                     f"{_ms(cpu['min'])} | {_ms(cpu['max'])} | {_ms(wall['mean'])} | "
                     f"{vs[0]} | {vs[1]} |")
    w = g["first_step_per_length_compiled_s"]
    lines += ["", f"Compiled vs the floor: {g['cpu']['compiled_vs_floor']:.2f}x CPU "
              f"({g['wall']['compiled_vs_floor']:.2f}x wall); interpreter vs the floor: "
              f"{g['cpu']['interpreter_vs_floor']:.1f}x (ratios of total time over the same "
              f"names). The compiled trainer's first step at each new length: median "
              f"{w['median'] * 1e3:.0f} ms, max {w['max'] * 1e3:.0f} ms (wall; a new program "
              "is traced and compiled there).", ""]
    b = g.get("back_to_back")
    if b:
        ms = b["cpu_ms_per_step"]
        lines += [f"Back to back, as in training ({b['documents']} later names, "
                  f"{b['positions']} positions, in blocks of {b['block']} steps per "
                  f"implementation, alternating): compiled {ms[COMPILED]:.2f} ms, floor "
                  f"{ms[FLOOR]:.2f} ms of CPU a step, compiled {b['compiled_vs_floor']:.2f}x the "
                  f"floor (losses agree to {b['max_loss_difference']:.1e}).", ""]
    lines += [f"Training run, `nn.gpt.train({t['steps']}, seed={t['seed']})` compiled: "
              f"{t['seconds']:.1f} s wall clock, {t['cpu_seconds']:.1f} s CPU, compiles "
              f"included; mean loss over the last {min(100, t['steps'])} steps "
              f"{t['mean_loss_last_100']:.3f} (first step {t['first_loss']:.3f}).", ""]
    return lines
