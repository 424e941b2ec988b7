"""The Hessian of a quadratic and what the order of multiplication costs (notebook 07).

For L(x) = ½ xᵀ V Vᵀ x with V (n, 1) the gradient is ∇L = V Vᵀ x and the Hessian is

    H = ∂²L/∂x∂xᵀ = V Vᵀ,   H_ij = V_i V_j,

the same matrix at every x (L is quadratic). With Vᵀ = [3, 1, 4]:
H = [[9, 3, 12], [3, 1, 4], [12, 4, 16]].

Vector-Hessian products
-----------------------
z = H y = v vᵀ y can be evaluated in two orders:

* reverse mode contracts with the vector first, M = vᵀ y (a scalar), then z = v M:
  2n multiplications, nothing larger than a vector stored;
* forward mode builds H = v vᵀ first, then z = H y: 2n² multiplications and an (n, n) matrix.

With vᵀ = [4, 1, 2] and yᵀ = [2, 2, 1]: M = 12 and z = [48, 12, 24] either way.

Z = H y1 y2ᵀ with y1 (n,), y2 (m,) is the chain v · vᵀ · y1 · y2ᵀ of four factors, and the two
modes keep their direction along it (multiplication counts, memory in floats stored for the
intermediate results and the output):

=======  ================================================  ===============  ===========
order    steps, in the order they run                      multiplications  memory
=======  ================================================  ===============  ===========
reverse  Y = y1 y2ᵀ (n, m), w = vᵀ Y (m,), Z = v w (n, m)  3nm              2nm + m
forward  H = v vᵀ (n, n), h = H y1 (n,), Z = h y2ᵀ (n, m)  2n² + nm         n² + n + nm
=======  ================================================  ===============  ===========

Reverse mode works from the right end of the chain (as v (vᵀ y) did), forward mode from the
left (as (v vᵀ) y did).

Forward mode is the cheaper one, in multiplications (2n² < 2nm) and in memory
(n(n + 1) < m(n + 1)), exactly when n < m: when Z is wide. For a tall Z (n > m) reverse mode
wins. (Bracketing the scalar vᵀ y1 first, v ((vᵀ y1) y2ᵀ), would cost only n + m + nm; the
point of the exercise is the direction of evaluation.)
"""

import time
import tracemalloc

import numpy as np


def _vector(value, name: str) -> np.ndarray:
    """A finite float64 vector from an (n,) or (n, 1) array."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name}: expected a real float array, got dtype {arr.dtype}")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]  # (n, 1) -> (n,)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name}: expected shape (n,) or (n, 1) with n >= 1, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinity")
    return arr.astype(np.float64, copy=False)


def _pair(v, y) -> tuple[np.ndarray, np.ndarray]:
    v, y = _vector(v, "v"), _vector(y, "y")
    if v.shape != y.shape:
        raise ValueError(f"y: expected shape (n,) = {v.shape} to match v, got {y.shape}")
    return v, y


def _count(value, name: str):
    """A positive integer, or an array of them (the cost formulas work elementwise)."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected a positive integer, got {value!r}")
    if np.any(arr < 1):
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return int(arr) if arr.ndim == 0 else arr.astype(np.int64)


def quadratic_hessian(V: np.ndarray) -> np.ndarray:
    """Hessian of L(x) = ½ xᵀ V Vᵀ x: H = V Vᵀ, H_ij = V_i V_j (independent of x).

    Args:
        V: (n,) or (n, 1).

    Returns:
        H (n, n), symmetric.
    """
    V = _vector(V, "V")
    return np.outer(V, V)


def hessian_costs(n: int) -> dict[str, int]:
    """Cost of forming H = V Vᵀ for V (n,): one multiplication per entry, n² floats stored.

    Args:
        n: length of V (an integer, or an integer array).

    Returns:
        ``{"multiplications": n², "memory": n²}`` (also elementwise for an integer array ``n``).
    """
    n = _count(n, "n")
    # BEGIN SOLUTION
    return {"multiplications": n * n, "memory": n * n}
    # END SOLUTION


