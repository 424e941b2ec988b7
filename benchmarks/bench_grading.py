"""Grading a generated batch of submissions: time per submission, speed-up, and plain nbgrader.

The batch (``tests/autograde/batch_mix.py``) mixes honest submissions of notebooks 01-03 with
varied scores and about 10% broken or hostile ones (the catalogue of
``tests/autograde/hostile.py``, malformed JSON, non-UTF-8, a missing or renamed notebook, a cell
that never ends), each with the per-question scores it must get. It is written into a released
copy of the course in a temporary folder and graded there by ``coursekit.autograde.batch.run``:

1. the first ``--subset`` submissions with ``--workers`` processes (default: the cores);
2. the whole batch with ``--workers`` processes: the time per submission;
3. the subset again one after the other (``workers=1``): the speed-up of step 1, and whether
   the two runs agree;
4. with ``--nbgrader``, plain ``nbgrader autograde`` one submission after the other, as nbgrader
   does (``coursekit.course.api(root).autograde``), with the batch's per-cell time limit as
   ``Execute.timeout``, on the batch without the hostile notebooks that start processes, send
   signals, use the network or native code, write files or flood: nbgrader would run those
   unfenced on this machine. It runs in a child process limited to the batch's memory limit; a
   submission that hangs it is stopped after three cell limits and counted as hung.

Every per-question score and status must be the expected one (hostile notebooks: the
catalogue's honest score), and the catalogue's after-grading checks must find nothing forged:
the script lists each difference and exits with status 1 when there is any. The figures go to
``build/bench/grading.json``.

    .venv/bin/python benchmarks/bench_grading.py [--n 60] [--subset K] [--workers N] [--seed 0] [--nbgrader]

The figure for the README is ``--n 500 --nbgrader`` on a quiet machine; the default (60
submissions, no nbgrader) takes a few minutes on 2 cores.
"""

import argparse
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the batch generator lives in tests/

from coursekit.autograde import batch  # noqa: E402
from coursekit.autograde.verdict import Result  # noqa: E402
from coursekit.course import release  # noqa: E402
from tests.autograde import batch_mix  # noqa: E402

OUT = ROOT / "build" / "bench" / "grading.json"


def environment(home: Path) -> None:
    """Jupyter, IPython and matplotlib settings in ``home`` (as the tests do); fast mode."""
    for var, sub in {"JUPYTER_CONFIG_DIR": "jupyter/config", "JUPYTER_DATA_DIR": "jupyter/data",
                     "JUPYTER_RUNTIME_DIR": "jupyter/runtime", "IPYTHONDIR": "ipython",
                     "MPLCONFIGDIR": "matplotlib"}.items():
        os.environ[var] = str(home / sub)
        (home / sub).mkdir(parents=True, exist_ok=True)
    os.environ.update(JUPYTER_PLATFORM_DIRS="1", MPLBACKEND="Agg", COURSEKIT_FAST="1")
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")


def make_course(folder: Path) -> Path:
    """A copy of the course (config, notebooks, package source) with the light notebooks released."""
    root = folder / "course"
    root.mkdir()
    shutil.copy2(ROOT / "nbgrader_config.py", root)
    shutil.copy2(ROOT / "pyproject.toml", root)
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copytree(ROOT / "coursekit", root / "coursekit", ignore=shutil.ignore_patterns("__pycache__"))
    release(root, only=batch_mix.LIGHT)
    return root


def timed_run(tasks: list, workers: int, progress: bool = False) -> tuple[dict[str, Result], float]:
    """Results by student and the wall-clock seconds of grading ``tasks`` with ``workers``."""
    start = time.perf_counter()
    results = {r.student: r for r in batch.run(tasks, workers=workers, progress=progress)}
    return results, time.perf_counter() - start


def outcome(result: Result) -> tuple:
    """What must not depend on the number of workers: the status and every score."""
    return result.status, tuple(sorted((c.grade_id, c.score) for c in result.cells))


def check(subs: list, results: dict[str, Result], label: str) -> list[str]:
    problems = []
    for sub in subs:
        if sub.student not in results:
            problems.append(f"{label}: {sub.student} has no result")
        else:
            problems += [f"{label}: {p}" for p in batch_mix.mismatches(sub, results[sub.student])]
    return problems


# ---------------------------------------------------------------------------------- nbgrader
# Hostile code that plain nbgrader would run unfenced on this (shared) machine: processes,
# signals, the network, native code, files written, floods and endless loops.
_UNSAFE = re.compile(
    r"fork|kill|signal|system\(|spawn|subprocess|multiprocessing|socket|urllib|ctypes|_exit|sqlite3|shutil"
    r"|open\([^)]*[\"'][wa]|os\.write|while True|setrecursionlimit|hoard|flood"
)


