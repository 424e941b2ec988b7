"""What the grading-at-scale tests share: a course with a batch of notebook 02 submissions, and
the state of its gradebook read with plain SQL (not through the code under test).

``state(db_url)`` maps each (student, assignment) to what was recorded for it: the result row
(status, notes, fingerprint, scores, the Result without its timings) and every nbgrader grade
(auto score, manual score, whether it awaits a grader); a submission with grades but no result
row appears with status None. It fails when anything is recorded twice.
"""

import json
import shutil
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine, text

from coursekit.course import settings
from tests.autograde import batch_mix

AID = "02_activations_softmax"

_GRADES = """
SELECT sa.student_id, a.name, c.name, g.auto_score, g.manual_score, g.needs_manual_grade
FROM grade g
JOIN submitted_notebook sn ON g.notebook_id = sn.id
JOIN submitted_assignment sa ON sn.assignment_id = sa.id
JOIN assignment a ON sa.assignment_id = a.id
JOIN base_cell c ON g.cell_id = c.id
"""


def course_with_batch(folder: Path, n: int, seed: int, broken: tuple[str, ...] = ()) -> tuple[Path, list]:
    """A released copy of the course (notebook 02 only) in ``folder/course`` with ``n``
    generated submissions of notebook 02 in ``submitted/`` (``broken``: kinds from
    ``batch_mix.OWN_BROKEN`` among them)."""
    root = batch_mix.released_course(Path(folder), (AID,))
    subs = batch_mix.make_batch(root, n=n, seed=seed, broken=list(broken), assignments=(AID,))
    batch_mix.write_batch(subs, root / "submitted")
    return root, subs


def copy_course(root: Path, dest: Path) -> Path:
    """A copy of a course folder, without anything graded."""
    ignore = shutil.ignore_patterns("gradebook.db", "autograded", "feedback", "grades.csv", "__pycache__")
    shutil.copytree(root, dest, ignore=ignore)
    return dest


def db_url(root: Path) -> str:
    return settings(root)[1].db_url


def state(url: str) -> dict[tuple[str, str], dict]:
    """What the gradebook at ``url`` holds per (student, assignment); see the module docstring."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            results = conn.execute(
                text("SELECT student, assignment, status, notes, fingerprint, auto_score, max_score, result "
                     "FROM coursekit_result")
            ).all()  # fmt: skip
            grades = conn.execute(text(_GRADES)).all()
            submissions = conn.execute(text("SELECT student_id, assignment_id FROM submitted_assignment")).all()
    finally:
        engine.dispose()
    twice = [k for k, n in Counter((r.student, r.assignment) for r in results).items() if n > 1]
    twice += [k for k, n in Counter((g[0], g[1], g[2]) for g in grades).items() if n > 1]
    twice += [k for k, n in Counter(tuple(s) for s in submissions).items() if n > 1]
    assert not twice, f"recorded more than once: {twice}"
    out: dict[tuple[str, str], dict] = {}
    for r in results:
        result = json.loads(r.result)
        result.pop("seconds")
        out[(r.student, r.assignment)] = {
            "status": r.status,
            "notes": r.notes,
            "fingerprint": r.fingerprint,
            "auto_score": r.auto_score,
            "max_score": r.max_score,
            "result": result,
            "grades": {},
        }
    for student, assignment, cell, auto, manual, needs in grades:
        # grades without a result row (written by a commit that was not one transaction) show up too
        entry = out.setdefault((student, assignment), {"status": None, "grades": {}})
        entry["grades"][cell] = (auto, manual, bool(needs))
    return out


def commit_times(url: str) -> dict[tuple[str, str], object]:
    """(student, assignment) -> when its result was last committed (changes on every commit)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT student, assignment, graded_at FROM coursekit_result")).all()
    finally:
        engine.dispose()
    return {(r.student, r.assignment): r.graded_at for r in rows}


def feedback_files(root: Path) -> dict[tuple[str, str], bytes]:
    """(student, assignment) -> the bytes of its feedback page."""
    return {
        (p.parts[-3], p.parts[-2]): p.read_bytes()
        for p in sorted((Path(root) / "feedback").glob("*/*/*.html"))
    }


def scores(rows) -> dict[tuple[str, str, str], tuple]:
    """Grade export rows keyed by (student, assignment, question): (kind, score, max, status, notes)."""
    return {(r.student, r.assignment, r.question): (r.kind, r.score, r.max_score, r.status, r.notes) for r in rows}
