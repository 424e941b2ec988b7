"""Scaled dot-product attention and the Transformer seen as a graph neural network (notebook 14).

Shapes: ``N`` queries (tokens) and ``M`` keys/values, feature sizes ``d`` (queries and keys) and
``d_v`` (values), any leading batch dimensions ``...``. In the graph view a sentence of ``n``
tokens is a directed graph; the edge ``(j, i)`` carries a message from node ``j`` to node ``i``,
and ``h_i`` is node ``i``'s state (a row of ``H``).

Masks follow ``torch.nn.functional.scaled_dot_product_attention``: boolean, ``True`` where a
query may attend to a key. A query that may attend to nothing gets all-zero weights and a zero
output (PyTorch's convention too).
"""

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import softmax as _softmax


def _real(x: np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real array, got dtype {x.dtype}")
    x = x.astype(np.float64, copy=False)
    if not np.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return x


def _check_mask(mask: np.ndarray | None, scores_shape: tuple[int, ...]) -> np.ndarray | None:
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        raise TypeError(
            f"mask must be boolean (True where attention is allowed), got dtype {mask.dtype}"
        )
    try:
        full = np.broadcast_shapes(mask.shape, scores_shape)
    except ValueError:
        full = None
    if full != scores_shape:
        raise ValueError(
            f"mask of shape {mask.shape} does not broadcast to the scores' shape {scores_shape}"
        )
    return mask


def _check_qkv(Q, K, V) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, ...]]:
    Q, K, V = _real(Q, "Q"), _real(K, "K"), _real(V, "V")
    for name, x in (("Q", Q), ("K", K), ("V", V)):
        if x.ndim < 2:
            raise ValueError(f"{name} must have at least 2 dimensions (..., rows, features), "
                             f"got shape {x.shape}")
    if Q.shape[-1] != K.shape[-1]:
        raise ValueError(f"Q (..., N, d) and K (..., M, d) need the same d: Q has shape "
                         f"{Q.shape}, K has shape {K.shape}")
    if K.shape[-2] != V.shape[-2]:
        raise ValueError(f"K (..., M, d) and V (..., M, d_v) need the same M: K has shape "
                         f"{K.shape}, V has shape {V.shape}")
    try:
        batch = np.broadcast_shapes(Q.shape[:-2], K.shape[:-2], V.shape[:-2])
    except ValueError:
        raise ValueError(f"batch dimensions of Q {Q.shape}, K {K.shape} and V {V.shape} "
                         "do not broadcast") from None
    return Q, K, V, batch + (Q.shape[-2], K.shape[-2])


