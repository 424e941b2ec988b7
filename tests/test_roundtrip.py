"""Round trip per assignment: release, submit, grade (``coursekit.course.grade``), feedback,
gradebook, grades.csv.

* the solution as a student would hand it in (the source notebook without its hidden tests)
  earns every autograded point, and its written answers await a grader;
* the unanswered release notebook earns 0 (autograded and written);
* a notebook with a plausible wrong answer in every answer cell earns 0 autograded points and
  leaves the written answers to the grader;
* every submission has the status ``graded``;
* feedback shows neither hidden-test source nor tracebacks, but does show the explanations;
  so does nbgrader's own feedback made from the autograded notebook (the formgrader's route).
"""

import csv
import html as html_lib
import importlib
import re
import shutil

import nbformat
import pytest

from coursekit.autograde.store import Store
from coursekit.course import api, grade, settings
from tests.conftest import NOTEBOOKS, nb_param
from tests.notebook_tools import is_answer, nbmeta

PARAMS = [nb_param(nb) for nb in NOTEBOOKS]


def _submit(course, student, nb_id, nb):
    folder = course / "submitted" / student / nb_id
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(folder / f"{nb_id}.ipynb"))


_HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S)


def _as_handed_in(source_nb):
    """The solution as a student has it: the source notebook without its hidden tests."""
    nb = nbformat.from_dict(source_nb)
    for cell in nb.cells:
        cell.source = _HIDDEN.sub("", cell.source)
    return nb


def _plain(page: str) -> str:
    """The text of an HTML page: tags dropped first, then entities decoded (so no text that
    merely looks like a tag is lost)."""
    return html_lib.unescape(re.sub(r"<[^>]+>", "", page))


def _all_wrong(release_nb, source_nb, mistakes):
    """The release notebook with each answer cell filled with its wrong answer."""
    nb = nbformat.from_dict(release_nb)
    for cell in nb.cells:
        if is_answer(cell):
            cell.source = mistakes[nbmeta(cell)["grade_id"]]
    return nb


@pytest.mark.parametrize("nb_id", PARAMS)
def test_roundtrip(nb_id, course):
    source = nbformat.read(course / "notebooks" / nb_id / f"{nb_id}.ipynb", as_version=4)
    released = nbformat.read(course / "release" / nb_id / f"{nb_id}.ipynb", as_version=4)
    mistakes = importlib.import_module(f"tests.mistakes.nb{nb_id[:2]}").MISTAKES
    students = {
        "solution": _as_handed_in(source),
        "blank": released,
        "wrong": _all_wrong(released, source, mistakes),
    }
    for student, nb in students.items():
        _submit(course, f"{student}-{nb_id}", nb_id, nb)
    pairs = [(f"{s}-{nb_id}", nb_id) for s in students]
    rows = grade(course, only=pairs, csv_path=course / f"grades-{nb_id}.csv", progress=False)

    by = {}
    for r in rows:
        by.setdefault(r.student.split("-")[0], {})[r.question] = r
    auto = {
        nbmeta(c)["grade_id"]: c.metadata.nbgrader["points"]
        for c in source.cells
        if nbmeta(c).get("grade") and not nbmeta(c).get("solution")
    }
    manual = {
        nbmeta(c)["grade_id"]
        for c in source.cells
        if nbmeta(c).get("grade") and nbmeta(c).get("solution")
    }
    assert set(by["solution"]) == set(auto) | manual
    assert {r.status for r in rows} == {"graded"}, {(r.student, r.status, r.notes) for r in rows}

    for q, points in auto.items():
        assert by["solution"][q].score == points, f"the solution lost points on {q}"
        assert by["blank"][q].score == 0, f"blank notebook earned points on {q}"
        assert by["wrong"][q].score == 0, f"wrong answer still earned points on {q}"
    for q in manual:
        assert by["solution"][q].score is None and by["solution"][q].kind == "manual"  # awaits a grader
        assert by["blank"][q].score == 0  # unchanged answer cell: 0, as nbgrader gives
        assert by["wrong"][q].score == 0  # written answers left blank there too

    with open(course / f"grades-{nb_id}.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == len(rows)
    assert set(table[0]) == {"student", "assignment", "question", "kind", "score", "max_score", "status", "notes"}
    assert {line["status"] for line in table} == {"graded"}

    hidden_lines = {
        line.strip()
        for c in source.cells
        for line in c.source.partition("### BEGIN HIDDEN TESTS")[2]
        .partition("### END HIDDEN TESTS")[0]
        .splitlines()
        if line.strip()
    }
    with Store(settings(course)[1].db_url) as store:
        wrong = store.stored(f"wrong-{nb_id}", nb_id)
    explanations = [c.message for c in wrong.cells if c.kind == "auto" and c.message]
    assert explanations, "the wrong answers failed without an explanation"
    page = (course / "feedback" / f"wrong-{nb_id}" / nb_id / f"{nb_id}.html").read_text(encoding="utf-8")
    ours = _plain(page)
    for line in hidden_lines:
        assert line not in ours, f"feedback shows hidden test line: {line}"
    assert "----> " not in ours and "Cell In[" not in ours and "Traceback (most recent call last)" not in ours
    assert "hidden tests ran here" in ours
    assert any(m in ours for m in explanations)  # the explanations are there

    # nbgrader's own feedback, made from the autograded notebook, hides them too
    done = api(course).generate_feedback(nb_id, f"wrong-{nb_id}", force=True)
    assert done["success"], done.get("error") or done.get("log")
    theirs = _plain((course / "feedback" / f"wrong-{nb_id}" / nb_id / f"{nb_id}.html").read_text(encoding="utf-8"))
    for line in hidden_lines:
        assert line not in theirs, f"nbgrader's feedback shows hidden test line: {line}"
    assert "Traceback (most recent call last)" not in theirs and "Cell In[" not in theirs


def test_a_broken_submission_does_not_stop_the_batch(course):
    nb_id = NOTEBOOKS[0]
    (course / "submitted" / "broken" / nb_id).mkdir(parents=True)
    (course / "submitted" / "broken" / nb_id / f"{nb_id}.ipynb").write_text(
        "{ not json", encoding="utf-8"
    )
    shutil.copytree(course / "release" / nb_id, course / "submitted" / "fine" / nb_id)
    rows = grade(course, only=[("broken", nb_id), ("fine", nb_id)], feedback=False, progress=False)
    status = {r.student: r.status for r in rows}
    assert status == {"broken": "invalid notebook", "fine": "graded"}
    assert all(r.score in (0, None) for r in rows if r.student == "broken")
    broken = [r.notes for r in rows if r.student == "broken"]
    assert broken and "not valid JSON" in broken[0]
