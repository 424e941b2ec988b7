"""JupyterLab as a student sees it: the release notebooks, the student build of coursekit, no
instructor panels and no pop-ups over the notebook.

Used by ``make lab`` (through ``coursekit lab``) and by the browser tests.
"""

import json
import os
import sys
from pathlib import Path

# nbgrader's instructor side (formgrader, course list, create-assignment toolbar) and the
# announcements plugin (news feed, update checks) are switched off in the student view.
DISABLED_LAB_EXTENSIONS = {
    "@jupyter/nbgrader": True,
    "@jupyterlab/apputils-extension:announcements": True,
}
DISABLED_SERVER_EXTENSIONS = {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.assignment_list": False,
    "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.validate_assignment": False,
}


def write_student_config(config_dir: Path) -> Path:
    """Write the student view's Jupyter configuration into ``config_dir``; returns it."""
    config_dir = Path(config_dir)
    (config_dir / "labconfig").mkdir(parents=True, exist_ok=True)
    (config_dir / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": DISABLED_LAB_EXTENSIONS}, indent=2), encoding="utf-8"
    )
    (config_dir / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "ServerApp": {"jpserver_extensions": DISABLED_SERVER_EXTENSIONS},
                "LabApp": {
                    "news_url": None,
                    "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
                },
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return config_dir


def student_lab(
    bundle: Path,
    state_dir: Path,
    *,
    port: int | None = None,
    token: str | None = None,
    open_browser: bool = True,
) -> tuple[list[str], dict[str, str]]:
    """The command and environment that start JupyterLab on a student bundle.

    Args:
        bundle: a student bundle (``dist/student``) with ``notebooks/`` and ``coursekit/``.
        state_dir: where Jupyter's config, data and runtime files for this view live.
        port, token: fixed values (tests); default: Jupyter picks a free port and a random token.
    """
    bundle, state_dir = Path(bundle).resolve(), Path(state_dir).resolve()
    if not (bundle / "notebooks").is_dir() or not (bundle / "coursekit").is_dir():
        raise FileNotFoundError(f"{bundle} is not a student bundle: run `coursekit release` first")
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(write_student_config(state_dir / "config")),
        JUPYTER_DATA_DIR=str(state_dir / "data"),
        JUPYTER_RUNTIME_DIR=str(state_dir / "runtime"),
        PYTHONPATH=os.pathsep.join([str(bundle), *filter(None, [env.get("PYTHONPATH")])]),
    )
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--notebook-dir={bundle / 'notebooks'}",
        "--ip=127.0.0.1",
    ]
    if port is not None:
        argv.append(f"--port={port}")
    if token is not None:
        argv.append(f"--IdentityProvider.token={token}")
    if not open_browser:
        argv.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    return argv, env
