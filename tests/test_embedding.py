"""EmbeddingVectorizer: pretrained vectors from files other tools wrote, as a pipeline step."""

import gzip
import os
import pickle
import shutil
import warnings

import numpy as np
import pytest
from conftest import gensim_data
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import FunctionTransformer, make_pipeline

import skw2v._pretrained as pretrained
from skw2v import CBOWVectorizer, EmbeddingVectorizer, KeyedVectors
from skw2v.datasets import make_topic_corpus

# gensim's shipped vector files: (name, gensim's load_word2vec_format options, our sniffed format)
FILES = [
    ("lee_fasttext.vec", {}, ("word2vec", False, False)),          # fastText .vec
    ("crime-and-punishment.vec", {}, ("word2vec", False, False)),  # fastText .vec
    ("euclidean_vectors.bin", {"binary": True}, ("word2vec", True, False)),
    ("high_precision.kv.bin", {"binary": True}, ("word2vec", True, False)),
    ("high_precision.kv.txt", {}, ("word2vec", False, False)),
    ("test_glove.txt", {"no_header": True}, ("word2vec", False, True)),  # GloVe
]


def gensim_vectors(name, **options):
    from gensim.models import KeyedVectors as GensimKV

    return GensimKV.load_word2vec_format(gensim_data(name), **options)


def reference(docs, analyzer, gkv, agg):
    """Each document's aggregation of gensim-loaded vectors, computed plainly."""
    dim = gkv.vector_size
    out = []
    for doc in docs:
        rows = np.array([gkv[t] for t in analyzer(doc) if t in gkv.key_to_index]).reshape(-1, dim)
        if not len(rows):
            out.append(np.zeros(dim * (2 if agg == "minmax" else 1)))
        elif agg == "minmax":
            out.append(np.concatenate([rows.min(0), rows.max(0)]))
        else:
            out.append({"mean": rows.mean, "sum": rows.sum, "max": rows.max}[agg](0))
    return np.array(out)


@pytest.fixture
def cache(tmp_path):
    pretrained.clear_cache()
    yield str(tmp_path / "cache")
    pretrained.clear_cache()


@pytest.mark.parametrize("name, options, sniffed", FILES)
def test_formats_are_recognised_and_read_as_gensim_reads_them(name, options, sniffed, cache):
    assert pretrained.sniff_format(gensim_data(name)) == sniffed
    gkv = gensim_vectors(name, **options)
    vec = EmbeddingVectorizer(gensim_data(name), cache_dir=cache).fit([gkv.index_to_key[:1]])
    assert vec.wv_.index_to_key == gkv.index_to_key
    np.testing.assert_array_equal(vec.wv_.vectors, gkv.vectors)


@pytest.mark.parametrize("agg", ["mean", "sum", "max", "minmax"])
@pytest.mark.parametrize("name, options", [("lee_fasttext.vec", {}),
                                           ("euclidean_vectors.bin", {"binary": True}),
                                           ("test_glove.txt", {"no_header": True})])
def test_transform_is_the_aggregation_of_gensim_loaded_vectors(name, options, agg, lee_docs,
                                                               cache):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # test_glove.txt's 76 words miss most of the news
        vec = EmbeddingVectorizer(gensim_data(name), agg=agg, cache_dir=cache).fit(lee_docs)
    expected = reference(lee_docs, vec.build_analyzer(), gensim_vectors(name, **options), agg)
    np.testing.assert_allclose(vec.transform(lee_docs), expected, rtol=1e-5, atol=1e-6)


def test_most_similar_matches_gensim(gkv, cache):
    vec = EmbeddingVectorizer(gensim_data("lee_fasttext.vec"), cache_dir=cache).fit(["the"])
    ours = vec.most_similar("government", topn=5)
    theirs = gkv.most_similar("government", topn=5)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-5)


