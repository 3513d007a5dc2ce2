"""The bytes lexicon of the reading pass, and the compact word lists and counts it gives."""

import pickle
import random
import tracemalloc

import numpy as np
import pytest

from skw2v import CBOWVectorizer, Vocabulary
from skw2v._analyzer import build_analyzer
from skw2v._corpus import read_corpus
from skw2v._lexicon import Lexicon, WordCounts, WordList


def _reference_ids(batches):
    """First-seen ranks by a plain dict: what the lexicon must give."""
    index, out = {}, []
    for batch in batches:
        out.append([index.setdefault(w, len(index)) for w in batch])
    return out, list(index)


def _check(batches):
    lexicon = Lexicon()
    got = [lexicon.lookup(b).tolist() for b in batches]
    expected, words = _reference_ids(batches)
    assert got == expected
    assert list(lexicon.words()) == words and len(lexicon) == len(words)
    return lexicon


def test_ids_are_first_seen_ranks_on_real_text(lee_docs):
    analyzer = build_analyzer()
    tokens = [t for d in lee_docs for t in analyzer(d)]
    batches = [tokens[i:i + 997] for i in range(0, len(tokens), 997)]
    lexicon = _check(batches)
    assert len(lexicon) > 7000 and len(lexicon.table) >= 4 * Lexicon().table.size  # it grew


def test_unicode_empty_prefixes_and_lone_surrogates():
    words = ["", "a", "ab", "abc", "é", "e\u0301", "日本語", "🙂", "\udcff", "a\x00b", "A", "a b"]
    _check([words, words[::-1], ["ab", "", "🙂", "new"]])
    _check([["ascii", "only"], ["mixed", "été"], ["ascii", "été"]])  # ASCII and not, batch by batch


def test_many_words_and_hash_probing():
    rng = random.Random(0)
    alphabet = "abcdefghijklmnopqrstuvwxyzé"
    pool = ["".join(rng.choices(alphabet, k=rng.randint(1, 12))) for _ in range(60000)]
    batches = [rng.choices(pool, k=8192) for _ in range(40)]
    _check(batches)


def test_joined_and_ended_lookups_agree():
    """A batch joined at NUL (the fast path) and as bytes and ends give the same ids, with
    and without inserting; a token holding a NUL or a lone surrogate takes the slow path."""
    from skw2v._lexicon import _utf8, nul_joined

    rng = random.Random(1)
    pool = ["".join(rng.choices("abcé日", k=rng.randint(0, 9))) for _ in range(3000)]
    joined, ended = Lexicon(), Lexicon()
    for _ in range(6):
        batch = rng.choices(pool, k=4000)
        data = nul_joined("\0".join(batch), len(batch))
        assert np.array_equal(joined.lookup_joined(data, len(batch)),
                              ended.lookup_utf8(*_utf8(batch)))
        unseen = rng.choices(pool + ["new", "ünseen"], k=500)
        data = nul_joined("\0".join(unseen), len(unseen))
        assert np.array_equal(joined.lookup_joined(data, len(unseen), insert=False),
                              ended.lookup_utf8(*_utf8(unseen), insert=False))
    assert joined.words() == ended.words()
    assert nul_joined("a\0b\0c", 2) is None and nul_joined("a\0\udcff", 2) is None
    assert nul_joined("", 0) is None and nul_joined("", 1).tolist() == [0]


def test_word_list_decodes_at_once_as_word_by_word():
    """tolist decodes the words joined at NUL; undecodable bytes split by a word's end
    decode as they do alone."""
    blob = np.frombuffer(b"ab\xe6\x97cd\xff\xe6\x97\xa5x", np.uint8).copy()
    wl = WordList(blob, np.array([0, 3, 4, 4, 7, 9, 11]))
    assert wl.tolist() == [wl[i] for i in range(len(wl))] == [
        "ab\udce6", "\udc97", "", "cd\udcff", "\udce6\udc97", "\udca5x"]
    assert WordList.from_strs(["a\x00", "b"]).tolist() == ["a\x00", "b"]  # word by word
    assert WordList.from_strs([]).tolist() == [] and WordList.from_strs([""]).tolist() == [""]


