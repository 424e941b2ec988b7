"""Back-propagation by hand: a multi-branch network and the L-layer feed-forward net (notebook 06).

Multi-branch network
--------------------
One example x (D,) with class label t ∈ {0, ..., K-1} goes through

    a1 = W1 x + b1          (H,)    sigmoid branch
    c1 = σ(a1)              (H,)
    a2 = W2 x + b2          (H,)
    u  = a1 + a2            (H,)    the two pre-activations meet
    c2 = ReLU(u)            (H,)
    g  = Wg [c1; c2] + bg   (G,)    gate layer over the concatenation
    y  = W3 g + W4 x        (K,)    output with a skip term from the input
    y' = softmax(y)         (K,)
    J  = -log y'_t                  cross-entropy

A batch x (B, D) holds one example per row and J is summed over the rows. The backward pass,
one variable at a time (a bar is ∂J/∂·, each row one example, 1[·] an indicator):

    ȳ  = y' - onehot(t)                           (B, K)
    W̄3 = ȳᵀ g,  W̄4 = ȳᵀ x                         (K, G), (K, D)
    ḡ  = ȳ W3                                     (B, G)
    W̄g = ḡᵀ [c1 c2],  b̄g = Σ_rows ḡ               (G, 2H), (G,)
    [c̄1 c̄2] = ḡ Wg                                (B, 2H)
    ū  = c̄2 ⊙ 1[u > 0]                            ReLU'(0) = 0, as in PyTorch
    ā1 = c̄1 ⊙ c1 ⊙ (1 - c1) + ū                   a1 reaches J along two paths
    ā2 = ū
    W̄1 = ā1ᵀ x, b̄1 = Σ_rows ā1,  W̄2 = ā2ᵀ x, b̄2 = Σ_rows ā2
    x̄  = ā1 W1 + ā2 W2 + ȳ W4                     x reaches J along three paths

L-layer network (the FFNN recursion)
------------------------------------
With z⁽⁰⁾ = x (B, D) and params [(W_1, b_1), ..., (W_L, b_L)], W_l (H_l, H_{l-1}):

    a⁽ˡ⁾ = z⁽ˡ⁻¹⁾ W_lᵀ + b_l,   z⁽ˡ⁾ = h(a⁽ˡ⁾),   output z⁽ᴸ⁾

and for a loss with upstream gradient ∂L/∂z⁽ᴸ⁾ the delta rule δ⁽ˡ⁾ = ∂L/∂a⁽ˡ⁾ gives

    δ⁽ᴸ⁾ = ∂L/∂z⁽ᴸ⁾ ⊙ h'(a⁽ᴸ⁾),   δ⁽ˡ⁾ = (δ⁽ˡ⁺¹⁾ W_{l+1}) ⊙ h'(a⁽ˡ⁾)   (l < L)
    ∂L/∂W_l = δ⁽ˡ⁾ᵀ z⁽ˡ⁻¹⁾,   ∂L/∂b_l = Σ_rows δ⁽ˡ⁾,   ∂L/∂x = δ⁽¹⁾ W_1

(per example: ∂E/∂w_ji = δ_j z_i and δ_j = h'(a_j) Σ_k δ_k w_kj).
"""

from collections.abc import Sequence

import numpy as np
import torch

Params = dict[str, np.ndarray]
Layers = list[tuple[np.ndarray, np.ndarray]]

_KEYS = ("W1", "b1", "W2", "b2", "Wg", "bg", "W3", "W4")


# ----------------------------------------------------------------------------- checks
def _real(value, name: str, ndim: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name}: expected a real float array, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinity")
    return arr.astype(np.float64, copy=False)


def _size(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name}: expected a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return int(value)


