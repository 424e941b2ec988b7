"""Questions of notebook 03_logic_and_hardcoded_nets: networks with weights set by hand.

Most answers here are weights, and many different weights are right. So each question checks
a *network*: the notebook wraps the student's weights in a small function of the inputs
(``and_gate(X)``, ``xor_net(X)``, ``superincreasing_detector(S)``, ``parity_cells(bits)``),
and that function's outputs are compared with the truth: a truth table, a brute-force loop over
the sequence, the parity of every prefix. Threshold units follow ``step(z) = 1 if z >= 0``.
"""

import itertools

import numpy as np
import torch

from coursekit import logic as ref
from coursekit.grading.registry import Case, Question, register

_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])  # 00, 01, 10, 11
_AND = (0.0, 0.0, 0.0, 1.0)
_OR = (0.0, 1.0, 1.0, 1.0)
_XOR = (0.0, 1.0, 1.0, 0.0)


# ---- truth tables --------------------------------------------------------------------------
def _lookup(X: np.ndarray, table: tuple[float, ...]) -> np.ndarray:
    """The truth table's value on every row of X (n, 2) of 0/1 entries: (n,) float64."""
    out = []
    for x1, x2 in np.asarray(X):
        out.append(table[2 * int(x1) + int(x2)])
    return np.array(out, dtype=np.float64)


def _table_cases() -> list[Case]:
    return [Case((_INPUTS.copy(),), "the inputs 00, 01, 10, 11")]


def _table_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    shuffled = _INPUTS[rng.permutation(4)]
    repeated = _INPUTS[rng.integers(0, 4, size=12)]
    out = [
        Case((shuffled,), "the four inputs in another order"),
        Case((repeated,), "12 inputs with repeats"),
        Case((_INPUTS.astype(np.int64),), "integer inputs"),
    ]
    out += [Case((_INPUTS[i : i + 1].copy(),), f"the single input {i >> 1}{i & 1}") for i in range(4)]
    return out
    # END HIDDEN TESTS


def _and_reference(X: np.ndarray) -> np.ndarray:
    return ref.threshold_unit(X, *ref.and_neuron())


def _or_reference(X: np.ndarray) -> np.ndarray:
    return ref.threshold_unit(X, *ref.or_neuron())


def _xor_reference(X: np.ndarray) -> np.ndarray:
    return ref.two_layer_relu(X, *ref.xor_weights())


# ---- how many truth tables one neuron computes --------------------------------------------
def _count_by_search() -> int:
    """Distinct truth tables of step(w·x + b) over a grid of weights and biases."""
    found = set()
    grid = np.arange(-2.0, 2.01, 1.0)
    for w1, w2, b in itertools.product(grid, grid, np.arange(-2.5, 2.51, 0.5)):
        found.add(tuple(float(w1 * x1 + w2 * x2 + b >= 0) for x1, x2 in _INPUTS))
    return len(found)


# ---- zero initialisation -------------------------------------------------------------------
def _moving_params_by_training(steps: int = 25) -> np.ndarray:
    """Train the 2-2-1 ReLU network from all zeros on XOR (MSE, autograd); which moved."""
    X = torch.tensor(_INPUTS)
    y = torch.tensor(_XOR, dtype=torch.float64)
    params = [
        torch.zeros(2, 2, dtype=torch.float64, requires_grad=True),
        torch.zeros(2, dtype=torch.float64, requires_grad=True),
        torch.zeros(2, dtype=torch.float64, requires_grad=True),
        torch.zeros((), dtype=torch.float64, requires_grad=True),
    ]
    for _ in range(steps):
        W1, b1, W2, b2 = params
        loss = ((torch.relu(X @ W1.T + b1) @ W2 + b2 - y) ** 2).mean()
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads, strict=True):
                p -= 0.1 * g
    return np.array([bool(p.detach().abs().max() > 0) for p in params])


# ---- superincreasing sequences -------------------------------------------------------------
def _superincreasing_loop(S: np.ndarray) -> np.ndarray:
    """1.0 where every element is larger than the sum of the ones before it (a plain loop)."""
    S = np.asarray(S, dtype=np.float64)
    rows = np.atleast_2d(S)
    out = []
    for row in rows:
        ok, total = True, row[0]
        for value in row[1:]:
            ok = ok and value > total
            total += value
        out.append(float(ok))
    return np.array(out).reshape(S.shape[:-1])


_SEQUENCES = [
    ((1.0, 2.0, 4.0, 8.0), "1, 2, 4, 8: superincreasing"),
    ((1.0, 2.0, 2.5, 10.0), "1, 2, 2.5, 10: increasing, but 2.5 < 1 + 2"),
    ((1.0, 2.0, 4.0, 7.0), "1, 2, 4, 7: 7 = 1 + 2 + 4 is a tie"),
    ((1.0, 2.0, 3.0, 7.0), "1, 2, 3, 7: 3 = 1 + 2 is a tie"),
    ((3.0, 1.0, 5.0, 10.0), "3, 1, 5, 10: 1 < 3"),
    ((-5.0, -3.0, 0.0, 1.0), "-5, -3, 0, 1: negative numbers, superincreasing"),
    ((0.5, 0.6, 1.2, 2.4), "0.5, 0.6, 1.2, 2.4: superincreasing"),
    ((1.0, 2.0, 4.0, 7.5), "1, 2, 4, 7.5: superincreasing"),
]


