"""Derivatives as functions: ``grad``, ``value_and_grad`` and ``hessian``, nestable to any order.

Each call builds a fresh graph from its inputs and leaves the grads of every ``Value`` the user
owns as they were. Called with floats it returns floats; called with ``Value``s (as an outer
``grad`` does) it returns ``Value``s that can be differentiated again.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable
from typing import Any

from .engine import backward, toposort
from .modes import enable_grad
from .value import Value

ArgNums = int | tuple[int, ...]


def _check_argnums(argnums: ArgNums, nargs: int) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else argnums
    if (not isinstance(nums, tuple) or not nums
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in nums)):
        raise TypeError(f"argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    for i in nums:
        if not -nargs <= i < nargs:
            raise ValueError(f"argnums {i} is out of range for a call with {nargs} positional "
                             f"argument{'s' if nargs != 1 else ''}")
    positions = tuple(i % nargs for i in nums)
    if len(set(positions)) != len(positions):
        # Each position gets one fresh input node, so a repeat would read 0 off the first.
        raise ValueError(f"argnums must not repeat an argument (as in torch.func.grad), but "
                         f"{argnums!r} names argument {_first_repeat(positions)} twice")
    return positions


def _first_repeat(positions: tuple[int, ...]) -> int:
    return next(i for k, i in enumerate(positions) if i in positions[:k])


def _as_input(x: object, i: int) -> Value:
    """A fresh node standing for argument ``i``: a leaf for a number, ``x + 0`` for a Value,
    so the derivative still flows back to ``x`` (for nesting) but is read off this node."""
    if isinstance(x, Value):
        with enable_grad():
            return x + 0.0
    if isinstance(x, numbers.Real):
        return Value(float(x))
    raise TypeError(f"argument {i} must be a real number or a Value to differentiate with "
                    f"respect to it, got {type(x).__name__}")


def gradients(y: Value, xs: list[Value], create_graph: bool) -> list[Any]:
    """d y / d x for each x, without changing any ``.grad`` of the graph as it was before."""
    nodes = toposort(y)
    saved = [node.grad for node in nodes]
    reached = set(nodes)
    try:
        for node in nodes:
            node.grad = 0.0
        backward(y, create_graph=create_graph)
        result = [x.grad if x in reached else 0.0 for x in xs]
    finally:
        for node, g in zip(nodes, saved, strict=True):
            node.grad = g
    if create_graph:
        result = [g if isinstance(g, Value) else Value(float(g)) for g in result]
    return result


def function(f: object, what: str) -> None:
    """TypeError unless ``f`` is callable (grad, hessian, gradcheck and compile take one)."""
    if not callable(f):
        raise TypeError(f"{what} takes a function of Values, got {type(f).__name__} {f!r:.40}")


def value_and_grad(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., tuple[Any, Any]]:
    """``(f(*args), df/dargs[argnums])``; a tuple of derivatives when ``argnums`` is a tuple."""
    function(f, "value_and_grad")

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        nums = _check_argnums(argnums, len(args))
        create_graph = any(isinstance(args[i], Value) for i in nums)
        xs = [_as_input(args[i], i) for i in nums]
        call = list(args)
        for i, x in zip(nums, xs, strict=True):
            call[i] = x
        with enable_grad():
            y = f(*call, **kwargs)
        if isinstance(y, Value):
            derivs = gradients(y, xs, create_graph)
        elif isinstance(y, numbers.Real) and not isinstance(y, bool):
            y = Value(float(y)) if create_graph else y
            derivs = [Value(0.0) if create_graph else 0.0 for _ in xs]
        else:
            raise TypeError(f"{getattr(f, '__name__', 'f')} must return a scalar Value to be "
                            f"differentiated, got {type(y).__name__}")
        value = y if create_graph else float(y)
        return value, (derivs[0] if isinstance(argnums, int) else tuple(derivs))

    return wrapped


def grad(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """df/dx as a function with ``f``'s signature. ``grad(grad(f))`` is the second derivative."""
    function(f, "grad")
    vg = value_and_grad(f, argnums)

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return vg(*args, **kwargs)[1]

    return wrapped


def hessian(f: Callable[..., Any]) -> Callable[..., list[list[Any]]]:
    """H[i][j] = d²f / dx_i dx_j for a scalar ``f`` of n scalar arguments (symmetric)."""
    function(f, "hessian")

    @functools.wraps(f)
    def wrapped(*args: Any) -> list[list[Any]]:
        n = len(args)
        if n == 0:
            raise ValueError("hessian needs a function of at least one argument")
        everything = tuple(range(n))
        rows = [grad(grad(f, i), everything)(*args) for i in range(n)]
        # Mirror the upper triangle so H is exactly symmetric.
        return [[rows[min(i, j)][max(i, j)] for j in range(n)] for i in range(n)]

    return wrapped
