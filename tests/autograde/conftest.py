"""Fixtures of the grader's tests: a released copy of notebook 02, its student kit, a grader.

The course copy holds only ``02_activations_softmax`` (released with ``coursekit.course.release``,
as a student receives it); it is the folder the submissions must not see. Submissions are
graded with ``verdict.grade_one`` directly: no gradebook, one fresh process each.
"""

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from coursekit.autograde.batch import kit_for
from coursekit.autograde.sandbox import Limits
from coursekit.autograde.verdict import Result, Task, grade_one

ROOT = Path(__file__).resolve().parents[2]
AID = "02_activations_softmax"
_SOLUTION = re.compile(r"^[ \t]*### BEGIN SOLUTION[^\n]*\n(.*?)^[ \t]*### END SOLUTION[^\n]*\n?", re.M | re.S)


@pytest.fixture(scope="session")
def course02(tmp_path_factory) -> Path:
    """A course folder with notebook 02 only, released."""
    from coursekit.course import release

    root = tmp_path_factory.mktemp("course02")
    shutil.copy2(ROOT / "nbgrader_config.py", root)
    shutil.copy2(ROOT / "pyproject.toml", root)
    shutil.copytree(ROOT / "notebooks" / AID, root / "notebooks" / AID)
    shutil.copytree(ROOT / "coursekit", root / "coursekit", ignore=shutil.ignore_patterns("__pycache__"))
    release(root, only=[AID])
    return root


@pytest.fixture(scope="session")
def kit(course02) -> Path:
    return kit_for(course02 / "coursekit")


@pytest.fixture(scope="session")
def source_nb(course02) -> Path:
    """The instructor's notebook (solutions and hidden tests)."""
    return course02 / "notebooks" / AID / f"{AID}.ipynb"


@pytest.fixture(scope="session")
def released(course02) -> dict:
    """The release notebook as JSON (stubs, visible tests)."""
    return json.loads((course02 / "release" / AID / f"{AID}.ipynb").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def solutions(source_nb) -> dict[str, str]:
    """grade_id of each solution code cell -> its honest source (the instructor's solution)."""
    nb = json.loads(source_nb.read_text(encoding="utf-8"))
    out = {}
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] == "code" and meta.get("solution"):
            out[meta["grade_id"]] = _SOLUTION.sub(lambda m: m.group(1), "".join(cell["source"]))
    return out


# COURSEKIT_TEST_ISOLATE=0 grades without namespaces (as on a machine without them), =1 with them
_ISOLATE = {"0": False, "1": True}.get(os.environ.get("COURSEKIT_TEST_ISOLATE", ""))


@pytest.fixture(scope="session")
def grade(course02, kit, source_nb) -> Callable[..., Result]:
    """grade(folder, limits=None, isolate=None, student="s") -> Result of that submission."""

    def run(folder: Path, limits: Limits | None = None, isolate: bool | None = None, student: str = "s") -> Result:
        task = Task(student, AID, str(folder), str(source_nb), str(kit), hide=(str(course02),),
                    limits=limits or Limits(), isolate=_ISOLATE if isolate is None else isolate)
        return grade_one(task)

    return run


@pytest.fixture
def sessions(monkeypatch) -> list[int]:
    """Session ids of every sandbox started while the test runs (each sandbox starts a session
    of its own, whose id is the pid of its first process)."""
    from coursekit.autograde import sandbox, verdict

    started: list[int] = []

    class Recording(sandbox.Sandbox):
        def _start(self) -> None:
            try:
                super()._start()
            finally:
                if getattr(self, "proc", None) is not None:
                    started.append(self.proc.pid)

    monkeypatch.setattr(verdict, "Sandbox", Recording)
    return started


def session_members(sids: list[int] | set[int]) -> list[str]:
    """Processes still alive in any of the sessions ``sids``, as "pid command" lines."""
    wanted, alive = set(sids), []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()  # state ppid pgrp session ...
            if int(fields[3]) in wanted and fields[0] != "Z":
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                alive.append(f"{proc.name} {cmd[:200]}")
        except (OSError, ValueError, IndexError):
            continue
    return alive
