"""``Module``: named parameters, state dicts, and saving to / loading from JSON.

A saved file is strict JSON: ``{"format": "autograd-tiny.nn", "version": 1, "module":
{"type": ..., "config": {...}}, "state": {name: float}}``. Floats are written with ``repr``,
which round-trips every float bit-exactly; weights must be finite (JSON has no NaN or
infinity), so ``save`` and ``load`` refuse NaN and ±inf with ``ValueError``. No pickle is used
anywhere.

``load`` trusts nothing in the file: it reads regular files only, at most ``MAX_BYTES``, and
builds the architecture only once its parameter count is known to fit the weights present.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import secrets
import stat
from collections.abc import Mapping
from typing import Any, TypeVar

from autograd_tiny import Value

FORMAT = "autograd-tiny.nn"
VERSION = 1
MAX_BYTES = 64 * 2**20  # the largest file ``load`` reads by default: about a million weights

M = TypeVar("M", bound="Module")
# The types nn.load can rebuild, by the name a saved file gives them, and back; filled by
# register() only, so a user's class that happens to share a name (a class MLP of their own)
# changes nothing until they register it, and then under a name of its own.
_TYPES: dict[str, type[Module]] = {}
_NAMES: dict[type[Module], str] = {}
T = TypeVar("T", bound=type["Module"])


def register(cls: T, name: str | None = None) -> T:
    """Make ``cls`` (a Module subclass) savable and loadable by ``nn.load``, under ``name``
    (its class name by default). Use as a decorator, ``@nn.register``, or call it with a
    name: ``nn.register(MyMLP, "my_mlp")``. A name already taken by another class is refused."""
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise TypeError(f"register takes a subclass of nn.Module, got {type(cls).__name__} "
                        f"{cls!r:.60}")
    name = cls.__name__ if name is None else name
    if not isinstance(name, str) or not name:
        raise TypeError(f"register's name must be a non-empty str, got {type(name).__name__} "
                        f"{name!r:.60}")
    taken, named = _TYPES.get(name), _NAMES.get(cls)
    if taken is not None and taken is not cls:
        raise ValueError(f"the saved-model name {name!r} already belongs to "
                         f"{taken.__module__}.{taken.__qualname__}; register "
                         f"{cls.__module__}.{cls.__qualname__} under another name: "
                         f"nn.register({cls.__name__}, name)")
    if named is not None and named != name:
        raise ValueError(f"{cls.__qualname__} is already registered as {named!r}")
    _TYPES[name], _NAMES[cls] = cls, name
    return cls


def saved_name(cls: type[Module]) -> str:
    """The name a saved file gives ``cls``; TypeError if it was never registered."""
    try:
        return _NAMES[cls]
    except KeyError:
        raise TypeError(f"{cls.__qualname__} is not registered for saving: decorate it with "
                        "@nn.register so that nn.load can rebuild it") from None


def saved_type(name: object) -> type[Module] | None:
    """The registered type a saved file names, or None."""
    return _TYPES.get(name) if isinstance(name, str) else None


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
            problems.append(f"entries that are not a single finite real number: "
                            f"{_names(bad)}")
        super().__init__("state dict does not match the module; " + "; ".join(problems)
                         + "; nothing was changed")

    def __str__(self) -> str:
        return str(self.args[0])


def _names(names: list[str], limit: int = 20) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


class Module:
    """Base of every model part: subclasses list their parameters in ``named_parameters``.

    A subclass registered with ``@nn.register`` can be saved, and ``nn.load`` rebuilds it from
    ``config()``.
    ``training`` is True until ``eval()``; ``train()`` / ``eval()`` set it on every sub-module
    (the modules found in this one's attributes, directly or in lists, as ``children()`` lists).
    """

    training: bool = True

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
        unexpected and bad entries (not a real number, NaN, infinite, or an int too large for
        a float). Every entry is checked before any is assigned: on failure no parameter is
        changed.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict takes a mapping of name -> float, "
                            f"got {type(state).__name__}")
        named = self.named_parameters() + self.named_buffers()
        names = {name for name, _ in named}
        missing = [name for name, _ in named if name not in state]
        unexpected = sorted(str(k) for k in state if k not in names)
        values = {name: _finite(state[name]) for name, _ in named if name in state}
        bad = [name for name, x in values.items() if x is None]
        if missing or unexpected or bad:
            raise StateDictError(missing, unexpected, bad)
        for name, p in named:
            p.data = values[name]  # type: ignore[assignment]  # every one checked above

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this module's architecture (not its weights)."""
        raise NotImplementedError(f"{type(self).__name__} does not define config(), so it "
                                  "cannot be saved")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Module:
        """A fresh module with the architecture ``config`` describes."""
        return cls(**config)

    @classmethod
    def parameter_count(cls, config: dict[str, Any]) -> int | None:
        """How many parameters ``from_config(config)`` would make, without making them.

        ``load`` compares it with the weights in the file before building anything, so a
        config asking for a billion weights is refused at once. ``None`` (the default) means
        unknown: ``load`` then refuses any integer in the config larger than the number of
        weights saved.
        """
        return None

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write architecture and weights to ``path`` as strict JSON, atomically.

        The file is written to a temporary file in the same directory and moved over ``path``
        with ``os.replace``; on any failure the old file is left intact and the temporary file
        removed. An existing file keeps its permissions, and a symlink is written through to
        its target. NaN or infinite weights raise ``ValueError`` before anything is written.
        """
        config = self.config()
        kind = saved_name(type(self))
        state = self.state_dict()
        bad = [name for name, x in state.items() if not math.isfinite(x)]
        if bad:
            shown = ", ".join(f"{name!r} = {state[name]}" for name in bad[:5])
            more = f", ... ({len(bad)} in all)" if len(bad) > 5 else ""
            raise ValueError(f"cannot save non-finite weights ({shown}{more}): JSON has no NaN "
                             "or infinity; nothing was written")
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "module": {"type": kind, "config": config},
            "state": state,
        }
        text = json.dumps(doc, indent=1, allow_nan=False)
        _write_atomic(os.fspath(path), text)


def _finite(x: object) -> float | None:
    """``x`` as a finite float, or None if it is not a real number or not finite."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return None
    try:
        x = float(x)
    except (OverflowError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _write_atomic(path: str, text: str) -> None:
    # Through a symlink to the file it names, keeping an existing file's permissions.
    path = os.path.realpath(path)
    try:
        mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    directory, name = os.path.split(path)
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
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> Module:
    """Rebuild the module saved at ``path`` by ``Module.save``.

    Anything that is not a saved model raises ``ValueError`` naming the problem, quickly and
    without allocating more than the file holds: not a regular file (a FIFO, a device, a
    directory), larger than ``max_bytes``, not strict JSON (NaN, Infinity, nesting too deep),
    not in this format, a config describing more parameters than the weights saved, or
    weights that do not fit the architecture (a ``StateDictError``, also a ``KeyError``).
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int):
        raise TypeError(f"max_bytes must be an int, got {type(max_bytes).__name__} "
                        f"{max_bytes!r:.40}")
    where = os.fspath(path)
    text = _read_bounded(where, max_bytes)
    try:
        doc = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError(f"{where} is not a saved autograd-tiny model (JSON nested too deeply)"
                         ) from None
    except ValueError as e:  # JSONDecodeError is a ValueError
        raise ValueError(f"{where} is not a saved autograd-tiny model (not valid JSON: {e})"
                         ) from None
    problem = _format_problem(doc)
    if problem:
        raise ValueError(f"{where} is not a saved autograd-tiny model: {problem}")
    cls = _TYPES[doc["module"]["type"]]  # _format_problem checked it is there
    config, state = doc["module"]["config"], doc["state"]
    try:
        _check_size(cls, config, len(state))
        module = cls.from_config(config)
    except (TypeError, ValueError, KeyError) as e:
        raise ValueError(f"{where}: the saved architecture {doc['module']!r:.200} "
                         f"cannot be built: {e}") from None
    module.load_state_dict(state)
    return module


def _read_bounded(where: str, max_bytes: int) -> str:
    """The text of the regular file ``where``; anything else, or anything larger, is refused."""
    # O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below).
    fd = os.open(where, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{where} is not a regular file, so not a saved model")
        if info.st_size > max_bytes:
            raise ValueError(f"{where} holds {info.st_size} bytes, more than max_bytes = "
                             f"{max_bytes}; pass a larger max_bytes to load it")
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise ValueError(f"{where} grew past max_bytes = {max_bytes} while being read")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{where} is not a saved autograd-tiny model (not valid JSON: not "
                         f"UTF-8 text: {e})") from None


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number in strict JSON (saved weights are finite)")


def _check_size(cls: type[Module], config: dict[str, Any], saved: int) -> None:
    """Refuse a config that would make more parameters than the ``saved`` weights fill."""
    count = cls.parameter_count(config)
    if count is not None:
        if count > saved:
            raise ValueError(f"the config describes {count} parameters but the file holds "
                             f"only {saved} weights")
        return
    stack: list[Any] = [config]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int) and item > max(saved, 1):
            raise ValueError(f"the config holds the size {item}, larger than the {saved} "
                             "weights in the file")


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
    if saved_type(module.get("type")) is None:
        return f"unknown module type {module.get('type')!r} (known: {sorted(_TYPES)})"
    if not isinstance(state, dict):
        return "'state' must be an object mapping parameter names to numbers"
    return ""
