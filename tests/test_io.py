"""Compressed files, as a user meets them: every reader recognises gzip, bz2 and xz by content."""

import bz2
import gzip
import lzma
import os
import re

import numpy as np
import pytest
from conftest import gensim_data

from skw2v import KeyedVectors, LineCorpus
from skw2v._evaluate import evaluate_word_analogies, evaluate_word_pairs
from skw2v._io import compression_of, open_file

# name -> how to compress bytes the way the usual command-line tools do
COMPRESS = {
    "gzip": gzip.compress,
    "bz2": bz2.compress,
    "xz": lambda data: lzma.compress(data, preset=1),
    "lzma": lambda data: lzma.compress(data, format=lzma.FORMAT_ALONE, preset=1),
}
# (file name, compression): the extensions people use, upper case, and none at all
NAMED = [
    ("lee.cor.gz", "gzip"),
    ("lee.cor.bz2", "bz2"),
    ("lee.cor.xz", "xz"),
    ("lee.cor.lzma", "lzma"),
    ("LEE.COR.GZ", "gzip"),
    ("LEE.COR.XZ", "xz"),
    ("Lee.Cor.Bz2", "bz2"),
    ("lee-gzip-without-extension", "gzip"),
    ("lee-xz-without-extension", "xz"),
    ("lee.cor.bz2.gz", "bz2"),  # the name lies: the content decides
]
CORRUPT_MESSAGE = (r"corrupt or truncated compressed file after line (\d+) "
                   r"\(uncompressed byte offset (\d+)\)")


def _compressed(tmp_path, name, kind, source):
    with open(source, "rb") as f:
        data = COMPRESS[kind](f.read())
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def lee_lines():
    return list(LineCorpus(gensim_data("lee_background.cor")))


# ------------------------------------------------------------------------ LineCorpus
def test_plain_lee_corpus_reads_as_its_lines(lee_lines):
    with open(gensim_data("lee_background.cor"), encoding="utf-8") as f:
        assert lee_lines == f.read().split("\n")  # no newline after the last line
    assert len(lee_lines) == 300


@pytest.mark.parametrize("name, kind", NAMED)
def test_line_corpus_reads_every_compression(tmp_path, lee_lines, name, kind):
    path = _compressed(tmp_path, name, kind, gensim_data("lee_background.cor"))
    assert list(LineCorpus(path)) == lee_lines


@pytest.mark.parametrize("name", ["plain.gz", "PLAIN.BZ2", "plain.xz", "plain.lzma"])
def test_plain_text_with_a_compression_extension_reads_as_text(tmp_path, name):
    path = tmp_path / name
    path.write_text("not compressed\nat all, at all\n", encoding="utf-8")
    assert compression_of(path) is None
    assert list(LineCorpus(path)) == ["not compressed", "at all, at all"]


def test_empty_compressed_corpus_has_no_lines(tmp_path):
    for kind in COMPRESS:
        path = tmp_path / f"empty.{kind}"
        path.write_bytes(COMPRESS[kind](b""))
        assert list(LineCorpus(path)) == []


def _garbled(data, start, n=64):
    return data[:start] + bytes(b ^ 0x5A for b in data[start:start + n]) + data[start + n:]