def test_compressed_file_reads_as_the_plain_one(tmp_path, cache):
    source = gensim_data("lee_fasttext.vec")
    packed = tmp_path / "vectors.vec.gz"
    with open(source, "rb") as f, gzip.open(packed, "wb") as g:
        shutil.copyfileobj(f, g)
    plain = EmbeddingVectorizer(source, cache_dir=cache).fit(["the"])
    unpacked = EmbeddingVectorizer(str(packed), cache_dir=cache).fit(["the"])
    assert unpacked.wv_.index_to_key == plain.wv_.index_to_key
    np.testing.assert_array_equal(unpacked.wv_.vectors, plain.wv_.vectors)


def test_limit_loads_the_first_words(cache):
    gkv = gensim_vectors("lee_fasttext.vec", limit=100)
    vec = EmbeddingVectorizer(gensim_data("lee_fasttext.vec"), limit=100,
                              cache_dir=cache).fit(["the"])
    assert vec.wv_.index_to_key == gkv.index_to_key
    np.testing.assert_array_equal(vec.wv_.vectors, gkv.vectors)


def test_keyedvectors_sources_skw2v_and_gensim(gkv, kv, lee_docs, cache):
    from_file = EmbeddingVectorizer(gensim_data("lee_fasttext.vec"), cache_dir=cache)
    expected = from_file.fit_transform(lee_docs)
    for source in (kv, gkv):
        vec = EmbeddingVectorizer(source, lowercase=False)
        np.testing.assert_allclose(vec.fit_transform(lee_docs), expected, rtol=1e-6)
    limited = EmbeddingVectorizer(kv, limit=10).fit(["the"])
    assert limited.wv_.index_to_key == kv.index_to_key[:10]
    assert np.shares_memory(limited.wv_.vectors, kv.vectors)  # a view, not a copy
    # clones share the KeyedVectors given (scikit-learn would deep-copy other objects)
    twin = clone(limited)
    assert twin.vectors is kv and twin.fit(["the"]).wv_ is limited.wv_
    assert clone(CBOWVectorizer(init_vectors=kv)).init_vectors is kv


def test_saved_skw2v_model_as_source(tmp_path, lee_docs, cache):
    model = CBOWVectorizer(vector_size=20, min_count=3, epochs=2, n_jobs=1, random_state=0,
                           agg="sif").fit(lee_docs)
    path = str(tmp_path / "model.skw2v")
    model.save(path)
    assert pretrained.sniff_format(path)[0] == "skw2v"
    vec = EmbeddingVectorizer(path, agg="sif", lowercase=True, cache_dir=cache).fit(lee_docs)
    np.testing.assert_array_equal(vec.wv_.counts, model.wv_.counts)  # SIF weighs by these
    np.testing.assert_allclose(vec.sif_component_, model.sif_component_, atol=1e-5)
    np.testing.assert_allclose(vec.transform(lee_docs), model.transform(lee_docs), atol=1e-5)
    mean = vec.set_params(agg="mean").transform(lee_docs)
    np.testing.assert_allclose(mean, model.set_params(agg="mean").transform(lee_docs), atol=1e-6)


def test_sif_without_counts_weighs_by_the_fit_documents(lee_docs, cache):
    vec = EmbeddingVectorizer(gensim_data("lee_fasttext.vec"), agg="sif",
                              cache_dir=cache).fit(lee_docs)
    counts = vec._counts()
    assert counts.sum() == round((1 - vec.oov_rate_) * sum(
        len(vec.build_analyzer()(d)) for d in lee_docs))
    assert counts[vec.vocabulary_["the"]] > counts[vec.vocabulary_["government"]] > 0
    X = vec.transform(lee_docs)
    # the common component is removed: the documents have (almost) no part along it
    assert np.abs(X @ vec.sif_component_).max() < 1e-4
    assert np.abs(X).max() > 0.01


def test_lowercase_auto_follows_the_vocabulary(cache):
    glove = EmbeddingVectorizer(gensim_data("test_glove.txt"), cache_dir=cache).fit(["The"])
    assert glove.lowercase_ is True  # GloVe is lower-case
    assert glove.transform(["The"])[0].any()
    cased = EmbeddingVectorizer(gensim_data("lee_fasttext.vec"), cache_dir=cache).fit(
        ["Australia"])
    assert cased.lowercase_ is False  # trained on the news as written
    assert cased.vocabulary_.get("Australia") is not None


