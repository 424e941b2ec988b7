"""The autograded notebook that nbgrader's formgrader shows (``autograded/<student>/<assignment>/``).

It is built from the grader's :class:`~coursekit.autograde.verdict.Result`, never executed: the
student's cells in their order (outputs cleared), every test cell as the *source* notebook has it
(the instructor sees the hidden tests) with the verdict as its output, and the written answers
with the source's nbgrader metadata so that the formgrader can grade them. nbgrader metadata the
submission carries on any other cell is dropped, so a forged or duplicated grade id can neither
reach the gradebook nor break the formgrader. Test cells and written answers the submission lost
are appended at the end.
"""

import copy
import json

from coursekit.autograde import notebook as nbk
from coursekit.autograde.feedback_html import hidden_lines, redact
from coursekit.autograde.verdict import CellVerdict, Result


def autograded_notebook(result: Result, source_nb: dict, submission: dict | None) -> str:
    """The autograded notebook of ``result`` as nbformat-4 JSON text.

    ``submission``: the student's notebook as :func:`~coursekit.autograde.notebook.read_notebook`
    returns it, or None when it could not be read (then only the graded cells appear).
    """
    meta_of = {
        m["grade_id"]: (cell["cell_type"], m)
        for cell in source_nb["cells"]
        if (m := cell.get("metadata", {}).get("nbgrader", {})) and m.get("grade_id")
    }
    sources = {gid: cell for cell in source_nb["cells"] if (gid := _gid(cell)) in meta_of}
    tests, manual_points, _ = nbk.source_cells(source_nb)
    test_ids = {t.grade_id for t in tests}
    verdicts = {c.grade_id: c for c in result.cells}
    hidden = hidden_lines(source_nb)
    cells: list[dict] = []
    seen: set[str] = set()
    if submission is None:
        note = f"**Not graded as a notebook: {result.status}.** " + " ".join(result.notes)
        cells.append(_cell("markdown", note, {}))
    for cell in (submission or {}).get("cells", []):
        gid = _gid(cell)
        if gid in test_ids and gid not in seen:
            seen.add(gid)
            cells.append(_test_cell(sources[gid], verdicts.get(gid), hidden))
        elif gid in meta_of and gid not in seen and meta_of[gid][0] == cell["cell_type"] and gid not in test_ids:
            seen.add(gid)
            cells.append(_cell(cell["cell_type"], cell["source"], {"nbgrader": copy.deepcopy(meta_of[gid][1])}))
        else:
            metadata = {k: v for k, v in cell.get("metadata", {}).items() if k != "nbgrader"}
            cells.append(_cell(cell["cell_type"], cell["source"], metadata))
    missing = [gid for gid in meta_of if gid not in seen and (gid in test_ids or gid in manual_points)]
    if missing and submission is not None:
        cells.append(_cell("markdown", "*Graded cells missing from the submission:*", {}))
    for gid in missing:
        if gid in test_ids:
            cells.append(_test_cell(sources[gid], verdicts.get(gid), hidden))
        else:
            cells.append(_cell("markdown", "", {"nbgrader": copy.deepcopy(meta_of[gid][1])}))
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
    nb = {
        "cells": cells,
        "metadata": copy.deepcopy(source_nb.get("metadata", {})),
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _gid(cell: dict) -> str | None:
    meta = cell.get("metadata", {})
    meta = meta.get("nbgrader", {}) if isinstance(meta, dict) else {}
    gid = meta.get("grade_id") if isinstance(meta, dict) else None
    return gid if isinstance(gid, str) else None


def _cell(kind: str, source: str, metadata: dict) -> dict:
    cell = {"cell_type": kind, "metadata": metadata, "source": source}
    if kind == "code":
        cell.update(outputs=[], execution_count=None)
    return cell


def _test_cell(source_cell: dict, verdict: CellVerdict | None, hidden: set[str]) -> dict:
    text = source_cell.get("source", "")
    cell = _cell("code", "".join(text) if isinstance(text, list) else text, copy.deepcopy(source_cell["metadata"]))
    if verdict is None:
        line = "not graded"
    elif verdict.score is not None and verdict.score >= verdict.max_score:
        line = f"passed: {verdict.score:g} / {verdict.max_score:g}"
    else:
        line = f"{verdict.score or 0:g} / {verdict.max_score:g}: {redact(verdict.message, hidden)}"
    cell["outputs"] = [{"name": "stdout", "output_type": "stream", "text": line + "\n"}]
    return cell
