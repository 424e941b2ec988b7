"""Activation functions, their derivatives, and the softmax Jacobian (notebook 02).

All functions act elementwise on arrays of any shape except ``softmax`` (along ``axis``) and
``softmax_jacobian`` (along the last axis). Derivatives are with respect to the pre-activation.

====================  ===============================  ==========================
function              f(z)                             f'(z)
====================  ===============================  ==========================
sigmoid               1 / (1 + e^{-z})                 σ(z) (1 - σ(z))
tanh                  (e^z - e^{-z}) / (e^z + e^{-z})  1 - tanh(z)²
relu                  max(0, z)                        1 if z > 0 else 0 (0 at 0)
softmax (vector)      s_i = e^{z_i} / Σ_j e^{z_j}      ∂s_i/∂z_j = s_i (δ_ij - s_j)
====================  ===============================  ==========================
"""

import numpy as np


def _float(z: np.ndarray, name: str) -> np.ndarray:
    z = np.asarray(z)
    if z.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected a real array, got dtype {z.dtype}")
    return z.astype(np.float64, copy=False)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic sigmoid σ(z) = 1 / (1 + e^{-z}), without overflow for large |z|."""
    z = _float(z, "sigmoid")
    # BEGIN SOLUTION
    e = np.exp(-np.abs(z))  # never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    # END SOLUTION


def sigmoid_grad(z: np.ndarray) -> np.ndarray:
    """σ'(z) = σ(z) (1 - σ(z)), elementwise."""
    z = _float(z, "sigmoid_grad")
    # BEGIN SOLUTION
    s = sigmoid(z)
    return s * (1.0 - s)
    # END SOLUTION


def relu(z: np.ndarray) -> np.ndarray:
    """ReLU(z) = max(0, z), elementwise."""
    z = _float(z, "relu")
    # BEGIN SOLUTION
    return np.maximum(z, 0.0)
    # END SOLUTION


def relu_grad(z: np.ndarray) -> np.ndarray:
    """ReLU'(z) = 1 for z > 0 and 0 for z <= 0 (the value 0 at z = 0, as in PyTorch)."""
    z = _float(z, "relu_grad")
    # BEGIN SOLUTION
    return (z > 0).astype(np.float64)
    # END SOLUTION


def tanh(z: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, elementwise."""
    z = _float(z, "tanh")
    # BEGIN SOLUTION
    return np.tanh(z)
    # END SOLUTION


def tanh_grad(z: np.ndarray) -> np.ndarray:
    """tanh'(z) = 1 - tanh(z)², elementwise."""
    z = _float(z, "tanh_grad")
    # BEGIN SOLUTION
    t = np.tanh(z)
    return 1.0 - t * t
    # END SOLUTION


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``: s_i = e^{z_i} / Σ_j e^{z_j}.

    Subtracting the maximum first leaves the result unchanged (the factor e^{-max} cancels) and
    keeps every exponent <= 0, so logits of size 1000 neither overflow nor give NaN.

    Args:
        z: logits of any shape, e.g. (K,) or (B, K).
        axis: the axis that sums to one.

    Returns:
        Probabilities with the shape of ``z``.
    """
    z = _float(z, "softmax")
    # BEGIN SOLUTION
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
    # END SOLUTION


def softmax_jacobian(z: np.ndarray) -> np.ndarray:
    """Jacobian of the softmax of the last axis: J = diag(s) - s sᵀ.

    Args:
        z: logits (K,) or a batch (B, K).

    Returns:
        (K, K) for one vector, (B, K, K) for a batch; ``J[..., i, j] = ∂s_i/∂z_j``.
    """
    z = _float(z, "softmax_jacobian")
    if z.ndim not in (1, 2):
        raise ValueError(f"softmax_jacobian: expected z of shape (K,) or (B, K), got {z.shape}")
    # BEGIN SOLUTION
    s = softmax(z, axis=-1)
    return s[..., :, None] * np.eye(z.shape[-1]) - s[..., :, None] * s[..., None, :]
    # END SOLUTION


def sigmoid_chain_bound(L: int) -> float:
    """Largest value of a product of ``L`` sigmoid derivatives: max σ' = σ'(0) = 1/4, so 4^{-L}."""
    # BEGIN SOLUTION
    return 0.25**L
    # END SOLUTION
