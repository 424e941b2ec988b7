"""coursekit.grading.parts and coursekit.grading.backprop_checks: picking parts of structured
answers, the PyTorch oracles of notebook 06 and the gradient tables its checks print."""

import numpy as np
import pytest

from coursekit import backprop as bp
from coursekit.grading import CheckFailed, check_visible
from coursekit.grading import answer_forms as forms
from coursekit.grading import backprop_checks as bc
from coursekit.grading.parts import part

pytestmark = pytest.mark.nb06


def problem(seed, sizes=(5, 3, 4, 2, 3)):
    return bc.random_multibranch_problem(*sizes, np.random.default_rng(seed))


# ----------------------------------------------------------------------------- part
def test_part_digs_into_dicts_tuples_and_lists():
    def answer(a, b):
        return {"sum": a + b, "pair": (a, [b, 2 * b])}

    pick = part(answer)
    assert pick.__name__ == "answer"
    assert pick(1, 2, "sum") == 3
    assert pick(1, 2, ("pair", 1, 0)) == 2
    assert pick(1, 2, ("pair", 1, -1)) == 4
    with pytest.raises(CheckFailed, match=r"answer\(\.\.\.\) has no entry 'diff'; it has \['pair', 'sum'\]"):
        pick(1, 2, "diff")
    with pytest.raises(CheckFailed, match=r"\['pair'\]\[1\] is a list of 2 items; item 5"):
        pick(1, 2, ("pair", 1, 5))
    with pytest.raises(CheckFailed, match="is a int; expected a dict"):
        pick(1, 2, ("sum", 0))
    with pytest.raises(CheckFailed, match="forget to `return`"):
        part(lambda: None)("x")


def test_part_refuses_the_coursekit_reference():
    with pytest.raises(CheckFailed, match="reference itself"):
        part(bp.multibranch_backward)


# ----------------------------------------------------------------------------- oracles
@pytest.mark.parametrize("seed", range(4))
def test_torch_oracles_agree_with_the_numpy_reference(seed):
    params, x, t = problem(seed)
    J, cache = bc.multibranch_cache(params, x, t)
    J_ref, cache_ref = bp.multibranch_forward(params, x, t)
    assert J == pytest.approx(J_ref, rel=1e-12)
    assert set(cache) == set(bc.CACHE_KEYS)
    for key in bc.CACHE_KEYS:
        np.testing.assert_allclose(cache[key], cache_ref[key], rtol=1e-12, atol=1e-14, err_msg=key)
    grads = bc.multibranch_gradients(params, x, t)
    ref = bp.multibranch_backward(params, cache)
    for key in bc.GRAD_KEYS:
        np.testing.assert_allclose(grads[key], ref[key], rtol=1e-10, atol=1e-12, err_msg=key)


def test_variants_change_exactly_the_gradients_they_should():
    params, x, t = problem(1)
    right = bc.multibranch_gradients(params, x, t)
    cut = bc.multibranch_gradients(params, x, t, "one path into a1")
    for key in ("W3", "W4", "Wg", "bg", "W2", "b2"):
        np.testing.assert_allclose(cut[key], right[key], rtol=1e-12, err_msg=key)
    assert not np.allclose(cut["W1"], right["W1"])
    no_skip = bc.multibranch_gradients(params, x, t, "no skip path")
    np.testing.assert_allclose(right["x"] - no_skip["x"], (bc.multibranch_cache(params, x, t)[1]["p"]
                                                           - np.eye(3)[t]) @ params["W4"], rtol=1e-10)


def test_ffnn_oracle_agrees_with_the_reference_delta_rule():
    rng = np.random.default_rng(2)
    layers, cache, upstream = bc.ffnn_problem([3, 5, 4, 2], "tanh", "identity", rng)
    want = bp.ffnn_backward(list(layers), dict(cache), upstream)
    got = bc.ffnn_gradients(layers, cache["z"][0], "tanh", "identity", upstream)
    for key in ("W", "b", "delta"):
        for g, w in zip(got[key], want[key], strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got["x"], want["x"], rtol=1e-10, atol=1e-12)
    assert repr(layers).startswith("layers(3 layers 3-5-4-2, tanh")


# ----------------------------------------------------------------------------- tables
def test_table_passes_the_reference_and_flags_a_wrong_gradient(capsys):
    def backward(params, cache):
        return bp.multibranch_backward(params, cache)

    def forward(params, x, t):
        return bp.multibranch_forward(params, x, t)

    bc.multibranch_gradient_table(forward, backward)
    out = capsys.readouterr().out
    assert out.count(" ok") == 9 and "WRONG" not in out and "To fix" not in out

    def one_path(params, cache):
        grads = backward(params, cache)
        grads["W1"] = grads["W1"] * 0.5
        return grads

    def unfinished(params, x, t):
        raise NotImplementedError

    bc.multibranch_gradient_table(unfinished, one_path)
    out = capsys.readouterr().out
    assert "∂J/∂W1" in out and "WRONG" in out and "To fix: W1." in out
    assert "multibranch" not in out or "not written yet" in out
    assert "(finite differences: unfinished is not written yet)" in out


