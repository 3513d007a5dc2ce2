"""KeyedVectors.save_projector and ``skw2v export --format projector``: the TensorBoard
Embedding Projector's files, read back with plain readers, on a model trained on real text."""

import contextlib
import csv
import io
import json
import os
import re
import shutil
import warnings

import numpy as np
import pytest
from conftest import gensim_data

from skw2v import KeyedVectors, _projector, cli, load

FILES = ["config.json", "metadata.tsv", "projector_config.pbtxt", "tensors.tsv"]
TRAIN_OPTS = ["--vector-size", "20", "--epochs", "2", "--min-count", "5", "-j", "1",
              "--seed", "0", "--quiet"]


def skw2v(*args):
    """Run ``skw2v ARGS`` in this process (as tests/test_cli.py does): status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = cli.main([str(a) for a in args])
        except SystemExit as exc:  # argparse usage errors
            status = exc.code
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A model trained by ``skw2v train`` on gensim's lee_background.cor (real news text)."""
    workdir = tmp_path_factory.mktemp("projector")
    shutil.copy(gensim_data("lee_background.cor"), workdir / "corpus.txt")
    path = workdir / "lee.skw2v"
    status, _, err = skw2v("train", workdir / "corpus.txt", "-o", path, *TRAIN_OPTS)
    assert status == 0, err
    return path


@pytest.fixture(scope="module")
def wv(model):
    return load(model).wv_


# ----------------------------------------------------------------- plain readers
def read_tensors(directory, dtype=np.float64):
    return np.loadtxt(directory / "tensors.tsv", delimiter="\t", dtype=dtype, ndmin=2)


def read_metadata(directory):
    """The header and rows of metadata.tsv, split at newlines and tabs as the projector does."""
    text = (directory / "metadata.tsv").read_bytes().decode("utf-8", "surrogateescape")
    assert text.endswith("\n")
    lines = [line.split("\t") for line in text[:-1].split("\n")]
    return lines[0], lines[1:]


def projector_labels(directory):
    """The labels the web projector's parseMetadata finds: blank lines skipped, the first line
    a header when it holds a tab, the first column the label."""
    text = (directory / "metadata.tsv").read_text(encoding="utf-8")
    lines = [line for line in text.split("\n") if line.strip()]
    if "\t" in lines[0]:
        lines = lines[1:]
    return [line.split("\t")[0] for line in lines]


def expected_config(n_rows, dim):
    return {"embeddings": [{"tensorName": "word vectors", "tensorShape": [n_rows, dim],
                            "tensorPath": "tensors.tsv", "metadataPath": "metadata.tsv"}]}


def assert_files(directory, kv, n_rows):
    """The four files hold the first `n_rows` words, vectors and counts of `kv`."""
    assert sorted(os.listdir(directory)) == FILES  # no temporary file left
    vectors = kv.vectors[:n_rows]
    # exact in float32 (the projector's Float32Array), whether parsed as float32 or float64
    np.testing.assert_array_equal(read_tensors(directory, np.float32), vectors)
    np.testing.assert_array_equal(read_tensors(directory).astype(np.float32), vectors)
    header, rows = read_metadata(directory)
    assert header == ["word", "count"]
    assert [row[0] for row in rows] == kv.index_to_key[:n_rows]
    counts = [""] * n_rows if kv.counts is None else [str(c) for c in kv.counts[:n_rows]]
    assert [row[1] for row in rows] == counts
    assert all(len(row) == 2 for row in rows)
    with open(directory / "config.json", encoding="utf-8") as f:
        assert json.load(f) == expected_config(n_rows, kv.vector_size)
    assert (directory / "projector_config.pbtxt").read_text() == (
        'embeddings {\n  tensor_name: "word vectors"\n'
        f"  tensor_shape: {n_rows}\n  tensor_shape: {kv.vector_size}\n"
        '  tensor_path: "tensors.tsv"\n  metadata_path: "metadata.tsv"\n}\n')


def file_contents(directory):
    return {name: (directory / name).read_bytes() for name in sorted(os.listdir(directory))}


# ----------------------------------------------------------------- the files
def test_files_load_back(wv, tmp_path):
    out = tmp_path / "projector"
    assert wv.save_projector(out) is None
    assert wv.counts is not None and len(wv) > 1000
    assert_files(out, wv, len(wv))
    # the counts are the corpus's, most frequent first
    _, rows = read_metadata(out)
    assert [int(count) for _, count in rows] == wv.counts.tolist()
    assert rows[0][0] == "the"
    # csv's reader, without quoting (the projector has none), sees the same table
    with open(out / "metadata.tsv", newline="", encoding="utf-8") as f:
        table = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert table[0] == ["word", "count"]
    assert [row[0] for row in table[1:]] == wv.index_to_key
    assert projector_labels(out) == wv.index_to_key


@pytest.mark.parametrize("limit", [1, 2, 300, "all", "more"])
def test_limit(wv, tmp_path, limit):
    limit = {"all": len(wv), "more": len(wv) + 5}.get(limit, limit)
    wv.save_projector(tmp_path, limit=limit)
    assert_files(tmp_path, wv, min(limit, len(wv)))


