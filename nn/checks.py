"""The argument checks nn's constructors and functions share, run once at the entry.

Each returns the argument (as the type the module stores) or raises ``TypeError`` naming the
accepted types and the type it got; a value of the right type outside its range is a
``ValueError``. The optimizers check their hyper-parameters with ``real``, ``non_negative``,
``positive``, ``fraction``, ``count`` and ``flag`` from here too, so every module words them
alike.
"""

from __future__ import annotations

import math
import numbers
import operator
import random
from collections.abc import Mapping, Sequence
from typing import Any

from autograd_tiny import Value

__all__ = ["SCALARS", "real", "non_negative", "positive", "fraction", "count", "flag", "integer",
           "size", "non_negative_int", "rng_or_none", "seed_or_none", "rng_for", "choice",
           "listlike", "sequence"]


# The types a scalar input or label may have, tested first with one isinstance; anything else
# that is a numbers.Real (a numpy float32, a Fraction) is accepted on a second test.
SCALARS = (Value, float, int)


def real(x: object, what: str) -> float:
    """``x`` as a float, or TypeError naming the accepted types (int or float)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{what} must be a real number (int or float), got "
                        f"{type(x).__name__} {x!r:.60}")
    return float(x)


def non_negative(x: object, what: str) -> float:
    """``x`` as a float, checked finite and >= 0."""
    value = real(x, what)
    if not (value >= 0.0 and math.isfinite(value)):
        raise ValueError(f"{what} must be a finite number >= 0, got {what} = {value!r}")
    return value


def positive(x: object, what: str) -> float:
    """``x`` as a float, checked finite and > 0."""
    value = non_negative(x, what)
    if value == 0.0:  # as Adam's eps: a parameter whose grad stays 0 would divide 0 by 0
        raise ValueError(f"{what} must be a finite number > 0, got {what} = {value!r}")
    return value


def fraction(x: object, what: str, *, one: bool = False) -> float:
    """``x`` as a float in [0, 1) (or [0, 1] with ``one=True``)."""
    value = real(x, what)
    if not (0.0 <= value < 1.0 or (one and value == 1.0)):
        raise ValueError(f"{what} must be in [0, {'1]' if one else '1)'}, got {what} = {value!r}")
    return value


def count(x: object, what: str) -> int:
    """``x``, checked to be an int (a number of steps)."""
    if isinstance(x, bool) or not isinstance(x, int):
        raise TypeError(f"{what} must be an int, got {type(x).__name__} {x!r:.60}")
    return x


def flag(x: object, what: str) -> bool:
    """``x``, checked to be True or False."""
    if not isinstance(x, bool):
        raise TypeError(f"{what} must be True or False, got {type(x).__name__} {x!r:.60}")
    return x


def _got(x: object) -> str:
    return f"got {type(x).__name__} {x!r:.40}"


def integer(n: object, what: str) -> int:
    """``n`` as an int: an int or anything with ``__index__`` (numpy integers), never a bool."""
    if isinstance(n, bool):
        raise TypeError(f"{what} must be an integer (int), {_got(n)}")
    try:
        return operator.index(n)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{what} must be an integer (int), {_got(n)}") from None


def size(n: object, what: str) -> int:
    """``n`` as an int > 0 (a number of inputs, features, heads...)."""
    k = integer(n, what)
    if k <= 0:
        raise ValueError(f"{what} must be positive, got {what} = {k}")
    return k


def non_negative_int(n: object, what: str) -> int:
    """``n`` as an int >= 0 (a padding)."""
    k = integer(n, what)
    if k < 0:
        raise ValueError(f"{what} must be >= 0, got {what} = {k}")
    return k


def rng_or_none(x: object, what: str = "rng") -> random.Random | None:
    """``x``: a ``random.Random`` or None."""
    if x is not None and not isinstance(x, random.Random):
        raise TypeError(f"{what} must be a random.Random or None, {_got(x)}")
    return x


def seed_or_none(x: object, what: str = "seed") -> int | None:
    """``x`` as an int, or None."""
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{what} must be an int or None, {_got(x)}")
    return int(x)


def choice(name: object, options: Sequence[str], what: str) -> str:
    """``name``, a str among ``options``."""
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a str, one of {', '.join(options)}; {_got(name)}")
    if name not in options:
        raise ValueError(f"unknown {what} {name!r}; choose one of {', '.join(options)}")
    return name


def listlike(xs: object) -> bool:
    """xs is a list, a tuple, a numpy array or another sequence, and not a str."""
    if isinstance(xs, Sequence):
        return not isinstance(xs, (str, bytes))
    return (hasattr(xs, "__len__") and hasattr(xs, "__getitem__")
            and not isinstance(xs, Mapping))


def sequence(xs: object, what: str, of: str) -> Sequence[object]:
    """``xs``, a list (or a tuple, a numpy array...) but not a str; ``of`` says of what."""
    if not listlike(xs):
        raise TypeError(f"{what} must be a list of {of}, got {type(xs).__name__} {xs!r:.40}")
    return xs  # type: ignore[return-value]


def rng_for(seed: object, rng: object) -> Any:
    """``rng``, else ``random.Random(seed)``, else the global ``random`` module (which ``rng``
    may also be), each checked."""
    seed = seed_or_none(seed)
    if rng is not random:
        rng = rng_or_none(rng)
    if seed is not None and rng is not None:
        raise ValueError("pass seed= or rng=, not both")
    if rng is not None:
        return rng
    return random if seed is None else random.Random(seed)
