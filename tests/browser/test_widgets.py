"""Every notebook with an explorer, opened as a student would in JupyterLab (headless Chromium):
run all cells, move each control, and check that the picture changes, quickly, with no errors.

Screenshots of each explorer before and after the moves, and of the notebook, are kept in
``build/screenshots/``.
"""

import json
import statistics

import nbformat
import pytest

from tests.browser.harness import cell_errors, completed_release, exercise_explorers, open_and_run
from tests.conftest import NOTEBOOKS, notebook_path

REDRAW_LIMIT_MS = 300


def _has_widgets(nb_id: str) -> bool:
    nb = nbformat.read(notebook_path(nb_id), as_version=4)
    return any(
        "widget" in c.metadata.get("nbgrader", {}).get("tags", []) or "widget" in c.metadata.get("tags", [])
        for c in nb.cells
    )


WIDGET_NOTEBOOKS = [
    pytest.param(nb, id=nb, marks=[getattr(pytest.mark, f"nb{nb[:2]}"), pytest.mark.browser])
    for nb in NOTEBOOKS
    if _has_widgets(nb)
]


def _prepare(nb_id, course, browser_bundle, suffix="", first_cell=None):
    rel = f"{nb_id}/{nb_id}{suffix}.ipynb"
    out = completed_release(
        course / "notebooks" / nb_id / f"{nb_id}.ipynb",
        course / "release" / nb_id / f"{nb_id}.ipynb",
        browser_bundle / "notebooks" / rel,
    )
    if first_cell:
        nb = nbformat.read(out, as_version=4)
        nb.cells.insert(0, nbformat.v4.new_code_cell(first_cell))
        nbformat.write(nb, str(out))
    return rel


@pytest.mark.parametrize("nb_id", WIDGET_NOTEBOOKS)
def test_explorers_redraw_in_jupyterlab(nb_id, course, browser_bundle, lab, page, screenshots):
    base, token = lab
    rel = _prepare(nb_id, course, browser_bundle, suffix="-completed")
    open_and_run(page, base, token, rel)
    page.screenshot(path=str(screenshots / f"{nb_id}-notebook-top.png"))
    assert not cell_errors(page), cell_errors(page)
    assert not page.locator(".jp-Dialog").count(), "a dialog covers the notebook"
    assert not page.locator("text=/nbgrader|Formgrader|Assignments/").count(), "instructor panels in the student view"
    reports = exercise_explorers(page, screenshots, nb_id)
    assert reports, f"{nb_id}: no explorer rendered"
    timings = {}
    for r in reports:
        assert r.controls, f"explorer {r.index} has no controls"
        assert not r.unchanged, f"{nb_id} explorer {r.index}: the plot did not change for {r.unchanged}"
        median = statistics.median(r.redraw_ms)
        timings[f"explorer {r.index}"] = {
            "moves": len(r.redraw_ms),
            "median_ms": round(median),
            "max_ms": round(max(r.redraw_ms)),
        }
        assert median < REDRAW_LIMIT_MS, f"{nb_id} explorer {r.index}: redraw takes {median:.0f} ms"
    (screenshots / f"{nb_id}-redraw.json").write_text(json.dumps(timings, indent=1))
    assert not cell_errors(page)
    page.screenshot(path=str(screenshots / f"{nb_id}-notebook-after.png"))


BREAK_CALLBACK = """
import coursekit.viz.explorer as _explorer
_first_draw = _explorer.Explorer.redraw
def _broken(self):
    if getattr(self, "_drawn_once", False):
        raise RuntimeError("broken on purpose")
    self._drawn_once = True
    _first_draw(self)
_explorer.Explorer.redraw = _broken
"""


@pytest.mark.parametrize("nb_id", WIDGET_NOTEBOOKS[:1])
def test_a_broken_callback_is_caught(nb_id, course, browser_bundle, lab, page, screenshots):
    """The same checks fail when an explorer's callback is broken: the test can fail."""
    base, token = lab
    rel = _prepare(nb_id, course, browser_bundle, suffix="-broken", first_cell=BREAK_CALLBACK)
    open_and_run(page, base, token, rel)
    reports = exercise_explorers(page, screenshots, f"{nb_id}-broken", steps=1)
    assert reports and all(r.unchanged for r in reports), "a broken callback went unnoticed"