def test_case_mismatch_warning_says_what_to_set(lee_docs, cache):
    shouting = [d.upper() for d in lee_docs[:50]]
    with pytest.warns(UserWarning, match=r"with lowercase=True .* Set lowercase=True"):
        vec = EmbeddingVectorizer(gensim_data("test_glove.txt"), lowercase=False,
                                  cache_dir=cache).fit(shouting)
    assert vec.oov_rate_ > 0.9
    with pytest.warns(UserWarning, match="check that the vectors are for this language"):
        EmbeddingVectorizer(gensim_data("test_glove.txt"), cache_dir=cache).fit(
            ["zzqx qqzv", "xxyq"])


def test_one_load_per_file_shared_read_only_and_memory_mapped(lee_docs, cache):
    path = gensim_data("lee_fasttext.vec")
    before = pretrained.loads
    first = EmbeddingVectorizer(path, cache_dir=cache).fit(lee_docs)
    clones = [clone(first).fit(lee_docs) for _ in range(3)]
    assert pretrained.loads == before + 1
    assert all(c.wv_ is first.wv_ for c in clones)
    vectors = first.wv_.vectors
    assert not vectors.flags.writeable
    with pytest.raises(ValueError):
        vectors[0, 0] = 1.0
    assert isinstance(vectors.base, np.memmap)  # the .npy in cache_dir, mapped
    # a new process (no in-memory cache) maps the converted file instead of parsing the text
    pretrained.clear_cache()
    reader = pretrained._read_source
    pretrained._read_source = None  # would fail if called
    try:
        again = EmbeddingVectorizer(path, cache_dir=cache).fit(lee_docs)
    finally:
        pretrained._read_source = reader
    np.testing.assert_array_equal(again.wv_.vectors, vectors)


def test_changed_file_is_read_again(tmp_path, cache):
    path = tmp_path / "v.txt"
    KeyedVectors(["a", "b"], np.eye(2)).save_word2vec_format(path)
    assert EmbeddingVectorizer(str(path), cache_dir=cache).fit(["a"]).wv_["a"][0] == 1.0
    KeyedVectors(["a", "b"], 2 * np.eye(2)).save_word2vec_format(path)
    os.utime(path, ns=(1, 1))  # a different modification time even on a coarse clock
    assert EmbeddingVectorizer(str(path), cache_dir=cache).fit(["a"]).wv_["a"][0] == 2.0


def test_pickles_as_parameters_and_checks_the_file_on_reload(tmp_path, lee_docs, cache):
    path = tmp_path / "v.vec"
    shutil.copy(gensim_data("lee_fasttext.vec"), path)
    vec = EmbeddingVectorizer(str(path), agg="sif", cache_dir=cache).fit(lee_docs)
    blob = pickle.dumps(vec)
    # no vectors inside: only the fit's counts of the words the documents use, and numbers
    assert not any(row.tobytes() in blob for row in vec.wv_.vectors[:100])
    assert len(blob) < vec.wv_.vectors.nbytes / 2
    expected = vec.transform(lee_docs[:5])
    pretrained.clear_cache()
    np.testing.assert_array_equal(pickle.loads(blob).transform(lee_docs[:5]), expected)
    KeyedVectors(["other", "words"], np.eye(2)).save_word2vec_format(path)
    os.utime(path, ns=(1, 1))
    with pytest.raises(ValueError, match="not those this EmbeddingVectorizer was fitted with"):
        pickle.loads(blob).transform(lee_docs[:5])


def test_pipeline_cross_validation_and_feature_names(cache):
    docs, y = make_topic_corpus(n_docs=300, random_state=0)
    path = _topic_vectors(docs, cache)
    pipe = make_pipeline(EmbeddingVectorizer(path, cache_dir=cache),
                         LogisticRegression(max_iter=1000))
    assert cross_val_score(pipe, docs, y, cv=3).mean() > 0.9
    vec = EmbeddingVectorizer(path, agg="minmax", cache_dir=cache).fit(docs)
    names = vec.get_feature_names_out()
    assert len(names) == 2 * vec.wv_.vector_size and names[0] == "embeddingvectorizer0"
    frame = vec.set_output(transform="pandas").transform(docs[:3])
    assert list(frame.columns) == list(names)


