"""Grading one submission: its cells run in its own process, its test cells on the grader's side.

:func:`grade_one` follows a :class:`~coursekit.autograde.notebook.Plan`: a student cell is sent to
the submission's process (:class:`~coursekit.autograde.sandbox.Sandbox`); a test cell of the source
notebook runs here, in a namespace holding the source notebook's imports and, for every other name
the cell uses, what the submission's process holds under that name (plain data, or a
:class:`~coursekit.autograde.sandbox.RemoteFunction`). ``check_visible`` / ``check_hidden`` apply
a question's adapter in the submission's process and compare here. A test cell earns its points
when it runs to the end without raising; the score never depends on what the student's process
says about itself.
"""

import ast
import builtins
import contextlib
import hashlib
import io
import random
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from coursekit.autograde import notebook as nbk
from coursekit.autograde.sandbox import (
    CRASHED,
    GRADED,
    RESOURCE_LIMIT,
    TAMPERING,
    TIMED_OUT,
    Limits,
    Sandbox,
    SandboxStopped,
)
from coursekit.grading.compare import CheckFailed

_SEVERITY = [TIMED_OUT, RESOURCE_LIMIT, CRASHED, TAMPERING, GRADED]


@dataclass
class CellVerdict:
    """The outcome of one test cell (``kind="auto"``) or written answer (``kind="manual"``)."""

    grade_id: str
    kind: str
    max_score: float
    score: float | None
    message: str = ""
    output: str = ""


@dataclass
class Result:
    """Everything the grader decided about one submission, as plain data."""

    student: str
    assignment: str
    status: str
    cells: list[CellVerdict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fingerprint: str = ""
    seconds: float = 0.0
    output: str = ""

    @property
    def auto_score(self) -> float:
        return sum(c.score or 0.0 for c in self.cells if c.kind == "auto")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Result":
        cells = [CellVerdict(**c) for c in data.get("cells", [])]
        return cls(**{**data, "cells": cells})


@dataclass(frozen=True)
class Task:
    """One submission to grade: where it is, and what the grader needs (all picklable)."""

    student: str
    assignment: str
    folder: str
    source: str  # the source notebook (instructor's version)
    kit: str  # folder holding the student build coursekit/
    hide: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    fast: bool = True
    isolate: bool | None = None
    version: str = ""  # of the tests (source notebook and coursekit): part of the fingerprint


def fingerprint(path: Path | None, version: str = "") -> str:
    """sha256 of a submission file and the ``version`` of the tests it is graded with ('' when
    there is no file): a re-run grades again when either changed."""
    if path is None or not Path(path).is_file():
        return ""
    return hashlib.sha256(Path(path).read_bytes() + version.encode()).hexdigest()


def grade_one(task: Task) -> Result:
    """Grade one submission. Never raises for anything the submission does or contains."""
    start = time.monotonic()
    source_nb, _ = nbk.read_notebook(Path(task.source), max_bytes=2**31)
    tests, manual_points, _ = nbk.source_cells(source_nb)
    result = Result(task.student, task.assignment, GRADED)
    try:
        path, notes = nbk.find_notebook(Path(task.folder), Path(task.source).name)
        result.fingerprint = fingerprint(path, task.version)
        result.notes += notes
        submission, notes = nbk.read_notebook(path)
        result.notes += notes
        plan = nbk.make_plan(source_nb, submission)
    except nbk.InvalidSubmission as exc:
        result.status = exc.status
        result.notes.append(exc.detail)
        result.cells = [CellVerdict(t.grade_id, "auto", t.points, 0.0, f"not graded: {exc.detail}") for t in tests]
        result.cells += [CellVerdict(g, "manual", p, None, "") for g, p in manual_points.items()]
        result.seconds = time.monotonic() - start
        return result
    result.notes += plan.notes
    if plan.tampered:
        result.status = TAMPERING
    _seed(task.student, task.assignment)
    try:
        with contextlib.ExitStack() as stack:
            box = stack.enter_context(Sandbox(
                Path(task.kit), tuple(Path(h) for h in task.hide), task.limits, fast=task.fast, isolate=task.isolate
            ))
            shadows = [_Shadow.start(stack, task, targets, qids, last) for targets, qids, last in _withheld(plan)]
            _follow(plan, box, shadows, nbk.trusted_imports(source_nb), result)
        result.output = box.output.decode("utf-8", "replace")[-20000:]  # closed: every byte read
    except SandboxStopped as exc:  # the process could not even start
        _worse(result, exc.status)
        result.notes.append(exc.detail)
    graded = {c.grade_id for c in result.cells}
    for t in tests:
        if t.grade_id not in graded:
            result.cells.append(
                CellVerdict(t.grade_id, "auto", t.points, 0.0, "not checked: the notebook stopped first")
            )
    result.cells += [CellVerdict(m.grade_id, "manual", m.points, None, m.answer or "") for m in plan.manual]
    result.seconds = time.monotonic() - start
    return result


@dataclass
class _Shadow:
    """A second process for the questions whose answers may not run some coursekit functions
    the notebook otherwise uses: it runs the same cells with a kit in which those functions
    are withheld (:func:`coursekit.autograde.kits.kit_without`), up to the last of their test
    cells, and those test cells fetch the answers from it."""

    qids: frozenset[str]
    last: int  # index of the last plan step that needs this process
    box: Sandbox | None
    stopped: str = ""
    trusted: dict | None = None
    violations: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, stack: contextlib.ExitStack, task: Task, targets: tuple, qids: frozenset, last: int) -> "_Shadow":
        from coursekit.autograde.kits import kit_without

        kit = kit_without(Path(task.kit), targets)
        hide = (*task.hide, task.kit)  # the kit that still holds the withheld code
        try:
            box = stack.enter_context(Sandbox(kit, tuple(Path(h) for h in hide), task.limits, fast=task.fast,
                                              isolate=task.isolate))
        except SandboxStopped as exc:
            return cls(qids, last, None, exc.detail)
        return cls(qids, last, box)

    def follow(self, index: int, source: str) -> None:
        """Run a student cell here too, while a later test cell still needs this process."""
        if self.box is None:
            return
        if index > self.last:
            self.stop("")
            return
        try:
            self.box.run_cell(source)
        except SandboxStopped as exc:
            self.stop(exc.detail)

    def stop(self, detail: str) -> None:
        self.stopped = detail
        if self.box is not None:
            self.violations += self.box.violations
            self.box.close()
            self.box = None


