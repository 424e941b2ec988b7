"""Jacobians in the ``out.shape + in.shape`` convention (notebook 01).

For ``f: x -> y`` the Jacobian ``J`` holds ``J[i..., j...] = d y[i...] / d x[j...]``, so its shape is
``y.shape + x.shape``. With column vectors (the pen-and-paper convention) a scalar's Jacobian with
respect to a d-vector is the 1 x d row ``[df/dx_1 ... df/dx_d]``; here that is an array of shape
``(d,)`` (``() + (d,)``), and the Jacobian of an n-vector with respect to a d-vector is ``(n, d)``
in both conventions.
"""

from collections.abc import Callable

import numpy as np


def numerical_jacobian(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """Central-difference Jacobian of ``f`` at ``x``.

    ``J[i..., j...] ≈ (f(x + eps e_j) - f(x - eps e_j))[i...] / (2 eps)``; the error is O(eps²)
    for smooth ``f``.

    Args:
        f: maps an array shaped like ``x`` to an array (or scalar) of any shape.
        x: the point, any shape; converted to float64 and never modified.
        eps: the step.

    Returns:
        ``J`` of shape ``np.shape(f(x)) + x.shape``.
    """
    x = np.array(x, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError("numerical_jacobian: x contains NaN or infinity")
    if eps <= 0:
        raise ValueError(f"numerical_jacobian: eps must be positive, got {eps}")
    y0 = np.asarray(f(x.copy()), dtype=np.float64)
    jac = np.empty(y0.shape + (x.size,))
    flat = x.reshape(-1)
    for j in range(x.size):  # one pair of evaluations per input coordinate
        step = np.zeros_like(flat)
        step[j] = eps
        plus = np.asarray(f((flat + step).reshape(x.shape)), dtype=np.float64)
        minus = np.asarray(f((flat - step).reshape(x.shape)), dtype=np.float64)
        jac[..., j] = (plus - minus) / (2 * eps)
    return jac.reshape(y0.shape + x.shape)


def jacobian_xwt(X: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Jacobian of ``f(W) = X Wᵀ`` with respect to ``W``.

    ``f(W)_{ij} = Σ_m X_{im} W_{jm}``, so ``∂f_{ij}/∂W_{pq} = δ_{jp} X_{iq}``.

    Args:
        X: (n, d) data matrix.
        W: (k, d) weight matrix (the Jacobian does not depend on its values, only its shape).

    Returns:
        (n, k, k, d) array ``J`` with ``J[i, j, p, q] = δ_{jp} X[i, q]``.
    """
    X = np.asarray(X, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    if X.ndim != 2 or W.ndim != 2 or X.shape[1] != W.shape[1]:
        raise ValueError(
            f"jacobian_xwt: need X (n, d) and W (k, d) with the same d, got {X.shape} and {W.shape}"
        )
    # BEGIN SOLUTION
    k = W.shape[0]
    return np.einsum("jp,iq->ijpq", np.eye(k), X)
    # END SOLUTION


# The Jacobians of the first six items of notebook 01, in the out.shape + in.shape convention.
# w (d,), x (d,), X (n, d).


def jac_constant(w: np.ndarray, c: float) -> np.ndarray:
    """f(w) = c: J = 0 of shape (d,) (the 1 x d zero row)."""
    # BEGIN SOLUTION
    return np.zeros(np.shape(w))
    # END SOLUTION


def jac_sqnorm(w: np.ndarray) -> np.ndarray:
    """f(w) = ‖w‖² = Σ_i w_i²: J = 2w, shape (d,)."""
    # BEGIN SOLUTION
    return 2.0 * np.asarray(w, dtype=np.float64)
    # END SOLUTION


def jac_dot(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """f(w) = wᵀx: J = x, shape (d,)."""
    # BEGIN SOLUTION
    return np.array(x, dtype=np.float64)
    # END SOLUTION


def jac_matvec(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """f(w) = Xw with X (n, d): J = X, shape (n, d)."""
    # BEGIN SOLUTION
    return np.array(X, dtype=np.float64)
    # END SOLUTION


def jac_identity(w: np.ndarray) -> np.ndarray:
    """f(w) = w: J = I_d, shape (d, d)."""
    # BEGIN SOLUTION
    return np.eye(np.size(w))
    # END SOLUTION


def jac_square(w: np.ndarray) -> np.ndarray:
    """f(w) = w ⊙ w (elementwise square): J = diag(2w), shape (d, d)."""
    # BEGIN SOLUTION
    return np.diag(2.0 * np.asarray(w, dtype=np.float64))
    # END SOLUTION


def jacobian_shape(item: int, n: int, d: int, k: int) -> tuple[int, ...]:
    """Shape of item ``item``'s Jacobian (1-7) in the row/column-vector convention.

    Vectors are columns, so a scalar's Jacobian with respect to a d-vector is 1 x d; item 7's
    Jacobian of an n x k output with respect to a k x d input is (n, k, k, d).
    """
    # BEGIN SOLUTION
    shapes = {1: (1, d), 2: (1, d), 3: (1, d), 4: (n, d), 5: (d, d), 6: (d, d), 7: (n, k, k, d)}
    return shapes[item]
    # END SOLUTION
