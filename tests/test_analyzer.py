"""Tests of skw2v._analyzer: scikit-learn's analyzer, the str.split fast path, the input checks.

The estimator-level error table (bare strings, 2-D inputs, bad elements named by
position) lives in test_reliability.py; these tests call the module directly.
"""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import CountVectorizer

from skw2v._analyzer import (
    DEFAULT_TOKEN_PATTERN,
    build_analyzer,
    check_corpus,
    check_tokens,
    iter_token_docs,
    to_tokens,
)

# lee_background is plain ASCII: these give strip_accents and lowercase
# something to do beyond ASCII.
ACCENTED = [
    "Le café de la Gare à Zürich a ouvert ses portes à 7 h; déjà 40 clients.",
    "Señor Núñez's naïve façade: «Ça coûte 12 €», dit-il à Ångström.",
    "ÉCOLE NORMALE SUPÉRIEURE — Straße, Œuvre, ﬁnal ligature, x² and ½.",
]


def strip_digits(doc):
    return re.sub(r"\d+", "#", doc.lower())


SETTINGS = {
    "default": {},
    "case-kept": {"lowercase": False},
    "english-stop-words": {"stop_words": "english"},
    "stop-word-list": {"stop_words": ["the", "a", "of", "to"], "lowercase": False},
    "strip-unicode": {"strip_accents": "unicode"},
    "strip-ascii-case-kept": {"strip_accents": "ascii", "lowercase": False},
    "letters-only-pattern": {"token_pattern": r"(?u)\b[^\W\d_]{3,}\b"},
    "preprocessor": {"preprocessor": strip_digits},
    "tokenizer": {"tokenizer": re.compile(r"[^\s,.;:]+").findall},
    "tokenizer-and-stop-words": {"tokenizer": str.split, "stop_words": "english"},
}


@pytest.fixture(scope="module")
def docs(lee_docs):
    return lee_docs + ACCENTED


@pytest.fixture(scope="module")
def default_tokens(docs):
    analyzer = build_analyzer()
    return [analyzer(d) for d in docs]


@pytest.mark.parametrize("options", SETTINGS.values(), ids=SETTINGS.keys())
def test_build_analyzer_equals_scikit_learn(docs, default_tokens, options):
    ours = build_analyzer(**options)
    theirs = CountVectorizer(**{"token_pattern": DEFAULT_TOKEN_PATTERN, **options}).build_analyzer()
    tokens = [ours(d) for d in docs]
    assert tokens == [theirs(d) for d in docs]
    assert all(isinstance(t, str) and t for doc in tokens for t in doc)
    if options:  # each setting must change something, or the comparison proves nothing
        assert tokens != default_tokens


def test_default_keeps_single_character_tokens(lee_docs):
    # scikit-learn's own default (\b\w\w+\b) drops "a", "I", "3": word2vec needs them.
    assert build_analyzer()("I saw a 3 D film") == ["i", "saw", "a", "3", "d", "film"]
    ours, sklearn_default = build_analyzer(), CountVectorizer().build_analyzer()
    singles = 0
    for doc in lee_docs:
        tokens = ours(doc)
        assert [t for t in tokens if len(t) > 1] == sklearn_default(doc)
        singles += sum(len(t) == 1 for t in tokens)
    assert singles > 1000  # "a" alone is frequent in English news


@pytest.mark.parametrize("pattern", [r"\S+", r"(?u)\S+"])
def test_whitespace_pattern_becomes_str_split(pattern, docs):
    fast = build_analyzer(token_pattern=pattern, strip_accents="unicode")
    assert fast.keywords["tokenizer"] is str.split
    regex = CountVectorizer(token_pattern=pattern, strip_accents="unicode").build_analyzer()
    assert [fast(d) for d in docs] == [regex(d) for d in docs]


def test_own_tokenizer_wins_over_a_whitespace_pattern():
    def comma_split(doc):
        return doc.split(",")

    analyzer = build_analyzer(token_pattern=r"\S+", tokenizer=comma_split)
    assert analyzer.keywords["tokenizer"] is comma_split
    assert analyzer("a b,c d") == ["a b", "c d"]


def test_other_patterns_stay_regular_expressions():
    analyzer = build_analyzer(token_pattern=r"\S\S+")
    assert analyzer.keywords["tokenizer"] is not str.split
    assert analyzer("a bc d") == ["bc"]


# Unicode separators where str.split and re's \s could plausibly disagree:
# NBSP, NEL, the ASCII information separators, line/paragraph separators,
# ideographic space, and zero-width space (which is not whitespace to either).
SPACES = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2007\u200b\u2028\u2029\u202f\u3000"


WHITESPACE_OPTIONS = [{"lowercase": lowercase, "strip_accents": strip}
                      for lowercase in (True, False) for strip in (None, "ascii", "unicode")]
PAIRS = [(build_analyzer(token_pattern=r"\S+", **options),
          CountVectorizer(token_pattern=r"\S+", **options).build_analyzer())
         for options in WHITESPACE_OPTIONS]


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(SPACES) | st.characters(codec="utf-8"),
                    max_size=40),
       pair=st.sampled_from(PAIRS))
def test_str_split_path_equals_scikit_learn_regex_path(text, pair):
    fast, regex = pair
    assert fast(text) == regex(text)


# --- input checks ----------------------------------------------------------------


