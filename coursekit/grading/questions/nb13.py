"""Questions of notebook 13_sequences: beam search with its early stop, the linear recurrence and
the spectral radius.

Beam search returns a tuple ``(sequence, score, steps)``; the notebook's checks compare it through
``coursekit.sequences.result_as_array`` (one float vector per search), and so do the oracle, the
reference and the known mistakes here. The oracle is a plain loop over tuples, written apart from
the vectorised reference.
"""

import math

import numpy as np
import torch

from coursekit import sequences as ref
from coursekit.grading.labels import Named
from coursekit.grading.registry import Case, Question, register
from coursekit.sequences import random_sequence_model, result_as_array, table_sequence_model


def _table(table: dict, vocab: int, text: str) -> Named:
    return Named(table_sequence_model(table, vocab), text)


def _random(vocab: int, seed: int, eos: int = 0, **kw) -> Named:
    extra = "".join(f", {k}={v}" for k, v in kw.items())
    return Named(random_sequence_model(vocab, seed, eos=eos, **kw),
                 f"random_sequence_model({vocab}, {seed}, eos={eos}{extra})")


def _never_ends(prefix):
    return np.array([-np.inf, np.log(0.5), np.log(0.5)])


GREEDY_TRAP = {(): [0.0, 0.6, 0.4], (1,): [0.5, 0.25, 0.25], (2,): [0.9, 0.05, 0.05]}
TIE = {(): [0.5, 0.5, 0.0], (1,): [0.5, 0.5, 0.0]}


def _search(model, beam_size, eos, max_len, early_stop, *, rule="ge", stop_at_first=False):
    """Textbook beam search over tuples; ``rule`` and ``stop_at_first`` make the known mistakes.

    Candidates of one step all have the same length, so sorting by (-score, tokens) is the
    course's order (higher score, then lexicographically smaller); the best completed hypothesis
    is the minimum of (-score, length, tokens).
    """
    beams, best, steps = [((), 0.0)], None, 0
    while beams and steps < max_len:
        steps += 1
        cands = []
        for prefix, score in beams:
            lp = np.asarray(model(prefix), dtype=np.float64)
            cands += [(prefix + (v,), score + lp[v]) for v in range(len(lp))]
        cands = sorted((c for c in cands if c[1] > -math.inf), key=lambda c: (-c[1], c[0]))
        top = cands[:beam_size]
        for seq, score in top:
            if seq[-1] == eos and (best is None or (-score, len(seq), seq) < best):
                best = (-score, len(seq), seq)
        beams = [(seq, score) for seq, score in top if seq[-1] != eos]
        if early_stop and best is not None and stop_at_first:
            break
        if early_stop and best is not None and beams:
            top_live = max(score for _, score in beams)
            if (-best[0] >= top_live) if rule == "ge" else (-best[0] > top_live):
                break
    found = (None, -math.inf) if best is None else (best[2], -best[0])
    return found + (steps,)


def _oracle(model, beam_size, eos, max_len, early_stop=True):
    return result_as_array(_search(model, beam_size, eos, max_len, early_stop), max_len)


def _reference(model, beam_size, eos, max_len, early_stop=True):
    return result_as_array(ref.beam_search(model, beam_size, eos, max_len, early_stop), max_len)


def _mistake(never_stop: bool = False, **kw):
    def wrong(model, beam_size, eos, max_len, early_stop=True):
        stop = early_stop and not never_stop
        return result_as_array(_search(model, beam_size, eos, max_len, stop, **kw), max_len)

    return wrong


def _beam_public() -> list[Case]:
    trap = _table(GREEDY_TRAP, 3, "the greedy-trap table model (V=3, eos=0)")
    tie = _table(TIE, 3, "the tie table model: (0,) has probability 0.5, so does the live beam (1,)")
    never = Named(_never_ends, "a model that never ends (p(eos) = 0)")
    return [
        Case((trap, 1, 0, 4, True), "greedy-trap model, beam 1"),
        Case((trap, 2, 0, 4, True), "greedy-trap model, beam 2"),
        Case((tie, 3, 0, 5, True), "tie model, early stop on"),
        Case((tie, 3, 0, 5, False), "tie model, early stop off"),
        Case((never, 2, 0, 4, True), "nothing ever completes"),
        Case((_random(4, 1), 2, 0, 8, True), "a random model, early stop on"),
        Case((_random(4, 1), 2, 0, 8, False), "the same model, early stop off"),
    ]


def _beam_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = []
    for i in range(40):  # many random toy models, each searched with and without the early stop
        vocab = int(rng.integers(2, 7))
        kw = {
            "sharpness": float(rng.choice([0.0, 1.0, 2.0, 4.0])),
            "eos_logit": float(rng.choice([0.0, 1.0, -1.0])),
            "p_certain": float(rng.choice([0.0, 0.2, 0.6])),
            "integer_scores": bool(rng.random() < 0.3),
        }
        eos = int(rng.integers(vocab))
        model = _random(vocab, int(rng.integers(2**31)), eos, **kw)
        beam, max_len = int(rng.integers(1, 6)), int(rng.integers(1, 11))
        for early in (True, False):
            label = f"random model {i}, beam {beam}, max_len {max_len}, early_stop={early}"
            cases.append(Case((model, beam, eos, max_len, early), label))
    trap = _table(GREEDY_TRAP, 3, "the greedy-trap table model (V=3, eos=0)")
    cases += [
        Case((trap, 3, 0, 1, True), "max_len = 1"),
        Case((trap, 50, 0, 4, True), "beam wider than the vocabulary"),
        Case((_random(3, 5, eos=2, integer_scores=True), 4, 2, 9, True), "integer scores: many ties"),
    ]
    return cases
    # END HIDDEN TESTS


