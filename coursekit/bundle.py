"""The student build of coursekit: every marked solution and hidden-test region stripped.

Regions sit inside function bodies between marker lines::

    # BEGIN SOLUTION            # BEGIN HIDDEN TESTS
    ...                         ...
    # END SOLUTION              # END HIDDEN TESTS

and become one ``raise NotImplementedError(...)`` at the region's indentation, naming the
exercise (``coursekit.activations.softmax``) so a student who calls it knows where to look.
"""

import ast
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

MARKERS = {
    "SOLUTION": (
        re.compile(r"^\s*#\s*BEGIN SOLUTION\s*$"),
        re.compile(r"^\s*#\s*END SOLUTION\s*$"),
    ),
    "HIDDEN TESTS": (
        re.compile(r"^\s*#\s*BEGIN HIDDEN TESTS\s*$"),
        re.compile(r"^\s*#\s*END HIDDEN TESTS\s*$"),
    ),
}
_ANY_MARKER = re.compile(r"(BEGIN|END) (SOLUTION|HIDDEN TESTS)")


class MarkerError(ValueError):
    """A solution or hidden-test region is malformed (unclosed, nested, at module level, empty)."""


@dataclass(frozen=True)
class Region:
    kind: str  # "SOLUTION" or "HIDDEN TESTS"
    start: int  # line index of the BEGIN marker
    end: int  # line index of the END marker
    body: tuple[str, ...]


def find_regions(source: str, filename: str = "<source>") -> list[Region]:
    """Every marked region of a Python source, checked for being well formed."""
    lines = source.splitlines()
    regions, open_kind, start = [], None, 0
    for i, line in enumerate(lines):
        for kind, (begin, end) in MARKERS.items():
            if begin.match(line):
                if open_kind:
                    raise MarkerError(
                        f"{filename}:{i + 1}: BEGIN {kind} inside an open {open_kind} region"
                    )
                if not line.startswith((" ", "\t")):
                    raise MarkerError(
                        f"{filename}:{i + 1}: markers must sit inside a function body"
                    )
                open_kind, start = kind, i
            elif end.match(line):
                if open_kind != kind:
                    raise MarkerError(f"{filename}:{i + 1}: END {kind} without a matching BEGIN")
                body = tuple(lines[start + 1 : i])
                if not any(b.strip() and not b.strip().startswith("#") for b in body):
                    raise MarkerError(f"{filename}:{start + 1}: empty {kind} region")
                regions.append(Region(kind, start, i, body))
                open_kind = None
    if open_kind:
        raise MarkerError(f"{filename}:{start + 1}: BEGIN {open_kind} is never closed")
    return regions


def strip_source(source: str, module: str, filename: str = "<source>") -> str:
    """``source`` with every region replaced by a ``raise NotImplementedError`` naming it."""
    lines = source.splitlines()
    regions = find_regions(source, filename)
    functions = _enclosing_functions(source)
    out, i = [], 0
    for region in regions:
        out.extend(lines[i : region.start])
        indent = lines[region.start][: len(lines[region.start]) - len(lines[region.start].lstrip())]
        name = f"{module}.{functions.get(region.start + 1, '?')}"
        if region.kind == "SOLUTION":
            msg = (
                f"{name} is an exercise: write it yourself in its notebook "
                "(the student build of coursekit leaves it out)."
            )
        else:
            msg = f"{name}: hidden tests run only when the instructor grades."
        out.append(f"{indent}raise NotImplementedError({msg!r})")
        i = region.end + 1
    out.extend(lines[i:])
    text = "\n".join(out) + "\n"
    ast.parse(text, filename)  # the build must stay importable
    if _ANY_MARKER.search(text):
        raise MarkerError(f"{filename}: a marker survived stripping")
    return text


def _enclosing_functions(source: str) -> dict[int, str]:
    """1-based line number -> qualified name of the innermost function containing it."""
    owner: dict[int, str] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    for ln in range(child.lineno, (child.end_lineno or child.lineno) + 1):
                        owner[ln] = name
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return owner


def build_student_package(package_dir: Path, out_dir: Path) -> list[Path]:
    """Copy the package at ``package_dir`` to ``out_dir`` with every region stripped.

    Returns the files that had regions. ``out_dir`` is replaced.
    """
    package_dir, out_dir = Path(package_dir), Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    stripped = []
    for src in sorted(package_dir.rglob("*")):
        rel = src.relative_to(package_dir)
        if "__pycache__" in rel.parts or src.is_dir():
            continue
        dst = out_dir / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.suffix == ".py":
            text = src.read_text(encoding="utf-8")
            module = ".".join((package_dir.name, *rel.with_suffix("").parts)).removesuffix(
                ".__init__"
            )
            if find_regions(text, str(src)):
                text = strip_source(text, module, str(src))
                stripped.append(rel)
            dst.write_text(text, encoding="utf-8")
        else:
            shutil.copy2(src, dst)
    return stripped
