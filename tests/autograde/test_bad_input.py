"""Files that are not the expected notebook: each gets a clear status and note, and a batch
that holds them grades every other submission as usual."""

import copy
import json
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from coursekit.autograde import batch
from coursekit.autograde.notebook import INVALID, MISSING, read_notebook
from coursekit.autograde.sandbox import GRADED, TAMPERING
from coursekit.autograde.verdict import Task
from tests.autograde.conftest import AID, ROOT
from tests.autograde.hostile import POINTS, Ctx, notebook

FULL = float(sum(POINTS.values()))
NAME = f"{AID}.ipynb"


def _solved(ctx: Ctx) -> dict:
    notebook(ctx, solved=tuple(POINTS))
    return json.loads(ctx.path.read_text(encoding="utf-8"))


def _write(ctx: Ctx, data: bytes, name: str = NAME) -> None:
    ctx.folder.mkdir(parents=True, exist_ok=True)
    (ctx.folder / name).write_bytes(data)


def malformed_json(ctx):
    _write(ctx, json.dumps(_solved(ctx)).encode()[:-200])


def nbformat_3(ctx):
    v4 = nbformat.reads(json.dumps(_solved(ctx)), as_version=4)
    ctx.path.write_text(nbformat.writes(nbformat.convert(v4, 3)), encoding="utf-8")


def nbformat_99(ctx):
    nb = _solved(ctx)
    nb["nbformat"] = 99
    ctx.path.write_text(json.dumps(nb), encoding="utf-8")


def not_utf8(ctx):
    nb = _solved(ctx)
    _write(ctx, json.dumps(nb, ensure_ascii=False).replace("Logistic", "Logïstic").encode("latin-1", "replace"))


def renamed(ctx):
    _solved(ctx)
    ctx.path.rename(ctx.folder / "my notebook (1).ipynb")


def missing(ctx):
    ctx.folder.mkdir(parents=True)
    (ctx.folder / "notes.txt").write_text("I could not finish")


def two_others(ctx):
    _solved(ctx)
    ctx.path.rename(ctx.folder / "a.ipynb")
    (ctx.folder / "b.ipynb").write_text("{}")


def missing_cells(ctx):
    nb = _solved(ctx)
    gone = {"softmax", "test_softmax", "sigmoid", "test_sigmoid"}
    nb["cells"] = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") not in gone]
    ctx.path.write_text(json.dumps(nb), encoding="utf-8")


def fifty_mb(ctx):
    nb = _solved(ctx)
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ("0123456789" * 10 + "\n") * 500_000}]
    ctx.path.write_text(json.dumps(nb), encoding="utf-8")
    assert ctx.path.stat().st_size > 50 * 10**6


def empty_file(ctx):
    _write(ctx, b"")


def not_a_notebook(ctx):
    _write(ctx, b'["this", "is", "json"]')


def a_dict_without_cells(ctx):
    _write(ctx, json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": {"0": "x"}, "metadata": {}}).encode())


def non_text_source(ctx):
    nb = _solved(ctx)
    nb["cells"][3]["source"] = [1, 2, 3]
    ctx.path.write_text(json.dumps(nb), encoding="utf-8")


def odd_cells(ctx):
    nb = _solved(ctx)
    nb["cells"].insert(2, "not a cell")
    ctx.path.write_text(json.dumps(nb), encoding="utf-8")


def deeply_nested(ctx):
    _write(ctx, b"[" * 200_000 + b"]" * 200_000)


def binary_garbage(ctx):
    _write(ctx, bytes(range(256)) * 64)


# name -> (build, status, words the note must hold, score)
CASES: dict[str, tuple[Callable[[Ctx], None], str, str, float]] = {
    "malformed_json": (malformed_json, INVALID, "not valid JSON", 0.0),
    "nbformat_3": (nbformat_3, GRADED, "converted from nbformat 3", FULL),
    "nbformat_99": (nbformat_99, INVALID, "nbformat 99", 0.0),
    "not_utf8": (not_utf8, INVALID, "not UTF-8", 0.0),
    "renamed": (renamed, GRADED, "renamed to my notebook (1).ipynb", FULL),
    "missing": (missing, MISSING, f"no {NAME}", 0.0),
    "two_other_notebooks": (two_others, MISSING, "a.ipynb, b.ipynb", 0.0),
    "missing_cells": (missing_cells, TAMPERING, "test cell test_softmax was deleted", FULL - 2 - 1),
    "fifty_mb": (fifty_mb, GRADED, "", FULL),
    "empty_file": (empty_file, INVALID, "not valid JSON", 0.0),
    "not_a_notebook": (not_a_notebook, INVALID, "not a notebook", 0.0),
    "cells_not_a_list": (a_dict_without_cells, INVALID, "no list of cells", 0.0),
    "non_text_source": (non_text_source, INVALID, "not text", 0.0),
    "a_cell_that_is_not_a_cell": (odd_cells, INVALID, "not a notebook cell", 0.0),
    "deeply_nested": (deeply_nested, INVALID, "nested too deeply", 0.0),
    "binary_garbage": (binary_garbage, INVALID, "not UTF-8", 0.0),
}
# (missing_cells: the answers sigmoid and softmax and their test cells are gone; the tests are
# checked anyway and fail)


def _ctx(released, solutions, course02, folder: Path) -> Ctx:
    return Ctx(released, solutions, course02, ROOT, folder)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_gets_a_clear_status(case, grade, released, solutions, course02, tmp_path):
    build, status, words, score = CASES[case]
    ctx = _ctx(released, solutions, course02, tmp_path / case)
    build(ctx)
    result = grade(ctx.folder)
    notes = " | ".join(result.notes)
    assert result.status == status, f"{case}: {result.status}, {notes}"
    assert words in notes, f"{case}: the notes do not say {words!r}: {notes}"
    assert result.auto_score == score, f"{case}: {result.auto_score} != {score}; {notes}"
    assert len([c for c in result.cells if c.kind == "auto"]) == len(POINTS)
    manual = [c for c in result.cells if c.kind == "manual"]
    assert manual and all(c.score is None for c in manual), "written answers are left for a person"
    if status not in (GRADED, TAMPERING):
        assert all(c.message.startswith("not graded:") for c in result.cells if c.kind == "auto")


def test_a_notebook_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / NAME
    path.write_text(json.dumps({"nbformat": 4, "cells": [], "pad": "x" * 5000}))
    with pytest.raises(Exception) as err:
        read_notebook(path, max_bytes=1000)
    assert getattr(err.value, "status", None) == INVALID and "limit" in str(err.value)


def test_one_batch_grades_the_good_submission_whatever_the_others_hold(kit, source_nb, course02, released, solutions,
                                                                        tmp_path):
    fast = [c for c in CASES if CASES[c][1] in (INVALID, MISSING)] + ["missing_cells"]
    tasks = []
    for case in [*fast, "good"]:
        ctx = _ctx(released, solutions, course02, tmp_path / case)
        if case == "good":
            notebook(ctx, solved=tuple(POINTS))
        else:
            CASES[case][0](ctx)
        tasks.append(Task(case, AID, str(ctx.folder), str(source_nb), str(kit), hide=(str(course02),)))
    before = copy.deepcopy([t.student for t in tasks])
    results = {r.student: r for r in batch.run(tasks, workers=2, progress=False)}
    assert sorted(results) == sorted(before), "every submission has a result"
    assert results["good"].status == GRADED and results["good"].auto_score == FULL, results["good"].notes
    for case in fast:
        assert results[case].status == CASES[case][1], (case, results[case].status, results[case].notes)
        assert results[case].auto_score == CASES[case][3], case
