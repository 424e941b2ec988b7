"""Tests of coursekit.attention: scaled dot-product attention against PyTorch, and the
Transformer-as-graph-network view."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.attention import (
    EXAMPLE_STATES,
    adjacency_mask,
    attention,
    fully_connected_edges,
    gnn_attention_dense,
    gnn_attention_update,
    gnn_worked_example,
)

pytestmark = [pytest.mark.nb14, pytest.mark.filterwarnings("error::RuntimeWarning")]


def torch_attention(Q, K, V, mask=None, scale=None):
    """PyTorch's output and weights (the weights as the output for V = identity)."""
    q, k, v = (torch.tensor(x, dtype=torch.float64) for x in (Q, K, V))
    m = None if mask is None else torch.tensor(mask)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=m, scale=scale)
    eye = torch.eye(k.shape[-2], dtype=torch.float64).expand(*k.shape[:-1], k.shape[-2])
    weights = F.scaled_dot_product_attention(q, k, eye, attn_mask=m, scale=scale)
    return out.numpy(), weights.numpy()


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    batch=st.sampled_from([(), (1,), (3,), (2, 3)]),
    N=st.integers(1, 5),
    M=st.integers(1, 6),
    d=st.integers(1, 4),
    dv=st.integers(1, 4),
    mask_kind=st.sampled_from(["none", "shared", "per_batch", "causal"]),
    magnitude=st.sampled_from([1.0, 30.0]),
)
def test_attention_matches_torch(seed, batch, N, M, d, dv, mask_kind, magnitude):
    rng = np.random.default_rng(seed)
    Q = magnitude * rng.normal(size=batch + (N, d))
    K = rng.normal(size=batch + (M, d))
    V = rng.normal(size=batch + (M, dv))
    mask = {
        "none": None,
        "shared": rng.random((N, M)) < 0.6,  # broadcast over the batch
        "per_batch": rng.random(batch + (N, M)) < 0.6,
        "causal": np.tril(np.ones((N, M), dtype=bool)),
    }[mask_kind]
    out, weights = attention(Q, K, V, mask)
    want_out, want_w = torch_attention(Q, K, V, mask)
    assert out.shape == batch + (N, dv) and weights.shape == batch + (N, M)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, want_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weights, want_w, rtol=1e-10, atol=1e-12)
    allowed = np.broadcast_to(True if mask is None else mask, weights.shape)
    assert np.all(weights[~allowed] == 0)
    row_sums = weights.sum(axis=-1)
    np.testing.assert_allclose(row_sums, allowed.any(axis=-1).astype(float), atol=1e-12)


def test_attention_by_hand():
    # Two keys along the axes; the query's scores are (2, 0) / √2 before the softmax.
    Q = np.array([[2.0, 0.0]])
    K = np.array([[1.0, 0.0], [0.0, 1.0]])
    V = np.array([[10.0], [20.0]])
    out, w = attention(Q, K, V)
    p = 1 / (1 + np.exp(-np.sqrt(2)))  # e^{√2} / (e^{√2} + e^0)
    np.testing.assert_allclose(w, [[p, 1 - p]], rtol=1e-14)
    np.testing.assert_allclose(out, [[10 * p + 20 * (1 - p)]], rtol=1e-14)
    out, w = attention(Q, K, V, mask=np.array([[False, True]]))
    np.testing.assert_array_equal(w, [[0.0, 1.0]])
    np.testing.assert_array_equal(out, [[20.0]])
    out, w = attention(Q, K, V, mask=np.array([[False, False]]))  # nothing allowed
    np.testing.assert_array_equal(w, [[0.0, 0.0]])
    np.testing.assert_array_equal(out, [[0.0]])


def test_attention_is_stable_for_huge_scores():
    Q = np.array([[1e4, 0.0], [-1e4, 0.0]])
    K = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    V = np.eye(3)
    out, w = attention(Q, K, V)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(w, [[1, 0, 0], [0, 1, 0]], atol=1e-300)


@pytest.mark.parametrize(
    "Q_shape, K_shape, V_shape, mask, error, match",
    [
        ((3, 2), (4, 3), (4, 5), None, ValueError, "same d"),
        ((3, 2), (4, 2), (5, 5), None, ValueError, "same M"),
        ((2,), (4, 2), (4, 5), None, ValueError, "at least 2"),
        ((2, 3, 2), (4, 4, 2), (4, 4, 5), None, ValueError, "broadcast"),
        ((3, 2), (4, 2), (4, 5), np.ones((3, 4)), TypeError, "boolean"),
        ((3, 2), (4, 2), (4, 5), np.ones((4, 3), bool), ValueError, r"\(3, 4\)"),
        ((3, 2), (4, 2), (4, 5), np.ones((2, 3, 4), bool), ValueError, "broadcast"),
    ],
)
def test_attention_bad_input(Q_shape, K_shape, V_shape, mask, error, match):
    with pytest.raises(error, match=match):
        attention(np.ones(Q_shape), np.ones(K_shape), np.ones(V_shape), mask)


def test_attention_rejects_nan_and_strings():
    with pytest.raises(ValueError, match="K contains NaN"):
        attention(np.ones((2, 2)), np.full((2, 2), np.nan), np.ones((2, 2)))
    with pytest.raises(TypeError, match="Q must be a real array"):
        attention(np.array([["a"]]), np.ones((1, 1)), np.ones((1, 1)))


