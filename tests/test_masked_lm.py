"""coursekit.masked_lm against PyTorch autograd (float64), finite differences and loops."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit import masked_lm as ml
from coursekit.jacobians import numerical_jacobian

pytestmark = pytest.mark.nb09

NAMES = ("word_embedding_weights", "embed_to_hid_weights", "hid_bias", "hid_to_output_weights",
         "output_bias")
sizes = st.tuples(
    st.integers(2, 9),  # V
    st.integers(1, 4),  # N
    st.integers(1, 4),  # E
    st.integers(1, 6),  # H
    st.integers(1, 7),  # B
    st.integers(0, 2**32 - 1),  # seed
)


def random_case(V, N, E, H, B, seed, scale=0.7):
    """A model with non-zero biases, a masked batch, its one-hot targets and its mask."""
    rng = np.random.default_rng(seed)
    params = ml.Params(*(scale * rng.standard_normal(s)
                         for s in ((V, E), (H, N * E), (H,), (N * V, H), (N * V,))))
    model = ml.Model(params, [f"w{i}" for i in range(V)])
    words = rng.integers(1, V, size=(B, N))
    mask = np.zeros((B, N), dtype=np.int64)
    mask[np.arange(B), rng.integers(N, size=B)] = 1
    targets = np.zeros((B, N * V))
    for i in range(B):  # brute-force one-hot rows
        for n in range(N):
            if mask[i, n]:
                targets[i, n * V + words[i, n]] = 1.0
    return model, words * (1 - mask), targets, mask


def torch_forward(params, inputs, V, N):
    """The model written directly in PyTorch: (leaves, z, y) with y the chunked softmax."""
    leaves = {k: torch.tensor(getattr(params, k), requires_grad=True) for k in NAMES}
    B = inputs.shape[0]
    x = leaves["word_embedding_weights"][torch.as_tensor(inputs)].reshape(B, -1)
    h = torch.sigmoid(x @ leaves["embed_to_hid_weights"].T + leaves["hid_bias"])
    z = h @ leaves["hid_to_output_weights"].T + leaves["output_bias"]
    z.retain_grad()
    y = torch.softmax(z.reshape(B, N, V), dim=2).reshape(B, N * V)
    return leaves, z, y, x, h


def torch_loss(y, targets, mask, V):
    m = torch.as_tensor(np.repeat(mask, V, axis=1), dtype=torch.float64)
    return -(m * torch.as_tensor(targets) * torch.log(y)).sum()


@settings(max_examples=50, deadline=None)
@given(sizes)
def test_forward_and_loss_match_torch(case):
    model, inputs, targets, mask = random_case(*case)
    V, N = model.vocab_size, model.context_len
    _, _, y, x, h = torch_forward(model.params, inputs, V, N)
    acts = model.compute_activations(inputs)
    np.testing.assert_allclose(acts.embedding_layer, x.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(acts.hidden_layer, h.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(acts.output_layer, y.detach().numpy(), rtol=1e-10, atol=1e-14)
    want = float(torch_loss(y, targets, mask, V).detach())
    assert model.compute_loss(acts.output_layer, targets, mask) == pytest.approx(want, rel=1e-10)


@settings(max_examples=50, deadline=None)
@given(sizes)
def test_loss_derivative_and_backprop_match_torch_autograd(case):
    model, inputs, targets, mask = random_case(*case)
    V, N = model.vocab_size, model.context_len
    leaves, z, y, _, _ = torch_forward(model.params, inputs, V, N)
    torch_loss(y, targets, mask, V).backward()
    acts = model.compute_activations(inputs)
    dz = model.compute_loss_derivative(acts.output_layer, targets, mask)
    assert dz.shape == (len(inputs), N * V)
    np.testing.assert_allclose(dz, z.grad.numpy(), rtol=1e-9, atol=1e-12)
    grads = model.back_propagate(inputs, acts, dz)
    assert isinstance(grads, ml.Params)
    for k in NAMES:
        got, want = getattr(grads, k), leaves[k].grad.numpy()
        assert got.shape == want.shape, k
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=k)


@settings(max_examples=15, deadline=None)
@given(sizes)
def test_gradients_match_finite_differences(case):
    model, inputs, targets, mask = random_case(*case)
    acts = model.compute_activations(inputs)
    dz = model.compute_loss_derivative(acts.output_layer, targets, mask)
    grads = model.back_propagate(inputs, acts, dz)
    for k in NAMES:
        def loss_of(value, k=k):
            trial = model.copy()
            setattr(trial.params, k, value)
            return np.array(trial.compute_loss(trial.compute_activations(inputs).output_layer,
                                               targets, mask))
        numeric = numerical_jacobian(loss_of, getattr(model.params, k).copy(), eps=1e-6)
        np.testing.assert_allclose(getattr(grads, k), numeric, rtol=1e-5, atol=1e-7, err_msg=k)


@settings(max_examples=30, deadline=None)
@given(sizes, st.integers(0, 2**32 - 1))
def test_only_masked_positions_count(case, seed):
    model, inputs, targets, mask = random_case(*case)
    V = model.vocab_size
    y = model.compute_activations(inputs).output_layer
    rng = np.random.default_rng(seed)
    noise = rng.random(targets.shape) * np.repeat(1 - mask, V, axis=1)  # unmasked chunks only
    assert model.compute_loss(y, targets + noise, mask) == pytest.approx(
        model.compute_loss(y, targets, mask), rel=1e-12)
    dz = model.compute_loss_derivative(y, targets + noise, mask)
    np.testing.assert_array_equal(dz[np.repeat(mask, V, axis=1) == 0], 0.0)
    np.testing.assert_allclose(dz, model.compute_loss_derivative(y, targets, mask))
    zero = np.zeros_like(mask)
    assert model.compute_loss(y, targets, zero) == 0.0
    np.testing.assert_array_equal(model.compute_loss_derivative(y, targets, zero), 0.0)
    np.testing.assert_allclose(dz, model.compute_loss_derivative(y, targets, mask[:, :, None]))


def test_masked_chunk_with_no_target_has_zero_derivative():
    """A chunk whose target row is all zero ([MASK] as target) adds nothing to C."""
    model, inputs, targets, mask = random_case(5, 3, 2, 4, 6, 0)
    targets[0] = 0.0
    leaves, z, y, _, _ = torch_forward(model.params, inputs, 5, 3)
    torch_loss(y, targets, mask, 5).backward()
    y = model.compute_activations(inputs).output_layer
    dz = model.compute_loss_derivative(y, targets, mask)
    np.testing.assert_allclose(dz, z.grad.numpy(), atol=1e-12)
    np.testing.assert_array_equal(dz[0], 0.0)


def test_indicator_matrix_matches_a_loop():
    model, *_ = random_case(6, 3, 2, 2, 1, 1)
    targets = np.array([[0, 2, 5], [1, 0, 0], [3, 3, 3]])
    for skip_mask in (True, False):
        want = np.zeros((3, 18))
        for i in range(3):
            for n in range(3):
                if targets[i, n] or not skip_mask:
                    want[i, n * 6 + targets[i, n]] = 1.0
        np.testing.assert_array_equal(model.indicator_matrix(targets, skip_mask), want)


def test_uniform_model_scores_log_v():
    vocab = [f"w{i}" for i in range(17)]
    model = ml.Model(ml.Params.zeros(17, 4, 3, 5), vocab)
    rows = np.random.default_rng(0).integers(1, 17, size=(250, 4))
    assert model.evaluate(rows, rows, batch_size=64) == pytest.approx(np.log(17), rel=1e-12)


class ForgetsSigmoidDerivative(ml.Model):
    """A plausible mistake: ∂C/∂u taken as ∂C/∂h (no h(1 - h) factor)."""

    def back_propagate(self, input_batch, activations, loss_derivative):
        grads = super().back_propagate(input_batch, activations, loss_derivative)
        delta = loss_derivative @ self.params.hid_to_output_weights
        grads.hid_bias = delta.sum(axis=0)
        return grads


class TransposedLossDerivative(ml.Model):
    def compute_loss_derivative(self, y, t, m):
        return (t - y) * np.repeat(np.asarray(m).reshape(len(y), -1), self.vocab_size, axis=1)


def test_check_gradients_passes_and_can_fail():
    model, inputs, _, _ = random_case(12, 4, 3, 6, 10, 5, scale=0.5)
    report = ml.check_gradients(model, inputs + 1 - (inputs > 0), verbose=False)
    assert report.ok and [r.name for r in report.rows] == ["loss_derivative", *NAMES]
    assert max(r.rel_error for r in report.rows) < 1e-6
    bad = ml.check_gradients(ForgetsSigmoidDerivative(model.params, model.vocab), verbose=False)
    assert [r.name for r in bad.rows if not r.ok] == ["hid_bias"]
    sign = ml.check_gradients(TransposedLossDerivative(model.params, model.vocab), verbose=False)
    assert not sign.ok and sign.rows[0].rel_error > 0.5


def test_check_gradients_reports_a_wrong_shape():
    class Flat(ml.Model):
        def back_propagate(self, x, a, d):
            grads = super().back_propagate(x, a, d)
            grads.output_bias = grads.output_bias[:, None]
            return grads

    model, *_ = random_case(6, 2, 2, 3, 4, 2)
    rows = {r.name: r for r in ml.check_gradients(Flat(model.params, model.vocab),
                                                  verbose=False).rows}
    assert rows["output_bias"].rel_error == np.inf and not rows["output_bias"].ok


def test_print_gradients_prints_the_model_gradients(capsys):
    model, *_ = random_case(10, 4, 16, 40, 1, 3, scale=0.3)
    data = {"vocab": model.vocab,
            "train_inputs": np.random.default_rng(4).integers(1, 10, size=(120, 4))}
    data["train_targets"] = data["train_inputs"]
    values = ml.print_gradients(model, data=data)
    printed = capsys.readouterr().out
    assert len(values) >= 16 and all(label in printed for label in values)
    rows = data["train_inputs"][:100]
    mask = model.sample_input_mask(100, np.random.default_rng(0))  # the documented masks
    x, t = rows * (1 - mask), model.indicator_matrix(rows * mask)
    leaves, z, y, _, _ = torch_forward(model.params, x, 10, 4)
    torch_loss(y, t, mask, 10).backward()
    oracle = {"loss_derivative": z.grad.numpy(), **{k: leaves[k].grad.numpy() for k in NAMES}}
    for label, value in values.items():
        name, index = label.rstrip("]").split("[")
        want = oracle[name][tuple(int(i) for i in index.split(","))]
        assert value == pytest.approx(want, rel=1e-9, abs=1e-14), label


def test_training_lowers_cross_entropy_through_the_given_class():
    calls = []

    class Counted(ml.Model):
        def back_propagate(self, *args):
            calls.append(1)
            return super().back_propagate(*args)

    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(8)]
    start = rng.integers(1, 8, size=(3000, 1))
    rows = (start + np.arange(4)) % 7 + 1  # each row is determined by its first word
    data = {"vocab": vocab, **{f"{s}_{p}": rows for s in ("train", "valid", "test")
                               for p in ("inputs", "targets")}}
    kwargs = dict(epochs=2, batch_size=50, learning_rate=0.5, init_wt=0.3, model_class=Counted,
                  show_validation_ce_after=60, progress=False)
    model, hist = ml.train(data, 4, 8, **kwargs)
    assert isinstance(model, Counted) and len(calls) == 120
    assert [b for b, _ in hist["valid"]] == [60, 120] and len(hist["train"]) == 1
    assert hist["final"]["valid"] < 0.1 * np.log(8)  # from log 8 at the start
    again, _ = ml.train(data, 4, 8, **kwargs)
    np.testing.assert_array_equal(again.params.word_embedding_weights,
                                  model.params.word_embedding_weights)


def test_reference_model_is_deterministic_and_partly_trained():
    a = ml.reference_model(0, batches=60)
    ml.reference_model.cache_clear()
    b = ml.reference_model(0, batches=60)
    assert a is not b
    for k in NAMES:
        np.testing.assert_array_equal(getattr(a.params, k), getattr(b.params, k))
    assert a.vocab_size == 251 and a.num_hid == 128 and a.embedding_dim == 16


def test_nearest_words_distance_and_tsne():
    vocab = ["[MASK]", "cat", "dog", "cow", "apple", "cake"]
    table = np.array([[9, 9], [0, 0], [0, 1], [0, 3], [5, 0], [5, 0.5]], dtype=float)
    model = ml.Model(ml.Params(table, np.zeros((1, 8)), np.zeros(1), np.zeros((24, 1)),
                               np.zeros(24)), vocab)
    assert [w for w, _ in ml.display_nearest_words(model, "dog", 3, show=False)] == \
        ["cat", "cow", "cake"]
    assert ml.word_distance(model, "cat", "cow") == pytest.approx(3.0)
    assert ml.word_distance(table, "apple", "cake", vocab=vocab) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="'horse' is not in the vocabulary"):
        ml.word_distance(model, "cat", "horse")
    coords = ml.tsne_embeddings(model, 0)
    assert coords.shape == (6, 2) and np.isfinite(coords).all()
    np.testing.assert_allclose(ml.tsne_embeddings(model, 0), coords)


def test_bad_arguments_are_named():
    model, inputs, targets, mask = random_case(5, 3, 2, 4, 6, 0)
    y = model.compute_activations(inputs).output_layer
    with pytest.raises(ValueError, match=r"input_batch: expected shape \(B, N\) = \(B, 3\)"):
        model.compute_activations(inputs[:, :2])
    with pytest.raises(TypeError, match="input_batch: expected integer"):
        model.compute_activations(inputs.astype(float))
    with pytest.raises(ValueError, match=r"must lie in \[0, 5\)"):
        model.compute_activations(inputs + 5)
    with pytest.raises(ValueError, match=r"target_mask: expected shape \(6, 3\)"):
        model.compute_loss_derivative(y, targets, mask[:, :2])
    with pytest.raises(ValueError, match=r"expanded_target_batch: expected shape \(6, 15\)"):
        model.compute_loss(y, targets[:, :5], mask)
    with pytest.raises(ValueError, match="output_activations: contains NaN"):
        model.compute_loss(np.full_like(y, np.nan), targets, mask)
    acts = model.compute_activations(inputs)
    with pytest.raises(ValueError, match=r"loss_derivative: expected shape \(6, 15\)"):
        model.back_propagate(inputs, acts, np.zeros((6, 14)))
    with pytest.raises(ValueError, match=r"params.output_bias: expected shape \(15,\)"):
        ml.Model(ml.Params(*(getattr(model.params, k) for k in NAMES[:4]), np.zeros(14)),
                 model.vocab)


def test_params_arithmetic():
    p = ml.Params.random_init(0, 5, 2, 3, 4, init_wt=1.0)
    q = 2.0 * p - p * 0.5 + p.copy()
    for k in NAMES:
        np.testing.assert_allclose(getattr(q, k), 2.5 * getattr(p, k))
    assert not p.hid_bias.any() and p.hid_to_output_weights.shape == (10, 4)


@settings(max_examples=30, deadline=None)
@given(sizes)
def test_autograd_model_and_gradients_match_the_reference(case):
    model, inputs, targets, mask = random_case(*case)
    auto = ml.AutogradModel(model.params, model.vocab)
    acts = model.compute_activations(inputs)
    dz = model.compute_loss_derivative(acts.output_layer, targets, mask)
    np.testing.assert_allclose(auto.compute_loss_derivative(acts.output_layer, targets, mask), dz,
                               rtol=1e-9, atol=1e-12)
    want = model.back_propagate(inputs, acts, dz)
    got = auto.back_propagate(inputs, acts, dz)
    true_dz, true_grads = ml.autograd_gradients(model, inputs, targets, mask)
    np.testing.assert_allclose(true_dz, dz, rtol=1e-9, atol=1e-12)
    for k in NAMES:
        np.testing.assert_allclose(getattr(got, k), getattr(want, k), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(getattr(true_grads, k), getattr(want, k), rtol=1e-9, atol=1e-12)


def test_usable_model_class_falls_back_to_autograd():
    assert ml.usable_model_class(ml.Model) == (ml.Model, "Model's gradients pass the gradient check")
    cls, why = ml.usable_model_class(ForgetsSigmoidDerivative)
    assert cls is ml.AutogradModel and why.endswith("fails for hid_bias")

    class Unfinished(ml.Model):
        def back_propagate(self, *args):
            raise NotImplementedError

    assert ml.usable_model_class(Unfinished) == (ml.AutogradModel,
                                                 "Unfinished's gradients are not written yet")
    assert ml.usable_model_class(ml.AutogradModel)[0] is ml.AutogradModel


def test_print_gradients_compares_with_autograd(capsys):
    model, *_ = random_case(10, 4, 16, 40, 1, 3, scale=0.3)
    data = {"vocab": model.vocab,
            "train_inputs": np.random.default_rng(4).integers(1, 10, size=(120, 4))}
    data["train_targets"] = data["train_inputs"]
    values = ml.print_gradients(model, data=data, compare=True)
    lines = capsys.readouterr().out.splitlines()
    assert "autograd" in lines[0] and len(lines) == len(values) + 1
    assert all(line.endswith(" ok") for line in lines[1:])
    bad = ForgetsSigmoidDerivative(model.params, model.vocab)
    ml.print_gradients(bad, data=data, compare=True)
    flagged = [line.split()[0] for line in capsys.readouterr().out.splitlines() if "DIFFERS" in line]
    assert flagged and all(label.startswith("hid_bias") for label in flagged)


def test_tsne_of_a_subset_of_words():
    table = np.random.default_rng(0).standard_normal((40, 5))
    coords = ml.tsne_embeddings(table, 1, rows=np.arange(5, 25), max_iter=250)
    assert coords.shape == (20, 2) and np.isfinite(coords).all()
    with pytest.raises(ValueError, match="at least 3 words"):
        ml.tsne_embeddings(table, 1, rows=[1, 2])
