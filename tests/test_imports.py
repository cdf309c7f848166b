"""The engine's modules import one another without a cycle, lazy imports included: each helper
lives below everything that uses it."""

from __future__ import annotations

import ast
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "autograd_tiny"
NN = PACKAGE.parent / "nn"


def internal_imports(path: Path) -> set[str]:
    """The package modules ``path`` imports anywhere (in functions too), except under
    ``if TYPE_CHECKING:``, which never runs, and in a module ``__getattr__`` (PEP 562), which
    only hands a name from above to a user asking this module for it (engine's ``Value``)
    and is never called by the package itself."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
               and ast.unparse(block.test) == "TYPE_CHECKING" for stmt in block.body
               for node in ast.walk(stmt)}
    skipped |= {id(node) for block in ast.walk(tree) if isinstance(block, ast.FunctionDef)
                and block.name == "__getattr__" for node in ast.walk(block)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped or not isinstance(node, ast.ImportFrom) or node.level != 1:
            continue
        if node.module:
            found.add(node.module.split(".")[0])
        else:
            found.update(alias.name for alias in node.names)
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    return {path.stem: internal_imports(path) - {path.stem}
            for path in sorted(package.glob("*.py")) if path.stem != "__init__"}


def test_no_import_cycle_in_the_engine() -> None:
    graph = import_graph()
    assert graph["value"] >= {"ops", "engine", "modes"}  # the check sees real imports
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as e:
        raise AssertionError(f"import cycle: {' -> '.join(e.args[1])}") from None
    # In a fresh interpreter, importing them lowest first works at every step.
    code = "import importlib\n" + "".join(
        f"importlib.import_module('autograd_tiny.{name}')\n" for name in order
        if name != "__main__")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PACKAGE.parent)


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = import_graph()
    graph["ops"] = graph["ops"] | {"value"}
    try:
        list(TopologicalSorter(graph).static_order())
    except CycleError:
        return
    raise AssertionError("a cycle went unnoticed")


def test_the_package_never_asks_engine_for_value() -> None:
    # engine.Value is for users only: inside the package, Value comes from value.py.
    for path in PACKAGE.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "engine.Value" not in text and "from .engine import Value" not in text, path


def test_micrograds_import_line_works_in_a_fresh_interpreter() -> None:
    for code in ("from autograd_tiny.engine import Value",
                 "import autograd_tiny.value; from autograd_tiny.engine import Value",
                 "import autograd_tiny.engine as engine; Value = engine.Value"):
        subprocess.run([sys.executable, "-c", code + "\nimport autograd_tiny\n"
                        "assert Value is autograd_tiny.Value\n"
                        "a = Value(2.0); b = a * a; b.backward(); assert a.grad == 4.0"],
                       check=True, cwd=PACKAGE.parent)


def test_engine_names_what_it_does_not_have() -> None:
    import autograd_tiny.engine as engine

    try:
        engine.Valeu  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as e:
        assert "Valeu" in str(e)
    else:
        raise AssertionError("engine.Valeu did not raise AttributeError")


def test_no_import_cycle_in_nn() -> None:
    graph = import_graph(NN)
    assert graph["layers"] >= {"module", "pytorch"}  # the check sees real imports
    try:
        list(TopologicalSorter(graph).static_order())
    except CycleError as e:
        raise AssertionError(f"import cycle: {' -> '.join(e.args[1])}") from None
