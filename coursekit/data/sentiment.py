"""A sentiment corpus for notebook 10, generated from a seed, and a loader for your own file.

Every generated sentence talks about a film with sentiment adjectives, and its label follows
rules a reader applies without thinking:

* an adjective carries a polarity: "charming" is positive, "tedious" negative;
* a negator flips it: "not bad" and "never boring" are positive, "hardly enjoyable" negative;
* an intensifier changes nothing: "very good" is positive, "not very good" negative;
* two adjectives joined by "and" agree;
* in a contrast ("... but ...", "although ..., ...") the two clauses disagree and the second
  one decides.

A bag of words sees which words occur, not where. Negation makes the label an exclusive-or of
word features ("good" with "not" is negative, "bad" with "not" positive), which no linear model
on word counts can represent but a hidden layer can; and no bag of words at all can tell
"good but dull" from "dull but good", so every bag-of-words model stays below 100 %.
Bigram features fix plain negation and short contrasts but not "not very good".

Labels are 1 (positive) and 0 (negative), exactly balanced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

__all__ = [
    "LABEL_NAMES",
    "Featurized",
    "LabelledSentences",
    "SentimentSplits",
    "featurize",
    "generate_sentences",
    "load_labelled_file",
    "make_sentiment_splits",
    "save_labelled_file",
    "split_labelled",
]

POSITIVE = np.array(
    ["good", "great", "excellent", "wonderful", "brilliant",
     "enjoyable", "charming", "delightful", "clever", "moving"]
)  # fmt: skip
NEGATIVE = np.array(
    ["bad", "awful", "terrible", "boring", "dull",
     "weak", "clumsy", "tedious", "bland", "disappointing"]
)  # fmt: skip
NEGATORS = np.array(["not", "never", "hardly"])
INTENSIFIERS = np.array(["very", "really", "extremely", "truly", "so", "quite"])
SUBJECTS = np.array(
    ["the movie", "the film", "the story", "the plot", "the acting", "the script",
     "the ending", "the soundtrack", "the cast", "the dialogue", "the direction", "this sequel"]
)  # fmt: skip
VERBS = np.array(["is", "was", "felt", "seemed"])
PREFIXES = np.array(["", "", "", "honestly", "overall", "in my opinion", "frankly"])
SUFFIXES = np.array(["", "", "", "from start to finish", "at times", "for the most part"])

#: Accepted spellings of the labels in a labelled file.
LABEL_NAMES = {"1": 1, "pos": 1, "positive": 1, "0": 0, "neg": 0, "negative": 0}

# Sentence types and how often they occur.
_SIMPLE, _AND, _BUT, _ALTHOUGH = 0, 1, 2, 3
_TYPE_PROBS = (0.6, 0.2, 0.12, 0.08)
_P_NEGATE = 0.45
_P_INTENSIFY = 0.3


@dataclass(frozen=True)
class LabelledSentences:
    """Sentences with their labels: ``sentences`` (n,) of str, ``labels`` (n,) int64 of 0/1."""

    sentences: np.ndarray
    labels: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "sentences", np.asarray(self.sentences, dtype=str))
        object.__setattr__(self, "labels", np.asarray(self.labels, dtype=np.int64))
        if self.sentences.ndim != 1 or self.labels.shape != self.sentences.shape:
            raise ValueError(
                f"sentences (n,) and labels (n,) must match; got {self.sentences.shape} "
                f"and {self.labels.shape}"
            )

    def __len__(self) -> int:
        return int(self.sentences.shape[0])


@dataclass(frozen=True)
class SentimentSplits:
    """Disjoint train, dev and test sets (no sentence occurs twice in the whole corpus)."""

    train: LabelledSentences
    dev: LabelledSentences
    test: LabelledSentences


def _cat(*parts: np.ndarray) -> np.ndarray:
    """Join string arrays element by element with single spaces, skipping empty parts."""
    out = np.asarray(parts[0])
    for part in parts[1:]:
        joined = np.char.add(np.char.add(out, " "), part)
        out = np.where(part == "", out, np.where(out == "", part, joined))
    return out


def _pick(rng: np.random.Generator, words: np.ndarray, n: int) -> np.ndarray:
    return words[rng.integers(len(words), size=n)]


def _adjective_phrase(
    rng: np.random.Generator, polarity: np.ndarray, allow_negation: np.ndarray | bool
) -> np.ndarray:
    """Adjective phrases whose meaning has the given polarity (n,) of +1/-1."""
    n = polarity.shape[0]
    negate = (rng.random(n) < _P_NEGATE) & allow_negation
    word_polarity = np.where(negate, -polarity, polarity)
    adjective = np.where(word_polarity > 0, _pick(rng, POSITIVE, n), _pick(rng, NEGATIVE, n))
    negator = np.where(negate, _pick(rng, NEGATORS, n), "")
    # "never very good" reads badly: intensify only plain and "not" phrases.
    can_intensify = (negator == "") | (negator == "not")
    intensifier = np.where(
        can_intensify & (rng.random(n) < _P_INTENSIFY), _pick(rng, INTENSIFIERS, n), ""
    )
    return _cat(negator, intensifier, adjective)


def _clause(rng: np.random.Generator, phrase: np.ndarray) -> np.ndarray:
    n = phrase.shape[0]
    return _cat(_pick(rng, SUBJECTS, n), _pick(rng, VERBS, n), phrase)


def generate_sentences(n: int, rng: np.random.Generator) -> LabelledSentences:
    """``n`` labelled sentences (duplicates possible), exactly balanced (up to one).

    The label is drawn first; the sentence is then built to mean it (rules in the module
    docstring). ``rng`` is the only source of randomness.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    labels = rng.permutation(np.arange(n) % 2).astype(np.int64)  # (n,)
    polarity = 2 * labels - 1  # (n,) of +1/-1
    kind = rng.choice(4, size=n, p=_TYPE_PROBS)

    # Simple: one clause, negation allowed.
    simple = _clause(rng, _adjective_phrase(rng, polarity, True))
    # "and": two plain or intensified adjectives of the label's polarity, about one or two
    # subjects. Negation is left out so that a bag of words still determines the label.
    first, second = (_adjective_phrase(rng, polarity, False) for _ in range(2))
    one_subject = rng.random(n) < 0.5
    conj = np.where(
        one_subject,
        _cat(_clause(rng, first), "and", second),
        _cat(_clause(rng, first), "and", _clause(rng, second)),
    )
    # Contrast: the conceded clause has the opposite polarity, the second one the label's.
    conceded = _adjective_phrase(rng, -polarity, True)
    decisive = _adjective_phrase(rng, polarity, True)
    but = np.where(
        rng.random(n) < 0.5,
        _cat(_clause(rng, conceded), "but", decisive),
        _cat(_clause(rng, conceded), "but", _clause(rng, decisive)),
    )
    although = _cat("although", np.char.add(_clause(rng, conceded), ","), _clause(rng, decisive))

    body = np.choose(kind, [simple, conj, but, although])
    sentences = _cat(_pick(rng, PREFIXES, n), body, _pick(rng, SUFFIXES, n))
    return LabelledSentences(sentences.astype(str), labels)


