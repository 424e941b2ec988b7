"""One array out of an answer that returns several, so that the checks can compare it.

The checks compare one array with the truth. Some exercises return several arrays of different
shapes: GloVe's four gradients (notebook 08), the five gradients of a ``Params`` (notebook 09).
Their question modules register an adapter (:mod:`coursekit.grading.answer_forms`) whose
``prepare`` is made here by :func:`joiner`: the prepared function calls the student's, checks
how many arrays came back and the shape of each (naming the one that is wrong), then joins them,
side by side (``"columns"``: arrays with the same number of rows) or one after the other
(``"flat"``: every array raveled). The question's oracle, reference and known mistakes return
the same layout through :func:`join`. Test cells stay one line::

    from coursekit.grading.answer_forms import check_visible
    check_visible("08.grad", grad)
"""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from coursekit.grading.compare import CheckFailed, as_array


def join(arrays: Sequence[Any], layout: str = "columns") -> np.ndarray:
    """The arrays side by side (``"columns"``) or raveled one after the other (``"flat"``)."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    if layout == "flat":
        return np.concatenate([a.ravel() for a in arrays])
    return np.hstack(arrays)


def joiner(
    name: str,
    parts: Sequence[str],
    shapes: Callable[..., Sequence[tuple[int, ...]]],
    *,
    layout: str = "columns",
    forbidden: Sequence[Callable[..., Any]] = (),
    what: str = "the gradient for {part}",
) -> Callable[[Any], Callable[..., np.ndarray]]:
    """A ``prepare`` for an answer ``func`` returning the arrays ``parts``.

    Args:
        name: the answer's name in messages (``"grad"``).
        parts: names of the returned arrays in order: the items of a returned tuple or list, or
            attributes of a returned object (a ``Params``).
        shapes: (*args) -> the expected shape of each part for the question's inputs.
        layout: ``"columns"`` or ``"flat"``, see :func:`join`.
        forbidden: functions refused as the answer (the coursekit reference).
        what: how a part is called in messages; ``{part}`` is replaced by its name.
    """
    if layout not in ("columns", "flat"):
        raise ValueError(f"layout: expected 'columns' or 'flat', got {layout!r}")
    parts = tuple(parts)

    def prepare(func: Any) -> Callable[..., np.ndarray]:
        if not callable(func):
            raise CheckFailed(f"{name} should be a function, but it is a {type(func).__name__}.")
        code = getattr(func, "__code__", None)
        if any(func is f or (code is not None and code is getattr(f, "__code__", None))
               for f in forbidden):
            raise CheckFailed(f"{name}: this answer is the coursekit reference itself, not your "
                              f"own code.")

        def joined(*args: Any) -> np.ndarray:
            arrays = _parts(func(*args), parts, name)
            for part, arr, shape in zip(parts, arrays, shapes(*args), strict=True):
                label = what.format(part=part)
                arr = as_array(arr, what=f"{name}: {label}")
                if arr.shape != tuple(shape):
                    raise CheckFailed(f"{name}: {label} has shape {arr.shape}, expected "
                                      f"{tuple(shape)} (a gradient has the shape of its parameter).")
                if arr.dtype.kind != "f":
                    raise CheckFailed(f"{name}: {label} has dtype {arr.dtype}, expected floats.")
            return join(arrays, layout)

        joined.__name__ = getattr(func, "__name__", name)
        return joined

    return prepare


def _parts(result: Any, parts: tuple[str, ...], name: str) -> list[Any]:
    expected = ", ".join(parts)
    if result is None:
        raise CheckFailed(f"{name} returned None: did it forget to `return` ({expected})?")
    if isinstance(result, (tuple, list)):
        if len(result) != len(parts):
            raise CheckFailed(f"{name} returned {len(result)} values; expected {len(parts)}: "
                              f"({expected}).")
        return list(result)
    missing = [p for p in parts if not hasattr(result, p)]
    if missing:
        raise CheckFailed(f"{name} returned a {type(result).__name__} without "
                          f"{', '.join(missing)}; expected ({expected}).")
    return [getattr(result, p) for p in parts]
