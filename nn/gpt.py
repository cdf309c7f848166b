"""Training microgpt's GPT (``nn.GPT``, in ``nn/transformer.py``) on names, and the CLI.

``python -m nn.gpt`` trains the default model (1 layer, 4 heads, width 16, block 16) on the
names of ``nn.datasets.names()`` for ``--steps`` steps (one name each) with a progress bar,
prints the loss curve's summary and 20 sampled names, and writes ``out/gpt_loss.png``
(matplotlib optional); ``--help`` lists the options. ``train`` is the same run as a function
(the notebook's), ``Trainer`` one step at a time.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograd_tiny import Compiled, Value
from autograd_tiny import compile as compile_fn

from . import checks
from .datasets import names
from .optim import Adam
from .tokenizer import CharTokenizer, names_tokenizer
from .train import collection_paused
from .transformer import GPT

# Trainer's default: one compiled program per length up to EXACT positions, then block_size's.
EXACT = 10

__all__ = ["GPT", "Trainer", "Run", "train", "summary", "plot_losses", "main",
           "names_tokenizer"]


class Trainer:
    """One training step per document: loss, backward, Adam with lr_t = lr (1 - k / steps).

    ``compile=True`` runs each document's loss and backward as generated Python, without the
    interpreter, with the same losses and weights bit for bit as ``compile=False``. A document
    predicting n positions runs the program of the smallest length L >= n in ``lengths``,
    traced the first time it is needed and kept in ``programs``. The default is one program per
    length up to 10 (names of up to 9 letters: 99% of them) and one of ``block_size`` for the
    rest, which are too rare to repay compiling their own (about 0.15 s of CPU per position);
    ``range(1, block_size + 1)`` gives one program per length. A program's inputs are the L
    embeddings wte[tok] + wpe[pos] (n_embd floats each), the L one-hot targets, a mask (1.0 for
    the n real positions, 0.0 after) and 1/n; its loss is sum_pos mask_pos term_pos / n. The
    positions after n are causal padding: no real position attends to them and, masked, they
    pass back gradients of exactly 0, which the generated code skips. The embeddings' gradients
    come back as outputs and are added to the rows of wte and wpe in the order ``backward()``
    adds them (the last position first).
    """

    def __init__(self, model: GPT, *, lr: float = 0.01, betas: tuple[float, float] = (0.85, 0.99),
                 eps: float = 1e-8, steps: int = 1000, compile: bool = True,
                 lengths: Sequence[int] | None = None) -> None:
        if not isinstance(model, GPT):
            raise TypeError(f"Trainer trains an nn.GPT, got {type(model).__name__}")
        self.steps = checks.size(steps, "steps")
        self.model = model
        self.optimizer = Adam(model.parameters(), lr=lr, betas=betas, eps=eps)
        self.lr = self.optimizer.lr
        self.compile = bool(compile)
        block = model.block_size
        wanted = list(range(1, min(EXACT, block) + 1) if lengths is None else lengths)
        bad = [n for n in wanted if isinstance(n, bool) or not isinstance(n, int)
               or not 1 <= n <= block]
        if bad:
            raise ValueError(f"lengths must be integers from 1 to block_size = {block}, got "
                             f"{bad[0]!r}")
        self.lengths = sorted({*wanted, block})
        self.programs: dict[int, Compiled] = {}
        self.k = 0  # steps taken
        # The programs' params: every parameter, the embedding tables too. The programs never
        # read the tables (their rows come in as inputs), but a Value a compiled function can
        # reach and does not name as a param is a watched constant: Adam moving the tables would
        # make every program stale, traced again at every step.
        self._params = model.parameters()

    def step(self, tokens: Sequence[int]) -> float:
        """Forward, backward and one Adam update on the document ``tokens``; returns its loss."""
        if self.k >= self.steps:
            raise ValueError(f"this Trainer was made for steps = {self.steps} (its learning rate "
                             "decays to 0 there); make a new one to train further")
        self.optimizer.lr = self.lr * (1.0 - self.k / self.steps)
        with collection_paused():
            if self.compile:
                value = self._compiled_step(self.model._tokens(tokens))
            else:
                loss = self.model.loss(tokens)
                loss.backward()
                value = loss.data
        self.optimizer.step()
        self.optimizer.zero_grad()
        self.k += 1
        return value

    @property
    def interpreted(self) -> int:
        """Documents the compiled programs handed to the interpreter (0 unless a trace broke)."""
        return sum(c.interpreted for c in self.programs.values())

    def _compiled_step(self, ids: list[int]) -> float:
        model = self.model
        n = min(model.block_size, len(ids) - 1)
        length = next(L for L in self.lengths if L >= n)
        d, v = model.n_embd, model.vocab_size
        wte, wpe = model.wte, model.wpe
        inputs: list[float] = []
        for p in range(n):
            inputs += [a.data + b.data for a, b in zip(wte[ids[p]], wpe[p], strict=True)]
        inputs += [0.0] * ((length - n) * d)
        for t in ids[1:n + 1]:
            inputs += model.one_hot(t)
        inputs += [0.0] * ((length - n) * v)
        inputs += [1.0] * n + [0.0] * (length - n)
        inputs.append(1.0 / n)
        program = self.programs.get(length)
        if program is None:
            program = self.programs[length] = self._trace(length, inputs)
        value, grads = program.value_and_grad(*inputs)
        for p in reversed(range(n)):  # backward() reaches the last position's embedding first
            g = grads[p * d:(p + 1) * d]
            for w, gj in zip(wte[ids[p]], g, strict=True):
                w.grad += gj
            for w, gj in zip(wpe[p], g, strict=True):
                w.grad += gj
        return float(value)

    def _trace(self, length: int, example: list[float]) -> Compiled:
        model, d, v = self.model, self.model.n_embd, self.model.vocab_size
        first_target, first_mask = length * d, length * (d + v)

        def loss(*inputs: Value) -> Value:
            xs = [inputs[p * d:(p + 1) * d] for p in range(length)]
            targets = [inputs[first_target + p * v:first_target + (p + 1) * v]
                       for p in range(length)]
            masks = inputs[first_mask:first_mask + length]
            terms = model.terms(xs, targets)
            # term * 1.0 is term and the zeros add nothing: the sum is the interpreter's
            return Value.sum([t * m for t, m in zip(terms, masks, strict=True)]) * inputs[-1]

        return compile_fn(loss, example, argnums=range(length * d), params=self._params)


@dataclass
class Run:
    """What ``train`` returns: the model, its tokenizer, the loss of every step, and timing."""

    model: GPT
    tokenizer: CharTokenizer
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0
    trainer: Trainer | None = None


def train(steps: int = 1000, *, seed: int = 42, compile: bool = True, progress: bool = True,
          docs: Sequence[str] | None = None, block_size: int = 16, n_embd: int = 16,
          n_head: int = 4, n_layer: int = 1, lr: float = 0.01,
          lengths: Sequence[int] | None = None) -> Run:
    """Train a fresh ``GPT(seed=seed)`` for ``steps`` steps on ``docs`` (default: the names),
    shuffled by ``random.Random(seed)``; step k trains on document k % len(docs). ``lengths``:
    the compiled programs (see ``Trainer``)."""
    docs = list(names() if docs is None else docs)
    if not docs:
        raise ValueError("train got no documents")
    tokenizer = CharTokenizer.from_docs(docs)
    random.Random(seed).shuffle(docs)
    model = GPT(tokenizer.vocab_size, block_size, n_embd, n_head, n_layer, seed=seed)
    trainer = Trainer(model, lr=lr, steps=steps, compile=compile, lengths=lengths)
    run = Run(model, tokenizer, trainer=trainer)
    encoded = [tokenizer.encode(doc) for doc in docs]
    bar: Any = None
    ks: Any = range(steps)
    if progress:
        from tqdm.auto import tqdm

        bar = ks = tqdm(ks, desc="gpt", unit="step")
    start = time.perf_counter()
    for k in ks:
        run.losses.append(trainer.step(encoded[k % len(encoded)]))
        if bar is not None:
            recent = run.losses[-100:]
            bar.set_postfix(loss=f"{run.losses[-1]:.3f}",
                            mean100=f"{sum(recent) / len(recent):.3f}", refresh=False)
    run.seconds = time.perf_counter() - start
    return run


def summary(losses: Sequence[float], window: int = 100, vocab_size: int = 27) -> str:
    """The loss curve in a line: first and last ``window`` steps' means, and uniform guessing
    (ln vocab_size)."""
    w = min(window, len(losses))
    if not w:
        return "no steps"
    first, last = sum(losses[:w]) / w, sum(losses[-w:]) / w
    return (f"loss, mean of the first {w} steps {first:.4f}, of the last {w} steps {last:.4f} "
            f"nats/char (uniform guessing: ln {vocab_size} = {math.log(vocab_size):.4f})")


def plot_losses(losses: Sequence[float], path: Path, title: str = "", window: int = 50) -> None:
    """Loss per step and its moving mean over ``window`` steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.4), dpi=100)
    steps = range(1, len(losses) + 1)
    ax.plot(steps, losses, color="#fdae6b", linewidth=0.6, label="loss per step")
    means = []
    total = 0.0
    for i, x in enumerate(losses):
        total += x - (losses[i - window] if i >= window else 0.0)
        means.append(total / min(i + 1, window))
    ax.plot(steps, means, color="#d94801", label=f"mean of {window} steps")
    ax.axhline(math.log(27), color="#888888", linestyle="--", linewidth=0.8,
               label="uniform (ln 27)")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats/char)")
    ax.legend(loc="upper right")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m nn.gpt``: train, print the summary and samples, write the loss plot."""
    p = argparse.ArgumentParser(
        prog="python -m nn.gpt",
        description="Train microgpt's character-level GPT (1 layer, 4 heads, width 16, block 16) "
                    "on 32,033 names with Adam, then sample new names.")
    p.add_argument("--steps", type=_positive, default=1000, help="training steps, one name "
                   "each (default: 1000)")
    p.add_argument("--seed", type=int, default=42, help="seed of the weights, the order of the "
                   "names and the samples (default: 42)")
    p.add_argument("--compile", action=argparse.BooleanOptionalAction, default=True,
                   help="run each step as generated Python, one program per name length (the "
                        "same numbers bit for bit as --no-compile, which interprets)")
    p.add_argument("--samples", type=int, default=20, help="names to sample (default: 20)")
    p.add_argument("--temperature", type=float, default=0.5,
                   help="sampling temperature (default: 0.5)")
    p.add_argument("--out", type=Path, default=Path("out"), metavar="DIR",
                   help="directory for gpt_loss.png (default: out)")
    p.add_argument("--save", type=Path, default=None, metavar="PATH",
                   help="also save the trained model as JSON (nn.load reads it)")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bar")
    args = p.parse_args(argv)
    run = train(args.steps, seed=args.seed, compile=args.compile, progress=args.progress)
    how = "compiled" if args.compile else "interpreted"
    print(f"{run.model!r}: {len(run.model.parameters())} parameters, {args.steps} steps "
          f"({how}) in {run.seconds:.1f} s")
    print(summary(run.losses, vocab_size=run.model.vocab_size))
    rng = random.Random(args.seed)
    print(f"{args.samples} samples at temperature {args.temperature}:")
    for i in range(args.samples):
        print(f"  {i + 1:2d}  {run.model.sample(rng, args.temperature, run.tokenizer)}")
    if args.save is not None:
        run.model.save(args.save)
        print(f"wrote {args.save}")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("matplotlib is not installed, so no plot (pip install \"autograd-tiny[demo]\")")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "gpt_loss.png"
    m = run.model
    plot_losses(run.losses, path, title=f"nn.GPT, {m.n_layer} layer, {m.n_head} heads, width "
                f"{m.n_embd}, block {m.block_size}; seed {args.seed}")
    print(f"wrote {path}")
    return 0


def _positive(text: str) -> int:
    n = int(text)
    if n <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return n


if __name__ == "__main__":
    raise SystemExit(main())
