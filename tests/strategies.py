"""Hypothesis strategies shared by the test modules."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


def floats(lo: float = -20.0, hi: float = 20.0):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64)


def arrays(
    min_dims: int = 0,
    max_dims: int = 3,
    min_side: int = 1,
    max_side: int = 6,
    lo: float = -20.0,
    hi: float = 20.0,
):
    """float64 arrays of random shape with finite entries in [lo, hi]."""
    shapes = hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )
    return hnp.arrays(np.float64, shapes, elements=floats(lo, hi))


def vectors(min_size: int = 1, max_size: int = 8, lo: float = -20.0, hi: float = 20.0):
    return hnp.arrays(np.float64, st.integers(min_size, max_size), elements=floats(lo, hi))


def matrices(max_rows: int = 6, max_cols: int = 6, lo: float = -5.0, hi: float = 5.0):
    shape = st.tuples(st.integers(1, max_rows), st.integers(1, max_cols))
    return hnp.arrays(np.float64, shape, elements=floats(lo, hi))
