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

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "dJ_db1",
    "dJ_db2",
    "dJ_dW1",
    "dJ_dW2",
    "dJ_dx",
    "gradient_cost",
    "skip_mlp_forward",
    "skip_mlp_grads",
    "skip_mlp_loss",
    "skip_mlp_yhat",
]


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
    # BEGIN SOLUTION
    X = x.reshape(-1, D)  # (B, D)
    z1 = X @ W1.T + b1  # (B, H)
    a1 = np.maximum(z1, 0.0)  # (B, H)
    z2 = a1 @ W2.T + b2 + X  # (B, D): the skip connection adds the input
    yhat = _sigmoid(z2)  # (B, D)
    cache = {"x": X, "z1": z1, "a1": a1, "z2": z2, "yhat": yhat, "W1": W1, "W2": W2,
             "input_shape": x.shape}
    return yhat.reshape(x.shape), cache
    # END SOLUTION


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

    Args:
        cache: the cache returned by :func:`skip_mlp_forward`.
        y: labels in [0, 1], shape of the forward pass's ``x``.

    Returns:
        dict with keys ``W2`` (D, H), ``b2`` (D,), ``W1`` (H, D), ``b1`` (H,) and ``x`` (the
        shape of the forward pass's input): ∂J/∂(that array), summed over the batch.
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


# ------------------------------------------------------------------ notebook 04's exercises
# One function per quantity, each from the raw inputs (x (B, D), y (B, D), W1 (H, D), b1 (H,),
# W2 (D, H), b2 (D,)), so that each is graded on its own.
def skip_mlp_yhat(
    x: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray
) -> np.ndarray:
    """ŷ of the skip-connection MLP, the shape of ``x``: (B, D) or (D,)."""
    # BEGIN SOLUTION
    return skip_mlp_forward(x, W1, b1, W2, b2)[0]
    # END SOLUTION


def dJ_dW2(x, y, W1, b1, W2, b2) -> np.ndarray:
    """∂J/∂W2, shape (D, H), for the summed BCE loss J of the batch ``x`` with labels ``y``."""
    # BEGIN SOLUTION
    return skip_mlp_grads(skip_mlp_forward(x, W1, b1, W2, b2)[1], y)["W2"]
    # END SOLUTION


def dJ_db2(x, y, W1, b1, W2, b2) -> np.ndarray:
    """∂J/∂b2, shape (D,)."""
    # BEGIN SOLUTION
    return skip_mlp_grads(skip_mlp_forward(x, W1, b1, W2, b2)[1], y)["b2"]
    # END SOLUTION


def dJ_dW1(x, y, W1, b1, W2, b2) -> np.ndarray:
    """∂J/∂W1, shape (H, D)."""
    # BEGIN SOLUTION
    return skip_mlp_grads(skip_mlp_forward(x, W1, b1, W2, b2)[1], y)["W1"]
    # END SOLUTION


def dJ_db1(x, y, W1, b1, W2, b2) -> np.ndarray:
    """∂J/∂b1, shape (H,)."""
    # BEGIN SOLUTION
    return skip_mlp_grads(skip_mlp_forward(x, W1, b1, W2, b2)[1], y)["b1"]
    # END SOLUTION


def dJ_dx(x, y, W1, b1, W2, b2) -> np.ndarray:
    """∂J/∂x, the shape of ``x``: one row per example."""
    # BEGIN SOLUTION
    return skip_mlp_grads(skip_mlp_forward(x, W1, b1, W2, b2)[1], y)["x"]
    # END SOLUTION


# ------------------------------------------------------------------ what a gradient costs
def gradient_cost(B: int, D: int, H: int, *, seed: int = 0, repeats: int = 5) -> dict[str, float]:
    """Time one forward pass and one forward + backward pass of the skip MLP (PyTorch, float64,
    one thread), and estimate what one-derivative-at-a-time would cost.

    "One derivative at a time" means perturbing each of the P parameters and running the forward
    pass again (a forward difference): P + 1 forward passes for the whole gradient.

    Returns:
        dict with ``params`` (P), ``forward_s`` and ``backward_s`` (seconds, forward + backward,
        best of ``repeats``), ``one_at_a_time_s`` (≈ (P + 1) · forward_s) and ``ratio``
        (one_at_a_time_s / backward_s).
    """
    import time

    import torch

    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, D, generator=g, dtype=torch.float64)
    y = (torch.rand(B, D, generator=g, dtype=torch.float64) > 0.5).double()
    params = [
        torch.randn(*shape, generator=g, dtype=torch.float64).requires_grad_(True)
        for shape in ((H, D), (H,), (D, H), (D,))
    ]

    def loss() -> torch.Tensor:
        W1, b1, W2, b2 = params
        z2 = torch.relu(x @ W1.T + b1) @ W2.T + b2 + x
        return torch.nn.functional.binary_cross_entropy_with_logits(z2, y, reduction="sum")

    def best(step: Callable[[], object]) -> float:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        return min(times)

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: steadier timings on a shared machine
    try:
        torch.autograd.grad(loss(), params)  # warm-up: the first call pays one-off costs
        with torch.no_grad():
            forward_s = best(loss)
        backward_s = best(lambda: torch.autograd.grad(loss(), params))
    finally:
        torch.set_num_threads(threads)
    n_params = sum(p.numel() for p in params)
    one_at_a_time = (n_params + 1) * forward_s
    return {
        "params": float(n_params),
        "forward_s": forward_s,
        "backward_s": backward_s,
        "one_at_a_time_s": one_at_a_time,
        "ratio": one_at_a_time / backward_s,
    }
