"""``coursekit check NOTEBOOK``: run a notebook's visible checks and summarise them per question.

The notebook runs top to bottom in a fresh kernel (errors do not stop it); each autograded test
cell then counts as passed, failed (with the check's explanation) or not answered: its exercise
still raises ``NotImplementedError``, or the name it checks was never defined (a value question
such as ``H_worked = ...`` whose answer cell still raises). The notebook file itself is not
modified.
"""

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class QuestionStatus:
    question: str
    points: float
    status: str  # "passed", "failed", "not answered", "not run"
    message: str = ""


def run_checks(path: Path, timeout: int = 600) -> list[QuestionStatus]:
    """Execute ``path`` and return the status of each autograded test cell, in notebook order."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # malformed JSON or not a notebook
        raise ValueError(f"{path} is not a readable notebook: {exc}") from None
    client = NotebookClient(
        nb,
        timeout=timeout,
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    env_before = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"
    try:
        client.execute()
    finally:
        if env_before is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = env_before
    return statuses(nb)


def statuses(nb) -> list[QuestionStatus]:
    """Statuses of the autograded test cells of an executed notebook."""
    out = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        qid, points = meta.get("grade_id", "?"), float(meta.get("points", 0))
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if cell.get("execution_count") is None and not cell.get("outputs"):
            out.append(QuestionStatus(qid, points, "not run"))
        elif errors:
            out.append(QuestionStatus(qid, points, *_error_status(errors[0], nb.cells)))
        else:
            out.append(QuestionStatus(qid, points, "passed"))
    return out


_UNDEFINED = re.compile(r"name '([^']+)' is not defined")


def _error_status(err: dict, cells) -> tuple[str, str]:
    """("not answered" or "failed", message) for the error output ``err`` of a test cell.

    A ``NameError`` for a name that no cell of the notebook's own (a setup or demo cell) defines is
    an answer the student has not given yet, unless the answer cell that defines it raised an
    error of its own: then that error is the failure to report.
    """
    text = f"{err.get('ename')}: {err.get('evalue')}"
    if _unanswered(text):
        return "not answered", text
    match = _UNDEFINED.search(str(err.get("evalue", ""))) if err.get("ename") == "NameError" else None
    if match is None:
        return "failed", text
    name = match.group(1)
    code = [c for c in cells if c.cell_type == "code"]
    if any(_defines(c.source, name) for c in code if not c.metadata.get("nbgrader", {}).get("solution")):
        return "failed", text  # a provided name is missing: its cell failed or was not run
    for cell in code:
        if cell.metadata.get("nbgrader", {}).get("solution") and _defines(cell.source, name):
            cause = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
            if cause is not None:
                cause_text = f"{cause.get('ename')}: {cause.get('evalue')}"
                if not _unanswered(cause_text):
                    return "failed", f"{name} is not defined: its cell raised {cause_text}"
    return "not answered", text


def _unanswered(text: str) -> bool:
    return "NotImplementedError" in text or "not written yet" in text


def _defines(source: str, name: str) -> bool:
    """Whether the code ``source`` binds ``name`` at its top level or in any block (assignment,
    ``def``, ``class``, import, loop or ``with`` target). IPython magics and shell lines are skipped."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id == name:
            return True
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == name:
            return True
        if isinstance(node, ast.Import | ast.ImportFrom) and any(
            (alias.asname or alias.name.split(".")[0]) == name for alias in node.names
        ):
            return True
    return False


def summary(rows: list[QuestionStatus]) -> str:
    """A table of the statuses, and the visible points earned."""
    width = max([len(r.question) for r in rows] + [8])
    marks = {"passed": "✓", "failed": "✗", "not answered": "·", "not run": "?"}
    lines = [f"{'question':<{width}}  points  status"]
    for r in rows:
        lines.append(f"{r.question:<{width}}  {r.points:>6g}  {marks[r.status]} {r.status}")
        if r.message and r.status == "failed":
            lines.append(" " * (width + 10) + r.message[:400])
    earned = sum(r.points for r in rows if r.status == "passed")
    total = sum(r.points for r in rows)
    lines.append(
        f"visible checks pass for {earned:g} of {total:g} autograded points "
        f"(hidden tests decide the grade)."
    )
    return "\n".join(lines)
