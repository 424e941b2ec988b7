"""Tests of coursekit.optimizers: momentum and Adam steps against torch.optim, and the runs."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.optimizers import (
    PARAM_NAMES,
    adam_step,
    fit,
    fit_with_step,
    init_params,
    momentum_step,
    net_forward,
    target_data,
)
from tests.strategies import arrays

pytestmark = pytest.mark.nb11


def torch_trajectory(opt_factory, theta, grads):
    """Parameters after each step of a torch optimiser fed the given gradients (the oracle)."""
    p = torch.nn.Parameter(torch.tensor(theta, dtype=torch.float64))
    opt = opt_factory([p])
    out = []
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(p.detach().numpy().copy())
    return out


@settings(max_examples=30, deadline=None)
@given(arrays(min_dims=1, max_dims=2, lo=-3, hi=3), st.floats(1e-3, 0.5), st.floats(0.0, 0.99), st.integers(0, 1000))
def test_momentum_steps_follow_torch_sgd(theta, lr, mu, seed):
    grads = np.random.default_rng(seed).normal(size=(6, *theta.shape))
    expected = torch_trajectory(lambda ps: torch.optim.SGD(ps, lr=lr, momentum=mu), theta, grads)
    velocity, current = np.zeros_like(theta), theta.copy()
    for g, want in zip(grads, expected, strict=True):
        current, velocity = momentum_step(current, g, velocity, lr, mu)
        np.testing.assert_allclose(current, want, rtol=1e-10, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(arrays(min_dims=1, max_dims=2, lo=-3, hi=3), st.floats(1e-4, 0.1), st.sampled_from([(0.9, 0.999), (0.5, 0.9)]),
       st.floats(-6, 1), st.integers(0, 1000))  # fmt: skip
def test_adam_steps_follow_torch_adam(theta, lr, betas, log_scale, seed):
    grads = 10.0**log_scale * np.random.default_rng(seed).normal(size=(8, *theta.shape))
    expected = torch_trajectory(lambda ps: torch.optim.Adam(ps, lr=lr, betas=betas), theta, grads)
    m, v, current = np.zeros_like(theta), np.zeros_like(theta), theta.copy()
    for t, (g, want) in enumerate(zip(grads, expected, strict=True), start=1):
        current, m, v = adam_step(current, g, m, v, t, lr, *betas)
        np.testing.assert_allclose(current, want, rtol=1e-9, atol=1e-12)


def test_steps_do_not_change_their_inputs():
    theta, grad, state = np.ones(3), np.full(3, 0.5), np.full(3, 0.2)
    copies = [a.copy() for a in (theta, grad, state)]
    momentum_step(theta, grad, state, 0.1)
    adam_step(theta, grad, state, state, 2, 0.1)
    for a, b in zip((theta, grad, state), copies, strict=True):
        np.testing.assert_array_equal(a, b)


def test_data_and_start_are_reproducible():
    x, y = target_data(30, noise=0.1, seed=2)
    assert x.shape == y.shape == (30,) and x[0] == -2.0 and x[-1] == 2.0
    np.testing.assert_array_equal(y, target_data(30, noise=0.1, seed=2)[1])
    np.testing.assert_allclose(target_data(30, noise=0.0)[1], np.sin(2 * x))
    p = init_params(7, seed=3)
    assert {k: np.shape(v) for k, v in p.items()} == {"w1": (7,), "b1": (7,), "w2": (7,), "b2": ()}
    kinks = -p["b1"] / p["w1"]
    assert ((kinks >= -2) & (kinks <= 2)).all()
    np.testing.assert_array_equal(p["w2"], init_params(7, seed=3)["w2"])
    with pytest.raises(ValueError, match="k must"):
        init_params(0)


def test_fit_records_loss_and_snapshots():
    x, y = target_data(20)
    start = init_params(5, seed=1)
    run = fit("sgd", x, y, start, lr=0.05, epochs=30, every=7)
    np.testing.assert_array_equal(run.epochs, [0, 7, 14, 21, 28, 30])
    assert run.loss.shape == (31,) and run.predictions.shape == (6, run.x_plot.size)
    assert run.loss[0] == pytest.approx(np.mean((net_forward(start, x) - y) ** 2))
    np.testing.assert_allclose(run.predictions[0], net_forward(start, run.x_plot))
    last = {k: run.params[k][-1] for k in PARAM_NAMES}
    assert run.loss[-1] == pytest.approx(np.mean((net_forward(last, x) - y) ** 2))
    assert run.loss[-1] < run.loss[0]
    assert run.snapshot_at(20) == 2 and run.snapshot_at(30) == 5 and run.snapshot_at(0) == 0
    np.testing.assert_allclose(run.kinks(0), -start["b1"] / start["w1"])
    for key in PARAM_NAMES:  # the start is not modified
        assert np.shape(run.params[key][0]) == np.shape(start[key])
    with pytest.raises(ValueError, match="optimizer"):
        fit("adagrad", x, y, start, lr=0.1, epochs=2)


@pytest.mark.parametrize("rule, step, lr", [("momentum", momentum_step, 0.05), ("adam", adam_step, 0.02)])
def test_numpy_rules_reproduce_torch_runs(rule, step, lr):
    x, y = target_data(25)
    start = init_params(6, seed=4)
    torch_run = fit(rule, x, y, start, lr=lr, epochs=40, every=10)
    mine = fit_with_step(rule, step, x, y, start, lr=lr, epochs=40, every=10)
    assert mine.note == "" and mine.mine and mine.family == rule and mine.name == f"your {rule}"
    np.testing.assert_allclose(mine.loss, torch_run.loss, rtol=1e-7)
    np.testing.assert_allclose(mine.predictions, torch_run.predictions, rtol=1e-6, atol=1e-9)


def test_a_broken_rule_stops_the_run_with_a_note():
    x, y = target_data(10)
    start = init_params(3)

    def unfinished(*args):
        raise NotImplementedError

    def exploding(theta, grad, velocity, lr, mu=0.9):
        return theta * 1e200, velocity

    cases = {
        "not written yet": unfinished,
        "raised ValueError": lambda *a: (_ for _ in ()).throw(ValueError("bad")),
        "expected 2 arrays": lambda theta, grad, velocity, lr: (theta,),
        "the loss became": exploding,
    }
    for fragment, func in cases.items():
        run = fit_with_step("momentum", func, x, y, start, lr=0.1, epochs=5, every=1)
        assert fragment in run.note, (fragment, run.note)
        assert np.isfinite(run.loss[0]) and np.isnan(run.loss[-1])
    with pytest.raises(ValueError, match="rule"):
        fit_with_step("sgd", momentum_step, x, y, start, lr=0.1, epochs=2)
