"""coursekit.hessian: worked numbers, torch.func oracles and brute-force operation counts."""

import itertools
import tracemalloc

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.func import grad, hessian, jvp, vjp

from coursekit import hessian as hs

pytestmark = [
    pytest.mark.nb07,
    # torch.func calls torch.jit.script internally, which warns about its own deprecation.
    pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning"),
]

problems = st.tuples(st.integers(1, 8), st.integers(0, 2**32 - 1))  # (n, seed)


def draw(n, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n), rng.standard_normal(n), rng.standard_normal(n)  # V, x, y


def loss_of(V):
    Vt = torch.tensor(V)
    return lambda x: 0.5 * (x @ Vt) ** 2  # ½ xᵀ V Vᵀ x


class Naive:
    """Matrix products with explicit loops that count scalar multiplications and stored floats."""

    def __init__(self):
        self.multiplications = 0
        self.memory = 0

    def matmul(self, A, B):
        (p, q), (q2, r) = A.shape, B.shape
        assert q == q2
        C = np.zeros((p, r))
        for i, j, k in itertools.product(range(p), range(r), range(q)):
            C[i, j] += A[i, k] * B[k, j]
            self.multiplications += 1
        self.memory += p * r
        return C


def col(a):
    return np.asarray(a, dtype=float).reshape(-1, 1)


# --------------------------------------------------------------------- worked numbers
def test_hessian_worked_example():
    expected = np.array([[9.0, 3.0, 12.0], [3.0, 1.0, 4.0], [12.0, 4.0, 16.0]])
    np.testing.assert_array_equal(hs.quadratic_hessian(np.array([3, 1, 4])), expected)
    np.testing.assert_array_equal(hs.quadratic_hessian(np.array([[3.0], [1.0], [4.0]])), expected)
    # The Hessian is the same at x = (2, 1, 3) as anywhere: check with autograd there.
    at_x = hessian(loss_of(np.array([3.0, 1.0, 4.0])))(torch.tensor([2.0, 1.0, 3.0],
                                                                     dtype=torch.float64))
    np.testing.assert_array_equal(at_x.numpy(), expected)


@pytest.mark.parametrize("hvp", [hs.hvp_reverse, hs.hvp_forward])
def test_vector_hessian_product_worked_example(hvp):
    z = hvp(np.array([4.0, 1.0, 2.0]), np.array([2.0, 2.0, 1.0]))
    assert z.shape == (3,)
    np.testing.assert_array_equal(z, [48.0, 12.0, 24.0])  # vᵀy = 12, z = 12 v
    np.testing.assert_array_equal(hvp(col([4, 1, 2]), col([2, 2, 1])), [48.0, 12.0, 24.0])


