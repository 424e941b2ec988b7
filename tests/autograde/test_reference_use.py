"""An answer that only runs the coursekit reference earns nothing, however it reaches it.

Notebook 14's student build keeps the course's attention layer and block (the notebook trains
models with them), so stripping alone cannot stop ``MultiHeadSelfAttention =
CourseSelfAttention``. Those questions are graded in a second process whose coursekit has the
functions withheld (``Question.forbidden``). These submissions reach the reference directly,
through a subclass, through copies of the function object or its code, through a helper the
notebook imports, by running the module's source again from disk, and after switching off the
agent's in-process checks; each must lose exactly those points, and an honest submission none.
"""

import json
import re
from pathlib import Path

import pytest

from coursekit.autograde.batch import kit_for
from coursekit.autograde.sandbox import GRADED
from coursekit.autograde.verdict import Task, grade_one

ROOT = Path(__file__).resolve().parents[2]
AID = "14_transformers"
SOURCE = ROOT / "notebooks" / AID / f"{AID}.ipynb"
_HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S)

CHEATS = {
    "alias_subclass_helper": {
        "self_attention": "MultiHeadSelfAttention = CourseSelfAttention\n",
        "transformer_block": (
            "import types\n"
            "import coursekit.transformer as _course\n"
            "_copied = types.FunctionType(_course.TransformerBlock.forward.__code__, vars(_course), 'mine')\n"
            "class TransformerBlock(_course.TransformerBlock):\n"
            "    def forward(self, x):\n"
            "        return _copied(self, x, None)\n"
        ),
        "edge_count": "def edge_count(n, self_loops):\n    return len(fully_connected_edges(n, self_loops))\n",
    },
    "source_code_and_checks_off": {
        "self_attention": (  # the module's source, read from disk and run again
            "import inspect\n"
            "import coursekit.transformer as _course\n"
            "_again = {'__name__': 'copied'}\n"
            "exec(compile(open(inspect.getsourcefile(_course)).read(), 'copied', 'exec'), _again)\n"
            "MultiHeadSelfAttention = _again['MultiHeadSelfAttention']\n"
        ),
        "transformer_block": (  # any in-process profiler or hook switched off first
            "import sys, threading\n"
            "class TransformerBlock(CourseBlock):\n"
            "    def forward(self, x):\n"
            "        sys.setprofile(None)\n"
            "        threading.setprofile(None)\n"
            "        return super().forward(x)\n"
        ),
        "edge_count": (
            "import types\n"
            "edge_count = lambda n, self_loops: len(types.FunctionType(fully_connected_edges.__code__, "
            "fully_connected_edges.__globals__)(n, self_loops))\n"
        ),
    },
}
CHEATED_TESTS = {"test_self_attention", "test_transformer_block", "test_edge_count"}


def _submission(folder: Path, replace: dict[str, str]) -> None:
    nb = json.loads(SOURCE.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        cell["source"] = _HIDDEN.sub("", "".join(cell["source"]))
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid in replace:
            cell["source"] = replace[gid]
    folder.mkdir(parents=True)
    (folder / f"{AID}.ipynb").write_text(json.dumps(nb), encoding="utf-8")


def _scores(folder: Path, who: str) -> dict[str, tuple[float, float, str]]:
    result = grade_one(Task(who, AID, str(folder), str(SOURCE), str(kit_for(ROOT / "coursekit"))))
    assert result.status == GRADED, (who, result.status, result.notes)
    return {c.grade_id: (c.score, c.max_score, c.message) for c in result.cells if c.kind == "auto"}


@pytest.mark.nb14
def test_an_honest_submission_loses_nothing_to_the_withheld_references(tmp_path):
    _submission(tmp_path / "honest", {})
    scores = _scores(tmp_path / "honest", "honest")
    assert all(score == top for score, top, _ in scores.values()), scores


@pytest.mark.nb14
@pytest.mark.parametrize("cheat", sorted(CHEATS))
def test_answers_that_run_the_reference_lose_exactly_their_points(tmp_path, cheat):
    replace = dict(CHEATS[cheat])
    if cheat == "source_code_and_checks_off":
        replace["setup"] = _setup_source() + "from coursekit.transformer import TransformerBlock as CourseBlock\n"
    _submission(tmp_path / cheat, replace)
    for gid, (score, top, message) in _scores(tmp_path / cheat, cheat).items():
        if gid in CHEATED_TESTS:
            assert score == 0, f"{gid} earned {score} by running the reference"
            assert "coursekit reference" in message, message
        else:
            assert score == top, f"{gid} lost points it earned honestly: {message}"


def _setup_source() -> str:
    nb = json.loads(SOURCE.read_text(encoding="utf-8"))
    return next("".join(c["source"]) for c in nb["cells"]
                if c["metadata"].get("nbgrader", {}).get("grade_id") == "setup") + "\n"
