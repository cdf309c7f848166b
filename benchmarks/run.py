"""Run every benchmark, print markdown tables, write JSON: ``python -m benchmarks.run``.

Implementations are timed interleaved (round-robin, starting point rotating each round), each
sample after an untimed ``gc.collect()``, so machine noise and leftover garbage hit all alike.
Tables show medians with min and max as the noise.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import statistics
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from time import perf_counter
from typing import Any

from autograd_tiny import compile as compile_fn

from . import demo, gpt, player, workloads

RESULTS = Path(__file__).parent / "results" / "latest.json"
TARGET_VS_MICROGRAD = 20.0
TARGET_VS_FLOOR = 4.0
TARGET_COMPILED_VS_FLOOR = 0.5
TARGET_COMPILE_MS = 50.0
COMPILED = "autograd-tiny compiled"
TARGET_MEMORY_FRACTION = 0.5


def stats(samples: Sequence[float]) -> dict[str, Any]:
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples),
            "n": len(samples)}


def interleave(fns: dict[str, Callable[[], float]], repeat: int) -> dict[str, list[float]]:
    """``repeat`` rounds; in each, every fn once (rotating the start); each returns seconds."""
    names = list(fns)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeat):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            gc.collect()
            samples[name].append(fns[name]())
    return samples


def bench_demo(n_samples: int, repeat: int, seed: int = 0) -> dict[str, Any]:
    """micrograd (gc on, gc off), autograd-tiny and the floor on the same demo step."""
    X, y = demo.make_moons(n_samples, 0.1, seed)
    weights = demo.initial_weights(seed)
    impls: dict[str, Any] = {
        "micrograd 0.1.0 (gc on)": demo.MicrogradDemo(X, y, weights),
        "micrograd 0.1.0 (gc off)": demo.MicrogradDemo(X, y, weights),
        "autograd-tiny": demo.OursDemo(X, y, weights),
        COMPILED: demo.CompiledDemo(X, y, weights),
        "floor (plain floats)": demo.FloorDemo(X, y, weights),
    }
    ours = impls["autograd-tiny"]
    nodes = {"autograd-tiny": demo.graph_size(ours.loss()),
             "micrograd 0.1.0 (gc on)": demo.micrograd_graph_size(
                 impls["micrograd 0.1.0 (gc on)"].loss())}
    nodes["micrograd 0.1.0 (gc off)"] = nodes["micrograd 0.1.0 (gc on)"]
    losses: dict[str, list[float]] = {name: [] for name in impls}

    def timed(name: str) -> Callable[[], float]:
        impl = impls[name]
        gc_off = "gc off" in name

        def run() -> float:
            if gc_off:
                gc.disable()
            try:
                t = perf_counter()
                loss = impl.step()
                elapsed = perf_counter() - t
            finally:
                gc.enable()
            losses[name].append(loss)
            return elapsed

        return run

    # one untimed warm-up step each, then the timed rounds; every round is one more step
    samples = interleave({name: timed(name) for name in impls}, repeat + 1)
    worst = 0.0
    for step_losses in zip(*losses.values(), strict=True):
        ref = step_losses[2]
        for loss in step_losses:
            worst = max(worst, abs(loss - ref))
            if abs(loss - ref) > 1e-9 * max(1.0, abs(ref)):
                raise AssertionError(f"demo step losses disagree: {step_losses}")
    wdiff = max(abs(a - b) for impl in impls.values()
                for a, b in zip(impl.weights(), ours.weights(), strict=True))
    if wdiff > 1e-9:
        raise AssertionError(f"demo step weights disagree by {wdiff}")
    # compiled and interpreted take the same float operations: equal, not merely close
    bitwise = (losses[COMPILED] == losses["autograd-tiny"]
               and impls[COMPILED].weights() == ours.weights())
    if not bitwise:
        raise AssertionError("the compiled demo step differs from the interpreter's")
    compile_s = [impls[COMPILED].compile_seconds]
    for _ in range(max(repeat, 3) - 1):
        gc.collect()
        compile_s.append(demo.CompiledDemo(X, y, weights).compile_seconds)
    rows = {name: {**stats(s[1:]), "graph_nodes": nodes.get(name)} for name, s in samples.items()}
    t_ours = rows["autograd-tiny"]["median"]
    t_compiled = rows[COMPILED]["median"]
    compile_stats = stats(compile_s)
    saved = t_ours - t_compiled
    return {"n_samples": n_samples, "model": f"MLP({demo.NIN}, {demo.NOUTS})",
            "ours_model": ours.model_kind, "steps": repeat + 1,
            "max_loss_difference": worst, "max_weight_difference": wdiff,
            "final_loss": losses["autograd-tiny"][-1],
            "rows": rows,
            "speedup_vs_micrograd_gc_on": rows["micrograd 0.1.0 (gc on)"]["median"] / t_ours,
            "speedup_vs_micrograd_gc_off": rows["micrograd 0.1.0 (gc off)"]["median"] / t_ours,
            "ratio_to_floor": t_ours / rows["floor (plain floats)"]["median"],
            "speedup_vs_micrograd_gc_on_of_mins": rows["micrograd 0.1.0 (gc on)"]["min"]
            / rows["autograd-tiny"]["min"],
            "ratio_to_floor_of_mins": rows["autograd-tiny"]["min"]
            / rows["floor (plain floats)"]["min"],
            "compiled": {"ratio_to_floor": t_compiled / rows["floor (plain floats)"]["median"],
                         "ratio_to_floor_of_mins": rows[COMPILED]["min"]
                         / rows["floor (plain floats)"]["min"],
                         "speedup_vs_interpreter": t_ours / t_compiled,
                         "compile_seconds": compile_stats,
                         "generated_lines": impls[COMPILED].lines,
                         "steps_to_amortise": compile_stats["median"] / saved if saved > 0
                         else None,
                         "bitwise_equal_to_interpreter": bitwise}}


def bench_chain(depths: Sequence[int], repeat: int) -> dict[str, Any]:
    """Our chain at every depth, the depths interleaved round-robin; micrograd's limit."""
    runs: dict[int, list[dict[str, float]]] = {depth: [] for depth in depths}
    for r in range(repeat):
        k = r % len(depths)
        for depth in [*depths[k:], *depths[:k]]:
            gc.collect()
            runs[depth].append(workloads.ours_chain(depth))
    # micrograd's limit by bisection, confirmed at our shortest depth; a longer chain only
    # recurses deeper, so beyond the limit every depth fails the same way
    max_links = workloads.micrograd_max_chain(min(max(depths), 2000))
    if workloads.micrograd_chain_works(min(depths)) != (min(depths) <= max_links):
        raise AssertionError("micrograd's chain limit is inconsistent")
    rows = []
    for depth in depths:
        reference = workloads.chain_grad_reference(depth)
        grad = runs[depth][0]["grad"]
        if abs(grad - reference) > 1e-9 * max(1.0, abs(reference)):
            raise AssertionError(f"chain of {depth}: grad {grad} != {reference}")
        nodes = depth * workloads.CHAIN_OPS_PER_LINK
        fwd = [r["forward_s"] / nodes * 1e6 for r in runs[depth]]
        bwd = [r["backward_s"] / nodes * 1e6 for r in runs[depth]]
        micrograd = "works" if depth <= max_links else "fails (RecursionError)"
        rows.append({"links": depth, "op_nodes": nodes, "repeat": repeat,
                     "forward_s": statistics.median(r["forward_s"] for r in runs[depth]),
                     "backward_s": statistics.median(r["backward_s"] for r in runs[depth]),
                     "free_s": statistics.median(r["free_s"] for r in runs[depth]),
                     "forward_us_per_node": statistics.median(fwd),
                     "backward_us_per_node": statistics.median(bwd),
                     "backward_us_per_node_min": min(bwd),
                     "backward_us_per_node_max": max(bwd),
                     "micrograd": micrograd})
    return {"rows": rows, "micrograd_max_links": max_links,
            "micrograd_run_at_links": min(depths), "recursion_limit": sys.getrecursionlimit()}


