"""The 4-gram corpus of notebooks 08 (GloVe) and 09 (masked language model).

A small grammar writes simple English sentences, deterministically from a seed, over a
vocabulary of exactly 250 words. It has word classes (determiners, pronouns, nouns, verbs,
adjectives, prepositions, punctuation), agreement (``the dog runs`` / ``the dogs run``,
``i am`` / ``he is``, ``an egg``) and six topics (food, animals, school, family, weather, sport),
each with its own nouns, verbs, adjectives and places, so that nearest neighbours and t-SNE
clusters of learned embeddings mean something. The grammar's word tables and sentence
generators live in :mod:`coursekit.data.corpus_grammar`; this module is the public entry point.

The data set is a dict in the format of the assignment:

``vocab``
    list of 251 str; ``vocab[0] == "[MASK]"``, then the 250 words in alphabetical order.
``train_inputs``, ``valid_inputs``, ``test_inputs``
    int64 arrays (rows, 4): the indices of 4 consecutive words of one sentence per row.
``train_targets``, ``valid_targets``, ``test_targets``
    int64 arrays (rows, 4), equal to the inputs: at each output position the masked model
    predicts the word that stands there. Which position becomes ``[MASK]`` is drawn at training
    time, so index 0 never appears in these arrays.

Sentences are split 80/10/10 into train/valid/test (all 4-grams of a sentence land in one
split); each split's 4-grams are shuffled.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from coursekit.config import fast_mode
from coursekit.data import corpus_grammar
from coursekit.data.corpus_grammar import MASK, vocabulary
from coursekit.data.corpus_grammar import WORD_CLASSES as WORD_CLASSES  # re-exported
from coursekit.data.corpus_grammar import sentences as _sentences
from coursekit.data.corpus_grammar import word_classes as word_classes  # re-exported

VOCAB_SIZE = 250  # words, not counting [MASK]
CONTEXT_LEN = 4
FULL_SIZES = {"train": 372_500, "valid": 46_568, "test": 46_568}  # rows of 4-grams
FAST_TRAIN_ROWS = 40_000
_SPLITS = ("train", "valid", "test")
_TOKEN = re.compile(r"\[mask\]|[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")

# --- the public API ----------------------------------------------------------------------------


def generate_sentences(n: int, rng: np.random.Generator | int = 0) -> list[str]:
    """``n`` sentences of the grammar as text, words and punctuation separated by spaces."""
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    tokens, lengths = _sentences(rng, n)
    words = np.asarray(vocabulary(), dtype=object)[np.maximum(tokens, 0)]
    return [" ".join(row[:k]) for row, k in zip(words, lengths, strict=True)]


def generate_corpus(seed: int = 0) -> dict:
    """The full data set (sizes of ``FULL_SIZES``), generated in memory from ``seed``.

    Sentences drawn with ``numpy.random.default_rng(seed)`` are split 80/10/10 by sentence,
    cut into 4-grams, shuffled, and trimmed to the sizes of the original assignment
    (372 500 / 46 568 / 46 568 rows of 4 word indices).
    """
    n = sum(FULL_SIZES.values()) // 5  # sentences; a sentence gives 6.6 4-grams on average
    while True:
        rng = np.random.default_rng(seed)
        tokens, lengths = _sentences(rng, n)
        data = _split(tokens, lengths, rng, (0.8, 0.1, 0.1))
        if all(len(data[f"{s}_inputs"]) >= FULL_SIZES[s] for s in _SPLITS):
            break
        n = int(n * 1.25)  # not reached with the grammar as it is
    out = {"vocab": vocabulary()}
    for name in _SPLITS:
        rows = data[f"{name}_inputs"][: FULL_SIZES[name]]
        out[f"{name}_inputs"], out[f"{name}_targets"] = rows, rows.copy()
    return out


def load_corpus(
    seed: int = 0,
    *,
    fast: bool | None = None,
    size: int | None = None,
    cache_dir: str | os.PathLike | None = None,
    refresh: bool = False,
) -> dict:
    """The generated data set, cached on disk, whole or as a slice.

    Args:
        seed: seed of the generator; each seed has its own cache file.
        fast: keep only ``FAST_TRAIN_ROWS`` training rows; ``None`` follows ``COURSEKIT_FAST``.
        size: number of training rows to keep (overrides ``fast``); validation and test keep
            the proportion of the full set (1 row for every 8 training rows).
        cache_dir: directory of the ``.npz`` cache; default :func:`default_cache_dir`.
        refresh: regenerate even when a cache file exists.

    The cache is written atomically (a temporary file renamed into place); an unreadable cache
    is regenerated, and a directory that cannot be written only costs a warning.
    """
    path = Path(cache_dir or default_cache_dir()) / f"corpus_seed{seed}_{_source_hash()}.npz"
    data = None if refresh else _read_cache(path)
    if data is None:
        data = generate_corpus(seed)
        _write_cache(path, data)
    if size is None and (fast_mode() if fast is None else fast):
        size = FAST_TRAIN_ROWS
    return data if size is None else slice_corpus(data, size)


def slice_corpus(data: dict, size: int) -> dict:
    """The first ``size`` training rows and proportional heads of validation and test."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size: expected a positive number of training rows, got {size!r}")
    n_eval = max(1, round(size * FULL_SIZES["valid"] / FULL_SIZES["train"]))
    out = {"vocab": list(data["vocab"])}
    for name in _SPLITS:
        for part in ("inputs", "targets"):
            out[f"{name}_{part}"] = data[f"{name}_{part}"][: size if name == "train" else n_eval]
    return out


