"""Hyperparameter studies for notebooks 11 and 12.

* ``make_net``: the small fully connected nets the studies train (``depth`` hidden layers of
  ``width`` units, built with ``nn.Sequential``).
* ``depth_width_grid``: train a net for every (depth, width) cell several times, in parallel
  over the CPU cores with joblib, and summarise the final metric by its mean and spread.
* Optuna helpers (``suggest_config``, ``make_objective``, ``run_study``, ``study_records``,
  ``study_histories``, ``param_importances``): a Bayesian (TPE) search over depth, width, a
  log-uniform learning rate and the batch size. Optuna is imported only when they run, so the
  rest of the module works without it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from coursekit.mlp import make_activation
from coursekit.training import METRICS, History, train

__all__ = [
    "DEFAULT_SPACE",
    "GridResult",
    "depth_width_grid",
    "make_net",
    "make_objective",
    "param_importances",
    "require_optuna",
    "run_study",
    "study_histories",
    "study_records",
    "suggest_config",
]

Data = tuple[Any, Any]

#: The search space of notebook 12: ``name -> ("categorical", values)`` or
#: ``name -> ("log_uniform", low, high)``.
DEFAULT_SPACE: dict[str, tuple] = {
    "depth": ("categorical", (1, 2, 3, 5)),
    "width": ("categorical", (5, 10, 20, 30)),
    "lr": ("log_uniform", 1e-3, 1e-1),
    "batch_size": ("categorical", (32, 64, 128)),
}


def make_net(
    input_dim: int,
    depth: int,
    width: int,
    output_dim: int = 1,
    activation: str = "tanh",
    output_activation: str | None = None,
) -> nn.Sequential:
    """``depth`` hidden layers of ``width`` units between ``input_dim`` inputs and ``output_dim``.

    ``depth = 0`` gives a single linear layer (logistic regression with a BCE loss).
    ``output_activation="sigmoid"`` appends ``nn.Sigmoid`` for ``nn.BCELoss``, which takes
    probabilities; leave it ``None`` for ``nn.BCEWithLogitsLoss``, which takes logits.
    """
    for value, what in ((input_dim, "input_dim"), (width, "width"), (output_dim, "output_dim")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{what} must be a positive integer, got {value!r}")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise ValueError(f"depth must be an integer >= 0, got {depth!r}")
    modules: list[nn.Module] = []
    n_in = input_dim
    for _ in range(depth):
        modules += [nn.Linear(n_in, width), make_activation(activation)]
        n_in = width
    modules.append(nn.Linear(n_in, output_dim))
    if output_activation is not None:
        modules.append(make_activation(output_activation))
    return nn.Sequential(*modules)


def _cell_seed(seed: int, *cell: int) -> int:
    """An independent seed for one cell of a study, the same whatever the worker."""
    return int(np.random.SeedSequence([seed, *cell]).generate_state(1)[0])


def _train_cell(
    data: Data, depth: int, width: int, seed: int, settings: Mapping[str, Any]
) -> History:
    (train_data, dev_data) = data
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = make_net(
            int(train_data[0].shape[1]), depth, width, activation=settings["activation"]
        )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small nets: one thread per run, one run per core
    try:
        return train(
            model,
            train_data,
            dev_data,
            loss_fn=nn.BCEWithLogitsLoss(),
            optimizer=settings["optimizer"],
            lr=settings["lr"],
            epochs=settings["epochs"],
            batch_size=settings["batch_size"],
            seed=seed,
            progress=False,
        )
    finally:
        torch.set_num_threads(threads)


@dataclass(frozen=True)
class GridResult:
    """Final ``metric`` of every run: ``values`` (n_depths, n_widths, repeats), its ``mean``
    and standard deviation ``std`` over the repeats, both (n_depths, n_widths)."""

    depths: tuple[int, ...]
    widths: tuple[int, ...]
    metric: str
    values: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        return self.values.mean(axis=2)

    @property
    def std(self) -> np.ndarray:
        return self.values.std(axis=2)


def depth_width_grid(
    depths: Sequence[int],
    widths: Sequence[int],
    repeats: int,
    data: Data,
    n_jobs: int = -1,
    *,
    epochs: int = 25,
    lr: float = 0.01,
    batch_size: int = 32,
    activation: str = "tanh",
    optimizer: str = "adam",
    metric: str = "dev_loss",
    seed: int = 0,
) -> GridResult:
    """Train ``make_net(D, depth, width)`` ``repeats`` times per cell; collect the final metric.

    ``data = (train, dev)``, each ``(X (n, D), y (n,))`` with 0/1 labels; the nets have one
    output and train with ``nn.BCEWithLogitsLoss``. Every run has its own seed derived from
    ``seed`` and its cell, so the result does not depend on ``n_jobs`` (joblib workers,
    -1 = all cores). Returns a ``GridResult`` whose ``mean`` and ``std`` are
    (len(depths), len(widths)).
    """
    from joblib import Parallel, delayed

    if metric not in METRICS:
        raise ValueError(f"metric: unknown name {metric!r}; valid names are: {METRICS}")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a positive integer, got {repeats!r}")
    if not depths or not widths:
        raise ValueError("depths and widths must not be empty")
    settings = {
        "epochs": epochs,
        "lr": lr,
        "batch_size": batch_size,
        "activation": activation,
        "optimizer": optimizer,
    }
    make_activation(activation)  # fail early, in this process, on a bad name
    cells = [
        (i, j, r) for i in range(len(depths)) for j in range(len(widths)) for r in range(repeats)
    ]
    histories = Parallel(n_jobs=n_jobs)(
        delayed(_train_cell)(data, depths[i], widths[j], _cell_seed(seed, i, j, r), settings)
        for i, j, r in cells
    )
    values = np.array([h.metric(metric)[-1] for h in histories], dtype=np.float64)
    return GridResult(
        tuple(depths), tuple(widths), metric, values.reshape(len(depths), len(widths), repeats)
    )


# --- Optuna --------------------------------------------------------------------------------


def require_optuna() -> Any:
    """Import optuna, or raise ImportError saying how to install it."""
    try:
        import optuna
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the sweep helpers need optuna, which is not installed: pip install optuna"
        ) from err
    return optuna


def suggest_config(trial: Any, space: Mapping[str, tuple] = DEFAULT_SPACE) -> dict[str, Any]:
    """One configuration drawn by an Optuna ``trial`` from ``space`` (see ``DEFAULT_SPACE``)."""
    config: dict[str, Any] = {}
    for name, spec in space.items():
        if spec[0] == "categorical":
            config[name] = trial.suggest_categorical(name, list(spec[1]))
        elif spec[0] == "log_uniform":
            config[name] = trial.suggest_float(name, spec[1], spec[2], log=True)
        elif spec[0] == "uniform":
            config[name] = trial.suggest_float(name, spec[1], spec[2])
        else:
            raise ValueError(
                f"space[{name!r}]: unknown kind {spec[0]!r}; use categorical, log_uniform "
                "or uniform"
            )
    return config


def make_objective(
    data: Data,
    *,
    space: Mapping[str, tuple] = DEFAULT_SPACE,
    epochs: int = 50,
    activation: str = "tanh",
    optimizer: str = "adam",
    metric: str = "dev_loss",
    seed: int = 0,
) -> Callable[[Any], float]:
    """An Optuna objective: train a net with the trial's configuration, return the final metric.

    ``data = (train, dev)`` as in ``depth_width_grid``. Each trial stores its per-epoch
    metrics in ``trial.user_attrs`` (keys of ``METRICS``) so that the curves can be drawn
    later (``study_histories``).
    """
    if metric not in METRICS:
        raise ValueError(f"metric: unknown name {metric!r}; valid names are: {METRICS}")

    def objective(trial: Any) -> float:
        config = suggest_config(trial, space)
        settings = {
            "epochs": int(config.get("epochs", epochs)),
            "lr": float(config["lr"]),
            "batch_size": int(config["batch_size"]),
            "activation": config.get("activation", activation),
            "optimizer": config.get("optimizer", optimizer),
        }
        history = _train_cell(
            data,
            int(config["depth"]),
            int(config["width"]),
            _cell_seed(seed, trial.number),
            settings,
        )
        for name in METRICS:
            trial.set_user_attr(name, list(getattr(history, name)))
        return float(history.metric(metric)[-1])

    return objective


def run_study(
    objective: Callable[[Any], float],
    n_trials: int,
    *,
    seed: int = 0,
    direction: str = "minimize",
    show_progress_bar: bool = False,
) -> Any:
    """A TPE (Bayesian) Optuna study of ``n_trials`` trials, seeded for repeatability."""
    optuna = require_optuna()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction=direction, sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=n_trials, show_progress_bar=show_progress_bar)
    return study


def study_records(study: Any) -> list[dict[str, float]]:
    """One dict per completed trial: its parameters and its ``value``."""
    return [
        {**trial.params, "value": float(trial.value)}
        for trial in study.trials
        if trial.value is not None
    ]


def study_histories(study: Any) -> dict[str, History]:
    """The per-epoch curves of every completed trial, labelled by its parameters."""
    histories = {}
    for trial in study.trials:
        if trial.value is None or not all(m in trial.user_attrs for m in METRICS):
            continue
        label = ", ".join(
            f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in trial.params.items()
        )
        histories[f"#{trial.number}: {label}"] = History(
            **{m: list(trial.user_attrs[m]) for m in METRICS}, config=dict(trial.params)
        )
    return histories


def param_importances(study: Any, seed: int = 0) -> dict[str, float]:
    """How much each parameter explains the variation of the objective (Optuna's fANOVA)."""
    optuna = require_optuna()
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=seed)
    return dict(optuna.importance.get_param_importances(study, evaluator=evaluator))
