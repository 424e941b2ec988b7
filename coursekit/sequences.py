"""Decoding and recurrence: beam search with a provably safe early stop, and the spectral radius
behind exploding and vanishing gradients (notebook 13).

A sequence model is given as ``next_log_probs(prefix) -> (V,)``: the log-probabilities
``log p(y_t | y_<t)`` of every next token after the token tuple ``prefix`` (the empty tuple asks
for the first token). A hypothesis is *completed* when its last token is ``eos``; completed
hypotheses are never expanded. A hypothesis's score is the sum of its tokens' log-probabilities,
accumulated left to right.

Order of hypotheses (the tie rule). Everywhere in this module hypotheses are ranked by

1. higher score first;
2. then the shorter sequence first;
3. then the lexicographically smaller token tuple first.

Why early stopping is exact. Every log-probability is ``<= 0``, so extending a hypothesis never
raises its score (also in floating point: adding a non-positive number rounds to a value no
larger). Suppose that after step ``t`` the best completed score ``best`` is at least the score of
every live beam. Whatever completes later descends from a live beam, so it scores at most
``best``; if it ties, it is longer than the completed hypothesis (which has at most ``t`` tokens,
the newcomer at least ``t + 1``) and rule 2 keeps the earlier one. So stopping at ``t`` returns
exactly what running to ``max_len`` would return.
"""

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

LogProbFn = Callable[[tuple[int, ...]], np.ndarray]