def test_a_token_that_is_not_a_str_is_named():
    with pytest.raises(TypeError):
        Lexicon().lookup(["a", 3])
    with pytest.raises(TypeError, match=r"Token 1 of document 1 is int"):
        read_corpus([["a", "b"], ["c", 7]], build_analyzer())


def test_word_list_is_a_sequence_of_str():
    words = ["the", "été", "", "🙂", "\udcff"]
    wl = WordList.from_strs(words)
    assert len(wl) == 5 and list(wl) == words and wl == words and words == wl
    assert wl[1] == "été" and wl[-1] == "\udcff" and wl[1:3] == ["été", ""]
    with pytest.raises(IndexError):
        wl[5]
    assert list(wl.take(np.array([4, 0, 0]))) == ["\udcff", "the", "the"]
    assert list(wl.take(np.array([], np.int64))) == []
    assert pickle.loads(pickle.dumps(wl)) == wl
    assert wl != ["the"] and "the" in wl


def test_word_counts_is_a_mapping():
    counts = WordCounts(["x", "ü", "z"], [3, 1, 2])
    assert counts == {"x": 3, "ü": 1, "z": 2} and len(counts) == 3
    assert counts["ü"] == 1 and counts.get("nope") is None and "z" in counts
    assert dict(counts.items()) == {"x": 3, "ü": 1, "z": 2} and list(counts) == ["x", "ü", "z"]
    assert pickle.loads(pickle.dumps(counts)) == counts
    assert WordCounts.from_dict({"a": 1, "b": 2}) == {"a": 1, "b": 2}
    with pytest.raises(ValueError, match="differ in length"):
        WordCounts(["a"], [1, 2])


def test_remap_table_of_a_word_list_equals_the_dict_path(lee_docs):
    analyzer = build_analyzer()
    raw = read_corpus([analyzer(d) for d in lee_docs], analyzer)
    assert isinstance(raw.words, WordList)
    vocab = Vocabulary.from_counts(raw.words, raw.counts, min_count=3)
    fast = vocab.remap_table(raw.words)
    plain = vocab.remap_table(list(raw.words))
    assert fast.dtype == plain.dtype == np.int32 and np.array_equal(fast, plain)
    assert (fast >= 0).sum() == len(vocab)


def test_rare_words_are_held_compactly(lee_docs):
    # 50k distinct words seen once each: a dict of str would hold ~150 bytes a word
    rare = [f"rare{i}" for i in range(50000)]
    docs = [d.split() for d in lee_docs] + [rare[i:i + 10] for i in range(0, len(rare), 10)]
    raw = read_corpus(docs, build_analyzer())
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    vocab = Vocabulary.from_counts(raw.words, raw.counts, min_count=5)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    n_rare = len(vocab.rare_counts)
    assert n_rare > 50000 and isinstance(vocab.rare_counts, WordCounts)
    assert vocab.rare_counts["rare123"] == 1
    per_rare_word = (held - 150 * len(vocab)) / n_rare  # the kept words are str, as they must be
    assert per_rare_word < 40, per_rare_word


def test_partial_fit_counts_rare_words_across_calls(lee_docs):
    docs = [d.lower().split() for d in lee_docs]
    extra = [["zyzzyva", "quokka"]] * 3
    est = CBOWVectorizer(vector_size=10, min_count=5, epochs=1, random_state=0)
    est.fit(docs + extra)
    assert "zyzzyva" not in est.vocabulary_ and est._vocab.rare_counts["zyzzyva"] == 3
    est.partial_fit(extra)
    assert "zyzzyva" in est.vocabulary_ and "quokka" in est.vocabulary_
    assert "zyzzyva" not in est._vocab.rare_counts
    assert isinstance(est._vocab.rare_counts, WordCounts)
