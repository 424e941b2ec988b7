"""coursekit.activations against PyTorch autograd (float64) and central differences."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from coursekit import activations as act
from coursekit.jacobians import numerical_jacobian
from tests.strategies import arrays, matrices, vectors

pytestmark = pytest.mark.nb02

PAIRS = [
    (act.sigmoid, act.sigmoid_grad, torch.sigmoid),
    (act.tanh, act.tanh_grad, torch.tanh),
    (act.relu, act.relu_grad, torch.relu),
]


def torch_value_and_grad(fn, z):
    t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    y = fn(t)
    (g,) = torch.autograd.grad(y.sum(), t)
    return y.detach().numpy(), g.numpy()


@pytest.mark.parametrize("f, fprime, torch_fn", PAIRS, ids=["sigmoid", "tanh", "relu"])
@given(z=arrays(lo=-50, hi=50))
def test_elementwise_matches_torch(f, fprime, torch_fn, z):
    y, g = torch_value_and_grad(torch_fn, z)
    assert f(z).shape == z.shape and fprime(z).shape == z.shape
    np.testing.assert_allclose(f(z), y, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fprime(z), g, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("f, fprime", [(p[0], p[1]) for p in PAIRS[:2]], ids=["sigmoid", "tanh"])
@given(z=vectors(lo=-8, hi=8))
def test_derivative_matches_central_differences(f, fprime, z):
    jac = numerical_jacobian(f, z)
    np.testing.assert_allclose(np.diag(jac), fprime(z), atol=1e-8)


def test_extremes_do_not_overflow():
    z = np.array([-1000.0, -745.0, 0.0, 745.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = act.sigmoid(z)
    np.testing.assert_allclose(s, [0.0, np.exp(-745.0), 0.5, 1.0, 1.0], atol=1e-300)
    assert np.all(np.isfinite(act.sigmoid_grad(z))) and np.all(np.isfinite(act.tanh_grad(z)))


def test_relu_grad_is_zero_at_zero_like_torch():
    z = np.array([-1.0, 0.0, 1.0])
    assert act.relu_grad(z).tolist() == [0.0, 0.0, 1.0]
    _, g = torch_value_and_grad(torch.relu, z)
    assert g.tolist() == [0.0, 0.0, 1.0]


def test_integer_input_gives_floats_and_strings_are_rejected():
    assert act.sigmoid(np.array([0, 1])).dtype == np.float64
    with pytest.raises(TypeError, match="real array"):
        act.relu(np.array(["a"]))


@given(z=arrays(min_dims=1, lo=-30, hi=30), data=st.data())
def test_softmax_matches_torch_on_any_axis(z, data):
    axis = data.draw(st.integers(-z.ndim, z.ndim - 1))
    expected = torch.softmax(torch.tensor(z), dim=axis).numpy()
    np.testing.assert_allclose(act.softmax(z, axis=axis), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "z", [np.array([1000.0, 999.0, -1000.0]), np.array([-1000.0, -1000.0]), np.full((2, 3), 1000.0)]
)
def test_softmax_is_stable_for_huge_logits(z):
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = act.softmax(z)
    np.testing.assert_allclose(s, torch.softmax(torch.tensor(z), -1).numpy(), rtol=1e-12)
    np.testing.assert_allclose(s.sum(-1), 1.0)


@given(z=vectors(lo=-30, hi=30))
def test_softmax_jacobian_single_vector(z):
    jac = act.softmax_jacobian(z)
    expected = torch.autograd.functional.jacobian(
        lambda t: torch.softmax(t, -1), torch.tensor(z)
    ).numpy()
    assert jac.shape == (z.size, z.size)
    np.testing.assert_allclose(jac, expected, atol=1e-14)
    np.testing.assert_allclose(jac, numerical_jacobian(act.softmax, z), atol=1e-7)


@given(z=matrices(lo=-30, hi=30))
def test_softmax_jacobian_batch(z):
    jac = act.softmax_jacobian(z)
    assert jac.shape == (z.shape[0], z.shape[1], z.shape[1])
    for b in range(z.shape[0]):
        np.testing.assert_allclose(jac[b], act.softmax_jacobian(z[b]), atol=1e-15)
    np.testing.assert_allclose(jac.sum(-1), 0.0, atol=1e-14)  # J 1 = 0


def test_softmax_jacobian_edge_cases():
    big = act.softmax_jacobian(np.array([1000.0, 0.0, -1000.0]))
    assert np.all(np.isfinite(big))
    np.testing.assert_allclose(big, 0.0, atol=1e-300)  # saturated: no gradient flows
    assert act.softmax_jacobian(np.array([0.3])).tolist() == [[0.0]]
    with pytest.raises(ValueError, match=r"\(K,\) or \(B, K\)"):
        act.softmax_jacobian(np.zeros((2, 2, 2)))


def test_sigmoid_chain_bound_is_attained_at_zero():
    for L in range(6):
        assert act.sigmoid_chain_bound(L) == pytest.approx(act.sigmoid_grad(np.zeros(L)).prod())
