"""Questions of notebook 08_glove: the parameter count, the gradient of the GloVe loss, the
gradient of the tied model and the loss no tied model can go below.

``grad`` and ``tied_grad`` return several arrays; their checks compare them joined side by side
(see :mod:`coursekit.grading.joined`): ``grad`` gives a (V, 2d + 2) array with the columns of
∂L/∂W, ∂L/∂W̃, ∂L/∂b, ∂L/∂b̃, and ``tied_grad`` a (V, d + 1) array. The oracles are PyTorch
autograd (float64) and a loop over pairs of words, apart from the NumPy references.
"""

import numpy as np
import torch

from coursekit import glove as ref
from coursekit.grading.answer_forms import Adapter, register_adapter
from coursekit.grading.joined import join, joiner
from coursekit.grading.registry import Case, Question, register

_PARTS = ("grad_W", "grad_W_tilde", "grad_b", "grad_b_tilde")


def _problem(rng: np.random.Generator, V: int, d: int, *, counts: int = 30) -> tuple:
    W, W_tilde = rng.normal(scale=0.5, size=(V, d)), rng.normal(scale=0.5, size=(V, d))
    b, b_tilde = rng.normal(scale=0.5, size=(V, 1)), rng.normal(scale=0.5, size=(V, 1))
    return W, W_tilde, b, b_tilde, np.log1p(rng.integers(0, counts, size=(V, V)).astype(float))


def _worked_example() -> tuple:
    """V = 2 words, d = 1: small enough to check by hand."""
    W, W_tilde = np.array([[1.0], [2.0]]), np.array([[3.0], [-1.0]])
    b, b_tilde = np.array([[0.5], [-1.0]]), np.array([[-1.0], [2.0]])
    return W, W_tilde, b, b_tilde, np.log(np.array([[1.0, 1.0], [2.0, 1.0]]))


def _layout(V: int, d: int) -> str:
    return (f"V={V}, d={d}; the joined answer has columns [0, {d}) ∂L/∂W, [{d}, {2 * d}) ∂L/∂W̃, "
            f"{2 * d} ∂L/∂b, {2 * d + 1} ∂L/∂b̃")


def _tied_layout(V: int, d: int) -> str:
    return f"V={V}, d={d}; the joined answer has columns [0, {d}) ∂L/∂W and {d} ∂L/∂b"


# --- the parameter count ------------------------------------------------------------------------


def _count_oracle(V: int, d: int) -> int:
    """Count the entries of the four parameter tensors of a model with V words."""
    tensors = (torch.empty(V, d), torch.empty(V, d), torch.empty(V, 1), torch.empty(V, 1))
    return int(sum(t.numel() for t in tensors))


def _count_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    sizes = [(1, 1), (2, 1), (1, 7), *((int(v), int(k)) for v, k in zip(
        rng.integers(2, 5000, size=4), rng.integers(1, 400, size=4), strict=True))]
    return [Case((V, d), f"V={V}, d={d}") for V, d in sizes]
    # END HIDDEN TESTS


# --- the gradient -------------------------------------------------------------------------------


def _torch_grads(W, W_tilde, b, b_tilde, log_X, tied: bool = False) -> list[np.ndarray]:
    leaves = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)
              for a in ((W, b) if tied else (W, W_tilde, b, b_tilde))]
    tW, tWt, tb, tbt = (leaves[0], leaves[0], leaves[1], leaves[1]) if tied else leaves
    loss = ((tW @ tWt.T + tb + tbt.T - torch.tensor(np.asarray(log_X, dtype=np.float64))) ** 2).sum()
    return [g.numpy() for g in torch.autograd.grad(loss, leaves)]


def _grad_oracle(W, W_tilde, b, b_tilde, log_X) -> np.ndarray:
    return join(_torch_grads(W, W_tilde, b, b_tilde, log_X))


def _grad_reference(W, W_tilde, b, b_tilde, log_X) -> np.ndarray:
    return join(ref.grad(W, W_tilde, b, b_tilde, log_X))


def _grad_public() -> list[Case]:
    rng = np.random.default_rng(8)
    return [
        Case(_worked_example(), _layout(2, 1)),
        Case(_problem(rng, 5, 3), _layout(5, 3)),
    ]


