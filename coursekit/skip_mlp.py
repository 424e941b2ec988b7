"""A one-hidden-layer MLP with a skip connection and binary cross-entropy (notebook 04).

The network (the skip connection adds the input to the output pre-activation, which is why
the output has as many units as the input)::

    z1 = W1 x + b1            (H,)
    a1 = ReLU(z1)             (H,)
    z2 = W2 a1 + b2 + x       (D,)   <- skip connection
    ŷ  = σ(z2)                (D,)
    J  = Σ_units [ -y ln ŷ - (1 - y) ln(1 - ŷ) ]

For the usual binary classifier D = 1: a scalar input, a scalar probability ŷ. With a batch
of B rows the loss is summed over the rows too, so each row's gradient is its own.
Useful fact: ∂J/∂z2 = ŷ - y. ReLU'(0) is taken as 0.

Shapes: B examples, D input (= output) units, H hidden units.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["skip_mlp_forward", "skip_mlp_loss", "skip_mlp_grads"]


def _array(a: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers, got {type(a).__name__}") from exc
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # σ(z) = exp(-softplus(-z)): stable for large |z| in both directions
    return np.exp(-np.logaddexp(0.0, -z))


def skip_mlp_forward(
    x: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray
) -> tuple[np.ndarray, dict[str, Any]]:
    """Forward pass ``ŷ = σ(W2 ReLU(W1 x + b1) + b2 + x)``.

    Args:
        x: (D,) one input or (B, D) one input per row.
        W1: (H, D); b1: (H,); W2: (D, H); b2: (D,).

    Returns:
        yhat: the probabilities, same shape as ``x``;
        cache: dict with ``x`` (B, D), ``z1`` (B, H), ``a1`` (B, H), ``z2`` (B, D),
        ``yhat`` (B, D), the weights ``W1``, ``W2`` (what the backward pass reads) and
        ``input_shape`` (the shape of ``x`` as given).
    """
    x = _array(x, "x")
    W1, b1 = _array(W1, "W1"), _array(b1, "b1")
    W2, b2 = _array(W2, "W2"), _array(b2, "b2")
    if x.ndim not in (1, 2):
        raise ValueError(f"x must be (D,) or (B, D), got shape {x.shape}")
    D = x.shape[-1]
    if W1.ndim != 2 or W1.shape[1] != D:
        raise ValueError(f"W1 must be (H, {D}) for x of shape {x.shape}, got {W1.shape}")
    H = W1.shape[0]
    expected = {"b1": (b1, (H,)), "W2": (W2, (D, H)), "b2": (b2, (D,))}
    for name, (arr, shape) in expected.items():
        if arr.shape != shape:
            raise ValueError(f"{name} must have shape {shape} (H={H}, D={D}), got {arr.shape}")
    X = x.reshape(-1, D)  # (B, D)
    z1 = X @ W1.T + b1  # (B, H)
    a1 = np.maximum(z1, 0.0)  # (B, H)
    z2 = a1 @ W2.T + b2 + X  # (B, D)
    yhat = _sigmoid(z2)  # (B, D)
    cache = {"x": X, "z1": z1, "a1": a1, "z2": z2, "yhat": yhat, "W1": W1, "W2": W2,
             "input_shape": x.shape}
    return yhat.reshape(x.shape), cache


_CACHE_KEYS = ("x", "z1", "a1", "z2", "yhat", "W1", "W2", "input_shape")


def _targets(y: Any, cache: dict[str, Any]) -> np.ndarray:
    """Check the cache and return ``y`` reshaped to the (B, D) of the forward pass."""
    if not isinstance(cache, dict) or any(k not in cache for k in _CACHE_KEYS):
        raise ValueError(f"cache must be the dict from skip_mlp_forward, with keys {_CACHE_KEYS}")
    y = _array(y, "y")
    shape = cache["z2"].shape
    if y.size != np.prod(shape):
        raise ValueError(f"y must have {shape} entries (one per output unit), got {y.shape}")
    y = y.reshape(shape)  # (B, D)
    if np.any((y < 0) | (y > 1)):
        raise ValueError("y must lie in [0, 1] (binary labels or probabilities)")
    return y


def skip_mlp_loss(cache: dict[str, Any], y: np.ndarray) -> float:
    """Summed binary cross-entropy ``J = Σ -y ln ŷ - (1-y) ln(1-ŷ)`` of a forward pass.

    Computed from the logits as ``Σ softplus(z2) - y z2`` (no log of 0 when ŷ saturates).

    Args:
        cache: the cache returned by :func:`skip_mlp_forward`.
        y: labels in [0, 1], shape of the forward pass's ``x``.
    """
    y = _targets(y, cache)
    z2 = cache["z2"]
    return float(np.sum(np.logaddexp(0.0, z2) - y * z2))


def skip_mlp_grads(cache: dict[str, Any], y: np.ndarray) -> dict[str, np.ndarray]:
    """The five derivatives of J, by one backward pass through the cached forward values.

    With ``δ2 = ∂J/∂z2 = ŷ - y`` (B, D) and ``δ1 = ∂J/∂z1 = (δ2 W2) ⊙ 1[z1 > 0]`` (B, H)::

        ∂J/∂W2 = δ2ᵀ a1   (D, H)      ∂J/∂b2 = Σ_rows δ2   (D,)
        ∂J/∂W1 = δ1ᵀ x    (H, D)      ∂J/∂b1 = Σ_rows δ1   (H,)
        ∂J/∂x  = δ1 W1 + δ2   (B, D): the chain through the hidden layer plus the skip.

    Args:
        cache: the cache returned by :func:`skip_mlp_forward`.
        y: labels in [0, 1], shape of the forward pass's ``x``.

    Returns:
        dict with keys ``W2 b2 W1 b1 x``; ``x`` has the shape of the forward pass's input.
    """
    y = _targets(y, cache)
    # BEGIN SOLUTION
    x, z1, a1, yhat = cache["x"], cache["z1"], cache["a1"], cache["yhat"]
    W1, W2 = cache["W1"], cache["W2"]
    delta2 = yhat - y  # (B, D)
    delta1 = (delta2 @ W2) * (z1 > 0)  # (B, H)
    return {
        "W2": delta2.T @ a1,  # (D, H)
        "b2": delta2.sum(axis=0),  # (D,)
        "W1": delta1.T @ x,  # (H, D)
        "b1": delta1.sum(axis=0),  # (H,)
        "x": (delta1 @ W1 + delta2).reshape(cache["input_shape"]),  # (B, D) or (D,)
    }
    # END SOLUTION
