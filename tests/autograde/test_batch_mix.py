"""A small batch of the benchmark's mix, graded in parallel, gets exactly the expected grades.

Honest submissions of notebooks 01-03 with varied scores, hostile notebooks from the catalogue,
and a malformed, a non-UTF-8, a missing, a renamed and a never-ending submission go through
``batch.run`` with two workers; every per-question score and every status must be the one
worked out from the notebooks alone (``tests/autograde/batch_mix.py``).
"""

import dataclasses

import pytest

from coursekit.autograde import batch
from coursekit.autograde import notebook as nbk
from coursekit.autograde.sandbox import CRASHED, GRADED, RESOURCE_LIMIT, TAMPERING, TIMED_OUT, Limits
from tests.autograde import batch_mix

N = 24
SEED = 9
# one hostile notebook per status, and one that edits its test cells
HOSTILE = ("patch_runner", "read_hidden_notebook", "os_exit", "loop_ignoring_sigint", "output_flood",
           "edit_test_cells")
# an honest notebook needs a few seconds; the never-ending cell costs one cell limit
LIMITS = Limits(cell_seconds=20.0, notebook_seconds=120.0)


@pytest.fixture(scope="module")
def mix_course(tmp_path_factory):
    return batch_mix.released_course(tmp_path_factory.mktemp("mix"))


def test_dependencies_follow_the_names_a_solution_uses():
    solutions = {
        "softmax": "def softmax(z):\n    return z\n",
        "softmax_jacobian": "def softmax_jacobian(z):\n    s = softmax(z)\n    return s\n",
        "relu": "def relu(z):\n    return z\n",
    }
    checked = {"test_softmax": {"softmax"}, "test_softmax_jacobian": {"softmax_jacobian"}, "test_relu": {"relu"}}
    deps = batch_mix.dependencies(solutions, checked)
    assert deps["test_softmax_jacobian"] == {"softmax", "softmax_jacobian"}
    assert deps["test_softmax"] == {"softmax"} and deps["test_relu"] == {"relu"}
    with pytest.raises(ValueError, match="no answer cell defines"):
        batch_mix.dependencies(solutions, {"test_x": {"x"}})


@pytest.mark.notebooks
def test_a_mixed_batch_grades_to_the_expected_scores_in_parallel(mix_course):
    broken = [*batch_mix.OWN_BROKEN, *map(batch_mix.hostile_case, HOSTILE)]
    subs = batch_mix.make_batch(mix_course, n=N, seed=SEED, broken=broken)
    batch_mix.write_batch(subs, mix_course / "submitted")
    honest = [s for s in subs if s.kind == "honest"]
    totals = {sum(s.expected.values()) for s in honest}
    assert len(totals) >= 5, f"the honest scores hardly vary: {sorted(totals)}"
    assert {s.assignment for s in honest} == set(batch_mix.LIGHT)
    assert any(all(a == "solution" for a in s.answers.values()) for s in honest)

    kit = batch.kit_for(mix_course / "coursekit")
    tasks = batch_mix.tasks_for(subs, mix_course, kit, LIMITS)
    results = {r.student: r for r in batch.run(tasks, workers=2, progress=False)}

    assert set(results) == {s.student for s in subs}
    problems = [p for s in subs for p in batch_mix.mismatches(s, results[s.student])]
    assert not problems, "\n".join(problems)
    statuses = {results[s.student].status for s in subs}
    assert {GRADED, TIMED_OUT, CRASHED, TAMPERING, RESOURCE_LIMIT, nbk.INVALID, nbk.MISSING} <= statuses, statuses
    assert not batch_mix.hostile_problems(subs, mix_course)

    # the comparison itself notices a point too many and a wrong status
    sub = next(s for s in honest if any(a != "solution" for a in s.answers.values()))
    result = results[sub.student]
    lost = next(c for c in result.cells if c.kind == "auto" and c.score < c.max_score)
    cells = [dataclasses.replace(c, score=c.max_score) if c is lost else c for c in result.cells]
    assert batch_mix.mismatches(sub, dataclasses.replace(result, cells=cells))
    assert batch_mix.mismatches(sub, dataclasses.replace(result, status=TIMED_OUT))
