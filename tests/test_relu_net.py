"""Tests of coursekit.relu_net against PyTorch autograd, one x at a time, and against the
piecewise formulas for the parameters of notebook 05 worked out by hand."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coursekit import relu_net
from coursekit.relu_net import (
    HANDOUT_PARAMS,
    directional_derivative,
    forward,
    kinks,
    param_derivatives,
)

pytestmark = pytest.mark.nb05

values = st.floats(-3, 3, allow_nan=False)


@st.composite
def networks(draw):
    k, n = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    arr = lambda shape: draw(hnp.arrays(np.float64, shape, elements=values))  # noqa: E731
    return arr(n), arr(k), arr(k), arr(k), draw(values)


def autograd_at(x_j, w1, b1, w2, b2):
    """y and ∂y/∂θ at one scalar x by torch autograd."""
    t = {
        n: torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for n, v in (("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2))
    }
    y = (torch.relu(x_j * t["w1"] + t["b1"]) * t["w2"]).sum() + t["b2"]
    y.backward()
    return y.item(), {n: v.grad.numpy() for n, v in t.items()}


@settings(max_examples=80, deadline=None)
@given(networks())
def test_matches_autograd_at_every_x(net):
    x, w1, b1, w2, b2 = net
    y = forward(x, w1, b1, w2, b2)
    d = param_derivatives(x, w1, b1, w2, b2)
    assert y.shape == x.shape and d["b2"].shape == x.shape
    assert all(d[n].shape == (x.size, w1.size) for n in ("w1", "b1", "w2"))
    for j, x_j in enumerate(x):  # the oracle runs per input
        t_y, t_d = autograd_at(x_j, w1, b1, w2, b2)
        assert y[j] == pytest.approx(t_y, rel=1e-12, abs=1e-12)
        assert d["b2"][j] == t_d["b2"]
        for n in ("w1", "b1", "w2"):
            np.testing.assert_allclose(d[n][j], t_d[n], rtol=1e-12, atol=1e-12, err_msg=n)


def test_handout_parameters_and_kinks():
    assert HANDOUT_PARAMS["w1"].tolist() == [2.0, 2.0]
    assert HANDOUT_PARAMS["b1"].tolist() == [-1.0, -2.0]
    assert HANDOUT_PARAMS["w2"].tolist() == [0.5, 2.0]
    np.testing.assert_allclose(kinks(HANDOUT_PARAMS["w1"], HANDOUT_PARAMS["b1"]), [0.5, 1.0])
    with pytest.raises(ValueError):
        HANDOUT_PARAMS["w1"][0] = 5.0  # read-only: a notebook cannot change it by accident


def test_handout_derivatives_by_hand():
    # unit 1 is on for x > 0.5, unit 2 for x > 1; ReLU'(0) = 0 so each kink counts as off
    x = np.array([0.0, 0.5, 0.75, 1.0, 2.0])
    d = param_derivatives(x, **HANDOUT_PARAMS)
    np.testing.assert_array_equal(d["b2"], np.ones(5))
    np.testing.assert_allclose(d["w2"], [[0, 0], [0, 0], [0.5, 0], [1, 0], [3, 2]])
    np.testing.assert_allclose(d["b1"], [[0, 0], [0, 0], [0.5, 0], [0.5, 0], [0.5, 2]])
    np.testing.assert_allclose(d["w1"], [[0, 0], [0, 0], [0.375, 0], [0.5, 0], [1, 4]])
    # y = 0.5 (2x - 1)^+ + 2 (2x - 2)^+ + b2, with b2 = 0
    np.testing.assert_allclose(forward(x, **HANDOUT_PARAMS), [0, 0, 0.25, 0.5, 5.5])


def test_kinks_of_a_flat_unit_and_where_the_derivatives_jump():
    np.testing.assert_allclose(kinks([4.0, 0.0, -2.0], [1.0, 3.0, 1.0]), [-0.25, np.nan, 0.5])
    w1, b1, w2 = np.array([1.5, -0.5]), np.array([0.3, 0.2]), np.array([1.0, 1.0])
    for unit, x0 in enumerate(kinks(w1, b1)):
        just = np.array([x0 - 1e-6, x0 + 1e-6])
        on = param_derivatives(just, w1, b1, w2, 0.0)["b1"][:, unit]
        assert sorted(on.tolist()) == [0.0, 1.0]  # the unit switches across its kink


def test_synthetic_feature_of_the_coupled_motion():
    direction = {"b1": [0.01, 0.0], "w1": [0.0, 0.02]}
    x = np.array([-1.0, 0.25, 0.75, 1.5, 3.0])
    feature = directional_derivative(x, HANDOUT_PARAMS, direction)
    # 0.01 * 0.5 * 1[x > 0.5] + 0.02 * 2 * x * 1[x > 1]
    np.testing.assert_allclose(feature, [0, 0, 0.005, 0.005 + 0.06, 0.005 + 0.12], atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(networks(), st.data())
def test_directional_derivative_matches_finite_differences(net, data):
    x, w1, b1, w2, b2 = net
    k = w1.size
    step = {n: data.draw(hnp.arrays(np.float64, k, elements=values)) for n in ("w1", "b1", "w2")}
    step["b2"] = data.draw(values)
    params = {"w1": w1, "b1": b1, "w2": w2, "b2": b2}
    # stay away from kinks, where the one-sided slopes differ
    z = np.outer(x, w1) + b1
    eps = 1e-6
    moved = np.abs(np.outer(x, step["w1"]) + step["b1"]) * eps
    keep = np.all(np.abs(z) > 10 * moved + 1e-9, axis=1)
    plus = {n: params[n] + eps * np.asarray(step[n]) for n in params}
    minus = {n: params[n] - eps * np.asarray(step[n]) for n in params}
    fd = (forward(x, **plus) - forward(x, **minus)) / (2 * eps)
    got = directional_derivative(x, params, step)
    np.testing.assert_allclose(got[keep], fd[keep], rtol=1e-6, atol=1e-6)


def test_bad_inputs():
    p = dict(HANDOUT_PARAMS)
    with pytest.raises(ValueError, match="x must be 1-D"):
        forward(np.zeros((2, 2)), **p)
    with pytest.raises(ValueError, match=r"b1 must have shape \(2,\)"):
        forward(np.zeros(3), p["w1"], np.zeros(3), p["w2"], 0.0)
    with pytest.raises(ValueError, match="NaN"):
        param_derivatives(np.array([np.nan]), **p)
    with pytest.raises(ValueError, match="b2"):
        forward(np.zeros(3), p["w1"], p["b1"], p["w2"], np.zeros(2))
    with pytest.raises(ValueError, match="unknown keys"):
        directional_derivative(np.zeros(3), p, {"w3": [1.0, 0.0]})
    with pytest.raises(ValueError, match=r"direction\['b1'\]"):
        directional_derivative(np.zeros(3), p, {"b1": [1.0]})
    assert relu_net.PARAM_NAMES == ("w1", "b1", "w2", "b2")


# ---- the per-parameter exercises, the jumps at the kinks, and the autograd helpers ----------


@settings(max_examples=60, deadline=None)
@given(networks())
def test_exercise_functions_match_autograd_helper(net):
    x, w1, b1, w2, b2 = net
    y, grads = relu_net.autograd_derivatives(x, w1, b1, w2, b2)
    np.testing.assert_allclose(forward(x, w1, b1, w2, b2), y, rtol=1e-12, atol=1e-12)
    for name, func in (
        ("b2", relu_net.dy_db2),
        ("w2", relu_net.dy_dw2),
        ("b1", relu_net.dy_db1),
        ("w1", relu_net.dy_dw1),
    ):
        got = func(x, w1, b1, w2, b2)
        assert got.shape == grads[name].shape, name
        np.testing.assert_allclose(got, grads[name], rtol=1e-12, atol=1e-12, err_msg=name)
        np.testing.assert_array_equal(got, param_derivatives(x, w1, b1, w2, b2)[name])


@settings(max_examples=30, deadline=None)
@given(networks())
def test_autograd_helper_matches_autograd_one_x_at_a_time(net):
    x, w1, b1, w2, b2 = net
    y, grads = relu_net.autograd_derivatives(x, w1, b1, w2, b2)
    for j, x_j in enumerate(x):
        t_y, t_d = autograd_at(x_j, w1, b1, w2, b2)
        assert y[j] == pytest.approx(t_y, rel=1e-12, abs=1e-12)
        for n in ("w1", "b1", "w2", "b2"):
            np.testing.assert_allclose(grads[n][j], t_d[n], rtol=1e-12, atol=1e-12, err_msg=n)


def test_autograd_helper_uses_relu_grad_zero_at_the_kink():
    _, grads = relu_net.autograd_derivatives(np.array([0.5, 1.0]), **HANDOUT_PARAMS)
    np.testing.assert_array_equal(grads["b1"], [[0.0, 0.0], [0.5, 0.0]])
    y, grads = relu_net.autograd_derivatives(np.zeros(0), **HANDOUT_PARAMS)
    assert y.shape == (0,) and grads["w1"].shape == (0, 2)


@settings(max_examples=60, deadline=None)
@given(networks(), st.data())
def test_forward_mode_directional_derivative_matches_reference(net, data):
    x, w1, b1, w2, b2 = net
    k = w1.size
    step = {n: data.draw(hnp.arrays(np.float64, k, elements=values)) for n in ("w1", "b1", "w2")}
    step["b2"] = data.draw(values)
    params = {"w1": w1, "b1": b1, "w2": w2, "b2": b2}
    np.testing.assert_allclose(
        relu_net.autograd_directional(x, params, step), directional_derivative(x, params, step), rtol=1e-12, atol=1e-12
    )


def test_jumps_of_the_notebook_network():
    p = HANDOUT_PARAMS
    expected = [[0.5, 2.0], [0.25, 2.0]]  # ∂y/∂b1_i jumps by w2_i, ∂y/∂w1_i by w2_i x_i
    np.testing.assert_allclose(relu_net.kink_jumps(p["w1"], p["b1"], p["w2"]), expected)
    np.testing.assert_allclose(relu_net.autograd_kink_jumps(p["w1"], p["b1"], p["w2"]), expected, atol=1e-12)


def test_jumps_of_units_facing_left_flat_or_at_zero():
    w1, b1, w2 = np.array([-2.0, 0.0, 1.5]), np.array([1.0, 0.7, 0.0]), np.array([0.75, 2.0, -1.0])
    # unit 1 switches off at x = 0.5; unit 2 never switches; unit 3 switches on at x = 0
    expected = [[-0.75, 0.0, -1.0], [-0.375, 0.0, 0.0]]
    np.testing.assert_allclose(relu_net.kink_jumps(w1, b1, w2), expected)
    np.testing.assert_allclose(relu_net.autograd_kink_jumps(w1, b1, w2), expected, atol=1e-12)


nonzero = st.floats(0.2, 3, allow_nan=False).flatmap(lambda v: st.sampled_from([v, -v]))


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda k: st.tuples(
            hnp.arrays(np.float64, k, elements=nonzero),
            hnp.arrays(np.float64, k, elements=values),
            hnp.arrays(np.float64, k, elements=values),
        )
    )
)
def test_jumps_match_one_sided_limits_of_autograd(wbw):
    w1, b1, w2 = wbw
    np.testing.assert_allclose(
        relu_net.kink_jumps(w1, b1, w2), relu_net.autograd_kink_jumps(w1, b1, w2), rtol=1e-9, atol=1e-12
    )
