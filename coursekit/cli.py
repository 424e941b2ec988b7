"""The ``coursekit`` command.

coursekit release [ASSIGNMENT ...]    release notebooks + the student bundle (dist/student/)
coursekit grade                       grade submitted/ out of process: gradebook, feedback/, grades.csv
coursekit check NOTEBOOK              run a notebook's visible checks, per-question summary
coursekit lab                         JupyterLab on the student bundle, as a student sees it
"""

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="coursekit", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    rel = sub.add_parser("release", help="generate the student notebooks and the student bundle")
    rel.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    rel.add_argument(
        "--root", type=Path, default=None, help="course folder (default: found from here)"
    )

    gr = sub.add_parser("grade", help="grade everything in submitted/ (each submission sandboxed)")
    gr.add_argument("--root", type=Path, default=None)
    gr.add_argument("--no-feedback", action="store_true", help="skip the HTML feedback")
    gr.add_argument(
        "--full", action="store_true", help="run notebooks in full mode (default: fast mode)"
    )
    gr.add_argument("--workers", type=int, metavar="N", help="submissions graded at once (default: the cores)")
    gr.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="grade on the workers of a running Dask scheduler (tcp://host:8786); "
        "they must see this course folder at the same path",
    )
    gr.add_argument("--force", action="store_true", help="grade again the submissions already graded")
    gr.add_argument("--cell-timeout", type=float, metavar="SECONDS", help="time limit of each cell (default 120)")
    gr.add_argument("--memory-mb", type=int, metavar="MB", help="memory limit of each submission (default 4096)")

    ck = sub.add_parser("check", help="run a notebook's visible checks")
    ck.add_argument("notebook", type=Path)
    ck.add_argument("--timeout", type=int, default=600, help="seconds per cell")

    lab = sub.add_parser("lab", help="open the student bundle in JupyterLab (student view)")
    lab.add_argument("--root", type=Path, default=None)
    lab.add_argument("--no-browser", action="store_true", help="print the URL only")
    lab.add_argument("--port", type=int, default=None)

    args = parser.parse_args(argv)
    from coursekit.course import CourseError

    try:
        if args.command == "release":
            from coursekit.course import find_root, release

            root = args.root or find_root()
            out = release(root, args.assignments or None)
            print(
                f"release notebooks in {root / 'release'}; student bundle in {out} "
                f"(and {out.parent / 'coursekit-student.zip'})"
            )
        elif args.command == "grade":
            return _grade(args)
        elif args.command == "lab":
            import os

            from coursekit.course import find_root
            from coursekit.lab import student_lab

            root = args.root or find_root()
            argv_lab, env = student_lab(
                root / "dist" / "student",
                root / "build" / "student-lab",
                port=args.port,
                open_browser=not args.no_browser,
            )
            print(
                "starting JupyterLab on the student notebooks; open the URL it prints below (Ctrl-C stops it)"
            )
            sys.stdout.flush()
            os.execve(argv_lab[0], argv_lab, env)
        else:
            from coursekit.checker import run_checks, summary

            rows = run_checks(args.notebook, timeout=args.timeout)
            print(summary(rows))
            return 0 if rows and all(r.status == "passed" for r in rows) else 1
    except (CourseError, FileNotFoundError, ValueError) as exc:
        print(f"coursekit {args.command}: {exc}", file=sys.stderr)
        return 2
    return 0


def _grade(args: argparse.Namespace) -> int:
    import dataclasses

    from coursekit.autograde.sandbox import Limits
    from coursekit.course import find_root, grade

    limits = Limits()
    if args.cell_timeout is not None:
        if args.cell_timeout <= 0:
            raise ValueError("--cell-timeout must be a positive number of seconds")
        limits = dataclasses.replace(
            limits, cell_seconds=args.cell_timeout, notebook_seconds=max(limits.notebook_seconds, args.cell_timeout)
        )
    if args.memory_mb is not None:
        if args.memory_mb < 256:
            raise ValueError("--memory-mb must be at least 256")
        limits = dataclasses.replace(limits, memory_bytes=args.memory_mb * 2**20)
    if args.workers is not None and args.workers < 1:
        raise ValueError("--workers must be at least 1")
    root = args.root or find_root()
    client = None
    if args.dask:
        try:
            from distributed import Client
        except ImportError:
            raise ValueError("--dask needs the package `distributed` (pip install distributed)") from None
        try:
            client = Client(args.dask, timeout=30)
        except OSError as exc:
            raise ValueError(f"cannot reach the Dask scheduler at {args.dask}: {exc}") from None
    try:
        rows = grade(
            root,
            feedback=not args.no_feedback,
            workers=args.workers,
            executor=client.get_executor() if client is not None else None,
            force=args.force,
            limits=limits,
            fast=not args.full,
        )
    finally:
        if client is not None:
            client.close()
    statuses: dict[str, int] = {}
    for status in {(r.student, r.assignment): r.status for r in rows}.values():
        statuses[status] = statuses.get(status, 0) + 1
    counts = ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
    print(
        f"{sum(statuses.values())} submissions in the gradebook ({counts or 'none'}); "
        f"per-question scores in {root / 'grades.csv'}, feedback in {root / 'feedback'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
