"""Every notebook: stored clean, well-formed for nbgrader, runs in fast mode, and each plausible
wrong answer loses exactly its own question's points; release notebooks run in the student build.
"""

import importlib
import re
import time

import nbformat
import pytest

from coursekit.grading import get
from tests.conftest import NOTEBOOKS, nb_param, notebook_path
from tests.notebook_tools import failed, is_answer, is_test, kernel, nbmeta

PARAMS = [nb_param(nb) for nb in NOTEBOOKS]
CHECK = re.compile(r'check_(visible|hidden)\("(\d\d\.\w+)",\s*(\w+)\)')


def load(nb_id):
    return nbformat.read(notebook_path(nb_id), as_version=4)


@pytest.mark.parametrize("nb_id", PARAMS)
def test_stored_without_outputs(nb_id):
    nb = load(nb_id)
    for cell in nb.cells:
        assert not cell.get("outputs"), f"{nb_id}: cell {cell.get('id')} has outputs"
        assert cell.get("execution_count") is None, (
            f"{nb_id}: cell {cell.get('id')} has an execution count"
        )
    nbformat.validate(nb)


@pytest.mark.parametrize("nb_id", PARAMS)
def test_nbgrader_metadata(nb_id):
    nb = load(nb_id)
    ids = [nbmeta(c).get("grade_id") for c in nb.cells]
    assert all(ids) and len(ids) == len(set(ids)), f"{nb_id}: every cell needs a unique grade_id"
    assert nb.metadata.kernelspec.name == "python3"
    answers = {nbmeta(c)["grade_id"] for c in nb.cells if is_answer(c)}
    tests = {nbmeta(c)["grade_id"]: c for c in nb.cells if is_test(c)}
    assert answers, f"{nb_id} has no autograded answers"
    assert {f"test_{a}" for a in answers} == set(tests), (
        f"{nb_id}: answers and tests do not pair up"
    )
    used = set()
    for gid, cell in tests.items():
        meta = nbmeta(cell)
        assert meta["points"] > 0 and meta["locked"] and meta["schema_version"] == 3
        visible, _, rest = cell.source.partition("### BEGIN HIDDEN TESTS")
        hidden, _, after = rest.partition("### END HIDDEN TESTS")
        assert hidden.strip() and not after.strip(), f"{gid}: one hidden region, at the end"
        v, h = CHECK.findall(visible), CHECK.findall(hidden)
        assert v and h, f"{gid}: needs a visible and a hidden check"
        for _, qid, _func in v + h:
            get(qid)  # registered
            used.add(qid)
    for cell in nb.cells:
        meta = nbmeta(cell)
        if cell.cell_type == "markdown" and meta.get("solution"):
            assert meta.get("grade") and meta.get("points", 0) > 0
            assert "**Rubric" in cell.source and "### BEGIN SOLUTION" in cell.source, (
                f"{meta['grade_id']}: rubric missing"
            )
        if is_answer(cell):
            assert "### BEGIN SOLUTION" in cell.source
    registered = {
        q.qid for q in importlib.import_module("coursekit.grading").all_questions(nb_id[:2])
    }
    assert registered <= used, f"{nb_id}: questions never checked: {registered - used}"


@pytest.mark.parametrize("nb_id", PARAMS)
def test_source_notebook_runs_in_fast_mode_and_wrong_answers_lose_only_their_points(nb_id):
    nb = load(nb_id)
    mistakes = importlib.import_module(f"tests.mistakes.nb{nb_id[:2]}").MISTAKES
    answers = {nbmeta(c)["grade_id"]: c for c in nb.cells if is_answer(c)}
    assert set(mistakes) == set(answers), (
        f"{nb_id}: need a plausible wrong answer for every answer cell"
    )
    start = time.perf_counter()
    with kernel(notebook_path(nb_id)) as run:
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            done = run(cell)
            assert not failed(done), f"{nb_id} cell {nbmeta(cell)['grade_id']}: {failed(done)}"
        elapsed = time.perf_counter() - start
        assert elapsed < 60, f"{nb_id} took {elapsed:.0f} s in fast mode (limit 60 s)"
        tests = [c for c in nb.cells if is_test(c)]
        for gid, wrong_source in mistakes.items():
            wrong = run(nbformat.v4.new_code_cell(wrong_source))
            assert not failed(wrong), (
                f"{gid}: the wrong answer itself does not run: {failed(wrong)}"
            )
            lost = {nbmeta(t)["grade_id"] for t in tests if failed(run(t))}
            assert lost == {f"test_{gid}"}, f"{nb_id}: wrong {gid} lost points in {sorted(lost)}"
            run(answers[gid])  # put the right answer back
    print(
        f"{nb_id}: ran in {elapsed:.1f} s; {len(mistakes)} wrong answers each lost only their question"
    )


@pytest.mark.parametrize("nb_id", PARAMS)
def test_release_notebook_runs_in_the_student_build(nb_id, course):
    """Everything but the exercises and their checks runs against the stripped package."""
    path = course / "release" / nb_id / f"{nb_id}.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert "BEGIN SOLUTION" not in str(nb) and "BEGIN HIDDEN TESTS" not in str(nb)
    env = {"PYTHONPATH": str(course / "dist" / "student")}
    widgets = 0
    with kernel(path, env=env) as run:
        probe = run(nbformat.v4.new_code_cell("import coursekit; print(coursekit.__file__)"))
        assert "dist/student" in probe.outputs[0]["text"]
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            done = run(cell)
            why = failed(done)
            if is_answer(cell) or is_test(cell):
                continue  # exercises are unanswered here
            assert not why or "NotImplementedError" in why or "not written yet" in why, (
                f"{nb_id} cell {nbmeta(cell)['grade_id']} fails in the student build: {why}"
            )
            if "widget" in nbmeta(cell).get(
                "tags", cell.metadata.get("tags", [])
            ) or "widget" in cell.metadata.get("nbgrader", {}).get("tags", []):
                widgets += 1
                assert not why, f"widget cell {nbmeta(cell)['grade_id']}: {why}"
                assert any(
                    "application/vnd.jupyter.widget-view+json" in o.get("data", {})
                    for o in done.outputs
                )
    print(f"{nb_id}: {widgets} widget cells rendered in the student build")
