"""Questions of notebook 02_activations_softmax: activations, derivatives, softmax, its Jacobian."""

import numpy as np
import torch

from coursekit import activations as ref
from coursekit.grading import oracles
from coursekit.grading.registry import Case, Question, register

_Z = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
_LOGITS = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])


def _elementwise_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    return [
        Case((rng.normal(scale=4.0, size=50),), "random z (50,)"),
        Case((rng.normal(size=(3, 4)),), "random z (3, 4)"),
        Case((np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0]),), "large |z|"),
        Case((np.array(0.7),), "a 0-d array"),
    ]
    # END HIDDEN TESTS


def _softmax_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    return [
        Case((rng.normal(size=7),), "random z (7,)"),
        Case((rng.normal(scale=3.0, size=(5, 4)),), "random batch (5, 4)"),
        Case((np.array([1000.0, 999.0, -1000.0]),), "|z| = 1000"),
        Case((np.full((2, 3), -1000.0),), "all logits -1000"),
        Case((rng.normal(size=(2, 3, 4)),), "3-d batch (2, 3, 4)"),
        Case((rng.normal(size=(4, 3)),), "axis=0", kwargs={"axis": 0}),
    ]
    # END HIDDEN TESTS


def _jacobian_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    return [
        Case((rng.normal(size=6),), "random z (6,)"),
        Case((rng.normal(size=(4, 5)),), "random batch (4, 5)"),
        Case((np.array([1000.0, 0.0, -1000.0]),), "|z| = 1000"),
        Case((np.array([0.3]),), "K = 1"),
    ]
    # END HIDDEN TESTS


def _bound_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    return [Case((int(L),), f"L={int(L)}") for L in (0, 1, *rng.integers(2, 40, size=4))]
    # END HIDDEN TESTS


def _bound_oracle(L: int) -> float:
    """max over a fine grid of the autograd sigmoid derivative, to the power L."""
    grid = np.linspace(-5, 5, 100_001)
    return float(oracles.elementwise_grad(torch.sigmoid, grid).max()) ** L


def _public_z() -> list[Case]:
    return [Case((_Z,), "z from -3 to 3")]


def _relu_public() -> list[Case]:
    return [Case((_Z,), "z from -3 to 3 (includes 0)")]


def _sig(z):
    return oracles.elementwise(torch.sigmoid, z)


def _torch_softmax(z, axis=-1):
    return oracles.elementwise(lambda t: torch.softmax(t, dim=axis), z)


register(
    Question(
        qid="02.sigmoid",
        func_name="sigmoid",
        arg_names=("z",),
        public=_public_z,
        oracle=_sig,
        reference=ref.sigmoid,
        hidden=_elementwise_hidden,
        mistakes={
            "sign": (lambda z: _sig(-np.asarray(z)), "σ(−z): the exponent should be e^{−z}.")
        },
    ),
    Question(
        qid="02.sigmoid_grad",
        func_name="sigmoid_grad",
        arg_names=("z",),
        public=_public_z,
        oracle=lambda z: oracles.elementwise_grad(torch.sigmoid, z),
        reference=ref.sigmoid_grad,
        hidden=_elementwise_hidden,
        mistakes={
            "no (1-s)": (_sig, "σ(z) alone: the factor (1 − σ(z)) is missing."),
            "plus": (
                lambda z: _sig(z) * (1 + _sig(z)),
                "σ(z)(1 + σ(z)): the factor is (1 − σ(z)).",
            ),
        },
    ),
    Question(
        qid="02.relu",
        func_name="relu",
        arg_names=("z",),
        public=_public_z,
        oracle=lambda z: oracles.elementwise(torch.relu, z),
        reference=ref.relu,
        hidden=_elementwise_hidden,
        mistakes={"abs": (np.abs, "|z|: negative inputs should give 0, not their magnitude.")},
    ),
    Question(
        qid="02.relu_grad",
        func_name="relu_grad",
        arg_names=("z",),
        public=_relu_public,
        oracle=lambda z: oracles.elementwise_grad(torch.relu, z),
        reference=ref.relu_grad,
        hidden=_elementwise_hidden,
        mistakes={
            "one at zero": (
                lambda z: (np.asarray(z) >= 0).astype(float),
                "1 at z = 0: this course (like PyTorch) uses ReLU'(0) = 0, i.e. z > 0, not z >= 0.",
            )
        },
    ),
    Question(
        qid="02.tanh",
        func_name="tanh",
        arg_names=("z",),
        public=_public_z,
        oracle=lambda z: oracles.elementwise(torch.tanh, z),
        reference=ref.tanh,
        hidden=_elementwise_hidden,
    ),
    Question(
        qid="02.tanh_grad",
        func_name="tanh_grad",
        arg_names=("z",),
        public=_public_z,
        oracle=lambda z: oracles.elementwise_grad(torch.tanh, z),
        reference=ref.tanh_grad,
        hidden=_elementwise_hidden,
        mistakes={
            "not squared": (lambda z: 1 - np.tanh(z), "1 − tanh(z): the tanh should be squared."),
            "sech": (lambda z: 1 + np.tanh(z) ** 2, "1 + tanh²(z): it is 1 − tanh²(z)."),
        },
    ),
    Question(
        qid="02.sigmoid_chain_bound",
        func_name="sigmoid_chain_bound",
        arg_names=("L",),
        public=lambda: [Case((3,), "L=3")],
        oracle=_bound_oracle,
        reference=ref.sigmoid_chain_bound,
        hidden=_bound_hidden,
        rtol=1e-8,
        atol=0,
        mistakes={
            "one": (
                lambda L: 1.0,
                "1: the sigmoid's derivative never exceeds 1/4, so the product shrinks with L.",
            )
        },
    ),
    Question(
        qid="02.softmax",
        func_name="softmax",
        arg_names=("z",),
        public=lambda: [
            Case((np.array([1.0, 2.0, 3.0]),), "z = [1, 2, 3]"),
            Case((_LOGITS,), "a batch of 2"),
        ],
        oracle=_torch_softmax,
        reference=ref.softmax,
        hidden=_softmax_hidden,
        mistakes={
            "axis 0": (
                lambda z, axis=-1: _torch_softmax(
                    z, axis=0 if axis in (-1, np.ndim(z) - 1) else -1
                ),
                "normalised along the wrong axis: each row (the last axis, or `axis`) should sum to 1.",
            ),
            "whole array": (
                lambda z, axis=-1: np.exp(z - np.max(z)) / np.exp(z - np.max(z)).sum(),
                "normalised over the whole array instead of along `axis`: sum with axis=axis, keepdims=True.",
            ),
        },
    ),
    Question(
        qid="02.softmax_jacobian",
        func_name="softmax_jacobian",
        arg_names=("z",),
        public=lambda: [
            Case((np.array([1.0, 2.0, 3.0]),), "z = [1, 2, 3]"),
            Case((_LOGITS,), "a batch of 2"),
        ],
        oracle=lambda z: oracles.batched_jacobian(lambda t: torch.softmax(t, dim=-1), z),
        reference=ref.softmax_jacobian,
        hidden=_jacobian_hidden,
        mistakes={
            "outer only": (
                lambda z: -np.einsum("...i,...j->...ij", _torch_softmax(z), _torch_softmax(z)),
                "−s sᵀ alone: the diag(s) term (the δ_ij part) is missing.",
            ),
        },
    ),
)
