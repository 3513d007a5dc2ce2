import os
import pickle
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

gensim = pytest.importorskip("gensim")

from skw2v._keyedvectors import KeyedVectors  # noqa: E402


def assert_same_results(ours, theirs, atol=1e-5):
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=atol)


def test_attributes(kv, gkv):
    assert kv.vectors.dtype == np.float32 and kv.vectors.flags.c_contiguous
    assert kv.vectors.shape == (1762, 10) and kv.vector_size == 10 and len(kv) == 1762
    assert kv.index_to_key == gkv.index_to_key
    assert kv.key_to_index == gkv.key_to_index
    assert kv.counts is None
    assert list(kv)[:3] == gkv.index_to_key[:3]


def test_constructor_converts_types():
    kv = KeyedVectors(("a", "b"), [[1, 2], [3, 4]], counts=[5.0, 2.0])
    assert kv.vectors.dtype == np.float32 and kv.counts.dtype == np.int64
    np.testing.assert_array_equal(kv.counts, [5, 2])
    assert kv.key_to_index == {"a": 0, "b": 1}


@pytest.mark.parametrize(
    "keys, vectors, counts, match",
    [
        (["a", "a"], np.eye(2), None, "'a' appears more than once"),
        (["a", 3], np.eye(2), None, "position 1 is int"),
        (["a", "b"], np.eye(3), None, "2 rows"),
        (["a", "b"], np.ones(2), None, "2-D"),
        (["a", "b"], np.eye(2), [1, 2, 3], r"counts must have shape \(2,\)"),
    ],
)
def test_constructor_rejects(keys, vectors, counts, match):
    with pytest.raises(ValueError, match=match):
        KeyedVectors(keys, vectors, counts)


def test_lookup(kv, gkv):
    word = kv.index_to_key[7]
    np.testing.assert_array_equal(kv[word], gkv[word])
    np.testing.assert_array_equal(kv[[word, "the"]], gkv[[word, "the"]])
    assert kv[[]].shape == (0, 10)
    np.testing.assert_allclose(
        kv.get_vector(word, norm=True), gkv.get_vector(word, norm=True), atol=1e-6)
    assert kv.get_index(word) == 7 and word in kv and "no-such-word" not in kv


@pytest.mark.parametrize("call", [
    lambda kv: kv["foo_unknown"],
    lambda kv: kv.get_vector("foo_unknown"),
    lambda kv: kv[["the", "foo_unknown"]],
    lambda kv: kv.most_similar("foo_unknown"),
    lambda kv: kv.most_similar(positive=["the"], negative=["foo_unknown"]),
    lambda kv: kv.similarity("the", "foo_unknown"),
    lambda kv: kv.most_similar_batch(["the", "foo_unknown"]),
])
def test_unknown_word_keyerror_names_it(kv, call):
    with pytest.raises(KeyError, match="word 'foo_unknown' not in vocabulary"):
        call(kv)


QUERIES = [
    dict(positive="night"),
    dict(positive=["night"], topn=5),
    dict(positive=["president", "police"], negative=["man"]),
    dict(positive=["city", "state"], negative=["the"], topn=20),
    dict(negative=["night"], topn=3),
    dict(positive=["night", "day"], topn=7, restrict_vocab=300),
]


@pytest.mark.parametrize("query", QUERIES)
def test_most_similar_matches_gensim(kv, gkv, query):
    assert_same_results(kv.most_similar(**query), gkv.most_similar(**query))


def test_most_similar_vector_inputs_match_gensim(kv, gkv):
    vec = gkv["night"] * 3.0
    assert_same_results(kv.most_similar(vec), gkv.most_similar(vec))
    query = dict(positive=[vec, "day"], negative=[gkv["man"]], topn=15)
    assert_same_results(kv.most_similar(**query), gkv.most_similar(**query))
    assert_same_results(kv.similar_by_vector(vec, topn=4), gkv.similar_by_vector(vec, topn=4))
    # a 2-D array counts as a list of vectors, as in gensim
    two = np.stack([gkv["night"], gkv["day"]])
    assert_same_results(kv.most_similar(two), gkv.most_similar(two))


def test_most_similar_topn_none_and_zero(kv, gkv):
    ours = kv.most_similar(["night"], ["day"], topn=None)
    np.testing.assert_allclose(ours, gkv.most_similar(["night"], ["day"], topn=None), atol=1e-5)
    assert ours.shape == (len(kv),)
    assert kv.most_similar("night", topn=None, restrict_vocab=50).shape == (50,)
    assert len(kv.most_similar("night", topn=10**6)) == len(kv) - 1
    assert kv.most_similar("night", topn=0) == []
    assert len(kv.most_similar("night", topn=np.int64(3))) == 3


def test_most_similar_excludes_inputs_and_rejects_bad_vectors(kv):
    words = [w for w, _ in kv.most_similar(["night", "day"], ["man"], topn=len(kv))]
    assert not {"night", "day", "man"} & set(words)
    with pytest.raises(ValueError, match="shape"):
        kv.most_similar(np.ones(3))
    with pytest.raises(ValueError, match="NaN"):
        kv.most_similar(np.full(10, np.nan))
    with pytest.raises(ValueError, match="no input"):
        kv.most_similar()


