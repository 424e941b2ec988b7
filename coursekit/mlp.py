"""Notebook 10: a multi-layer perceptron classifier built from ``nn.ModuleList``.

The single-layer sentiment classifier maps bag-of-words features straight to class logits.
Here it grows hidden layers: with hidden sizes ``H_1, ..., H_L`` the model computes

    h_0 = x,   h_l = act(W_l h_{l-1} + b_l)  for l = 1..L,   logits = W_{L+1} h_L + b_{L+1}

with ``W_l`` of shape ``(H_l, H_{l-1})``. An empty list of hidden sizes gives back the
single-layer model ``logits = W x + b``. The last layer has no activation: the loss
(``nn.CrossEntropyLoss``) takes raw logits.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["ACTIVATIONS", "SentimentClassifier", "describe", "make_activation", "n_parameters"]

#: The activation functions a model can be built with, by name (given to students).
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "silu": nn.SiLU,
}


def _check_activation_name(name: object) -> str:
    valid = ", ".join(ACTIVATIONS)
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"activation: unknown name {name!r}; valid names are: {valid}")
    return name


def make_activation(name: str) -> nn.Module:
    """A fresh activation module from its name in ``ACTIVATIONS``.

    Raises ``ValueError`` listing the valid names when ``name`` is not one of them.
    """
    return ACTIVATIONS[_check_activation_name(name)]()


def _check_positive_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return value


def n_parameters(input_dim: int, hidden_dims: Sequence[int] = (), n_classes: int = 2) -> int:
    """The number of weights and biases of ``SentimentClassifier(input_dim, hidden_dims, ...)``.

    With sizes ``s_0 = D, s_1 = H_1, ..., s_{L+1} = K`` the layer from ``s_{l-1}`` to ``s_l``
    holds an ``(s_l, s_{l-1})`` weight matrix and ``s_l`` biases:
    ``sum_l (s_{l-1} + 1) * s_l``. The activation has no parameters.
    """
    sizes = [_check_positive_int(input_dim, "input_dim")]
    sizes += [_check_positive_int(h, f"hidden_dims[{i}]") for i, h in enumerate(hidden_dims)]
    sizes.append(_check_positive_int(n_classes, "n_classes"))
    # BEGIN SOLUTION
    return sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True))
    # END SOLUTION


class SentimentClassifier(nn.Module):
    """An MLP from ``input_dim`` features through ``hidden_dims`` to ``n_classes`` logits.

    Parameters
    ----------
    input_dim : int
        D, the number of input features (the vocabulary size for bag-of-words inputs).
    hidden_dims : sequence of int
        ``[H_1, ..., H_L]``, the width of each hidden layer; empty for the single-layer model.
    activation : str
        A key of ``ACTIVATIONS``, applied after every hidden layer (never after the last).
    n_classes : int
        K, the number of output logits.

    Attributes
    ----------
    layers : nn.ModuleList
        The ``L + 1`` ``nn.Linear`` layers in order: ``D -> H_1 -> ... -> H_L -> K``.
    activation : nn.Module
        One instance of the activation, shared by every hidden layer (it has no parameters).
    """

    def __init__(
        self,
        input_dim: int,
        hidden_dims: Sequence[int] = (),
        activation: str = "relu",
        n_classes: int = 2,
    ) -> None:
        super().__init__()
        self.input_dim = _check_positive_int(input_dim, "input_dim")
        self.hidden_dims = [
            _check_positive_int(h, f"hidden_dims[{i}]") for i, h in enumerate(hidden_dims)
        ]
        self.n_classes = _check_positive_int(n_classes, "n_classes")
        self.activation_name = _check_activation_name(activation)
        # BEGIN SOLUTION
        sizes = [input_dim, *self.hidden_dims, n_classes]
        self.layers = nn.ModuleList(
            nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
        )
        self.activation = ACTIVATIONS[activation]()
        # END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, K)`` of a batch of feature vectors ``x`` of shape ``(B, D)``."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
        if x.ndim != 2 or x.shape[1] != self.input_dim:
            raise ValueError(
                f"x must have shape (B, {self.input_dim}) (B, input_dim), got {tuple(x.shape)}"
            )
        # BEGIN SOLUTION
        h = x  # (B, D)
        for layer in self.layers[:-1]:
            h = self.activation(layer(h))  # (B, H_l)
        return self.layers[-1](h)  # (B, K)
        # END SOLUTION


def describe(model: nn.Module) -> str:
    """A short table of a model's layers: name, module and parameter count, one line each.

    Works for any ``nn.Module``: it lists the leaf modules (those without children) in the
    order they were registered, then the total number of trainable parameters.
    """
    rows = []
    for name, module in model.named_modules():
        if any(True for _ in module.children()):
            continue
        n_params = sum(p.numel() for p in module.parameters(recurse=False))
        if isinstance(module, nn.Linear):
            what = f"Linear({module.in_features} -> {module.out_features})"
        else:
            what = type(module).__name__
        rows.append((name or type(model).__name__, what, n_params))
    total = sum(p.numel() for p in model.parameters() if p.requires_grad)
    width = max((len(r[0]) for r in rows), default=0)
    lines = [f"{type(model).__name__}: {total:,} trainable parameters"]
    lines += [f"  {name:<{width}}  {what}  ({n:,} parameters)" for name, what, n in rows]
    return "\n".join(lines)
