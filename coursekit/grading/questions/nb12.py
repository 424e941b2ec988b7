"""Questions of notebook 12_hyperparameter_sweeps: log-uniform draws, a search space, the
per-epoch step of an objective.

``search_space(trial)`` and ``report_epoch(trial, epoch, history)`` talk to an Optuna trial, so
they are run against ``RecordingTrial``, a fake trial that answers every suggestion in a known
way and records every call. A *probe* (``SpaceProbe``, ``ReportProbe``) does that and answers the
question's cases with numbers: the choices offered for ``depth``, whether ``lr`` is on a log
scale, the steps that were reported, the epoch after which the trial stopped. The notebook's
checks go through ``coursekit.grading.answer_forms``, which wraps the student's function in its
probe.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from coursekit import sweeps as ref
from coursekit.grading.answer_forms import Adapter, register_adapter
from coursekit.grading.compare import CheckFailed
from coursekit.grading.registry import Case, Question, register
from coursekit.training import METRICS, History

# --- a fake trial ---------------------------------------------------------------------------

#: The parameters of the search space, in the order probes report them.
NAMES = ("depth", "width", "lr", "batch_size")
KINDS = {"categorical": 0, "float": 1, "int": 2}


def policy_value(policy: Any, kind: str, spec: dict[str, Any]) -> Any:
    """The value a ``RecordingTrial`` answers for one suggestion.

    ``policy`` is ``"low"``, ``"high"``, ``"middle"`` or a number u in [0, 1). Categorical
    choices are taken in sorted order (so their order in the call does not matter); a float or
    int range is read through its inverse distribution function: on a log scale ``"middle"`` is
    the geometric mean of the bounds and u the point with a fraction u of the log-range below it.
    """
    if kind == "categorical":
        choices = sorted(spec["choices"], key=lambda c: (isinstance(c, str), c))
        u = {"low": 0.0, "high": 1.0 - 1e-12, "middle": 0.5}.get(policy, policy)
        return choices[min(int(u * len(choices)), len(choices) - 1)]
    low, high, log = spec["low"], spec["high"], spec["log"]
    u = {"low": 0.0, "high": 1.0, "middle": 0.5}.get(policy, policy)
    if log:
        value = math.exp(math.log(low) + u * (math.log(high) - math.log(low)))
    else:
        value = low + u * (high - low)
    if kind == "int":
        step = spec.get("step") or 1
        value = int(min(high, low + step * round((value - low) / step)))
    return value


class RecordingTrial:
    """Stands in for an ``optuna.Trial``: answers suggestions by ``policy``, records every call.

    ``names`` (optional) are the only parameter names allowed: another name raises
    ``CheckFailed``. ``should_prune()`` says yes once a step ``>= prune_at`` has been reported.
    """

    def __init__(
        self,
        policy: Any = "middle",
        *,
        number: int = 0,
        prune_at: int | None = None,
        names: tuple[str, ...] | None = None,
        who: str = "your function",
    ):
        self.policy, self.number, self.prune_at, self.names, self.who = policy, number, prune_at, names, who
        self.distributions: dict[str, tuple[str, dict[str, Any]]] = {}
        self.params: dict[str, Any] = {}
        self.user_attrs: dict[str, Any] = {}
        self.reports: list[tuple[int, float]] = []
        self.prune_questions = 0

    def _suggest(self, name: str, kind: str, spec: dict[str, Any]) -> Any:
        if not isinstance(name, str):
            raise CheckFailed(f"{self.who}: a parameter name must be a string, got {name!r}.")
        if self.names is not None and name not in self.names:
            raise CheckFailed(
                f"{self.who} asked the trial for a parameter named {name!r}; the names are "
                f"{', '.join(self.names)} (the rest of the notebook reads them)."
            )
        if name in self.distributions:
            if self.distributions[name] != (kind, spec):
                raise CheckFailed(f"{self.who} suggested {name!r} twice with different ranges.")
            return self.params[name]
        self.distributions[name] = (kind, spec)
        self.params[name] = policy_value(self.policy, kind, spec)
        return self.params[name]

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        return self._suggest(name, "categorical", {"choices": tuple(choices)})

    def suggest_float(self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False):
        return float(self._suggest(name, "float", {"low": low, "high": high, "log": bool(log), "step": step}))

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        return int(self._suggest(name, "int", {"low": low, "high": high, "log": bool(log), "step": step}))

    def set_user_attr(self, key: str, value: Any) -> None:
        try:
            json.dumps(value)
        except TypeError as err:
            raise CheckFailed(
                f"{self.who}: trial.set_user_attr({key!r}, ...) got a value a study storage cannot "
                f"save ({err}); store plain lists of floats, e.g. [float(v) for v in values]."
            ) from None
        self.user_attrs[key] = copy.deepcopy(value)

    def report(self, value: float, step: int) -> None:
        self.reports.append((step, float(value)))

    def should_prune(self) -> bool:
        self.prune_questions += 1
        return self.prune_at is not None and bool(self.reports) and self.reports[-1][0] >= self.prune_at


def _not_reference(func: Callable, reference: Callable, name: str) -> None:
    code = getattr(func, "__code__", None)
    if func is reference or (code is not None and code is getattr(reference, "__code__", None)):
        raise CheckFailed(f"{name}: this answer is the coursekit reference itself, not your own code.")
    if not callable(func):
        raise CheckFailed(f"{name} should be a function, but it is a {type(func).__name__}.")


# --- the search space -----------------------------------------------------------------------


class SpaceProbe:
    """``probe(param, aspect, policy)``: one fact about ``search_space`` as a number or array.

    Aspects: ``"kind"`` (0 categorical, 1 float, 2 int), ``"choices"`` (the sorted values a
    categorical parameter may take), ``"low"``, ``"high"``, ``"log"`` (of a float or int range),
    and ``"returned"``: the value the function returned for ``param`` when the trial answers by
    ``policy``.
    """

    def __init__(self, func: Callable[[Any], Any]):
        self.func = func
        self._runs: dict[Any, RecordingTrial] = {}

    def _run(self, policy: Any) -> tuple[RecordingTrial, dict]:
        if policy in self._runs:
            return self._runs[policy]
        trial = RecordingTrial(policy, names=NAMES, who="search_space")
        out = self.func(trial)
        if not isinstance(out, dict):
            raise CheckFailed(
                f"search_space should return a dict {{name: value}}; it returned "
                f"{type(out).__name__}: {out!r}"[:300]
            )
        missing = [n for n in NAMES if n not in trial.distributions]
        if missing:
            raise CheckFailed(
                f"search_space never asked the trial for {', '.join(map(repr, missing))}: draw every "
                f"parameter with trial.suggest_...(name, ...)."
            )
        if set(out) != set(NAMES):
            raise CheckFailed(
                f"search_space returned the keys {sorted(out)}; expected exactly {list(NAMES)}."
            )
        self._runs[policy] = (trial, out)
        return trial, out

    def __call__(self, param: str, aspect: str, policy: Any = "middle") -> Any:
        trial, out = self._run(policy)
        kind, spec = trial.distributions[param]
        if aspect == "kind":
            return np.int64(KINDS[kind])
        if aspect == "returned":
            return np.float64(out[param])
        if aspect == "choices":
            if kind == "categorical":
                values = spec["choices"]
            elif kind == "int":
                values = range(spec["low"], spec["high"] + 1, spec.get("step") or 1)
            else:
                raise CheckFailed(
                    f"search_space draws {param!r} from a continuous range "
                    f"[{spec['low']:g}, {spec['high']:g}]; it should take one of a few listed values."
                )
            return np.sort(np.asarray(list(values), dtype=np.float64))
        if aspect in ("low", "high", "log"):
            if kind == "categorical":
                values = sorted(spec["choices"])
                return np.float64({"low": values[0], "high": values[-1], "log": False}[aspect])
            return np.float64(spec[aspect])
        raise ValueError(f"unknown aspect {aspect!r}")


def _space_oracle(param: str, aspect: str, policy: Any = "middle") -> Any:
    """The table of the notebook, as Optuna distribution objects."""
    import optuna

    table = {
        "depth": optuna.distributions.CategoricalDistribution([1, 2, 3, 5]),
        "width": optuna.distributions.CategoricalDistribution([5, 10, 20, 30]),
        "lr": optuna.distributions.FloatDistribution(1e-3, 1e-1, log=True),
        "batch_size": optuna.distributions.CategoricalDistribution([32, 64, 128]),
    }
    dist = table[param]
    if isinstance(dist, optuna.distributions.CategoricalDistribution):
        kind, spec = "categorical", {"choices": tuple(dist.choices)}
    else:
        kind, spec = "float", {"low": dist.low, "high": dist.high, "log": dist.log}
    if aspect == "kind":
        return np.int64(KINDS[kind])
    if aspect == "choices":
        return np.sort(np.asarray(spec["choices"], dtype=np.float64))
    if aspect in ("low", "high", "log"):
        return np.float64(spec[aspect])
    if aspect == "returned":
        return np.float64(policy_value(policy, kind, spec))
    raise ValueError(f"unknown aspect {aspect!r}")


def _space_public() -> list[Case]:
    cases = [Case((n, "kind"), f"kind of {n} (0 categorical, 1 float, 2 int)") for n in NAMES]
    cases += [Case((n, "choices"), f"values {n} may take") for n in ("depth", "width", "batch_size")]
    cases += [
        Case(("lr", "low"), "lowest lr"),
        Case(("lr", "high"), "highest lr"),
        Case(("lr", "log"), "is lr on a log scale? (1 yes, 0 no)"),
    ]
    cases += [
        Case((n, "returned", "middle"), f"{n} returned when the trial answers the middle of every range")
        for n in NAMES
    ]
    return cases


def _space_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = [Case((n, "returned", p), f"{n} returned at the {p} end") for n in NAMES for p in ("low", "high")]
    for u in rng.uniform(0, 1, size=3):
        cases += [Case((n, "returned", float(u)), f"{n} returned at quantile {u:.3f}") for n in NAMES]
    return cases
    # END HIDDEN TESTS


def _space_variant(**changes: Any) -> Callable[[Any], dict]:
    """A search space that differs from the table by ``changes`` (for the known mistakes)."""

    def space(trial: Any) -> dict:
        out = {}
        for name in NAMES:
            how = changes.get(name)
            if how is not None:
                out[name] = how(trial)
            elif name == "lr":
                out[name] = trial.suggest_float("lr", 1e-3, 1e-1, log=True)
            else:
                values = {"depth": [1, 2, 3, 5], "width": [5, 10, 20, 30], "batch_size": [32, 64, 128]}[name]
                out[name] = trial.suggest_categorical(name, values)
        return out

    return space


def _mistake(space: Callable[[Any], dict]) -> Callable[..., Any]:
    return lambda param, aspect, policy="middle": SpaceProbe(space)(param, aspect, policy)


def _space_reference() -> Callable[..., Any]:
    return SpaceProbe(ref.search_space)


# --- the per-epoch step ---------------------------------------------------------------------


def _curves(epochs: int, seed: int) -> dict[str, list[float]]:
    """Made-up but plausible learning curves of ``epochs`` epochs (no training needed)."""
    rng = np.random.default_rng(seed)
    t = np.arange(1, epochs + 1)
    train_loss = 0.7 * np.exp(-t / 4) + 0.05 + 0.01 * rng.random(epochs)
    dev_loss = train_loss + 0.03 + 0.02 * rng.random(epochs)
    return {
        "train_loss": [float(v) for v in train_loss],
        "dev_loss": [float(v) for v in dev_loss],
        "train_acc": [float(v) for v in 1 - train_loss / 1.5],
        "dev_acc": [float(v) for v in 1 - dev_loss / 1.5],
    }


class ReportProbe:
    """``probe(fact, epochs, prune_at, seed)``: run ``report_epoch`` as ``train`` would, then
    read one fact off the recording trial.

    ``report_epoch(trial, epoch, history)`` is called for epoch = 1, 2, ... ``epochs`` with the
    curves so far (made up from ``seed``), until it raises ``optuna.TrialPruned``; the trial's
    pruner says yes from step ``prune_at`` on (0 = never). Facts: ``"steps"`` and ``"values"``
    (what ``trial.report`` got, in order), ``"stopped_after"`` (the epoch after which
    ``TrialPruned`` was raised, 0 if never), and a metric name of ``METRICS`` (the user attribute
    stored under that name at the end).
    """

    def __init__(self, func: Callable[[Any, int, History], None]):
        self.func = func
        self._runs: dict[tuple, tuple[RecordingTrial, int]] = {}

    def _run(self, epochs: int, prune_at: int, seed: int) -> tuple[RecordingTrial, int]:
        import optuna

        key = (epochs, prune_at, seed)
        if key in self._runs:
            return self._runs[key]
        curves = _curves(epochs, seed)
        trial = RecordingTrial(number=seed, prune_at=prune_at or None, who="report_epoch")
        stopped = 0
        for epoch in range(1, epochs + 1):
            history = History(**{m: curves[m][:epoch] for m in METRICS})
            try:
                self.func(trial, epoch, history)
            except optuna.TrialPruned:
                stopped = epoch
                break
            except (NotImplementedError, CheckFailed):
                raise
            except Exception as exc:
                raise CheckFailed(
                    f"report_epoch(trial, epoch={epoch}, history) raised {type(exc).__name__}: {exc}"
                ) from None
        self._runs[key] = (trial, stopped)
        return trial, stopped

    def __call__(self, fact: str, epochs: int, prune_at: int = 0, seed: int = 0) -> Any:
        trial, stopped = self._run(epochs, prune_at, seed)
        if fact == "steps":
            return np.array([s for s, _ in trial.reports], dtype=np.int64)
        if fact == "values":
            return np.array([v for _, v in trial.reports], dtype=np.float64)
        if fact == "stopped_after":
            return np.int64(stopped)
        if fact in METRICS:
            if fact not in trial.user_attrs:
                raise CheckFailed(
                    f"report_epoch never stored the user attribute {fact!r}: call "
                    f"trial.set_user_attr({fact!r}, [...]) with the curve so far."
                )
            return np.asarray(trial.user_attrs[fact], dtype=np.float64)
        raise ValueError(f"unknown fact {fact!r}")


def _report_oracle(fact: str, epochs: int, prune_at: int = 0, seed: int = 0) -> Any:
    """What an objective following Optuna's protocol leaves behind, worked out directly."""
    last = min(prune_at, epochs) if prune_at else epochs
    curves = _curves(epochs, seed)
    if fact == "steps":
        return np.arange(1, last + 1, dtype=np.int64)
    if fact == "values":
        return np.asarray(curves["dev_loss"][:last], dtype=np.float64)
    if fact == "stopped_after":
        return np.int64(last if prune_at and prune_at <= epochs else 0)
    if fact in METRICS:
        return np.asarray(curves[fact][:last], dtype=np.float64)
    raise ValueError(f"unknown fact {fact!r}")


