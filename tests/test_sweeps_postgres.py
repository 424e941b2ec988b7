"""Several workers share one Optuna study through a real PostgreSQL server.

The server is the session's ``postgres`` fixture (``tests/postgres_server.py``: its own server in
a temporary directory, stopped afterwards). The test creates a database and a study in it, runs
two ``python -m coursekit.sweeps`` worker processes against it at the same time, and checks that
the trials of both workers ended up in the one study.
"""

import os
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.nb12


@pytest.fixture(scope="module")
def postgres_url(postgres):
    """The URL of a database ``sweeps`` on the session's PostgreSQL server."""
    return postgres.create_database("sweeps")


def test_two_worker_processes_fill_one_study(postgres_url):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optuna.create_study(study_name="shared", storage=postgres_url, direction="minimize")
    command = [
        sys.executable, "-m", "coursekit.sweeps", "--storage", postgres_url, "--study", "shared",
        "--trials", "2", "--epochs", "2", "--n-train", "80", "--n-dev", "40",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    start = time.perf_counter()
    workers = {
        name: subprocess.Popen(
            [*command, "--worker", name], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        for name in ("A", "B")
    }
    outputs = {name: proc.communicate(timeout=300)[0] for name, proc in workers.items()}
    for name, proc in workers.items():
        assert proc.returncode == 0, f"worker {name} failed:\n{outputs[name]}"
    study = optuna.load_study(study_name="shared", storage=postgres_url)
    trials = study.trials
    by_worker = {name: [t for t in trials if t.user_attrs.get("worker") == name] for name in workers}
    assert len(trials) == 4, [(t.number, t.state, t.user_attrs.get("worker")) for t in trials]
    assert {name: len(ts) for name, ts in by_worker.items()} == {"A": 2, "B": 2}
    assert sorted(t.number for t in trials) == [0, 1, 2, 3]  # one numbering across both workers
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)  # 4 startup trials: no pruning
    for t in trials:
        assert set(t.params) == {"depth", "width", "lr", "batch_size"}
        assert len(t.user_attrs["dev_loss"]) == 2 and sorted(t.intermediate_values) == [1, 2]
        assert t.value == pytest.approx(t.user_attrs["dev_loss"][-1])
    print(f"two workers, one PostgreSQL study: {len(trials)} trials in {time.perf_counter() - start:.1f} s")


def test_a_study_created_elsewhere_is_found_by_name(postgres_url):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    created = optuna.create_study(study_name="by-name", storage=postgres_url, direction="minimize")
    created.enqueue_trial({"x": 1.0})
    loaded = optuna.load_study(study_name="by-name", storage=postgres_url)
    loaded.optimize(lambda trial: trial.suggest_float("x", -2, 2) ** 2, n_trials=3)
    again = optuna.load_study(study_name="by-name", storage=postgres_url)
    assert len(again.trials) == 3 and again.trials[0].params == {"x": 1.0}
    assert "by-name" in {s.study_name for s in optuna.get_all_study_summaries(postgres_url)}
