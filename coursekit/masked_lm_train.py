"""Training, gradient checking and gradient printing for the masked language model (notebook 09).

These helpers call the model's own methods (``compute_loss_derivative``, ``back_propagate``),
so they check and train whichever implementation a model carries: pass ``model_class`` (a
subclass of :class:`~coursekit.masked_lm.Model` with a student's methods) where it is asked for.
The reference model of :func:`print_gradients` is trained by a private PyTorch path, so it does
not depend on the exercises.
"""

from __future__ import annotations

import contextlib
import functools

import numpy as np
import torch
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from coursekit.config import pick
from coursekit.grading.gradcheck import GradReport, GradRow
from coursekit.masked_lm import Model, Params

_EVAL_SEED = 12345  # masks of the validation estimates, the same at every report


def train(
    data: dict,
    embedding_dim: int = 16,
    num_hid: int = 128,
    *,
    epochs: int | None = None,
    batch_size: int = 100,
    learning_rate: float = 1.0,
    momentum: float = 0.9,
    init_wt: float = 0.01,
    rng: np.random.Generator | int = 0,
    model_class: type[Model] = Model,
    show_training_ce_after: int = 100,
    show_validation_ce_after: int = 1000,
    early_stop: bool = True,
    max_batches: int | None = None,
    progress: bool = True,
    threads: int | None = 1,
) -> tuple[Model, dict]:
    """Mini-batch gradient descent with momentum; returns ``(model, history)``.

    Every step masks one random position per row, runs the forward pass, divides
    ∂C/∂z by the batch size (the mean loss), back-propagates and updates
    v ← momentum·v + ∂C/∂θ, θ ← θ - learning_rate·v. The bar shows the training
    cross-entropy averaged over the last ``show_training_ce_after`` batches; every
    ``show_validation_ce_after`` batches the validation cross-entropy is computed (and, with
    ``early_stop``, training stops once it rises). At the end, the cross-entropies on the
    training, validation and test sets are printed.

    Args:
        data: the course data dict (``vocab``, ``train_inputs``, ``train_targets``, ...).
        embedding_dim, num_hid: E and H.
        epochs: passes over the training rows (a last partial batch is dropped); default
            ``pick(1, 10)`` (fast mode: 1).
        learning_rate: step size; the original assignment used 0.1, but on this corpus 1.0
            leaves the initial plateau far sooner (validation cross-entropy 2.6 instead of 4.2
            after 3000 batches) and stays stable.
        rng: generator or seed for the initial weights, the shuffles and the masks.
        model_class: class whose methods compute the gradient.
        max_batches: stop after this many mini-batches.
        threads: BLAS threads while training (restored afterwards); None leaves them alone.
            Matrices this small run fastest on one thread, above all on a busy machine.

    Returns:
        The trained model and a dict with ``train`` and ``valid``: lists of (batch, cross-entropy),
        and ``final``: {"train", "valid", "test"} cross-entropies.
    """
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    epochs = pick(1, 10) if epochs is None else epochs
    vocab, inputs, targets = data["vocab"], data["train_inputs"], data["train_targets"]
    model = model_class.random_init(vocab, rng, inputs.shape[1], embedding_dim, num_hid, init_wt)
    velocity = Params.zeros(len(vocab), inputs.shape[1], embedding_dim, num_hid)
    per_epoch = len(inputs) // batch_size
    total = min(epochs * per_epoch, max_batches or epochs * per_epoch)
    history: dict = {"train": [], "valid": []}
    best, chunk, count, stop = np.inf, 0.0, 0, False
    bar = tqdm(total=total, disable=not progress, desc="masked LM")
    with limited_threads(threads):
        while count < total and not stop:
            order = rng.permutation(len(inputs))
            for start in range(0, per_epoch * batch_size, batch_size):
                rows = order[start:start + batch_size]
                chunk += train_step(model, velocity, inputs[rows], targets[rows], rng,
                                    learning_rate, momentum)
                count += 1
                bar.update()
                if count % show_training_ce_after == 0:
                    history["train"].append((count, chunk / show_training_ce_after))
                    bar.set_postfix(train_ce=f"{chunk / show_training_ce_after:.3f}")
                    chunk = 0.0
                if count % show_validation_ce_after == 0 and "valid_inputs" in data:
                    ce = model.evaluate(data["valid_inputs"], data["valid_targets"],
                                        rng=_EVAL_SEED)
                    history["valid"].append((count, ce))
                    bar.write(f"batch {count}: validation cross-entropy {ce:.3f}")
                    if early_stop and ce > best:
                        bar.write("validation cross-entropy rose: training stopped")
                        stop = True
                    best = min(best, ce)
                if stop or count >= total:
                    break
        bar.close()
        history["final"] = {
            split: model.evaluate(data[f"{split}_inputs"], data[f"{split}_targets"],
                                  rng=_EVAL_SEED)
            for split in ("train", "valid", "test") if f"{split}_inputs" in data
        }
    for split, ce in history["final"].items():
        print(f"final {split} cross-entropy: {ce:.3f}")
    return model, history