def _topic_vectors(docs, folder):
    """Vectors of the topic corpus' words, trained with gensim and saved in its binary format."""
    from gensim.models import Word2Vec

    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "topics.bin")
    model = Word2Vec([d.split() for d in docs], vector_size=20, min_count=1, sg=0, epochs=30,
                     seed=0, workers=1)
    model.wv.save_word2vec_format(path, binary=True)
    return path


@pytest.mark.parametrize("source, error, match", [
    ("/nonexistent/vectors.vec", FileNotFoundError, "no such vectors file"),
    (".", IsADirectoryError, "is a directory"),
    (123, TypeError, "The 'vectors' parameter of EmbeddingVectorizer must be .*'str'"),
])
def test_bad_sources_say_what_is_wrong(source, error, match, cache):
    with pytest.raises(error, match=match):
        EmbeddingVectorizer(source, cache_dir=cache).fit(["a"])
    with pytest.raises(error, match=match.replace("'vectors' parameter of Embedding",
                                                  "'init_vectors' parameter of CBOW")):
        CBOWVectorizer(init_vectors=source).fit([["a"]])


@pytest.mark.parametrize("params, match", [
    ({"agg": "median"}, "'agg' parameter"), ({"limit": 0}, "'limit' parameter"),
    ({"lowercase": "yes"}, "'lowercase' parameter"), ({"cache_dir": 3}, "'cache_dir'"),
])
def test_bad_parameters_are_named(params, match, cache):
    with pytest.raises(ValueError, match=match):
        EmbeddingVectorizer(gensim_data("lee_fasttext.vec"), **params).fit(["a"])


def test_unknown_format_says_what_is_supported(tmp_path, cache):
    path = tmp_path / "notes.txt"
    path.write_text("these are not vectors\n")
    with pytest.raises(ValueError, match="cannot tell the format.*GloVe"):
        EmbeddingVectorizer(str(path), cache_dir=cache).fit(["a"])


def test_failed_refit_keeps_the_previous_fit(lee_docs, cache):
    vec = EmbeddingVectorizer(gensim_data("lee_fasttext.vec"), cache_dir=cache).fit(lee_docs)
    before = vec.transform(lee_docs[:3])
    with pytest.raises(TypeError, match="Document 1 is int"):
        vec.fit(["fine", 7])
    np.testing.assert_array_equal(vec.transform(lee_docs[:3]), before)


def _record(X, log):
    """A pipeline step that notes this process, its loads and its resident memory."""
    with open(log, "a") as f:
        f.write(f"{os.getpid()} {pretrained.loads} {_rss()}\n")
    return X


def _rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads /proc")
def test_grid_search_loads_the_vectors_once_per_process(tmp_path, cache):
    docs, y = make_topic_corpus(n_docs=300, random_state=0)
    words = sorted({t for d in docs for t in d.split()})
    n, dim = 100_000, 100  # 38 MiB of float32: copies would show in the resident memory
    rng = np.random.default_rng(0)
    keys = words + [f"filler{i}" for i in range(n - len(words))]
    path = str(tmp_path / "big.bin")
    KeyedVectors(keys, rng.standard_normal((n, dim)).astype(np.float32)).save_word2vec_format(
        path, binary=True)
    log = str(tmp_path / "log.txt")
    pipe = make_pipeline(EmbeddingVectorizer(path, cache_dir=cache),
                         FunctionTransformer(_record, kw_args={"log": log}),
                         LogisticRegression(max_iter=300))
    grid = {"embeddingvectorizer__agg": ["mean", "sum", "max", "minmax", "sif"]}
    GridSearchCV(pipe, grid, cv=3, n_jobs=2, refit=False).fit(docs, y)
    records = {}
    for line in open(log):
        pid, loads, rss = map(int, line.split())
        records.setdefault(pid, []).append((loads, rss))
    assert sum(len(r) for r in records.values()) >= 5 * 3 * 2  # fit and scoring transforms
    nbytes = n * dim * 4
    for pid, rows in records.items():
        loads = {loads for loads, _ in rows}
        assert loads == {1}, f"process {pid} loaded the vectors {sorted(loads)} times"
        growth = max(r for _, r in rows) - min(r for _, r in rows)
        assert growth < nbytes / 2, f"process {pid} grew {growth / 2**20:.0f} MiB over its fits"


