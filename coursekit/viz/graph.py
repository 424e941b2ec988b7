"""Draw the computation graph of a :class:`coursekit.autodiff.Var` with matplotlib alone.

Inputs sit in the leftmost column; every other node sits one column right of its deepest
parent, so edges always point right. Each node is one box of text: its label and op, its
value and its grad.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coursekit.autodiff import Var, graph_edges

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["layers", "node_text", "draw_graph"]


def layers(nodes: list[Var]) -> list[int]:
    """Column of each node of a topologically ordered list.

    An operation sits one column right of its deepest parent; an input sits one column left
    of its leftmost user, so that its edge is short (an input that is the whole graph sits in
    column 0).
    """
    depth: dict[int, int] = {}
    for node in nodes:
        if node.parents:
            depth[id(node)] = 1 + max(depth.get(id(p), 0) for p in node.parents)
        else:
            depth[id(node)] = 0
    users: dict[int, int] = {}
    for node in nodes:
        for p in node.parents:
            users[id(p)] = min(users.get(id(p), depth[id(node)]), depth[id(node)])
    return [
        depth[id(n)] if n.parents else max(users.get(id(n), 1) - 1, 0) for n in nodes
    ]


def node_text(node: Var, digits: int = 4) -> str:
    """The text of a node's box: ``"label = op"`` (or the one that exists), value and grad."""
    head = " = ".join(part for part in (node.label, node.op) if part) or "input"
    return f"{head}\nvalue {node.value:.{digits}g}\ngrad {node.grad:.{digits}g}"


def _positions(nodes: list[Var], cols: list[int]) -> list[tuple[float, float]]:
    """(column, height) of each node; a column is centred on 0 and ordered by where its
    edges come from (the mean height of its parents, or of its first user's other inputs for
    an input node), which keeps crossings few."""
    index = {id(n): i for i, n in enumerate(nodes)}
    first_user: dict[int, int] = {}
    for j, n in enumerate(nodes):
        for p in n.parents:
            first_user.setdefault(index[id(p)], j)
    pos: list[tuple[float, float]] = [(0.0, 0.0)] * len(nodes)

    def height_of_sources(i: int) -> float:
        parents = nodes[i].parents
        if parents:
            return sum(pos[index[id(p)]][1] for p in parents) / len(parents)
        user = nodes[first_user.get(i, i)]
        placed = [pos[index[id(p)]][1] for p in user.parents if cols[index[id(p)]] < cols[i]]
        return max(placed, default=0.0) - 1e-3 * i

    for c in range(max(cols) + 1):
        column = sorted((i for i, ci in enumerate(cols) if ci == c), key=height_of_sources,
                        reverse=True)
        for r, i in enumerate(column):
            pos[i] = (float(c), (len(column) - 1) / 2 - r)  # first (highest) on top
    return pos


def draw_graph(
    root: Var,
    ax: Axes | None = None,
    max_nodes: int = 150,
    digits: int = 4,
) -> Figure:
    """Draw the graph below ``root`` and return the matplotlib figure.

    Args:
        root: the output node (call ``root.backward()`` first to show gradients).
        ax: an Axes to draw into; a new figure is made when None.
        max_nodes: refuse larger graphs (a drawing of thousands of boxes is unreadable).
        digits: significant digits of values and gradients.

    Returns:
        The Figure holding the drawing: one text artist per node, one arrow per edge.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch

    if not isinstance(root, Var):
        raise TypeError(f"root must be a Var, got {type(root).__name__}")
    nodes, edges = graph_edges(root)
    if len(nodes) > max_nodes:
        raise ValueError(
            f"the graph has {len(nodes)} nodes, more than max_nodes={max_nodes}; "
            "draw a smaller expression or raise max_nodes"
        )
    cols = layers(nodes)
    pos = _positions(nodes, cols)
    n_cols = max(cols) + 1
    tallest = max(cols.count(c) for c in range(n_cols))

    if ax is None:
        fig, ax = plt.subplots(figsize=(2.4 * n_cols + 1, 1.3 * tallest + 1))
    else:
        fig = ax.figure
    for i, j in edges:
        ax.add_patch(
            FancyArrowPatch(
                pos[i], pos[j], arrowstyle="->", mutation_scale=12, color="0.5",
                shrinkA=30, shrinkB=30,
            )
        )
    for node, (x, y) in zip(nodes, pos, strict=True):
        is_root = node is root
        ax.text(
            x,
            y,
            node_text(node, digits),
            ha="center",
            va="center",
            fontsize=8,
            family="monospace",
            bbox={
                "boxstyle": "round,pad=0.4",
                "facecolor": "#fde9c8" if is_root else ("#dbe9f6" if not node.parents else "w"),
                "edgecolor": "0.3",
            },
        )
    ax.set_xlim(-0.7, n_cols - 0.3)
    ax.set_ylim(-tallest / 2 - 0.2, tallest / 2 + 0.2)
    ax.set_axis_off()
    return fig
