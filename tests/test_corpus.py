"""coursekit.data.corpus: the generated 4-gram corpus, the raw-sentence loader, co-occurrences."""

import re
import time
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coursekit.data import corpus
from coursekit.data import corpus_grammar as grammar

pytestmark = pytest.mark.nb08

SPLITS = ("train", "valid", "test")


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("corpus-cache")


@pytest.fixture(scope="module")
def full(cache_dir):
    start = time.perf_counter()
    data = corpus.load_corpus(0, fast=False, cache_dir=cache_dir)
    return data, time.perf_counter() - start


@pytest.fixture(scope="module")
def sentences():
    return [s.split() for s in corpus.generate_sentences(4000, 7)]


def brute_four_grams(token_lists):
    return Counter(tuple(s[k:k + 4]) for s in token_lists for k in range(len(s) - 3))


def test_vocabulary_has_mask_and_exactly_250_words():
    vocab = corpus.vocabulary()
    assert len(vocab) == 251 and vocab[0] == "[MASK]"
    assert len(set(vocab)) == 251
    assert vocab[1:] == sorted(vocab[1:])
    assert all(re.fullmatch(r"[a-z]+|[.,?]", w) for w in vocab[1:])


def test_full_set_shapes_dtypes_and_sizes(full):
    data, seconds = full
    assert data["vocab"] == corpus.vocabulary()
    for split in SPLITS:
        x, t = data[f"{split}_inputs"], data[f"{split}_targets"]
        assert x.shape == (corpus.FULL_SIZES[split], 4) and x.dtype == np.int64
        np.testing.assert_array_equal(t, x)  # the model predicts the context words themselves
        assert x.min() >= 1 and x.max() <= 250  # [MASK] is drawn at training time
    assert corpus.FULL_SIZES == {"train": 372_500, "valid": 46_568, "test": 46_568}
    assert seconds < 15, f"generating the full set took {seconds:.1f} s"


def test_every_word_occurs_in_training(full):
    counts = np.bincount(full[0]["train_inputs"].ravel(), minlength=251)
    rare = [full[0]["vocab"][i] for i in np.flatnonzero(counts[1:] < 50) + 1]
    assert not rare, f"words (almost) never used: {rare}"


def test_generation_is_deterministic_from_the_seed(full):
    again = corpus.generate_corpus(0)
    for split in SPLITS:
        np.testing.assert_array_equal(again[f"{split}_inputs"], full[0][f"{split}_inputs"])
    assert corpus.generate_sentences(50, 3) == corpus.generate_sentences(50, 3)
    assert corpus.generate_sentences(50, 3) != corpus.generate_sentences(50, 4)


def test_cache_is_reused_and_a_broken_cache_is_regenerated(full, cache_dir):
    files = sorted(p.name for p in cache_dir.iterdir())
    assert len(files) == 1 and re.fullmatch(r"corpus_seed0_[0-9a-f]{12}\.npz", files[0]), files
    path = cache_dir / files[0]
    stamp = path.stat().st_mtime_ns
    cached = corpus.load_corpus(0, fast=False, cache_dir=cache_dir)
    assert path.stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(cached["valid_inputs"], full[0]["valid_inputs"])
    path.write_bytes(b"not an npz file")
    repaired = corpus.load_corpus(0, fast=False, cache_dir=cache_dir)
    np.testing.assert_array_equal(repaired["test_inputs"], full[0]["test_inputs"])
    stale = cache_dir / "corpus_seed0_000000000000.npz"  # from an older grammar
    stale.write_bytes(path.read_bytes())
    corpus.load_corpus(0, fast=False, cache_dir=cache_dir, refresh=True)
    assert sorted(p.name for p in cache_dir.iterdir()) == files


def test_fast_and_size_take_heads_of_the_full_set(full, cache_dir):
    data = full[0]
    fast = corpus.load_corpus(0, cache_dir=cache_dir)  # the tests run with COURSEKIT_FAST=1
    assert fast["train_inputs"].shape == (corpus.FAST_TRAIN_ROWS, 4)
    head = data["train_inputs"][:corpus.FAST_TRAIN_ROWS]
    np.testing.assert_array_equal(fast["train_inputs"], head)
    small = corpus.load_corpus(0, size=800, cache_dir=cache_dir)
    assert small["train_inputs"].shape == (800, 4) and small["valid_inputs"].shape == (100, 4)
    np.testing.assert_array_equal(small["test_targets"], data["test_targets"][:100])
    with pytest.raises(ValueError, match="size"):
        corpus.slice_corpus(data, 0)


