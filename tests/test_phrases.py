"""skw2v.Phrases: word2phrase as a scikit-learn step, checked against gensim's Phrases itself
on real English (Wikipedia articles shipped in gensim's wheel), as a pipeline step on raw
text, through save/load and pickle, and from the CLI."""

import math
import pickle
import subprocess
import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

import skw2v
from skw2v import CBOWVectorizer, Phrases
from skw2v.cli import main

gensim_phrases = pytest.importorskip("gensim.models.phrases")
GensimPhrases = gensim_phrases.Phrases


@pytest.fixture(scope="module")
def wiki(english_docs):
    """The Wikipedia articles (token lists, ~450k tokens), without the five tokens that hold
    "_": gensim would count such a token and the pair it spells as one (see
    test_a_word_spelled_like_a_phrase_is_not_its_pair)."""
    return [[w for w in doc if "_" not in w] for doc in english_docs if isinstance(doc, list)]


def ours(**kw):
    if "connector_words" in kw:
        kw["connector_words"] = sorted(kw["connector_words"])
    return Phrases(**kw)


SETTINGS = [
    dict(),
    dict(scoring="npmi", threshold=0.5),
    dict(connector_words=gensim_phrases.ENGLISH_CONNECTOR_WORDS),
    dict(connector_words=gensim_phrases.ENGLISH_CONNECTOR_WORDS, scoring="npmi",
         threshold=0.3, min_count=3),
]


@pytest.mark.parametrize("kw", SETTINGS, ids=["default", "npmi", "connectors",
                                              "npmi-connectors"])
def test_same_phrases_and_output_as_gensim(wiki, kw):
    theirs = GensimPhrases(wiki, **kw)
    expected = theirs.export_phrases()
    model = ours(**kw).fit(wiki)
    assert len(expected) > 300
    assert set(model.phrases_) == set(expected)
    for phrase, score in expected.items():
        assert model.phrases_[phrase] == pytest.approx(score, rel=1e-12, abs=1e-12)
    assert model.transform(wiki) == [theirs[doc] for doc in wiki]


def test_connector_words_stand_inside_phrases(wiki):
    model = Phrases(connector_words="english").fit(wiki)
    inside = [p for p in model.phrases_ if len(p.split("_")) > 2]
    assert inside, "no phrase holds a connector word"
    for phrase in inside:
        words = phrase.split("_")
        assert words[0] not in skw2v.ENGLISH_CONNECTOR_WORDS
        assert words[-1] not in skw2v.ENGLISH_CONNECTOR_WORDS
        assert all(w in skw2v.ENGLISH_CONNECTOR_WORDS for w in words[1:-1])
    assert skw2v.ENGLISH_CONNECTOR_WORDS == gensim_phrases.ENGLISH_CONNECTOR_WORDS


def test_two_passes_are_gensim_run_twice(wiki):
    kw = dict(connector_words=gensim_phrases.ENGLISH_CONNECTOR_WORDS, threshold=5.0)
    bigram = GensimPhrases(wiki, **kw)
    joined = [bigram[doc] for doc in wiki]
    trigram = GensimPhrases(joined, **kw)
    model = ours(passes=2, **kw).fit(wiki)
    out = model.transform(wiki)
    assert out == [trigram[doc] for doc in joined]
    longer = {w for doc in out for w in doc if w.count("_") >= 2}
    assert len(longer) > 20  # the second pass built longer phrases
    assert model.fit_transform(wiki) == out


def test_greedy_from_the_left():
    docs = [["a", "b", "c"]] * 20 + [["a", "b"], ["b", "c"]] * 5
    model = Phrases(min_count=1, threshold=0.0).fit(docs)
    assert {"a_b", "b_c"} <= set(model.phrases_)
    assert model.transform([["a", "b", "c", "x", "b", "c"]]) == [["a_b", "c", "x", "b_c"]]


