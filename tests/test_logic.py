"""Tests of coursekit.logic: threshold neurons, XOR, the superincreasing detector, the parity
LSTM. Oracles are plain Python loops written here and truth tables typed in by hand."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coursekit import logic

pytestmark = pytest.mark.nb03

FAST = settings(max_examples=60, deadline=None)
INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
AND = np.array([0.0, 0.0, 0.0, 1.0])
OR = np.array([0.0, 1.0, 1.0, 1.0])
XOR = np.array([0.0, 1.0, 1.0, 0.0])

small_ints = st.integers(-4, 4).map(float)
reals = st.floats(-5, 5, allow_nan=False, allow_infinity=False)


def loop_threshold(X, w, b):
    out = []
    for row in X:
        z = sum(wi * xi for wi, xi in zip(w, row, strict=True)) + b
        out.append(1.0 if z >= 0 else 0.0)
    return np.array(out)


def loop_superincreasing(seq):
    total = seq[0]
    for value in seq[1:]:
        if not value > total:
            return False
        total += value
    return True


def loop_parity_prefixes(bits):
    out, parity = [], 0
    for b in bits:
        parity ^= int(b)
        out.append(float(parity))
    return np.array(out)


def loop_hard_lstm(bits, p, h=0.0, c=0.0):
    """Scalar LSTM with hard gates, one step at a time, written from the equations."""

    def sig(z):
        return 1.0 if z > 0 else 0.0

    def tnh(z):
        return 1.0 if z > 0 else (-1.0 if z < 0 else 0.0)

    hs, cs = [], []
    for x in bits:
        def lin(k, x=x, h=h):
            return p["W_" + k][0] * h + p["W_" + k][1] * x + p["b_" + k]

        f, i, cand, o = sig(lin("f")), sig(lin("i")), tnh(lin("C")), sig(lin("o"))
        c = f * c + i * cand
        h = o * tnh(c)
        hs.append(h)
        cs.append(c)
    return np.array(hs), np.array(cs)


# ------------------------------------------------------------------------- threshold units
def test_step_fires_at_zero():
    assert logic.step(np.array([-1e-12, 0.0, 1e-12])).tolist() == [0.0, 1.0, 1.0]
    w, b = np.array([1.0, 1.0]), -1.0  # z = 0 exactly on (0, 1) and (1, 0)
    assert logic.threshold_unit(INPUTS, w, b).tolist() == [0.0, 1.0, 1.0, 1.0]


@FAST
@given(
    X=hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.just(2)), elements=small_ints),
    w=hnp.arrays(np.float64, 2, elements=small_ints),
    b=small_ints,
)
def test_threshold_unit_matches_loop(X, w, b):
    # small integers make z = 0 frequent, so the convention is exercised
    np.testing.assert_array_equal(logic.threshold_unit(X, w, b), loop_threshold(X, w, b))


def test_and_or_truth_tables():
    w, b = logic.and_neuron()
    np.testing.assert_array_equal(logic.threshold_unit(INPUTS, w, b), AND)
    w, b = logic.or_neuron()
    np.testing.assert_array_equal(logic.threshold_unit(INPUTS, w, b), OR)


@pytest.mark.parametrize("gate", [logic.and_neuron, logic.or_neuron])
def test_gates_do_not_sit_on_the_boundary(gate):
    w, b = gate()
    z = INPUTS @ np.asarray(w) + b
    assert np.min(np.abs(z)) > 0.1


def test_no_threshold_unit_computes_xor():
    # a coarse search over weights finds AND and OR but never XOR
    grid = np.arange(-3.0, 3.01, 0.5)
    found = {"and": False, "or": False, "xor": False}
    for w1, w2, b in itertools.product(grid, grid, grid):
        out = logic.threshold_unit(INPUTS, np.array([w1, w2]), b)
        found["and"] |= np.array_equal(out, AND)
        found["or"] |= np.array_equal(out, OR)
        found["xor"] |= np.array_equal(out, XOR)
    assert found == {"and": True, "or": True, "xor": False}


# ------------------------------------------------------------------------------- XOR
def test_xor_weights_compute_xor_exactly():
    W1, b1, W2, b2 = logic.xor_weights()
    assert np.shape(W1) == (2, 2) and np.shape(b1) == (2,) and np.shape(W2) == (2,)
    np.testing.assert_array_equal(logic.two_layer_relu(logic.XOR_TABLE, W1, b1, W2, b2), XOR)


def test_the_published_xor_weights_are_wrong():
    # W1 = [[1, 1], [1, -1]], b1 = 0, W2 = [1, -1], b2 = 0, worked out by hand:
    # h(0,1) = (1, 0) -> 1; h(1,0) = (1, 1) -> 0; h(1,1) = (2, 0) -> 2
    out = logic.two_layer_relu(INPUTS, [[1, 1], [1, -1]], [0, 0], [1, -1], 0)
    np.testing.assert_array_equal(out, [0.0, 1.0, 0.0, 2.0])
    assert not np.array_equal(out, XOR)


@FAST
@given(
    data=st.data(),
    n=st.integers(1, 5),
    H=st.integers(1, 4),
)
def test_two_layer_relu_matches_loop(data, n, H):
    X = data.draw(hnp.arrays(np.float64, (n, 2), elements=reals))
    W1 = data.draw(hnp.arrays(np.float64, (H, 2), elements=reals))
    b1 = data.draw(hnp.arrays(np.float64, H, elements=reals))
    W2 = data.draw(hnp.arrays(np.float64, H, elements=reals))
    b2 = data.draw(reals)
    expected = [
        sum(W2[j] * max(0.0, W1[j, 0] * x[0] + W1[j, 1] * x[1] + b1[j]) for j in range(H)) + b2
        for x in X
    ]
    np.testing.assert_allclose(logic.two_layer_relu(X, W1, b1, W2, b2), expected, atol=1e-12)


def test_zero_initialised_network_is_constant():
    out = logic.two_layer_relu(INPUTS, np.zeros((2, 2)), np.zeros(2), np.zeros(2), 0.0)
    np.testing.assert_array_equal(out, np.zeros(4))


# ------------------------------------------------------------------- superincreasing
@pytest.mark.parametrize(
    "seq, expected",
    [
        ((1, 2, 4, 8), True),
        ((1, 2, 4, 7), False),  # 7 = 1 + 2 + 4: a tie is not superincreasing
        ((1, 2, 3, 7), False),  # 3 = 1 + 2
        ((1, 1, 3, 6), False),
        ((-5, -3, 0, 1), True),  # -3 > -5, 0 > -8, 1 > -8
        ((3, 4, 8, 16), True),
        ((0.5, 0.6, 1.2, 2.4), True),
    ],
)
def test_superincreasing_examples(seq, expected):
    assert loop_superincreasing(seq) is expected  # the oracle itself on hand-checked cases
    assert bool(logic.is_superincreasing(np.array(seq, dtype=float))) is expected
    net = logic.superincreasing_net(np.array(seq, dtype=float), **logic.superincreasing_weights())
    assert float(net) == float(expected)


@FAST
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 8), st.just(4)), elements=small_ints))
def test_superincreasing_net_matches_oracle_with_ties(S):
    expected = np.array([loop_superincreasing(list(row)) for row in S], dtype=float)
    np.testing.assert_array_equal(logic.is_superincreasing(S), expected.astype(bool))
    out = logic.superincreasing_net(S, **logic.superincreasing_weights())
    assert out.shape == (S.shape[0],)
    np.testing.assert_array_equal(out, expected)


@FAST
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=reals))
def test_is_superincreasing_any_length(S):
    expected = [loop_superincreasing(list(row)) for row in S]
    assert logic.is_superincreasing(S).tolist() == expected


def test_superincreasing_weights_shapes():
    p = logic.superincreasing_weights()
    assert np.shape(p["W1"]) == (3, 4)
    assert np.shape(p["b1"]) == (3,) and np.shape(p["w2"]) == (3,)
    assert np.ndim(p["b2"]) == 0


def test_superincreasing_net_activations():
    s = np.array([[0.0, 0.0, 0.0, 0.0]])
    W1, b1, w2 = np.eye(3, 4), np.array([1.0, -1.5, 0.0]), np.ones(3)
    # hidden pre-activations (1, -1.5, 0): indicator gives (1, 0, 1), threshold (1, 0, 1)
    out = logic.superincreasing_net(s, W1, b1, w2, -2.0, phi1="indicator", phi2="threshold")
    assert out.tolist() == [1.0]
    out = logic.superincreasing_net(s, W1, b1, w2, -2.5, phi1="indicator", phi2="threshold")
    assert out.tolist() == [0.0]
    assert logic.indicator(np.array([-1.0, 1.0, 1.0001, -1.0001])).tolist() == [1, 1, 0, 0]
    with pytest.raises(ValueError, match="phi1"):
        logic.superincreasing_net(s, W1, b1, w2, 0.0, phi1="sigmoid")


# ------------------------------------------------------------------------- parity LSTM
def test_bit_strings():
    B3 = logic.bit_strings(3)
    assert B3.shape == (8, 3)
    assert len({tuple(r) for r in B3}) == 8
    assert B3[5].tolist() == [1.0, 0.0, 1.0]
    assert logic.bit_strings(0).shape == (1, 0)
    strings = logic.all_bit_strings(4)
    assert [s.shape for s in strings] == [(2, 1), (4, 2), (8, 3), (16, 4)]


def test_parity_lstm_on_every_string_up_to_length_10():
    params = logic.parity_lstm_params()
    for batch in logic.all_bit_strings(10):
        h, c = logic.hard_lstm_run(batch, params, return_cell=True)
        expected = np.cumsum(batch, axis=1) % 2  # parity of each prefix
        np.testing.assert_array_equal(h, expected)
        np.testing.assert_array_equal(c, expected)


@pytest.mark.parametrize("bits", [[1], [1, 1], [0, 1, 1, 0, 1], [1, 1, 1, 1, 1, 1, 1]])
def test_parity_lstm_single_string(bits):
    h = logic.hard_lstm_run(np.array(bits), logic.parity_lstm_params())
    assert h.shape == (len(bits),)
    np.testing.assert_array_equal(h, loop_parity_prefixes(bits))


lstm_params = st.fixed_dictionaries(
    {
        key: (hnp.arrays(np.float64, 2, elements=st.integers(-2, 2).map(float))
              if key.startswith("W") else st.integers(-2, 2).map(lambda v: v / 2))
        for key in logic.LSTM_KEYS
    }
)


@FAST
@given(
    bits=hnp.arrays(np.float64, st.integers(1, 8), elements=st.sampled_from([0.0, 1.0])),
    params=lstm_params,
    h0=st.sampled_from([-1.0, 0.0, 1.0]),
    c0=st.sampled_from([-1.0, 0.0, 1.0]),
)
def test_hard_lstm_matches_step_by_step_loop(bits, params, h0, c0):
    h, c = logic.hard_lstm_run(bits, params, h0=h0, c0=c0, return_cell=True)
    h_ref, c_ref = loop_hard_lstm(bits, params, h0, c0)
    np.testing.assert_array_equal(h, h_ref)
    np.testing.assert_array_equal(c, c_ref)


def test_hard_gates_at_zero():
    assert logic.hard_sigmoid(np.array([-1.0, 0.0, 2.0])).tolist() == [0.0, 0.0, 1.0]
    assert logic.hard_tanh(np.array([-3.0, 0.0, 0.5])).tolist() == [-1.0, 0.0, 1.0]


# ------------------------------------------------------------------------------ bad input
def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match=r"X .*columns"):
        logic.threshold_unit(np.zeros((4, 3)), np.zeros(2), 0.0)
    with pytest.raises(ValueError, match="NaN"):
        logic.threshold_unit(np.array([[np.nan, 0.0]]), np.zeros(2), 0.0)
    with pytest.raises(TypeError, match="b"):
        logic.threshold_unit(INPUTS, np.zeros(2), np.zeros(2))
    with pytest.raises(TypeError, match="X"):
        logic.threshold_unit(np.array([["a", "b"]]), np.zeros(2), 0.0)
    with pytest.raises(ValueError, match="W2"):
        logic.two_layer_relu(INPUTS, np.zeros((3, 2)), np.zeros(3), np.zeros(2), 0.0)
    with pytest.raises(ValueError, match=r"W1 must have shape \(3, 4\)"):
        logic.superincreasing_net(np.zeros(4), np.zeros((4, 4)), np.zeros(3), np.zeros(3), 0.0)
    with pytest.raises(ValueError, match="bits"):
        logic.hard_lstm_run(np.array([0, 2]), logic.parity_lstm_params())
    bad = dict(logic.parity_lstm_params())
    del bad["b_o"]
    with pytest.raises(ValueError, match="b_o"):
        logic.hard_lstm_run(np.array([0, 1]), bad)
    bad = dict(logic.parity_lstm_params(), W_f=np.zeros(3))
    with pytest.raises(ValueError, match="W_f"):
        logic.hard_lstm_run(np.array([0, 1]), bad)
    with pytest.raises(TypeError, match="length"):
        logic.bit_strings(2.0)


# ------------------------------------------------------------------ value answers, training
def test_count_threshold_functions_matches_a_search():
    grid = np.arange(-3.0, 3.01, 0.5)
    tables = {
        tuple(logic.threshold_unit(INPUTS, np.array([w1, w2]), b))
        for w1, w2, b in itertools.product(grid, grid, grid)
    }
    assert len(tables) == logic.count_threshold_functions() == 14
    assert tuple(XOR) not in tables and (1.0, 0.0, 0.0, 1.0) not in tables


def test_zero_init_trainable_matches_training():
    run = logic.train_xor("zero", hidden=2, steps=30)
    moved = tuple(bool(np.any(run["params"][k] != 0)) for k in ("W1", "b1", "W2", "b2"))
    assert moved == logic.zero_init_trainable() == (False, False, False, True)
    grads = run["first_grads"]
    for k in ("W1", "b1", "W2"):
        np.testing.assert_array_equal(grads[k], 0.0)
    assert grads["b2"] == pytest.approx(2 * (0.0 - 0.5))  # d/db2 of mean((b2 - y)^2) at b2 = 0
    np.testing.assert_allclose(logic.train_xor("zero", steps=300)["outputs"], 0.5, atol=1e-6)


def test_constant_init_keeps_hidden_units_identical():
    run = logic.train_xor("constant", hidden=5, steps=400)
    W1, W2 = run["params"]["W1"], run["params"]["W2"]
    np.testing.assert_allclose(W1, np.broadcast_to(W1[0], W1.shape), rtol=0, atol=1e-12)
    np.testing.assert_allclose(W2, W2[0], rtol=0, atol=1e-12)
    assert run["loss"][-1] > 0.1  # one unit repeated cannot fit XOR


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_random_init_learns_xor(seed):
    run = logic.train_xor("random", steps=600, seed=seed)
    assert run["loss"].shape == (601,)
    assert run["loss"][-1] < 1e-4
    np.testing.assert_allclose(run["outputs"], XOR, atol=0.02)
    again = logic.train_xor("random", steps=600, seed=seed)
    np.testing.assert_array_equal(run["loss"], again["loss"])  # seeded: reproducible


def test_train_xor_matches_a_torch_free_first_step():
    run = logic.train_xor("random", hidden=3, steps=1, lr=0.1, seed=5)
    # recompute the loss at the initial weights from the gradient step, in NumPy
    p, g = run["params"], run["first_grads"]
    W1, b1, W2, b2 = (p[k] + 0.1 * g[k] for k in ("W1", "b1", "W2", "b2"))
    out = np.maximum(INPUTS @ W1.T + b1, 0) @ W2 + b2
    assert run["loss"][0] == pytest.approx(np.mean((out - XOR) ** 2), rel=1e-12)


def test_train_xor_rejects_bad_arguments():
    with pytest.raises(ValueError, match="init"):
        logic.train_xor("ones")
    with pytest.raises(ValueError, match="hidden"):
        logic.train_xor(hidden=0)


def test_hard_lstm_trace_matches_the_loop():
    bits = np.array([1.0, 1.0, 0.0, 1.0, 0.0])
    params = logic.parity_lstm_params()
    trace = logic.hard_lstm_trace(bits, params)
    assert set(trace) == {"x", "f", "i", "C_tilde", "o", "C", "h"}
    h_ref, c_ref = loop_hard_lstm(bits, params)
    np.testing.assert_array_equal(trace["h"], h_ref)
    np.testing.assert_array_equal(trace["C"], c_ref)
    np.testing.assert_array_equal(trace["x"], bits)
    batch = logic.hard_lstm_trace(logic.bit_strings(3), params)
    assert batch["f"].shape == (8, 3)
