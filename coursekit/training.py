"""One mini-batch training loop for notebooks 10, 11 and 12.

``train`` fits a PyTorch model on ``(X, y)`` tensors with a named optimizer (or a factory),
evaluates the training and development sets after every epoch and returns a ``History``.
Everything random in it (the order of the mini-batches, dropout) comes from ``seed``: the same
model weights, data and seed give the same history, bit for bit, on the CPU.

Targets and accuracy follow the shape of the model's output:

* ``(B, K)`` with K > 1: integer class labels ``y`` (B,), prediction ``argmax``, for
  ``nn.CrossEntropyLoss`` (the default loss);
* ``(B,)`` or ``(B, 1)``: binary labels ``y`` (B,) of 0/1, cast to the output's dtype, for
  ``nn.BCEWithLogitsLoss`` (prediction: logit > 0) or ``nn.BCELoss`` on probabilities
  (prediction: probability > 0.5).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from coursekit.viz.training import visualize_configs, visualize_epochs

__all__ = [
    "ALL_METRICS",
    "METRICS",
    "OPTIMIZERS",
    "History",
    "early_stopping_epoch",
    "evaluate",
    "make_optimizer",
    "seed_everything",
    "train",
    "visualize_configs",
    "visualize_epochs",
]

Data = tuple[torch.Tensor, torch.Tensor]
OptimizerFactory = Callable[[Iterable[nn.Parameter], float], torch.optim.Optimizer]

METRICS = ("train_loss", "train_acc", "dev_loss", "dev_acc")
#: ``METRICS`` plus the test-set curves, recorded when ``train`` is given ``test_data``.
ALL_METRICS = (*METRICS, "test_loss", "test_acc")

#: Optimizers by name: ``name -> factory(params, lr)``.
OPTIMIZERS: dict[str, OptimizerFactory] = {
    "sgd": lambda params, lr: torch.optim.SGD(params, lr=lr),
    "momentum": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9),
    "adam": lambda params, lr: torch.optim.Adam(params, lr=lr),
    "adamw": lambda params, lr: torch.optim.AdamW(params, lr=lr),
    "rmsprop": lambda params, lr: torch.optim.RMSprop(params, lr=lr),
}


@dataclass
class History:
    """Per-epoch metrics of one training run (index e is the state after epoch e + 1).

    ``train_loss``/``dev_loss`` are mean losses per example and ``train_acc``/``dev_acc``
    fractions of correct predictions, all measured with the weights at the end of the epoch.
    ``config`` records the settings of the run. ``test_loss``/``test_acc`` stay empty unless
    ``train`` was given a test set.
    """

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    dev_loss: list[float] = field(default_factory=list)
    dev_acc: list[float] = field(default_factory=list)
    config: dict[str, object] = field(default_factory=dict)
    test_loss: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return len(self.train_loss)

    def metric(self, name: str) -> np.ndarray:
        """One metric as a float64 array of shape (epochs,)."""
        if name not in ALL_METRICS:
            raise ValueError(f"metric: unknown name {name!r}; valid names are: {ALL_METRICS}")
        return np.asarray(getattr(self, name), dtype=np.float64)

    def best(self, name: str = "dev_loss") -> tuple[int, float]:
        """``(epoch, value)`` of the best epoch (1-based) by a metric: lowest loss, top accuracy."""
        values = self.metric(name)
        if values.size == 0:
            raise ValueError("history is empty: no epoch was recorded")
        i = int(values.argmax() if name.endswith("acc") else values.argmin())
        return i + 1, float(values[i])


def early_stopping_epoch(val_losses: Sequence[float], patience: int) -> tuple[int, int]:
    """``(stop, best)``: when patience-based early stopping ends a run, and the epoch it keeps.

    ``val_losses[e - 1]`` is the validation loss after epoch ``e`` (epochs count from 1). An
    epoch is a new best when its loss is strictly lower than every earlier one (the first epoch
    always is). Training stops after epoch ``stop``, the first epoch that comes ``patience``
    epochs after the latest best; when that never happens, ``stop`` is the last epoch. ``best``
    is the best epoch among ``1..stop``, whose weights early stopping would keep.
    """
    losses = np.asarray(val_losses, dtype=np.float64)
    if losses.ndim != 1 or losses.size == 0:
        raise ValueError(f"val_losses must be a non-empty 1-D sequence, got shape {losses.shape}")
    if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 1:
        raise ValueError(f"patience must be a positive integer, got {patience!r}")
    # BEGIN SOLUTION
    best_epoch, best_loss = 1, losses[0]
    for epoch in range(2, losses.size + 1):
        if losses[epoch - 1] < best_loss:
            best_epoch, best_loss = epoch, losses[epoch - 1]
        elif epoch - best_epoch >= patience:
            return epoch, best_epoch
    return int(losses.size), best_epoch
    # END SOLUTION


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and PyTorch's global generator.

    Call it before building a model so that its initial weights are reproducible.
    """
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def make_optimizer(
    optimizer: str | OptimizerFactory, params: Iterable[nn.Parameter], lr: float
) -> torch.optim.Optimizer:
    """An optimizer from a name of ``OPTIMIZERS`` or a factory ``(params, lr) -> Optimizer``."""
    if callable(optimizer):
        return optimizer(params, lr)
    if optimizer not in OPTIMIZERS:
        raise ValueError(
            f"optimizer: unknown name {optimizer!r}; valid names are: {', '.join(OPTIMIZERS)}"
            " (or pass a factory (params, lr) -> torch.optim.Optimizer)"
        )
    return OPTIMIZERS[optimizer](params, lr)


