"""PyTorch oracles and gradient tables for notebook 06 (back-propagation by hand).

Everything here is computed with PyTorch autograd in float64, never with the coursekit reference,
so it works in the student build: the visible checks of notebook 06 compare a student's
back-propagation with it, and the tables print how far each gradient is from the truth.

* :func:`multibranch_cache`: the forward pass of the multi-branch network, returning J and a cache
  with exactly the documented keys (what a student's backward reads);
* :func:`multibranch_gradients`: ∂J/∂θ for every parameter and ∂J/∂x;
* :func:`ffnn_gradients`: ∂L/∂W_l, ∂L/∂b_l, δ⁽ˡ⁾ and ∂L/∂x of an L-layer network;
* :func:`multibranch_gradient_table`, :func:`ffnn_gradient_table`: the tables printed by the
  visible checks.

The ``variant`` arguments build the same networks with one deliberate slip (a path cut, a wrong
derivative at a kink, a mean instead of a sum); the questions use them to recognise a student's
likely mistake.
"""

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from coursekit.grading.labels import Labeled, LabeledList
from coursekit.viz.explorer import try_call

KEYS = ("W1", "b1", "W2", "b2", "Wg", "bg", "W3", "W4")
GRAD_KEYS = ("W3", "W4", "Wg", "bg", "W1", "b1", "W2", "b2", "x")  # in the order backprop meets them
CACHE_KEYS = ("x", "t", "a1", "c1", "a2", "u", "c2", "h", "g", "y", "p")


