import bz2
import gzip

import numpy as np
import pytest

from skw2v import LineCorpus, Vocabulary
from skw2v._analyzer import build_analyzer
from skw2v._corpus import encode, encode_known, read_corpus, split_offsets


def test_read_corpus_single_pass_over_a_generator():
    analyzer = build_analyzer()
    docs = (d for d in ["The cat sat", "the dog", ["pre", "tokenized", "the"]])
    raw = read_corpus(docs, analyzer)
    assert raw.words == ["the", "cat", "sat", "dog", "pre", "tokenized"]
    assert raw.ids.tolist() == [0, 1, 2, 0, 3, 4, 5, 0]
    assert raw.offsets.tolist() == [0, 3, 5, 8]
    assert raw.counts.tolist() == [3, 1, 1, 1, 1, 1]


def test_encode_drops_unknown_words_and_empty_documents():
    raw = read_corpus([["a", "b", "a"], ["c"], ["b", "b"]], build_analyzer())
    vocab = Vocabulary.from_counts(raw.words, raw.counts, min_count=2)
    corpus = encode(raw, vocab.remap_table(raw.words))
    assert [vocab.index_to_key[i] for i in corpus.ids] == ["a", "b", "a", "b", "b"]
    assert corpus.offsets.tolist() == [0, 3, 5]
    assert corpus.ids.dtype == np.int32


@pytest.mark.parametrize("max_len", [1, 3, 4, 10])
def test_split_offsets_caps_document_length(max_len):
    offsets = np.array([0, 10, 11, 11, 20], np.int64)
    out = split_offsets(offsets, max_len)
    assert np.diff(out).max() <= max_len
    assert set(offsets.tolist()) <= set(out.tolist())
    assert out[0] == 0 and out[-1] == 20


def test_encode_known_keeps_empty_rows():
    ids, indptr = encode_known(["a zz b", "zz", ""], build_analyzer(), {"a": 0, "b": 1})
    assert ids.tolist() == [0, 1]
    assert indptr.tolist() == [0, 2, 2, 2]


@pytest.mark.parametrize("suffix, opener", [(".txt", open), (".gz", gzip.open), (".bz2", bz2.open)])
def test_line_corpus_streams_plain_and_compressed_files(tmp_path, suffix, opener):
    path = tmp_path / f"corpus{suffix}"
    with opener(path, "wt", encoding="utf-8") as f:
        f.write("first line\r\nsecond café line\n\nlast")
    assert list(LineCorpus(path)) == ["first line", "second café line", "", "last"]
    assert list(LineCorpus(path)) == list(LineCorpus(str(path)))  # re-iterable


def test_line_corpus_missing_file():
    with pytest.raises(FileNotFoundError, match="not found"):
        LineCorpus("/nonexistent/corpus.txt")


def test_whitespace_pattern_splits_exactly_like_the_regex():
    import re

    from hypothesis import given, settings
    from hypothesis import strategies as st

    fast = build_analyzer(lowercase=False, token_pattern=r"\S+")
    slow = re.compile(r"\S+").findall

    @settings(max_examples=300, deadline=None)
    @given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
    def check(text):
        assert fast(text) == slow(text)

    check()
    assert build_analyzer(token_pattern=r"\S+")("Ünïcode\u2003SPACE\x1ctab") == \
        ["ünïcode", "space", "tab"]
