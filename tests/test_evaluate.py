import gzip
import shutil

import numpy as np
import pytest

pytest.importorskip("gensim")
from conftest import gensim_data  # noqa: E402
from gensim.models import KeyedVectors as GensimKV  # noqa: E402

from skw2v._evaluate import evaluate_word_analogies, evaluate_word_pairs  # noqa: E402
from skw2v._keyedvectors import KeyedVectors  # noqa: E402

QUESTIONS = gensim_data("questions-words.txt")
WORDSIM = gensim_data("wordsim353.tsv")
SIMLEX = gensim_data("simlex999.txt")


@pytest.fixture(scope="module", params=["lee_fasttext.vec", "euclidean_vectors.bin"])
def pair(request):
    path = gensim_data(request.param)
    binary = path.endswith(".bin")
    return (KeyedVectors.load_word2vec_format(path, binary=binary),
            GensimKV.load_word2vec_format(path, binary=binary))


def _counts(sections):
    return [(s["section"], len(s["correct"]), len(s["incorrect"])) for s in sections]


@pytest.mark.cross_cpu
@pytest.mark.parametrize("restrict_vocab", [300000, 400])
@pytest.mark.parametrize("case_insensitive", [True, False])
@pytest.mark.parametrize("dummy4unknown", [False, True])
def test_analogies_match_gensim(pair, restrict_vocab, case_insensitive, dummy4unknown):
    ours_kv, gensim_kv = pair
    options = dict(restrict_vocab=restrict_vocab, case_insensitive=case_insensitive,
                   dummy4unknown=dummy4unknown)
    score, sections = evaluate_word_analogies(ours_kv, QUESTIONS, **options)
    g_score, g_sections = gensim_kv.evaluate_word_analogies(QUESTIONS, **options)
    assert score == g_score
    assert sections == g_sections
    assert sections[-1]["section"] == "Total accuracy"
    names = [s["section"] for s in sections[:3]]
    assert names == ["capital-common-countries", "capital-world", "currency"]


def test_analogies_count_real_questions():
    path = gensim_data("lee_fasttext.vec")
    score, sections = evaluate_word_analogies(KeyedVectors.load_word2vec_format(path), QUESTIONS)
    total = sections[-1]
    assert len(total["correct"]) + len(total["incorrect"]) == 98  # questions fully in vocabulary
    assert score == pytest.approx(len(total["correct"]) / 98)


def test_analogies_planted_answer_and_gzip(tmp_path):
    kv = KeyedVectors(["man", "king", "woman", "queen", "apple"],
                      np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1], [5, -5, 5]]))
    path = tmp_path / "q.txt.gz"
    with gzip.open(path, "wt", encoding="utf8") as fout:
        fout.write(": royals\nman king woman queen\nman king woman apple\nbad line\n: empty\n")
    score, sections = evaluate_word_analogies(kv, path)
    assert score == 0.5
    assert _counts(sections) == [("royals", 1, 1), ("empty", 0, 0), ("Total accuracy", 1, 1)]
    assert sections[0]["correct"] == [("MAN", "KING", "WOMAN", "QUEEN")]


def test_analogies_need_a_section(tmp_path):
    path = tmp_path / "q.txt"
    path.write_text("a b c d\n")
    with pytest.raises(ValueError, match="Missing section header before line #0"):
        evaluate_word_analogies(KeyedVectors(["a"], np.ones((1, 2))), path)


@pytest.mark.cross_cpu
@pytest.mark.parametrize("pairs", [WORDSIM, SIMLEX])
@pytest.mark.parametrize("case_insensitive", [True, False])
@pytest.mark.parametrize("dummy4unknown", [False, True])
def test_word_pairs_match_gensim(pair, pairs, case_insensitive, dummy4unknown):
    ours_kv, gensim_kv = pair
    options = dict(case_insensitive=case_insensitive, dummy4unknown=dummy4unknown)
    try:
        expected = gensim_kv.evaluate_word_pairs(pairs, **options)
    except ValueError:
        with pytest.raises(ValueError, match="No valid similarity judgements"):
            evaluate_word_pairs(ours_kv, pairs, **options)
        return
    pearson, spearman, oov = evaluate_word_pairs(ours_kv, pairs, **options)
    np.testing.assert_allclose(pearson, tuple(expected[0]), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(spearman, tuple(expected[1]), rtol=1e-5, atol=1e-7)
    assert oov == pytest.approx(expected[2])
    assert all(isinstance(v, float) for v in pearson + spearman)


def test_word_pairs_restrict_vocab_and_delimiter(tmp_path):
    kv = KeyedVectors(["a", "b", "c", "d"],
                      np.array([[1, 0], [1, 0.1], [0, 1], [1, 1]]))
    path = tmp_path / "pairs.csv"
    path.write_text("# comment\na,b,9\nA,c,1\nb,c,2\nc,d,5\nnot a pair\n")
    pearson, spearman, oov = evaluate_word_pairs(kv, path, delimiter=",", restrict_vocab=3)
    assert oov == pytest.approx(100 / 4)  # c,d is out of the first three words
    assert spearman[0] == pytest.approx(1.0)
    _, _, oov = evaluate_word_pairs(kv, path, delimiter=",", case_insensitive=False)
    assert oov == pytest.approx(25.0)  # "A" is unknown when case matters
    shutil.copy(path, tmp_path / "copy.csv")
    with pytest.raises(ValueError, match="No valid similarity judgements"):
        evaluate_word_pairs(kv, tmp_path / "copy.csv")  # wrong delimiter: nothing parses