def _grad_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = [Case(_problem(rng, V, d), _layout(V, d)) for V, d in
             ((1, 1), (3, 7), (9, 2), (30, 5), (int(rng.integers(10, 60)), int(rng.integers(1, 9))))]
    W, W_tilde, b, b_tilde, log_X = _problem(rng, 6, 2)
    cases.append(Case((np.zeros_like(W), W_tilde, b, b_tilde, log_X), _layout(6, 2) + ", W = 0"))
    cases.append(Case((W, W_tilde, b, b_tilde, np.triu(log_X)), _layout(6, 2)
                      + ", a very unsymmetric log X"))
    return cases
    # END HIDDEN TESTS


# The known mistakes are built from the autograd oracle, so that the student build (where these
# run to name a mistake) holds no NumPy formula of the answer.


def _grads_without_biases(W, W_tilde, b, b_tilde, log_X) -> np.ndarray:
    """What a residual without b_i + b̃_j gives: the gradient at b = b̃ = 0."""
    return join(_torch_grads(W, W_tilde, np.zeros_like(b), np.zeros_like(b_tilde), log_X))


def _grads_biases_swapped(W, W_tilde, b, b_tilde, log_X) -> np.ndarray:
    g_W, g_Wt, g_b, g_bt = _torch_grads(W, W_tilde, b, b_tilde, log_X)
    return join([g_W, g_Wt, g_bt, g_b])


# --- the tied model -----------------------------------------------------------------------------


def _tied_public() -> list[Case]:
    W, _, b, _, log_X = _problem(np.random.default_rng(18), 5, 3)
    return [Case((W, b, log_X), _tied_layout(5, 3))]


def _tied_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    out = []
    for V, d in ((1, 1), (4, 6), (12, 3), (int(rng.integers(20, 50)), int(rng.integers(1, 8)))):
        W, _, b, _, log_X = _problem(rng, V, d)
        out.append(Case((W, b, log_X), _tied_layout(V, d)))
    W, _, b, _, log_X = _problem(rng, 7, 2)
    out.append(Case((W, b, log_X + log_X.T), _tied_layout(7, 2) + ", a symmetric log X"))
    return out
    # END HIDDEN TESTS


def _tied_oracle(W, b, log_X) -> np.ndarray:
    return join(_torch_grads(W, W, b, b, log_X, tied=True))


def _tied_one_half(W, b, log_X) -> np.ndarray:
    """Only the w_i half: the untied gradient for W and b at W̃ = W, b̃ = b."""
    g_W, _, g_b, _ = _torch_grads(W, W, b, b, log_X)
    return join([g_W, g_b])


# --- the floor of the tied loss -----------------------------------------------------------------


def _floor_oracle(log_X) -> float:
    """The least-squares fit of log X by a symmetric matrix, solved as a linear system: one
    unknown per unordered pair {i, j}, one equation per entry (i, j)."""
    log_X = np.asarray(log_X, dtype=np.float64)
    V = len(log_X)
    rows, cols = np.triu_indices(V)
    unknown = np.zeros((V, V), dtype=np.int64)
    unknown[rows, cols] = unknown[cols, rows] = np.arange(len(rows))
    design = np.zeros((V * V, len(rows)))
    design[np.arange(V * V), unknown.ravel()] = 1.0
    fit, *_ = np.linalg.lstsq(design, log_X.ravel(), rcond=None)
    return float(np.sum((design @ fit - log_X.ravel()) ** 2))


def _floor_public() -> list[Case]:
    return [
        Case((np.log(np.array([[1.0, 4.0], [2.0, 1.0]])),), "log X = log [[1, 4], [2, 1]]"),
        Case((_problem(np.random.default_rng(28), 6, 1)[4],), "a random 6 x 6 log X"),
    ]


def _floor_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    sym = _problem(rng, 5, 1)[4]
    return [
        Case((_problem(rng, 1, 1)[4],), "V = 1"),
        Case((sym + sym.T,), "a symmetric log X"),
        Case((np.triu(_problem(rng, 8, 1)[4]),), "an upper-triangular log X"),
        Case((_problem(rng, 40, 1, counts=500)[4],), "a random 40 x 40 log X"),
    ]
    # END HIDDEN TESTS


