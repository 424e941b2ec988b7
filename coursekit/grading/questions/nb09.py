"""Questions of notebook 09_masked_language_model: the derivative of the masked cross-entropy
with respect to the output logits, and back-propagation to every parameter.

The student writes both as functions, so that each is graded on its own:
``compute_loss_derivative(output_activations, expanded_target_batch, target_mask)`` -> (B, N·V)
and ``back_propagate(params, input_batch, activations, loss_derivative)`` -> a ``Params``. The
five gradients of ``back_propagate`` are compared raveled one after the other (see
:mod:`coursekit.grading.joined`). The oracles are PyTorch autograd in float64
(:class:`coursekit.masked_lm_train.AutogradModel`); so are the known mistakes of
``back_propagate``, so that the student build holds no NumPy formula of the answer. Targets are
one-hot in every masked chunk, as the course data gives them.
"""

import numpy as np
import torch

from coursekit.grading.answer_forms import Adapter, register_adapter
from coursekit.grading.joined import join, joiner
from coursekit.grading.registry import Case, Question, register
from coursekit.masked_lm import Model, Params
from coursekit.masked_lm_train import AutogradModel

NAMES = Params.names()


def _vocab(V: int) -> list[str]:
    return ["[MASK]", *(f"w{i}" for i in range(1, V))]


def _sizes(params: Params, input_batch: np.ndarray) -> tuple[int, int, int, int, int]:
    """B, N, V, E, H of a problem."""
    V, E = params.word_embedding_weights.shape
    return input_batch.shape[0], input_batch.shape[1], V, E, params.hid_bias.shape[0]


def _problem(rng: np.random.Generator, V: int, N: int, E: int, H: int, B: int, *,
             masks: str = "one", repeats: bool = True) -> dict:
    """A model with non-zero biases, a masked batch, its one-hot targets and activations.

    ``masks``: "one" position per row (as in training), or "any" number per row (0 to N).
    ``repeats``: the batch repeats words (within a row and across rows).
    """
    params = Params(rng.normal(scale=0.8, size=(V, E)), rng.normal(scale=0.8, size=(H, N * E)),
                    rng.normal(scale=0.5, size=H), rng.normal(scale=0.8, size=(N * V, H)),
                    rng.normal(scale=0.5, size=N * V))
    words = rng.integers(1, V, size=(B, N)) if V > 1 else np.zeros((B, N), dtype=np.int64)
    if repeats and N > 1 and B > 1:
        words[0, 1] = words[0, 0]  # a word twice in one row
        words[-1, 0] = words[0, 0]  # and again in another row
    if masks == "one":
        mask = np.zeros((B, N), dtype=np.int64)
        mask[np.arange(B), rng.integers(N, size=B)] = 1
    else:
        mask = (rng.random((B, N)) < 0.5).astype(np.int64)
    targets = np.zeros((B, N * V))
    rows, cols = np.nonzero(mask)
    targets[rows, cols * V + words[rows, cols]] = 1.0  # one-hot in every masked chunk
    x = words * (1 - mask)
    activations = Model(params, _vocab(V)).compute_activations(x)
    y = activations.output_layer
    # the loss derivative fed to back_propagate, by autograd (no NumPy answer in the student build)
    dz = AutogradModel(params, _vocab(V)).compute_loss_derivative(y, targets, mask)
    return {"params": params, "words": words, "x": x, "activations": activations, "y": y,
            "t": targets, "m": mask, "dz": dz}


def _label(p: dict) -> str:
    B, N, V, E, H = _sizes(p["params"], p["x"])
    return f"B={B}, N={N}, V={V}, E={E}, H={H}"


# --- the loss derivative ------------------------------------------------------------------------


def _ld_case(p: dict, note: str = "") -> Case:
    return Case((p["y"], p["t"], p["m"]), _label(p) + note)


