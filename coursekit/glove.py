"""GloVe word embeddings trained by full-batch gradient descent with momentum (notebook 08).

The loss has no weighting function: every pair (i, j) of the V x V log co-occurrence matrix
counts equally,

    L = Σ_{i,j} (w_iᵀ w̃_j + b_i + b̃_j - log X_ij)² = ||R||²_F,

with the residual matrix R = W W̃ᵀ + b 1ᵀ + 1 b̃ᵀ - log X (V, V). The symmetric (tied) model
uses one table, W̃ = W and b̃ = b. The gradients are the notebook's exercises: their formulas sit
in comments inside the solution regions, which the student build strips; the truth a student
build can use is :func:`autograd_grads` (PyTorch autograd).

Shapes (letters of :mod:`coursekit`): W, W_tilde (V, d); b, b_tilde (V, 1); log_X (V, V).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from tqdm.auto import tqdm

from coursekit.config import limited_threads

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

    Arguments as in :func:`loss`. Returns arrays of shapes (V, d), (V, d), (V, 1), (V, 1), the
    shapes of W, W_tilde, b, b_tilde. No Python loop over words: three matrix products of
    V x V x (d + 2) and one elementwise pass over V x V.
    """
    W, W_tilde, b, b_tilde, log_X = _checked(W, W_tilde, b, b_tilde, log_X)
    # BEGIN SOLUTION
    # With R = W W̃ᵀ + b 1ᵀ + 1 b̃ᵀ - log X: ∂L/∂W = 2 R W̃, ∂L/∂W̃ = 2 Rᵀ W, ∂L/∂b = 2 R 1,
    # ∂L/∂b̃ = 2 Rᵀ 1; word by word ∂L/∂w_i = 2 Σ_j R_ij w̃_j and ∂L/∂w̃_j = 2 Σ_i R_ij w_i.
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
    """The gradient of :func:`loss` one word at a time, for benchmarks and tests.

    A Python loop over the V words (the inner sums over j stay in NumPy); same results as
    :func:`grad`. It is a complete (slow) answer to the exercise, so the student build leaves
    it out too.
    """
    W, W_tilde, b, b_tilde, log_X = _checked(W, W_tilde, b, b_tilde, log_X)
    # BEGIN SOLUTION
    # row i of R gives ∂L/∂w_i = 2 Σ_j R_ij w̃_j and adds 2 R_ij w_i to every ∂L/∂w̃_j
    g_W, g_Wt = np.zeros_like(W), np.zeros_like(W_tilde)
    g_b, g_bt = np.zeros_like(b), np.zeros_like(b_tilde)
    for i in range(W.shape[0]):
        r_i = W_tilde @ W[i] + b[i, 0] + b_tilde[:, 0] - log_X[i]  # (V,): R_ij for every j
        g_W[i] = 2.0 * (r_i @ W_tilde)
        g_Wt += 2.0 * np.outer(r_i, W[i])
        g_b[i, 0] = 2.0 * r_i.sum()
        g_bt[:, 0] += 2.0 * r_i
    return g_W, g_Wt, g_b, g_bt
    # END SOLUTION


