"""Logic with hand-set weights: threshold neurons, XOR, a superincreasing-sequence detector and
an LSTM that tracks parity (notebook 03), plus :func:`train_xor`, which trains the XOR network by
gradient descent in PyTorch to show what zero or symmetric initialisation does.

Step convention, used everywhere in this module
-----------------------------------------------
The hard threshold is ``step(z) = 1 if z >= 0 else 0``: a pre-activation of exactly zero
fires. Weights below are chosen so that no input of interest lands on ``z = 0`` unless the
convention is meant to decide it (the superincreasing detector relies on it, see
:func:`superincreasing_weights`).

The LSTM of :func:`hard_lstm_run` uses the hard gates of the parity problem instead:
``hard_sigmoid(z) = 1 if z > 0 else 0`` (zero does NOT fire there) and
``hard_tanh(z) = sign(z)`` (``-1, 0, 1``).

Shapes use ``n`` for rows of a data matrix, ``H`` for hidden units, ``T`` for string length
and ``B`` for a batch of strings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "step", "threshold_unit", "and_neuron", "or_neuron", "XOR_TABLE", "two_layer_relu",
    "xor_weights", "indicator", "superincreasing_net", "superincreasing_weights",
    "is_superincreasing", "hard_sigmoid", "hard_tanh", "hard_lstm_run", "parity_lstm_params",
    "bit_strings", "all_bit_strings", "LSTM_KEYS", "hard_lstm_trace", "count_threshold_functions",
    "zero_init_trainable", "train_xor",
]

# The four binary inputs (rows) of a two-input truth table, in the order 00, 01, 10, 11.
XOR_TABLE = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_TABLE.setflags(write=False)

LSTM_KEYS = ("W_f", "W_i", "W_C", "W_o", "b_f", "b_i", "b_C", "b_o")


# ---- input checks ---------------------------------------------------------------------------
def _as_float_array(a: Any, name: str, ndim: int | tuple[int, ...]) -> np.ndarray:
    """``a`` as a finite float64 array with ``ndim`` dimensions, or a clear error."""
    if isinstance(a, np.ndarray) and not (
        np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_
    ):
        raise TypeError(f"{name} must hold numbers, got an array of dtype {a.dtype}")
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers, got {type(a).__name__}") from exc
    dims = (ndim,) if isinstance(ndim, int) else ndim
    if arr.ndim not in dims:
        want = " or ".join(f"{d}-D" for d in dims)
        raise ValueError(f"{name} must be {want}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _as_float(a: Any, name: str) -> float:
    """``a`` as a finite Python float, or a clear error."""
    if a is None or isinstance(a, str | bytes):
        raise TypeError(f"{name} must be a single number, got {type(a).__name__}")
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a single number, got {type(a).__name__}") from exc
    if arr.size != 1:
        raise TypeError(f"{name} must be a single number, got an array of shape {arr.shape}")
    value = float(arr.reshape(()))
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


# ---- threshold neurons and XOR --------------------------------------------------------------
def step(z: np.ndarray) -> np.ndarray:
    """Hard threshold ``step(z) = 1 if z >= 0 else 0``, elementwise, as float64 (same shape)."""
    z = np.asarray(z, dtype=np.float64)
    return (z >= 0).astype(np.float64)


def threshold_unit(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """A linear threshold neuron ``f(x) = step(wᵀx + b)`` on every row of ``X``.

    ``step(z) = 1 if z >= 0 else 0``: a row with ``wᵀx + b == 0`` gives 1.

    Args:
        X: (n, D) inputs, one per row (D = 2 for the logic gates).
        w: (D,) weights.
        b: scalar bias.

    Returns:
        (n,) float64 array of 0.0 / 1.0.
    """
    X = _as_float_array(X, "X", 2)
    w = _as_float_array(w, "w", 1)
    b = _as_float(b, "b")
    if X.shape[1] != w.shape[0]:
        raise ValueError(
            f"X has {X.shape[1]} columns but w has {w.shape[0]} entries: expected X (n, "
            f"{w.shape[0]}) for w {w.shape}, got X {X.shape}"
        )
    return step(X @ w + b)  # (n,)


def and_neuron() -> tuple[np.ndarray, float]:
    """Weights ``(w, b)`` with ``threshold_unit(X, w, b)`` = x₁ AND x₂ on binary inputs.

    Returns:
        w: (2,) weights; b: scalar bias. Margins are kept away from ``z = 0``.
    """
    # BEGIN SOLUTION
    return np.array([1.0, 1.0]), -1.5
    # END SOLUTION


def or_neuron() -> tuple[np.ndarray, float]:
    """Weights ``(w, b)`` with ``threshold_unit(X, w, b)`` = x₁ OR x₂ on binary inputs.

    Returns:
        w: (2,) weights; b: scalar bias. Margins are kept away from ``z = 0``.
    """
    # BEGIN SOLUTION
    return np.array([1.0, 1.0]), -0.5
    # END SOLUTION


def two_layer_relu(
    X: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: float
) -> np.ndarray:
    """Two-layer network ``ŷ = W2 · ReLU(W1 x + b1) + b2`` on every row of ``X``.

    Args:
        X: (n, D) inputs (D = 2 for XOR).
        W1: (H, D) hidden weights; b1: (H,) hidden biases.
        W2: (H,) output weights; b2: scalar output bias.

    Returns:
        (n,) outputs ŷ (linear output, no threshold).
    """
    X = _as_float_array(X, "X", 2)
    W1 = _as_float_array(W1, "W1", 2)
    b1 = _as_float_array(b1, "b1", 1)
    W2 = _as_float_array(W2, "W2", 1)
    b2 = _as_float(b2, "b2")
    H, D = W1.shape
    if X.shape[1] != D:
        raise ValueError(f"X must be (n, {D}) to match W1 {W1.shape}, got X {X.shape}")
    if b1.shape != (H,):
        raise ValueError(f"b1 must have shape ({H},) to match W1 {W1.shape}, got {b1.shape}")
    if W2.shape != (H,):
        raise ValueError(f"W2 must have shape ({H},) to match W1 {W1.shape}, got {W2.shape}")
    hidden = np.maximum(X @ W1.T + b1, 0.0)  # (n, H)
    return hidden @ W2 + b2  # (n,)


def xor_weights() -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Weights for :func:`two_layer_relu` that output exactly XOR(x₁, x₂) on {0,1}².

    Returns:
        W1: (2, 2); b1: (2,); W2: (2,); b2: float. The outputs on 00, 01, 10, 11 are exactly
        0, 1, 1, 0 (no threshold needed).
    """
    # BEGIN SOLUTION
    # unit 1 counts the ones, unit 2 fires only when both are on; 2 * unit 2 cancels the excess
    W1 = np.array([[1.0, 1.0], [1.0, 1.0]])
    b1 = np.array([0.0, -1.0])
    W2 = np.array([1.0, -2.0])
    return W1, b1, W2, 0.0
    # END SOLUTION


