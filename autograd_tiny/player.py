"""The step-through player: ipywidgets that page through ``backprop_steps`` in Jupyter."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .steps import BackpropSteps

JUPYTER_EXTRA = 'pip install "autograd-tiny[jupyter]"'


class StepPlayer:
    """Widgets that step through a backward pass; ``step_to(i)``, ``next()``, ``prev()``.

    ``index`` is the current step (0-based, as in ``steps[index]``); the slider shows it
    1-based. Displays itself in Jupyter.
    """

    def __init__(self, steps: BackpropSteps) -> None:
        try:
            import ipywidgets as widgets
        except ImportError:
            raise ImportError("the step-through player needs ipywidgets, an optional extra: "
                              + JUPYTER_EXTRA) from None
        self.steps = steps
        n = len(steps)
        self.play = widgets.Play(min=1, max=max(n, 1), step=1, interval=1500,
                                 disabled=n < 2, description="play")
        self.slider = widgets.IntSlider(min=1, max=max(n, 1), value=1, description="step",
                                        disabled=n < 2, continuous_update=True)
        widgets.jslink((self.play, "value"), (self.slider, "value"))
        self.prev_button = widgets.Button(description="previous", icon="step-backward")
        self.next_button = widgets.Button(description="next", icon="step-forward")
        self.prev_button.on_click(lambda _: self.prev())
        self.next_button.on_click(lambda _: self.next())
        self.picture = widgets.HTML()
        self.text = widgets.HTML()
        self.box = widgets.VBox([
            widgets.HBox([self.prev_button, self.play, self.slider, self.next_button]),
            widgets.HBox([self.picture, self.text]),
        ])
        self._svg: dict[int, str] = {}
        self.slider.observe(lambda _: self._show(), names="value")
        self._show()

    @property
    def index(self) -> int:
        return int(self.slider.value) - 1

    def step_to(self, i: int) -> None:
        """Show step ``i`` (0-based; negative counts from the end, clamped to the range)."""
        n = len(self.steps)
        if n:
            if i < 0:
                i += n
            self.slider.value = min(max(i, 0), n - 1) + 1

    def next(self) -> None:
        self.step_to(self.index + 1)

    def prev(self) -> None:
        self.step_to(max(self.index - 1, 0))

    def _show(self) -> None:
        n, i = len(self.steps), self.index
        self.prev_button.disabled = i <= 0
        self.next_button.disabled = i >= n - 1
        if not n:
            self.text.value = f"<pre>{html.escape(str(self.steps))}</pre>"
            return
        if i not in self._svg:
            svg = self.steps[i].graph().pipe(format="svg", encoding="utf-8")
            self._svg[i] = svg[svg.find("<svg") :]  # drop the XML prolog inside HTML
        self.picture.value = self._svg[i]
        explanation = html.escape(f"Step {i + 1} of {n}\n\n{self.steps[i].explain()}")
        self.text.value = f"<pre>{explanation}</pre>"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.box._repr_mimebundle_(**kwargs)