def _as_data(data: object, what: str, device: str | torch.device) -> Data:
    """Check an ``(X, y)`` pair and move it to ``device`` as tensors."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"{what} must be a pair (X, y) of tensors, got {type(data).__name__}")
    X, y = (torch.as_tensor(a) for a in data)
    if X.ndim < 1 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(
            f"{what}: X (B, ...) and y (B,) must have the same first dimension; "
            f"got X {tuple(X.shape)} and y {tuple(y.shape)}"
        )
    if X.shape[0] == 0:
        raise ValueError(f"{what} is empty")
    if not torch.is_floating_point(X):
        raise TypeError(f"{what}: X must be a floating-point tensor, got {X.dtype}")
    if torch.isnan(X).any():
        raise ValueError(f"{what}: X contains NaN")
    return X.to(device), y.to(device)


def _loss_and_correct(
    model: nn.Module, loss_fn: nn.Module, X: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean loss over the batch and the number of correct predictions."""
    out = model(X)
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]  # (B,)
    if out.ndim == 1:
        target = y.to(out.dtype)
        threshold = 0.5 if isinstance(loss_fn, nn.BCELoss) else 0.0
        correct = ((out > threshold) == (target > 0.5)).sum()
    else:
        target = y.long()
        correct = (out.argmax(dim=1) == target).sum()
    return loss_fn(out, target), correct


@torch.no_grad()
def evaluate(
    model: nn.Module,
    data: Data,
    *,
    loss_fn: nn.Module | None = None,
    batch_size: int = 1024,
    device: str | torch.device = "cpu",
) -> tuple[float, float]:
    """``(mean loss, accuracy)`` of ``model`` on ``data = (X (B, D), y (B,))``, in eval mode.

    ``loss_fn`` must average over the batch (the PyTorch default); it defaults to
    ``nn.CrossEntropyLoss()``.
    """
    loss_fn = nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    X, y = _as_data(data, "data", device)
    was_training = model.training
    model.eval()
    total_loss, total_correct = 0.0, 0
    for start in range(0, X.shape[0], batch_size):
        xb, yb = X[start : start + batch_size], y[start : start + batch_size]
        loss, correct = _loss_and_correct(model, loss_fn, xb, yb)
        total_loss += loss.item() * xb.shape[0]
        total_correct += int(correct)
    model.train(was_training)
    return total_loss / X.shape[0], total_correct / X.shape[0]


