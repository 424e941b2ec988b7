"""Run-time settings read from the environment.

``COURSEKIT_FAST=1`` asks every notebook for its fast mode: smaller data, fewer epochs, coarser
grids, so that each notebook runs top to bottom in under a minute on two CPU cores. The tests
set it; students leave it unset.
"""

import os


def fast_mode() -> bool:
    """True when ``COURSEKIT_FAST`` is set to a true value (1, true, yes)."""
    return os.environ.get("COURSEKIT_FAST", "").strip().lower() in {"1", "true", "yes"}


def pick(fast, full):
    """``fast`` in fast mode, ``full`` otherwise: ``epochs = pick(2, 30)``."""
    return fast if fast_mode() else full
