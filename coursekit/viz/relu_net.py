"""Figures and explorers for notebook 05: a scalar ReLU network's derivatives as functions of x.

The truth is PyTorch autograd (``relu_net.autograd_derivatives``, ``autograd_directional`` and
``autograd_kink_jumps``, none of them an exercise), so everything here runs in the student build;
a student's own functions, when given, are drawn dashed beside it.

Student functions are passed as a dict with any of the keys ``"forward"``, ``"b2"``, ``"w2"``,
``"b1"``, ``"w1"`` (the derivative functions ``dy_db2`` ... ``dy_dw1``) and ``"kink_jumps"``.
"""

import html
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from coursekit.relu_net import (
    HANDOUT_PARAMS,
    autograd_derivatives,
    autograd_directional,
    autograd_kink_jumps,
)
from coursekit.viz.explorer import Explorer, new_figure, safe_call

X_RANGE = (-1.0, 2.5)
_GRID = np.linspace(*X_RANGE, 701)
MAX_UNITS = 5
COLORS = ("C0", "C1", "C2", "C3", "C4")
_HTML_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")  # the same, for HTML
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
# units 3-5 of the explorer start here: kinks at 0 (no jump in ∂y/∂w1 there), -0.5 and 2
_EXTRA_UNITS = ((-1.0, 0.0, 1.0), (1.0, 0.5, -0.5), (-1.5, 3.0, 0.75))

_PANELS = {
    "y": "y(x)",
    "b2": "(a)  ∂y/∂b2",
    "w2": "(b)  ∂y/∂w2ᵢ",
    "b1": "(c)  ∂y/∂b1ᵢ",
    "w1": "(d)  ∂y/∂w1ᵢ",
}


def _sub(i: int) -> str:
    return str(i).translate(_SUB)


def _kinks(w1: np.ndarray, b1: np.ndarray) -> np.ndarray:
    """x_i = −b1_i / w1_i, NaN for a unit with w1_i = 0."""
    at = np.full(w1.shape, np.nan)
    at[w1 != 0] = -b1[w1 != 0] / w1[w1 != 0]
    return at


