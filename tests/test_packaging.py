"""The project's own files install what it needs, the same way for pip and conda users."""

import re
import tomllib


def _names(specs):
    return {re.split(r"[<>=!~\[ ]", s.strip(), maxsplit=1)[0].lower() for s in specs if s.strip()}


def test_environment_yml_lists_the_same_dependencies(repo_root):
    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]
    wanted = _names(project["dependencies"]) | _names(project["optional-dependencies"]["test"])
    deps, pip_deps = [], []
    section = None
    for line in (repo_root / "environment.yml").read_text().splitlines():
        text = line.split("#")[0].rstrip()
        if text.startswith("dependencies:"):
            section = deps
        elif text.strip() == "- pip:":
            section = pip_deps
        elif section is not None and text.strip().startswith("- "):
            section.append(text.strip()[2:])
    listed = _names(
        d for d in deps + pip_deps if not d.startswith(("python=", "--editable")) and d != "pip"
    )
    assert wanted == listed, wanted ^ listed


def test_torch_is_pinned_to_the_cpu_build_on_disk(repo_root):
    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]
    assert "torch==2.13.0" in project["dependencies"]
    assert "torch==2.13.0" in (repo_root / "environment.yml").read_text()


def test_ci_runs_the_readme_test_command(repo_root):
    ci = (repo_root / ".ci" / "run").read_text()
    readme = (repo_root / "README.md").read_text()
    assert "make test" in ci and "make test" in readme and "make lab" in readme
