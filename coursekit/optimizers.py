"""Notebook 11: gradient descent, momentum and Adam on a scalar ReLU network.

The network is notebook 05's, with one input, ``k`` hidden ReLU units and one output::

    y(x) = sum_i w2_i max(0, w1_i x + b1_i) + b2

Unit i bends the function at its kink ``x_i = -b1_i / w1_i``. It is fitted to noisy samples of a
curve by full-batch gradient descent on the mean squared error, from one starting point shared
by every optimiser, and ``Run`` records snapshots of the learned function along the way.

The update rules, for a parameter array ``theta`` with gradient ``g`` (the exercises):

* momentum, as ``torch.optim.SGD(momentum=mu)`` writes it: the velocity accumulates gradients,
  ``v <- mu v + g``, and the step is ``theta <- theta - lr v``;
* Adam (``torch.optim.Adam``): moving averages ``m <- b1 m + (1 - b1) g`` and
  ``v <- b2 v + (1 - b2) g^2``, bias-corrected at step ``t`` (counted from 1) as
  ``m_hat = m / (1 - b1^t)`` and ``v_hat = v / (1 - b2^t)``; the step is
  ``theta <- theta - lr m_hat / (sqrt(v_hat) + eps)``.

Shapes: ``n`` training points, ``k`` hidden units, ``P`` plotting points, ``S`` snapshots,
``E`` epochs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import torch

from coursekit.training import OPTIMIZERS

__all__ = [
    "PARAM_NAMES",
    "Run",
    "adam_step",
    "fit",
    "fit_with_step",
    "init_params",
    "momentum_step",
    "net_forward",
    "target_data",
]

PARAM_NAMES = ("w1", "b1", "w2", "b2")
Params = dict[str, np.ndarray]


def momentum_step(
    theta: np.ndarray, grad: np.ndarray, velocity: np.ndarray, lr: float, mu: float = 0.9
) -> tuple[np.ndarray, np.ndarray]:
    """One step of gradient descent with momentum: ``(new theta, new velocity)``.

    ``velocity <- mu * velocity + grad`` and ``theta <- theta - lr * velocity`` (PyTorch's
    convention; start from a zero velocity). All arrays have the shape of ``theta``; nothing is
    changed in place.
    """
    theta, grad, velocity = (np.asarray(a, dtype=np.float64) for a in (theta, grad, velocity))
    # BEGIN SOLUTION
    new_velocity = mu * velocity + grad
    return theta - lr * new_velocity, new_velocity
    # END SOLUTION


def adam_step(
    theta: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    t: int,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One Adam step: ``(new theta, new m, new v)`` (PyTorch's ``torch.optim.Adam``).

    ``m`` and ``v`` are the moving averages of the gradient and of its square (zeros before the
    first step) and ``t`` the number of this step, counted from 1. All arrays have the shape of
    ``theta``; nothing is changed in place.
    """
    theta, grad, m, v = (np.asarray(a, dtype=np.float64) for a in (theta, grad, m, v))
    # BEGIN SOLUTION
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
    # END SOLUTION


