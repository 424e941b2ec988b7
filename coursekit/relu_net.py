"""A scalar ReLU network and its derivatives with respect to each parameter (notebook 05).

The network has one input, k hidden ReLU units and one linear output::

    y(x) = Σ_i w2_i · max(0, w1_i x + b1_i) + b2

For a fixed set of parameters, each derivative ∂y/∂θ is a function of x; notebook 05 plots
them. Convention: ReLU'(0) = 0, so at a kink (w1_i x + b1_i = 0) unit i counts as off.

The exercises of notebook 05 are ``forward``, ``dy_db2``, ``dy_dw2``, ``dy_db1``, ``dy_dw1``,
``kink_jumps`` and ``directional_derivative``; ``param_derivatives`` gathers the four
derivatives in one dict. ``autograd_derivatives``, ``autograd_kink_jumps`` and
``autograd_directional`` compute the same quantities with PyTorch autograd (plots and visible
checks use them as the truth; they are not exercises and stay in the student build).

Shapes: ``n`` inputs x, ``k`` hidden units.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import torch

__all__ = [
    "forward",
    "dy_db2",
    "dy_dw2",
    "dy_db1",
    "dy_dw1",
    "param_derivatives",
    "kinks",
    "kink_jumps",
    "directional_derivative",
    "autograd_derivatives",
    "autograd_directional",
    "autograd_kink_jumps",
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


def _check(x: Any, w1: Any, b1: Any, w2: Any, b2: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
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
            raise ValueError(f"{name} must have shape ({k},) like w1, got {arrays[name].shape}")
    b2_arr = np.asarray(b2, dtype=np.float64)
    if b2_arr.size != 1:
        raise ValueError(f"b2 must be a single number, got shape {b2_arr.shape}")
    b2_val = float(b2_arr.reshape(()))
    if not np.isfinite(b2_val):
        raise ValueError(f"b2 must be finite, got {b2_val}")
    return arrays["x"], arrays["w1"], arrays["b1"], arrays["w2"], b2_val


def forward(x: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: float) -> np.ndarray:
    """``y = Σ_i w2_i max(0, w1_i x + b1_i) + b2`` at every x.

    Args:
        x: (n,) inputs.
        w1, b1: (k,) hidden weights and biases; w2: (k,) output weights; b2: output bias.

    Returns:
        (n,) outputs y.
    """
    x, w1, b1, w2, b2 = _check(x, w1, b1, w2, b2)
    # BEGIN SOLUTION
    z = np.outer(x, w1) + b1  # (n, k)
    return np.maximum(z, 0.0) @ w2 + b2  # (n,)
    # END SOLUTION


def dy_db2(x: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: float) -> np.ndarray:
    """∂y/∂b2 at every x: the output bias enters y with coefficient 1. Returns (n,)."""
    x, w1, b1, w2, b2 = _check(x, w1, b1, w2, b2)
    # BEGIN SOLUTION
    return np.ones(x.shape[0])  # (n,)
    # END SOLUTION


def dy_dw2(x: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: float) -> np.ndarray:
    """∂y/∂w2_i = max(0, w1_i x + b1_i), the activation of unit i. Returns (n, k)."""
    x, w1, b1, w2, b2 = _check(x, w1, b1, w2, b2)
    # BEGIN SOLUTION
    return np.maximum(np.outer(x, w1) + b1, 0.0)  # (n, k)
    # END SOLUTION


def dy_db1(x: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: float) -> np.ndarray:
    """∂y/∂b1_i = w2_i · 1[w1_i x + b1_i > 0] (0 at the kink). Returns (n, k)."""
    x, w1, b1, w2, b2 = _check(x, w1, b1, w2, b2)
    # BEGIN SOLUTION
    active = np.outer(x, w1) + b1 > 0  # (n, k)
    return np.where(active, w2, 0.0)  # (n, k)
    # END SOLUTION


def dy_dw1(x: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: float) -> np.ndarray:
    """∂y/∂w1_i = w2_i · 1[w1_i x + b1_i > 0] · x (0 at the kink). Returns (n, k)."""
    x, w1, b1, w2, b2 = _check(x, w1, b1, w2, b2)
    # BEGIN SOLUTION
    active = np.outer(x, w1) + b1 > 0  # (n, k)
    return np.where(active, np.outer(x, w2), 0.0)  # (n, k)
    # END SOLUTION


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
    args = (x, w1, b1, w2, b2)
    return {"b2": dy_db2(*args), "w2": dy_dw2(*args), "b1": dy_db1(*args), "w1": dy_dw1(*args)}
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


def kink_jumps(w1: np.ndarray, b1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    """How much ∂y/∂b1_i and ∂y/∂w1_i jump at unit i's own kink, as x increases through it.

    A unit with ``w1_i > 0`` switches on at its kink ``x_i = -b1_i / w1_i`` (jumps
    ``+w2_i`` and ``+w2_i x_i``), one with ``w1_i < 0`` switches off (the same with a minus
    sign), one with ``w1_i = 0`` has no kink (jumps 0).

    Args:
        w1, b1, w2: (k,) hidden weights, hidden biases and output weights.

    Returns:
        (2, k): row 0 the jumps of ∂y/∂b1_i, row 1 the jumps of ∂y/∂w1_i.
    """
    _, w1, b1, w2, _ = _check(np.zeros(0), w1, b1, w2, 0.0)
    # BEGIN SOLUTION
    at = np.divide(-b1, w1, out=np.zeros_like(b1), where=w1 != 0)  # (k,) kinks, 0 if none
    turn_on = np.sign(w1)  # +1 switches on, -1 switches off, 0 never switches
    return np.stack([turn_on * w2, turn_on * w2 * at])  # (2, k)
    # END SOLUTION


def _steps(direction: Mapping[str, Any], k: int) -> dict[str, np.ndarray]:
    """The step of every parameter in ``direction`` (0 for a missing key), checked."""
    unknown = set(direction) - set(PARAM_NAMES)
    if unknown:
        raise ValueError(f"direction has unknown keys {sorted(unknown)}; use {PARAM_NAMES}")
    steps: dict[str, np.ndarray] = {}
    for name in PARAM_NAMES:
        shape = () if name == "b2" else (k,)
        step = np.asarray(direction.get(name, np.zeros(shape)), dtype=np.float64)
        if step.shape != shape:
            raise ValueError(f"direction[{name!r}] must have shape {shape}, got {step.shape}")
        if not np.all(np.isfinite(step)):
            raise ValueError(f"direction[{name!r}] contains NaN or infinite values")
        steps[name] = step
    return steps


def _params(params: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    missing = [name for name in PARAM_NAMES if name not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; expected keys {PARAM_NAMES}")
    _, w1, b1, w2, b2 = _check(np.zeros(0), params["w1"], params["b1"], params["w2"], params["b2"])
    return w1, b1, w2, b2


def directional_derivative(x: np.ndarray, params: Mapping[str, Any], direction: Mapping[str, Any]) -> np.ndarray:
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
    w1, b1, w2, b2 = _params(params)
    x, w1, b1, w2, b2 = _check(x, w1, b1, w2, b2)
    steps = _steps(direction, w1.shape[0])
    # BEGIN SOLUTION
    grads = param_derivatives(x, w1, b1, w2, b2)
    feature = grads["b2"] * steps["b2"]  # (n,)
    for name in ("w1", "b1", "w2"):
        feature = feature + grads[name] @ steps[name]  # (n,)
    return feature
    # END SOLUTION


# ---- the same quantities by PyTorch autograd (the truth for plots and visible checks) ----


def _torch_net(x: torch.Tensor, w1, b1, w2, b2) -> torch.Tensor:
    """y at every x; the parameters may carry a leading per-x axis. Returns (n,)."""
    return (torch.relu(x[:, None] * w1 + b1) * w2).sum(-1) + b2


def autograd_derivatives(
    x: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: float
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """y and every ∂y/∂θ at each x by PyTorch autograd (float64, ReLU'(0) = 0 as in torch).

    Each x gets its own copy of the parameters, so one backward pass of Σ_j y_j gives the
    derivatives of every y_j separately.

    Returns:
        ``(y, grads)``: y (n,) and a dict shaped like :func:`param_derivatives`.
    """
    x, w1, b1, w2, b2 = _check(x, w1, b1, w2, b2)
    n = x.shape[0]

    def copies(value: np.ndarray | float) -> torch.Tensor:
        t = torch.tensor(value, dtype=torch.float64)
        return t.expand(n, *t.shape).clone().requires_grad_(True)  # (n,) or (n, k)

    theta = {"w1": copies(w1), "b1": copies(b1), "w2": copies(w2), "b2": copies(b2)}
    y = _torch_net(torch.tensor(x), theta["w1"], theta["b1"], theta["w2"], theta["b2"])
    if n:
        y.sum().backward()
    grads = {name: (t.grad if t.grad is not None else torch.zeros_like(t)).numpy() for name, t in theta.items()}
    return y.detach().numpy(), grads


def autograd_directional(x: np.ndarray, params: Mapping[str, Any], direction: Mapping[str, Any]) -> np.ndarray:
    """:func:`directional_derivative` by forward-mode autodiff (``torch.func.jvp``). Returns (n,)."""
    w1, b1, w2, b2 = _params(params)
    x, w1, b1, w2, b2 = _check(x, w1, b1, w2, b2)
    steps = _steps(direction, w1.shape[0])
    primals = tuple(torch.tensor(v, dtype=torch.float64) for v in (w1, b1, w2, b2))
    tangents = tuple(torch.tensor(steps[name]) for name in PARAM_NAMES)
    xt = torch.tensor(x)
    with warnings.catch_warnings():  # torch's first jvp scripts a decomposition: a deprecation notice
        warnings.simplefilter("ignore", DeprecationWarning)
        _, dy = torch.func.jvp(lambda *theta: _torch_net(xt, *theta), primals, tangents)
    return dy.numpy()


def autograd_kink_jumps(w1: np.ndarray, b1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    """:func:`kink_jumps` from one-sided limits of the autograd derivatives. Returns (2, k).

    At each unit's own kink the derivatives are evaluated at distance ε and 2ε on both sides;
    both sides are affine in x there, so ``2·jump(ε) − jump(2ε)`` removes the O(ε) part.
    """
    _, w1, b1, w2, _ = _check(np.zeros(0), w1, b1, w2, 0.0)
    out = np.zeros((2, w1.size))
    for i in np.flatnonzero(w1 != 0):
        at = -b1[i] / w1[i]
        eps = 1e-6 * max(1.0, abs(at))
        h = np.array([eps, 2 * eps])
        _, g = autograd_derivatives(np.concatenate([at - h, at + h]), w1, b1, w2, 0.0)
        jump = {name: g[name][2:, i] - g[name][:2, i] for name in ("b1", "w1")}  # (2,) each
        out[:, i] = [2 * jump["b1"][0] - jump["b1"][1], 2 * jump["w1"][0] - jump["w1"][1]]
    return out