def _superincreasing_public() -> list[Case]:
    return [Case((np.array(seq),), label) for seq, label in _SEQUENCES]


def _near_boundary(rng: np.random.Generator, n: int, integer: bool) -> np.ndarray:
    """(n, 4) sequences whose every element sits just above, just below or exactly on the sum
    of the earlier ones. Real ones are multiples of 1/1024, so every sum is exact in float64."""
    S = np.empty((n, 4))
    if integer:
        S[:, 0] = rng.integers(-6, 7, size=n)
    else:
        S[:, 0] = np.round(rng.uniform(-5, 5, size=n) * 1024) / 1024
    for i in range(1, 4):
        if integer:
            gap = rng.choice([-2, -1, 0, 1, 1, 2, 3], size=n)
        else:
            size = np.round(rng.uniform(1, 3 * 1024, size=n)) / 1024  # at least 1/1024
            gap = size * rng.choice([-1.0, 0.0, 1.0, 1.0], size=n)
        S[:, i] = S[:, :i].sum(axis=1) + gap
    return S


def _superincreasing_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    ties = [
        ((2.0, 2.0, 5.0, 10.0), "2, 2, 5, 10: s2 = s1"),
        ((1.0, 3.0, 4.0, 9.0), "1, 3, 4, 9: s3 = s1 + s2"),
        ((1.0, 3.0, 5.0, 9.0), "1, 3, 5, 9: s4 = s1 + s2 + s3"),
        ((0.0, 0.0, 1.0, 2.0), "0, 0, 1, 2: s2 = s1 = 0"),
        ((0.25, 0.5, 0.75, 1.75), "0.25, 0.5, 0.75, 1.75: s3 = s1 + s2"),
        ((-2.0, -1.0, -3.0, -6.0), "-2, -1, -3, -6: s3 = s1 + s2"),
        ((0.0, 0.0, 0.0, 0.0), "all zeros"),
        ((-1.0, 0.0, 1.0, 2.0), "-1, 0, 1, 2: superincreasing"),
        ((1000.0, 2000.0, 4000.0, 7000.0), "1000, 2000, 4000, 7000: s4 = s1 + s2 + s3"),
    ]
    out = [Case((np.array(seq),), label) for seq, label in ties]
    out.append(Case((_near_boundary(rng, 300, integer=True),), "300 random integer sequences"))
    out.append(Case((_near_boundary(rng, 300, integer=False),), "300 random real sequences"))
    wide = rng.uniform(-10, 10, size=(200, 4))
    keep = np.all(np.abs(wide[:, 1:] - np.cumsum(wide, axis=1)[:, :-1]) > 1e-6, axis=1)
    out.append(Case((wide[keep],), "uniform random real sequences"))
    return out
    # END HIDDEN TESTS


def _superincreasing_reference(S: np.ndarray) -> np.ndarray:
    return ref.superincreasing_net(S, **ref.superincreasing_weights())


def _ties_pass(S: np.ndarray) -> np.ndarray:
    S = np.asarray(S, dtype=np.float64)
    prefix = np.cumsum(S, axis=-1)[..., :-1]
    return np.all(S[..., 1:] >= prefix, axis=-1).astype(np.float64)


def _consecutive_only(S: np.ndarray) -> np.ndarray:
    S = np.asarray(S, dtype=np.float64)
    return np.all(np.diff(S, axis=-1) > 0, axis=-1).astype(np.float64)


# ---- the parity LSTM -----------------------------------------------------------------------
def _prefix_parity(bits: np.ndarray) -> np.ndarray:
    """Parity of x_1..x_t for every t, by a loop over the string: same shape as bits."""
    bits = np.asarray(bits, dtype=np.float64)
    rows = np.atleast_2d(bits)
    out = np.zeros_like(rows)
    for r, row in enumerate(rows):
        parity = 0
        for t, bit in enumerate(row):
            parity ^= int(bit)
            out[r, t] = parity
    return out.reshape(bits.shape)


def _every_string(max_len: int) -> list[Case]:
    out = []
    for length in range(1, max_len + 1):
        rows = [list(bits) for bits in itertools.product((0.0, 1.0), repeat=length)]
        out.append(Case((np.array(rows),), f"all {2**length} strings of length {length}"))
    return out


def _parity_public() -> list[Case]:
    return [Case((np.array([1.0, 0.0, 1.0, 1.0]),), "the string 1011"), *_every_string(12)]


def _parity_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    return [
        Case((rng.integers(0, 2, size=(64, 100)).astype(np.float64),), "64 random strings of length 100"),
        Case((np.ones(25),), "25 ones"),
        Case((np.zeros(9),), "9 zeros"),
    ]
    # END HIDDEN TESTS


def _parity_reference(bits: np.ndarray) -> np.ndarray:
    return ref.hard_lstm_run(bits, ref.parity_lstm_params(), return_cell=True)[1]


