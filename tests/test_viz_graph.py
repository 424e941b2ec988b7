"""Tests of coursekit.viz.graph: graph drawings, the graph explorer and the Var-network plot."""

import io

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

from coursekit import autodiff
from coursekit.autodiff import Var, graph_edges
from coursekit.viz.graph import EXPRESSIONS, draw_graph, graph_explorer, layers, node_text, plot_var_mlp

pytestmark = pytest.mark.nb04


def example():
    x, y, z = Var(1.0, "x"), Var(3.0, "y"), Var(2.0, "z")
    f = x.log() + y.exp() * z
    f.label = "f"
    f.backward()
    return f


def _pixels(png: bytes) -> np.ndarray:
    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(png), format="png")


def _figure_pixels(fig) -> np.ndarray:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return _pixels(buf.getvalue())


def test_one_text_per_node_and_one_arrow_per_edge():
    f = example()
    nodes, edges = graph_edges(f)
    fig = draw_graph(f)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == len(nodes) == 7
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == len(edges) == 6
    joined = "\n".join(texts)
    for piece in ("f = +", "log", "exp", "grad 40.17", "grad 20.09", "value 40.17"):
        assert piece in joined


def test_values_and_gradients_can_be_hidden():
    fig = draw_graph(example(), show_value=False, show_grad=False, title="structure only")
    joined = "\n".join(t.get_text() for t in fig.axes[0].texts)
    assert "value" not in joined and "grad" not in joined and "log" in joined
    assert fig.axes[0].get_title() == "structure only"


def test_a_reused_node_gets_two_distinct_arrows():
    x = Var(1.5, "x")
    fig = draw_graph(x * x)
    arrows = [p for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == 2
    assert len({str(a.get_connectionstyle().__dict__) for a in arrows}) == 2  # one of them bends


def test_columns_point_right():
    a = Var(2.0, "a")
    g = (a * a + 1.0).tanh() * a - 3.0
    nodes, edges = graph_edges(g)
    cols = layers(nodes)
    assert all(cols[i] < cols[j] for i, j in edges)
    assert cols[-1] == max(cols)


def test_node_text_and_single_node():
    v = Var(0.5)
    assert node_text(v).splitlines() == ["input", "value 0.5", "grad 0"]
    assert node_text(v, show_value=False).splitlines() == ["input", "grad 0"]
    fig = draw_graph(v)
    assert len(fig.axes[0].texts) == 1


def test_draws_into_a_given_axes_and_refuses_huge_graphs():
    fig = Figure()
    ax = fig.subplots()
    assert draw_graph(example(), ax=ax) is fig
    y = Var(1.0)
    for _ in range(100):
        y = y + 1.0
    with pytest.raises(ValueError, match="max_nodes"):
        draw_graph(y, ax=ax)
    with pytest.raises(TypeError, match="Var"):
        draw_graph(1.0)


# --------------------------------------------------------------------------- the explorer
def test_explorer_redraws_on_every_control():
    e = graph_explorer(Var)
    seen = [_pixels(e.png)]
    for name, value in (("x", 2.5), ("y", -1.0), ("z", 0.5), ("expression", list(EXPRESSIONS)[1]),
                        ("expression", list(EXPRESSIONS)[3])):
        e.controls[name].value = value
        now = _pixels(e.png)
        assert now.shape == seen[-1].shape
        assert np.abs(now - seen[-1]).sum() > 50, f"moving {name} did not change the picture"
        seen.append(now)
    assert "agrees with PyTorch" in e.figure.axes[0].get_title()


def test_explorer_shows_torch_gradients_and_flags_a_wrong_rule():
    e = graph_explorer()  # no student class: PyTorch only
    texts = [t.get_text() for t in e.figure.axes[0].texts]
    assert any("torch" in t for t in texts) and not any("yours" in t for t in texts)
    # at (1, 3, 2): df/dy = 2 e^3
    assert any(t.startswith("y") and "40.17" in t for t in (s.strip() for s in texts))

    def swapped_mul(a, b, out, out_grad):
        return a * out_grad, b * out_grad

    wrong = graph_explorer(Var.with_rules(mul=swapped_mul))
    assert "differs from PyTorch" in wrong.figure.axes[0].get_title()
    edges = {t.get_bbox_patch().get_edgecolor() for t in wrong.figure.axes[0].texts}
    assert len(edges) == 2  # green and red boxes


def test_broken_or_unwritten_rules_do_not_break_the_explorer():
    def unwritten(x, out, out_grad):
        raise NotImplementedError

    def broken(a, b, out, out_grad):
        raise KeyError("oops")

    e = graph_explorer(Var.with_rules(exp=unwritten))
    assert "exp" in e.figure.axes[0].get_title() and "not written yet" in e.figure.axes[0].get_title()
    e2 = graph_explorer(Var.with_rules(mul=broken))
    assert "raised KeyError" in e2.figure.axes[0].get_title()
    assert len(e.png) > 1000 and len(e2.png) > 1000


def test_explorer_runs_when_the_reference_rules_are_missing(monkeypatch):
    """The student build strips the reference rules: the explorer still draws PyTorch's gradients."""

    def stripped(*args):
        raise NotImplementedError("coursekit.autodiff.mul_backward is an exercise")

    monkeypatch.setattr(autodiff.Var, "rules", {**autodiff.Var.rules, "mul": stripped, "add": stripped})
    e = graph_explorer()
    assert len(e.png) > 1000
    e.controls["y"].value = 1.0
    assert "40.17" not in "".join(t.get_text() for t in e.figure.axes[0].texts)


# ------------------------------------------------------------------ a network trained with Var
def test_plot_var_mlp_draws_boundary_and_loss():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    y = np.array([0, 1, 1, 0])
    fig = plot_var_mlp(lambda P: 1 / (1 + np.exp(-(P[:, 0] + P[:, 1] - 1) * 4)), X, y, [0.7, 0.5, 0.4], title="t")
    ax, ax_loss = fig.axes[:2]
    assert ax.get_title() == "t" and len(ax_loss.lines) == 1
    blank = plot_var_mlp(None, X, y)
    assert "not trained" in blank.axes[1].get_title()
    assert np.abs(_figure_pixels(fig)[..., :3].mean() - _figure_pixels(blank)[..., :3].mean()) > 0.01


def test_plot_var_mlp_survives_a_broken_predictor():
    def broken(P):
        raise ValueError("bad")

    fig = plot_var_mlp(broken, np.zeros((3, 2)) + np.arange(3)[:, None], np.array([0, 1, 0]))
    assert "raised ValueError" in fig.axes[0].get_title()
