"""Figures and an explorer for notebook 07: what the order of the products in Z = v vᵀ y1 y2ᵀ costs.

Costs are counted by walking the shapes of the products each order performs
(:func:`coursekit.hessian.chain_steps`: a (p, q) @ (q, r) product costs p·q·r multiplications
and stores p·r floats), times and peak memory are measured (:func:`coursekit.hessian.time_orders`).
A student's own cost formulas, when given, are drawn beside the counts.
"""

from collections.abc import Callable

import numpy as np

from coursekit.hessian import chain_cost, chain_steps, time_orders
from coursekit.viz.explorer import Explorer, new_figure, safe_call

ORDERS = ("reverse", "forward")
ORDER_COLORS = {"reverse": "C0", "forward": "C1"}


def measure_orders(
    ns, ms, rng: np.random.Generator | int = 0, repeats: int = 3, progress: bool = True
) -> dict[str, np.ndarray]:
    """Time, peak memory and counted costs of both orders on every (n, m) of a grid.

    Returns:
        dict with ``ns``, ``ms`` and, for each order o, ``seconds_o``, ``peak_bytes_o`` (measured)
        and ``mults_o``, ``floats_o`` (counted), each an array (len(ns), len(ms)).
    """
    ns, ms = [int(n) for n in ns], [int(m) for m in ms]
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    out: dict[str, np.ndarray] = {"ns": np.array(ns), "ms": np.array(ms)}
    for order in ORDERS:
        for key in ("seconds", "peak_bytes", "mults", "floats"):
            out[f"{key}_{order}"] = np.zeros((len(ns), len(ms)))
    cells = [(i, j) for i in range(len(ns)) for j in range(len(ms))]
    if progress:
        from tqdm.auto import tqdm

        cells = tqdm(cells, desc="timing both orders", leave=False)
    for i, j in cells:
        result = time_orders(ns[i], ms[j], gen, repeats=repeats)
        for order in ORDERS:
            out[f"seconds_{order}"][i, j] = result[order]["seconds"]
            out[f"peak_bytes_{order}"][i, j] = result[order]["peak_bytes"]
            mults, floats = chain_cost(ns[i], ms[j], order)
            out[f"mults_{order}"][i, j] = mults
            out[f"floats_{order}"][i, j] = floats
    return out