def test_default_score_is_word2vecs_formula():
    docs = [["new", "york", "city"]] * 7 + [["new", "ideas"]] * 3 + [["york", "minster"]]
    model = Phrases(min_count=2, threshold=-1e9).fit(docs)
    entries = 5 + 4  # words: new york city ideas minster; pairs: new_york york_city ...
    assert model.phrases_["new_york"] == pytest.approx((7 - 2) / (10 * 8) * entries)
    npmi = Phrases(min_count=2, threshold=-1.0, scoring="npmi").fit(docs)
    n = 7 * 3 + 3 * 2 + 2
    pab, pa, pb = 7 / n, 10 / n, 8 / n
    assert npmi.phrases_["new_york"] == pytest.approx(math.log(pab / (pa * pb)) / -math.log(pab))
    assert "york_minster" not in npmi.phrases_  # seen once, below min_count


def test_a_word_spelled_like_a_phrase_is_not_its_pair():
    """gensim keys pairs by their joined string, so the token "new_york" adds to the pair
    "new york" (its NPMI can pass 1); here pairs are keyed by word ids."""
    docs = [["new", "york"]] * 4 + [["new_york"]] * 40 + [["new", "ideas"], ["old", "york"]]
    model = Phrases(min_count=1, threshold=-1.0, scoring="npmi").fit(docs)
    n = 4 * 2 + 40 + 4
    pab, pa, pb = 4 / n, 5 / n, 5 / n
    assert model.phrases_["new_york"] == pytest.approx(math.log(pab / (pa * pb)) / -math.log(pab))
    assert max(model.phrases_.values()) <= 1.0
    assert GensimPhrases(docs, min_count=1, threshold=-1.0,
                         scoring="npmi").export_phrases()["new_york"] > 1.0


def test_unseen_words_and_empty_documents_pass_through(wiki):
    model = Phrases().fit(wiki)
    docs = [[], ["zzunseen", "new", "york", "qqunseen"], ["new"], ["united", "states"]]
    assert model.transform(docs) == [[], ["zzunseen", "new_york", "qqunseen"], ["new"],
                                     ["united_states"]]


def test_unseen_and_odd_tokens_in_many_batches_match_gensim(wiki, monkeypatch):
    """Unseen words are taken back from their documents batch by batch; empty tokens, tokens
    holding a NUL (read a token at a time) and tuples are documents as gensim reads them."""
    import skw2v._phrases as phrases_module

    model = Phrases(connector_words=sorted(gensim_phrases.ENGLISH_CONNECTOR_WORDS)).fit(wiki)
    peer = GensimPhrases(wiki, connector_words=gensim_phrases.ENGLISH_CONNECTOR_WORDS)
    rng = np.random.default_rng(0)
    docs = []
    for i, doc in enumerate(wiki[:300]):
        doc = list(doc)
        for _ in range(3):  # unseen words, some between the words of a phrase
            doc.insert(int(rng.integers(len(doc) + 1)), f"zzunseen{int(rng.integers(50))}")
        docs.append(tuple(doc) if i % 7 == 0 else doc)
    docs[5] = docs[5] + ["new", "york"]
    docs[9] = ["a\x00b", "new", "york"] + list(docs[9])  # this batch: a token at a time
    docs.insert(11, [])
    monkeypatch.setattr(phrases_module, "BATCH_TOKENS", 500)
    assert model.transform(docs) == [peer[list(doc)] for doc in docs]
    assert model.transform(docs)[5][-1] == "new_york"
    # an empty token passes through as any unseen word does (gensim drops it)
    assert model.transform([["", "new", "york", ""]]) == [["", "new_york", ""]]


