"""The ``skw2v`` command line, run in a subprocess as a user would run it."""

import gzip
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from skw2v import CBOWVectorizer, LineCorpus
from skw2v._persist import load

gensim = pytest.importorskip("gensim")
DATA = os.path.join(os.path.dirname(gensim.__file__), "test", "test_data")
QUESTIONS = os.path.join(DATA, "questions-words.txt")
WORDSIM = os.path.join(DATA, "wordsim353.tsv")
TRAIN_OPTS = ["--vector-size", "20", "--epochs", "2", "--min-count", "5", "-j", "1",
              "--seed", "0"]
COMMANDS = ["train", "similar", "analogy", "evaluate", "export", "demo"]


def skw2v(*args, stdin=None, cwd=None):
    """Run ``python -m skw2v ARGS``; return the CompletedProcess (text mode)."""
    return subprocess.run([sys.executable, "-m", "skw2v", *map(str, args)], input=stdin,
                          capture_output=True, timeout=120, cwd=cwd)


def out(proc):
    return proc.stdout.decode("utf-8")


def err(proc):
    return proc.stderr.decode("utf-8")


def assert_ok(proc):
    assert proc.returncode == 0, err(proc)
    assert "Traceback" not in err(proc)


def assert_one_line_error(proc, pattern, status=1):
    stderr = err(proc)
    assert proc.returncode == status, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("skw2v: error: ")
    assert re.search(pattern, lines[0]), lines[0]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli")
    shutil.copy(os.path.join(DATA, "lee_background.cor"), path / "corpus.txt")
    return path


@pytest.fixture(scope="module")
def model(workdir):
    proc = skw2v("train", "corpus.txt", "-o", "lee.skw2v", "--quiet", *TRAIN_OPTS, cwd=workdir)
    assert_ok(proc)
    assert re.search(r"vocabulary [\d,]+ words x 20 dims; corpus [\d,]+ words x 2 epochs "
                     r"in [\d.]+ s \([\d,]+ words/s\); final loss \d+\.\d+; saved lee.skw2v",
                     out(proc)), out(proc)
    assert err(proc) == ""  # --quiet: no progress bar
    return workdir / "lee.skw2v"


# ------------------------------------------------------------------ train
def test_train_matches_the_estimator(model, workdir):
    """The options reach CBOWVectorizer: same settings in Python give the same vectors."""
    cli = load(model)
    est = CBOWVectorizer(vector_size=20, epochs=2, min_count=5, n_jobs=1, random_state=0,
                         verbose=0).fit(LineCorpus(workdir / "corpus.txt"))
    assert cli.get_params() == est.get_params()
    assert np.array_equal(cli.wv_.vectors, est.wv_.vectors)


def test_train_from_stdin_with_progress_bar(model, workdir, tmp_path):
    data = (workdir / "corpus.txt").read_bytes()
    proc = skw2v("train", "-", "-o", tmp_path / "stdin.skw2v", *TRAIN_OPTS, stdin=data)
    assert_ok(proc)
    assert "word/s" in err(proc)  # the progress bar is on by default
    assert np.array_equal(load(tmp_path / "stdin.skw2v").wv_.vectors, load(model).wv_.vectors)


def test_train_gzip_and_options(model, workdir, tmp_path):
    with gzip.open(tmp_path / "corpus.txt.gz", "wb") as f:
        f.write((workdir / "corpus.txt").read_bytes())
    proc = skw2v("train", tmp_path / "corpus.txt.gz", "-o", tmp_path / "gz.skw2v", "-q",
                 *TRAIN_OPTS)
    assert_ok(proc)
    assert np.array_equal(load(tmp_path / "gz.skw2v").wv_.vectors, load(model).wv_.vectors)
    proc = skw2v("train", tmp_path / "corpus.txt.gz", "-o", tmp_path / "o.skw2v", "-q",
                 "--vector-size", "8", "--window", "3", "--negative", "2", "--sample", "0",
                 "--min-count", "3", "--max-vocab-size", "500", "--epochs", "1",
                 "--alpha", "0.05", "--min-alpha", "0.001", "--agg", "sif", "--no-lowercase",
                 "--max-doc-len", "50", "--threads", "2", "--ns-exponent", "0.5")
    assert_ok(proc)
    est = load(tmp_path / "o.skw2v")
    assert est.wv_.vectors.shape == (500, 8)
    assert (est.window, est.negative, est.sample, est.min_count, est.lowercase, est.agg,
            est.max_doc_len, est.n_jobs, est.ns_exponent, est.alpha, est.min_alpha) == \
        (3, 2, 0.0, 3, False, "sif", 50, 2, 0.5, 0.05, 0.001)
    assert est.sif_component_ is not None


