"""Figures of hyperparameter studies: depth x width heat maps, parallel coordinates,
importances."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from coursekit.sweeps import GridResult

__all__ = ["plot_grid_heatmap", "plot_importances", "plot_parallel_coordinates"]


def _heatmap(ax: Axes, values: np.ndarray, rows: Sequence, cols: Sequence, title: str) -> object:
    image = ax.imshow(values, cmap="viridis", aspect="auto", origin="upper")
    ax.set_xticks(range(len(cols)), [str(c) for c in cols])
    ax.set_yticks(range(len(rows)), [str(r) for r in rows])
    ax.set_xlabel("width (units per hidden layer)")
    ax.set_ylabel("depth (hidden layers)")
    ax.set_title(title)
    middle = np.nanmean(values)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            colour = "k" if values[i, j] > middle else "w"
            ax.text(j, i, f"{values[i, j]:.3g}", ha="center", va="center", fontsize=7, c=colour)
    return image


def plot_grid_heatmap(result: GridResult, title: str = "") -> Figure:
    """Mean (left) and standard deviation (right) over repeats of each (depth, width) cell."""
    from coursekit.viz.explorer import new_figure

    mean, std = result.mean, result.std
    if mean.shape != (len(result.depths), len(result.widths)):
        raise ValueError(
            f"result.values must be (depths, widths, repeats) = ({len(result.depths)}, "
            f"{len(result.widths)}, R); got {result.values.shape}"
        )
    fig, (ax_mean, ax_std) = new_figure(11, 0.5 * len(result.depths) + 2.5, ncols=2)
    fig.set_layout_engine("constrained")
    repeats = result.values.shape[2]
    for ax, values, what in ((ax_mean, mean, "mean"), (ax_std, std, "std")):
        image = _heatmap(ax, values, result.depths, result.widths,
                         f"{what} of final {result.metric} over {repeats} runs")  # fmt: skip
        fig.colorbar(image, ax=ax)
    if title:
        fig.suptitle(title)
    return fig


def plot_parallel_coordinates(
    records: Sequence[Mapping[str, float]], value: str = "value", title: str = ""
) -> Figure:
    """One line per run across one vertical axis per parameter, coloured by ``value``.

    ``records`` are dicts of parameters plus the key ``value`` (as ``study_records`` gives).
    Each axis is scaled to [0, 1] between its smallest and largest value; a parameter whose
    values span more than a factor of 20 (a learning rate) is scaled on a log axis.
    """
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    from coursekit.viz.explorer import new_figure

    if not records:
        raise ValueError("records is empty: pass at least one run")
    names = [k for k in records[0] if k != value]
    for i, record in enumerate(records):
        if set(record) != {*names, value}:
            raise ValueError(
                f"records[{i}] has keys {sorted(record)}, expected {sorted({*names, value})}"
            )
    table = np.array([[float(r[k]) for k in [*names, value]] for r in records])  # (R, P+1)
    scaled = np.empty_like(table)
    logs = []
    for c in range(table.shape[1]):
        col = table[:, c]
        use_log = bool(col.min() > 0 and col.max() / col.min() > 20)
        logs.append(use_log)
        col = np.log10(col) if use_log else col
        span = col.max() - col.min()
        scaled[:, c] = (col - col.min()) / span if span > 0 else 0.5
    fig, (ax,) = new_figure(1.6 * table.shape[1] + 2, 4)
    fig.set_layout_engine("constrained")
    norm = Normalize(table[:, -1].min(), table[:, -1].max())
    cmap = colormaps["viridis_r"]
    for row in np.argsort(-table[:, -1]):  # best runs drawn last, on top
        ax.plot(range(table.shape[1]), scaled[row], c=cmap(norm(table[row, -1])), alpha=0.8)
    labels = [f"{k}\n(log)" if lg else k for k, lg in zip([*names, value], logs, strict=True)]
    ax.set_xticks(range(table.shape[1]), labels)
    for c in range(table.shape[1]):
        ax.axvline(c, c="0.5", lw=0.8)
        ax.text(c, 1.02, f"{table[:, c].max():.3g}", ha="center", fontsize=7)
        ax.text(c, -0.06, f"{table[:, c].min():.3g}", ha="center", fontsize=7)
    ax.set_yticks([])
    ax.set_ylim(-0.1, 1.08)
    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=value)
    if title:
        ax.set_title(title)
    return fig


def plot_importances(importances: Mapping[str, float], title: str = "") -> Figure:
    """Horizontal bars of each parameter's importance (for example from fANOVA), largest on top."""
    from coursekit.viz.explorer import new_figure

    if not importances:
        raise ValueError("importances is empty")
    names = sorted(importances, key=lambda k: importances[k])
    fig, (ax,) = new_figure(5, 0.5 * len(names) + 1.2)
    fig.set_layout_engine("constrained")
    ax.barh(names, [importances[k] for k in names], color="tab:blue")
    ax.set_xlabel("importance")
    if title:
        ax.set_title(title)
    return fig