@pytest.mark.parametrize("n", [1, 2, 4, 6])
@pytest.mark.parametrize("self_loops", [False, True])
def test_fully_connected_edges(n, self_loops):
    edges = fully_connected_edges(n, self_loops)
    want = sorted((j, i) for i, j in itertools.product(range(n), repeat=2) if self_loops or i != j)
    assert sorted(map(tuple, edges.tolist())) == want
    assert [(j, i) for j, i in edges.tolist()] == sorted(want, key=lambda e: (e[1], e[0]))
    assert len(edges) == (n * n if self_loops else n * (n - 1))


def test_sentence_graph_edge_count():
    # "I eat red apples": 4 tokens, every ordered pair of distinct tokens is an edge.
    assert len(fully_connected_edges(4, self_loops=False)) == 12
    assert len(fully_connected_edges(4, self_loops=True)) == 16


def random_edges(rng, n):
    all_edges = fully_connected_edges(n, self_loops=True)
    return all_edges[rng.random(len(all_edges)) < 0.5]


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 6),
    d=st.integers(1, 4),
    dk=st.integers(1, 4),
    dv=st.integers(1, 4),
    graph=st.sampled_from(["complete", "random", "no_self_loops"]),
    scale=st.sampled_from([None, 1.0]),
)
def test_message_passing_equals_attention(seed, n, d, dk, dv, graph, scale):
    rng = np.random.default_rng(seed)
    H = rng.normal(size=(n, d))
    Wq, Wk, Wv = rng.normal(size=(dk, d)), rng.normal(size=(dk, d)), rng.normal(size=(dv, d))
    edges = {
        "complete": None,
        "random": random_edges(rng, n),
        "no_self_loops": fully_connected_edges(n, self_loops=False),
    }[graph]
    looped = gnn_attention_update(H, Wq, Wk, Wv, edges, scale)
    dense = gnn_attention_dense(H, Wq, Wk, Wv, edges, scale)
    mask = None if edges is None else adjacency_mask(edges, n)
    want, _ = torch_attention(H @ Wq.T, H @ Wk.T, H @ Wv.T, mask, scale)
    assert looped.shape == (n, dv)
    np.testing.assert_allclose(looped, want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dense, want, rtol=1e-10, atol=1e-12)
    if scale is None:
        np.testing.assert_allclose(attention(H @ Wq.T, H @ Wk.T, H @ Wv.T, mask)[0], looped,
                                   rtol=1e-10, atol=1e-12)


def test_message_passing_by_hand():
    # Node 0 receives from nodes 1 and 2 only; unscaled scores h_0·h_1 = 1 and h_0·h_2 = 0.
    H = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    edges = np.array([[1, 0], [2, 0]])
    eye = np.eye(2)
    out = gnn_attention_update(H, eye, eye, eye, edges, scale=1.0)
    a = np.e / (np.e + 1)
    np.testing.assert_allclose(out[0], a * H[1] + (1 - a) * H[2], rtol=1e-14)
    np.testing.assert_array_equal(out[1:], 0.0)  # nodes without incoming edges


def test_adjacency_mask_and_bad_edges():
    mask = adjacency_mask(np.array([[0, 1], [2, 1], [1, 1]]), 3)
    want = np.zeros((3, 3), bool)
    want[1, [0, 1, 2]] = True  # row = receiving node
    np.testing.assert_array_equal(mask, want)
    H, W = np.ones((3, 2)), np.ones((2, 2))
    with pytest.raises(ValueError, match="twice"):
        gnn_attention_update(H, W, W, W, np.array([[0, 1], [0, 1]]))
    with pytest.raises(ValueError, match="outside"):
        gnn_attention_update(H, W, W, W, np.array([[0, 3]]))
    with pytest.raises(ValueError, match=r"\(E, 2\)"):
        gnn_attention_dense(H, W, W, W, np.array([0, 1]))
    with pytest.raises(ValueError, match="Wv must have shape"):
        gnn_attention_update(H, W, W, np.ones((2, 3)))


def test_worked_example_numbers():
    # h_1 = [1, -1]; f(x) = 2x; Agg = 0.6 f(h_2) + 0.2 f(h_3) + 0.2 f(h_4) = [-0.8, 0.8];
    # W h_1ᵀ = 1 - 1 = 0; h_1' = 0 + max(Agg, 0) = [0, 0.8].
    np.testing.assert_allclose(gnn_worked_example(), [0.0, 0.8], atol=1e-15)
    np.testing.assert_array_equal(EXAMPLE_STATES, [[1, -1], [-1, 1], [0, -1], [1, 0]])
    assert np.dot([1.0, 1.0], EXAMPLE_STATES[0]) == 0.0
    agg = 2 * (0.6 * EXAMPLE_STATES[1] + 0.2 * EXAMPLE_STATES[2] + 0.2 * EXAMPLE_STATES[3])
    np.testing.assert_allclose(agg, [-0.8, 0.8], atol=1e-15)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 4))
def test_worked_example_formula_on_other_inputs(seed, d):
    rng = np.random.default_rng(seed)
    H, a, W, c = rng.normal(size=(4, d)), rng.random(3), rng.normal(size=d), rng.uniform(0.5, 3)
    want = np.empty(d)
    for k in range(d):  # component by component
        agg_k = sum(a[j - 1] * c * H[j, k] for j in (1, 2, 3))
        want[k] = sum(W[m] * H[0, m] for m in range(d)) + max(agg_k, 0.0)
    np.testing.assert_allclose(gnn_worked_example(H, a, W, c), want, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match=r"\(4, d\)"):
        gnn_worked_example(H[:3], a, W, c)