def _ld_public() -> list[Case]:
    rng = np.random.default_rng(9)
    return [_ld_case(_problem(rng, 5, 3, 2, 4, 4), ", one masked position per row"),
            _ld_case(_problem(rng, 4, 4, 2, 3, 3, masks="any"), ", any number of masked positions")]


def _ld_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = [_ld_case(_problem(rng, V, N, 2, 3, B)) for V, N, B in
             ((2, 1, 1), (7, 4, 10), (30, 2, 6), (11, 5, 3))]
    cases.append(_ld_case(_problem(rng, 9, 4, 2, 3, 12, masks="any"), ", any number masked"))
    p = _problem(rng, 6, 3, 2, 3, 5)
    p["m"][:] = 0
    cases.append(_ld_case(p, ", nothing masked"))
    p = _problem(rng, 8, 4, 2, 3, 6)
    every = Model(p["params"], _vocab(8)).indicator_matrix(p["words"])  # all N chunks one-hot
    cases.append(Case((p["y"], every, p["m"]), _label(p) + ", one-hot targets in every chunk"))
    return cases
    # END HIDDEN TESTS


def _ld_model(output_activations, target_mask, cls):
    B, N = np.shape(target_mask)[:2]
    V = np.shape(output_activations)[1] // N
    return cls(Params.zeros(V, N, 1, 1), _vocab(V))


def _ld_oracle(output_activations, expanded_target_batch, target_mask) -> np.ndarray:
    model = _ld_model(output_activations, target_mask, AutogradModel)
    return model.compute_loss_derivative(output_activations, expanded_target_batch, target_mask)


def _ld_reference(output_activations, expanded_target_batch, target_mask) -> np.ndarray:
    model = _ld_model(output_activations, target_mask, Model)
    return model.compute_loss_derivative(output_activations, expanded_target_batch, target_mask)


def _ld_mistakes() -> dict:
    def unmasked(y, t, m):
        return np.asarray(y) - np.asarray(t)

    def tiled(y, t, m):
        V = np.shape(y)[1] // np.shape(m)[1]
        return (np.asarray(y) - np.asarray(t)) * np.tile(m, V)

    return {
        "no mask": (unmasked, "y − t in every chunk: only the masked positions are in the loss, so "
                              "multiply by the mask m (repeated over the V columns of its chunk)."),
        "tiled mask": (tiled, "the mask was expanded with np.tile: column j + nV belongs to position "
                              "n, so each m_n must be repeated V times in a row (np.repeat)."),
        "sign": (lambda y, t, m: -_ld_oracle(y, t, m),
                 "t − y: the sign is flipped; ∂C/∂z = y − t where the loss counts."),
    }


# --- back-propagation ---------------------------------------------------------------------------


def _layout(p: dict) -> str:
    B, N, V, E, H = _sizes(p["params"], p["x"])
    sizes = (V * E, H * N * E, H, N * V * H, N * V)
    ends = np.cumsum(sizes)
    spans = ", ".join(f"{n} [{e - s}:{e}]" for n, s, e in zip(NAMES, sizes, ends, strict=True))
    return f"{_label(p)}; the flat answer lists {spans}"


def _bp_case(p: dict, note: str = "") -> Case:
    return Case((p["params"], p["x"], p["activations"], p["dz"]), _layout(p) + note)


def _bp_public() -> list[Case]:
    rng = np.random.default_rng(19)
    return [_bp_case(_problem(rng, 6, 3, 2, 4, 5), " (words repeat in the batch)")]


def _bp_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = [_bp_case(_problem(rng, V, N, E, H, B)) for V, N, E, H, B in
             ((2, 1, 1, 1, 1), (9, 4, 3, 5, 8), (20, 2, 4, 6, 12), (7, 4, 16, 10, 30))]
    cases.append(_bp_case(_problem(rng, 5, 3, 2, 3, 6, masks="any", repeats=False),
                          ", any number masked, no forced repeats"))
    p = _problem(rng, 6, 3, 2, 4, 5)
    p["dz"] = rng.normal(size=p["dz"].shape)
    cases.append(_bp_case(p, ", a random loss_derivative"))
    return cases
    # END HIDDEN TESTS


