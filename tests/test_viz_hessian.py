"""The notebook-07 figures and explorer: measured and counted costs of the two orders of
Z = v vᵀ y1 y2ᵀ, and the explorer redrawing for every control with or without student formulas."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from coursekit import hessian as hs  # noqa: E402
from coursekit.viz.hessian import chain_order_explorer, measure_orders, plot_order_costs  # noqa: E402
from tests.viz_tools import assert_redraws  # noqa: E402

pytestmark = pytest.mark.nb07


def _formula(order):
    return lambda n, m: tuple(hs.zmatrix_costs(n, m)[order].values())


def test_measure_orders_counts_match_the_closed_forms():
    data = measure_orders([4, 300], [2, 50, 400], rng=0, repeats=1, progress=False)
    assert data["seconds_reverse"].shape == (2, 3)
    for i, n in enumerate(data["ns"]):
        for j, m in enumerate(data["ms"]):
            costs = hs.zmatrix_costs(int(n), int(m))
            for order in ("reverse", "forward"):
                assert data[f"mults_{order}"][i, j] == costs[order]["multiplications"]
                assert data[f"floats_{order}"][i, j] == costs[order]["memory"]
    assert np.all(data["seconds_forward"] > 0) and np.all(data["peak_bytes_reverse"] > 0)
    # tall Z (n = 300, m = 2): the forward order holds the (n, n) matrix
    assert data["peak_bytes_forward"][1, 0] >= 8 * 300 * 300
    assert data["peak_bytes_forward"][1, 0] > 5 * data["peak_bytes_reverse"][1, 0]


def test_cost_figure_has_three_annotated_heat_maps():
    data = measure_orders([8, 64], [8, 64], rng=1, repeats=1, progress=False)
    fig = plot_order_costs(data)
    maps = [ax for ax in fig.axes if ax.images]
    assert len(maps) == 3
    counted = maps[1]
    texts = [t.get_text() for t in counted.texts]
    assert len(texts) == 4
    # n = 64, m = 8: forward / reverse = (2·64² + 512) / (3·512) = 5.67
    assert "5.7" in texts
    assert "counted multiplications" in counted.get_title()


def test_explorer_redraws_on_every_control_and_marks_the_cheaper_order():
    e = chain_order_explorer(_formula("reverse"), _formula("forward"))
    ax_shapes, ax_bars = e.figure.axes
    assert "tall" in ax_bars.get_title() and "reverse order is cheaper" in ax_bars.get_title()
    assert_redraws(e, [("m", 1024), ("n", 8)])
    assert "wide" in ax_bars.get_title() and "forward order is cheaper" in ax_bars.get_title()
    assert "differs" not in ax_bars.get_title()


def test_explorer_reports_wrong_missing_or_broken_formulas():
    def unfinished(n, m):
        raise NotImplementedError

    e = chain_order_explorer(lambda n, m: (1, 2), unfinished)
    title = e.figure.axes[1].get_title()
    assert "your reverse_cost differs from the count" in title
    assert "not written yet" in title
    e = chain_order_explorer(lambda n, m: 1 / 0, None)
    assert "ZeroDivisionError" in e.figure.axes[1].get_title()
    assert len(chain_order_explorer().png) > 1000


def test_explorer_draws_results_to_scale():
    e = chain_order_explorer()
    e.controls["n"].value, e.controls["m"].value = 512, 64
    rects = [p for p in e.figure.axes[0].patches if p.get_fill()]
    areas = [r.get_width() * r.get_height() for r in rects]
    # reverse: Y (n×m), w (1×m), Z (n×m); forward: H (n×n), h (n×1), Z (n×m)
    assert areas[3] == pytest.approx(areas[0] * 512 / 64, rel=1e-9)  # H is n/m times Y
    assert areas[2] == pytest.approx(areas[5], rel=1e-9)  # the output Z in both orders
