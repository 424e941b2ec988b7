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
