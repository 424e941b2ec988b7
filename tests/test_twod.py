"""Tests of coursekit.data.twod (two-class data in the plane) and coursekit.viz.boundaries."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from coursekit.data.twod import KINDS, TwoClassData
from coursekit.viz.boundaries import (
    grid_probabilities,
    plot_decision_boundaries,
    plot_decision_boundary,
)

pytestmark = pytest.mark.nb11


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(KINDS), st.integers(1, 300), st.integers(0, 2**32 - 1))
def test_shapes_balance_and_determinism(kind, n, seed):
    gen = TwoClassData(kind, noise=0.2, seed=seed)
    X, y = gen.sample(n)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    assert set(np.unique(y)) <= {0, 1}
    assert abs(int(y.sum()) - n / 2) <= 0.5
    X2, y2 = TwoClassData(kind, noise=0.2, seed=seed).sample(n)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = gen.sample(n, np.random.default_rng(seed + 1))
    assert not np.array_equal(X, X3)


def test_noise_free_geometry():
    n = 400
    X, y = TwoClassData("circles", noise=0.0, factor=0.3).sample(n)
    np.testing.assert_allclose(np.hypot(*X.T), np.where(y == 1, 0.3, 1.0), atol=1e-12)

    X, y = TwoClassData("moons", noise=0.0).sample(n)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, atol=1e-12)
    assert (upper[:, 1] >= -1e-12).all()
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, atol=1e-12)
    assert (lower[:, 1] <= 0.5 + 1e-12).all()

    X, y = TwoClassData("xor", noise=0.0).sample(n)
    assert set(map(tuple, np.abs(X))) == {(1.0, 1.0)}
    np.testing.assert_array_equal(np.sign(X[:, 0] * X[:, 1]) < 0, y == 1)

    turns = 1.25
    X, y = TwoClassData("spirals", noise=0.0, turns=turns).sample(n)
    r = np.hypot(*X.T)
    assert ((r >= 0.1 - 1e-12) & (r <= 1 + 1e-12)).all()
    # the angle of a point at radius r is 2 pi turns r, plus pi on the second arm
    expected = 2 * np.pi * turns * r + np.pi * y
    diff = np.angle(np.exp(1j * (np.arctan2(X[:, 1], X[:, 0]) - expected)))
    np.testing.assert_allclose(diff, 0.0, atol=1e-9)


@pytest.mark.parametrize("kind", KINDS)
def test_noise_is_gaussian_with_the_given_scale(kind):
    clean, y0 = TwoClassData(kind, noise=0.0, seed=3).sample(4000)
    noisy, y1 = TwoClassData(kind, noise=0.15, seed=3).sample(4000)
    np.testing.assert_array_equal(y0, y1)
    residual = noisy - clean  # the same draws before the noise
    assert residual.mean(axis=0) == pytest.approx([0, 0], abs=0.01)
    assert residual.std(axis=0) == pytest.approx([0.15, 0.15], rel=0.05)


def test_splits_are_disjoint_reproducible_and_sized():
    gen = TwoClassData("moons", noise=0.1, seed=7)
    s = gen.splits(120, 40, 30)
    assert [part[0].shape for part in (s.train, s.val, s.test)] == [(120, 2), (40, 2), (30, 2)]
    rows = np.concatenate([s.train[0], s.val[0], s.test[0]])
    assert np.unique(rows, axis=0).shape[0] == 190
    again = gen.splits(120, 40, 30)
    np.testing.assert_array_equal(s.val[0], again.val[0])
    X, y = s.tensors("test")
    assert X.dtype == y.dtype == torch.float32 and X.shape == (30, 2)
    with pytest.raises(ValueError, match="'train', 'val' or 'test'"):
        s.tensors("dev")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(kind="blobs"), "blobs.*spirals, circles, moons, xor"),
        (dict(noise=-0.1), "noise"),
        (dict(noise=float("nan")), "noise"),
        (dict(kind="circles", factor=1.5), "factor"),
        (dict(turns=0), "turns"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TwoClassData(**kwargs)


def test_bad_sizes():
    gen = TwoClassData()
    with pytest.raises(ValueError, match="n must"):
        gen.sample(0)
    with pytest.raises(ValueError, match="n_val"):
        gen.splits(10, 0, 10)
    with pytest.raises(TypeError, match="Generator"):
        gen.sample(5, rng=3)


def linear_model(w, b, out_features=1):
    model = nn.Linear(2, out_features).double()
    with torch.no_grad():
        model.weight.copy_(torch.tensor(w, dtype=torch.float64))
        model.bias.copy_(torch.tensor(b, dtype=torch.float64))
    return model


def test_grid_probabilities_against_numpy():
    xs, ys = np.linspace(-2, 2, 5), np.linspace(-1, 1, 3)
    model = linear_model([[1.5, -2.0]], [0.25])
    prob = grid_probabilities(model, xs, ys)
    assert prob.shape == (3, 5)
    expected = 1 / (1 + np.exp(-(1.5 * xs[None, :] - 2.0 * ys[:, None] + 0.25)))
    np.testing.assert_allclose(prob, expected, rtol=1e-12)
    # a model ending in a sigmoid gives probabilities directly
    probs_model = nn.Sequential(model, nn.Sigmoid())
    np.testing.assert_allclose(grid_probabilities(probs_model, xs, ys, "probs"), expected)
    # two logits: softmax, class 1
    two = linear_model([[0.0, 0.0], [1.5, -2.0]], [0.0, 0.25], out_features=2)
    np.testing.assert_allclose(grid_probabilities(two, xs, ys), expected, rtol=1e-12)
    with pytest.raises(ValueError, match="logits"):
        grid_probabilities(model, xs, ys, "scores")


def test_boundary_figures():
    X, y = TwoClassData("circles", noise=0.05, seed=0).sample(60)
    model = linear_model([[1.0, 1.0]], [0.0])
    fig = plot_decision_boundary(model, X, y, title="linear", resolution=30)
    ax = fig.axes[0]
    assert ax.get_title() == "linear"
    assert len(ax.collections) >= 3  # filled contour, boundary line, two scatters
    fig = plot_decision_boundaries({"a": model, "b": model, "c": model, "d": model}, X, y,
                                   ncols=3, resolution=20)  # fmt: skip
    titles = [a.get_title() for a in fig.axes if a.get_visible()]
    assert {"a", "b", "c", "d"} <= set(titles)
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        plot_decision_boundary(model, np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ValueError, match=r"y must have shape \(5,\)"):
        plot_decision_boundary(model, np.zeros((5, 2)), np.zeros(4))


def test_dataset_overview_has_one_panel_per_set():
    from coursekit.viz.boundaries import plot_datasets

    sets = {kind: TwoClassData(kind, noise=0.1, seed=0).sample(40) for kind in KINDS}
    fig = plot_datasets(sets, ncols=3)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == list(KINDS)
    assert all(len(ax.collections) == 2 for ax in visible)  # one scatter per class
    hidden = [ax for ax in fig.axes if not ax.get_visible()]
    assert len(hidden) == 2  # a 2 x 3 layout for four sets
    with pytest.raises(ValueError, match="empty"):
        plot_datasets({})
