"""Figures and an explorer of Optuna studies (notebook 12).

They read what the trials logged: ``trial.user_attrs`` holds the per-epoch curves (keys of
``coursekit.training.METRICS``), ``trial.params`` the configuration and ``trial.state`` whether
the trial completed or was pruned. Parallel coordinates and importances are in
``coursekit.viz.grids``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from coursekit.viz.explorer import Explorer, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_draws", "plot_trial_values", "study_explorer", "trial_curves"]

_LABELS = {
    "train_loss": "training loss",
    "train_acc": "training accuracy",
    "dev_loss": "validation loss",
    "dev_acc": "validation accuracy",
}


def trial_curves(study: Any) -> list[dict[str, Any]]:
    """One dict per trial that logged curves: ``number``, ``state`` (``"COMPLETE"``,
    ``"PRUNED"``, ...), ``params``, ``value`` (None unless complete) and ``curves``
    (metric -> (epochs,) array)."""
    out = []
    for trial in study.trials:
        curves = {
            m: np.asarray(trial.user_attrs[m], dtype=np.float64) for m in _LABELS if m in trial.user_attrs
        }
        if not curves:
            continue
        out.append(
            {
                "number": trial.number,
                "state": trial.state.name,
                "params": dict(trial.params),
                "value": trial.value if trial.state.name == "COMPLETE" else None,
                "curves": curves,
            }
        )
    return out


def plot_draws(draws: Mapping[str, np.ndarray], low: float, high: float) -> Figure:
    """Histograms, on a log axis, of values drawn from [low, high] in several ways."""
    fig, (ax,) = new_figure(7.5, 3.4)
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.17, top=0.88)
    bins = np.geomspace(low, high, 31)
    for i, (label, values) in enumerate(draws.items()):
        ax.hist(values, bins=bins, histtype="step", lw=2, color=f"C{i}", label=label)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (log axis)")
    ax.set_ylabel("draws per bin")
    ax.set_title("where the draws land: equal-width bins on a log axis", fontsize=10)
    ax.legend(fontsize=8, loc="upper center")
    return fig


def plot_trial_values(study: Any, title: str = "") -> Figure:
    """Each trial's final validation loss in the order they ran, pruned trials at their last
    reported value, with the best value so far."""
    fig, (ax,) = new_figure(8.5, 3.6)
    fig.subplots_adjust(left=0.09, right=0.97, bottom=0.16, top=0.87)
    rows = trial_curves(study)
    done = [(r["number"], r["value"]) for r in rows if r["state"] == "COMPLETE"]
    pruned = [
        (r["number"], r["curves"]["dev_loss"][-1], r["curves"]["dev_loss"].size) for r in rows if r["state"] == "PRUNED"
    ]
    if done:
        n, v = np.array(done).T
        ax.plot(n, v, "o", color="C0", label="completed: final validation loss")
        order = np.argsort(n)
        ax.step(n[order], np.minimum.accumulate(v[order]), where="post", color="C2", lw=2, label="best so far")
    if pruned:
        n, v, epochs = np.array(pruned).T
        ax.plot(n, v, "x", color="C3", ms=8, label="pruned: last reported value")
        for ni, vi, ei in zip(n, v, epochs, strict=True):
            ax.annotate(f"{int(ei)}", (ni, vi), textcoords="offset points", xytext=(4, 4), fontsize=7, color="C3")
    if not done and not pruned:
        ax.text(0.5, 0.5, "no trial logged its curves yet", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("trial number (order in which the trials ran)")
    ax.set_ylabel("validation loss")
    ax.set_title(title or "trials in order (red numbers: epochs a pruned trial ran)", fontsize=10)
    ax.grid(alpha=0.3)
    if done or pruned:
        ax.legend(fontsize=8)
    return fig


def _colour_values(rows: Sequence[Mapping[str, Any]], by: str) -> tuple[np.ndarray, bool]:
    if by == "value":
        values = [r["curves"]["dev_loss"][-1] for r in rows]
    else:
        values = [float(r["params"].get(by, np.nan)) for r in rows]
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    log = bool(finite.size and finite.min() > 0 and finite.max() / finite.min() > 20)
    return (np.log10(values) if log else values), log


def study_explorer(study: Any) -> Explorer:
    """The learning curves of every trial of ``study``: pick the metric, colour the curves by a
    parameter (or by the final validation loss), hide or show pruned trials, and pick one trial
    to highlight and describe."""
    import ipywidgets as widgets
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    rows = trial_curves(study)
    params = sorted({k for r in rows for k in r["params"]})
    controls = {
        "metric": widgets.Dropdown(
            options=[(label, name) for name, label in _LABELS.items()], value="dev_loss", description="metric"
        ),
        "colour": widgets.Dropdown(options=["value", *params], value="value", description="colour by"),
        "pruned": widgets.Checkbox(value=True, description="show pruned trials"),
        "highlight": widgets.IntSlider(
            value=0, min=0, max=max(len(rows) - 1, 0), description="highlight", disabled=not rows
        ),
    }
    fig, (ax,) = new_figure(9.5, 4.2)
    fig.subplots_adjust(left=0.08, right=0.9, bottom=0.13, top=0.86)
    cmap = colormaps["viridis_r"]
    norm = Normalize(0, 1)
    colourbar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, pad=0.02)
    lines = [ax.plot([], [], lw=1.3)[0] for _ in rows]
    (spot,) = ax.plot([], [], color="k", lw=3.2, alpha=0.85)
    ax.set_xlabel("epoch")
    ax.grid(alpha=0.3)
    if not rows:
        ax.text(0.5, 0.5, "no trial logged its curves yet", ha="center", va="center", transform=ax.transAxes)

    def update(metric: str, colour: str, pruned: bool, highlight: int) -> None:
        ax.set_ylabel(_LABELS[metric])
        if not rows:
            return
        shade, log = _colour_values(rows, colour)
        finite = shade[np.isfinite(shade)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        norm.vmin, norm.vmax = lo, hi if hi > lo else lo + 1
        colourbar.update_normal(colourbar.mappable)
        colourbar.set_label(f"log10 {colour}" if log else ("final validation loss" if colour == "value" else colour))
        ymin, ymax, xmax = np.inf, -np.inf, 1
        for row, line, value in zip(rows, lines, shade, strict=True):
            y = row["curves"].get(metric, np.array([]))
            show = bool(y.size) and (pruned or row["state"] != "PRUNED")
            line.set_visible(show)
            if not show:
                continue
            line.set_data(np.arange(1, y.size + 1), y)
            line.set_color(cmap(norm(value)) if np.isfinite(value) else "0.6")
            line.set_linestyle("--" if row["state"] == "PRUNED" else "-")
            ymin, ymax, xmax = min(ymin, float(y.min())), max(ymax, float(y.max())), max(xmax, y.size)
        chosen = rows[min(highlight, len(rows) - 1)]
        y = chosen["curves"].get(metric, np.array([]))
        spot.set_data(np.arange(1, y.size + 1), y)
        if np.isfinite(ymin):
            pad = 0.05 * (ymax - ymin or 1.0)
            ax.set_ylim(ymin - pad, ymax + pad)
        ax.set_xlim(0.8, xmax + 0.2)
        described = ", ".join(
            f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in chosen["params"].items()
        )
        status = "pruned" if chosen["state"] == "PRUNED" else chosen["state"].lower()
        ax.set_title(
            f"{len(rows)} trials (dashed: pruned). Black: trial #{chosen['number']} ({status}, "
            f"{y.size} epochs)\n{described}",
            fontsize=9,
        )

    return Explorer(controls, fig, update, title="Learning curves of every trial")