def test_limit_accepts_numpy_ints(wv, tmp_path):
    wv.save_projector(tmp_path, limit=np.int64(7))
    assert_files(tmp_path, wv, 7)


@pytest.mark.parametrize("limit", [0, -1, 2.5, "10", True, [3]])
def test_bad_limit_is_refused(wv, tmp_path, limit):
    out = tmp_path / "projector"
    with pytest.raises((ValueError, TypeError), match="'limit' parameter of save_projector"):
        wv.save_projector(out, limit=limit)
    assert not out.exists()


def test_bad_directory_is_refused(wv, tmp_path):
    with pytest.raises(TypeError, match="'directory' parameter of save_projector must be a "
                                        "str or os.PathLike"):
        wv.save_projector(3)
    path = tmp_path / "file"
    path.write_text("not a directory")
    with pytest.raises(NotADirectoryError, match="exists and is not a directory"):
        wv.save_projector(path)
    assert path.read_text() == "not a directory"
    os.makedirs(tmp_path / "out" / "tensors.tsv")
    with pytest.raises(IsADirectoryError, match="tensors.tsv"):
        wv.save_projector(tmp_path / "out")
    assert os.listdir(tmp_path / "out") == ["tensors.tsv"]


def test_directory_and_parents_are_created(wv, tmp_path):
    out = tmp_path / "a" / "b"
    wv.save_projector(str(out), limit=5)
    assert_files(out, wv, 5)


def test_overwrites_files_of_the_same_names(wv, tmp_path):
    wv.save_projector(tmp_path, limit=50)
    (tmp_path / "notes.txt").write_text("mine")
    wv.save_projector(tmp_path, limit=10)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    (tmp_path / "notes.txt").unlink()
    assert_files(tmp_path, wv, 10)


def test_without_counts_the_count_column_is_empty(wv, tmp_path):
    kv = KeyedVectors(wv.index_to_key, wv.vectors)
    kv.save_projector(tmp_path, limit=20)
    assert_files(tmp_path, kv, 20)
    text = (tmp_path / "metadata.tsv").read_text()
    assert text.startswith(f"word\tcount\nthe\t\n{kv.index_to_key[1]}\t\n")


def test_blank_and_quoted_words_keep_their_place(wv, tmp_path):
    """The projector skips blank lines: with a count column no line is blank, so a word made
    of white space (or the empty word) stays aligned with its vector. Quotes are written as
    they are (the projector does not quote)."""
    words = ["the", " ", "", "\u3000", 'say "hi"', "it's", "end"]
    kv = KeyedVectors(words, wv.vectors[:7], np.arange(7, 0, -1))
    kv.save_projector(tmp_path)
    assert_files(tmp_path, kv, 7)
    assert projector_labels(tmp_path) == words


@pytest.mark.parametrize("blank", ["", " ", "\xa0", "\u3000", "\ufeff"])
def test_blank_word_without_counts_is_refused(wv, tmp_path, blank):
    words = ["the", "of", blank, "end"]
    kv = KeyedVectors(words, wv.vectors[:4])
    with pytest.raises(ValueError, match=re.escape(f"word {blank!r} (row 2) is blank: without "
                                                   "counts its line in metadata.tsv would be "
                                                   "blank")):
        kv.save_projector(tmp_path / "out")
    assert not (tmp_path / "out").exists()
    kv.save_projector(tmp_path / "out", limit=2)  # left out: fine
    assert_files(tmp_path / "out", kv, 2)
    assert projector_labels(tmp_path / "out") == ["the", "of"]


@pytest.mark.parametrize("end, name", [("\t", "a tab"), ("\n", "a newline"),
                                       ("\r", "a carriage return")])
def test_word_with_a_field_end_is_refused_and_nothing_written(wv, tmp_path, end, name):
    wv.save_projector(tmp_path, limit=100)
    before = file_contents(tmp_path)
    words = list(wv.index_to_key)
    words[40] = f"new{end}york"
    kv = KeyedVectors(words, wv.vectors, wv.counts)
    with pytest.raises(ValueError, match=re.escape(f"word {words[40]!r} (row 40) cannot be "
                                                   f"written to metadata.tsv: it holds {name}")):
        kv.save_projector(tmp_path)
    assert file_contents(tmp_path) == before  # old files intact, no temporary file
    with pytest.raises(ValueError, match="holds"):
        kv.save_projector(tmp_path / "new")
    assert not (tmp_path / "new").exists()
    # only the written words count: a limit that leaves the word out is fine
    kv.save_projector(tmp_path, limit=40)
    assert_files(tmp_path, kv, 40)


