"""Every list of losses and optimizers outside its module is derived from it or checked
against it: ``nn.__all__``, README's lists, ``fit``'s named losses and its docstring table. A
loss or optimizer added to its module and missed in one of them fails here, naming it."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import nn
from autograd_tiny import Value
from nn import losses, optim, train

README = Path(__file__).resolve().parent.parent / "README.md"


def public_functions(module: object) -> set[str]:
    return {name for name, obj in vars(module).items() if not name.startswith("_")
            and inspect.isfunction(obj) and obj.__module__ == module.__name__}  # type: ignore[attr-defined]


def optimizers() -> set[str]:
    return {name for name, obj in vars(optim).items() if inspect.isclass(obj)
            and issubclass(obj, optim.Optimizer) and obj is not optim.Optimizer}


def readme_list(word: str) -> set[str]:
    """The names in backticks after ``word`` in README's nn paragraph, up to the next ';'."""
    text = " ".join(README.read_text(encoding="utf-8").split())
    found = re.search(rf"{word} (`[^;]*);", text)
    assert found, f"README has no list of {word}"
    return set(re.findall(r"`(\w+)`", found.group(1)))


def test_nn_exports_every_loss_and_optimizer() -> None:
    exported = set(nn.__all__)
    assert not public_functions(losses) - exported
    assert not optimizers() - exported
    assert {"SGD", "Adam", "AdamW", "Adamax", "mse_loss"} <= exported  # the check sees them


def test_readme_lists_every_loss_and_optimizer() -> None:
    assert readme_list("losses") == public_functions(losses)
    assert readme_list("optimizers") == optimizers()


def test_fit_knows_every_loss_of_nn_losses_by_name() -> None:
    taking_targets = {name for name in public_functions(losses)
                      if len(inspect.signature(getattr(losses, name)).parameters) >= 2}
    assert {fn.__name__ for fn, _ in train.LOSSES.values()} == taking_targets
    assert set(train._ACCURACY) <= taking_targets  # a renamed loss would lose its rule
    documented = set(re.findall(r'^``"(\w+)"``', train.__doc__ or "", re.MULTILINE))
    assert documented == set(train.LOSSES)


def test_a_loss_added_to_nn_losses_is_picked_up_by_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    def squared_hinge_loss(scores: list[Value], labels: list[float]) -> Value:
        return losses.hinge_loss(scores, labels) ** 2

    squared_hinge_loss.__module__ = losses.__name__
    monkeypatch.setattr(losses, "squared_hinge_loss", squared_hinge_loss, raising=False)
    named = train._named_losses()
    assert named["squared_hinge"] == (squared_hinge_loss, None)
    with pytest.raises(AssertionError):
        test_nn_exports_every_loss_and_optimizer()