def nbgrader_safe(root: Path, sub) -> bool:  # noqa: ANN001
    """Whether ``sub`` may run under plain nbgrader here: everything but the hostile notebooks
    whose code matches ``_UNSAFE``."""
    if sub.case is None:
        return True
    folder = root / "submitted" / sub.student / sub.assignment
    nb = json.loads((folder / f"{sub.assignment}.ipynb").read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c.get("cell_type") == "code")
    return _UNSAFE.search(code) is None


def _nbgrader_worker(root: str, pairs: list, timeout: float, memory: int, queue) -> None:  # noqa: ANN001
    """Autograde ``pairs`` with nbgrader, one after the other, reporting each to ``queue``."""
    import resource
    import warnings

    warnings.filterwarnings("ignore", message=".*not in session.*")  # nbgrader's own SQLAlchemy use
    os.setsid()  # its own process group: stopping it stops its kernels too
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    from coursekit.course import api

    grader = api(Path(root), Execute__timeout=int(timeout))
    os.chdir(root)  # nbgrader resolves the course folders from here
    for student, aid in pairs:
        start = time.perf_counter()
        try:
            ok = bool(grader.autograde(aid, student, force=True, create=True).get("success"))
        except Exception:  # noqa: BLE001  (recorded as a failure of that submission)
            ok = False
        queue.put((student, ok, time.perf_counter() - start))


def run_nbgrader(root: Path, subs: list, timeout: float, memory: int) -> dict:
    """Plain nbgrader on the batch (see the module docstring): wall time and what it scored."""
    import multiprocessing
    import queue as queues
    import signal

    from tqdm.auto import tqdm

    context = multiprocessing.get_context("spawn")
    todo = [(s.student, s.assignment) for s in subs]
    done: dict[str, str] = {}
    stall = 3 * timeout + 60
    bar = tqdm(total=len(todo), desc="nbgrader", unit="submission")
    start = time.perf_counter()
    while todo:
        reports = context.Queue()
        worker = context.Process(target=_nbgrader_worker, args=(str(root), todo, timeout, memory, reports))
        worker.start()
        last = time.perf_counter()
        while todo:
            try:
                student, ok, _ = reports.get(timeout=5)
            except queues.Empty:
                if not worker.is_alive():
                    done[todo.pop(0)[0]] = "crashed"  # nbgrader itself died on this one
                    bar.update(1)
                    break
                if time.perf_counter() - last > stall:
                    os.killpg(worker.pid, signal.SIGKILL)
                    done[todo.pop(0)[0]] = "hung"
                    bar.update(1)
                    break
                continue
            last = time.perf_counter()
            todo.pop(0)
            done[student] = "ok" if ok else "failed"
            bar.update(1)
        if worker.is_alive() and not todo:
            worker.join(timeout=30)
        if worker.is_alive():
            os.killpg(worker.pid, signal.SIGKILL)
        worker.join()
    seconds = time.perf_counter() - start
    bar.close()
    return {"seconds": seconds, "outcomes": done, **nbgrader_scores(root, subs, done)}


def nbgrader_scores(root: Path, subs: list, done: dict[str, str]) -> dict:
    """How nbgrader's per-question scores compare with the expected ones."""
    from nbgrader.api import Gradebook, MissingEntry

    from coursekit.course import api

    coursedir = api(root).coursedir
    got: dict[str, dict[str, float]] = {}
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:  # nbgrader's own rows: no coursekit record
        for sub in subs:
            if done.get(sub.student) != "ok":
                continue
            try:
                submission = gb.find_submission(sub.assignment, sub.student)
            except MissingEntry:
                continue
            for nb in submission.notebooks:
                got.setdefault(sub.student, {}).update(
                    {g.name: g.score for g in nb.grades if g.cell_type == "code"})
    exact = over = 0
    for sub in subs:
        scores = got.get(sub.student, {})
        if sub.case is None:
            exact += all(scores.get(q, 0.0) == p for q, p in sub.expected.items())
            over += any((scores.get(q) or 0.0) > p for q, p in sub.expected.items())
        else:  # a hostile notebook: its honest score, in total
            total = sum(s or 0.0 for s in scores.values())
            exact += total == sub.case.honest
            over += total > sub.case.honest
    return {"exact": exact, "above_expected": over}


