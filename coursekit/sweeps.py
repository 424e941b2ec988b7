"""Hyperparameter studies for notebooks 11 and 12.

* ``make_net``: the small fully connected nets the studies train (``depth`` hidden layers of
  ``width`` units, built with ``nn.Sequential``).
* ``depth_width_grid``: train a net for every (depth, width) cell several times, in parallel
  over the CPU cores with joblib, and summarise the final metric by its mean and spread.
* Optuna helpers (``suggest_config``, ``make_objective``, ``run_study``, ``study_records``,
  ``study_histories``, ``trial_counts``, ``param_importances``): a Bayesian (TPE) search over
  depth, width, a log-uniform learning rate and the batch size, with per-epoch reports and
  pruning, in memory or in a storage (SQLite, PostgreSQL) that several workers share
  (``run_worker``, ``python -m coursekit.sweeps``). The exercises of notebook 12 are
  ``fraction_below``, ``search_space`` and ``report_epoch``. Optuna is imported only when
  these run, so the rest of the module works without it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
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
    "log_spaced",
    "fraction_below",
    "main",
    "make_net",
    "make_objective",
    "open_storage",
    "param_importances",
    "report_epoch",
    "require_optuna",
    "run_study",
    "run_worker",
    "search_space",
    "storage_url",
    "study_histories",
    "study_records",
    "suggest_config",
    "sweep_data",
    "trial_counts",
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


def log_spaced(low: float, high: float, n: int) -> np.ndarray:
    """``n`` values from ``low`` to ``high`` (both included) at a constant ratio: (n,) float64.

    The k-th value is ``low * (high / low) ** (k / (n - 1))``, evenly spaced on a log axis: the
    way to try learning rates, whose useful values span several orders of magnitude.
    ``low`` and ``high`` must be positive and ``n >= 2``.
    """
    for value, what in ((low, "low"), (high, "high")):
        if not np.isfinite(value) or value <= 0:
            raise ValueError(f"{what} must be a positive number, got {value!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    # BEGIN SOLUTION
    exponents = np.arange(n) / (n - 1)  # (n,) from 0 to 1
    return float(low) * (float(high) / float(low)) ** exponents
    # END SOLUTION


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
            on_epoch=settings.get("on_epoch"),
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
    progress: bool = False,
) -> GridResult:
    """Train ``make_net(D, depth, width)`` ``repeats`` times per cell; collect the final metric.

    ``data = (train, dev)``, each ``(X (n, D), y (n,))`` with 0/1 labels; the nets have one
    output and train with ``nn.BCEWithLogitsLoss``. Every run has its own seed derived from
    ``seed`` and its cell, so the result does not depend on ``n_jobs`` (joblib workers,
    -1 = all cores). Returns a ``GridResult`` whose ``mean`` and ``std`` are
    (len(depths), len(widths)). ``progress=True`` shows a tqdm bar over the finished runs.
    """
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

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
    runs = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_train_cell)(data, depths[i], widths[j], _cell_seed(seed, i, j, r), settings)
        for i, j, r in cells
    )
    bar = tqdm(runs, total=len(cells), desc="depth x width", disable=not progress)
    values = np.array([h.metric(metric)[-1] for h in bar], dtype=np.float64)  # in cell order
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


def fraction_below(x: float, low: float, high: float, log: bool = False) -> float:
    """The probability that a value drawn from [low, high] falls below ``x``.

    Uniform draws (``log=False``): ``(x - low) / (high - low)``. Log-uniform draws
    (``log=True``, as ``trial.suggest_float(..., log=True)`` makes them): the logarithm of the
    value is uniform, so ``(log x - log low) / (log high - log low)``. Clipped to [0, 1] for
    ``x`` outside the range; ``low < high`` (and ``low > 0`` for a log scale).
    """
    # BEGIN SOLUTION
    if log:
        if x <= 0:
            return 0.0
        x, low, high = np.log(x), np.log(low), np.log(high)
    return float(np.clip((x - low) / (high - low), 0.0, 1.0))
    # END SOLUTION


def search_space(trial: Any) -> dict[str, Any]:
    """Draw one configuration of notebook 12 from an Optuna ``trial``.

    ``depth`` from (1, 2, 3, 5) hidden layers, ``width`` from (5, 10, 20, 30) units,
    ``batch_size`` from (32, 64, 128), all categorical, and a learning rate ``lr``
    log-uniform in [1e-3, 1e-1]. Returns ``{name: value}`` with these four names.
    """
    # BEGIN SOLUTION
    return {
        "depth": trial.suggest_categorical("depth", [1, 2, 3, 5]),
        "width": trial.suggest_categorical("width", [5, 10, 20, 30]),
        "lr": trial.suggest_float("lr", 1e-3, 1e-1, log=True),
        "batch_size": trial.suggest_categorical("batch_size", [32, 64, 128]),
    }
    # END SOLUTION


def report_epoch(trial: Any, epoch: int, history: History) -> None:
    """What an objective does after every epoch (epochs count from 1).

    Stores the curves so far as the trial's user attributes (one list of floats per name of
    ``METRICS``), reports the latest validation loss ``history.dev_loss[-1]`` at step ``epoch``,
    then asks the pruner and raises ``optuna.TrialPruned`` when it says to stop.
    """
    # BEGIN SOLUTION
    import optuna

    for name in METRICS:
        trial.set_user_attr(name, [float(v) for v in getattr(history, name)])
    trial.report(float(history.dev_loss[-1]), step=epoch)
    if trial.should_prune():
        raise optuna.TrialPruned(f"stopped after epoch {epoch}")
    # END SOLUTION


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
    space: Mapping[str, tuple] | Callable[[Any], Mapping[str, Any]] = DEFAULT_SPACE,
    epochs: int = 50,
    activation: str = "tanh",
    optimizer: str = "adam",
    metric: str = "dev_loss",
    seed: int = 0,
    on_epoch: Callable[[Any, int, History], None] | None = None,
    worker: str | None = None,
    fallback: bool = False,
) -> Callable[[Any], float]:
    """An Optuna objective: train a net with the trial's configuration, return the final metric.

    ``data = (train, dev)`` as in ``depth_width_grid``. ``space`` is a mapping like
    ``DEFAULT_SPACE`` or a function ``trial -> {"depth", "width", "lr", "batch_size"}`` (such as
    a student's ``search_space``). ``on_epoch(trial, epoch, history)`` runs after every epoch
    (``report_epoch``: report, prune, log); it may raise ``optuna.TrialPruned``. Curves not
    stored by then are stored in ``trial.user_attrs`` (keys of ``METRICS``) at the end, so that
    ``study_histories`` can draw them. ``worker`` is stored as the user attribute ``"worker"``.

    With ``fallback=True`` a ``space`` or ``on_epoch`` that raises ``NotImplementedError`` (an
    exercise not written yet) is replaced by ``DEFAULT_SPACE`` or by nothing, with a printed
    note, so that a notebook runs before its exercises are done.
    """
    if metric not in METRICS:
        raise ValueError(f"metric: unknown name {metric!r}; valid names are: {METRICS}")
    state = {"space": space, "on_epoch": on_epoch}

    def note(what: str, instead: str) -> None:
        print(f"{what} is not written yet: the study uses {instead} meanwhile.")

    def draw(trial: Any) -> Mapping[str, Any]:
        chosen = state["space"]
        if not callable(chosen):
            return suggest_config(trial, chosen)
        try:
            return chosen(trial)
        except NotImplementedError:
            if not fallback:
                raise
            note(getattr(chosen, "__name__", "the search space"), "the course's default space")
            state["space"] = DEFAULT_SPACE
            return suggest_config(trial, DEFAULT_SPACE)

    def objective(trial: Any) -> float:
        if worker is not None:
            trial.set_user_attr("worker", worker)
        config = draw(trial)
        hook = None
        if state["on_epoch"] is not None:

            def hook(epoch: int, history: History) -> None:
                if state["on_epoch"] is None:
                    return
                try:
                    state["on_epoch"](trial, epoch, history)
                except NotImplementedError:
                    if not fallback:
                        raise
                    note(getattr(on_epoch, "__name__", "on_epoch"), "no reporting and no pruning")
                    state["on_epoch"] = None

        settings = {
            "epochs": int(config.get("epochs", epochs)),
            "lr": float(config["lr"]),
            "batch_size": int(config["batch_size"]),
            "activation": config.get("activation", activation),
            "optimizer": config.get("optimizer", optimizer),
            "on_epoch": hook,
        }
        history = _train_cell(
            data,
            int(config["depth"]),
            int(config["width"]),
            _cell_seed(seed, trial.number),
            settings,
        )
        for name in METRICS:
            if name not in trial.user_attrs or len(trial.user_attrs[name]) != history.epochs:
                trial.set_user_attr(name, [float(v) for v in getattr(history, name)])
        return float(history.metric(metric)[-1])

    return objective


def storage_url(path: str | Path) -> str:
    """The SQLAlchemy URL of an SQLite file, ``sqlite:///<absolute path>``, for Optuna."""
    return f"sqlite:///{Path(path).expanduser().resolve()}"


def open_storage(where: Any) -> Any:
    """An Optuna storage from a database URL or a file path.

    A string with ``://`` is a database URL (``sqlite:///studies.db``,
    ``postgresql+psycopg2://user:password@host:5432/db``) and is returned as it is, for Optuna to
    open. Anything else is the path of a journal file: ``JournalStorage`` appends every change of
    every study to it, under a file lock, so that processes on one machine can share it. An
    Optuna storage object is returned unchanged.
    """
    optuna = require_optuna()
    if isinstance(where, str) and "://" in where:
        return where
    if isinstance(where, (str, Path)):
        path = Path(where).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))
    return where


