"""The course on disk: release (with nbgrader), grading (out of process), feedback, grades.

A course directory holds ``nbgrader_config.py`` and ``notebooks/<assignment>/<assignment>.ipynb``.
nbgrader's own folders (``release/``, ``submitted/<student>/<assignment>/``, ``autograded/``,
``feedback/``) and its gradebook (``gradebook.db``, or the ``db_url`` of ``nbgrader_config.py``)
sit beside them. :func:`grade` runs :mod:`coursekit.autograde` and records its results in that
gradebook (:mod:`coursekit.autograde.store`), where nbgrader's formgrader finds them.
"""

import csv
import os
import shutil
import sys
import zipfile
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from pathlib import Path

from coursekit.autograde.autograded import autograded_notebook
from coursekit.autograde.feedback_html import render as render_feedback
from coursekit.autograde.sandbox import Limits
from coursekit.autograde.store import GradeRow
from coursekit.autograde.verdict import Task
from coursekit.bundle import build_student_package

__all__ = [
    "CourseError", "GradeRow", "api", "assignments", "find_root", "grade", "release",
    "settings", "submissions", "write_grades_csv",
]  # fmt: skip


class CourseError(RuntimeError):
    """The course directory or an nbgrader step is not in a usable state."""


def find_root(start: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` holding ``nbgrader_config.py``."""
    start = Path(start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / "nbgrader_config.py").is_file():
            return folder
    raise CourseError(
        f"no nbgrader_config.py in {start} or any folder above it: run this in the course folder"
    )


def assignments(root: Path) -> list[str]:
    """Assignment ids: folders ``notebooks/<id>/`` holding ``<id>.ipynb``, in order."""
    src = Path(root) / "notebooks"
    return (
        sorted(p.name for p in src.iterdir() if (p / f"{p.name}.ipynb").is_file())
        if src.is_dir()
        else []
    )


def api(root: Path, **overrides):
    """An ``NbGraderAPI`` for the course at ``root``, with its ``nbgrader_config.py`` loaded."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from coursekit.autograde.store import _scripts_on_path

    _scripts_on_path()  # nbgrader runs `alembic` as a command
    root = Path(root).resolve()
    config, _ = settings(root)
    for dotted, value in overrides.items():
        section, name = dotted.split("__", 1)
        setattr(getattr(config, section), name, value)
    config.NbGraderAPI.log_level = "WARN"
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)


def _ok(result: dict, what: str) -> None:
    if not result.get("success"):
        detail = (result.get("error") or "") + (result.get("log") or "")
        raise CourseError(f"{what} failed:\n{detail.strip()}")


@contextmanager
def _cwd(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def release(root: Path, only: Iterable[str] | None = None, out: Path | None = None) -> Path:
    """Generate every assignment into ``release/`` and build the student bundle.

    The bundle (``dist/student/`` and ``dist/coursekit-student.zip``) holds the release notebooks
    and the student build of coursekit, with every solution and hidden test stripped.
    """
    root = Path(root).resolve()
    ids = list(only) if only else assignments(root)
    if not ids:
        raise CourseError(f"no notebooks found under {root / 'notebooks'}")
    grader = api(root)
    with _cwd(root):
        for aid in ids:
            _ok(grader.generate_assignment(aid, force=True, create=True), f"generating {aid}")
    out = Path(out or root / "dist" / "student")
    if out.exists():
        shutil.rmtree(out)
    build_student_package(root / "coursekit", out / "coursekit")
    for aid in ids:
        shutil.copytree(root / "release" / aid, out / "notebooks" / aid)
    (out / "README.md").write_text(_STUDENT_README, encoding="utf-8")
    shutil.copy2(root / "pyproject.toml", out / "pyproject.toml")
    archive = out.parent / "coursekit-student.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(out.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(out.parent))
    return out


def submissions(root: Path) -> list[tuple[str, str]]:
    """(student, assignment) pairs found under ``submitted/``."""
    sub = Path(root) / "submitted"
    if not sub.is_dir():
        return []
    return sorted(
        (s.name, a.name) for s in sub.iterdir() if s.is_dir() for a in s.iterdir() if a.is_dir()
    )


def grade(
    root: Path,
    *,
    only: Iterable[tuple[str, str]] | None = None,
    feedback: bool = True,
    csv_path: Path | None = None,
    progress: bool = True,
    workers: int | None = None,
    executor: Executor | None = None,
    force: bool = False,
    limits: Limits | None = None,
    fast: bool | None = None,
) -> list[GradeRow]:
    """Grade ``submitted/`` (or the ``only`` (student, assignment) pairs) out of process, record
    each result in the gradebook, write feedback and a per-question ``grades.csv``.

    Each submission runs in its own sandboxed process (:mod:`coursekit.autograde`), ``workers``
    at a time (default: the cores), or on ``executor`` (any ``concurrent.futures.Executor``, e.g.
    a Dask client's ``get_executor()``; its workers must see this course folder at the same
    path). Each result is committed on its own as soon as it is ready, so an interrupted run
    loses at most the submissions being graded; a re-run skips a submission already graded from
    the same file with the same tests (source notebook and coursekit sources) unless ``force``.
    A submission that cannot be graded gets its status (invalid notebook, timed out, ...) and
    never stops the batch. ``limits``: per-submission limits (``Limits``); ``fast``: run
    notebooks in fast mode (default: unless ``COURSEKIT_FAST=0``).

    The worker processes start afresh and import the calling script again, so a script that
    calls this with more than one worker does so under ``if __name__ == "__main__":``.

    Returns the rows of ``grades.csv``: one per student, assignment and question, with the
    submission's status and the grader's notes.
    """
    from coursekit.autograde import batch
    from coursekit.autograde.sandbox import isolation_warning
    from coursekit.autograde.store import Store, StoreError, write_atomic

    root = Path(root).resolve()
    pairs = sorted(set(only)) if only is not None else submissions(root)
    if not pairs:
        raise CourseError(
            f"nothing to grade: {root / 'submitted'} has no <student>/<assignment>/ folders"
        )
    config, coursedir = settings(root)
    stub = config.ClearSolutions.get("text_stub", "YOUR ANSWER HERE")
    fast = (os.environ.get("COURSEKIT_FAST", "1").strip() != "0") if fast is None else fast
    warning = isolation_warning()
    if warning:
        print(warning, file=sys.stderr)
    package = _package_dir(root)
    kit = str(package) if executor is not None else str(batch.kit_for(package))
    problems: list[str] = []
    with Store(coursedir.db_url, coursedir.course_id) as store:
        sources = _prepare(root, store, {aid for _, aid in pairs}, config, problems)
        tasks, skipped = [], 0
        versions = _versions(root, package, sources)
        for student, aid in pairs:
            if aid not in sources:
                continue
            folder = root / coursedir.submitted_directory / student / aid
            if not force and store.is_done(student, aid, _fingerprint(folder, aid, versions[aid])):
                skipped += 1
                path = _derived_paths(root, coursedir, student, aid)["feedback"]
                if feedback and not path.is_file() and (old := store.stored(student, aid)) is not None:
                    write_atomic(path, render_feedback(old, sources[aid]))
                continue
            tasks.append(
                Task(student, aid, str(folder), str(_source(root, aid)), kit, hide=(str(root),),
                     limits=limits or Limits(), fast=fast, version=versions[aid])
            )  # fmt: skip
        for result in batch.run(tasks, workers=workers, executor=executor, progress=progress):
            who = f"{result.student}/{result.assignment}"
            if result.status == batch.GRADER_ERROR:
                problems.append(f"could not grade {who} (the grader failed; a re-run tries again): "
                                + "; ".join(result.notes))  # fmt: skip
                continue
            try:
                _record(store, result, sources[result.assignment], root, coursedir, feedback, stub)
            except (StoreError, OSError, ValueError) as exc:
                problems.append(f"could not record {who} (a re-run tries again): {exc}")
        rows = store.rows(pairs)
    if skipped and progress:
        print(f"{skipped} submission(s) already graded from the same file were skipped (--force grades them again)",
              file=sys.stderr)  # fmt: skip
    write_grades_csv(rows, Path(csv_path or root / "grades.csv"))
    for problem in problems:
        print(problem, file=sys.stderr)
    return rows


def _record(store, result, source_nb: dict, root: Path, coursedir, feedback: bool, stub: str) -> None:
    """Commit one result with the files made from it: the autograded notebook and the feedback."""
    from coursekit.autograde.store import settle_written_answers

    settle_written_answers(result, stub)
    paths = _derived_paths(root, coursedir, result.student, result.assignment)
    submission = _submission(root / coursedir.submitted_directory, result)
    files: dict[Path, str] = {paths["autograded"]: autograded_notebook(result, source_nb, submission)}
    if feedback:
        files[paths["feedback"]] = render_feedback(result, source_nb)
    store.commit(result, files)


def settings(root: Path):
    """The course's nbgrader configuration (``nbgrader_config.py``) and its ``CourseDirectory``
    (folders, ``db_url``, ``course_id``)."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import PyFileConfigLoader

    root = Path(root).resolve()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    return config, CourseDirectory(config=config)


def _source(root: Path, aid: str) -> Path:
    return root / "notebooks" / aid / f"{aid}.ipynb"


def _package_dir(root: Path) -> Path:
    """The full coursekit package the grader builds the student kit from: the course folder's
    own copy when it has one, else the installed package."""
    own = root / "coursekit"
    if (own / "__init__.py").is_file():
        return own
    import coursekit

    return Path(coursekit.__file__).resolve().parent


def _prepare(root: Path, store, ids: set[str], config, problems: list[str]) -> dict[str, dict]:
    """Record each assignment's cells in the gradebook; the source notebooks by id."""
    import json

    from coursekit.autograde.store import StoreError

    sources = {}
    for aid in sorted(ids):
        path = _source(root, aid)
        if not path.is_file():
            problems.append(f"no source notebook {path.relative_to(root)}: submissions of {aid} were not graded")
            continue
        try:
            store.prepare(aid, path, config)
        except StoreError as exc:
            raise CourseError(str(exc)) from None
        sources[aid] = json.loads(path.read_text(encoding="utf-8"))
    return sources


def _versions(root: Path, package: Path, sources: dict) -> dict[str, str]:
    """Per assignment, a digest of what its grades depend on besides the submission: the source
    notebook (its test cells) and the coursekit sources (references, hidden cases)."""
    import hashlib

    from coursekit.autograde.kits import source_digest

    kit = source_digest(package)
    return {aid: hashlib.sha256(_source(root, aid).read_bytes() + kit.encode()).hexdigest() for aid in sources}


def _fingerprint(folder: Path, aid: str, version: str) -> str:
    from coursekit.autograde import notebook as nbk
    from coursekit.autograde.verdict import fingerprint

    try:
        path, _ = nbk.find_notebook(folder, f"{aid}.ipynb")
    except nbk.InvalidSubmission:
        return ""
    return fingerprint(path, version)


def _submission(submitted: Path, result) -> dict | None:
    """The graded submission as plain JSON, or None when it cannot be read as a notebook."""
    from coursekit.autograde import notebook as nbk

    try:
        path, _ = nbk.find_notebook(submitted / result.student / result.assignment, f"{result.assignment}.ipynb")
        return nbk.read_notebook(path)[0]
    except nbk.InvalidSubmission:
        return None


def _derived_paths(root: Path, coursedir, student: str, aid: str) -> dict[str, Path]:
    return {
        "autograded": root / coursedir.autograded_directory / student / aid / f"{aid}.ipynb",
        "feedback": root / coursedir.feedback_directory / student / aid / f"{aid}.html",
    }


def write_grades_csv(rows: Iterable[GradeRow], path: Path) -> None:
    """One line per student, assignment and question, with the submission's status and notes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "assignment", "question", "kind", "score", "max_score", "status", "notes"])
        for r in rows:
            score = "" if r.score is None else r.score
            writer.writerow([r.student, r.assignment, r.question, r.kind, score, r.max_score, r.status, r.notes])


_STUDENT_README = """# coursekit: student bundle

`notebooks/` holds the course notebooks; `coursekit/` is the library they import, without the
solutions. Install and open:

    python3.11 -m venv .venv && .venv/bin/pip install -e .
    .venv/bin/jupyter lab notebooks

Run the visible checks of a notebook from a terminal with `coursekit check notebooks/<id>/<id>.ipynb`.
"""
