"""Test settings shared by every test module.

Jupyter, IPython and matplotlib keep their config and caches under ``build/test-home/`` (never in
the user's home), plots use the Agg backend, and notebooks run in fast mode.
"""

import os
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
_HOME = ROOT / "build" / "test-home" / f"worker-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
for var, sub in {
    "JUPYTER_CONFIG_DIR": "jupyter/config",
    "JUPYTER_DATA_DIR": "jupyter/data",
    "JUPYTER_RUNTIME_DIR": "jupyter/runtime",
    "IPYTHONDIR": "ipython",
    "MPLCONFIGDIR": "matplotlib",
}.items():
    os.environ[var] = str(_HOME / sub)
    (_HOME / sub).mkdir(parents=True, exist_ok=True)
os.environ["JUPYTER_PLATFORM_DIRS"] = "1"
os.environ["MPLBACKEND"] = "Agg"
os.environ["COURSEKIT_FAST"] = "1"
os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
# nbgrader calls `alembic`, and kernels start from this interpreter's environment
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")

settings.register_profile("default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "default")

NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").iterdir() if (p / f"{p.name}.ipynb").is_file())


def notebook_path(nb_id: str) -> Path:
    return ROOT / "notebooks" / nb_id / f"{nb_id}.ipynb"


def nb_param(nb_id: str):
    """A pytest param for a notebook id, carrying its marker (nb01, nb02, ...)."""
    return pytest.param(nb_id, id=nb_id, marks=[getattr(pytest.mark, f"nb{nb_id[:2]}"), pytest.mark.notebooks])


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def course(tmp_path_factory) -> Path:
    """A copy of the course (config, notebooks, package source) with everything released.

    Tests grade and build in the copy, never in the working tree.
    """
    from coursekit.course import release

    root = tmp_path_factory.mktemp("course")
    shutil.copy2(ROOT / "nbgrader_config.py", root)
    shutil.copy2(ROOT / "pyproject.toml", root)
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copytree(ROOT / "coursekit", root / "coursekit", ignore=shutil.ignore_patterns("__pycache__"))
    release(root)
    return root


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server started for this test session (``tests/postgres_server.py``); call
    ``postgres.create_database(name)`` for a database URL. Skipped when PostgreSQL is missing."""
    from tests.postgres_server import PostgresServer, Unavailable

    try:
        server = PostgresServer()
    except Unavailable as exc:
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()


def pytest_sessionfinish(session, exitstatus):
    """In CI a skipped test is a failure: nothing may pass by not running."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("CI") and skipped and session.exitstatus == 0:
        reasons = sorted({str(getattr(r, "longrepr", ""))[-200:] for r in skipped})
        reporter.write_line(f"CI: {len(skipped)} skipped test(s) count as failures: {reasons}", red=True)
        session.exitstatus = 1


_SESSION_START = __import__("time").time()


def pytest_terminal_summary(terminalreporter):
    """Print the slider-to-new-image times measured by the browser tests in this run."""
    import json

    shots = ROOT / "build" / "screenshots"
    rows = []
    for path in sorted(shots.glob("*-redraw.json")) if shots.is_dir() else []:
        if path.stat().st_mtime >= _SESSION_START:
            for name, t in json.loads(path.read_text()).items():
                rows.append(
                    f"  {path.name[:-12]:<34} {name:<11} {t['moves']:>3} moves  "
                    f"median {t['median_ms']:>4} ms  max {t['max_ms']:>4} ms"
                )
    if rows:
        terminalreporter.section("explorer redraw times in JupyterLab (key press to new image)")
        for row in rows:
            terminalreporter.write_line(row)
        terminalreporter.write_line(f"  screenshots: {shots}")