def run_study(
    objective: Callable[[Any], float],
    n_trials: int,
    *,
    seed: int = 0,
    direction: str = "minimize",
    show_progress_bar: bool = False,
    storage: Any = None,
    study_name: str | None = None,
    pruner: Any = None,
    load_if_exists: bool = True,
) -> Any:
    """A TPE (Bayesian) Optuna study of ``n_trials`` trials, seeded for repeatability.

    ``storage`` (a URL such as ``storage_url("studies.db")`` or
    ``postgresql+psycopg2://user@host/db``, or an Optuna storage) keeps the study outside the
    process: ``load_if_exists`` continues a study of the same ``study_name``, and other
    processes may add trials to it at the same time. ``pruner`` defaults to Optuna's
    ``MedianPruner``; pass ``optuna.pruners.NopPruner()`` to prune nothing.
    """
    optuna = require_optuna()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction=direction,
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=pruner,
        storage=storage,
        study_name=study_name,
        load_if_exists=load_if_exists,
    )
    study.optimize(objective, n_trials=n_trials, show_progress_bar=show_progress_bar)
    return study


def _state(trial: Any) -> str:
    """A trial's state name; an object without one counts as complete when it has a value."""
    state = getattr(trial, "state", None)
    if state is not None:
        return state.name
    return "COMPLETE" if getattr(trial, "value", None) is not None else "RUNNING"


