"""Neighbours at scale: KeyedVectors.kneighbors (exact, in blocks) against most_similar, and
the approximate index of build_index (faiss) against the exact search, on real vectors."""

import pickle
import warnings

import numpy as np
import pytest

import skw2v
from skw2v import _ann, _neighbours
from skw2v._neighbours import top_rows

faiss = pytest.importorskip("faiss")


def recall(found, exact):
    return np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, exact)])


def test_top_rows_is_a_sort_with_ties_by_index():
    rng = np.random.default_rng(0)
    for shape, k in [((50, 7), 3), ((40, 100), 10), ((10, 5), 5), ((30, 20), 20)]:
        scores = rng.integers(0, 5, size=shape).astype(np.float32)  # many ties
        expected = [sorted(range(shape[1]), key=lambda j: (-row[j], j))[:k] for row in scores]
        assert top_rows(scores, k).tolist() == expected


def test_exact_kneighbors_are_most_similars(kv, monkeypatch):
    monkeypatch.setattr(_neighbours, "BLOCK_SCORES", 7 * len(kv))  # blocks of 7 words
    indices, sims = kv.kneighbors(topn=10)
    assert indices.shape == sims.shape == (len(kv), 10)
    assert indices.dtype == np.int64 and sims.dtype == np.float32
    assert not (indices == np.arange(len(kv))[:, None]).any()  # each word's own row left out
    batch = kv.most_similar_batch(kv.index_to_key, topn=10)
    for row, expected in enumerate(batch):
        np.testing.assert_allclose(sims[row], [s for _, s in expected], atol=1e-5)
        words = [kv.index_to_key[i] for i in indices[row]]
        same = [w for w, _ in expected]
        # equal up to the order of near-ties (float rounding of two products)
        assert words == same or sorted(words) == sorted(same) or \
            np.ptp(sims[row]) < 1e-5, (kv.index_to_key[row], words, same)
    assert np.all(np.diff(sims, axis=1) <= 0)


def test_kneighbors_of_chosen_keys(kv):
    keys = ["government", "police", "government"]
    indices, sims = kv.kneighbors(keys, topn=3)
    for key, row, sim in zip(keys, indices, sims):
        expected = kv.most_similar(key, topn=3)
        assert [kv.index_to_key[i] for i in row] == [w for w, _ in expected]
        np.testing.assert_allclose(sim, [s for _, s in expected], atol=1e-5)
    small = skw2v.KeyedVectors(["a", "b", "c"], np.array([[1, 0], [1, 1], [0, 1]]))
    assert small.kneighbors("b", topn=5)[0].shape == (1, 2)  # at most the other words
    with pytest.raises(KeyError, match="not in vocabulary"):
        kv.kneighbors(["government", "zzzunknown"])
    with pytest.raises(ValueError, match="topn"):
        kv.kneighbors(topn=0)


@pytest.fixture(scope="module")
def indexed(kv):
    copy = skw2v.KeyedVectors(kv.index_to_key, kv.vectors, counts=np.arange(len(kv))[::-1])
    return copy.build_index(random_state=0)


def test_the_index_finds_the_exact_neighbours(indexed):
    exact, exact_sims = indexed.kneighbors(topn=10)
    found, sims = indexed.kneighbors(topn=10, approximate=True)
    assert found.shape == (len(indexed), 10)
    assert not (found == np.arange(len(indexed))[:, None]).any()
    assert recall(found, exact) >= 0.95
    # what it finds, it scores exactly (cosines of the same unit vectors)
    unit = indexed.get_vector("police", norm=True)
    row = indexed.get_index("police")
    np.testing.assert_allclose(
        sims[row], [unit @ indexed.get_vector(indexed.index_to_key[i], norm=True)
                    for i in found[row]], atol=1e-5)
    for word in ("government", "police", "fire"):
        approx = indexed.most_similar(word, topn=5, approximate=True)
        assert [w for w, _ in approx][:3] == [w for w, _ in indexed.most_similar(word, topn=5)][:3]


def test_ivf_index(kv):
    copy = skw2v.KeyedVectors(kv.index_to_key, kv.vectors)
    copy.build_index(random_state=0, kind="ivf", n_probe=8)
    assert copy.index.kind == "ivf" and copy.index.options["n_probe"] == 8
    assert recall(copy.kneighbors(topn=10, approximate=True)[0],
                  copy.kneighbors(topn=10)[0]) >= 0.9