def _t(a) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def _slope_one(a: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """``value`` (an activation of ``a``) with the derivative 1 instead of its own: a forgotten h'."""
    return a + (value - a).detach()


def sizes_label(params: Mapping[str, np.ndarray], B: int) -> str:
    (H, D), G, K = np.shape(params["W1"]), np.shape(params["Wg"])[0], np.shape(params["W3"])[0]
    return f"B={B}, D={D}, H={H}, G={G}, K={K}"


# ----------------------------------------------------------------------------- multi-branch
MULTIBRANCH_VARIANTS = ("", "no sigmoid derivative", "one path into a1", "relu on a2", "relu'(0) = 1",
                        "no skip path", "naive softmax", "mean over the batch")


def _multibranch_graph(params, x, t, variant: str = "") -> tuple[torch.Tensor, dict, dict]:
    """J (a 0-d tensor), the leaf tensors (params and x) and the intermediate tensors."""
    if variant not in MULTIBRANCH_VARIANTS:
        raise ValueError(f"variant: expected one of {MULTIBRANCH_VARIANTS}, got {variant!r}")
    leaf = {k: _t(params[k]).requires_grad_(True) for k in KEYS}
    leaf["x"] = _t(x).requires_grad_(True)
    xt = leaf["x"]
    a1 = xt @ leaf["W1"].T + leaf["b1"]
    c1 = torch.sigmoid(a1)
    if variant == "no sigmoid derivative":
        c1 = _slope_one(a1, c1)
    a2 = xt @ leaf["W2"].T + leaf["b2"]
    u = (a1.detach() if variant == "one path into a1" else a1) + a2
    if variant == "relu on a2":
        c2 = torch.relu(a2)
    elif variant == "relu'(0) = 1":
        c2 = torch.where(u >= 0, u, torch.zeros_like(u))  # slope 1 at u = 0
    else:
        c2 = torch.relu(u)
    h = torch.cat([c1, c2], dim=1)
    g = h @ leaf["Wg"].T + leaf["bg"]
    skip = xt.detach() if variant == "no skip path" else xt
    y = g @ leaf["W3"].T + skip @ leaf["W4"].T
    labels = torch.as_tensor(np.asarray(t), dtype=torch.long)
    if variant == "naive softmax":
        p = torch.exp(y) / torch.exp(y).sum(dim=1, keepdim=True)
        log_p = torch.log(p)
    else:
        log_p = torch.log_softmax(y, dim=1)
        p = torch.exp(log_p)
    J = -log_p[torch.arange(len(labels)), labels].sum()
    if variant == "mean over the batch":
        J = J / max(len(labels), 1)
    inter = {"a1": a1, "c1": c1, "a2": a2, "u": u, "c2": c2, "h": h, "g": g, "y": y, "p": p}
    return J, leaf, inter


def multibranch_cache(params, x, t, variant: str = "") -> tuple[float, dict]:
    """``(J, cache)`` of the multi-branch network by PyTorch, with the documented cache keys.

    Args:
        params: dict with W1, W2 (H, D); b1, b2 (H,); Wg (G, 2H); bg (G,); W3 (K, G); W4 (K, D).
        x: inputs (B, D).
        t: integer labels (B,).
        variant: "" for the network itself, or the name of a deliberate slip.

    Returns:
        J, the summed cross-entropy, and a dict with ``x t a1 c1 a2 u c2 h g y p`` as NumPy arrays.
    """
    with torch.no_grad():
        J, _, inter = _multibranch_graph(params, x, t, variant)
    cache = {"x": np.array(x, dtype=np.float64), "t": np.asarray(t).astype(np.intp)}
    cache.update({k: v.numpy().copy() for k, v in inter.items()})
    return float(J), cache


def multibranch_gradients(params, x, t, variant: str = "") -> dict[str, np.ndarray]:
    """∂J/∂θ for every key of ``params`` and ``"x"`` by PyTorch autograd (float64)."""
    J, leaf, _ = _multibranch_graph(params, x, t, variant)
    names = list(leaf)
    grads = torch.autograd.grad(J, [leaf[k] for k in names], allow_unused=True)
    return {
        k: (np.zeros(leaf[k].shape) if g is None else g.numpy().copy())
        for k, g in zip(names, grads, strict=True)
    }


def random_multibranch_problem(
    B: int, D: int, H: int, G: int, K: int, rng: np.random.Generator, bias_scale: float = 0.3
) -> tuple[dict, np.ndarray, np.ndarray]:
    """Random parameters (weights ~ N(0, 1/fan_in), biases ~ N(0, bias_scale²)), x ~ N(0, 1), labels."""

    def weights(rows: int, cols: int) -> np.ndarray:
        return rng.standard_normal((rows, cols)) / np.sqrt(cols)

    params = {
        "W1": weights(H, D), "b1": bias_scale * rng.standard_normal(H),
        "W2": weights(H, D), "b2": bias_scale * rng.standard_normal(H),
        "Wg": weights(G, 2 * H), "bg": bias_scale * rng.standard_normal(G),
        "W3": weights(K, G), "W4": weights(K, D),
    }
    return params, rng.standard_normal((B, D)), rng.integers(0, K, size=B)


def _rel_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


def multibranch_gradient_table(
    forward: Callable | None, backward: Callable, *, seed: int = 0, tolerance: float = 1e-6
) -> None:
    """Print one row per gradient of ``backward``: its relative error against central differences
    of ``forward`` and against PyTorch autograd, on a small random problem.

    ``backward(params, cache)`` receives a cache computed by PyTorch with the documented keys, so
    the PyTorch column judges the backward pass alone; the finite-difference column shows whether
    ``forward`` and ``backward`` agree with each other.
    """
    from coursekit.grading.gradcheck import gradcheck

    rng = np.random.default_rng(seed)
    params, x, t = random_multibranch_problem(4, 3, 4, 3, 3, rng)
    _, cache = multibranch_cache(params, x, t)
    truth = multibranch_gradients(params, x, t)
    grads, why = try_call(backward, Labeled(params, "params"), Labeled(cache, "cache"))
    print(f"Gradient check on a random problem ({sizes_label(params, len(x))}), float64:")
    if why:
        print(f"  {why}")
        return
    if not isinstance(grads, dict):
        print(f"  {getattr(backward, '__name__', 'backward')} returned a {type(grads).__name__}, not a dict")
        return
    fd_rows, fd_note = {}, ""
    if forward is None:
        fd_note = "no forward pass given"
    else:
        loss_value, fd_why = try_call(forward, params, x, t)
        if fd_why:
            fd_note = fd_why
        else:
            try:
                float(loss_value[0])
            except Exception:
                fd_note = "the forward pass does not return (J, cache)"
        if not fd_note:
            point = {**params, "x": x}

            def loss(P):
                return float(forward({k: P[k] for k in KEYS}, P["x"], t)[0])

            usable = {
                k: v for k, v in grads.items()
                if k in point and np.shape(v) == np.shape(point[k])
                and np.asarray(v).dtype.kind in "fiu"
            }
            report, fd_why = try_call(gradcheck, loss, point, usable)
            if fd_why:
                fd_note = fd_why
            else:
                fd_rows = {r.name: r.rel_error for r in report.rows}
    head = f"  {'gradient':<10}{'shape':<10}{'vs finite differences':>24}{'vs PyTorch':>13}"
    print(head)
    print("  " + "-" * (len(head) - 2))
    bad = []
    for key in GRAD_KEYS:
        want = truth[key]
        fd = f"{fd_rows[key]:.1e}" if key in fd_rows else "—"
        verdict, torch_err = _judge(grads.get(key), want, tolerance)
        if verdict != "ok":
            bad.append(key)
        print(f"  ∂J/∂{key:<6}{str(want.shape):<10}{fd:>24}{torch_err:>13}   {verdict}")
    if fd_note:
        print(f"  (finite differences: {fd_note})")
    print(f"  relative error = ‖yours − other‖ / (‖yours‖ + ‖other‖); below {tolerance:g} is right.")
    if bad:
        print(f"  To fix: {', '.join(bad)}.")


# ----------------------------------------------------------------------------- L-layer net
_ACT = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "identity": lambda a: a}


