"""Tests of coursekit.sequences: beam search, its early stop, and the linear recurrence."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.sequences import (
    beam_search,
    exhaustive_search,
    random_sequence_model,
    result_as_array,
    spectral_radius,
    table_sequence_model,
    unroll_linear,
)

pytestmark = pytest.mark.nb13


def brute_force(next_log_probs, eos, max_len):
    """Best completed sequence by depth-first enumeration, ranked by (-score, length, tokens)."""
    found = []

    def visit(prefix, score):
        if len(prefix) == max_len:
            return
        lp = np.asarray(next_log_probs(prefix))
        for v in range(len(lp)):
            s = score + lp[v]  # same left-to-right accumulation as the search
            if s == -math.inf:
                continue
            if v == eos:
                found.append((-s, len(prefix) + 1, prefix + (v,)))
            else:
                visit(prefix + (v,), s)

    visit((), 0.0)
    if not found:
        return None, -math.inf
    neg, _, seq = min(found)
    return seq, -neg


def naive_beam_search(next_log_probs, beam_size, eos, max_len):
    """The textbook loop over tuples, run to max_len: rank expansions by (-score, tokens)."""
    beams, best, steps = [((), 0.0)], None, 0
    while beams and steps < max_len:
        steps += 1
        cands = []
        for prefix, score in beams:
            lp = np.asarray(next_log_probs(prefix))
            cands += [(prefix + (v,), score + lp[v]) for v in range(len(lp))]
        cands = sorted((c for c in cands if c[1] > -math.inf), key=lambda c: (-c[1], c[0]))
        top = cands[:beam_size]
        for seq, score in top:
            if seq[-1] == eos and (best is None or (-score, len(seq), seq) < best):
                best = (-score, len(seq), seq)
        beams = [(seq, score) for seq, score in top if seq[-1] != eos]
    return (None, -math.inf) if best is None else (best[2], -best[0])


def table_model(table, vocab):
    """A model given by a dict prefix -> probabilities; unlisted prefixes end at once (eos=0)."""

    def next_log_probs(prefix):
        p = np.asarray(table.get(prefix, [1.0] + [0.0] * (vocab - 1)), dtype=float)
        with np.errstate(divide="ignore"):
            return np.log(p)

    return next_log_probs


models = st.fixed_dictionaries(
    {
        "vocab": st.integers(2, 4),
        "seed": st.integers(0, 2**32 - 1),
        "eos": st.integers(0, 3),
        "sharpness": st.sampled_from([0.0, 0.5, 1.0, 3.0]),
        "eos_logit": st.sampled_from([-1.0, 0.0, 1.0]),
        "p_certain": st.sampled_from([0.0, 0.3, 0.7]),
        "integer_scores": st.booleans(),
    }
)


def make(m):
    eos = m["eos"] % m["vocab"]
    f = random_sequence_model(
        m["vocab"], m["seed"], eos=eos, sharpness=m["sharpness"], eos_logit=m["eos_logit"],
        p_certain=m["p_certain"], integer_scores=m["integer_scores"],
    )
    return f, eos


@settings(max_examples=60, deadline=None)
@given(m=models, max_len=st.integers(1, 4), early_stop=st.booleans())
def test_wide_beam_equals_brute_force(m, max_len, early_stop):
    f, eos = make(m)
    seq, score, steps = beam_search(f, m["vocab"] ** max_len, eos, max_len, early_stop)
    want_seq, want_score = brute_force(f, eos, max_len)
    assert seq == want_seq
    assert score == want_score  # same additions in the same order: bit-identical
    assert 1 <= steps <= max_len


@settings(max_examples=40, deadline=None)
@given(m=models, max_len=st.integers(1, 4))
def test_exhaustive_search_equals_brute_force(m, max_len):
    f, eos = make(m)
    seq, score, _ = exhaustive_search(f, eos, max_len)
    assert (seq, score) == brute_force(f, eos, max_len)


def test_early_stop_is_exact_and_faster():
    rng = np.random.default_rng(2024)
    full_steps, early_steps, stopped_sooner = [], [], 0
    for _ in range(400):
        vocab = int(rng.integers(2, 7))
        eos = int(rng.integers(vocab))
        f = random_sequence_model(
            vocab, rng, eos=eos, sharpness=float(rng.choice([0.0, 1.0, 2.0, 4.0])),
            eos_logit=float(rng.choice([0.0, 1.0, rng.uniform(-1, 2)])),
            p_certain=float(rng.choice([0.0, 0.2, 0.6])), integer_scores=bool(rng.random() < 0.3),
        )
        beam_size, max_len = int(rng.integers(1, 6)), int(rng.integers(1, 12))
        full = beam_search(f, beam_size, eos, max_len, early_stop=False)
        early = beam_search(f, beam_size, eos, max_len, early_stop=True)
        assert early[:2] == full[:2], (vocab, eos, beam_size, max_len)
        assert early[2] <= full[2]
        full_steps.append(full[2])
        early_steps.append(early[2])
        stopped_sooner += early[2] < full[2]
    saved = np.mean(full_steps) - np.mean(early_steps)
    print(
        f"\nearly stop: {np.mean(early_steps):.2f} steps on average instead of "
        f"{np.mean(full_steps):.2f} ({saved:.2f} fewer; sooner on {stopped_sooner}/400 models)"
    )
    assert saved > 0.5
    assert stopped_sooner > 40


def test_narrow_beams_match_the_textbook_loop():
    rng = np.random.default_rng(7)
    for _ in range(300):
        vocab = int(rng.integers(2, 9))
        eos = int(rng.integers(vocab))
        f = random_sequence_model(
            vocab, rng, eos=eos, sharpness=float(rng.choice([0.0, 1.0])),
            p_certain=float(rng.choice([0.0, 0.3])), integer_scores=bool(rng.random() < 0.7),
        )
        beam_size, max_len = int(rng.integers(1, 7)), int(rng.integers(1, 7))
        want = naive_beam_search(f, beam_size, eos, max_len)
        for early_stop in (False, True):
            assert beam_search(f, beam_size, eos, max_len, early_stop)[:2] == want


def test_tie_rule_prefers_shorter_then_lexicographic():
    # V = 3, eos = 0. (0,) and (1, 0) both score log 0.5.
    table = {(): [0.5, 0.5, 0.0], (1,): [1.0, 0.0, 0.0]}
    f = table_model(table, 3)
    for early_stop in (True, False):
        seq, score, _ = beam_search(f, 3, 0, 5, early_stop)
        assert seq == (0,) and score == pytest.approx(math.log(0.5))
    # Only the two length-2 sequences: the lexicographically smaller one wins.
    table = {(): [0.0, 0.5, 0.5], (1,): [1.0, 0.0, 0.0], (2,): [1.0, 0.0, 0.0]}
    f = table_model(table, 3)
    assert beam_search(f, 2, 0, 5)[0] == (1, 0)
    # Early stop after step 1 here: the live beams score exactly what (0,) scored.
    f = table_model({(): [0.5, 0.5, 0.0], (1,): [1.0, 0.0, 0.0]}, 3)
    assert beam_search(f, 3, 0, 5, early_stop=True)[2] == 1
    assert beam_search(f, 3, 0, 5, early_stop=False)[2] == 2


def test_small_beam_misses_what_a_wider_beam_finds():
    # Greedy follows token 1 (p = 0.6) but its continuations are poor; 2 then eos is better.
    table = {
        (): [0.0, 0.6, 0.4],
        (1,): [0.5, 0.25, 0.25],
        (2,): [0.9, 0.05, 0.05],
    }
    f = table_model(table, 3)
    greedy = beam_search(f, 1, 0, 2)
    wide = beam_search(f, 2, 0, 2)
    assert greedy[0] == (1, 0) and greedy[1] == pytest.approx(math.log(0.6 * 0.5))
    assert wide[0] == (2, 0) and wide[1] == pytest.approx(math.log(0.4 * 0.9))
    assert exhaustive_search(f, 0, 2)[0] == (2, 0)


def test_nothing_completes():
    def never_ends(prefix):  # eos (token 0) has probability 0 after every prefix
        return np.array([-np.inf, np.log(0.5), np.log(0.5)])

    seq, score, steps = beam_search(never_ends, 2, 0, 4)
    assert seq is None and score == -math.inf and steps == 4
    assert exhaustive_search(never_ends, 0, 3)[:2] == (None, -math.inf)


def test_random_model_is_deterministic_and_normalised():
    f = random_sequence_model(5, 7, eos=2, eos_logit=1.0)
    g = random_sequence_model(5, np.random.default_rng(7), eos=2, eos_logit=1.0)
    for prefix in [(), (1,), (1, 3), (4, 4, 0)]:
        a = f(prefix)
        assert a.shape == (5,) and np.all(a <= 0)
        assert np.logaddexp.reduce(a) == pytest.approx(0.0, abs=1e-12)
        np.testing.assert_array_equal(a, f(prefix))
        np.testing.assert_array_equal(a, g(prefix))
        a[:] = 0.0  # the caller's copy, not the model's
        assert not np.all(f(prefix) == 0.0)
    assert not np.array_equal(f((1,)), f((2,)))
    h = random_sequence_model(5, 8, eos=2)
    assert not np.array_equal(f(()), h(()))


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"beam_size": 0}, ValueError),
        ({"beam_size": 2.5}, TypeError),
        ({"max_len": 0}, ValueError),
        ({"eos": -1}, ValueError),
        ({"eos": 9}, ValueError),
    ],
)
def test_bad_arguments(kwargs, error):
    args = {"next_log_probs": random_sequence_model(3, 0), "beam_size": 2, "eos": 0,
            "max_len": 3} | kwargs
    with pytest.raises(error, match=next(iter(kwargs))):
        beam_search(**args)


@pytest.mark.parametrize(
    "output, match",
    [
        (np.array([0.1, -1.0, -2.0]), "> 0"),
        (np.array([np.nan, -1.0, -2.0]), "NaN"),
        (np.zeros((3, 1)) - 1, "shape"),
        (np.array(["a", "b"]), "dtype"),
    ],
)
def test_bad_model_output(output, match):
    with pytest.raises((ValueError, TypeError), match=match):
        beam_search(lambda prefix: output, 2, 0, 3)


def test_model_changing_vocabulary_is_caught():
    def f(prefix):
        return np.log(np.full(3 + len(prefix), 1 / (3 + len(prefix))))

    with pytest.raises(ValueError, match="shape"):
        beam_search(f, 2, 0, 3, early_stop=False)
    with pytest.raises(ValueError, match="shape"):
        exhaustive_search(f, 0, 3)

    def g(prefix):  # a different vocabulary size for different prefixes of one step
        return np.log(np.full(3 + prefix[-1], 1 / (3 + prefix[-1]))) if prefix else np.log(
            [0.1, 0.45, 0.45])

    with pytest.raises(ValueError, match="shape"):
        beam_search(g, 2, 0, 3)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    d=st.integers(1, 6),
    complex_pair=st.booleans(),
)
def test_spectral_radius_of_known_spectrum(seed, d, complex_pair):
    rng = np.random.default_rng(seed)
    lam = rng.uniform(-2, 2, size=d)
    D = np.diag(lam)
    expected = np.abs(lam).max()
    if complex_pair:  # a rotation block r (cos θ, -sin θ; sin θ, cos θ): eigenvalues r e^{±iθ}
        r, theta = rng.uniform(0.1, 3), rng.uniform(0.1, 3)
        block = r * np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        D = np.block([[D, np.zeros((d, 2))], [np.zeros((2, d)), block]])
        expected = max(expected, r)
    P = rng.normal(size=D.shape) + 3 * np.eye(len(D))  # well conditioned
    W = P @ D @ np.linalg.inv(P)
    assert spectral_radius(W) == pytest.approx(expected, rel=1e-7)
    torch_rho = torch.linalg.eigvals(torch.tensor(W)).abs().max().item()
    assert spectral_radius(W) == pytest.approx(torch_rho, rel=1e-9)


def test_spectral_radius_edge_cases():
    assert spectral_radius(np.array([[-3.0]])) == 3.0
    assert spectral_radius(np.array([[0.0, 1.0], [0.0, 0.0]])) == 0.0  # nilpotent
    assert spectral_radius(np.array([[0, -2], [2, 0]])) == pytest.approx(2.0)  # ints, ±2i
    assert spectral_radius(np.diag([1j, 0.5])) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="square"):
        spectral_radius(np.ones((2, 3)))
    with pytest.raises(ValueError, match="NaN"):
        spectral_radius(np.array([[np.nan]]))
    with pytest.raises(TypeError, match="numeric"):
        spectral_radius(np.array([["a"]]))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 5), T=st.integers(0, 8))
def test_unroll_matches_matrix_powers(seed, d, T):
    rng = np.random.default_rng(seed)
    W, h0 = rng.normal(size=(d, d)), rng.normal(size=d)
    H = unroll_linear(W, h0, T)
    assert H.shape == (T + 1, d)
    for t in range(T + 1):
        np.testing.assert_allclose(H[t], np.linalg.matrix_power(W.T, t) @ h0, rtol=1e-10,
                                   atol=1e-10)


@pytest.mark.parametrize("radius", [0.5, 0.9, 1.1, 1.5])
def test_unroll_norms_follow_the_spectral_radius(radius):
    rng = np.random.default_rng(int(radius * 10))
    d, T = 6, 80
    # Orthogonal times r: every state has norm exactly r^t |h0|.
    Qm, _ = np.linalg.qr(rng.normal(size=(d, d)))
    h0 = rng.normal(size=d)
    norms = np.linalg.norm(unroll_linear(radius * Qm, h0, T), axis=1)
    np.testing.assert_allclose(norms, radius ** np.arange(T + 1) * np.linalg.norm(h0), rtol=1e-8)
    # A generic matrix rescaled to the same radius: growth or decay in the long run.
    W = rng.normal(size=(d, d))
    W *= radius / spectral_radius(W)
    norms = np.linalg.norm(unroll_linear(W, h0, T), axis=1)
    ratio = norms[-1] / norms[0]
    if radius < 1:
        assert ratio < 10 * radius ** (T // 2)
    else:
        assert ratio > 0.1 * radius ** (T // 2)


def test_unroll_bad_input():
    with pytest.raises(ValueError, match=r"h0 must have shape \(2,\)"):
        unroll_linear(np.eye(2), np.ones(3), 4)
    with pytest.raises(ValueError, match="T"):
        unroll_linear(np.eye(2), np.ones(2), -1)
    np.testing.assert_array_equal(unroll_linear(np.eye(2), np.ones(2), 0), [[1.0, 1.0]])


def test_table_sequence_model():
    f = table_sequence_model({(): [0.0, 0.6, 0.4], (1,): [0.5, 0.5, 0.0]}, 3, eos=0)
    np.testing.assert_allclose(np.exp(f(())), [0.0, 0.6, 0.4])
    np.testing.assert_allclose(np.exp(f((1,))), [0.5, 0.5, 0.0])
    np.testing.assert_array_equal(f((2,)), [0.0, -np.inf, -np.inf])  # unlisted: ends at once
    a = f(())
    a[:] = 0.0
    assert f(())[0] == -np.inf  # a fresh array each call
    assert exhaustive_search(f, 0, 3)[0] == (2, 0)  # 0.4 beats 0.6 * 0.5
    with pytest.raises(ValueError, match="summing to 1"):
        table_sequence_model({(): [0.5, 0.6, 0.0]}, 3)


def test_result_as_array():
    np.testing.assert_array_equal(result_as_array(((2, 1, 0), -1.5, 4), 5),
                                  [-1.5, 4, 3, 2, 1, 0, -1, -1])
    out = result_as_array((None, -np.inf, 3), 2)
    assert out[0] == -np.inf and list(out[1:]) == [3, 0, -1, -1]
    with pytest.raises(TypeError, match="sequence, score, steps"):
        result_as_array(((1, 0), -1.0), 3)
    with pytest.raises(ValueError, match="longer than max_len"):
        result_as_array(((1, 1, 0), -1.0, 3), 2)
