"""An answer that only runs the coursekit reference earns nothing, however it reaches it.

Notebook 14's student build keeps the course's attention layer and block (the notebook trains
models with them), so stripping alone cannot stop ``MultiHeadSelfAttention =
CourseSelfAttention``. The grader watches what a graded call runs instead; these submissions
reach the reference directly, through a subclass, through a copy of the function object and
through a helper the notebook imports, and must lose exactly those points.
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


@pytest.mark.nb14
def test_answers_that_run_the_reference_lose_exactly_their_points(tmp_path):
    kit = kit_for(ROOT / "coursekit")
    scores = {}
    for who, replace in (("honest", {}), ("cheat", CHEATS)):
        _submission(tmp_path / who, replace)
        result = grade_one(Task(who, AID, str(tmp_path / who), str(SOURCE), str(kit)))
        assert result.status == GRADED, (who, result.status, result.notes)
        scores[who] = {c.grade_id: (c.score, c.max_score, c.message) for c in result.cells if c.kind == "auto"}
    assert all(score == top for score, top, _ in scores["honest"].values()), scores["honest"]
    for gid, (score, top, message) in scores["cheat"].items():
        if gid in CHEATED_TESTS:
            assert score == 0, f"{gid} earned {score} by running the reference"
            assert "coursekit reference" in message, message
        else:
            assert score == top, f"{gid} lost points it earned honestly: {message}"