def tied_grad(W: np.ndarray, b: np.ndarray, log_X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of the tied loss L(W, W, b, b) with respect to the shared W (V, d) and b (V, 1).

    Returns:
        ``(grad_W, grad_b)`` of shapes (V, d) and (V, 1).
    """
    W, _, b, _, log_X = _checked(W, W, b, b, log_X)
    # BEGIN SOLUTION
    # W enters every term twice, as w_i and as w̃_j: by the chain rule the gradient is the sum
    # of both halves of the untied one, with R = W Wᵀ + b 1ᵀ + 1 bᵀ - log X:
    # ∂L/∂W = 2 (R + Rᵀ) W and ∂L/∂b = 2 (R + Rᵀ) 1.
    residual = _residual(W, W, b, b, log_X)  # (V, V)
    both = 2.0 * (residual + residual.T)  # each pair (i, j) enters through row i and column j
    return both @ W, both.sum(axis=1, keepdims=True)
    # END SOLUTION


def symmetric_loss_floor(log_X: np.ndarray) -> float:
    """A lower bound on the loss of every tied model (W̃ = W, b̃ = b) on ``log_X`` (V, V),
    whatever d: the part of log X that no symmetric prediction can fit."""
    log_X = _matrix(log_X, "log_X")
    # BEGIN SOLUTION
    # A tied model predicts a symmetric M = W Wᵀ + b 1ᵀ + 1 bᵀ. With log X = S + A, S symmetric
    # and A = (log X - log Xᵀ)/2 antisymmetric (orthogonal to every symmetric matrix):
    # ||M - log X||² = ||M - S||² + ||A||² >= ||A||² = ||log X - log Xᵀ||² / 4.
    antisymmetric = 0.5 * (log_X - log_X.T)
    return float(np.sum(antisymmetric ** 2))
    # END SOLUTION


def autograd_grads(W: np.ndarray, W_tilde: np.ndarray, b: np.ndarray, b_tilde: np.ndarray,
                   log_X: np.ndarray, *, tied: bool = False) -> tuple[np.ndarray, ...]:
    """The gradient of :func:`loss` by PyTorch autograd (float64): the truth beside a student's.

    Returns the four gradients of :func:`grad`, or with ``tied=True`` (W̃ is W, b̃ is b) the
    two of :func:`tied_grad`.
    """
    import torch

    W, W_tilde, b, b_tilde, log_X = _checked(W, W_tilde, b, b_tilde, log_X)
    leaves = [torch.tensor(a, requires_grad=True) for a in ((W, b) if tied else
                                                            (W, W_tilde, b, b_tilde))]
    tW, tWt, tb, tbt = (leaves[0], leaves[0], leaves[1], leaves[1]) if tied else leaves
    total = ((tW @ tWt.T + tb + tbt.T - torch.from_numpy(log_X)) ** 2).sum()
    return tuple(g.numpy() for g in torch.autograd.grad(total, leaves))


def usable_gradient(func: Callable | None, *, tied: bool = False,
                    rng: np.random.Generator | int = 0) -> tuple[Callable | None, str]:
    """``(func, message)`` if ``func`` matches autograd on a small random problem, else
    ``(None, why not)``: lets a notebook train with a student's gradient only when it is right.

    ``func`` has the signature of :func:`grad`, or of :func:`tied_grad` with ``tied=True``.
    """
    name = getattr(func, "__name__", "your gradient")
    if func is None:
        return None, f"{name} is missing"
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    V, d = 7, 3
    W, W_tilde = rng.standard_normal((V, d)), rng.standard_normal((V, d))
    b, b_tilde = rng.standard_normal((V, 1)), rng.standard_normal((V, 1))
    log_X = np.log1p(rng.integers(0, 20, size=(V, V)).astype(np.float64))
    args = (W, b, log_X) if tied else (W, W_tilde, b, b_tilde, log_X)
    want = autograd_grads(W, W_tilde, b, b_tilde, log_X, tied=tied)
    try:
        with np.errstate(all="ignore"):
            got = tuple(np.asarray(g, dtype=np.float64) for g in func(*args))
    except NotImplementedError:
        return None, f"{name} is not written yet"
    except Exception as exc:  # a student's bug: report it, train with autograd instead
        return None, f"{name} raised {type(exc).__name__}: {exc}"
    if len(got) != len(want) or any(g.shape != w.shape for g, w in zip(got, want, strict=False)):
        return None, (f"{name} returned shapes {[g.shape for g in got]}, expected "
                      f"{[w.shape for w in want]}")
    if not all(np.allclose(g, w, rtol=1e-6, atol=1e-8) for g, w in zip(got, want, strict=True)):
        return None, f"{name} differs from PyTorch autograd on a small random problem"
    return func, f"{name} agrees with PyTorch autograd"


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
    tied_grad_fn: Callable[..., tuple[np.ndarray, np.ndarray]] | None = None,
    init_scale: float = 0.1,
    threads: int | None = 1,
) -> tuple[GloveParams, dict[str, np.ndarray]]:
    """Full-batch gradient descent with momentum on the GloVe loss.

    Each epoch: v ← momentum·v - lr·∂L/∂θ, θ ← θ + v, for θ in (W, W̃, b, b̃), or for (W, b)
    alone in the tied model (``symmetric=True``).

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
            model adds its two halves unless ``tied_grad_fn`` is given.
        tied_grad_fn: a gradient with the signature of :func:`tied_grad`, for the tied model.
            Without either function, PyTorch autograd computes the gradient.
        init_scale: standard deviation of the initial parameters.
        threads: BLAS and PyTorch threads during training (restored afterwards; None:
            unchanged). At V = 251 one thread is fastest, above all on a busy machine.

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
    with limited_threads(threads), np.errstate(over="ignore", invalid="ignore"):
        for epoch in bar:  # divergence is reported below
            if symmetric and tied_grad_fn is not None:
                grads = tied_grad_fn(W, b, log_X)
            elif symmetric and grad_fn is not None:
                g_W, g_Wt, g_b, g_bt = grad_fn(W, W, b, b, log_X)
                grads = (g_W + g_Wt, g_b + g_bt)
            elif grad_fn is not None:
                grads = grad_fn(W, W_tilde, b, b_tilde, log_X)
            else:
                grads = autograd_grads(W, W_tilde, b, b_tilde, log_X, tied=symmetric)
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