def _bp_oracle(params, input_batch, activations, loss_derivative) -> np.ndarray:
    V = params.word_embedding_weights.shape[0]
    grads = AutogradModel(params, _vocab(V)).back_propagate(input_batch, activations,
                                                            loss_derivative)
    return join([getattr(grads, n) for n in NAMES], "flat")


def _bp_reference(params, input_batch, activations, loss_derivative) -> np.ndarray:
    V = params.word_embedding_weights.shape[0]
    grads = Model(params, _vocab(V)).back_propagate(input_batch, activations, loss_derivative)
    return join([getattr(grads, n) for n in NAMES], "flat")


def _torch_vjp(params, input_batch, loss_derivative, *, straight_through: bool = False):
    """The parameter gradients and ∂C/∂x (B, N·E) by autograd; with ``straight_through`` the
    sigmoid passes gradients unchanged (a backward pass that forgets σ')."""
    leaves = {n: torch.tensor(getattr(params, n), requires_grad=True) for n in NAMES}
    B = input_batch.shape[0]
    x = leaves["word_embedding_weights"][torch.as_tensor(input_batch)].reshape(B, -1)
    x.retain_grad()
    u = x @ leaves["embed_to_hid_weights"].T + leaves["hid_bias"]
    h = u + (torch.sigmoid(u) - u).detach() if straight_through else torch.sigmoid(u)
    z = h @ leaves["hid_to_output_weights"].T + leaves["output_bias"]
    z.backward(torch.as_tensor(loss_derivative))
    return {n: leaves[n].grad.numpy() for n in NAMES}, x.grad.numpy()


def _bp_no_sigmoid_derivative(params, input_batch, activations, loss_derivative) -> np.ndarray:
    grads, _ = _torch_vjp(params, input_batch, loss_derivative, straight_through=True)
    return join([grads[n] for n in NAMES], "flat")


def _bp_rows_overwritten(params, input_batch, activations, loss_derivative) -> np.ndarray:
    grads, dx = _torch_vjp(params, input_batch, loss_derivative)
    E = params.word_embedding_weights.shape[1]
    rows = np.zeros_like(params.word_embedding_weights)
    rows[np.asarray(input_batch).ravel()] = dx.reshape(-1, E)  # a repeated word keeps one slice
    grads["word_embedding_weights"] = rows
    return join([grads[n] for n in NAMES], "flat")


register(
    Question(
        qid="09.compute_loss_derivative",
        func_name="compute_loss_derivative",
        arg_names=("output_activations", "expanded_target_batch", "target_mask"),
        public=_ld_public,
        oracle=_ld_oracle,
        reference=_ld_reference,
        hidden=_ld_hidden,
        rtol=1e-7,
        atol=1e-10,
        mistakes=_ld_mistakes(),
    ),
    Question(
        qid="09.back_propagate",
        func_name="back_propagate",
        arg_names=("params", "input_batch", "activations", "loss_derivative"),
        public=_bp_public,
        oracle=_bp_oracle,
        reference=_bp_reference,
        hidden=_bp_hidden,
        rtol=1e-7,
        atol=1e-10,
        mistakes={
            "no sigmoid derivative": (
                _bp_no_sigmoid_derivative,
                "the gradients below the hidden layer miss the sigmoid's derivative: ∂C/∂u = "
                "(∂C/∂h) ⊙ h ⊙ (1 − h)."),
            "rows overwritten": (
                _bp_rows_overwritten,
                "a word that appears more than once in the batch keeps only one contribution: "
                "add the slices up (np.add.at), an assignment overwrites them."),
        },
    ),
)

register_adapter("09.back_propagate", Adapter(prepare=joiner(
    "back_propagate", NAMES,
    lambda params, input_batch, activations, loss_derivative: [
        np.shape(getattr(params, n)) for n in NAMES],
    layout="flat",
    forbidden=(Model.back_propagate,),
)))
