"""The gradient checker passes right gradients and fails wrong ones, with a readable table."""

import numpy as np
import pytest

from coursekit.grading import CheckFailed, gradcheck


def _loss(p):
    return float(np.sum(np.tanh(p["W"] @ p["x"])) + np.sum(p["b"] ** 2))


def _grads(p):
    t = np.tanh(p["W"] @ p["x"])
    return {"W": np.outer(1 - t**2, p["x"]), "x": p["W"].T @ (1 - t**2), "b": 2 * p["b"]}


@pytest.fixture
def params():
    rng = np.random.default_rng(0)
    return {"W": rng.normal(size=(3, 4)), "x": rng.normal(size=4), "b": rng.normal(size=2)}


def test_right_gradients_pass(params):
    report = gradcheck(_loss, params, _grads(params))
    assert report.ok
    assert all(r.rel_error < 1e-8 for r in report.rows)
    report.assert_ok()


def test_wrong_gradient_fails_and_is_named(params):
    grads = _grads(params)
    grads["x"] = 2 * grads["x"]
    report = gradcheck(_loss, params, grads)
    assert not report.ok
    assert [r.name for r in report.rows if not r.ok] == ["x"]
    with pytest.raises(CheckFailed, match="gradient check failed for x") as info:
        report.assert_ok()
    assert "WRONG" in str(info.value) and "rel. error" in str(info.value)


def test_shape_and_name_errors(params):
    with pytest.raises(CheckFailed, match="has shape"):
        gradcheck(_loss, params, {"W": np.zeros((4, 3))})
    with pytest.raises(KeyError, match="no parameter"):
        gradcheck(_loss, params, {"V": np.zeros(1)})


def test_params_are_not_modified(params):
    before = {k: v.copy() for k, v in params.items()}
    gradcheck(_loss, params, _grads(params))
    assert all(np.array_equal(before[k], params[k]) for k in params)
