"""autograd-tiny: a scalar reverse-mode automatic-differentiation engine for learning backprop."""

from .modes import detect_anomaly, enable_grad, no_grad
from .value import Value

__all__ = [
    "Value",
    "no_grad",
    "enable_grad",
    "detect_anomaly",
]
