"""``python -m autograd_tiny steps``: a worked backward pass, printed step by step."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .steps import backprop_steps, forward_steps
from .value import Value


def reuse() -> Value:
    """a = 1; b = a + a; c = b + b: a node used twice receives both contributions."""
    a = Value(1.0, "a")
    b = a + a
    b.label = "b"
    c = b + b
    c.label = "c"
    return c


def neuron() -> Value:
    """micrograd's neuron: o = tanh(x1*w1 + x2*w2 + b)."""
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    x1w1 = x1 * w1
    x1w1.label = "x1w1"
    x2w2 = x2 * w2
    x2w2.label = "x2w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1w1x2w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


EXAMPLES = {"neuron": neuron, "reuse": reuse}


def steps(example: str) -> None:
    root = EXAMPLES[example]()
    print(f"{example}: {(EXAMPLES[example].__doc__ or '').strip()}\n")
    print("Forward, in the order the values are computed:")
    print(forward_steps(root))
    print("\nBackward, one chain-rule step per node (grad[child] += local * grad[node]):")
    print(backprop_steps(root))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m autograd_tiny")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("steps", help="print a worked backward pass step by step")
    p.add_argument("example", nargs="?", choices=[*EXAMPLES, "all"], default="all")
    p.add_argument("--html", metavar="PATH",
                   help="write the step-through player to PATH as a page to open in a browser "
                        "(the neuron unless an example is named)")
    args = parser.parse_args(argv)
    if args.command == "steps" and args.html:
        name = "neuron" if args.example == "all" else args.example
        try:
            path = backprop_steps(EXAMPLES[name]()).save_html(args.html)
        except OSError as e:
            parser.error(str(e))
        print(f"wrote {path}: the {name} example, step by step; open it in a browser")
    elif args.command == "steps":
        for i, name in enumerate(EXAMPLES if args.example == "all" else [args.example]):
            if i:
                print("\n")
            steps(name)


if __name__ == "__main__":
    main()
