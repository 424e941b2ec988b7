"""The builds of coursekit a submission's process imports.

:func:`kit_for` is the student build (every solution and hidden test stripped), made once per
version of the sources. :func:`kit_without` is that build with some functions *withheld*: their
bodies replaced by an error. A question whose answer may not run a function the notebook
otherwise uses (notebook 14 trains with the course's attention layer, but its attention
question must be the student's own) is graded in a second process that imports such a build:
the reference's code is not on disk there and not in memory, so no alias, subclass, copy of the
function object or re-run of the module's source made by the submission can bring it back, and
nothing the submission does in its own process decides the matter.
"""

import ast
import hashlib
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from coursekit.bundle import build_student_package

BASE = Path(tempfile.gettempdir()) / "coursekit-grading"


def kit_for(package_dir: Path) -> Path:
    """A student build of the coursekit at ``package_dir`` for grading, built once per version of
    its sources (a folder holding ``coursekit/``)."""
    package_dir = Path(package_dir).resolve()
    return _build_once(BASE / f"kit-{source_digest(package_dir)[:16]}",
                       lambda staging: build_student_package(package_dir, staging / "coursekit"))


def source_digest(package_dir: Path) -> str:
    """sha256 of the Python sources of the package at ``package_dir`` (names and contents)."""
    package_dir = Path(package_dir).resolve()
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*.py")):
        if "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(package_dir)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def kit_without(kit: Path, withheld: Iterable[tuple[str, str]]) -> Path:
    """``kit`` with each ``(module, qualname)`` function's body replaced by an error naming it.

    A function the kit does not hold (its region was stripped) is already withheld. Raises
    ``ValueError`` for a module the kit does not have."""
    kit, withheld = Path(kit).resolve(), sorted(set(withheld))
    key = hashlib.sha256(repr(withheld).encode()).hexdigest()[:12]

    def build(staging: Path) -> None:
        shutil.copytree(kit / "coursekit", staging / "coursekit", ignore=shutil.ignore_patterns("__pycache__"))
        by_module: dict[str, list[str]] = {}
        for module, qualname in withheld:
            by_module.setdefault(module, []).append(qualname)
        for module, qualnames in by_module.items():
            path = _module_file(staging, module)
            path.write_text(withhold_source(path.read_text(encoding="utf-8"), qualnames), encoding="utf-8")

    return _build_once(kit.parent / f"{kit.name}-without-{key}", build)


def withhold_source(source: str, qualnames: Iterable[str]) -> str:
    """``source`` with the body of each function ``qualnames`` names (``"Class.method"``,
    ``"function"``) replaced by ``raise RuntimeError(...)``; its signature and docstring stay."""
    tree = ast.parse(source)
    for qualname in qualnames:
        node = _find(tree, qualname.split("."))
        if node is None:
            continue
        keep = node.body[:1] if ast.get_docstring(node, clean=False) is not None else []
        message = (f"the coursekit reference {qualname} is withheld while this answer is graded: "
                   "the answer must be your own code")
        node.body = [*keep, ast.Raise(ast.Call(ast.Name("RuntimeError", ast.Load()), [ast.Constant(message)], []))]
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def withheld_names(func: Callable) -> tuple[str, str]:
    """``(module, qualname)`` of a function (or method) of coursekit."""
    func = getattr(func, "__func__", func)
    return func.__module__, func.__qualname__


def _find(tree: ast.AST, path: list[str]) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for node in getattr(tree, "body", []):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == path[0]:
            if len(path) == 1:
                return None if isinstance(node, ast.ClassDef) else node
            return _find(node, path[1:])
    return None


def _module_file(kit: Path, module: str) -> Path:
    rel = Path(*module.split("."))
    for path in (kit / rel.with_suffix(".py"), kit / rel / "__init__.py"):
        if path.is_file():
            return path
    raise ValueError(f"the student build has no module {module!r} to withhold functions from")


def _build_once(target: Path, build: Callable[[Path], object]) -> Path:
    """``target`` built by ``build(staging folder)`` unless it exists; concurrent builders of the
    same target agree (the finished folder appears by an atomic rename)."""
    if (target / "coursekit" / "__init__.py").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="kit-build-", dir=target.parent))
    try:
        build(staging)
        staging.rename(target)
    except OSError:
        if not (target / "coursekit" / "__init__.py").is_file():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
