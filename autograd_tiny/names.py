"""The names values go by in pictures and step-through text: a label, a parameter's short
dotted path (``L0.N3.w1``), or ``n<i>`` by position in topological order."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .value import Value

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+")

Path = tuple[str, ...]  # nested module names, e.g. ("layers.0", "neurons.3")


def node_names(order: Iterable[Value]) -> dict[Value, str]:
    """Each value's name in pictures and step text: its label (a parameter's dotted path in
    its short form, ``L0.N3.w1``), or ``n<i>`` from its position ``i`` in ``order``."""
    return {v: short_name(v.label) if v.label else f"n{i}" for i, v in enumerate(order)}


def short_name(label: str) -> str:
    """``layers.0.neurons.3.w.1`` -> ``L0.N3.w1``: each module as its initial and index, the
    parameter as its name and index; a label that is not a dotted module path is kept."""
    found = module_path(label)
    if found is None:
        return label
    path, leaf = found
    modules = [f"{p[0].upper()}{p.split('.', 1)[1]}" if "." in p else p for p in path]
    return ".".join([*modules, leaf.replace(".", "")])


def module_path(label: str) -> tuple[Path, str] | None:
    """``layers.0.neurons.3.w.1`` -> ``(("layers.0", "neurons.3"), "w.1")``: a name and the
    index after it make one component; all but the last component are nested modules."""
    tokens = label.split(".")
    if len(tokens) < 2 or tokens[0].isdigit() or not all(map(_TOKEN.fullmatch, tokens)):
        return None
    parts: list[str] = []
    for t in tokens:
        if t.isdigit() and parts and "." not in parts[-1] and not parts[-1].isdigit():
            parts[-1] += "." + t
        else:
            parts.append(t)
    if len(parts) < 2:
        return None
    return tuple(parts[:-1]), parts[-1]
