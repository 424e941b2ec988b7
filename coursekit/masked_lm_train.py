"""Training, gradient checking and gradient printing for the masked language model (notebook 09).

These helpers call the model's own methods (``compute_loss_derivative``, ``back_propagate``),
so they check and train whichever implementation a model carries: pass ``model_class`` (a
subclass of :class:`~coursekit.masked_lm.Model` with a student's methods) where it is asked for.
The reference model of :func:`print_gradients` is trained by a private PyTorch path, so it does
not depend on the exercises.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from tqdm.auto import tqdm

from coursekit.config import limited_threads, pick
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
    threads: int | None = 1,
) -> GradReport:
    """Compare the model's ∂C/∂z and parameter gradients with central finite differences.

    On ``input_batch`` (B, N) (default: 20 random rows), with one random position per row
    masked, ``n_checks`` entries of ∂C/∂z (half of them in masked chunks) and of every
    parameter (for the embeddings, rows of words in the batch) are compared: a from the
    model's ``compute_loss_derivative`` and ``back_propagate``, f from differences of
    ``compute_loss``. A row's error is ||a - f|| / (||a|| + ||f||) over its entries (inf for a
    result of the wrong shape): about 1e-7 for a correct gradient (rounding in the differences
    of a loss summed over the batch), 1e-2 and more for a wrong one. Prints the table unless
    ``verbose=False``. ``threads``: BLAS threads meanwhile (see :func:`train`).

    Returns:
        A :class:`~coursekit.grading.gradcheck.GradReport`: rows ``loss_derivative``,
        ``word_embedding_weights``, ...; ``.ok``, ``.assert_ok()``, ``.table()``.
    """
    with limited_threads(threads):
        return _check_gradients(model, input_batch, rng, n_checks, eps, tolerance, verbose)


def _check_gradients(model: Model, input_batch, rng, n_checks: int, eps: float, tolerance: float,
                     verbose: bool) -> GradReport:
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
        print(_table(report))
    return report


def _table(report: GradReport) -> str:
    """The report as a table wide enough for the parameter names of the model."""
    head = (f"{'gradient':<24}{'shape':<13}{'rel. error':>11}{'max |diff|':>12}  "
            f"worst entry: analytic vs numeric")
    lines = [head, "-" * len(head)]
    for r in report.rows:
        lines.append(f"{r.name:<24}{str(r.shape):<13}{r.rel_error:>11.2e}{r.max_abs_error:>12.2e}  "
                     f"{str(r.worst_index):<11}{r.analytic: .6g} vs {r.numeric: .6g}  "
                     f"{'ok' if r.ok else 'WRONG'}")
    lines.append(f"(a row passes when its relative error is below {report.tolerance:g})")
    return "\n".join(lines)


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
    batches: int = 400,
    compare: bool = False,
    verbose: bool = True,
    threads: int | None = 1,
) -> dict[str, float]:
    """Print selected gradient entries on a fixed batch of 100 training rows.

    ``model_or_seed`` is a model, or a seed for :func:`reference_model` (a deterministic
    model partially trained for ``batches`` mini-batches) whose parameters go into
    ``model_class``. The batch is the first 100 rows of ``data["train_inputs"]`` (default: the
    course corpus) with masks drawn from seed 0. With ``compare``, each line also shows the
    same entry computed by PyTorch autograd and whether the two agree (relative difference
    below 1e-6). ``threads``: BLAS threads meanwhile. Returns the model's values by label.
    """
    if data is None:
        from coursekit.data.corpus import load_corpus

        data = load_corpus(0, size=1000)
    if isinstance(model_or_seed, Model):
        model = model_or_seed
    else:
        params = reference_model(int(model_or_seed), batches).params.copy()
        model = model_class(params, data["vocab"])
    x, t, m = model.masked_batch(data["train_inputs"][:100], data["train_targets"][:100],
                                 np.random.default_rng(0))
    with limited_threads(threads):
        activations = model.compute_activations(x)
        dz = model.compute_loss_derivative(activations.output_layer, t, m)
        grads = model.back_propagate(x, activations, dz)
        true_dz, true_grads = autograd_gradients(model, x, t, m) if compare else (None, None)
    entries = _printed_entries(model, x, t)
    out = {label: float(np.asarray(dz if name == "loss_derivative" else getattr(grads, name))[index])
           for label, (name, index) in entries.items()}
    if verbose and compare:
        print(f"{'entry':34s} {'yours':>14s} {'autograd':>14s}")
        for label, (name, index) in entries.items():
            want = float((true_dz if name == "loss_derivative" else getattr(true_grads, name))[index])
            ok = abs(out[label] - want) <= 1e-6 * abs(want) + 1e-12
            print(f"{label:34s} {out[label]: .6e} {want: .6e}  {'ok' if ok else 'DIFFERS'}")
    elif verbose:
        for label, value in out.items():
            print(f"{label:34s} {value: .6e}")
    return out


def _printed_entries(model: Model, x: np.ndarray, t: np.ndarray) -> dict:
    """label -> (gradient name, index) of the entries print_gradients shows for this batch."""
    V, H, E = model.vocab_size, model.num_hid, model.embedding_dim
    NE = E * model.context_len
    entries = {}
    for i in (2, 5):  # the target word and one other word of the masked position
        target_col = int(np.flatnonzero(t[i])[0])
        for j in (target_col, target_col - target_col % V + (target_col % V + 7) % V):
            entries[f"loss_derivative[{i}, {j}]"] = ("loss_derivative", (i, j))
    for k, w in enumerate(np.unique(x[:5])[-4:]):
        c = (k + 2) % E
        entries[f"word_embedding_weights[{w}, {c}]"] = ("word_embedding_weights", (int(w), c))
    for r, c in ((10, 2), (15, 3), (30, 9), (35, 21)):
        r, c = r % H, c % NE
        entries[f"embed_to_hid_weights[{r}, {c}]"] = ("embed_to_hid_weights", (r, c))
    for r in (10, 20):
        entries[f"hid_bias[{r % H}]"] = ("hid_bias", (r % H,))
    for r, c in ((7, 3), (60, 11)):
        r, c = r % (V * model.context_len), c % H
        entries[f"hid_to_output_weights[{r}, {c}]"] = ("hid_to_output_weights", (r, c))
    for j in sorted({int(np.flatnonzero(t[i])[0]) for i in (2, 5)}):
        entries[f"output_bias[{j}]"] = ("output_bias", (j,))
    return entries


def autograd_gradients(model: Model, input_batch: np.ndarray, expanded_target_batch: np.ndarray,
                       target_mask: np.ndarray) -> tuple[np.ndarray, Params]:
    """∂C/∂z (B, N·V) and the parameter gradients of C (a :class:`Params`) by PyTorch autograd.

    The truth beside a student's ``compute_loss_derivative`` and ``back_propagate``: the same
    network and loss written in PyTorch (float64), differentiated by autograd.

    Args:
        model: its ``params`` are used (not its methods).
        input_batch: (B, N) word indices, masked positions already 0.
        expanded_target_batch: (B, N·V) one-hot targets t.
        target_mask: (B, N) 0/1 mask m of the predicted positions.
    """
    tensors = {n: torch.tensor(getattr(model.params, n), requires_grad=True)
               for n in Params.names()}
    z = _torch_logits(tensors, np.asarray(input_batch))  # (B, N·V)
    z.retain_grad()
    _torch_masked_ce(z, expanded_target_batch, target_mask, model.vocab_size).backward()
    return z.grad.numpy(), Params(*(tensors[n].grad.numpy() for n in Params.names()))


class AutogradModel(Model):
    """The masked language model with its gradients computed by PyTorch autograd.

    A stand-in for a student's model while their ``compute_loss_derivative`` or
    ``back_propagate`` is unfinished, so that training and the analysis after it still run.
    """

    def compute_loss_derivative(self, output_activations: np.ndarray,
                                expanded_target_batch: np.ndarray,
                                target_mask: np.ndarray) -> np.ndarray:
        y, t, m = self._outputs(output_activations, expanded_target_batch, target_mask)
        # softmax(log y) = y in every chunk: log y is a valid set of logits for y
        z = torch.tensor(np.log(np.maximum(y, 1e-300)), requires_grad=True)
        (dz,) = torch.autograd.grad(_torch_masked_ce(z, t, m, self.vocab_size), z)
        return dz.numpy()

    def back_propagate(self, input_batch: np.ndarray, activations,
                       loss_derivative: np.ndarray) -> Params:
        tensors = {n: torch.tensor(getattr(self.params, n), requires_grad=True)
                   for n in Params.names()}
        z = _torch_logits(tensors, self._indices(input_batch, "input_batch"))
        grads = torch.autograd.grad(z, list(tensors.values()),
                                    grad_outputs=torch.as_tensor(loss_derivative))
        return Params(*(g.numpy() for g in grads))


def usable_model_class(model_class: type[Model], *, rng: np.random.Generator | int = 0
                       ) -> tuple[type[Model], str]:
    """``(model_class, message)`` if its gradients pass :func:`check_gradients` on a small
    random model, else ``(AutogradModel, why not)``: train with a student's class only when
    its gradients are right."""
    name = model_class.__name__
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    vocab = [f"w{i}" for i in range(12)]
    model = model_class(Params.random_init(rng, 12, 4, 3, 6, init_wt=0.5), vocab)
    model.params.hid_bias += 0.3 * rng.standard_normal(6)
    try:
        report = check_gradients(model, rng=rng, verbose=False)
    except NotImplementedError:
        return AutogradModel, f"{name}'s gradients are not written yet"
    except Exception as exc:  # a student's bug: report it, train with autograd instead
        return AutogradModel, f"{name}'s gradients raised {type(exc).__name__}: {exc}"
    if not report.ok:
        bad = ", ".join(r.name for r in report.rows if not r.ok)
        return AutogradModel, f"{name}'s gradient check fails for {bad}"
    return model_class, f"{name}'s gradients pass the gradient check"


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
    velocity = {n: torch.zeros_like(t) for n, t in tensors.items()}
    order = rng.permutation(len(data["train_inputs"]))
    for start in range(0, batches * 100, 100):
        rows = data["train_inputs"][order[start:start + 100]]
        mask = model.sample_input_mask(100, rng)
        loss = torch_loss(tensors, rows * (1 - mask), rows, mask) / 100
        grads = torch.autograd.grad(loss, list(tensors.values()))
        with torch.no_grad():  # v ← 0.9 v + g, θ ← θ - v: as train (and torch.optim.SGD)
            for (name, tensor), g in zip(tensors.items(), grads, strict=True):
                velocity[name].mul_(0.9).add_(g)
                tensor.sub_(velocity[name])  # learning rate 1
    params = Params(*(tensors[n].detach().numpy().copy() for n in Params.names()))
    return Model(params, data["vocab"])


def torch_loss(tensors: dict[str, torch.Tensor], masked_inputs: np.ndarray, targets: np.ndarray,
               mask: np.ndarray) -> torch.Tensor:
    """The summed masked cross-entropy C in PyTorch, from parameter tensors named as in Params.

    masked_inputs, targets, mask: (B, N) arrays (word indices, words to predict, 0/1 mask).
    """
    B, N = masked_inputs.shape
    z = _torch_logits(tensors, masked_inputs).reshape(B, N, -1)
    picked = torch.log_softmax(z, dim=2).gather(2, torch.as_tensor(targets)[:, :, None])[:, :, 0]
    return -(picked * torch.as_tensor(mask, dtype=picked.dtype)).sum()


def _torch_logits(tensors: dict[str, torch.Tensor], inputs: np.ndarray) -> torch.Tensor:
    """z (B, N·V), the inputs of the output softmaxes, for word indices (B, N)."""
    B = inputs.shape[0]
    x = tensors["word_embedding_weights"][torch.as_tensor(inputs)].reshape(B, -1)
    h = torch.sigmoid(x @ tensors["embed_to_hid_weights"].T + tensors["hid_bias"])
    return h @ tensors["hid_to_output_weights"].T + tensors["output_bias"]


def _torch_masked_ce(z: torch.Tensor, expanded_target_batch: np.ndarray, target_mask: np.ndarray,
                     V: int) -> torch.Tensor:
    """C = -Σ m t log softmax(z) per chunk of V, for z (B, N·V), t (B, N·V), m (B, N)."""
    B = z.shape[0]
    log_y = torch.log_softmax(z.reshape(B, -1, V), dim=2)  # (B, N, V)
    t = torch.as_tensor(np.asarray(expanded_target_batch, dtype=np.float64)).reshape(B, -1, V)
    m = torch.as_tensor(np.asarray(target_mask, dtype=np.float64).reshape(B, -1, 1))
    return -(m * t * log_y).sum()