def ffnn_gradients(
    layers, x, activation: str, output_activation: str | None, upstream, variant: str = ""
) -> dict[str, Any]:
    """Gradients of L = Σ upstream ⊙ f(x) for the L-layer net a⁽ˡ⁾ = z⁽ˡ⁻¹⁾W_lᵀ + b_l, z⁽ˡ⁾ = h(a⁽ˡ⁾).

    Args:
        layers: [(W_1, b_1), ..., (W_L, b_L)], W_l (H_l, H_{l-1}).
        x: inputs (B, D).
        activation, output_activation: names; ``None`` for the output means ``activation``.
        upstream: ∂L/∂z⁽ᴸ⁾ (B, H_L).
        variant: "" or a deliberate slip: "no h'" (every layer's derivative left out),
            "no output h'" (only the last layer's).

    Returns:
        dict with ``"W"``, ``"b"``, ``"delta"`` (lists, first layer first) and ``"x"``.
    """
    if variant not in ("", "no h'", "no output h'"):
        raise ValueError(f"variant: expected '', \"no h'\" or \"no output h'\", got {variant!r}")
    last = output_activation or activation
    Ws = [_t(W).requires_grad_(True) for W, _ in layers]
    bs = [_t(b).requires_grad_(True) for _, b in layers]
    xt = _t(x).requires_grad_(True)
    z, pre = xt, []
    for l, (W, b) in enumerate(zip(Ws, bs, strict=True)):
        a = z @ W.T + b
        pre.append(a)
        out = _ACT[last if l == len(Ws) - 1 else activation](a)
        skip_derivative = variant == "no h'" or (variant == "no output h'" and l == len(Ws) - 1)
        z = _slope_one(a, out) if skip_derivative else out
    L = (z * _t(upstream)).sum()
    grads = torch.autograd.grad(L, [*Ws, *bs, *pre, xt], allow_unused=True)

    def arr(g, like):
        return np.zeros(like.shape) if g is None else g.numpy().copy()

    n = len(Ws)
    return {
        "W": [arr(g, W) for g, W in zip(grads[:n], Ws, strict=True)],
        "b": [arr(g, b) for g, b in zip(grads[n : 2 * n], bs, strict=True)],
        "delta": [arr(g, a) for g, a in zip(grads[2 * n : 3 * n], pre, strict=True)],
        "x": arr(grads[-1], xt),
    }


