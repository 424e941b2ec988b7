"""Feedback pages never show hidden tests, for every notebook, whatever the verdicts say.

The verdicts here are made hostile on purpose: every failed test cell's message and output quote
the whole source of its cell (hidden tests included), as a check that leaked its own code
would. The page must still show each test's visible part, the points and the explanations, and
no line of any hidden test. The same holds for the autograded notebook's verdict outputs, which
nbgrader's own feedback would show.
"""

import html
import json
import re

import pytest

from coursekit.autograde import notebook as nbk
from coursekit.autograde.autograded import autograded_notebook
from coursekit.autograde.feedback_html import HIDDEN_NOTE, REDACTED, hidden_lines, render
from coursekit.autograde.verdict import CellVerdict, Result
from tests.conftest import NOTEBOOKS, nb_param, notebook_path

_REGION = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.S)


def _all_hidden_lines(nb: dict) -> set[str]:
    """Every non-blank line inside a hidden-test region, found independently of the module."""
    lines = set()
    for cell in nb["cells"]:
        for region in _REGION.findall("".join(cell["source"])):
            lines |= {line.strip() for line in region.splitlines() if line.strip()}
    return lines


def _plain(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _leaky_result(nb: dict) -> Result:
    tests, manual, _ = nbk.source_cells(nb)
    cells = []
    for i, t in enumerate(tests):
        if i % 2:  # a failure that quotes the whole cell, hidden tests included
            cells.append(CellVerdict(t.grade_id, "auto", t.points, 0.0, f"AssertionError in\n{t.source}", t.source))
        else:
            cells.append(CellVerdict(t.grade_id, "auto", t.points, 0.0, f"softmax(z)[1] should be 0.5 ({t.grade_id})"))
    cells += [CellVerdict(g, "manual", p, None, f"my answer to {g}") for g, p in manual.items()]
    leak = tests[0].source if tests else ""
    return Result("lee", "x", "tampering detected", cells, notes=[f"test cell edited: {leak}", "plain note"])


@pytest.mark.parametrize("nb_id", [nb_param(n) for n in NOTEBOOKS])
def test_feedback_never_shows_a_hidden_test_line(nb_id):
    nb = json.loads(notebook_path(nb_id).read_text(encoding="utf-8"))
    hidden = _all_hidden_lines(nb)
    assert hidden, f"{nb_id} has no hidden tests to hide"
    result = _leaky_result(nb)
    page = render(result, nb)
    text = _plain(page)
    for line in hidden:
        assert line not in text, f"feedback of {nb_id} shows the hidden-test line {line!r}"
    assert "Traceback" not in text and "Cell In[" not in text
    tests, manual, _ = nbk.source_cells(nb)
    for t in tests:
        assert t.visible in text, f"the visible part of {t.grade_id} is missing"
    for i, t in enumerate(tests):
        if not i % 2:
            assert f"softmax(z)[1] should be 0.5 ({t.grade_id})" in text  # explanations are shown
    assert HIDDEN_NOTE in text and REDACTED in text and "plain note" in text
    assert text.count("awaiting a grader") >= len(manual)

    graded = json.loads(autograded_notebook(result, nb, None))
    outputs = "".join(o["text"] for c in graded["cells"] for o in c.get("outputs", []))
    for line in hidden:
        assert line not in outputs, f"the autograded notebook's verdicts quote {line!r}"


def test_hidden_lines_cover_every_hidden_region():
    for nb_id in NOTEBOOKS:
        nb = json.loads(notebook_path(nb_id).read_text(encoding="utf-8"))
        short = {line for line in _all_hidden_lines(nb) if len(line) < 4}
        assert _all_hidden_lines(nb) - short <= hidden_lines(nb)
        assert not short, f"{nb_id}: hidden-test lines too short to recognise: {short}"