# ---------------------------------------------------------------------------------- main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60, help="submissions in the batch (default 60)")
    parser.add_argument("--subset", type=int, default=None,
                        help="submissions graded serially and in parallel (default min(40, n/3))")
    parser.add_argument("--workers", type=int, default=None, help="parallel workers (default: the cores)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--nbgrader", action="store_true", help="also time plain nbgrader autograde")
    args = parser.parse_args()
    workers = args.workers or batch.default_workers()
    subset = args.subset if args.subset is not None else min(40, max(2, args.n // 3))
    limits = batch_mix.BATCH_LIMITS
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        environment(Path(tmp) / "home")
        t0 = time.perf_counter()
        root = make_course(Path(tmp))
        subs = batch_mix.make_batch(root, n=args.n, seed=args.seed)
        batch_mix.write_batch(subs, root / "submitted")
        kit = batch.kit_for(root / "coursekit")
        setup = time.perf_counter() - t0
        tasks = batch_mix.tasks_for(subs, root, kit, limits)
        kinds = batch_mix.summary(subs)
        print(f"batch: {args.n} submissions, seed {args.seed}: {kinds}; course, batch and kit ready in {setup:.0f} s")
        print(f"limits per submission: {limits.cell_seconds:g} s per cell, {limits.notebook_seconds:g} s per notebook")

        # The parallel runs come first: a pool forked after this process ran torch's OpenMP code
        # (as grading in this process does) can hang, see ``batch.run``.
        parallel, t_parallel = timed_run(tasks[:subset], workers)
        full, t_full = timed_run(tasks, workers, progress=True)
        problems += check(subs, full, "full batch") + batch_mix.hostile_problems(subs, root)
        serial, t_serial = timed_run(tasks[:subset], 1)
        problems += check(subs[:subset], serial, "serial") + check(subs[:subset], parallel, "parallel")
        problems += [f"serial and parallel runs differ for {s}" for s in serial
                     if s in parallel and outcome(serial[s]) != outcome(parallel[s])]
        statuses: dict[str, int] = {}
        for r in full.values():
            statuses[r.status] = statuses.get(r.status, 0) + 1

        figures = {
            "n": args.n, "seed": args.seed, "subset": subset, "workers": workers,
            "cores": batch.default_workers(),
            "machine": f"{platform.machine()} {platform.system()} {platform.release()}",
            "kinds": kinds, "statuses": statuses,
            "limits": {"cell_seconds": limits.cell_seconds, "notebook_seconds": limits.notebook_seconds},
            "subset_serial_seconds": t_serial, "subset_parallel_seconds": t_parallel,
            "speedup": t_serial / t_parallel, "speedup_per_worker": t_serial / t_parallel / workers,
            "batch_seconds": t_full, "seconds_per_submission": t_full / args.n,
            "mean_grading_seconds": sum(r.seconds for r in full.values()) / max(1, len(full)),
            "points_expected": sum(batch_mix.expected_total(s) for s in subs),
            "points_graded": sum(r.auto_score for r in full.values()),
            "mismatches": len(problems),
        }
        if args.nbgrader:
            safe = [sub for sub in subs if nbgrader_safe(root, sub)]
            nb = run_nbgrader(root, safe, limits.cell_seconds, limits.memory_bytes)
            outcomes: dict[str, int] = {}
            for o in nb["outcomes"].values():
                outcomes[o] = outcomes.get(o, 0) + 1
            figures["nbgrader"] = {
                "submissions": len(safe), "left_out": sorted(sub.kind for sub in subs if sub not in safe),
                "batch_seconds": nb["seconds"], "seconds_per_submission": nb["seconds"] / max(1, len(safe)),
                "outcomes": outcomes, "exact": nb["exact"], "above_expected": nb["above_expected"],
            }

    report(figures)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"figures written to {OUT.relative_to(ROOT)}")
    if problems:
        print(f"\n{len(problems)} difference(s) from the expected grades:", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    return 0


def report(f: dict) -> None:
    w, k, n = f["workers"], f["subset"], f["n"]
    rows = [
        (f"subset of {k}, 1 worker", f["subset_serial_seconds"], k),
        (f"subset of {k}, {w} workers", f["subset_parallel_seconds"], k),
        (f"batch of {n}, {w} workers", f["batch_seconds"], n),
    ]
    if "nbgrader" in f:
        m = f["nbgrader"]["submissions"]
        rows.append((f"{m} of the batch, nbgrader autograde (serial)", f["nbgrader"]["batch_seconds"], m))
    print(f"\n{'':<44}{'seconds':>10}{'s/submission':>14}")
    for label, seconds, count in rows:
        print(f"{label:<44}{seconds:>10.1f}{seconds / count:>14.2f}")
    print(f"speed-up with {w} workers: {f['speedup']:.2f} = {f['speedup_per_worker']:.2f} x {w} (goal: >= 0.7 x {w})")
    print(f"statuses: {f['statuses']}; points {f['points_graded']:g} of the expected {f['points_expected']:g}; "
          f"{f['mismatches']} difference(s) from the expected grades")
    if "nbgrader" in f:
        nb = f["nbgrader"]
        print(f"nbgrader: {nb['outcomes']}; {nb['exact']} of {nb['submissions']} graded exactly as expected, "
              f"{nb['above_expected']} above the expected scores; left out (unsafe without a sandbox): "
              f"{len(nb['left_out'])} hostile notebooks")


if __name__ == "__main__":
    sys.exit(main())
