"""The notebook-05 figures and explorers: every control changes the picture, kinks and jumps are
marked where they are, and missing or broken student functions never break a plot."""

import io

import numpy as np
import pytest

from coursekit import relu_net as ref
from coursekit.viz.relu_net import coupled_motion_explorer, derivative_explorer, plot_derivatives

pytestmark = pytest.mark.nb05

STUDENT = {
    "forward": ref.forward,
    "b2": ref.dy_db2,
    "w2": ref.dy_dw2,
    "b1": ref.dy_db1,
    "w1": ref.dy_dw1,
    "kink_jumps": ref.kink_jumps,
}


def _pixels(png: bytes) -> np.ndarray:
    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(png), format="png")


def _changed(before: np.ndarray, after: np.ndarray) -> float:
    assert before.shape == after.shape
    return float(np.abs(after - before).sum())


def _panel(fig, title_start: str):
    return next(ax for ax in fig.axes if ax.get_title().startswith(title_start))


def test_derivative_explorer_redraws_for_every_control():
    e = derivative_explorer(STUDENT)
    e.controls["k"].value = 5  # every unit's sliders take part
    seen = _pixels(e.png)
    for name, control in e.controls.items():
        if name == "k":
            continue
        control.value = control.value + (0.4 if control.value < 2.0 else -0.4)
        now = _pixels(e.png)
        assert _changed(seen, now) > 50, f"moving {name} did not change the picture"
        seen = now
    e.controls["k"].value = 3
    assert _changed(seen, _pixels(e.png)) > 50


def test_units_beyond_k_are_hidden_and_reset_restores_the_notebook_values():
    e = derivative_explorer()
    rows = e.unit_rows
    assert [r.layout.display for r in rows] == ["", "", "none", "none", "none"]
    first = _pixels(e.png)
    e.controls["k"].value = 4
    e.controls["b1_1"].value = 1.5
    assert [r.layout.display for r in rows] == ["", "", "", "", "none"]
    e.reset()
    assert e.controls["k"].value == 2 and e.controls["b1_1"].value == -1.0
    assert _changed(first, _pixels(e.png)) == 0.0


def test_kinks_and_jumps_are_marked_where_they_are():
    fig = plot_derivatives()
    ax_b1, ax_w1, ax_w2 = (_panel(fig, t) for t in ("(c)", "(d)", "(b)"))
    kinks = sorted(line.get_xdata()[0] for line in ax_b1.lines if line.get_linestyle() == ":" and line.get_visible())
    assert kinks == pytest.approx([0.5, 1.0])

    def markers(ax, open_: bool):
        return sorted(
            (float(line.get_xdata()[0]), float(line.get_ydata()[0]))
            for line in ax.lines
            if line.get_marker() == "o" and line.get_visible() and (line.get_markerfacecolor() == "white") == open_
        )

    # the value at the kink is the off side (ReLU'(0) = 0), the open circle the limit from the on side
    assert markers(ax_b1, False) == [(0.5, 0.0), (1.0, 0.0)]
    np.testing.assert_allclose(markers(ax_b1, True), [(0.5, 0.5), (1.0, 2.0)], atol=1e-6)
    np.testing.assert_allclose(markers(ax_w1, True), [(0.5, 0.25), (1.0, 2.0)], atol=1e-6)
    assert markers(ax_w2, True) == []  # ∂y/∂w2 is continuous: a kink, no jump
    # the step is drawn without a vertical segment: a NaN separates the two sides
    steps = [line for line in ax_b1.lines if line.get_linewidth() == 3 and line.get_visible()]
    assert len(steps) == 2 and all(np.isnan(line.get_ydata()).sum() == 1 for line in steps)
    table = fig.axes[5].texts[0].get_text()
    assert "+0.500" in table and "+0.250" in table and "+2.000" in table