def _grid_with_kinks(at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The plotting grid plus each visible kink and a point just left and right of it.

    Returns the sorted grid and δ (k,), the distance of the side points from each kink.
    """
    delta = 1e-7 * np.maximum(1.0, np.abs(np.nan_to_num(at)))
    inside = np.isfinite(at) & (at > X_RANGE[0]) & (at < X_RANGE[1])
    extra = [at[inside] + s * delta[inside] for s in (-1.0, 0.0, 1.0)]
    return np.unique(np.concatenate([_GRID, *extra])), delta


def _broken(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Insert NaN where y jumps (changes faster than slope 1000 between two points closer than
    1e-6), so that no vertical segment is drawn across a discontinuity."""
    dx, dy = np.diff(x), np.abs(np.diff(y))
    jumps = np.flatnonzero((dx < 1e-6) & (dy > 1e3 * dx)) + 1
    return np.insert(x, jumps, np.nan), np.insert(y, jumps, np.nan)


def _limits(*series: np.ndarray | None) -> tuple[float, float]:
    """y-limits that hold every finite value of the series and 0, with a margin."""
    values = np.concatenate([np.ravel(s) for s in series if s is not None])
    values = values[np.isfinite(values)]
    lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    pad = 0.1 * (hi - lo or 1.0)
    return lo - pad, hi + pad


def _student_values(func: Callable | None, shape: tuple[int, ...], *args: Any) -> tuple[np.ndarray | None, str]:
    """The student's output when it has the right shape, else None and a short reason."""
    name = getattr(func, "__name__", "your function")
    out, note = safe_call(func, *args)
    if out is not None and out.shape != shape:
        return None, f"{name} returned shape {out.shape}, expected {shape}"
    return out, note


def _as_panels(student: Mapping[str, Callable] | None) -> dict[str, Callable]:
    student = dict(student or {})
    if "forward" in student:
        student["y"] = student.pop("forward")
    return student


def _jump_rows(w1, b1, w2, kink_jumps: Callable | None) -> tuple[list[tuple], str]:
    """Per unit: (unit, kink, autograd's jumps (2,), the student's jumps (2,) or None), and a note."""
    at = _kinks(w1, b1)
    truth = autograd_kink_jumps(w1, b1, w2)
    mine, note = _student_values(kink_jumps, (2, w1.size), w1, b1, w2)
    rows = [(i + 1, at[i], truth[:, i], None if mine is None else mine[:, i]) for i in range(w1.size)]
    if kink_jumps is None:
        note = ""
    elif mine is not None:
        note = f"kink_jumps: max |yours − autograd| = {np.max(np.abs(mine - truth)):.1g}"
    return rows, note


class _DerivativeFigure:
    """Five panels (y and the four derivatives) with fixed artists, and a sixth for the legend
    (and, in the static figure, a table of kinks and jumps); ``draw`` moves the artists."""

    def __init__(self, student: Mapping[str, Callable] | None, *, table: bool):
        from matplotlib.ticker import MaxNLocator, MultipleLocator

        self.student = _as_panels(student)
        self.table = table
        fig, axes = new_figure(12, 6.2, ncols=3, nrows=2)
        fig.subplots_adjust(left=0.05, right=0.98, bottom=0.08, top=0.92, wspace=0.25, hspace=0.5)
        self.fig, self.axes, self.side = fig, dict(zip(_PANELS, axes[:5], strict=True)), axes[5]
        self.truth, self.yours, self.vlines, self.at_kink, self.other_side = {}, {}, {}, {}, {}
        for key, title in _PANELS.items():
            ax = self.axes[key]
            ax.axhline(0, color="0.85", lw=0.8, zorder=0)
            ax.set_xlim(*X_RANGE)
            ax.xaxis.set_major_locator(MultipleLocator(0.5))
            ax.yaxis.set_major_locator(MaxNLocator(4, steps=[1, 2, 2.5, 5, 10]))
            ax.set_xlabel("x", labelpad=1)
            ax.set_title(title, fontsize=10)
            n = 1 if key in ("y", "b2") else MAX_UNITS
            color = ["k"] if n == 1 else COLORS
            self.truth[key] = [ax.plot([], [], color=color[i], lw=3, alpha=0.45)[0] for i in range(n)]
            self.yours[key] = [ax.plot([], [], color=color[i], lw=1.4, ls="--")[0] for i in range(n)]
            self.vlines[key] = [ax.axvline(0, color=c, lw=0.9, ls=":", visible=False) for c in COLORS]
            self.at_kink[key] = [ax.plot([], [], "o", color=c, ms=6, zorder=5)[0] for c in COLORS]
            self.other_side[key] = [
                ax.plot([], [], "o", mfc="white", mec=c, mew=1.5, ms=6, zorder=5)[0] for c in COLORS
            ]
        self._legend()
        if table:
            self.table_text = self.side.text(
                0.0, 0.46, "", family="monospace", fontsize=8.5, va="top", transform=self.side.transAxes
            )

    def _legend(self) -> None:
        from matplotlib.lines import Line2D

        self.side.axis("off")
        handles = [
            Line2D([], [], color="0.4", lw=3, alpha=0.45, label="PyTorch autograd"),
            Line2D([], [], color="0.2", lw=1.4, ls="--", label="yours (dashed)"),
            Line2D([], [], color="0.4", lw=0.9, ls=":", label="kink xᵢ = −b1ᵢ / w1ᵢ"),
            Line2D([], [], color="0.3", marker="o", ls="", ms=6, label="value at the kink (ReLU′(0) = 0)"),
            Line2D([], [], color="0.3", marker="o", mfc="white", ls="", ms=6, label="limit from the other side"),
        ]
        handles += [Line2D([], [], color=c, lw=3, alpha=0.6, label=f"unit {i + 1}") for i, c in enumerate(COLORS)]
        self.unit_handles = handles[5:]
        self.legend = self.side.legend(
            handles=handles, loc="upper left", ncol=2, fontsize=8.5, frameon=False, borderaxespad=0.0
        )

    def draw(self, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: float) -> None:
        w1, b1, w2 = (np.asarray(a, dtype=np.float64) for a in (w1, b1, w2))
        k = w1.size
        at = _kinks(w1, b1)
        xs, delta = _grid_with_kinks(at)
        y, grads = autograd_derivatives(xs, w1, b1, w2, b2)
        truth = {"y": y[:, None], "b2": grads["b2"][:, None], "w2": grads["w2"], "b1": grads["b1"], "w1": grads["w1"]}
        for key, title in _PANELS.items():
            shape = (xs.size,) if key in ("y", "b2") else (xs.size, k)
            mine, note = _student_values(self.student.get(key), shape, xs, w1, b1, w2, b2)
            mine_2d = None if mine is None else mine.reshape(xs.size, -1)
            for i, line in enumerate(self.truth[key]):
                show = i < truth[key].shape[1]
                line.set_visible(show)
                self.yours[key][i].set_visible(show and mine_2d is not None)
                if show:
                    line.set_data(*_broken(xs, truth[key][:, i]))
                    if mine_2d is not None:
                        self.yours[key][i].set_data(*_broken(xs, mine_2d[:, i]))  # a wrong one may jump too
            self._mark_kinks(key, xs, at, delta, w1, truth[key])
            if mine_2d is not None:
                title += f"\nyours: max |difference| {np.max(np.abs(mine_2d - truth[key])):.1g}"
            elif key in self.student:
                title += f"\n{note}"
            self.axes[key].set_title(title, fontsize=10)
            self.axes[key].set_ylim(*_limits(truth[key], mine))
        for i, handle in enumerate(self.legend.legend_handles[5:]):
            handle.set_visible(i < k)
        for i, text in enumerate(self.legend.get_texts()[5:]):
            text.set_visible(i < k)
        if self.table:
            self._table(w1, b1, w2)

    def _mark_kinks(self, key, xs, at, delta, w1, values) -> None:
        """A dotted line at each visible kink; on the curve, the value at the kink (filled) and,
        where the curve jumps, the limit from the side on which the unit is on (open)."""
        visible = np.isfinite(at) & (at > X_RANGE[0]) & (at < X_RANGE[1])
        jumps = key in ("b1", "w1")
        for i in range(MAX_UNITS):
            show = i < at.size and bool(visible[i])
            self.vlines[key][i].set_visible(show)
            self.at_kink[key][i].set_visible(show and key != "b2")  # ∂y/∂b2 = 1 has no kink
            self.other_side[key][i].set_visible(show and jumps)
            if not show:
                continue
            self.vlines[key][i].set_xdata([at[i], at[i]])
            column = 0 if values.shape[1] == 1 else i
            here = np.searchsorted(xs, at[i])
            on_side = np.searchsorted(xs, at[i] + np.sign(w1[i]) * delta[i])
            self.at_kink[key][i].set_data([at[i]], [values[here, column]])
            if jumps:
                self.other_side[key][i].set_data([at[i]], [values[on_side, column]])

    def _table(self, w1, b1, w2) -> None:
        rows, note = _jump_rows(w1, b1, w2, self.student.get("kink_jumps"))
        yours = any(r[3] is not None for r in rows)
        lines = ["jumps as x increases" + (" (yours)" if yours else ""), "unit  kink    ∂y/∂b1ᵢ          ∂y/∂w1ᵢ"]
        for unit, at, truth, mine in rows:
            where = "none " if not np.isfinite(at) else f"{at:+5.2f}"
            cells = [f"{t:+6.3f}" for t in truth]
            if mine is not None:
                cells = [f"{c} ({m:+.3f})" for c, m in zip(cells, mine, strict=True)]
            lines.append(f" {unit}   {where}  {cells[0]:<17}{cells[1]}")
        if note:
            lines.append(note)
        self.table_text.set_text("\n".join(lines))


def plot_derivatives(student: Mapping[str, Callable] | None = None, params: Mapping[str, Any] = HANDOUT_PARAMS):
    """A static figure of y(x) and ∂y/∂b2, ∂y/∂w2ᵢ, ∂y/∂b1ᵢ, ∂y/∂w1ᵢ as functions of x (PyTorch
    autograd, solid; the student's functions dashed), kinks and jumps marked, and a table of the
    jumps of ∂y/∂b1ᵢ and ∂y/∂w1ᵢ at each kink.

    Args:
        student: optional ``{"forward": f, "b2": dy_db2, "w2": dy_dw2, "b1": dy_db1,
            "w1": dy_dw1, "kink_jumps": kink_jumps}`` (any subset).
        params: ``w1, b1, w2`` (k,) and ``b2``, by default the notebook's parameters.
    """
    panels = _DerivativeFigure(student, table=True)
    panels.draw(params["w1"], params["b1"], params["w2"], float(params["b2"]))
    return panels.fig


def _jump_table_html(w1, b1, w2, kink_jumps: Callable | None) -> str:
    rows, note = _jump_rows(w1, b1, w2, kink_jumps)
    yours = kink_jumps is not None
    head = "".join(
        f"<th>{h}</th>"
        for h in ("unit", "kink x<sub>i</sub>", "jump of ∂y/∂b1<sub>i</sub>", "jump of ∂y/∂w1<sub>i</sub>")
    )
    body = []
    for unit, at, truth, mine in rows:
        cells = [f"{t:+.3f}" for t in truth]
        if mine is not None:
            cells = [f"{c} &nbsp;(yours {m:+.3f})" for c, m in zip(cells, mine, strict=True)]
        where = "none" if not np.isfinite(at) else f"{at:+.3f}"
        body.append(
            f'<tr style="color:{_HTML_COLORS[unit - 1]}"><td>{unit}</td><td>{where}</td>'
            f"<td>{cells[0]}</td><td>{cells[1]}</td></tr>"
        )
    caption = "Jumps as x increases through each unit's own kink (PyTorch autograd's one-sided limits)"
    if yours:
        caption += "; " + html.escape(note)
    return (
        f'<div style="font-size:90%">{caption}<table style="border-spacing:12px 0">'
        f"<tr>{head}</tr>{''.join(body)}</table></div>"
    )


def derivative_explorer(student: Mapping[str, Callable] | None = None) -> Explorer:
    """Sliders for k (1 to 5 units) and every weight and bias; the figure of
    :func:`plot_derivatives` redrawn for them, and the table of kinks and jumps under it.

    Args:
        student: as in :func:`plot_derivatives`.
    """
    import ipywidgets as widgets

    start = [tuple(float(HANDOUT_PARAMS[n][i]) for n in ("w1", "b1", "w2")) for i in range(2)]
    start += list(_EXTRA_UNITS)
    size = widgets.Layout(width="230px")

    def slider(name: str, value: float, lo: float = -3.0, hi: float = 3.0):
        return widgets.FloatSlider(
            value=value,
            min=lo,
            max=hi,
            step=0.05,
            description=name,
            readout_format=".2f",
            style={"description_width": "34px"},
            layout=size,
        )

    controls: dict[str, Any] = {
        "k": widgets.IntSlider(
            value=2, min=1, max=MAX_UNITS, description="units k", style={"description_width": "50px"}, layout=size
        ),
        "b2": slider("b2", float(HANDOUT_PARAMS["b2"]), -2.0, 2.0),
    }
    for i, values in enumerate(start, 1):
        for name, value in zip(("w1", "b1", "w2"), values, strict=True):
            controls[f"{name}_{i}"] = slider(f"{name}{_sub(i)}", value)
    panels = _DerivativeFigure(student, table=False)
    table = widgets.HTML()

    def update(k: int, b2: float, **sliders: float) -> None:
        w1, b1, w2 = (np.array([sliders[f"{n}_{i}"] for i in range(1, k + 1)]) for n in ("w1", "b1", "w2"))
        panels.draw(w1, b1, w2, b2)
        table.value = _jump_table_html(w1, b1, w2, panels.student.get("kink_jumps"))

    explorer = Explorer(controls, panels.fig, update, title="Derivative explorer")
    hold = {"on": False}
    redraw = explorer.redraw

    def redraw_unless_held() -> None:
        if not hold["on"]:
            redraw()

    explorer.redraw = redraw_unless_held  # a reset moves many sliders: redraw once, at the end

    def reset(_button: Any = None) -> None:
        hold["on"] = True
        try:
            controls["k"].value = 2
            controls["b2"].value = float(HANDOUT_PARAMS["b2"])
            for i, values in enumerate(start, 1):
                for name, value in zip(("w1", "b1", "w2"), values, strict=True):
                    controls[f"{name}_{i}"].value = value
        finally:
            hold["on"] = False
        redraw()

    button = widgets.Button(description="reset to the notebook's values", layout=size)
    button.on_click(reset)
    rows = [
        widgets.HBox(
            [
                widgets.HTML(
                    f'<b style="color:{_HTML_COLORS[i - 1]}">unit {i}</b>', layout=widgets.Layout(width="52px")
                ),
                *(controls[f"{n}_{i}"] for n in ("w1", "b1", "w2")),
            ]
        )
        for i in range(1, MAX_UNITS + 1)
    ]

    def show_units(_change: Any = None) -> None:
        for i, row in enumerate(rows, 1):
            row.layout.display = "" if i <= controls["k"].value else "none"

    controls["k"].observe(show_units, names="value")
    show_units()
    explorer.reset = reset
    explorer.table = table
    explorer.unit_rows = rows
    explorer.widget.children = [
        widgets.HTML(
            "<b>Derivative explorer</b>: y = Σ<sub>i</sub> w2<sub>i</sub>·ReLU(w1<sub>i</sub> x + b1<sub>i</sub>) + b2"
        ),
        widgets.HBox([controls["k"], controls["b2"], button]),
        *rows,
        explorer.image,
        table,
        explorer.status,
    ]
    return explorer


_PARAM_CHOICES = (
    ("b1₁", "b1_1"),
    ("b1₂", "b1_2"),
    ("w1₁", "w1_1"),
    ("w1₂", "w1_2"),
    ("w2₁", "w2_1"),
    ("w2₂", "w2_2"),
    ("b2", "b2"),
)


def _direction(k: int, moves: list[tuple[str, float]]) -> dict[str, Any]:
    """A direction with every key (``w1 b1 w2`` (k,), ``b2``) from moves like ``("w1_2", 0.02)``."""
    out: dict[str, Any] = {n: np.zeros(k) for n in ("w1", "b1", "w2")} | {"b2": 0.0}
    for which, amount in moves:
        if which == "b2":
            out["b2"] += amount
        else:
            name, unit = which.split("_")
            out[name][int(unit) - 1] += amount
    return out


def coupled_motion_explorer(
    directional_derivative: Callable | None = None, params: Mapping[str, Any] = HANDOUT_PARAMS
) -> Explorer:
    """Two parameters that move together (by default b1₁ by 0.01 and w1₂ by 0.02): the synthetic
    feature Σ Δθ·∂y/∂θ(x) they add to y, next to the real change of y after ``t`` such steps.

    Args:
        directional_derivative: optional student function ``(x, params, direction) -> (n,)``,
            drawn dashed beside forward-mode autodiff (``torch.func.jvp``).
        params: the network, k = 2 units (by default the notebook's parameters).

    Panels: y before and after t steps with the first-order prediction y + t·feature; the
    feature by forward-mode autodiff, the student's, and the change of y per step.
    """
    import ipywidgets as widgets

    params = {n: np.array(params[n], dtype=float) for n in ("w1", "b1", "w2")} | {"b2": float(params["b2"])}
    k = params["w1"].size
    choices = [c for c in _PARAM_CHOICES if c[1] == "b2" or int(c[1][-1]) <= k]
    names = {value: label for label, value in choices}
    style = {"description_width": "60px"}

    def amount(value: float):
        return widgets.FloatSlider(
            value=value, min=-0.05, max=0.05, step=0.001, readout_format=".3f", description="moves by", style=style
        )

    controls = {
        "first": widgets.Dropdown(
            options=choices, value="b1_1", description="first", style=style, layout=widgets.Layout(width="150px")
        ),
        "step_first": amount(0.01),
        "second": widgets.Dropdown(
            options=choices, value="w1_2", description="second", style=style, layout=widgets.Layout(width="150px")
        ),
        "step_second": amount(0.02),
        "t": widgets.IntSlider(value=10, min=1, max=60, description="steps t", style=style),
    }
    at = _kinks(params["w1"], params["b1"])
    x, _ = _grid_with_kinks(at)
    y0, _ = autograd_derivatives(x, params["w1"], params["b1"], params["w2"], params["b2"])
    fig, (ax_y, ax_f) = new_figure(12, 4.2, ncols=2)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.13, top=0.84, wspace=0.18)
    ax_y.plot(x, y0, color="0.5", lw=2.5, label="y before")
    (after,) = ax_y.plot(x, y0, color="C1", lw=2.5, alpha=0.7, label="y after t steps")
    (predicted,) = ax_y.plot(x, y0, color="C2", lw=1.4, ls="--", label="y before + t · feature")
    (feature,) = ax_f.plot(x, x, color="k", lw=3, alpha=0.45, label="feature by forward-mode autodiff (jvp)")
    (yours,) = ax_f.plot(x, x, color="C3", lw=1.4, ls="--", label="your directional_derivative")
    (change,) = ax_f.plot(x, x, color="C1", lw=1.4, ls=":", label="(y after − y before) / t")
    for ax in (ax_y, ax_f):
        ax.axhline(0, color="0.85", lw=0.8, zorder=0)
        for i in np.flatnonzero(np.isfinite(at)):
            ax.axvline(at[i], color=COLORS[i], lw=0.9, ls=":")
        ax.set_xlim(*X_RANGE)
        ax.set_xlabel("x")
        ax.legend(loc="upper left", fontsize=8.5)

    def update(first: str, step_first: float, second: str, step_second: float, t: int) -> None:
        direction = _direction(k, [(first, step_first), (second, step_second)])
        moved = {n: params[n] + t * direction[n] for n in params}
        y1, _ = autograd_derivatives(x, moved["w1"], moved["b1"], moved["w2"], moved["b2"])
        jvp = autograd_directional(x, params, direction)
        after.set_ydata(y1)
        predicted.set_data(*_broken(x, y0 + t * jvp))
        feature.set_data(*_broken(x, jvp))
        change.set_ydata((y1 - y0) / t)
        mine, note = _student_values(directional_derivative, x.shape, x, params, direction)
        yours.set_visible(mine is not None)
        if mine is not None:
            yours.set_data(*_broken(x, mine))
        move = f"{names[first]} {step_first:+.3f}, {names[second]} {step_second:+.3f}"
        ax_y.set_title(f"y(x) before and after {t} steps of ({move})", fontsize=10)
        title = f"synthetic feature {step_first:+.3f}·∂y/∂{names[first]} {step_second:+.3f}·∂y/∂{names[second]}"
        if mine is not None:
            title += f"\nyours: max |difference| {np.max(np.abs(mine - jvp)):.1g}"
        elif directional_derivative is not None:
            title += f"\n{note}"
        ax_f.set_title(title, fontsize=10)
        ax_y.set_ylim(*_limits(y0, y1, y0 + t * jvp))
        ax_f.set_ylim(*_limits(jvp, (y1 - y0) / t, mine))

    return Explorer(controls, fig, update, title="Coupled motion: a direction in parameter space")