def trial_counts(study: Any) -> dict[str, int]:
    """How many trials of ``study`` are in each state: ``{"COMPLETE": 12, "PRUNED": 7, ...}``."""
    counts: dict[str, int] = {}
    for trial in study.trials:
        counts[_state(trial)] = counts.get(_state(trial), 0) + 1
    return counts


def study_records(study: Any) -> list[dict[str, float]]:
    """One dict per completed trial: its parameters and its ``value``.

    Pruned trials are left out: Optuna gives them their last reported value, which comes from
    an earlier epoch than the final values of completed trials.
    """
    return [
        {**trial.params, "value": float(trial.value)}
        for trial in study.trials
        if trial.value is not None and _state(trial) == "COMPLETE"
    ]


def study_histories(study: Any, include_pruned: bool = False) -> dict[str, History]:
    """The per-epoch curves of every completed trial (and pruned one, if asked), labelled by
    trial number and parameters (``(pruned)`` added for a pruned trial)."""
    histories = {}
    for trial in study.trials:
        pruned = _state(trial) == "PRUNED"
        if not (_state(trial) == "COMPLETE" or (include_pruned and pruned)):
            continue
        if not all(m in trial.user_attrs for m in METRICS):
            continue
        label = ", ".join(
            f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in trial.params.items()
        )
        histories[f"#{trial.number}: {label}" + (" (pruned)" if pruned else "")] = History(
            **{m: list(trial.user_attrs[m]) for m in METRICS}, config=dict(trial.params)
        )
    return histories