def _withheld(plan: nbk.Plan) -> list[tuple[tuple, frozenset[str], int]]:
    """For each set of functions some questions' answers may not run (``Question.forbidden``):
    the set as ``(module, qualname)`` pairs, those questions, and the index of the last test
    step checking one of them."""
    from coursekit.autograde.kits import withheld_names
    from coursekit.grading.registry import get

    groups: dict[tuple, tuple[set[str], int]] = {}
    for index, (kind, step) in enumerate(plan.steps):
        if kind != "test":
            continue
        for qid in _questions(step.source):
            try:
                forbidden = get(qid).forbidden
            except KeyError:
                continue
            if forbidden:
                targets = tuple(sorted({withheld_names(f) for f in forbidden}))
                qids, _ = groups.get(targets, (set(), 0))
                groups[targets] = (qids | {qid}, index)
    return [(targets, frozenset(qids), last) for targets, (qids, last) in groups.items()]


def _questions(source: str) -> set[str]:
    """The question ids a test cell checks (``check_visible("14.x", ...)``, ``check_hidden``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if _is_check(node) and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
    }


def _is_check(node: ast.AST) -> bool:
    """Whether ``node`` is a call ``check_visible(qid, ...)`` or ``check_hidden(qid, ...)``."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in ("check_visible", "check_hidden") and bool(node.args))


def _follow(plan: nbk.Plan, box: Sandbox, shadows: list[_Shadow], imports: str, result: Result) -> None:
    trusted = _trusted_namespace(imports, box)
    stopped: SandboxStopped | None = None
    for index, (kind, step) in enumerate(plan.steps):
        if stopped is not None:
            if kind == "test":
                result.cells.append(
                    CellVerdict(step.grade_id, "auto", step.points, 0.0, f"not checked: {stopped.detail}")
                )
            continue
        try:
            if kind == "run":
                reply = box.run_cell(step)
                if reply.get("memory_error"):
                    _worse(result, RESOURCE_LIMIT)
                    result.notes.append("a cell ran out of memory")
                for shadow in shadows:
                    shadow.follow(index, step)
            else:
                shadow = next((s for s in shadows if s.qids & _questions(step.source)), None)
                verdict = _check(step, box, trusted) if shadow is None else _check_apart(step, shadow, imports)
                result.cells.append(verdict)
        except SandboxStopped as exc:
            stopped = exc
            _worse(result, exc.status)
            result.notes.append(exc.detail)
            if kind == "test":
                result.cells.append(CellVerdict(step.grade_id, "auto", step.points, 0.0, f"not checked: {exc.detail}"))
    if box.interrupted:
        _worse(result, TIMED_OUT)
        result.notes.append(
            f"{len(box.interrupted)} cell(s) or check(s) ran past the {box.limits.cell_seconds:g} s limit and were "
            "interrupted; the rest of the notebook was graded"
        )
    for shadow in shadows:
        shadow.stop("")
    violations = [*box.violations, *(v for s in shadows for v in s.violations)]
    if violations:
        _worse(result, TAMPERING)
        result.notes += [f"refused: {v}" for v in dict.fromkeys(violations)]


