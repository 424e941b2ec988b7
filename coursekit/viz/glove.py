"""Figures and an explorer for notebook 08 (GloVe).

``plot_loss_curves`` draws training runs, ``plot_dimension_sweep`` the final losses against the
embedding size d, and ``cooccurrence_explorer`` one word's row (or column) of the log
co-occurrence matrix beside what the trained models predict for it. They draw data and
trained parameters only, so they work the same in the student build.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from coursekit.viz.explorer import Explorer, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from coursekit.glove import GloveParams

_COLORS = ("C0", "C3", "C2", "C1", "C4")
_MARKERS = ("o", "D", "s", "^", "v")


def plot_loss_curves(histories: Mapping[str, Mapping[str, np.ndarray]], title: str = "") -> Figure:
    """Loss per epoch of several runs: training solid, validation dashed, one colour per run.

    Args:
        histories: label -> the history dict of :func:`coursekit.glove.train_momentum`
            (``"train"`` and, optionally, ``"valid"``: (epochs,) losses).
    """
    if not histories:
        raise ValueError("histories is empty: pass at least one run")
    fig, (ax,) = new_figure(8, 4)
    fig.subplots_adjust(left=0.11, right=0.97, bottom=0.13, top=0.9)
    for k, (label, history) in enumerate(histories.items()):
        color = _COLORS[k % len(_COLORS)]
        train = np.asarray(history["train"], dtype=float)
        epochs = np.arange(1, train.size + 1)
        ax.plot(epochs, train, color=color, lw=2, label=f"{label}: training")
        if "valid" in history:
            ax.plot(epochs, np.asarray(history["valid"], dtype=float), color=color, ls="--",
                    lw=1.5, label=f"{label}: validation")
    ax.set_yscale("log")
    ax.set_xlabel("epoch (one full-batch step)")
    ax.set_ylabel("loss L (log scale)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9)
    ax.set_title(title or "GloVe loss during training")
    return fig


def plot_dimension_sweep(
    dims: Sequence[int],
    results: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    floor: float | None = None,
) -> Figure:
    """Final losses against the embedding size d, one line per model, three panels.

    Args:
        dims: the embedding sizes d, increasing.
        results: model label -> {"train": [...], "valid": [...], "valid_matched": [...]}, one
            value per d (the last key is optional: the validation loss with the validation
            counts scaled to the training split's size).
        floor: a horizontal line on the training panel (the tied model's lower bound).
    """
    panels = [("train", "training loss"), ("valid", "validation loss (raw counts)"),
              ("valid_matched", "validation loss (counts scaled ×k)")]
    panels = [p for p in panels if any(p[0] in r for r in results.values())]
    fig, axes = new_figure(4.2 * len(panels), 3.8, ncols=len(panels))
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.86, wspace=0.32)
    for ax, (key, title) in zip(axes, panels, strict=True):
        for k, (label, res) in enumerate(results.items()):
            if key in res:
                ax.plot(dims, res[key], marker=_MARKERS[k % len(_MARKERS)],
                        color=_COLORS[k % len(_COLORS)], lw=2, label=label)
        if key == "train" and floor is not None:
            ax.axhline(floor, color="0.4", ls=":", lw=1.5, label="floor of every tied model")
        ax.set_xscale("log", base=2)
        ax.set_xticks(list(dims), [str(d) for d in dims])
        ax.set_xlabel("embedding size d")
        ax.set_title(title, fontsize=11)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("loss after training")
    return fig


def cooccurrence_explorer(
    vocab: Sequence[str],
    log_X: np.ndarray,
    fits: Mapping[str, Mapping[int, GloveParams]],
    *,
    word: str = "dog",
    top: int = 12,
) -> Explorer:
    """One word's strongest partners in log X (bars) and what each trained model predicts.

    Args:
        vocab: the V words (``vocab[0]`` is ``[MASK]``, never shown).
        log_X: (V, V) log co-occurrence matrix the models were trained on.
        fits: model label -> {d: trained parameters (W, W_tilde, b, b_tilde)}; the d slider
            offers the sizes that every model has.
        word: the word shown first.
        top: how many partners to show.

    Controls: the word; whether its partners come after it (row i of log X: "i j") or before it
    (column i: "j i"); the embedding size d. A model predicts w_iᵀ w̃_j + b_i + b̃_j for "i j".
    """
    import ipywidgets as widgets

    vocab = list(vocab)
    log_X = np.asarray(log_X, dtype=float)
    labels = list(fits)
    dims = sorted(set.intersection(*(set(f) for f in fits.values()))) if fits else []
    words = sorted(vocab[1:])
    controls = {
        "word": widgets.Dropdown(options=words, value=word if word in words else words[0],
                                 description="word"),
        "direction": widgets.ToggleButtons(options=["words after it", "words before it"],
                                           value="words after it", description="partners"),
    }
    if dims:
        controls["d"] = widgets.SelectionSlider(options=dims, value=dims[len(dims) // 2],
                                                description="d")
    fig, (ax,) = new_figure(10, 4.2)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.24, top=0.86)
    x = np.arange(top)
    bars = ax.bar(x, np.zeros(top), color="0.75", label="data: log(1 + count)")
    marks = [ax.plot(x, np.zeros(top), ls="none", marker=_MARKERS[k % len(_MARKERS)], ms=8,
                     color=_COLORS[k % len(_COLORS)], label=label)[0]
             for k, label in enumerate(labels)]
    ax.set_xticks(x, [""] * top, rotation=40, ha="right")
    ax.set_ylabel("log co-occurrence")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=9, loc="upper right")

    def update(word: str, direction: str, d: int | None = None) -> None:
        i = vocab.index(word)
        after = direction == "words after it"
        data = log_X[i] if after else log_X[:, i]  # (V,)
        order = [j for j in np.argsort(-data, kind="stable") if j != 0][:top]
        for bar, j in zip(bars, order, strict=True):
            bar.set_height(data[j])
        ax.set_xticks(x, [vocab[j] for j in order], rotation=40, ha="right")
        errors = []
        values = [data[order]]
        for mark, label in zip(marks, labels, strict=True):
            W, W_tilde, b, b_tilde = fits[label][d]
            if after:  # "word j": w_i . w̃_j + b_i + b̃_j for every j
                pred = W_tilde @ W[i] + b[i, 0] + b_tilde[:, 0]
            else:  # "j word": w_j . w̃_i + b_j + b̃_i
                pred = W @ W_tilde[i] + b[:, 0] + b_tilde[i, 0]
            mark.set_ydata(pred[order])
            values.append(pred[order])
            errors.append(f"{label} {np.sum((pred - data) ** 2):.0f}")
        lo, hi = min(0.0, min(v.min() for v in values)), max(v.max() for v in values)
        ax.set_ylim(lo - 0.05 * (hi - lo + 1e-9), hi + 0.2 * (hi - lo + 1e-9))
        pattern = f"'{word} …'" if after else f"'… {word}'"
        where = f"d = {d}; " if d is not None else ""
        ax.set_title(f"strongest partners in {pattern} — {where}squared error over the whole "
                     f"{'row' if after else 'column'}: " + ", ".join(errors), fontsize=10)

    return Explorer(controls, fig, update, title="Co-occurrence explorer: data and fitted GloVe")
