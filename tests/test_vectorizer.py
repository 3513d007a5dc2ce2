"""CBOWVectorizer end to end: real neighbours on real text, and the sklearn contract."""

import pickle
import re

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline

from skw2v import CBOWVectorizer, LineCorpus, load
from skw2v._vectorizer import init_input_vectors
from skw2v.datasets import make_analogy_corpus, make_topic_corpus

SANITY = dict(alpha=0.05, window=5, negative=15, min_count=5, epochs=10, sample=0)
SMALL = dict(vector_size=20, min_count=2, epochs=3, n_jobs=1, random_state=0)


@pytest.fixture(scope="module")
def lee_model(lee_docs):
    return CBOWVectorizer(**SANITY, random_state=0, n_jobs=2).fit(lee_docs)


@pytest.fixture(scope="module")
def topics():
    return make_topic_corpus(n_docs=1000, random_state=0)


@pytest.mark.cross_cpu
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gensim_sanity_bombings_near_attacks(lee_docs, seed):
    """gensim's own CBOW check: 'bombings' in the top 50 of most_similar('attacks')."""
    vec = CBOWVectorizer(**SANITY, random_state=seed, n_jobs=2).fit(lee_docs)
    top = [w for w, _ in vec.most_similar("attacks", topn=50)]
    assert "bombings" in top


def test_fitted_attributes(lee_model, lee_docs):
    vec = lee_model
    n_words = len(vec.wv_)
    assert vec.wv_.vectors.shape == (n_words, 100) and vec.wv_.vectors.dtype == np.float32
    assert vec.syn1neg_.shape == (n_words, 100)
    assert vec.vocabulary_ == {w: i for i, w in enumerate(vec.wv_.index_to_key)}
    assert len(vec.loss_curve_) == 10 and all(isinstance(x, float) for x in vec.loss_curve_)
    assert vec.loss_curve_[-1] < vec.loss_curve_[0]
    assert vec.corpus_total_words_ == sum(len(vec.build_analyzer()(d)) for d in lee_docs)
    assert 0 < vec.n_words_trained_ <= 10 * vec.corpus_total_words_
    assert not hasattr(vec, "n_features_in_")


@pytest.mark.slow
def test_quality_close_to_gensim_on_planted_analogies():
    gensim = pytest.importorskip("gensim")
    docs, analogies = make_analogy_corpus(n_sentences=80_000, random_state=0)
    params = dict(vector_size=50, window=5, negative=5, min_count=5, epochs=5)
    ours = CBOWVectorizer(**params, n_jobs=2, random_state=0).fit(docs).wv_
    tokens = [d.split() for d in docs]
    theirs = gensim.models.Word2Vec(tokens, sg=0, cbow_mean=1, hs=0, workers=2, seed=0,
                                    **params).wv

    def accuracy(kv):
        hits = [kv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0] == d
                for a, b, c, d in analogies[::7]]
        return np.mean(hits)

    assert accuracy(ours) > 0.9
    assert accuracy(ours) >= accuracy(theirs) - 0.05


def test_transform_mean_is_mean_of_known_word_vectors(lee_model):
    vec = lee_model
    X = vec.transform(["the government said", "zzzunknownzzz", ""])
    kv = vec.wv_
    expected = np.mean([kv["the"], kv["government"], kv["said"]], axis=0)
    np.testing.assert_allclose(X[0], expected, rtol=1e-5, atol=1e-6)
    assert X.dtype == np.float32 and (X[1:] == 0).all() and np.isfinite(X).all()


