"""The notebook-08 figures and the co-occurrence explorer: they draw, and every control redraws."""

import io

import numpy as np
import pytest

from coursekit import glove
from coursekit.viz.glove import cooccurrence_explorer, plot_dimension_sweep, plot_loss_curves

pytestmark = pytest.mark.nb08

VOCAB = ["[MASK]", "the", "dog", "runs", "cat", "sleeps", "."]


def _pixels(png: bytes) -> np.ndarray:
    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(png), format="png")


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    rows = rng.integers(1, len(VOCAB), size=(300, 4))
    rows[:100, :2] = [1, 2]  # "the dog" is frequent, "dog the" is not
    from coursekit.data.corpus import log_cooccurrence

    log_X = log_cooccurrence(rows, len(VOCAB))
    fits = {label: {d: glove.train_momentum(log_X, d, 0, epochs=40, symmetric=sym, progress=False)[0]
                    for d in (1, 3)}
            for label, sym in (("asymmetric", False), ("tied", True))}
    return log_X, fits


def test_explorer_redraws_on_every_control(problem):
    log_X, fits = problem
    e = cooccurrence_explorer(VOCAB, log_X, fits, word="the", top=5)
    seen = [_pixels(e.png)]
    for name, value in (("word", "dog"), ("direction", "words before it"), ("d", 1)):
        e.controls[name].value = value
        now = _pixels(e.png)
        assert now.shape == seen[-1].shape
        assert np.abs(now - seen[-1]).sum() > 50, f"moving {name} did not change the picture"
        seen.append(now)
    assert e.last_redraw_ms < 1500


def test_explorer_shows_the_data_and_each_model(problem):
    log_X, fits = problem
    e = cooccurrence_explorer(VOCAB, log_X, fits, word="the", top=4)
    ax = e.figure.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "dog"  # the strongest partner after "the"
    heights = [bar.get_height() for bar in ax.patches]
    assert heights[0] == pytest.approx(log_X[1, 2])
    W, Wt, b, bt = fits["asymmetric"][e.controls["d"].value]
    asym = ax.lines[0].get_ydata()
    assert asym[0] == pytest.approx(W[1] @ Wt[2] + b[1, 0] + bt[2, 0])
    assert "asymmetric" in ax.get_title() and "tied" in ax.get_title()


def test_explorer_runs_without_models():
    log_X = np.log1p(np.arange(49.0).reshape(7, 7))
    e = cooccurrence_explorer(VOCAB, log_X, {}, word="cat", top=3)
    assert "d" not in e.controls and len(e.png) > 1000


def test_static_figures(problem):
    log_X, _ = problem
    _, hist = glove.train_momentum(log_X, 2, 0, epochs=5, progress=False, log_X_valid=log_X)
    fig = plot_loss_curves({"asymmetric": hist, "tied": {"train": hist["train"]}})
    assert len(fig.axes[0].lines) == 3
    fig = plot_dimension_sweep([1, 2, 4], {"a": {"train": [3, 2, 1], "valid": [4, 3, 3]},
                                           "b": {"train": [5, 4, 4], "valid": [5, 5, 5]}}, floor=3.5)
    assert len(fig.axes) == 2 and fig.axes[0].get_xlabel() == "embedding size d"
    with pytest.raises(ValueError, match="empty"):
        plot_loss_curves({})
