"""Tests of coursekit.data.sentiment: the generated corpus, the file loader and the features."""

import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from coursekit.data.sentiment import (
    LabelledSentences,
    featurize,
    generate_sentences,
    load_labelled_file,
    make_sentiment_splits,
    save_labelled_file,
)
from coursekit.mlp import SentimentClassifier
from coursekit.training import evaluate, seed_everything, train

pytestmark = pytest.mark.nb10

# The oracle's own lexicon and rules, written independently of the generator.
GOOD = set(
    "good great excellent wonderful brilliant enjoyable charming delightful clever moving".split()
)
BAD = set("bad awful terrible boring dull weak clumsy tedious bland disappointing".split())
FLIPS = {"not", "never", "hardly"}


def clause_polarity(clause: str) -> int:
    """+1/-1: the polarity of the one adjective in a clause, flipped by a negator before it."""
    words = clause.replace(",", " ").split()
    adjectives = [i for i, w in enumerate(words) if w in GOOD | BAD]
    assert len(adjectives) == 1, clause
    i = adjectives[0]
    polarity = 1 if words[i] in GOOD else -1
    return -polarity if FLIPS & set(words[:i]) else polarity


def oracle_label(sentence: str) -> int:
    """Label a sentence by the rules of the corpus: the clause after 'but' or after the
    'although' clause decides; 'and' joins clauses that agree."""
    if "although" in sentence.split():
        conceded, decisive = sentence.split(",")
    elif " but " in sentence:
        conceded, decisive = sentence.split(" but ")
    else:
        parts = sentence.split(" and ")
        polarities = {clause_polarity(p) for p in parts}
        assert len(polarities) == 1, sentence
        if len(parts) > 1:
            assert not FLIPS & set(sentence.split()), sentence
        return int(polarities.pop() > 0)
    assert clause_polarity(conceded) == -clause_polarity(decisive), sentence
    return int(clause_polarity(decisive) > 0)


def test_oracle_on_hand_examples():
    assert oracle_label("the movie was not bad") == 1
    assert oracle_label("the movie was not very good") == 0
    assert oracle_label("the plot was hardly enjoyable") == 0
    assert oracle_label("the cast was charming but the plot was dull") == 0
    assert oracle_label("although the plot was dull, the ending was great") == 1


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 400), st.integers(0, 2**32 - 1))
def test_labels_follow_the_rules(n, seed):
    data = generate_sentences(n, np.random.default_rng(seed))
    assert data.sentences.shape == data.labels.shape == (n,)
    assert data.labels.dtype == np.int64
    assert abs(int(data.labels.sum()) - n / 2) <= 0.5
    for sentence, label in zip(data.sentences, data.labels, strict=True):
        assert sentence == sentence.strip() and "  " not in sentence
        assert oracle_label(sentence) == label, sentence


def test_corpus_has_every_construction():
    s = generate_sentences(2000, np.random.default_rng(0)).sentences
    patterns = [r"\bnot bad\b", r"\bnot (very|really|extremely|truly|so|quite) good\b",
                r"\bhardly\b", r"\bnever\b", r" but ", r"^(\w+ )*although ", r" and "]  # fmt: skip
    for pattern in patterns:
        assert any(re.search(pattern, x) for x in s), pattern


def test_splits_are_deterministic_balanced_and_disjoint():
    a = make_sentiment_splits(300, 101, 100, seed=5)
    b = make_sentiment_splits(300, 101, 100, seed=5)
    c = make_sentiment_splits(300, 101, 100, seed=6)
    for name in ("train", "dev", "test"):
        np.testing.assert_array_equal(getattr(a, name).sentences, getattr(b, name).sentences)
        np.testing.assert_array_equal(getattr(a, name).labels, getattr(b, name).labels)
    assert not np.array_equal(a.train.sentences, c.train.sentences)
    assert (len(a.train), len(a.dev), len(a.test)) == (300, 101, 100)
    for split in (a.train, a.dev, a.test):
        assert abs(int(split.labels.sum()) - len(split) / 2) <= 0.5
    everything = np.concatenate([a.train.sentences, a.dev.sentences, a.test.sentences])
    assert len(set(everything)) == everything.size


@pytest.fixture
def one_thread():
    """One BLAS/OpenMP thread: the machine is shared, and oversubscribed threads crawl."""
    from threadpoolctl import threadpool_limits

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(n)


@pytest.mark.parametrize("seed", [0, 1])
def test_bag_of_words_linear_model_loses_to_an_mlp(one_thread, seed):
    """Negation makes the label an XOR of word features: a hidden layer is needed."""
    splits = make_sentiment_splits(2000, 500, 1000, seed=seed)
    feats = featurize(splits.train, splits.dev, splits.test)
    Xtr, ytr = (t.numpy() for t in feats.train)
    Xte, yte = (t.numpy() for t in feats.test)
    linear = LogisticRegression(C=10.0, max_iter=2000).fit(Xtr, ytr)
    linear_train, linear_test = linear.score(Xtr, ytr), linear.score(Xte, yte)
    assert linear_train < 0.8  # not even the training set is linearly separable

    seed_everything(seed)
    model = SentimentClassifier(feats.input_dim, [64], "relu")
    train(model, feats.train, feats.dev, lr=1e-2, epochs=5, batch_size=64, seed=seed,
          progress=False)  # fmt: skip
    _, mlp_test = evaluate(model, feats.test)
    assert linear_test < 0.75
    assert mlp_test > linear_test + 0.15
    # contrasts keep every bag of words below 100 %: about 1/5 of sentences, half of them lost
    assert mlp_test < 0.95

    bigrams = featurize(splits.train, splits.dev, splits.test, ngram_range=(1, 2))
    linear2 = LogisticRegression(C=10.0, max_iter=2000).fit(*(t.numpy() for t in bigrams.train))
    assert linear2.score(*(t.numpy() for t in bigrams.test)) > linear_test + 0.1


