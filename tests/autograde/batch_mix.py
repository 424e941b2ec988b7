"""A batch of generated submissions, each with the scores it must get, worked out without the grader.

Most submissions are honest: the release notebook of a light notebook (``LIGHT``) with each
answer cell holding the solution, a plausible wrong answer (``tests/mistakes/nbNN.py``) or the
unanswered stub, drawn per student from a seeded generator and a skill level, so the scores
vary from nothing to full marks. The others are broken or hostile: the hostile notebooks of
:mod:`tests.autograde.hostile`, plus malformed JSON, non-UTF-8 bytes, a missing or renamed
notebook and a cell that never ends (``OWN_BROKEN``).

What a submission must score comes from the notebooks alone, never from a grader: a test cell
earns its points exactly when every answer cell it depends on holds the solution. A test cell
depends on the answer cells defining the names it checks (``check_visible("02.softmax",
softmax)`` checks ``softmax``) and, in turn, on the answer cells defining the names their
solutions use. ``tests/test_notebooks.py`` shows that each wrong answer loses only its own test
cell, and :func:`layout` checks that no wrong answer defines a name another answer's solution
defines. An unreadable submission earns nothing; one stopped by a cell that never ends keeps
what its test cells before that cell earned. A hostile notebook must get exactly its
catalogue's honest score (at most that score, for the few that sabotage their own process).

    root = released_course(tmp)                      # a released copy of the course
    subs = make_batch(root, n=500, seed=0)
    write_batch(subs, root / "submitted")
    by = {s.student: s for s in subs}
    problems = [p for r in batch.run(tasks_for(subs, root, kit)) for p in mismatches(by[r.student], r)]
"""

import ast
import importlib
import json
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from coursekit.autograde import notebook as nbk
from coursekit.autograde.sandbox import GRADED, TIMED_OUT, Limits
from coursekit.autograde.verdict import Result, Task

ROOT = Path(__file__).resolve().parents[2]

LIGHT = ("01_jacobians", "02_activations_softmax", "03_logic_and_hardcoded_nets")
OWN_BROKEN = ("timeout", "malformed", "missing", "non_utf8", "renamed")
BROKEN_SHARE = 0.1

# The same limits for every submission of the batch: generous for an honest cell (a few
# seconds each), short enough that a cell that never ends costs little.
BATCH_LIMITS = Limits(cell_seconds=30.0, notebook_seconds=180.0)

SOLUTION_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[^\n]*\n?", re.M)
_CHECK = re.compile(r"check_(?:visible|hidden)\(\s*\"[\w.]+\"\s*,\s*(\w+)\s*\)")
_ENDLESS = "# still thinking about this one\nwhile True:\n    pass\n"
# ...and one that ignores the stop button: the grader can only end the whole notebook
_STUBBORN = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n"


@dataclass
class Submission:
    """One generated submission and what the grader must make of it.

    ``files``: file name -> bytes, written into ``submitted/<student>/<assignment>/``.
    ``expected``: test-cell grade_id -> points it must earn (every test cell of the source).
    ``manual``: grade_ids of the written answers (always left to a person: score None).
    ``answers``: answer-cell grade_id -> "solution", "wrong" or "blank" (honest submissions).
    ``case``: the entry of the hostile catalogue it comes from; its ``build`` writes the files
    and ``honest`` bounds the total (``expected`` then holds each test cell's maximum).
    """

    student: str
    assignment: str
    kind: str
    files: dict[str, bytes]
    expected: dict[str, float]
    status: str
    manual: tuple[str, ...] = ()
    answers: dict[str, str] = field(default_factory=dict)
    case: Any = None


@dataclass(frozen=True)
class Layout:
    """What the batch needs to know about one notebook.

    ``solutions``: answer grade_id -> the student-visible solution (markers removed).
    ``depends``: test grade_id -> answer grade_ids it depends on (see the module docstring).
    ``tests``: test grade_id -> points, in notebook order. ``manual``: written-answer ids.
    """

    assignment: str
    release: dict
    solutions: dict[str, str]
    mistakes: dict[str, str]
    depends: dict[str, frozenset[str]]
    tests: dict[str, float]
    manual: tuple[str, ...]


