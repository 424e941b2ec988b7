"""The notebook-06 figures and explorer: the graph drawing, gradient norms per layer, and the
explorer redrawing for every control with working, broken or missing student code."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from coursekit import backprop as bp  # noqa: E402
from coursekit.viz.backprop import (  # noqa: E402
    BACKWARD_ORDER,
    children,
    draw_multibranch_graph,
    gradient_norm_explorer,
    plot_gradient_norms,
    student_gradient_norms,
)
from tests.viz_tools import assert_redraws  # noqa: E402

pytestmark = pytest.mark.nb06


def test_graph_has_every_variable_and_marks_the_fan_out_nodes():
    fig = draw_multibranch_graph()
    texts = [t.get_text() for t in fig.axes[0].texts]
    for label in (r"$\mathbf{x}$", r"$\mathbf{a}_1$", r"$\mathbf{u}$", r"$\mathbf{c}_2$", r"$\mathcal{J}$", "$t$"):
        assert label in texts, label
    assert sorted(children("x")) == ["a1", "a2", "y"]
    assert sorted(children("a1")) == ["c1", "u"]
    assert all(len(children(n)) <= 1 for n in ("a2", "u", "c1", "c2", "g", "y", "yp", "S"))
    # the backward order visits every node after all the nodes it feeds
    position = {name: i for i, name in enumerate(BACKWARD_ORDER)}
    for node in BACKWARD_ORDER:
        assert all(position[c] < position[node] for c in children(node) if c in position)
    plain = draw_multibranch_graph(show_backward_order=False)
    assert len(plain.axes[0].texts) == len(texts) - len(BACKWARD_ORDER)


def test_student_norms_match_pytorch_and_report_problems():
    mine, why = student_gradient_norms(bp.ffnn_backward, 6, "tanh", 3)
    assert why == ""
    np.testing.assert_allclose(mine, bp.layer_gradient_norms(6, "tanh", 3), rtol=1e-10)

    def unfinished(params, cache, dL_dout):
        raise NotImplementedError

    def short(params, cache, dL_dout):
        return {"W": [np.ones((2, 2))]}

    assert student_gradient_norms(unfinished, 4, "relu")[1].endswith("is not written yet")
    assert "1 weight gradients for 4 layers" in student_gradient_norms(short, 4, "relu")[1]
    assert "(KeyError: 'W')" in student_gradient_norms(lambda p, c, d: {}, 4, "relu")[1]


def test_norm_plot_draws_truth_and_student_lines():
    fig = plot_gradient_norms(bp.ffnn_backward, depths=(3, 6), activations=("sigmoid", "relu"))
    assert len(fig.axes) == 2
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert "3 layers" in labels and "6 layers" in labels and "yours" in labels
    sigmoid = fig.axes[0].lines[2].get_ydata()  # the 6-layer sigmoid network
    assert sigmoid[0] < 1e-2 * sigmoid[-1]  # vanishing towards the input
    broken = plot_gradient_norms(lambda *a: 1 / 0, depths=(3,), activations=("tanh",))
    assert "ZeroDivisionError" in broken._suptitle.get_text()


def test_explorer_redraws_on_every_control():
    e = gradient_norm_explorer(bp.ffnn_backward)
    assert_redraws(e, [("depth", 20), ("activation", "relu"), ("scale", 1.45), ("seed", 3), ("activation", "tanh")])


def test_explorer_shows_vanishing_sigmoid_derivatives():
    e = gradient_norm_explorer()
    e.controls["depth"].value = 12
    ax_norms, ax_derivs = e.figure.axes
    heights = [bar.get_height() for bar in ax_derivs.patches[:11]]
    assert max(heights) <= 0.25 + 1e-12 and min(heights) > 0.15
    assert "e-" in ax_norms.get_title()  # a ratio far below 1


def test_explorer_survives_missing_or_broken_student_code():
    def unfinished(params, cache, dL_dout):
        raise NotImplementedError

    def broken(params, cache, dL_dout):
        raise ValueError("bad")

    for student, note in ((unfinished, "not written yet"), (broken, "raised ValueError: bad")):
        e = gradient_norm_explorer(student)
        assert note in e.figure.axes[0].get_title()
        assert len(e.png) > 1000
        e.controls["depth"].value = 5
        assert note in e.figure.axes[0].get_title()
    assert len(gradient_norm_explorer(None).png) > 1000


def test_redraw_is_fast():
    e = gradient_norm_explorer(bp.ffnn_backward)
    times = []
    for depth in (8, 16, 24, 30):
        e.controls["depth"].value = depth
        times.append(e.last_redraw_ms)
    assert min(times) < 1000  # about 100 ms on an idle laptop; the margin absorbs a busy test machine
