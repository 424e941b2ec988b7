"""Figures and an explorer for notebook 06: the multi-branch network's computation graph, and
gradient norms per layer of deep networks (vanishing gradients).

The truth is PyTorch autograd (through :func:`coursekit.backprop.layer_gradient_norms`); a
student's own ``ffnn_backward``, when given, is drawn beside it, so everything here works in the
student build of coursekit.
"""

from collections.abc import Callable

import numpy as np
import torch

from coursekit.backprop import ffnn_forward, ffnn_init, layer_gradient_norms
from coursekit.config import torch_threads
from coursekit.viz.explorer import Explorer, new_figure, try_call

# ----------------------------------------------------------------------------- the graph
# name -> (x, y, label, shape); drawn left to right in the order of the forward pass
_NODES = {
    "x": (0.0, 0.0, r"$\mathbf{x}$", "(B, D)"),
    "a1": (1.2, 0.95, r"$\mathbf{a}_1$", "(B, H)"),
    "a2": (1.2, -0.95, r"$\mathbf{a}_2$", "(B, H)"),
    "c1": (2.4, 0.95, r"$\mathbf{c}_1$", "(B, H)"),
    "u": (2.4, -0.95, r"$\mathbf{u}$", "(B, H)"),
    "c2": (3.6, -0.95, r"$\mathbf{c}_2$", "(B, H)"),
    "g": (4.8, 0.0, r"$\mathbf{g}$", "(B, G)"),
    "y": (6.0, 0.0, r"$\mathbf{y}$", "(B, K)"),
    "yp": (7.2, 0.0, r"$\mathbf{y}'$", "(B, K)"),
    "t": (7.2, -1.45, r"$t$", "(B,)"),
    "S": (8.4, 0.0, r"$\mathcal{S}$", "scalar"),
    "J": (9.6, 0.0, r"$\mathcal{J}$", "scalar"),
}
_EDGES = [  # (from, to, operation written on the edge)
    ("x", "a1", ""), ("x", "a2", ""), ("a1", "c1", "σ"), ("a1", "u", "+"), ("a2", "u", "+"),
    ("u", "c2", "ReLU"), ("c1", "g", ""), ("c2", "g", ""), ("g", "y", ""), ("y", "yp", "softmax"),
    ("yp", "S", "log, pick t"), ("t", "S", ""), ("S", "J", "−"),
]
_SKIP = ("x", "y")  # drawn as an arc over the top
_PARAMS = {  # parameter label -> (x, y, node it enters)
    r"$W^{(1)}, \mathbf{b}^{(1)}$": (0.6, 1.85, "a1"),
    r"$W^{(2)}, \mathbf{b}^{(2)}$": (0.6, -1.85, "a2"),
    r"$W^{(g)}, \mathbf{b}^{(g)}$": (4.2, 1.1, "g"),
    r"$W^{(3)}$": (5.55, 1.05, "y"),
    r"$W^{(4)}$": (6.45, -1.05, "y"),
}
# the order in which the backward pass computes each bar, J̄ = 1 first
BACKWARD_ORDER = ("J", "S", "yp", "y", "g", "c1", "c2", "u", "a1", "a2", "x")


def children(node: str) -> list[str]:
    """The nodes that ``node`` feeds directly in the multi-branch graph."""
    out = [b for a, b, _ in _EDGES if a == node]
    return out + ([_SKIP[1]] if node == _SKIP[0] else [])


