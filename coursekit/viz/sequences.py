"""Explorer for notebook 13: the linear recurrence h_t = Wᵀ h_{t-1} and its spectral radius.

The truth is computed with PyTorch (the states by repeated products, the gradients by autograd
through the unrolled recurrence); a student's ``spectral_radius`` and ``hidden_state``, when
given, are drawn beside it, so the explorer also works in the student build of coursekit.
"""

from collections.abc import Callable

import numpy as np
import torch

from coursekit.viz.explorer import Explorer, new_figure, safe_call

H0 = np.array([1.0, 0.0])
U = np.array([1.0, 1.0]) / np.sqrt(2.0)  # the loss L = uᵀ h_T whose gradient flows back


def recurrence_matrix(radius: float, angle_deg: float, skew: float) -> np.ndarray:
    """``W = radius · A R(θ) A⁻¹`` with ``A = [[1, skew], [0, 1]]``: (2, 2).

    Its eigenvalues are ``radius · e^{±iθ}`` whatever the skew (A R A⁻¹ is similar to the
    rotation R); a non-zero skew makes W non-normal, so norms can grow for a while even when
    every |λ| < 1.
    """
    theta = np.deg2rad(angle_deg)
    R = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    A = np.array([[1.0, skew], [0.0, 1.0]])
    A_inv = np.array([[1.0, -skew], [0.0, 1.0]])
    return radius * A @ R @ A_inv


def unrolled_truth(W: np.ndarray, h0: np.ndarray, u: np.ndarray, T: int):
    """States ``h_0..h_T`` (T+1, d) and gradients ``∂(uᵀh_T)/∂h_t`` (T+1, d), by PyTorch autograd."""
    Wt = torch.tensor(W, dtype=torch.float64)
    states = [torch.tensor(h0, dtype=torch.float64, requires_grad=True)]
    for _ in range(T):
        states.append(Wt.T @ states[-1])
    for h in states:
        h.retain_grad()
    (torch.tensor(u, dtype=torch.float64) @ states[-1]).backward()
    H = torch.stack([h.detach() for h in states]).numpy()
    G = torch.stack([h.grad for h in states]).numpy()
    return H, G


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_of_ten(value: float, _pos=None) -> str:
    """Tick label 10ⁿ in plain text (mathtext labels would double the time of a redraw)."""
    if value <= 0:
        return ""
    return "10" + str(int(round(np.log10(value)))).translate(_SUPERSCRIPT)


def _log_limits(ax, *series: np.ndarray) -> None:
    values = np.concatenate([s[np.isfinite(s) & (s > 0)] for s in series])
    lo = np.floor(np.log10(max(values.min(), 1e-300)))
    hi = np.ceil(np.log10(values.max()))
    ax.set_ylim(10 ** (lo - 0.3), 10 ** (hi + 0.3))


