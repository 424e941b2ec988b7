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

For any f: Rⁿ -> R, ``hvp_autodiff(f, x, y)`` computes H(x) y with ``torch.func``: a Jacobian-vector
product of the gradient map (forward over reverse), never forming H. The functions the checks hand
to it (``Quadratic``, ``LogSumExp``, ``CubicPlusCross``, ``SoftplusLayer``, ``SinProduct``) are
plain-data dataclasses, so that a grader can send one to a student's process, rebuild it there and
let ``torch.func`` trace it.

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
from dataclasses import dataclass

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
    # BEGIN SOLUTION
    return np.outer(V, V)
    # END SOLUTION


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
    # BEGIN SOLUTION
    M = v @ y  # scalar
    return v * M
    # END SOLUTION


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
    # BEGIN SOLUTION
    H = np.outer(v, v)  # (n, n)
    return H @ y
    # END SOLUTION


def hvp_autodiff(f, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """H(x) y for any twice-differentiable f: Rⁿ -> R, by autodiff: forward over reverse.

    ``torch.func.grad(f)`` is the map x -> ∇f(x); its Jacobian is the Hessian, so a Jacobian-vector
    product of that map in the direction y (``torch.func.jvp``) is H(x) y, computed without
    forming H.

    Args:
        f: a function of a float64 tensor (n,) returning a scalar tensor.
        x: the point (n,).
        y: the direction (n,).

    Returns:
        H(x) y as a float64 array (n,).
    """
    x, y = _vector(x, "x"), _vector(y, "y")
    if x.shape != y.shape:
        raise ValueError(f"y: expected shape (n,) = {x.shape} to match x, got {y.shape}")
    # BEGIN SOLUTION
    import torch

    xt, yt = torch.from_numpy(x.copy()), torch.from_numpy(y.copy())
    _, hy = torch.func.jvp(torch.func.grad(f), (xt,), (yt,))
    return hy.detach().numpy()
    # END SOLUTION


# ------------------------------------------------------------------- functions to differentiate
def _tensor(a):
    import torch

    return torch.as_tensor(np.asarray(a, dtype=np.float64))


@dataclass(frozen=True, eq=False, repr=False)
class Quadratic:
    """L(x) = ½ (Vᵀx)² for V (n,): its Hessian is V Vᵀ at every x. Takes x (n,), a float64 tensor."""

    V: np.ndarray

    def __call__(self, x):
        return 0.5 * (x @ _tensor(self.V).reshape(-1)) ** 2

    def __repr__(self) -> str:
        return f"L(x) = ½ (Vᵀx)² with V = {np.ravel(self.V).tolist()}"


@dataclass(frozen=True, eq=False, repr=False)
class LogSumExp:
    """f(x) = log Σ_i exp(x_i): its Hessian diag(p) − p pᵀ (p = softmax(x)) depends on x."""

    def __call__(self, x):
        import torch

        return torch.logsumexp(x, 0)

    def __repr__(self) -> str:
        return "f(x) = log Σ exp(x_i)"


@dataclass(frozen=True, eq=False, repr=False)
class CubicPlusCross:
    """f(x) = Σ_i x_i³ + x_1 x_n."""

    def __call__(self, x):
        return (x**3).sum() + x[0] * x[-1]

    def __repr__(self) -> str:
        return "f(x) = Σ x_i³ + x_1 x_n"


@dataclass(frozen=True, eq=False, repr=False)
class SoftplusLayer:
    """f(x) = Σ_k softplus((W x)_k) for W (K, n)."""

    W: np.ndarray

    def __call__(self, x):
        import torch

        return torch.nn.functional.softplus(_tensor(self.W) @ x).sum()

    def __repr__(self) -> str:
        return f"f(x) = Σ softplus(W x), W {tuple(np.shape(self.W))}"


@dataclass(frozen=True, eq=False, repr=False)
class SinProduct:
    """f(x) = Π_i sin(x_i)."""

    def __call__(self, x):
        import torch

        return torch.sin(x).prod()

    def __repr__(self) -> str:
        return "f(x) = Π sin(x_i)"


# ------------------------------------------------------------------- Z = v vᵀ y1 y2ᵀ
def chain_steps(n: int, m: int, order: str) -> list[tuple[str, tuple[int, int], tuple[int, int]]]:
    """The matrix products of Z = v · vᵀ · y1 · y2ᵀ in one order, read off the factors' shapes.

    ``order`` is ``"reverse"`` (multiply from the right end of the chain) or ``"forward"`` (from
    the left end). Each step is ``(name, left shape, right shape)``; a (p, q) @ (q, r) product
    costs p·q·r multiplications and stores a (p, r) result (:func:`matmul_cost`). Used to count
    costs by walking the shapes (:func:`chain_cost`, a check of the closed forms in
    :func:`zmatrix_costs`) and to draw the intermediates.
    """
    if order not in ("reverse", "forward"):
        raise ValueError(f"order: expected 'reverse' or 'forward', got {order!r}")
    factors = [(n, 1), (1, n), (n, 1), (1, m)]  # v, vᵀ, y1, y2ᵀ
    names = {"reverse": ["Y = y1 y2ᵀ", "w = vᵀ Y", "Z = v w"],
             "forward": ["H = v vᵀ", "h = H y1", "Z = h y2ᵀ"]}[order]
    steps = []
    if order == "reverse":
        acc = factors[-1]
        for left in reversed(factors[:-1]):
            steps.append((names[len(steps)], left, acc))
            acc = (left[0], acc[1])
    else:
        acc = factors[0]
        for right in factors[1:]:
            steps.append((names[len(steps)], acc, right))
            acc = (acc[0], right[1])
    return steps


def matmul_cost(left: tuple[int, int], right: tuple[int, int]) -> tuple[int, int]:
    """(multiplications, floats stored) of the plain product of a (p, q) and a (q, r) matrix:
    p·q·r and p·r."""
    (p, q), (q2, r) = left, right
    if q != q2:
        raise ValueError(f"matmul_cost: shapes {left} and {right} do not chain")
    return p * q * r, p * r


def chain_cost(n: int, m: int, order: str) -> tuple[int, int]:
    """(multiplications, floats stored) of :func:`chain_steps`, summed step by step."""
    costs = [matmul_cost(left, right) for _, left, right in chain_steps(n, m, order)]
    return int(sum(c[0] for c in costs)), int(sum(c[1] for c in costs))


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
    n: int, m: int, rng: np.random.Generator | int, repeats: int = 5, min_round: float = 2e-3
) -> dict[str, dict[str, float]]:
    """Wall time and peak memory of Z = v vᵀ y1 y2ᵀ evaluated in reverse and in forward order.

    v, y1 (n,) and y2 (m,) are standard normal draws from ``rng``. The two orders take turns
    for ``repeats`` rounds; a round calls one order often enough to last about ``min_round``
    seconds (a single call of a small problem is too short to time) and gives the mean time of a
    call. The time reported is that of the fastest round (the least disturbed by other work on
    the machine). Peak memory is measured once per order with ``tracemalloc`` (NumPy reports its
    array buffers to it), relative to the memory in use before the call.

    Args:
        n: length of v and y1 (a single integer).
        m: length of y2 (a single integer).
        rng: a ``numpy.random.Generator`` or an integer seed.
        repeats: timed rounds of each order.
        min_round: the shortest round, in seconds.

    Returns:
        ``{"reverse": {"seconds": s, "peak_bytes": b}, "forward": {...}}``.
    """
    n, m, repeats = _count(n, "n"), _count(m, "m"), _count(repeats, "repeats")
    if not isinstance(n, int) or not isinstance(m, int):
        raise ValueError("time_orders: n and m must be single integers")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    v, y1, y2 = gen.standard_normal(n), gen.standard_normal(n), gen.standard_normal(m)
    orders = {"reverse": _z_reverse, "forward": _z_forward}
    calls = {}
    for name, order in orders.items():  # size the rounds: double the calls until they take a while
        order(v, y1, y2)  # warm-up
        k, elapsed = 1, 0.0
        while True:
            start = time.perf_counter()
            for _ in range(k):
                order(v, y1, y2)
            elapsed = time.perf_counter() - start
            if elapsed >= min_round / 4 or k >= 2**20:
                break
            k *= 2
        calls[name] = max(1, round(k * min_round / max(elapsed, 1e-9)))
    best = dict.fromkeys(orders, np.inf)
    for _ in range(repeats):
        for name, order in orders.items():
            start = time.perf_counter()
            for _ in range(calls[name]):
                order(v, y1, y2)
            best[name] = min(best[name], (time.perf_counter() - start) / calls[name])
    result = {}
    for name, order in orders.items():
        was_tracing = tracemalloc.is_tracing()
        if not was_tracing:
            tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        order(v, y1, y2)
        peak = tracemalloc.get_traced_memory()[1] - base
        if not was_tracing:
            tracemalloc.stop()
        result[name] = {"seconds": float(best[name]), "peak_bytes": float(peak)}
    return result
