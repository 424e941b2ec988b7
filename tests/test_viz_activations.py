"""The notebook-02 explorers redraw when a control moves, with or without working student code."""

import numpy as np
import pytest

from coursekit import activations as act
from coursekit.viz.activations import (
    activation_explorer,
    plot_activations,
    softmax_jacobian_explorer,
)

pytestmark = pytest.mark.nb02


def _pixels(png: bytes) -> np.ndarray:
    import io

    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(png), format="png")


def test_activation_explorer_redraws_on_every_control():
    e = activation_explorer({"sigmoid": (act.sigmoid, act.sigmoid_grad)})
    seen = [_pixels(e.png)]
    for name, value in (("depth", 6), ("name", "relu"), ("name", "softmax"), ("temperature", 3.0)):
        e.controls[name].value = value
        now = _pixels(e.png)
        assert now.shape == seen[-1].shape
        assert np.abs(now - seen[-1]).sum() > 50, f"moving {name} did not change the picture"
        seen.append(now)


def test_depth_panel_shows_vanishing_sigmoid_gradient():
    e = activation_explorer()
    e.controls["depth"].value = 10
    ax = e.figure.axes[2]
    peak = max(np.max(line.get_ydata()) for line in ax.lines if line.get_visible())
    assert peak <= 0.25**10 * 1.0001


def test_broken_or_missing_student_functions_do_not_break_the_plot():
    def broken(z):
        raise ValueError("bad")

    def unfinished(z):
        raise NotImplementedError

    e = activation_explorer({"sigmoid": (broken, unfinished)})
    assert "raised ValueError: bad" in e.figure.axes[0].get_title()
    assert "not written yet" in e.figure.axes[1].get_title()
    assert len(e.png) > 1000


def test_softmax_jacobian_explorer_compares_student_with_autograd():
    e = softmax_jacobian_explorer(act.softmax_jacobian)
    before = _pixels(e.png)
    e.controls["z1"].value = 4.0
    assert np.abs(_pixels(e.png) - before).sum() > 50
    assert "max |yours − autograd| = " in e.figure.axes[2].get_title()
    assert float(e.figure.axes[2].get_title().split("= ")[-1]) < 1e-12

    wrong = softmax_jacobian_explorer(lambda z: -act.softmax_jacobian(z))
    assert float(wrong.figure.axes[2].get_title().split("= ")[-1]) > 0.01


def test_static_activation_plot_has_three_panels():
    fig = plot_activations({"relu": (act.relu, act.relu_grad)})
    assert len(fig.axes) == 3
    assert any(line.get_label() == "yours" for line in fig.axes[2].lines)
