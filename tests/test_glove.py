"""coursekit.glove against PyTorch autograd (float64), finite differences and a double loop."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit import glove
from coursekit.data import corpus
from coursekit.jacobians import numerical_jacobian

pytestmark = pytest.mark.nb08

problems = st.tuples(st.integers(1, 9), st.integers(1, 5), st.integers(0, 2**32 - 1))


def random_problem(V, d, seed):
    rng = np.random.default_rng(seed)
    W, Wt = rng.standard_normal((V, d)), rng.standard_normal((V, d))
    b, bt = rng.standard_normal((V, 1)), rng.standard_normal((V, 1))
    return W, Wt, b, bt, np.log(rng.integers(0, 30, size=(V, V)) + 1.0)


def torch_loss_and_grads(W, Wt, b, bt, log_X, tied=False):
    leaves = [torch.tensor(a, requires_grad=True) for a in (W, Wt, b, bt)]
    tW, tWt, tb, tbt = (leaves[0], leaves[0], leaves[2], leaves[2]) if tied else leaves
    L = ((tW @ tWt.T + tb + tbt.T - torch.tensor(log_X)) ** 2).sum()
    L.backward()
    grads = [leaf.grad.numpy() if leaf.grad is not None else None for leaf in leaves]
    return float(L.detach()), grads


def loop_loss(W, Wt, b, bt, log_X):
    V = len(W)
    return sum((W[i] @ Wt[j] + b[i, 0] + bt[j, 0] - log_X[i, j]) ** 2
               for i in range(V) for j in range(V))


@settings(max_examples=60, deadline=None)
@given(problems)
def test_loss_and_grad_match_torch_autograd(problem):
    args = random_problem(*problem)
    want_loss, want = torch_loss_and_grads(*args)
    assert glove.loss(*args) == pytest.approx(want_loss, rel=1e-12)
    assert glove.loss(*args) == pytest.approx(loop_loss(*args), rel=1e-10)
    got = glove.grad(*args)
    for name, g, w, a in zip(("W", "W_tilde", "b", "b_tilde"), got, want, args, strict=False):
        assert g.shape == a.shape, name
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-10, err_msg=name)


@settings(max_examples=25, deadline=None)
@given(problems)
def test_grad_matches_finite_differences(problem):
    args = list(random_problem(*problem))
    got = glove.grad(*args)
    for k in range(4):
        def f(value, k=k):
            return np.array(glove.loss(*args[:k], value, *args[k + 1:]))
        numeric = numerical_jacobian(f, args[k], eps=1e-6)
        np.testing.assert_allclose(got[k], numeric, rtol=1e-6, atol=1e-5)


@settings(max_examples=25, deadline=None)
@given(problems)
def test_looped_gradient_equals_vectorised(problem):
    args = random_problem(*problem)
    for a, b in zip(glove.grad_looped(*args), glove.grad(*args), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(problems)
def test_tied_gradient_matches_torch(problem):
    W, _, b, _, log_X = random_problem(*problem)
    _, want = torch_loss_and_grads(W, W, b, b, log_X, tied=True)
    got_W, got_b = glove.tied_grad(W, b, log_X)
    assert got_W.shape == W.shape and got_b.shape == b.shape
    np.testing.assert_allclose(got_W, want[0], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got_b, want[2], rtol=1e-10, atol=1e-10)
    halves = glove.grad(W, W, b, b, log_X)  # the untied gradient at W̃ = W: both halves add up
    np.testing.assert_allclose(halves[0] + halves[1], want[0], rtol=1e-10, atol=1e-10)
    auto_W, auto_b = glove.autograd_grads(W, W, b, b, log_X, tied=True)
    np.testing.assert_allclose(auto_W, want[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(auto_b, want[2], rtol=1e-12, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(problems)
def test_autograd_grads_match_the_reference(problem):
    args = random_problem(*problem)
    for a, b in zip(glove.autograd_grads(*args), glove.grad(*args), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(problems)
def test_symmetric_loss_floor_bounds_every_tied_model(problem):
    W, _, b, _, log_X = random_problem(*problem)
    floor = glove.symmetric_loss_floor(log_X)
    assert floor == pytest.approx(((log_X - log_X.T) ** 2).sum() / 4, rel=1e-12, abs=1e-12)
    assert glove.loss(W, W, b, b, log_X) >= floor - 1e-9
    # the bound is tight when the symmetric part is a tied prediction: S = W Wᵀ + b 1ᵀ + 1 bᵀ
    A = np.triu(log_X, 1) - np.triu(log_X, 1).T
    target = W @ W.T + b + b.T + A
    assert glove.loss(W, W, b, b, target) == pytest.approx(glove.symmetric_loss_floor(target),
                                                           rel=1e-10, abs=1e-10)


def test_usable_gradient_accepts_right_and_rejects_wrong_gradients():
    assert glove.usable_gradient(glove.grad)[0] is glove.grad
    assert glove.usable_gradient(glove.tied_grad, tied=True)[0] is glove.tied_grad

    def half(*args):
        return tuple(g / 2 for g in glove.grad(*args))

    def unfinished(*args):
        raise NotImplementedError

    def flat(W, b, log_X):
        return tuple(g.ravel() for g in glove.tied_grad(W, b, log_X))

    assert glove.usable_gradient(half) == (None, "half differs from PyTorch autograd on a small "
                                                 "random problem")
    assert glove.usable_gradient(unfinished)[1] == "unfinished is not written yet"
    assert "returned shapes" in glove.usable_gradient(flat, tied=True)[1]
    assert "raised TypeError" in glove.usable_gradient(glove.tied_grad)[1]  # wrong signature


def test_parameter_count():
    assert glove.parameter_count(251, 16) == 8534  # 2·251·16 + 2·251
    for V, d in ((1, 1), (7, 3), (2000, 256)):
        p = glove.init_params(V, d, 0)
        assert glove.parameter_count(V, d) == sum(a.size for a in p)
    with pytest.raises(ValueError, match="d"):
        glove.parameter_count(10, 0)


def test_worked_example_by_hand():
    """V = 2, d = 1: R = [[1·3+0.5+(-1)-0, 1·(-1)+0.5+2-0], [2·3-1-1-log 2, ...]]."""
    W, Wt = np.array([[1.0], [2.0]]), np.array([[3.0], [-1.0]])
    b, bt, log_X = np.array([[0.5], [-1.0]]), np.array([[-1.0], [2.0]]), np.log([[1, 1], [2, 1]])
    R = np.array([[2.5, 1.5], [4.0 - np.log(2), -1.0]])
    assert glove.loss(W, Wt, b, bt, log_X) == pytest.approx((R ** 2).sum())
    gW, gWt, gb, gbt = glove.grad(W, Wt, b, bt, log_X)
    np.testing.assert_allclose(gW[:, 0], 2 * (R @ Wt)[:, 0])
    np.testing.assert_allclose(gb[:, 0], [2 * 4.0, 2 * (3.0 - np.log(2))])
    np.testing.assert_allclose(gbt[:, 0], 2 * R.sum(axis=0))
    np.testing.assert_allclose(gWt[:, 0], 2 * (R.T @ W)[:, 0])


@pytest.fixture(scope="module")
def log_X():
    data = corpus.load_corpus(0, size=20_000)
    return corpus.log_cooccurrence(data, 251)


def test_training_lowers_the_loss_and_asymmetric_fits_better(log_X):
    (W, Wt, b, bt), hist = glove.train_momentum(log_X, 8, 0, epochs=150, progress=False)
    start = glove.loss(*glove.init_params(251, 8, 0), log_X)
    assert hist["train"][-1] < 0.25 * start
    assert np.all(np.diff(hist["train"][100:]) <= 1e-9 * hist["train"][100])  # settles
    assert hist["train"][-1] == pytest.approx(glove.loss(W, Wt, b, bt, log_X))
    p_sym, h_sym = glove.train_momentum(log_X, 8, 0, epochs=150, symmetric=True, progress=False)
    assert p_sym.W_tilde is p_sym.W and p_sym.b_tilde is p_sym.b
    assert h_sym["train"][-1] < 0.8 * start
    assert hist["train"][-1] < h_sym["train"][-1]  # the co-occurrences are not symmetric


def test_training_with_a_given_gradient_follows_it(log_X):
    kwargs = dict(epochs=20, progress=False, log_X_valid=log_X)
    p_ref, h_ref = glove.train_momentum(log_X, 4, 1, **kwargs)
    p_own, h_own = glove.train_momentum(log_X, 4, 1, grad_fn=glove.grad, **kwargs)
    np.testing.assert_allclose(h_own["train"], h_ref["train"], rtol=1e-10)
    kwargs["symmetric"] = True
    h_tied = [glove.train_momentum(log_X, 4, 1, **kwargs, **fn)[1]["train"]
              for fn in ({}, {"grad_fn": glove.grad}, {"tied_grad_fn": glove.tied_grad})]
    np.testing.assert_allclose(h_tied[1], h_tied[0], rtol=1e-10)
    np.testing.assert_allclose(h_tied[2], h_tied[0], rtol=1e-10)
    np.testing.assert_allclose(h_ref["valid"], h_ref["train"], rtol=1e-12)
    wrong = lambda *a: tuple(-g for g in glove.grad(*a))  # noqa: E731  (ascends)
    with pytest.raises(FloatingPointError, match="lower lr"):
        glove.train_momentum(log_X, 4, 1, epochs=400, grad_fn=wrong, progress=False)


def test_too_large_a_learning_rate_is_reported(log_X):
    with pytest.raises(FloatingPointError, match="diverged"):
        glove.train_momentum(log_X, 4, 0, lr=1.0, epochs=50, progress=False)


@pytest.mark.parametrize("k, bad, err, match", [
    (2, np.zeros(5), ValueError, r"b: expected shape \(5, 1\)"),
    (0, np.zeros((4, 3)), ValueError, r"W: expected shape \(5, 3\)"),
    (1, np.zeros((5, 2)), ValueError, "W_tilde: expected the shape of W"),
    (4, np.zeros((5, 4)), ValueError, r"log_X: expected a square \(V, V\) matrix"),
    (3, np.full((5, 1), np.nan), ValueError, "b_tilde: contains NaN"),
    (0, np.zeros((5, 3), dtype=object), TypeError, "W: expected a real array"),
])
def test_bad_arguments_are_named(k, bad, err, match):
    args = list(random_problem(5, 3, 0))
    args[k] = bad
    for f in (glove.loss, glove.grad):
        with pytest.raises(err, match=match):
            f(*args)
