"""A scalar ReLU network and its derivatives with respect to each parameter (notebook 05).

The network has one input, k hidden ReLU units and one linear output::

    y(x) = Σ_i w2_i · max(0, w1_i x + b1_i) + b2

For a fixed set of parameters, each derivative ∂y/∂θ is a function of x; notebook 05 plots
them. Convention: ReLU'(0) = 0, so at a kink (w1_i x + b1_i = 0) unit i counts as off.

Shapes: ``n`` inputs x, ``k`` hidden units.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

__all__ = [
    "forward",
    "param_derivatives",
    "kinks",
    "directional_derivative",
    "HANDOUT_PARAMS",
    "PARAM_NAMES",
]

PARAM_NAMES = ("w1", "b1", "w2", "b2")


def _read_only(values: list[float]) -> np.ndarray:
    arr = np.array(values, dtype=np.float64)
    arr.setflags(write=False)
    return arr


# The parameters used for the plots of notebook 05: k = 2, kinks at x = 0.5 and x = 1.
# The output bias is not fixed by the problem; b2 = 0 is our choice (it only shifts y and
# does not change any derivative except that ∂y/∂b2 = 1 everywhere).
HANDOUT_PARAMS: Mapping[str, Any] = MappingProxyType(
    {
        "w1": _read_only([2.0, 2.0]),
        "b1": _read_only([-1.0, -2.0]),
        "w2": _read_only([0.5, 2.0]),
        "b2": 0.0,
    }
)


def _check(
    x: Any, w1: Any, b1: Any, w2: Any, b2: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """Validate and convert the inputs of :func:`forward` (float64, shapes, finite)."""
    arrays = {}
    for name, value in (("x", x), ("w1", w1), ("b1", b1), ("w2", w2)):
        try:
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be an array of numbers, got {type(value)}") from exc
        if arr.ndim != 1:
            raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or infinite values")
        arrays[name] = arr
    k = arrays["w1"].shape[0]
    for name in ("b1", "w2"):
        if arrays[name].shape != (k,):
            raise ValueError(
                f"{name} must have shape ({k},) like w1, got {arrays[name].shape}"
            )
    b2_arr = np.asarray(b2, dtype=np.float64)
    if b2_arr.size != 1:
        raise ValueError(f"b2 must be a single number, got shape {b2_arr.shape}")
    b2_val = float(b2_arr.reshape(()))
    if not np.isfinite(b2_val):
        raise ValueError(f"b2 must be finite, got {b2_val}")
    return arrays["x"], arrays["w1"], arrays["b1"], arrays["w2"], b2_val


def forward(
    x: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: float
) -> np.ndarray:
    """``y = Σ_i w2_i max(0, w1_i x + b1_i) + b2`` at every x.

    Args:
        x: (n,) inputs.
        w1, b1: (k,) hidden weights and biases; w2: (k,) output weights; b2: output bias.

    Returns:
        (n,) outputs y.
    """
    x, w1, b1, w2, b2 = _check(x, w1, b1, w2, b2)
    z = np.outer(x, w1) + b1  # (n, k)
    return np.maximum(z, 0.0) @ w2 + b2  # (n,)


def param_derivatives(
    x: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: float
) -> dict[str, np.ndarray]:
    """∂y/∂θ at each x, for every parameter θ (ReLU'(0) = 0).

    With ``z_i = w1_i x + b1_i`` and ``on_i = 1[z_i > 0]``::

        ∂y/∂b2 = 1             ∂y/∂w2_i = max(0, z_i)
        ∂y/∂b1_i = w2_i on_i   ∂y/∂w1_i = w2_i on_i x

    Args:
        x: (n,) inputs; w1, b1, w2: (k,); b2: float.

    Returns:
        dict with ``"b2"`` (n,) and ``"w2"``, ``"b1"``, ``"w1"`` (n, k): row j holds the
        derivatives at ``x[j]``.
    """
    x, w1, b1, w2, b2 = _check(x, w1, b1, w2, b2)
    # BEGIN SOLUTION
    z = np.outer(x, w1) + b1  # (n, k)
    on = (z > 0).astype(np.float64)  # (n, k)
    return {
        "b2": np.ones_like(x),  # (n,)
        "w2": np.maximum(z, 0.0),  # (n, k)
        "b1": on * w2,  # (n, k)
        "w1": on * w2 * x[:, None],  # (n, k)
    }
    # END SOLUTION


def kinks(w1: np.ndarray, b1: np.ndarray) -> np.ndarray:
    """Where each hidden unit switches on or off: ``x_i = -b1_i / w1_i``.

    Args:
        w1, b1: (k,) hidden weights and biases.

    Returns:
        (k,) kink of each unit, NaN for a unit with ``w1_i = 0`` (constant, no kink).
    """
    _, w1, b1, _, _ = _check(np.zeros(0), w1, b1, np.zeros(np.shape(w1)), 0.0)
    out = np.full(w1.shape, np.nan)
    moving = w1 != 0
    out[moving] = -b1[moving] / w1[moving]
    return out


def directional_derivative(
    x: np.ndarray, params: Mapping[str, Any], direction: Mapping[str, Any]
) -> np.ndarray:
    """The change of y per unit step along a direction in parameter space, at every x.

    ``feature(x) = Σ_θ Δθ · ∂y/∂θ(x)``: the first-order term of
    ``y_{θ+Δθ}(x) ≈ y_θ(x) + feature(x)``. For the coupled motion of notebook 05, where b1_1
    moves by 0.01 whenever w1_2 moves by 0.02, use
    ``direction = {"b1": [0.01, 0], "w1": [0, 0.02]}``.

    Args:
        x: (n,) inputs.
        params: dict with ``w1``, ``b1``, ``w2`` (k,) and ``b2`` (float), e.g.
            :data:`HANDOUT_PARAMS`.
        direction: dict with some of the keys ``w1 b1 w2`` ((k,) each) and ``b2`` (float);
            a missing key means no motion of that parameter.

    Returns:
        (n,) the synthetic feature at every x.
    """
    unknown = set(direction) - set(PARAM_NAMES)
    if unknown:
        raise ValueError(f"direction has unknown keys {sorted(unknown)}; use {PARAM_NAMES}")
    missing = [name for name in PARAM_NAMES if name not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; expected keys {PARAM_NAMES}")
    x, w1, b1, w2, b2 = _check(x, params["w1"], params["b1"], params["w2"], params["b2"])
    k = w1.shape[0]
    steps: dict[str, np.ndarray] = {}
    for name in PARAM_NAMES:
        shape = () if name == "b2" else (k,)
        step = np.asarray(direction.get(name, np.zeros(shape)), dtype=np.float64)
        if step.shape != shape:
            raise ValueError(f"direction[{name!r}] must have shape {shape}, got {step.shape}")
        if not np.all(np.isfinite(step)):
            raise ValueError(f"direction[{name!r}] contains NaN or infinite values")
        steps[name] = step
    # BEGIN SOLUTION
    grads = param_derivatives(x, w1, b1, w2, b2)
    feature = grads["b2"] * steps["b2"]  # (n,)
    for name in ("w1", "b1", "w2"):
        feature = feature + grads[name] @ steps[name]  # (n,)
    return feature
    # END SOLUTION