def test_table_reports_shapes_missing_keys_and_crashes(capsys):
    def transposed(params, cache):
        grads = bp.multibranch_backward(params, cache)
        grads["W3"] = grads["W3"].T
        del grads["x"]
        return grads

    bc.multibranch_gradient_table(None, transposed)
    out = capsys.readouterr().out
    assert "shape (3, 3)" not in out  # W3 is (3, 3) here only if K = G; the table problem has K = G = 3
    assert "missing" in out and "To fix: x." in out or "To fix: W3, x." in out
    bc.multibranch_gradient_table(None, lambda params, cache: 1 / 0)
    assert "raised ZeroDivisionError" in capsys.readouterr().out


def test_ffnn_table_flags_a_missing_derivative(capsys):
    bc.ffnn_gradient_table(lambda *a: bp.ffnn_backward(*a))
    assert "WRONG" not in capsys.readouterr().out

    def no_output_derivative(params, cache, dL_dout):
        out = cache["z"][-1]
        hidden, last = cache["activations"]
        slope = {"sigmoid": out * (1 - out), "identity": 1.0}.get(last, 1.0)
        return bp.ffnn_backward(params, cache, dL_dout / slope)  # undoes h' at the output

    bc.ffnn_gradient_table(no_output_derivative)
    out = capsys.readouterr().out
    assert "WRONG" in out.split("tanh")[0]  # the sigmoid-output network is wrong
    assert "WRONG" not in out.split("tanh")[1]  # identity outputs are unaffected


def test_visible_check_names_the_gradient_and_the_mistake():
    def one_path(params, cache):
        x, c1, u, h, g = (cache[k] for k in ("x", "c1", "u", "h", "g"))
        grads = bp.multibranch_backward(params, cache)
        H = u.shape[1]
        y_bar = cache["p"] - np.eye(cache["p"].shape[1])[cache["t"]]
        c1_bar = (y_bar @ params["W3"] @ params["Wg"])[:, :H]
        a1_bar = c1_bar * c1 * (1 - c1)
        grads["W1"], grads["b1"] = a1_bar.T @ x, a1_bar.sum(0)
        return grads

    with pytest.raises(CheckFailed) as info:
        check_visible("06.multibranch_backward", part(one_path))
    msg = str(info.value)
    assert "∂J/∂W1" in msg and "two paths" in msg
    # the notebook's cells pass the function itself; the question's adapter picks the entries
    with pytest.raises(CheckFailed, match="two paths"):
        forms.check_visible("06.multibranch_backward", one_path)
    forms.check_hidden("06.multibranch_backward", lambda params, cache: bp.multibranch_backward(params, cache))
    with pytest.raises(CheckFailed, match="reference itself"):
        forms.check_hidden("06.ffnn_backward", bp.ffnn_backward)


def _backward_with(slip: str):
    """A student's vectorised backward pass with one of the slips the course expects to catch."""

    def multibranch_backward(params, cache):
        x, t, c1, u, h, g, p = (cache[k] for k in ("x", "t", "c1", "u", "h", "g", "p"))
        H = u.shape[1]
        y_bar = p - np.eye(p.shape[1])[t]
        g_bar = y_bar @ params["W3"]
        h_bar = g_bar @ params["Wg"]
        u_bar = h_bar[:, H:] * (u > 0)
        sigmoid_slope = 1.0 if slip == "no sigmoid derivative" else c1 * (1 - c1)
        a1_bar = h_bar[:, :H] * sigmoid_slope + u_bar
        x_bar = a1_bar @ params["W1"] + u_bar @ params["W2"]
        if slip != "no skip term":
            x_bar = x_bar + y_bar @ params["W4"]
        grads = {"W3": y_bar.T @ g, "W4": y_bar.T @ x, "Wg": g_bar.T @ h, "bg": g_bar.sum(0),
                 "W1": a1_bar.T @ x, "b1": a1_bar.sum(0), "W2": u_bar.T @ x, "b2": u_bar.sum(0), "x": x_bar}
        if slip == "transposed weight gradient":
            grads["Wg"] = h.T @ g_bar
        return grads

    return multibranch_backward


@pytest.mark.parametrize(
    "slip, gradient, hint",
    [
        ("no sigmoid derivative", "∂J/∂W1", "without the sigmoid's derivative"),
        ("no skip term", "∂J/∂x", "the skip term ȳ W4 is missing"),
        ("transposed weight gradient", "∂J/∂Wg", "transposed"),
    ],
)
def test_hidden_check_fails_the_expected_slips_with_a_hint(slip, gradient, hint):
    forms.check_hidden("06.multibranch_backward", _backward_with(""))  # the same code without the slip
    with pytest.raises(CheckFailed) as info:
        forms.check_hidden("06.multibranch_backward", _backward_with(slip))
    assert gradient in str(info.value) and hint in str(info.value)


def test_unknown_variants_are_refused():
    params, x, t = problem(0)
    with pytest.raises(ValueError, match="variant"):
        bc.multibranch_gradients(params, x, t, "no sigmoid")
    with pytest.raises(ValueError, match="variant"):
        bc.ffnn_gradients([(np.ones((2, 2)), np.zeros(2))], np.ones((1, 2)), "tanh", None, np.ones((1, 2)), "no h")