# ------------------------------------------------------------------ queries
def parse_neighbours(text):
    rows = [line.split() for line in text.strip().splitlines()]
    rows = [r for r in rows if len(r) == 3 and r[0].isdigit()]
    return [(word, float(cos)) for _, word, cos in rows]


def test_similar(model):
    proc = skw2v("similar", model, "government", "-n", "4")
    assert_ok(proc)
    expected = load(model).most_similar("government", topn=4)
    got = parse_neighbours(out(proc))
    assert [w for w, _ in got] == [w for w, _ in expected]
    assert np.allclose([c for _, c in got], [c for _, c in expected], atol=1e-4)
    assert out(proc).splitlines()[0].split() == ["rank", "word", "cosine"]


def test_similar_several_words_and_negative(model):
    proc = skw2v("similar", model, "government", "minister", "--negative", "police", "-n", "3")
    assert_ok(proc)
    expected = load(model).most_similar(["government", "minister"], ["police"], topn=3)
    assert [w for w, _ in parse_neighbours(out(proc))] == [w for w, _ in expected]


def test_analogy(model):
    proc = skw2v("analogy", model, "man", "king", "woman", "-n", "3")
    assert_ok(proc)
    assert out(proc).splitlines()[0] == "man : king :: woman : ?"
    expected = load(model).most_similar(positive=["king", "woman"], negative=["man"], topn=3)
    assert [w for w, _ in parse_neighbours(out(proc))] == [w for w, _ in expected]


def test_evaluate(model):
    from skw2v import evaluate_word_analogies, evaluate_word_pairs

    proc = skw2v("evaluate", model, "--analogies", QUESTIONS, "--pairs", WORDSIM)
    assert_ok(proc)
    text = out(proc)
    kv = load(model).wv_
    score, sections = evaluate_word_analogies(kv, QUESTIONS)
    total = re.search(r"^Total accuracy\s+(\d+)\s+(\d+)\s+([\d.]+)%", text, re.M)
    assert total, text
    assert int(total[1]) == len(sections[-1]["correct"])
    assert int(total[2]) == len(sections[-1]["correct"]) + len(sections[-1]["incorrect"])
    assert float(total[3]) == pytest.approx(100 * score, abs=0.01)
    assert re.search(r"^capital-common-countries\s+\d+\s+\d+", text, re.M)
    pearson, spearman, oov = evaluate_word_pairs(kv, WORDSIM)
    row = re.search(r"^wordsim353.tsv\s+(-?[\d.]+)\s+(-?[\d.]+)\s+([\d.]+)%", text, re.M)
    assert row, text
    assert float(row[1]) == pytest.approx(pearson[0], abs=1e-4)
    assert float(row[2]) == pytest.approx(spearman[0], abs=1e-4)
    assert float(row[3]) == pytest.approx(oov, abs=0.05)


@pytest.mark.parametrize("binary", [False, True])
def test_export_is_read_by_gensim(model, tmp_path, binary):
    path = tmp_path / ("vectors.bin" if binary else "vectors.txt")
    proc = skw2v("export", model, path, *(["--binary"] if binary else []))
    assert_ok(proc)
    theirs = gensim.models.KeyedVectors.load_word2vec_format(str(path), binary=binary)
    ours = load(model).wv_
    assert list(theirs.index_to_key) == ours.index_to_key
    assert np.array_equal(theirs.vectors, ours.vectors)
    # the export itself can be queried (binary) or evaluated (text) with --format
    fmt = "word2vec-binary" if binary else "word2vec-text"
    if binary:
        proc = skw2v("similar", path, "government", "-n", "3", "--format", fmt)
        assert_ok(proc)
        assert [w for w, _ in parse_neighbours(out(proc))] == \
            [w for w, _ in ours.most_similar("government", topn=3)]
    else:
        assert_ok(skw2v("evaluate", path, "--format", fmt, "--pairs", WORDSIM))


