"""Tests of coursekit.skip_mlp against PyTorch autograd in float64 and finite differences."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coursekit.skip_mlp import skip_mlp_forward, skip_mlp_grads, skip_mlp_loss

pytestmark = pytest.mark.nb04

values = st.floats(-2, 2, allow_nan=False)


@st.composite
def problems(draw):
    B, D, H = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    arr = lambda shape: draw(hnp.arrays(np.float64, shape, elements=values))  # noqa: E731
    params = {"W1": arr((H, D)), "b1": arr((H,)), "W2": arr((D, H)), "b2": arr((D,))}
    x = arr((B, D))
    y = draw(hnp.arrays(np.float64, (B, D), elements=st.sampled_from([0.0, 1.0])))
    return x, y, params


def torch_reference(x, y, p):
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in p.items()}
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    z2 = torch.relu(tx @ t["W1"].T + t["b1"]) @ t["W2"].T + t["b2"] + tx
    yhat = torch.sigmoid(z2)
    # the same loss as BCE on sigmoid(z2), computed from the logits: BCE on probabilities loses
    # all precision when the sigmoid saturates (its gradient becomes 1/(1-yhat) times ~0)
    J = torch.nn.functional.binary_cross_entropy_with_logits(
        z2, torch.tensor(y, dtype=torch.float64), reduction="sum"
    )
    J.backward()
    grads = {k: v.grad.numpy() for k, v in t.items()}
    grads["x"] = tx.grad.numpy()
    return yhat.detach().numpy(), J.item(), grads


@settings(max_examples=80, deadline=None)
@given(problems())
def test_matches_torch(problem):
    x, y, p = problem
    yhat, cache = skip_mlp_forward(x, p["W1"], p["b1"], p["W2"], p["b2"])
    t_yhat, t_J, t_grads = torch_reference(x, y, p)
    np.testing.assert_allclose(yhat, t_yhat, rtol=1e-12, atol=1e-14)
    assert skip_mlp_loss(cache, y) == pytest.approx(t_J, rel=1e-10, abs=1e-12)
    grads = skip_mlp_grads(cache, y)
    assert set(grads) == {"W2", "b2", "W1", "b1", "x"}
    for key, expected in t_grads.items():
        assert grads[key].shape == expected.shape, key
        np.testing.assert_allclose(grads[key], expected, rtol=1e-10, atol=1e-12, err_msg=key)


def test_scalar_case_by_hand_and_finite_differences():
    # D = 1, H = 2, one example: z1 = (1.5, -0.5), a1 = (1.5, 0), z2 = 0.75 + 0.25 + 0.5 = 1.5
    x, y = np.array([0.5]), np.array([1.0])
    W1, b1 = np.array([[2.0], [-1.0]]), np.array([0.5, 0.0])
    W2, b2 = np.array([[0.5, 3.0]]), np.array([0.25])
    yhat, cache = skip_mlp_forward(x, W1, b1, W2, b2)
    assert yhat.shape == (1,)
    assert yhat[0] == pytest.approx(1 / (1 + np.exp(-1.5)), rel=1e-14)
    g = skip_mlp_grads(cache, y)
    d2 = yhat[0] - 1.0
    np.testing.assert_allclose(g["W2"], [[d2 * 1.5, 0.0]])
    np.testing.assert_allclose(g["b2"], [d2])
    np.testing.assert_allclose(g["W1"], [[d2 * 0.5 * 0.5], [0.0]])
    np.testing.assert_allclose(g["b1"], [d2 * 0.5, 0.0])
    np.testing.assert_allclose(g["x"], [d2 * 0.5 * 2.0 + d2])  # hidden path + skip path
    assert g["x"].shape == (1,)

    def J(xv):
        return skip_mlp_loss(skip_mlp_forward(xv, W1, b1, W2, b2)[1], y)

    eps = 1e-6
    fd = (J(x + eps) - J(x - eps)) / (2 * eps)
    assert g["x"][0] == pytest.approx(fd, rel=1e-7)


def test_loss_is_finite_when_saturated():
    x = np.array([[40.0]])
    yhat, cache = skip_mlp_forward(x, np.zeros((1, 1)), np.zeros(1), np.zeros((1, 1)), np.zeros(1))
    assert yhat[0, 0] == 1.0
    assert skip_mlp_loss(cache, np.array([[0.0]])) == pytest.approx(40.0, rel=1e-12)


def test_bad_inputs():
    W1, b1, W2, b2 = np.zeros((2, 3)), np.zeros(2), np.zeros((3, 2)), np.zeros(3)
    with pytest.raises(ValueError, match="W1"):
        skip_mlp_forward(np.zeros((4, 2)), W1, b1, W2, b2)
    with pytest.raises(ValueError, match="W2"):
        skip_mlp_forward(np.zeros((4, 3)), W1, b1, W2.T, b2)
    with pytest.raises(ValueError, match="NaN"):
        skip_mlp_forward(np.full((1, 3), np.nan), W1, b1, W2, b2)
    _, cache = skip_mlp_forward(np.zeros((4, 3)), W1, b1, W2, b2)
    with pytest.raises(ValueError, match="y must have"):
        skip_mlp_grads(cache, np.zeros(3))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        skip_mlp_grads(cache, np.full((4, 3), 2.0))
    with pytest.raises(ValueError, match="cache"):
        skip_mlp_grads({"x": 1}, np.zeros((4, 3)))


# ------------------------------------------------------------------ notebook 04's exercises
@settings(max_examples=40, deadline=None)
@given(problems())
def test_one_function_per_derivative_matches_torch(problem):
    from coursekit import skip_mlp

    x, y, p = problem
    args = (x, y, p["W1"], p["b1"], p["W2"], p["b2"])
    t_yhat, _, t_grads = torch_reference(x, y, p)
    np.testing.assert_allclose(skip_mlp.skip_mlp_yhat(x, *args[2:]), t_yhat, rtol=1e-12, atol=1e-14)
    for key in ("W2", "b2", "W1", "b1", "x"):
        got = getattr(skip_mlp, f"dJ_d{key}")(*args)
        assert got.shape == t_grads[key].shape, key
        np.testing.assert_allclose(got, t_grads[key], rtol=1e-10, atol=1e-12, err_msg=key)


def test_gradient_cost_reports_consistent_numbers():
    from coursekit.skip_mlp import gradient_cost

    c = gradient_cost(4, 3, 5, repeats=2)
    assert c["params"] == 5 * 3 + 5 + 3 * 5 + 3
    assert c["forward_s"] > 0 and c["backward_s"] > 0
    assert c["one_at_a_time_s"] == pytest.approx((c["params"] + 1) * c["forward_s"])
    assert c["ratio"] == pytest.approx(c["one_at_a_time_s"] / c["backward_s"])