def test_batch_equals_single_queries(kv):
    words = kv.index_to_key[:40] + ["night", "day"]
    batch = kv.most_similar_batch(words, topn=8)
    for word, result in zip(words, batch):
        assert_same_results(result, kv.most_similar(word, topn=8))
        assert word not in [w for w, _ in result]
    matrix = kv.vectors[[3, 9, 200]] * 2.5
    for vec, result in zip(matrix, kv.most_similar_batch(matrix, topn=6, restrict_vocab=500)):
        assert_same_results(result, kv.similar_by_vector(vec, topn=6, restrict_vocab=500))
    assert kv.most_similar_batch("night", topn=3) == [kv.most_similar_batch(["night"], topn=3)[0]]


def test_similarity_family_matches_gensim(kv, gkv):
    for a, b in [("night", "day"), ("the", "the")]:
        assert kv.similarity(a, b) == pytest.approx(float(gkv.similarity(a, b)), abs=1e-6)
        assert kv.distance(a, b) == pytest.approx(float(gkv.distance(a, b)), abs=1e-6)
    ws1, ws2 = ["night", "city"], ["day", "state", "minister"]
    assert kv.n_similarity(ws1, ws2) == pytest.approx(float(gkv.n_similarity(ws1, ws2)), abs=1e-6)
    with pytest.raises(ZeroDivisionError):
        kv.n_similarity([], ["day"])
    words = ["night", "day", "morning", "president"]
    assert kv.doesnt_match(words) == gkv.doesnt_match(words)


def test_doesnt_match_drops_unknown_words(kv):
    with pytest.warns(UserWarning, match="zzz_unknown"):
        assert kv.doesnt_match(["night", "day", "zzz_unknown", "president"]) == kv.doesnt_match(
            ["night", "day", "president"])
    with pytest.raises(ValueError, match="empty"), pytest.warns(UserWarning):
        kv.doesnt_match(["zzz_unknown"])


NAN = np.full(10, np.nan)
# (call, error type, message): each argument checked as the estimator checks its parameters
BAD_ARGUMENTS = [
    (lambda kv: kv.most_similar("night", topn=-1), ValueError,
     r"The 'topn' parameter of most_similar must be None or an int in the range \[0, inf\)\. "
     r"Got -1 instead\."),
    (lambda kv: kv.most_similar("night", topn=2.5), TypeError, "'topn' parameter"),
    (lambda kv: kv.most_similar("night", topn="5"), TypeError, "'topn' parameter"),
    (lambda kv: kv.most_similar("night", restrict_vocab=0), ValueError,
     "'restrict_vocab' parameter of most_similar must be None or an int"),
    (lambda kv: kv.most_similar("night", restrict_vocab=1.5), TypeError, "'restrict_vocab'"),
    (lambda kv: kv.most_similar(positive=5), TypeError,
     r"'positive' parameter of most_similar must be a word \(str\), a vector of shape \(10,\)"),
    (lambda kv: kv.most_similar(positive=b"night"), TypeError, "'positive' parameter"),
    (lambda kv: kv.most_similar(["night", 5]), TypeError, r"Got 5 \(int\) at position 1"),
    (lambda kv: kv.most_similar(["night"], [["day", "man"]]), TypeError,
     "'negative' parameter of most_similar must be numeric vectors"),
    (lambda kv: kv.most_similar(negative=[np.ones(3)]), ValueError,
     r"'negative' parameter .* shape \(10,\).* Got shape \(3,\) at position 0"),
    (lambda kv: kv.most_similar(NAN), ValueError, "must be finite vectors. Got NaN"),
    (lambda kv: kv.most_similar(), ValueError, "no input"),
    (lambda kv: kv.most_similar([]), ValueError,
     "most_similar needs at least one word or vector in 'positive' or 'negative'"),
    (lambda kv: kv.similar_by_vector("night"), TypeError,
     r"'vector' parameter of similar_by_vector must be a vector of shape \(10,\)\. Got 'night'"),
    (lambda kv: kv.similar_by_vector(np.ones(11)), ValueError, r"Got shape \(11,\) instead"),
    (lambda kv: kv.similar_by_vector(np.ones(10), topn=-2), ValueError,
     "'topn' parameter of similar_by_vector"),
    (lambda kv: kv.most_similar_batch(["night"], topn=None), TypeError,
     r"'topn' parameter of most_similar_batch must be an int in the range \[1, inf\)"),
    (lambda kv: kv.most_similar_batch(["night"], restrict_vocab=-1), ValueError,
     "'restrict_vocab' parameter of most_similar_batch"),
    (lambda kv: kv.most_similar_batch(np.ones((2, 3))), ValueError,
     r"shape \(n_queries, 10\)\. Got shape \(2, 3\)"),
    (lambda kv: kv.most_similar_batch(np.ones(10)), ValueError, r"Got shape \(10,\)"),
    (lambda kv: kv.most_similar_batch(NAN[None]), ValueError, "finite vectors"),
    (lambda kv: kv.most_similar_batch(["night", 3]), TypeError,
     r"'queries' parameter .* list of words \(str\)\. Got 3 \(int\) at position 1"),
    (lambda kv: kv.n_similarity("night", ["day"]), TypeError,
     r"'ws1' parameter of n_similarity must be a list of words \(str\)\. Got 'night'"),
    (lambda kv: kv.n_similarity(["night"], [1.0]), TypeError, "'ws2' parameter"),
    (lambda kv: kv.doesnt_match("night day"), TypeError, "'words' parameter of doesnt_match"),
    (lambda kv: kv.doesnt_match(["night", None]), TypeError, "None .NoneType. at position 1"),
    (lambda kv: kv.doesnt_match([]), ValueError, "must be a non-empty list of words"),
    (lambda kv: kv.save_word2vec_format(os.devnull, binary="yes"), TypeError,
     "'binary' parameter of save_word2vec_format must be an instance of 'bool'"),
    (lambda kv: kv.save_word2vec_format(os.devnull, write_header=None), TypeError,
     "'write_header' parameter"),
    (lambda kv: KeyedVectors.load_word2vec_format(os.devnull, limit=1.5), TypeError,
     "'limit' parameter of load_word2vec_format must be None or an int in the range \\[0"),
    (lambda kv: KeyedVectors.load_word2vec_format(os.devnull, no_header="no"), TypeError,
     "'no_header' parameter"),
]


