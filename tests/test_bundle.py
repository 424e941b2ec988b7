"""The student build: every marked region stripped, importable, and nothing of a solution left."""

import re
import subprocess
import sys
import textwrap

import pytest

from coursekit.bundle import MarkerError, find_regions, strip_source


def test_strip_replaces_region_with_named_error():
    src = textwrap.dedent(
        '''
        def f(x):
            """doc"""
            y = x + 1
            # BEGIN SOLUTION
            return y * 2
            # END SOLUTION
        '''
    )
    out = strip_source(src, "pkg.mod")
    assert "y * 2" not in out and "BEGIN" not in out
    namespace: dict = {}
    exec(out, namespace)
    with pytest.raises(NotImplementedError, match="pkg.mod.f is an exercise"):
        namespace["f"](1)


@pytest.mark.parametrize(
    "src, message",
    [
        ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "inside a function body"),
        ("def f():\n    # BEGIN SOLUTION\n    return 1\n", "never closed"),
        ("def f():\n    # END SOLUTION\n", "without a matching BEGIN"),
        ("def f():\n    # BEGIN SOLUTION\n    # BEGIN HIDDEN TESTS\n", "inside an open"),
        ("def f():\n    # BEGIN SOLUTION\n    # nothing\n    # END SOLUTION\n", "empty"),
    ],
)
def test_malformed_regions_are_rejected(src, message):
    with pytest.raises(MarkerError, match=message):
        find_regions(src)


def _split_lines(lines, is_begin, is_end) -> tuple[set[str], set[str]]:
    """(lines of real code inside marked regions, lines outside them)."""
    inside, outside, depth = set(), set(), False
    for raw in lines:
        s = raw.strip()
        if is_begin(s):
            depth = True
        elif is_end(s):
            depth = False
        elif len(s) >= 12 and not s.startswith(("#", '"""')):
            (inside if depth else outside).add(s)
    return inside, outside


def _sentinels(root) -> set[str]:
    """Lines that occur only inside solution or hidden-test regions of the course sources.

    A line that also occurs outside every region (a shared idiom) says nothing about a leak.
    """
    import nbformat

    inside, outside = set(), set()
    begin = re.compile(r"^#+\s*BEGIN (SOLUTION|HIDDEN TESTS)$").match
    end = re.compile(r"^#+\s*END (SOLUTION|HIDDEN TESTS)$").match
    for path in sorted((root / "coursekit").rglob("*.py")):
        i, o = _split_lines(path.read_text(encoding="utf-8").splitlines(), begin, end)
        inside |= i
        outside |= o
    for path in sorted((root / "notebooks").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            i, o = _split_lines(cell.source.splitlines(), begin, end)
            inside |= {line for line in i if not line.startswith("**Rubric")}
            outside |= o
    return inside - outside


def test_every_region_has_a_sentinel(repo_root):
    """Each region holds at least one distinctive line, so the search below covers it."""
    for path in sorted((repo_root / "coursekit").rglob("*.py")):
        for region in find_regions(path.read_text(encoding="utf-8"), str(path)):
            assert any(len(b.strip()) >= 8 for b in region.body), f"{path}:{region.start + 1}"


def _leaks(course, student) -> list[str]:
    import nbformat

    texts = [
        p.read_text(encoding="utf-8")
        for p in student.rglob("*")
        if p.suffix in {".py", ".md", ".toml"}
    ]
    texts += [
        c.source for p in student.rglob("*.ipynb") for c in nbformat.read(p, as_version=4).cells
    ]
    bundle_lines = {line.strip() for text in texts for line in text.splitlines()}
    marker_line = re.compile(r"^\s*#+\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)\s*$", re.MULTILINE)
    markers = [
        f"marker in bundle: {m.group(0).strip()}" for t in texts for m in marker_line.finditer(t)
    ]
    return sorted(_sentinels(course) & bundle_lines) + markers


def test_bundle_holds_no_solution_or_hidden_test(course):
    assert len(_sentinels(course)) > 40
    leaked = _leaks(course, course / "dist" / "student")
    assert not leaked, f"solution or hidden-test lines in the student bundle: {leaked[:10]}"
    assert (course / "dist" / "coursekit-student.zip").stat().st_size > 10_000


def test_leak_search_finds_a_planted_solution(course, tmp_path):
    import shutil

    student = tmp_path / "student"
    shutil.copytree(course / "dist" / "student", student)
    planted = sorted(line for line in _sentinels(course) if "check_hidden(" in line)[0]
    with (student / "coursekit" / "config.py").open("a") as fh:
        fh.write(f"\n# {planted}\n{planted}\n")
    assert planted in _leaks(course, student)


def test_student_build_imports_and_names_exercises(course):
    code = (
        "import coursekit, coursekit.activations as a, coursekit.grading as g, coursekit.viz.activations as v\n"
        "assert 'dist/student' in coursekit.__file__, coursekit.__file__\n"
        "try:\n    a.softmax([1.0])\nexcept NotImplementedError as e:\n    print(e)\n"
        "try:\n    g.check_hidden('02.softmax', lambda z: z)\nexcept NotImplementedError as e:\n    print(e)\n"
        "e = v.activation_explorer({'sigmoid': (a.sigmoid, a.sigmoid_grad)})\n"
        "print('explorer', len(e.png))\n"
    )
    env = {"PYTHONPATH": str(course / "dist" / "student"), "MPLBACKEND": "Agg", "PATH": ""}
    import os

    env = {**os.environ, **env}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=course / "dist",
    )
    assert out.returncode == 0, out.stderr
    assert "coursekit.activations.softmax is an exercise" in out.stdout
    assert "hidden tests run only when the instructor grades" in out.stdout
    assert "explorer" in out.stdout
