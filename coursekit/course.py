"""The course on disk and what nbgrader does with it: release, autograde, feedback, grades.

A course directory holds ``nbgrader_config.py`` and ``notebooks/<assignment>/<assignment>.ipynb``.
nbgrader's own folders (``release/``, ``submitted/<student>/<assignment>/``, ``autograded/``,
``feedback/``) and its gradebook (``gradebook.db``) sit beside them.
"""

import csv
import os
import shutil
import sys
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from coursekit.bundle import build_student_package


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
    from traitlets.config import PyFileConfigLoader

    # nbgrader runs `alembic` (database migrations) as a command: make this environment's
    # scripts reachable even when the environment is not activated.
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")
    root = Path(root).resolve()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
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


@dataclass(frozen=True)
class GradeRow:
    student: str
    assignment: str
    question: str
    kind: str  # "auto" or "manual"
    score: float | None
    max_score: float


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
) -> list[GradeRow]:
    """Autograde ``submitted/`` (or the ``only`` (student, assignment) pairs), write feedback and a
    per-question ``grades.csv``.

    A submission whose autograding fails is reported and skipped; the others are still graded.
    """
    from tqdm.auto import tqdm

    root = Path(root).resolve()
    pairs = sorted(only) if only is not None else submissions(root)
    if not pairs:
        raise CourseError(
            f"nothing to grade: {root / 'submitted'} has no <student>/<assignment>/ folders"
        )
    grader = api(root)
    failures = []
    with _cwd(root):
        for student, aid in tqdm(pairs, desc="autograding", disable=not progress):
            result = grader.autograde(aid, student, force=True, create=True)
            if not result.get("success"):
                failures.append(
                    (student, aid, (result.get("error") or result.get("log") or "").strip())
                )
                continue
            if feedback:
                _ok(
                    grader.generate_feedback(aid, student, force=True),
                    f"feedback for {student}/{aid}",
                )
    failed = {(student, aid) for student, aid, _ in failures}
    rows = gradebook_rows(root, [p for p in pairs if p not in failed])
    write_grades_csv(rows, Path(csv_path or root / "grades.csv"))
    for student, aid, why in failures:
        print(
            f"could not grade {student}/{aid} (left out of the grades):\n{why[-2000:]}",
            file=sys.stderr,
        )
    return rows


def gradebook_rows(root: Path, pairs: Iterable[tuple[str, str]]) -> list[GradeRow]:
    """Per-question scores of the given submissions, read from the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    grader = api(root)
    rows = []
    with Gradebook(grader.coursedir.db_url, grader.coursedir.course_id) as gb:
        for student, aid in pairs:
            try:
                submission = gb.find_submission(aid, student)
            except MissingEntry:
                continue
            for nb in submission.notebooks:
                for g in sorted(nb.grades, key=lambda g: g.name):
                    kind = "auto" if g.cell_type == "code" else "manual"
                    score = None if g.needs_manual_grade else g.score
                    rows.append(GradeRow(student, aid, g.name, kind, score, g.max_score))
    return rows


def write_grades_csv(rows: Iterable[GradeRow], path: Path) -> None:
    """One line per student, assignment and question."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "assignment", "question", "kind", "score", "max_score"])
        for r in rows:
            writer.writerow(
                [
                    r.student,
                    r.assignment,
                    r.question,
                    r.kind,
                    "" if r.score is None else r.score,
                    r.max_score,
                ]
            )


_STUDENT_README = """# coursekit: student bundle

`notebooks/` holds the course notebooks; `coursekit/` is the library they import, without the
solutions. Install and open:

    python3.11 -m venv .venv && .venv/bin/pip install -e .
    .venv/bin/jupyter lab notebooks

Run the visible checks of a notebook from a terminal with `coursekit check notebooks/<id>/<id>.ipynb`.
"""
