"""Several workers share one Optuna study through a real PostgreSQL server.

The test starts its own server (``initdb`` + ``pg_ctl`` from the Debian package ``postgresql``,
found under ``/usr/lib/postgresql/*/bin``) in a temporary directory on a free loopback port, as an
unprivileged user when the tests run as root, creates a database and a study in it, runs two
``python -m coursekit.sweeps`` worker processes against it at the same time, and checks that the
trials of both workers ended up in the one study. The server is stopped afterwards.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.nb12


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str], user: str | None) -> list[str]:
    return cmd if user is None else ["runuser", "-u", user, "--", *cmd]


@pytest.fixture(scope="module")
def postgres_url():
    """``postgresql+psycopg2://optuna@127.0.0.1:<port>/sweeps`` of a server that lives for the module."""
    pytest.importorskip("psycopg2", reason="psycopg2 is not installed (pip install psycopg2-binary)")
    bin_dir = _bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries not found (install the Debian package `postgresql`)")
    user = None
    if os.geteuid() == 0:  # the server refuses to run as root
        if shutil.which("runuser") is None:
            pytest.skip("running as root without `runuser` to start PostgreSQL as another user")
        user = next((u for u in ("postgres", "nobody") if _has_user(u)), None)
        if user is None:
            pytest.skip("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL")
    base = Path(tempfile.mkdtemp(prefix="coursekit-pg-"))
    data, log = base / "data", base / "server.log"
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    run = dict(check=True, capture_output=True, text=True, cwd=base)
    subprocess.run(
        _as_server_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "optuna", "--auth=trust", "-E", "UTF8"], user),
        **run,
    )
    options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={base}"
    subprocess.run(
        _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"], user),
        **run,
    )
    try:
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=port, user="optuna", dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("CREATE DATABASE sweeps")
        conn.close()
        yield f"postgresql+psycopg2://optuna@127.0.0.1:{port}/sweeps"
    finally:
        subprocess.run(
            _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], user),
            capture_output=True,
            cwd=base,
        )
        shutil.rmtree(base, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


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
