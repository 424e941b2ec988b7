"""Figures and an explorer for notebook 09 (the masked language model).

``plot_cross_entropy`` draws a training run, ``plot_word_map`` 2-D coordinates of words (t-SNE,
or a 2-D embedding) coloured by word class, and ``prediction_explorer`` what a trained model
predicts for a masked position. A model whose forward pass fails is reported under the plot,
never breaking it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from coursekit.viz.explorer import Explorer, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from coursekit.masked_lm import Model

_CLASS_COLORS = {"noun": "C0", "verb": "C3", "adjective": "C2", "pronoun": "C1",
                 "determiner": "C4", "other": "0.55"}


def plot_cross_entropy(history: Mapping[str, Sequence], vocab_size: int | None = None) -> Figure:
    """Training and validation cross-entropy against the number of mini-batches.

    Args:
        history: the history of :func:`coursekit.masked_lm_train.train`: ``"train"`` and
            ``"valid"`` lists of (batch, cross-entropy).
        vocab_size: draws log V, the cross-entropy of a model that guesses uniformly.
    """
    fig, (ax,) = new_figure(8, 4)
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.13, top=0.9)
    for key, style, label in (("train", "-", "training (mean of the last batches)"),
                              ("valid", "o--", "validation")):
        points = np.asarray(history.get(key, []), dtype=float).reshape(-1, 2)
        if len(points):
            ax.plot(points[:, 0], points[:, 1], style, lw=2, label=label)
    if vocab_size:
        ax.axhline(np.log(vocab_size), color="0.5", ls=":", label=f"uniform guess, log {vocab_size}")
    ax.set_xlabel("mini-batches")
    ax.set_ylabel("cross-entropy per masked word")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    ax.set_title("Masked language model: cross-entropy during training")
    return fig


def plot_word_map(coords: np.ndarray, words: Sequence[str], classes: Mapping[str, str] | None = None,
                  title: str = "", *, size: float = 8.0) -> Figure:
    """Words at 2-D coordinates (n, 2), each labelled and coloured by its word class."""
    coords = np.asarray(coords, dtype=float)
    if coords.ndim != 2 or coords.shape[1] != 2 or len(coords) != len(words):
        raise ValueError(f"coords: expected shape ({len(words)}, 2), got {coords.shape}")
    classes = dict(classes or {})
    fig, (ax,) = new_figure(size, 0.8 * size)
    fig.subplots_adjust(left=0.05, right=0.98, bottom=0.05, top=0.93)
    kinds = [classes.get(w, "other") for w in words]
    for kind, color in _CLASS_COLORS.items():
        rows = [k for k, c in enumerate(kinds) if c == kind]
        if rows:
            ax.scatter(coords[rows, 0], coords[rows, 1], s=14, color=color, label=kind)
    for (px, py), word, kind in zip(coords, words, kinds, strict=True):
        ax.annotate(word, (px, py), fontsize=7, color=_CLASS_COLORS.get(kind, "k"),
                    xytext=(2, 2), textcoords="offset points")
    ax.set_xticks([])
    ax.set_yticks([])
    if classes:
        ax.legend(fontsize=9, loc="best", markerscale=1.5)
    ax.set_title(title, fontsize=12)
    return fig


def prediction_explorer(models: Model | Mapping[str, Model], rows: np.ndarray, *,
                        top: int = 10) -> Explorer:
    """Mask one word of a 4-gram and see the model's top guesses for it.

    Args:
        models: a trained :class:`~coursekit.masked_lm.Model`, or label -> model (a dropdown
            chooses among them). Only their forward pass (``compute_activations``) is used.
        rows: (rows, N) word indices of examples (validation 4-grams, say).
        top: how many guesses to show.

    Controls: which example, which position is masked, and (with several models) the model.
    """
    import ipywidgets as widgets

    models = dict(models) if isinstance(models, Mapping) else {"model": models}
    first = next(iter(models.values()))
    vocab, N = first.vocab, first.context_len
    top = min(top, len(vocab))
    rows = np.asarray(rows)
    controls = {
        "example": widgets.IntSlider(value=0, min=0, max=max(min(len(rows), 1000) - 1, 0),
                                     description="example"),
        "position": widgets.ToggleButtons(options=[(str(n + 1), n) for n in range(N)], value=N - 1,
                                          description="mask"),
    }
    if len(models) > 1:
        controls["model"] = widgets.Dropdown(options=list(models), description="model")
    fig, (ax,) = new_figure(8, 4.2)
    fig.subplots_adjust(left=0.18, right=0.97, bottom=0.12, top=0.84)
    y = np.arange(top)[::-1]
    bars = ax.barh(y, np.zeros(top), color="C0")
    ax.set_yticks(y, [""] * top)
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability at the masked position")
    ax.grid(alpha=0.3, axis="x")
    note = ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", va="center", color="C3")

    def update(example: int, position: int, model: str | None = None) -> None:
        chosen = models[model] if model is not None else first
        words = rows[example].copy()
        truth = int(words[position])
        words[position] = 0  # [MASK]
        shown = " ".join("[MASK]" if n == position else vocab[w] for n, w in enumerate(words))
        try:
            probs = chosen.compute_activations(words[None, :]).output_layer[0]
            probs = probs.reshape(N, -1)[position]  # (V,)
            problem = ""
        except Exception as exc:  # a broken model: say so under the title, keep the plot
            probs, problem = np.zeros(len(vocab)), f"the model failed: {type(exc).__name__}: {exc}"
        best = np.argsort(-probs, kind="stable")[:top]
        for bar, j in zip(bars, best, strict=True):
            bar.set_width(probs[j])
            bar.set_color("C2" if j == truth else "C0")
        ax.set_yticks(y, [vocab[j] for j in best])
        ax.set_xlim(0, max(0.05, min(1.0, 1.15 * float(probs[best].max()))))
        rank = int(np.sum(probs > probs[truth])) + 1
        note.set_text(problem)
        ax.set_title(f"“{shown}”\nright word: “{vocab[truth]}” (green), probability "
                     f"{probs[truth]:.3f}, rank {rank} of {len(vocab)}", fontsize=11)

    return Explorer(controls, fig, update, title="What does the model guess for [MASK]?")