def draw_multibranch_graph(show_backward_order: bool = True):
    """The computation graph of the multi-branch network as a matplotlib Figure.

    Nodes are the variables of the forward pass with their shapes for a batch; parameters enter
    through dashed arrows; the skip connection x → y arcs over the top. Nodes that feed more than
    one other node (their gradient is a sum) have a red outline. With ``show_backward_order`` each
    node carries the step at which the backward pass computes its gradient.
    """
    from matplotlib.patches import FancyArrowPatch

    fig, (ax,) = new_figure(12.5, 4.6)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.9)
    ax.set_xlim(-0.6, 10.2)
    ax.set_ylim(-2.35, 2.75)
    ax.set_axis_off()
    ax.set_title("Computation graph of the multi-branch network (one row of the batch per example)",
                 fontsize=12)

    def arrow(p, q, **kw):
        style = dict(arrowstyle="-|>", mutation_scale=14, color="0.25", lw=1.3, shrinkA=17, shrinkB=17)
        style.update(kw)
        ax.add_patch(FancyArrowPatch(p, q, **style))

    for a, b, op in _EDGES:
        (xa, ya, *_), (xb, yb, *_) = _NODES[a], _NODES[b]
        arrow((xa, ya), (xb, yb))
        if op:
            ax.text((xa + xb) / 2, (ya + yb) / 2 + 0.16, op, ha="center", va="bottom", fontsize=9,
                    color="0.2", style="italic")
    (xa, ya, *_), (xb, yb, *_) = _NODES[_SKIP[0]], _NODES[_SKIP[1]]
    arrow((xa, ya), (xb, yb), connectionstyle="arc3,rad=-0.42", color="C0", lw=1.6)
    ax.text((xa + xb) / 2, 1.38, "skip connection", ha="center", va="bottom", fontsize=9, color="C0")
    for label, (px, py, node) in _PARAMS.items():
        nx, ny, *_ = _NODES[node]
        ax.text(px, py, label, ha="center", va="center", fontsize=10, color="0.35",
                bbox={"boxstyle": "round,pad=0.25", "facecolor": "0.95", "edgecolor": "0.7"})
        arrow((px, py), (nx, ny), linestyle="--", color="0.55", lw=1.0, shrinkA=12)
    order = {name: i + 1 for i, name in enumerate(BACKWARD_ORDER)}
    for name, (nx, ny, label, shape) in _NODES.items():
        several = len(children(name)) > 1
        face = "#dbe9f6" if name in ("x", "t") else ("#fde9c8" if name == "J" else "white")
        ax.text(nx, ny, label, ha="center", va="center", fontsize=15, zorder=3,
                bbox={"boxstyle": "circle,pad=0.3", "facecolor": face,
                      "edgecolor": "C3" if several else "0.3", "lw": 2.4 if several else 1.2})
        ax.text(nx, ny - 0.43, shape, ha="center", va="top", fontsize=8.5, color="0.3")
        if show_backward_order and name in order:
            left = name == "x"  # the skip connection leaves x towards the upper right
            ax.text(nx - 0.27 if left else nx + 0.27, ny + 0.3, str(order[name]), fontsize=9,
                    ha="right" if left else "left", va="bottom", color="C3", weight="bold")
    legend = ("red outline: feeds several nodes, so its gradient is a sum of contributions"
              + ("    red numbers: order of the backward pass" if show_backward_order else ""))
    ax.text(-0.5, -2.3, legend, fontsize=9, color="C3", va="bottom")
    return fig


# ----------------------------------------------------------------------------- gradient norms
def _draws(depth: int, activation: str, seed: int, width: int, batch: int, scale: float):
    """The network and data of :func:`coursekit.backprop.layer_gradient_norms` for this seed."""
    rng = np.random.default_rng(seed)
    layers = ffnn_init([width] * depth + [1], rng, scale=scale)
    x, t = rng.standard_normal((batch, width)), rng.standard_normal((batch, 1))
    out, cache = ffnn_forward(layers, x, activation, "identity")
    return layers, cache, (out - t) / batch  # ∂L/∂out for L = Σ (out - t)² / 2B


def student_gradient_norms(
    backward: Callable | None, depth: int, activation: str, seed: int = 0, *,
    width: int = 32, batch: int = 64, scale: float = 1.0,
) -> tuple[np.ndarray | None, str]:
    """‖∂L/∂W_l‖ per layer computed with a student's ``backward(params, cache, dL_dout)`` on the same
    network as :func:`coursekit.backprop.layer_gradient_norms` (same seed), or ``(None, reason)``."""
    layers, cache, upstream = _draws(depth, activation, seed, width, batch, scale)
    grads, why = try_call(backward, layers, cache, upstream)
    if grads is None:
        return None, why
    try:
        norms = np.array([np.linalg.norm(np.asarray(g, dtype=np.float64)) for g in grads["W"]])
    except Exception as exc:
        return None, f"could not read its gradients ({type(exc).__name__}: {exc})"
    if norms.shape != (depth,):
        return None, f"it returned {norms.size} weight gradients for {depth} layers"
    return norms, ""


def _mean_derivative(depth: int, activation: str, seed: int, width: int, batch: int, scale: float):
    """Mean of h'(a⁽ˡ⁾) over units and examples, per hidden layer, by autograd."""
    layers, cache, _ = _draws(depth, activation, seed, width, batch, scale)
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[activation]
    means = []
    for a in cache["a"][:-1]:
        at = torch.tensor(a, requires_grad=True)
        (d,) = torch.autograd.grad(act(at).sum(), at)
        means.append(float(d.mean()))
    return np.array(means)


ACTIVATION_COLORS = {"sigmoid": "C0", "tanh": "C2", "relu": "C3"}


def plot_gradient_norms(
    student_backward: Callable | None = None,
    depths=(5, 10, 20),
    activations=("sigmoid", "tanh", "relu"),
    seed: int = 0,
    scale: float = 1.0,
    width: int = 32,
):
    """One panel per activation: ‖∂L/∂W_l‖ against the layer l for several depths (log scale).

    Solid lines with dots: PyTorch autograd. Dashed black: the student's ``ffnn_backward`` on the
    same networks (when given and working).
    """
    fig, axes = new_figure(4.2 * len(activations), 3.8, ncols=len(activations), sharey=True)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.82, wspace=0.08)
    shades = np.linspace(0.45, 1.0, len(depths))
    notes = []
    with torch_threads(1):  # tiny matrices: on a busy machine extra threads only wait
        _draw_norm_panels(axes, student_backward, depths, activations, seed, scale, width, shades, notes)
    axes[0].set_ylabel(r"$\|\partial L/\partial W_l\|_F$")
    title = f"Gradient norm per layer at initialisation (weights N(0, {scale:g}²/fan-in), width {width})"
    if notes:
        title += f"\n(dashed: {notes[0]})"
    fig.suptitle(title, fontsize=11)
    return fig


