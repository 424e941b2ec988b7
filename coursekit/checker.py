"""``coursekit check NOTEBOOK``: run a notebook's visible checks and summarise them per question.

The notebook runs top to bottom in a fresh kernel (errors do not stop it); each autograded test
cell then counts as passed, failed (with the check's explanation) or not answered (its exercise
still raises ``NotImplementedError``). The notebook file itself is not modified.
"""

import os
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
            err = errors[0]
            text = f"{err.get('ename')}: {err.get('evalue')}"
            status = (
                "not answered"
                if "NotImplementedError" in text or "not written yet" in text
                else "failed"
            )
            out.append(QuestionStatus(qid, points, status, text))
        else:
            out.append(QuestionStatus(qid, points, "passed"))
    return out


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
