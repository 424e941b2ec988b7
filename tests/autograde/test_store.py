"""The gradebook store: one transaction per submission, manual grades untouched, nothing twice.

Each test runs on SQLite and on a real PostgreSQL server (the session's ``postgres`` fixture),
with results made by hand for notebook 02 (no grading needed): what matters here is what the
store writes, read back with plain SQL (``grading_tools.state``). The tests of a module share one
gradebook per database (creating one costs seconds), each with students of its own.
"""

import json
import os
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from coursekit.autograde import notebook as nbk
from coursekit.autograde.batch import GRADER_ERROR
from coursekit.autograde.store import RESULTS, Store, StoreError, settle_written_answers, write_atomic
from coursekit.autograde.verdict import CellVerdict, Result
from tests.autograde.grading_tools import AID, state
from tests.conftest import ROOT

SOURCE = ROOT / "notebooks" / AID / f"{AID}.ipynb"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def url(request, tmp_path_factory):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('store') / 'gradebook.db'}"
    return request.getfixturevalue("postgres").create_database("store")


@pytest.fixture(scope="module")
def store(url):
    with Store(url, "coursekit") as s:
        s.prepare(AID, SOURCE)
        yield s


def mine(url: str, *students: str) -> dict:
    """The gradebook state of ``students`` only."""
    return {k: v for k, v in state(url).items() if k[0] in students}


def _result(student: str, right: set[str] | None = None, status: str = "graded", answers: dict | None = None) -> Result:
    """A result for notebook 02: the test cells in ``right`` (default: all) earn their points."""
    tests, manual, _ = nbk.source_cells(json.loads(SOURCE.read_text(encoding="utf-8")))
    cells = [
        CellVerdict(t.grade_id, "auto", t.points, t.points if right is None or t.grade_id in right else 0.0,
                    "" if right is None or t.grade_id in right else "wrong at z = 0")
        for t in tests
    ]  # fmt: skip
    cells += [CellVerdict(g, "manual", p, None, (answers or {}).get(g, f"my answer to {g}")) for g, p in manual.items()]
    return Result(student, AID, status, cells, notes=["a note"], fingerprint=f"sha-{student}-{len(right or ())}")


def _set_manual(url: str, student: str, cell: str, score: float) -> None:
    """What the formgrader does when a person grades a cell."""
    with Gradebook(url, "coursekit") as gb:
        grade = gb.find_grade(cell, AID, AID, student)
        grade.manual_score = score
        grade.needs_manual_grade = False
        gb.db.commit()


def test_a_result_is_recorded_with_its_grades_and_written_answers_await_a_grader(store, url, tmp_path):
    result = _result("ada", right={"test_sigmoid", "test_softmax"})
    files = {tmp_path / "feedback" / "ada.html": "<p>feedback</p>", tmp_path / "auto" / "ada.ipynb": b"{}"}
    store.commit(result, files)
    got = mine(url, "ada")[("ada", AID)]
    assert got["status"] == "graded" and got["auto_score"] == 3.0 and got["max_score"] == 12.0
    assert got["fingerprint"] == result.fingerprint and got["notes"] == "a note"
    assert got["grades"]["test_sigmoid"] == (1.0, None, False)
    assert got["grades"]["test_relu"] == (0.0, None, False)
    assert got["grades"]["softmax_derivative"] == (None, None, True)  # awaits a grader
    assert (tmp_path / "feedback" / "ada.html").read_text() == "<p>feedback</p>"
    assert (tmp_path / "auto" / "ada.ipynb").read_bytes() == b"{}"
    rows = {r.question: r for r in store.rows([("ada", AID), ("nobody", AID)])}
    assert rows["test_softmax"].score == 2.0 and rows["test_relu"].score == 0.0
    assert rows["softmax_derivative"].score is None and rows["softmax_derivative"].kind == "manual"
    assert {r.status for r in rows.values()} == {"graded"} and rows["test_relu"].notes == "a note"
    assert store.stored("ada", AID).to_dict() == result.to_dict()


def test_regrading_replaces_the_result_and_keeps_every_manual_grade(store, url):
    store.commit(_result("bea", right=set()))
    _set_manual(url, "bea", "softmax_derivative", 2.5)  # a written answer graded by hand
    _set_manual(url, "bea", "test_relu", 0.5)  # an autograded cell overridden by hand
    for right in ({"test_relu"}, None, set()):
        store.commit(_result("bea", right=right))
        got = mine(url, "bea")[("bea", AID)]  # state() fails on anything recorded twice
        assert got["grades"]["softmax_derivative"] == (None, 2.5, False)
        assert got["grades"]["test_relu"][1:] == (0.5, False)
        assert got["auto_score"] == (12.0 if right is None else (1.0 if right else 0.0))
        assert len(got["grades"]) == 13  # 9 test cells, 4 written answers
    rows = {r.question: r.score for r in store.rows([("bea", AID)])}
    assert rows["softmax_derivative"] == 2.5 and rows["test_relu"] == 0.5  # the person's grades count


