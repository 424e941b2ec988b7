"""The optimiser explorer of notebook 11 redraws for every control, with or without student runs."""

import io
import time

import numpy as np
import pytest

from coursekit.optimizers import adam_step, fit, fit_with_step, init_params, momentum_step, target_data
from coursekit.viz.optimizers import optimizer_explorer, plot_loss_curves

pytestmark = pytest.mark.nb11


def _pixels(png: bytes) -> np.ndarray:
    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(png), format="png")


@pytest.fixture(scope="module")
def setting():
    x, y = target_data(30)
    start = init_params(8, seed=0)
    runs = {name: fit(name, x, y, start, lr=lr, epochs=60, every=6)
            for name, lr in (("sgd", 0.05), ("momentum", 0.05), ("adam", 0.02))}  # fmt: skip
    return x, y, start, runs


def test_every_control_changes_the_picture(setting):
    x, y, start, runs = setting
    mine = dict(runs)
    mine["your adam"] = fit_with_step("adam", adam_step, x, y, start, lr=0.02, epochs=60, every=6)
    e = optimizer_explorer(mine, x, y)
    seen = [_pixels(e.png)]
    for name, value in (("epoch", 48), ("epoch", 6), ("show", "momentum"), ("show", "all"), ("kinks", False)):
        e.controls[name].value = value
        now = _pixels(e.png)
        assert now.shape == seen[-1].shape
        assert np.abs(now - seen[-1]).sum() > 50, f"moving {name} to {value!r} did not change the picture"
        seen.append(now)
    assert e.controls["epoch"].max == 60 and e.controls["epoch"].step == 6


def test_curves_show_the_snapshot_of_the_chosen_epoch(setting):
    x, y, _, runs = setting
    e = optimizer_explorer(runs, x, y)
    e.controls["epoch"].value = 30
    ax_f = e.figure.axes[0]
    curves = [line for line in ax_f.lines if line.get_label().startswith("adam")]
    np.testing.assert_allclose(curves[0].get_ydata(), runs["adam"].predictions[5])
    assert "after 30 epochs" in ax_f.get_title()
    e.controls["show"].value = "sgd"
    visible = [line.get_label() for line in ax_f.lines if line.get_visible()]
    assert visible == ["sgd (lr 0.05)"]


def test_missing_or_broken_student_rules_do_not_break_it(setting):
    x, y, start, runs = setting

    def unfinished(*args):
        raise NotImplementedError

    def broken(theta, grad, velocity, lr, mu=0.9):
        raise KeyError("oops")

    mine = dict(runs)
    mine["your adam"] = fit_with_step("adam", unfinished, x, y, start, lr=0.02, epochs=60, every=6)
    mine["your momentum"] = fit_with_step("momentum", broken, x, y, start, lr=0.05, epochs=60, every=6)
    e = optimizer_explorer(mine, x, y)
    note = " ".join(t.get_text() for t in e.figure.texts)
    assert "not written yet" in note and "KeyError" in note
    e.controls["epoch"].value = 42
    assert len(e.png) > 1000
    fig = plot_loss_curves(mine)
    assert "not written yet" in fig.axes[0].get_title()


def test_redraw_is_quick(setting):
    x, y, _, runs = setting
    e = optimizer_explorer(runs, x, y)
    times = []
    for epoch in (12, 24, 36, 48):
        start = time.perf_counter()
        e.controls["epoch"].value = epoch
        times.append(time.perf_counter() - start)
    assert np.median(times) < 1.0  # ~50-100 ms on an idle laptop; generous for a busy machine
    assert e.last_redraw_ms > 0


def test_loss_curve_figure(setting):
    x, y, start, runs = setting
    mine = dict(runs)
    mine["your momentum"] = fit_with_step("momentum", momentum_step, x, y, start, lr=0.05, epochs=60, every=6)
    fig = plot_loss_curves(mine, title="t")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and len(ax.lines) == 4
    np.testing.assert_allclose(ax.lines[3].get_ydata(), ax.lines[1].get_ydata(), rtol=1e-9)
    with pytest.raises(ValueError, match="empty"):
        plot_loss_curves({})