def _rng(rng: np.random.Generator | int) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _check_params(params: Params) -> Params:
    """The eight arrays as float64, each shape checked against W1 (H, D), Wg (G, 2H), W3 (K, G)."""
    if not isinstance(params, dict):
        raise TypeError(f"params: expected a dict, got {type(params).__name__}")
    missing = [k for k in _KEYS if k not in params]
    extra = [k for k in params if k not in _KEYS]
    if missing or extra:
        raise ValueError(f"params: expected keys {list(_KEYS)}, missing {missing}, unknown {extra}")
    p = {k: _real(params[k], f"params['{k}']", 1 if k[0] == "b" else 2) for k in _KEYS}
    (H, D), G, K = p["W1"].shape, p["Wg"].shape[0], p["W3"].shape[0]
    expected = {"W1": ((H, D), "(H, D)"), "b1": ((H,), "(H,)"), "W2": ((H, D), "(H, D)"),
                "b2": ((H,), "(H,)"), "Wg": ((G, 2 * H), "(G, 2H)"), "bg": ((G,), "(G,)"),
                "W3": ((K, G), "(K, G)"), "W4": ((K, D), "(K, D)")}
    for k, (shape, letters) in expected.items():
        if p[k].shape != shape:
            raise ValueError(f"params['{k}']: expected shape {letters} = {shape} "
                             f"(from W1, Wg, W3), got {p[k].shape}")
    return p


def _sigmoid(a: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(a))  # never overflows
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _log_softmax(y: np.ndarray) -> np.ndarray:
    shifted = y - y.max(axis=1, keepdims=True)  # every exponent <= 0
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


# ----------------------------------------------------------------------------- multi-branch
def multibranch_init(
    n_in: int, n_hidden: int, n_g: int, n_out: int, rng: np.random.Generator | int
) -> Params:
    """Random parameters of the multi-branch network.

    Every weight matrix is drawn from N(0, 1/fan_in), the biases start at zero.

    Args:
        n_in: D, input features.
        n_hidden: H, units of each branch.
        n_g: G, gate units.
        n_out: K, classes.
        rng: a ``numpy.random.Generator`` or an integer seed.

    Returns:
        dict with W1, W2 (H, D); b1, b2 (H,); Wg (G, 2H); bg (G,); W3 (K, G); W4 (K, D).
    """
    D, H, G = _size(n_in, "n_in"), _size(n_hidden, "n_hidden"), _size(n_g, "n_g")
    K, gen = _size(n_out, "n_out"), _rng(rng)

    def weights(rows: int, cols: int) -> np.ndarray:
        return gen.standard_normal((rows, cols)) / np.sqrt(cols)

    return {"W1": weights(H, D), "b1": np.zeros(H), "W2": weights(H, D), "b2": np.zeros(H),
            "Wg": weights(G, 2 * H), "bg": np.zeros(G), "W3": weights(K, G), "W4": weights(K, D)}


def multibranch_forward(params: Params, x: np.ndarray, t: np.ndarray) -> tuple[float, dict]:
    """Forward pass of the multi-branch network (equations in the module docstring).

    Args:
        params: as returned by :func:`multibranch_init`.
        x: inputs (B, D).
        t: integer class labels (B,), each in [0, K).

    Returns:
        ``(J, cache)``: J = -Σ_b log y'_{b, t_b}, the cross-entropy summed over the batch, and a
        dict with ``x`` (B, D), ``t`` (B,), ``a1 c1 a2 u c2`` (B, H), ``h`` = [c1 c2] (B, 2H),
        ``g`` (B, G), ``y`` logits and ``p`` = softmax(y) (B, K), everything the backward pass
        reads.
    """
    p = _check_params(params)
    x = _real(x, "x", 2)
    D, K = p["W1"].shape[1], p["W3"].shape[0]
    if x.shape[1] != D:
        raise ValueError(f"x: expected shape (B, D) with D = {D} (from W1), got {x.shape}")
    t = np.asarray(t)
    if t.dtype.kind not in "iu":
        raise TypeError(f"t: expected integer class labels, got dtype {t.dtype}")
    if t.shape != (x.shape[0],):
        raise ValueError(f"t: expected shape (B,) = ({x.shape[0]},) to match x, got {t.shape}")
    if t.size and (t.min() < 0 or t.max() >= K):
        raise ValueError(
            f"t: labels must lie in [0, K) = [0, {K}), got min {t.min()}, max {t.max()}"
        )
    t = t.astype(np.intp)
    # BEGIN SOLUTION
    a1 = x @ p["W1"].T + p["b1"]  # (B, H)
    c1 = _sigmoid(a1)
    a2 = x @ p["W2"].T + p["b2"]  # (B, H)
    u = a1 + a2
    c2 = np.maximum(u, 0.0)
    h = np.concatenate([c1, c2], axis=1)  # (B, 2H)
    g = h @ p["Wg"].T + p["bg"]  # (B, G)
    y = g @ p["W3"].T + x @ p["W4"].T  # (B, K)
    log_p = _log_softmax(y)
    J = -float(log_p[np.arange(x.shape[0]), t].sum())
    cache = {"x": x, "t": t, "a1": a1, "c1": c1, "a2": a2, "u": u, "c2": c2, "h": h, "g": g,
             "y": y, "p": np.exp(log_p)}
    return J, cache
    # END SOLUTION


