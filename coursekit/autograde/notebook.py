"""Reading a submitted notebook defensively, and lining it up with the source notebook.

What is graded comes from the source notebook (the instructor's, with hidden tests); the
submission only contributes the code it runs. :func:`read_notebook` turns any file into a
notebook or an :class:`InvalidSubmission` naming the problem; :func:`make_plan` decides which of
the submission's cells run, where each test cell of the source is checked, and notes every test
cell that was edited, deleted, duplicated or renamed.
"""

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

MAX_NOTEBOOK_BYTES = 64 * 2**20

MISSING = "missing notebook"
INVALID = "invalid notebook"

_HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S)


class InvalidSubmission(Exception):
    """A submission that cannot be read as a notebook; ``status`` is ``MISSING`` or ``INVALID``."""

    def __init__(self, status: str, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail


@dataclass(frozen=True)
class TestCell:
    """A test cell of the source notebook: its id, points and full source (with hidden tests)."""

    grade_id: str
    points: float
    source: str

    @property
    def visible(self) -> str:
        return _normal(_HIDDEN.sub("", self.source))


@dataclass(frozen=True)
class ManualCell:
    """A written answer: graded by hand; ``answer`` is the student's text (None if missing)."""

    grade_id: str
    points: float
    answer: str | None


@dataclass
class Plan:
    """What to do with one submission, in order: ``("run", source)`` runs a cell of the student's
    in their process; ``("test", TestCell)`` checks a test cell on the grader's side."""

    steps: list[tuple[str, object]] = field(default_factory=list)
    manual: list[ManualCell] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tampered: bool = False

    @property
    def tests(self) -> list[TestCell]:
        return [s for kind, s in self.steps if kind == "test"]


def find_notebook(folder: Path, name: str) -> tuple[Path, list[str]]:
    """The submission file ``folder/name``, or the only other notebook there (with a note)."""
    folder = Path(folder)
    path = folder / name
    if path.is_file():
        return path, []
    others = sorted(p for p in folder.glob("*.ipynb") if p.is_file()) if folder.is_dir() else []
    if len(others) == 1:
        return others[0], [f"the notebook was renamed to {others[0].name} (expected {name}); graded anyway"]
    found = ", ".join(p.name for p in others) or "nothing"
    raise InvalidSubmission(MISSING, f"no {name} in the submission (found {found})")


def read_notebook(path: Path, max_bytes: int = MAX_NOTEBOOK_BYTES) -> tuple[dict, list[str]]:
    """The notebook at ``path`` as nbformat-4 JSON, and notes (e.g. it was converted)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidSubmission(MISSING, f"cannot read {path.name}: {exc.strerror}") from None
    if size > max_bytes:
        raise InvalidSubmission(
            INVALID, f"{path.name} is {size / 2**20:.0f} MB; the limit is {max_bytes / 2**20:.0f} MB"
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidSubmission(INVALID, f"{path.name} is not UTF-8 text (bad byte at offset {exc.start})") from None
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidSubmission(
            INVALID, f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise InvalidSubmission(INVALID, f"{path.name} is nested too deeply to be a notebook") from None
    if not isinstance(nb, dict):
        raise InvalidSubmission(INVALID, f"{path.name} holds JSON but not a notebook (no top-level object)")
    notes = []
    version = nb.get("nbformat")
    if version != 4:
        nb = _convert(nb, version, path.name)
        notes.append(f"converted from nbformat {version} to 4")
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise InvalidSubmission(INVALID, f"{path.name} has no list of cells")
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise InvalidSubmission(INVALID, f"{path.name}: cell {i + 1} is not a notebook cell")
        cell["source"] = _text(cell.get("source", ""), f"{path.name}: cell {i + 1}")
        if not isinstance(cell.get("metadata", {}), dict):
            cell["metadata"] = {}
    return nb, notes


def _convert(nb: dict, version: object, name: str) -> dict:
    import nbformat

    if version not in (1, 2, 3):
        raise InvalidSubmission(INVALID, f"{name} declares nbformat {version!r}; expected 4")
    try:
        return json.loads(nbformat.writes(nbformat.reads(json.dumps(nb), as_version=4)))
    except Exception as exc:  # noqa: BLE001  (nbformat raises many kinds)
        raise InvalidSubmission(INVALID, f"{name} is nbformat {version} and cannot be converted: {exc}") from None


def _text(source: object, where: str) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        return "".join(source)
    raise InvalidSubmission(INVALID, f"{where} has a source that is not text")


def _normal(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _nbgrader(cell: dict) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def source_cells(source_nb: dict) -> tuple[list[TestCell], dict[str, float], set[str]]:
    """The source notebook's test cells, written-answer cells (id -> points) and the texts of
    its explorer cells (tagged ``widget``, skipped when grading)."""
    tests, manual, widgets = [], {}, set()
    for cell in source_nb["cells"]:
        meta = _nbgrader(cell)
        text = _text(cell.get("source", ""), "source notebook")
        if cell["cell_type"] == "code" and meta.get("grade") and not meta.get("solution"):
            tests.append(TestCell(meta["grade_id"], float(meta.get("points", 0)), text))
        elif meta.get("grade") and meta.get("solution") and cell["cell_type"] == "markdown":
            manual[meta["grade_id"]] = float(meta.get("points", 0))
        if "widget" in cell.get("metadata", {}).get("tags", []):
            widgets.add(_normal(text))
    return tests, manual, widgets


def trusted_imports(source_nb: dict) -> str:
    """Every import statement of the source notebook's own (non-solution) code cells: the names
    the test cells use that the grader provides itself."""
    lines = []
    for cell in source_nb["cells"]:
        meta = _nbgrader(cell)
        if cell["cell_type"] != "code" or meta.get("solution"):
            continue
        text = _text(cell.get("source", ""), "source notebook")
        try:
            tree = ast.parse(_HIDDEN.sub("", text) if not meta.get("grade") else text)
        except SyntaxError:
            continue
        lines += [ast.unparse(node) for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    return "\n".join(dict.fromkeys(lines))


def _points(value: object) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def make_plan(source_nb: dict, submission: dict) -> Plan:
    """Line the submission up with the source notebook (see the module docstring)."""
    tests, manual_points, widgets = source_cells(source_nb)
    by_id = {t.grade_id: t for t in tests}
    by_text = {t.visible: t for t in tests}
    plan = Plan()
    done: set[str] = set()
    answers: dict[str, str] = {}
    for cell in submission["cells"]:
        meta = _nbgrader(cell)
        gid = meta.get("grade_id")
        text = cell["source"]
        if gid in manual_points and cell["cell_type"] == "markdown" and gid not in answers:
            answers[gid] = text
        if cell["cell_type"] != "code":
            continue
        test = by_id.get(gid) if isinstance(gid, str) else None
        if test is not None and "points" in meta and _points(meta["points"]) != test.points:
            plan.notes.append(
                f"test cell {test.grade_id} claims {str(meta['points'])[:20]} points; "
                f"the assignment's {test.points:g} were used"
            )
            plan.tampered = True
        if test is None:
            test = by_text.get(_normal(text))
            if test is not None:
                plan.notes.append(f"test cell {test.grade_id} has a changed id or metadata")
                plan.tampered = True
            elif meta.get("grade") and not meta.get("solution"):
                plan.notes.append(
                    f"a cell claims to be test cell {str(gid)[:60]!r}, which the assignment does not "
                    "have; it ran as ordinary code and earns nothing"
                )
                plan.tampered = True
        if test is not None:
            if test.grade_id in done:
                plan.notes.append(f"test cell {test.grade_id} appears more than once; checked once")
                plan.tampered = True
                continue
            if _normal(text) != test.visible:
                plan.notes.append(f"test cell {test.grade_id} was edited; the original was checked")
                plan.tampered = True
            done.add(test.grade_id)
            plan.steps.append(("test", test))
            continue
        if _normal(text) in widgets or not text.strip():
            continue
        plan.steps.append(("run", text))
    for test in tests:
        if test.grade_id not in done:
            plan.notes.append(f"test cell {test.grade_id} was deleted; the original was checked at the end")
            plan.tampered = True
            plan.steps.append(("test", test))
    for gid, points in manual_points.items():
        if gid not in answers:
            plan.notes.append(f"written answer {gid} is missing")
        plan.manual.append(ManualCell(gid, points, answers.get(gid)))
    return plan