def count_threshold_functions() -> int:
    """How many of the 16 Boolean functions of two binary inputs a single threshold neuron
    computes (for some weights and bias)."""
    # BEGIN SOLUTION
    return 14  # every truth table except XOR and XNOR, which are not linearly separable
    # END SOLUTION


def zero_init_trainable() -> tuple[bool, bool, bool, bool]:
    """Which of ``(W1, b1, W2, b2)`` of :func:`two_layer_relu` ever move away from zero when
    every parameter starts at zero and gradient descent trains the network on XOR."""
    # BEGIN SOLUTION
    # h = ReLU(0) = 0 makes ∂ℓ/∂W2 = 0, and W2 = 0 blocks every gradient into layer 1;
    # only ∂ℓ/∂b2, the mean of ∂ℓ/∂ŷ, is not zero
    return (False, False, False, True)
    # END SOLUTION


def train_xor(
    init: str = "random",
    hidden: int = 8,
    steps: int = 2000,
    lr: float = 0.1,
    seed: int = 0,
) -> dict[str, Any]:
    """Train :func:`two_layer_relu` on the XOR table by full-batch gradient descent (PyTorch,
    float64) on the mean squared error ``mean((ŷ - y)²)``.

    Args:
        init: ``"zero"`` (every weight and bias 0), ``"constant"`` (every weight 0.5, biases
            0: all hidden units start identical) or ``"random"`` (W1 ~ N(0, 1),
            b1 ~ N(0, 0.1²), W2 ~ N(0, 1/H), b2 = 0, from ``seed``).
        hidden: H, the number of hidden units.
        steps: gradient-descent steps.
        lr: learning rate.
        seed: seed of the torch generator (used by ``"random"`` only).

    Returns:
        dict with ``loss`` (steps + 1,) the loss before each step and after the last one,
        ``outputs`` (4,) the final ŷ on 00, 01, 10, 11, ``params`` the final
        ``W1`` (H, 2), ``b1`` (H,), ``W2`` (H,), ``b2`` (), and ``first_grads`` the gradients
        of the first step under the same keys (NumPy arrays).
    """
    import torch

    if init not in ("zero", "constant", "random"):
        raise ValueError(f"init must be 'zero', 'constant' or 'random', got {init!r}")
    if not isinstance(hidden, int) or hidden < 1:
        raise ValueError(f"hidden must be a positive int, got {hidden!r}")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    f64 = torch.float64
    X = torch.tensor(XOR_TABLE, dtype=f64)  # (4, 2)
    y = torch.tensor([0.0, 1.0, 1.0, 0.0], dtype=f64)  # (4,)
    if init == "random":
        gen = torch.Generator().manual_seed(seed)
        W1 = torch.randn(hidden, 2, generator=gen, dtype=f64)
        b1 = 0.1 * torch.randn(hidden, generator=gen, dtype=f64)
        W2 = torch.randn(hidden, generator=gen, dtype=f64) / hidden**0.5
    else:
        value = 0.0 if init == "zero" else 0.5
        W1 = torch.full((hidden, 2), value, dtype=f64)
        b1 = torch.zeros(hidden, dtype=f64)
        W2 = torch.full((hidden,), value, dtype=f64)
    b2 = torch.zeros((), dtype=f64)
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    for p in params.values():
        p.requires_grad_(True)

    def loss_fn() -> Any:
        out = torch.relu(X @ params["W1"].T + params["b1"]) @ params["W2"] + params["b2"]
        return ((out - y) ** 2).mean(), out

    losses = np.empty(steps + 1)
    first_grads: dict[str, np.ndarray] = {}
    for t in range(steps):
        loss, _ = loss_fn()
        losses[t] = loss.item()
        grads = torch.autograd.grad(loss, list(params.values()))
        if t == 0:
            first_grads = {k: g.numpy().copy() for k, g in zip(params, grads, strict=True)}
        with torch.no_grad():
            for p, g in zip(params.values(), grads, strict=True):
                p -= lr * g
    with torch.no_grad():
        loss, out = loss_fn()
    losses[steps] = loss.item()
    return {
        "loss": losses,
        "outputs": out.numpy().copy(),
        "params": {k: p.detach().numpy().copy() for k, p in params.items()},
        "first_grads": first_grads,
    }


