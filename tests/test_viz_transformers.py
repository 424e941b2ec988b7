"""Notebook-14 figures draw what they are given, and the attention explorer redraws on every
control."""

import io

import numpy as np
import pytest
import torch
from matplotlib.patches import FancyArrowPatch

from coursekit.transformer import DecoderOnly, TransformerConfig
from coursekit.viz.transformers import (
    attention_explorer,
    draw_token_graph,
    plot_attention_patterns,
    plot_scaling,
    plot_training,
)

pytestmark = pytest.mark.nb14


def _pixels(png: bytes) -> np.ndarray:
    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(png), format="png")


@pytest.mark.parametrize("self_loops", [False, True])
def test_token_graph_draws_every_directed_edge(self_loops):
    fig = draw_token_graph(["I", "eat", "red", "apples"], self_loops=self_loops)
    ax = fig.axes[0]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == 12
    assert ("16 directed edges" if self_loops else "12 directed edges") in ax.get_title()
    assert {t.get_text() for t in ax.texts} == {"I", "eat", "red", "apples"}


def test_attention_patterns_one_panel_each():
    w = np.tril(np.ones((3, 3))) / np.arange(1, 4)[:, None]
    fig = plot_attention_patterns([("a", w, list("xyz"), list("xyz")), ("b", w[:2], list("xy"), list("xyz"))])
    assert len(fig.axes) == 2
    assert fig.axes[1].get_images()[0].get_array().shape == (2, 3)


def test_training_plot_shows_batches_validation_and_baselines():
    history = {"epoch": [0, 1, 2], "batch": list(np.linspace(5, 3, 40)), "valid": [5.5, 4.0, 3.5],
               "train": [5.5, 3.9, 3.4]}
    fig = plot_training(history, {"uniform": 5.53, "unigram": 5.0})
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.lines]
    assert "validation" in labels and "mini-batch loss" in labels
    assert any("unigram 5.00" in t.get_text() for t in ax.texts)
    valid_line = ax.lines[labels.index("validation")]
    np.testing.assert_allclose(valid_line.get_xdata(), [0, 20, 40])


def test_scaling_plot_draws_the_fitted_law():
    fig = plot_scaling([1e3, 1e4, 1e5], [4.0, 3.5, 3.1], 7.0, 0.08)
    ax = fig.axes[0]
    x, y = ax.lines[1].get_data()
    np.testing.assert_allclose(y, 7.0 * np.asarray(x) ** -0.08)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


@pytest.fixture(scope="module")
def model():
    cfg = TransformerConfig(vocab_size=6, block_size=3, d_model=8, n_heads=2, n_layers=2, seed=3)
    m = DecoderOnly(cfg)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():  # spread the weights so that heads and layers look different
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    return m


def test_attention_explorer_redraws_on_every_control(model):
    vocab = ["[MASK]", "a", "b", "c", "d", "."]
    seqs = np.array([[1, 2, 3], [4, 4, 5], [2, 1, 1]])
    model.train()
    e = attention_explorer(model, seqs, vocab, top_k=4)
    assert model.training  # the explorer evaluates in eval mode and restores the flag
    seen = [_pixels(e.png)]
    for name, value in (("index", 1), ("layer", 1), ("head", 1)):
        e.controls[name].value = value
        now = _pixels(e.png)
        assert now.shape == seen[-1].shape
        assert np.abs(now - seen[-1]).sum() > 50, f"moving {name} did not change the picture"
        seen.append(now)
    weights = e.figure.axes[0].get_images()[0].get_array()
    assert np.allclose(np.triu(np.asarray(weights), 1), 0)  # a causal model
    np.testing.assert_allclose(np.asarray(weights).sum(axis=1), 1.0, rtol=1e-6)
    assert "after “d d .”" in e.figure.axes[1].get_title()
