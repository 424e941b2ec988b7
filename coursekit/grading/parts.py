"""Check one part of an answer that returns a tuple, a dict or a list of arrays.

The checks compare arrays. A function such as ``multibranch_backward(params, cache)``, which returns
a dict of gradients, is checked one entry at a time: ``part(multibranch_backward)`` is a function
with one more, last argument, the entry to return, so that
``part(multibranch_backward)(params, cache, "W1")`` is ``multibranch_backward(params, cache)["W1"]``.
The question's cases end with that entry, so every entry is compared (and reported) on its own; a
path such as ``("W", 0)`` digs further: ``result["W"][0]``.

A question module registers ``part`` as the question's adapter, and the notebook's test cells stay
one line (see :mod:`coursekit.grading.answer_forms`)::

    register_adapter("06.multibranch_backward", Adapter(prepare=part))     # question module
    check_visible("06.multibranch_backward", multibranch_backward)         # notebook
"""

from collections.abc import Callable, Hashable
from typing import Any

from coursekit.grading.compare import CheckFailed


def part(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with one extra last argument, the entry (or path of entries) of its result to return.

    The entry is looked up with ``[]``: a key of a dict, an index of a tuple or list. A missing
    entry raises ``CheckFailed`` saying what the result holds instead. ``func`` may not be a
    coursekit function itself (the answer has to be the student's own code).
    """
    name = getattr(func, "__name__", "your function")
    if str(getattr(func, "__module__", "") or "").startswith("coursekit"):
        raise CheckFailed(f"{name}: this answer is the coursekit reference itself, not your own code.")

    def pick(*args: Any) -> Any:
        *call_args, path = args
        value = func(*call_args)
        steps = path if isinstance(path, tuple) else (path,)
        where = name + "(...)"
        for step in steps:
            value = _lookup(value, step, where)
            where += f"[{step!r}]"
        return value

    pick.__name__ = name
    pick.__qualname__ = name
    return pick


def _lookup(value: Any, step: Hashable, where: str) -> Any:
    if value is None:
        raise CheckFailed(f"{where} is None: did the function forget to `return` its result?")
    if isinstance(value, dict):
        if step not in value:
            raise CheckFailed(
                f"{where} has no entry {step!r}; it has {sorted(map(str, value))}."
            )
        return value[step]
    if isinstance(value, list | tuple):
        if not isinstance(step, int) or not -len(value) <= step < len(value):
            raise CheckFailed(
                f"{where} is a {type(value).__name__} of {len(value)} items; item {step!r} was expected."
            )
        return value[step]
    raise CheckFailed(
        f"{where} is a {type(value).__name__}; expected a dict, tuple or list to take {step!r} from."
    )
