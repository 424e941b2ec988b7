"""coursekit.viz.explorer: calling a student's function for a figure never breaks the figure."""

import numpy as np
import torch

from coursekit.viz.explorer import safe_call, try_call


def test_try_call_returns_the_result_as_it_is():
    out, why = try_call(lambda a, b: {"sum": a + b}, 1, 2)
    assert out == {"sum": 3} and why == ""
    assert try_call(None, 1) == (None, "")


def test_try_call_reports_unwritten_and_broken_functions_by_name():
    def grad(z):
        raise NotImplementedError

    def jac(z):
        return z / 0 + [1][3]

    assert try_call(grad, 1.0) == (None, "grad is not written yet")
    out, why = try_call(jac, np.ones(2))
    assert out is None and why == "jac raised IndexError: list index out of range"
    out, why = try_call(lambda: 1, convert=lambda v: v.shape)
    assert out is None and "raised AttributeError" in why


def test_safe_call_gives_float_arrays_even_for_tensors():
    out, why = safe_call(lambda z: torch.tensor(z, requires_grad=True) * 2, [1.0, 2.0])
    assert why == "" and out.dtype == np.float64
    np.testing.assert_array_equal(out, [2.0, 4.0])
    out, why = safe_call(lambda: "text")
    assert out is None and "raised ValueError" in why
