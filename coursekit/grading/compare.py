"""Compare a student's answer with the expected one and explain any difference.

``compare`` is strict where a loose check would let a wrong answer through: the shape must match
exactly (no broadcasting), the dtype kind must match (a float answer is not an int, bool or
object array), NaN and infinity are never equal to a finite expectation, and an empty array never
passes. When values differ, the message names the input, the first worst index, both values, the
tolerance, and the likely mistake (see ``coursekit.grading.diagnose``).
"""

from collections.abc import Mapping
from typing import Any

import numpy as np

from coursekit.grading.diagnose import likely_mistake


class CheckFailed(AssertionError):
    """A check found a wrong answer; the message says what, where and probably why."""


def as_array(value: Any, *, what: str = "your answer") -> np.ndarray:
    """Turn a NumPy array, torch tensor (even one that requires grad), number, list or tuple into
    an ndarray, or raise ``CheckFailed`` saying why it cannot be one."""
    if value is None:
        raise CheckFailed(f"{what} is None: did the function forget to `return` its result?")
    if type(value).__module__.startswith("torch"):
        import torch

        if isinstance(value, torch.Tensor):
            return value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return value
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged lists, odd objects
        raise CheckFailed(f"{what} cannot be read as an array: {exc}") from None
    if arr.dtype == object:
        raise CheckFailed(
            f"{what} is a {type(value).__name__} that does not form a numeric array "
            f"(mixed or ragged contents): {_short(value)}"
        )
    return arr


def compare(
    actual: Any,
    expected: Any,
    *,
    label: str,
    inputs: Mapping[str, Any] | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    mistakes: Mapping[str, tuple[Any, str]] | None = None,
) -> float:
    """Raise ``CheckFailed`` unless ``actual`` equals ``expected`` within ``atol + rtol·|expected|``.

    Args:
        actual: the student's output (ndarray, tensor, number, list).
        expected: the correct output.
        label: what is being checked, e.g. ``"softmax"``.
        inputs: name -> value of the inputs that produced the outputs, quoted in messages.
        rtol, atol: tolerances, quoted in messages.
        mistakes: name -> (output a known wrong answer gives on these inputs, hint), used to
            recognise that mistake.

    Returns:
        The largest absolute difference (0.0 for exact or integer answers).
    """
    exp = np.asarray(expected)
    act = as_array(actual, what=f"{label} returned something that")
    where = _describe_inputs(inputs)

    def fail(msg: str) -> CheckFailed:
        return CheckFailed(f"{label}{where}: {msg}")

    if exp.size and act.size == 0:
        raise fail(f"returned an empty array of shape {act.shape}; expected shape {exp.shape}.")
    kinds_ok = _kinds_compatible(act.dtype.kind, exp.dtype.kind)
    if not kinds_ok:
        hint = ""
        if act.dtype.kind == "b":
            hint = " (comparisons give booleans: convert with .astype(float))"
        elif act.dtype.kind in "iu" and exp.dtype.kind == "f":
            hint = " (integer arithmetic or np.zeros(..., dtype=int) truncates values)"
        raise fail(
            f"returned dtype {act.dtype}, expected a {_kind_name(exp.dtype.kind)} array{hint}."
        )
    if act.shape != exp.shape:
        raise fail(_shape_message(act, exp))
    if exp.dtype.kind == "f" or act.dtype.kind == "f":
        bad_nan = ~np.isfinite(act) & np.isfinite(exp)
        if bad_nan.any():
            idx = _index(np.argwhere(bad_nan)[0])
            raise fail(
                f"returned {float(act[idx]):.10g} at index {idx} where {float(exp[idx]):.10g} "
                f"was expected (NaN or infinity usually comes from overflow in exp, a division by "
                f"zero, or log of 0)."
            )
    act_f = act.astype(np.float64)
    exp_f = exp.astype(np.float64)
    with np.errstate(invalid="ignore"):
        diff = np.abs(act_f - exp_f)
        diff = np.where(np.isnan(diff) & (np.isnan(act_f) == np.isnan(exp_f)), 0.0, diff)
        diff = np.where(np.isinf(act_f) & (act_f == exp_f), 0.0, diff)
    tol = atol + rtol * np.abs(np.where(np.isfinite(exp_f), exp_f, 0.0))
    excess = diff - tol
    if excess.size == 0 or np.all(excess <= 0):
        return float(diff.max()) if diff.size else 0.0
    flat = int(np.argmax(excess))
    idx = _index(np.unravel_index(flat, exp.shape)) if exp.ndim else ()
    a_val, e_val = act_f[idx], exp_f[idx]
    n_bad = int(np.count_nonzero(excess > 0))
    msg = (
        f"wrong value at index {idx}: got {a_val:.10g}, expected {e_val:.10g} "
        f"(|difference| {diff[idx]:.3g} > tolerance {tol[idx]:.3g} = atol {atol:g} + rtol {rtol:g}·|expected|; "
        f"{n_bad} of {exp.size} entries are off)."
    )
    guess = likely_mistake(
        act_f, exp_f, known=mistakes or {}, rtol=max(rtol, 1e-6), atol=max(atol, 1e-9)
    )
    if guess:
        msg += f" Likely mistake: {guess}"
    raise fail(msg)


def _kinds_compatible(actual: str, expected: str) -> bool:
    if expected == "f":
        return actual == "f"
    if expected in "iu":
        return actual in "iu" or actual == "f"
    if expected == "b":
        return actual in "biu"
    return actual == expected


def _kind_name(kind: str) -> str:
    return {"f": "floating-point", "i": "integer", "u": "integer", "b": "boolean"}.get(kind, kind)


def _shape_message(act: np.ndarray, exp: np.ndarray) -> str:
    msg = f"returned shape {act.shape}, expected {exp.shape}."
    if (
        act.ndim >= 2
        and act.shape[-2:] == exp.shape[-2:][::-1]
        and act.shape[:-2] == exp.shape[:-2]
    ):
        msg += " The last two axes are swapped: is the result transposed?"
    elif sorted(act.shape) == sorted(exp.shape):
        msg += " Same axes in another order: a Jacobian lists the output axes first, then the input axes."
    elif act.size == exp.size:
        msg += " Same number of entries: a reshape or a flattened layout?"
    elif act.ndim != exp.ndim:
        msg += (
            f" {act.ndim} axes instead of {exp.ndim}: a summed-away axis, a missing keepdims=True, "
            f"or a row/column vector where a 1-D array was expected?"
        )
    elif act.size == 1 or any(a == 1 and e != 1 for a, e in zip(act.shape, exp.shape, strict=True)):
        msg += " An axis of length 1 would only broadcast: a sum or max over the wrong axis?"
    return msg


def _index(idx) -> tuple[int, ...]:
    return tuple(int(i) for i in idx)


def _describe_inputs(inputs: Mapping[str, Any] | None) -> str:
    if not inputs:
        return ""
    parts = [f"{name}={_short(value)}" for name, value in inputs.items()]
    return " on input " + ", ".join(parts)


def _short(value: Any, limit: int = 160) -> str:
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=4, threshold=12, edgeitems=2, linewidth=10_000):
            text = np.array2string(value, separator=", ").replace("\n", "")
        if value.size > 12 or len(text) > limit:
            stats = f"shape {value.shape}"
            if value.size and value.dtype.kind in "fiu":
                stats += f", min {value.min():.4g}, max {value.max():.4g}"
            return f"array({stats}, starts {text[:60]}…)"
        return f"array({text})"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
