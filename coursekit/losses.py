"""Notebook 11: binary cross-entropy computed from logits, without overflow or log(0).

For a logit ``z`` (the score before the sigmoid) and a target ``y`` in [0, 1], with
``p = sigmoid(z)``, the binary cross-entropy is

    l(z, y) = -y log p - (1 - y) log(1 - p).

Since ``log p = -log(1 + e^{-z})`` and ``log(1 - p) = -z - log(1 + e^{-z})``, it equals
``log(1 + e^{-z}) + (1 - y) z``, and splitting ``z`` by its sign gives a form in which ``exp``
only ever sees a non-positive number:

    l(z, y) = max(z, 0) - y z + log(1 + e^{-|z|}).

Its derivative is ``dl/dz = sigmoid(z) - y``. Computed literally from ``p``, the loss breaks once
``p`` rounds to exactly 0 or 1 (``|z|`` above about 17 in float32, 37 in float64): ``log(0)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bce_with_logits", "bce_with_logits_grad"]


def _pair(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z, y = np.asarray(z, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if z.shape != y.shape:
        raise ValueError(f"z and y must have the same shape, got {z.shape} and {y.shape}")
    return z, y


def bce_with_logits(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Elementwise binary cross-entropy of logits ``z`` against targets ``y`` (same shape).

    Finite for every finite ``z``; equal to PyTorch's ``binary_cross_entropy_with_logits``
    with ``reduction="none"``.
    """
    z, y = _pair(z, y)
    # BEGIN SOLUTION
    return np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))
    # END SOLUTION


def bce_with_logits_grad(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Elementwise derivative ``d l / d z = sigmoid(z) - y`` (same shape as ``z``)."""
    z, y = _pair(z, y)
    # BEGIN SOLUTION
    e = np.exp(-np.abs(z))  # in (0, 1]: no overflow
    sigmoid = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return sigmoid - y
    # END SOLUTION

