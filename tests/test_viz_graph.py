"""Tests of coursekit.viz.graph: a drawing of a Var graph, headless."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

from coursekit.autodiff import Var, graph_edges  # noqa: E402
from coursekit.viz.graph import draw_graph, layers, node_text  # noqa: E402

pytestmark = pytest.mark.nb04


def example():
    x, y, z = Var(1.0, "x"), Var(3.0, "y"), Var(2.0, "z")
    f = x.log() + y.exp() * z
    f.label = "f"
    f.backward()
    return f


def test_one_text_per_node_and_one_arrow_per_edge():
    f = example()
    nodes, edges = graph_edges(f)
    fig = draw_graph(f)
    try:
        (ax,) = fig.axes
        texts = [t.get_text() for t in ax.texts]
        assert len(texts) == len(nodes) == 7
        arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
        assert len(arrows) == len(edges) == 6
        joined = "\n".join(texts)
        for piece in ("f = +", "log", "exp", "grad 40.17", "grad 20.09", "value 40.17"):
            assert piece in joined
    finally:
        plt.close(fig)


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
    fig = draw_graph(v)
    try:
        assert len(fig.axes[0].texts) == 1
    finally:
        plt.close(fig)


def test_draws_into_a_given_axes_and_refuses_huge_graphs():
    fig, ax = plt.subplots()
    try:
        assert draw_graph(example(), ax=ax) is fig
        y = Var(1.0)
        for _ in range(100):
            y = y + 1.0
        with pytest.raises(ValueError, match="max_nodes"):
            draw_graph(y, ax=ax)
        with pytest.raises(TypeError, match="Var"):
            draw_graph(1.0)
    finally:
        plt.close(fig)
