"""Tests of coursekit.concepts (the experiments of notebook 00) against PyTorch and by hand."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from coursekit import concepts as c

pytestmark = pytest.mark.nb00


def _torch_forward(X, weights, biases):
    h = torch.tensor(X)
    for layer, (W, b) in enumerate(zip(weights, biases, strict=True)):
        h = torch.nn.functional.linear(h, torch.tensor(W), torch.tensor(b))
        if layer < len(weights) - 1:
            h = torch.relu(h)
    return h.numpy()


@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=5),
    batch=st.integers(1, 7),
    seed=st.integers(0, 2**16),
)
def test_forward_matches_torch_and_the_loop(sizes, batch, seed):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=(o, i)) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
    biases = [rng.normal(size=o) for o in sizes[1:]]
    X = rng.normal(size=(batch, sizes[0]))
    expected = _torch_forward(X, weights, biases)
    np.testing.assert_allclose(c.mlp_forward(X, weights, biases), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(c.looped_forward(X, weights, biases), expected, rtol=1e-12, atol=1e-12)


def test_forward_output_layer_is_linear():
    W = [np.array([[1.0]]), np.array([[-1.0]])]
    b = [np.zeros(1), np.zeros(1)]
    X = np.array([[2.0], [-3.0]])
    np.testing.assert_array_equal(c.mlp_forward(X, W, b), [[-2.0], [0.0]])  # ReLU inside only


def test_zero_and_constant_initialisations_never_break_symmetry():
    zeros = c.symmetry_run("zeros", steps=40)
    assert zeros["W1"].shape == (41, 4, 3)
    assert np.all(zeros["W1"] == 0)  # tanh(0) = 0 and zero output weights: nothing moves
    const = c.symmetry_run("constant", steps=40)
    spread = np.ptp(const["W1"], axis=1)  # (steps + 1, 3): differences between the units
    assert np.all(spread < 1e-12) and not np.allclose(const["W1"][-1], const["W1"][0])
    rand = c.symmetry_run("random", steps=120)
    assert np.ptp(rand["W1"][-1], axis=0).max() > 0.1 and rand["loss"][-1] < rand["loss"][0] - 0.05
    with pytest.raises(ValueError, match="init"):
        c.symmetry_run("ones")


def test_dropout_train_mode_is_random_and_eval_mode_is_its_mean():
    out = c.dropout_outputs(p=0.5, passes=4000, seed=3)
    train, evaluated = out["train"], out["eval"]
    assert train.shape == (4000, 3) and evaluated.shape == (3,)
    assert train.std(axis=0).min() > 0.01
    standard_error = train.std(axis=0) / np.sqrt(len(train))
    # only the last layer is linear after dropout: the mean over masks equals the eval output
    assert np.all(np.abs(train.mean(axis=0) - evaluated) < 5 * standard_error)
    np.testing.assert_allclose(c.dropout_outputs(p=0.0, passes=3)["train"][0], c.dropout_outputs(p=0.0)["eval"])


def test_gradient_norms_vanish_for_saturated_sigmoids_but_not_with_skip_connections():
    plain = c.gradient_norms("sigmoid", 20)
    assert plain["grad"].shape == (21,) and plain["pre"].shape == (128, 32)
    assert plain["grad"][0] < 1e-8 * plain["grad"][-1]
    skip = c.gradient_norms("sigmoid", 20, residual=True)
    assert skip["grad"][0] > 1e-3 * skip["grad"][-1]
    positive = c.gradient_norms("sigmoid", 5, init="positive", scale=4.0)
    assert positive["saturated"] > 0.5
    assert c.gradient_norms("tanh", 5)["saturated"] < 0.05
    relu = c.gradient_norms("relu", 20)["grad"]
    assert relu[0] > 1e-3 * relu[-1]
    with pytest.raises(ValueError, match="valid names"):
        c.gradient_norms("softplus", 3)


def test_gradient_norms_match_an_nn_module_built_the_same_way():
    res = c.gradient_norms("tanh", 3, width=5, batch=7, seed=2)
    g = torch.Generator().manual_seed(2)
    sizes = [16, 5, 5, 5, 1]
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        lin = torch.nn.Linear(n_in, n_out, bias=False).double()
        with torch.no_grad():
            lin.weight.copy_(torch.randn(n_out, n_in, generator=g, dtype=torch.float64) / np.sqrt(n_in))
        layers += [lin, torch.nn.Tanh()]
    net = torch.nn.Sequential(*layers[:-1])
    x = torch.randn(7, 16, generator=g, dtype=torch.float64)
    target = torch.randn(7, 1, generator=g, dtype=torch.float64)
    torch.nn.functional.mse_loss(net(x), target).backward()
    expected = [float(m.weight.grad.norm()) for m in net if isinstance(m, torch.nn.Linear)]
    np.testing.assert_allclose(res["grad"], expected, rtol=1e-10)


def test_feature_net_learns_the_rings_and_maps_every_unit():
    net, X, y = c.train_feature_net(hidden=(4, 3), steps=300)
    with torch.no_grad():
        accuracy = ((net(torch.tensor(X))[:, 0] > 0).numpy() == y).mean()
    assert accuracy > 0.9
    maps = c.unit_maps(net, n=11)
    assert [m.shape for m in maps] == [(4, 11, 11), (3, 11, 11)]
    assert np.all(np.abs(maps[0]) <= 1)
    # the grid's row i is x2 = grid[i]: the first unit at (x1, x2) = (grid[0], grid[10])
    grid = np.linspace(-1.6, 1.6, 11)
    with torch.no_grad():
        direct = torch.tanh(net[0](torch.tensor([[grid[0], grid[10]]])))[0, 0].item()
    assert maps[0][0, 10, 0] == pytest.approx(direct)


def test_zigzag_steps_follow_the_inputs():
    paths = c.zigzag_paths(steps=30, lr=0.5, seed=1)
    sig = paths["sigmoid"]
    steps = np.diff(sig["path"], axis=0)  # (30, 2): every step is a multiple of its input
    assert np.all(sig["inputs"] > 0)
    assert np.all(steps[:, 0] * steps[:, 1] >= 0)  # both weights move the same way
    np.testing.assert_allclose(steps[:, 0] * sig["inputs"][:, 1], steps[:, 1] * sig["inputs"][:, 0], atol=1e-12)
    tanh = c.zigzag_paths(steps=200, lr=0.5, seed=1)["tanh"]
    assert np.linalg.norm(tanh["path"][-1] - [1.5, -1.5]) < 0.05
