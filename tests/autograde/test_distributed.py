"""The same batch gives the same grades however it is graded: one process after the other, two
worker processes, the workers of a Dask cluster, or into a PostgreSQL gradebook.

The reference is a serial run (``workers=1``) into the course's SQLite gradebook. Every other
run grades a fresh copy of the same course folder and must record exactly the same thing: the
status, notes and fingerprint of each submission, every per-question score, the grader's whole
result (timings aside) and the feedback pages, byte for byte. The Dask cluster is a
``LocalCluster`` of two worker processes started by the test; the PostgreSQL server is the
session's ``postgres`` fixture, named in the course's ``nbgrader_config.py`` as ``db_url``.
"""

import pytest

from coursekit.course import grade
from tests.autograde import grading_tools as tools

pytestmark = [pytest.mark.nb02, pytest.mark.notebooks, pytest.mark.xdist_group("grading-batch")]

N = 5
SEED = 21


def _outcome(root, rows, url=None) -> tuple:
    return tools.scores(rows), tools.state(url or tools.db_url(root)), tools.feedback_files(root)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """The course with its batch (ungraded), and the serial run's outcome on a copy of it."""
    root, subs = tools.course_with_batch(tmp_path_factory.mktemp("distributed"), n=N, seed=SEED, broken=("malformed",))
    serial = tools.copy_course(root, root.parent / "serial")
    rows = grade(serial, workers=1, progress=False)
    outcome = _outcome(serial, rows)
    statuses = {v["status"] for v in outcome[1].values()}
    assert len(outcome[1]) == N and statuses == {"graded", "invalid notebook"}, statuses
    for sub in subs:  # the reference itself gets what the notebooks say it must
        result = outcome[1][(sub.student, sub.assignment)]["result"]
        auto = {c["grade_id"]: c["score"] for c in result["cells"] if c["kind"] == "auto"}
        assert auto == sub.expected, (sub.student, auto, sub.expected)
    return root, outcome


def test_two_workers_grade_exactly_as_one(batch, tmp_path):
    root, reference = batch
    course = tools.copy_course(root, tmp_path / "parallel")
    rows = grade(course, workers=2, progress=False)
    assert _outcome(course, rows) == reference


def test_a_dask_cluster_grades_exactly_as_this_machine(batch, tmp_path):
    distributed = pytest.importorskip("distributed", reason="the package `distributed` is not installed")
    course = tools.copy_course(batch[0], tmp_path / "dask")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as cluster, distributed.Client(cluster) as client:  # fmt: skip
        with distributed.get_task_stream(client=client) as stream:
            rows = grade(course, executor=client.get_executor(), progress=False)
    ran = [t for t in stream.data if "grade_task" in str(t["key"])]
    assert len(ran) == N and len({t["worker"] for t in ran}) == 2  # every submission, on both workers
    assert _outcome(course, rows) == batch[1]


def test_a_postgresql_gradebook_records_exactly_what_sqlite_does(batch, tmp_path, postgres):
    from coursekit.course import api

    url = postgres.create_database("distributed_gradebook")
    course = tools.copy_course(batch[0], tmp_path / "pg")
    with (course / "nbgrader_config.py").open("a", encoding="utf-8") as fh:
        fh.write(f'\nc.CourseDirectory.db_url = "{url}"\n')
    rows = grade(course, progress=False)
    assert _outcome(course, rows, url) == batch[1]
    assert not (course / "gradebook.db").exists()
    submission = api(course).get_submission(tools.AID, rows[0].student)  # what the formgrader lists
    assert submission["autograded"] and submission["max_score"] > 0
