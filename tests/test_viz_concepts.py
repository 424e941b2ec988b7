"""The notebook-00 figures draw, and the gradient-flow explorer redraws for every control."""

import io

import numpy as np
import pytest

from coursekit import concepts as c
from coursekit.viz import concepts as v

pytestmark = pytest.mark.nb00


def _pixels(png: bytes) -> np.ndarray:
    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(png), format="png")


def test_gradient_flow_explorer_redraws_on_every_control():
    e = v.gradient_flow_explorer(max_depth=12)
    seen = [_pixels(e.png)]
    for name, value in (
        ("depth", 4),
        ("activation", "tanh"),
        ("init", "positive"),
        ("scale", 2.5),
        ("residual", True),
    ):
        e.controls[name].value = value
        now = _pixels(e.png)
        assert now.shape == seen[-1].shape
        assert np.abs(now - seen[-1]).sum() > 50, f"moving {name} did not change the picture"
        seen.append(now)


def test_explorer_bars_show_the_gradient_sizes():
    e = v.gradient_flow_explorer(max_depth=12)
    e.controls["depth"].value = 8
    ax = e.figure.axes[0]
    heights = [b.get_height() for b in ax.patches if b.get_visible()]
    expected = np.log10(c.gradient_norms("sigmoid", 8)["grad"])
    np.testing.assert_allclose(heights, expected)
    assert "input layer" in ax.get_title()


def test_static_figures_have_their_panels():
    runs = {k: c.symmetry_run(k, steps=5) for k in ("zeros", "random")}
    assert len(v.plot_symmetry(runs).axes) == 4  # two maps, their colour bar, the loss
    assert len(v.plot_dropout(c.dropout_outputs(passes=50), 0.5).axes) == 3
    fig = v.plot_timing({"a": 0.01, "b": 0.001}, 100)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a", "b"]
    net, X, y = c.train_feature_net(hidden=(3, 2), steps=5)
    maps_fig = v.plot_unit_maps(c.unit_maps(net, n=9), X, y)
    assert sum(ax.get_visible() for ax in maps_fig.axes) == 5
    zig = v.plot_zigzag(c.zigzag_paths(steps=5), (1.5, -1.5))
    assert "distance to the target" in zig.axes[0].get_title()
    for f in (fig, maps_fig, zig):
        f.savefig(io.BytesIO(), format="png")
