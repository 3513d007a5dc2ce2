import numpy as np
import pytest

from skw2v import Vocabulary
from skw2v._analyzer import build_analyzer
from skw2v._corpus import read_corpus


def test_vocabulary_matches_gensim_on_real_text(lee_docs):
    gensim = pytest.importorskip("gensim")
    analyzer = build_analyzer()
    tokens = [analyzer(d) for d in lee_docs]
    raw = read_corpus(tokens, analyzer)
    vocab = Vocabulary.from_counts(raw.words, raw.counts, min_count=5)
    model = gensim.models.Word2Vec(min_count=5, sample=1e-3)
    model.build_vocab(tokens)
    assert vocab.index_to_key == list(model.wv.index_to_key)  # same words, ties ordered alike
    theirs = {w: model.wv.get_vecattr(w, "count") for w in model.wv.index_to_key}
    assert {w: int(c) for w, c in zip(vocab.index_to_key, vocab.counts)} == theirs
    assert (np.diff(vocab.counts) <= 0).all()
    # gensim stores the keep probability scaled to 2**32 in sample_int.
    gensim_keep = np.array([model.wv.get_vecattr(w, "sample_int") for w in vocab.index_to_key]) / 2**32
    np.testing.assert_allclose(vocab.keep_probs(1e-3), np.minimum(gensim_keep, 1.0), rtol=1e-5)


def test_min_count_max_vocab_and_ties():
    # a and c tie: as gensim orders them, the word seen later comes first
    vocab = Vocabulary.from_counts(["a", "b", "c", "d"], [3, 5, 3, 1], min_count=2)
    assert vocab.index_to_key == ["b", "c", "a"]
    limited = Vocabulary.from_counts(["a", "b", "c", "d"], [3, 5, 3, 1], min_count=2,
                                     max_vocab_size=2)
    assert limited.index_to_key == ["b", "c"]
    assert limited.key_to_index == {"b": 0, "c": 1}
    assert limited.rare_counts == {"a": 3, "d": 1}
    assert limited.total_words == 8


def test_update_counts_cumulatively_and_appends_new_words():
    vocab = Vocabulary.from_counts(["a", "b", "c"], [5, 2, 1], min_count=3)
    grown = vocab.update(["b", "c", "a", "z"], [2, 1, 1, 9], min_count=3)
    assert grown.index_to_key == ["a", "z", "b"]        # old order kept, new by count
    assert grown.counts.tolist() == [6, 9, 4]
    assert grown.rare_counts == {"c": 2}
    assert vocab.index_to_key == ["a"]                  # the original is unchanged


def test_update_orders_new_words_like_a_fresh_vocabulary():
    vocab = Vocabulary.from_counts(["a", "b"], [5, 1], min_count=3)
    grown = vocab.update(["b", "x", "y", "z"], [2, 3, 4, 3], min_count=3)
    fresh = Vocabulary.from_counts(["b", "x", "y", "z"], [3, 3, 4, 3], min_count=3)
    assert grown.index_to_key == ["a"] + fresh.index_to_key == ["a", "y", "z", "x", "b"]
    assert vocab.update(["x", "y"], [3, 3], min_count=3, max_vocab_size=2).index_to_key == ["a", "y"]


def test_keep_probs_disabled_and_formula():
    vocab = Vocabulary(["x", "y"], [900, 100])
    assert (vocab.keep_probs(0) == 1).all()
    t = 1e-3 * 1000
    expected = np.minimum((np.sqrt(np.array([900, 100]) / t) + 1) * t / np.array([900, 100]), 1)
    np.testing.assert_allclose(vocab.keep_probs(1e-3), expected, rtol=1e-6)
