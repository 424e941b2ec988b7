"""Tests of coursekit.mlp: the ModuleList MLP classifier of notebook 10."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from coursekit.mlp import ACTIVATIONS, SentimentClassifier, describe, make_activation

pytestmark = pytest.mark.nb10

NAMES = ["sigmoid", "tanh", "relu", "gelu", "leaky_relu", "elu", "silu"]

# The oracle: the same activations written with torch's functional API.
FUNCTIONAL = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": F.relu,
    "gelu": F.gelu,
    "leaky_relu": lambda z: F.leaky_relu(z, 0.01),
    "elu": F.elu,
    "silu": F.silu,
}

configs = st.fixed_dictionaries(
    {
        "input_dim": st.integers(1, 40),
        "hidden_dims": st.lists(st.integers(1, 24), max_size=4),
        "activation": st.sampled_from(NAMES),
        "n_classes": st.integers(1, 5),
        "batch": st.integers(1, 6),
        "seed": st.integers(0, 2**16),
    }
)


def test_activations_table_is_complete():
    assert sorted(ACTIVATIONS) == sorted(NAMES)
    for name in NAMES:
        assert issubclass(ACTIVATIONS[name], nn.Module)
    assert make_activation("relu") is not make_activation("relu")


@settings(max_examples=40, deadline=None)
@given(configs)
def test_structure_matches_configuration(cfg):
    torch.manual_seed(cfg["seed"])
    model = SentimentClassifier(
        cfg["input_dim"], cfg["hidden_dims"], cfg["activation"], n_classes=cfg["n_classes"]
    )
    assert isinstance(model.layers, nn.ModuleList)
    sizes = [cfg["input_dim"], *cfg["hidden_dims"], cfg["n_classes"]]
    assert len(model.layers) == len(cfg["hidden_dims"]) + 1
    for layer, n_in, n_out in zip(model.layers, sizes[:-1], sizes[1:], strict=True):
        assert isinstance(layer, nn.Linear)
        assert (layer.in_features, layer.out_features) == (n_in, n_out)
        assert layer.bias is not None
    assert type(model.activation) is ACTIVATIONS[cfg["activation"]]
    expected_params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    assert sum(p.numel() for p in model.parameters()) == expected_params


@settings(max_examples=40, deadline=None)
@given(configs)
def test_forward_matches_functional_oracle(cfg):
    torch.manual_seed(cfg["seed"])
    model = SentimentClassifier(
        cfg["input_dim"], cfg["hidden_dims"], cfg["activation"], n_classes=cfg["n_classes"]
    ).double()
    x = torch.randn(cfg["batch"], cfg["input_dim"], dtype=torch.float64)
    out = model(x)
    assert out.shape == (cfg["batch"], cfg["n_classes"])

    act = FUNCTIONAL[cfg["activation"]]
    h = x
    params = [(layer.weight, layer.bias) for layer in model.layers]
    for i, (W, b) in enumerate(params):
        h = h @ W.T + b
        if i < len(params) - 1:  # no activation after the output layer
            h = act(h)
    torch.testing.assert_close(out, h, rtol=1e-12, atol=1e-12)


def test_empty_hidden_list_is_the_single_layer_model():
    torch.manual_seed(0)
    model = SentimentClassifier(7, [], "tanh")
    assert len(model.layers) == 1
    (layer,) = model.layers
    assert (layer.in_features, layer.out_features) == (7, 2)
    x = torch.randn(5, 7)
    expected = x.numpy() @ layer.weight.detach().numpy().T + layer.bias.detach().numpy()
    np.testing.assert_allclose(model(x).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_gradients_reach_every_parameter():
    torch.manual_seed(1)
    model = SentimentClassifier(6, [5, 4], "gelu", n_classes=3)
    loss = F.cross_entropy(model(torch.randn(8, 6)), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1]))
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_unknown_activation_error_lists_valid_names():
    with pytest.raises(ValueError, match="swish") as info:
        SentimentClassifier(4, [3], "swish")
    for name in NAMES:
        assert name in str(info.value)
    with pytest.raises(ValueError, match="relu"):
        make_activation("ReLU")


@pytest.mark.parametrize(
    "args, what",
    [
        ((0, [3]), "input_dim"),
        ((4, [3, 0]), r"hidden_dims\[1\]"),
        ((4, [2.5]), r"hidden_dims\[0\]"),
        ((4, [3], "relu", 0), "n_classes"),
    ],
)
def test_bad_sizes_are_named(args, what):
    with pytest.raises(ValueError, match=what):
        SentimentClassifier(*args)


def test_forward_rejects_wrong_input_shape():
    model = SentimentClassifier(4, [3])
    with pytest.raises(ValueError, match=r"\(B, 4\).*\(2, 5\)"):
        model(torch.zeros(2, 5))
    with pytest.raises(ValueError, match=r"\(4,\)"):
        model(torch.zeros(4))
    with pytest.raises(TypeError, match="torch.Tensor"):
        model(np.zeros((2, 4)))


def test_describe_lists_every_layer():
    model = SentimentClassifier(10, [5, 3], "elu")
    text = describe(model)
    lines = text.splitlines()
    assert "SentimentClassifier" in lines[0]
    assert f"{(10 + 1) * 5 + (5 + 1) * 3 + (3 + 1) * 2:,}" in lines[0]
    for expected in ("Linear(10 -> 5)", "Linear(5 -> 3)", "Linear(3 -> 2)", "ELU"):
        assert sum(expected in line for line in lines) == 1, expected
    assert "layers.2" in text
    # works on any module
    assert "Linear(2 -> 1)" in describe(nn.Sequential(nn.Linear(2, 1), nn.Sigmoid()))


@settings(max_examples=30, deadline=None)
@given(configs)
def test_parameter_count_matches_a_built_model(cfg):
    from coursekit.mlp import n_parameters

    model = SentimentClassifier(
        cfg["input_dim"], cfg["hidden_dims"], cfg["activation"], n_classes=cfg["n_classes"]
    )
    count = n_parameters(cfg["input_dim"], cfg["hidden_dims"], cfg["n_classes"])
    assert isinstance(count, int)
    assert count == sum(p.numel() for p in model.parameters())


def test_parameter_count_by_hand_and_errors():
    from coursekit.mlp import n_parameters

    assert n_parameters(65, []) == 66 * 2
    assert n_parameters(65, [512, 512]) == 66 * 512 + 513 * 512 + 513 * 2
    with pytest.raises(ValueError, match=r"hidden_dims\[0\]"):
        n_parameters(4, [0])