def _spectral_oracle(W):
    W = np.asarray(W)
    W = W if W.dtype.kind == "c" else W.astype(np.float64)
    return float(torch.linalg.eigvals(torch.as_tensor(W)).abs().max())


def _rotation(r: float, theta: float) -> np.ndarray:
    return r * np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])


def _spectral_public() -> list[Case]:
    return [
        Case((np.array([[0.5, 0.0], [0.0, -2.0]]),), "diagonal, a negative eigenvalue"),
        Case((_rotation(1.1, 0.5),), "a scaled rotation: eigenvalues 1.1 e^{±0.5i}"),
        Case((np.array([[1.0, 3.0], [0.0, 0.5]]),), "triangular, not symmetric"),
    ]


def _spectral_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = [Case((rng.normal(size=(d, d)),), f"random ({d}, {d})") for d in (1, 3, 5, 8)]
    P = rng.normal(size=(4, 4)) + 4 * np.eye(4)
    D = np.zeros((4, 4))
    D[:2, :2] = _rotation(1.7, 2.0)
    D[2:, 2:] = np.diag([-1.2, 0.3])
    cases += [
        Case((P @ D @ np.linalg.inv(P),), "complex pair of modulus 1.7 beside real -1.2"),
        Case((np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]),), "nilpotent: ρ = 0"),
        Case((np.array([[0, -2], [2, 0]]),), "an integer matrix with eigenvalues ±2i"),
        Case((np.diag([1j, 0.5]),), "a complex matrix"),
        Case((np.array([[-3.0]]),), "1 x 1"),
    ]
    return cases
    # END HIDDEN TESTS


def _state_oracle(W, h0, t):
    Wt = torch.as_tensor(np.asarray(W, dtype=np.float64))
    return (torch.linalg.matrix_power(Wt.T, int(t)) @ torch.as_tensor(np.asarray(h0, float))).numpy()


def _state_public() -> list[Case]:
    W = np.array([[0.9, 0.4], [-0.3, 0.6]])
    return [
        Case((W, np.array([1.0, 2.0]), 3), "W (2, 2), t = 3"),
        Case((W, np.array([1.0, 2.0]), 0), "t = 0"),
    ]


def _state_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = []
    for d, t in ((1, 4), (3, 1), (4, 7), (6, 20)):
        W = rng.normal(size=(d, d))
        W /= max(1.0, float(np.abs(np.linalg.eigvals(W)).max()))
        cases.append(Case((W, rng.normal(size=d), t), f"random W ({d}, {d}), t = {t}"))
    return cases
    # END HIDDEN TESTS


register(
    Question(
        qid="13.beam_search",
        func_name="beam_search",
        arg_names=("next_log_probs", "beam_size", "eos", "max_len", "early_stop"),
        public=_beam_public,
        oracle=_oracle,
        reference=_reference,
        hidden=_beam_hidden,
        rtol=1e-12,
        atol=1e-12,
        mistakes={
            "stops at the first completion": (
                _mistake(stop_at_first=True),
                "the search stopped as soon as one hypothesis completed; a live beam may still "
                "score higher, so keep going until the best completed score is >= every live beam's.",
            ),
            "never stops early": (
                _mistake(never_stop=True),
                "the right answer but as many steps as a run to max_len: the early stop never fires.",
            ),
            "strict comparison": (
                _mistake(rule="gt"),
                "one step too many after a tie: stop when best >= the best live score (a tie "
                "cannot be beaten later, since scores never increase).",
            ),
        },
    ),
    Question(
        qid="13.spectral_radius",
        func_name="spectral_radius",
        arg_names=("W",),
        public=_spectral_public,
        oracle=_spectral_oracle,
        reference=ref.spectral_radius,
        hidden=_spectral_hidden,
        rtol=1e-9,
        atol=1e-12,
        mistakes={
            "real part": (
                lambda W: float(np.abs(np.linalg.eigvals(W).real).max()),
                "the largest |real part|: eigenvalues can be complex, use the modulus |λ|.",
            ),
            "no modulus": (
                lambda W: float(np.linalg.eigvals(W).real.max()),
                "the largest eigenvalue without its modulus: negative and complex eigenvalues "
                "count by |λ|.",
            ),
            "norm 2": (
                lambda W: float(np.linalg.norm(W, 2)),
                "the largest singular value ||W||₂: an upper bound on ρ(W), equal only for normal "
                "matrices.",
            ),
        },
    ),
    Question(
        qid="13.hidden_state",
        func_name="hidden_state",
        arg_names=("W", "h0", "t"),
        public=_state_public,
        oracle=_state_oracle,
        reference=lambda W, h0, t: ref.unroll_linear(W, h0, t)[-1],
        hidden=_state_hidden,
        mistakes={
            "not transposed": (
                lambda W, h0, t: np.linalg.matrix_power(np.asarray(W, float), t) @ h0,
                "that is W^t h0: the recurrence multiplies by Wᵀ, so h_t = (Wᵀ)^t h0.",
            ),
            "one step short": (
                lambda W, h0, t: np.linalg.matrix_power(np.asarray(W, float).T, max(t - 1, 0)) @ h0,
                "(Wᵀ)^(t-1) h0: one multiplication short (h_1 = Wᵀ h0 already has one).",
            ),
        },
    ),
)
