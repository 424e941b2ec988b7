"""The notebook-13 explorer redraws when a control moves, with or without working student code."""

import io

import numpy as np
import pytest

from coursekit.sequences import spectral_radius
from coursekit.viz.sequences import recurrence_explorer, recurrence_matrix, unrolled_truth

pytestmark = pytest.mark.nb13


def _pixels(png: bytes) -> np.ndarray:
    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(png), format="png")


def _hidden_state(W, h0, t):
    return np.linalg.matrix_power(np.asarray(W).T, t) @ h0


def test_explorer_redraws_on_every_control():
    e = recurrence_explorer(spectral_radius, _hidden_state)
    seen = [_pixels(e.png)]
    for name, value in (("radius", 1.2), ("angle", 75.0), ("skew", 2.5), ("steps", 30)):
        e.controls[name].value = value
        now = _pixels(e.png)
        assert now.shape == seen[-1].shape
        assert np.abs(now - seen[-1]).sum() > 50, f"moving {name} did not change the picture"
        seen.append(now)


@pytest.mark.parametrize("radius", [0.8, 1.0, 1.25])
def test_eigenvalues_and_norms_follow_the_scale(radius):
    W = recurrence_matrix(radius, 40.0, 1.5)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(W)), [radius, radius], rtol=1e-12)
    e = recurrence_explorer()
    e.controls["radius"].value = radius
    e.controls["skew"].value = 0.0  # a scaled rotation: ||h_t|| = r^t exactly
    norms = e.figure.axes[0].lines[0].get_ydata()
    np.testing.assert_allclose(norms, radius ** np.arange(len(norms)), rtol=1e-10)
    assert f"ρ(W) = {radius:.3g}" in e.figure.axes[0].get_title()


def test_gradients_are_powers_of_W():
    W = recurrence_matrix(1.1, 30.0, 2.0)
    u = np.array([0.3, -1.0])
    H, G = unrolled_truth(W, np.array([1.0, 2.0]), u, 7)
    for t in range(8):
        np.testing.assert_allclose(H[t], _hidden_state(W, np.array([1.0, 2.0]), t), rtol=1e-12)
        np.testing.assert_allclose(G[t], np.linalg.matrix_power(W, 7 - t) @ u, rtol=1e-12)


def test_student_values_are_shown():
    e = recurrence_explorer(spectral_radius, _hidden_state)
    assert "yours: 0.95" in e.figure.axes[0].get_title()
    crosses = e.figure.axes[0].lines[2]
    assert crosses.get_visible()
    np.testing.assert_allclose(crosses.get_ydata(), e.figure.axes[0].lines[0].get_ydata(), rtol=1e-10)


def test_broken_or_missing_student_functions_do_not_break_the_plot():
    def broken(W, *args):
        raise ValueError("bad")

    def unfinished(W, *args):
        raise NotImplementedError

    e = recurrence_explorer(broken, unfinished)
    assert "raised ValueError: bad" in e.figure.axes[0].get_title()
    assert "not written yet" in e.figure.axes[2].get_title()
    assert not e.figure.axes[0].lines[2].get_visible()
    e.controls["radius"].value = 1.3
    assert len(e.png) > 1000
    plain = recurrence_explorer()
    assert "yours" not in plain.figure.axes[0].get_title()
    assert len(plain.png) > 1000


def test_redraw_is_quick():
    e = recurrence_explorer(spectral_radius, _hidden_state)
    times = []
    for value in (0.7, 0.9, 1.1):
        e.controls["radius"].value = value
        times.append(e.last_redraw_ms)
    assert min(times) < 500  # about 100 ms on an idle machine; generous for a busy one
