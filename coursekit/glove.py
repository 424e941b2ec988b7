"""GloVe word embeddings trained by full-batch gradient descent with momentum (notebook 08).

The loss has no weighting function: every pair (i, j) of the V x V log co-occurrence matrix
counts equally,

    L = Σ_{i,j} (w_iᵀ w̃_j + b_i + b̃_j - log X_ij)².

With the residual matrix R = W W̃ᵀ + b 1ᵀ + 1 b̃ᵀ - log X (V, V), L = ||R||²_F and

    ∂L/∂W = 2 R W̃     ∂L/∂W̃ = 2 Rᵀ W     ∂L/∂b = 2 R 1     ∂L/∂b̃ = 2 Rᵀ 1,

that is, word by word, ∂L/∂w_i = 2 Σ_j R_ij w̃_j and ∂L/∂w̃_j = 2 Σ_i R_ij w_i.
The symmetric (tied) model uses one table, W̃ = W and b̃ = b; by the chain rule its gradient
is the sum of both halves, ∂L/∂W = 2 (R + Rᵀ) W and ∂L/∂b = 2 (R + Rᵀ) 1.

Shapes (letters of :mod:`coursekit`): W, W_tilde (V, d); b, b_tilde (V, 1); log_X (V, V).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

Grads = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class GloveParams(NamedTuple):
    """W, W_tilde (V, d); b, b_tilde (V, 1). In a tied model W_tilde is W and b_tilde is b."""

    W: np.ndarray
    W_tilde: np.ndarray
    b: np.ndarray
    b_tilde: np.ndarray


def parameter_count(V: int, d: int) -> int:
    """Number of parameters of GloVe: two d-vectors and two biases per word, 2Vd + 2V."""
    for name, value in (("V", V), ("d", d)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    # BEGIN SOLUTION
    return 2 * V * d + 2 * V
    # END SOLUTION


def init_params(
    V: int, d: int, rng: np.random.Generator | int, symmetric: bool = False, scale: float = 0.1
) -> GloveParams:
    """Independent N(0, scale²) entries for W, W_tilde (V, d) and b, b_tilde (V, 1).

    With ``symmetric=True`` the tilde parameters are the same arrays as W and b.
    """
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    W, b = scale * rng.standard_normal((V, d)), scale * rng.standard_normal((V, 1))
    if symmetric:
        return GloveParams(W, W, b, b)
    W_tilde, b_tilde = scale * rng.standard_normal((V, d)), scale * rng.standard_normal((V, 1))
    return GloveParams(W, W_tilde, b, b_tilde)


def loss(W: np.ndarray, W_tilde: np.ndarray, b: np.ndarray, b_tilde: np.ndarray,
         log_X: np.ndarray) -> float:
    """L = Σ_ij (w_iᵀ w̃_j + b_i + b̃_j - log X_ij)², a float.

    Args:
        W: (V, d) first embedding of every word.
        W_tilde: (V, d) second embedding (pass ``W`` again for the tied model).
        b: (V, 1) first bias.
        b_tilde: (V, 1) second bias (pass ``b`` again for the tied model).
        log_X: (V, V) log co-occurrence matrix.
    """
    W, W_tilde, b, b_tilde, log_X = _checked(W, W_tilde, b, b_tilde, log_X)
    return _sum_of_squares(_residual(W, W_tilde, b, b_tilde, log_X))


def grad(W: np.ndarray, W_tilde: np.ndarray, b: np.ndarray, b_tilde: np.ndarray,
         log_X: np.ndarray) -> Grads:
    """Gradient of :func:`loss`: (∂L/∂W, ∂L/∂W̃, ∂L/∂b, ∂L/∂b̃), vectorised.

    With R = W W̃ᵀ + b 1ᵀ + 1 b̃ᵀ - log X (V, V): ∂L/∂W = 2 R W̃ (V, d), ∂L/∂W̃ = 2 Rᵀ W (V, d),
    ∂L/∂b = 2 R 1 (V, 1), ∂L/∂b̃ = 2 Rᵀ 1 (V, 1). Arguments as in :func:`loss`. Three matrix
    products of V x V x (d + 2) and one elementwise pass over V x V.
    """
    W, W_tilde, b, b_tilde, log_X = _checked(W, W_tilde, b, b_tilde, log_X)
    # BEGIN SOLUTION
    V, d = W.shape
    ones = np.ones((V, 1))
    # Row i of `left` is [w_i, b_i, 1], row j of `right` is [w̃_j, 1, b̃_j]: one product then
    # gives w_iᵀ w̃_j + b_i + b̃_j, and the biases' gradients come out of the next two products.
    left, right = np.hstack([W, b, ones]), np.hstack([W_tilde, ones, b_tilde])  # (V, d + 2)
    residual = left @ right.T  # (V, V)
    residual -= log_X  # in place: the only elementwise pass over V x V
    grad_left = 2.0 * (residual @ right)  # [2 R W̃, 2 R 1, 2 R b̃]
    grad_right = 2.0 * (residual.T @ left)  # [2 Rᵀ W, 2 Rᵀ b, 2 Rᵀ 1]
    return (np.ascontiguousarray(grad_left[:, :d]), np.ascontiguousarray(grad_right[:, :d]),
            grad_left[:, d:d + 1].copy(), grad_right[:, d + 1:].copy())
    # END SOLUTION


def grad_looped(W: np.ndarray, W_tilde: np.ndarray, b: np.ndarray, b_tilde: np.ndarray,
                log_X: np.ndarray) -> Grads:
    """The gradient of :func:`loss` one word at a time, for the timing comparison.

    Row i of R gives ∂L/∂w_i = 2 Σ_j R_ij w̃_j and adds 2 R_ij w_i to every ∂L/∂w̃_j: a Python
    loop over the V words (the inner sums over j stay in NumPy). Same results as :func:`grad`.
    """
    W, W_tilde, b, b_tilde, log_X = _checked(W, W_tilde, b, b_tilde, log_X)
    g_W, g_Wt = np.zeros_like(W), np.zeros_like(W_tilde)
    g_b, g_bt = np.zeros_like(b), np.zeros_like(b_tilde)
    for i in range(W.shape[0]):
        r_i = W_tilde @ W[i] + b[i, 0] + b_tilde[:, 0] - log_X[i]  # (V,): R_ij for every j
        g_W[i] = 2.0 * (r_i @ W_tilde)
        g_Wt += 2.0 * np.outer(r_i, W[i])
        g_b[i, 0] = 2.0 * r_i.sum()
        g_bt[:, 0] += 2.0 * r_i
    return g_W, g_Wt, g_b, g_bt


def train_momentum(
    log_X: np.ndarray,
    d: int,
    rng: np.random.Generator | int,
    lr: float | None = None,
    momentum: float = 0.9,
    epochs: int = 500,
    symmetric: bool = False,
    progress: bool = True,
    *,
    log_X_valid: np.ndarray | None = None,
    grad_fn: Callable[..., Grads] | None = None,
    init_scale: float = 0.1,
    threads: int | None = 1,
) -> tuple[GloveParams, dict[str, np.ndarray]]:
    """Full-batch gradient descent with momentum on the GloVe loss.

    Each epoch: v ← momentum·v - lr·∂L/∂θ, θ ← θ + v, for θ in (W, W̃, b, b̃), or for (W, b)
    alone in the tied model (``symmetric=True``), whose gradient is 2 (R + Rᵀ) W and
    2 (R + Rᵀ) 1.

    Args:
        log_X: (V, V) training log co-occurrence matrix.
        d: embedding size.
        rng: generator (or seed) for the initial parameters, see :func:`init_params`.
        lr: learning rate; default 0.05 / V.
        momentum: momentum coefficient in [0, 1).
        epochs: number of full-batch steps.
        symmetric: train the tied model (W̃ = W, b̃ = b).
        progress: show a tqdm progress bar with the current loss.
        log_X_valid: (V, V) validation matrix; its loss is recorded after every epoch.
        grad_fn: a gradient with the signature of :func:`grad` (a student's, say); the tied
            model adds its two halves. Default: a private vectorised gradient.
        init_scale: standard deviation of the initial parameters.
        threads: BLAS threads during training (restored afterwards; None: unchanged). At
            V = 251 one thread is fastest, above all on a busy machine.

    Returns:
        ``(params, history)``: the final :class:`GloveParams` and a dict with ``"train"`` and,
        if ``log_X_valid`` is given, ``"valid"``: (epochs,) losses after each epoch.

    Raises:
        FloatingPointError: the loss became inf or NaN (the learning rate is too large).
    """
    log_X = _matrix(log_X, "log_X")
    V = log_X.shape[0]
    if log_X_valid is not None:
        log_X_valid = _matrix(log_X_valid, "log_X_valid")
        if log_X_valid.shape != log_X.shape:
            raise ValueError(f"log_X_valid: expected shape {log_X.shape}, got {log_X_valid.shape}")
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"momentum: expected a value in [0, 1), got {momentum}")
    lr = 0.05 / V if lr is None else float(lr)
    W, W_tilde, b, b_tilde = init_params(V, d, rng, symmetric, init_scale)
    params = [W, b] if symmetric else [W, W_tilde, b, b_tilde]
    velocity = [np.zeros_like(p) for p in params]
    history = {"train": np.empty(epochs)}
    if log_X_valid is not None:
        history["valid"] = np.empty(epochs)
    bar = tqdm(range(epochs), disable=not progress, desc=f"GloVe d={d}", leave=False)
    limit = threadpool_limits(threads, "blas") if threads else contextlib.nullcontext()
    with limit, np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
        for epoch in bar:
            if symmetric:
                grads = _tied_grads(W, b, log_X, grad_fn)
            else:
                grads = (grad_fn or _grads)(W, W_tilde, b, b_tilde, log_X)
            for p, v, g in zip(params, velocity, grads, strict=True):
                v *= momentum
                v -= lr * g
                p += v  # in place: a tied W_tilde follows W
            history["train"][epoch] = _sum_of_squares(_residual(W, W_tilde, b, b_tilde, log_X))
            if not np.isfinite(history["train"][epoch]):
                raise FloatingPointError(f"GloVe training diverged at epoch {epoch} (loss "
                                         f"{history['train'][epoch]}): lower lr (now {lr:.3g})")
            if log_X_valid is not None:
                history["valid"][epoch] = _sum_of_squares(
                    _residual(W, W_tilde, b, b_tilde, log_X_valid))
            if epoch % 10 == 0 or epoch == epochs - 1:
                bar.set_postfix(loss=f"{history['train'][epoch]:.4g}")
    return GloveParams(W, W_tilde, b, b_tilde), history


# --- private helpers (no exercise is called from here) ------------------------------------------


def _residual(W, W_tilde, b, b_tilde, log_X) -> np.ndarray:
    out = np.matmul(W, W_tilde.T)  # (V, V), then updated in place
    np.add(out, b, out=out)
    np.add(out, b_tilde.reshape(1, -1), out=out)
    np.subtract(out, log_X, out=out)
    return out


def _sum_of_squares(r: np.ndarray) -> float:
    return float(np.vdot(r, r))


def _grads(W, W_tilde, b, b_tilde, log_X) -> Grads:
    """The gradient of :func:`loss` for training when no ``grad_fn`` is given."""
    twice_r = 2.0 * _residual(W, W_tilde, b, b_tilde, log_X)  # (V, V)
    return (np.matmul(twice_r, W_tilde), np.matmul(twice_r.T, W),
            twice_r.sum(axis=1)[:, None], twice_r.sum(axis=0)[:, None])


def _tied_grads(W, b, log_X, grad_fn) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of the tied loss L(W, W, b, b): both halves of the untied gradient, added."""
    if grad_fn is not None:
        g_W, g_Wt, g_b, g_bt = grad_fn(W, W, b, b, log_X)
        return g_W + g_Wt, g_b + g_bt
    r = _residual(W, W, b, b, log_X)
    sym = 2.0 * (r + r.T)  # (V, V)
    return np.matmul(sym, W), sym.sum(axis=1)[:, None]


def _matrix(a: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected a real array, got dtype {a.dtype}")
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"{name}: expected a square (V, V) matrix, got shape {a.shape}")
    return a.astype(np.float64, copy=False)


def _checked(W, W_tilde, b, b_tilde, log_X) -> tuple[np.ndarray, ...]:
    """The five arguments as float64, after checking dtypes, shapes and finiteness."""
    log_X = _matrix(log_X, "log_X")
    V = log_X.shape[0]
    out = [log_X]
    for name, a, cols in (("W", W, None), ("W_tilde", W_tilde, None), ("b", b, 1),
                          ("b_tilde", b_tilde, 1)):
        a = np.asarray(a)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{name}: expected a real array, got dtype {a.dtype}")
        want = (V, cols if cols else (np.shape(W)[-1] if np.ndim(W) == 2 else "d"))
        if a.ndim != 2 or a.shape[0] != V or (cols and a.shape[1] != cols):
            raise ValueError(f"{name}: expected shape {want} (V = {V} from log_X), got {a.shape}")
        out.append(a.astype(np.float64, copy=False))
    log_X, W, W_tilde, b, b_tilde = out
    if W.shape != W_tilde.shape:
        raise ValueError(f"W_tilde: expected the shape of W {W.shape}, got {W_tilde.shape}")
    for name, a in zip(("W", "W_tilde", "b", "b_tilde", "log_X"), (W, W_tilde, b, b_tilde, log_X),
                       strict=True):
        if not np.isfinite(a).all():
            raise ValueError(f"{name}: contains NaN or inf")
    return W, W_tilde, b, b_tilde, log_X