def test_featurize_counts_and_tfidf():
    train_set = LabelledSentences(
        np.array(["not bad not bad at all", "good film", "a dull film"]), np.array([1, 1, 0])
    )
    dev_set = LabelledSentences(np.array(["bad bad unseenword", "film"]), np.array([0, 1]))
    f = featurize(train_set, dev_set)
    vocab = list(f.vocabulary)
    assert "a" not in vocab  # one-letter words are dropped
    assert sorted(vocab) == ["all", "at", "bad", "dull", "film", "good", "not"]
    assert f.input_dim == 7
    X, y = f.train
    assert X.dtype == torch.float32 and y.dtype == torch.int64 and X.shape == (3, 7)
    assert X[0, vocab.index("bad")] == 2 and X[0, vocab.index("not")] == 2
    Xd, yd = f.dev
    assert Xd[0].sum() == 2 and Xd[0, vocab.index("bad")] == 2  # unseen word ignored
    assert torch.equal(yd, torch.tensor([0, 1]))
    assert f.test is None

    t = featurize(train_set, dev_set, kind="tfidf", ngram_range=(1, 2))
    assert "not bad" in list(t.vocabulary)
    torch.testing.assert_close(t.train[0].norm(dim=1), torch.ones(3))
    b = featurize(train_set, dev_set, binary=True)
    assert b.train[0].max() == 1
    with pytest.raises(ValueError, match="kind.*count"):
        featurize(train_set, dev_set, kind="word2vec")
    with pytest.raises(TypeError, match="dev"):
        featurize(train_set, ["film"])


def test_file_round_trip(tmp_path):
    data = generate_sentences(25, np.random.default_rng(3))
    path = tmp_path / "corpus.tsv"
    save_labelled_file(path, data)
    loaded = load_labelled_file(path)
    np.testing.assert_array_equal(loaded.sentences, data.sentences)
    np.testing.assert_array_equal(loaded.labels, data.labels)


def test_loader_spellings_and_blank_lines(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_text("pos\tloved it\n\nNEGATIVE\thated it\r\n0\tmeh  \n positive \tfine\n")
    loaded = load_labelled_file(str(path))
    assert loaded.labels.tolist() == [1, 0, 0, 1]
    assert loaded.sentences.tolist() == ["loved it", "hated it", "meh", "fine"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("\n  \n", "empty"),
        ("1\tgood\n0 bad movie\n", r"line 2.*no tab"),
        ("1\tgood\n\n2\tso so\n", r"line 3.*unknown label '2'.*negative"),
        ("1\tgood\n0\t  \n", r"line 2.*sentence.*empty"),
    ],
)
def test_loader_errors(tmp_path, text, message):
    path = tmp_path / "bad.tsv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as info:
        load_labelled_file(path)
    assert "bad.tsv" in str(info.value)


def test_loader_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.tsv"):
        load_labelled_file(tmp_path / "nothere.tsv")


def test_generator_arguments():
    with pytest.raises(ValueError, match="n must"):
        generate_sentences(0, np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        generate_sentences(5, 0)
    with pytest.raises(ValueError, match="n_dev"):
        make_sentiment_splits(10, -1, 10)


def test_labelled_sentences_accepts_lists_and_checks_shapes():
    data = LabelledSentences(["good", "bad"], [1, 0])
    assert data.sentences.dtype.kind == "U" and data.labels.dtype == np.int64 and len(data) == 2
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        LabelledSentences(["good", "bad"], [1, 0, 1])


def test_split_labelled_shuffles_and_cuts(tmp_path):
    from coursekit.data.sentiment import split_labelled

    data = generate_sentences(50, np.random.default_rng(4))
    s = split_labelled(data, dev_fraction=0.2, test_fraction=0.1, seed=3)
    assert (len(s.train), len(s.dev), len(s.test)) == (35, 10, 5)
    # together the splits hold every example exactly once, with its own label
    pairs = sorted(zip(data.sentences.tolist(), data.labels.tolist(), strict=True))
    joined = [(t, int(lab)) for part in (s.train, s.dev, s.test)
              for t, lab in zip(part.sentences.tolist(), part.labels.tolist(), strict=True)]  # fmt: skip
    assert sorted(joined) == pairs
    again = split_labelled(data, dev_fraction=0.2, test_fraction=0.1, seed=3)
    np.testing.assert_array_equal(s.dev.sentences, again.dev.sentences)
    other = split_labelled(data, dev_fraction=0.2, test_fraction=0.1, seed=4)
    assert not np.array_equal(s.dev.sentences, other.dev.sentences)
    # a loaded file goes through the same way
    path = tmp_path / "mine.tsv"
    path.write_text("pos\tgreat fun\nneg\tdull\n1\tlovely\n0\tawful\n", encoding="utf-8")
    small = split_labelled(load_labelled_file(path), 0.25, 0.25)
    assert (len(small.train), len(small.dev), len(small.test)) == (2, 1, 1)


@pytest.mark.parametrize("kwargs, message", [(dict(dev_fraction=0.0), "dev_fraction"),
                                              (dict(test_fraction=1.0), "test_fraction")])  # fmt: skip
def test_split_labelled_errors(kwargs, message):
    from coursekit.data.sentiment import split_labelled

    data = generate_sentences(10, np.random.default_rng(0))
    with pytest.raises(ValueError, match=message):
        split_labelled(data, **kwargs)
    with pytest.raises(ValueError, match="too few"):
        split_labelled(generate_sentences(2, np.random.default_rng(0)))
    with pytest.raises(TypeError, match="LabelledSentences"):
        split_labelled(["a sentence"])
