"""Small networks built from scalar ``Var`` nodes (notebook 04).

Nothing here differentiates by itself: every gradient comes from ``backward()`` of the ``Var``
class passed in, so a notebook can train with the student's own backward rules.

* ``VarMLP``: D inputs -> H tanh units -> one logit, trained with the binary cross-entropy;
* ``train_var_mlp``: mini-batch gradient descent with a progress bar;
* ``skip_mlp_grads_by_var``: the gradients of the skip-connection MLP of ``coursekit.skip_mlp``
  computed by building its graph from ``Var`` nodes, entry by entry; ``skip_mlp_graph``, its
  graph for one scalar input, to draw; ``skip_mlp_three_ways``, a table comparing hand-derived
  formulas, ``Var`` and PyTorch.

Shapes: B examples, D inputs, H hidden units.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from coursekit.autodiff import Var, explain_failure

__all__ = [
    "VarMLP",
    "bce_with_logit",
    "skip_mlp_grads_by_var",
    "skip_mlp_graph",
    "skip_mlp_three_ways",
    "train_var_mlp",
]


def bce_with_logit(z: Var, y: float) -> Var:
    """Binary cross-entropy ``-y ln σ(z) - (1-y) ln(1-σ(z))`` of one logit ``z``, label ``y``.

    Written as ``softplus(z) - y z`` with ``softplus(z) = ln(1 + e^z)``, and for z >= 0 as
    ``z + ln(1 + e^{-z})``, so no exponential overflows and no log of 0 is taken.
    """
    if z.value >= 0:
        return (1.0 + (-z).exp()).log() + (1.0 - y) * z
    return (1.0 + z.exp()).log() - y * z


class VarMLP:
    """A one-hidden-layer classifier ``logit = w2 · tanh(W1 x + b1) + b2`` made of ``Var`` nodes.

    Args:
        n_in: D, the number of inputs.
        n_hidden: H, the number of tanh units.
        rng: draws the initial weights (W1 ~ N(0, 1/D), w2 ~ N(0, 1/H), biases 0).
        var_class: the ``Var`` class whose rules differentiate the network.
    """

    def __init__(
        self, n_in: int, n_hidden: int, rng: np.random.Generator, var_class: type[Var] = Var
    ) -> None:
        if n_in < 1 or n_hidden < 1:
            raise ValueError(f"n_in and n_hidden must be >= 1, got {n_in}, {n_hidden}")
        self.var_class = var_class
        W1 = rng.normal(scale=1 / np.sqrt(n_in), size=(n_hidden, n_in))
        w2 = rng.normal(scale=1 / np.sqrt(n_hidden), size=n_hidden)
        self.W1 = [[var_class(float(v)) for v in row] for row in W1]  # H rows of D
        self.b1 = [var_class(0.0) for _ in range(n_hidden)]
        self.w2 = [var_class(float(v)) for v in w2]
        self.b2 = var_class(0.0)

    def parameters(self) -> list[Var]:
        """Every weight and bias, as ``Var`` leaves (H·D + H + H + 1 of them)."""
        return [v for row in self.W1 for v in row] + self.b1 + self.w2 + [self.b2]

    def logit(self, x: Sequence[float]) -> Var:
        """The output score of one input ``x`` (D,), as a ``Var`` in the graph of the weights."""
        hidden = []
        for row, b in zip(self.W1, self.b1, strict=True):
            z = b
            for w, xi in zip(row, x, strict=True):
                z = z + w * float(xi)
            hidden.append(z.tanh())
        out = self.b2
        for w, h in zip(self.w2, hidden, strict=True):
            out = out + w * h
        return out

    def loss(self, X: np.ndarray, y: np.ndarray) -> Var:
        """Mean binary cross-entropy over the rows of ``X`` (B, D) with labels ``y`` (B,)."""
        total = self.var_class(0.0)
        for xi, yi in zip(X, y, strict=True):
            total = total + bce_with_logit(self.logit(xi), float(yi))
        return total / float(len(y))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(class 1) for each row of ``X`` (B, D), computed in NumPy from the current values."""
        W1 = np.array([[v.value for v in row] for row in self.W1])  # (H, D)
        b1 = np.array([v.value for v in self.b1])  # (H,)
        w2 = np.array([v.value for v in self.w2])  # (H,)
        z = np.tanh(np.asarray(X, dtype=np.float64) @ W1.T + b1) @ w2 + self.b2.value  # (B,)
        return np.exp(-np.logaddexp(0.0, -z))


def train_var_mlp(
    model: VarMLP,
    X: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    lr: float = 0.5,
    batch_size: int = 32,
    rng: np.random.Generator,
    progress: bool = True,
) -> list[float]:
    """Mini-batch gradient descent on ``model.loss``; returns the mean loss of each epoch.

    Each step builds the graph of one mini-batch's loss, calls ``zero_grad()`` and
    ``backward()`` on it, and moves every parameter by ``-lr · grad``.
    """
    from tqdm.auto import tqdm

    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    params = model.parameters()
    history = []
    bar = tqdm(range(epochs), desc="training with Var", disable=not progress)
    for _epoch in bar:
        order = rng.permutation(len(y))
        losses = []
        for start in range(0, len(y), batch_size):
            rows = order[start : start + batch_size]
            loss = model.loss(X[rows], y[rows])
            loss.zero_grad()
            loss.backward()
            for p in params:
                p.value -= lr * p.grad
            losses.append(loss.value * len(rows))
        history.append(float(sum(losses) / len(y)))
        bar.set_postfix(loss=f"{history[-1]:.4f}")
    return history