# ---- superincreasing sequences --------------------------------------------------------------
def indicator(z: np.ndarray) -> np.ndarray:
    """Window activation ``1 if -1 <= z <= 1 else 0``, elementwise, float64 (same shape)."""
    z = np.asarray(z, dtype=np.float64)
    return ((z >= -1.0) & (z <= 1.0)).astype(np.float64)


_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "threshold": step,
    "indicator": indicator,
}


def _activation(phi: str | Callable[[np.ndarray], np.ndarray], name: str):
    if callable(phi):
        return phi
    if isinstance(phi, str) and phi in _ACTIVATIONS:
        return _ACTIVATIONS[phi]
    raise ValueError(f"{name} must be one of {sorted(_ACTIVATIONS)} or a callable, got {phi!r}")


def superincreasing_net(
    s: np.ndarray,
    W1: np.ndarray,
    b1: np.ndarray,
    w2: np.ndarray,
    b2: float,
    phi1: str | Callable[[np.ndarray], np.ndarray] = "threshold",
    phi2: str | Callable[[np.ndarray], np.ndarray] = "threshold",
) -> np.ndarray:
    """Forward pass ``y = φ₂(w2ᵀ φ₁(W1 s + b1) + b2)`` of the 4-3-1 sequence detector.

    ``"threshold"`` is ``step(z) = 1 if z >= 0 else 0`` (zero fires) and ``"indicator"`` is
    ``1 if z ∈ [-1, 1] else 0``; a callable acting elementwise is also accepted.

    Args:
        s: (4,) one sequence or (n, 4) one sequence per row.
        W1: (3, 4) hidden weights; b1: (3,) hidden biases.
        w2: (3,) output weights; b2: scalar output bias.
        phi1, phi2: activation of the hidden units and of the output unit.

    Returns:
        () for one sequence or (n,) outputs.
    """
    s = _as_float_array(s, "s", (1, 2))
    W1 = _as_float_array(W1, "W1", 2)
    b1 = _as_float_array(b1, "b1", 1)
    w2 = _as_float_array(w2, "w2", 1)
    b2 = _as_float(b2, "b2")
    if W1.shape != (3, 4):
        raise ValueError(f"W1 must have shape (3, 4), got {W1.shape}")
    if b1.shape != (3,) or w2.shape != (3,):
        raise ValueError(f"b1 and w2 must have shape (3,), got {b1.shape} and {w2.shape}")
    if s.shape[-1] != 4:
        raise ValueError(f"s must be (4,) or (n, 4), got {s.shape}")
    f1, f2 = _activation(phi1, "phi1"), _activation(phi2, "phi2")
    hidden = f1(s @ W1.T + b1)  # (n, 3) or (3,)
    return np.asarray(f2(hidden @ w2 + b2), dtype=np.float64)  # (n,) or ()


