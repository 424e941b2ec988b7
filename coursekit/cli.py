"""The ``coursekit`` command.

coursekit release [ASSIGNMENT ...]    release notebooks + the student bundle (dist/student/)
coursekit grade                       autograde submitted/, feedback/, grades.csv
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

    gr = sub.add_parser("grade", help="autograde everything in submitted/")
    gr.add_argument("--root", type=Path, default=None)
    gr.add_argument("--no-feedback", action="store_true", help="skip the HTML feedback")
    gr.add_argument(
        "--full", action="store_true", help="run notebooks in full mode (default: fast mode)"
    )

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
            import os

            from coursekit.course import find_root, grade

            if not args.full:
                os.environ.setdefault("COURSEKIT_FAST", "1")
            root = args.root or find_root()
            rows = grade(root, feedback=not args.no_feedback)
            print(
                f"graded {len({(r.student, r.assignment) for r in rows})} submissions; "
                f"per-question scores in {root / 'grades.csv'}, feedback in {root / 'feedback'}"
            )
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


if __name__ == "__main__":
    sys.exit(main())