def _never_forgets(bits: np.ndarray) -> np.ndarray:
    return np.maximum.accumulate(np.asarray(bits, dtype=np.float64), axis=-1)


register(
    Question(
        qid="03.and_neuron",
        func_name="and_gate",
        arg_names=("X",),
        public=_table_cases,
        oracle=lambda X: _lookup(X, _AND),
        reference=_and_reference,
        hidden=_table_hidden,
        rtol=0,
        atol=1e-12,
        mistakes={
            "or": (
                lambda X: _lookup(X, _OR),
                "this is OR: on 01 and 10 the pre-activation w·x + b is still >= 0, so the unit "
                "fires. Only 11 should reach the threshold (remember step(0) = 1).",
            ),
            "nand": (
                lambda X: _lookup(X, (1.0, 1.0, 1.0, 0.0)),
                "every output is flipped (this is NAND): change the signs of w and b.",
            ),
        },
    ),
    Question(
        qid="03.or_neuron",
        func_name="or_gate",
        arg_names=("X",),
        public=_table_cases,
        oracle=lambda X: _lookup(X, _OR),
        reference=_or_reference,
        hidden=_table_hidden,
        rtol=0,
        atol=1e-12,
        mistakes={
            "always on": (
                lambda X: np.ones(len(X)),
                "the unit always fires: on 00 the pre-activation is just b, and step(0) = 1, so "
                "b must be negative.",
            ),
            "and": (
                lambda X: _lookup(X, _AND),
                "this is AND: a single 1 among the inputs should already reach the threshold.",
            ),
        },
    ),
    Question(
        qid="03.n_threshold_tables",
        func_name="n_threshold_tables",
        arg_names=(),
        public=lambda: [Case(())],
        oracle=_count_by_search,
        reference=ref.count_threshold_functions,
        hidden=lambda rng: [],
        rtol=0,
        atol=0,
        mistakes={
            "all": (lambda: 16, "not every table: XOR is one that no line can produce."),
            "xor only": (
                lambda: 15,
                "XOR is not the only one: XNOR (1 on 00 and 11) has the same problem.",
            ),
        },
    ),
    Question(
        qid="03.xor_weights",
        func_name="xor_net",
        arg_names=("X",),
        public=_table_cases,
        oracle=lambda X: _lookup(X, _XOR),
        reference=_xor_reference,
        hidden=_table_hidden,
        rtol=0,
        atol=1e-9,
        mistakes={
            "rotated": (
                lambda X: _lookup(X, (0.0, 1.0, 0.0, 2.0)),
                "these outputs (0, 1, 0, 2) are what W1 = [[1, 1], [1, -1]], b1 = 0, W2 = [1, -1], "
                "b2 = 0 give: compute h = ReLU(W1 x + b1) for 10 and 11 by hand.",
            ),
        },
    ),
    Question(
        qid="03.zero_init_trainable",
        func_name="zero_init_trainable",
        arg_names=(),
        public=lambda: [Case(())],
        oracle=_moving_params_by_training,
        reference=lambda: np.array(ref.zero_init_trainable()),
        hidden=lambda rng: [],
        rtol=0,
        atol=0,
        mistakes={
            "nothing moves": (
                lambda: np.zeros(4, dtype=bool),
                "something does move: ∂ℓ/∂b2 is the average of ∂ℓ/∂ŷ, which is not zero while the "
                "output is wrong.",
            ),
            "everything moves": (
                lambda: np.ones(4, dtype=bool),
                "with every parameter at zero, h = ReLU(0) = 0 and W2 = 0: which gradients does "
                "that make zero?",
            ),
        },
    ),
    Question(
        qid="03.superincreasing_weights",
        func_name="superincreasing_detector",
        arg_names=("S",),
        public=_superincreasing_public,
        oracle=_superincreasing_loop,
        reference=_superincreasing_reference,
        hidden=_superincreasing_hidden,
        rtol=0,
        atol=1e-12,
        mistakes={
            "ties pass": (
                _ties_pass,
                "a tie (s_i exactly equal to the sum before it) is accepted, but the definition "
                "needs s_i > the sum. With step(0) = 1, a unit whose pre-activation is 0 on a tie "
                "fires: make the unit that fires on a tie the one that rejects.",
            ),
            "consecutive": (
                _consecutive_only,
                "this checks s_i > s_(i-1) only: each s_i must beat the sum of ALL earlier ones.",
            ),
        },
    ),
    Question(
        qid="03.parity_lstm_params",
        func_name="parity_cells",
        arg_names=("bits",),
        public=_parity_public,
        oracle=_prefix_parity,
        reference=_parity_reference,
        hidden=_parity_hidden,
        rtol=0,
        atol=1e-12,
        mistakes={
            "never forgets": (
                _never_forgets,
                "the cell stays 1 once a 1 has arrived: when a 1 meets parity 1, the old cell "
                "value has to be forgotten (f_t = 0) and nothing written.",
            ),
            "input only": (
                lambda bits: np.asarray(bits, dtype=np.float64),
                "C_t is just x_t: the cell must combine x_t with the previous parity, which the "
                "gates can only see through h_(t-1).",
            ),
        },
    ),
)