def superincreasing_weights() -> dict[str, Any]:
    """Weights and activations for which :func:`superincreasing_net` is exactly
    :func:`is_superincreasing` on every real 4-vector.

    Hidden unit i (i = 1, 2, 3) looks for a violation, ``s₁ + ... + sᵢ - sᵢ₊₁ >= 0``; with
    ``step(0) = 1`` a tie counts as a violation, as the strict ``>`` of the definition needs.
    The output fires when no hidden unit does: ``step(0.5 - h₁ - h₂ - h₃)``. (Exact whenever
    the partial sums are exact in floating point, e.g. for integers; a float near-tie may
    round either way.)

    Returns:
        dict with ``W1`` (3, 4), ``b1`` (3,), ``w2`` (3,), ``b2`` float, ``phi1`` and ``phi2``
        (activation names), ready for ``superincreasing_net(s, **weights)``.
    """
    # BEGIN SOLUTION
    W1 = np.array(
        [
            [1.0, -1.0, 0.0, 0.0],
            [1.0, 1.0, -1.0, 0.0],
            [1.0, 1.0, 1.0, -1.0],
        ]
    )
    return {
        "W1": W1,
        "b1": np.zeros(3),
        "w2": -np.ones(3),
        "b2": 0.5,
        "phi1": "threshold",
        "phi2": "threshold",
    }
    # END SOLUTION


def is_superincreasing(s: np.ndarray) -> np.ndarray:
    """Whether each sequence is superincreasing: ``sᵢ > s₁ + ... + sᵢ₋₁`` for every i >= 2.

    Args:
        s: (L,) one sequence or (n, L) one per row, any length L >= 1.

    Returns:
        bool array of shape () or (n,).
    """
    s = _as_float_array(s, "s", (1, 2))
    if s.shape[-1] == 0:
        raise ValueError("s must have at least one element per sequence")
    prefix = np.cumsum(s, axis=-1)[..., :-1]  # (..., L-1): s1, s1+s2, ...
    return np.all(s[..., 1:] > prefix, axis=-1)


