"""coursekit.grading.modules: probing a student's MLP class (notebook 10)."""

import pytest
import torch
from torch import nn

from coursekit import mlp
from coursekit.grading import CheckFailed, check_hidden, check_visible
from coursekit.grading.modules import draw_mlp_case, load_linear_stack, mlp_probe

pytestmark = pytest.mark.nb10


class Good(nn.Module):
    """A correct answer written differently from the reference: a dict of activations and a
    layer list built in a loop."""

    def __init__(self, input_dim, hidden_dims=(), activation="relu", n_classes=2):
        super().__init__()
        acts = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "gelu": nn.GELU,
                "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "silu": nn.SiLU}  # fmt: skip
        self.layers = nn.ModuleList()
        n_in = input_dim
        for width in [*hidden_dims, n_classes]:
            self.layers.append(nn.Linear(n_in, width))
            n_in = width
        self.activation = acts[activation]()

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = self.activation(x)
        return x


def probe_of(cls):
    return mlp_probe(lambda: cls)


def test_a_correct_class_passes_visible_and_hidden_checks():
    check_visible("10.sentiment_classifier", probe_of(Good), quiet=True)
    check_hidden("10.sentiment_classifier", probe_of(Good))


def test_the_class_is_looked_up_when_the_check_runs():
    namespace = {"SentimentClassifier": Good}
    probe = mlp_probe(lambda: namespace["SentimentClassifier"])
    check_visible("10.sentiment_classifier", probe, quiet=True)

    class ActivationOnLogits(Good):
        def forward(self, x):
            return self.activation(super().forward(x))

    namespace["SentimentClassifier"] = ActivationOnLogits
    with pytest.raises(CheckFailed, match="after the output layer"):
        check_visible("10.sentiment_classifier", probe)


class PlainList(nn.Module):
    """A plain Python list hides the layers from model.parameters()."""

    def __init__(self, input_dim, hidden_dims=(), activation="relu", n_classes=2):
        super().__init__()
        sizes = [input_dim, *hidden_dims, n_classes]
        self.layers = [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
        self.activation = nn.ReLU()

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))
        return self.layers[-1](x)


class WithActivationsInside(Good):
    def __init__(self, input_dim, hidden_dims=(), activation="relu", n_classes=2):
        super().__init__(input_dim, hidden_dims, activation, n_classes)
        mixed = []
        for layer in self.layers[:-1]:
            mixed += [layer, nn.ReLU()]
        self.layers = nn.ModuleList([*mixed, self.layers[-1]])


class MissingOutput(Good):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.layers[-1]


class Transposed(Good):
    def __init__(self, input_dim, hidden_dims=(), activation="relu", n_classes=2):
        super().__init__(input_dim, hidden_dims, activation, n_classes)
        first = self.layers[0]
        self.layers[0] = nn.Linear(first.out_features, first.in_features)


class NoBias(Good):
    def __init__(self, input_dim, hidden_dims=(), activation="relu", n_classes=2):
        super().__init__(input_dim, hidden_dims, activation, n_classes)
        self.layers[0] = nn.Linear(self.layers[0].in_features, self.layers[0].out_features, bias=False)


class Reference(mlp.SentimentClassifier):
    pass


class WrapsReference(nn.Module):
    def __init__(self, *args, **kwargs):
        super().__init__()
        self.inner = mlp.SentimentClassifier(*args, **kwargs)
        self.layers = self.inner.layers

    def forward(self, x):
        return self.inner(x)


@pytest.mark.parametrize(
    "cls, fragment",
    [
        (PlainList, "should be an nn.ModuleList"),
        (WithActivationsInside, "only nn.Linear layers"),
        (MissingOutput, "has 0 nn.Linear layers, expected 1: one per hidden layer plus the output layer"),
        (Transposed, "is nn.Linear(2, 6), expected nn.Linear(6, 2)"),
        (NoBias, "has no bias"),
        (Reference, "reference itself"),
        (WrapsReference, "reference itself"),
    ],
)
def test_structural_mistakes_are_named(cls, fragment):
    with pytest.raises(CheckFailed) as info:
        check_hidden("10.sentiment_classifier", probe_of(cls))
    assert fragment in str(info.value), str(info.value)


def test_unfinished_and_crashing_classes_are_explained():
    class Unfinished(nn.Module):
        def __init__(self, *args, **kwargs):
            super().__init__()
            raise NotImplementedError()

    class Crashes(Good):
        def forward(self, x):
            raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")

    with pytest.raises(CheckFailed, match="not written yet"):
        check_visible("10.sentiment_classifier", probe_of(Unfinished))
    with pytest.raises(CheckFailed, match=r"SentimentClassifier\(input_dim=6.*raised RuntimeError"):
        check_visible("10.sentiment_classifier", probe_of(Crashes))


def test_cases_and_loading_are_deterministic():
    w1, x1 = draw_mlp_case(4, [3], 2, seed=5)
    w2, x2 = draw_mlp_case(4, [3], 2, seed=5)
    assert [W.shape for W, _ in w1] == [(3, 4), (2, 3)] and x1.shape == (5, 4)
    assert all((a[0] == b[0]).all() for a, b in zip(w1, w2, strict=True)) and (x1 == x2).all()
    model = Good(4, [3]).double()
    load_linear_stack(model, w1, "here")
    assert torch.equal(model.layers[1].weight, torch.as_tensor(w1[1][0]))
