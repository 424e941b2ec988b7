"""The coursekit command: check, release and grade from a terminal, with clear errors."""

import shutil
import subprocess
import sys

import pytest

from coursekit.cli import main
from tests.conftest import NOTEBOOKS


def test_check_reports_every_question_of_a_finished_notebook(course, capsys):
    nb_id = "02_activations_softmax" if "02_activations_softmax" in NOTEBOOKS else NOTEBOOKS[0]
    code = main(["check", str(course / "notebooks" / nb_id / f"{nb_id}.ipynb")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "✓ passed" in out and "visible checks pass for" in out
    assert "failed" not in out.split("visible checks pass")[0]


def test_check_on_the_release_says_not_answered_and_fails(course, capsys):
    nb_id = NOTEBOOKS[0]
    code = main(["check", str(course / "release" / nb_id / f"{nb_id}.ipynb")])
    out = capsys.readouterr().out
    assert code == 1
    assert "not answered" in out and "visible checks pass for 0 of" in out


def test_check_names_a_wrong_answer(course, tmp_path, capsys):
    import nbformat

    nb_id = "02_activations_softmax"
    if nb_id not in NOTEBOOKS:
        pytest.skip("notebook 02 is not in this course")
    nb = nbformat.read(course / "notebooks" / nb_id / f"{nb_id}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "relu_grad":
            cell.source = "def relu_grad(z):\n    return (np.asarray(z) >= 0).astype(float)\n"
    path = tmp_path / f"{nb_id}.ipynb"
    nbformat.write(nb, str(path))
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "test_relu_grad" in out and "✗ failed" in out and "ReLU'(0) = 0" in out


@pytest.mark.parametrize(
    "content, message", [(None, "no notebook at"), ("{ not json", "not a readable notebook")]
)
def test_check_explains_bad_files(tmp_path, capsys, content, message):
    path = tmp_path / "x.ipynb"
    if content is not None:
        path.write_text(content)
    assert main(["check", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_commands_outside_a_course_explain_themselves(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["release"]) == 2
    assert "no nbgrader_config.py" in capsys.readouterr().err
    shutil.copy2(__file__, tmp_path / "nbgrader_config.py")
    assert main(["grade", "--root", str(tmp_path)]) == 2
    assert "nothing to grade" in capsys.readouterr().err


def test_console_script_is_installed():
    out = subprocess.run(
        [sys.executable, "-m", "coursekit.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (
        out.returncode == 0
        and "release" in out.stdout
        and "grade" in out.stdout
        and "check" in out.stdout
    )


def _tiny_course(folder):
    """A course folder with notebook 02 only (no release needed to grade)."""
    from tests.conftest import ROOT

    folder.mkdir()
    shutil.copy2(ROOT / "nbgrader_config.py", folder)
    nb_id = "02_activations_softmax"
    shutil.copytree(ROOT / "notebooks" / nb_id, folder / "notebooks" / nb_id)
    (folder / "submitted" / "broken" / nb_id).mkdir(parents=True)
    (folder / "submitted" / "broken" / nb_id / f"{nb_id}.ipynb").write_text("{ not json", encoding="utf-8")
    (folder / "submitted" / "empty" / nb_id).mkdir(parents=True)
    (folder / "submitted" / "lost" / "99_unknown").mkdir(parents=True)
    return folder, nb_id


def _table(root):
    import csv

    with (root / "grades.csv").open(newline="") as fh:
        return {(r["student"], r["assignment"]): r["status"] for r in csv.DictReader(fh)}


def test_grade_reports_statuses_and_an_unknown_assignment_without_stopping(tmp_path, capsys):
    root, nb_id = _tiny_course(tmp_path / "course")
    args = ["grade", "--root", str(root), "--workers", "1", "--cell-timeout", "30", "--memory-mb", "2048"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "no source notebook notebooks/99_unknown/99_unknown.ipynb" in captured.err
    assert "2 submissions in the gradebook (1 invalid notebook, 1 missing notebook)" in captured.out
    assert _table(root) == {("broken", nb_id): "invalid notebook", ("empty", nb_id): "missing notebook"}
    assert (root / "feedback" / "broken" / nb_id / f"{nb_id}.html").is_file()
    assert (root / "autograded" / "broken" / nb_id / f"{nb_id}.ipynb").is_file()
    assert main([*args, "--no-feedback"]) == 0  # graded already: skipped, nothing changes
    assert "2 submission(s) already graded" in capsys.readouterr().err
    source = root / "notebooks" / nb_id / f"{nb_id}.ipynb"
    source.write_text(source.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # the tests changed
    assert main([*args, "--no-feedback"]) == 0
    # graded again with the new tests (the missing notebook stays missing, whatever the tests)
    assert "1 submission(s) already graded" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0 and _table(root)[("broken", nb_id)] == "invalid notebook"


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--workers", "0"], "--workers"),
        (["--cell-timeout", "-1"], "--cell-timeout"),
        (["--memory-mb", "10"], "--memory-mb"),
    ],
)
def test_grade_explains_bad_limits(tmp_path, capsys, flags, message):
    root, _ = _tiny_course(tmp_path / "course")
    assert main(["grade", "--root", str(root), *flags]) == 2
    assert message in capsys.readouterr().err


def test_grade_on_a_dask_scheduler(tmp_path, capsys):
    distributed = pytest.importorskip("distributed", reason="the package `distributed` is not installed")
    root, nb_id = _tiny_course(tmp_path / "course")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as cluster, distributed.Client(cluster) as client:  # fmt: skip
        with distributed.get_task_stream(client=client) as stream:
            assert main(["grade", "--root", str(root), "--dask", cluster.scheduler_address]) == 0
    assert len([t for t in stream.data if "grade_task" in str(t["key"])]) == 2  # graded on the cluster
    assert _table(root) == {("broken", nb_id): "invalid notebook", ("empty", nb_id): "missing notebook"}
