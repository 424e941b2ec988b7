"""A masked 4-gram language model in NumPy, after BERT (notebook 09).

One of the N context words is replaced by ``[MASK]`` (index 0); the network predicts, at every
one of its N output positions, a distribution over the V words, and is scored only where the
input was masked. With B examples, E embedding units and H hidden units:

====================  ==========================================================  ==========
embedding_layer       x = [C[w_1], ..., C[w_N]], C = word_embedding_weights        (B, N·E)
hidden inputs         u = x W1ᵀ + b1, W1 = embed_to_hid_weights, b1 = hid_bias      (B, H)
hidden_layer          h = σ(u), logistic units                                      (B, H)
output inputs         z = h W2ᵀ + b2, W2 = hid_to_output_weights, b2 = output_bias   (B, N·V)
output_layer          y[:, nV:(n+1)V] = softmax(z[:, nV:(n+1)V]), one per position  (B, N·V)
====================  ==========================================================  ==========

Column j + nV is word j at position n. The loss of a batch is
C = -Σ_i Σ_n Σ_j m_in t_i,j+nV log y_i,j+nV, with m (B, N) the mask of predicted positions
and t (B, N·V) one-hot targets. Its derivatives (``compute_loss_derivative``,
``back_propagate``) are the notebook's exercises: their formulas sit in comments inside the
solution regions, which the student build strips. The truth a student build can use is
PyTorch autograd (:class:`coursekit.masked_lm_train.AutogradModel`).

Training, gradient printing and the reference run are in :mod:`coursekit.masked_lm_train`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from scipy.special import expit

from coursekit.config import limited_threads

TINY = 1e-30  # floor of a probability inside a log


@dataclasses.dataclass
class Params:
    """Trainable parameters; supports ``+``, ``-`` and multiplication by a number.

    Fields: word_embedding_weights (V, E); embed_to_hid_weights (H, N·E), columns nE..(n+1)E-1
    read position n; hid_bias (H,); hid_to_output_weights (N·V, H); output_bias (N·V,).
    """

    word_embedding_weights: np.ndarray
    embed_to_hid_weights: np.ndarray
    hid_bias: np.ndarray
    hid_to_output_weights: np.ndarray
    output_bias: np.ndarray

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def zeros(cls, vocab_size: int, context_len: int, embedding_dim: int, num_hid: int) -> Params:
        V, N, E, H = vocab_size, context_len, embedding_dim, num_hid
        return cls(np.zeros((V, E)), np.zeros((H, N * E)), np.zeros(H), np.zeros((N * V, H)),
                   np.zeros(N * V))

    @classmethod
    def random_init(cls, rng: np.random.Generator | int, vocab_size: int, context_len: int,
                    embedding_dim: int, num_hid: int, init_wt: float = 0.01) -> Params:
        """Weights drawn from N(0, init_wt²), biases 0."""
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        p = cls.zeros(vocab_size, context_len, embedding_dim, num_hid)
        for name in ("word_embedding_weights", "embed_to_hid_weights", "hid_to_output_weights"):
            setattr(p, name, init_wt * rng.standard_normal(getattr(p, name).shape))
        return p

    def copy(self) -> Params:
        return Params(*(getattr(self, n).copy() for n in self.names()))

    def __add__(self, other: Params) -> Params:
        return Params(*(getattr(self, n) + getattr(other, n) for n in self.names()))

    def __sub__(self, other: Params) -> Params:
        return Params(*(getattr(self, n) - getattr(other, n) for n in self.names()))

    def __mul__(self, a: float) -> Params:
        return Params(*(a * getattr(self, n) for n in self.names()))

    __rmul__ = __mul__


@dataclasses.dataclass
class Activations:
    """embedding_layer (B, N·E); hidden_layer (B, H); output_layer (B, N·V) probabilities."""

    embedding_layer: np.ndarray
    hidden_layer: np.ndarray
    output_layer: np.ndarray


class Model:
    """The masked language model: ``params`` (:class:`Params`) and ``vocab`` (list of V str)."""

    def __init__(self, params: Params, vocab: Sequence[str]):
        self.params, self.vocab = params, list(vocab)
        V, E = params.word_embedding_weights.shape
        H, NE = params.embed_to_hid_weights.shape
        if V != len(self.vocab):
            raise ValueError(f"params.word_embedding_weights: expected {len(self.vocab)} rows "
                             f"(one per vocab word), got shape {(V, E)}")
        if NE % E:
            raise ValueError(f"params.embed_to_hid_weights: expected (H, N·E) with E = {E}, "
                             f"got shape {(H, NE)}")
        N = NE // E
        want = {"hid_bias": (H,), "hid_to_output_weights": (N * V, H), "output_bias": (N * V,)}
        for name, shape in want.items():
            if getattr(params, name).shape != shape:
                raise ValueError(f"params.{name}: expected shape {shape} (N={N}, V={V}, H={H}), "
                                 f"got {getattr(params, name).shape}")
        self.vocab_size, self.embedding_dim, self.context_len, self.num_hid = V, E, N, H

    @classmethod
    def random_init(cls, vocab: Sequence[str], rng: np.random.Generator | int, context_len: int = 4,
                    embedding_dim: int = 16, num_hid: int = 128, init_wt: float = 0.01) -> Model:
        params = Params.random_init(rng, len(vocab), context_len, embedding_dim, num_hid, init_wt)
        return cls(params, vocab)

    def copy(self) -> Model:
        return type(self)(self.params.copy(), self.vocab)

    def sample_input_mask(self, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        """(B, N) int array with a single 1 per row, at a uniformly drawn position."""
        mask = np.zeros((batch_size, self.context_len), dtype=np.int64)
        mask[np.arange(batch_size), rng.integers(self.context_len, size=batch_size)] = 1
        return mask

    def indicator_matrix(self, targets: np.ndarray, mask_zero_index: bool = True) -> np.ndarray:
        """(B, N·V) one-hot rows: entry (i, j + nV) is 1 when targets[i, n] == j.

        With ``mask_zero_index`` the entries of index 0 ([MASK]) are left at 0.
        """
        targets = self._indices(targets, "targets")
        B, N, V = *targets.shape, self.vocab_size
        out = np.zeros((B, N * V))
        cols = targets + V * np.arange(N)  # (B, N)
        keep = targets != 0 if mask_zero_index else np.ones_like(targets, dtype=bool)
        out[np.nonzero(keep)[0], cols[keep]] = 1.0
        return out

    def compute_activations(self, input_batch: np.ndarray) -> Activations:
        """Forward pass of ``input_batch`` (B, N) word indices, masked positions already 0."""
        x, _, h, z = self._forward(self._indices(input_batch, "input_batch"))
        return Activations(x, h, _chunk_softmax_inplace(z, self.context_len))

    def compute_loss(self, output_activations: np.ndarray, expanded_target_batch: np.ndarray,
                     target_mask: np.ndarray) -> float:
        """C = -Σ_i,n,j m_in t_i,j+nV log y_i,j+nV, summed over the batch.

        Args:
            output_activations: (B, N·V) probabilities y (``Activations.output_layer``).
            expanded_target_batch: (B, N·V) targets t, one-hot per masked position.
            target_mask: (B, N) (or (B, N, 1)) m, 1 where position n of example i is predicted.
        """
        y, t, m = self._outputs(output_activations, expanded_target_batch, target_mask)
        hit = np.flatnonzero(t != 0)  # only non-zero targets enter the sum (!= 0: fast)
        weight = t.ravel()[hit] * m.ravel()[hit // self.vocab_size]  # m of each entry's chunk
        return float(-np.sum(weight * np.log(np.maximum(y.ravel()[hit], TINY))))

    def compute_loss_derivative(self, output_activations: np.ndarray,
                                expanded_target_batch: np.ndarray,
                                target_mask: np.ndarray) -> np.ndarray:
        """∂C/∂z (B, N·V) for the inputs z of the output softmaxes; arguments of compute_loss."""
        y, t, m = self._outputs(output_activations, expanded_target_batch, target_mask)
        B, N, V = m.shape[0], self.context_len, self.vocab_size
        # BEGIN SOLUTION
        # ∂C/∂z_i,j+nV = m_in (y_i,j+nV Σ_l t_i,l+nV - t_i,j+nV): y - t in masked chunks whose
        # target is one-hot, 0 in the other chunks (and in a masked chunk with no target).
        probs, onehot = y.reshape(B, N, V), t.reshape(B, N, V)
        per_position = probs * onehot.sum(axis=2, keepdims=True)  # (B, N, V)
        per_position -= onehot  # in place: no more temporaries of this size
        per_position *= m[:, :, None]
        return per_position.reshape(B, N * V)
        # END SOLUTION

    def back_propagate(self, input_batch: np.ndarray, activations: Activations,
                       loss_derivative: np.ndarray) -> Params:
        """The gradient of C with respect to every parameter, as a :class:`Params`.

        Args:
            input_batch: (B, N) word indices that were fed to compute_activations.
            activations: what compute_activations returned for ``input_batch``.
            loss_derivative: (B, N·V) ∂C/∂z from compute_loss_derivative.
        """
        inputs = self._indices(input_batch, "input_batch")
        B, N, V = inputs.shape[0], self.context_len, self.vocab_size
        E, H = self.embedding_dim, self.num_hid
        _check_shape(loss_derivative, (B, N * V), "loss_derivative")
        _check_shape(activations.hidden_layer, (B, H), "activations.hidden_layer")
        _check_shape(activations.embedding_layer, (B, N * E), "activations.embedding_layer")
        # BEGIN SOLUTION
        # ∂C/∂W2 = (∂C/∂z)ᵀ h            ∂C/∂b2 = Σ_i ∂C/∂z_i
        # ∂C/∂u = (∂C/∂z W2) ⊙ h ⊙ (1 - h)
        # ∂C/∂W1 = (∂C/∂u)ᵀ x            ∂C/∂b1 = Σ_i ∂C/∂u_i
        # ∂C/∂x = ∂C/∂u W1; row w of the embedding gradient sums the slices of ∂C/∂x where
        # word w was input (a word seen twice gets both contributions).
        p, h = self.params, activations.hidden_layer
        hid_to_output_weights_grad = loss_derivative.T @ h  # (N·V, H)
        output_bias_grad = loss_derivative.sum(axis=0)  # (N·V,)
        hid_deriv = (loss_derivative @ p.hid_to_output_weights) * h * (1.0 - h)  # (B, H)
        embed_to_hid_weights_grad = hid_deriv.T @ activations.embedding_layer  # (H, N·E)
        hid_bias_grad = hid_deriv.sum(axis=0)  # (H,)
        embed_deriv = (hid_deriv @ p.embed_to_hid_weights).reshape(B * N, E)  # (B·N, E)
        word_embedding_weights_grad = np.zeros((V, E))
        np.add.at(word_embedding_weights_grad, inputs.ravel(), embed_deriv)  # repeats add up
        return Params(word_embedding_weights_grad, embed_to_hid_weights_grad, hid_bias_grad,
                      hid_to_output_weights_grad, output_bias_grad)
        # END SOLUTION

    def masked_batch(self, inputs: np.ndarray, targets: np.ndarray,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One random position per row masked: (inputs (B, N), targets t (B, N·V), mask (B, N))."""
        mask = self.sample_input_mask(len(inputs), rng)
        return inputs * (1 - mask), self.indicator_matrix(targets * mask), mask

    def evaluate(self, inputs: np.ndarray, targets: np.ndarray, batch_size: int = 1000,
                 rng: np.random.Generator | int = 0) -> float:
        """Average cross-entropy per row, one random position of each row masked.

        Args:
            inputs: (rows, N) word indices; targets: (rows, N) words to predict (the inputs
                themselves in the course data). rng: generator or seed of the masks.
        """
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        inputs, targets = self._indices(inputs, "inputs"), self._indices(targets, "targets")
        _check_shape(targets, inputs.shape, "targets")
        total = 0.0
        for start in range(0, len(inputs), batch_size):
            x, t, m = self.masked_batch(inputs[start:start + batch_size],
                                        targets[start:start + batch_size], rng)
            total += self.compute_loss(self.compute_activations(x).output_layer, t, m)
        return total / max(len(inputs), 1)

    # --- private -------------------------------------------------------------------------------

    def _forward(self, inputs: np.ndarray) -> tuple[np.ndarray, ...]:
        """x (B, N·E), u (B, H), h (B, H), z (B, N·V) for checked integer inputs (B, N)."""
        p = self.params
        x = p.word_embedding_weights[inputs].reshape(len(inputs), -1)  # (B, N·E)
        u = x @ p.embed_to_hid_weights.T + p.hid_bias  # (B, H)
        h = expit(u)
        z = h @ p.hid_to_output_weights.T  # (B, N·V)
        z += p.output_bias
        return x, u, h, z

    def _indices(self, a: np.ndarray, name: str) -> np.ndarray:
        a = np.asarray(a)
        if a.dtype.kind not in "iu":
            raise TypeError(f"{name}: expected integer word indices, got dtype {a.dtype}")
        if a.ndim != 2 or a.shape[1] != self.context_len:
            raise ValueError(f"{name}: expected shape (B, N) = (B, {self.context_len}), "
                             f"got {a.shape}")
        if a.size and (a.min() < 0 or a.max() >= self.vocab_size):
            raise ValueError(f"{name}: word indices must lie in [0, {self.vocab_size}), "
                             f"got values in [{a.min()}, {a.max()}]")
        return a

    def _outputs(self, y, t, m) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The three loss arguments checked; the mask comes back as (B, N) floats."""
        y, t = _real(y, "output_activations"), _real(t, "expanded_target_batch")
        NV = self.context_len * self.vocab_size
        if y.ndim != 2 or y.shape[1] != NV:
            raise ValueError(f"output_activations: expected shape (B, N·V) = (B, {NV}), "
                             f"got {y.shape}")
        B = y.shape[0]
        _check_shape(t, (B, NV), "expanded_target_batch")
        m = _real(m, "target_mask")
        if m.shape == (B, self.context_len, 1):
            m = m[:, :, 0]
        _check_shape(m, (B, self.context_len), "target_mask")
        return y, t, m


# --- the learned representation ------------------------------------------------------------


def word_distance(model: Model | np.ndarray, word1: str, word2: str, *,
                  vocab: Sequence[str] | None = None) -> float:
    """Euclidean distance between the embeddings of two words.

    ``model`` is a :class:`Model` or an embedding table (V, d) (GloVe's W, say) with ``vocab``.
    """
    table, vocab = _embedding_table(model, vocab)
    i, j = _word_index(vocab, word1), _word_index(vocab, word2)
    return float(np.linalg.norm(table[i] - table[j]))


def display_nearest_words(model: Model | np.ndarray, word: str, k: int = 10, *,
                          vocab: Sequence[str] | None = None,
                          show: bool = True) -> list[tuple[str, float]]:
    """The ``k`` words whose embeddings are nearest to ``word``'s (Euclidean), with distances.

    Prints them one per line unless ``show=False``; ``model`` as in :func:`word_distance`.
    """
    table, vocab = _embedding_table(model, vocab)
    i = _word_index(vocab, word)
    dist = np.linalg.norm(table - table[i], axis=1)  # (V,)
    order = [j for j in np.argsort(dist, kind="stable") if j != i][:k]
    nearest = [(vocab[j], float(dist[j])) for j in order]
    if show:
        for other, d in nearest:
            print(f"{other}: {d:.4f}")
    return nearest


def tsne_embeddings(model: Model | np.ndarray, rng: np.random.Generator | int, *,
                    perplexity: float = 30.0, rows: Sequence[int] | np.ndarray | None = None,
                    max_iter: int = 1000) -> np.ndarray:
    """2-D t-SNE coordinates of the word embeddings (scikit-learn), one row per word.

    Args:
        model: a :class:`Model` or an embedding table (V, d).
        rng: generator or seed of t-SNE's randomness.
        perplexity: roughly the number of neighbours each point keeps close (capped below the
            number of words).
        rows: indices of the words to embed (default: all V).
        max_iter: optimisation steps (at least 250).

    Returns:
        (len(rows), 2) coordinates, or (V, 2).
    """
    from sklearn.manifold import TSNE

    table = _embedding_table(model, None)[0] if isinstance(model, Model) else _real(model, "model")
    if rows is not None:
        table = table[np.asarray(rows, dtype=np.int64)]
    if len(table) < 3:
        raise ValueError(f"t-SNE needs at least 3 words, got {len(table)}")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    tsne = TSNE(n_components=2, perplexity=min(perplexity, len(table) - 1.0), init="pca",
                max_iter=max(int(max_iter), 250), random_state=int(rng.integers(2**31 - 1)))
    with limited_threads(1):  # a few hundred points: extra OpenMP threads only slow it down
        return tsne.fit_transform(table)


def _embedding_table(model, vocab) -> tuple[np.ndarray, list[str]]:
    if isinstance(model, Model):
        return model.params.word_embedding_weights, model.vocab
    table = _real(model, "model")
    if vocab is None or table.ndim != 2 or len(vocab) != len(table):
        raise ValueError(f"model: an embedding table (V, d) needs vocab with V words; got shape "
                         f"{table.shape} and {None if vocab is None else len(vocab)} words")
    return table, list(vocab)


def _word_index(vocab: list[str], word: str) -> int:
    try:
        return vocab.index(word)
    except ValueError:
        raise ValueError(f"word {word!r} is not in the vocabulary ({len(vocab)} words)") from None


_TRAIN_NAMES = ("train", "check_gradients", "print_gradients", "reference_model", "AutogradModel",
                "autograd_gradients", "usable_model_class")


def __getattr__(name: str):
    """The training helpers live in :mod:`coursekit.masked_lm_train`; they are importable
    from here too."""
    if name in _TRAIN_NAMES:
        from coursekit import masked_lm_train

        return getattr(masked_lm_train, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _real(a: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected a real array, got dtype {a.dtype}")
    a = a.astype(np.float64, copy=False)
    if not np.isfinite(a.sum()) and not np.isfinite(a).all():  # the sum is one cheap pass
        raise ValueError(f"{name}: contains NaN or inf")
    return a


def _check_shape(a: np.ndarray, shape: tuple, name: str) -> None:
    if np.shape(a) != tuple(shape):
        raise ValueError(f"{name}: expected shape {tuple(shape)}, got {np.shape(a)}")


def _chunk_softmax_inplace(z: np.ndarray, N: int) -> np.ndarray:
    """Softmax over each of the N consecutive chunks of V columns of z (B, N·V), written into z."""
    chunks = z.reshape(len(z), N, -1)  # (B, N, V), a view
    chunks -= chunks.max(axis=2, keepdims=True)  # exponents <= 0: no overflow
    np.exp(chunks, out=chunks)
    chunks /= chunks.sum(axis=2, keepdims=True)
    return z
