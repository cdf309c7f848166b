"""autograd-tiny: a scalar reverse-mode automatic-differentiation engine for learning backprop."""

from .functional import grad, hessian, value_and_grad
from .modes import detect_anomaly, enable_grad, no_grad
from .value import Value

__all__ = [
    "Value",
    "no_grad",
    "enable_grad",
    "detect_anomaly",
    "grad",
    "value_and_grad",
    "hessian",
]