def test_pair_table_numbers_pairs_as_a_dict_does():
    from skw2v._phrases import PairTable

    rng = np.random.default_rng(1)
    table, reference = PairTable(), {}
    for _ in range(12):  # grows from 1,024 slots
        a, b, m = (rng.integers(0, 300, 2000).astype(np.int32) for _ in range(3))
        got = table.lookup(a, b, m, insert=True)
        assert got.tolist() == [reference.setdefault(key, len(reference))
                                for key in zip(a.tolist(), b.tolist(), m.tolist())]
    a, b, m = (rng.integers(-1, 400, 5000).astype(np.int32) for _ in range(3))
    assert table.lookup(a, b, m, insert=False).tolist() == [
        reference.get(key, -1) if min(key) >= 0 else -1
        for key in zip(a.tolist(), b.tolist(), m.tolist())]
    keys = list(reference)
    assert np.array_equal(np.stack(table.parts(), axis=1), np.array(keys))
    keep = rng.random(len(keys)) < 0.3
    assert np.array_equal(np.stack(table.subset(keep).parts(), axis=1),
                          np.array(keys)[keep])


def test_raw_text_is_tokenized_as_cbowvectorizer_does(wiki):
    text = [" ".join(doc) for doc in wiki]
    model = Phrases().fit(text)
    assert model.phrases_ == Phrases().fit(wiki).phrases_
    assert model.transform(["In NEW York, the United-States!"]) == [
        ["in", "new_york", "the", "united_states"]]
    assert Phrases(lowercase=False).fit(text).transform(["New York"]) == [["New", "York"]]


def test_pipeline_learns_vectors_for_phrases(wiki):
    text = [" ".join(doc) for doc in wiki]
    pipe = make_pipeline(Phrases(connector_words="english"),
                         CBOWVectorizer(vector_size=50, min_count=5, epochs=5, n_jobs=2,
                                        random_state=0))
    X = pipe.fit_transform(text)
    assert X.shape == (len(text), 50)
    wv = pipe[-1].wv_
    for phrase in ("united_states", "new_york", "such_as"):
        assert phrase in wv
    # a phrase trained as one word sits among words of its kind
    near = [w for w, _ in wv.most_similar("th_century", topn=10)]
    assert any(w.endswith("_century") or w in ("century", "centuries") for w in near), near
    assert np.allclose(pipe.transform(text[:5]), X[:5], atol=1e-6)


def test_partial_fit_adds_counts(wiki):
    half = len(wiki) // 2
    whole = Phrases(connector_words="english", passes=1).fit(wiki)
    parts = Phrases(connector_words="english").partial_fit(wiki[:half]).partial_fit(wiki[half:])
    assert parts.phrases_ == pytest.approx(whole.phrases_)
    assert parts.corpus_total_words_ == whole.corpus_total_words_ == sum(map(len, wiki))
    assert parts.transform(wiki[:20]) == whole.transform(wiki[:20])
    with pytest.raises(ValueError, match="passes=1.*cannot change it to 2"):
        parts.set_params(passes=2).partial_fit(wiki[:3])


def test_max_vocab_size_prunes_rare_entries_as_gensim(wiki):
    full = Phrases(scoring="npmi", threshold=0.5).fit(wiki)
    bounded = Phrases(scoring="npmi", threshold=0.5, max_vocab_size=50_000).fit(wiki)
    stage = bounded.passes_[0]
    assert stage.min_reduce > 1  # it pruned
    assert stage.entries() <= 50_000 < full.passes_[0].entries()
    # what survives is what is frequent: the bounded model's phrases are (nearly all) the
    # full model's, and it keeps more than half of them
    assert len(set(bounded.phrases_) - set(full.phrases_)) <= len(bounded.phrases_) / 100
    assert len(bounded.phrases_) > len(full.phrases_) / 2


def test_save_load_and_pickle_round_trip(wiki, tmp_path):
    model = Phrases(passes=2, connector_words="english", scoring="npmi",
                    threshold=0.4).fit(wiki[:60])
    path = tmp_path / "phrases.skw2v"
    model.save(path)
    for copy in (skw2v.load(path), pickle.loads(pickle.dumps(model))):
        assert isinstance(copy, Phrases)
        assert copy.get_params() == {**model.get_params(),
                                     "connector_words": copy.get_params()["connector_words"]}
        assert copy.phrases_ == model.phrases_
        assert copy.transform(wiki[60:]) == model.transform(wiki[60:])
        assert copy.partial_fit(wiki[60:]).phrases_ == pytest.approx(
            pickle.loads(pickle.dumps(model)).partial_fit(wiki[60:]).phrases_)


