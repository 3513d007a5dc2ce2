"""CBOWVectorizer(init_vectors=..., lock_init_vectors=...): training that starts from
pretrained vectors, with their rows frozen or not."""

import os
import re

import numpy as np
import pytest
from conftest import gensim_data

from skw2v import CBOWVectorizer, KeyedVectors, load

DIM = 50


def _tokens(doc):
    return re.findall(r"\b\w+\b", doc.lower())


@pytest.fixture(scope="module")
def news(lee_docs):
    return [_tokens(d) for d in lee_docs]


@pytest.fixture(scope="module")
def pretrained_file(news, tmp_path_factory):
    """Vectors another tool wrote: gensim's CBOW on the news, in word2vec text format."""
    gensim_data("lee_background.cor")  # skips without gensim
    from gensim.models import Word2Vec

    model = Word2Vec(news, vector_size=DIM, min_count=3, sg=0, epochs=20, seed=0, workers=1)
    path = tmp_path_factory.mktemp("pretrained") / "news.txt"
    model.wv.save_word2vec_format(path)
    return str(path)


@pytest.fixture(scope="module")
def domain(news):
    """The news with half of 'police' written as a new word, 'polizei'."""
    rng = np.random.default_rng(0)
    return [["polizei" if w == "police" and rng.random() < 0.5 else w for w in doc]
            for doc in news]


def _fit(docs, init, lock, **params):
    options = dict(vector_size=DIM, min_count=3, epochs=10, n_jobs=1, random_state=0)
    return CBOWVectorizer(init_vectors=init, lock_init_vectors=lock,
                          **{**options, **params}).fit(docs)


def _shared(model, kv):
    return [w for w in model.wv_.index_to_key if w in kv]


@pytest.mark.slow
@pytest.mark.parametrize("solver", ["hogwild", "minibatch"])
def test_locked_rows_stay_bit_identical_and_new_words_find_their_neighbours(
        domain, pretrained_file, solver):
    init = KeyedVectors.load_word2vec_format(pretrained_file)
    model = _fit(domain, pretrained_file, True, solver=solver,
                 **({"alpha": 0.01} if solver == "minibatch" else {}))
    shared = _shared(model, init)
    assert "polizei" not in init and len(shared) == len(model.wv_) - 1
    assert np.array_equal(model.wv_[shared].view(np.uint32), init[shared].view(np.uint32))
    assert np.any(model.syn1neg_ != 0)  # the output weights learned
    if solver == "hogwild":  # the exact update; the minibatch solver's steps are coarser
        neighbours = [w for w, _ in model.most_similar("polizei", topn=10)]
        assert "police" in neighbours, neighbours


def test_hogwild_threads_keep_locked_rows(domain, pretrained_file):
    init = KeyedVectors.load_word2vec_format(pretrained_file)
    model = _fit(domain, pretrained_file, True, n_jobs=2, epochs=2)
    shared = _shared(model, init)
    assert np.array_equal(model.wv_[shared].view(np.uint32), init[shared].view(np.uint32))


def test_unlocked_rows_start_from_the_vectors_and_train(domain, pretrained_file):
    init = KeyedVectors.load_word2vec_format(pretrained_file)
    start = _fit(domain, pretrained_file, False, epochs=1, alpha=1e-6, min_alpha=1e-6)
    shared = _shared(start, init)
    np.testing.assert_allclose(start.wv_[shared], init[shared], atol=1e-4)  # barely moved
    trained = _fit(domain, pretrained_file, False, epochs=3)
    assert not np.array_equal(trained.wv_[shared], init[shared])
    scratch = _fit(domain, None, False, epochs=1, alpha=1e-6, min_alpha=1e-6)
    assert np.abs(scratch.wv_[shared] - init[shared]).max() > 0.1


def test_words_without_pretrained_vectors_start_as_without_init(domain, pretrained_file):
    # the random draws do not depend on init_vectors: the new word starts where it would
    ours = _fit(domain, pretrained_file, True, epochs=1, alpha=1e-9, min_alpha=1e-9)
    plain = _fit(domain, None, False, epochs=1, alpha=1e-9, min_alpha=1e-9)
    np.testing.assert_allclose(ours.wv_["polizei"], plain.wv_["polizei"], atol=1e-6)


def test_partial_fit_keeps_locked_rows_and_starts_new_words_from_the_vectors(
        domain, pretrained_file):
    init = KeyedVectors.load_word2vec_format(pretrained_file)
    half = len(domain) // 2
    model = _fit(domain[:half], pretrained_file, True, epochs=2)
    model.partial_fit(domain[half:])
    shared = _shared(model, init)
    assert len(shared) > len(_shared(_fit(domain[:half], None, False, epochs=1), init))
    assert np.array_equal(model.wv_[shared].view(np.uint32), init[shared].view(np.uint32))


def test_sources_and_persistence(domain, pretrained_file, tmp_path):
    init = KeyedVectors.load_word2vec_format(pretrained_file)
    from_path = _fit(domain, pretrained_file, True, epochs=1)
    from_kv = _fit(domain, init, True, epochs=1)
    np.testing.assert_array_equal(from_path.wv_.vectors, from_kv.wv_.vectors)
    path = tmp_path / "model.skw2v"
    from_path.save(path)
    restored = load(path)
    assert restored.get_params()["init_vectors"] == pretrained_file
    assert restored.lock_init_vectors is True
    with pytest.raises(ValueError, match="cannot save parameter init_vectors"):
        from_kv.save(tmp_path / "kv.skw2v")


def test_wrong_size_is_refused_before_reading(pretrained_file):
    consumed = []

    def docs():
        consumed.append(1)
        yield ["police"]

    with pytest.raises(ValueError, match=f"vectors of size {DIM}, but vector_size=20; set "
                                         f"vector_size={DIM}"):
        CBOWVectorizer(vector_size=20, init_vectors=pretrained_file).fit(docs())
    assert not consumed
    with pytest.raises(FileNotFoundError, match="no such vectors file"):
        CBOWVectorizer(init_vectors=os.path.join("nowhere", "v.vec")).fit([["a"]])
