"""coursekit.backprop against PyTorch autograd (float64), finite differences, hand-worked values."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit import backprop as bp
from coursekit.jacobians import numerical_jacobian

pytestmark = pytest.mark.nb06

KEYS = ("W1", "b1", "W2", "b2", "Wg", "bg", "W3", "W4")
ACTS = ("sigmoid", "tanh", "relu")
TORCH_ACT = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
             "identity": lambda a: a}

sizes = st.tuples(
    st.integers(1, 6),  # B
    st.integers(1, 5),  # D
    st.integers(1, 5),  # H
    st.integers(1, 4),  # G
    st.integers(1, 5),  # K
    st.integers(0, 2**32 - 1),  # seed
)


def random_problem(B, D, H, G, K, seed):
    """Parameters with non-zero biases, inputs and labels."""
    rng = np.random.default_rng(seed)
    params = bp.multibranch_init(D, H, G, K, rng)
    params = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in params.items()}
    return params, rng.standard_normal((B, D)), rng.integers(0, K, size=B)


def torch_multibranch(params, x, t):
    """The same network written directly in PyTorch; returns J and the leaf tensors."""
    leaf = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    leaf["x"] = torch.tensor(x, requires_grad=True)
    a1 = leaf["x"] @ leaf["W1"].T + leaf["b1"]
    u = a1 + (leaf["x"] @ leaf["W2"].T + leaf["b2"])
    h = torch.cat([torch.sigmoid(a1), torch.relu(u)], dim=1)
    g = h @ leaf["Wg"].T + leaf["bg"]
    y = g @ leaf["W3"].T + leaf["x"] @ leaf["W4"].T
    J = torch.nn.functional.cross_entropy(y, torch.as_tensor(t, dtype=torch.long), reduction="sum")
    return J, leaf, u


def torch_gradients(params, x, t):
    J, leaf, u = torch_multibranch(params, x, t)
    J.backward()
    return float(J.detach()), {k: v.grad.numpy() for k, v in leaf.items()}, u.detach().numpy()


def assert_grads_close(got, want, rtol=1e-9, atol=1e-11):
    assert set(got) == set(want), f"keys {sorted(got)} != {sorted(want)}"
    for k in want:
        assert got[k].shape == want[k].shape, f"{k}: shape {got[k].shape} != {want[k].shape}"
        np.testing.assert_allclose(got[k], want[k], rtol=rtol, atol=atol, err_msg=k)


# --------------------------------------------------------------------- multi-branch network
@settings(max_examples=40, deadline=None)
@given(sizes)
def test_multibranch_matches_torch(dims):
    params, x, t = random_problem(*dims)
    J, cache = bp.multibranch_forward(params, x, t)
    J_torch, want, _ = torch_gradients(params, x, t)
    assert J == pytest.approx(J_torch, rel=1e-12, abs=1e-12)
    grads = bp.multibranch_backward(params, cache)
    assert_grads_close(grads, want)
    assert set(grads) == set(KEYS) | {"x"}


@settings(max_examples=15, deadline=None)
@given(sizes)
def test_multibranch_matches_finite_differences(dims):
    params, x, t = random_problem(*dims)
    grads = bp.multibranch_backward(params, bp.multibranch_forward(params, x, t)[1])
    for key in KEYS:
        def loss(value, key=key):
            return bp.multibranch_forward({**params, key: value}, x, t)[0]
        np.testing.assert_allclose(grads[key], numerical_jacobian(loss, params[key]),
                                   rtol=1e-5, atol=1e-7, err_msg=key)
    x_numeric = numerical_jacobian(lambda z: bp.multibranch_forward(params, z, t)[0], x)
    np.testing.assert_allclose(grads["x"], x_numeric, rtol=1e-5, atol=1e-7)


def test_worked_example_by_hand():
    # D = H = G = 1, K = 2, x = 0, t = 0: a1 = u = 0, c1 = 1/2, c2 = 0, g = 1/2, y = [1/2, 0].
    params = {"W1": [[1.0]], "b1": [0.0], "W2": [[1.0]], "b2": [0.0], "Wg": [[1.0, 1.0]],
              "bg": [0.0], "W3": [[1.0], [0.0]], "W4": [[0.0], [0.0]]}
    params = {k: np.array(v) for k, v in params.items()}
    J, cache = bp.multibranch_forward(params, np.zeros((1, 1)), np.array([0]))
    assert J == pytest.approx(math.log(1 + math.exp(-0.5)), rel=1e-14)
    s = 1 / (1 + math.exp(0.5))  # 1 - y'_0 = σ(-1/2)
    g = bp.multibranch_backward(params, cache)
    expected = {  # ȳ = [-s, s]; ḡ = -s; c̄1 = c̄2 = -s; ū = 0 (ReLU'(0) = 0); ā1 = -s/4
        "W3": [[-0.5 * s], [0.5 * s]], "W4": [[0.0], [0.0]], "Wg": [[-0.5 * s, 0.0]],
        "bg": [-s], "W1": [[0.0]], "b1": [-0.25 * s], "W2": [[0.0]], "b2": [0.0],
        "x": [[-0.25 * s]],
    }
    assert_grads_close(g, {k: np.array(v) for k, v in expected.items()}, atol=1e-15)


def test_relu_at_exactly_zero_agrees_with_torch():
    rng = np.random.default_rng(7)
    params, x, t = random_problem(5, 4, 6, 3, 4, 7)
    params["W2"], params["b2"] = -params["W1"], -params["b1"]  # u = a1 + a2 = 0 exactly
    params["W2"][:2] = rng.standard_normal((2, 4))  # ... except in the first two units
    J, cache = bp.multibranch_forward(params, x, t)
    _, want, u_torch = torch_gradients(params, x, t)
    assert np.all(cache["u"][:, 2:] == 0.0) and np.all(u_torch[:, 2:] == 0.0)
    grads = bp.multibranch_backward(params, cache)
    assert_grads_close(grads, want)
    assert np.all(grads["b2"][2:] == 0.0)  # no gradient flows through ReLU at 0


def test_zero_parameters_give_uniform_softmax():
    params = {k: np.zeros_like(v) for k, v in bp.multibranch_init(3, 4, 2, 5, 0).items()}
    x, t = np.random.default_rng(1).standard_normal((6, 3)), np.array([0, 1, 2, 3, 4, 0])
    J, cache = bp.multibranch_forward(params, x, t)
    assert J == pytest.approx(6 * math.log(5), rel=1e-14)
    grads = bp.multibranch_backward(params, cache)
    np.testing.assert_array_equal(grads["x"], 0.0)  # every weight that reaches x is zero
    onehot = np.eye(5)[t]
    np.testing.assert_allclose(grads["W4"], (0.2 - onehot).T @ x, rtol=1e-13, atol=1e-15)


def test_single_class_and_large_logits():
    params, x, t = random_problem(3, 2, 3, 2, 1, 3)
    J, cache = bp.multibranch_forward(params, x, t)
    assert J == 0.0 and np.all(bp.multibranch_backward(params, cache)["x"] == 0.0)
    params, x, t = random_problem(4, 3, 3, 2, 4, 5)
    params["W4"] = params["W4"] * 1e4  # logits of order 1e4: a naive softmax overflows
    J, cache = bp.multibranch_forward(params, x, t)
    J_torch, want, _ = torch_gradients(params, x, t)
    assert np.isfinite(J) and J == pytest.approx(J_torch, rel=1e-12)
    assert_grads_close(bp.multibranch_backward(params, cache), want, rtol=1e-9, atol=1e-8)


def test_init_shapes_and_seeding():
    p = bp.multibranch_init(3, 4, 5, 6, np.random.default_rng(0))
    shapes = {"W1": (4, 3), "b1": (4,), "W2": (4, 3), "b2": (4,), "Wg": (5, 8), "bg": (5,),
              "W3": (6, 5), "W4": (6, 3)}
    assert {k: v.shape for k, v in p.items()} == shapes
    assert all(v.dtype == np.float64 for v in p.values())
    q = bp.multibranch_init(3, 4, 5, 6, 0)
    assert all(np.array_equal(p[k], q[k]) for k in KEYS)
    with pytest.raises(ValueError, match="n_hidden"):
        bp.multibranch_init(3, 0, 5, 6, 0)
    with pytest.raises(TypeError, match="n_g: expected a positive integer, got 2.0"):
        bp.multibranch_init(3, 4, 2.0, 6, 0)


@pytest.mark.parametrize(
    "change, error, match",
    [
        (lambda p, x, t: (p, x[0], t), ValueError, r"x: expected a 2-D array, got shape \(3,\)"),
        (lambda p, x, t: (p, x[:, :2], t), ValueError, r"D = 3.*got \(4, 2\)"),
        (lambda p, x, t: (p, np.where(x > 0, np.nan, x), t), ValueError, "x: contains NaN"),
        (lambda p, x, t: (p, x.astype(complex), t), TypeError, "x: .*complex"),
        (lambda p, x, t: (p, x, t.astype(float)), TypeError, "t: expected integer"),
        (lambda p, x, t: (p, x, t[:3]), ValueError, r"t: expected shape \(B,\) = \(4,\)"),
        (lambda p, x, t: (p, x, t + 5), ValueError, r"\[0, 5\)"),
        (lambda p, x, t: (p, x, t - 5), ValueError, r"\[0, 5\)"),
        (lambda p, x, t: ({k: v for k, v in p.items() if k != "bg"}, x, t), ValueError,
         r"missing \['bg'\]"),
        (lambda p, x, t: ({**p, "Wg": p["Wg"][:, :3]}, x, t), ValueError,
         r"params\['Wg'\]: expected shape \(G, 2H\) = \(2, 6\)"),
        (lambda p, x, t: ({**p, "W4": p["W4"].T}, x, t), ValueError, r"params\['W4'\]"),
        (lambda p, x, t: ({**p, "b1": p["b1"] * np.nan}, x, t), ValueError, "b1.*NaN"),
    ],
)
def test_bad_inputs_raise(change, error, match):
    params, x, t = random_problem(4, 3, 3, 2, 5, 0)
    with pytest.raises(error, match=match):
        bp.multibranch_forward(*change(params, x, t))


def test_backward_rejects_a_foreign_cache():
    params, x, t = random_problem(4, 3, 3, 2, 5, 0)
    other, _, _ = random_problem(4, 3, 2, 2, 5, 1)
    _, cache = bp.multibranch_forward(params, x, t)
    with pytest.raises(ValueError, match="cache"):
        bp.multibranch_backward(other, cache)
    with pytest.raises(ValueError, match="cache"):
        bp.multibranch_backward(params, {"x": x})


# --------------------------------------------------------------------- L-layer network
def torch_ffnn(layers, x, activation, output_activation, upstream):
    Ws = [torch.tensor(W, requires_grad=True) for W, _ in layers]
    bs = [torch.tensor(b, requires_grad=True) for _, b in layers]
    z = xt = torch.tensor(x, requires_grad=True)
    pre = []
    for l, (W, b) in enumerate(zip(Ws, bs, strict=True)):
        a = z @ W.T + b
        a.retain_grad()
        pre.append(a)
        z = TORCH_ACT[output_activation if l == len(Ws) - 1 else activation](a)
    (z * torch.tensor(upstream)).sum().backward()  # a loss whose ∂L/∂out is `upstream`
    return (z.detach().numpy(), [W.grad.numpy() for W in Ws], [b.grad.numpy() for b in bs],
            [a.grad.numpy() for a in pre], xt.grad.numpy())


@pytest.mark.parametrize("depth", range(1, 7))
@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("output_activation", [None, "identity"])
def test_ffnn_backward_matches_torch(depth, activation, output_activation):
    rng = np.random.default_rng(100 * depth + len(activation))
    widths = list(rng.integers(1, 6, size=depth + 1))
    layers = [(W, rng.standard_normal(W.shape[0])) for W, _ in bp.ffnn_init(widths, rng, 1.5)]
    x = rng.standard_normal((7, widths[0]))
    out, cache = bp.ffnn_forward(layers, x, activation, output_activation)
    upstream = rng.standard_normal(out.shape)
    grads = bp.ffnn_backward(layers, cache, upstream)
    last = output_activation or activation
    z, dW, db, delta, dx = torch_ffnn(layers, x, activation, last, upstream)
    np.testing.assert_allclose(out, z, rtol=1e-12, atol=1e-14)
    for name, got, want in (("W", grads["W"], dW), ("b", grads["b"], db),
                            ("delta", grads["delta"], delta)):
        assert len(got) == depth
        for l, (g, w) in enumerate(zip(got, want, strict=True), start=1):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12, err_msg=f"{name}_{l}")
    np.testing.assert_allclose(grads["x"], dx, rtol=1e-10, atol=1e-12)


def test_ffnn_relu_at_zero_agrees_with_torch():
    rng = np.random.default_rng(3)
    layers = bp.ffnn_init([3, 4, 2], rng)
    layers[0][0][1] = 0.0  # unit 2 of layer 1 has a = 0 exactly for every input
    x = rng.standard_normal((5, 3))
    out, cache = bp.ffnn_forward(layers, x, "relu", "identity")
    assert np.all(cache["a"][0][:, 1] == 0.0)
    upstream = rng.standard_normal(out.shape)
    grads = bp.ffnn_backward(layers, cache, upstream)
    _, dW, db, _, dx = torch_ffnn(layers, x, "relu", "identity", upstream)
    np.testing.assert_allclose(grads["W"][0], dW[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads["b"][0], db[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads["x"], dx, rtol=1e-12, atol=1e-15)
    assert grads["b"][0][1] == 0.0


def test_ffnn_bad_inputs_raise():
    layers = bp.ffnn_init([3, 4, 2], 0)
    x = np.ones((5, 3))
    with pytest.raises(ValueError, match="activation: expected 'sigmoid', 'tanh' or 'relu'"):
        bp.ffnn_forward(layers, x, "softplus")
    with pytest.raises(ValueError, match="output_activation"):
        bp.ffnn_forward(layers, x, "tanh", "softmax")
    with pytest.raises(ValueError, match=r"layer 2: expected W_2 \(H_2, 4\)"):
        bp.ffnn_forward([layers[0], (np.ones((2, 5)), np.zeros(2))], x, "tanh")
    with pytest.raises(ValueError, match=r"layer 1: .*got W_1 \(4, 3\) and b_1 \(3,\)"):
        bp.ffnn_forward([(layers[0][0], np.zeros(3))], x, "tanh")
    with pytest.raises(ValueError, match="x: contains NaN"):
        bp.ffnn_forward(layers, np.full((2, 3), np.nan), "tanh")
    with pytest.raises(ValueError, match="scale: expected a positive number"):
        bp.ffnn_init([3, 2], 0, scale=0.0)
    with pytest.raises(ValueError, match=r"sizes: expected \[D, H_1, ..., H_L\]"):
        bp.ffnn_init([3], 0)
    with pytest.raises(ValueError, match="params: expected a non-empty list"):
        bp.ffnn_forward([], x, "tanh")
    out, cache = bp.ffnn_forward(layers, x, "tanh")
    with pytest.raises(ValueError, match=r"dL_dout: expected shape \(B, H_L\) = \(5, 2\)"):
        bp.ffnn_backward(layers, cache, np.ones((5, 3)))
    with pytest.raises(ValueError, match="1 layers but the cache has 2"):
        bp.ffnn_backward(layers[:1], cache, np.ones((5, 2)))


@pytest.mark.parametrize("activation", ACTS)
def test_layer_gradient_norms_match_the_numpy_delta_rule(activation):
    depth, width, batch, seed = 5, 6, 8, 11
    norms = bp.layer_gradient_norms(depth, activation, seed, width=width, batch=batch, scale=1.3)
    # Redo the same draws and back-propagate with the NumPy delta rule.
    rng = np.random.default_rng(seed)
    layers = bp.ffnn_init([width] * depth + [1], rng, scale=1.3)
    x, t = rng.standard_normal((batch, width)), rng.standard_normal((batch, 1))
    out, cache = bp.ffnn_forward(layers, x, activation, "identity")
    grads = bp.ffnn_backward(layers, cache, (out - t) / batch)  # L = Σ (out - t)² / 2B
    assert norms.shape == (depth,)
    np.testing.assert_allclose(norms, [np.linalg.norm(g) for g in grads["W"]], rtol=1e-10)


def test_sigmoid_gradients_vanish_with_depth():
    norms = bp.layer_gradient_norms(10, "sigmoid", np.random.default_rng(0))
    assert norms[0] < 1e-3 * norms[-1]  # σ' <= 1/4 shrinks δ at every layer
    again = bp.layer_gradient_norms(10, "sigmoid", np.random.default_rng(0))
    np.testing.assert_array_equal(norms, again)
    with pytest.raises(ValueError, match="depth"):
        bp.layer_gradient_norms(0, "relu", 0)