@pytest.mark.parametrize("binary, no_header, limit", [
    (False, False, 200), (True, False, 200), (False, True, 200), (False, True, None)])
def test_conversion_reads_rows_straight_into_the_mapped_file(tmp_path, cache, binary,
                                                             no_header, limit, monkeypatch):
    path = str(tmp_path / "v.bin")
    rng = np.random.default_rng(0)
    KeyedVectors([f"w{i}" for i in range(3000)], rng.standard_normal((3000, 50))
                 ).save_word2vec_format(path, binary=binary, write_header=not no_header)
    allocated = []
    open_memmap = np.lib.format.open_memmap
    monkeypatch.setattr(np.lib.format, "open_memmap",
                        lambda *a, **k: (k.get("mode") == "w+" and allocated.append(k["shape"]))
                        or open_memmap(*a, **k))
    vec = EmbeddingVectorizer(path, limit=limit, cache_dir=cache).fit(["w1"])
    # the table was the .npy file, made once at its size (a GloVe file's lines counted first)
    assert allocated == [(limit or 3000, 50)]
    expected = KeyedVectors.load_word2vec_format(path, binary=binary, limit=limit,
                                                 no_header=no_header)
    np.testing.assert_array_equal(vec.wv_.vectors, expected.vectors)
    assert isinstance(vec.wv_.vectors.base, np.memmap)


def test_conversion_with_repeated_words_and_without_header(tmp_path, cache):
    repeated = tmp_path / "repeated.txt"
    repeated.write_text("3 2\na 1 2\nb 3 4\na 5 6\n")
    with pytest.warns(UserWarning, match="duplicate word 'a'"):
        vec = EmbeddingVectorizer(str(repeated), cache_dir=cache).fit(["a b"])
    assert vec.wv_.index_to_key == ["a", "b"]
    np.testing.assert_array_equal(vec.wv_.vectors, [[1, 2], [3, 4]])
    glove = tmp_path / "glove.txt"
    glove.write_text("a 1 2\nb 3 4\n\n\n")  # blank lines: more lines than rows
    vec = EmbeddingVectorizer(str(glove), cache_dir=cache).fit(["a b"])
    np.testing.assert_array_equal(vec.wv_.vectors, [[1, 2], [3, 4]])
    assert isinstance(vec.wv_.vectors.base, np.memmap)
    pretrained.clear_cache()  # a new process maps both conversions
    for path, rows in ((repeated, [[1, 2], [3, 4]]), (glove, [[1, 2], [3, 4]])):
        again = EmbeddingVectorizer(str(path), cache_dir=cache).fit(["a b"])
        np.testing.assert_array_equal(again.wv_.vectors, rows)


def test_unwritable_cache_folder_keeps_a_read_only_copy(tmp_path, lee_docs):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.warns(UserWarning, match="cannot use .* to cache converted vectors"):
        vec = EmbeddingVectorizer(gensim_data("lee_fasttext.vec"),
                                  cache_dir=str(blocker / "cache")).fit(lee_docs)
    assert not vec.wv_.vectors.flags.writeable
    assert vec.transform(lee_docs[:2]).any()


def test_damaged_model_file_is_refused_like_load_refuses_it(tmp_path, cache):
    path = tmp_path / "broken.skw2v"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    with pytest.raises(ValueError, match="not a skw2v model file"):
        EmbeddingVectorizer(str(path), cache_dir=cache).fit(["a"])
