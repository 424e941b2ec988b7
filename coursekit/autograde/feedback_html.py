"""Feedback for one graded submission, as a standalone HTML page for the student.

Each test cell of the source notebook appears with its *visible* part only, the points it earned
and the grader's verdict (the explanation of a failed check names the input and the likely
mistake). Hidden tests stay hidden: their source is never shown, the output of a cell that has
hidden tests is never shown, and any message that would quote a line of a hidden test is replaced
(:func:`redact`). Written answers are shown as awaiting a grader.
"""

import html
import re

from coursekit.autograde import notebook as nbk
from coursekit.autograde.verdict import CellVerdict, Result

_REGION = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*$", re.M | re.S)
HIDDEN_NOTE = "(hidden tests ran here; their code is not shown)"
REDACTED = "a hidden test failed (its code is not shown)"

EXPLAIN = {
    "graded": "graded",
    "timed out": "the notebook ran past its time limit; the checks it did not reach earned nothing",
    "resource limit": "the notebook went past a memory, output or file-size limit",
    "crashed": "the notebook's process ended before grading finished (an exit, a crash or a killed kernel)",
    "tampering detected": (
        "the notebook changed its test cells or tried something the grader does not allow; the original tests were run"
    ),
    "invalid notebook": "the file could not be read as a notebook",
    "missing notebook": "no notebook was found in the submission",
}


def hidden_lines(source_nb: dict) -> set[str]:
    """Every line (stripped, 4 characters or more) of the hidden-test regions of ``source_nb``."""
    lines = set()
    for cell in source_nb.get("cells", []):
        text = cell.get("source", "")
        text = "".join(text) if isinstance(text, list) else text
        for region in _REGION.findall(text):
            lines |= {line.strip() for line in region.splitlines() if len(line.strip()) >= 4}
    return lines


def redact(text: str, hidden: set[str]) -> str:
    """``text``, or :data:`REDACTED` when it quotes a hidden-test line."""
    return REDACTED if any(line in text for line in hidden) else text


def render(result: Result, source_nb: dict) -> str:
    """The feedback page of ``result`` (graded against ``source_nb``, the instructor's notebook)."""
    tests, manual_points, _ = nbk.source_cells(source_nb)
    hidden = hidden_lines(source_nb)
    visible = {t.grade_id: t for t in tests}
    verdicts = {c.grade_id: c for c in result.cells}
    auto = [c for c in result.cells if c.kind == "auto"]
    earned, top = sum(c.score or 0.0 for c in auto), sum(c.max_score for c in auto)
    waiting = [c for c in result.cells if c.kind == "manual" and c.score is None]
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Feedback: {e(result.assignment)} ({e(result.student)})</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{e(result.assignment)}</h1>",
        f'<p class="who">Student: {e(result.student)}</p>',
        f'<p class="status status-{e(result.status.replace(" ", "-"))}">Status: <b>{e(result.status)}</b>'
        f" ({e(EXPLAIN.get(result.status, result.status))})</p>",
        f'<p class="total">Autograded: <b>{earned:g} / {top:g}</b> points.'
        + (
            f" Written answers awaiting a grader: {len(waiting)} ({sum(c.max_score for c in waiting):g} points)."
            if waiting
            else ""
        )
        + "</p>",
    ]
    notes = [redact(n, hidden) for n in result.notes]
    if notes:
        parts.append('<ul class="notes">' + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>")
    for gid in _order(source_nb):
        cell = verdicts.get(gid)
        if cell is None:
            continue
        if gid in visible:
            parts.append(_test_section(cell, visible[gid], hidden))
        elif gid in manual_points:
            parts.append(_written_section(cell))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _order(source_nb: dict) -> list[str]:
    ids = []
    for cell in source_nb.get("cells", []):
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid and cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            ids.append(gid)
    return ids


def _test_section(cell: CellVerdict, test: nbk.TestCell, hidden: set[str]) -> str:
    e = html.escape
    has_hidden = _REGION.search(test.source) is not None
    passed = cell.score is not None and cell.score >= cell.max_score
    verdict = "passed" if passed else redact(cell.message or "no points", hidden)
    out = [
        f'<section class="cell {"pass" if passed else "fail"}" id="{e(cell.grade_id)}">',
        f"<h2>{e(cell.grade_id)} <span>{cell.score or 0:g} / {cell.max_score:g}</span></h2>",
        f'<pre class="test">{e(test.visible)}</pre>',
    ]
    if has_hidden:
        out.append(f'<p class="hidden-note">{e(HIDDEN_NOTE)}</p>')
    out.append(f'<p class="verdict">{e(verdict)}</p>')
    if cell.output.strip() and not has_hidden:
        out.append(f'<pre class="output">{e(redact(cell.output, hidden))}</pre>')
    out.append("</section>")
    return "\n".join(out)


def _written_section(cell: CellVerdict) -> str:
    e = html.escape
    if cell.score is None:
        state = "awaiting a grader"
        points = f"? / {cell.max_score:g}"
    else:
        state = "not answered" if cell.score == 0 else "graded"
        points = f"{cell.score:g} / {cell.max_score:g}"
    answer = cell.message.strip()
    return "\n".join(
        [
            f'<section class="cell written" id="{e(cell.grade_id)}">',
            f"<h2>{e(cell.grade_id)} (written) <span>{points}</span></h2>",
            f'<pre class="answer">{e(answer) if answer else "(no answer)"}</pre>',
            f'<p class="verdict">{state}</p>',
            "</section>",
        ]
    )


_CSS = """
body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:.2em}.who{color:#555;margin-top:0}
.cell{border:1px solid #ccc;border-left-width:6px;border-radius:4px;margin:1em 0;padding:.3em 1em}
.pass{border-left-color:#2a7}.fail{border-left-color:#c33}.written{border-left-color:#88a}
h2{font-size:1.05em}h2 span{float:right;font-weight:normal}
pre{background:#f6f6f6;padding:.5em;overflow-x:auto;white-space:pre-wrap}
.hidden-note{color:#777;font-style:italic}.verdict{white-space:pre-wrap}
.notes{background:#fff8e0;padding:.5em 2em}
""".strip()