def multibranch_backward(params: Params, cache: dict) -> Params:
    """Gradients of the summed cross-entropy J by back-propagation (module docstring equations).

    Args:
        params: the parameters given to :func:`multibranch_forward`.
        cache: the cache it returned.

    Returns:
        dict with ∂J/∂θ for every key θ of ``params`` (same shapes) and ``"x"``: ∂J/∂x (B, D).
    """
    p = _check_params(params)
    needed = ("x", "t", "c1", "u", "h", "g", "p")
    if not isinstance(cache, dict) or any(k not in cache for k in needed):
        raise ValueError(f"cache: expected the dict from multibranch_forward with keys {needed}")
    (H, D), K = p["W1"].shape, p["W3"].shape[0]
    B = cache["x"].shape[0]
    if cache["x"].shape != (B, D) or cache["u"].shape != (B, H) or cache["p"].shape != (B, K):
        raise ValueError("cache: its shapes do not match params (was it made with other params?)")
    # BEGIN SOLUTION
    x, c1, u, h, g = cache["x"], cache["c1"], cache["u"], cache["h"], cache["g"]
    y_bar = cache["p"].copy()
    y_bar[np.arange(B), cache["t"]] -= 1.0  # (B, K): y' - onehot(t)
    g_bar = y_bar @ p["W3"]  # (B, G)
    h_bar = g_bar @ p["Wg"]  # (B, 2H)
    u_bar = h_bar[:, H:] * (u > 0)  # (B, H)
    a1_bar = h_bar[:, :H] * c1 * (1.0 - c1) + u_bar  # (B, H)
    a2_bar = u_bar
    return {
        "W1": a1_bar.T @ x, "b1": a1_bar.sum(axis=0),
        "W2": a2_bar.T @ x, "b2": a2_bar.sum(axis=0),
        "Wg": g_bar.T @ h, "bg": g_bar.sum(axis=0),
        "W3": y_bar.T @ g, "W4": y_bar.T @ x,
        "x": a1_bar @ p["W1"] + a2_bar @ p["W2"] + y_bar @ p["W4"],
    }
    # END SOLUTION


# ----------------------------------------------------------------------------- L-layer net
_ACTIVATIONS = {  # name -> (h(a), h'(a) written with a and z = h(a))
    "sigmoid": (_sigmoid, lambda a, z: z * (1.0 - z)),
    "tanh": (np.tanh, lambda a, z: 1.0 - z * z),
    "relu": (lambda a: np.maximum(a, 0.0), lambda a, z: (a > 0).astype(np.float64)),
    "identity": (lambda a: a, lambda a, z: np.ones_like(a)),
}
_TORCH = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


def _activation_names(activation: str, output_activation: str | None) -> tuple[str, str]:
    if activation not in ("sigmoid", "tanh", "relu"):
        raise ValueError(f"activation: expected 'sigmoid', 'tanh' or 'relu', got {activation!r}")
    out = activation if output_activation is None else output_activation
    if out not in _ACTIVATIONS:
        raise ValueError(f"output_activation: expected one of {list(_ACTIVATIONS)} or None, "
                         f"got {output_activation!r}")
    return activation, out


