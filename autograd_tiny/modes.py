"""Per-thread switches read by every op: whether to record the graph, whether to hunt NaNs."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, NamedTuple, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Mode(NamedTuple):
    grad: bool
    anomaly: bool
    trace: Any = None  # while compile() traces: called as trace(op, children, data) per op


NORMAL = Mode(grad=True, anomaly=False)
MODE: ContextVar[Mode] = ContextVar("autograd_tiny_mode", default=NORMAL)


def _intern(mode: Mode) -> Mode:
    # The op hot path tests `mode is NORMAL`, so the normal mode is always that one object.
    return NORMAL if mode == NORMAL else mode


class _Switch(contextlib.ContextDecorator):
    """Sets one field of the mode on entry and restores the previous mode on exit."""

    field: str
    setting: bool

    def __new__(cls, func: F | None = None) -> Any:
        # `@no_grad` without parentheses decorates `func` directly.
        if func is not None:
            if not callable(func):
                raise TypeError(f"{cls.__name__} takes a function to decorate or nothing, got "
                                f"{type(func).__name__} {func!r:.40}")
            return cls()(func)
        return super().__new__(cls)

    def __init__(self, func: F | None = None) -> None:
        # The modes to restore on exit, one stack per thread: one object may be entered by
        # several threads at once (a module-level `quiet = no_grad()`), each with its own mode.
        self._saved = threading.local()

    def _recreate_cm(self) -> _Switch:
        # A fresh instance per decorated call.
        return type(self)()

    def __enter__(self) -> _Switch:
        saved = self._saved.__dict__.setdefault("stack", [])
        before = MODE.get()
        saved.append(before)
        MODE.set(_intern(before._replace(**{self.field: self.setting})))
        return self

    def __exit__(self, *exc: object) -> None:
        MODE.set(self._saved.stack.pop())


class no_grad(_Switch):
    """Inside it, ops record no graph: their results are leaves with no children.

    Use as ``with no_grad():`` or as a decorator (``@no_grad`` or ``@no_grad()``). Per thread
    (contextvars), re-entrant.
    """

    field = "grad"
    setting = False


class enable_grad(_Switch):
    """Records the graph again, even inside ``no_grad`` (used by ``create_graph=True``)."""

    field = "grad"
    setting = True


class detect_anomaly(_Switch):
    """Inside it, the first NaN or infinite forward result or gradient raises FloatingPointError.

    The error names the op and the labels and values of its operands.
    """

    field = "anomaly"
    setting = True


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly``."""
    return MODE.get().anomaly