@pytest.mark.parametrize("agg, width", [("sum", 1), ("max", 1), ("minmax", 2), ("sif", 1)])
def test_transform_aggregations(lee_docs, agg, width):
    vec = CBOWVectorizer(agg=agg, **SMALL).fit(lee_docs)
    X = vec.transform(lee_docs[:20] + ["qqqq"])
    assert X.shape == (21, 20 * width) and np.isfinite(X).all()
    assert (X[-1] == 0).all()
    kv = vec.wv_
    words = [w for w in vec.build_analyzer()(lee_docs[0]) if w in kv]
    rows = kv[words]
    if agg == "sum":
        np.testing.assert_allclose(X[0], rows.sum(axis=0), rtol=1e-4, atol=1e-5)
    elif agg == "max":
        np.testing.assert_array_equal(X[0], rows.max(axis=0))
    elif agg == "minmax":
        np.testing.assert_array_equal(X[0], np.hstack([rows.min(axis=0), rows.max(axis=0)]))
    else:
        assert abs(X[:20] @ vec.sif_component_).max() < 1e-4  # common component removed


def test_input_forms_agree(lee_docs, tmp_path):
    pd = pytest.importorskip("pandas")
    docs = lee_docs[:100]
    expected = CBOWVectorizer(**SMALL).fit(docs).wv_.vectors
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(docs) + "\n", encoding="utf-8")
    analyzer = CBOWVectorizer().build_analyzer()
    for X in [(d for d in docs), pd.Series(docs), LineCorpus(path),
              [analyzer(d) for d in docs], np.array(docs)]:
        np.testing.assert_array_equal(CBOWVectorizer(**SMALL).fit(X).wv_.vectors, expected)


@pytest.mark.cross_cpu
def test_single_thread_with_seed_is_bit_reproducible(lee_docs):
    a = CBOWVectorizer(**SMALL).fit(lee_docs)
    b = CBOWVectorizer(**SMALL).fit(lee_docs)
    c = CBOWVectorizer(**{**SMALL, "random_state": 1}).fit(lee_docs)
    np.testing.assert_array_equal(a.wv_.vectors, b.wv_.vectors)
    np.testing.assert_array_equal(a.syn1neg_, b.syn1neg_)
    assert a.loss_curve_ == b.loss_curve_
    assert not np.array_equal(a.wv_.vectors, c.wv_.vectors)


def test_pipeline_classifier_beats_chance(topics):
    docs, y = topics
    vec = CBOWVectorizer(**{**SMALL, "epochs": 10})
    scores = cross_val_score(make_pipeline(vec, LogisticRegression(max_iter=1000)), docs, y, cv=3)
    assert scores.mean() > 0.9  # 5 balanced topics: chance is 0.2


def test_grid_search_and_clone(topics):
    docs, y = topics
    pipe = make_pipeline(CBOWVectorizer(**SMALL), LogisticRegression(max_iter=500))
    grid = GridSearchCV(pipe, {"cbowvectorizer__window": [2, 5]}, cv=2).fit(docs, y)
    assert grid.best_params_["cbowvectorizer__window"] in (2, 5)
    cloned = clone(grid.best_estimator_.steps[0][1])
    assert not hasattr(cloned, "wv_") and cloned.get_params() == grid.best_estimator_.steps[0][1].get_params()


def test_column_transformer_on_a_text_column(topics):
    pd = pytest.importorskip("pandas")
    docs, y = topics
    frame = pd.DataFrame({"text": docs, "length": [len(d) for d in docs]})
    ct = ColumnTransformer([("w2v", CBOWVectorizer(**SMALL), "text")], remainder="passthrough")
    X = ct.fit_transform(frame)
    assert X.shape == (len(docs), 21)


def test_set_output_pandas_and_feature_names(lee_model, lee_docs):
    pd = pytest.importorskip("pandas")
    vec = clone(lee_model).set_params(vector_size=8, epochs=1).fit(lee_docs)
    names = vec.get_feature_names_out()
    assert names.tolist() == [f"cbowvectorizer{i}" for i in range(8)]
    out = vec.set_output(transform="pandas").transform(lee_docs[:3])
    assert isinstance(out, pd.DataFrame) and out.columns.tolist() == names.tolist()