def test_a_damaged_phrases_file_is_refused(wiki, tmp_path):
    model = Phrases().fit(wiki[:20])
    path = tmp_path / "phrases.skw2v"
    model.save(path)
    with np.load(path) as npz:
        arrays = dict(npz)
    arrays["pass0_pairs"] = arrays["pass0_pairs"] + (1 << 40)  # words it does not have
    bad = tmp_path / "bad.skw2v"
    with open(bad, "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(ValueError, match="not a skw2v model file.*names a word"):
        skw2v.load(bad)
    del arrays["pass0_counts"]
    with open(bad, "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(ValueError, match="missing member.*pass0_counts"):
        skw2v.load(bad)


def test_bad_input_gets_clear_errors(wiki):
    with pytest.raises(NotFittedError):
        Phrases().transform([["a"]])
    with pytest.raises(ValueError, match="corpus is empty"):
        Phrases().fit([[], []])
    with pytest.raises(TypeError, match="Token 1 of document 2 is int"):
        Phrases().fit([["a"], ["b"], ["c", 3]])
    with pytest.raises(ValueError, match="connector_words must hold non-empty str"):
        Phrases(connector_words=["of", ""]).fit(wiki[:2])
    with pytest.raises(ValueError, match="scoring"):
        Phrases(scoring="pmi").fit(wiki[:2])
    with pytest.raises(ValueError, match="delimiter"):
        Phrases(delimiter="").fit(wiki[:2])
    with pytest.raises(ValueError, match="Iterable over raw text documents"):
        Phrases().fit("new york")


def test_cli_writes_the_joined_corpus(wiki, tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(" ".join(doc) for doc in wiki) + "\n", encoding="utf-8")
    out, saved = tmp_path / "joined.txt", tmp_path / "phrases.skw2v"
    assert main(["phrases", str(corpus), "-o", str(out), "--threshold", "100",
                 "--connector-words", "english", "--save", str(saved), "-q"]) == 0
    model = Phrases(threshold=100, connector_words="english")
    expected = model.fit_transform(skw2v.LineCorpus(str(corpus)))
    assert out.read_text(encoding="utf-8").splitlines() == [" ".join(d) for d in expected]
    assert skw2v.load(saved).phrases_ == model.phrases_
    assert "phrases;" in capsys.readouterr().out
    # stdin to stdout, two passes
    run = subprocess.run([sys.executable, "-m", "skw2v", "phrases", "-", "-o", "-", "-q",
                          "--passes", "2"], input=corpus.read_bytes(), capture_output=True,
                         check=True)
    two = Phrases(passes=2).fit_transform(skw2v.LineCorpus(str(corpus)))
    assert run.stdout.decode("utf-8").splitlines() == [" ".join(d) for d in two]
    assert main(["phrases", str(tmp_path / "missing.txt"), "-o", str(out)]) == 1
    assert "corpus file not found" in capsys.readouterr().err


def test_a_failed_fit_leaves_the_model_as_it_was(wiki):
    model = Phrases().fit(wiki[:40])
    phrases, total = dict(model.phrases_), model.corpus_total_words_
    bad = wiki[40:60] + [["new", 7]]
    for call in (model.fit, model.partial_fit):
        with pytest.raises(TypeError, match="is int"):
            call(bad)
        assert model.phrases_ == phrases and model.corpus_total_words_ == total
        assert model.transform(wiki[:5]) == Phrases().fit(wiki[:40]).transform(wiki[:5])
    with pytest.raises(ValueError, match="corpus is empty"):
        model.fit([[]])
    assert model.phrases_ == phrases
