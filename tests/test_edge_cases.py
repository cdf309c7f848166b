"""Hostile and odd inputs to the engine: each gives the right answer or a clear error."""

from __future__ import annotations

import pytest

from autograd_tiny import grad, value_and_grad


@pytest.mark.parametrize("argnums", [(0, 0), (1, 0, 1), (0, -2), (-1, 1)])
def test_repeated_argnums_are_refused(argnums: tuple[int, ...]) -> None:
    f = lambda x, y: x * y  # noqa: E731
    with pytest.raises(ValueError, match="must not repeat an argument"):
        grad(f, argnums)(3.0, 2.0)
    with pytest.raises(ValueError, match="twice"):
        value_and_grad(f, argnums)(3.0, 2.0)


def test_bool_argnums_are_refused() -> None:
    with pytest.raises(TypeError, match="argnums"):
        grad(lambda x, y: x * y, True)(3.0, 2.0)  # type: ignore[arg-type]