def bench_compiled(sizes: dict[str, Sequence[int]], repeat: int) -> list[dict[str, Any]]:
    """A deep chain and a wide sum compiled whole: trace + compile time, and one forward and
    backward compiled vs interpreted (interleaved, median of ``repeat``)."""
    rows = []
    for kind, ns in sizes.items():
        for n in ns:
            f, inputs = workloads.compiled_workload(kind, n)
            t = perf_counter()
            c = compile_fn(f, inputs)
            compile_s = perf_counter() - t

            def interpreted(f: Any = f, inputs: Sequence[float] = inputs) -> float:
                t = perf_counter()
                workloads.interpret(f, inputs)
                return perf_counter() - t

            def compiled(c: Any = c, inputs: Sequence[float] = inputs) -> float:
                t = perf_counter()
                c.value_and_grad(*inputs)
                return perf_counter() - t

            expected = workloads.interpret(f, inputs)
            if c.value_and_grad(*inputs) != expected:
                raise AssertionError(f"compiled {kind} of {n} differs from the interpreter")
            samples = interleave({"interpreted": interpreted, "compiled": compiled}, repeat)
            t_i = statistics.median(samples["interpreted"])
            t_c = statistics.median(samples["compiled"])
            rows.append({"graph": kind, "size": n, "op_nodes": workloads.op_nodes(kind, n),
                         "generated_lines": len(c.source.splitlines()),
                         "compile_s": compile_s, "interpreted_ms": t_i * 1e3,
                         "compiled_ms": t_c * 1e3, "speedup": t_i / t_c,
                         "runs_to_amortise": compile_s / (t_i - t_c) if t_i > t_c else None})
    return rows


