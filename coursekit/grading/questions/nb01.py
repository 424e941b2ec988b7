"""Questions of notebook 01_jacobians: the Jacobians of seven functions of w or W."""

import numpy as np
import torch

from coursekit import jacobians as ref
from coursekit.grading import oracles
from coursekit.grading.registry import Case, Question, register

_W = np.array([0.5, -1.0, 2.0])
_X = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])


def _w_cases(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    out = [Case((rng.normal(size=d),), f"random w, d={d}") for d in (1, 4, 7)]
    out.append(Case((np.zeros(5),), "w = 0"))
    return out
    # END HIDDEN TESTS


def _const_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    return [Case((rng.normal(size=d), float(rng.normal())), f"d={d}") for d in (1, 6)]
    # END HIDDEN TESTS


def _dot_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    return [Case((rng.normal(size=d), rng.normal(size=d)), f"d={d}") for d in (1, 5, 8)]
    # END HIDDEN TESTS


def _matvec_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    return [
        Case((rng.normal(size=(n, d)), rng.normal(size=d)), f"n={n}, d={d}")
        for n, d in ((1, 3), (4, 2), (5, 5))
    ]
    # END HIDDEN TESTS


def _xwt_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    sizes = ((1, 1, 1), (2, 3, 4), (4, 2, 3), (3, 3, 3))
    return [
        Case((rng.normal(size=(n, d)), rng.normal(size=(k, d))), f"n={n}, d={d}, k={k}")
        for n, d, k in sizes
    ]
    # END HIDDEN TESTS


def _shape_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    out = []
    for item in range(1, 8):
        n, d, k = (int(v) for v in rng.choice(np.arange(2, 12), size=3, replace=False))
        out.append(Case((item, n, d, k), f"item {item}"))
    return out
    # END HIDDEN TESTS


def _shape_oracle(item: int, n: int, d: int, k: int) -> tuple[int, ...]:
    """The torch Jacobian's shape (out + in), with a scalar output written as a 1-row."""
    X, W, w, x = torch.ones(n, d), torch.ones(k, d), torch.ones(d), torch.ones(d)
    funcs = {
        1: (lambda v: v.sum() * 0 + 3.0, w),
        2: (lambda v: (v * v).sum(), w),
        3: (lambda v: v @ x, w),
        4: (lambda v: X @ v, w),
        5: (lambda v: v, w),
        6: (lambda v: v * v, w),
        7: (lambda V: X @ V.T, W),
    }
    f, at = funcs[item]
    shape = tuple(torch.autograd.functional.jacobian(f, at).shape)
    return (1, *shape) if len(shape) == 1 else shape


def _jac_of(f):
    return lambda *args: oracles.jacobian(
        lambda v: f(v, *[torch.as_tensor(a) for a in args[1:]]), args[0]
    )


register(
    Question(
        qid="01.jac_constant",
        func_name="jac_constant",
        arg_names=("w", "c"),
        public=lambda: [Case((_W, 2.5))],
        oracle=lambda w, c: oracles.jacobian(lambda v: v.sum() * 0 + c, w),
        reference=ref.jac_constant,
        hidden=_const_hidden,
        mistakes={
            "scalar": (
                lambda w, c: np.zeros(()),
                "a scalar 0: the Jacobian has one entry per coordinate of w.",
            )
        },
    ),
    Question(
        qid="01.jac_sqnorm",
        func_name="jac_sqnorm",
        arg_names=("w",),
        public=lambda: [Case((_W,))],
        oracle=lambda w: oracles.jacobian(lambda v: (v * v).sum(), w),
        reference=ref.jac_sqnorm,
        hidden=_w_cases,
        mistakes={
            "no 2": (lambda w: np.array(w), "w instead of 2w: the derivative of w_i² is 2 w_i.")
        },
    ),
    Question(
        qid="01.jac_dot",
        func_name="jac_dot",
        arg_names=("w", "x"),
        public=lambda: [Case((_W, _X[0]))],
        oracle=_jac_of(lambda v, x: v @ x),
        reference=ref.jac_dot,
        hidden=_dot_hidden,
        mistakes={
            "w": (
                lambda w, x: np.array(w),
                "returned w: the derivative of wᵀx with respect to w is x.",
            )
        },
    ),
    Question(
        qid="01.jac_matvec",
        func_name="jac_matvec",
        arg_names=("X", "w"),
        public=lambda: [Case((_X, _W))],
        oracle=lambda X, w: oracles.jacobian(lambda v: torch.as_tensor(X) @ v, w),
        reference=ref.jac_matvec,
        hidden=_matvec_hidden,
    ),
    Question(
        qid="01.jac_identity",
        func_name="jac_identity",
        arg_names=("w",),
        public=lambda: [Case((_W,))],
        oracle=lambda w: oracles.jacobian(lambda v: v, w),
        reference=ref.jac_identity,
        hidden=_w_cases,
        mistakes={
            "ones": (
                lambda w: np.ones(np.size(w)),
                "a vector of ones: each output depends on one input, so J is the identity matrix.",
            )
        },
    ),
    Question(
        qid="01.jac_square",
        func_name="jac_square",
        arg_names=("w",),
        public=lambda: [Case((_W,))],
        oracle=lambda w: oracles.jacobian(lambda v: v * v, w),
        reference=ref.jac_square,
        hidden=_w_cases,
        mistakes={
            "vector": (
                lambda w: 2 * np.asarray(w),
                "the vector 2w: the Jacobian of an elementwise map is the diagonal matrix diag(2w).",
            )
        },
    ),
    Question(
        qid="01.jacobian_xwt",
        func_name="jacobian_xwt",
        arg_names=("X", "W"),
        public=lambda: [Case((_X, np.ones((2, 3))))],
        oracle=lambda X, W: oracles.jacobian(lambda V: torch.as_tensor(X) @ V.T, W),
        reference=ref.jacobian_xwt,
        hidden=_xwt_hidden,
        mistakes={
            "swapped": (
                lambda X, W: (
                    np.einsum("jp,iq->ijqp", np.eye(W.shape[0]), X)
                    if W.shape[0] == X.shape[1]
                    else np.zeros(0)
                ),
                "the last two axes are swapped: J[i, j, p, q] = ∂f_ij / ∂W_pq with p indexing rows of W.",
            ),
        },
    ),
    Question(
        qid="01.jacobian_shape",
        func_name="jacobian_shape",
        arg_names=("item", "n", "d", "k"),
        public=lambda: [Case((1, 4, 3, 2)), Case((7, 4, 3, 2))],
        oracle=_shape_oracle,
        reference=ref.jacobian_shape,
        hidden=_shape_hidden,
        rtol=0,
        atol=0,
    ),
)
