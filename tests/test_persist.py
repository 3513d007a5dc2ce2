"""Saving and loading CBOWVectorizer: the safe format, pickle, joblib and skops."""

import copy
import io
import json
import os
import pickle
import re
import zipfile

import joblib
import numpy as np
import pytest
from sklearn.base import clone

from conftest import gensim_data
from skw2v import CBOWVectorizer, LineCorpus, load
from skw2v._persist import FORMAT_NAME

DATA = os.path.join(os.path.dirname(__file__), "data")
PARAMS = dict(min_count=5, vector_size=20, epochs=2, n_jobs=1, random_state=0)
QUERY_DOCS = ["the government said on monday", "no known words here qqqzzz", ""]


@pytest.fixture(scope="module")
def docs():
    return list(LineCorpus(gensim_data("lee_background.cor")))


@pytest.fixture(scope="module")
def fitted(docs):
    return CBOWVectorizer(**PARAMS).fit(docs)


@pytest.fixture(scope="module")
def saved(fitted, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "lee.skw2v"
    fitted.save(path)
    return path


def assert_same_model(a, b, docs):
    assert a.get_params() == b.get_params()
    assert np.array_equal(a.wv_.vectors, b.wv_.vectors)
    assert np.array_equal(a.syn1neg_, b.syn1neg_)
    assert a.wv_.index_to_key == b.wv_.index_to_key
    assert a.vocabulary_ == b.vocabulary_
    assert np.array_equal(a.wv_.counts, b.wv_.counts)
    assert a._vocab.rare_counts == b._vocab.rare_counts
    assert a.loss_curve_ == b.loss_curve_
    assert a.n_words_trained_ == b.n_words_trained_
    assert a.corpus_total_words_ == b.corpus_total_words_
    assert np.array_equal(a.transform(docs[:50] + QUERY_DOCS), b.transform(docs[:50] + QUERY_DOCS))
    assert a.most_similar("government", topn=5) == b.most_similar("government", topn=5)
    assert a.similarity("australia", "government") == b.similarity("australia", "government")


def continue_training(a, b, docs):
    """partial_fit on both gives identical models (the random state was saved too)."""
    a, b = copy.deepcopy(a), copy.deepcopy(b)
    extra = docs[:100] + ["zyxwv " * 6]  # a new word reaching min_count
    a.partial_fit(extra)
    b.partial_fit(extra)
    assert "zyxwv" in b.vocabulary_
    assert np.array_equal(a.wv_.vectors, b.wv_.vectors)
    assert a.loss_curve_ == b.loss_curve_ and len(b.loss_curve_) == 4


# ------------------------------------------------------------------ safe format
def test_round_trip(fitted, saved, docs):
    loaded = load(saved)
    assert isinstance(loaded, CBOWVectorizer)
    assert_same_model(fitted, loaded, docs)
    continue_training(fitted, loaded, docs)


def test_file_is_plain_npz_with_json(saved, fitted):
    with np.load(saved, allow_pickle=False) as npz:
        meta = json.loads(npz["metadata"].tobytes().decode("utf-8"))
        assert npz["vectors"].dtype == np.float32
        assert npz["vectors"].shape == fitted.wv_.vectors.shape
    assert meta["format"] == FORMAT_NAME and meta["format_version"] == 1
    assert meta["params"]["vector_size"] == 20
    assert meta["words"] == fitted.wv_.index_to_key


@pytest.mark.parametrize("agg", ["sif", "minmax"])
def test_round_trip_agg_and_rng_param(docs, tmp_path, agg):
    est = CBOWVectorizer(**{**PARAMS, "random_state": np.random.RandomState(3)}, agg=agg,
                         stop_words=["the", "a"]).fit(docs[:150])
    path = tmp_path / "m.skw2v"
    est.save(path)
    loaded = load(path)
    # the SIF common component is estimated at every fit, so agg can change after loading
    assert np.array_equal(loaded.sif_component_, est.sif_component_)
    assert np.array_equal(est.transform(docs[:20]), loaded.transform(docs[:20]))
    assert np.array_equal(est.set_params(agg="sif").transform(docs[:20]),
                          loaded.set_params(agg="sif").transform(docs[:20]))
    assert loaded.random_state.get_state()[2] == est.random_state.get_state()[2]
    assert np.array_equal(loaded.random_state.get_state()[1], est.random_state.get_state()[1])
    assert loaded.stop_words == ["the", "a"]


def test_compressed_and_pathlike(fitted, tmp_path, docs):
    path = tmp_path / "model.bin"  # no .npz is appended to the name
    fitted.save(path, compress=True)
    assert os.listdir(tmp_path) == ["model.bin"]
    assert_same_model(fitted, load(str(path)), docs)


def test_save_overwrites_atomically(fitted, tmp_path):
    path = tmp_path / "m.skw2v"
    path.write_bytes(b"old")
    fitted.save(path)
    assert load(path).wv_.vectors.shape == fitted.wv_.vectors.shape
    assert os.listdir(tmp_path) == ["m.skw2v"]


@pytest.mark.parametrize("param, value", [
    ("tokenizer", str.split),
    ("preprocessor", lambda s: s.lower()),
    ("callbacks", [lambda est, stats: None]),
])
def test_callable_params_refuse_to_save(fitted, tmp_path, param, value):
    est = copy.deepcopy(fitted).set_params(**{param: value})
    path = tmp_path / "m.skw2v"
    path.write_bytes(b"previous")
    with pytest.raises(ValueError, match=rf"cannot save parameter {param}=.*pickle"):
        est.save(path)
    assert path.read_bytes() == b"previous"  # nothing overwritten
    assert os.listdir(tmp_path) == ["m.skw2v"]  # no temporary file left


def test_unfitted_refuses_to_save(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        CBOWVectorizer().save(tmp_path / "m.skw2v")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such model file"):
        load(tmp_path / "nope.skw2v")


# ------------------------------------------------------------------ malformed files
def rewrite(saved, tmp_path, drop=(), **replace):
    """Copy the saved archive, dropping or replacing members (raw bytes or arrays)."""
    with np.load(saved, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files if k not in drop}
    arrays.update(replace)
    path = tmp_path / "bad.skw2v"
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def meta_with(saved, **changes):
    with np.load(saved, allow_pickle=False) as npz:
        meta = json.loads(npz["metadata"].tobytes())
    meta.update(changes)
    return np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)


def expect_invalid(path, match):
    with pytest.raises(ValueError, match="not a skw2v model file") as info:
        load(path)
    assert type(info.value) is ValueError
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert re.search(match, str(info.value)), str(info.value)


def test_random_bytes(tmp_path):
    path = tmp_path / "random.skw2v"
    path.write_bytes(np.random.RandomState(0).bytes(5000))
    expect_invalid(path, "not a zip archive")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.skw2v"
    path.write_bytes(b"")
    expect_invalid(path, "not a zip archive")


@pytest.mark.parametrize("fraction", [0.01, 0.3, 0.6, 0.99])
def test_truncated(saved, tmp_path, fraction):
    data = saved.read_bytes()
    path = tmp_path / "cut.skw2v"
    path.write_bytes(data[: int(len(data) * fraction)])
    expect_invalid(path, "npz archive|unreadable")


def test_corrupted_member_bytes(saved, tmp_path):
    data = bytearray(saved.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(64)
    path = tmp_path / "flipped.skw2v"
    path.write_bytes(bytes(data))
    expect_invalid(path, "unreadable|npz archive|NaN|must|dtype")


def test_pickle_inside_zip_is_never_executed(saved, tmp_path):
    class Boom:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    path = tmp_path / "evil.skw2v"
    with np.load(saved, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("payload.pkl", pickle.dumps(Boom()))
    expect_invalid(path, "unexpected member")
    # an object array in place of an expected member
    obj = np.array([Boom()], dtype=object)
    buf = io.BytesIO()
    np.save(buf, obj, allow_pickle=True)
    with np.load(saved, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files if k != "counts"}
    with zipfile.ZipFile(path, "w") as zf:
        for name, arr in arrays.items():
            member = io.BytesIO()
            np.save(member, arr)
            zf.writestr(name + ".npy", member.getvalue())
        zf.writestr("counts.npy", buf.getvalue())
    expect_invalid(path, "'counts' is unreadable")
    # a bare pickle file
    path.write_bytes(pickle.dumps(Boom()))
    expect_invalid(path, "not a zip archive")
    assert not (tmp_path / "pwned").exists()


def test_plain_zip_without_npy(tmp_path):
    path = tmp_path / "z.skw2v"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "hi")
    expect_invalid(path, "unexpected member")


@pytest.mark.parametrize("drop", ["metadata", "vectors", "syn1neg", "counts", "rare_words",
                                  "random_state_key"])
def test_missing_member(saved, tmp_path, drop):
    expect_invalid(rewrite(saved, tmp_path, drop=[drop]), f"missing member.*{drop}")


@pytest.mark.parametrize("name, value, match", [
    ("vectors", np.zeros((3, 20), np.float32), "'vectors' has dtype float32 and shape"),
    ("vectors", None, "'vectors' has dtype float64"),  # float64 instead of float32
    ("syn1neg", np.zeros((5, 5), np.float32), "'syn1neg'.*shape"),
    ("counts", np.zeros(4, np.int64), "'counts'.*shape"),
    ("rare_counts", np.zeros(2, np.int64), "'rare_counts'.*shape"),
    ("random_state_key", np.zeros(10, np.uint32), "random_state key"),
    ("sif_component", np.zeros(7, np.float32), "'sif_component'.*shape"),
    ("metadata", np.frombuffer(b"{not json", np.uint8), "not valid JSON"),
    ("metadata", np.frombuffer(b"\xff\xfe", np.uint8), "not valid JSON"),
    ("metadata", np.zeros(3, np.float32), "uint8"),
    ("rare_words", np.frombuffer(b"[1, 2]", np.uint8), "rare_words must be"),
    ("extra", np.zeros(3), "unexpected member"),
])
def test_bad_members(saved, fitted, tmp_path, name, value, match):
    if value is None:
        value = fitted.wv_.vectors.astype(np.float64)
    expect_invalid(rewrite(saved, tmp_path, **{name: value}), match)


def test_non_finite_vectors(saved, fitted, tmp_path):
    vectors = fitted.wv_.vectors.copy()
    vectors[3, 4] = np.nan
    expect_invalid(rewrite(saved, tmp_path, vectors=vectors), "NaN or infinity")


@pytest.mark.parametrize("changes, match", [
    ({"format": "something-else"}, "format is 'something-else'"),
    ({"format_version": 99}, "format_version 99 is not supported"),
    ({"estimator": "Word2Vec"}, "estimator 'Word2Vec'"),
    ({"words": ["a", 1]}, "words must be a list of strings"),
    ({"loss_curve": "x"}, "loss_curve"),
    ({"n_words_trained": -1}, "n_words_trained"),
    ({"random_state": [1, 2]}, "random_state must be"),
    ({"params": {"vector_size": 20, "frobnicate": 1}}, "unknown parameter.*frobnicate"),
    ({"params": {"vector_size": -3}}, "invalid parameters"),
    ({"params": {"vector_size": 21}}, "'vectors'.*shape"),
    ({"params": []}, "params must be"),
])
def test_bad_metadata(saved, tmp_path, changes, match):
    expect_invalid(rewrite(saved, tmp_path, metadata=meta_with(saved, **changes)), match)


def test_metadata_missing_key(saved, tmp_path):
    with np.load(saved, allow_pickle=False) as npz:
        meta = json.loads(npz["metadata"].tobytes())
    del meta["loss_curve"]
    blob = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    expect_invalid(rewrite(saved, tmp_path, metadata=blob), "lacks.*loss_curve")


def test_duplicate_words(saved, fitted, tmp_path):
    words = list(fitted.wv_.index_to_key)
    words[1] = words[0]
    expect_invalid(rewrite(saved, tmp_path, metadata=meta_with(saved, words=words)),
                   "bad vocabulary")


# ------------------------------------------------------------------ other serialisers
def test_pickle_round_trip(fitted, docs):
    loaded = pickle.loads(pickle.dumps(fitted))
    assert_same_model(fitted, loaded, docs)
    continue_training(fitted, loaded, docs)


def test_joblib_round_trip(fitted, docs, tmp_path):
    joblib.dump(fitted, tmp_path / "m.joblib")
    loaded = joblib.load(tmp_path / "m.joblib")
    assert_same_model(fitted, loaded, docs)
    continue_training(fitted, loaded, docs)


def test_skops_round_trip(fitted, docs, tmp_path):
    sio = pytest.importorskip("skops.io")
    path = tmp_path / "m.skops"
    sio.dump(fitted, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert set(untrusted) <= {"skw2v._vectorizer.CBOWVectorizer",
                              "skw2v._keyedvectors.KeyedVectors", "skw2v._vocab.Vocabulary"}
    loaded = sio.load(path, trusted=untrusted)
    assert_same_model(fitted, loaded, docs)
    continue_training(fitted, loaded, docs)


def test_clone_of_loaded_is_unfitted(saved):
    fresh = clone(load(saved))
    assert not hasattr(fresh, "wv_")
    assert fresh.get_params() == CBOWVectorizer(**PARAMS).get_params()


# ------------------------------------------------------------------ shared vocabulary
def test_one_vocabulary_object(fitted, saved, docs):
    """vocabulary_ and wv_.key_to_index are one mapping, after fit, load, pickle and partial_fit."""
    more = copy.deepcopy(fitted).partial_fit(docs[:50] + ["zyxwv " * 6])
    for est in (fitted, load(saved), pickle.loads(pickle.dumps(fitted)), more):
        assert est.vocabulary_ is est.wv_.key_to_index is est._vocab.key_to_index
        assert est.wv_.index_to_key is est._vocab.index_to_key
        assert est.wv_.counts is est._vocab.counts
    assert "zyxwv" in more.wv_ and more.wv_.index_to_key[more.vocabulary_["zyxwv"]] == "zyxwv"


def test_fitted_state_round_trips_through_set(fitted, docs):
    state = fitted._get_fitted_state()
    fresh = CBOWVectorizer(**PARAMS)
    fresh._set_fitted_state(state)
    assert_same_model(fitted, fresh, docs)


def test_bad_fitted_state_changes_nothing(fitted, docs):
    est = copy.deepcopy(fitted)
    state = est._get_fitted_state()
    state["vectors"] = state["vectors"][:, :3]
    with pytest.raises(ValueError, match="'vectors' has dtype float32 and shape"):
        est._set_fitted_state(state)
    assert_same_model(fitted, est, docs)


# ------------------------------------------------------------------ files of skw2v 0.1
def assert_float32_close(got, expected):
    """Equal to float32 rounding: numbers computed on another CPU (vector width, BLAS)
    differ in the last bits (SIF on an older CPU: 19 of 40 values by up to 5e-10,
    relative 1e-5 on the smallest); an error of the computation is far larger."""
    scale = float(np.abs(expected).max())
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * scale)


@pytest.mark.cross_cpu
@pytest.mark.parametrize("agg", ["mean", "sif"])
def test_files_saved_by_0_1_load_and_transform_as_before(agg):
    est = load(os.path.join(DATA, f"model-0.1-{agg}.skw2v"))
    with open(os.path.join(DATA, "model-0.1-docs.json"), encoding="utf-8") as f:
        docs = json.load(f)
    expected = np.load(os.path.join(DATA, f"model-0.1-{agg}-transform.npy"))
    assert_float32_close(est.transform(docs), expected)
    assert est.vocabulary_ is est.wv_.key_to_index
    est.partial_fit(docs * 3)  # continues training
    assert len(est.loss_curve_) == 4 and est.sif_component_ is not None
    for other in ("mean", "sum", "max", "minmax", "sif"):  # re-estimated by partial_fit
        assert est.set_params(agg=other).transform(docs).shape[0] == len(docs)


@pytest.mark.cross_cpu
def test_sif_on_a_0_1_file_without_the_component_says_what_to_do():
    est = load(os.path.join(DATA, "model-0.1-mean.skw2v"))
    assert est.sif_component_ is None
    with pytest.raises(ValueError, match="saved by skw2v 0.1.*fit it again, or partial_fit"):
        est.set_params(agg="sif").transform(["a document"])
    assert est.set_params(agg="minmax").transform(["a document"]).shape == (1, 16)
