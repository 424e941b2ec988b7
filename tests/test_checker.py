"""``coursekit check``: the status of each autograded test cell of an executed notebook."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from coursekit.checker import run_checks, statuses, summary


def _cell(source: str, role: str, grade_id: str, error: tuple[str, str] | None = None, run: bool = True):
    """A code cell as nbgrader marks it (role: "setup", "answer" or "test"), with its outputs."""
    meta = {
        "setup": {"grade": False, "solution": False, "locked": True},
        "answer": {"grade": False, "solution": True, "locked": False},
        "test": {"grade": True, "solution": False, "locked": True, "points": 1},
    }[role]
    cell = new_code_cell(source, metadata={"nbgrader": {**meta, "grade_id": grade_id, "schema_version": 3}})
    if run:
        cell.execution_count = 1
    if error is not None:
        cell.outputs = [new_output("error", ename=error[0], evalue=error[1], traceback=[])]
    return cell


def _status(*cells) -> list[tuple[str, str]]:
    return [(r.question, r.status) for r in statuses(new_notebook(cells=list(cells)))]


NOT_IMPLEMENTED = ("NotImplementedError", "")


def test_a_value_question_left_blank_is_not_answered():
    # the release notebook: the answer cell still raises, so the name the test checks never exists
    rows = _status(
        _cell("import numpy as np\nfrom coursekit.grading import check_visible", "setup", "setup"),
        _cell("# YOUR CODE HERE\nraise NotImplementedError()", "answer", "H_worked", NOT_IMPLEMENTED),
        _cell('check_visible("07.hessian_worked", H_worked)', "test", "test_H_worked",
              ("NameError", "name 'H_worked' is not defined")),
    )
    assert rows == [("test_H_worked", "not answered")]


def test_a_name_never_written_at_all_is_not_answered():
    rows = _status(
        _cell("", "answer", "z_worked"),
        _cell('check_visible("07.hvp_worked", z_worked)', "test", "test_z_worked",
              ("NameError", "name 'z_worked' is not defined")),
    )
    assert rows == [("test_z_worked", "not answered")]


def test_an_unwritten_function_is_not_answered():
    rows = _status(
        _cell("def f(x):\n    raise NotImplementedError()", "answer", "f", None),
        _cell("check_visible('01.f', f)", "test", "test_f", NOT_IMPLEMENTED),
        _cell("check_visible('01.g', g)", "test", "test_g",
              ("CheckFailed", "g is not written yet (it raises NotImplementedError).")),
    )
    assert rows == [("test_f", "not answered"), ("test_g", "not answered")]


def test_an_answer_cell_that_crashes_is_a_failure_with_its_own_error():
    nb = new_notebook(cells=[
        _cell("H_worked = np.outer(V, V)", "answer", "H_worked", ("NameError", "name 'V' is not defined")),
        _cell('check_visible("07.hessian_worked", H_worked)', "test", "test_H_worked",
              ("NameError", "name 'H_worked' is not defined")),
    ])
    (row,) = statuses(nb)
    assert row.status == "failed"
    assert row.message == "H_worked is not defined: its cell raised NameError: name 'V' is not defined"


def test_a_missing_name_of_the_notebook_itself_is_a_failure():
    # check_visible comes from the setup cell, which failed: not the student's answer
    rows = _status(
        _cell("%matplotlib inline\nfrom coursekit.grading import check_visible", "setup", "setup",
              ("ModuleNotFoundError", "No module named 'coursekit'")),
        _cell("H_worked = 1.0", "answer", "H_worked"),
        _cell('check_visible("07.hessian_worked", H_worked)', "test", "test_H_worked",
              ("NameError", "name 'check_visible' is not defined")),
    )
    assert rows == [("test_H_worked", "failed")]


def test_passed_failed_and_not_run():
    rows = _status(
        _cell("x = 1", "answer", "x"),
        _cell("assert x == 1", "test", "test_ok"),
        _cell("assert x == 2", "test", "test_wrong", ("AssertionError", "")),
        _cell("assert x", "test", "test_later", run=False),
    )
    assert rows == [("test_ok", "passed"), ("test_wrong", "failed"), ("test_later", "not run")]


def test_summary_lists_the_unanswered_value_question_and_counts_no_points():
    nb = new_notebook(cells=[
        _cell("# YOUR CODE HERE\nraise NotImplementedError()", "answer", "H_worked", NOT_IMPLEMENTED),
        _cell('check_visible("07.hessian_worked", H_worked)', "test", "test_H_worked",
              ("NameError", "name 'H_worked' is not defined")),
    ])
    text = summary(statuses(nb))
    assert "· not answered" in text and "failed" not in text and "NameError" not in text
    assert "visible checks pass for 0 of 1 autograded points" in text


@pytest.mark.notebooks
def test_run_checks_on_a_real_kernel_says_not_answered_for_an_undefined_value(tmp_path):
    nb = new_notebook(cells=[
        _cell("import numpy as np", "setup", "setup", run=False),
        _cell("# YOUR CODE HERE\nraise NotImplementedError()", "answer", "H_worked", run=False),
        _cell("assert np.shape(H_worked) == (3, 3)", "test", "test_H_worked", run=False),
        _cell("def f():\n    raise NotImplementedError()", "answer", "f", run=False),
        _cell("f()", "test", "test_f", run=False),
    ])
    path = tmp_path / "blank.ipynb"
    nbformat.write(nb, str(path))
    rows = run_checks(path, timeout=120)
    assert [(r.question, r.status) for r in rows] == [
        ("test_H_worked", "not answered"),
        ("test_f", "not answered"),
    ]
