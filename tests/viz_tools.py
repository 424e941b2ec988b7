"""What the tests of the explorers in ``coursekit.viz`` share: reading their images and checking
that every control redraws them."""

import io

import numpy as np


def pixels(png: bytes) -> np.ndarray:
    """The image of an explorer (``explorer.png``) as an array of pixels."""
    import matplotlib.image as mpimg

    return mpimg.imread(io.BytesIO(png), format="png")


def assert_redraws(explorer, moves, min_change: float = 50.0) -> None:
    """Set the controls ``moves`` (``(name, value)`` pairs) one after the other; each must change
    the picture, which keeps its size."""
    before = pixels(explorer.png)
    for name, value in moves:
        explorer.controls[name].value = value
        now = pixels(explorer.png)
        assert now.shape == before.shape, f"moving {name} changed the size of the picture"
        assert np.abs(now - before).sum() > min_change, f"moving {name} did not change the picture"
        before = now
