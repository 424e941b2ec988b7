"""Checks for answers that are ``torch.nn.Module`` classes.

``check_visible`` and ``check_hidden`` compare what a function returns, and a class returns a
model, not numbers. So a notebook hands them a *probe* instead: a function that builds the
student's class with given arguments, copies known weights into it and returns its output on
known inputs. The class is looked up every time the probe runs (``mlp_probe(lambda: MyClass)``),
so a check always sees the class as the notebook defines it at that moment.

The weights and inputs of a case come from its seed (``draw_mlp_case``), so an oracle (PyTorch's
functional API) and the coursekit reference see exactly the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from coursekit.grading.compare import CheckFailed

__all__ = ["draw_mlp_case", "load_linear_stack", "mlp_probe"]

Weights = list[tuple[np.ndarray, np.ndarray]]


def draw_mlp_case(
    input_dim: int, hidden_dims: Sequence[int], n_classes: int, seed: int, batch: int = 5
) -> tuple[Weights, np.ndarray]:
    """Weights ``[(W (s_l, s_{l-1}), b (s_l,)), ...]`` for sizes D -> H_1 ... -> K, and inputs
    x (batch, D), all float64 drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    sizes = [input_dim, *hidden_dims, n_classes]
    weights = [
        (rng.normal(scale=1.5 / np.sqrt(n_in), size=(n_out, n_in)), rng.normal(scale=0.5, size=n_out))
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    x = rng.normal(size=(batch, input_dim))
    return weights, x


def load_linear_stack(model: nn.Module, weights: Weights, where: str) -> None:
    """Copy ``weights`` into ``model.layers`` (an ``nn.ModuleList`` of ``nn.Linear``), in order.

    Raises ``CheckFailed`` naming the problem when the layers are missing, of another kind, too
    many or too few, or of the wrong sizes. ``where`` describes the call, for the messages.
    """
    layers = getattr(model, "layers", None)
    if not isinstance(layers, nn.ModuleList):
        found = "nothing" if layers is None else f"a {type(layers).__name__}"
        raise CheckFailed(
            f"{where}: self.layers should be an nn.ModuleList holding the nn.Linear layers in "
            f"order, but it is {found}."
        )
    kinds = [type(layer).__name__ for layer in layers]
    if not all(isinstance(layer, nn.Linear) for layer in layers):
        raise CheckFailed(
            f"{where}: self.layers should hold only nn.Linear layers (keep the activation "
            f"apart, in self.activation); found {kinds}."
        )
    if len(layers) != len(weights):
        raise CheckFailed(
            f"{where}: self.layers has {len(layers)} nn.Linear layers, expected {len(weights)}: "
            f"one per hidden layer plus the output layer."
        )
    for i, (layer, (W, _)) in enumerate(zip(layers, weights, strict=True)):
        got = (layer.in_features, layer.out_features)
        want = (W.shape[1], W.shape[0])
        if got != want:
            raise CheckFailed(
                f"{where}: self.layers[{i}] is nn.Linear{got}, expected nn.Linear{want} "
                f"(in_features, out_features)."
            )
        if layer.bias is None:
            raise CheckFailed(f"{where}: self.layers[{i}] has no bias; keep bias=True.")
    with torch.no_grad():
        for layer, (W, b) in zip(layers, weights, strict=True):
            layer.weight.copy_(torch.as_tensor(W))
            layer.bias.copy_(torch.as_tensor(b))


def _reject_reference(cls: type, model: nn.Module | None, name: str) -> None:
    from coursekit import mlp

    ref = mlp.SentimentClassifier
    uses_ref = (isinstance(cls, type) and issubclass(cls, ref)) or (
        model is not None and any(isinstance(m, ref) for m in model.modules())
    )
    if uses_ref:
        raise CheckFailed(f"{name}: this answer is the coursekit reference itself, not your own code.")


def mlp_probe(get_class: Callable[[], type], name: str = "SentimentClassifier") -> Callable:
    """A probe for an MLP class ``cls(input_dim, hidden_dims, activation, n_classes)``.

    The probe ``(input_dim, hidden_dims, activation, n_classes, seed) -> logits (B, K)``
    builds ``get_class()`` with those arguments, copies the weights of ``draw_mlp_case`` into
    its ``self.layers`` and returns the logits of the case's inputs, in float64.
    """

    def probe(
        input_dim: int, hidden_dims: Sequence[int], activation: str, n_classes: int, seed: int
    ) -> torch.Tensor:
        cls = get_class()
        _reject_reference(cls, None, name)
        where = (
            f"{name}(input_dim={input_dim}, hidden_dims={list(hidden_dims)}, "
            f"activation={activation!r}, n_classes={n_classes})"
        )
        model = cls(
            input_dim=input_dim, hidden_dims=list(hidden_dims), activation=activation,
            n_classes=n_classes,
        )  # fmt: skip
        if not isinstance(model, nn.Module):
            raise CheckFailed(f"{where} is a {type(model).__name__}, not an nn.Module.")
        _reject_reference(cls, model, name)
        model = model.double()
        weights, x = draw_mlp_case(input_dim, hidden_dims, n_classes, seed)
        load_linear_stack(model, weights, where)
        model.eval()
        with torch.no_grad():
            out = model(torch.as_tensor(x))
        if not isinstance(out, torch.Tensor):
            raise CheckFailed(f"{where}: forward returned a {type(out).__name__}, not a tensor.")
        return out

    probe.__name__ = name
    return probe