def train_step(model: Model, velocity: Params, inputs: np.ndarray, targets: np.ndarray,
               rng: np.random.Generator, learning_rate: float, momentum: float) -> float:
    """One update on a mini-batch (B, N); returns its mean masked cross-entropy.

    Masks one random position per row, then v ← momentum·v + ∂(C/B)/∂θ and
    θ ← θ - learning_rate·v, in place in ``model.params`` and ``velocity``.
    """
    B = len(inputs)
    x, t, m = model.masked_batch(inputs, targets, rng)
    activations = model.compute_activations(x)
    dz = model.compute_loss_derivative(activations.output_layer, t, m)
    dz /= B  # the gradient of the mean loss
    grads = model.back_propagate(x, activations, dz)
    for name in Params.names():
        v, p = getattr(velocity, name), getattr(model.params, name)
        v *= momentum
        v += getattr(grads, name)
        p -= learning_rate * v
    return model.compute_loss(activations.output_layer, t, m) / B


def check_gradients(
    model: Model,
    input_batch: np.ndarray | None = None,
    *,
    rng: np.random.Generator | int = 0,
    n_checks: int = 20,
    eps: float = 1e-5,
    tolerance: float = 1e-4,
    verbose: bool = True,
) -> GradReport:
    """Compare the model's ∂C/∂z and parameter gradients with central finite differences.

    On ``input_batch`` (B, N) (default: 20 random rows), with one random position per row
    masked, ``n_checks`` entries of ∂C/∂z (half of them in masked chunks) and of every
    parameter (for the embeddings, rows of words in the batch) are compared: a from the
    model's ``compute_loss_derivative`` and ``back_propagate``, f from differences of
    ``compute_loss``. A row's error is ||a - f|| / (||a|| + ||f||) over its entries (inf for a
    result of the wrong shape): about 1e-7 for a correct gradient (rounding in the differences
    of a loss summed over the batch), 1e-2 and more for a wrong one. Prints the table unless
    ``verbose=False``.

    Returns:
        A :class:`~coursekit.grading.gradcheck.GradReport`: rows ``loss_derivative``,
        ``word_embedding_weights``, ...; ``.ok``, ``.assert_ok()``, ``.table()``.
    """
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    model = model.copy()  # contiguous parameters, perturbed in place below
    V, N = model.vocab_size, model.context_len
    if input_batch is None:
        input_batch = rng.integers(1, V, size=(20, N))
    x, t, m = model.masked_batch(np.asarray(input_batch), np.asarray(input_batch), rng)
    z = model._forward(x)[3]  # (B, N·V)

    def loss_of_z(z_: np.ndarray) -> float:
        chunks = z_.reshape(len(z_), N, V)
        e = np.exp(chunks - chunks.max(axis=2, keepdims=True))
        return model.compute_loss((e / e.sum(axis=2, keepdims=True)).reshape(z_.shape), t, m)

    def loss_of_params(_value: np.ndarray) -> float:
        return model.compute_loss(model.compute_activations(x).output_layer, t, m)

    activations = model.compute_activations(x)
    dz = model.compute_loss_derivative(activations.output_layer, t, m)
    masked = np.flatnonzero(np.repeat(m, V, axis=1).ravel())  # entries of z that matter
    picks = np.concatenate([rng.choice(masked, n_checks // 2), rng.choice(z.size, n_checks // 2)])
    rows = [_row("loss_derivative", dz, z, picks, loss_of_z, eps, tolerance)]
    grads = model.back_propagate(x, activations, dz)
    for name in Params.names():
        value = getattr(model.params, name)
        if name == "word_embedding_weights":  # only the words of the batch get a gradient
            picks = rng.choice(np.unique(x), n_checks) * value.shape[1] \
                + rng.integers(value.shape[1], size=n_checks)
        else:
            picks = rng.choice(value.size, n_checks)
        rows.append(_row(name, getattr(grads, name, None), value, picks, loss_of_params, eps,
                         tolerance))
    report = GradReport(rows=tuple(rows), tolerance=tolerance)
    if verbose:
        print(report.table())
    return report


def _row(name: str, analytic, value: np.ndarray, picks: np.ndarray, f, eps: float,
         tolerance: float) -> GradRow:
    """One report row: ``analytic`` against central differences of f at the entries ``picks``.

    ``value`` is perturbed in place (and restored) one entry at a time.
    """
    if analytic is None or np.shape(analytic) != value.shape:
        return GradRow(name, value.shape, np.inf, np.inf, (), np.nan, np.nan, False)
    flat, numeric = value.reshape(-1), np.empty(len(picks))
    for k, i in enumerate(picks):  # a handful of entries, not a loop over the data
        old = flat[i]
        flat[i] = old + eps
        plus = f(value)
        flat[i] = old - eps
        minus = f(value)
        flat[i] = old
        numeric[k] = (plus - minus) / (2 * eps)
    a = np.asarray(analytic, dtype=np.float64).reshape(-1)[picks]
    diff = np.abs(a - numeric)
    rel = float(np.linalg.norm(a - numeric) / max(np.linalg.norm(a) + np.linalg.norm(numeric),
                                                  1e-12))
    worst = int(np.argmax(diff))
    index = tuple(int(i) for i in np.unravel_index(picks[worst], value.shape))
    return GradRow(name, value.shape, rel, float(diff.max()), index, float(a[worst]),
                   float(numeric[worst]), bool(rel <= tolerance))


def print_gradients(
    model_or_seed: Model | int = 0,
    *,
    model_class: type[Model] = Model,
    data: dict | None = None,
    verbose: bool = True,
) -> dict[str, float]:
    """Print selected gradient entries on a fixed batch of 100 training rows.

    ``model_or_seed`` is a model, or a seed for :func:`reference_model` (a deterministic
    partially trained model) whose parameters go into ``model_class``. The batch is the first
    100 rows of ``data["train_inputs"]`` (default: the course corpus) with masks drawn from
    seed 0. Returns the printed values by label.
    """
    if data is None:
        from coursekit.data.corpus import load_corpus

        data = load_corpus(0, size=1000)
    if isinstance(model_or_seed, Model):
        model = model_or_seed
    else:
        model = model_class(reference_model(int(model_or_seed)).params.copy(), data["vocab"])
    V, H, E = model.vocab_size, model.num_hid, model.embedding_dim
    NE = E * model.context_len
    x, t, m = model.masked_batch(data["train_inputs"][:100], data["train_targets"][:100],
                                 np.random.default_rng(0))
    activations = model.compute_activations(x)
    dz = model.compute_loss_derivative(activations.output_layer, t, m)
    grads = model.back_propagate(x, activations, dz)
    out = {}
    for i in (2, 5):  # the target word and one other word of the masked position
        target_col = int(np.flatnonzero(t[i])[0])
        for j in (target_col, target_col - target_col % V + (target_col % V + 7) % V):
            out[f"loss_derivative[{i}, {j}]"] = dz[i, j]
    words = np.unique(x[:5])[-4:]
    for k, w in enumerate(words):
        c = (k + 2) % E
        out[f"word_embedding_weights[{w}, {c}]"] = grads.word_embedding_weights[w, c]
    for r, c in ((10, 2), (15, 3), (30, 9), (35, 21)):
        out[f"embed_to_hid_weights[{r % H}, {c % NE}]"] = grads.embed_to_hid_weights[r % H, c % NE]
    for r in (10, 20):
        out[f"hid_bias[{r % H}]"] = grads.hid_bias[r % H]
    for r, c in ((7, 3), (60, 11)):
        r, c = r % (V * model.context_len), c % H
        out[f"hid_to_output_weights[{r}, {c}]"] = grads.hid_to_output_weights[r, c]
    for j in sorted(k for k in {int(np.flatnonzero(t[i])[0]) for i in (2, 5)}):
        out[f"output_bias[{j}]"] = grads.output_bias[j]
    if verbose:
        for label, value in out.items():
            print(f"{label:34s} {value: .6e}")
    return {k: float(v) for k, v in out.items()}


@contextlib.contextmanager
def limited_threads(n: int | None):
    """Run the block with ``n`` BLAS and PyTorch threads (no change for None)."""
    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with threadpool_limits(limits=n, user_api="blas"):
            yield
    finally:
        torch.set_num_threads(before)


@functools.cache
def reference_model(seed: int = 0, batches: int = 400) -> Model:
    """A deterministic partially trained model (E = 16, H = 128) on the course corpus.

    Trained for ``batches`` mini-batches of 100 (learning rate 1, momentum 0.9, as
    :func:`train`) by a private PyTorch computation of the same loss; its validation
    cross-entropy is about 4.3, against log 251 = 5.5 untrained. Cached per (seed, batches);
    copy the parameters before changing them.
    """
    from coursekit.data.corpus import load_corpus

    data = load_corpus(0, size=batches * 100)
    with limited_threads(1):
        return _reference_model(data, np.random.default_rng(seed), batches)


def _reference_model(data: dict, rng: np.random.Generator, batches: int) -> Model:
    model = Model.random_init(data["vocab"], rng, 4, 16, 128, 0.01)
    tensors = {n: torch.tensor(getattr(model.params, n), requires_grad=True)
               for n in Params.names()}
    opt = torch.optim.SGD(list(tensors.values()), lr=1.0, momentum=0.9)
    order = rng.permutation(len(data["train_inputs"]))
    for start in range(0, batches * 100, 100):
        rows = data["train_inputs"][order[start:start + 100]]
        mask = model.sample_input_mask(100, rng)
        opt.zero_grad()
        (torch_loss(tensors, rows * (1 - mask), rows, mask) / 100).backward()
        opt.step()
    params = Params(*(tensors[n].detach().numpy().copy() for n in Params.names()))
    return Model(params, data["vocab"])


def torch_loss(tensors: dict[str, torch.Tensor], masked_inputs: np.ndarray, targets: np.ndarray,
               mask: np.ndarray) -> torch.Tensor:
    """The summed masked cross-entropy C in PyTorch, from parameter tensors named as in Params.

    masked_inputs, targets, mask: (B, N) arrays (word indices, words to predict, 0/1 mask).
    """
    B, N = masked_inputs.shape
    x = tensors["word_embedding_weights"][torch.as_tensor(masked_inputs)].reshape(B, -1)
    h = torch.sigmoid(x @ tensors["embed_to_hid_weights"].T + tensors["hid_bias"])
    z = (h @ tensors["hid_to_output_weights"].T + tensors["output_bias"]).reshape(B, N, -1)
    picked = torch.log_softmax(z, dim=2).gather(2, torch.as_tensor(targets)[:, :, None])[:, :, 0]
    return -(picked * torch.as_tensor(mask, dtype=picked.dtype)).sum()
