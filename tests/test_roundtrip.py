"""nbgrader round trip per assignment: release, submit, autograde, feedback, grades.csv.

* the source notebook submitted as it is earns every autograded point;
* the unanswered release notebook earns 0 (autograded and written);
* a notebook with a plausible wrong answer in every answer cell earns 0 autograded points and
  leaves the written answers to the grader;
* feedback shows neither hidden-test source nor its tracebacks, but does show the explanation.
"""

import csv
import importlib
import shutil

import nbformat
import pytest

from coursekit.course import grade
from tests.conftest import NOTEBOOKS, nb_param
from tests.notebook_tools import is_answer, nbmeta

PARAMS = [nb_param(nb) for nb in NOTEBOOKS]


def _submit(course, student, nb_id, nb):
    folder = course / "submitted" / student / nb_id
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(folder / f"{nb_id}.ipynb"))


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
        "solution": source,
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

    for q, points in auto.items():
        assert by["solution"][q].score == points, f"source notebook lost points on {q}"
        assert by["blank"][q].score == 0, f"blank notebook earned points on {q}"
        assert by["wrong"][q].score == 0, f"wrong answer still earned points on {q}"
    for q in manual:
        assert (
            by["solution"][q].score is None and by["solution"][q].kind == "manual"
        )  # awaits a grader
        assert by["blank"][q].score == 0  # unchanged answer cell: nbgrader gives 0
        assert by["wrong"][q].score == 0  # written answers left blank there too

    with open(course / f"grades-{nb_id}.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == len(rows) and set(table[0]) == {
        "student",
        "assignment",
        "question",
        "kind",
        "score",
        "max_score",
    }

    html = (course / "feedback" / f"wrong-{nb_id}" / nb_id / f"{nb_id}.html").read_text(
        encoding="utf-8"
    )
    hidden_lines = {
        line.strip()
        for c in source.cells
        for line in c.source.partition("### BEGIN HIDDEN TESTS")[2]
        .partition("### END HIDDEN TESTS")[0]
        .splitlines()
        if line.strip()
    }
    import html as html_lib

    text = html_lib.unescape(html)
    import re

    plain = re.sub(r"<[^>]+>", "", text)
    for line in hidden_lines:
        assert line not in plain, f"feedback shows hidden test line: {line}"
    assert "----> " not in plain and "Cell In[" not in plain  # no traceback quoting test code
    assert "hidden tests ran here" in plain
    assert "hidden tests ran here" in plain
    assert "CheckFailed" in plain  # the explanation is there


def test_a_broken_submission_does_not_stop_the_batch(course):
    nb_id = NOTEBOOKS[0]
    (course / "submitted" / "broken" / nb_id).mkdir(parents=True)
    (course / "submitted" / "broken" / nb_id / f"{nb_id}.ipynb").write_text(
        "{ not json", encoding="utf-8"
    )
    shutil.copytree(course / "release" / nb_id, course / "submitted" / "fine" / nb_id)
    rows = grade(course, only=[("broken", nb_id), ("fine", nb_id)], feedback=False, progress=False)
    assert {r.student for r in rows} == {"fine"}
