"""Questions of notebook 14_transformers: the Transformer as a graph network, multi-head
self-attention, a Transformer block and the unigram baseline.

Oracles use PyTorch only (``scaled_dot_product_attention``, ``nn.MultiheadAttention``,
``F.layer_norm``, brute-force counting). The module questions are checked through the notebook's
small adapters, which build the student's class, copy the case's weights into it
(``coursekit.transformer.load_weights``) and run it; the reference runs the course's class with
the same weights.
"""

import itertools
from collections import Counter

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from coursekit import attention as att
from coursekit import transformer as tr
from coursekit.attention import EXAMPLE_STATES, fully_connected_edges
from coursekit.grading.registry import Case, Question, register


def _t(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float64))


# ---------------------------------------------------------------- the worked GNN update
def _update_oracle(H, agg_weights, W, f_scale):
    H, a, W = _t(H), _t(agg_weights), _t(W)
    messages = f_scale * H[1:]  # f(h_j) for j = 2, 3, 4
    agg = (a[:, None] * messages).sum(0)
    return (W @ H[0] + torch.relu(agg)).numpy()


def _update_public() -> list[Case]:
    return [Case((EXAMPLE_STATES.copy(), np.array([0.6, 0.2, 0.2]), np.array([1.0, 1.0]), 2.0),
                 "the worked example")]


def _update_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = []
    for d in (1, 2, 3, 5):
        a = rng.random(3)
        cases.append(Case((rng.normal(size=(4, d)), a / a.sum(), rng.normal(size=d),
                           float(rng.uniform(0.5, 3))), f"random states (4, {d})"))
    return cases
    # END HIDDEN TESTS


# ---------------------------------------------------------------- counting edges
def _count_oracle(n, self_loops):
    return sum(1 for j, i in itertools.product(range(n), repeat=2) if self_loops or i != j)


def _count_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    sizes = [1, 2, *(int(n) for n in rng.integers(3, 40, size=3))]
    return [Case((n, s), f"n = {n}, self_loops={s}") for n in sizes for s in (False, True)]
    # END HIDDEN TESTS


# ---------------------------------------------------------------- attention as message passing
def _adjacency(edges, n) -> np.ndarray:
    mask = np.zeros((n, n), dtype=bool)
    for j, i in np.asarray(edges).reshape(-1, 2):
        mask[i, j] = True  # row = receiving node (query), column = sending node (key)
    return mask


def _mp_oracle(H, Wq, Wk, Wv, edges):
    H = _t(H)
    q, k, v = H @ _t(Wq).T, H @ _t(Wk).T, H @ _t(Wv).T
    mask = torch.as_tensor(_adjacency(edges, H.shape[0]))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    return torch.where(mask.any(1, keepdim=True), out, torch.zeros_like(out)).numpy()


def _mp_reference(H, Wq, Wk, Wv, edges):
    H = np.asarray(H, dtype=np.float64)
    mask = att.adjacency_mask(np.asarray(edges), H.shape[0])
    return att.attention(H @ np.asarray(Wq).T, H @ np.asarray(Wk).T, H @ np.asarray(Wv).T, mask)[0]


def _mp_case(rng, n, d, dk, dv, edges, label, scale=1.0) -> Case:
    return Case((scale * rng.normal(size=(n, d)), rng.normal(size=(dk, d)), rng.normal(size=(dk, d)),
                 rng.normal(size=(dv, d)), edges), label)


def _mp_public() -> list[Case]:
    rng = np.random.default_rng(14)
    causal = np.array([(j, i) for i in range(4) for j in range(i + 1)])
    return [
        _mp_case(rng, 4, 3, 2, 3, fully_connected_edges(4, self_loops=True),
                 "4 tokens, fully connected with self-loops"),
        _mp_case(rng, 4, 3, 2, 2, causal, "4 tokens, each receiving from itself and earlier ones"),
    ]


