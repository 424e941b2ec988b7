"""Run-time settings read from the environment.

``COURSEKIT_FAST=1`` asks every notebook for its fast mode: smaller data, fewer epochs, coarser
grids, so that each notebook runs top to bottom in under a minute on two CPU cores. The tests
set it; students leave it unset. ``limited_threads`` keeps small computations on few threads
(``torch_threads``: PyTorch's threads only).
"""

import contextlib
import os
from collections.abc import Iterator


def fast_mode() -> bool:
    """True when ``COURSEKIT_FAST`` is set to a true value (1, true, yes)."""
    return os.environ.get("COURSEKIT_FAST", "").strip().lower() in {"1", "true", "yes"}


def pick(fast, full):
    """``fast`` in fast mode, ``full`` otherwise: ``epochs = pick(2, 30)``."""
    return fast if fast_mode() else full


@contextlib.contextmanager
def limited_threads(n: int | None) -> Iterator[None]:
    """Run the block with at most ``n`` threads in every native thread pool (BLAS under NumPy,
    OpenMP under scikit-learn) and in PyTorch.

    Small problems (a vocabulary of a few hundred words, batches of 100, t-SNE of 250 words)
    run fastest on one thread, above all on a busy machine: more threads than free cores make
    them many times slower. The settings are restored afterwards; ``None`` changes nothing.
    """
    if n is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with torch_threads(n), threadpool_limits(limits=n):
        yield


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` PyTorch intra-op threads (``None`` changes nothing).

    The PyTorch part of :func:`limited_threads` alone, cheap enough to wrap every redraw of an
    explorer (``threadpoolctl`` looks up the loaded native libraries each time it is used).
    """
    if n is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
