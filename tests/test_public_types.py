"""Every public entry point of autograd_tiny and nn, listed from their ``__all__``, refuses an
argument of the wrong type with a TypeError naming the type it got and what it accepts
(``nn.SGD(params, lr="0.1")`` must not train with lr = 0.1 read from a string). A new entry
point fails ``test_every_entry_point_has_a_valid_call`` until it is given a valid call below;
the sweep then tries a wrong type in each of its parameters."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import pytest

import autograd_tiny
import nn
from autograd_tiny import Value

EXCEPTIONS_AND_DATA = {"GradcheckError", "TraceError", "StateDictError", "ACTIVATIONS", "INITS",
                       "LOSSES", "datasets", "History", "Module", "Optimizer", "Compiled"}


def _params() -> list[Value]:
    return [Value(0.5), Value(-0.5)]


def _root() -> Value:
    x = Value(2.0, "x")
    return x * x + 1


# A valid call of each entry point: (positional args, keyword args), built fresh each time.
VALID: dict[str, Callable[[], tuple[tuple[Any, ...], dict[str, Any]]]] = {
    "Value": lambda: ((1.5,), {"label": "x"}),
    "no_grad": lambda: ((), {}),
    "enable_grad": lambda: ((), {}),
    "detect_anomaly": lambda: ((), {}),
    "grad": lambda: ((lambda x: x * x,), {"argnums": 0}),
    "value_and_grad": lambda: ((lambda x: x * x,), {"argnums": 0}),
    "hessian": lambda: ((lambda x: x * x,), {}),
    "gradcheck": lambda: ((lambda x: x * x, [0.5]), {"eps": 1e-6, "atol": 1e-5, "rtol": 1e-3,
                                                     "order": 1}),
    "draw_dot": lambda: ((_root(),), {"rankdir": "LR", "show_grad": True, "color_by": "grad",
                                      "max_nodes": 500}),
    "backprop_steps": lambda: ((_root(),), {}),
    "forward_steps": lambda: ((_root(),), {}),
    "compile": lambda: ((lambda x: x * x, [0.5]), {"max_traces": 8}),
    "Neuron": lambda: ((2,), {"activation": "relu", "init": "uniform", "fused": True}),
    "Layer": lambda: ((2, 3), {"activation": "relu", "init": "uniform", "fused": True}),
    "MLP": lambda: ((2, [3, 1]), {"activation": "relu", "output_activation": "linear",
                                  "seed": 1, "fused": True, "init": "uniform"}),
    "BatchNorm": lambda: ((2,), {"eps": 1e-5, "momentum": 0.1}),
    "Sequential": lambda: ((nn.Layer(2, 2),), {}),
    "Activation": lambda: (("relu",), {}),
    "RNN": lambda: ((2, 3), {"nonlinearity": "tanh"}),
    "RNNReadout": lambda: ((2, 3), {"output_size": 1}),
    "load": lambda: ((saved(),), {"max_bytes": 10_000}),
    "register": lambda: ((nn.MLP,), {}),
    "mse_loss": lambda: (([Value(0.5)], [1.0]), {}),
    "hinge_loss": lambda: (([Value(0.5)], [1.0]), {}),
    "binary_cross_entropy": lambda: (([Value(0.5)], [1.0]), {}),
    "binary_cross_entropy_with_logits": lambda: (([Value(0.5)], [1.0]), {}),
    "cross_entropy": lambda: (([Value(0.5), Value(1.0)], 1), {}),
    "softmax": lambda: (([Value(0.5), Value(1.0)],), {}),
    "log_softmax": lambda: (([Value(0.5), Value(1.0)],), {}),
    "l1_penalty": lambda: ((_params(),), {}),
    "l2_penalty": lambda: ((_params(),), {}),
    "SGD": lambda: ((_params(), 0.1), {"momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    "Adam": lambda: ((_params(),), {"lr": 0.1, "betas": (0.9, 0.99), "eps": 1e-8,
                                    "weight_decay": 0.1}),
    "AdamW": lambda: ((_params(),), {"lr": 0.1, "betas": (0.9, 0.99), "eps": 1e-8,
                                     "weight_decay": 0.1}),
    "Adamax": lambda: ((_params(),), {"lr": 0.1, "betas": (0.9, 0.99), "eps": 1e-8,
                                      "weight_decay": 0.1}),
    "AdaGrad": lambda: ((_params(),), {"lr": 0.1, "lr_decay": 0.1, "weight_decay": 0.1,
                                       "initial_accumulator_value": 0.1, "eps": 1e-10}),
    "RMSProp": lambda: ((_params(),), {"lr": 0.1, "alpha": 0.9, "eps": 1e-8,
                                       "weight_decay": 0.1, "momentum": 0.5,
                                       "centered": True}),
    "clip_grad_norm": lambda: ((_params(), 1.0), {"error_if_nonfinite": False}),
    "StepDecay": lambda: ((0.1, 10), {"gamma": 0.5}),
    "LinearDecay": lambda: ((1.0, 0.1, 100), {}),
    "WarmupDecay": lambda: ((0.1, 5, 50), {"end": 0.0, "decay": "linear"}),
    "Conv1d": lambda: ((2, 3, 2), {"stride": 1, "padding": 1, "dilation": 1, "bias": True,
                                   "seed": 0, "rng": None}),
    "Embedding": lambda: ((5, 3), {"std": 1.0, "seed": 0, "rng": None}),
    "RMSNorm": lambda: ((3,), {"eps": 1e-5, "elementwise_affine": True}),
    "LayerNorm": lambda: ((3,), {"eps": 1e-5, "elementwise_affine": True}),
    "rms_norm": lambda: (([Value(0.5), Value(1.0)],), {"eps": 1e-5}),
    "logsumexp": lambda: (([Value(0.5), Value(1.0)],), {}),
    "max_value": lambda: (([Value(0.5), Value(1.0)],), {}),
    "CausalSelfAttention": lambda: ((4, 2), {"std": 0.08, "seed": 0, "rng": None}),
    "KVCache": lambda: ((), {}),
    "TransformerBlock": lambda: ((4, 2), {"seed": 0, "rng": None}),
    "GPT": lambda: ((5,), {"block_size": 4, "n_embd": 4, "n_head": 2, "n_layer": 1, "seed": 0}),
    "CharTokenizer": lambda: (("abc",), {}),
    "fit": lambda: ((nn.MLP(2, [2, 1], seed=0), [[0.0, 1.0]], [1.0]),
                    {"loss": "hinge", "optimizer": nn.SGD(_params(), 0.1), "epochs": 1,
                     "batch_size": 1, "progress": False, "seed": 0, "l2": 0.0, "l1": 0.0}),
}


def saved() -> str:
    nn.MLP(2, [1], seed=0).save("model.json")
    return "model.json"


def entry_points() -> dict[str, Callable[..., Any]]:
    found = {}
    for package in (autograd_tiny, nn):
        for name in package.__all__:
            obj = getattr(package, name)
            if callable(obj) and name not in EXCEPTIONS_AND_DATA:
                found[name] = obj
    return found


def test_every_entry_point_has_a_valid_call() -> None:
    missing = sorted(set(entry_points()) - set(VALID))
    assert not missing, f"give these a valid call in VALID: {missing}"
    assert not set(VALID) - set(entry_points())


def wrong_for(name: str, param: str, valid: Any) -> Any:
    """An argument of a type the parameter does not take: a number where a str is expected,
    else a str that reads as a number (the dangerous one: float("0.1") works)."""
    if (name, param) in TAKES_STR:
        return 3.5
    return 3.5 if isinstance(valid, str) else "0.1"


# Parameters that take a str although their default is not one.
TAKES_STR = {("register", "name"), ("draw_dot", "highlight")}

# Entry points whose modules do not check these arguments' types yet (each to be fixed in its
# own module); strict, so each one fails the run as soon as it is fixed and must leave the list.
NOT_YET: dict[tuple[str, str], str] = {}


# How a message says what a parameter accepts ("lr must be a real number (int or float)",
# "Sequential takes nn modules"); Python's own "'str' object is not callable" does not.
ACCEPTED = re.compile(r"must be|takes|needs|expected")

# Entry points whose wrong-type message is still Python's own, not naming what is accepted.
ACCEPTED_NOT_NAMED: dict[tuple[str, str], str] = {}

def cases() -> list[Any]:
    found = []
    for name, fn in entry_points().items():
        for param in inspect.signature(fn).parameters.values():
            if param.kind is not param.VAR_KEYWORD:
                where = NOT_YET.get((name, param.name))
                unnamed = ACCEPTED_NOT_NAMED.get((name, param.name))
                marks = [pytest.mark.xfail(strict=True, reason=f"{where} does not check it yet")
                         ] if where else [pytest.mark.xfail(
                             strict=True, reason=f"{unnamed}'s message does not name the "
                             "accepted types yet")] if unnamed else []
                found.append(pytest.param(name, param.name, marks=marks))
    return found


@pytest.mark.parametrize("name, param", cases())
def test_a_wrong_type_gets_a_type_error_naming_it(name: str, param: str, tmp_path,
                                                  monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    fn = entry_points()[name]
    args, kwargs = VALID[name]()
    sig = inspect.signature(fn)
    bound = sig.bind_partial(*args, **kwargs)
    p = sig.parameters[param]
    valid = bound.arguments.get(param, p.default)
    if p.kind is p.VAR_POSITIONAL:
        valid = valid[0] if valid else None
    bad = wrong_for(name, param, valid)
    if p.kind is p.VAR_POSITIONAL:
        bound.arguments[param] = (bad,)
    else:
        bound.arguments[param] = bad
    with pytest.raises(TypeError) as info:
        result = fn(*bound.args, **bound.kwargs)
        if callable(result) and name in ("grad", "value_and_grad", "hessian"):
            result(0.5)
    message = str(info.value)
    assert type(bad).__name__ in message or repr(bad) in message, message
    assert ACCEPTED.search(message), f"the message does not say what {param} accepts: {message}"