def default_cache_dir() -> Path:
    """``$COURSEKIT_DATA_DIR`` if set, else ``data/generated`` at the top of the repository."""
    env = os.environ.get("COURSEKIT_DATA_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "data" / "generated"


def load_raw_sentences(
    path: str | os.PathLike,
    vocab_size: int = VOCAB_SIZE,
    *,
    seed: int = 0,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
) -> dict:
    """Read a ``raw_sentences.txt`` (one sentence per line) into the format of the corpus.

    Words are lower-cased and punctuation marks become words of their own. The vocabulary is
    ``"[MASK]"`` followed by the distinct words, sorted. Sentences are shuffled with ``seed``,
    split by ``fractions`` (train, valid, test) and cut into 4-grams; sentences of fewer than
    4 words give none. Targets equal inputs, as in :func:`generate_corpus`.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: no sentence has 4 or more words (an empty file, say); a line holds the
            reserved token ``[MASK]``; or there are more distinct words than ``vocab_size``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"raw sentences file not found: {path} (one sentence per line)")
    lines = path.read_text(encoding="utf-8").splitlines()
    sentences = [s for line in lines if (s := _TOKEN.findall(line.lower()))]
    if not any(len(s) >= CONTEXT_LEN for s in sentences):
        raise ValueError(f"{path} is empty: no line has {CONTEXT_LEN} or more words to cut into "
                         f"4-grams ({len(sentences)} non-blank lines)")
    words = sorted({x for s in sentences for x in s})
    if MASK.lower() in words:
        raise ValueError(f"{path}: the token {MASK} is reserved for masking and may not appear")
    if len(words) > vocab_size:
        raise ValueError(f"{path} has {len(words)} distinct words; the limit is vocab_size="
                         f"{vocab_size} (plus {MASK}): use fewer words or raise vocab_size")
    vocab = [MASK, *words]
    index = {x: i for i, x in enumerate(vocab)}
    lengths = np.array([len(s) for s in sentences])
    tokens = np.full((len(sentences), lengths.max()), -1, dtype=np.int64)  # (n, L)
    tokens[np.arange(lengths.max()) < lengths[:, None]] = [index[x] for s in sentences for x in s]
    data = _split(tokens, lengths, np.random.default_rng(seed), fractions)
    return {"vocab": vocab, **{f"{k}_{p}": data[f"{k}_inputs"].copy() if p == "targets"
                               else data[f"{k}_inputs"] for k in _SPLITS
                               for p in ("inputs", "targets")}}


def log_cooccurrence(
    data_or_sequences: dict | np.ndarray | Sequence[Sequence[int]],
    V: int,
    *,
    symmetric: bool = False,
    smoothing: float = 1.0,
    scale: float = 1.0,
) -> np.ndarray:
    """log(scale·X + smoothing), X (V, V) the counts of adjacent word pairs.

    ``X[i, j]`` counts how often word ``j`` comes right after word ``i`` within a row: a
    4-gram gives the 3 pairs of positions (0, 1), (1, 2), (2, 3). X is not symmetric ("the
    dog" is frequent, "dog the" is not); ``symmetric=True`` also counts every pair reversed.
    ``smoothing`` (default 1: counts + 1) keeps the log finite where a pair never occurs.
    ``scale`` multiplies the counts first: counts of a split k times smaller than the training
    split, scaled by k, are on the training split's scale.

    Args:
        data_or_sequences: a data set dict (its ``train_inputs`` are used), an int array
            (rows, L) of word indices, or a list of index sequences of any lengths.
        V: vocabulary size; every index must lie in [0, V).

    Returns:
        (V, V) float64 array.
    """
    if isinstance(data_or_sequences, dict):
        data_or_sequences = data_or_sequences["train_inputs"]
    if isinstance(V, bool) or not isinstance(V, (int, np.integer)) or V < 1:
        raise ValueError(f"V: expected a positive vocabulary size, got {V!r}")
    if not smoothing > 0:
        raise ValueError(f"smoothing: expected a positive number, got {smoothing!r}")
    if not scale > 0:
        raise ValueError(f"scale: expected a positive number, got {scale!r}")
    if isinstance(data_or_sequences, np.ndarray) and data_or_sequences.ndim == 2:
        rows = _indices(data_or_sequences)
        first, second = rows[:, :-1].ravel(), rows[:, 1:].ravel()
    else:
        seqs = [_indices(np.asarray(s)).ravel() for s in data_or_sequences]
        flat = np.concatenate(seqs) if seqs else np.zeros(0, dtype=np.int64)
        seq_id = np.repeat(np.arange(len(seqs)), [len(s) for s in seqs])
        inside = seq_id[:-1] == seq_id[1:]  # pairs that do not straddle two sequences
        first, second = flat[:-1][inside], flat[1:][inside]
    both = np.concatenate([first, second])
    if both.size and (both.min() < 0 or both.max() >= V):
        bad = both[(both < 0) | (both >= V)][0]
        raise ValueError(f"data_or_sequences: word index {bad} is outside [0, V={V})")
    counts = np.bincount(first * V + second, minlength=V * V).reshape(V, V).astype(np.float64)
    if symmetric:
        counts += counts.T
    return np.log(scale * counts + smoothing)


# --- helpers -----------------------------------------------------------------------------------


def _indices(a: np.ndarray) -> np.ndarray:
    if a.size and a.dtype.kind not in "iu":
        raise TypeError(f"data_or_sequences: expected integer word indices, got dtype {a.dtype}")
    return a.astype(np.int64, copy=False)


def _four_grams(tokens: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Every run of 4 consecutive words inside a sentence: (rows, 4), sentence by sentence."""
    if tokens.shape[1] < CONTEXT_LEN:
        return np.zeros((0, CONTEXT_LEN), dtype=np.int64)
    windows = np.lib.stride_tricks.sliding_window_view(tokens, CONTEXT_LEN, axis=1)  # (n, L-3, 4)
    keep = np.arange(windows.shape[1])[None, :] + CONTEXT_LEN <= lengths[:, None]  # (n, L-3)
    return windows[keep].astype(np.int64)


def _split(tokens: np.ndarray, lengths: np.ndarray, rng: np.random.Generator, fractions) -> dict:
    """Shuffle the sentences, split them by ``fractions``, cut each split into shuffled 4-grams."""
    fractions = np.asarray(fractions, dtype=np.float64)
    if fractions.shape != (3,) or np.any(fractions < 0) or not np.isclose(fractions.sum(), 1.0):
        raise ValueError(f"fractions: expected 3 non-negative numbers summing to 1, "
                         f"got {fractions}")
    order = rng.permutation(len(lengths))
    bounds = np.round(np.cumsum(fractions)[:2] * len(lengths)).astype(np.int64)
    out = {}
    for name, part in zip(_SPLITS, np.split(order, bounds), strict=True):
        grams = _four_grams(tokens[part], lengths[part])
        out[f"{name}_inputs"] = grams[rng.permutation(len(grams))]
    return out


@functools.cache
def _source_hash() -> str:
    """Names the cache after the text of this file and of the grammar: editing either one
    invalidates old caches."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(Path(corpus_grammar.__file__).read_bytes())
    return digest.hexdigest()[:12]


def _read_cache(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            data = {"vocab": [str(x) for x in f["vocab"]]}
            for name in _SPLITS:
                rows = f[f"{name}_inputs"]
                if rows.shape != (FULL_SIZES[name], CONTEXT_LEN) or rows.dtype != np.uint8:
                    return None
                rows = rows.astype(np.int64)
                data[f"{name}_inputs"], data[f"{name}_targets"] = rows, rows.copy()
    except (OSError, ValueError, KeyError):
        return None
    return data if data["vocab"] == vocabulary() else None


def _write_cache(path: Path, data: dict) -> None:
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as fh:
            tmp = Path(fh.name)
            # targets equal inputs; 251 word indices fit in a byte
            arrays = {f"{s}_inputs": data[f"{s}_inputs"].astype(np.uint8) for s in _SPLITS}
            np.savez(fh, vocab=np.array(data["vocab"]), **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(0o644)  # temporary files start private; the cache is for every user
        os.replace(tmp, path)
        for old in path.parent.glob(path.name.rsplit("_", 1)[0] + "_*.npz"):
            if old != path:  # written by an earlier version of the grammar
                old.unlink(missing_ok=True)
    except OSError as err:
        warnings.warn(f"could not cache the corpus at {path}: {err}", stacklevel=3)
        if tmp is not None and tmp.exists():
            tmp.unlink()
