"""The notebook-09 figures and the prediction explorer: every control redraws, a broken model
does not break the plot."""

import io

import numpy as np
import pytest

from coursekit import masked_lm as ml
from coursekit.data.corpus import word_classes
from coursekit.viz.masked_lm import plot_cross_entropy, plot_word_map, prediction_explorer

pytestmark = pytest.mark.nb09

VOCAB = ["[MASK]", "the", "dog", "runs", "cat", "sleeps", "."]


def _pixels(png: bytes) -> np.ndarray:
    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(png), format="png")


def _model(seed=0):
    return ml.Model(ml.Params.random_init(seed, len(VOCAB), 4, 3, 5, init_wt=1.0), VOCAB)


ROWS = np.array([[1, 2, 3, 6], [1, 4, 5, 6], [2, 3, 1, 4]])


def test_explorer_redraws_on_every_control():
    e = prediction_explorer({"a": _model(0), "b": _model(1)}, ROWS, top=4)
    seen = [_pixels(e.png)]
    for name, value in (("example", 1), ("position", 0), ("model", "b")):
        e.controls[name].value = value
        now = _pixels(e.png)
        assert np.abs(now - seen[-1]).sum() > 50, f"moving {name} did not change the picture"
        seen.append(now)
    assert e.last_redraw_ms < 1500


def test_explorer_shows_the_model_probabilities():
    model = _model(2)
    e = prediction_explorer(model, ROWS, top=3)
    e.controls["position"].value = 1
    probs = model.compute_activations(np.array([[1, 0, 3, 6]])).output_layer[0, 7:14]
    ax = e.figure.axes[0]
    widths = [bar.get_width() for bar in ax.patches]
    np.testing.assert_allclose(widths, np.sort(probs)[::-1][:3])
    assert "the [MASK] runs ." in ax.get_title() and "“dog”" in ax.get_title()
    assert "model" not in e.controls


def test_a_broken_model_does_not_break_the_plot():
    class Broken(ml.Model):
        def compute_activations(self, input_batch):
            raise ValueError("bad")

    e = prediction_explorer(Broken(_model().params, VOCAB), ROWS)
    assert "ValueError: bad" in e.figure.axes[0].texts[0].get_text()
    assert len(e.png) > 1000


def test_static_figures():
    fig = plot_cross_entropy({"train": [(100, 5.0), (200, 4.0)], "valid": [(200, 4.2)]}, 251)
    assert len(fig.axes[0].lines) == 3
    classes = word_classes()
    fig = plot_word_map(np.random.default_rng(0).normal(size=(4, 2)), ["dog", "runs", "the", "."],
                        classes, "four words")
    assert len(fig.axes[0].texts) == 4 and fig.axes[0].get_title() == "four words"
    with pytest.raises(ValueError, match="coords"):
        plot_word_map(np.zeros((3, 2)), ["dog"], classes)