def hvp_reverse(v: np.ndarray, y: np.ndarray) -> np.ndarray:
    """z = v vᵀ y in reverse-mode order: M = vᵀ y first (n multiplications), then z = v M (n).

    2n multiplications; the Hessian v vᵀ is never formed.

    Args:
        v: (n,) or (n, 1).
        y: (n,) or (n, 1).

    Returns:
        z (n,).
    """
    v, y = _pair(v, y)
    M = v @ y  # scalar
    return v * M


def hvp_forward(v: np.ndarray, y: np.ndarray) -> np.ndarray:
    """z = v vᵀ y in forward-mode order: H = v vᵀ first (n² multiplications), then z = H y (n²).

    2n² multiplications and an (n, n) matrix in memory.

    Args:
        v: (n,) or (n, 1).
        y: (n,) or (n, 1).

    Returns:
        z (n,).
    """
    v, y = _pair(v, y)
    H = np.outer(v, v)  # (n, n)
    return H @ y


def zmatrix_costs(n: int, m: int) -> dict[str, dict[str, int]]:
    """Cost of Z = v vᵀ y1 y2ᵀ (n, m) in the two orders of the module docstring.

    reverse: Y = y1 y2ᵀ, w = vᵀ Y, Z = v w   -> 3nm multiplications, 2nm + m floats stored;
    forward: H = v vᵀ, h = H y1, Z = h y2ᵀ   -> 2n² + nm multiplications, n² + n + nm floats.
    Memory counts every intermediate result and the output, not the inputs v, y1, y2.

    Args:
        n: length of v and y1 (an integer, or an integer array).
        m: length of y2 (an integer, or an integer array broadcasting with ``n``).

    Returns:
        ``{"reverse": {"multiplications": ..., "memory": ...}, "forward": {...}}``.
    """
    n, m = _count(n, "n"), _count(m, "m")
    # BEGIN SOLUTION
    return {
        "reverse": {"multiplications": 3 * n * m, "memory": 2 * n * m + m},
        "forward": {"multiplications": 2 * n * n + n * m, "memory": n * n + n + n * m},
    }
    # END SOLUTION


def _z_reverse(v: np.ndarray, y1: np.ndarray, y2: np.ndarray) -> np.ndarray:
    Y = np.outer(y1, y2)  # (n, m)
    w = v @ Y  # (m,)
    return np.outer(v, w)  # (n, m)


def _z_forward(v: np.ndarray, y1: np.ndarray, y2: np.ndarray) -> np.ndarray:
    H = np.outer(v, v)  # (n, n)
    h = H @ y1  # (n,)
    return np.outer(h, y2)  # (n, m)


def time_orders(
    n: int, m: int, rng: np.random.Generator | int, repeats: int = 5
) -> dict[str, dict[str, float]]:
    """Wall time and peak memory of Z = v vᵀ y1 y2ᵀ evaluated in reverse and in forward order.

    v, y1 (n,) and y2 (m,) are standard normal draws from ``rng``. Each order runs ``repeats``
    times; the time reported is the fastest run (the least disturbed by other work on the
    machine). Peak memory is measured once per order with ``tracemalloc`` (NumPy reports its
    array buffers to it), relative to the memory in use before the call.

    Args:
        n: length of v and y1 (a single integer).
        m: length of y2 (a single integer).
        rng: a ``numpy.random.Generator`` or an integer seed.
        repeats: timed runs of each order.

    Returns:
        ``{"reverse": {"seconds": s, "peak_bytes": b}, "forward": {...}}``.
    """
    n, m, repeats = _count(n, "n"), _count(m, "m"), _count(repeats, "repeats")
    if not isinstance(n, int) or not isinstance(m, int):
        raise ValueError("time_orders: n and m must be single integers")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    v, y1, y2 = gen.standard_normal(n), gen.standard_normal(n), gen.standard_normal(m)
    result = {}
    for name, order in (("reverse", _z_reverse), ("forward", _z_forward)):
        best = np.inf
        for _ in range(repeats):
            start = time.perf_counter()
            order(v, y1, y2)
            best = min(best, time.perf_counter() - start)
        was_tracing = tracemalloc.is_tracing()
        if not was_tracing:
            tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        order(v, y1, y2)
        peak = tracemalloc.get_traced_memory()[1] - base
        if not was_tracing:
            tracemalloc.stop()
        result[name] = {"seconds": float(best), "peak_bytes": float(peak)}
    return result
