"""``python -m nn.demo`` (``make demo``): micrograd's moons demo, with pictures.

Trains ``MLP(2, [16, 16, 1])`` on ``make_moons(100, noise=0.1)`` with hinge loss + 1e-4 L2 and
full-batch SGD whose learning rate falls from 1.0 to 0.1 over 100 steps (lr = 1 - 0.9 k/100),
compiled (``fit(..., compile=True)``: each sample's loss runs as generated Python, the same
numbers as the interpreter, bit for bit; ``--no-compile`` interprets), then writes to ``out/``
(``--out DIR``):

- ``decision_boundary.png``: the data and the regions the model assigns to each class;
- ``loss.png``: loss and accuracy per step;
- ``neuron.svg``: one tanh neuron after ``backward()``, every value with its gradient, drawn
  top to bottom so that it reads at a README column's width.

``--neuron-only --out docs`` writes just ``docs/neuron.svg`` (the README's picture).
Run ``python -m nn.demo --help`` for the other options.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from autograd_tiny import Value, draw_dot, no_grad

from . import datasets
from .layers import MLP, Neuron
from .optim import SGD, Adam, LinearDecay, Optimizer
from .train import History, fit

DATASETS: dict[str, Callable[[int, int], datasets.Dataset]] = {
    "moons": lambda n, seed: datasets.make_moons(n, noise=0.1, seed=seed),
    "circles": lambda n, seed: datasets.make_circles(n, noise=0.08, factor=0.5, seed=seed),
    "spirals": lambda n, seed: datasets.make_spirals(n, noise=0.03, seed=seed),
    "xor": lambda n, seed: datasets.xor(),
}
OPTIMIZERS = ("sgd", "momentum", "adam")
QUICK = {"hidden": [4], "epochs": 5, "samples": 20, "grid": 12}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m nn.demo",
        description="Train an MLP on a 2-D dataset (micrograd's moons demo by default) and "
                    "write pictures of the result: decision boundary, loss curve, and one "
                    "neuron's graph with its gradients.")
    p.add_argument("--dataset", choices=list(DATASETS), default="moons",
                   help="the data to classify (default: moons)")
    p.add_argument("--hidden", type=_sizes, default=None, metavar="SIZES",
                   help="hidden layer sizes, comma-separated (default: 16,16)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd",
                   help="sgd: lr 1.0 -> 0.1 linearly, as micrograd (default); momentum: SGD "
                        "with momentum 0.9, lr 0.1 -> 0.01; adam: Adam, lr 0.05 -> 0.005")
    p.add_argument("--epochs", type=_positive, default=None,
                   help="full-batch training steps (default: 100)")
    p.add_argument("--samples", type=_positive, default=None,
                   help="number of data points (default: 100; xor always has 4)")
    p.add_argument("--out", type=Path, default=Path("out"), metavar="DIR",
                   help="directory for the pictures (default: out)")
    p.add_argument("--seed", type=int, default=1337,
                   help="seed for the data and the initial weights (default: 1337)")
    p.add_argument("--quick", action="store_true",
                   help="a tiny setting that runs in about a second (for tests)")
    p.add_argument("--no-compile", dest="compile", action="store_false",
                   help="run backprop with the interpreter instead of the compiled code "
                        "(the same numbers, bit for bit, slower)")
    p.add_argument("--neuron-only", action="store_true",
                   help="only write the neuron picture, DIR/neuron.svg; no training")
    args = p.parse_args(argv)
    if args.hidden is None:
        args.hidden = QUICK["hidden"] if args.quick else [16, 16]
    if args.epochs is None:
        args.epochs = QUICK["epochs"] if args.quick else 100
    if args.samples is None:
        args.samples = QUICK["samples"] if args.quick else 100
    args.grid = QUICK["grid"] if args.quick else 80
    return args


def _positive(text: str) -> int:
    n = int(text)
    if n <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return n


def _sizes(text: str) -> list[int]:
    try:
        sizes = [_positive(s) for s in text.split(",")] if text.strip() else []
    except (ValueError, argparse.ArgumentTypeError):
        raise argparse.ArgumentTypeError(
            f"expected positive integers separated by commas, e.g. 16,16; got {text!r}") from None
    return sizes


def make_optimizer(name: str, params: list[Value], epochs: int) -> tuple[Optimizer, LinearDecay]:
    """The optimizer and its learning-rate schedule, decaying linearly to a tenth."""
    if name == "sgd":
        return SGD(params, lr=1.0), LinearDecay(1.0, 0.1, epochs)
    if name == "momentum":
        return SGD(params, lr=0.1, momentum=0.9), LinearDecay(0.1, 0.01, epochs)
    return Adam(params, lr=0.05), LinearDecay(0.05, 0.005, epochs)


def train(args: argparse.Namespace) -> tuple[MLP, list[list[float]], list[float], History]:
    X, y01 = DATASETS[args.dataset](args.samples, args.seed)
    y = datasets.signed_labels(y01)
    model = MLP(2, [*args.hidden, 1], seed=args.seed)
    optimizer, schedule = make_optimizer(args.optimizer, model.parameters(), args.epochs)
    how = ("compiled: each sample's loss and backward run as generated Python "
           "(fit(..., compile=True); --no-compile interprets)" if args.compile
           else "interpreted: a graph per sample, walked by backward()")
    print(f"{model!r}\ndata: {args.dataset}, {len(X)} points; optimizer: {optimizer!r}\n"
          f"backprop: {how}")
    history = fit(model, X, y, loss="hinge", l2=1e-4, optimizer=optimizer, epochs=args.epochs,
                  schedule=schedule, seed=args.seed, compile=args.compile)
    return model, X, y, history


def plot_decision_boundary(model: MLP, X: list[list[float]], y: list[float], path: Path,
                           grid: int = 80, title: str = "") -> None:
    """The data over the model's score: the line score = 0 separates the two classes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pad = 0.5
    x0s, x1s = [p[0] for p in X], [p[1] for p in X]
    lo0, hi0 = min(x0s) - pad, max(x0s) + pad
    lo1, hi1 = min(x1s) - pad, max(x1s) + pad
    xs = [lo0 + (hi0 - lo0) * i / (grid - 1) for i in range(grid)]
    ys = [lo1 + (hi1 - lo1) * j / (grid - 1) for j in range(grid)]
    with no_grad():
        scores = [[float(model([a, b])) for a in xs] for b in ys]  # type: ignore[arg-type]
    fig, ax = plt.subplots(figsize=(5, 4.2), dpi=100)
    ax.contourf(xs, ys, scores, levels=[-1e9, 0.0, 1e9], colors=["#9ecae1", "#fdae6b"],
                alpha=0.6)
    ax.contour(xs, ys, scores, levels=[0.0], colors="k", linewidths=1)
    ax.scatter(x0s, x1s, c=["#08519c" if t < 0 else "#d94801" for t in y], s=18,
               edgecolors="white", linewidths=0.5)
    ax.set_title(title or "decision boundary (score = 0)")
    ax.set_xlim(lo0, hi0)
    ax.set_ylim(lo1, hi1)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_history(history: History, path: Path, title: str = "") -> None:
    """Loss (log scale) and training accuracy per epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = range(1, len(history.loss) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(8, 3.2), dpi=100)
    ax_loss.plot(epochs, history.loss, color="#d94801")
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("loss (hinge + 1e-4 L2)")
    ax_acc.plot(epochs, [100 * a for a in history.accuracy], color="#08519c")
    ax_acc.set_xlabel("step")
    ax_acc.set_ylabel("training accuracy (%)")
    ax_acc.set_ylim(0, 105)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def neuron_svg(seed: int = 1337, fused: bool = False) -> str:
    """One tanh neuron, out = tanh(n), n = b + w.0*x0 + w.1*x1, after ``out.backward()``, as SVG."""
    neuron = Neuron(2, "tanh", rng=random.Random(seed), fused=fused)
    x = [Value(2.0, "x0"), Value(-1.0, "x1")]
    out = neuron(x)
    out.label = "out"
    out.children[0].label = "n"
    out.backward()
    svg: str = draw_dot(out, rankdir="TB").pipe(format="svg", encoding="utf-8")
    return svg


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; returns the exit code (0)."""
    args = parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    neuron_path = out / "neuron.svg"
    neuron_path.write_text(neuron_svg(args.seed), encoding="utf-8")
    if args.neuron_only:
        print(f"wrote {neuron_path}")
        return 0

    start = time.perf_counter()
    model, X, y, history = train(args)
    seconds = time.perf_counter() - start
    print(f"after {len(history.loss)} steps ({seconds:.1f} s): loss {history.loss[-1]:.4f}, "
          f"accuracy {history.accuracy[-1]:.0%}")

    name = f"{args.dataset}, MLP(2, {[*args.hidden, 1]}), {args.optimizer}"
    boundary_path = out / "decision_boundary.png"
    loss_path = out / "loss.png"
    plot_decision_boundary(model, X, y, boundary_path, grid=args.grid, title=name)
    plot_history(history, loss_path, title=name)
    print("wrote:")
    for path in (boundary_path, loss_path, neuron_path):
        print(f"  {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
