"""Independent answers computed with PyTorch autograd in float64, for visible checks and tests.

Nothing here uses a coursekit reference, so these work in the student build too.
"""

from collections.abc import Callable

import numpy as np
import torch


def _t(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float64))


def jacobian(f: Callable[[torch.Tensor], torch.Tensor], x: np.ndarray) -> np.ndarray:
    """Jacobian of a torch function at ``x``, shape ``f(x).shape + x.shape``."""
    return torch.autograd.functional.jacobian(f, _t(x)).numpy()


def elementwise(f: Callable[[torch.Tensor], torch.Tensor], z: np.ndarray) -> np.ndarray:
    """``f(z)`` for an elementwise torch function, as float64 NumPy."""
    with torch.no_grad():
        return f(_t(z)).numpy()


def elementwise_grad(f: Callable[[torch.Tensor], torch.Tensor], z: np.ndarray) -> np.ndarray:
    """``f'(z)`` of an elementwise torch function by autograd (the gradient of Σ f(z))."""
    zt = _t(z).clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(zt).sum(), zt)
    return grad.numpy()


def batched_jacobian(f: Callable[[torch.Tensor], torch.Tensor], z: np.ndarray) -> np.ndarray:
    """Jacobian of a function of the last axis: (K,) -> (K, K) and (B, K) -> (B, K, K)."""
    zt = _t(z)
    jac = torch.func.jacrev(f)
    if zt.ndim == 1:
        return jac(zt).numpy()
    return torch.vmap(jac)(zt.reshape(-1, zt.shape[-1])).reshape(*zt.shape, zt.shape[-1]).numpy()
