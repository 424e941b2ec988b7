"""Helpers for writing source notebooks with correct nbgrader metadata.

Authoring sketch (run once; the .ipynb it writes is the source of truth, edited from then on):

    from tools.nbcells import md, code, answer, tests, written, save
    cells = [
        md("intro", "# 02 Activations ..."),
        answer("softmax", "def softmax(z, axis=-1):\\n    ### BEGIN SOLUTION\\n    ...\\n    ### END SOLUTION"),
        tests("softmax", 2, visible="check_visible('02.softmax', softmax)",
              hidden="check_hidden('02.softmax', softmax)"),
        written("softmax_proof", 3, prompt="...", solution="...model answer and rubric..."),
    ]
    save("notebooks/02_activations_softmax/02_activations_softmax.ipynb", cells)
"""

from pathlib import Path

import nbformat


def _meta(
    grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float | None = None
) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def md(grade_id: str, text: str):
    """A read-only markdown cell."""
    return nbformat.v4.new_markdown_cell(
        text.strip("\n"), metadata=_meta(grade_id, grade=False, solution=False, locked=True)
    )


def code(grade_id: str, source: str, *, tags: tuple[str, ...] = ()):
    """A read-only code cell (setup, demonstrations, widgets)."""
    meta = _meta(grade_id, grade=False, solution=False, locked=True)
    if tags:
        meta["tags"] = list(tags)
    return nbformat.v4.new_code_cell(source.strip("\n"), metadata=meta)


def answer(grade_id: str, source: str):
    """An autograded answer cell: the solution between ### BEGIN/END SOLUTION."""
    assert "### BEGIN SOLUTION" in source and "### END SOLUTION" in source, grade_id
    return nbformat.v4.new_code_cell(
        source.strip("\n"), metadata=_meta(grade_id, grade=False, solution=True, locked=False)
    )


def tests(grade_id: str, points: float, *, visible: str, hidden: str):
    """The autograder test cell of answer ``grade_id`` (named ``test_<grade_id>``)."""
    source = f"{visible.strip()}\n### BEGIN HIDDEN TESTS\n{hidden.strip()}\n### END HIDDEN TESTS"
    return nbformat.v4.new_code_cell(
        source,
        metadata=_meta(f"test_{grade_id}", grade=True, solution=False, locked=True, points=points),
    )


def written(grade_id: str, points: float, solution: str):
    """A manually graded written answer: the model answer and rubric sit in the solution region."""
    source = f"### BEGIN SOLUTION\n{solution.strip()}\n### END SOLUTION"
    return nbformat.v4.new_markdown_cell(
        source, metadata=_meta(grade_id, grade=True, solution=True, locked=False, points=points)
    )


def save(path: str | Path, cells: list) -> None:
    """Write a notebook without outputs, with the Python 3 kernel."""
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nb.metadata = {
        "kernelspec": {
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "name": "python3",
        },
        "language_info": {"name": "python"},
    }
    for i, cell in enumerate(nb.cells):
        cell.id = cell.metadata["nbgrader"]["grade_id"].replace("_", "-")[:60] or f"cell-{i}"
    nbformat.validate(nb)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