def _report_cases(epochs: int, prune_at: int, seed: int, what: str) -> list[Case]:
    facts = ["steps", "values", "stopped_after", *METRICS]
    return [Case((f, epochs, prune_at, seed), f"{f}, {what}") for f in facts]


def _report_public() -> list[Case]:
    return [
        *_report_cases(4, 0, 0, "4 epochs, the pruner never says stop"),
        *_report_cases(6, 3, 1, "6 epochs, the pruner says stop from epoch 3 on"),
    ]


def _report_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = _report_cases(5, 1, 2, "the pruner says stop at the first epoch")
    cases += _report_cases(1, 0, 3, "a single epoch")
    for seed in (4, 5):
        epochs = int(rng.integers(3, 9))
        prune_at = int(rng.integers(0, epochs + 1))
        cases += _report_cases(epochs, prune_at, seed, f"{epochs} epochs, stop from {prune_at or 'never'}")
    return cases
    # END HIDDEN TESTS


def _report_variant(*, step0: bool = False, metric: str = "dev_loss", prune: str = "after") -> Callable:
    """``report_epoch`` with one known mistake (for the mistakes table)."""

    def report(trial: Any, epoch: int, history: History) -> None:
        import optuna

        for name in METRICS:
            trial.set_user_attr(name, [float(v) for v in getattr(history, name)])
        if prune == "before" and trial.should_prune():
            raise optuna.TrialPruned()
        trial.report(float(getattr(history, metric)[-1]), step=epoch - 1 if step0 else epoch)
        if prune == "after" and trial.should_prune():
            raise optuna.TrialPruned()

    return report