def make_sentiment_splits(
    n_train: int = 2000, n_dev: int = 500, n_test: int = 500, seed: int = 0
) -> SentimentSplits:
    """A generated corpus split into train, dev and test; the same seed gives the same corpus.

    Duplicate sentences are dropped before splitting, so no dev or test sentence was seen in
    training. Each split is balanced to within one example.
    """
    sizes = {"n_train": n_train, "n_dev": n_dev, "n_test": n_test}
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    rng = np.random.default_rng(seed)
    total = n_train + n_dev + n_test
    need = {0: total - total // 2, 1: total // 2}  # labels 0/1 needed overall
    drawn = generate_sentences(2 * total, rng)
    while True:
        _, first = np.unique(drawn.sentences, return_index=True)
        keep = np.sort(first)  # first occurrences, in drawing order
        labels = drawn.labels[keep]
        if all((labels == c).sum() >= k for c, k in need.items()):
            break
        more = generate_sentences(total, rng)  # rare: the grammar has millions of sentences
        drawn = LabelledSentences(
            np.concatenate([drawn.sentences, more.sentences]),
            np.concatenate([drawn.labels, more.labels]),
        )
    # Interleave the labels so that every split is balanced, then cut.
    by_label = [keep[labels == c][: need[c]] for c in (0, 1)]
    order = np.empty(total, dtype=np.int64)
    order[0::2] = by_label[0]
    order[1::2] = by_label[1]
    cuts = np.cumsum([n_train, n_dev])
    splits = []
    for part in np.split(order, cuts):
        part = rng.permutation(part)
        splits.append(LabelledSentences(drawn.sentences[part], drawn.labels[part]))
    return SentimentSplits(*splits)


def save_labelled_file(path: str | Path, data: LabelledSentences) -> None:
    """Write ``label<TAB>sentence`` lines (labels 0/1), the format ``load_labelled_file`` reads."""
    lines = np.char.add(np.char.add(data.labels.astype(str), "\t"), data.sentences)
    Path(path).write_text("\n".join(lines.tolist()) + "\n", encoding="utf-8")


def load_labelled_file(path: str | Path) -> LabelledSentences:
    """Read a file of ``label<TAB>sentence`` lines.

    Labels may be written ``1``/``0``, ``pos``/``neg`` or ``positive``/``negative`` (any case);
    blank lines are skipped. Errors name the file and, for a bad line, its number:
    ``FileNotFoundError`` for a missing file, ``ValueError`` for an empty file, a line without a
    tab, an empty sentence or an unknown label.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"labelled file not found: {path}")
    sentences, labels = [], []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            label, tab, sentence = line.partition("\t")
            where = f"{path}, line {number}"
            if not tab:
                raise ValueError(f"{where}: expected 'label<TAB>sentence', found no tab: {line!r}")
            if not sentence.strip():
                raise ValueError(f"{where}: the sentence after the tab is empty")
            key = label.strip().lower()
            if key not in LABEL_NAMES:
                raise ValueError(
                    f"{where}: unknown label {label!r}; use one of {sorted(LABEL_NAMES)}"
                )
            sentences.append(sentence.strip())
            labels.append(LABEL_NAMES[key])
    if not sentences:
        raise ValueError(f"{path} is empty: expected lines of 'label<TAB>sentence'")
    return LabelledSentences(np.array(sentences, dtype=str), np.array(labels, dtype=np.int64))


def split_labelled(
    data: LabelledSentences, dev_fraction: float = 0.2, test_fraction: float = 0.2, seed: int = 0
) -> SentimentSplits:
    """Shuffle ``data`` (for example a loaded file) and cut it into train, dev and test.

    The dev and test sets get ``round(fraction * n)`` sentences each (at least one); the rest is
    the training set. Duplicate sentences are not removed: a file may repeat a sentence, and then
    a copy can land in more than one split.
    """
    if not isinstance(data, LabelledSentences):
        raise TypeError(f"data must be LabelledSentences, got {type(data).__name__}")
    for value, what in ((dev_fraction, "dev_fraction"), (test_fraction, "test_fraction")):
        if not 0 < value < 1:
            raise ValueError(f"{what} must lie in (0, 1), got {value!r}")
    n = len(data)
    n_dev = max(1, round(dev_fraction * n))
    n_test = max(1, round(test_fraction * n))
    if n - n_dev - n_test < 1:
        raise ValueError(
            f"{n} sentences are too few for {n_dev} dev, {n_test} test and a training set"
        )
    order = np.random.default_rng(seed).permutation(n)
    parts = np.split(order, [n - n_dev - n_test, n - n_test])
    return SentimentSplits(
        *(LabelledSentences(data.sentences[part], data.labels[part]) for part in parts)
    )


@dataclass(frozen=True)
class Featurized:
    """Bag-of-words tensors: each split is ``(X (n, V) float32, y (n,) int64)``.

    ``vectorizer`` is the fitted scikit-learn vectorizer; ``vocabulary`` (V,) its features in
    column order.
    """

    train: tuple[torch.Tensor, torch.Tensor]
    dev: tuple[torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor] | None
    vectorizer: object

    @property
    def input_dim(self) -> int:
        """V, the number of features."""
        return int(self.train[0].shape[1])

    @property
    def vocabulary(self) -> np.ndarray:
        """The features (words or n-grams) in column order, (V,)."""
        return self.vectorizer.get_feature_names_out()


def featurize(
    train: LabelledSentences,
    dev: LabelledSentences,
    test: LabelledSentences | None = None,
    *,
    kind: str = "count",
    ngram_range: tuple[int, int] = (1, 1),
    binary: bool = False,
    min_df: int = 1,
    max_features: int | None = None,
) -> Featurized:
    """Bag-of-words features fitted on ``train`` and applied to every split.

    ``kind`` is ``"count"`` (``CountVectorizer``: word counts) or ``"tfidf"``
    (``TfidfVectorizer``: counts weighted by inverse document frequency, rows of unit norm).
    ``ngram_range=(1, 2)`` adds bigrams; ``binary`` records presence instead of counts. Words
    of one letter are dropped (scikit-learn's default tokenizer).
    """
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    vectorizers = {"count": CountVectorizer, "tfidf": TfidfVectorizer}
    if kind not in vectorizers:
        raise ValueError(f"kind: unknown name {kind!r}; valid names are: {list(vectorizers)}")
    for name, split in (("train", train), ("dev", dev), ("test", test)):
        if split is not None and not isinstance(split, LabelledSentences):
            raise TypeError(f"{name} must be LabelledSentences, got {type(split).__name__}")
    vectorizer = vectorizers[kind](
        ngram_range=ngram_range, binary=binary, min_df=min_df, max_features=max_features
    )
    vectorizer.fit(train.sentences)

    def tensors(split: LabelledSentences) -> tuple[torch.Tensor, torch.Tensor]:
        X = vectorizer.transform(split.sentences).toarray()  # (n, V)
        return torch.tensor(X, dtype=torch.float32), torch.tensor(split.labels, dtype=torch.int64)

    return Featurized(
        tensors(train), tensors(dev), None if test is None else tensors(test), vectorizer
    )