def _draw_norm_panels(axes, student_backward, depths, activations, seed, scale, width, shades, notes):
    for ax, act in zip(axes, activations, strict=True):
        for depth, shade in zip(depths, shades, strict=True):
            norms = layer_gradient_norms(depth, act, seed, width=width, scale=scale)
            layer = np.arange(1, depth + 1)
            ax.semilogy(layer, norms, "o-", ms=3.5, lw=1.8, color=ACTIVATION_COLORS[act], alpha=shade,
                        label=f"{depth} layers")
            mine, why = student_gradient_norms(student_backward, depth, act, seed, width=width, scale=scale)
            if mine is not None:
                ax.semilogy(layer, mine, "--", color="k", lw=1.0,
                            label="yours" if depth == depths[-1] else None)
            elif why and why not in notes:
                notes.append(why)
        ax.set_title(f"{act}", fontsize=11)
        ax.set_xlabel("layer l (1 = next to the input)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")


def gradient_norm_explorer(student_backward: Callable | None = None) -> Explorer:
    """Choose an activation, a depth and a weight scale; see the gradient norm of every layer
    and the mean derivative h'(a) each hidden layer multiplies the gradient by.

    Args:
        student_backward: optional ``ffnn_backward(params, cache, dL_dout)`` drawn (dashed) beside
            PyTorch autograd.
    """
    import ipywidgets as widgets

    controls = {
        "activation": widgets.Dropdown(options=["sigmoid", "tanh", "relu"], value="sigmoid",
                                       description="activation"),
        "depth": widgets.IntSlider(value=10, min=2, max=30, description="depth"),
        "scale": widgets.FloatSlider(value=1.0, min=0.5, max=2.5, step=0.05, description="weight scale"),
        "seed": widgets.IntSlider(value=0, min=0, max=9, description="seed"),
    }
    fig, (ax_n, ax_d) = new_figure(11, 3.6, ncols=2)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.16, top=0.84, wspace=0.25)
    max_depth = controls["depth"].max
    (truth,) = ax_n.semilogy([1], [1], "o-", ms=4, lw=2, color="C0", label="PyTorch autograd")
    (yours,) = ax_n.semilogy([1], [1], "--", lw=1.4, color="k", label="your ffnn_backward")
    ax_n.set_xlabel("layer l (1 = next to the input)")
    ax_n.set_ylabel(r"$\|\partial L/\partial W_l\|_F$")
    ax_n.set_xlim(0.5, max_depth + 0.5)
    ax_n.grid(True, alpha=0.3)
    ax_n.legend(fontsize=8, loc="lower right")
    bars = ax_d.bar(np.arange(1, max_depth), np.zeros(max_depth - 1), color="C0", zorder=2)
    ax_d.axhline(1.0, color="0.3", ls=":", lw=1.2, zorder=3, label="1: the gradient passes unchanged")
    ax_d.axhline(0.25, color="k", ls="--", lw=1.2, zorder=3, label="¼: the largest value of σ'")
    ax_d.legend(fontsize=8, loc="upper right", framealpha=0.9)
    ax_d.set_xlim(0.5, max_depth - 0.5)
    ax_d.set_ylim(0, 1.25)
    ax_d.set_xlabel("hidden layer l")
    ax_d.set_ylabel("mean h'(a) over units and examples")

    def update(activation: str, depth: int, scale: float, seed: int) -> None:
        with torch_threads(1):  # tiny matrices: on a busy machine extra threads only wait
            draw(activation, depth, scale, seed)

    def draw(activation: str, depth: int, scale: float, seed: int) -> None:
        color = ACTIVATION_COLORS[activation]
        norms = layer_gradient_norms(depth, activation, seed, scale=scale)
        layer = np.arange(1, depth + 1)
        truth.set_data(layer, norms)
        truth.set_color(color)
        mine, why = student_gradient_norms(student_backward, depth, activation, seed, scale=scale)
        yours.set_visible(mine is not None)
        if mine is not None:
            yours.set_data(layer, mine)
        finite = norms[np.isfinite(norms) & (norms > 0)]
        lo, hi = (finite.min(), finite.max()) if finite.size else (1e-3, 1.0)
        ax_n.set_ylim(min(lo, hi / 10) / 3, hi * 3)
        ratio = norms[0] / norms[-1] if norms[-1] > 0 else np.nan
        ax_n.set_title(f"{activation}, {depth} layers: ‖∂L/∂W_1‖ / ‖∂L/∂W_L‖ = {ratio:.1e}"
                       + (f"\n({why})" if why else ""), fontsize=10)
        means = _mean_derivative(depth, activation, seed, 32, 64, scale)
        for i, bar in enumerate(bars):
            bar.set_height(means[i] if i < len(means) else 0.0)
            bar.set_color(color)
        ax_d.set_title(f"what each hidden layer multiplies the gradient by (mean {np.mean(means):.2f})",
                       fontsize=10)

    return Explorer(controls, fig, update, title="Gradient norms through depth")