def _positive_int(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return int(value)


def _log_probs(next_log_probs: LogProbFn, prefix: tuple[int, ...], vocab: int | None) -> np.ndarray:
    """Call the model and check what it returns: a (V,) float vector of values <= 0."""
    lp = np.asarray(next_log_probs(prefix))
    if lp.dtype.kind not in "biuf":
        raise TypeError(f"next_log_probs{prefix} returned dtype {lp.dtype}, expected float")
    lp = lp.astype(np.float64, copy=False)
    if lp.ndim != 1 or (vocab is not None and lp.shape[0] != vocab):
        expected = "(V,)" if vocab is None else f"({vocab},)"
        raise ValueError(f"next_log_probs{prefix} returned shape {lp.shape}, expected {expected}")
    if np.isnan(lp).any():
        raise ValueError(f"next_log_probs{prefix} returned NaN")
    if (lp > 0).any():
        raise ValueError(
            f"next_log_probs{prefix} returned a log-probability > 0 (max {lp.max()}); "
            "log-probabilities must be <= 0"
        )
    return lp


def _expand(
    next_log_probs: LogProbFn, prefixes: list[tuple[int, ...]], vocab: int | None, eos: int
) -> np.ndarray:
    """Log-probabilities after each prefix, stacked: (L, V), with one V for the whole search."""
    rows = []
    for prefix in prefixes:  # the model is a black box: one call per live prefix
        rows.append(_log_probs(next_log_probs, prefix, vocab))
        vocab = rows[-1].shape[0]
    if eos >= vocab:
        raise ValueError(f"eos = {eos} is not a token id of a vocabulary of size {vocab}")
    return np.stack(rows)  # (L, V)


def _check_search_args(beam_size: int | None, eos: int, max_len: int) -> None:
    if beam_size is not None:
        _positive_int(beam_size, "beam_size")
    _positive_int(max_len, "max_len")
    if isinstance(eos, bool) or not isinstance(eos, int | np.integer) or eos < 0:
        raise ValueError(f"eos must be a non-negative int token id, got {eos!r}")


def beam_search(
    next_log_probs: LogProbFn,
    beam_size: int,
    eos: int,
    max_len: int,
    early_stop: bool = True,
) -> tuple[tuple[int, ...] | None, float, int]:
    """Beam search for the most probable completed sequence.

    With beams ``B_{t-1}`` (live, i.e. not completed, hypotheses of length ``t - 1``), step ``t``
    forms every expansion ``⟨y ∘ v, s + log p(v | y)⟩`` and keeps the top ``beam_size`` of them
    (module order; expansions of probability 0, score ``-inf``, are dropped). Kept expansions that
    end in ``eos`` are completed; the others are the live beams of step ``t + 1``. The search ends
    after ``max_len`` steps, when no live beam is left, or (``early_stop``) as soon as the best
    completed score is ``>=`` every live beam's score, which returns exactly the same answer
    (module docstring).

    Ties, in the top-``b`` selection and in the answer alike: the higher score wins, then the
    shorter sequence (an earlier completion beats a later one of equal score), then the
    lexicographically smaller token tuple.

    Args:
        next_log_probs: ``prefix -> (V,)`` log-probabilities (all ``<= 0``) of the next token.
        beam_size: number of hypotheses kept per step, ``b >= 1``.
        eos: the end-of-sequence token id, in ``[0, V)``.
        max_len: longest sequence considered, in tokens including ``eos``.
        early_stop: stop as soon as no live beam can beat the best completed hypothesis.

    Returns:
        ``(sequence, score, steps)``: the best completed sequence found (a tuple ending in
        ``eos``; ties broken by the module order), its summed log-probability and the number of
        expansion steps run; ``(None, -inf, steps)`` if nothing completed within ``max_len``.
    """
    _check_search_args(beam_size, eos, max_len)
    # BEGIN SOLUTION
    live: list[tuple[int, ...]] = [()]  # kept in lexicographic order
    live_scores = np.zeros(1)  # (L,)
    best: tuple[int, ...] | None = None
    best_score = -np.inf
    vocab = None
    steps = 0
    while live and steps < max_len:
        logp = _expand(next_log_probs, live, vocab, eos)  # (L, V)
        vocab = logp.shape[1]
        steps += 1
        flat = (live_scores[:, None] + logp).ravel()  # (L*V,) candidate i*V + v
        # Flat index order is lexicographic order (parents sorted, same length), so a stable
        # sort on the score alone ranks by score, then by token tuple.
        order = np.argsort(-flat, kind="stable")
        order = order[np.isfinite(flat[order])][:beam_size]
        tokens = order % vocab
        done = order[tokens == eos]
        if done.size and flat[done[0]] > best_score:  # strict: earlier (shorter) wins ties
            best, best_score = live[done[0] // vocab] + (eos,), float(flat[done[0]])
        keep = np.sort(order[tokens != eos])  # lexicographic order again
        live = [live[i // vocab] + (int(i % vocab),) for i in keep]
        live_scores = flat[keep]
        if early_stop and best is not None and live and best_score >= live_scores.max():
            break
    return best, best_score, steps
    # END SOLUTION


def exhaustive_search(
    next_log_probs: LogProbFn, eos: int, max_len: int
) -> tuple[tuple[int, ...] | None, float, int]:
    """The exact answer that beam search approximates, by enumerating every hypothesis.

    Expands every live prefix at every length up to ``max_len`` (about ``(V - 1)^max_len``
    model calls: small problems only) and returns the best completed sequence in the module
    order.

    Args:
        next_log_probs: ``prefix -> (V,)`` log-probabilities of the next token.
        eos: the end-of-sequence token id.
        max_len: longest sequence considered, in tokens including ``eos``.

    Returns:
        ``(sequence, score, n_calls)``, or ``(None, -inf, n_calls)`` if no sequence of
        non-zero probability completes within ``max_len``.
    """
    _check_search_args(None, eos, max_len)
    prefixes: list[tuple[int, ...]] = [()]
    scores = np.zeros(1)  # (L,)
    best: tuple[int, ...] | None = None
    best_score = -np.inf
    calls = 0
    vocab = None
    for _ in range(max_len):
        if not prefixes:
            break
        logp = _expand(next_log_probs, prefixes, vocab, eos)  # (L, V)
        vocab = logp.shape[1]
        calls += len(prefixes)
        cand = scores[:, None] + logp  # (L, V)
        ended = cand[:, eos]  # (L,)
        i = int(np.argmax(ended))  # first maximum: lexicographically smallest
        if ended[i] > best_score:
            best, best_score = prefixes[i] + (eos,), float(ended[i])
        cand[:, eos] = -np.inf
        rows, cols = np.nonzero(np.isfinite(cand))  # row-major: lexicographic order
        prefixes = [prefixes[r] + (int(c),) for r, c in zip(rows, cols, strict=True)]
        scores = cand[rows, cols]
    return best, best_score, calls


def _log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max()
    return shifted - np.log(np.exp(shifted).sum())


def random_sequence_model(
    vocab: int,
    rng: np.random.Generator | int,
    eos: int = 0,
    sharpness: float = 1.0,
    eos_logit: float = 0.0,
    p_certain: float = 0.0,
    integer_scores: bool = False,
) -> LogProbFn:
    """A random but deterministic toy sequence model, for experiments and tests.

    Each prefix gets its own random logits ``z = sharpness · ε + eos_logit · e_eos`` with
    ``ε ~ N(0, I_V)`` drawn from a generator seeded by (model seed, prefix), so asking twice gives
    the same answer; ``log p = z - log Σ exp z``. With probability ``p_certain`` a prefix is instead
    *certain*: one random token gets log-probability 0 and the others ``-inf``, which creates the
    exact ties that the early-stopping rule has to handle. ``sharpness = 0`` makes every
    non-``eos`` token equally likely (many ties). With ``integer_scores`` the values are instead
    drawn from ``{0, -1, -2, -3, -inf}`` (eos shifted by ``round(eos_logit)``, clipped to ``<= 0``):
    no longer normalised, but every sum is exact, so ties between different sequences are
    everywhere; beam search only needs scores ``<= 0``.

    Args:
        vocab: vocabulary size ``V >= 2``.
        rng: a ``numpy.random.Generator`` (or a seed) that picks the model.
        eos: the end-of-sequence token id, in ``[0, V)``.
        sharpness: scale of the random logits (``>= 0``).
        eos_logit: added to the ``eos`` logit; larger values end sequences sooner.
        p_certain: probability that a prefix has a one-token (certain) continuation.
        integer_scores: draw unnormalised integer log-scores (tie stress test).

    Returns:
        ``next_log_probs(prefix) -> (V,)``, a fresh array on every call.
    """
    vocab = _positive_int(vocab, "vocab")
    if vocab < 2:
        raise ValueError(f"vocab must be at least 2, got {vocab}")
    if isinstance(eos, bool) or not isinstance(eos, int | np.integer) or not 0 <= eos < vocab:
        raise ValueError(f"eos must be a token id in [0, {vocab}), got {eos!r}")
    if not (np.isfinite(sharpness) and sharpness >= 0):
        raise ValueError(f"sharpness must be finite and >= 0, got {sharpness}")
    if not np.isfinite(eos_logit):
        raise ValueError(f"eos_logit must be finite, got {eos_logit}")
    if not 0.0 <= p_certain <= 1.0:
        raise ValueError(f"p_certain must be in [0, 1], got {p_certain}")
    seed = int(np.random.default_rng(rng).integers(2**63))
    cache: dict[tuple[int, ...], np.ndarray] = {}

    def next_log_probs(prefix: tuple[int, ...]) -> np.ndarray:
        prefix = tuple(int(t) for t in prefix)
        if any(not 0 <= t < vocab for t in prefix):
            raise ValueError(f"prefix {prefix} holds a token outside [0, {vocab})")
        if prefix not in cache:
            g = np.random.default_rng([seed, len(prefix), *prefix])
            if g.random() < p_certain:
                lp = np.full(vocab, -np.inf)
                lp[g.integers(vocab)] = 0.0
            elif integer_scores:
                lp = -g.integers(0, 5, size=vocab).astype(np.float64)
                lp[lp == -4.0] = -np.inf
                lp[eos] = min(lp[eos] + round(eos_logit), 0.0)
            else:
                z = sharpness * g.standard_normal(vocab)
                z[eos] += eos_logit
                lp = _log_softmax(z)
            cache[prefix] = lp
        return cache[prefix].copy()

    return next_log_probs


def table_sequence_model(
    table: dict[tuple[int, ...], ArrayLike], vocab: int, eos: int = 0
) -> LogProbFn:
    """A sequence model written out by hand: ``table[prefix]`` holds next-token probabilities.

    Prefixes missing from the table end at once (``eos`` has probability 1), so a small table
    describes a whole model. Probabilities of 0 become log-probabilities of ``-inf``.

    Args:
        table: prefix tuple -> ``(V,)`` probabilities (non-negative, summing to 1).
        vocab: vocabulary size ``V``.
        eos: the end-of-sequence token id.

    Returns:
        ``next_log_probs(prefix) -> (V,)``, a fresh array on every call.
    """
    vocab = _positive_int(vocab, "vocab")
    rows = {}
    for prefix, probs in table.items():
        p = np.asarray(probs, dtype=np.float64)
        if p.shape != (vocab,) or (p < 0).any() or not np.isclose(p.sum(), 1.0):
            raise ValueError(f"table[{prefix}] must be {vocab} probabilities summing to 1, got {p}")
        with np.errstate(divide="ignore"):
            rows[tuple(prefix)] = np.log(p)
    ends = np.full(vocab, -np.inf)
    ends[eos] = 0.0

    def next_log_probs(prefix: tuple[int, ...]) -> np.ndarray:
        return rows.get(tuple(int(t) for t in prefix), ends).copy()

    return next_log_probs


def result_as_array(result: tuple, max_len: int) -> np.ndarray:
    """A search's ``(sequence, score, steps)`` as one float vector, to compare answers entrywise.

    Layout, ``(3 + max_len,)``: ``[score, steps, length, token_1, ..., token_length, -1, ...]``
    (tokens padded with -1); no completed sequence (``None``) has length 0 and score ``-inf``.

    Args:
        result: what ``beam_search`` returns.
        max_len: the ``max_len`` of that search.
    """
    if not isinstance(result, tuple | list) or len(result) != 3:
        raise TypeError(f"expected a tuple (sequence, score, steps), got {result!r}")
    sequence, score, steps = result
    tokens = [] if sequence is None else [int(t) for t in sequence]
    if len(tokens) > max_len:
        raise ValueError(f"the sequence {tuple(tokens)} is longer than max_len = {max_len}")
    out = np.full(3 + max_len, -1.0)
    out[:3] = float(score), float(steps), len(tokens)
    out[3 : 3 + len(tokens)] = tokens
    return out


def _square(W: np.ndarray, name: str) -> np.ndarray:
    W = np.asarray(W)
    if W.dtype.kind not in "biufc":
        raise TypeError(f"{name} must be numeric, got dtype {W.dtype}")
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix (d, d), got shape {W.shape}")
    if not np.isfinite(W).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return W if W.dtype.kind == "c" else W.astype(np.float64, copy=False)


def spectral_radius(W: np.ndarray) -> float:
    """Spectral radius ``ρ(W) = max_i |λ_i|`` over the (possibly complex) eigenvalues of ``W``.

    For ``h_t = Wᵀ h_{t-1}`` the state is ``h_t = (Wᵀ)^t h_0``; ``Wᵀ`` has the eigenvalues of
    ``W``, so components along eigenvectors scale like ``|λ_i|^t``: ``ρ < 1`` makes ``h_t`` (and
    gradients through the same recurrence) vanish, ``ρ > 1`` makes them explode for a generic
    ``h_0``.

    Args:
        W: the recurrent weight matrix, ``(d, d)``, real or complex.

    Returns:
        ``ρ(W)`` as a float.
    """
    W = _square(W, "W")
    # BEGIN SOLUTION
    return float(np.max(np.abs(np.linalg.eigvals(W))))
    # END SOLUTION


def unroll_linear(W: np.ndarray, h0: np.ndarray, T: int) -> np.ndarray:
    """States of the linear recurrence ``h_t = Wᵀ h_{t-1}``, i.e. ``h_t = (Wᵀ)^t h_0``.

    Args:
        W: the recurrent weight matrix, ``(d, d)``.
        h0: the initial state, ``(d,)``.
        T: number of steps, ``>= 0``.

    Returns:
        ``(T + 1, d)``: row ``t`` is ``h_t`` (row 0 is ``h0``).
    """
    W = _square(W, "W")
    h0 = np.asarray(h0)
    if h0.dtype.kind not in "biufc":
        raise TypeError(f"h0 must be numeric, got dtype {h0.dtype}")
    if h0.shape != (W.shape[0],):
        raise ValueError(f"h0 must have shape ({W.shape[0]},) to match W, got {h0.shape}")
    if not np.isfinite(h0).all():
        raise ValueError("h0 contains NaN or infinity")
    if isinstance(T, bool) or not isinstance(T, int | np.integer) or T < 0:
        raise ValueError(f"T must be a non-negative int, got {T!r}")
    # BEGIN SOLUTION
    H = np.empty((int(T) + 1, W.shape[0]), dtype=np.result_type(W, h0, np.float64))  # (T+1, d)
    H[0] = h0
    for t in range(1, int(T) + 1):  # a recurrence: each state needs the previous one
        H[t] = W.T @ H[t - 1]
    return H
    # END SOLUTION