def ffnn_problem(
    widths, activation: str, output_activation: str | None, rng: np.random.Generator, batch: int = 5
) -> tuple[list, dict, np.ndarray]:
    """Random layers (with biases), the cache of :func:`coursekit.backprop.ffnn_forward` and an
    upstream gradient, for the given widths [D, H_1, ..., H_L]."""
    from coursekit.backprop import ffnn_forward, ffnn_init

    layers = [(W, 0.5 * rng.standard_normal(W.shape[0])) for W, _ in ffnn_init(list(widths), rng, 1.5)]
    x = rng.standard_normal((batch, widths[0]))
    out, cache = ffnn_forward(layers, x, activation, output_activation)
    label = f"{len(layers)} layers {'-'.join(map(str, widths))}, {activation}" + (
        f", output {output_activation}" if output_activation else ""
    )
    return LabeledList(layers, f"layers({label})"), Labeled(cache, f"cache({label}, B={batch})"), \
        rng.standard_normal(out.shape)


FFNN_TABLE_CONFIGS = (
    ([3, 4, 2], "sigmoid", None),
    ([2, 5, 4, 3], "tanh", "identity"),
    ([4, 3, 5, 3, 2], "relu", "identity"),
)


def ffnn_gradient_table(backward: Callable, *, seed: int = 1, tolerance: float = 1e-6) -> None:
    """Print, for a few depths and activations, the relative error of every gradient returned by
    ``backward(params, cache, dL_dout)`` against PyTorch autograd."""
    rng = np.random.default_rng(seed)
    print("Delta rule against PyTorch autograd (relative errors, float64):")
    for widths, act, out_act in FFNN_TABLE_CONFIGS:
        layers, cache, upstream = ffnn_problem(widths, act, out_act, rng)
        truth = ffnn_gradients(layers, cache["z"][0], act, out_act, upstream)
        title = f"  {len(layers)} layers {'-'.join(map(str, widths))}, {act}" + (
            f" (output {out_act})" if out_act else ""
        )
        got, why = try_call(backward, layers, cache, upstream)
        if why:
            print(f"{title}: {why}")
            return
        print(title)
        cells = []
        for l in range(len(layers)):
            row = []
            for key in ("W", "b", "delta"):
                row.append(_table_entry(got, key, l, truth[key][l], tolerance))
            cells.append(f"    layer {l + 1}:  W {row[0]:<10} b {row[1]:<10} δ {row[2]}")
        print("\n".join(cells))
        print(f"    ∂L/∂x:    {_table_entry(got, 'x', None, truth['x'], tolerance)}")


def _table_entry(got, key, l, want, tolerance) -> str:
    try:
        value = got[key] if l is None else got[key][l]
    except Exception:
        return "missing"
    verdict, err = _judge(value, want, tolerance)
    return {"ok": err, "WRONG": f"{err} WRONG"}.get(verdict, verdict)


def _judge(value, want: np.ndarray, tolerance: float) -> tuple[str, str]:
    """``(verdict, relative error as text)`` of one gradient against the truth ``want``: the verdict
    is "ok", "WRONG", "missing", "not finite" or the wrong shape."""
    if value is None:
        return "missing", "—"
    arr = np.asarray(value.detach().numpy() if isinstance(value, torch.Tensor) else value)
    if arr.shape != want.shape:
        return f"shape {arr.shape}, expected {want.shape}", "—"
    if arr.dtype.kind not in "fiu" or not np.all(np.isfinite(arr)):
        return "not finite", "—"
    err = _rel_error(arr.astype(np.float64), want)
    return ("ok" if err <= tolerance else "WRONG"), f"{err:.1e}"