# --------------------------------------------------------------------- torch.func oracles
@settings(max_examples=25, deadline=None)
@given(problems)
def test_hessian_matches_torch_func(problem):
    V, x, _ = draw(*problem)
    H = hs.quadratic_hessian(V)
    want = hessian(loss_of(V))(torch.tensor(x)).numpy()
    assert H.shape == (V.size, V.size)
    np.testing.assert_allclose(H, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hs.quadratic_hessian(V[:, None]), want, rtol=1e-12, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(problems)
def test_hvps_match_jvp_and_vjp_of_the_gradient(problem):
    v, x, y = draw(*problem)
    g = grad(loss_of(v))
    forward_mode = jvp(g, (torch.tensor(x),), (torch.tensor(y),))[1].numpy()  # H y
    reverse_mode = vjp(g, torch.tensor(x))[1](torch.tensor(y))[0].numpy()  # yᵀ H
    for hvp in (hs.hvp_reverse, hs.hvp_forward):
        z = hvp(v, y)
        np.testing.assert_allclose(z, forward_mode, rtol=1e-10, atol=1e-12, err_msg=hvp.__name__)
        np.testing.assert_allclose(z, reverse_mode, rtol=1e-10, atol=1e-12, err_msg=hvp.__name__)


def _peak_bytes(f, *args):
    tracemalloc.start()
    try:
        f(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_forward_order_forms_the_hessian_and_reverse_does_not():
    n = 1200
    v, _, y = draw(n, 0)
    matrix = 8 * n * n  # bytes of an (n, n) float64 array
    assert _peak_bytes(hs.hvp_forward, v, y) >= matrix
    assert _peak_bytes(hs.hvp_reverse, v, y) < matrix / 100


# --------------------------------------------------------------------- cost formulas
def naive_hvp(v, y, order):
    count = Naive()
    v, y = col(v), col(y)
    if order == "reverse":
        z = count.matmul(v, count.matmul(v.T, y))  # M = vᵀ y first
    else:
        z = count.matmul(count.matmul(v, v.T), y)  # H = v vᵀ first
    return z[:, 0], count


def naive_z(v, y1, y2, order):
    count = Naive()
    v, y1, y2 = col(v), col(y1), col(y2)
    if order == "reverse":  # from the right: y1 y2ᵀ, then vᵀ (.), then v (.)
        Z = count.matmul(v, count.matmul(v.T, count.matmul(y1, y2.T)))
    else:  # from the left: v vᵀ, then (.) y1, then (.) y2ᵀ
        Z = count.matmul(count.matmul(count.matmul(v, v.T), y1), y2.T)
    return Z, count


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_hvp_orders_cost_2n_and_2n_squared(n):
    v, _, y = draw(n, n)
    z_rev, rev = naive_hvp(v, y, "reverse")
    z_fwd, fwd = naive_hvp(v, y, "forward")
    np.testing.assert_allclose(hs.hvp_reverse(v, y), z_rev, rtol=1e-12)
    np.testing.assert_allclose(hs.hvp_forward(v, y), z_fwd, rtol=1e-12)
    assert (rev.multiplications, fwd.multiplications) == (2 * n, 2 * n * n)  # the docstrings
    H_count = Naive()
    H_count.matmul(col(v), col(v).T)
    assert hs.hessian_costs(n) == {"multiplications": H_count.multiplications,
                                   "memory": H_count.memory}


@pytest.mark.parametrize("n, m", list(itertools.product(range(1, 6), range(1, 6))))
def test_zmatrix_costs_match_a_brute_force_count(n, m):
    rng = np.random.default_rng(10 * n + m)
    v, y1, y2 = rng.standard_normal(n), rng.standard_normal(n), rng.standard_normal(m)
    costs = hs.zmatrix_costs(n, m)
    assert set(costs) == {"reverse", "forward"}
    for order in ("reverse", "forward"):
        Z, count = naive_z(v, y1, y2, order)
        np.testing.assert_allclose(Z, np.outer(v, v) @ np.outer(y1, y2), rtol=1e-10, atol=1e-12)
        assert costs[order] == {"multiplications": count.multiplications, "memory": count.memory}
    # Forward mode pays off exactly when Z is wide.
    fwd, rev = costs["forward"], costs["reverse"]
    assert (fwd["multiplications"] < rev["multiplications"]) == (n < m)
    assert (fwd["memory"] < rev["memory"]) == (n < m)


def test_zmatrix_costs_work_on_integer_arrays():
    n, m = np.array([1, 10, 100]), np.array([100, 10, 1])
    costs = hs.zmatrix_costs(n, m)
    np.testing.assert_array_equal(costs["reverse"]["multiplications"], [300, 300, 300])
    np.testing.assert_array_equal(costs["forward"]["multiplications"], [102, 300, 20100])
    assert hs.zmatrix_costs(3, 4)["forward"] == {"multiplications": 30, "memory": 24}


# --------------------------------------------------------------------- timing
def test_time_orders_shows_the_memory_of_each_order():
    tall = hs.time_orders(600, 4, np.random.default_rng(0), repeats=2)
    wide = hs.time_orders(4, 3000, 1, repeats=2)
    for result in (tall, wide):
        assert set(result) == {"reverse", "forward"}
        assert all(r["seconds"] > 0 and r["peak_bytes"] > 0 for r in result.values())
    assert tall["forward"]["peak_bytes"] >= 8 * 600 * 600  # the (n, n) Hessian
    assert tall["forward"]["peak_bytes"] > 10 * tall["reverse"]["peak_bytes"]
    assert wide["reverse"]["peak_bytes"] > 1.5 * wide["forward"]["peak_bytes"]  # 2nm vs nm


# --------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: hs.quadratic_hessian(np.ones((3, 2))), ValueError,
         r"V: expected shape \(n,\) or \(n, 1\).*got \(3, 2\)"),
        (lambda: hs.quadratic_hessian(np.array([1.0, np.nan])), ValueError, "V: contains NaN"),
        (lambda: hs.quadratic_hessian(np.array([1j, 2])), TypeError, "V: .*complex"),
        (lambda: hs.quadratic_hessian(np.array([])), ValueError, "V: expected shape"),
        (lambda: hs.hvp_reverse(np.ones(3), np.ones(4)), ValueError,
         r"y: expected shape \(n,\) = \(3,\) to match v, got \(4,\)"),
        (lambda: hs.hvp_forward(np.ones(3), np.array([1.0, np.inf, 0.0])), ValueError,
         "y: contains NaN or infinity"),
        (lambda: hs.hvp_forward(np.ones((3, 3)), np.ones(3)), ValueError, "v: expected shape"),
        (lambda: hs.zmatrix_costs(0, 3), ValueError, "n: expected a positive integer"),
        (lambda: hs.zmatrix_costs(3, 2.5), TypeError, "m: expected a positive integer"),
        (lambda: hs.hessian_costs(-1), ValueError, "n: expected a positive integer"),
        (lambda: hs.time_orders(3, 3, 0, repeats=0), ValueError, "repeats"),
        (lambda: hs.time_orders(np.array([3, 4]), 3, 0), ValueError, "single integers"),
    ],
)
def test_bad_inputs_raise(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------------- autodiff HVP, chain steps
@pytest.mark.parametrize(
    "f",
    [
        lambda x: 0.5 * (x @ torch.tensor([3.0, 1.0, 4.0], dtype=torch.float64)) ** 2,
        lambda x: torch.logsumexp(x, 0),
        lambda x: (x**3).sum() + torch.sin(x).prod(),
    ],
)
def test_hvp_autodiff_matches_the_full_hessian(f):
    rng = np.random.default_rng(5)
    for _ in range(3):
        x, y = rng.standard_normal(3), rng.standard_normal(3)
        H = torch.autograd.functional.hessian(f, torch.tensor(x)).numpy()
        z = hs.hvp_autodiff(f, x, y)
        assert z.shape == (3,) and z.dtype == np.float64
        np.testing.assert_allclose(z, H @ y, rtol=1e-10, atol=1e-12)


def test_hvp_autodiff_worked_example_does_not_depend_on_x():
    f = loss_of(np.array([4.0, 1.0, 2.0]))
    for x in ([2.0, 1.0, 3.0], [-50.0, 3.0, 0.1]):
        np.testing.assert_allclose(hs.hvp_autodiff(f, np.array(x), np.array([2.0, 2.0, 1.0])),
                                   [48.0, 12.0, 24.0], rtol=1e-13)


@pytest.mark.parametrize("n, m", [(1, 1), (3, 4), (7, 2)])
def testchain_steps_follow_the_documented_orders(n, m):
    rev = hs.chain_steps(n, m, "reverse")
    fwd = hs.chain_steps(n, m, "forward")
    assert [(left, right) for _, left, right in rev] == [((n, 1), (1, m)), ((1, n), (n, m)), ((n, 1), (1, m))]
    assert [(left, right) for _, left, right in fwd] == [((n, 1), (1, n)), ((n, n), (n, 1)), ((n, 1), (1, m))]
    costs = hs.zmatrix_costs(n, m)
    for order in ("reverse", "forward"):
        assert hs.chain_cost(n, m, order) == (costs[order]["multiplications"], costs[order]["memory"])


def test_time_orders_rounds_last_at_least_min_round():
    import time

    start = time.perf_counter()
    result = hs.time_orders(8, 8, 0, repeats=3, min_round=5e-3)
    assert time.perf_counter() - start >= 0.5 * 2 * 3 * 5e-3  # two orders, three rounds each
    assert 0 < result["reverse"]["seconds"] < 5e-3


def test_hvp_autodiff_rejects_mismatched_inputs():
    f = loss_of(np.ones(3))
    with pytest.raises(ValueError, match=r"y: expected shape \(n,\) = \(3,\) to match x"):
        hs.hvp_autodiff(f, np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="x: contains NaN"):
        hs.hvp_autodiff(f, np.array([1.0, np.nan, 0.0]), np.ones(3))


def test_matmul_cost_counts_a_plain_product_and_refuses_shapes_that_do_not_chain():
    assert hs.matmul_cost((2, 3), (3, 5)) == (30, 10)
    assert hs.matmul_cost((4, 1), (1, 4)) == (16, 16)  # an outer product: one multiplication per entry
    with pytest.raises(ValueError, match="do not chain"):
        hs.matmul_cost((2, 3), (2, 3))
    with pytest.raises(ValueError, match="order: expected 'reverse' or 'forward'"):
        hs.chain_steps(3, 4, "backward")


# --------------------------------------------------------------------- functions to differentiate
FUNCTIONS = [
    hs.Quadratic(np.array([3.0, 1.0, 4.0, -2.0])),
    hs.LogSumExp(),
    hs.CubicPlusCross(),
    hs.SoftplusLayer(np.random.default_rng(3).standard_normal((3, 4))),
    hs.SinProduct(),
]


@pytest.mark.parametrize("f", FUNCTIONS, ids=repr)
def test_functions_match_their_formula_and_rebuild_from_their_fields(f):
    import dataclasses

    x = np.array([0.3, -1.2, 0.7, 2.0])
    formula = {
        hs.Quadratic: lambda: 0.5 * (x @ f.V) ** 2,
        hs.LogSumExp: lambda: np.log(np.exp(x).sum()),
        hs.CubicPlusCross: lambda: (x**3).sum() + x[0] * x[-1],
        hs.SoftplusLayer: lambda: np.logaddexp(0.0, f.W @ x).sum(),
        hs.SinProduct: lambda: np.sin(x).prod(),
    }[type(f)]
    assert float(f(torch.tensor(x))) == pytest.approx(formula(), rel=1e-12)
    # plain data: a grader may send the fields to another process and rebuild the function there
    twin = type(f)(**{field.name: getattr(f, field.name) for field in dataclasses.fields(f)})
    assert repr(twin) == repr(f) and float(twin(torch.tensor(x))) == float(f(torch.tensor(x)))
    y = np.array([1.0, 0.0, -1.0, 0.5])
    H = torch.autograd.functional.hessian(f, torch.tensor(x)).numpy()
    np.testing.assert_allclose(hs.hvp_autodiff(f, x, y), H @ y, rtol=1e-10, atol=1e-12)
