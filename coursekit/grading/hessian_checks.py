"""Checks for notebook 07: does a Hessian-vector product follow the order it claims?

``v vᵀ y`` is the same vector whichever product runs first, so comparing outputs cannot tell the
two orders apart; their memory can. The forward order forms the (n, n) matrix v vᵀ, the reverse
order never holds more than a few vectors. ``check_order`` measures the peak memory of one call
with :mod:`tracemalloc` (which sees NumPy's array buffers) for a large n.
"""

import tracemalloc
import warnings
from collections.abc import Callable

import numpy as np

from coursekit.grading.compare import CheckFailed

_ORDERS = ("reverse", "forward")


def peak_bytes(func: Callable, *args) -> tuple[object, int]:
    """``(func(*args), peak bytes allocated during the call)`` measured with tracemalloc.

    A function that lives in another process (a submission being graded) is measured there, by
    its ``call_with_peak``.
    """
    measure = getattr(func, "call_with_peak", None)
    if measure is not None:
        out, peak = measure(*args)
        return out, int(peak or 0)
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        out = func(*args)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return out, int(peak)


def _size(nbytes: float) -> str:
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes:.0f} bytes"


def check_order(func: Callable, order: str, n: int = 1500, *, quiet: bool = False) -> int:
    """Raise ``CheckFailed`` unless ``func(v, y)`` evaluates v vᵀ y in the given order.

    ``"forward"``: the call must hold an (n, n) float64 array at some point (the matrix v vᵀ).
    ``"reverse"``: it must never hold more than a tenth of that.

    Returns the peak number of bytes the call allocated; prints a one-line summary unless ``quiet``.
    """
    if order not in _ORDERS:
        raise ValueError(f"order: expected 'reverse' or 'forward', got {order!r}")
    name = getattr(func, "__name__", "your function")
    rng = np.random.default_rng(7)
    v, y = rng.standard_normal(n), rng.standard_normal(n)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out, peak = peak_bytes(func, v, y)
    except NotImplementedError:
        raise CheckFailed(f"{name} is not written yet (it raises NotImplementedError).") from None
    except Exception as exc:
        raise CheckFailed(f"{name}(v, y) with n = {n} raised {type(exc).__name__}: {exc}") from None
    if out is None:
        raise CheckFailed(f"{name} returned None: did it forget to `return` its result?")
    matrix = 8 * n * n
    if order == "forward" and peak < 0.9 * matrix:
        raise CheckFailed(
            f"{name}: with n = {n} the call never held an (n, n) matrix (peak {_size(peak)}, the "
            f"matrix v vᵀ takes {_size(matrix)}). The forward order builds H = v vᵀ first, then "
            f"multiplies it by y. (Memory is measured for NumPy arrays; PyTorch tensors are not seen.)"
        )
    if order == "reverse" and peak > 0.1 * matrix:
        raise CheckFailed(
            f"{name}: with n = {n} the call held {_size(peak)} at its peak, about an (n, n) matrix "
            f"({_size(matrix)}). The reverse order computes the number vᵀ y first and never forms v vᵀ."
        )
    if not quiet:
        print(
            f"✓ {name} works in the {order} order: peak memory {_size(peak)} for n = {n} "
            f"(an (n, n) matrix takes {_size(matrix)})."
        )
    return peak
