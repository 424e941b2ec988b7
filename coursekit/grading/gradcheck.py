"""Gradient checking by central differences, with a per-parameter relative-error table.

Used by the library, the notebooks' visible checks and the tests alike::

    report = gradcheck(loss_of, params, grads)
    print(report)          # one row per parameter
    report.assert_ok()     # raises CheckFailed with the table when a row fails

The relative error of a parameter is ``‖g_analytic − g_numeric‖ / max(‖g_analytic‖ + ‖g_numeric‖,
1e-12)``: about 1e-10 for a correct float64 gradient, 1e-2 or more for a wrong one.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from coursekit.grading.compare import CheckFailed, as_array
from coursekit.jacobians import numerical_jacobian


@dataclass(frozen=True)
class GradRow:
    name: str
    shape: tuple[int, ...]
    rel_error: float
    max_abs_error: float
    worst_index: tuple[int, ...]
    analytic: float
    numeric: float
    ok: bool


@dataclass(frozen=True)
class GradReport:
    rows: tuple[GradRow, ...]
    tolerance: float

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)

    def table(self) -> str:
        head = f"{'parameter':<14}{'shape':<16}{'rel. error':>12}{'max |diff|':>12}  worst entry (analytic vs numeric)"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            mark = "ok" if r.ok else "WRONG"
            lines.append(
                f"{r.name:<14}{str(r.shape):<16}{r.rel_error:>12.2e}{r.max_abs_error:>12.2e}  "
                f"{str(r.worst_index):<10} {r.analytic: .6g} vs {r.numeric: .6g}  {mark}"
            )
        lines.append(f"(a row passes when its relative error is below {self.tolerance:g})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def assert_ok(self) -> None:
        if not self.ok:
            bad = ", ".join(r.name for r in self.rows if not r.ok)
            raise CheckFailed(f"gradient check failed for {bad}:\n{self.table()}")


def gradcheck(
    loss: Callable[[Mapping[str, np.ndarray]], float],
    params: Mapping[str, np.ndarray],
    grads: Mapping[str, object],
    *,
    eps: float = 1e-6,
    tolerance: float = 1e-6,
) -> GradReport:
    """Compare analytic gradients with central differences of ``loss``.

    Args:
        loss: maps a dict name -> array (same keys and shapes as ``params``) to a scalar.
        params: the point; each array is copied, never modified.
        grads: name -> analytic gradient (array or tensor) for the names to check; shapes must
            match ``params``.
        eps: finite-difference step.
        tolerance: largest relative error that passes.
    """
    base = {name: np.array(value, dtype=np.float64) for name, value in params.items()}
    rows = []
    for name, given in grads.items():
        if name not in base:
            raise KeyError(f"gradcheck: no parameter named {name!r} (have {sorted(base)})")
        analytic = as_array(given, what=f"the gradient for {name}").astype(np.float64)
        if analytic.shape != base[name].shape:
            raise CheckFailed(
                f"the gradient for {name} has shape {analytic.shape}, but {name} has shape "
                f"{base[name].shape}: a gradient has the shape of its parameter."
            )

        def loss_of(value: np.ndarray, name: str = name) -> float:
            return float(loss({**base, name: value}))

        numeric = numerical_jacobian(loss_of, base[name], eps=eps)
        diff = np.abs(analytic - numeric)
        denom = max(float(np.linalg.norm(analytic) + np.linalg.norm(numeric)), 1e-12)
        rel = float(np.linalg.norm(analytic - numeric)) / denom
        worst = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.size else ()
        worst = tuple(int(i) for i in worst)
        rows.append(
            GradRow(
                name=name,
                shape=tuple(base[name].shape),
                rel_error=rel,
                max_abs_error=float(diff.max()) if diff.size else 0.0,
                worst_index=worst,
                analytic=float(analytic[worst]) if diff.size else 0.0,
                numeric=float(numeric[worst]) if diff.size else 0.0,
                ok=bool(np.isfinite(rel) and rel <= tolerance),
            )
        )
    return GradReport(rows=tuple(rows), tolerance=tolerance)
