"""Notebook 00: small experiments behind the concept questions.

* ``mlp_forward``: the forward pass of a fully connected ReLU network for a whole batch at
  once (the exercise), and ``looped_forward``, the same numbers one example at a time, for the
  timing comparison. Weights follow the ``nn.Linear`` layout: layer l maps ``H_{l-1}`` inputs
  to ``H_l`` outputs with ``W_l`` of shape ``(H_l, H_{l-1})`` and ``b_l`` of shape ``(H_l,)``.
* ``symmetry_run``: full-batch training of a one-hidden-layer net from zero, constant or random
  weights, recording the hidden units' weights (does the symmetry ever break?).
* ``dropout_outputs``: a fixed network with dropout run many times in training mode, and once
  in evaluation mode.
* ``gradient_norms``: the size of the loss gradient at every layer of a deep net at
  initialisation (vanishing gradients, saturated sigmoids).
* ``train_feature_net`` and ``unit_maps``: what each hidden unit of a small trained net
  responds to over the plane (deeper units combine earlier ones).
* ``zigzag_paths``: gradient descent on the weights of one neuron whose inputs are all
  positive (sigmoid outputs) or centred on zero (tanh outputs).

Everything random takes a seed; nothing here plots (see ``coursekit.viz.concepts``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

__all__ = [
    "ACTIVATIONS",
    "dropout_outputs",
    "gradient_norms",
    "looped_forward",
    "mlp_forward",
    "symmetry_run",
    "train_feature_net",
    "unit_maps",
    "zigzag_paths",
]

#: Activations of the experiments, by name.
ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


def _activation(name: str):
    if name not in ACTIVATIONS:
        raise ValueError(f"activation: unknown name {name!r}; valid names are: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def mlp_forward(
    X: np.ndarray, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray]
) -> np.ndarray:
    """Outputs (B, K) of a fully connected network on a batch X (B, D).

    ``weights[l]`` is ``W_{l+1}`` (H_{l+1}, H_l) and ``biases[l]`` is ``b_{l+1}`` (H_{l+1},),
    with ``H_0 = D`` and the last layer's size ``K``. Hidden layers apply ReLU; the last layer
    is linear: ``h_0 = X``, ``h_l = ReLU(h_{l-1} W_lᵀ + b_l)``, output ``h_{L-1} W_Lᵀ + b_L``.
    One loop over the layers, none over the examples.
    """
    # BEGIN SOLUTION
    h = np.asarray(X, dtype=np.float64)  # (B, H_0)
    for layer, (W, b) in enumerate(zip(weights, biases, strict=True)):
        h = h @ np.asarray(W, dtype=np.float64).T + np.asarray(b, dtype=np.float64)  # (B, H_l)
        if layer < len(weights) - 1:
            h = np.maximum(h, 0.0)
    return h
    # END SOLUTION


def looped_forward(
    X: np.ndarray, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray]
) -> np.ndarray:
    """The outputs of ``mlp_forward``, computed one example at a time (a loop over the batch).

    Slow on purpose: it shows what vectorising over the examples saves.
    """
    X = np.asarray(X, dtype=np.float64)
    rows = []
    last = len(weights) - 1
    for x in X:  # one example (D,)
        a = x
        for layer in range(len(weights)):
            a = np.dot(weights[layer], a) + biases[layer]  # (H_l,)
            if layer < last:
                a = a * (a > 0)
        rows.append(a)
    return np.stack(rows)  # (B, K)


def _xor_like(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Points of the plane labelled by the sign of x1·x2: no line separates them."""
    g = torch.Generator().manual_seed(seed)
    X = 2 * torch.rand(n, 2, generator=g, dtype=torch.float64) - 1  # (n, 2)
    y = (X[:, 0] * X[:, 1] > 0).to(torch.float64)  # (n,)
    return X, y