def _report_mistake(func: Callable) -> Callable[..., Any]:
    return lambda fact, epochs, prune_at=0, seed=0: ReportProbe(func)(fact, epochs, prune_at, seed)


# --- registration ---------------------------------------------------------------------------


def _fraction_oracle(x: float, low: float, high: float, log: bool = False) -> float:
    """The distribution function of torch.distributions' uniform (pushed through exp for a log
    scale)."""
    import torch
    from torch.distributions import TransformedDistribution, Uniform
    from torch.distributions.transforms import ExpTransform

    def t(v: float) -> torch.Tensor:
        return torch.tensor(float(v), dtype=torch.float64)

    if log:
        dist = TransformedDistribution(
            Uniform(t(math.log(low)), t(math.log(high)), validate_args=False), [ExpTransform()], validate_args=False
        )
    else:
        dist = Uniform(t(low), t(high), validate_args=False)
    return float(dist.cdf(t(x)).clamp(0, 1))


def _fraction_hidden(rng: np.random.Generator) -> list[Case]:
    # BEGIN HIDDEN TESTS
    cases = []
    for _ in range(3):
        low = float(10 ** rng.uniform(-6, -2))
        high = low * float(10 ** rng.uniform(0.5, 4))
        x = float(np.exp(rng.uniform(np.log(low), np.log(high))))
        cases += [Case((x, low, high, True), "log scale"), Case((x, low, high, False), "uniform")]
    cases += [
        Case((5e-4, 1e-3, 1e-1, True), "below the range"),
        Case((0.5, 1e-3, 1e-1, True), "above the range"),
        Case((32.0, 16.0, 256.0, True), "batch sizes on a log scale"),
    ]
    return cases
    # END HIDDEN TESTS


