"""Run a question's checks against a student's function.

``check_visible`` is what a notebook's visible test calls: public inputs, an independent oracle,
a one-line summary when all is well. ``check_hidden`` is what hidden tests call on the
instructor's side: the public inputs plus random and edge cases the student never saw, compared
with the coursekit reference. Both raise ``CheckFailed`` with an explanation on the first wrong
case.
"""

import copy
import warnings
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from coursekit.grading.compare import CheckFailed, compare
from coursekit.grading.registry import Case, Question, get


def check_visible(qid: str, func: Callable[..., Any], *, quiet: bool = False) -> float:
    """Check ``func`` on the visible cases of question ``qid`` against its oracle.

    Returns the largest difference seen; prints a one-line summary unless ``quiet``.
    """
    q = get(qid)
    cases = q.public()
    worst = _run(q, func, cases, q.oracle)
    if not quiet:
        print(
            f"✓ {q.func_name} passes {len(cases)} visible check{'s' if len(cases) != 1 else ''} "
            f"(largest difference {worst:.2g}). Hidden tests will try other inputs too."
        )
    return worst


def check_hidden(qid: str, func: Callable[..., Any]) -> None:
    """Check ``func`` against the reference on public, random and edge cases of ``qid``.

    The random cases come from a generator seeded by the question id, so a re-grade sees the
    same inputs.
    """
    q = get(qid)
    if _is_reference(func, q.reference):
        raise CheckFailed(
            f"{q.func_name}: this answer is the coursekit reference itself, not your own code."
        )
    # BEGIN HIDDEN TESTS
    rng = np.random.default_rng(zlib.crc32(qid.encode()))
    cases = list(q.public()) + list(q.hidden(rng))
    _run(q, func, cases, q.reference)
    # END HIDDEN TESTS


def _run(
    q: Question, func: Callable[..., Any], cases: list[Case], truth: Callable[..., Any]
) -> float:
    if not q.arg_names and not callable(func):  # a value question: the answer is the value itself
        value = func

        def func() -> Any:
            return value

    if not callable(func):
        raise CheckFailed(f"{q.func_name} should be a function, but it is a {type(func).__name__}.")
    worst = 0.0
    for case in cases:
        expected = truth(*copy.deepcopy(case.args), **case.kwargs)
        actual = call_student(q, func, case)
        inputs = dict(zip(q.arg_names, case.args, strict=False)) | dict(case.kwargs)
        label = q.func_name + (f" [{case.label}]" if case.label else "")
        try:
            worst = max(
                worst,
                compare(actual, expected, label=label, inputs=inputs, rtol=q.rtol, atol=q.atol),
            )
        except CheckFailed:
            known = {
                name: (wrong(*copy.deepcopy(case.args), **case.kwargs), hint)
                for name, (wrong, hint) in q.mistakes.items()
            }
            compare(
                actual,
                expected,
                label=label,
                inputs=inputs,
                rtol=q.rtol,
                atol=q.atol,
                mistakes=known,
            )
            raise
    return worst


def call_student(q: Question, func: Callable[..., Any], case: Case) -> Any:
    """Call ``func`` on a copy of the case's inputs, turning its errors into ``CheckFailed``."""
    args = copy.deepcopy(case.args)
    where = ", ".join(f"{n}={_brief(v)}" for n, v in zip(q.arg_names, case.args, strict=False))
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out = func(*args, **case.kwargs)
    except NotImplementedError:
        raise CheckFailed(
            f"{q.func_name} is not written yet (it raises NotImplementedError)."
        ) from None
    except CheckFailed:
        raise
    except Exception as exc:  # the student's bug, reported with the input that triggered it
        raise CheckFailed(f"{q.func_name}({where}) raised {type(exc).__name__}: {exc}") from None
    for name, before, after in zip(q.arg_names, case.args, args, strict=False):
        if isinstance(before, np.ndarray) and not np.array_equal(before, after, equal_nan=True):
            raise CheckFailed(
                f"{q.func_name} changed its input {name} in place; compute a new array instead "
                f"(e.g. z = z - m, not z -= m)."
            )
    return out


def _is_reference(func: Callable[..., Any], reference: Callable[..., Any]) -> bool:
    code = getattr(func, "__code__", None)
    return func is reference or (code is not None and code is getattr(reference, "__code__", None))


def _brief(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return (
            f"array{value.shape}"
            if value.size > 6
            else np.array2string(value, precision=4, separator=", ")
        )
    return repr(value)