# ------------------------------------------------------------------ errors
def test_missing_corpus(tmp_path):
    proc = skw2v("train", tmp_path / "nope.txt", "-o", tmp_path / "m.skw2v")
    assert_one_line_error(proc, "corpus file not found")
    assert not (tmp_path / "m.skw2v").exists()


def test_unknown_word(model):
    assert_one_line_error(skw2v("similar", model, "qqqzzzxx"), "word 'qqqzzzxx' not in vocabulary")


def test_corrupt_model(tmp_path):
    path = tmp_path / "random.skw2v"
    path.write_bytes(np.random.RandomState(0).bytes(4096))
    assert_one_line_error(skw2v("similar", path, "the"), "not a skw2v model file")
    assert_one_line_error(skw2v("similar", path, "the", "--format", "word2vec-binary"), ".")
    assert_one_line_error(skw2v("similar", tmp_path / "missing.skw2v", "the"),
                          "model file not found")


def test_truncated_model(model, tmp_path):
    path = tmp_path / "cut.skw2v"
    path.write_bytes(model.read_bytes()[:5000])
    assert_one_line_error(skw2v("analogy", path, "a", "b", "c"), "not a skw2v model file")


@pytest.mark.parametrize("option, pattern", [
    (["--alpha", "-1"], "alpha"),
    (["--min-count", "100000"], "min_count=100000"),
])
def test_bad_parameters(workdir, tmp_path, option, pattern):
    proc = skw2v("train", workdir / "corpus.txt", "-o", tmp_path / "m.skw2v", "-q", *option)
    assert_one_line_error(proc, pattern)
    assert not (tmp_path / "m.skw2v").exists()


@pytest.mark.parametrize("args", [
    ["train", "corpus.txt"],                      # no -o
    ["train", "corpus.txt", "-o", "m", "--epochs", "0"],
    ["frobnicate"],
])
def test_usage_errors_exit_2(args, workdir):
    proc = skw2v(*args, cwd=workdir)
    assert proc.returncode == 2
    assert "usage:" in err(proc) and "Traceback" not in err(proc)


def test_evaluate_needs_a_test_file(model):
    proc = skw2v("evaluate", model)
    assert proc.returncode == 2 and "nothing to evaluate" in err(proc)


@pytest.mark.parametrize("command", [None] + COMMANDS)
def test_help(command):
    proc = skw2v(*([command] if command else []), "--help")
    assert_ok(proc)
    text = out(proc)
    assert text.startswith("usage: skw2v")
    if command is None:
        assert all(c in text for c in COMMANDS)
    if command == "train":
        assert "--vector-size N       dimension of the word vectors (default: 100)" in text
        for option in ["--window", "--negative", "--ns-exponent", "--sample", "--min-count",
                       "--max-vocab-size", "--epochs", "--alpha", "--min-alpha", "--solver",
                       "--optimizer", "--batch-size", "--device", "--threads", "--seed",
                       "--agg", "--no-lowercase", "--max-doc-len", "--quiet"]:
            assert option in text


# ------------------------------------------------------------------ demo
def test_demo():
    proc = skw2v("demo")
    assert_ok(proc)
    text = out(proc)
    accuracy = re.search(r"planted-analogy accuracy: ([\d.]+)%", text)
    assert accuracy, text
    assert float(accuracy[1]) > 80
    assert re.search(r"[\d,]+ words/s", text)
    classify = re.search(r"5-fold accuracy ([\d.]+)% .*chance 20%", text)
    assert classify and float(classify[1]) > 60, text