@pytest.mark.parametrize("X", ["one document", b"one document", ""], ids=["str", "bytes", "empty"])
def test_check_corpus_rejects_a_bare_string(X):
    with pytest.raises(ValueError, match=r"^Iterable over raw text documents expected, "
                                         r"string object received\.$"):
        check_corpus(X)


@pytest.mark.parametrize("X, name", [(None, "NoneType"), (3, "int"), (2.5, "float"),
                                     (object(), "object")])
def test_check_corpus_rejects_non_iterables_naming_the_type(X, name):
    with pytest.raises(TypeError, match=rf"^Expected an iterable of documents "
                                        rf"\(str or token lists\), got {name}\.$"):
        check_corpus(X)


def test_check_corpus_passes_one_dimensional_inputs_through_unread():
    def gen():
        consumed.append(True)
        yield "a b"

    consumed = []
    stream = gen()
    assert check_corpus(stream) is stream
    assert not consumed  # the check must not start a one-pass stream
    for X in (["a b"], ("a b",), np.array(["a b", "c"]), np.array(["a", 1], dtype=object),
              {"a b": 1}.keys(), range(0)):
        assert check_corpus(X) is X


def test_check_corpus_one_dimensional_pandas_series_passes():
    pd = pytest.importorskip("pandas")
    series = pd.Series(["a b", "c"])
    assert check_corpus(series) is series
    with pytest.raises(ValueError, match=r"^Expected a 1-D iterable of documents, got a 2-D "
                                         r"input of shape \(2, 1\)\."):
        check_corpus(series.to_frame())


def test_check_tokens_returns_its_argument():
    tokens = ["a", "b"]
    assert check_tokens(tokens, 0) is tokens
    assert check_tokens((), 5) == ()


def test_check_tokens_names_the_first_bad_token():
    with pytest.raises(TypeError) as info:
        check_tokens(["ok", 7, None], 12)
    assert str(info.value) == (
        "Token 1 of document 12 is int (7); token lists must contain only str."
    )


def test_check_tokens_bytes_hint_and_short_repr():
    with pytest.raises(TypeError) as info:
        check_tokens(["ok", b"caf\xc3\xa9"], 0)
    assert str(info.value) == (
        "Token 1 of document 0 is bytes (b'caf\\xc3\\xa9'); token lists must contain only "
        "str. Decode bytes first, e.g. b.decode('utf-8')."
    )
    huge = bytearray(b"x" * 10_000)
    with pytest.raises(TypeError) as info:
        check_tokens([huge], 3)
    # The repr is cut to 40 characters so a huge token cannot flood the message.
    shown = repr(huge)[:37] + "..."
    assert str(info.value).startswith(f"Token 0 of document 3 is bytearray ({shown}); ")
    assert str(info.value).endswith("Decode bytes first, e.g. b.decode('utf-8').")


def test_to_tokens_by_document_type():
    analyzer = build_analyzer()
    tup = ("Keep", "AS", "is")
    assert to_tokens("Two WORDS", 0, analyzer) == ["two", "words"]
    assert to_tokens(tup, 0, analyzer) is tup  # token lists are not re-analysed
    assert to_tokens(np.array(["Keep", "AS"]), 0, analyzer) == ["Keep", "AS"]
    assert to_tokens(np.array(["a", "b"], dtype=object), 0, analyzer) == ["a", "b"]
    assert to_tokens(["a", 1], 0, analyzer, check=False) == ["a", 1]


@pytest.mark.parametrize("doc, pattern", [
    (None, r"^Document 4 is NoneType \(None\); expected a str or a list/tuple of str "
           r"tokens\.$"),
    (b"bytes doc", r"^Document 4 is bytes \(b'bytes doc'\);.*Decode bytes first"),
    ({"a", "b"}, r"^Document 4 is set "),
    (np.array([1, 2]), r"^Document 4 is ndarray \(array\(\[1, 2\]\)\)"),
    (np.array([["a", "b"]]), r"^Document 4 is ndarray "),
    (np.array(["a", 3], dtype=object), r"^Token 1 of document 4 is int \(3\)"),
], ids=["None", "bytes", "set", "int-array", "2-D-array", "object-array-with-int"])
def test_to_tokens_rejects(doc, pattern):
    with pytest.raises(TypeError, match=pattern):
        to_tokens(doc, 4, build_analyzer())


def test_iter_token_docs_streams_one_document_at_a_time():
    pulled = []

    def source():
        for doc in ["First doc", ["b", "c"], "x", 42]:
            pulled.append(doc)
            yield doc

    it = iter_token_docs(source(), build_analyzer())
    assert next(it) == (0, ["first", "doc"])
    assert pulled == ["First doc"]
    assert next(it) == (1, ["b", "c"])
    assert next(it) == (2, ["x"])
    with pytest.raises(TypeError, match=r"^Document 3 is int \(42\)"):
        next(it)


def test_iter_token_docs_checks_tokens_unless_told_not_to():
    docs = [["a"], ["b", None]]
    with pytest.raises(TypeError, match=r"^Token 1 of document 1 is NoneType"):
        list(iter_token_docs(docs, build_analyzer()))
    assert list(iter_token_docs(docs, build_analyzer(), check=False)) == [
        (0, ["a"]), (1, ["b", None])]


def test_iter_token_docs_rejects_a_bare_string_on_first_use():
    it = iter_token_docs("not a list", build_analyzer())
    with pytest.raises(ValueError, match="string object received"):
        next(it)