def released_course(folder: Path, assignments: tuple[str, ...] = LIGHT) -> Path:
    """A copy of the course (config, notebooks, package source) in ``folder/course`` with
    ``assignments`` released, as the ``course`` fixture of ``tests/conftest.py`` makes it."""
    from coursekit.course import release

    root = Path(folder) / "course"
    root.mkdir(parents=True)
    shutil.copy2(ROOT / "nbgrader_config.py", root)
    shutil.copy2(ROOT / "pyproject.toml", root)
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copytree(ROOT / "coursekit", root / "coursekit", ignore=shutil.ignore_patterns("__pycache__"))
    release(root, only=assignments)
    return root


def _meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _text(cell: dict) -> str:
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def _defined(source: str) -> set[str]:
    """Names a cell binds at top level (functions, classes, assignments)."""
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def _used(source: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def layout(root: Path, assignment: str) -> Layout:
    """The :class:`Layout` of ``assignment`` from the course at ``root`` (released already)."""
    return _layout(str(Path(root).resolve()), assignment)


@cache
def _layout(root: str, assignment: str) -> Layout:
    source = json.loads((Path(root) / "notebooks" / assignment / f"{assignment}.ipynb").read_text("utf-8"))
    release = json.loads((Path(root) / "release" / assignment / f"{assignment}.ipynb").read_text("utf-8"))
    solutions, checked, tests, manual = {}, {}, {}, []
    for cell in source["cells"]:
        meta, text = _meta(cell), _text(cell)
        if cell["cell_type"] == "code" and meta.get("solution") and not meta.get("grade"):
            solutions[meta["grade_id"]] = SOLUTION_MARKER.sub("", text)
        elif cell["cell_type"] == "code" and meta.get("grade") and not meta.get("solution"):
            tests[meta["grade_id"]] = float(meta["points"])
            checked[meta["grade_id"]] = set(_CHECK.findall(text))
            if not checked[meta["grade_id"]]:
                raise ValueError(f"{assignment}: test cell {meta['grade_id']} checks no name")
        elif meta.get("grade") and meta.get("solution"):
            manual.append(meta["grade_id"])
    mistakes = importlib.import_module(f"tests.mistakes.nb{assignment[:2]}").MISTAKES
    if set(mistakes) != set(solutions):
        raise ValueError(f"{assignment}: wrong answers {sorted(mistakes)} != answer cells {sorted(solutions)}")
    for gid, text in mistakes.items():
        extra = _defined(text) - _defined(solutions[gid])
        others = {n for g, t in solutions.items() if g != gid for n in _defined(t)}
        if extra & others:
            raise ValueError(f"{assignment}: the wrong answer of {gid} redefines {sorted(extra & others)}")
    depends = dependencies(solutions, checked)
    return Layout(assignment, release, solutions, dict(mistakes), depends, tests, tuple(manual))


def dependencies(solutions: dict[str, str], checked: dict[str, set[str]]) -> dict[str, frozenset[str]]:
    """Test grade_id -> the answer cells it depends on: those defining the names it checks,
    and, in turn, those defining the names their solutions use.

    ``solutions``: answer grade_id -> solution source; ``checked``: test grade_id -> names.
    """
    owner = {name: gid for gid, text in solutions.items() for name in _defined(text)}
    uses = {gid: {owner[n] for n in _used(text) if n in owner} - {gid} for gid, text in solutions.items()}
    depends = {}
    for test, names in checked.items():
        missing = set(names) - owner.keys()
        if missing:
            raise ValueError(f"{test} checks {sorted(missing)}, which no answer cell defines")
        todo, seen = [owner[n] for n in names], set()
        while todo:
            gid = todo.pop()
            if gid not in seen:
                seen.add(gid)
                todo += uses[gid]
        depends[test] = frozenset(seen)
    return depends


def expected_scores(lay: Layout, answers: dict[str, str], reached: int | None = None) -> dict[str, float]:
    """Test grade_id -> points earned when the answer cells hold ``answers``. ``reached``: the
    notebook was stopped after its first ``reached`` test cells (None: it ran to the end)."""
    scores = {}
    for i, (test, points) in enumerate(lay.tests.items()):
        right = all(answers.get(gid) == "solution" for gid in lay.depends[test])
        scores[test] = points if right and (reached is None or i < reached) else 0.0
    return scores


def honest_notebook(lay: Layout, answers: dict[str, str], written: dict[str, str] | None = None) -> dict:
    """The release notebook with each answer cell as ``answers`` says and written answers filled."""
    nb = json.loads(json.dumps(lay.release))
    for cell in nb["cells"]:
        gid = _meta(cell).get("grade_id")
        if gid in answers and answers[gid] != "blank":
            cell["source"] = (lay.solutions if answers[gid] == "solution" else lay.mistakes)[gid]
        elif written and gid in written:
            cell["source"] = written[gid]
    return nb


def _dump(nb: dict) -> bytes:
    return (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _draw_answers(lay: Layout, rng: np.random.Generator) -> dict[str, str]:
    """A student's answers: a skill level, then each answer right with that probability, else
    wrong or blank; one student in five gets everything right."""
    skill = 1.0 if rng.random() < 0.2 else float(rng.uniform(0.1, 1.0))
    answers = {}
    for gid in lay.solutions:
        if rng.random() < skill:
            answers[gid] = "solution"
        else:
            answers[gid] = "wrong" if rng.random() < 0.6 else "blank"
    return answers


def _written(lay: Layout, rng: np.random.Generator) -> dict[str, str]:
    return {gid: f"My reasoning for {gid}: see the derivation above." for gid in lay.manual if rng.random() < 0.7}


def honest(root: Path, assignment: str, rng: np.random.Generator, student: str = "") -> Submission:
    """An honest submission of ``assignment`` with answers drawn from ``rng``."""
    lay = layout(root, assignment)
    answers = _draw_answers(lay, rng)
    nb = honest_notebook(lay, answers, _written(lay, rng))
    return Submission(student, assignment, "honest", {f"{assignment}.ipynb": _dump(nb)},
                      expected_scores(lay, answers), GRADED, lay.manual, answers)


def own_broken(root: Path, kind: str, assignment: str, rng: np.random.Generator, student: str = "") -> Submission:
    """A broken submission of one of the ``OWN_BROKEN`` kinds (on top of an honest draw)."""
    lay = layout(root, assignment)
    answers = _draw_answers(lay, rng)
    nb = honest_notebook(lay, answers, _written(lay, rng))
    name = f"{assignment}.ipynb"
    nothing = dict.fromkeys(lay.tests, 0.0)
    if kind == "malformed":  # cut off in the middle, as by an interrupted upload
        data = _dump(nb)
        cut = int(rng.integers(len(data) // 4, 3 * len(data) // 4))
        return Submission(student, assignment, kind, {name: data[:cut]}, nothing, nbk.INVALID, lay.manual)
    if kind == "non_utf8":  # saved in Latin-1 by an old editor
        gid = lay.manual[0] if lay.manual else None
        nb = honest_notebook(lay, answers, {gid: "D\u00e9monstration : voir plus haut."} if gid else {})
        data = json.dumps(nb, indent=1, ensure_ascii=False).encode("latin-1", errors="replace")
        return Submission(student, assignment, kind, {name: data}, nothing, nbk.INVALID, lay.manual)
    if kind == "missing":  # exported as a script instead of handing in the notebook
        code = "\n\n".join(_text(c) for c in nb["cells"] if c["cell_type"] == "code")
        files = {f"{assignment}.py": code.encode()}
        return Submission(student, assignment, kind, files, nothing, nbk.MISSING, lay.manual)
    if kind == "renamed":  # the only notebook in the folder is graded anyway
        return Submission(student, assignment, kind, {f"{assignment} (1).ipynb": _dump(nb)},
                          expected_scores(lay, answers), GRADED, lay.manual, answers)
    if kind == "timeout":  # a cell that never ends, after the imports or after a random test cell
        # An endless cell is interrupted at the time limit and the rest is graded; one that
        # ignores the interrupt stops the notebook, and the tests after it earn nothing.
        tests = list(lay.tests)
        stubborn = bool(rng.integers(2))
        reached = int(rng.integers(0, len(tests) + 1))
        if reached == 0:
            index = 1 + next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code")
        else:
            index = 1 + next(i for i, c in enumerate(nb["cells"]) if _meta(c).get("grade_id") == tests[reached - 1])
        nb["cells"].insert(index, {"cell_type": "code", "execution_count": None, "id": "still-thinking",
                                   "metadata": {}, "outputs": [], "source": _STUBBORN if stubborn else _ENDLESS})
        return Submission(student, assignment, kind, {name: _dump(nb)},
                          expected_scores(lay, answers, reached if stubborn else None), TIMED_OUT, lay.manual, answers)
    raise ValueError(f"unknown kind of broken submission {kind!r}; expected one of {OWN_BROKEN}")


def hostile_cases() -> list:
    """The entries of the hostile catalogue (:data:`tests.autograde.hostile.CATALOGUE`)."""
    from tests.autograde.hostile import CATALOGUE

    return list(CATALOGUE)


def hostile_case(name: str) -> Any:
    """The catalogue entry called ``name``."""
    found = [c for c in hostile_cases() if c.name == name]
    if not found:
        raise KeyError(f"no hostile submission {name!r} in the catalogue; it has {[c.name for c in hostile_cases()]}")
    return found[0]


def hostile_submission(root: Path, case: Any, student: str = "") -> Submission:
    """A submission from one entry of the hostile catalogue (built by :func:`write_batch`)."""
    from tests.autograde.hostile import AID

    lay = layout(root, AID)
    return Submission(student, AID, f"hostile:{case.name}", {}, dict(lay.tests), case.status, lay.manual, case=case)


def _context(sub: Submission, root: Path) -> Any:
    from tests.autograde.hostile import Ctx

    lay = layout(root, sub.assignment)
    folder = Path(root) / "submitted" / sub.student / sub.assignment
    return Ctx(lay.release, dict(lay.solutions), Path(root).resolve(), ROOT, folder)


def hostile_problems(subs: Iterable[Submission], root: Path) -> list[str]:
    """What the catalogue's after-grading checks find (forged files and the like)."""
    problems = []
    for sub in subs:
        if sub.case is not None and sub.case.check is not None:
            problems += [f"{sub.student} ({sub.kind}): {p}" for p in sub.case.check(_context(sub, root))]
    return problems


def _broken_kinds(count: int, hostile: list, rng: np.random.Generator) -> list:
    """``count`` broken kinds: ours (``OWN_BROKEN``, each once) taking turns with hostile cases
    in a shuffled order, then hostile cases only, then ours again once the catalogue is used up."""
    order = [hostile[i] for i in rng.permutation(len(hostile))]
    kinds, own = [], 0
    for i in range(count):
        if (i % 2 == 0 and own < len(OWN_BROKEN)) or not order:
            kinds.append(OWN_BROKEN[own % len(OWN_BROKEN)])
            own += 1
        else:
            kinds.append(order.pop(0))
    return kinds


def make_batch(
    root: Path,
    n: int = 500,
    seed: int = 0,
    broken: int | Iterable | None = None,
    assignments: tuple[str, ...] = LIGHT,
) -> list[Submission]:
    """``n`` submissions in a shuffled order, students ``s0000``, ``s0001``, ...

    ``broken``: how many are broken or hostile (default ``BROKEN_SHARE`` of ``n``), or the list
    of their kinds: names from ``OWN_BROKEN`` and cases of the hostile catalogue.
    ``root``: a course folder holding ``notebooks/`` and the released ``release/``.
    """
    rng = np.random.default_rng(seed)
    if broken is None or isinstance(broken, int):
        count = round(BROKEN_SHARE * n) if broken is None else broken
        kinds = _broken_kinds(count, hostile_cases(), rng)
    else:
        kinds = list(broken)
    if len(kinds) > n:
        raise ValueError(f"{len(kinds)} broken submissions do not fit in a batch of {n}")
    subs = []
    for kind in kinds:
        if isinstance(kind, str):
            subs.append(own_broken(root, kind, assignments[int(rng.integers(len(assignments)))], rng))
        else:
            subs.append(hostile_submission(root, kind))
    subs += [honest(root, assignments[int(rng.integers(len(assignments)))], rng) for _ in range(n - len(kinds))]
    subs = [subs[i] for i in rng.permutation(len(subs))]
    for i, sub in enumerate(subs):
        sub.student = f"s{i:04d}"
    return subs


def write_batch(subs: Iterable[Submission], submitted: Path) -> None:
    """Write each submission into ``submitted/<student>/<assignment>/`` (nbgrader's layout);
    ``submitted`` is the ``submitted/`` folder of the course."""
    for sub in subs:
        folder = Path(submitted) / sub.student / sub.assignment
        folder.mkdir(parents=True, exist_ok=True)
        if sub.case is not None:
            sub.case.build(_context(sub, Path(submitted).parent))
        for name, data in sub.files.items():
            (folder / name).write_bytes(data)


def tasks_for(subs: Iterable[Submission], root: Path, kit: Path, limits: Limits = BATCH_LIMITS) -> list[Task]:
    """Grading tasks for the written batch; the course folder is hidden from student code.
    A hostile case with limits of its own (a runaway) is graded with those."""
    root = Path(root).resolve()
    return [
        Task(sub.student, sub.assignment, str(root / "submitted" / sub.student / sub.assignment),
             str(root / "notebooks" / sub.assignment / f"{sub.assignment}.ipynb"), str(kit),
             hide=(str(root),), limits=limits if sub.case is None or sub.case.limits is None else sub.case.limits)
        for sub in subs
    ]


def mismatches(sub: Submission, result: Result) -> list[str]:
    """Every way ``result`` differs from what ``sub`` must get (empty when it is exactly right)."""
    where = f"{sub.student} ({sub.kind}, {sub.assignment})"
    problems = []
    if result.status != sub.status:
        problems.append(f"{where}: status {result.status!r}, expected {sub.status!r}; notes: {result.notes[:3]}")
    auto = {c.grade_id: c for c in result.cells if c.kind == "auto"}
    for gid in sorted(auto.keys() ^ sub.expected.keys()):
        problems.append(f"{where}: test cell {gid} is {'unexpected' if gid in auto else 'missing'}")
    if sub.case is None:
        for gid, points in sub.expected.items():
            if gid in auto and auto[gid].score != points:
                problems.append(
                    f"{where}: {gid} scored {auto[gid].score}, expected {points} "
                    f"(answers: {sub.answers or 'n/a'}; message: {auto[gid].message[:200]!r})"
                )
    else:  # the catalogue bounds the total: exactly its honest work, or (exact=False) at most that
        total = sum(c.score or 0.0 for c in auto.values())
        partial = [g for g, c in auto.items() if not 0.0 <= (c.score or 0.0) <= sub.expected.get(g, 0.0)]
        if partial:
            problems.append(f"{where}: scores out of range in {partial}")
        if total > sub.case.honest or (sub.case.exact and total != sub.case.honest):
            earned = {g: c.score for g, c in auto.items() if c.score}
            problems.append(f"{where}: earned {total} ({earned}), its honest work deserves {sub.case.honest}"
                            f"{'' if sub.case.exact else ' at most'}")
    manual = {c.grade_id: c.score for c in result.cells if c.kind == "manual"}
    if set(manual) != set(sub.manual) or any(s is not None for s in manual.values()):
        problems.append(f"{where}: written answers {manual}, expected {sorted(sub.manual)} left ungraded")
    return problems


def expected_total(sub: Submission) -> float:
    """The points ``sub`` must earn in all (a hostile notebook: its catalogue's honest score)."""
    return sub.case.honest if sub.case is not None else sum(sub.expected.values())


def summary(subs: Iterable[Submission]) -> dict[str, int]:
    """How many submissions of each kind (hostile cases grouped under ``hostile``)."""
    counts: dict[str, int] = {}
    for sub in subs:
        key = "hostile" if sub.kind.startswith("hostile") else sub.kind
        counts[key] = counts.get(key, 0) + 1
    return counts