def _floor_mistakes() -> dict:
    return {
        "no quarter": (lambda a: 4 * _floor_oracle(a),
                       "4 times the floor: the antisymmetric part is (log X − log Xᵀ)/2, and the "
                       "½ is squared too."),
        "halved once": (lambda a: 2 * _floor_oracle(a),
                        "twice the floor: the factor ½ inside the norm is squared, giving ¼."),
        "symmetric part": (
            lambda a: float(np.sum((0.5 * (np.asarray(a) + np.asarray(a).T)) ** 2)),
            "the squared norm of the symmetric part: a symmetric prediction can fit that one; "
            "what it can never fit is the antisymmetric part."),
    }


register(
    Question(
        qid="08.parameter_count",
        func_name="parameter_count",
        arg_names=("V", "d"),
        public=lambda: [Case((251, 16), "V=251, d=16"), Case((10, 3), "V=10, d=3")],
        oracle=_count_oracle,
        reference=ref.parameter_count,
        hidden=_count_hidden,
        rtol=0,
        atol=0,
        mistakes={
            "no biases": (lambda V, d: 2 * V * d, "2Vd: the two biases of every word are missing."),
            "one vector": (lambda V, d: V * d + 2 * V,
                           "Vd + 2V: each word has two embedding vectors, w_i and w̃_i."),
            "shared biases": (lambda V, d: 2 * V * d + 2,
                              "2Vd + 2: there is one b_i and one b̃_i per word, 2V biases."),
        },
    ),
    Question(
        qid="08.grad",
        func_name="grad",
        arg_names=("W", "W_tilde", "b", "b_tilde", "log_X"),
        public=_grad_public,
        oracle=_grad_oracle,
        reference=_grad_reference,
        hidden=_grad_hidden,
        rtol=1e-7,
        atol=1e-9,
        mistakes={
            "half": (lambda *a: _grad_oracle(*a) / 2,
                     "every gradient is half the right one: the square gives a factor 2."),
            "no biases": (_grads_without_biases,
                          "the residual leaves out b_i + b̃_j: R = W W̃ᵀ + b 1ᵀ + 1 b̃ᵀ − log X."),
            "biases swapped": (_grads_biases_swapped,
                               "∂L/∂b and ∂L/∂b̃ are swapped: b_i sums row i of R, b̃_j column j."),
        },
    ),
    Question(
        qid="08.tied_grad",
        func_name="tied_grad",
        arg_names=("W", "b", "log_X"),
        public=_tied_public,
        oracle=_tied_oracle,
        reference=lambda W, b, log_X: join(ref.tied_grad(W, b, log_X)),
        hidden=_tied_hidden,
        rtol=1e-7,
        atol=1e-9,
        mistakes={
            "one half": (_tied_one_half,
                         "only the w_i half (2 R W): W also stands in for W̃, so add 2 Rᵀ W "
                         "(and 2 Rᵀ 1 for the biases)."),
            "no 2": (lambda *a: _tied_oracle(*a) / 2,
                     "(R + Rᵀ) W without the factor 2 from the square."),
        },
    ),
    Question(
        qid="08.symmetric_loss_floor",
        func_name="symmetric_loss_floor",
        arg_names=("log_X",),
        public=_floor_public,
        oracle=_floor_oracle,
        reference=ref.symmetric_loss_floor,
        hidden=_floor_hidden,
        rtol=1e-9,
        atol=1e-9,
        mistakes=_floor_mistakes(),
    ),
)

register_adapter("08.grad", Adapter(prepare=joiner(
    "grad", _PARTS,
    lambda W, W_tilde, b, b_tilde, log_X: [np.shape(W), np.shape(W_tilde), np.shape(b),
                                           np.shape(b_tilde)],
    forbidden=(ref.grad, ref.grad_looped),
)))
register_adapter("08.tied_grad", Adapter(prepare=joiner(
    "tied_grad", ("grad_W", "grad_b"), lambda W, b, log_X: [np.shape(W), np.shape(b)],
    forbidden=(ref.tied_grad,),
)))
