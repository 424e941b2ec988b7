"""Computation graphs of :class:`coursekit.autodiff.Var`, drawn with matplotlib alone (notebook 04).

* ``draw_graph``: a static drawing; inputs in the leftmost column, every other node one column
  right of its deepest parent, so edges always point right. Each node is a box with its label
  and operation, its value and (optionally) its gradient.
* ``graph_explorer``: sliders move the inputs of a small expression; every node shows its value,
  the gradient your ``Var`` class computes and PyTorch autograd's, boxed red where they differ.
* ``plot_var_mlp``: the decision boundary and loss curve of a network trained with ``Var``.

The truth is always PyTorch: the graph is rebuilt in torch from the nodes' operations
(``coursekit.autodiff.torch_values_and_grads``), so everything here works in the student build.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from coursekit.autodiff import Var, explain_failure, graph_edges, torch_values_and_grads
from coursekit.viz.explorer import Explorer, new_figure

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

__all__ = ["EXPRESSIONS", "draw_graph", "graph_explorer", "layers", "node_text", "plot_var_mlp"]

_INPUT, _ROOT, _PLAIN = "#dbe9f6", "#fde9c8", "w"


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


def _head(node: Var) -> str:
    return " = ".join(part for part in (node.label, node.op) if part) or "input"


def node_text(node: Var, digits: int = 4, *, show_value: bool = True, show_grad: bool = True) -> str:
    """The text of a node's box: ``"label = op"`` (or the one that exists), value and grad."""
    lines = [_head(node)]
    if show_value:
        lines.append(f"value {node.value:.{digits}g}")
    if show_grad:
        lines.append(f"grad {node.grad:.{digits}g}")
    return "\n".join(lines)


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


def _draw_boxes(ax: Axes, root: Var, nodes: list[Var], edges: list[tuple[int, int]],
                texts: Sequence[str], fontsize: float = 9.5) -> list[Text]:
    """One text box per node and one arrow per edge on ``ax``; returns the text artists (node
    order). Arrows are clipped to the boxes' outlines, and a repeated edge (``x * x``) bends."""
    from matplotlib.patches import FancyArrowPatch

    cols = layers(nodes)
    pos = _positions(nodes, cols)
    n_cols = max(cols) + 1
    tallest = max(cols.count(c) for c in range(n_cols))
    artists = []
    for node, (x, y), text in zip(nodes, pos, texts, strict=True):
        colour = _ROOT if node is root else (_INPUT if not node.parents else _PLAIN)
        artists.append(ax.text(
            x, y, text, ha="center", va="center", fontsize=fontsize, family="monospace",
            bbox={"boxstyle": "round,pad=0.4", "facecolor": colour, "edgecolor": "0.3"},
        ))
    seen: dict[tuple[int, int], int] = {}
    for i, j in edges:
        repeat = seen.get((i, j), 0)
        seen[(i, j)] = repeat + 1
        rad = 0.0 if repeat == 0 else 0.25 * (-1) ** repeat * ((repeat + 1) // 2)
        ax.add_patch(
            FancyArrowPatch(
                pos[i], pos[j], arrowstyle="-|>", mutation_scale=11, color="0.45", lw=1.1,
                patchA=artists[i].get_bbox_patch(), patchB=artists[j].get_bbox_patch(),
                shrinkA=1, shrinkB=1, connectionstyle=f"arc3,rad={rad}", zorder=2,
            )
        )
    ax.set_xlim(-0.7, n_cols - 0.3)
    ax.set_ylim(-tallest / 2 - 0.1, tallest / 2 + 0.1)
    ax.set_axis_off()
    ax.figure.draw_without_rendering()  # sizes the boxes, so that the arrows end at their outlines
    return artists


def draw_graph(
    root: Var,
    ax: Axes | None = None,
    max_nodes: int = 150,
    digits: int = 4,
    *,
    show_value: bool = True,
    show_grad: bool = True,
    title: str = "",
) -> Figure:
    """Draw the graph below ``root`` and return the matplotlib figure.

    Args:
        root: the output node (call ``root.backward()`` first to show gradients).
        ax: an Axes to draw into; a new figure is made when None.
        max_nodes: refuse larger graphs (a drawing of thousands of boxes is unreadable).
        digits: significant digits of values and gradients.
        show_value: print each node's ``value``.
        show_grad: print each node's ``grad``.
        title: a title above the drawing.

    Returns:
        The Figure holding the drawing: one text artist per node, one arrow per edge.
    """
    if not isinstance(root, Var):
        raise TypeError(f"root must be a Var, got {type(root).__name__}")
    nodes, edges = graph_edges(root)
    if len(nodes) > max_nodes:
        raise ValueError(
            f"the graph has {len(nodes)} nodes, more than max_nodes={max_nodes}; "
            "draw a smaller expression or raise max_nodes"
        )
    if ax is None:
        cols = layers(nodes)
        n_cols = max(cols) + 1
        tallest = max(cols.count(c) for c in range(n_cols))
        per_column = 2.1 if show_value or show_grad else 1.35  # inches; name-only boxes are narrow
        fig, (ax,) = new_figure(per_column * n_cols + 0.6, (1.1 if show_value or show_grad else 0.8) * tallest + 0.9)
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.9 if title else 0.98)
    else:
        fig = ax.figure
    texts = [node_text(n, digits, show_value=show_value, show_grad=show_grad) for n in nodes]
    _draw_boxes(ax, root, nodes, edges, texts)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


