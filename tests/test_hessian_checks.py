"""coursekit.grading.hessian_checks: the memory measurement that tells the two orders apart."""

import numpy as np
import pytest
import torch

from coursekit import hessian as hs
from coursekit.grading import CheckFailed
from coursekit.grading.hessian_checks import check_order, peak_bytes

pytestmark = pytest.mark.nb07


def reverse(v, y):
    return hs.hvp_reverse(v, y)


def forward(v, y):
    return hs.hvp_forward(v, y)


def test_each_order_passes_its_own_check_and_fails_the_other(capsys):
    assert check_order(reverse, "reverse", n=800) < 8 * 800 * 800 / 10
    assert check_order(forward, "forward", n=800) >= 8 * 800 * 800
    out = capsys.readouterr().out
    assert "✓ reverse works in the reverse order" in out and "✓ forward works in the forward order" in out
    with pytest.raises(CheckFailed, match="never forms v vᵀ"):
        check_order(forward, "reverse", n=800)
    with pytest.raises(CheckFailed, match="never held an \\(n, n\\) matrix"):
        check_order(reverse, "forward", n=800)


def test_torch_and_unfinished_and_broken_answers_are_explained():
    def torch_forward(v, y):
        vt = torch.tensor(v)
        return (torch.outer(vt, vt) @ torch.tensor(y)).numpy()

    with pytest.raises(CheckFailed, match="PyTorch tensors are not seen"):
        check_order(torch_forward, "forward", n=500)

    def unfinished(v, y):
        raise NotImplementedError

    with pytest.raises(CheckFailed, match="not written yet"):
        check_order(unfinished, "reverse")
    with pytest.raises(CheckFailed, match="raised ZeroDivisionError"):
        check_order(lambda v, y: 1 / 0, "reverse")
    with pytest.raises(CheckFailed, match="returned None"):
        check_order(lambda v, y: None, "reverse")
    with pytest.raises(ValueError, match="order"):
        check_order(reverse, "sideways")


def test_peak_bytes_sees_numpy_allocations():
    out, peak = peak_bytes(np.ones, (1000, 100))
    assert out.shape == (1000, 100) and peak >= 8 * 100_000