def test_rows_are_four_consecutive_words_of_a_sentence():
    text = corpus.generate_sentences(300, 11)
    index = {w: i for i, w in enumerate(corpus.vocabulary())}
    tokens, lengths = grammar.sentences(np.random.default_rng(11), 300)
    assert [len(s.split()) for s in text] == list(lengths)
    grams = corpus._four_grams(tokens, lengths)
    want = brute_four_grams([[index[w] for w in s.split()] for s in text])
    assert Counter(map(tuple, grams.tolist())) == want


def test_sentences_end_with_punctuation_and_agree(sentences):
    third = {v3 for fs in grammar._TRANSITIVE.values() for v3, *_ in fs} | set(grammar._SHARED_VERBS)
    third |= {f[0] for fs in grammar._INTRANSITIVE.values() for f in fs} | {"gives"}
    base = {f[1] for fs in grammar._TRANSITIVE.values() for f in fs}
    base |= set(grammar._SHARED_VERBS.values())
    base |= {f[1] for fs in grammar._INTRANSITIVE.values() for f in fs} | {"give"}
    plural = {w for w, f in zip(grammar._NOUNS[0::3], grammar._NOUNS[1::3], strict=True) if f in "pP"}
    vowel_words = {w for w in corpus.vocabulary()[1:] if w[0] in "aeiou"}
    for s in sentences:
        assert s[-1] in {".", "?"} and s.count(".") + s.count("?") == 1, s
        for a, b in zip(s, s[1:], strict=False):
            assert not (a in {"does", "do", "did", "will", "can", "not"} and b in third), s
            assert not (a in {"i", "we", "they", "you"} | plural and b in third), s
            assert not (a in {"he", "she"} and b in base and s[-1] == "."), s
            assert (a, b) not in {("i", "is"), ("i", "are"), ("he", "are"), ("they", "is")}, s
            assert not (a == "a" and b in vowel_words), s
            assert not (a == "an" and b not in vowel_words), s


def test_topic_verbs_take_objects_of_their_topic(sentences):
    """feeds/chases -> animals, drinks -> drinks, reads -> books or tests, kicks -> balls."""
    classes = grammar._CLASSES
    objects = {"feeds": classes["animals"], "chases": classes["animals"],
               "drinks": classes["drink"], "reads": classes["reading"], "kicks": classes["ball"],
               "cooks": classes["cooked"]}
    nouns = set(grammar._NOUNS[0::3])
    pronouns = set(grammar._OBJECT_PRONOUNS[0].split())
    seen = Counter()
    for s in sentences:
        for k, w in enumerate(s):
            if w in objects:
                nxt = next(x for x in s[k + 1:] if x in nouns | pronouns | {".", "?", ","})
                assert nxt in objects[w].split() or nxt in pronouns, (w, nxt, s)
                seen[w] += 1
    assert all(seen[w] > 5 for w in objects), seen


def test_co_occurrence_shows_topics_and_word_order(full):
    data = full[0]
    w = {x: i for i, x in enumerate(data["vocab"])}
    X = np.exp(corpus.log_cooccurrence(data, 251)) - 1  # the counts
    assert X[w["the"], w["dog"]] > 20 * X[w["dog"], w["the"]]  # not symmetric
    assert X[w["drinks"], w["the"]] > 0 and X[w["the"], w["milk"]] > 0
    assert X[w["drinks"], w["soccer"]] == 0 and X[w["feeds"], w["homework"]] == 0
    assert X[w["dogs"], w["run"]] > 0 and X[w["dogs"], w["runs"]] == 0


# --- co-occurrence against a brute-force loop --------------------------------------------------


def brute_log_cooccurrence(rows, V, symmetric=False, smoothing=1.0, scale=1.0):
    X = np.zeros((V, V))
    for row in rows:
        for a, b in zip(row, row[1:], strict=False):
            X[a, b] += 1
            if symmetric:
                X[b, a] += 1
    return np.log(scale * X + smoothing)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 9), st.integers(1, 30), st.integers(1, 6), st.booleans(),
       st.integers(0, 2**32 - 1))
def test_log_cooccurrence_matches_a_loop(V, rows, width, symmetric, seed):
    data = np.random.default_rng(seed).integers(0, V, size=(rows, width))
    got = corpus.log_cooccurrence(data, V, symmetric=symmetric)
    np.testing.assert_allclose(got, brute_log_cooccurrence(data.tolist(), V, symmetric), atol=1e-12)
    assert got.shape == (V, V) and got.dtype == np.float64


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.integers(0, 5), max_size=7), max_size=6), st.floats(0.1, 3.0),
       st.floats(0.5, 10.0))