# ------------------------------------------------------------------------ the explorer
def _ln_exp(x, y, z):
    return x.log().named("h1") + (y.exp().named("h2") * z).named("h3")


def _shared(x, y, z):
    return (x * y).named("c") + (x * z).named("e")


def _neuron(x, y, z):
    return (x * y + z).sigmoid()


def _relu_gate(x, y, z):
    return z * (y - x).relu()


EXPRESSIONS: dict[str, Callable[[Var, Var, Var], Var]] = {
    "f = ln x + exp(y)·z": _ln_exp,
    "f = x·y + x·z  (x used twice)": _shared,
    "f = σ(x·y + z)  (one neuron)": _neuron,
    "f = z·relu(y − x)  (no gradient when y < x)": _relu_gate,
}


def _build(expression: Callable, var_class: type[Var], values: Sequence[float]) -> Var:
    x, y, z = (var_class(float(v), name) for v, name in zip(values, "xyz", strict=True))
    f = expression(x, y, z)
    f.label = f.label or "f"
    return f


_WIDTH = 16  # characters per line of an explorer box: fixed, so boxes do not change size


def _row(name: str, value: float) -> str:
    return f"{name:<6}{value:>10.4g}"[:_WIDTH].ljust(_WIDTH)


def graph_explorer(
    var_class: type[Var] | None = None,
    expressions: Mapping[str, Callable[[Var, Var, Var], Var]] | None = None,
) -> Explorer:
    """Move x, y, z and watch every node's value and gradient, yours beside PyTorch's.

    Args:
        var_class: your ``Var`` class (e.g. ``Var.with_rules(...)``); without it only PyTorch's
            gradients are shown. A rule that raises or is wrong is reported, never fatal.
        expressions: name -> function of three ``Var`` inputs (defaults: ``EXPRESSIONS``).
    """
    import ipywidgets as widgets

    exprs = dict(expressions or EXPRESSIONS)
    controls = {
        "expression": widgets.Dropdown(options=list(exprs), value=next(iter(exprs)), description="graph",
                                       layout=widgets.Layout(width="340px")),
        "x": widgets.FloatSlider(value=1.0, min=0.1, max=4.0, step=0.05, description="x"),
        "y": widgets.FloatSlider(value=3.0, min=-3.0, max=3.0, step=0.05, description="y"),
        "z": widgets.FloatSlider(value=2.0, min=-3.0, max=3.0, step=0.05, description="z"),
    }
    fig, (ax,) = new_figure(10, 4.2)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.88)
    state: dict[str, object] = {"expression": None, "artists": []}

    def update(expression: str, x: float, y: float, z: float) -> None:
        values = (x, y, z)
        root = _build(exprs[expression], Var, values)  # forward only: works in any build
        nodes, edges = graph_edges(root)
        if state["expression"] != expression:  # a new structure: lay it out once
            ax.clear()
            blank = "\n".join([" " * _WIDTH] * (3 if var_class is None else 4))  # boxes keep this size
            state["artists"] = _draw_boxes(ax, root, nodes, edges, [blank for _ in nodes])
            state["expression"] = expression
        truth_values, truth = torch_values_and_grads(root)
        mine, note = None, ""
        if var_class is not None:
            try:
                mine_root = _build(exprs[expression], var_class, values)
                mine_root.backward()
                mine = [n.grad for n in graph_edges(mine_root)[0]]
                if len(mine) != len(nodes):
                    mine, note = None, "your Var built a different graph"
            except Exception as exc:  # an unwritten or broken rule: report it, keep drawing
                note = f"your Var: {explain_failure(exc)}"
        wrong = 0
        for k, (artist, node) in enumerate(zip(state["artists"], nodes, strict=True)):
            lines = [_head(node).center(_WIDTH), _row("value", truth_values[k]), _row("torch", truth[k])]
            edge = "0.3"
            if mine is not None:
                lines.append(_row("yours", mine[k]))
                ok = abs(mine[k] - truth[k]) <= 1e-9 + 1e-7 * abs(truth[k])
                edge = "tab:green" if ok else "tab:red"
                wrong += not ok
            artist.set_text("\n".join(lines))
            artist.get_bbox_patch().set_edgecolor(edge)
            artist.get_bbox_patch().set_linewidth(1.0 if edge == "0.3" else 2.0)
        if mine is not None:
            note = ("your Var agrees with PyTorch on every node" if not wrong
                    else f"your Var differs from PyTorch on {wrong} node(s) (red)")
        head = f"{expression} at x = {x:.2f}, y = {y:.2f}, z = {z:.2f}:  f = {truth_values[-1]:.4g}"
        ax.set_title(head + (f"\n{note}" if note else "\n(gradients ∂f/∂node by PyTorch autograd)"),
                     fontsize=10, color="tab:red" if wrong or "raised" in note else "black")

    return Explorer(controls, fig, update, title="Computation-graph explorer: values and gradients")