def plot_order_costs(data: dict[str, np.ndarray]):
    """Three heat maps over the (n, m) grid of ``measure_orders``: forward / reverse for the
    measured time, the counted multiplications and the measured peak memory.

    Blue cells: forward is cheaper (ratio < 1); red: reverse is cheaper. The dashed line is n = m.
    """
    from matplotlib.colors import TwoSlopeNorm

    ns, ms = data["ns"], data["ms"]
    panels = [
        ("measured time", data["seconds_forward"] / data["seconds_reverse"]),
        ("counted multiplications", data["mults_forward"] / data["mults_reverse"]),
        ("measured peak memory", data["peak_bytes_forward"] / np.maximum(data["peak_bytes_reverse"], 1)),
    ]
    fig, axes = new_figure(13.5, 4.6, ncols=3)
    fig.subplots_adjust(left=0.06, right=0.93, bottom=0.14, top=0.8, wspace=0.28)
    logs = [np.log2(np.maximum(r, 1e-12)) for _, r in panels]
    bound = max(1.0, max(float(np.nanmax(np.abs(v))) for v in logs))
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-bound, vmax=bound)
    image = None
    for ax, (title, ratio), lg in zip(axes, panels, logs, strict=True):
        image = ax.imshow(lg, cmap="RdBu_r", norm=norm, origin="lower", aspect="auto")
        for i in range(len(ns)):
            for j in range(len(ms)):
                ax.text(j, i, _ratio_text(ratio[i, j]), ha="center", va="center", fontsize=8.5,
                        color="white" if abs(lg[i, j]) > 0.6 * bound else "black")
        ax.plot([-0.5, len(ms) - 0.5], [-0.5, len(ns) - 0.5], "k--", lw=1)
        ax.set_xticks(range(len(ms)), [str(m) for m in ms])
        ax.set_yticks(range(len(ns)), [str(n) for n in ns])
        ax.set_xlabel("m (columns of Z): wider →")
        ax.set_title(f"{title}\nforward / reverse", fontsize=10.5)
    axes[0].set_ylabel("n (rows of Z): taller →")
    cbar = fig.colorbar(image, ax=list(axes), fraction=0.025, pad=0.02)
    ticks = np.arange(-np.floor(bound), np.floor(bound) + 1, max(1, int(bound // 4)))
    cbar.set_ticks(ticks, labels=[_ratio_text(2.0**t) for t in ticks])
    cbar.set_label("forward / reverse (blue: forward cheaper)")
    fig.suptitle("Z = v vᵀ y1 y2ᵀ: where each order wins (top left of the dashed line n = m: tall Z; "
                 "bottom right: wide Z)", fontsize=11.5)
    return fig


def _ratio_text(r: float) -> str:
    if not np.isfinite(r):
        return "–"
    if r >= 10:
        return f"{r:.0f}"
    if r >= 0.1:
        return f"{r:.2g}"
    return f"{r:.1g}"


def chain_order_explorer(
    reverse_cost: Callable | None = None, forward_cost: Callable | None = None
) -> Explorer:
    """Choose n and m; see the intermediate results of both orders drawn to scale, and what they cost.

    Left: every product's result as a rectangle of n-by-m proportions (area = floats stored),
    reverse order on top, forward below. Right: multiplications and floats stored of each order,
    counted from the shapes, with the values of the student's ``reverse_cost(n, m)`` and
    ``forward_cost(n, m)`` (each returning ``(multiplications, memory)``) marked when given.
    """
    import ipywidgets as widgets
    from matplotlib.patches import Rectangle

    sizes = [2**k for k in range(1, 13)]
    controls = {
        "n": widgets.SelectionSlider(options=sizes, value=256, description="n"),
        "m": widgets.SelectionSlider(options=sizes, value=16, description="m"),
    }
    fig, (ax_r, ax_b) = new_figure(12.5, 4.6, ncols=2, gridspec_kw={"width_ratios": [1.25, 1]})
    fig.subplots_adjust(left=0.01, right=0.98, bottom=0.12, top=0.88, wspace=0.12)
    ax_r.set_xlim(-0.35, 3.0)
    ax_r.set_ylim(-0.36, 2.62)
    ax_r.set_axis_off()
    ax_r.set_aspect("equal")
    fig.text(0.02, 0.03, "Each product's result drawn to scale: area = floats stored.", fontsize=9, color="0.3")
    rects, labels, heads = {}, {}, {}
    for row, order in enumerate(ORDERS):
        base = 1.55 * (1 - row)
        heads[order] = ax_r.text(-0.3, base + 1.02, "", fontsize=9.5, color=ORDER_COLORS[order],
                                 weight="bold", va="bottom")
        for k in range(3):
            slot = (k, base)
            ax_r.add_patch(Rectangle(slot, 0.92, 0.92, fill=False, ls=":", ec="0.75"))
            rect = Rectangle(slot, 0.5, 0.5, color=ORDER_COLORS[order], alpha=0.8)
            ax_r.add_patch(rect)
            rects[order, k] = rect
            labels[order, k] = ax_r.text(k + 0.46, base - 0.02, "", ha="center", va="top", fontsize=8.5)
    x = np.arange(2)
    bar_sets = {}
    for i, order in enumerate(ORDERS):
        bar_sets[order] = ax_b.bar(x + (i - 0.5) * 0.38, [1, 1], width=0.36, color=ORDER_COLORS[order],
                                   label=f"{order} (counted)")
    (mine_r,) = ax_b.plot(x - 0.19, [1, 1], "kx", ms=9, mew=2, label="your formulas")
    (mine_f,) = ax_b.plot(x + 0.19, [1, 1], "kx", ms=9, mew=2)
    ax_b.set_yscale("log")
    ax_b.set_xticks(x, ["multiplications", "floats stored"])
    ax_b.legend(fontsize=8, loc="upper left")
    ax_b.grid(True, axis="y", alpha=0.3)

    def update(n: int, m: int) -> None:
        scale = max(n, m)
        counts = {}
        for row, order in enumerate(ORDERS):
            base = 1.55 * (1 - row)
            for k, (name, left, right) in enumerate(chain_steps(n, m, order)):
                rows, cols = left[0], right[1]
                w, h = max(0.92 * cols / scale, 0.012), max(0.92 * rows / scale, 0.012)
                rect = rects[order, k]
                rect.set_bounds(k + 0.46 - w / 2, base + 0.46 - h / 2, w, h)
                labels[order, k].set_text(f"{name}\n({rows} × {cols})")
            counts[order] = chain_cost(n, m, order)
            heads[order].set_text(f"{order}: {counts[order][0]:,} multiplications, "
                                  f"{counts[order][1]:,} floats")
        top, bottom = 1.0, np.inf
        notes = []
        for order, mark, student in (("reverse", mine_r, reverse_cost), ("forward", mine_f, forward_cost)):
            for bar, value in zip(bar_sets[order], counts[order], strict=True):
                bar.set_height(value)
                top, bottom = max(top, value), min(bottom, value)
            yours, why = safe_call(student, n, m)
            ok = yours is not None and yours.shape == (2,)
            mark.set_visible(ok)
            if ok:
                mark.set_ydata(np.maximum(yours, 0.5))
                top = max(top, float(np.max(yours)))
                bottom = min(bottom, max(float(np.min(yours)), 0.5))
                if not np.array_equal(yours, np.array(counts[order], dtype=float)):
                    notes.append(f"your {order}_cost differs from the count")
            elif why:
                notes.append(why)
            elif yours is not None:
                notes.append(f"{order}_cost should return (multiplications, memory)")
        ax_b.set_ylim(max(bottom / 30, 0.3), top * 80)
        winner = "forward" if counts["forward"][0] < counts["reverse"][0] else (
            "reverse" if counts["reverse"][0] < counts["forward"][0] else "neither")
        shape = "wide" if m > n else ("tall" if n > m else "square")
        ax_b.set_title(f"Z is {n} × {m} ({shape}): {winner} order is cheaper"
                       + (f"\n({'; '.join(notes[:2])})" if notes else ""), fontsize=10)

    return Explorer(controls, fig, update, title="Z = v vᵀ y1 y2ᵀ: two orders of the same chain")