@pytest.mark.parametrize("call, error, message", BAD_ARGUMENTS)
def test_bad_arguments_say_what_is_wrong(kv, call, error, message):
    with pytest.raises(error, match=message):
        call(kv)


def test_from_vocabulary_shares_the_vocabulary(tmp_path):
    keys, key_to_index = ["a", "b", "c"], {"a": 0, "b": 1, "c": 2}
    kv = KeyedVectors._from_vocabulary(keys, key_to_index, [[1, 0], [1, 1], [0, 1]], [5, 3, 1])
    assert kv.key_to_index is key_to_index and kv.index_to_key is keys
    assert kv.counts.tolist() == [5, 3, 1] and kv.vectors.dtype == np.float32
    # no query or save changes the shared objects
    kv.most_similar("a"), kv.most_similar_batch(["a", "c"]), kv.doesnt_match(["a", "b", "c"])
    kv.save_word2vec_format(tmp_path / "v.txt")
    assert keys == ["a", "b", "c"] and key_to_index == {"a": 0, "b": 1, "c": 2}
    clone, clone_dict = pickle.loads(pickle.dumps((kv, key_to_index)))
    assert clone.key_to_index is clone_dict  # sharing survives pickling
    with pytest.raises(ValueError, match="key_to_index has 2 words but index_to_key has 3"):
        KeyedVectors._from_vocabulary(keys, {"a": 0, "b": 1}, np.eye(3, 2), None)


def test_unit_cache_zero_rows_and_invalidation():
    kv = KeyedVectors(["a", "b", "c"], np.array([[0.0, 0.0], [3.0, 4.0], [3e38, 3e38]]))
    unit = kv._unit_vectors()
    assert np.isfinite(unit).all() and unit.dtype == np.float32
    np.testing.assert_array_equal(unit[0], [0, 0])
    np.testing.assert_allclose(unit[1], [0.6, 0.8])
    np.testing.assert_allclose(unit[2], [2 ** -0.5] * 2, rtol=1e-6)  # no overflow
    assert kv.similarity("a", "b") == 0.0
    kv.vectors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert kv._unit is None
    assert kv.most_similar("a", topn=1)[0][0] == "c"
    with pytest.raises(ValueError, match="3 rows"):
        kv.vectors = np.eye(2)


def test_pickle_drops_cache(kv):
    kv.most_similar("night")
    assert kv._unit is not None
    assert "_unit" not in kv.__getstate__() or kv.__getstate__()["_unit"] is None
    clone = pickle.loads(pickle.dumps(kv))
    assert clone._unit is None and clone.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(clone.vectors, kv.vectors)
    assert clone.most_similar("night") == kv.most_similar("night")


def test_concurrent_queries_match_serial(gkv):
    fresh = KeyedVectors(gkv.index_to_key, gkv.vectors)  # cache empty: threads race to fill it
    words = gkv.index_to_key[:64]
    barrier = threading.Barrier(8)

    def work(chunk):
        barrier.wait()
        return [fresh.most_similar(w, topn=5) for w in chunk]

    with ThreadPoolExecutor(8) as pool:
        parallel = [r for part in pool.map(work, [words[i::8] for i in range(8)]) for r in part]
    serial_kv = KeyedVectors(gkv.index_to_key, gkv.vectors)
    serial = [serial_kv.most_similar(w, topn=5) for i in range(8) for w in words[i::8]]
    assert parallel == serial