# ---------------------------------------------------------------- a network trained with Var
def plot_var_mlp(
    predict_proba: Callable[[np.ndarray], np.ndarray] | None,
    X: np.ndarray,
    y: np.ndarray,
    history: Sequence[float] | None = None,
    *,
    title: str = "",
    resolution: int = 120,
) -> Figure:
    """P(class 1) over the plane with the 0.5 contour and the points (left), the loss per epoch
    (right). ``predict_proba`` maps (M, 2) points to (M,) probabilities; None draws the points
    only (for a network that could not be trained)."""
    from coursekit.viz.explorer import safe_call

    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    fig, (ax, ax_loss) = new_figure(10, 4.2, ncols=2, gridspec_kw={"width_ratios": [1.25, 1]})
    fig.subplots_adjust(left=0.06, right=0.97, bottom=0.13, top=0.88, wspace=0.25)
    pad = 0.15 * (X.max(axis=0) - X.min(axis=0)) + 1e-3
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xs, ys = np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    prob, note = safe_call(predict_proba, np.stack([gx.ravel(), gy.ravel()], axis=1))
    if prob is not None and prob.size == gx.size:
        prob = prob.reshape(gx.shape)
        filled = ax.contourf(xs, ys, prob, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.55)
        if prob.min() < 0.5 < prob.max():
            ax.contour(xs, ys, prob, levels=[0.5], colors="k", linewidths=1.5)
        fig.colorbar(filled, ax=ax, label="P(class 1)", shrink=0.9)
    for label, colour in ((0, "tab:blue"), (1, "tab:red")):
        mask = y == label
        ax.scatter(X[mask, 0], X[mask, 1], s=14, c=colour, edgecolors="k", linewidths=0.3,
                   label=f"class {label}")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title(title or ("decision boundary" if not note else note), fontsize=10)
    if history:
        ax_loss.plot(np.arange(1, len(history) + 1), history, marker="." if len(history) < 30 else "",
                     color="C2")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("mean BCE loss")
    ax_loss.set_title("training loss" if history else "training loss (not trained)", fontsize=10)
    ax_loss.grid(alpha=0.3)
    return fig
