"""Figures and an explorer for notebook 14: token graphs, attention patterns, training curves,
scaling fits, and the attention of a trained decoder.

Everything here draws what it is given (arrays, histories, a trained course model); nothing
calls an exercise, so the figures work in the student build of coursekit.
"""

from collections.abc import Mapping, Sequence

import numpy as np
import torch

from coursekit.viz.explorer import Explorer, new_figure


def draw_token_graph(words: Sequence[str], self_loops: bool = False):
    """The complete directed graph over the tokens of a sentence, nodes on a circle.

    Every ordered pair of distinct tokens is an edge (two arrows per pair); with ``self_loops``
    each token also has a loop. The title gives the number of edges.
    """
    from matplotlib.patches import Circle, FancyArrowPatch

    n = len(words)
    fig, (ax,) = new_figure(4.6, 4.4)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.88)
    angle = np.pi / 2 - 2 * np.pi * np.arange(n) / n
    xy = np.stack([np.cos(angle), np.sin(angle)], axis=1)  # (n, 2)
    radius = 0.26
    for j in range(n):
        for i in range(n):
            if i == j:
                continue
            arrow = FancyArrowPatch(xy[j], xy[i], arrowstyle="-|>", mutation_scale=12, lw=1.0,
                                    color="C0", connectionstyle="arc3,rad=0.12",
                                    shrinkA=radius * 100, shrinkB=radius * 100)
            ax.add_patch(arrow)
    for k in range(n):
        if self_loops:
            out = 1.0 + 1.6 * radius
            ax.add_patch(Circle(xy[k] * out, 0.6 * radius, fill=False, color="C2", lw=1.2))
        ax.add_patch(Circle(xy[k], radius, color="white", ec="k", zorder=3))
        ax.text(*xy[k], words[k], ha="center", va="center", fontsize=9, zorder=4)
    ax.set_xlim(-1.75, 1.75)
    ax.set_ylim(-1.75, 1.75)
    ax.set_aspect("equal")
    ax.axis("off")
    edges = n * n if self_loops else n * (n - 1)
    loops = " (green: self-loops)" if self_loops else ""
    ax.set_title(f"{n} tokens, {edges} directed edges{loops}", fontsize=10)
    return fig


def _heatmap(ax, weights: np.ndarray, rows: Sequence[str], cols: Sequence[str], title: str):
    im = ax.imshow(weights, cmap="Blues", vmin=0.0, vmax=1.0)
    for i in range(weights.shape[0]):
        for j in range(weights.shape[1]):
            value = weights[i, j]
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8,
                    color="white" if value > 0.6 else "k")
    ax.set_xticks(range(len(cols)), cols, rotation=30, fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    ax.set_xlabel("key (attended to)", fontsize=8)
    ax.set_ylabel("query (attending)", fontsize=8)
    ax.set_title(title, fontsize=9)
    return im


def plot_attention_patterns(panels: Sequence[tuple[str, np.ndarray, Sequence[str], Sequence[str]]]):
    """Attention weights side by side: one ``(title, weights (T, S), row labels, column labels)``
    per panel; zero weights (masked entries) show as white."""
    fig, axes = new_figure(3.3 * len(panels), 3.4, ncols=len(panels))
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.2, top=0.86, wspace=0.45)
    for ax, (title, weights, rows, cols) in zip(axes, panels, strict=True):
        _heatmap(ax, np.asarray(weights, dtype=float), rows, cols, title)
    return fig