def test_log_cooccurrence_of_ragged_sequences(seqs, smoothing, scale):
    got = corpus.log_cooccurrence(seqs, 6, smoothing=smoothing, scale=scale)
    want = brute_log_cooccurrence(seqs, 6, smoothing=smoothing, scale=scale)
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_log_cooccurrence_of_a_dict_uses_training_rows_and_counts_plus_one():
    data = {"train_inputs": np.array([[1, 2, 3, 1]]), "valid_inputs": np.array([[3, 3, 3, 3]])}
    L = corpus.log_cooccurrence(data, 4)
    want = np.zeros((4, 4))
    want[1, 2] = want[2, 3] = want[3, 1] = np.log(2.0)
    np.testing.assert_allclose(L, want)


@pytest.mark.parametrize("bad, err, match", [
    (np.array([[0, 4]]), ValueError, r"index 4 is outside \[0, V=4\)"),
    (np.array([[0, -1]]), ValueError, "index -1"),
    (np.array([[0.0, 1.0]]), TypeError, "integer word indices"),
])
def test_log_cooccurrence_rejects_bad_indices(bad, err, match):
    with pytest.raises(err, match=match):
        corpus.log_cooccurrence(bad, 4)
    with pytest.raises(ValueError, match="V"):
        corpus.log_cooccurrence(np.array([[0, 1]]), 0)
    with pytest.raises(ValueError, match="scale"):
        corpus.log_cooccurrence(np.array([[0, 1]]), 4, scale=0)


def test_word_classes_cover_the_vocabulary():
    classes = corpus.word_classes()
    assert list(classes) == corpus.vocabulary()
    assert set(classes.values()) == set(corpus.WORD_CLASSES)
    assert [classes[w] for w in ("dog", "eats", "hungry", "they", "the", "because", "rain")] == \
        ["noun", "verb", "adjective", "pronoun", "determiner", "other", "noun"]


# --- a user's raw_sentences.txt ----------------------------------------------------------------


def test_loader_reads_a_small_file(tmp_path):
    lines = ["The dog eats the cake.", "", "  a cat sees the dog on the farm !", "too short .",
             "we like the cake , and the dog likes it ."]
    path = tmp_path / "raw_sentences.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = corpus.load_raw_sentences(path, seed=3, fractions=(0.5, 0.25, 0.25))
    tokens = [re.findall(r"[a-z]+|[^\sa-z]", ln.lower()) for ln in lines if ln.strip()]
    words = sorted({w for s in tokens for w in s})
    assert data["vocab"] == ["[MASK]", *words]
    index = {w: i for i, w in enumerate(data["vocab"])}
    rows = np.vstack([data[f"{s}_inputs"] for s in SPLITS])
    want = brute_four_grams([[index[w] for w in s] for s in tokens])
    assert Counter(map(tuple, rows.tolist())) == want
    for s in SPLITS:
        np.testing.assert_array_equal(data[f"{s}_targets"], data[f"{s}_inputs"])
        assert data[f"{s}_inputs"].dtype == np.int64 and data[f"{s}_inputs"].shape[1] == 4
    again = corpus.load_raw_sentences(path, seed=3, fractions=(0.5, 0.25, 0.25))
    np.testing.assert_array_equal(again["train_inputs"], data["train_inputs"])


def test_loader_reads_generated_sentences_back(tmp_path):
    path = tmp_path / "raw_sentences.txt"
    path.write_text("\n".join(corpus.generate_sentences(20000, 1)), encoding="utf-8")
    data = corpus.load_raw_sentences(path)
    assert data["vocab"] == corpus.vocabulary()


def test_loader_errors(tmp_path):
    missing = tmp_path / "nowhere" / "raw_sentences.txt"
    with pytest.raises(FileNotFoundError, match="nowhere"):
        corpus.load_raw_sentences(missing)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n", encoding="utf-8")
    with pytest.raises(ValueError, match="empty"):
        corpus.load_raw_sentences(empty)
    wide = tmp_path / "wide.txt"
    wide.write_text("one two three four five six\nseven eight nine ten eleven twelve\n")
    with pytest.raises(ValueError, match=r"12 distinct words; the limit is vocab_size=10"):
        corpus.load_raw_sentences(wide, vocab_size=10)
    masked = tmp_path / "masked.txt"
    masked.write_text("the [MASK] eats the cake\n")
    with pytest.raises(ValueError, match="reserved"):
        corpus.load_raw_sentences(masked)
