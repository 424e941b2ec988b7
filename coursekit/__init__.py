"""coursekit: the library behind the course notebooks.

One module per notebook topic (``jacobians``, ``activations``, ...), pure functions in NumPy or
PyTorch with no plotting and no I/O; ``viz`` builds figures and widgets; ``grading`` is what the
notebooks' checks call; ``data`` generates and loads the data sets.

Conventions used in every docstring
-----------------------------------
Arrays are NumPy ``float64`` unless a docstring says otherwise; vectors are 1-D; the batch
dimension comes first; randomness comes in as a ``numpy.random.Generator`` (or a seed), never
from global state. The Jacobian of ``f: x -> y`` has shape ``y.shape + x.shape``.

Shape letters:

====  ===========================================
B     batch size (examples in a mini-batch)
N     context length (words per n-gram, tokens)
D     input features
H     hidden units
G     gate units
K     classes / outputs / softmax size
V     vocabulary size
E     embedding size (masked language model)
d     embedding size (GloVe), or a vector length
n, k  rows of a data matrix, rows of a weight matrix
====  ===========================================
"""

from coursekit.config import fast_mode

__all__ = ["fast_mode"]
__version__ = "0.1.0"