def test_non_ascii_and_undecodable_words_round_trip(wv, tmp_path):
    words = ["café", "naïve", "東京", "caf\udce9", "\udcff\udcfe"]  # the last two: raw bytes
    kv = KeyedVectors(words, wv.vectors[:5], [5, 4, 3, 2, 1])
    with pytest.warns(UnicodeWarning, match=r"2 word\(s\) hold bytes that are not UTF-8 "
                                            r"\(e\.g\. 'caf\\udce9'\)"):
        kv.save_projector(tmp_path)
    assert_files(tmp_path, kv, 5)
    raw = (tmp_path / "metadata.tsv").read_bytes()
    assert raw == ("word\tcount\ncafé\t5\nnaïve\t4\n東京\t3\n".encode("utf-8")
                   + b"caf\xe9\t2\n\xff\xfe\t1\n")


def test_valid_utf8_words_give_no_warning(wv, tmp_path):
    kv = KeyedVectors(["café", "naïve"], wv.vectors[:2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kv.save_projector(tmp_path)
    assert projector_labels(tmp_path) == ["café", "naïve"]


def test_unstorable_word_is_refused(wv, tmp_path):
    kv = KeyedVectors(["ok", "bad\ud800"], wv.vectors[:2])
    with pytest.raises(ValueError, match=r"'bad\\ud800' cannot be stored"):
        kv.save_projector(tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_non_finite_vector_is_refused(wv, tmp_path):
    vectors = wv.vectors[:10].copy()
    vectors[6, 3] = np.nan
    kv = KeyedVectors(wv.index_to_key[:10], vectors)
    with pytest.raises(ValueError, match=re.escape(f"the vector of word {kv.index_to_key[6]!r} "
                                                   "(row 6) holds NaN or infinity")):
        kv.save_projector(tmp_path / "out")
    assert not (tmp_path / "out").exists()
    kv.save_projector(tmp_path / "out", limit=6)
    assert_files(tmp_path / "out", kv, 6)


def test_empty_and_one_dimensional_vectors_are_refused(tmp_path):
    with pytest.raises(ValueError, match="no vectors to write"):
        KeyedVectors([], np.zeros((0, 5))).save_projector(tmp_path / "out")
    with pytest.raises(ValueError, match="2 dimensions or more; these have 1"):
        KeyedVectors(["a", "b"], [[1.0], [2.0]]).save_projector(tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_failure_while_writing_leaves_the_old_files(wv, tmp_path, monkeypatch):
    wv.save_projector(tmp_path, limit=30)
    before = file_contents(tmp_path)

    def fail(fout, vectors):
        fout.write(b"0.5\t")
        raise OSError("disk full")

    monkeypatch.setattr(_projector, "write_tensors", fail)
    with pytest.raises(OSError, match="disk full"):
        wv.save_projector(tmp_path, limit=10)
    assert file_contents(tmp_path) == before


def test_large_rows_are_written_in_blocks(wv, tmp_path, monkeypatch):
    monkeypatch.setattr(_projector, "_BLOCK_VALUES", 3 * wv.vector_size + 1)
    wv.save_projector(tmp_path, limit=100)
    assert_files(tmp_path, wv, 100)


# ----------------------------------------------------------------- command line
@pytest.mark.parametrize("limit", [None, 500])
def test_cli_writes_the_same_files(model, wv, tmp_path, limit):
    out = tmp_path / "out"
    options = [] if limit is None else ["--limit", limit]
    status, stdout, err = skw2v("export", model, out, "--format", "projector", *options)
    assert status == 0, err
    n_rows = len(wv) if limit is None else limit
    assert stdout == (f"wrote {n_rows:,} of {len(wv):,} vectors x {wv.vector_size} dims "
                      "(Embedding Projector: tensors.tsv, metadata.tsv, config.json, "
                      f"projector_config.pbtxt) to {out}\n")
    assert_files(out, wv, n_rows)
    wv.save_projector(tmp_path / "method", limit=limit)
    assert file_contents(out) == file_contents(tmp_path / "method")


def assert_error(result, pattern, status=1):
    assert result[0] == status, result
    lines = result[2].strip().splitlines()
    assert "Traceback" not in result[2]
    assert re.search(pattern, lines[-1]), lines


def test_cli_errors(model, wv, tmp_path):
    out = tmp_path / "out"
    assert_error(skw2v("export", model, out, "--limit", "5"),
                 r"skw2v export: error: --limit applies to --format projector only", 2)
    assert_error(skw2v("export", model, out, "--format", "projector", "--binary"),
                 r"--binary applies to word2vec files, not to --format projector", 2)
    assert_error(skw2v("export", model, out, "--format", "projector", "--limit", "0"),
                 r"argument --limit: must be at least 1, got 0", 2)
    wv.save_word2vec_format(tmp_path / "vectors.txt")
    assert_error(skw2v("export", tmp_path / "vectors.txt", out, "--format", "projector"),
                 r"^skw2v: error: not a skw2v model file: .*--format projector reads a "
                 r"skw2v model")
    assert_error(skw2v("export", model, tmp_path / "vectors.txt", "--format", "projector"),
                 r"^skw2v: error: exists and is not a directory: .*vectors\.txt$")
    assert_error(skw2v("export", model, tmp_path / "no" / "out", "--format", "projector"),
                 r"^skw2v: error: output directory does not exist")
    assert not out.exists()