# ---- a hard-gated LSTM that tracks parity ---------------------------------------------------
def hard_sigmoid(z: np.ndarray) -> np.ndarray:
    """Gate nonlinearity of the parity LSTM: ``1 if z > 0 else 0`` (zero does not fire)."""
    return (np.asarray(z, dtype=np.float64) > 0).astype(np.float64)


def hard_tanh(z: np.ndarray) -> np.ndarray:
    """Candidate/output nonlinearity of the parity LSTM: ``sign(z)`` in {-1, 0, 1}."""
    return np.sign(np.asarray(z, dtype=np.float64))


def _check_lstm_params(params: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict with keys {LSTM_KEYS}, got {type(params)}")
    missing = [k for k in LSTM_KEYS if k not in params]
    if missing:
        raise ValueError(f"params is missing keys {missing}; expected {LSTM_KEYS}")
    out: dict[str, Any] = {}
    for key in LSTM_KEYS:
        if key.startswith("W"):
            out[key] = _as_float_array(params[key], f"params[{key!r}]", 1)
            if out[key].shape != (2,):
                raise ValueError(
                    f"params[{key!r}] must have shape (2,) (weights on [h_prev, x_t]), got "
                    f"{out[key].shape}"
                )
        else:
            out[key] = _as_float(params[key], f"params[{key!r}]")
    return out


def _hard_lstm(
    bits: np.ndarray, params: dict[str, Any], h0: float, c0: float
) -> dict[str, np.ndarray]:
    """Every quantity of the hard-gated LSTM at every step: keys ``f i C_tilde o C h``, each
    shaped like ``bits`` ((T,) or (B, T))."""
    bits = _as_float_array(bits, "bits", (1, 2))
    if not np.all((bits == 0) | (bits == 1)):
        raise ValueError("bits must contain only 0 and 1")
    p = _check_lstm_params(params)
    h0, c0 = _as_float(h0, "h0"), _as_float(c0, "c0")
    x = np.atleast_2d(bits)  # (B, T)
    B, T = x.shape
    h = np.full(B, h0)  # (B,)
    c = np.full(B, c0)  # (B,)
    out = {key: np.empty((B, T)) for key in ("f", "i", "C_tilde", "o", "C", "h")}

    def pre(key: str, x_t: np.ndarray) -> np.ndarray:
        W = p["W_" + key]
        return W[0] * h + W[1] * x_t + p["b_" + key]  # (B,)

    for t in range(T):  # time is sequential; the batch is vectorised
        x_t = x[:, t]
        f = hard_sigmoid(pre("f", x_t))
        i = hard_sigmoid(pre("i", x_t))
        cand = hard_tanh(pre("C", x_t))
        o = hard_sigmoid(pre("o", x_t))
        c = f * c + i * cand
        h = o * hard_tanh(c)
        for key, value in (("f", f), ("i", i), ("C_tilde", cand), ("o", o), ("C", c), ("h", h)):
            out[key][:, t] = value
    return {key: value.reshape(bits.shape) for key, value in out.items()}


def hard_lstm_run(
    bits: np.ndarray,
    params: dict[str, Any],
    h0: float = 0.0,
    c0: float = 0.0,
    return_cell: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Run a scalar LSTM cell with hard gates over bit strings.

    With ``u_t = [h_{t-1}, x_t]`` and the gates ``σ = hard_sigmoid`` (``1 if z > 0``) and
    ``tanh = hard_tanh`` (``sign``)::

        f_t = σ(W_f · u_t + b_f)      i_t = σ(W_i · u_t + b_i)
        C̃_t = tanh(W_C · u_t + b_C)   C_t = f_t C_{t-1} + i_t C̃_t
        o_t = σ(W_o · u_t + b_o)      h_t = o_t tanh(C_t)

    Args:
        bits: (T,) one bit string or (B, T) a batch of equally long strings, entries 0/1.
        params: dict with ``W_f W_i W_C W_o`` (2,) (weights on ``[h_{t-1}, x_t]``) and
            ``b_f b_i b_C b_o`` scalars.
        h0, c0: initial hidden state and cell state.
        return_cell: also return the cell states.

    Returns:
        h: the outputs h_1..h_T, same shape as ``bits``; with ``return_cell`` the tuple
        ``(h, C)`` with C of the same shape.
    """
    run = _hard_lstm(bits, params, h0, c0)
    return (run["h"], run["C"]) if return_cell else run["h"]


def hard_lstm_trace(
    bits: np.ndarray, params: dict[str, Any], h0: float = 0.0, c0: float = 0.0
) -> dict[str, np.ndarray]:
    """Every gate of :func:`hard_lstm_run` at every step, for showing how a cell works.

    Args:
        bits: (T,) one bit string or (B, T) a batch, entries 0/1.
        params, h0, c0: as for :func:`hard_lstm_run`.

    Returns:
        dict with keys ``x f i C_tilde o C h``, each shaped like ``bits`` (``x`` is the input).
    """
    run = _hard_lstm(bits, params, h0, c0)
    return {"x": np.asarray(bits, dtype=np.float64).copy(), **run}


def parity_lstm_params() -> dict[str, Any]:
    """Parameters for :func:`hard_lstm_run` (with ``h0 = c0 = 0``) whose output h_t and cell
    C_t equal the parity (XOR) of x_1..x_t, for every prefix of every bit string.

    Assumes ``h_{t-1} = C_{t-1} ∈ {0, 1}`` (true by induction since ``o_t = 1`` and
    ``tanh`` maps 0 to 0 and 1 to 1). A 1 arriving on parity 0 writes a 1; a 1 arriving on
    parity 1 forgets and writes nothing; a 0 keeps the cell.

    Returns:
        dict with ``W_f W_i W_C W_o`` (2,) on ``[h_{t-1}, x_t]`` and scalars ``b_f b_i b_C b_o``.
    """
    # BEGIN SOLUTION
    return {
        "W_f": np.array([0.0, -1.0]),  # keep unless x_t = 1
        "b_f": 0.5,
        "W_i": np.array([-1.0, 1.0]),  # write only when x_t = 1 and h_{t-1} = 0
        "b_i": -0.5,
        "W_C": np.array([0.0, 0.0]),  # the candidate is always +1
        "b_C": 1.0,
        "W_o": np.array([0.0, 0.0]),  # always expose the cell
        "b_o": 1.0,
    }
    # END SOLUTION


def bit_strings(length: int) -> np.ndarray:
    """All ``2**length`` bit strings of one length, in binary counting order.

    Returns:
        (2**length, length) float64 array of 0/1, row r being r written in binary
        (most significant bit first).
    """
    if not isinstance(length, int | np.integer) or isinstance(length, bool):
        raise TypeError(f"length must be an int, got {type(length).__name__}")
    if length < 0 or length > 20:
        raise ValueError(f"length must be between 0 and 20, got {length}")
    rows = np.arange(2**length)[:, None]  # (2**L, 1)
    shifts = np.arange(length - 1, -1, -1)[None, :]  # (1, L)
    return ((rows >> shifts) & 1).astype(np.float64)  # (2**L, L)


def all_bit_strings(max_len: int) -> list[np.ndarray]:
    """All bit strings of lengths 1..``max_len``: ``[bit_strings(1), ..., bit_strings(L)]``,
    a list of (2**l, l) arrays (stacked by length so each can run as one batch)."""
    if not isinstance(max_len, int | np.integer) or isinstance(max_len, bool) or max_len < 1:
        raise ValueError(f"max_len must be a positive int, got {max_len!r}")
    return [bit_strings(int(L)) for L in range(1, max_len + 1)]
