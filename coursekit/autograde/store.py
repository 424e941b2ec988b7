"""Where grading results live: nbgrader's gradebook, plus a table of our own in the same database.

A :class:`Store` wraps :class:`nbgrader.api.Gradebook` (any SQLAlchemy ``db_url``: SQLite by
default, PostgreSQL for a class that outgrows one machine) and adds the table
``coursekit_result``: one row per (student, assignment) with the status, the notes, the sha256 of
the graded file, the autograded score and the whole :class:`~coursekit.autograde.verdict.Result`
as JSON.

:meth:`Store.commit` records one submission in a single database transaction: the nbgrader
``Grade.auto_score`` of every test cell, the written answers left for a human grader, and the
result row. It never writes ``Grade.manual_score``, so a grade given in the formgrader survives
any re-grade. Files derived from the result (feedback, the autograded notebook) are replaced
atomically *before* the transaction, so a grader killed at any moment leaves the database either
as it was or with the whole new result, and a re-run that finds the same file committed
(:meth:`Store.is_done`) skips it.
"""

import functools
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Column, DateTime, Float, MetaData, String, Table, Text, delete, insert, select

from coursekit.autograde.batch import GRADER_ERROR
from coursekit.autograde.verdict import Result

_META = MetaData()
RESULTS = Table(
    "coursekit_result",
    _META,
    Column("student", String(128), primary_key=True),
    Column("assignment", String(128), primary_key=True),
    Column("status", String(32), nullable=False),
    Column("notes", Text, nullable=False, default=""),
    Column("fingerprint", String(64), nullable=False, default=""),
    Column("auto_score", Float, nullable=False),
    Column("max_score", Float, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("result", Text, nullable=False),
    Column("graded_at", DateTime, nullable=False),
)


class StoreError(RuntimeError):
    """The gradebook cannot record a result (unknown assignment, cells changed, ...)."""


@dataclass(frozen=True)
class GradeRow:
    """One line of the grade export: a question of one student's assignment.

    ``score`` is None while a written answer awaits a grader; ``status`` is the submission's
    (graded, timed out, crashed, resource limit, tampering detected, invalid notebook, missing
    notebook) and ``notes`` what the grader noticed, joined by ``"; "``.
    """

    student: str
    assignment: str
    question: str
    kind: str  # "auto" or "manual"
    score: float | None
    max_score: float
    status: str = "graded"
    notes: str = ""


def write_atomic(path: Path, content: str | bytes) -> None:
    """Replace ``path`` with ``content`` so that a reader (or a crash) sees the old file or the
    new one, never a part: write a temporary file beside it, flush it to disk, rename it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.*.tmp"):  # left by a grader killed mid-write
        stale.unlink(missing_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@functools.cache
def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class Store:
    """The gradebook at ``db_url`` (nbgrader's tables and ``coursekit_result``).

    Use as a context manager. ``course_id`` is nbgrader's (``CourseDirectory.course_id``).
    """

    def __init__(self, db_url: str, course_id: str = "default_course"):
        from nbgrader.api import Gradebook

        _scripts_on_path()
        self.db_url = db_url
        self.gradebook = Gradebook(db_url, course_id)
        _META.create_all(self.gradebook.engine)
        self.db = self.gradebook.db
        _stamp_schema(self.gradebook)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.gradebook.close()

    # ------------------------------------------------------------------ structure
    def prepare(self, assignment: str, source: Path, config=None) -> None:
        """Record the assignment's cells (test cells, answer cells, written answers) from its
        source notebook, as ``nbgrader generate_assignment`` does with the course's ``config``
        (a traitlets Config; its ``ClearSolutions`` stubs); a no-op when they are there.

        Raises StoreError when the notebook's graded cells changed after submissions were
        recorded (nbgrader cannot move grades to other cells).
        """
        import nbformat
        from nbgrader.preprocessors import ClearSolutions, ComputeChecksums, LockCells, SaveCells

        source = Path(source)
        self.gradebook.update_or_create_assignment(assignment)
        nb = nbformat.read(str(source), as_version=4)
        resources = {
            "nbgrader": {"notebook": source.stem, "assignment": assignment, "db_url": self.db_url},
        }
        kw = {} if config is None else {"config": config}
        steps = [LockCells(**kw), ClearSolutions(**kw), ComputeChecksums(**kw), SaveCells(**kw)]
        try:
            for step in steps:
                nb, resources = step.preprocess(nb, resources)
        except RuntimeError as exc:
            raise StoreError(
                f"{assignment}: {exc}; grade the new version as a new assignment or remove the old "
                "submissions from the gradebook first"
            ) from None
        self.db.expire_all()

    # ------------------------------------------------------------------ results
    def is_done(self, student: str, assignment: str, fingerprint: str) -> bool:
        """Whether this exact file (``fingerprint``: its sha256, '' for no file) is recorded."""
        row = self.db.execute(
            select(RESULTS.c.fingerprint).where(RESULTS.c.student == student, RESULTS.c.assignment == assignment)
        ).first()
        self.db.commit()  # end the read transaction
        return row is not None and row.fingerprint == fingerprint

    def stored(self, student: str, assignment: str) -> Result | None:
        """The recorded result of a submission, or None."""
        row = self.db.execute(
            select(RESULTS.c.result).where(RESULTS.c.student == student, RESULTS.c.assignment == assignment)
        ).first()
        self.db.commit()
        return None if row is None else Result.from_dict(json.loads(row.result))

    def commit(self, result: Result, files: Mapping[Path, str | bytes] | None = None) -> None:
        """Record ``result`` (see the module docstring), after writing ``files`` atomically.

        Written answers with ``score`` None await a grader (``needs_manual_grade``) unless one
        already graded them; a written answer with a score (0 for a blank answer) is settled.
        """
        from nbgrader.api import Grade, Notebook, Student, SubmittedAssignment, SubmittedNotebook

        if result.status == GRADER_ERROR:
            raise StoreError(f"{result.student}/{result.assignment}: a grader error is never recorded")
        for path, content in (files or {}).items():
            write_atomic(Path(path), content)
        db = self.db
        try:
            assignment = self._assignment(result.assignment)
            notebooks = list(assignment.notebooks)
            if len(notebooks) != 1:
                raise StoreError(f"{result.assignment} has {len(notebooks)} notebooks in the gradebook; expected one")
            notebook: Notebook = notebooks[0]
            student = db.get(Student, result.student)
            if student is None:
                student = Student(id=result.student)
                db.add(student)
            submission = (
                db.query(SubmittedAssignment)
                .filter_by(assignment_id=assignment.id, student_id=student.id)
                .one_or_none()
            )
            if submission is None:
                with db.no_autoflush:  # the new rows are linked up before they are added
                    submission = _new_submission(assignment, student)
                    db.add(submission)
                db.flush()
            nb = next(n for n in submission.notebooks if n.notebook_id == notebook.id)
            assert isinstance(nb, SubmittedNotebook)
            grades: dict[str, Grade] = {g.cell.name: g for g in nb.grades}
            for cell in result.cells:
                grade = grades.get(cell.grade_id)
                if grade is None:
                    raise StoreError(
                        f"{result.assignment}: the gradebook has no cell {cell.grade_id!r}; run the grader "
                        "again so that it records the source notebook's cells"
                    )
                grade.auto_score = cell.score
                grade.needs_manual_grade = cell.kind == "manual" and cell.score is None and grade.manual_score is None
            key = (RESULTS.c.student == result.student) & (RESULTS.c.assignment == result.assignment)
            db.execute(delete(RESULTS).where(key))
            db.execute(insert(RESULTS).values(**_row(result)))
            db.commit()
        except BaseException:
            db.rollback()
            raise

    def _assignment(self, name: str):
        from nbgrader.api import Assignment

        found = self.db.query(Assignment).filter(Assignment.name == name).one_or_none()
        if found is None:
            raise StoreError(f"the gradebook has no assignment {name!r}; prepare it from its source notebook first")
        return found

    # ------------------------------------------------------------------ export
    def rows(self, pairs: Iterable[tuple[str, str]]) -> list[GradeRow]:
        """The export lines of the given (student, assignment) pairs that have a recorded result,
        in the order given, questions sorted by name."""
        from nbgrader.api import MissingEntry

        out = []
        for student, assignment in pairs:
            row = self.db.execute(
                select(RESULTS.c.status, RESULTS.c.notes).where(
                    RESULTS.c.student == student, RESULTS.c.assignment == assignment
                )
            ).first()
            if row is None:
                continue
            try:
                submission = self.gradebook.find_submission(assignment, student)
            except MissingEntry:
                continue
            notes = "; ".join(n for n in row.notes.split("\n") if n)
            for nb in submission.notebooks:
                for g in sorted(nb.grades, key=lambda g: g.name):
                    kind = "auto" if g.cell_type == "code" else "manual"
                    score = None if g.needs_manual_grade else g.score
                    out.append(GradeRow(student, assignment, g.name, kind, score, g.max_score, row.status, notes))
        self.db.commit()
        return out


def _scripts_on_path() -> None:
    """nbgrader runs ``alembic`` as a command when it creates a gradebook: make this Python
    environment's scripts reachable even when the environment is not activated."""
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")


def _stamp_schema(gradebook) -> None:
    """Record nbgrader's schema version when a gradebook lacks it (its creation was interrupted
    between making the tables and stamping them), as nbgrader does for a new gradebook."""
    from nbgrader.api import get_alembic_version
    from sqlalchemy import inspect, text

    if inspect(gradebook.engine).has_table("alembic_version"):
        return
    with gradebook.engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": get_alembic_version()})


def _new_submission(assignment, student):
    """A submission with an empty grade for every graded cell and a comment for every answer
    cell, mirroring ``Gradebook.add_submission`` without committing."""
    from nbgrader.api import Comment, Grade, SubmittedAssignment, SubmittedNotebook

    submission = SubmittedAssignment(assignment=assignment, student=student)
    for notebook in assignment.notebooks:
        nb = SubmittedNotebook(notebook=notebook, assignment=submission)
        for cell in notebook.grade_cells:
            Grade(cell_id=cell.id, notebook=nb)
        for cell in notebook.solution_cells:
            Comment(cell_id=cell.id, notebook=nb)
        for cell in notebook.task_cells:
            Comment(cell_id=cell.id, notebook=nb)
            Grade(cell_id=cell.id, notebook=nb)
    return submission


def _row(result: Result) -> dict:
    return {
        "student": result.student,
        "assignment": result.assignment,
        "status": result.status,
        "notes": "\n".join(result.notes),
        "fingerprint": result.fingerprint,
        "auto_score": result.auto_score,
        "max_score": sum(c.max_score for c in result.cells if c.kind == "auto"),
        "seconds": result.seconds,
        "result": json.dumps(result.to_dict(), sort_keys=True),
        "graded_at": datetime.now(UTC).replace(tzinfo=None),
    }


def settle_written_answers(result: Result, text_stub: str = "YOUR ANSWER HERE") -> Result:
    """Give 0 to written answers left as the release has them (the stub) or missing, as nbgrader
    does; every other written answer keeps ``score`` None and awaits a grader."""
    stub = _plain(text_stub)
    for cell in result.cells:
        if cell.kind == "manual" and cell.score is None and _plain(cell.message) in ("", stub):
            cell.score = 0.0
    return result


def _plain(text: str) -> str:
    return " ".join(text.split())