def param_importances(study: Any, seed: int = 0) -> dict[str, float]:
    """How much each parameter explains the variation of the objective (Optuna's fANOVA)."""
    optuna = require_optuna()
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=seed)
    return dict(optuna.importance.get_param_importances(study, evaluator=evaluator))


# --- one worker process of a shared study ---------------------------------------------------


def sweep_data(n_train: int = 400, n_dev: int = 200, seed: int = 0) -> Data:
    """The data of notebook 12: two interleaved spirals with noise, as ``(train, dev)`` tensors."""
    from coursekit.data.twod import TwoClassData

    splits = TwoClassData("spirals", noise=0.08, seed=seed, turns=1.0).splits(n_train, n_dev, 10)
    return splits.tensors("train"), splits.tensors("val")


def run_worker(
    storage: Any,
    study_name: str,
    n_trials: int,
    *,
    worker: str,
    epochs: int = 20,
    n_train: int = 400,
    n_dev: int = 200,
) -> int:
    """Add ``n_trials`` trials to an existing study, as one of several workers sharing it.

    Loads the study from ``storage`` (a URL, a journal file path or a storage, see
    ``open_storage``; its sampler and pruner are rebuilt here: TPE seeded by
    the worker's name, a percentile pruner), trains on ``sweep_data`` with ``DEFAULT_SPACE`` and
    tags each trial with the user attribute ``worker``. Returns the number of trials of the
    study that carry this worker's tag.
    """
    optuna = require_optuna()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(
        study_name=study_name,
        storage=open_storage(storage),
        sampler=optuna.samplers.TPESampler(seed=_cell_seed(0, *worker.encode())),
        pruner=optuna.pruners.PercentilePruner(75.0, n_startup_trials=4, n_warmup_steps=2),
    )
    objective = make_objective(
        sweep_data(n_train, n_dev), epochs=epochs, on_epoch=_report_and_prune, worker=worker
    )
    study.optimize(objective, n_trials=n_trials)
    return sum(trial.user_attrs.get("worker") == worker for trial in study.trials)


def _report_and_prune(trial: Any, epoch: int, history: History) -> None:
    """The per-epoch step of a worker: report the validation loss, stop when the pruner says."""
    import optuna

    trial.report(float(history.dev_loss[-1]), step=epoch)
    if trial.should_prune():
        raise optuna.TrialPruned()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m coursekit.sweeps --storage URL --study NAME --trials N --worker TAG``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m coursekit.sweeps",
        description="Run trials of a shared Optuna study (notebook 12) as one worker.",
    )
    parser.add_argument(
        "--storage", required=True, help="a database URL (sqlite:///studies.db) or a journal file path"
    )
    parser.add_argument("--study", required=True, help="name of an existing study")
    parser.add_argument("--trials", type=int, default=10, help="trials to run in this worker")
    parser.add_argument("--worker", default="worker", help="tag stored with each trial")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--n-train", type=int, default=400)
    parser.add_argument("--n-dev", type=int, default=200)
    args = parser.parse_args(argv)
    done = run_worker(
        args.storage,
        args.study,
        args.trials,
        worker=args.worker,
        epochs=args.epochs,
        n_train=args.n_train,
        n_dev=args.n_dev,
    )
    print(f"worker {args.worker}: ran {done} trials of study {args.study!r}")
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through subprocesses in the tests
    raise SystemExit(main())
