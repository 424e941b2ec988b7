"""Hostile submissions get at most what their honest work deserves, and a named status.

Each entry of :mod:`tests.autograde.hostile` is written as a real notebook and graded by
``verdict.grade_one``; the grader's verdict must match the catalogue exactly (score and status),
runaway submissions must end in time, nothing may be forged, and no process of the submission
may outlive its grading.
"""

import time

import pytest

from coursekit.autograde.sandbox import GRADED
from tests.autograde.conftest import ROOT, session_members
from tests.autograde.hostile import CATALOGUE, POINTS, Ctx, notebook

STATUSES = {"graded", "timed out", "crashed", "resource limit", "tampering detected"}


def test_the_catalogue_is_large_and_named():
    names = [h.name for h in CATALOGUE]
    assert len(names) >= 32 and len(set(names)) == len(names), names
    assert {h.status for h in CATALOGUE} <= STATUSES
    assert {h.status for h in CATALOGUE} == STATUSES, "every status is reached by some submission"


def _describe(result) -> str:
    cells = "\n".join(f"    {c.grade_id}: {c.score}/{c.max_score} {c.message[:160]}"
                      for c in result.cells if c.kind == "auto")
    return f"status {result.status!r}, notes {result.notes[:8]}\n{cells}\n  output tail: {result.output[-600:]!r}"


@pytest.mark.parametrize("hostile", CATALOGUE, ids=[h.name for h in CATALOGUE])
def test_hostile_submission(hostile, grade, released, solutions, course02, tmp_path, sessions):
    ctx = Ctx(released, solutions, course02, ROOT, tmp_path / "submitted" / hostile.name)
    hostile.build(ctx)
    start = time.monotonic()
    result = grade(ctx.folder, limits=hostile.limits)
    took = time.monotonic() - start
    what = f"{hostile.name} ({hostile.why or 'no reason given'}): {_describe(result)}"
    assert result.auto_score <= hostile.honest, f"earned {result.auto_score}, more than its honest work; {what}"
    if hostile.exact:
        assert result.auto_score == hostile.honest, f"lost points its honest work earned; {what}"
    assert result.status == hostile.status, f"expected status {hostile.status!r}; {what}"
    assert len([c for c in result.cells if c.kind == "auto"]) == len(POINTS), what
    if hostile.runaway is not None:
        assert took <= hostile.runaway, f"grading took {took:.1f}s, more than {hostile.runaway}s; {what}"
    if hostile.check is not None:
        problems = hostile.check(ctx, result)
        assert not problems, f"{hostile.name}: {problems}"
    assert sessions, "no sandbox was started"
    time.sleep(0.2)
    left = session_members(sessions)
    assert not left, f"{hostile.name} left processes behind: {left}"


def test_a_normal_submission_still_grades_fully_after_the_hostile_ones(grade, released, solutions, course02, tmp_path,
                                                                       sessions):
    """Runs after the catalogue in the same worker (file order): the grader's process is intact."""
    ctx = Ctx(released, solutions, course02, ROOT, tmp_path / "honest")
    notebook(ctx, solved=tuple(POINTS))
    result = grade(ctx.folder)
    assert result.status == GRADED, _describe(result)
    assert result.auto_score == sum(POINTS.values()), _describe(result)
    assert not session_members(sessions)
