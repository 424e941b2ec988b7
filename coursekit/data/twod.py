"""Two-class data in the plane for notebook 11: spirals, circles, moons and XOR blobs.

Every point is drawn noise-free on its class's curve, then moved by Gaussian noise of standard
deviation ``noise`` in each coordinate. A sample is exactly balanced (up to one point; the
splits, cut from one shuffled sample, nearly so), and the same seed always gives the same points.

* ``spirals``: two arms ``r = t, angle = 2 pi turns t + pi c`` for ``t`` in [0.1, 1], c = 0, 1;
* ``circles``: class 0 on the unit circle, class 1 on the circle of radius ``factor``;
* ``moons``: class 0 on the upper unit half-circle, class 1 on the lower one centred (1, 0.5);
* ``xor``: class 0 near (1, 1) and (-1, -1), class 1 near (1, -1) and (-1, 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["KINDS", "TwoClassData", "TwoDSplits"]

KINDS = ("spirals", "circles", "moons", "xor")

Pair = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class TwoDSplits:
    """Disjoint train, validation and test sets, each ``(X (n, 2) float64, y (n,) int64)``."""

    train: Pair
    val: Pair
    test: Pair

    def tensors(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        """One split as ``(X (n, 2) float32, y (n,) float32)``, the form BCE losses take."""
        if split not in ("train", "val", "test"):
            raise ValueError(f"split must be 'train', 'val' or 'test', got {split!r}")
        X, y = getattr(self, split)
        return torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)


class TwoClassData:
    """A generator of two-class points in the plane.

    Parameters
    ----------
    kind : str
        One of ``KINDS``.
    noise : float
        Standard deviation of the Gaussian noise added to each coordinate (>= 0).
    seed : int
        Seeds ``sample`` (when it is given no generator) and ``splits``.
    turns : float
        Turns of each spiral arm (``spirals`` only).
    factor : float
        Radius of the inner circle, in (0, 1) (``circles`` only).
    """

    def __init__(
        self,
        kind: str = "spirals",
        noise: float = 0.1,
        seed: int = 0,
        *,
        turns: float = 1.5,
        factor: float = 0.5,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind: unknown name {kind!r}; valid names are: {', '.join(KINDS)}")
        if not np.isfinite(noise) or noise < 0:
            raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
        if not 0 < factor < 1:
            raise ValueError(f"factor must lie in (0, 1), got {factor!r}")
        if not np.isfinite(turns) or turns <= 0:
            raise ValueError(f"turns must be a positive number, got {turns!r}")
        self.kind, self.noise, self.seed = kind, float(noise), int(seed)
        self.turns, self.factor = float(turns), float(factor)

    def __repr__(self) -> str:
        return f"TwoClassData(kind={self.kind!r}, noise={self.noise}, seed={self.seed})"

    def _clean(self, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Noise-free points (n, 2) of the classes ``y`` (n,)."""
        n = y.shape[0]
        if self.kind == "spirals":
            t = rng.uniform(0.1, 1.0, size=n)
            angle = 2 * np.pi * self.turns * t + np.pi * y
            return t[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
        if self.kind == "circles":
            angle = rng.uniform(0, 2 * np.pi, size=n)
            radius = np.where(y == 1, self.factor, 1.0)
            return radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
        if self.kind == "moons":
            angle = rng.uniform(0, np.pi, size=n)
            upper = np.stack([np.cos(angle), np.sin(angle)], axis=1)
            lower = np.stack([1 - np.cos(angle), 0.5 - np.sin(angle)], axis=1)
            return np.where((y == 1)[:, None], lower, upper)
        # xor: a random quadrant centre; its label is the sign pattern's parity.
        sx = np.where(rng.random(n) < 0.5, -1.0, 1.0)
        sy = np.where(y == 0, sx, -sx)
        return np.stack([sx, sy], axis=1)

    def sample(self, n: int, rng: np.random.Generator | None = None) -> Pair:
        """``n`` shuffled points: ``X`` (n, 2) float64 and labels ``y`` (n,) int64 of 0/1.

        Without ``rng``, a generator seeded with ``self.seed`` (so repeated calls agree).
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        rng = np.random.default_rng(self.seed) if rng is None else rng
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        y = rng.permutation(np.arange(n) % 2).astype(np.int64)  # (n,)
        X = self._clean(y, rng) + self.noise * rng.standard_normal((n, 2))  # (n, 2)
        return X, y

    def splits(self, n_train: int = 500, n_val: int = 250, n_test: int = 250) -> TwoDSplits:
        """Train, validation and test sets drawn together from ``self.seed`` and cut apart."""
        sizes = (n_train, n_val, n_test)
        for name, value in zip(("n_train", "n_val", "n_test"), sizes, strict=True):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        X, y = self.sample(sum(sizes))
        cuts = np.cumsum(sizes[:2])
        parts = [(Xp, yp) for Xp, yp in zip(np.split(X, cuts), np.split(y, cuts), strict=True)]
        return TwoDSplits(*parts)