register(
    Question(
        qid="12.fraction_below",
        func_name="fraction_below",
        arg_names=("x", "low", "high", "log"),
        public=lambda: [
            Case((0.01, 1e-3, 1e-1, True), "lr below 0.01, log-uniform on [0.001, 0.1]"),
            Case((0.01, 1e-3, 1e-1, False), "lr below 0.01, uniform on [0.001, 0.1]"),
        ],
        oracle=_fraction_oracle,
        reference=ref.fraction_below,
        hidden=_fraction_hidden,
        rtol=1e-9,
        atol=1e-12,
        mistakes={
            "uniform always": (
                lambda x, low, high, log=False: float(np.clip((x - low) / (high - low), 0, 1)),
                "this is the uniform answer: on a log scale compare logarithms, "
                "(log x − log low) / (log high − log low).",
            ),
            "above": (
                lambda x, low, high, log=False: 1 - _fraction_oracle(x, low, high, log),
                "this is the fraction above x, not below it.",
            ),
        },
    ),
    Question(
        qid="12.search_space",
        func_name="search_space",
        arg_names=("param", "aspect", "policy"),
        public=_space_public,
        oracle=_space_oracle,
        reference=_space_reference(),
        hidden=_space_hidden,
        rtol=1e-9,
        atol=1e-12,
        mistakes={
            "lr uniform": (
                _mistake(_space_variant(lr=lambda t: t.suggest_float("lr", 1e-3, 1e-1))),
                "lr is drawn uniformly: most draws then land above 0.01. Pass log=True to suggest_float.",
            ),
            "depth as a range": (
                _mistake(_space_variant(depth=lambda t: t.suggest_int("depth", 1, 5))),
                "suggest_int('depth', 1, 5) also offers 4; list the values with suggest_categorical.",
            ),
            "lr bounds": (
                _mistake(_space_variant(lr=lambda t: t.suggest_float("lr", 1e-4, 1e-1, log=True))),
                "the learning-rate range is [1e-3, 1e-1].",
            ),
        },
    ),
    Question(
        qid="12.report_epoch",
        func_name="report_epoch",
        arg_names=("fact", "epochs", "prune_at", "seed"),
        public=_report_public,
        oracle=_report_oracle,
        reference=ReportProbe(ref.report_epoch),
        hidden=_report_hidden,
        rtol=1e-12,
        atol=1e-12,
        mistakes={
            "prune before report": (
                _report_mistake(_report_variant(prune="before")),
                "ask trial.should_prune() after trial.report(...): the pruner judges the value "
                "you just reported.",
            ),
            "steps from 0": (
                _report_mistake(_report_variant(step0=True)),
                "report with step=epoch: epochs count from 1 here, and the pruner compares trials "
                "at equal steps.",
            ),
            "accuracy": (
                _report_mistake(_report_variant(metric="dev_acc")),
                "the study minimises the validation loss: report history.dev_loss[-1], not an accuracy.",
            ),
            "never prune": (
                _report_mistake(_report_variant(prune="never")),
                "when trial.should_prune() is True, raise optuna.TrialPruned() to stop the trial.",
            ),
        },
    ),
)

def _probe_of(reference: Callable, probe: type) -> Callable[[Callable], Any]:
    def prepare(func: Callable) -> Any:
        _not_reference(func, reference, reference.__name__)
        return probe(func)

    return prepare


register_adapter("12.search_space", Adapter(prepare=_probe_of(ref.search_space, SpaceProbe)))
register_adapter("12.report_epoch", Adapter(prepare=_probe_of(ref.report_epoch, ReportProbe)))