def _check_layers(params: Layers, d_in: int) -> Layers:
    if not isinstance(params, list | tuple) or not params:
        raise ValueError("params: expected a non-empty list of (W, b) pairs")
    checked, width = [], d_in
    for l, pair in enumerate(params, start=1):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ValueError(f"params[{l - 1}]: expected a pair (W_{l}, b_{l})")
        W, b = _real(pair[0], f"W_{l}", 2), _real(pair[1], f"b_{l}", 1)
        if W.shape[1] != width or b.shape != (W.shape[0],):
            raise ValueError(f"layer {l}: expected W_{l} (H_{l}, {width}) and b_{l} (H_{l},), "
                             f"got W_{l} {W.shape} and b_{l} {b.shape}")
        checked.append((W, b))
        width = W.shape[0]
    return checked


def ffnn_init(
    sizes: Sequence[int], rng: np.random.Generator | int, scale: float = 1.0
) -> Layers:
    """Parameters of an L-layer network with layer widths ``sizes`` = [D, H_1, ..., H_L].

    W_l ~ N(0, scale² / H_{l-1}) of shape (H_l, H_{l-1}); b_l = 0 of shape (H_l,).

    Args:
        sizes: [D, H_1, ..., H_L], L + 1 positive integers.
        rng: a ``numpy.random.Generator`` or an integer seed.
        scale: multiplies every weight (1: variance 1/fan_in; √2 suits ReLU).

    Returns:
        [(W_1, b_1), ..., (W_L, b_L)].
    """
    sizes = [_size(s, f"sizes[{i}]") for i, s in enumerate(sizes)]
    if len(sizes) < 2:
        raise ValueError(f"sizes: expected [D, H_1, ..., H_L] with L >= 1, got {sizes}")
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale: expected a positive number, got {scale!r}")
    gen = _rng(rng)
    return [(scale * gen.standard_normal((n, m)) / np.sqrt(m), np.zeros(n))
            for m, n in zip(sizes[:-1], sizes[1:], strict=True)]


def ffnn_forward(
    params: Layers, x: np.ndarray, activation: str, output_activation: str | None = None
) -> tuple[np.ndarray, dict]:
    """Forward pass of the recursion a⁽ˡ⁾ = z⁽ˡ⁻¹⁾ W_lᵀ + b_l, z⁽ˡ⁾ = h(a⁽ˡ⁾), z⁽⁰⁾ = x.

    Args:
        params: [(W_1, b_1), ..., (W_L, b_L)], W_l (H_l, H_{l-1}), b_l (H_l,), H_0 = D.
        x: inputs (B, D).
        activation: h of the hidden layers: ``"sigmoid"``, ``"tanh"`` or ``"relu"``.
        output_activation: h of layer L (also ``"identity"``); None uses ``activation``.

    Returns:
        ``(out, cache)``: out = z⁽ᴸ⁾ (B, H_L); cache holds ``a`` [a⁽¹⁾, ..., a⁽ᴸ⁾] and ``z``
        [z⁽⁰⁾, ..., z⁽ᴸ⁾] (each (B, H_l)) and the two activation names.
    """
    hidden, last = _activation_names(activation, output_activation)
    x = _real(x, "x", 2)
    layers = _check_layers(params, x.shape[1])
    a_list, z_list = [], [x]
    for l, (W, b) in enumerate(layers, start=1):
        name = last if l == len(layers) else hidden
        a = z_list[-1] @ W.T + b  # (B, H_l)
        a_list.append(a)
        z_list.append(_ACTIVATIONS[name][0](a))
    cache = {"a": a_list, "z": z_list, "activations": (hidden, last)}
    return z_list[-1], cache


