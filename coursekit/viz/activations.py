"""Explorers for notebook 02: activations and their derivatives, and the softmax Jacobian.

The truth is always PyTorch (autograd in float64); a student's own functions, when given, are
drawn beside it, so the explorers work in the student build of coursekit too.
"""

from collections.abc import Callable, Mapping

import numpy as np
import torch

from coursekit.viz.explorer import Explorer, new_figure, safe_call

X = np.linspace(-6.0, 6.0, 241)

_TORCH = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
}


def _torch_activation(name: str, temperature: float) -> Callable[[torch.Tensor], torch.Tensor]:
    if name == "softmax":
        # the first of two softmax outputs for logits (x, 0) at temperature T: σ(x / T)
        return lambda t: torch.softmax(torch.stack([t, torch.zeros_like(t)], -1) / temperature, -1)[..., 0]
    return _TORCH[name]


def _value_and_grad(f: Callable, x: np.ndarray, depth: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """f applied ``depth`` times, and the derivative of that composition, by autograd."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = xt
    for _ in range(depth):
        y = f(y)
    (g,) = torch.autograd.grad(y.sum(), xt)
    return y.detach().numpy(), g.numpy()


def _student_pair(name: str, temperature: float, student: Mapping[str, object]):
    """The student's (f, f') for the chosen activation, as functions of x (or (None, None))."""
    entry = student.get(name)
    if entry is None:
        return None, None
    if name == "softmax":
        softmax = entry

        def f(x):
            return np.asarray(softmax(np.stack([x, np.zeros_like(x)], -1) / temperature))[..., 0]

        f.__name__ = getattr(softmax, "__name__", "softmax")
        return f, None
    f, fprime = entry if isinstance(entry, tuple) else (entry, None)
    return f, fprime


def activation_explorer(student: Mapping[str, object] | None = None) -> Explorer:
    """Pick an activation, a softmax temperature and a depth; see f, f' and the chain's gradient.

    Args:
        student: optional ``{"sigmoid": (sigmoid, sigmoid_grad), "tanh": (...), "relu": (...),
            "softmax": softmax}`` with the student's own NumPy functions, drawn beside PyTorch's.

    Panels: f(x); f'(x); and |d/dx f(f(...f(x)))| for ``depth`` layers on a log scale, which is
    the product of the layers' derivatives: it vanishes with depth for sigmoid (f' <= 1/4).
    """
    import ipywidgets as widgets

    student = dict(student or {})
    controls = {
        "name": widgets.Dropdown(
            options=["sigmoid", "tanh", "relu", "softmax"],
            value="sigmoid",
            description="activation",
        ),
        "temperature": widgets.FloatSlider(
            value=1.0, min=0.2, max=5.0, step=0.1, description="softmax T", continuous_update=True
        ),
        "depth": widgets.IntSlider(value=1, min=1, max=20, description="depth", continuous_update=True),
    }
    fig, (ax_f, ax_g, ax_d) = new_figure(11, 3.2, ncols=3)
    (truth_f,) = ax_f.plot(X, X, color="C0", lw=2, label="PyTorch")
    (yours_f,) = ax_f.plot(X, X, color="C3", ls="--", lw=1.5, label="yours")
    (truth_g,) = ax_g.plot(X, X, color="C0", lw=2, label="PyTorch autograd")
    (yours_g,) = ax_g.plot(X, X, color="C3", ls="--", lw=1.5, label="yours")
    (chain,) = ax_d.semilogy(X, np.ones_like(X), color="C2", lw=2, label="autograd through the chain")
    (yours_d,) = ax_d.semilogy(X, np.ones_like(X), color="C3", ls="--", lw=1.5, label="product of your f'")
    for ax, title in ((ax_f, "f(x)"), (ax_g, "f'(x)")):
        ax.set_title(title)
        ax.axhline(0, color="0.8", lw=0.8)
        ax.axvline(0, color="0.8", lw=0.8)
    ax_d.set_ylim(1e-14, 10)
    for ax in (ax_f, ax_g, ax_d):
        ax.set_xlabel("x")

    def update(name: str, temperature: float, depth: int) -> None:
        f_t = _torch_activation(name, temperature)
        y, g = _value_and_grad(f_t, X)
        _, g_chain = _value_and_grad(f_t, X, depth)
        truth_f.set_ydata(y)
        truth_g.set_ydata(g)
        chain.set_ydata(np.maximum(np.abs(g_chain), 1e-300))
        f_s, fprime_s = _student_pair(name, temperature, student)
        ys, note_f = safe_call(f_s, X)
        gs, note_g = safe_call(fprime_s, X)
        yours_f.set_visible(ys is not None)
        yours_g.set_visible(gs is not None)
        if ys is not None and ys.shape == X.shape:
            yours_f.set_ydata(ys)
        if gs is not None and gs.shape == X.shape:
            yours_g.set_ydata(gs)
        product = None
        if f_s is not None and fprime_s is not None and ys is not None and gs is not None:
            z, product = X.copy(), np.ones_like(X)
            for _ in range(depth):  # chain rule with the student's own f and f'
                dz, _ = safe_call(fprime_s, z)
                z, _ = safe_call(f_s, z)
                if dz is None or z is None:
                    product = None
                    break
                product = product * dz
        yours_d.set_visible(product is not None)
        if product is not None:
            yours_d.set_ydata(np.maximum(np.abs(product), 1e-300))
        label = name if name != "softmax" else f"softmax of (x, 0) at T = {temperature:g}"
        ax_f.set_title(f"{label}" + (f"\n({note_f})" if note_f else ""), fontsize=10)
        ax_g.set_title("derivative" + (f"\n({note_g})" if note_g else ""), fontsize=10)
        peak = float(np.max(np.abs(g_chain)))
        ax_d.set_title(f"|d/dx of {depth} stacked layers|, max {peak:.2g}", fontsize=10)
        for ax, where in ((ax_f, "upper left"), (ax_g, "upper left"), (ax_d, "lower center")):
            shown = [line for line in ax.lines if line.get_visible() and not line.get_label().startswith("_")]
            ax.legend(handles=shown, loc=where, fontsize=8)
        for ax, series in (
            (ax_f, [y] + ([ys] if ys is not None else [])),
            (ax_g, [g] + ([gs] if gs is not None else [])),
        ):
            lo = min(float(np.nanmin(s)) for s in series if s.shape == X.shape)
            hi = max(float(np.nanmax(s)) for s in series if s.shape == X.shape)
            pad = 0.08 * (hi - lo or 1.0)
            ax.set_ylim(lo - pad, hi + pad)

    def temperature_only_for_softmax(change) -> None:
        controls["temperature"].disabled = change["new"] != "softmax"

    controls["name"].observe(temperature_only_for_softmax, names="value")
    temperature_only_for_softmax({"new": controls["name"].value})
    return Explorer(controls, fig, update, title="Activation explorer")


def softmax_jacobian_explorer(student_jacobian: Callable | None = None, k: int = 4) -> Explorer:
    """Move ``k`` logits (and a temperature) and watch J = diag(s) − s sᵀ change.

    Args:
        student_jacobian: optional student ``softmax_jacobian(z)`` (K,) -> (K, K), drawn beside
            PyTorch autograd's Jacobian of softmax with the largest difference in its title.
        k: number of logits.
    """
    import ipywidgets as widgets

    start = np.linspace(1.0, -1.0, k)
    controls = {
        f"z{i + 1}": widgets.FloatSlider(value=float(start[i]), min=-5, max=5, step=0.1, description=f"z{i + 1}")
        for i in range(k)
    }
    controls["temperature"] = widgets.FloatSlider(value=1.0, min=0.2, max=5.0, step=0.1, description="T")
    ncols = 3 if student_jacobian is not None else 2
    fig, axes = new_figure(3.6 * ncols, 3.2, ncols=ncols)
    bars = axes[0].bar(np.arange(1, k + 1), np.ones(k) / k, color="C0")
    axes[0].set_ylim(0, 1)
    axes[0].set_xticks(np.arange(1, k + 1))
    axes[0].set_xlabel("i")
    heat = []
    for ax, title in zip(axes[1:], ("PyTorch autograd", "yours"), strict=False):
        im = ax.imshow(np.zeros((k, k)), cmap="RdBu_r", vmin=-0.25, vmax=0.25)
        texts = [[ax.text(j, i, "", ha="center", va="center", fontsize=8) for j in range(k)] for i in range(k)]
        ax.set_xticks(range(k), [f"z{j + 1}" for j in range(k)])
        ax.set_yticks(range(k), [f"s{i + 1}" for i in range(k)])
        ax.set_title(title, fontsize=10)
        heat.append((ax, im, texts))
    fig.colorbar(heat[0][1], ax=axes[-1], shrink=0.8)

    def update(temperature: float, **logits: float) -> None:
        z = np.array([logits[f"z{i + 1}"] for i in range(k)]) / temperature
        zt = torch.tensor(z, dtype=torch.float64)
        s = torch.softmax(zt, -1).numpy()
        jac = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, -1), zt).numpy()
        for bar, height in zip(bars, s, strict=True):
            bar.set_height(height)
        axes[0].set_title(f"s = softmax(z / T), T = {temperature:g}", fontsize=10)
        mats = [jac]
        if student_jacobian is not None:
            mine, note = safe_call(student_jacobian, z)
            ok = mine is not None and mine.shape == (k, k)
            mats.append(mine if ok else np.full((k, k), np.nan))
            diff = (
                f"max |yours − autograd| = {np.max(np.abs(mine - jac)):.1e}"
                if ok
                else (note or f"shape {None if mine is None else mine.shape}, expected {(k, k)}")
            )
            heat[1][0].set_title(f"yours\n{diff}", fontsize=9)
        for (_ax, im, texts), mat in zip(heat, mats, strict=True):
            im.set_data(mat)
            for i in range(k):
                for j in range(k):
                    texts[i][j].set_text("" if np.isnan(mat[i, j]) else f"{mat[i, j]:.2f}")

    return Explorer(controls, fig, update, title="Softmax Jacobian explorer: J = diag(s) − s sᵀ")


def plot_activations(student: Mapping[str, object] | None = None, lim: float = 8.0):
    """A static figure of sigmoid, tanh and ReLU and their derivatives (PyTorch), with the
    student's versions dashed when given as ``{"sigmoid": (f, f'), ...}``."""
    x = np.linspace(-lim, lim, 401)
    fig, axes = new_figure(11, 3.0, ncols=3)
    for ax, name in zip(axes, ("sigmoid", "tanh", "relu"), strict=True):
        y, g = _value_and_grad(_TORCH[name], x)
        ax.plot(x, y, color="C0", lw=2, label=f"{name}")
        ax.plot(x, g, color="C1", lw=2, label=f"{name}'")
        pair = (student or {}).get(name)
        if pair:
            for i, func in enumerate(pair):
                vals, _ = safe_call(func, x)
                if vals is not None and vals.shape == x.shape:
                    ax.plot(x, vals, color="k", ls=":", lw=1.5, label="yours" if i == 0 else None)
        ax.set_title(name)
        ax.axhline(0, color="0.8", lw=0.8)
        ax.legend(fontsize=8, loc="upper left")
    return fig