def train(
    model: nn.Module,
    train_data: Data,
    dev_data: Data,
    *,
    loss_fn: nn.Module | None = None,
    optimizer: str | OptimizerFactory = "adam",
    lr: float = 1e-3,
    epochs: int = 10,
    batch_size: int = 64,
    seed: int = 0,
    device: str | torch.device = "cpu",
    progress: bool = True,
    desc: str | None = None,
    test_data: Data | None = None,
    on_epoch: Callable[[int, History], None] | None = None,
) -> History:
    """Train ``model`` in place with mini-batches and return its per-epoch ``History``.

    Parameters
    ----------
    model : nn.Module
        Maps X (B, D) to logits (B, K), or to one score per example (B,) or (B, 1).
    train_data, dev_data : (X, y)
        X (B, D) float tensors, y (B,) labels (see the module docstring).
    loss_fn : nn.Module, optional
        A loss averaged over the batch; ``nn.CrossEntropyLoss()`` by default.
    optimizer : str or callable
        A name of ``OPTIMIZERS`` (sgd, momentum, adam, adamw, rmsprop) or a factory
        ``(params, lr) -> torch.optim.Optimizer``.
    lr, epochs, batch_size : learning rate, passes over the training set, examples per step.
    seed : int
        Seeds the shuffling of the training set and PyTorch's generator during training (the
        global generator is restored afterwards). Seed the initial weights yourself, with
        ``seed_everything`` before building the model.
    device : "cpu", "cuda", ...
    progress : bool
        Show a tqdm progress bar over epochs with the latest metrics.
    desc : str, optional
        Label of the progress bar.
    test_data : (X, y), optional
        Also evaluated after every epoch, into ``history.test_loss`` and ``history.test_acc``
        (for plots only: choose nothing by it).
    on_epoch : callable, optional
        ``on_epoch(epoch, history)`` after every epoch (``epoch`` counts from 1; ``history``
        holds the metrics so far). An exception it raises ends the training and propagates:
        an Optuna objective raises ``optuna.TrialPruned`` this way.

    The model is left in eval mode, ready for predictions.
    """
    from tqdm.auto import tqdm

    loss_fn = nn.CrossEntropyLoss() if loss_fn is None else loss_fn
    for value, what in ((epochs, "epochs"), (batch_size, "batch_size")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{what} must be a positive integer, got {value!r}")
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    X_train, y_train = _as_data(train_data, "train_data", device)
    dev = _as_data(dev_data, "dev_data", device)
    test = None if test_data is None else _as_data(test_data, "test_data", device)
    model.to(device)
    opt = make_optimizer(optimizer, model.parameters(), lr)
    history = History(
        config={
            "optimizer": optimizer if isinstance(optimizer, str) else repr(optimizer),
            "lr": lr,
            "epochs": epochs,
            "batch_size": batch_size,
            "seed": seed,
            "loss": type(loss_fn).__name__,
        }
    )
    order_gen = torch.Generator().manual_seed(seed)
    n = X_train.shape[0]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        bar = tqdm(range(epochs), desc=desc, disable=not progress, leave=False)
        for _ in bar:
            model.train()
            order = torch.randperm(n, generator=order_gen).to(device)
            for start in range(0, n, batch_size):
                idx = order[start : start + batch_size]
                loss, _ = _loss_and_correct(model, loss_fn, X_train[idx], y_train[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
            splits = [("train", (X_train, y_train)), ("dev", dev)]
            if test is not None:
                splits.append(("test", test))
            for split, data in splits:
                loss_value, acc = evaluate(model, data, loss_fn=loss_fn, device=device)
                getattr(history, f"{split}_loss").append(loss_value)
                getattr(history, f"{split}_acc").append(acc)
            bar.set_postfix(
                train_loss=f"{history.train_loss[-1]:.4f}",
                dev_loss=f"{history.dev_loss[-1]:.4f}",
                dev_acc=f"{history.dev_acc[-1]:.3f}",
            )
            if on_epoch is not None:
                try:
                    on_epoch(history.epochs, history)
                except BaseException:
                    bar.close()
                    model.eval()
                    raise
        bar.close()
    model.eval()
    return history
