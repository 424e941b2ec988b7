"""Questions of notebook 10_mlp_classifier: parameter counts, the MLP class, log-spaced rates."""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from coursekit import mlp as ref
from coursekit import sweeps
from coursekit.grading.modules import draw_mlp_case, load_linear_stack
from coursekit.grading.registry import Case, Question, register

NAMES = ("sigmoid", "tanh", "relu", "gelu", "leaky_relu", "elu", "silu")

# The activations written with torch's functional API, independently of coursekit.mlp.
_FUNCTIONAL = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": F.relu,
    "gelu": F.gelu,
    "leaky_relu": lambda h: F.leaky_relu(h, 0.01),
    "elu": lambda h: F.elu(h, 1.0),
    "silu": F.silu,
}


# --- n_parameters ---------------------------------------------------------------------------


def _count_by_building(input_dim, hidden_dims, n_classes=2):
    """Brute force: build the nn.Linear layers (on the meta device, no memory) and count."""
    sizes = [input_dim, *hidden_dims, n_classes]
    layers = [nn.Linear(a, b, device="meta") for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    return sum(p.numel() for layer in layers for p in layer.parameters())


def _count_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = [Case((1, [], 1), "D=1, no hidden layer, K=1"), Case((3, [1, 1, 1], 2), "width-1 layers")]
    for _ in range(5):
        hidden = [int(h) for h in rng.integers(1, 300, size=rng.integers(0, 5))]
        cases.append(
            Case((int(rng.integers(1, 2000)), hidden, int(rng.integers(1, 10))), f"hidden {hidden}")
        )
    return cases
    # END HIDDEN TESTS


# --- the MLP class ----------------------------------------------------------------------------


def _oracle_logits(input_dim, hidden_dims, activation, n_classes, seed):
    """The forward pass with torch's functional API on the case's weights."""
    weights, x = draw_mlp_case(input_dim, hidden_dims, n_classes, seed)
    h = torch.as_tensor(x)
    for i, (W, b) in enumerate(weights):
        h = h @ torch.as_tensor(W).T + torch.as_tensor(b)
        if i < len(weights) - 1:  # no activation on the logits
            h = _FUNCTIONAL[activation](h)
    return h.numpy()


def _reference_logits(input_dim, hidden_dims, activation, n_classes, seed):
    """coursekit's SentimentClassifier with the case's weights loaded."""
    model = ref.SentimentClassifier(input_dim, list(hidden_dims), activation, n_classes).double()
    weights, x = draw_mlp_case(input_dim, hidden_dims, n_classes, seed)
    load_linear_stack(model, weights, "the reference")
    model.eval()
    with torch.no_grad():
        return model(torch.as_tensor(x)).numpy()


def _forward_variant(input_dim, hidden_dims, activation, n_classes, seed, *, act_last, act=None):
    weights, x = draw_mlp_case(input_dim, hidden_dims, n_classes, seed)
    f = _FUNCTIONAL[act or activation]
    h = torch.as_tensor(x)
    for i, (W, b) in enumerate(weights):
        h = h @ torch.as_tensor(W).T + torch.as_tensor(b)
        if act is not False and (i < len(weights) - 1 or act_last):
            h = f(h)
    return h.numpy()


def _classifier_public() -> list[Case]:
    return [
        Case((6, [], "relu", 2, 0), "no hidden layer"),
        Case((6, [5], "tanh", 2, 1), "one hidden layer"),
        Case((6, [5, 4], "relu", 3, 2), "two hidden layers, 3 classes"),
        Case((6, [4, 4, 4], "sigmoid", 2, 3), "three hidden layers"),
    ]


def _classifier_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = [
        Case((1, [1], "relu", 1, 11), "D=1, width 1, K=1"),
        Case((9, [], "gelu", 5, 12), "no hidden layer, 5 classes"),
    ]
    for i, name in enumerate(NAMES):
        hidden = [int(h) for h in rng.integers(1, 20, size=rng.integers(1, 5))]
        args = (int(rng.integers(1, 30)), hidden, name, int(rng.integers(1, 6)), 100 + i)
        cases.append(Case(args, f"{name}, hidden {hidden}"))
    return cases
    # END HIDDEN TESTS


# --- log_spaced -------------------------------------------------------------------------------


def _torch_logspace(low, high, n):
    return torch.logspace(np.log10(low), np.log10(high), n, dtype=torch.float64).numpy()


def _log_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = [Case((1e-6, 1.0, 2), "n = 2"), Case((0.3, 0.3, 3), "low = high")]
    for _ in range(4):
        low = float(10 ** rng.uniform(-6, 0))
        high = low * float(10 ** rng.uniform(0.5, 5))
        n = int(rng.integers(2, 12))
        cases.append(Case((low, high, n), f"{n} values from {low:.3g} to {high:.3g}"))
    return cases
    # END HIDDEN TESTS


register(
    Question(
        qid="10.n_parameters",
        func_name="n_parameters",
        arg_names=("input_dim", "hidden_dims", "n_classes"),
        public=lambda: [
            Case((100, [], 2), "no hidden layer"),
            Case((100, [512], 2), "one hidden layer of 512"),
            Case((100, [512, 512, 512], 2), "three hidden layers of 512"),
        ],
        oracle=_count_by_building,
        reference=ref.n_parameters,
        hidden=_count_hidden,
        rtol=0,
        atol=0,
        mistakes={
            "no biases": (
                lambda d, hidden, k=2: sum(a * b for a, b in zip([d, *hidden], [*hidden, k], strict=True)),
                "only the weight matrices are counted: every nn.Linear also has one bias per output.",
            ),
        },
    ),
    Question(
        qid="10.sentiment_classifier",
        func_name="SentimentClassifier",
        arg_names=("input_dim", "hidden_dims", "activation", "n_classes", "seed"),
        public=_classifier_public,
        oracle=_oracle_logits,
        reference=_reference_logits,
        hidden=_classifier_hidden,
        rtol=1e-7,
        atol=1e-9,
        mistakes={
            "activation on the logits": (
                lambda *a: _forward_variant(*a, act_last=True),
                "the activation is applied after the output layer too: the logits must stay raw.",
            ),
            "no activation": (
                lambda *a: _forward_variant(*a, act_last=False, act=False),
                "no activation between the layers: the stack collapses to one linear map.",
            ),
            "relu for every name": (
                lambda *a: _forward_variant(*a, act_last=False, act="relu"),
                "ReLU whatever the name: build the activation that `activation` asks for.",
            ),
        },
    ),
    Question(
        qid="10.log_spaced",
        func_name="log_spaced",
        arg_names=("low", "high", "n"),
        public=lambda: [Case((1e-4, 1e-1, 4), "1e-4 to 1e-1, 4 values"), Case((0.01, 1.0, 5), "0.01 to 1, 5 values")],
        oracle=_torch_logspace,
        reference=sweeps.log_spaced,
        hidden=_log_hidden,
        rtol=1e-9,
        atol=0,
        mistakes={
            "linear spacing": (
                lambda low, high, n: np.linspace(low, high, n),
                "evenly spaced values (np.linspace): the ratio between neighbours should be constant.",
            ),
            "exponents": (
                lambda low, high, n: np.linspace(np.log10(low), np.log10(high), n),
                "these are the exponents log10(value): raise 10 to them.",
            ),
        },
    ),
)
