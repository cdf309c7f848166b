"""``Module``: named parameters, state dicts, and saving to / loading from JSON.

A saved file is JSON: ``{"format": "autograd-tiny.nn", "version": 1, "module": {"type": ...,
"config": {...}}, "state": {name: float}}``. Floats are written with ``repr``, which
round-trips every float bit-exactly. No pickle is used anywhere.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from typing import Any, TypeVar

from autograd_tiny import Value

FORMAT = "autograd-tiny.nn"
VERSION = 1

_TYPES: dict[str, type[Module]] = {}
M = TypeVar("M", bound="Module")


class StateDictError(KeyError, ValueError):
    """A state dict with missing, unexpected or mis-shaped entries (a KeyError and a ValueError).

    ``missing``, ``unexpected`` and ``bad`` hold the offending names.
    """

    def __init__(self, missing: list[str], unexpected: list[str], bad: list[str]) -> None:
        self.missing, self.unexpected, self.bad = missing, unexpected, bad
        problems = []
        if missing:
            problems.append(f"missing entries: {_names(missing)}")
        if unexpected:
            problems.append(f"unexpected entries: {_names(unexpected)}")
        if bad:
            problems.append(f"entries that are not a single real number: {_names(bad)}")
        super().__init__("state dict does not match the module; " + "; ".join(problems)
                         + "; nothing was changed")

    def __str__(self) -> str:
        return str(self.args[0])


def _names(names: list[str], limit: int = 20) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


class Module:
    """Base of every model part: subclasses list their parameters in ``named_parameters``.

    Subclasses are registered by class name, so ``nn.load`` can rebuild them from ``config()``.
    ``training`` is True until ``eval()``; ``train()`` / ``eval()`` set it on every sub-module
    (the modules found in this one's attributes, directly or in lists, as ``children()`` lists).
    """

    training: bool = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _TYPES[cls.__name__] = cls

    def __call__(self, x: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define __call__")

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``(dotted name, parameter)`` pairs in ``parameters()`` order."""
        return []

    def parameters(self) -> list[Value]:
        """Every trainable Value, in micrograd's order."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0."""
        for p in self.parameters():
            p.grad = 0.0

    def named_buffers(self) -> list[tuple[str, Value]]:
        """``(dotted name, value)`` of state that is saved but not trained (running statistics)."""
        return []

    def children(self) -> list[Module]:
        """The modules held in this one's attributes, directly or in a list or tuple, in order."""
        found: list[Module] = []
        for attr in vars(self).values():
            if isinstance(attr, Module):
                found.append(attr)
            elif isinstance(attr, (list, tuple)):
                found.extend(m for m in attr if isinstance(m, Module))
        return found

    def modules(self) -> list[Module]:
        """This module and all its sub-modules, depth first, each once."""
        found: list[Module] = []
        seen: set[int] = set()
        stack: list[Module] = [self]
        while stack:
            m = stack.pop()
            if id(m) not in seen:
                seen.add(id(m))
                found.append(m)
                stack.extend(reversed(m.children()))
        return found

    def train(self: M, mode: bool = True) -> M:
        """Set ``training = mode`` on this module and every sub-module; returns the module."""
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self: M) -> M:
        """``train(False)``: batch norm uses its running statistics."""
        return self.train(False)

    def forward_batch(self, xs: list[Any]) -> list[Any]:
        """The outputs for a batch of samples (``fit`` calls this); sample by sample unless the
        module looks at the whole batch, as ``BatchNorm`` and ``Sequential`` do."""
        return [self(x) for x in xs]

    def label_parameters(self, prefix: str = "") -> None:
        """Give each parameter its dotted name (after ``prefix``) as its label."""
        for name, p in self.named_parameters():
            p.label = prefix + name

    def state_dict(self) -> dict[str, float]:
        """``{dotted name: float}`` for every parameter, then every buffer."""
        return {name: p.data for name, p in self.named_parameters() + self.named_buffers()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy ``state``'s numbers into the parameters and buffers; strict, and all-or-nothing.

        Raises ``StateDictError`` (both a ``KeyError`` and a ``ValueError``) listing missing,
        unexpected and non-number entries; on failure no parameter is changed.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict takes a mapping of name -> float, "
                            f"got {type(state).__name__}")
        named = self.named_parameters() + self.named_buffers()
        names = {name for name, _ in named}
        missing = [name for name, _ in named if name not in state]
        unexpected = sorted(str(k) for k in state if k not in names)
        bad = [name for name, _ in named if name in state and not _is_real(state[name])]
        if missing or unexpected or bad:
            raise StateDictError(missing, unexpected, bad)
        for name, p in named:
            p.data = float(state[name])

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this module's architecture (not its weights)."""
        raise NotImplementedError(f"{type(self).__name__} does not define config(), so it "
                                  "cannot be saved")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Module:
        """A fresh module with the architecture ``config`` describes."""
        return cls(**config)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write architecture and weights to ``path`` as JSON, atomically.

        The file is written to a temporary file in the same directory and moved over ``path``
        with ``os.replace``; on any failure the old file is left intact and the temporary file
        removed.
        """
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "module": {"type": type(self).__name__, "config": self.config()},
            "state": self.state_dict(),
        }
        text = json.dumps(doc, indent=1)
        _write_atomic(os.fspath(path), text)


def _is_real(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _write_atomic(path: str, text: str) -> None:
    directory, name = os.path.split(os.path.abspath(path))
    while True:
        tmp = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            # O_EXCL never clobbers another file; mode 0o666 lets the umask apply as usual.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load(path: str | os.PathLike[str]) -> Module:
    """Rebuild the module saved at ``path`` by ``Module.save``.

    A file that is not JSON, truncated, or not in this format raises ``ValueError`` (a
    ``StateDictError`` for weights that do not fit the architecture) naming the problem.
    """
    where = os.fspath(path)
    try:
        with open(where, encoding="utf-8") as f:
            doc = json.load(f)
    except ValueError as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ValueError(f"{where} is not a saved autograd-tiny model (not valid JSON: {e})"
                         ) from None
    problem = _format_problem(doc)
    if problem:
        raise ValueError(f"{where} is not a saved autograd-tiny model: {problem}")
    cls = _TYPES[doc["module"]["type"]]
    try:
        module = cls.from_config(doc["module"]["config"])
    except (TypeError, ValueError) as e:
        raise ValueError(f"{where}: the saved architecture {doc['module']!r:.200} "
                         f"cannot be built: {e}") from None
    module.load_state_dict(doc["state"])
    return module


def _format_problem(doc: Any) -> str:
    if not isinstance(doc, dict):
        return f"the top level is a {type(doc).__name__}, not an object"
    if doc.get("format") != FORMAT:
        return f"'format' is {doc.get('format')!r}, expected {FORMAT!r}"
    if doc.get("version") != VERSION:
        return f"'version' is {doc.get('version')!r}, this library reads version {VERSION}"
    module, state = doc.get("module"), doc.get("state")
    if not isinstance(module, dict) or not isinstance(module.get("config"), dict):
        return "'module' must be an object with 'type' and 'config'"
    if module.get("type") not in _TYPES:
        return f"unknown module type {module.get('type')!r} (known: {sorted(_TYPES)})"
    if not isinstance(state, dict):
        return "'state' must be an object mapping parameter names to numbers"
    return ""