def target_data(
    n: int = 40, noise: float = 0.05, seed: int = 0, low: float = -2.0, high: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` evenly spaced points x (n,) in [low, high] and y = sin(2x) + Gaussian noise (n,)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    x = np.linspace(low, high, n)
    y = np.sin(2 * x) + noise * np.random.default_rng(seed).standard_normal(n)
    return x, y


def init_params(k: int = 12, seed: int = 0, low: float = -2.0, high: float = 2.0) -> Params:
    """A starting point with the kinks spread uniformly over [low, high].

    ``w1 ~ N(0, 1)``, kinks ``~ U(low, high)`` (so ``b1 = -w1 * kink``), ``w2 ~ N(0, 1/k)``,
    ``b2 = 0``. Returns float64 arrays ``w1, b1, w2`` (k,) and ``b2`` of shape ().
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    rng = np.random.default_rng(seed)
    w1 = rng.standard_normal(k)
    kink = rng.uniform(low, high, size=k)
    return {
        "w1": w1,
        "b1": -w1 * kink,
        "w2": rng.standard_normal(k) / np.sqrt(k),
        "b2": np.zeros(()),
    }


def net_forward(params: Mapping[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """``y(x)`` of the network at every x: x (n,) -> (n,), in NumPy."""
    x = np.asarray(x, dtype=np.float64)
    hidden = np.maximum(np.outer(x, params["w1"]) + params["b1"], 0.0)  # (n, k)
    return hidden @ params["w2"] + params["b2"]  # (n,)


def _torch_forward(p: Mapping[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    return torch.relu(x[:, None] * p["w1"] + p["b1"]) @ p["w2"] + p["b2"]  # (n,)


@dataclass
class Run:
    """A training run: the loss after every epoch and snapshots of the learned function.

    Attributes:
        name: label of the run, e.g. ``"adam"`` or ``"your adam"``.
        family: the update rule, ``"sgd"``, ``"momentum"`` or ``"adam"``.
        lr: learning rate.
        loss: (E + 1,) training MSE after 0, 1, ..., E updates.
        epochs: (S,) the epochs of the snapshots (0 and E included).
        x_plot: (P,) where the learned function is recorded.
        predictions: (S, P) the learned function at each snapshot.
        params: name -> (S, k) (or (S,) for ``b2``) the parameters at each snapshot.
        note: why the run is missing or stopped early ("" when it completed).
        mine: True for a run that used the student's update rule.
    """

    name: str
    family: str
    lr: float
    loss: np.ndarray
    epochs: np.ndarray
    x_plot: np.ndarray
    predictions: np.ndarray
    params: dict[str, np.ndarray] = field(default_factory=dict)
    note: str = ""
    mine: bool = False

    def kinks(self, snapshot: int) -> np.ndarray:
        """(k,) kink positions ``-b1 / w1`` at one snapshot (NaN for a unit with ``w1 = 0``)."""
        w1, b1 = self.params["w1"][snapshot], self.params["b1"][snapshot]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(w1 != 0, -b1 / np.where(w1 != 0, w1, 1.0), np.nan)

    def snapshot_at(self, epoch: int) -> int:
        """Index of the last snapshot taken at or before ``epoch``."""
        return int(max(np.searchsorted(self.epochs, epoch, side="right") - 1, 0))


def _snapshot_epochs(epochs: int, every: int) -> np.ndarray:
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"every must be a positive integer, got {every!r}")
    return np.unique(np.r_[np.arange(0, epochs, every), epochs])


class _Recorder:
    """Collects the loss after every epoch and the snapshots of one run (NaN where none)."""

    def __init__(self, epochs: int, every: int, x_plot: np.ndarray, k: int) -> None:
        self.epochs = _snapshot_epochs(epochs, every)  # (S,)
        self.x_plot = np.asarray(x_plot, dtype=np.float64)  # (P,)
        n_snap = self.epochs.size
        self.loss = np.full(epochs + 1, np.nan)  # (E + 1,)
        self.predictions = np.full((n_snap, self.x_plot.size), np.nan)  # (S, P)
        self.params = {name: np.full((n_snap, k), np.nan) for name in ("w1", "b1", "w2")}
        self.params["b2"] = np.full(n_snap, np.nan)  # (S,)

    def record(self, epoch: int, params: Mapping[str, np.ndarray], loss: float) -> None:
        self.loss[epoch] = loss
        s = int(np.searchsorted(self.epochs, epoch))
        if s < self.epochs.size and self.epochs[s] == epoch:
            self.predictions[s] = net_forward(params, self.x_plot)
            for name in PARAM_NAMES:
                self.params[name][s] = params[name]

    def run(self, name: str, family: str, lr: float, note: str = "", mine: bool = False) -> Run:
        return Run(name, family, lr, self.loss, self.epochs, self.x_plot, self.predictions,
                   self.params, note, mine)  # fmt: skip


def _mse(p: Mapping[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((_torch_forward(p, x) - y) ** 2).mean()


def _as_numpy(p: Mapping[str, torch.Tensor]) -> Params:
    return {name: p[name].detach().numpy().copy() for name in PARAM_NAMES}


def _check_params(params: Mapping[str, np.ndarray]) -> None:
    missing = [name for name in PARAM_NAMES if name not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; expected keys {PARAM_NAMES}")


def fit(
    optimizer: str,
    x: np.ndarray,
    y: np.ndarray,
    params: Mapping[str, np.ndarray],
    *,
    lr: float,
    epochs: int,
    every: int = 10,
    x_plot: np.ndarray | None = None,
    name: str | None = None,
) -> Run:
    """Fit the network from ``params`` with a PyTorch optimiser; one full-batch step per epoch.

    ``optimizer`` is ``"sgd"``, ``"momentum"`` (SGD with momentum 0.9) or ``"adam"`` (the
    factories of ``coursekit.training.OPTIMIZERS``). Snapshots every ``every`` epochs.
    """
    if optimizer not in ("sgd", "momentum", "adam"):
        raise ValueError(f"optimizer must be 'sgd', 'momentum' or 'adam', got {optimizer!r}")
    _check_params(params)
    x_plot = np.linspace(np.min(x) - 0.5, np.max(x) + 0.5, 200) if x_plot is None else x_plot
    xt, yt = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)
    p = {k: torch.tensor(np.asarray(params[k], dtype=np.float64), requires_grad=True)
         for k in PARAM_NAMES}  # fmt: skip
    opt = OPTIMIZERS[optimizer](list(p.values()), lr)
    rec = _Recorder(epochs, every, x_plot, np.size(params["w1"]))
    for epoch in range(epochs + 1):
        loss = _mse(p, xt, yt)
        rec.record(epoch, _as_numpy(p), float(loss.detach()))
        if epoch == epochs:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    return rec.run(name or optimizer, optimizer, lr)


def fit_with_step(
    rule: str,
    step: Callable[..., tuple],
    x: np.ndarray,
    y: np.ndarray,
    params: Mapping[str, np.ndarray],
    *,
    lr: float,
    epochs: int,
    every: int = 10,
    x_plot: np.ndarray | None = None,
    name: str | None = None,
) -> Run:
    """Like ``fit``, but each update is a NumPy ``step`` function (a student's, for example).

    ``rule="momentum"``: ``step(theta, grad, velocity, lr)`` -> ``(theta, velocity)`` with the
    momentum 0.9 default; ``rule="adam"``: ``step(theta, grad, m, v, t, lr)`` ->
    ``(theta, m, v)``. Gradients come from PyTorch autograd. When ``step`` raises or returns
    something unusable, the run stops there and ``note`` says why; it never raises.
    """
    if rule not in ("momentum", "adam"):
        raise ValueError(f"rule must be 'momentum' or 'adam', got {rule!r}")
    _check_params(params)
    label = name or f"your {rule}"
    func = getattr(step, "__name__", "your step function")
    x_plot = np.linspace(np.min(x) - 0.5, np.max(x) + 0.5, 200) if x_plot is None else x_plot
    xt, yt = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)
    theta = {k: np.array(params[k], dtype=np.float64) for k in PARAM_NAMES}
    state = {k: [np.zeros_like(theta[k])] * (1 if rule == "momentum" else 2) for k in PARAM_NAMES}
    rec = _Recorder(epochs, every, x_plot, np.size(params["w1"]))
    note = ""
    for epoch in range(epochs + 1):
        p = {k: torch.tensor(theta[k], requires_grad=True) for k in PARAM_NAMES}
        loss = _mse(p, xt, yt)
        if not torch.isfinite(loss):
            note = f"the loss became {float(loss.detach())} at epoch {epoch}"
            break
        rec.record(epoch, theta, float(loss.detach()))
        if epoch == epochs:
            break
        grads = torch.autograd.grad(loss, list(p.values()))
        try:
            for k, g in zip(PARAM_NAMES, grads, strict=True):
                g = g.numpy().copy()
                if rule == "momentum":
                    out = step(theta[k], g, state[k][0], lr)
                else:
                    out = step(theta[k], g, state[k][0], state[k][1], epoch + 1, lr)
                parts = [np.asarray(a, dtype=np.float64) for a in out]
                if len(parts) != len(state[k]) + 1 or any(a.shape != theta[k].shape for a in parts):
                    raise ValueError(
                        f"expected {len(state[k]) + 1} arrays of shape {theta[k].shape}, got "
                        f"shapes {[a.shape for a in parts]}"
                    )
                theta[k], state[k] = parts[0], parts[1:]
        except NotImplementedError:
            note = f"{func} is not written yet"
            break
        except Exception as exc:  # a student's bug: report it, keep the other runs
            note = f"{func} raised {type(exc).__name__}: {exc}"
            break
    return rec.run(label, rule, lr, note=note, mine=True)
