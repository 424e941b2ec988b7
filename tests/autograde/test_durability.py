"""Grading survives being killed, and grading again changes nothing.

Durability: ``coursekit grade --workers 2`` runs in its own process group over a batch of
notebook 02 submissions and is killed with SIGKILL (with its worker processes) at moments drawn
from a seeded generator, 20 times. Every third run, and every run once all are recorded, is a
``--force`` re-grade, so that kills also land while finished results are being written again.
The moments are fractions of a horizon that grows while runs are killed before committing
anything (a busy machine starts slowly) and shrinks again once they do, so that the kills keep
landing in the middle of work.
After every kill, whatever the gradebook holds must be exactly what a clean serial run records
for that submission (status, notes, fingerprint, every score, the whole result, the feedback
page): nothing half-written, nothing recorded twice (``grading_tools.state`` fails on a
duplicate). A written answer graded by hand before the kills keeps its manual score throughout.
Then the grader is run until it finishes, and the whole gradebook must equal the clean run's.

Determinism: re-grading the same small batch ten times with ``force`` records identical results.
"""

import os
import random
import signal
import subprocess
import sys

import pytest
from nbgrader.api import Gradebook

from coursekit.course import grade
from tests.autograde import grading_tools as tools
from tests.conftest import ROOT

pytestmark = [pytest.mark.nb02, pytest.mark.notebooks, pytest.mark.xdist_group("grading-batch")]

N = 12
SEED = 7
KILLS = 20
KILL_SEED = 2024
HORIZON = (8.0, 12.0, 30.0)  # seconds: the least, first and largest horizon of the kill moments
MANUAL_SCORE = 1.5


def _grade_command(root, force: bool) -> list[str]:
    command = [sys.executable, "-m", "coursekit.cli", "grade", "--root", str(root), "--workers", "2"]
    return command + (["--force"] if force else [])


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _run_until_killed(root, force: bool, wait: float) -> int | None:
    """Start the grader, SIGKILL its whole process group after ``wait`` seconds; its exit status
    when it finished before that, else None."""
    proc = subprocess.Popen(
        _grade_command(root, force), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True, env=_env(),
    )  # fmt: skip
    try:
        return proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return None


def _check_against(root, reference: dict, reference_pages: dict, manual: tuple) -> dict:
    """Every recorded submission equals the reference's (see the module docstring)."""
    got = tools.state(tools.db_url(root))
    pages = tools.feedback_files(root)
    student, cell = manual
    for key, recorded in got.items():
        expected = reference[key]
        if key[0] == student:
            expected = {**expected, "grades": {**expected["grades"]}}
            auto = expected["grades"][cell][0]
            expected["grades"][cell] = (auto, MANUAL_SCORE, False)
        assert recorded == expected, f"{key} was recorded differently from the clean run"
        assert pages.get(key) == reference_pages[key], f"the feedback of {key} differs from the clean run"
    assert got[(student, tools.AID)]["grades"][cell][1] == MANUAL_SCORE
    return got


def test_killing_the_grader_loses_duplicates_and_changes_nothing(tmp_path):
    root, subs = tools.course_with_batch(tmp_path, n=N, seed=SEED, broken=("malformed", "missing"))
    clean = tools.copy_course(root, tmp_path / "clean")
    grade(clean, workers=1, progress=False)
    reference = tools.state(tools.db_url(clean))
    reference_pages = tools.feedback_files(clean)
    assert len(reference) == N and len(reference_pages) == N

    # a written answer graded by hand before any kill (as in the formgrader)
    written = next(
        (s.student, gid)
        for s in subs
        for gid, (auto, _, needs) in reference[(s.student, tools.AID)]["grades"].items()
        if needs
    )
    grade(root, only=[(written[0], tools.AID)], workers=1, progress=False)
    with Gradebook(tools.db_url(root), "coursekit") as gb:
        entry = gb.find_grade(written[1], tools.AID, tools.AID, written[0])
        entry.manual_score, entry.needs_manual_grade = MANUAL_SCORE, False
        gb.db.commit()

    rng = random.Random(KILL_SEED)
    url = tools.db_url(root)
    least, horizon, most = HORIZON
    finished_early, busy, counts = 0, 0, []
    for i in range(KILLS):
        before = tools.commit_times(url)
        force = i % 3 == 2 or len(before) == N
        status = _run_until_killed(root, force=force, wait=rng.uniform(0.05, 1.0) * horizon)
        assert status in (None, 0), f"run {i} failed by itself with exit status {status}"
        finished_early += status == 0
        counts.append(len(_check_against(root, reference, reference_pages, written)))
        committed = sum(tools.commit_times(url).get(k) != t for k, t in before.items()) + counts[-1] - len(before)
        if status is None:
            busy += committed > 0
            horizon = max(least, horizon * 0.8) if committed else min(most, horizon * 1.3)
    for _ in range(3):
        command = _grade_command(root, force=False)
        done = subprocess.run(command, capture_output=True, text=True, env=_env(), timeout=900)
        assert done.returncode == 0, done.stderr[-3000:]
        if len(tools.state(tools.db_url(root))) == N:
            break
    final = _check_against(root, reference, reference_pages, written)
    assert set(final) == set(reference)
    print(f"recorded after each kill: {counts}; killed after committing something: {busy}; "
          f"finished before their kill: {finished_early}")  # fmt: skip
    assert busy >= 5, "too few runs were killed in the middle of their work"


def test_grading_again_gives_identical_results(tmp_path):
    root, _ = tools.course_with_batch(tmp_path, n=2, seed=3)
    runs = []
    for _ in range(10):
        rows = grade(root, workers=2, force=True, progress=False)
        got = tools.state(tools.db_url(root))
        runs.append((tools.scores(rows), got, tools.feedback_files(root)))
    assert all(run == runs[0] for run in runs[1:])
    assert len(runs[0][1]) == 2
