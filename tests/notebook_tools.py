"""Running notebooks cell by cell in one kernel, for the notebook tests."""

import copy
import os
from contextlib import contextmanager
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def nbmeta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def is_answer(cell) -> bool:
    m = nbmeta(cell)
    return cell.cell_type == "code" and m.get("solution", False) and not m.get("grade", False)


def is_test(cell) -> bool:
    m = nbmeta(cell)
    return cell.cell_type == "code" and m.get("grade", False) and not m.get("solution", False)


def failed(cell) -> str | None:
    """Why nbgrader would give a test cell no points (an error or any stderr), else None."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename')}: {out.get('evalue')}"
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            return f"stderr: {out.get('text', '')[:300]}"
    return None


@contextmanager
def kernel(path: Path, env: dict[str, str] | None = None, timeout: int = 300):
    """A kernel started in the notebook's folder; yields ``run(cell) -> executed copy``."""
    nb = nbformat.read(path, as_version=4)
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        client = NotebookClient(
            nb,
            timeout=timeout,
            allow_errors=True,
            kernel_name="python3",
            resources={"metadata": {"path": str(Path(path).parent)}},
        )
        with client.setup_kernel():
            counter = iter(range(10_000))

            def run(cell):
                cell = copy.deepcopy(cell)
                cell.outputs = []
                client.nb.cells.append(cell)
                client.execute_cell(cell, len(client.nb.cells) - 1)
                next(counter)
                return cell

            client.nb.cells = []
            yield run
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
