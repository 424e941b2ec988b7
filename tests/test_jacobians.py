"""coursekit.jacobians against PyTorch autograd (float64)."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from coursekit import jacobians as jac
from tests.strategies import arrays, matrices, vectors

pytestmark = pytest.mark.nb01


def torch_jacobian(f, x):
    return torch.autograd.functional.jacobian(f, torch.tensor(x, dtype=torch.float64)).numpy()


@given(x=arrays(max_dims=2, lo=-3, hi=3))
def test_numerical_jacobian_matches_autograd_shape_and_values(x):
    A = np.arange(1.0, 7.0).reshape(2, 3)

    def f_np(v):
        return np.tanh(A @ v.reshape(-1)[:3]) if v.size >= 3 else np.sin(v) * v

    def f_t(v):
        return torch.tanh(torch.tensor(A) @ v.reshape(-1)[:3]) if v.numel() >= 3 else torch.sin(v) * v

    numeric = jac.numerical_jacobian(f_np, x)
    exact = torch_jacobian(f_t, x)
    assert numeric.shape == exact.shape
    np.testing.assert_allclose(numeric, exact, atol=1e-7)


def test_numerical_jacobian_of_scalar_function_and_bad_input():
    g = jac.numerical_jacobian(lambda v: float(v @ v), np.array([1.0, -2.0]))
    assert g.shape == (2,)
    np.testing.assert_allclose(g, [2.0, -4.0], atol=1e-8)
    with pytest.raises(ValueError, match="NaN"):
        jac.numerical_jacobian(np.sin, np.array([np.nan]))
    with pytest.raises(ValueError, match="eps"):
        jac.numerical_jacobian(np.sin, np.array([1.0]), eps=0)


@given(X=matrices(), k=st.integers(1, 5), data=st.data())
def test_jacobian_xwt_matches_autograd(X, k, data):
    W = data.draw(
        matrices(max_rows=k, max_cols=X.shape[1]).filter(lambda m: m.shape[1] == X.shape[1])
        | st.just(np.ones((k, X.shape[1])))
    )
    expected = torch_jacobian(lambda V: torch.tensor(X) @ V.T, W)
    got = jac.jacobian_xwt(X, W)
    assert got.shape == (X.shape[0], W.shape[0], W.shape[0], X.shape[1])
    np.testing.assert_allclose(got, expected, atol=1e-14)


def test_jacobian_xwt_flattenings():
    rng = np.random.default_rng(1)
    n, d, k = 3, 4, 2
    X, W = rng.normal(size=(n, d)), rng.normal(size=(k, d))
    J = jac.jacobian_xwt(X, W)
    # w.r.t. W^T (d, k): swap the last two axes; row-major flattening gives kron(X, I_k)
    JT = J.transpose(0, 1, 3, 2)
    np.testing.assert_allclose(JT.reshape(n * k, d * k), np.kron(X, np.eye(k)))
    # column-major vec of f and of W^T gives kron(I_k, X)
    JF = JT.transpose(1, 0, 3, 2).reshape(k * n, k * d)
    np.testing.assert_allclose(JF, np.kron(np.eye(k), X))
    with pytest.raises(ValueError, match="same d"):
        jac.jacobian_xwt(X, np.ones((k, d + 1)))


@given(w=vectors(lo=-5, hi=5), c=st.floats(-5, 5))
def test_item_jacobians_match_autograd(w, c):
    x = np.linspace(-1, 1, w.size)
    X = np.outer(np.arange(1.0, 4.0), x)
    cases = [
        (jac.jac_constant(w, c), lambda v: v.sum() * 0 + c),
        (jac.jac_sqnorm(w), lambda v: (v * v).sum()),
        (jac.jac_dot(w, x), lambda v: v @ torch.tensor(x)),
        (jac.jac_matvec(X, w), lambda v: torch.tensor(X) @ v),
        (jac.jac_identity(w), lambda v: v),
        (jac.jac_square(w), lambda v: v * v),
    ]
    for got, f in cases:
        expected = torch_jacobian(f, w)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, atol=1e-13)


def test_jacobian_shape_table_matches_autograd_shapes():
    from coursekit.grading.questions.nb01 import _shape_oracle

    for item in range(1, 8):
        assert jac.jacobian_shape(item, 5, 3, 2) == _shape_oracle(item, 5, 3, 2)