def plot_training(history: Mapping[str, Sequence[float]], baselines: Mapping[str, float] | None = None,
                  title: str = ""):
    """Training curve of ``coursekit.transformer.train_decoder``: each mini-batch's loss (light),
    its running mean, the validation loss after each epoch, and horizontal baselines."""
    batch = np.asarray(history["batch"], dtype=float)
    fig, (ax,) = new_figure(7.5, 3.6)
    fig.subplots_adjust(left=0.1, right=0.75, bottom=0.15, top=0.88)
    steps = np.arange(1, batch.size + 1)
    ax.plot(steps, batch, color="C0", alpha=0.25, lw=0.8, label="mini-batch loss")
    window = max(1, batch.size // 20)
    if batch.size >= window:
        smooth = np.convolve(batch, np.ones(window) / window, mode="valid")
        ax.plot(steps[window - 1:], smooth, color="C0", lw=2, label=f"running mean ({window})")
    valid = np.asarray(history.get("valid", []), dtype=float)
    if valid.size:
        per_epoch = batch.size / max(1, valid.size - 1)
        ax.plot(np.arange(valid.size) * per_epoch, valid, "o:", color="C3", ms=7, label="validation")
    for k, (name, value) in enumerate((baselines or {}).items()):
        ax.axhline(value, color=f"C{k + 4}", ls="--", lw=1.2)
        ax.annotate(f"{name} {value:.2f}", xy=(1.0, value), xycoords=("axes fraction", "data"),
                    xytext=(4, 0), textcoords="offset points", va="center", fontsize=8,
                    color=f"C{k + 4}")
    ax.set_xlabel("training step")
    ax.set_ylabel("cross-entropy (nats per token)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="center right")
    return fig


def _short_count(value: float, _pos=None) -> str:
    for unit, size in (("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:g}{unit}"
    return f"{value:g}"


def plot_scaling(sizes: Sequence[float], losses: Sequence[float], a: float, alpha: float):
    """Validation loss against model size on log-log axes with the fitted ``L = a · N^(-alpha)``."""
    N = np.asarray(sizes, dtype=float)
    L = np.asarray(losses, dtype=float)
    fig, (ax,) = new_figure(5.5, 3.8)
    fig.subplots_adjust(left=0.15, right=0.96, bottom=0.15, top=0.88)
    grid = np.geomspace(N.min() / 1.5, N.max() * 1.5, 50)
    ax.loglog(N, L, "o", color="C0", ms=7, label="trained models")
    ax.loglog(grid, a * grid**-alpha, "--", color="C3", label=f"fit: {a:.3g} · N^(−{alpha:.3f})")
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter

    lo, hi = L.min() / 1.05, L.max() * 1.05
    ax.set_ylim(lo, hi)
    step = next(s for s in (0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0) if (hi - lo) / s <= 6)
    ax.yaxis.set_major_locator(FixedLocator(np.arange(np.ceil(lo / step), np.floor(hi / step) + 1) * step))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.2f}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.xaxis.set_major_locator(LogLocator(base=10.0, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(_short_count))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("parameters N (without embeddings)")
    ax.set_ylabel("validation cross-entropy")
    ax.set_title("loss against model size", fontsize=10)
    ax.legend(fontsize=8)
    return fig


def attention_explorer(model: torch.nn.Module, sequences: np.ndarray, vocab: Sequence[str],
                       top_k: int = 8) -> Explorer:
    """Look inside a trained decoder: each head's attention on a few sequences, and its guess.

    Args:
        model: a trained ``coursekit.transformer.DecoderOnly`` (blocks keep ``last_weights``).
        sequences: int array ``(n, T)`` of token ids to choose from.
        vocab: the words of the token ids.
        top_k: number of next-token candidates shown.
    """
    import ipywidgets as widgets

    sequences = np.asarray(sequences)
    blocks = model.stack.blocks
    n_heads = blocks[0].attn.n_heads
    labels = [" ".join(vocab[t] for t in row) for row in sequences]
    controls = {
        "index": widgets.Dropdown(options=list(zip(labels, range(len(labels)), strict=True)),
                                  value=0, description="sequence"),
        "layer": widgets.IntSlider(value=0, min=0, max=len(blocks) - 1, description="layer"),
        "head": widgets.IntSlider(value=0, min=0, max=n_heads - 1, description="head"),
    }
    T = sequences.shape[1]
    fig, (ax_att, ax_next) = new_figure(9.5, 3.6, ncols=2)
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.2, top=0.86, wspace=0.55)
    im = ax_att.imshow(np.zeros((T, T)), cmap="Blues", vmin=0, vmax=1)
    texts = [[ax_att.text(j, i, "", ha="center", va="center", fontsize=8) for j in range(T)]
             for i in range(T)]
    ax_att.set_xticks(range(T))
    ax_att.set_yticks(range(T))
    ax_att.set_xlabel("key (attended to)", fontsize=8)
    ax_att.set_ylabel("query (attending)", fontsize=8)
    bars = ax_next.barh(np.arange(top_k), np.zeros(top_k), color="C0")
    ax_next.set_yticks(np.arange(top_k), [""] * top_k, fontsize=8)
    ax_next.invert_yaxis()
    ax_next.set_xlim(0, 1)
    ax_next.set_xlabel("probability of the next word", fontsize=8)

    def update(index: int, layer: int, head: int) -> None:
        ids = sequences[index]
        was_training, threads = model.training, torch.get_num_threads()
        model.eval()
        torch.set_num_threads(1)  # a tiny forward pass: extra threads only wait for each other
        try:
            with torch.no_grad():
                logits = model(torch.as_tensor(ids[None], dtype=torch.long))[0, -1].double()
        finally:
            torch.set_num_threads(threads)
            model.train(was_training)
        weights = blocks[layer].attn.last_weights[0, head].double().numpy()  # (T, T)
        im.set_data(weights)
        for i in range(T):
            for j in range(T):
                texts[i][j].set_text(f"{weights[i, j]:.2f}")
                texts[i][j].set_color("white" if weights[i, j] > 0.6 else "k")
        words = [vocab[t] for t in ids]
        ax_att.set_xticks(range(T), words, rotation=30, fontsize=8)
        ax_att.set_yticks(range(T), words, fontsize=8)
        ax_att.set_title(f"layer {layer}, head {head}", fontsize=10)
        p = torch.softmax(logits, -1).numpy()
        best = np.argsort(-p)[:top_k]
        for bar, value in zip(bars, p[best], strict=True):
            bar.set_width(value)
        ax_next.set_xlim(0, min(1.0, 1.15 * float(p[best[0]])))
        ax_next.set_yticks(np.arange(top_k), [vocab[t] for t in best], fontsize=8)
        ax_next.set_title(f"after “{' '.join(words)}”", fontsize=10)

    return Explorer(controls, fig, update, title="Attention of the trained decoder")
