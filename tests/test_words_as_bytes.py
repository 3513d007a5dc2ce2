"""Every word a model holds saves, loads and exports in every format; fit refuses the rest.

A word is a str UTF-8 can hold as bytes, undecodable bytes included as Python
decodes them (``errors="surrogateescape"``, byte 0xE9 -> ``"\\udce9"``): text read
from files in an unknown encoding. Such a word goes out as the bytes it came in
as, and comes back as the same str. Tokens no file can hold (surrogates that no
bytes decode to, empty tokens, spaces and newlines, which end a word2vec word)
are refused by fit at once, naming the token and its document.
"""

import json
import os
import pickle
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import skw2v._pretrained
from skw2v import CBOWVectorizer, EmbeddingVectorizer, KeyedVectors, LineCorpus, load
from skw2v._lexicon import WordList
from skw2v._words import ENCODING, ERRORS, UnstorableWord, check_word, json_utf8
from skw2v._word2vec_format import MAX_KEY_BYTES, key_bytes

gensim = pytest.importorskip("gensim")

SMALL = dict(vector_size=16, min_count=2, epochs=2, n_jobs=1, random_state=0)
CAFE = b"caf\xe9".decode(ENCODING, ERRORS)  # "café" written in Latin-1, read as UTF-8


def _escapes(word):
    return any("\udc80" <= c <= "\udcff" for c in word)


@pytest.fixture(scope="module")
def latin1_corpus(lee_docs, tmp_path_factory):
    """gensim's lee_background.cor with French words, saved in Latin-1 (not UTF-8)."""
    docs = [d + (" le café est ouvert, très naïve" if i % 3 == 0 else "")
            for i, d in enumerate(lee_docs)]
    path = tmp_path_factory.mktemp("latin1") / "corpus.txt"
    path.write_bytes("\n".join(docs).encode("latin-1", "replace"))
    return path


@pytest.fixture(scope="module")
def model(latin1_corpus):
    # read as UTF-8, keeping the undecodable bytes: what text of unknown encoding gives;
    # split at whitespace (the default pattern's \w does not match the escapes: "caf")
    return CBOWVectorizer(**SMALL, token_pattern=r"\S+").fit(
        LineCorpus(latin1_corpus, errors="surrogateescape"))


def _load_w2v(path, binary, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnicodeWarning)  # such words are kept, with a warning
        return KeyedVectors.load_word2vec_format(path, binary=binary, **options)


def test_the_corpus_bytes_become_words(model):
    assert CAFE in model.wv_ and "na\udcefve" in model.wv_ and "tr\udce8s" in model.wv_
    assert "café" not in model.wv_


def test_model_file_and_pickle_give_the_same_words(model, tmp_path, lee_docs):
    model.save(tmp_path / "m.skw2v")
    for again in (load(tmp_path / "m.skw2v"), pickle.loads(pickle.dumps(model))):
        assert again.wv_.index_to_key == model.wv_.index_to_key
        np.testing.assert_array_equal(again.wv_.vectors, model.wv_.vectors)
        docs = [[CAFE, "est", "ouvert"], lee_docs[0]]
        np.testing.assert_array_equal(again.transform(docs), model.transform(docs))
        again.partial_fit([[CAFE, "le", "est"]] * 3)  # and continues
        assert again.wv_.index_to_key[:len(model.wv_)] == model.wv_.index_to_key


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_files_hold_the_corpus_bytes_and_read_back(model, tmp_path, binary):
    path = tmp_path / "v.bin"
    model.wv_.save_word2vec_format(path, binary=binary)
    assert b"caf\xe9 " in path.read_bytes()  # the bytes of the corpus, as the C tool keeps them
    with pytest.warns(UnicodeWarning, match=r"not valid utf8, e\.g\. .*kept as their bytes"):
        ours = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert ours.index_to_key == model.wv_.index_to_key
    np.testing.assert_array_equal(ours.vectors, model.wv_.vectors)
    # gensim reads the same words: with the file's real encoding, or keeping the bytes
    latin1 = gensim.models.KeyedVectors.load_word2vec_format(path, binary=binary,
                                                             encoding="latin-1")
    np.testing.assert_array_equal(latin1["café"], model.wv_[CAFE])
    kept = gensim.models.KeyedVectors.load_word2vec_format(path, binary=binary,
                                                           unicode_errors="surrogateescape")
    assert kept.index_to_key == model.wv_.index_to_key


def test_pretrained_vectors_cache_keeps_the_words(model, tmp_path, monkeypatch):
    model.save(tmp_path / "m.skw2v")
    monkeypatch.setenv("SKW2V_VECTORS_CACHE", str(tmp_path / "cache"))
    doc = [[CAFE, "est", "ouvert"]]
    for _ in range(2):  # converted into the cache, then read from it in a "new process"
        skw2v._pretrained.clear_cache()
        emb = EmbeddingVectorizer(tmp_path / "m.skw2v").fit(doc)
        assert emb.wv_.index_to_key == model.wv_.index_to_key
        np.testing.assert_allclose(emb.transform(doc), model.transform(doc), rtol=1e-6)
    assert any(name.endswith("words.json") for _, _, files in os.walk(tmp_path / "cache")
               for name in files)