def _mp_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = []
    for n, d, dk, dv in ((1, 2, 2, 1), (3, 4, 2, 5), (6, 3, 4, 2), (9, 5, 3, 3)):
        cases.append(_mp_case(rng, n, d, dk, dv, fully_connected_edges(n, self_loops=True),
                              f"{n} tokens, fully connected with self-loops"))
    cases.append(_mp_case(rng, 5, 3, 3, 2, fully_connected_edges(5, self_loops=False),
                          "5 tokens, no self-loops"))
    full = fully_connected_edges(6, self_loops=True)
    keep = rng.random(len(full)) < 0.5
    keep[full[:, 1] == 2] = False  # node 2 receives nothing: a zero vector
    keep[(full[:, 1] == 0) & (full[:, 0] == 3)] = True
    cases.append(_mp_case(rng, 6, 3, 2, 3, full[keep], "a random graph; node 2 has no in-edges"))
    shuffled = fully_connected_edges(4, self_loops=True)[rng.permutation(16)]
    cases.append(_mp_case(rng, 4, 3, 3, 2, shuffled, "edges listed in a random order"))
    cases.append(_mp_case(rng, 5, 2, 2, 2, fully_connected_edges(5, True), "large scores", scale=20.0))
    return cases
    # END HIDDEN TESTS


# ---------------------------------------------------------------- multi-head self-attention
class _Weights(dict):
    """Named weights (torch float64) with a short description for failure messages."""

    def __repr__(self) -> str:
        return "weights{" + ", ".join(f"{k}: {tuple(v.shape)}" for k, v in self.items()) + "}"


def _attention_weights(rng: np.random.Generator, C: int, prefix: str = "") -> dict:
    s = 1.0 / np.sqrt(C)
    return {
        prefix + "qkv.weight": _t(rng.normal(scale=2 * s, size=(3 * C, C))),
        prefix + "qkv.bias": _t(rng.normal(scale=0.1, size=3 * C)),
        prefix + "proj.weight": _t(rng.normal(scale=s, size=(C, C))),
        prefix + "proj.bias": _t(rng.normal(scale=0.1, size=C)),
    }


def _block_weights(rng: np.random.Generator, C: int) -> _Weights:
    w = {
        "ln1.weight": _t(1 + 0.2 * rng.normal(size=C)), "ln1.bias": _t(0.1 * rng.normal(size=C)),
        **_attention_weights(rng, C, "attn."),
        "ln2.weight": _t(1 + 0.2 * rng.normal(size=C)), "ln2.bias": _t(0.1 * rng.normal(size=C)),
        "mlp.0.weight": _t(rng.normal(scale=1 / np.sqrt(C), size=(4 * C, C))),
        "mlp.0.bias": _t(0.1 * rng.normal(size=4 * C)),
        "mlp.2.weight": _t(rng.normal(scale=1 / np.sqrt(4 * C), size=(C, 4 * C))),
        "mlp.2.bias": _t(0.1 * rng.normal(size=C)),
    }
    return _Weights(w)