def _check_apart(test: nbk.TestCell, shadow: _Shadow, imports: str) -> CellVerdict:
    """A test cell of a question graded in its :class:`_Shadow` process."""
    if shadow.box is None:
        return CellVerdict(test.grade_id, "auto", test.points, 0.0,
                           f"not checked: the run without the coursekit reference stopped: {shadow.stopped}")
    if shadow.trusted is None:
        shadow.trusted = _trusted_namespace(imports, shadow.box)
    try:
        return _check(test, shadow.box, shadow.trusted)
    except SandboxStopped as exc:
        shadow.stop(exc.detail)
        return CellVerdict(test.grade_id, "auto", test.points, 0.0,
                           f"not checked: the run without the coursekit reference stopped: {exc.detail}")


def _check(test: nbk.TestCell, box: Sandbox, trusted: dict) -> CellVerdict:
    namespace = dict(trusted)
    tree = ast.fix_missing_locations(_FetchAnswers().visit(ast.parse(test.source)))
    wanted = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    for name in sorted(wanted - namespace.keys() - vars(builtins).keys()):
        try:
            namespace[name] = box.fetch(name)
        except NameError:
            pass  # the cell will raise NameError: the answer is missing
        except CheckFailed:
            pass
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            exec(compile(tree, f"<test cell {test.grade_id}>", "exec"), namespace)  # noqa: S102  (the source notebook's own test cell)
    except SandboxStopped:
        raise
    except CheckFailed as exc:
        return CellVerdict(test.grade_id, "auto", test.points, 0.0, str(exc), out.getvalue()[-4000:])
    except NameError as exc:
        return CellVerdict(test.grade_id, "auto", test.points, 0.0, f"not answered: {exc}", out.getvalue()[-4000:])
    except Exception as exc:  # noqa: BLE001  (any other failure of the checks loses the points)
        return CellVerdict(
            test.grade_id, "auto", test.points, 0.0, f"{type(exc).__name__}: {exc}", out.getvalue()[-4000:]
        )
    return CellVerdict(test.grade_id, "auto", test.points, test.points, "", out.getvalue()[-4000:])


def _trusted_namespace(imports: str, box: Sandbox) -> dict:
    """The source notebook's imports, with ``check_visible`` / ``check_hidden`` replaced by
    versions that take the answer as the question's adapter made it in the submission's process
    (``_fetch_answer``, see :class:`_FetchAnswers`)."""
    from coursekit.grading import answer_forms, runner

    namespace: dict[str, Any] = {"__name__": "__grader__"}
    exec(imports, namespace)  # noqa: S102  (import lines of the instructor's notebook)

    def check_visible(qid: str, prepared: Any, *, quiet: bool = False) -> float:
        adapter = answer_forms.adapter_for(qid)
        if adapter is not None and adapter.form_only:
            return 0.0  # the adapter checked the form when the answer was fetched
        return runner.check_visible(qid, prepared, quiet=quiet)

    def check_hidden(qid: str, prepared: Any) -> None:
        runner.check_hidden(qid, prepared)

    namespace["check_visible"] = check_visible
    namespace["check_hidden"] = check_hidden
    namespace["_fetch_answer"] = lambda qid, name: box.fetch(name, qid=qid)
    return namespace


class _FetchAnswers(ast.NodeTransformer):
    """``check_hidden("02.softmax", softmax)`` -> ``check_hidden("02.softmax",
    _fetch_answer("02.softmax", "softmax"))``: the answer is looked up by its name and passed
    through the question's adapter in the submission's process."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if _is_check(node) and len(node.args) >= 2 and isinstance(node.args[1], ast.Name):
            fetch = ast.Call(ast.Name("_fetch_answer", ast.Load()), [node.args[0], ast.Constant(node.args[1].id)], [])
            node.args[1] = ast.copy_location(fetch, node.args[1])
        return node


def _seed(student: str, assignment: str) -> None:
    seed = zlib.crc32(f"{student}/{assignment}".encode())
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:
        pass


def _worse(result: Result, status: str) -> None:
    if _SEVERITY.index(status) < _SEVERITY.index(result.status if result.status in _SEVERITY else GRADED):
        result.status = status
