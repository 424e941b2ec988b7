"""Figures and an explorer for notebook 00 (concept questions).

Every figure takes the results of ``coursekit.concepts`` (or of a student's function) and
returns a ``matplotlib.figure.Figure``; ``gradient_flow_explorer`` redraws the size of the
gradient at each layer of a deep net as the activation, depth and initialisation change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from coursekit.viz.explorer import Explorer, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "gradient_flow_explorer",
    "plot_dropout",
    "plot_symmetry",
    "plot_timing",
    "plot_unit_maps",
    "plot_zigzag",
]


def plot_symmetry(runs: Mapping[str, Mapping[str, np.ndarray]]) -> Figure:
    """For each initialisation: the hidden units' final weights (one row per unit) and the loss.

    ``runs`` maps a label to a result of ``coursekit.concepts.symmetry_run``.
    """
    fig, axes = new_figure(3.0 * len(runs) + 4.2, 3.3, ncols=len(runs) + 1)
    fig.subplots_adjust(left=0.05, right=0.98, bottom=0.17, top=0.8, wspace=0.45)
    lim = max(float(np.abs(r["W1"][-1]).max()) for r in runs.values()) or 1.0
    for ax, (label, run) in zip(axes, runs.items(), strict=False):
        final = run["W1"][-1]  # (H, 3)
        image = ax.imshow(final, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
        for (i, j), value in np.ndenumerate(final):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8)
        ax.set_xticks(range(3), ["$w_1$", "$w_2$", "bias"])
        ax.set_yticks(range(final.shape[0]), [f"unit {i + 1}" for i in range(final.shape[0])])
        ax.set_title(f"{label}\nafter {run['W1'].shape[0] - 1} steps", fontsize=10)
    fig.colorbar(image, ax=axes[len(runs) - 1], shrink=0.8)
    ax = axes[-1]
    for label, run in runs.items():
        ax.plot(run["loss"], label=f"{label} (accuracy {run['accuracy'][-1]:.0%})")
    ax.set_xlabel("gradient-descent step")
    ax.set_ylabel("training loss")
    ax.set_title("loss", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def plot_dropout(samples: Mapping[str, np.ndarray], p: float) -> Figure:
    """Histograms of each output over many training-mode passes, with the evaluation output."""
    train, evaluated = samples["train"], samples["eval"]
    k = train.shape[1]
    fig, axes = new_figure(3.4 * k, 3.0, ncols=k)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.18, top=0.8, wspace=0.3)
    for j, ax in enumerate(axes):
        ax.hist(train[:, j], bins=40, color="C0", alpha=0.7, label=f"training mode ({train.shape[0]} passes)")
        ax.axvline(train[:, j].mean(), color="C0", ls="--", lw=2, label="mean in training mode")
        ax.axvline(evaluated[j], color="C3", lw=2, label="evaluation mode")
        ax.set_title(f"output {j + 1}", fontsize=10)
        ax.set_xlabel("value")
    axes[0].set_ylabel("passes")
    axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(f"one input, dropout p = {p:g} on the hidden layer", fontsize=11)
    return fig


def plot_timing(seconds: Mapping[str, float], batch: int) -> Figure:
    """Horizontal bars: the time of each way of computing a forward pass (log scale)."""
    fig, (ax,) = new_figure(7.5, 0.55 * len(seconds) + 1.4)
    fig.subplots_adjust(left=0.33, right=0.95, bottom=0.3, top=0.85)
    names = list(seconds)
    values = [1000 * seconds[n] for n in names]
    bars = ax.barh(names, values, color=[f"C{i}" for i in range(len(names))])
    for bar, value in zip(bars, values, strict=True):
        ax.text(value, bar.get_y() + bar.get_height() / 2, f" {value:.3g} ms", va="center", fontsize=9)
    ax.set_xscale("log")
    ax.set_xlim(min(values) / 3, max(values) * 8)
    ax.set_xlabel("milliseconds (log scale)")
    ax.set_title(f"forward pass of a batch of {batch} examples", fontsize=10)
    ax.invert_yaxis()
    return fig


def plot_unit_maps(maps: Sequence[np.ndarray], X: np.ndarray, y: np.ndarray, lim: float = 1.6) -> Figure:
    """One row per hidden layer, one panel per unit: its activation over the plane."""
    n_cols = max(m.shape[0] for m in maps)
    fig, axes = new_figure(1.9 * n_cols + 0.6, 2.0 * len(maps) + 0.6, ncols=n_cols, nrows=len(maps))
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.03, top=0.86, wspace=0.08, hspace=0.3)
    axes = axes.reshape(len(maps), n_cols)
    for layer, layer_maps in enumerate(maps):
        for unit in range(n_cols):
            ax = axes[layer, unit]
            ax.set_xticks([])
            ax.set_yticks([])
            if unit >= layer_maps.shape[0]:
                ax.set_visible(False)
                continue
            ax.imshow(layer_maps[unit], cmap="RdBu_r", vmin=-1, vmax=1, origin="lower", extent=(-lim, lim, -lim, lim))
            ax.scatter(X[::4, 0], X[::4, 1], c=np.where(y[::4] == 1, "k", "w"), s=2, alpha=0.6)
            ax.set_title(f"unit {unit + 1}", fontsize=8)
        axes[layer, 0].set_ylabel(f"hidden layer {layer + 1}", fontsize=9)
    fig.suptitle("activation of each hidden unit over the plane (red +1, blue −1; black dots: inner ring)", fontsize=10)
    return fig


def plot_zigzag(paths: Mapping[str, Mapping[str, np.ndarray]], target: Sequence[float]) -> Figure:
    """The weight paths of ``coursekit.concepts.zigzag_paths``, side by side, with the target."""
    fig, axes = new_figure(10, 4.2, ncols=len(paths))
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.12, top=0.8, wspace=0.25)
    target = np.asarray(target, dtype=float)
    for ax, (name, run) in zip(axes, paths.items(), strict=True):
        path, inputs = run["path"], run["inputs"]
        ax.plot(path[:, 0], path[:, 1], "-o", ms=3, lw=1.2, color="C0", label="weights after each step")
        ax.plot(*target, "*", ms=16, color="C3", label="target weights")
        ax.plot(0, 0, "s", ms=7, color="k", label="start")
        mixed = float(np.mean(inputs.min(axis=1) < 0))
        miss = float(np.linalg.norm(path[-1] - target))
        ax.set_title(
            f"inputs {name}(z): {mixed:.0%} have a negative entry\n"
            f"distance to the target after {len(path) - 1} steps: {miss:.2f}",
            fontsize=10,
        )
        ax.set_xlabel("$w_1$")
        ax.set_ylabel("$w_2$")
        ax.axhline(0, color="0.8", lw=0.8)
        ax.axvline(0, color="0.8", lw=0.8)
        ax.set_aspect("equal", adjustable="datalim")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower left")
    fig.suptitle("stochastic gradient descent on the two weights of one unit, one example per step", fontsize=11)
    return fig


def gradient_flow_explorer(max_depth: int = 30) -> Explorer:
    """Pick an activation, a depth, an initialisation, a weight scale and whether hidden layers
    have skip connections; see the gradient sizes.

    Left: log10 of the norm of ∂loss/∂W_l for every weight matrix (input layer on the left);
    right: a histogram of the last hidden layer's pre-activations over a batch, with the
    activation's derivative drawn over it (where the derivative is ~0 the unit is saturated).
    """
    import ipywidgets as widgets

    from coursekit.concepts import gradient_norms
    from coursekit.config import limited_threads

    controls = {
        "activation": widgets.Dropdown(options=["sigmoid", "tanh", "relu"], value="sigmoid", description="activation"),
        "depth": widgets.IntSlider(value=10, min=1, max=max_depth, description="hidden layers"),
        "init": widgets.Dropdown(
            options=[("random, centred on 0", "normal"), ("random, all positive", "positive")],
            value="normal",
            description="weights",
        ),
        "scale": widgets.FloatSlider(value=1.0, min=0.2, max=4.0, step=0.1, description="scale"),
        "residual": widgets.Checkbox(value=False, description="skip connections"),
    }
    fig, (ax_g, ax_h) = new_figure(11, 3.6, ncols=2)
    fig.subplots_adjust(left=0.07, right=0.92, bottom=0.16, top=0.84, wspace=0.3)
    bars = ax_g.bar(np.arange(max_depth + 1), np.zeros(max_depth + 1), color="C0")
    ax_g.set_ylim(-40, 5)
    ax_g.axhline(0, color="0.5", lw=0.8)
    ax_g.set_xlabel("weight matrix (0 = input layer)")
    ax_g.set_ylabel("log10 ‖∂loss/∂W‖")
    edges = np.linspace(-12, 12, 61)
    hist = ax_h.stairs(np.zeros(60), edges, fill=True, color="C1", alpha=0.7)
    ax_h.set_xlim(edges[0], edges[-1])
    ax_h.set_xlabel("pre-activation of the last hidden layer (clipped to ±12)")
    ax_h.set_ylabel("share of units")
    ax_slope = ax_h.twinx()
    grid = np.linspace(edges[0], edges[-1], 400)
    (slope_line,) = ax_slope.plot(grid, grid, color="k", lw=1.5, label="activation's derivative")
    ax_slope.set_ylim(0, 1.05)
    ax_slope.set_ylabel("derivative (relative to its maximum)")
    ax_slope.legend(loc="upper right", fontsize=8)
    slopes = {
        "sigmoid": lambda z: 4 * np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))) ** 2,
        "tanh": lambda z: 1 - np.tanh(z) ** 2,
        "relu": lambda z: (z > 0).astype(float),
    }

    def update(activation: str, depth: int, init: str, scale: float, residual: bool) -> None:
        with limited_threads(1):  # tiny matrices: threads only add overhead
            result = gradient_norms(activation, depth, init=init, scale=scale, residual=residual)
        logs = np.log10(np.maximum(result["grad"], 1e-300))
        for i, bar in enumerate(bars):
            bar.set_visible(i <= depth)
            if i <= depth:
                bar.set_height(float(logs[i]))
                bar.set_color("C0" if logs[i] > -6 else "C3")
        ax_g.set_xlim(-0.7, depth + 0.7)
        low = float(min(-8.0, logs.min() - 2))
        high = float(max(2.0, logs.max() + 1))
        ax_g.set_ylim(low, high)
        ax_g.set_title(
            f"gradient size: $10^{{{logs[0]:.1f}}}$ at the input layer, $10^{{{logs[-1]:.1f}}}$ at the output",
            fontsize=10,
        )
        pre = np.clip(result["pre"].ravel(), edges[0], edges[-1] - 1e-9)
        counts, _ = np.histogram(pre, bins=edges)
        share = counts / max(counts.sum(), 1)
        hist.set_data(share)
        ax_h.set_ylim(0, max(0.05, float(share.max()) * 1.15))
        slope_line.set_ydata(slopes[activation](grid))
        ax_h.set_title(
            f"{float(result['saturated']):.0%} of hidden units are saturated (derivative < 1 % of its peak)",
            fontsize=10,
        )

    return Explorer(controls, fig, update, title="Gradient flow through a deep network at initialisation")
