"""The ``skw2v`` command line.

Most tests call ``skw2v.cli.main`` in this process: a subprocess pays the imports of numba
and scikit-learn every time. A few run the real programs (the ``skw2v`` console script and
``python -m skw2v``) for what only a process shows: standard input, exit statuses, the
installed entry point.
"""

import contextlib
import gzip
import io
import re
import shutil
import subprocess
import sys
import sysconfig
import warnings
from typing import NamedTuple

import numpy as np
import pytest
from conftest import gensim_data

from skw2v import CBOWVectorizer, LineCorpus, __version__, cli, load

gensim = pytest.importorskip("gensim")
QUESTIONS = gensim_data("questions-words.txt")
WORDSIM = gensim_data("wordsim353.tsv")
TRAIN_OPTS = ["--vector-size", "20", "--epochs", "2", "--min-count", "5", "-j", "1",
              "--seed", "0"]
COMMANDS = ["train", "similar", "analogy", "evaluate", "export", "demo", "info"]
# warnings a real process prints on stderr: all but the categories Python ignores by default
QUIET_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


class Result(NamedTuple):
    status: int
    out: str
    err: str


def skw2v(*args):
    """Run ``skw2v ARGS`` in this process; return its exit status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        try:
            status = cli.main([str(a) for a in args])
        except SystemExit as exc:  # argparse: --help, --version and usage errors
            status = exc.code
    for w in caught:
        if not issubclass(w.category, QUIET_WARNINGS):
            err.write(warnings.formatwarning(w.message, w.category, w.filename, w.lineno))
    return Result(status, out.getvalue(), err.getvalue())


def run(program, *args, stdin=None):
    """Run ``skw2v ARGS`` as a real process, ``program`` being its command."""
    proc = subprocess.run([*program, *map(str, args)], input=stdin, capture_output=True,
                          timeout=120)
    return Result(proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"))


PYTHON_M = [sys.executable, "-m", "skw2v"]


@pytest.fixture(scope="module")
def console_script():
    path = shutil.which("skw2v", path=sysconfig.get_path("scripts"))
    if path is None:
        pytest.skip("the skw2v console script is not installed")
    return [path]


def assert_ok(result):
    assert result.status == 0, result.err
    assert "Traceback" not in result.err


def assert_one_line_error(result, pattern, status=1):
    assert result.status == status, result.err
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("skw2v: error: ")
    assert re.search(pattern, lines[0]), lines[0]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli")
    shutil.copy(gensim_data("lee_background.cor"), path / "corpus.txt")
    return path


@pytest.fixture(scope="module")
def model(workdir):
    path = workdir / "lee.skw2v"
    result = skw2v("train", workdir / "corpus.txt", "-o", path, "--quiet", *TRAIN_OPTS)
    assert_ok(result)
    assert re.search(r"vocabulary [\d,]+ words x 20 dims; corpus [\d,]+ words x 2 epochs "
                     r"in [\d.]+ s \([\d,]+ words/s\); final loss \d+\.\d+; saved "
                     + re.escape(str(path)), result.out), result.out
    assert result.err == ""  # --quiet: no progress bar
    return path


def parse_neighbours(text):
    rows = [line.split() for line in text.strip().splitlines()]
    rows = [r for r in rows if len(r) == 3 and r[0].isdigit()]
    return [(word, float(cos)) for _, word, cos in rows]


def words(neighbours):
    return [w for w, _ in neighbours]


# ------------------------------------------------------------------ real processes
def test_version(console_script):
    result = run(console_script, "--version")
    assert_ok(result)
    assert result.out.strip() == f"skw2v {__version__}"


def test_train_from_stdin_then_similar(model, workdir, tmp_path, console_script):
    """python -m skw2v reads the corpus from stdin; the console script queries the model."""
    data = (workdir / "corpus.txt").read_bytes()
    result = run(PYTHON_M, "train", "-", "-o", tmp_path / "stdin.skw2v", *TRAIN_OPTS,
                 stdin=data)
    assert_ok(result)
    assert "word/s" in result.err  # the progress bar is on by default
    ours = load(tmp_path / "stdin.skw2v")
    assert np.array_equal(ours.wv_.vectors, load(model).wv_.vectors)
    result = run(console_script, "similar", tmp_path / "stdin.skw2v", "government", "-n", "4")
    assert_ok(result)
    expected = ours.most_similar("government", topn=4)
    got = parse_neighbours(result.out)
    assert words(got) == words(expected)
    assert np.allclose([c for _, c in got], [c for _, c in expected], atol=1e-4)


def test_error_exit_status(tmp_path):
    result = run(PYTHON_M, "train", tmp_path / "nope.txt", "-o", tmp_path / "m.skw2v")
    assert_one_line_error(result, "corpus file not found")


# ------------------------------------------------------------------ train
def test_every_parameter_is_an_option_or_deliberately_not():
    """A new CBOWVectorizer parameter must become an option or be listed in _NOT_EXPOSED."""
    options = {option.param for option in cli._TRAIN_OPTIONS}
    assert len(options) == len(cli._TRAIN_OPTIONS)
    assert not options & set(cli._NOT_EXPOSED)
    assert options | set(cli._NOT_EXPOSED) == set(CBOWVectorizer().get_params())
    assert all(cli._NOT_EXPOSED.values())  # each with its reason


def test_option_defaults_are_the_estimators():
    args = cli.build_parser().parse_args(["train", "corpus.txt", "-o", "m.skw2v"])
    expected = {k: v for k, v in CBOWVectorizer().get_params().items()
                if k not in cli._NOT_EXPOSED}
    expected["verbose"] = 1  # the progress bar is on unless --quiet
    assert cli.train_params(args) == expected


@pytest.mark.parametrize("argv, params", [
    (["--solver", "minibatch", "--optimizer", "adam", "--batch-size", "64"],
     {"solver": "minibatch", "optimizer": "adam", "batch_size": 64}),
    (["--batch-size", "auto", "--device", "cuda:1", "--seed", "3", "-q"],
     {"batch_size": "auto", "device": "cuda:1", "random_state": 3, "verbose": 0}),
    (["-j", "2"], {"n_jobs": 2}),
    (["--init-vectors", "v.vec", "--lock-init-vectors"],
     {"init_vectors": "v.vec", "lock_init_vectors": True}),
    (["--threads", "3", "--agg", "minmax"], {"n_jobs": 3, "agg": "minmax"}),
])
def test_options_reach_the_parameters(argv, params):
    args = cli.build_parser().parse_args(["train", "corpus.txt", "-o", "m.skw2v", *argv])
    assert cli.train_params(args).items() >= params.items()


def test_train_matches_the_estimator(model, workdir):
    """The options reach CBOWVectorizer: same settings in Python give the same vectors."""
    cli_model = load(model)
    est = CBOWVectorizer(vector_size=20, epochs=2, min_count=5, n_jobs=1, random_state=0,
                         verbose=0).fit(LineCorpus(workdir / "corpus.txt"))
    assert cli_model.get_params() == est.get_params()
    assert np.array_equal(cli_model.wv_.vectors, est.wv_.vectors)


def test_train_gzip_and_options(model, workdir, tmp_path):
    with gzip.open(tmp_path / "corpus.txt.gz", "wb") as f:
        f.write((workdir / "corpus.txt").read_bytes())
    result = skw2v("train", tmp_path / "corpus.txt.gz", "-o", tmp_path / "gz.skw2v", "-q",
                   *TRAIN_OPTS)
    assert_ok(result)
    assert np.array_equal(load(tmp_path / "gz.skw2v").wv_.vectors, load(model).wv_.vectors)
    result = skw2v("train", tmp_path / "corpus.txt.gz", "-o", tmp_path / "o.skw2v", "-q",
                   "--vector-size", "8", "--window", "3", "--negative", "2", "--sample", "0",
                   "--min-count", "3", "--max-vocab-size", "500", "--epochs", "1",
                   "--alpha", "0.05", "--min-alpha", "0.001", "--agg", "sif",
                   "--no-lowercase", "--max-doc-len", "50", "--threads", "2",
                   "--ns-exponent", "0.5")
    assert_ok(result)
    est = load(tmp_path / "o.skw2v")
    assert est.wv_.vectors.shape == (500, 8)
    assert (est.window, est.negative, est.sample, est.min_count, est.lowercase, est.agg,
            est.max_doc_len, est.n_jobs, est.ns_exponent, est.alpha, est.min_alpha) == \
        (3, 2, 0.0, 3, False, "sif", 50, 2, 0.5, 0.05, 0.001)
    assert est.sif_component_ is not None


# ------------------------------------------------------------------ queries
def test_similar(model):
    result = skw2v("similar", model, "government", "-n", "4")
    assert_ok(result)
    expected = load(model).most_similar("government", topn=4)
    got = parse_neighbours(result.out)
    assert words(got) == words(expected)
    assert np.allclose([c for _, c in got], [c for _, c in expected], atol=1e-4)
    assert result.out.splitlines()[0].split() == ["rank", "word", "cosine"]


def test_similar_several_words_and_negative(model):
    result = skw2v("similar", model, "government", "minister", "--negative", "police",
                   "-n", "3")
    assert_ok(result)
    expected = load(model).most_similar(["government", "minister"], ["police"], topn=3)
    assert words(parse_neighbours(result.out)) == words(expected)


def test_analogy(model):
    result = skw2v("analogy", model, "man", "king", "woman", "-n", "3")
    assert_ok(result)
    assert result.out.splitlines()[0] == "man : king :: woman : ?"
    expected = load(model).most_similar(positive=["king", "woman"], negative=["man"], topn=3)
    assert words(parse_neighbours(result.out)) == words(expected)


def test_evaluate(model):
    from skw2v import evaluate_word_analogies, evaluate_word_pairs

    result = skw2v("evaluate", model, "--analogies", QUESTIONS, "--pairs", WORDSIM)
    assert_ok(result)
    text = result.out
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
    assert_ok(skw2v("export", model, path, *(["--binary"] if binary else [])))
    theirs = gensim.models.KeyedVectors.load_word2vec_format(str(path), binary=binary)
    ours = load(model).wv_
    assert list(theirs.index_to_key) == ours.index_to_key
    assert np.array_equal(theirs.vectors, ours.vectors)
    # the export itself can be queried (binary) or evaluated (text) with --format
    fmt = "word2vec-binary" if binary else "word2vec-text"
    if binary:
        result = skw2v("similar", path, "government", "-n", "3", "--format", fmt)
        assert_ok(result)
        assert words(parse_neighbours(result.out)) == \
            words(ours.most_similar("government", topn=3))
    else:
        assert_ok(skw2v("evaluate", path, "--format", fmt, "--pairs", WORDSIM))


# ------------------------------------------------------------------ errors
def test_missing_corpus(tmp_path):
    result = skw2v("train", tmp_path / "nope.txt", "-o", tmp_path / "m.skw2v")
    assert_one_line_error(result, "corpus file not found")
    assert not (tmp_path / "m.skw2v").exists()


def test_unknown_word(model):
    assert_one_line_error(skw2v("similar", model, "qqqzzzxx"),
                          "word 'qqqzzzxx' not in vocabulary")


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
    result = skw2v("train", workdir / "corpus.txt", "-o", tmp_path / "m.skw2v", "-q", *option)
    assert_one_line_error(result, pattern)
    assert not (tmp_path / "m.skw2v").exists()


@pytest.mark.parametrize("args", [
    ["train", "corpus.txt"],                      # no -o
    ["train", "corpus.txt", "-o", "m", "--epochs", "0"],
    ["train", "corpus.txt", "-o", "m", "--agg", "median"],
    ["frobnicate"],
])
def test_usage_errors_exit_2(args):
    result = skw2v(*args)
    assert result.status == 2
    assert "usage:" in result.err and "Traceback" not in result.err


def test_evaluate_needs_a_test_file(model):
    result = skw2v("evaluate", model)
    assert result.status == 2 and "nothing to evaluate" in result.err


@pytest.mark.parametrize("command", [None] + COMMANDS)
def test_help(command, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")  # argparse wraps to the terminal, if there is one
    result = skw2v(*([command] if command else []), "--help")
    assert_ok(result)
    text = result.out
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
@pytest.mark.slow
def test_demo():
    result = skw2v("demo")
    assert_ok(result)
    text = result.out
    accuracy = re.search(r"planted-analogy accuracy: ([\d.]+)%", text)
    assert accuracy, text
    assert float(accuracy[1]) > 80
    assert re.search(r"[\d,]+ words/s", text)
    classify = re.search(r"5-fold accuracy ([\d.]+)% .*chance 20%", text)
    assert classify and float(classify[1]) > 60, text


# ------------------------------------------------------------------ info
def test_info():
    """The report of skw2v.show_versions() (whose content test_show_versions.py checks)."""
    from skw2v._show_versions import _format_versions, _get_versions_info

    result = skw2v("info")
    assert_ok(result)
    assert result.err == ""
    assert result.out == _format_versions(_get_versions_info())
    assert f"skw2v: {__version__}" in result.out
    assert "CUDA simulator: " in result.out
