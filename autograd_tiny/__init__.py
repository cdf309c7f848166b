"""autograd-tiny: a scalar reverse-mode automatic-differentiation engine for learning backprop.

Importing it loads no dependency: graphviz (pictures, the step-through player) and
hypothesis (``autograd_tiny.testing``) are imported where they are used.
"""

from .compiler import Compiled, TraceError, compile
from .draw import draw_dot
from .functional import grad, hessian, value_and_grad
from .gradcheck import GradcheckError, gradcheck
from .modes import detect_anomaly, enable_grad, no_grad
from .steps import backprop_steps, forward_steps
from .value import Value

__all__ = [
    "Value",
    "no_grad",
    "enable_grad",
    "detect_anomaly",
    "grad",
    "value_and_grad",
    "hessian",
    "gradcheck",
    "GradcheckError",
    "draw_dot",
    "backprop_steps",
    "forward_steps",
    "compile",
    "Compiled",
    "TraceError",
]