def _torch_mha(weights: dict, C: int, n_heads: int, prefix: str = "") -> nn.MultiheadAttention:
    mha = nn.MultiheadAttention(C, n_heads, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        mha.in_proj_weight.copy_(weights[prefix + "qkv.weight"])
        mha.in_proj_bias.copy_(weights[prefix + "qkv.bias"])
        mha.out_proj.weight.copy_(weights[prefix + "proj.weight"])
        mha.out_proj.bias.copy_(weights[prefix + "proj.bias"])
    return mha


def _forbidden(T: int, causal: bool):
    # torch.nn.MultiheadAttention's boolean mask marks what may NOT be attended to
    return torch.ones(T, T, dtype=torch.bool).triu(1) if causal else None


@torch.no_grad()
def _mhsa_oracle(x, weights, n_heads, causal):
    X = _t(x)
    mha = _torch_mha(weights, X.shape[-1], n_heads)
    return mha(X, X, X, attn_mask=_forbidden(X.shape[1], causal), need_weights=False)[0].numpy()


@torch.no_grad()
def _run_course(cls, x, weights, n_heads, causal):
    module = tr.load_weights(cls(x.shape[-1], n_heads, causal=causal).double(), weights)
    return module(_t(x)).numpy()


def _mhsa_reference(x, weights, n_heads, causal):
    return _run_course(tr.MultiHeadSelfAttention, x, weights, n_heads, causal)


def _module_case(rng, B, T, C, h, causal, weights, label, future_twin=False) -> Case:
    x = rng.normal(size=(B, T, C))
    if future_twin:  # item 1 differs from item 0 at the last position only
        x[1] = x[0]
        x[1, -1] += 1.0
    return Case((x, weights, h, causal), label)


def _mhsa_public() -> list[Case]:
    rng = np.random.default_rng(1414)
    w = _Weights(_attention_weights(rng, 8))
    return [
        _module_case(rng, 2, 5, 8, 2, False, w, "B=2, T=5, C=8, 2 heads, not causal"),
        _module_case(rng, 2, 5, 8, 2, True, w, "the same, causal"),
        _module_case(rng, 2, 5, 8, 2, True, w, "causal; item 1 differs from item 0 only at the "
                     "last position, so their earlier outputs must agree", future_twin=True),
    ]


def _mhsa_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = []
    for B, T, C, h in ((1, 1, 4, 1), (3, 6, 12, 3), (2, 7, 16, 4), (2, 4, 6, 1)):
        w = _Weights(_attention_weights(rng, C))
        for causal in (False, True):
            cases.append(_module_case(rng, B, T, C, h, causal, w,
                                      f"B={B}, T={T}, C={C}, {h} heads, causal={causal}"))
    w = _Weights(_attention_weights(rng, 8))
    cases.append(_module_case(rng, 2, 6, 8, 4, True, w, "causal twins", future_twin=True))
    return cases
    # END HIDDEN TESTS


# ---------------------------------------------------------------- the Transformer block
@torch.no_grad()
def _block_oracle(x, weights, n_heads, causal):
    X = _t(x)
    C = X.shape[-1]
    w = weights
    mha = _torch_mha(w, C, n_heads, "attn.")
    a = F.layer_norm(X, (C,), w["ln1.weight"], w["ln1.bias"])
    X = X + mha(a, a, a, attn_mask=_forbidden(X.shape[1], causal), need_weights=False)[0]
    b = F.layer_norm(X, (C,), w["ln2.weight"], w["ln2.bias"])
    hidden = F.gelu(F.linear(b, w["mlp.0.weight"], w["mlp.0.bias"]))
    return (X + F.linear(hidden, w["mlp.2.weight"], w["mlp.2.bias"])).numpy()


def _block_reference(x, weights, n_heads, causal):
    return _run_course(tr.TransformerBlock, x, weights, n_heads, causal)


def _block_public() -> list[Case]:
    rng = np.random.default_rng(2014)
    w = _block_weights(rng, 8)
    return [
        _module_case(rng, 2, 4, 8, 2, False, w, "B=2, T=4, C=8, 2 heads, not causal"),
        _module_case(rng, 2, 4, 8, 2, True, w, "the same, causal"),
    ]


def _block_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = []
    for B, T, C, h in ((1, 1, 4, 2), (3, 5, 12, 3), (2, 3, 16, 4)):
        w = _block_weights(rng, C)
        for causal in (False, True):
            cases.append(_module_case(rng, B, T, C, h, causal, w,
                                      f"B={B}, T={T}, C={C}, {h} heads, causal={causal}"))
    return cases
    # END HIDDEN TESTS


def _block_variant(post_norm=False, mlp_residual=True, act=F.gelu):
    @torch.no_grad()
    def wrong(x, weights, n_heads, causal):
        X, w = _t(x), weights
        C = X.shape[-1]
        mha = _torch_mha(w, C, n_heads, "attn.")

        def ln(z, i):
            return F.layer_norm(z, (C,), w[f"ln{i}.weight"], w[f"ln{i}.bias"])

        def mlp(z):
            return F.linear(act(F.linear(z, w["mlp.0.weight"], w["mlp.0.bias"])),
                            w["mlp.2.weight"], w["mlp.2.bias"])

        mask = _forbidden(X.shape[1], causal)
        if post_norm:
            X = ln(X + mha(X, X, X, attn_mask=mask, need_weights=False)[0], 1)
            return ln(X + mlp(X), 2).numpy()
        a = ln(X, 1)
        X = X + mha(a, a, a, attn_mask=mask, need_weights=False)[0]
        return ((X if mlp_residual else 0) + mlp(ln(X, 2))).numpy()

    return wrong


# ---------------------------------------------------------------- the unigram baseline
def _unigram_oracle(train, valid, vocab_size):
    counts = Counter(int(w) for w in np.asarray(train)[:, 1:].ravel())
    total = sum(counts.values()) + vocab_size
    return float(np.mean([-np.log((counts[int(w)] + 1) / total)
                          for w in np.asarray(valid)[:, 1:].ravel()]))


def _unigram_public() -> list[Case]:
    train = np.array([[3, 1, 2, 2], [0, 2, 2, 1]])
    valid = np.array([[1, 2, 3, 4], [2, 2, 0, 1]])
    return [Case((train, valid, 5), "a vocabulary of 5; token 4 never occurs in train[:, 1:]")]


def _unigram_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = []
    for n, m, T, V in ((50, 20, 4, 7), (300, 80, 3, 40), (5, 3, 2, 251)):
        cases.append(Case((rng.integers(V, size=(n, T)), rng.integers(V, size=(m, T)), V),
                          f"random tokens, V = {V}, T = {T}"))
    skewed = np.minimum(rng.geometric(0.3, size=(200, 4)) - 1, 9)
    cases.append(Case((skewed, skewed[:30], 10), "frequent and rare words"))
    return cases
    # END HIDDEN TESTS


def _unigram_variant(denominator_n=False, first_column=False, log=np.log):
    def wrong(train, valid, vocab_size):
        cols = slice(None) if first_column else slice(1, None)
        counts = np.bincount(np.asarray(train)[:, cols].ravel(), minlength=vocab_size) + 1.0
        total = counts.sum() - (vocab_size if denominator_n else 0)
        return float(-log(counts / total)[np.asarray(valid)[:, cols]].mean())

    return wrong


register(
    Question(
        qid="14.worked_update",
        func_name="worked_update",
        arg_names=("H", "agg_weights", "W", "f_scale"),
        public=_update_public,
        oracle=_update_oracle,
        reference=att.gnn_worked_example,
        hidden=_update_hidden,
        mistakes={
            "no f": (
                lambda H, a, W, c: _update_oracle(H, a, W, 1.0),
                "the messages are f(h_j) = f_scale · h_j: the factor f_scale is missing.",
            ),
            "max before sum": (
                lambda H, a, W, c: W @ H[0] + np.asarray(a) @ np.maximum(c * H[1:], 0.0),
                "max{·, 0} applies to the aggregate Agg, after the weighted sum, not to each message.",
            ),
        },
    ),
    Question(
        qid="14.edge_count",
        func_name="edge_count",
        arg_names=("n", "self_loops"),
        public=lambda: [Case((4, False), "4 tokens, no self-loops"),
                        Case((4, True), "4 tokens, with self-loops")],
        oracle=_count_oracle,
        reference=lambda n, self_loops: len(fully_connected_edges(n, self_loops)),
        forbidden=(fully_connected_edges,),
        hidden=_count_hidden,
        rtol=0,
        atol=0,
        mistakes={
            "undirected": (
                lambda n, s: n * (n - 1) // 2 + (n if s else 0),
                "each pair of tokens was counted once: the edges are directed, i→j and j→i are two.",
            ),
            "loops ignored": (
                lambda n, s: n * (n - 1),
                "with self_loops=True every token also has an edge to itself: n more edges.",
            ),
        },
    ),
    Question(
        qid="14.message_passing",
        func_name="message_passing_attention",
        arg_names=("H", "Wq", "Wk", "Wv", "edges"),
        public=_mp_public,
        oracle=_mp_oracle,
        reference=_mp_reference,
        hidden=_mp_hidden,
        mistakes={
            "unscaled": (
                lambda H, Wq, Wk, Wv, e: _mp_oracle(H, np.asarray(Wq) * np.sqrt(len(Wq)), Wk, Wv, e),
                "the scores are not divided by √d_k (d_k = Wq.shape[0]).",
            ),
            "own message": (
                lambda H, Wq, Wk, Wv, e: np.where(_adjacency(e, len(H)).any(1)[:, None],
                                                  np.asarray(H) @ np.asarray(Wv).T, 0.0),
                "every node sent back its own value W_v h_i: the message along (j, i) is W_v h_j.",
            ),
            "normalised per sender": (
                lambda H, Wq, Wk, Wv, e: _mp_oracle_transposed(H, Wq, Wk, Wv, e),
                "the softmax ran over receivers: normalise over the in-neighbours j of each node i.",
            ),
        },
    ),
    Question(
        qid="14.self_attention",
        func_name="MultiHeadSelfAttention",
        arg_names=("x", "weights", "n_heads", "causal"),
        public=_mhsa_public,
        oracle=_mhsa_oracle,
        reference=_mhsa_reference,
        forbidden=(tr.MultiHeadSelfAttention.forward, _run_course),
        hidden=_mhsa_hidden,
        rtol=1e-7,
        atol=1e-10,
        mistakes={
            "no mask": (
                lambda x, w, h, c: _mhsa_oracle(x, w, h, False),
                "position t attends to later positions: with causal=True, set the scores of "
                "keys s > t to -inf before the softmax.",
            ),
            "one head": (
                lambda x, w, h, c: _mhsa_oracle(x, w, 1, c),
                "a single head of size C: split q, k, v into n_heads heads of C // n_heads channels.",
            ),
        },
    ),
    Question(
        qid="14.transformer_block",
        func_name="TransformerBlock",
        arg_names=("x", "weights", "n_heads", "causal"),
        public=_block_public,
        oracle=_block_oracle,
        reference=_block_reference,
        forbidden=(tr.TransformerBlock.forward, _run_course),
        hidden=_block_hidden,
        rtol=1e-7,
        atol=1e-10,
        mistakes={
            "post-norm": (
                _block_variant(post_norm=True),
                "LayerNorm after each residual sum (post-norm): this block normalises the input of "
                "each branch, x + attn(ln1(x)), then x + mlp(ln2(x)).",
            ),
            "no MLP residual": (
                _block_variant(mlp_residual=False),
                "the MLP branch has no residual connection: return x + mlp(ln2(x)).",
            ),
            "relu": (
                _block_variant(act=F.relu),
                "ReLU in the MLP: the block uses GELU (nn.GELU()).",
            ),
        },
    ),
    Question(
        qid="14.unigram",
        func_name="unigram_cross_entropy",
        arg_names=("train", "valid", "vocab_size"),
        public=_unigram_public,
        oracle=_unigram_oracle,
        reference=tr.unigram_cross_entropy,
        hidden=_unigram_hidden,
        mistakes={
            "denominator n": (
                _unigram_variant(denominator_n=True),
                "(count + 1) / n does not sum to 1 over the vocabulary: divide by n + V.",
            ),
            "all columns": (
                _unigram_variant(first_column=True),
                "counted every column; a next-token model predicts only train[:, 1:] (and is "
                "scored on valid[:, 1:]).",
            ),
            "bits": (
                _unigram_variant(log=np.log2),
                "log base 2 (bits): cross-entropy here is in nats, np.log.",
            ),
        },
    ),
)


def _mp_oracle_transposed(H, Wq, Wk, Wv, edges):
    """The mistake of normalising over the receivers of each sender (softmax down the columns)."""
    H = _t(H)
    scores = (H @ _t(Wq).T) @ (H @ _t(Wk).T).T / np.sqrt(len(Wq))  # (n, n) row i, column j
    mask = torch.as_tensor(_adjacency(edges, H.shape[0]))
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=0).nan_to_num(0.0)
    return (weights @ (H @ _t(Wv).T)).numpy()