def skip_mlp_grads_by_var(
    x: np.ndarray,
    y: np.ndarray,
    W1: np.ndarray,
    b1: np.ndarray,
    W2: np.ndarray,
    b2: np.ndarray,
    var_class: type[Var] = Var,
) -> dict[str, np.ndarray]:
    """∂J/∂(W2, b2, W1, b1, x) of the skip-connection MLP, from one scalar graph of ``Var`` nodes.

    Every entry of every array becomes a ``Var`` leaf; the summed BCE loss of the batch is built
    entry by entry (ReLU hidden layer, skip connection, ``bce_with_logit`` per output) and
    differentiated by ``var_class``'s backward rules.

    Args:
        x: (B, D); y: (B, D) labels in [0, 1]; W1: (H, D); b1: (H,); W2: (D, H); b2: (D,).

    Returns:
        dict with keys ``W2 b2 W1 b1 x``, each of the shape of the matching argument.
    """
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in
              {"x": x, "W1": W1, "b1": b1, "W2": W2, "b2": b2}.items()}
    leaves = {k: np.vectorize(lambda v: var_class(float(v)), otypes=[object])(a) for k, a in arrays.items()}
    X, y = leaves["x"], np.asarray(y, dtype=np.float64)
    B, D = arrays["x"].shape
    H = arrays["W1"].shape[0]
    total = var_class(0.0)
    for r in range(B):
        a1 = []
        for j in range(H):
            z = leaves["b1"][j]
            for i in range(D):
                z = z + leaves["W1"][j, i] * X[r, i]
            a1.append(z.relu())
        for i in range(D):
            z2 = leaves["b2"][i] + X[r, i]  # the skip connection
            for j in range(H):
                z2 = z2 + leaves["W2"][i, j] * a1[j]
            total = total + bce_with_logit(z2, float(y[r, i]))
    total.backward()
    return {k: np.vectorize(lambda v: v.grad, otypes=[np.float64])(leaves[k]) for k in ("W2", "b2", "W1", "b1", "x")}


def skip_mlp_graph(
    x: float, W1: Sequence[float], b1: Sequence[float], W2: Sequence[float], b2: float,
    var_class: type[Var] = Var,
) -> Var:
    """The graph of ŷ for one scalar input (D = 1) and H hidden units, with named nodes, to draw.

    Args:
        x: the input; W1, b1, W2: H numbers each (the one column of W1, b1, the one row of
            W2); b2: the output bias.

    Returns:
        The node ŷ = σ(Σ_j W2_j relu(W1_j x + b1_j) + b2 + x).
    """
    xv = var_class(float(x), "x")
    z2 = None
    for j, (w1, c1, w2) in enumerate(zip(W1, b1, W2, strict=True), start=1):
        z1 = (var_class(float(w1), f"W1_{j}") * xv + var_class(float(c1), f"b1_{j}")).named(f"z1_{j}")
        term = var_class(float(w2), f"W2_{j}") * z1.relu().named(f"a1_{j}")
        z2 = term if z2 is None else z2 + term
    if z2 is None:
        raise ValueError("W1, b1 and W2 need at least one hidden unit")
    z2 = ((z2 + var_class(float(b2), "b2")) + xv).named("z2")  # the skip connection: + x
    return z2.sigmoid().named("ŷ")


def skip_mlp_three_ways(
    formulas: Mapping[str, Callable[..., np.ndarray]],
    x: np.ndarray,
    y: np.ndarray,
    W1: np.ndarray,
    b1: np.ndarray,
    W2: np.ndarray,
    b2: np.ndarray,
    var_class: type[Var] = Var,
) -> str:
    """A printable table comparing ∂J/∂(W2, b2, W1, b1, x) of the skip-connection MLP computed
    three ways: by ``formulas[key](x, y, W1, b1, W2, b2)``, by ``skip_mlp_grads_by_var`` with
    ``var_class``, and by PyTorch autograd (the reference of the comparison).

    A formula or rule that is unwritten, raises or returns the wrong shape is reported in its
    cell of the table; nothing here raises because of it.
    """
    import torch

    args = [np.asarray(a, dtype=np.float64) for a in (x, y, W1, b1, W2, b2)]
    t = {k: torch.tensor(a, requires_grad=True) for k, a in zip(("x", "W1", "b1", "W2", "b2"),
                                                                 (args[0], *args[2:]), strict=True)}
    z2 = torch.relu(t["x"] @ t["W1"].T + t["b1"]) @ t["W2"].T + t["b2"] + t["x"]
    torch.nn.functional.binary_cross_entropy_with_logits(z2, torch.tensor(args[1]), reduction="sum").backward()
    truth = {k: v.grad.numpy() for k, v in t.items()}

    def difference(compute: Callable[[], object], key: str) -> str:
        try:
            got = np.asarray(compute(), dtype=np.float64)
        except Exception as exc:  # the student's code: report, never crash
            return explain_failure(exc).split(":")[0]
        if got.shape != truth[key].shape:
            return f"shape {got.shape} ≠ {truth[key].shape}"
        return f"{np.max(np.abs(got - truth[key])):.1e}"

    by_var: dict[str, np.ndarray] | None = None
    try:
        by_var = skip_mlp_grads_by_var(*args, var_class=var_class)
        var_note = ""
    except Exception as exc:  # an unwritten or broken rule
        var_note = explain_failure(exc).split(":")[0]
    rows = [f"{'':8}  {'largest |formula − PyTorch|':<32}  largest |Var − PyTorch|"]
    for key in ("W2", "b2", "W1", "b1", "x"):
        formula = formulas.get(key)
        left = "not given" if formula is None else difference(lambda f=formula: f(*args), key)
        right = var_note if by_var is None else difference(lambda k=key: by_var[k], key)
        rows.append(f"{'∂J/∂' + key:8}  {left:<32}  {right:<32}".rstrip())
    return "\n".join(rows)