def attention(
    Q: np.ndarray, K: np.ndarray, V: np.ndarray, mask: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Scaled dot-product attention.

    ``A = softmax_row(Q Kᵀ / √d)`` with disallowed entries (``mask == False``) set to ``-∞``
    before the softmax; output ``A V``. Row ``i`` of ``A`` holds how much query ``i`` takes
    from each value.

    Args:
        Q: queries ``(..., N, d)``.
        K: keys ``(..., M, d)``.
        V: values ``(..., M, d_v)``.
        mask: optional boolean array broadcastable to ``(..., N, M)``, True where allowed.

    Returns:
        ``(output, weights)``: ``output`` ``(..., N, d_v)`` and ``weights`` ``(..., N, M)``
        (each row sums to 1, or is all zero for a query with nothing allowed). Leading batch
        dimensions broadcast as in ``numpy.matmul``.
    """
    Q, K, V, scores_shape = _check_qkv(Q, K, V)
    mask = _check_mask(mask, scores_shape)
    # BEGIN SOLUTION
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])  # (..., N, M)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    top = scores.max(axis=-1, keepdims=True)  # (..., N, 1)
    top = np.where(np.isfinite(top), top, 0.0)  # a fully masked row stays all -inf
    e = np.exp(scores - top)
    total = e.sum(axis=-1, keepdims=True)
    weights = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
    return weights @ V, weights
    # END SOLUTION


def fully_connected_edges(n: int, self_loops: bool = False) -> np.ndarray:
    """Directed edges of the complete graph on ``n`` nodes.

    Every ordered pair ``(j, i)`` with ``j != i`` (and ``j == i`` too when ``self_loops``): a
    bidirectional link counts as two edges, so there are ``n (n - 1)`` edges, or ``n²`` with
    self-loops. Attention over a whole sentence uses self-loops (a token attends to itself).

    Args:
        n: number of nodes (tokens), ``>= 1``.
        self_loops: include the edges ``(i, i)``.

    Returns:
        int array ``(E, 2)``: rows ``(source j, target i)``, sorted by target, then source.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    target = np.repeat(np.arange(n), n)  # (n*n,)
    source = np.tile(np.arange(n), n)  # (n*n,)
    keep = np.ones(n * n, dtype=bool) if self_loops else source != target
    return np.stack([source[keep], target[keep]], axis=1)  # (E, 2)


def _check_edges(edges: np.ndarray | None, n: int) -> np.ndarray:
    if edges is None:
        return fully_connected_edges(n, self_loops=True)
    edges = np.asarray(edges)
    if edges.dtype.kind not in "iu":
        raise TypeError(f"edges must be an integer array, got dtype {edges.dtype}")
    if edges.ndim != 2 or edges.shape[1] != 2:
        raise ValueError(f"edges must have shape (E, 2) of (source, target) rows, "
                         f"got {edges.shape}")
    if edges.size and (edges.min() < 0 or edges.max() >= n):
        raise ValueError(f"edges refer to nodes outside [0, {n})")
    if len(np.unique(edges, axis=0)) != len(edges):
        raise ValueError("edges holds the same (source, target) pair twice")
    return edges


def adjacency_mask(edges: np.ndarray, n: int) -> np.ndarray:
    """The attention mask of a graph: ``mask[i, j]`` is True when ``(j, i)`` is an edge.

    Args:
        edges: int array ``(E, 2)`` of ``(source j, target i)`` rows.
        n: number of nodes.

    Returns:
        boolean ``(n, n)``, rows are targets (queries), columns sources (keys).
    """
    edges = _check_edges(edges, n)
    mask = np.zeros((n, n), dtype=bool)
    mask[edges[:, 1], edges[:, 0]] = True
    return mask


def _check_gnn(H, Wq, Wk, Wv, edges, scale):
    H, Wq, Wk, Wv = _real(H, "H"), _real(Wq, "Wq"), _real(Wk, "Wk"), _real(Wv, "Wv")
    if H.ndim != 2:
        raise ValueError(f"H must be (n, d), one state per row, got shape {H.shape}")
    d = H.shape[1]
    for name, W in (("Wq", Wq), ("Wk", Wk), ("Wv", Wv)):
        if W.ndim != 2 or W.shape[1] != d:
            raise ValueError(f"{name} must have shape (rows, {d}) to act on states of size {d}, "
                             f"got {W.shape}")
    if Wq.shape[0] != Wk.shape[0]:
        raise ValueError(f"Wq {Wq.shape} and Wk {Wk.shape} need the same number of rows d_k")
    edges = _check_edges(edges, H.shape[0])
    scale = 1.0 / np.sqrt(Wq.shape[0]) if scale is None else float(scale)
    return H, Wq, Wk, Wv, edges, scale


def gnn_attention_update(
    H: np.ndarray,
    Wq: np.ndarray,
    Wk: np.ndarray,
    Wv: np.ndarray,
    edges: np.ndarray | None = None,
    scale: float | None = None,
) -> np.ndarray:
    """One round of message passing whose aggregation is single-head attention.

    For every node ``i`` with in-neighbours ``𝒩(i) = {j : (j, i) an edge}``:
    ``h_i' = Σ_{j∈𝒩(i)} softmax_j(scale · (Wq h_i)·(Wk h_j)) Wv h_j``; the message along
    ``(j, i)`` is ``Wv h_j`` and the aggregation is a weighted sum. On the complete graph with
    self-loops this is the attention update of a Transformer layer. Written edge by edge, as the
    graph view reads; ``gnn_attention_dense`` is the same computation with matrices.

    Args:
        H: node states ``(n, d)``.
        Wq: query weights ``(d_k, d)``.
        Wk: key weights ``(d_k, d)``.
        Wv: value weights ``(d_v, d)``.
        edges: int ``(E, 2)`` rows ``(source j, target i)``, no repeats; default the complete
            graph with self-loops.
        scale: factor on the dot products; default ``1/√d_k`` as in ``attention`` (the
            unscaled equation of the problem is ``scale=1``).

    Returns:
        new states ``(n, d_v)``; a node without in-neighbours gets zeros.
    """
    H, Wq, Wk, Wv, edges, scale = _check_gnn(H, Wq, Wk, Wv, edges, scale)
    # BEGIN SOLUTION
    n = H.shape[0]
    scores: list[list[float]] = [[] for _ in range(n)]
    messages: list[list[np.ndarray]] = [[] for _ in range(n)]
    for j, i in edges:  # each edge brings one score and one message to its target
        scores[i].append(scale * float((Wq @ H[i]) @ (Wk @ H[j])))
        messages[i].append(Wv @ H[j])
    out = np.zeros((n, Wv.shape[0]))
    for i in range(n):
        if scores[i]:
            s = np.array(scores[i])
            a = np.exp(s - s.max())
            out[i] = (a / a.sum()) @ np.array(messages[i])
    return out
    # END SOLUTION


def gnn_attention_dense(
    H: np.ndarray,
    Wq: np.ndarray,
    Wk: np.ndarray,
    Wv: np.ndarray,
    edges: np.ndarray | None = None,
    scale: float | None = None,
) -> np.ndarray:
    """``gnn_attention_update`` with matrices: masked attention over the adjacency.

    ``softmax_row(scale · (H Wqᵀ)(H Wkᵀ)ᵀ, masked by the adjacency) · H Wvᵀ``: the same numbers
    as the edge-by-edge version, showing that attention is message passing on a graph. Same
    arguments and shapes as ``gnn_attention_update``; returns ``(n, d_v)``.
    """
    H, Wq, Wk, Wv, edges, scale = _check_gnn(H, Wq, Wk, Wv, edges, scale)
    # BEGIN SOLUTION
    n = H.shape[0]
    allowed = np.zeros((n, n), dtype=bool)
    allowed[edges[:, 1], edges[:, 0]] = True  # (n, n) row = target, column = source
    scores = scale * (H @ Wq.T) @ (H @ Wk.T).T  # (n, n)
    has_input = allowed.any(axis=1, keepdims=True)  # (n, 1)
    # rows without in-neighbours get finite dummy scores, then zero weights
    masked = np.where(allowed | ~has_input, scores, -np.inf)
    weights = np.where(has_input, _softmax(masked, axis=1), 0.0)  # (n, n)
    return weights @ (H @ Wv.T)  # (n, d_v)
    # END SOLUTION


# States h_1..h_4 (rows) of the worked message-passing example.
EXAMPLE_STATES = np.array([[1.0, -1.0], [-1.0, 1.0], [0.0, -1.0], [1.0, 0.0]])


def gnn_worked_example(
    H: ArrayLike = EXAMPLE_STATES,
    agg_weights: ArrayLike = (0.6, 0.2, 0.2),
    W: ArrayLike = (1.0, 1.0),
    f_scale: float = 2.0,
) -> np.ndarray:
    """Node 1's new state in the worked example of the graph view.

    Nodes 2, 3, 4 send ``f(h_j) = f_scale · h_j`` to node 1, aggregated as
    ``Agg = Σ_j a_j f(h_j)``; the update is ``h_1' = W h_1ᵀ + max{Agg, 0}`` (the scalar
    ``W h_1ᵀ`` is added to every component, the max is elementwise). With the defaults
    ``W h_1ᵀ = 0``, ``Agg = [-0.8, 0.8]`` and ``h_1' = [0, 0.8]``.

    Args:
        H: states ``(4, d)``, row 0 is ``h_1``.
        agg_weights: ``(3,)`` weights ``a_2, a_3, a_4``.
        W: ``(d,)`` row vector.
        f_scale: the factor of the edge function ``f(x) = f_scale · x``.

    Returns:
        ``h_1'`` of shape ``(d,)``.
    """
    H, a, W = _real(H, "H"), _real(agg_weights, "agg_weights"), _real(W, "W")
    if H.ndim != 2 or H.shape[0] != 4:
        raise ValueError(f"H must be (4, d), states h_1..h_4, got shape {H.shape}")
    if a.shape != (3,):
        raise ValueError(f"agg_weights must have shape (3,), got {a.shape}")
    if W.shape != (H.shape[1],):
        raise ValueError(f"W must have shape ({H.shape[1]},), got {W.shape}")
    # BEGIN SOLUTION
    agg = a @ (f_scale * H[1:])  # (d,) weighted sum of the messages f(h_2), f(h_3), f(h_4)
    return W @ H[0] + np.maximum(agg, 0.0)
    # END SOLUTION