def symmetry_run(
    init: str,
    *,
    hidden: int = 4,
    steps: int = 300,
    lr: float = 0.5,
    value: float = 0.5,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Train ``x (2) -> tanh layer (hidden) -> sigmoid output`` by full-batch gradient descent.

    ``init`` is ``"zeros"`` (every weight and bias 0), ``"constant"`` (every weight and bias
    ``value``) or ``"random"`` (PyTorch's default initialisation, seeded by ``seed``). The data
    are 200 points labelled by the sign of x1·x2, and the loss is the binary cross-entropy.

    Returns ``"W1"`` (steps + 1, hidden, 3): each hidden unit's two weights and bias after every
    step (row 0 is the start), ``"loss"`` (steps + 1,) and ``"accuracy"`` (steps + 1,).
    """
    if init not in ("zeros", "constant", "random"):
        raise ValueError(f"init must be 'zeros', 'constant' or 'random', got {init!r}")
    X, y = _xor_like(200, seed + 1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 1)).double()
    if init != "random":
        with torch.no_grad():
            for p in net.parameters():
                p.fill_(0.0 if init == "zeros" else value)
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    weights, losses, accs = [], [], []

    def record() -> None:
        with torch.no_grad():
            first = net[0]
            weights.append(torch.cat([first.weight, first.bias[:, None]], dim=1).numpy().copy())
            logits = net(X)[:, 0]
            losses.append(float(loss_fn(logits, y)))
            accs.append(float(((logits > 0).double() == y).double().mean()))

    record()
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(net(X)[:, 0], y).backward()
        opt.step()
        record()
    return {"W1": np.stack(weights), "loss": np.array(losses), "accuracy": np.array(accs)}


def dropout_outputs(p: float = 0.5, passes: int = 1000, seed: int = 0) -> dict[str, np.ndarray]:
    """One input through a fixed 4 -> 16 -> 3 ReLU net with dropout ``p`` on the hidden layer.

    Returns ``"train"`` (passes, 3): the outputs of ``passes`` forward passes in training mode
    (a new random mask each time), and ``"eval"`` (3,): the output in evaluation mode (no mask;
    PyTorch scales the kept units by 1 / (1 - p) during training instead).
    """
    if not 0 <= p < 1:
        raise ValueError(f"p must lie in [0, 1), got {p!r}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(p), nn.Linear(16, 3)).double()
        x = torch.randn(1, 4, dtype=torch.float64)
        net.train()
        with torch.no_grad():
            train = torch.cat([net(x) for _ in range(passes)])  # (passes, 3)
        net.eval()
        with torch.no_grad():
            evaluated = net(x)[0]  # (3,)
    return {"train": train.numpy(), "eval": evaluated.numpy()}


def gradient_norms(
    activation: str = "sigmoid",
    depth: int = 10,
    *,
    width: int = 32,
    init: str = "normal",
    scale: float = 1.0,
    residual: bool = False,
    batch: int = 128,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Gradient sizes through a deep net at initialisation, layer by layer.

    The net maps 16 inputs through ``depth`` hidden layers of ``width`` units with
    ``activation`` to one output, with a mean-squared-error loss against random targets.
    ``init="normal"`` draws each weight from N(0, scale² / fan_in) (``scale = 1`` keeps the
    size of a signal roughly constant for tanh); ``init="positive"`` draws it from
    U(0, 2·scale / sqrt(fan_in)), all positive, so sigmoid units pile up near 1. Biases are 0.
    ``residual=True`` adds a skip connection around every hidden layer after the first,
    ``h_l = h_{l-1} + act(h_{l-1} W_lᵀ)``, so the gradient has a path that skips the activations.

    Returns ``"grad"`` (depth + 1,): the Frobenius norm of ∂loss/∂W for each weight matrix,
    input layer first, and ``"pre"`` (batch, width): the pre-activations of the last hidden
    layer, and ``"saturated"``: the fraction of hidden units (over all layers and examples)
    whose activation derivative is below 1 % of its largest value.
    """
    act = _activation(activation)
    if init not in ("normal", "positive"):
        raise ValueError(f"init must be 'normal' or 'positive', got {init!r}")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be a positive integer, got {depth!r}")
    g = torch.Generator().manual_seed(seed)
    sizes = [16] + [width] * depth + [1]
    Ws = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        if init == "normal":
            W = torch.randn(n_out, n_in, generator=g, dtype=torch.float64) * scale / np.sqrt(n_in)
        else:
            W = torch.rand(n_out, n_in, generator=g, dtype=torch.float64) * 2 * scale / np.sqrt(n_in)
        Ws.append(W.requires_grad_(True))
    x = torch.randn(batch, 16, generator=g, dtype=torch.float64)
    target = torch.randn(batch, 1, generator=g, dtype=torch.float64)
    h, pre, slopes = x, x, []
    for layer, W in enumerate(Ws[:-1]):
        pre = h @ W.T  # (batch, width)
        h = h + act(pre) if residual and layer > 0 else act(pre)
        with torch.no_grad():
            if activation == "sigmoid":
                s = torch.sigmoid(pre)
                slopes.append((s * (1 - s) / 0.25).flatten())
            elif activation == "tanh":
                slopes.append((1 - torch.tanh(pre) ** 2).flatten())
            else:
                slopes.append((pre > 0).double().flatten())
    out = h @ Ws[-1].T
    loss = ((out - target) ** 2).mean()
    grads = torch.autograd.grad(loss, Ws)
    saturated = float((torch.cat(slopes) < 0.01).double().mean())
    return {
        "grad": np.array([float(gw.norm()) for gw in grads]),
        "pre": pre.detach().numpy(),
        "saturated": np.float64(saturated),
    }


def train_feature_net(
    hidden: tuple[int, int] = (6, 6), steps: int = 1500, lr: float = 0.03, seed: int = 0
) -> tuple[nn.Sequential, np.ndarray, np.ndarray]:
    """A ``2 -> hidden[0] -> hidden[1] -> 1`` tanh net trained on two rings (full batch, Adam).

    Returns ``(net, X (400, 2), y (400,))``; class 1 is the inner ring.
    """
    from coursekit.data.twod import TwoClassData

    X, y = TwoClassData("circles", noise=0.08, seed=seed, factor=0.45).sample(400)
    Xt, yt = torch.tensor(X), torch.tensor(y, dtype=torch.float64)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = nn.Sequential(
            nn.Linear(2, hidden[0]), nn.Tanh(), nn.Linear(hidden[0], hidden[1]), nn.Tanh(), nn.Linear(hidden[1], 1)
        ).double()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(net(Xt)[:, 0], yt).backward()
        opt.step()
    net.eval()
    return net, X, y


def unit_maps(net: nn.Sequential, lim: float = 1.6, n: int = 80) -> list[np.ndarray]:
    """The activation of every hidden unit of ``net`` over an n × n grid of [-lim, lim]².

    Returns one array per hidden layer, (H_l, n, n), with row i of the grid at x2 = the i-th
    grid value (so ``imshow(..., origin="lower")`` shows the plane the usual way round).
    """
    grid = np.linspace(-lim, lim, n)
    xx, yy = np.meshgrid(grid, grid)
    h = torch.tensor(np.stack([xx.ravel(), yy.ravel()], axis=1))  # (n², 2)
    maps = []
    with torch.no_grad():
        for module in net:
            h = module(h)
            if not isinstance(module, nn.Linear):
                maps.append(h.T.reshape(-1, n, n).numpy().copy())
    return maps


def zigzag_paths(
    steps: int = 60, lr: float = 0.5, target: tuple[float, float] = (1.5, -1.5), seed: int = 0
) -> dict[str, dict[str, np.ndarray]]:
    """Stochastic gradient descent on the two weights of one linear unit, from w = (0, 0).

    The unit sees inputs ``h = f(z)`` with z ~ N(0, 2²) in each coordinate and f the sigmoid
    (every input positive) or tanh (inputs centred on zero), and learns the target
    ``t = target · h`` with the squared error ½(w·h − t)², one example per step.

    For each of ``"sigmoid"`` and ``"tanh"``: ``"path"`` (steps + 1, 2), the weights after every
    step, and ``"inputs"`` (steps, 2), the inputs seen. Every step moves w along ±h: with
    positive inputs both weights move up together or down together.
    """
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=2.0, size=(steps, 2))
    w_star = np.asarray(target, dtype=np.float64)
    out = {}
    for name, f in (("sigmoid", lambda v: 1 / (1 + np.exp(-v))), ("tanh", np.tanh)):
        H = f(z)  # (steps, 2)
        w = np.zeros(2)
        path = [w.copy()]
        for h in H:
            w = w - lr * (w @ h - w_star @ h) * h
            path.append(w.copy())
        out[name] = {"path": np.array(path), "inputs": H}
    return out
