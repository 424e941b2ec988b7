"""Figures of training runs: loss and accuracy per epoch, one run or several side by side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from coursekit.viz.explorer import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from coursekit.training import History

_LABELS = {
    "train_loss": "train loss",
    "train_acc": "train accuracy",
    "dev_loss": "dev loss",
    "dev_acc": "dev accuracy",
    "test_loss": "test loss",
    "test_acc": "test accuracy",
}


def _integer_ticks(ax) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _values(history: History, metric: str) -> np.ndarray:
    if metric not in _LABELS:
        raise ValueError(f"metric: unknown name {metric!r}; valid names are: {list(_LABELS)}")
    return np.asarray(getattr(history, metric), dtype=np.float64)


def visualize_epochs(
    history: History,
    title: str = "",
    *,
    dev_name: str = "dev",
    log_loss: bool = False,
    log_epochs: bool = False,
    mark_epoch: int | None = None,
) -> Figure:
    """Train and dev loss (left) and accuracy (right) against the epoch of one run.

    Test curves are drawn too when the run recorded them. ``dev_name`` labels the development
    set (``"validation"`` in notebook 11); ``log_loss`` puts the loss on a log axis and
    ``log_epochs`` the epochs (to see the first epochs of a long run); ``mark_epoch`` draws
    a dotted vertical line at that epoch (for example the one early stopping keeps).
    """
    fig, (ax_loss, ax_acc) = new_figure(10, 3.6, ncols=2)
    fig.set_layout_engine("constrained")
    splits = ["train", "dev"] + (["test"] if len(history.test_loss) else [])
    marker = "." if history.epochs <= 60 else None
    for ax, kind in ((ax_loss, "loss"), (ax_acc, "acc")):
        for split in splits:
            values = _values(history, f"{split}_{kind}")
            label = dev_name if split == "dev" else split
            ax.plot(np.arange(1, values.size + 1), values, marker=marker, label=label)
        if mark_epoch is not None:
            ax.axvline(mark_epoch, color="0.3", ls=":", lw=1.2, label=f"epoch {mark_epoch}")
        ax.set_xlabel("epoch")
        if log_epochs:
            ax.set_xscale("log")
        else:
            _integer_ticks(ax)
        ax.set_ylabel("accuracy" if kind == "acc" else "loss")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    if log_loss:
        ax_loss.set_yscale("log")
    if title:
        fig.suptitle(title)
    return fig


def visualize_configs(
    histories: Mapping[str, History],
    metric: str | Sequence[str] = ("dev_loss", "dev_acc"),
    title: str = "",
) -> Figure:
    """One panel per metric, one curve per configuration (the keys of ``histories``).

    ``metric`` is one of ``train_loss, train_acc, dev_loss, dev_acc`` (or ``test_...`` when
    recorded) or a sequence of them.
    """
    if not histories:
        raise ValueError("histories is empty: pass at least one run")
    metrics = [metric] if isinstance(metric, str) else list(metric)
    fig, axes = new_figure(4.8 * len(metrics), 3.6, ncols=len(metrics))
    fig.set_layout_engine("constrained")
    for ax, name in zip(axes, metrics, strict=True):
        for label, history in histories.items():
            values = _values(history, name)
            marker = "." if values.size <= 60 else None
            ax.plot(np.arange(1, values.size + 1), values, marker=marker, label=str(label))
        ax.set_xlabel("epoch")
        _integer_ticks(ax)
        ax.set_ylabel(_LABELS[name])
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return fig