DAMAGE = {
    "truncated": lambda data: data[: len(data) // 2],
    "corrupted": lambda data: _garbled(data, len(data) // 2),
    "bad ending": lambda data: _garbled(data, len(data) - 8, 4),  # checksums, end markers
}
# gzip notices garbage in the middle only at its final CRC-32: it is the "bad ending" case
DAMAGED = [(kind, damage) for kind in COMPRESS for damage in DAMAGE
           if (kind, damage) != ("gzip", "corrupted")]


@pytest.mark.parametrize("kind, damage", DAMAGED)
def test_damaged_compressed_corpus_names_line_and_offset(tmp_path, lee_lines, kind, damage):
    path = _compressed(tmp_path, "lee.txt." + kind, kind, gensim_data("lee_background.cor"))
    path.write_bytes(DAMAGE[damage](path.read_bytes()))
    got = []
    with pytest.raises(ValueError, match=CORRUPT_MESSAGE) as info:
        for line in LineCorpus(path):
            got.append(line)
    assert str(path) in str(info.value)
    assert got == lee_lines[:len(got)]
    line, offset = map(int, re.search(CORRUPT_MESSAGE, str(info.value)).groups())
    assert line == len(got) and offset == sum(len(x.encode()) + 1 for x in got)


def test_damaged_utf16_corpus_names_the_line(tmp_path):
    # UTF-16 is split into lines by the text layer: a different path through LineCorpus
    data = gzip.compress("première ligne\ndeuxième ligne\n".encode("utf-16") * 2000)
    path = tmp_path / "utf16.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"corrupt or truncated compressed file after line \d+:"):
        list(LineCorpus(path, encoding="utf-16"))
    path.write_bytes(data)
    assert list(LineCorpus(path, encoding="utf-16"))[:2] == ["première ligne", "deuxième ligne"]


# ------------------------------------------------------------------------- open_file
@pytest.mark.parametrize("name, kind, decompress", [
    ("out.txt.gz", "gzip", gzip.decompress),
    ("OUT.TXT.GZ", "gzip", gzip.decompress),
    ("out.bz2", "bz2", bz2.decompress),
    ("out.Xz", "xz", lambda data: lzma.decompress(data, format=lzma.FORMAT_XZ)),
    ("out.lzma", "xz", lambda data: lzma.decompress(data, format=lzma.FORMAT_ALONE)),
    ("out.txt", None, lambda data: data),
    ("out.gz.txt", None, lambda data: data),
])
def test_open_file_compresses_by_extension(tmp_path, name, kind, decompress):
    path = tmp_path / name
    with open_file(path, "wt", encoding="utf-8") as f:
        f.write("written by skw2v\n")
    assert compression_of(path) == kind
    assert decompress(path.read_bytes()) == b"written by skw2v\n"
    with open_file(path, "rt", encoding="utf-8") as f:
        assert f.read() == "written by skw2v\n"
    with open_file(str(path)) as f:  # "rb" by default, str paths too
        assert f.read() == b"written by skw2v\n"


@pytest.mark.parametrize("mode", ["r", "w", "ab", "r+b"])
def test_open_file_rejects_other_modes(tmp_path, mode):
    with pytest.raises(ValueError, match="mode must be 'rb', 'rt', 'wb' or 'wt'"):
        open_file(tmp_path / "x", mode)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        open_file(tmp_path / "missing.gz")


# ------------------------------------------------------------ word2vec vector files
@pytest.mark.parametrize("name, kind", [
    ("lee.vec.xz", "xz"), ("lee-vectors", "gzip"), ("LEE.VEC.BZ2", "bz2"),
    ("lee.vec.lzma", "lzma"),
])
def test_load_word2vec_format_compressed(tmp_path, kv, name, kind):
    path = _compressed(tmp_path, name, kind, gensim_data("lee_fasttext.vec"))
    loaded = KeyedVectors.load_word2vec_format(path)
    assert loaded.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(loaded.vectors, kv.vectors)


def test_load_binary_word2vec_without_extension(tmp_path):
    source = gensim_data("euclidean_vectors.bin")
    path = _compressed(tmp_path, "vectors", "gzip", source)
    plain = KeyedVectors.load_word2vec_format(source, binary=True)
    loaded = KeyedVectors.load_word2vec_format(path, binary=True)
    assert loaded.index_to_key == plain.index_to_key
    np.testing.assert_array_equal(loaded.vectors, plain.vectors)


@pytest.mark.parametrize("kind", ["gzip", "bz2", "xz"])
@pytest.mark.parametrize("binary", [False, True])
def test_truncated_compressed_vectors(tmp_path, kv, kind, binary):
    plain = tmp_path / "plain"
    kv.save_word2vec_format(plain, binary=binary)
    path = _compressed(tmp_path, "vectors", kind, plain)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match="corrupt or truncated compressed data"):
        KeyedVectors.load_word2vec_format(path, binary=binary)


@pytest.mark.parametrize("name, kind", [("v.txt.gz", "gzip"), ("V.TXT.XZ", "xz"), ("v.txt", None)])
def test_save_word2vec_format_compresses_by_extension(tmp_path, name, kind):
    kv = KeyedVectors(["a", "b"], np.array([[0.5, -1.0], [2.0, 0.25]]))
    path = tmp_path / name
    kv.save_word2vec_format(path)
    assert compression_of(path) == kind
    with open_file(path) as f:
        assert f.read() == b"2 2\na 0.5 -1.0\nb 2.0 0.25\n"
    assert KeyedVectors.load_word2vec_format(path).index_to_key == ["a", "b"]


# ----------------------------------------------------------------- evaluation files
def test_compressed_evaluation_files(tmp_path, kv):
    analogies = gensim_data("questions-words.txt")
    pairs = gensim_data("wordsim353.tsv")
    xz = _compressed(tmp_path, "questions", "xz", analogies)
    bz = _compressed(tmp_path, "WORDSIM.TSV.BZ2", "bz2", pairs)
    assert evaluate_word_analogies(kv, xz) == evaluate_word_analogies(kv, analogies)
    assert evaluate_word_pairs(kv, bz) == evaluate_word_pairs(kv, pairs)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_read_as_it_is_without_losing_its_first_bytes(tmp_path):
    """Sniffing a pipe would consume its first bytes (and reopening it would wait forever)."""
    import threading

    fifo = tmp_path / "pairs.fifo"
    os.mkfifo(fifo)
    text = "# a comment line\nking\tqueen\t8.5\n" * 50

    def feed():
        with open(fifo, "w", encoding="utf-8") as f:
            f.write(text)

    def read():
        with open_file(fifo, "rt", encoding="utf-8") as f:
            got.append(f.read())

    got = []
    threads = [threading.Thread(target=job, daemon=True) for job in (feed, read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert got == [text]  # not a hang, not a text missing its first bytes