def recurrence_explorer(
    spectral_radius: Callable | None = None, hidden_state: Callable | None = None
) -> Explorer:
    """Move the eigenvalues' modulus, their angle and the matrix's skew; watch ``h_t = (Wᵀ)^t h_0``.

    Args:
        spectral_radius: optional student ``spectral_radius(W)``; its value is shown in a title.
        hidden_state: optional student ``hidden_state(W, h0, t)``; its states are drawn as
            crosses over the truth.

    Panels: ‖h_t‖ against t on a log scale, with ρᵗ‖h_0‖ dashed; the gradient
    ‖∂L/∂h_{T-k}‖ of ``L = uᵀ h_T`` against the number k of steps it travelled back (autograd);
    the trajectory of h_t in the plane.
    """
    import ipywidgets as widgets

    controls = {
        "radius": widgets.FloatSlider(value=0.95, min=0.5, max=1.5, step=0.01,
                                      description="|λ| scale", continuous_update=True),
        "angle": widgets.FloatSlider(value=20.0, min=0.0, max=180.0, step=1.0,
                                     description="angle θ (°)", continuous_update=True),
        "skew": widgets.FloatSlider(value=0.0, min=0.0, max=5.0, step=0.1,
                                    description="skew", continuous_update=True),
        "steps": widgets.IntSlider(value=60, min=5, max=100, description="steps T",
                                   continuous_update=True),
    }
    fig, (ax_h, ax_g, ax_xy) = new_figure(12, 3.9, ncols=3)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.14, top=0.8, wspace=0.32)
    (norm_line,) = ax_h.semilogy([0, 1], [1, 1], color="C0", lw=2, label="‖h_t‖ (truth)")
    (rho_line,) = ax_h.semilogy([0, 1], [1, 1], color="0.4", ls="--", lw=1.2, label="ρᵗ ‖h₀‖")
    (yours_norm,) = ax_h.semilogy([0, 1], [1, 1], "x", color="C3", ms=4, label="‖h_t‖ (yours)")
    (grad_line,) = ax_g.semilogy([0, 1], [1, 1], color="C2", lw=2, label="autograd")
    (grad_rho,) = ax_g.semilogy([0, 1], [1, 1], color="0.4", ls="--", lw=1.2, label="ρᵏ ‖u‖")
    (path,) = ax_xy.plot([0, 1], [0, 1], color="0.6", lw=0.8)
    dots = ax_xy.scatter([0, 1], [0, 1], c=[0, 1], cmap="viridis", s=14, zorder=3)
    (yours_xy,) = ax_xy.plot([0, 1], [0, 1], "x", color="C3", ms=5, label="yours")
    ax_xy.plot([H0[0]], [H0[1]], "o", mfc="none", mec="k", ms=9, label="h₀")
    ax_h.set_xlabel("step t")
    ax_g.set_xlabel("steps back k (from h_T to h_{T−k})")
    ax_xy.set_xlabel("h_t[0]")
    ax_xy.set_ylabel("h_t[1]")
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    for ax in (ax_h, ax_g):
        ax.yaxis.set_major_locator(LogLocator(base=10.0, numticks=8))
        ax.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
        ax.yaxis.set_minor_locator(NullLocator())
    ax_h.legend(loc="upper left", fontsize=8)
    ax_g.legend(loc="upper left", fontsize=8)
    ax_xy.axhline(0, color="0.85", lw=0.8)
    ax_xy.axvline(0, color="0.85", lw=0.8)

    def update(radius: float, angle: float, skew: float, steps: int) -> None:
        W = recurrence_matrix(radius, angle, skew)
        H, G = unrolled_truth(W, H0, U, steps)
        t = np.arange(steps + 1)
        rho = float(np.abs(np.linalg.eigvals(W)).max())
        norms = np.linalg.norm(H, axis=1)
        grads = np.linalg.norm(G[::-1], axis=1)  # index k: the gradient k steps back
        norm_line.set_data(t, norms)
        rho_line.set_data(t, rho**t * np.linalg.norm(H0))
        grad_line.set_data(t, grads)
        grad_rho.set_data(t, rho**t * np.linalg.norm(U))
        for ax in (ax_h, ax_g):
            ax.set_xlim(0, steps)
        _log_limits(ax_h, norms, rho**t)
        _log_limits(ax_g, grads, rho**t)

        mine = None
        note = ""
        if hidden_state is not None:
            rows = []
            for k in t:
                row, note = safe_call(hidden_state, W, H0.copy(), int(k))
                if row is None or row.shape != H0.shape:
                    note = note or f"hidden_state returned shape {None if row is None else row.shape}"
                    rows = None
                    break
                rows.append(row)
            mine = None if rows is None else np.array(rows)
        yours_norm.set_visible(mine is not None)
        yours_xy.set_visible(mine is not None)
        if mine is not None:
            yours_norm.set_data(t, np.maximum(np.linalg.norm(mine, axis=1), 1e-300))
            yours_xy.set_data(mine[:, 0], mine[:, 1])

        path.set_data(H[:, 0], H[:, 1])
        dots.set_offsets(H)
        dots.set_array(t.astype(float))
        dots.set_clim(0, steps)
        span = 1.1 * max(float(np.abs(H).max()), 1e-12)
        ax_xy.set_xlim(-span, span)
        ax_xy.set_ylim(-span, span)

        theirs = ""
        if spectral_radius is not None:
            value, why = safe_call(spectral_radius, W)
            theirs = f"; yours: {float(value):.4g}" if value is not None and value.size == 1 else (
                f"; yours: {why or 'not a number'}")
        ax_h.set_title(f"‖h_t‖, ρ(W) = {rho:.3g}{theirs}", fontsize=10)
        ax_g.set_title("gradient of L = uᵀh_T reaching h_{T−k}", fontsize=10)
        ax_xy.set_title(f"trajectory (colour = t); λ = {radius:.2f}·e^(±{angle:.0f}°·i)"
                        + (f"\n({note})" if note else ""), fontsize=9)

    return Explorer(controls, fig, update, title="Linear recurrence h_t = Wᵀ h_{t−1}")