def test_a_seeded_one_thread_build_is_reproducible(kv):
    def build(seed):
        copy = skw2v.KeyedVectors(kv.index_to_key, kv.vectors)
        return copy.build_index(random_state=seed, n_threads=1).index.to_bytes()

    assert np.array_equal(build(3), build(3))


def test_no_index_no_approximate_search(kv):
    copy = skw2v.KeyedVectors(kv.index_to_key, kv.vectors)
    for call in (lambda: copy.most_similar("police", approximate=True),
                 lambda: copy.kneighbors(["police"], approximate=True)):
        with pytest.raises(ValueError, match=r"call build_index\(\) first"):
            call()


def test_the_index_goes_with_the_vectors_it_was_built_on(indexed):
    copy = pickle.loads(pickle.dumps(indexed))
    assert copy.index is not None
    assert np.array_equal(copy.kneighbors(["police"], approximate=True)[0],
                          indexed.kneighbors(["police"], approximate=True)[0])
    copy.vectors = copy.vectors * 2  # new vectors: the old index would answer for the old
    assert copy.index is None
    with pytest.raises(ValueError, match="build_index"):
        copy.most_similar("police", approximate=True)


def test_bad_options_get_clear_errors(kv):
    copy = skw2v.KeyedVectors(kv.index_to_key, kv.vectors)
    with pytest.raises(ValueError, match="kind must be one of"):
        copy.build_index(kind="annoy")
    with pytest.raises(TypeError, match=r"unknown option\(s\) \['n_probe'\] for kind='hnsw'"):
        copy.build_index(n_probe=3)
    with pytest.raises(ValueError, match="M must be an int >= 1"):
        copy.build_index(M=0)
    with pytest.raises(ValueError, match="neither topn=None nor restrict_vocab"):
        copy.build_index().most_similar("police", restrict_vocab=100, approximate=True)


def test_estimators_save_and_load_the_index(english_docs, tmp_path):
    vec = skw2v.CBOWVectorizer(vector_size=32, min_count=5, epochs=1, n_jobs=2,
                               random_state=0).fit(english_docs[:60])
    vec.wv_.build_index(random_state=0)
    path = tmp_path / "model.skw2v"
    vec.save(path)
    loaded = skw2v.load(path)
    assert loaded.wv_.index is not None and loaded.wv_.index.options == vec.wv_.index.options
    for word in vec.wv_.index_to_key[:20]:
        assert loaded.wv_.most_similar(word, approximate=True) == \
            vec.wv_.most_similar(word, approximate=True)
    # without faiss the model loads, without its index, and says so
    pickled = pickle.dumps(vec)

    def missing():
        raise ImportError("no faiss")

    original = _ann.faiss_module
    _ann.faiss_module = missing
    try:
        with pytest.warns(UserWarning, match="call build_index"):
            bare = skw2v.load(path)
        with pytest.warns(UserWarning, match="call build_index"):
            assert pickle.loads(pickled).wv_.index is None
    finally:
        _ann.faiss_module = original
    assert bare.wv_.index is None
    assert np.array_equal(bare.transform(english_docs[:3]), vec.transform(english_docs[:3]))
    vec.partial_fit(english_docs[60:70])  # the vectors moved: the index is gone
    assert vec.wv_.index is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        vec.save(tmp_path / "again.skw2v")


def test_embedding_vectorizer_exposes_the_index(kv):
    emb = skw2v.EmbeddingVectorizer(kv).fit(["the police"])
    emb.wv_.build_index(random_state=0)
    assert emb.wv_.most_similar("police", topn=3, approximate=True)


def test_auto_takes_ivf_for_millions_of_words(kv, monkeypatch):
    copy = skw2v.KeyedVectors(kv.index_to_key, kv.vectors)
    assert copy.build_index().index.kind == "hnsw"  # fewer than AUTO_IVF_WORDS
    monkeypatch.setattr(_ann, "AUTO_IVF_WORDS", len(kv))
    assert copy.build_index(n_probe=4).index.kind == "ivf"
    assert copy.index.options["n_probe"] == 4
