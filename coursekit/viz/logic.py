"""Figures and an explorer for notebook 03: threshold neurons, XOR, zero initialisation and the
parity LSTM.

Everything the figures compute is done here with plain NumPy (or with the unmarked forward
passes of ``coursekit.logic``), never with a reference solution, so they work in the student
build. A student's weights come in as the function that returns them; a missing or broken one
is reported in the figure instead of breaking it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from coursekit.logic import XOR_TABLE, hard_lstm_trace, two_layer_relu
from coursekit.viz.explorer import Explorer, new_figure, safe_call

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["threshold_explorer", "plot_xor_networks", "plot_xor_training", "plot_lstm_trace"]

TABLES = {
    "AND": np.array([0.0, 0.0, 0.0, 1.0]),
    "OR": np.array([0.0, 1.0, 1.0, 1.0]),
    "XOR": np.array([0.0, 1.0, 1.0, 0.0]),
}
_NAMES = ("00", "01", "10", "11")
_LIM = (-0.5, 1.5)


def _fires(z: np.ndarray) -> np.ndarray:
    return (z >= 0).astype(np.float64)  # step(0) = 1, the convention of notebook 03


def _correct_counts(w1: np.ndarray, w2: np.ndarray, b: np.ndarray, table: np.ndarray) -> np.ndarray:
    """How many of the four inputs step(w1 x1 + w2 x2 + b) gets right, for arrays of weights."""
    count = np.zeros(np.broadcast(w1, w2, b).shape)
    for (x1, x2), target in zip(XOR_TABLE, table, strict=True):
        count += _fires(w1 * x1 + w2 * x2 + b) == target
    return count


def _try_weights(func: Callable[[], Any] | None) -> tuple[Any, str]:
    """``(func(), "")`` or ``(None, why)``: weights functions return tuples or dicts, which
    ``safe_call`` (made for arrays) does not accept."""
    if func is None:
        return None, "no weights given"
    name = getattr(func, "__name__", "your function")
    try:
        import warnings

        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return func(), ""
    except NotImplementedError:
        return None, f"{name} is not written yet"
    except Exception as exc:  # a student's bug: report it, keep the figure
        return None, f"{name} raised {type(exc).__name__}: {exc}"


# ---- the threshold-neuron explorer ----------------------------------------------------------
def threshold_explorer(student: Mapping[str, Callable] | None = None) -> Explorer:
    """Move w1, w2 and b of one threshold neuron ``step(w1 x1 + w2 x2 + b)`` and pick a target
    (AND, OR, XOR).

    Left: the four inputs (filled = target 1), the decision line w·x + b = 0, the half-plane
    where the neuron outputs 1 (shaded), z = w·x + b at each input and a red cross on every
    input the neuron gets wrong. Right: for the current b, how many inputs each (w1, w2) gets
    right, with the current weights marked, and the best count over every (w1, w2, b) of a
    fine grid: 4 for AND and OR, never more than 3 for XOR.

    Args:
        student: optional ``{"AND": and_gate, "OR": or_gate}``, the student's gates as
            functions of X (n, 2); their outputs on the four inputs are shown under the plot.
    """
    import ipywidgets as widgets
    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D

    student = dict(student or {})
    controls = {
        "w1": widgets.FloatSlider(value=1.0, min=-3, max=3, step=0.1, description="w1"),
        "w2": widgets.FloatSlider(value=1.0, min=-3, max=3, step=0.1, description="w2"),
        "b": widgets.FloatSlider(value=-0.5, min=-3, max=3, step=0.1, description="b"),
        "target": widgets.Dropdown(options=list(TABLES), value="AND", description="target"),
    }
    fig, (ax_in, ax_w) = new_figure(10, 4.2, ncols=2)
    fig.subplots_adjust(left=0.06, right=0.93, bottom=0.2, top=0.86, wspace=0.5)

    # left: the input plane
    grid = np.linspace(*_LIM, 161)
    gx, gy = np.meshgrid(grid, grid)  # (161, 161)
    shade = ax_in.imshow(
        np.zeros_like(gx),
        extent=(*_LIM, *_LIM),
        origin="lower",
        cmap=ListedColormap(["#ffffff", "#cfe3f7"]),
        vmin=0,
        vmax=1,
        interpolation="nearest",
    )
    (line,) = ax_in.plot([], [], color="C0", lw=2)
    points = ax_in.scatter(
        XOR_TABLE[:, 0], XOR_TABLE[:, 1], s=260, c=["w"] * 4, edgecolors="k", linewidths=1.5, zorder=3
    )
    wrong = ax_in.scatter([], [], marker="x", s=420, c="C3", linewidths=3, zorder=4)
    z_text = [
        ax_in.text(x1, x2 - 0.2, "", ha="center", va="top", fontsize=10, zorder=5) for x1, x2 in XOR_TABLE
    ]
    ax_in.set_xticks([0, 1])
    ax_in.set_yticks([0, 1])
    ax_in.set_xlim(*_LIM)
    ax_in.set_ylim(*_LIM)
    ax_in.set_aspect("equal")
    ax_in.set_xlabel("x1")
    ax_in.set_ylabel("x2")
    ax_in.legend(
        handles=[
            Line2D([], [], marker="o", ls="", mfc="k", mec="k", ms=10, label="target 1"),
            Line2D([], [], marker="o", ls="", mfc="w", mec="k", ms=10, label="target 0"),
            Line2D([], [], marker="s", ls="", mfc="#cfe3f7", mec="#cfe3f7", ms=10, label="neuron says 1"),
            Line2D([], [], marker="x", ls="", color="C3", mew=3, ms=10, label="wrong"),
        ],
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=9,
        frameon=False,
    )

    # right: how many inputs each (w1, w2) gets right at the current b
    wgrid = np.linspace(-3, 3, 121)
    w1g, w2g = np.meshgrid(wgrid, wgrid)  # (121, 121)
    cmap = ListedColormap(["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"])
    heat = ax_w.imshow(
        np.zeros_like(w1g),
        extent=(-3, 3, -3, 3),
        origin="lower",
        cmap=cmap,
        vmin=-0.5,
        vmax=4.5,
        interpolation="nearest",
    )
    bar = fig.colorbar(heat, ax=ax_w, ticks=range(5), fraction=0.046, pad=0.04)
    bar.set_label("inputs right (of 4)")
    (here,) = ax_w.plot([], [], marker="*", ms=16, mfc="w", mec="k", ls="")
    ax_w.set_xticks([-3, 0, 3])
    ax_w.set_yticks([-3, 0, 3])
    ax_w.set_xlabel("w1")
    ax_w.set_ylabel("w2")
    note = fig.text(0.06, 0.03, "", fontsize=10, family="monospace")

    coarse = np.linspace(-3, 3, 61)
    best_cache: dict[str, int] = {}

    def best_over_grid(target: str) -> int:
        if target not in best_cache:
            a, c, bb = np.meshgrid(coarse, coarse, coarse, indexing="ij")
            best_cache[target] = int(_correct_counts(a, c, bb, TABLES[target]).max())
        return best_cache[target]

    def update(w1: float, w2: float, b: float, target: str) -> None:
        table = TABLES[target]
        z = XOR_TABLE @ np.array([w1, w2]) + b  # (4,)
        out = _fires(z)
        shade.set_data(_fires(w1 * gx + w2 * gy + b))
        if abs(w2) >= abs(w1) and abs(w2) > 1e-12:
            xs = np.array(_LIM)
            line.set_data(xs, -(w1 * xs + b) / w2)
        elif abs(w1) > 1e-12:
            ys = np.array(_LIM)
            line.set_data(-(w2 * ys + b) / w1, ys)
        else:
            line.set_data([], [])  # w = 0: no line, the neuron is constant
        points.set_facecolors(["k" if t else "w" for t in table])
        bad = XOR_TABLE[out != table]
        wrong.set_offsets(bad if len(bad) else np.empty((0, 2)))
        for text, name, value, fired in zip(z_text, _NAMES, z, out, strict=True):
            text.set_text(f"{name}: z = {value:+.1f} → {int(fired)}")
        right = int((out == table).sum())
        ax_in.set_title(
            f"{target}: {right} of 4 right with step(w1·x1 + w2·x2 + b), step(0) = 1", fontsize=10
        )
        heat.set_data(_correct_counts(w1g, w2g, b, table))
        here.set_data([w1], [w2])
        ax_w.set_title(
            f"inputs right for each (w1, w2) at b = {b:+.1f}\n"
            f"best over every (w1, w2, b) tried: {best_over_grid(target)} of 4",
            fontsize=10,
        )
        gate = student.get(target)
        if gate is None:
            note.set_text(f"(no function of yours for {target} here)")
            return
        mine, why = safe_call(gate, XOR_TABLE.copy())
        name = getattr(gate, "__name__", "your gate")
        if mine is None:
            note.set_text(why)
        elif mine.shape != (4,):
            note.set_text(f"{name} returned shape {mine.shape} for the 4 inputs; expected (4,)")
        else:
            verdict = "matches" if np.array_equal(mine, table) else "does NOT match"
            shown = " ".join(f"{n}→{v:g}" for n, v in zip(_NAMES, mine, strict=True))
            note.set_text(f"your {name}: {shown}   ({verdict} {target})")

    return Explorer(controls, fig, update, title="One threshold neuron: w1, w2, b and the four inputs")


# ---- XOR with a hidden layer ----------------------------------------------------------------
def plot_xor_networks(weights: Mapping[str, Callable[[], Any]]) -> Figure:
    """For each ``label -> weights function`` (returning ``(W1, b1, W2, b2)`` for
    :func:`coursekit.logic.two_layer_relu`), one row of two panels: the output ŷ over the input
    plane with the four inputs and their ŷ, and the four inputs in the hidden layer's space
    h = ReLU(W1 x + b1) (the first two hidden units)."""
    import matplotlib.patheffects as pe

    rows = list(weights.items())
    if not rows:
        raise ValueError("weights is empty: pass at least one label -> weights function")
    fig, axes = new_figure(10.5, 4.2 * len(rows), ncols=2, nrows=len(rows))
    fig.subplots_adjust(left=0.07, right=0.95, bottom=0.1 / len(rows), top=1 - 0.12 / len(rows),
                        wspace=0.4, hspace=0.45)
    grid = np.linspace(*_LIM, 121)
    gx, gy = np.meshgrid(grid, grid)
    plane = np.stack([gx.ravel(), gy.ravel()], axis=1)  # (121², 2)
    outline = [pe.withStroke(linewidth=2.5, foreground="w")]
    for r, (label, func) in enumerate(rows):
        ax_in, ax_h = axes[2 * r], axes[2 * r + 1]
        got, why = _try_weights(func)
        out = hidden = None
        if got is not None:
            try:
                W1, b1, W2, b2 = got
                W1, b1 = np.asarray(W1, dtype=np.float64), np.asarray(b1, dtype=np.float64)
                yhat = two_layer_relu(plane, W1, b1, W2, b2).reshape(gx.shape)
                out = two_layer_relu(XOR_TABLE, W1, b1, W2, b2)  # (4,)
                hidden = np.maximum(XOR_TABLE @ W1.T + b1, 0.0)  # (4, H)
            except Exception as exc:  # wrong shapes, a wrong number of values...
                why = f"{type(exc).__name__}: {exc}"
        if out is not None:
            im = ax_in.imshow(yhat, extent=(*_LIM, *_LIM), origin="lower", cmap="coolwarm",
                              vmin=-0.5, vmax=1.5)
            fig.colorbar(im, ax=ax_in, fraction=0.046, pad=0.04)
            ax_in.contour(gx, gy, yhat, levels=[0.5], colors="k", linewidths=1, linestyles="--")
        ax_in.scatter(XOR_TABLE[:, 0], XOR_TABLE[:, 1], s=200, c=["w", "k", "k", "w"],
                      edgecolors="k", linewidths=1.5, zorder=3)
        for i, (x1, x2) in enumerate(XOR_TABLE):
            text = f"{_NAMES[i]}: ŷ = {out[i]:.3g}" if out is not None else _NAMES[i]
            ax_in.text(x1, x2 + 0.15, text, ha="center", fontsize=10, path_effects=outline)
        ax_in.set_xlim(*_LIM)
        ax_in.set_ylim(*_LIM)
        ax_in.set_aspect("equal")
        ax_in.set_xlabel("x1")
        ax_in.set_ylabel("x2")
        ok = out is not None and np.allclose(out, TABLES["XOR"], atol=1e-9)
        verdict = "" if out is None else (" (XOR ✓)" if ok else " (NOT XOR)")
        ax_in.set_title(f"{label}{verdict}\ncolour: ŷ over the input plane; dashed: ŷ = 0.5", fontsize=10)
        if hidden is None:
            ax_h.text(0.5, 0.5, why or "no weights", ha="center", va="center", wrap=True,
                      transform=ax_h.transAxes, fontsize=10)
            ax_h.set_axis_off()
            continue
        h = np.zeros((4, 2))
        h[:, : min(2, hidden.shape[1])] = hidden[:, :2]
        ax_h.scatter(h[:, 0], h[:, 1], s=200, c=["w", "k", "k", "w"], edgecolors="k",
                     linewidths=1.5, zorder=3)
        groups: dict[tuple[float, float], list[str]] = {}
        for i in range(4):  # inputs that land on the same hidden point share one label
            groups.setdefault((round(h[i, 0], 9), round(h[i, 1], 9)), []).append(_NAMES[i])
        for (h1, h2), names in groups.items():
            ax_h.annotate(" & ".join(names), (h1, h2), xytext=(10, 6), textcoords="offset points",
                          fontsize=10)
        span = max(1.0, float(np.abs(h).max()))
        lo, hi = -0.3 * span, 1.4 * span
        W2v = np.asarray(got[2], dtype=np.float64).reshape(-1)
        if hidden.shape[1] == 2 and np.any(W2v != 0):
            # the output unit's level line ŷ = 0.5 is a straight line in the hidden space
            b2v = float(np.asarray(got[3], dtype=np.float64))
            if abs(W2v[1]) >= abs(W2v[0]):
                xs = np.array([lo, hi])
                ys = (0.5 - b2v - W2v[0] * xs) / W2v[1]
            else:
                ys = np.array([lo, hi])
                xs = (0.5 - b2v - W2v[1] * ys) / W2v[0]
            ax_h.plot(xs, ys, "k--", lw=1, label="ŷ = 0.5")
            ax_h.legend(loc="upper right", fontsize=9)
        ax_h.set_xlim(lo, hi)
        ax_h.set_ylim(lo, hi)
        ax_h.set_xlabel("h1")
        ax_h.set_ylabel("h2")
        extra = "" if hidden.shape[1] == 2 else f" (first 2 of H = {hidden.shape[1]} units)"
        ax_h.set_title("the four inputs in the hidden layer, h = ReLU(W1 x + b1)" + extra,
                       fontsize=10)
    return fig


def plot_xor_training(runs: Mapping[str, Mapping[str, Any]]) -> Figure:
    """Loss curves (left, log scale) and final outputs on 00, 01, 10, 11 (right) of training
    runs as returned by :func:`coursekit.logic.train_xor`, one per label."""
    if not runs:
        raise ValueError("runs is empty: pass at least one label -> train_xor result")
    fig, (ax_l, ax_o) = new_figure(11, 3.8, ncols=2)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.16, top=0.88, wspace=0.25)
    width = 0.8 / len(runs)
    for k, (label, run) in enumerate(runs.items()):
        loss = np.maximum(np.asarray(run["loss"], dtype=np.float64), 1e-16)
        ax_l.semilogy(np.arange(loss.size), loss, lw=2, label=label)
        out = np.asarray(run["outputs"], dtype=np.float64)
        ax_o.bar(np.arange(4) + (k - (len(runs) - 1) / 2) * width, out, width, label=label)
    ax_o.scatter(np.arange(4), TABLES["XOR"], marker="_", s=900, c="k", linewidths=3,
                 label="target", zorder=3)
    ax_l.set_xlabel("gradient-descent step")
    ax_l.set_ylabel("mean squared error")
    ax_l.set_title("training loss on the XOR table", fontsize=10)
    ax_l.grid(alpha=0.3)
    ax_l.legend(fontsize=9)
    ax_o.set_xticks(range(4), _NAMES)
    ax_o.set_xlabel("input x1 x2")
    ax_o.set_ylabel("ŷ after training")
    ax_o.set_title("outputs after training", fontsize=10)
    ax_o.axhline(0, color="0.6", lw=0.8)
    ax_o.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.subplots_adjust(right=0.86)
    return fig


# ---- the parity LSTM ------------------------------------------------------------------------
_ROWS = (
    ("x", "input x_t"),
    ("f", "forget f_t"),
    ("i", "input gate i_t"),
    ("C_tilde", "candidate C̃_t"),
    ("o", "output gate o_t"),
    ("C", "cell C_t"),
    ("h", "hidden h_t"),
)


def plot_lstm_trace(params: Callable[[], Mapping[str, Any]] | None, bits) -> Figure:
    """Every gate of the hard-gated LSTM over one bit string, step by step, with the parity of
    each prefix underneath for comparison.

    Args:
        params: the student's ``parity_lstm_params`` (a function returning the parameter dict).
        bits: (T,) the bit string.
    """
    from matplotlib.colors import ListedColormap

    bits = np.asarray(bits, dtype=np.float64)
    T = bits.size
    parity = np.cumsum(bits) % 2  # (T,)
    got, why = _try_weights(params)
    trace = None
    if got is not None:
        try:
            trace = hard_lstm_trace(bits, got)
        except Exception as exc:
            why = f"{type(exc).__name__}: {exc}"
    labels = [label for _, label in _ROWS] + ["parity of x_1..x_t"]
    if trace is None:
        table = np.full((len(labels), T), np.nan)
        table[0], table[-1] = bits, parity
    else:
        table = np.stack([trace[key] for key, _ in _ROWS] + [parity])  # (8, T)
    fig, (ax,) = new_figure(max(6.0, 0.5 * T + 2.6), 3.9)
    fig.subplots_adjust(left=0.25, right=0.98, bottom=0.12, top=0.86)
    cmap = ListedColormap(["#d6604d", "#f7f7f7", "#4393c3"]).with_extremes(bad="#dddddd")
    ax.imshow(np.ma.masked_invalid(table), cmap=cmap, vmin=-1.5, vmax=1.5, aspect="auto")
    for r in range(table.shape[0]):
        for t in range(T):
            if not np.isnan(table[r, t]):
                ax.text(t, r, f"{table[r, t]:g}", ha="center", va="center", fontsize=10)
    ax.axhline(len(_ROWS) - 0.5, color="k", lw=1.5)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xticks(range(T), [str(t + 1) for t in range(T)])
    ax.set_xlabel("step t")
    if trace is None:
        title = why
    else:
        ok = np.array_equal(trace["C"], parity)
        title = "C_t is the parity at every step ✓" if ok else "C_t differs from the parity (row below)"
    ax.set_title(f"hard-gated LSTM on {''.join(str(int(b)) for b in bits)}: {title}", fontsize=10)
    return fig
