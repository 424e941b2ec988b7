"""Guess the likely mistake behind a wrong array answer.

Known mistakes of a question (given by the question as the output the mistake would produce) are
tried first; then generic ones: a transposed result, axes in another order, a flipped sign, a
constant factor, a constant offset, a wrong diagonal or off-diagonal.
"""

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np


def likely_mistake(
    actual: np.ndarray,
    expected: np.ndarray,
    *,
    known: Mapping[str, tuple[Any, str]] | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
) -> str | None:
    """A one-sentence guess at what went wrong, or None when nothing fits.

    Args:
        actual: the wrong answer, same shape as ``expected``.
        expected: the right answer.
        known: name -> (output of a known wrong answer on the same inputs, hint to show).
    """

    def close(a: np.ndarray, b: np.ndarray) -> bool:
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))

    for wrong, hint in (known or {}).values():
        wrong = np.asarray(wrong, dtype=np.float64)
        if close(actual, wrong):
            return hint
    if actual.ndim >= 2 and actual.shape[-1] == actual.shape[-2]:
        if close(np.swapaxes(actual, -1, -2), expected):
            return "the result is transposed: rows and columns (the last two axes) are swapped."
    if 2 <= actual.ndim <= 4:
        for perm in itertools.permutations(range(actual.ndim)):
            if perm == tuple(range(actual.ndim)) or perm[:-2] + perm[-2:][::-1] == tuple(
                range(actual.ndim)
            ):
                continue
            permuted = np.transpose(actual, perm)
            if permuted.shape == expected.shape and close(permuted, expected):
                return (
                    f"the right numbers with the axes in another order: np.transpose(result, {perm}) "
                    f"would match (Jacobian axes are output axes first, then input axes)."
                )
    if np.any(np.abs(expected) > atol) and close(-actual, expected):
        return "the sign is flipped (a minus sign lost or added)."
    factor = _constant_ratio(actual, expected, rtol)
    if factor is not None and not np.isclose(factor, 1.0):
        return (
            f"every entry is {factor:.4g} times the expected value: a missing or extra factor "
            f"(for example a lost 2 from a square, or a derivative term left out)."
        )
    offset = actual - expected
    if (
        offset.size > 1
        and np.allclose(offset, offset.flat[0], rtol=0, atol=max(atol, 1e-9))
        and abs(offset.flat[0]) > atol
    ):
        return f"every entry is off by the same constant {offset.flat[0]:.4g}: a missing or extra term."
    if actual.ndim >= 2 and actual.shape[-1] == actual.shape[-2] and actual.shape[-1] > 1:
        eye = np.eye(actual.shape[-1], dtype=bool)
        diag_ok = close(actual[..., eye], expected[..., eye])
        off_ok = close(actual[..., ~eye], expected[..., ~eye])
        if diag_ok and not off_ok:
            return "the diagonal is right but the off-diagonal entries are wrong."
        if off_ok and not diag_ok:
            return "the off-diagonal entries are right but the diagonal is wrong (a missing δ_ij term?)."
    return None


def _constant_ratio(actual: np.ndarray, expected: np.ndarray, rtol: float) -> float | None:
    mask = np.abs(expected) > 1e-12
    if not mask.any() or np.any(np.abs(actual[~mask]) > 1e-9):
        return None
    ratios = actual[mask] / expected[mask]
    if not np.all(np.isfinite(ratios)):
        return None
    r = float(np.median(ratios))
    if np.allclose(ratios, r, rtol=max(rtol, 1e-6), atol=1e-9):
        return r
    return None
