"""Decision boundaries of PyTorch classifiers on two-dimensional data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["grid_probabilities", "plot_datasets", "plot_decision_boundaries", "plot_decision_boundary"]


def _check_points(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2), got {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X, got {y.shape}")
    if np.isnan(X).any():
        raise ValueError("X contains NaN")
    return X, y


@torch.no_grad()
def grid_probabilities(
    model: nn.Module, xs: np.ndarray, ys: np.ndarray, output: str = "logits"
) -> np.ndarray:
    """P(class 1) of ``model`` at every point of the grid ``xs`` (nx,) x ``ys`` (ny,): (ny, nx).

    The model's output per point is one score ((M,) or (M, 1)): a logit
    (``output="logits"``, passed through a sigmoid) or a probability (``output="probs"``);
    or two logits (M, 2), turned into probabilities with a softmax.
    """
    if output not in ("logits", "probs"):
        raise ValueError(f"output must be 'logits' or 'probs', got {output!r}")
    gx, gy = np.meshgrid(xs, ys)  # (ny, nx) each
    points = np.stack([gx.ravel(), gy.ravel()], axis=1)  # (ny*nx, 2)
    param = next(model.parameters(), None)
    dtype = param.dtype if param is not None else torch.float32
    device = param.device if param is not None else "cpu"
    was_training = model.training
    model.eval()
    out = model(torch.as_tensor(points, dtype=dtype, device=device))
    model.train(was_training)
    if out.ndim == 2 and out.shape[1] == 2:
        prob = torch.softmax(out, dim=1)[:, 1]
    elif out.ndim == 1 or (out.ndim == 2 and out.shape[1] == 1):
        prob = out.reshape(-1)
        prob = torch.sigmoid(prob) if output == "logits" else prob
    else:
        raise ValueError(f"model output must be (M,), (M, 1) or (M, 2), got {tuple(out.shape)}")
    return prob.double().cpu().numpy().reshape(gx.shape)  # (ny, nx)


def _draw(
    ax: Axes, model: nn.Module, X: np.ndarray, y: np.ndarray, resolution: int, output: str
) -> object:
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0)) + 1e-3
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xs, ys = np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    prob = grid_probabilities(model, xs, ys, output)
    filled = ax.contourf(xs, ys, prob, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
    if prob.min() < 0.5 < prob.max():
        ax.contour(xs, ys, prob, levels=[0.5], colors="k", linewidths=1.5)
    for label, colour in ((0, "tab:blue"), (1, "tab:red")):
        mask = y == label
        ax.scatter(X[mask, 0], X[mask, 1], s=8, c=colour, edgecolors="k", linewidths=0.3,
                   label=f"class {label}")  # fmt: skip
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal")
    return filled


def plot_decision_boundary(
    model: nn.Module,
    X: np.ndarray,
    y: np.ndarray,
    *,
    title: str = "",
    resolution: int = 200,
    output: str = "logits",
) -> Figure:
    """P(class 1) over the plane, the 0.5 contour and the points ``X`` (n, 2) with labels ``y``.

    ``output`` says what the model returns for one score per point: ``"logits"`` (for
    ``BCEWithLogitsLoss``) or ``"probs"`` (a final sigmoid, for ``BCELoss``).
    """
    from coursekit.viz.explorer import new_figure

    X, y = _check_points(X, y)
    fig, (ax,) = new_figure(5, 4.5)
    fig.set_layout_engine("constrained")
    filled = _draw(ax, model, X, y, resolution, output)
    fig.colorbar(filled, ax=ax, label="P(class 1)")
    ax.legend(loc="upper right", fontsize="small")
    if title:
        ax.set_title(title)
    return fig


def plot_decision_boundaries(
    models: Mapping[str, nn.Module],
    X: np.ndarray,
    y: np.ndarray,
    *,
    ncols: int = 3,
    resolution: int = 120,
    output: str = "logits",
) -> Figure:
    """One decision-boundary panel per model (for example one per optimizer), titled by key."""
    from coursekit.viz.explorer import new_figure

    if not models:
        raise ValueError("models is empty: pass at least one model")
    X, y = _check_points(X, y)
    ncols = min(ncols, len(models))
    nrows = -(-len(models) // ncols)
    fig, axes = new_figure(3.6 * ncols, 3.4 * nrows, ncols=ncols, nrows=nrows)
    fig.set_layout_engine("constrained")
    filled = None
    for ax, (name, model) in zip(axes, models.items(), strict=False):
        filled = _draw(ax, model, X, y, resolution, output)
        ax.set_title(str(name))
    for ax in axes[len(models) :]:
        ax.set_visible(False)
    fig.colorbar(filled, ax=list(axes[: len(models)]), label="P(class 1)")
    return fig


def plot_datasets(datasets: Mapping[str, tuple[np.ndarray, np.ndarray]], ncols: int = 4) -> Figure:
    """Scatter plots of two-class point sets, one panel per entry ``name -> (X (n, 2), y (n,))``."""
    from coursekit.viz.explorer import new_figure

    if not datasets:
        raise ValueError("datasets is empty: pass at least one (X, y) pair")
    ncols = min(ncols, len(datasets))
    nrows = -(-len(datasets) // ncols)
    fig, axes = new_figure(3.2 * ncols, 3.2 * nrows, ncols=ncols, nrows=nrows)
    fig.set_layout_engine("constrained")
    for ax, (name, (X, y)) in zip(axes, datasets.items(), strict=False):
        X, y = _check_points(X, y)
        for label, colour in ((0, "tab:blue"), (1, "tab:red")):
            mask = y == label
            ax.scatter(X[mask, 0], X[mask, 1], s=8, c=colour, edgecolors="k", linewidths=0.3,
                       label=f"class {label}")  # fmt: skip
        ax.set_aspect("equal")
        ax.set_title(str(name))
    axes[0].legend(fontsize="small", loc="upper right")
    for ax in axes[len(datasets) :]:
        ax.set_visible(False)
    return fig
