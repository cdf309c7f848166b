"""Which program lays out and renders a picture: Graphviz's ``dot``, or ``graphviz-pure``.

The ``graphviz`` package runs an executable called ``dot`` found on PATH. When a system
Graphviz is installed that is what runs. Otherwise ``graphviz-pure`` (a pip-installed build of
``dot`` with the same command line) is used, found on PATH or beside the running interpreter,
since a virtual environment is often used without being activated.

``Digraph`` is a ``graphviz.Digraph`` whose ``pipe()``, ``render()``, ``view()`` and Jupyter
display pick the executable at call time. The graphviz package builds every command from
``graphviz.backend.dot_command.DOT_BINARY``; while one of our graphs runs ``graphviz-pure``, that
name is pointed at it under a lock and restored after, so all of graphviz's own argument
handling (formats, ``outfile``, working directory, errors) is reused unchanged. With ``dot`` on
PATH nothing is swapped.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import sysconfig
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import graphviz
from graphviz.backend import dot_command

PURE = "graphviz-pure"

_swap_lock = threading.RLock()


class RendererNotFound(graphviz.ExecutableNotFound):
    """Neither Graphviz's ``dot`` nor ``graphviz-pure`` could be found."""

    def __init__(self, looked_in: list[str]) -> None:
        RuntimeError.__init__(
            self,
            "cannot render the graph: neither Graphviz's `dot` nor `graphviz-pure` was found "
            f"(looked on PATH and in {', '.join(looked_in)}). Install one of them: "
            f"`pip install graphviz-pure` (for this Python: `{sys.executable} -m pip install "
            "graphviz-pure`), or a system Graphviz (https://graphviz.org/download/, e.g. "
            "`apt install graphviz` or `brew install graphviz`). The DOT text is still "
            "available as `.source`.")


def _beside_interpreter() -> list[Path]:
    """Script directories of the running Python, where pip puts console scripts."""
    dirs = [Path(sys.executable).parent]
    scripts = sysconfig.get_path("scripts")
    if scripts and Path(scripts) not in dirs:
        dirs.append(Path(scripts))
    return dirs


def find_executable() -> str:
    """The program that renders: ``"dot"`` when it is on PATH, else the absolute path of
    ``graphviz-pure`` (on PATH or beside the interpreter); ``RendererNotFound`` if neither."""
    if shutil.which("dot"):
        return "dot"
    found = shutil.which(PURE)
    if found:
        return os.path.abspath(found)
    dirs = _beside_interpreter()
    for d in dirs:
        found = shutil.which(PURE, path=str(d))
        if found:
            return os.path.abspath(found)
    raise RendererNotFound([str(d) for d in dirs])


@contextlib.contextmanager
def _running(executable: str) -> Iterator[None]:
    """Make the graphviz package run ``executable`` for the duration of the block."""
    if executable == "dot":
        yield
        return
    with _swap_lock:
        saved = dot_command.DOT_BINARY
        dot_command.DOT_BINARY = Path(executable)
        try:
            yield
        finally:
            dot_command.DOT_BINARY = saved


def _with_executable(run: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        with _running(find_executable()):
            return run(*args, **kwargs)

    return call


# What ``render()`` writes without a name: graph.gv and graph.gv.svg, not graphviz's
# class-named Digraph.gv.svg.
DEFAULT_FILENAME = "graph.gv"


class Digraph(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders with ``dot`` if installed, else ``graphviz-pure``.

    ``.source`` never needs either. ``pipe``, ``render``, ``view`` and the Jupyter display go
    through the three backend hooks below, which the graphviz package calls for every run.
    Without a name or filename it renders to ``graph.gv.svg`` (``DEFAULT_FILENAME``).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if not args and kwargs.get("name") is None and kwargs.get("filename") is None:
            kwargs["filename"] = DEFAULT_FILENAME
        super().__init__(*args, **kwargs)

    @property
    def _pipe_lines(self) -> Callable[..., Any]:
        return _with_executable(super()._pipe_lines)

    @property
    def _pipe_lines_string(self) -> Callable[..., Any]:
        return _with_executable(super()._pipe_lines_string)

    @property
    def _render(self) -> Callable[..., Any]:
        return _with_executable(super()._render)
