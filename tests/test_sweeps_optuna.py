"""The Optuna side of coursekit.sweeps used by notebook 12: log-uniform shares, the search space,
the per-epoch step (report, prune, log), objectives with fallbacks, storages and workers."""

import math

import numpy as np
import optuna
import pytest
from hypothesis import given
from hypothesis import strategies as st

from coursekit import sweeps as s
from coursekit.grading.questions.nb12 import RecordingTrial, ReportProbe, SpaceProbe
from coursekit.training import METRICS, History

pytestmark = pytest.mark.nb12

optuna.logging.set_verbosity(optuna.logging.WARNING)


@given(
    low=st.floats(1e-6, 1e2),
    ratio=st.floats(1.5, 1e4),
    q=st.floats(-0.2, 1.2),
)
def test_fraction_below_matches_sampling_formula(low, ratio, q):
    high = low * ratio
    x_log = math.exp(math.log(low) + q * math.log(ratio))
    assert s.fraction_below(x_log, low, high, log=True) == pytest.approx(min(max(q, 0), 1), abs=1e-9)
    x_lin = low + q * (high - low)
    assert s.fraction_below(x_lin, low, high) == pytest.approx(min(max(q, 0), 1), abs=1e-9)


def test_fraction_below_against_optuna_draws():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    draws = [study.ask().suggest_float("lr", 1e-3, 1e-1, log=True) for _ in range(3000)]
    assert np.mean(np.array(draws) < 0.01) == pytest.approx(s.fraction_below(0.01, 1e-3, 1e-1, True), abs=0.03)
    assert s.fraction_below(0.01, 1e-3, 1e-1) == pytest.approx(0.009 / 0.099)
    assert s.fraction_below(-1.0, 1e-3, 1e-1, log=True) == 0.0


def test_search_space_draws_the_table():
    trial = RecordingTrial("low")
    config = s.search_space(trial)
    assert config == {"depth": 1, "width": 5, "lr": pytest.approx(1e-3), "batch_size": 32}
    assert trial.distributions["lr"] == ("float", {"low": 1e-3, "high": 1e-1, "log": True, "step": None})
    assert trial.distributions["depth"] == ("categorical", {"choices": (1, 2, 3, 5)})
    # with a real trial, the values come from the declared distributions
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(20):
        t = study.ask()
        c = s.search_space(t)
        assert c["depth"] in (1, 2, 3, 5) and 1e-3 <= c["lr"] <= 1e-1 and c == t.params


def test_recording_trial_answers_by_policy():
    assert RecordingTrial("middle").suggest_float("lr", 1e-3, 1e-1, log=True) == pytest.approx(1e-2)
    assert RecordingTrial("middle").suggest_float("lr", 0.0, 1.0) == pytest.approx(0.5)
    assert RecordingTrial("high").suggest_categorical("d", [3, 1, 2]) == 3
    assert RecordingTrial(0.5).suggest_int("n", 1, 9, step=2) == 5
    named = RecordingTrial(names=("lr",), who="f")
    with pytest.raises(AssertionError, match="'learning_rate'"):  # CheckFailed is an AssertionError
        named.suggest_float("learning_rate", 0.1, 1.0)
    with pytest.raises(AssertionError, match="JSON|storage"):
        RecordingTrial().set_user_attr("x", np.zeros(3))


def test_report_epoch_reports_logs_and_prunes():
    probe = ReportProbe(s.report_epoch)
    np.testing.assert_array_equal(probe("steps", 5, 0), [1, 2, 3, 4, 5])
    assert probe("stopped_after", 5, 0) == 0
    np.testing.assert_array_equal(probe("steps", 6, 2), [1, 2])
    assert probe("stopped_after", 6, 2) == 2
    assert probe("dev_loss", 6, 2).shape == (2,)
    np.testing.assert_array_equal(probe("values", 4, 0), probe("dev_loss", 4, 0))
    # inside a real study the pruner stops a hopeless trial
    study = optuna.create_study(pruner=optuna.pruners.ThresholdPruner(upper=0.5))

    def objective(trial):
        history = History()
        for epoch in range(1, 6):
            for m in METRICS:
                getattr(history, m).append(1.0 if trial.number == 1 else 0.1)
            s.report_epoch(trial, epoch, history)
        return history.dev_loss[-1]

    study.optimize(objective, n_trials=2)
    assert [t.state.name for t in study.trials] == ["COMPLETE", "PRUNED"]
    assert study.trials[1].user_attrs["dev_loss"] == [1.0] and study.trials[0].intermediate_values == {
        e: 0.1 for e in range(1, 6)
    }


def _data():
    return s.sweep_data(60, 30)


def test_objective_with_student_functions_prunes_and_logs(tmp_path):
    objective = s.make_objective(_data(), space=s.search_space, on_epoch=s.report_epoch, epochs=3, worker="w")
    study = s.run_study(
        objective, 6, storage=s.open_storage(tmp_path / "j.journal"), study_name="t",
        pruner=optuna.pruners.PercentilePruner(50.0, n_startup_trials=2, n_warmup_steps=0),
    )  # fmt: skip
    counts = s.trial_counts(study)
    assert sum(counts.values()) == 6 and counts.get("COMPLETE", 0) >= 2
    for trial in study.trials:
        assert trial.user_attrs["worker"] == "w"
        assert len(trial.user_attrs["dev_loss"]) == len(trial.intermediate_values)
    records = s.study_records(study)
    assert len(records) == counts["COMPLETE"] and set(records[0]) == {"depth", "width", "lr", "batch_size", "value"}
    assert len(s.study_histories(study, include_pruned=True)) == 6
    # the journal keeps the study: a new process (here: a new storage object) sees every trial
    again = optuna.load_study(study_name="t", storage=s.open_storage(tmp_path / "j.journal"))
    assert len(again.trials) == 6


def test_objective_falls_back_when_exercises_are_missing(capsys):
    def search_space(trial):
        raise NotImplementedError

    def report_epoch(trial, epoch, history):
        raise NotImplementedError

    objective = s.make_objective(_data(), space=search_space, on_epoch=report_epoch, epochs=2, fallback=True)
    study = s.run_study(objective, 2)
    out = capsys.readouterr().out
    assert "search_space is not written yet" in out and "report_epoch is not written yet" in out
    assert all(t.state.name == "COMPLETE" and len(t.user_attrs["dev_loss"]) == 2 for t in study.trials)
    strict = s.make_objective(_data(), space=search_space, epochs=2)
    with pytest.raises(NotImplementedError):
        strict(RecordingTrial())


def test_open_storage_and_worker(tmp_path):
    assert s.open_storage("sqlite:///x.db") == "sqlite:///x.db"
    assert s.storage_url(tmp_path / "a.db").startswith("sqlite:////")
    journal = tmp_path / "sub" / "shared.journal"
    optuna.create_study(study_name="shared", storage=s.open_storage(journal))
    assert s.run_worker(journal, "shared", 2, worker="A", epochs=2, n_train=60, n_dev=30) == 2
    assert s.run_worker(journal, "shared", 1, worker="B", epochs=2, n_train=60, n_dev=30) == 1
    study = optuna.load_study(study_name="shared", storage=s.open_storage(journal))
    assert [t.user_attrs["worker"] for t in study.trials] == ["A", "A", "B"]


def test_space_probe_reads_the_space():
    probe = SpaceProbe(s.search_space)
    np.testing.assert_array_equal(probe("width", "choices"), [5, 10, 20, 30])
    assert probe("lr", "log") == 1 and probe("lr", "returned", "middle") == pytest.approx(0.01)
    assert probe("batch_size", "returned", "high") == 128
