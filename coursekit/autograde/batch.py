"""Grading many submissions at once: on this machine's cores, or on a Dask cluster.

Each submission is one independent task (:func:`coursekit.autograde.verdict.grade_one`), so a
batch runs them on an executor and yields each result as it finishes; the caller records it
(:mod:`coursekit.autograde.store`). Results do not depend on the executor, the number of workers
or the order: every submission gets a fresh process and fixed seeds.

With Dask, the workers must see the course folder at the same path (a shared file system) and
have coursekit installed; each builds the student kit it grades with from that folder.
"""

import contextlib
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from pathlib import Path

from coursekit.autograde.kits import kit_for
from coursekit.autograde.verdict import Result, Task, grade_one

GRADER_ERROR = "grader error"


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def grade_task(task: Task) -> dict:
    """Grade one task in a worker and return the result as plain data.

    ``task.kit`` may name the coursekit package folder instead of a kit; the worker then builds
    (or reuses) the kit itself, which is what remote workers do. An error of the grader itself
    (not of the submission) becomes the status ``grader error``, and such a result is not
    recorded, so the next run tries again. The test cells run here in the task's mode
    (``COURSEKIT_FAST`` as ``task.fast`` says), whatever this worker's environment holds.
    """
    try:
        kit = Path(task.kit)
        if (kit / "__init__.py").is_file():  # the package itself: build the kit here
            task = _replace(task, kit=str(kit_for(kit)))
        with _fast_mode(task.fast):
            return grade_one(task).to_dict()
    except Exception as exc:  # noqa: BLE001  (reported, never fatal to the batch)
        return Result(task.student, task.assignment, GRADER_ERROR, notes=[f"{type(exc).__name__}: {exc}"]).to_dict()


@contextlib.contextmanager
def _fast_mode(fast: bool) -> Iterator[None]:
    before = os.environ.get("COURSEKIT_FAST")
    os.environ["COURSEKIT_FAST"] = "1" if fast else "0"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("COURSEKIT_FAST", None)
        else:
            os.environ["COURSEKIT_FAST"] = before


def _replace(task: Task, **changes: object) -> Task:
    import dataclasses

    return dataclasses.replace(task, **changes)


def run(
    tasks: Iterable[Task],
    *,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: bool = True,
) -> Iterator[Result]:
    """Grade ``tasks`` in parallel and yield each result as soon as it is ready.

    ``executor``: any ``concurrent.futures.Executor`` (e.g. ``distributed.Client(...)
    .get_executor()``); by default a pool of ``workers`` processes (default: the cores).
    ``workers=1`` without an executor grades in this process, one after the other.
    """
    from tqdm.auto import tqdm

    tasks = list(tasks)
    bar = tqdm(total=len(tasks), desc="grading", unit="submission", disable=not progress)
    try:
        if executor is None and (workers or default_workers()) == 1:
            for task in tasks:
                yield _finish(grade_task(task), bar)
            return
        own = executor is None
        pool = executor or ProcessPoolExecutor(max_workers=workers or default_workers(), mp_context=_clean_start())
        try:
            futures = [pool.submit(grade_task, task) for task in tasks]
            for future in as_completed(futures):
                yield _finish(future.result(), bar)
        finally:
            if own:
                pool.shutdown(wait=True, cancel_futures=True)
    finally:
        bar.close()


def _clean_start():
    """Workers started from a clean process: a worker forked from a process whose PyTorch has
    run threaded code waits forever for threads that the copy does not have."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _finish(data: dict, bar) -> Result:
    result = Result.from_dict(data)
    bar.set_postfix_str(f"{result.student}: {result.status}", refresh=False)
    bar.update(1)
    return result