def bench_overhead(n_samples: int, repeat: int, seed: int = 0) -> dict[str, Any]:
    X, y = demo.make_moons(n_samples, 0.1, seed)
    ours = demo.OursDemo(X, y, demo.initial_weights(seed))
    root = ours.loss()
    samples = workloads.backward_overhead_samples(root, repeat)
    rows = {name: stats(s) for name, s in samples.items()}
    return {"graph": f"demo step loss graph, {n_samples} samples",
            "graph_nodes": demo.graph_size(root), "rows": rows,
            "loop_ratio": rows["engine loop"]["median"] / rows["minimal loop"]["median"],
            "backward_ratio": rows["engine backward()"]["median"]
            / rows["toposort+minimal"]["median"]}


def machine() -> dict[str, Any]:
    return {"python": sys.version.split()[0], "implementation": platform.python_implementation(),
            "platform": platform.platform(), "processor": platform.processor() or
            platform.machine(), "cpu_count": os.cpu_count(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    d = results.get("demo")
    if d:
        out.append({"target": f"demo step >= {TARGET_VS_MICROGRAD:g}x faster than micrograd "
                    "(gc on)", "measured": f"{d['speedup_vs_micrograd_gc_on']:.1f}x",
                    "met": d["speedup_vs_micrograd_gc_on"] >= TARGET_VS_MICROGRAD})
        out.append({"target": f"demo step within {TARGET_VS_FLOOR:g}x of the plain-float floor",
                    "measured": f"{d['ratio_to_floor']:.1f}x",
                    "met": d["ratio_to_floor"] <= TARGET_VS_FLOOR})
        cd = d["compiled"]
        out.append({"target": f"compiled demo step <= {TARGET_COMPILED_VS_FLOOR:g}x the floor",
                    "measured": f"{cd['ratio_to_floor']:.2f}x (fastest samples "
                    f"{cd['ratio_to_floor_of_mins']:.2f}x)",
                    "met": cd["ratio_to_floor"] <= TARGET_COMPILED_VS_FLOOR})
        ms = cd["compile_seconds"]["median"] * 1e3
        out.append({"target": f"compile the demo model in <= {TARGET_COMPILE_MS:g} ms",
                    "measured": f"{ms:.0f} ms ({cd['generated_lines']:,} generated lines)",
                    "met": ms <= TARGET_COMPILE_MS})
    c = results.get("chain")
    if c:
        per = [r["backward_us_per_node"] for r in c["rows"]]
        spread = max(per) / min(per)
        out.append({"target": "deep chain: backward works at every depth, us/node flat",
                    "measured": f"works to {c['rows'][-1]['links']:,} links; "
                    f"max/min us/node = {spread:.2f}", "met": spread <= 1.5})
    w = results.get("wide")
    if w:
        mg, ours = w[0], w[1]
        frac = ours["bytes_per_node"] / mg["bytes_per_node"]
        out.append({"target": "wide graph: bytes/node <= half of micrograd's",
                    "measured": f"{ours['bytes_per_node']:.0f} vs {mg['bytes_per_node']:.0f} "
                    f"= {frac:.2f}", "met": frac <= TARGET_MEMORY_FRACTION})
    o = results.get("overhead")
    if o:
        out.append({"target": "backward(create_graph=False) costs ~1.0x a first-order-only loop",
                    "measured": f"loop {o['loop_ratio']:.2f}x, "
                    f"whole backward {o['backward_ratio']:.2f}x",
                    "met": o["loop_ratio"] <= 1.1})
    if results.get("gpt"):
        out += gpt.targets(results["gpt"])
    return out


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f}" if seconds >= 0.01 else f"{seconds * 1e3:.2f}"


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [f"# autograd-tiny benchmarks ({'quick' if results['quick'] else 'full'})", "",
             f"Python {m['python']} ({m['implementation']}) on {m['platform']}, "
             f"{m['cpu_count']} CPUs, {m['date']}", ""]
    d = results.get("demo")
    if d:
        t_ours = d["rows"]["autograd-tiny"]["median"]
        lines += [f"## Demo step: {d['model']} on {d['n_samples']} moons, hinge + 1e-4 L2, "
                  "forward + backward + SGD", "",
                  f"Ours uses {d['ours_model']}. {d['steps']} steps each, the first untimed; "
                  f"losses agree to {d['max_loss_difference']:.1e}, weights to "
                  f"{d['max_weight_difference']:.1e}.", "",
                  "| implementation | median ms | min ms | max ms | graph nodes | vs ours |",
                  "|---|---:|---:|---:|---:|---:|"]
        for name, r in d["rows"].items():
            nodes = f"{r['graph_nodes']:,}" if r["graph_nodes"] else "-"
            ratio = r["median"] / t_ours
            rel = "1.0x" if name == "autograd-tiny" else (
                f"{ratio:.1f}x slower" if ratio >= 1 else f"{1 / ratio:.1f}x faster")
            lines.append(f"| {name} | {_ms(r['median'])} | {_ms(r['min'])} | {_ms(r['max'])} "
                         f"| {nodes} | {rel} |")
        cd = d["compiled"]
        amortise = cd["steps_to_amortise"]
        lines += ["", "Compiled (`fit(..., compile=True)`: one sample's hinge term traced "
                  f"once, {cd['generated_lines']:,} generated lines): "
                  f"{cd['ratio_to_floor']:.2f}x the floor, {cd['speedup_vs_interpreter']:.1f}x "
                  f"faster than the interpreter, losses and weights bitwise equal to it: "
                  f"{'yes' if cd['bitwise_equal_to_interpreter'] else 'NO'}. Trace + compile: "
                  f"median {cd['compile_seconds']['median'] * 1e3:.0f} ms (min "
                  f"{cd['compile_seconds']['min'] * 1e3:.0f}, max "
                  f"{cd['compile_seconds']['max'] * 1e3:.0f}), repaid after "
                  + (f"{amortise:.1f} steps." if amortise is not None else "never.")]
        lines += ["", f"Ratios of medians: {d['speedup_vs_micrograd_gc_on']:.1f}x faster than "
                  f"micrograd (gc on), {d['ratio_to_floor']:.1f}x the floor; of the fastest "
                  f"samples: {d['speedup_vs_micrograd_gc_on_of_mins']:.1f}x and "
                  f"{d['ratio_to_floor_of_mins']:.1f}x. micrograd's cyclic garbage is collected "
                  "between samples, untimed.", ""]
    c = results.get("chain")
    if c:
        lines += ["## Deep chain: y = tanh(y * 1.0001 + 0.1)", "",
                  f"3 op nodes per link; median of {c['rows'][0]['repeat']} runs, depths "
                  "interleaved. micrograd's "
                  f"recursive backward handles at most {c['micrograd_max_links']:,} links "
                  f"(recursion limit {c['recursion_limit']}; relu for tanh, same depth).", "",
                  "| links | forward us/node | backward us/node (min-max) | backward s "
                  "| free s | micrograd |", "|---:|---:|---:|---:|---:|---|"]
        for r in c["rows"]:
            lines.append(f"| {r['links']:,} | {r['forward_us_per_node']:.2f} | "
                         f"{r['backward_us_per_node']:.2f} ({r['backward_us_per_node_min']:.2f}"
                         f"-{r['backward_us_per_node_max']:.2f}) | {r['backward_s']:.3f} | "
                         f"{r['free_s']:.3f} | {r['micrograd']} |")
        lines.append("")
    w = results.get("wide")
    if w:
        lines += [f"## Wide graph: sum of {w[0]['terms']:,} products (tracemalloc, retained)", "",
                  "Leaves exist beforehand and are not counted; nodes are the ones the sum "
                  "creates.", "",
                  "| variant | new nodes | retained MB | bytes/node | bytes/term | backward ms |",
                  "|---|---:|---:|---:|---:|---:|"]
        for r in w:
            bwd = r["backward_ms"]
            bwd_s = f"{bwd:.1f}" if isinstance(bwd, float) else bwd
            lines.append(f"| {r['variant']} | {r['new_nodes']:,} | "
                         f"{r['retained_bytes'] / 1e6:.1f} | {r['bytes_per_node']:.0f} | "
                         f"{r['bytes_per_term']:.0f} | {bwd_s} |")
        lines.append("")
    comp = results.get("compiled")
    if comp:
        lines += ["## Compiled whole: a deep chain and a wide sum", "",
                  "`autograd_tiny.compile(f, inputs)` of the whole graph; one forward + "
                  "backward, compiled vs interpreted, interleaved. Compile time grows with the "
                  "graph (Python compiles every line), which is why `fit` traces one sample.",
                  "", "| graph | size | op nodes | lines | trace + compile s | interpreted ms "
                  "| compiled ms | speed-up | runs to repay |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in comp:
            repay = f"{r['runs_to_amortise']:.0f}" if r["runs_to_amortise"] else "never"
            lines.append(f"| {r['graph']} | {r['size']:,} | {r['op_nodes']:,} | "
                         f"{r['generated_lines']:,} | {r['compile_s']:.3f} | "
                         f"{r['interpreted_ms']:.2f} | {r['compiled_ms']:.2f} | "
                         f"{r['speedup']:.1f}x | {repay} |")
        lines.append("")
    o = results.get("overhead")
    if o:
        lines += ["## First-order backward overhead (create_graph=False)", "",
                  f"{o['graph']} ({o['graph_nodes']:,} nodes); the minimal loop is "
                  "`benchmarks.workloads.first_order_backprop`: same order, same rules, no "
                  "create_graph branch, anomaly check or error wrapping.", "",
                  "| measurement | median ms | min ms | max ms |", "|---|---:|---:|---:|"]
        for name, r in o["rows"].items():
            lines.append(f"| {name} | {_ms(r['median'])} | {_ms(r['min'])} | {_ms(r['max'])} |")
        lines += ["", f"engine loop / minimal loop = {o['loop_ratio']:.2f}; "
                  f"backward() / (toposort + minimal) = {o['backward_ratio']:.2f}", ""]
    if results.get("player"):
        lines += player.markdown(results["player"])
    if results.get("gpt"):
        lines += gpt.markdown(results["gpt"])
    lines += ["## Targets", "", "| target | measured | met |", "|---|---|---|"]
    for t in results["targets"]:
        lines.append(f"| {t['target']} | {t['measured']} | {'yes' if t['met'] else 'NO'} |")
    return "\n".join(lines) + "\n"


def write_json(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n")
    os.replace(tmp, path)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, few repeats")
    parser.add_argument("--repeat", type=int, default=None,
                        help="timed rounds for the demo step and overhead (default 11; quick 2)")
    parser.add_argument("--json", type=Path, default=RESULTS, help=f"default {RESULTS}")
    parser.add_argument("--only", action="append",
                        choices=["demo", "chain", "wide", "compiled", "overhead", "player",
                                 "gpt"],
                        help="run only this benchmark (repeatable)")
    args = parser.parse_args(argv)
    quick = args.quick
    repeat = args.repeat or (2 if quick else 11)
    # The player's benchmark starts a browser: in a full run, or when asked for.
    only = set(args.only or ["demo", "chain", "wide", "compiled", "overhead", "gpt",
                             *([] if quick else ["player"])])
    results: dict[str, Any] = {"machine": machine(), "quick": quick, "repeat": repeat,
                               "argv": list(argv if argv is not None else sys.argv[1:])}
    t0 = perf_counter()
    if "demo" in only:
        results["demo"] = bench_demo(20 if quick else 100, repeat)
    if "chain" in only:
        results["chain"] = bench_chain([100, 1000] if quick else [10**4, 10**5, 10**6],
                                       1 if quick else min(repeat, 3))
    if "wide" in only:
        results["wide"] = workloads.wide_memory(1000 if quick else 100_000)
    if "compiled" in only:
        sizes = ({"deep chain": [100], "wide sum": [100]} if quick else
                 {"deep chain": [1000, 10_000], "wide sum": [1000, 10_000]})
        results["compiled"] = bench_compiled(sizes, 2 if quick else min(repeat, 5))
    if "overhead" in only:
        results["overhead"] = bench_overhead(20 if quick else 100, repeat)
    if "player" in only:
        results["player"] = player.bench(quick)
    if "gpt" in only:
        results["gpt"] = gpt.bench(2 if quick else 40, 20 if quick else 1000)
    results["targets"] = targets(results) + (player.targets(results["player"])
                                             if "player" in results else [])
    results["seconds"] = perf_counter() - t0
    print(markdown(results), end="")
    write_json(results, args.json)
    print(f"\nwrote {args.json}")
    return results


if __name__ == "__main__":
    main()