def ffnn_backward(params: Layers, cache: dict, dL_dout: np.ndarray) -> dict:
    """Back-propagation through :func:`ffnn_forward` with the delta rule (module docstring).

    Args:
        params: the layers given to the forward pass.
        cache: the cache it returned.
        dL_dout: ∂L/∂z⁽ᴸ⁾ (B, H_L), the gradient of a scalar loss with respect to the output.

    Returns:
        dict with ``"W"`` [∂L/∂W_1, ..., ∂L/∂W_L] (shapes of W_l), ``"b"`` [∂L/∂b_l] (H_l,),
        ``"delta"`` [δ⁽¹⁾, ..., δ⁽ᴸ⁾] (B, H_l) and ``"x"``: ∂L/∂x (B, D).
    """
    if not isinstance(cache, dict) or not {"a", "z", "activations"} <= cache.keys():
        raise ValueError("cache: expected the dict returned by ffnn_forward")
    layers = _check_layers(params, cache["z"][0].shape[1])
    if len(layers) != len(cache["a"]):
        raise ValueError(f"params: {len(layers)} layers but the cache has {len(cache['a'])}")
    out = cache["z"][-1]
    upstream = _real(dL_dout, "dL_dout", 2)
    if upstream.shape != out.shape:
        raise ValueError(f"dL_dout: expected shape (B, H_L) = {out.shape}, got {upstream.shape}")
    hidden, last = cache["activations"]
    # BEGIN SOLUTION
    L = len(layers)
    deltas: list[np.ndarray] = [np.empty(0)] * L
    grad = upstream  # ∂L/∂z⁽ˡ⁾, starting at the output
    for l in range(L - 1, -1, -1):  # layer l + 1 in the 1-based notation
        h_prime = _ACTIVATIONS[last if l == L - 1 else hidden][1]
        deltas[l] = grad * h_prime(cache["a"][l], cache["z"][l + 1])  # (B, H_l)
        grad = deltas[l] @ layers[l][0]  # (B, H_{l-1})
    return {
        "W": [d.T @ z for d, z in zip(deltas, cache["z"][:-1], strict=True)],
        "b": [d.sum(axis=0) for d in deltas],
        "delta": deltas,
        "x": grad,
    }
    # END SOLUTION


def layer_gradient_norms(
    depth: int,
    activation: str,
    rng: np.random.Generator | int,
    *,
    width: int = 32,
    batch: int = 64,
    scale: float = 1.0,
) -> np.ndarray:
    """‖∂L/∂W_l‖_F for every layer of a freshly initialised deep network (vanishing gradients).

    The network maps x (B, width) through ``depth`` layers of ``width`` units with ``activation``
    and a linear last layer of one unit; weights come from :func:`ffnn_init` with ``scale`` and
    the loss is L = (1 / 2B) Σ_b (f(x_b) - t_b)² with x and t standard normal, all drawn from
    ``rng``. Gradients come from PyTorch autograd (float64).

    Args:
        depth: L, the number of weight layers.
        activation: ``"sigmoid"``, ``"tanh"`` or ``"relu"`` for the L - 1 hidden layers.
        rng: a ``numpy.random.Generator`` or an integer seed.
        width: D = H_1 = ... = H_{L-1}, inputs and units per hidden layer.
        batch: B, examples in the batch.
        scale: weight scale of :func:`ffnn_init`.

    Returns:
        (depth,) norms, first layer first.
    """
    activation, _ = _activation_names(activation, "identity")
    depth, width, batch = _size(depth, "depth"), _size(width, "width"), _size(batch, "batch")
    gen = _rng(rng)
    layers = ffnn_init([width] * depth + [1], gen, scale=scale)
    x = torch.from_numpy(gen.standard_normal((batch, width)))
    t = torch.from_numpy(gen.standard_normal((batch, 1)))
    weights = [torch.tensor(W, requires_grad=True) for W, _ in layers]
    z = x
    for l, (W, (_, b)) in enumerate(zip(weights, layers, strict=True), start=1):
        a = z @ W.T + torch.from_numpy(b)
        z = a if l == depth else _TORCH[activation](a)
    loss = ((z - t) ** 2).sum() / (2 * batch)
    grads = torch.autograd.grad(loss, weights)
    return np.array([float(torch.linalg.norm(g)) for g in grads])
