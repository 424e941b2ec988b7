"""Notebook 11: where ``BCELoss`` on sigmoid probabilities breaks and ``BCEWithLogitsLoss`` does not.

Everything is computed with PyTorch (the truth); a student's NumPy loss and derivative, when
given, are drawn beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from coursekit.viz.explorer import new_figure, safe_call

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["bce_curves", "plot_bce_saturation"]


def bce_curves(z: np.ndarray, y: float, how: str, dtype: torch.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Loss and its derivative with respect to the logit, at every ``z`` (n,), for target ``y``.

    ``how="probs"``: ``nn.BCELoss`` applied to ``torch.sigmoid(z)``; ``how="logits"``:
    ``nn.BCEWithLogitsLoss`` applied to ``z``. Computed in ``dtype``, returned as float64.
    """
    zt = torch.tensor(np.asarray(z, dtype=np.float64), dtype=dtype, requires_grad=True)
    target = torch.full_like(zt, float(y))
    if how == "probs":
        loss = nn.BCELoss(reduction="none")(torch.sigmoid(zt), target)
    elif how == "logits":
        loss = nn.BCEWithLogitsLoss(reduction="none")(zt, target)
    else:
        raise ValueError(f"how must be 'probs' or 'logits', got {how!r}")
    (grad,) = torch.autograd.grad(loss.sum(), zt)
    return loss.detach().double().numpy(), grad.double().numpy()


def plot_bce_saturation(
    student_loss: Callable | None = None,
    student_grad: Callable | None = None,
    z_max: float = 60.0,
) -> Figure:
    """Loss (left) and d loss / d z (right) for target 0 as the logit z grows.

    ``BCELoss`` after a sigmoid in float32 and float64 beside ``BCEWithLogitsLoss``; the
    student's ``student_loss(z, y)`` and ``student_grad(z, y)`` dashed when given.
    """
    z = np.linspace(-5.0, z_max, 651)
    zeros = np.zeros_like(z)
    fig, (ax_l, ax_g) = new_figure(11, 3.9, ncols=2)
    fig.set_layout_engine("constrained")
    series = [
        ("sigmoid + BCELoss, float32", "probs", torch.float32, dict(color="C3", lw=2.2)),
        ("sigmoid + BCELoss, float64", "probs", torch.float64, dict(color="C1", lw=2.2)),
        ("BCEWithLogitsLoss, float32", "logits", torch.float32, dict(color="C0", lw=1.6)),
    ]
    for label, how, dtype, style in series:
        loss, grad = bce_curves(z, 0.0, how, dtype)
        ax_l.plot(z, loss, label=label, **style)
        ax_g.plot(z, grad, label=label, **style)
    notes = []
    for ax, func, what in ((ax_l, student_loss, "loss"), (ax_g, student_grad, "derivative")):
        values, note = safe_call(func, z, zeros)
        if values is not None and values.shape == z.shape:
            ax.plot(z, values, color="k", ls="--", lw=1.3, label=f"your {what} (float64)")
        elif func is not None:
            notes.append(note or f"your {what}: shape {None if values is None else values.shape}")
    ax_l.set_ylim(-3, 108)
    ax_g.set_ylim(-0.08, 1.15)
    ax_l.set_title("loss for target y = 0")
    ax_g.set_title("d loss / d z for target y = 0")
    for ax, where in ((ax_l, "upper left"), (ax_g, "center right")):
        ax.set_xlabel("logit z")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc=where)
    if notes:
        fig.suptitle("; ".join(notes), fontsize=9, color="C3")
    return fig