def test_cli_prints_and_exports_the_words_as_their_bytes(model, tmp_path):
    model.save(tmp_path / "m.skw2v")
    env = dict(os.environ, PYTHONIOENCODING="utf-8")  # a UTF-8 terminal, strict by default
    similar = subprocess.run([sys.executable, "-m", "skw2v", "similar", tmp_path / "m.skw2v",
                              os.fsencode(CAFE), "-n", str(len(model.wv_) - 1)],
                             capture_output=True, env=env)
    assert similar.returncode == 0, similar.stderr
    assert b" tr\xe8s " in similar.stdout and b"na\xefve" in similar.stdout
    export = subprocess.run([sys.executable, "-m", "skw2v", "export", tmp_path / "m.skw2v",
                             tmp_path / "v.bin", "--binary"], capture_output=True, env=env)
    assert export.returncode == 0, export.stderr
    assert _load_w2v(tmp_path / "v.bin", True).index_to_key == model.wv_.index_to_key


# Storable, if unusual: every format gives them back.
ODD = ["tab\tword", "cr\r", "nul\x00", "nel\x85", "ls\u2028", "\ufeffbom", "🙂", "e\u0301",
       "\udcff", "\udced\udcb3\udca9", "é"]


def test_unusual_words_round_trip_through_every_format(tmp_path):
    docs = [ODD + ["plain", "words"], ["plain"] + ODD[::-1]] * 3
    vec = CBOWVectorizer(**{**SMALL, "min_count": 1}).fit(docs)
    assert set(vec.wv_.index_to_key) == set(ODD) | {"plain", "words"}
    vec.save(tmp_path / "m.skw2v")
    assert load(tmp_path / "m.skw2v").wv_.index_to_key == vec.wv_.index_to_key
    for binary in (False, True):
        vec.wv_.save_word2vec_format(tmp_path / "v", binary=binary)
        assert _load_w2v(tmp_path / "v", binary).index_to_key == vec.wv_.index_to_key
        theirs = gensim.models.KeyedVectors.load_word2vec_format(
            tmp_path / "v", binary=binary, unicode_errors="surrogateescape")
        assert theirs.index_to_key == vec.wv_.index_to_key


# Not storable: refused by fit, naming the token and its document.
REFUSED = [("\ud800", "surrogate"), ("a\udfffb", "surrogate"),
           ("\udcc3\udca9", "surrogate"),  # escapes of the bytes of "é": would come back as "é"
           ("", "it is empty"), ("new york", "it holds a space"), ("two\nlines", "newline")]


@pytest.mark.parametrize("token, reason", REFUSED)
@pytest.mark.parametrize("document", [0, 7, 299])
def test_fit_refuses_a_token_no_file_can_hold(lee_docs, token, reason, document):
    docs = [d.split() for d in lee_docs]
    docs[document].insert(3, token)
    vec = CBOWVectorizer(**SMALL).fit(lee_docs[:50])
    before = vec.wv_.vectors.copy()
    for method in (vec.fit, vec.partial_fit):
        with pytest.raises(ValueError, match=rf"^Token 3 of document {document}, "
                                             rf"{re.escape(repr(token))}.*{reason}"):
            method(docs)
        np.testing.assert_array_equal(vec.wv_.vectors, before)  # nothing changed


def test_the_longest_word_a_file_reads_back_is_the_longest_fit_keeps(tmp_path):
    longest = "é" * (MAX_KEY_BYTES // 2)  # 2 bytes a character
    vec = CBOWVectorizer(**{**SMALL, "min_count": 1}).fit([[longest, "a", "b"]] * 3)
    for binary in (False, True):
        vec.wv_.save_word2vec_format(tmp_path / "v", binary=binary)
        assert _load_w2v(tmp_path / "v", binary).index_to_key == vec.wv_.index_to_key
    with pytest.raises(ValueError, match=r"Token 1 of document 2, 'aaaa.*\.\.\., cannot be a "
                                         r"word: it is longer than 65,536 bytes"):
        CBOWVectorizer(**SMALL).fit([["a", "b"]] * 2 + [["a", "a" * (MAX_KEY_BYTES + 1)]])


def test_a_tokenizer_that_returns_empty_tokens_is_named(lee_docs):
    docs = [" ".join(d.split()) for d in lee_docs[:20]] + ["two  spaces"]
    with pytest.raises(ValueError, match=r"Token 1 of document 20, '', .*empty.*Drop empty"):
        CBOWVectorizer(**SMALL, tokenizer=lambda s: s.split(" ")).fit(docs)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=8), min_size=1, max_size=20))
def test_every_str_python_decodes_from_bytes_is_kept(raw):
    words = [b.decode(ENCODING, ERRORS) for b in raw]
    assert [check_word(w) for w in words] == raw  # the bytes they were read from
    assert list(WordList.from_strs(words)) == words
    assert json.loads(json_utf8(words).decode("utf-8")) == words  # valid UTF-8 JSON
    exportable = [w for w in words if w and " " not in w and "\n" not in w]
    assert [k.decode(ENCODING, ERRORS) for k in key_bytes(exportable)] == exportable


@given(st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF) | st.characters(),
               max_size=6))
def test_a_str_is_kept_exactly_when_some_bytes_decode_to_it(word):
    try:
        decodes_back = word.encode(ENCODING, ERRORS).decode(ENCODING, ERRORS) == word
    except UnicodeEncodeError:
        decodes_back = False
    if decodes_back:
        assert check_word(word).decode(ENCODING, ERRORS) == word
    else:
        with pytest.raises(UnstorableWord, match="no bytes decode to"):
            check_word(word)