def test_student_functions_are_compared_with_autograd():
    fig = plot_derivatives(STUDENT)
    for title in ("y(x)", "(a)", "(b)", "(c)", "(d)"):
        assert _panel(fig, title).get_title().endswith("max |difference| 0")

    def one_at_the_kink(x, w1, b1, w2, b2):
        return np.where(np.outer(x, w1) + b1 >= 0, w2, 0.0)

    fig = plot_derivatives({"b1": one_at_the_kink})
    assert _panel(fig, "(c)").get_title().endswith("max |difference| 2")
    assert "kink_jumps" not in fig.axes[5].texts[0].get_text()


def test_missing_or_broken_student_functions_do_not_break_the_plots():
    def unfinished(*args):
        raise NotImplementedError

    def broken(*args):
        raise ValueError("bad")

    def wrong_shape(x, w1, b1, w2, b2):
        return np.ones((len(w1), len(x)))

    student = {"forward": broken, "b1": unfinished, "w1": wrong_shape, "kink_jumps": broken}
    e = derivative_explorer(student)
    fig = e.figure
    assert "raised ValueError: bad" in _panel(fig, "y(x)").get_title()
    assert "not written yet" in _panel(fig, "(c)").get_title()
    assert "returned shape" in _panel(fig, "(d)").get_title()
    assert "raised ValueError" in e.table.value
    e.controls["w1_1"].value = -1.0
    assert len(e.png) > 1000

    c = coupled_motion_explorer(unfinished)
    assert "not written yet" in c.figure.axes[1].get_title()
    assert len(c.png) > 1000


def test_explorers_run_without_student_functions():
    e = derivative_explorer()
    assert len(e.png) > 1000 and "yours" not in e.table.value
    assert all("yours" not in ax.get_title() for ax in e.figure.axes)
    c = coupled_motion_explorer()
    assert len(c.png) > 1000


def test_a_unit_with_w1_zero_has_no_kink():
    e = derivative_explorer()
    e.controls["w1_1"].value = 0.0
    ax_b1 = _panel(e.figure, "(c)")
    kinks = [line.get_xdata()[0] for line in ax_b1.lines if line.get_linestyle() == ":" and line.get_visible()]
    assert kinks == pytest.approx([1.0])
    assert "none" in e.table.value


def test_coupled_motion_explorer_redraws_for_every_control_and_shows_the_feature():
    c = coupled_motion_explorer(ref.directional_derivative)
    ax_f = c.figure.axes[1]
    assert ax_f.get_title().endswith("max |difference| 0")
    feature = ax_f.lines[0]
    x, y = (np.asarray(v, dtype=float) for v in feature.get_data())
    ok = np.isfinite(y)
    expected = 0.005 * (x[ok] > 0.5) + 0.04 * x[ok] * (x[ok] > 1)  # 0.01·∂y/∂b1_1 + 0.02·∂y/∂w1_2
    np.testing.assert_allclose(y[ok], expected, atol=1e-12)
    seen = _pixels(c.png)
    for name, value in (("t", 40), ("step_first", -0.02), ("first", "w2_1"), ("step_second", 0.005), ("second", "b2")):
        c.controls[name].value = value
        now = _pixels(c.png)
        assert _changed(seen, now) > 50, f"moving {name} did not change the picture"
        seen = now


def test_small_coupled_steps_agree_with_the_feature_away_from_kinks():
    c = coupled_motion_explorer()
    c.controls["t"].value = 1
    ax_f = c.figure.axes[1]
    x, feature = (np.asarray(v, dtype=float) for v in ax_f.lines[0].get_data())
    grid, change = (np.asarray(v, dtype=float) for v in ax_f.lines[2].get_data())
    far = np.isfinite(feature) & (np.abs(x - 0.5) > 0.05) & (np.abs(x - 1.0) > 0.05)
    np.testing.assert_allclose(np.interp(x[far], grid, change), feature[far], atol=1e-12)
    # near the kinks one step already moves unit 2's kink: the change per step is not the feature
    assert (
        np.max(np.abs(np.interp(x[~far & np.isfinite(feature)], grid, change) - feature[~far & np.isfinite(feature)]))
        > 1e-3
    )
