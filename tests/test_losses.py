"""Tests of coursekit.losses (binary cross-entropy from logits) and coursekit.viz.losses."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coursekit.losses import bce_with_logits, bce_with_logits_grad
from coursekit.viz.losses import bce_curves, plot_bce_saturation
from tests.strategies import arrays

pytestmark = pytest.mark.nb11


def torch_loss_and_grad(z, y):
    """The oracle: PyTorch's loss on logits and its autograd derivative, in float64."""
    zt = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(zt, torch.tensor(y, dtype=torch.float64), reduction="none")
    (grad,) = torch.autograd.grad(loss.sum(), zt)
    return loss.detach().numpy(), grad.numpy()


@settings(max_examples=60, deadline=None)
@given(arrays(lo=-60.0, hi=60.0).flatmap(
    lambda z: st.tuples(st.just(z), hnp.arrays(np.float64, z.shape, elements=st.floats(0, 1)))))  # fmt: skip
def test_loss_and_gradient_match_torch(pair):
    z, y = pair
    loss, grad = torch_loss_and_grad(z, y)
    np.testing.assert_allclose(bce_with_logits(z, y), loss, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bce_with_logits_grad(z, y), grad, rtol=1e-10, atol=1e-12)
    assert bce_with_logits(z, y).shape == z.shape


def test_extreme_logits_stay_finite_and_exact():
    z = np.array([-1e4, -800.0, -40.0, 40.0, 800.0, 1e4])
    for y in (np.zeros(6), np.ones(6), np.full(6, 0.3)):
        loss, grad = torch_loss_and_grad(z, y)
        assert np.isfinite(bce_with_logits(z, y)).all()
        np.testing.assert_allclose(bce_with_logits(z, y), loss, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(bce_with_logits_grad(z, y), grad, rtol=1e-12, atol=1e-15)
    # a confidently wrong point costs |z| and gets the full gradient
    assert bce_with_logits(np.array([30.0]), np.array([0.0]))[0] == pytest.approx(30.0)
    assert bce_with_logits_grad(np.array([30.0]), np.array([0.0]))[0] == pytest.approx(1.0)


def test_shapes_must_agree():
    with pytest.raises(ValueError, match="same shape"):
        bce_with_logits(np.zeros(3), np.zeros(2))


def test_bce_curves_show_the_saturation():
    z = np.array([0.0, 10.0, 20.0, 40.0])
    loss32, grad32 = bce_curves(z, 0.0, "probs", torch.float32)
    assert loss32[2] == pytest.approx(100.0) and grad32[2] == 0.0  # log(0) clamped, no gradient
    loss64, _ = bce_curves(z, 0.0, "probs", torch.float64)
    assert loss64[2] == pytest.approx(20.0, rel=1e-6) and loss64[3] == pytest.approx(100.0)
    loss_z, grad_z = bce_curves(z, 0.0, "logits", torch.float32)
    np.testing.assert_allclose(loss_z[1:], z[1:], rtol=1e-5)
    np.testing.assert_allclose(grad_z[1:], 1 / (1 + np.exp(-z[1:])), rtol=1e-6)
    with pytest.raises(ValueError, match="probs"):
        bce_curves(z, 0.0, "scores", torch.float32)


def test_saturation_figure_draws_student_functions_or_says_why_not():
    fig = plot_bce_saturation(bce_with_logits, bce_with_logits_grad)
    ax_loss, ax_grad = fig.axes[:2]
    assert [line.get_label() for line in ax_loss.lines][-1] == "your loss (float64)"
    mine = ax_grad.lines[-1].get_ydata()
    assert mine[-1] == pytest.approx(1.0)

    def unfinished(z, y):
        raise NotImplementedError

    def broken(z, y):
        raise ZeroDivisionError("oops")

    fig = plot_bce_saturation(unfinished, broken)
    assert len(fig.axes[0].lines) == 3  # only PyTorch's curves
    assert "not written yet" in fig._suptitle.get_text()
    assert "ZeroDivisionError" in fig._suptitle.get_text()
    assert len(plot_bce_saturation().axes[0].lines) == 3
