"""Figures of training runs: loss and accuracy per epoch, one run or several side by side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from coursekit.training import History

_LABELS = {
    "train_loss": "train loss",
    "train_acc": "train accuracy",
    "dev_loss": "dev loss",
    "dev_acc": "dev accuracy",
}


def _values(history: History, metric: str) -> np.ndarray:
    if metric not in _LABELS:
        raise ValueError(f"metric: unknown name {metric!r}; valid names are: {list(_LABELS)}")
    return np.asarray(getattr(history, metric), dtype=np.float64)


def visualize_epochs(history: History, title: str = "") -> Figure:
    """Train and dev loss (left) and accuracy (right) against the epoch of one run."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.5), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    for ax, kind in ((ax_loss, "loss"), (ax_acc, "acc")):
        for split in ("train", "dev"):
            values = _values(history, f"{split}_{kind}")
            ax.plot(np.arange(1, values.size + 1), values, marker=".", label=split)
        ax.set_xlabel("epoch")
        ax.set_ylabel("accuracy" if kind == "acc" else "loss")
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig


def visualize_configs(
    histories: Mapping[str, History],
    metric: str | Sequence[str] = ("dev_loss", "dev_acc"),
    title: str = "",
) -> Figure:
    """One panel per metric, one curve per configuration (the keys of ``histories``).

    ``metric`` is one of ``train_loss, train_acc, dev_loss, dev_acc`` or a sequence of them.
    """
    from matplotlib.figure import Figure

    if not histories:
        raise ValueError("histories is empty: pass at least one run")
    metrics = [metric] if isinstance(metric, str) else list(metric)
    fig = Figure(figsize=(4.5 * len(metrics), 3.5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(metrics)))
    for ax, name in zip(axes, metrics, strict=True):
        for label, history in histories.items():
            values = _values(history, name)
            ax.plot(np.arange(1, values.size + 1), values, marker=".", label=str(label))
        ax.set_xlabel("epoch")
        ax.set_ylabel(_LABELS[name])
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return fig