def test_pickle_round_trip(lee_model, lee_docs):
    restored = pickle.loads(pickle.dumps(lee_model))
    np.testing.assert_array_equal(restored.transform(lee_docs[:10]), lee_model.transform(lee_docs[:10]))
    assert restored.most_similar("attacks", topn=5) == lee_model.most_similar("attacks", topn=5)


def test_partial_fit_learns_a_new_topic():
    docs, _ = make_analogy_corpus(n_sentences=20_000, random_state=0)
    vec = CBOWVectorizer(vector_size=30, epochs=3, n_jobs=1, random_state=0).partial_fit(docs)
    n_before = len(vec.wv_)
    before = vec.wv_.vectors.copy()
    rng = np.random.RandomState(0)
    fruit, colour = ["apple", "pear", "plum", "fig"], ["red", "green", "blue", "pink"]
    new_docs = [f"i ate a {rng.choice(fruit)} and a {rng.choice(fruit)} today"
                if i % 2 else f"the {rng.choice(colour)} paint and the {rng.choice(colour)} wall"
                for i in range(3000)]
    vec.partial_fit(new_docs)
    assert len(vec.wv_) > n_before and "apple" in vec.wv_ and "paint" in vec.wv_
    assert vec.syn1neg_.shape == vec.wv_.vectors.shape
    assert len(vec.loss_curve_) == 6
    assert not np.array_equal(vec.wv_.vectors[:n_before], before)
    top = [w for w, _ in vec.most_similar("apple", topn=3)]
    assert set(top) & set(fruit)


def test_errors_are_clear(lee_model):
    with pytest.raises(ValueError, match="string object received"):
        CBOWVectorizer().fit("just one string")
    with pytest.raises(ValueError, match="string object received"):
        lee_model.transform("just one string")
    with pytest.raises(ValueError, match="2-D"):
        CBOWVectorizer().fit(np.array([["a b"], ["c d"]]))
    with pytest.raises(TypeError, match="Document 1"):
        CBOWVectorizer().fit(["a b", 3])
    with pytest.raises(TypeError, match="Token 1 of document 0"):
        CBOWVectorizer().fit([["a", None]])
    with pytest.raises(ValueError, match="min_count=5.*occurs 2 times"):
        CBOWVectorizer().fit(["a b a", "c"])
    with pytest.raises(ValueError, match="empty"):
        CBOWVectorizer().fit(["", "  "])
    with pytest.raises(NotFittedError):
        CBOWVectorizer().transform(["a"])
    with pytest.raises(KeyError, match="qqqq"):
        lee_model.most_similar("qqqq")
    with pytest.raises(ValueError, match="Unknown device"):
        CBOWVectorizer(device="tpu").fit(["a a a a a"])


def test_failed_fit_keeps_previous_state(lee_model, lee_docs):
    vec = clone(lee_model).set_params(**SMALL).fit(lee_docs)
    before = vec.wv_.vectors.copy()
    with pytest.raises(ValueError):
        vec.set_params(min_count=10_000).fit(lee_docs)
    np.testing.assert_array_equal(vec.wv_.vectors, before)
    vec.set_params(min_count=SMALL["min_count"])  # the model's: partial_fit refuses another
    with pytest.raises(TypeError):
        vec.partial_fit(["bad", 1])
    np.testing.assert_array_equal(vec.wv_.vectors, before)


def test_divergence_raises_floating_point_error(lee_docs):
    with pytest.raises(FloatingPointError, match="alpha"):
        CBOWVectorizer(alpha=1e30, min_alpha=1e30, **{**SMALL, "epochs": 1}).fit(lee_docs)


def test_partial_fit_with_only_rare_new_words_counts_them_for_later(lee_docs):
    vec = CBOWVectorizer(**SMALL).fit(lee_docs)
    before = vec.wv_.vectors.copy()
    n_losses = len(vec.loss_curve_)
    vec.partial_fit(["zyzzyva"])            # below min_count=2: nothing to train on
    np.testing.assert_array_equal(vec.wv_.vectors, before)
    assert len(vec.loss_curve_) == n_losses and "zyzzyva" not in vec.wv_
    vec.partial_fit(["zyzzyva " + lee_docs[0]])   # its second occurrence: it joins
    assert "zyzzyva" in vec.wv_ and len(vec.loss_curve_) == n_losses + SMALL["epochs"]


