"""Notebook 11: how SGD, momentum and Adam move a scalar ReLU network, epoch by epoch.

The runs come from ``coursekit.optimizers.fit`` (PyTorch's optimisers, the truth) and
``fit_with_step`` (a student's own update rule); both record snapshots of the learned function
and of its kinks, so moving the epoch slider only swaps data into existing artists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from coursekit.optimizers import Run, net_forward
from coursekit.viz.explorer import Explorer, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["optimizer_explorer", "plot_loss_curves"]

COLOURS = {"sgd": "C0", "momentum": "C1", "adam": "C2"}
#: A darker shade of each colour for the student's runs, dashed on top of PyTorch's.
DARK = {"sgd": "navy", "momentum": "saddlebrown", "adam": "darkgreen"}


def _style(run: Run) -> dict:
    if run.mine:
        return {"color": DARK.get(run.family, "k"), "ls": "--", "lw": 1.5, "zorder": 3}
    return {"color": COLOURS.get(run.family, "C3"), "ls": "-", "lw": 2.4, "zorder": 2}


def _label(run: Run) -> str:
    return f"{run.name} (lr {run.lr:g})"


def plot_loss_curves(runs: Mapping[str, Run], title: str = "") -> Figure:
    """Training loss (log scale) against the epoch, one curve per run."""
    if not runs:
        raise ValueError("runs is empty: pass at least one run")
    fig, (ax,) = new_figure(8.5, 3.6)
    fig.set_layout_engine("constrained")
    for run in runs.values():
        ax.semilogy(np.arange(run.loss.size), run.loss, label=_label(run), **_style(run))
    ax.set_xlabel("epoch (one full-batch step each)")
    ax.set_ylabel("training loss (MSE)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    notes = [f"{run.name}: {run.note}" for run in runs.values() if run.note]
    ax.set_title(title + ("\n" + "; ".join(notes) if notes else ""), fontsize=10)
    return fig


def optimizer_explorer(runs: Mapping[str, Run], x: np.ndarray, y: np.ndarray) -> Explorer:
    """Slide through the epochs and watch each optimiser's learned function and kinks move.

    Args:
        runs: name -> ``Run``, e.g. ``{"sgd": ..., "momentum": ..., "adam": ..., "your adam": ...}``;
            all recorded with the same number of epochs and snapshots. A run that failed (its
            ``note`` says why) is listed under the plot and not drawn.
        x, y: (n,) the training points.

    Left: the training points and the function of every run at the chosen epoch, with a dot at
    each kink ``-b1_i / w1_i`` inside the plotted range. Right: the loss curves, a line at the
    chosen epoch and a dot at each run's loss there.
    """
    import ipywidgets as widgets

    if not runs:
        raise ValueError("runs is empty: pass at least one run")
    runs = dict(runs)
    first = next(iter(runs.values()))
    snap_epochs = first.epochs
    last = int(snap_epochs[-1])
    step = int(snap_epochs[1] - snap_epochs[0]) if snap_epochs.size > 1 else 1
    families = sorted({run.family for run in runs.values()}, key=list(COLOURS).index)
    controls = {
        "epoch": widgets.IntSlider(
            value=int(snap_epochs[min(2, snap_epochs.size - 1)]), min=0, max=last, step=step,
            description="epoch", continuous_update=True,
        ),  # fmt: skip
        "show": widgets.Dropdown(options=["all", *families], value="all", description="show"),
        "kinks": widgets.Checkbox(value=True, description="show kinks"),
    }
    fig, (ax_f, ax_l) = new_figure(11, 4.3, ncols=2)
    fig.subplots_adjust(bottom=0.27, top=0.9)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    xp = first.x_plot
    ax_f.scatter(x, y, s=14, color="0.35", zorder=3, label="training points")
    lo = min(float(y.min()), -1.0) - 0.6
    hi = max(float(y.max()), 1.0) + 0.6
    ax_f.set_ylim(lo, hi)
    ax_f.set_xlim(xp[0], xp[-1])
    ax_f.set_xlabel("x")
    ax_f.set_ylabel("y")
    ax_f.grid(alpha=0.3)
    artists = {}
    for name, run in runs.items():
        style = _style(run)
        (curve,) = ax_f.plot(xp, np.zeros_like(xp), label=_label(run), **style)
        kinks = ax_f.scatter([], [], s=28, color=style["color"], edgecolors="k", linewidths=0.5,
                             zorder=4, marker="D" if run.mine else "o")  # fmt: skip
        stride = max(1, run.loss.size // 400)  # a few hundred points draw as fast and look the same
        epochs_drawn = np.r_[np.arange(0, run.loss.size, stride), run.loss.size - 1]
        (loss_line,) = ax_l.semilogy(epochs_drawn, run.loss[epochs_drawn], **style)
        (loss_dot,) = ax_l.semilogy([0], [1.0], "o", color=style["color"], ms=7, mec="k", mew=0.7,
                                    zorder=5)  # fmt: skip
        artists[name] = (curve, kinks, loss_line, loss_dot)
    finite = np.concatenate([r.loss[np.isfinite(r.loss)] for r in runs.values()] + [[1.0]])
    ax_l.set_ylim(max(finite.min() * 0.5, 1e-8), finite.max() * 2)
    ax_l.set_xlim(0, last)
    ax_l.set_xlabel("epoch (one full-batch step each)")
    ax_l.set_ylabel("loss")
    ax_l.grid(alpha=0.3)
    marker = ax_l.axvline(0, color="0.3", ls=":", lw=1.2)
    fig.legend(*ax_f.get_legend_handles_labels(), loc="lower center", ncol=min(len(runs) + 1, 6),
               fontsize=9, bbox_to_anchor=(0.5, 0.05), frameon=False)  # fmt: skip
    notes = [f"{run.name}: {run.note}" for run in runs.values() if run.note]
    fig.text(0.07, 0.01, "; ".join(notes), fontsize=9, color="C3")

    def update(epoch: int, show: str, kinks: bool) -> None:
        parts = []
        for name, run in runs.items():
            curve, dots, loss_line, loss_dot = artists[name]
            s = run.snapshot_at(epoch)
            visible = (show in ("all", run.family)) and not np.isnan(run.predictions[s]).all()
            curve.set_ydata(run.predictions[s])
            k = run.kinks(s)
            params = {key: value[s] for key, value in run.params.items()}
            inside = np.isfinite(k) & (k >= xp[0]) & (k <= xp[-1])
            points = np.column_stack([k[inside], net_forward(params, k[inside])]) if visible else []
            dots.set_offsets(np.reshape(points, (-1, 2)))
            e = int(run.epochs[s])
            loss_dot.set_data([e], [run.loss[e] if np.isfinite(run.loss[e]) else np.nan])
            for artist in (curve, loss_line, loss_dot):
                artist.set_visible(visible)
            dots.set_visible(visible and kinks)
            if visible and not run.mine:
                parts.append(f"{run.name} {run.loss[e]:.2g}")
        marker.set_xdata([epoch, epoch])
        ax_f.set_title(f"learned function after {epoch} epochs", fontsize=10)
        ax_l.set_title(f"training loss (MSE); at epoch {epoch}: " + ", ".join(parts), fontsize=9)

    return Explorer(controls, fig, update, title="Optimiser explorer: SGD, momentum and Adam")