def test_a_grader_error_is_never_recorded(store, url):
    store.commit(_result("cal"))
    with pytest.raises(StoreError, match="never recorded"):
        store.commit(Result("cal", AID, GRADER_ERROR, notes=["worker died"]))
    with pytest.raises(StoreError, match="never recorded"):
        store.commit(Result("new", AID, GRADER_ERROR, notes=["worker died"]))
    assert mine(url, "cal")[("cal", AID)]["status"] == "graded" and not mine(url, "new")


def test_is_done_only_for_the_same_file(store):
    assert not store.is_done("dan", AID, "sha-dan-0")
    store.commit(_result("dan", right=set()))
    assert store.is_done("dan", AID, "sha-dan-0")
    assert not store.is_done("dan", AID, "sha-dan-1") and not store.is_done("eve", AID, "sha-dan-0")


def test_a_failure_inside_the_transaction_leaves_the_old_grades(store, url, monkeypatch):
    store.commit(_result("fay", right=set()))
    before = state(url)
    import coursekit.autograde.store as module

    def broken_insert(table):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(module, "insert", broken_insert)  # fails after the grades were changed
    with pytest.raises(RuntimeError, match="went away"):
        store.commit(_result("fay"))
    assert state(url) == before
    with pytest.raises(RuntimeError):
        store.commit(_result("gus"))  # a new student and submission: none of it stays
    assert state(url) == before
    with Gradebook(url, "coursekit") as gb:
        assert "gus" not in {s.id for s in gb.students}


def test_statuses_of_broken_submissions_are_exported(store):
    store.commit(_result("cy", right=set(), status=nbk.INVALID))
    store.commit(_result("di", right=set(), status=nbk.MISSING))
    assert {r.status for r in store.rows([("cy", AID)])} == {"invalid notebook"}
    rows = store.rows([("cy", AID), ("di", AID)])
    assert {(r.student, r.status) for r in rows} == {("cy", "invalid notebook"), ("di", "missing notebook")}


def test_cells_changed_after_submissions_are_refused(store, tmp_path):
    store.commit(_result("hal"))
    nb = json.loads(SOURCE.read_text(encoding="utf-8"))
    nb["cells"] = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != "test_relu"]
    changed = tmp_path / f"{AID}.ipynb"
    changed.write_text(json.dumps(nb), encoding="utf-8")
    with pytest.raises(StoreError, match="Cannot add or remove cells"):
        store.prepare(AID, changed)
    store.prepare(AID, SOURCE)  # the same cells again: fine


def test_the_results_table_lives_beside_nbgrader_tables(store, url):
    from sqlalchemy import inspect

    tables = set(inspect(store.gradebook.engine).get_table_names())
    assert {RESULTS.name, "grade", "submitted_assignment", "alembic_version"} <= tables


# ------------------------------------------------------------------ without a database
def test_written_answers_left_as_released_score_zero():
    answers = {"derivative_proofs": "YOUR ANSWER  HERE\n", "vanishing": "  ", "softmax_derivative": "x"}
    result = settle_written_answers(_result("ada", answers=answers), "YOUR ANSWER HERE")
    manual = {c.grade_id: c.score for c in result.cells if c.kind == "manual"}
    assert manual == {
        "derivative_proofs": 0.0, "vanishing": 0.0, "softmax_derivative": None, "jacobian_matrix_form": None,
    }  # fmt: skip


def test_write_atomic_leaves_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "out" / "feedback.html"
    write_atomic(path, "old")
    (path.parent / f".{path.name}.abc.tmp").write_text("left by a killed grader")

    def failing_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, "new")
    assert path.read_text() == "old"
    assert sorted(p.name for p in path.parent.iterdir()) == ["feedback.html"]  # no temporary file left
    monkeypatch.undo()
    write_atomic(path, "new")
    assert path.read_text() == "new" and oct(path.stat().st_mode & 0o777) != oct(0o600)


def test_a_store_on_an_interrupted_new_gradebook_stamps_its_schema(tmp_path):
    from sqlalchemy import create_engine, inspect, text

    url = f"sqlite:///{tmp_path / 'g.db'}"
    Store(url).close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))  # as if killed right after creating the tables
    Store(url).close()
    assert inspect(engine).has_table("alembic_version")
    engine.dispose()
    assert Path(tmp_path / "g.db").is_file()