def test_input_vectors_start_uniform_in_gensims_range_and_follow_the_seed():
    dim = 50
    got = init_input_vectors(np.random.RandomState(3), 4000, dim)
    assert got.dtype == np.float32 and got.shape == (4000, dim)
    assert got.min() >= -1.0 / dim and got.max() < 1.0 / dim
    # uniform: each tenth of the range holds a tenth of the values
    share = np.histogram(got, bins=10, range=(-1.0 / dim, 1.0 / dim))[0] / got.size
    np.testing.assert_allclose(share, 0.1, atol=0.005)
    assert np.array_equal(got, init_input_vectors(np.random.RandomState(3), 4000, dim))
    assert not np.array_equal(got, init_input_vectors(np.random.RandomState(4), 4000, dim))


# ------------------------------------------------ partial_fit after set_params
CHANGES = [("vector_size", 24), ("min_count", 5), ("max_vocab_size", 100),
           ("ns_exponent", 0.5), ("sample", 0.0), ("lowercase", False),
           ("token_pattern", r"\w\w+"), ("stop_words", "english"),
           ("strip_accents", "ascii"), ("tokenizer", str.split), ("preprocessor", str.upper)]


@pytest.fixture(scope="module")
def fitted(lee_docs):
    return CBOWVectorizer(**SMALL).fit(lee_docs[:100])


@pytest.mark.parametrize("name, new", CHANGES)
def test_partial_fit_refuses_a_change_of_the_model_it_continues(fitted, lee_docs, tmp_path,
                                                                 name, new):
    old = fitted.get_params()[name]
    fitted.save(tmp_path / "m.skw2v")
    for vec in (pickle.loads(pickle.dumps(fitted)), load(tmp_path / "m.skw2v")):
        before = {k: pickle.dumps(v) for k, v in vec.__dict__.items()}
        vec.set_params(**{name: new})
        with pytest.raises(ValueError, match=(
                rf"^partial_fit cannot change {name} from {re.escape(repr(old))} to "
                rf"{re.escape(repr(new))}: .*Call fit to start over with {name}=")):
            vec.partial_fit(lee_docs[100:150])
        vec.set_params(**{name: old})
        assert {k: pickle.dumps(v) for k, v in vec.__dict__.items()} == before  # untouched
    started_over = pickle.loads(pickle.dumps(fitted)).set_params(**{name: new})
    started_over.fit(lee_docs[:100])  # fit takes the new value
    started_over.partial_fit(lee_docs[100:150])  # and continues with it


def test_partial_fit_takes_new_training_settings(fitted, lee_docs):
    vec = pickle.loads(pickle.dumps(fitted))
    vec.set_params(epochs=1, alpha=0.01, min_alpha=0.001, window=3, negative=3, n_jobs=2,
                   agg="sif", max_doc_len=50, verbose=0)
    vec.partial_fit(lee_docs[100:150])
    assert len(vec.loss_curve_) == len(fitted.loss_curve_) + 1
    assert vec.wv_.index_to_key[:len(fitted.wv_)] == fitted.wv_.index_to_key


def test_a_model_pickled_before_parameters_were_added_takes_their_defaults(fitted, lee_docs):
    state = pickle.loads(pickle.dumps(fitted)).__getstate__()
    for name in ("init_vectors", "lock_init_vectors"):  # added in 0.2: absent from 0.1 pickles
        del state[name]
    old = CBOWVectorizer.__new__(CBOWVectorizer)
    old.__setstate__(state)
    params = old.get_params()
    assert params["init_vectors"] is None and params["lock_init_vectors"] is False
    old.partial_fit(lee_docs[100:150])
    assert len(old.loss_curve_) == len(fitted.loss_curve_) + fitted.epochs
