import bz2
import gzip
import lzma
import os
import pathlib
import tempfile
import tracemalloc
import warnings

import numpy as np
import pytest

pytest.importorskip("gensim")
from conftest import gensim_data  # noqa: E402
from gensim.models import KeyedVectors as GensimKV  # noqa: E402
from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from skw2v._keyedvectors import KeyedVectors  # noqa: E402
from skw2v._word2vec_format import read_word2vec, write_word2vec  # noqa: E402

LEE = gensim_data("lee_fasttext.vec")
UNICODE_KEYS = ["naïve", "日本", "café", "Ωμέγα", "emoji🙂", "plain"]


@pytest.fixture(scope="module")
def unicode_kv():
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((len(UNICODE_KEYS), 7)).astype(np.float32)
    return KeyedVectors(UNICODE_KEYS, vectors)


def assert_same(ours, theirs):
    assert list(ours.index_to_key) == list(theirs.index_to_key)
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("binary", [False, True])
def test_bytes_identical_to_gensim(tmp_path, kv, gkv, binary):
    kv.save_word2vec_format(tmp_path / "ours", binary=binary)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gkv.save_word2vec_format(str(tmp_path / "theirs"), binary=binary)
    assert (tmp_path / "ours").read_bytes() == (tmp_path / "theirs").read_bytes()


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("which", ["lee", "unicode"])
def test_gensim_reads_ours(tmp_path, kv, unicode_kv, binary, which):
    source = kv if which == "lee" else unicode_kv
    path = tmp_path / ("v.bin" if binary else "v.txt")
    source.save_word2vec_format(path, binary=binary)
    assert_same(GensimKV.load_word2vec_format(str(path), binary=binary), source)


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("which", ["lee", "unicode"])
def test_we_read_gensim(tmp_path, gkv, unicode_kv, binary, which):
    if which == "lee":
        source = gkv
    else:
        source = GensimKV(unicode_kv.vector_size)
        source.add_vectors(unicode_kv.index_to_key, unicode_kv.vectors)
    path = tmp_path / "g.w2v"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        source.save_word2vec_format(str(path), binary=binary)
    assert_same(KeyedVectors.load_word2vec_format(path, binary=binary), source)


@pytest.mark.parametrize("name, binary", [
    ("lee_fasttext.vec", False),
    ("high_precision.kv.txt", False),
    ("high_precision.kv.bin", True),
    ("euclidean_vectors.bin", True),
    ("crime-and-punishment.vec", False),
    ("toy-model.vec", False),
])
def test_shipped_files_read_like_gensim(name, binary):
    path = gensim_data(name)
    assert_same(KeyedVectors.load_word2vec_format(path, binary=binary),
                GensimKV.load_word2vec_format(path, binary=binary))


@pytest.mark.parametrize("limit", [0, 1, 10, 1762, 5000])
@pytest.mark.parametrize("binary", [False, True])
def test_limit(tmp_path, kv, binary, limit):
    path = tmp_path / "v"
    kv.save_word2vec_format(path, binary=binary)
    loaded = KeyedVectors.load_word2vec_format(path, binary=binary, limit=limit)
    assert loaded.index_to_key == kv.index_to_key[:limit]
    np.testing.assert_array_equal(loaded.vectors, kv.vectors[:limit])
    if limit:
        assert_same(loaded, GensimKV.load_word2vec_format(str(path), binary=binary, limit=limit))


def test_limit_rejects_negative():
    with pytest.raises(ValueError, match="limit"):
        KeyedVectors.load_word2vec_format(LEE, limit=-1)


def test_trailing_spaces_and_crlf(tmp_path, kv):
    lines = [f"{len(kv)} {kv.vector_size} "]
    lines += [f"{w} {' '.join(map(str, v))} " for w, v in zip(kv.index_to_key, kv.vectors)]
    for sep in ["\n", "\r\n"]:
        path = write(tmp_path, "v.vec", (sep.join(lines) + sep).encode())
        assert_same(KeyedVectors.load_word2vec_format(path), kv)


def test_c_tool_binary_with_newlines(tmp_path, unicode_kv):
    # the original C tool ends each binary row with "\n", gensim does not
    body = b"".join(k.encode() + b" " + v.astype("<f4").tobytes() + b"\n"
                    for k, v in zip(unicode_kv.index_to_key, unicode_kv.vectors))
    path = write(tmp_path, "c.bin", b"6 7\n" + body)
    assert_same(KeyedVectors.load_word2vec_format(path, binary=True), unicode_kv)
    assert_same(GensimKV.load_word2vec_format(str(path), binary=True), unicode_kv)


@pytest.mark.parametrize("suffix, opener", [(".gz", gzip.open), (".bz2", bz2.open),
                                            (".xz", lzma.open)])
@pytest.mark.parametrize("binary", [False, True])
def test_compressed(tmp_path, unicode_kv, suffix, opener, binary):
    path = tmp_path / ("v" + suffix)
    unicode_kv.save_word2vec_format(str(path), binary=binary)
    with opener(path, "rb") as fin:
        assert fin.read(4) == b"6 7\n"
    assert_same(KeyedVectors.load_word2vec_format(path, binary=binary), unicode_kv)
    assert_same(GensimKV.load_word2vec_format(str(path), binary=binary), unicode_kv)


def test_pathlike_and_no_header(tmp_path, unicode_kv):
    path = pathlib.Path(tmp_path) / "glove.txt"
    unicode_kv.save_word2vec_format(path, write_header=False)
    assert not path.read_text(encoding="utf8").startswith("6 7")
    assert_same(KeyedVectors.load_word2vec_format(path, no_header=True), unicode_kv)
    first_two = KeyedVectors.load_word2vec_format(path, no_header=True, limit=2)
    assert first_two.index_to_key == UNICODE_KEYS[:2]


def test_duplicate_words_keep_first(tmp_path):
    path = write(tmp_path, "d.txt", b"3 2\na 1 2\nb 3 4\na 5 6\n")
    with pytest.warns(UserWarning, match="duplicate word 'a' at line 4") as record:
        loaded = KeyedVectors.load_word2vec_format(path)
    assert record[0].filename == __file__  # the warning points at the caller's line
    assert loaded.index_to_key == ["a", "b"]
    np.testing.assert_array_equal(loaded["a"], [1, 2])


def _binary_file(path, keys, vectors, newline):
    body = b"".join(k.encode() + b" " + v.astype("<f4").tobytes() + newline
                    for k, v in zip(keys, vectors))
    path.write_bytes(f"{len(keys)} {vectors.shape[1]}\n".encode() + body)
    return path


@pytest.mark.parametrize("newline", [b"", b"\n"])
def test_binary_rows_across_read_buffers_as_gensim_reads_them(tmp_path, newline):
    # over 2 MiB: rows cross the reader's 1 MiB buffers (parsed in blocks, the row across a
    # buffer's end alone); the C tool writes a newline after each vector, gensim none
    rng = np.random.default_rng(0)
    keys = ["w" * (1 + i % 37) + str(i) for i in range(5000)]  # words of every length
    vectors = rng.standard_normal((len(keys), 100)).astype(np.float32)
    path = _binary_file(tmp_path / "v.bin", keys, vectors, newline)
    assert_same(KeyedVectors.load_word2vec_format(path, binary=True),
                GensimKV.load_word2vec_format(str(path), binary=True))
    # repeated words, one within a block and one across buffers: the first kept, as in text
    keys[10], keys[4000] = keys[3], keys[20]
    path = _binary_file(tmp_path / "r.bin", keys, vectors, newline)
    with pytest.warns(UserWarning, match="duplicate word") as record:
        ours = KeyedVectors.load_word2vec_format(path, binary=True)
    assert len(record) == 2 and {r.filename for r in record} == {__file__}
    offset = len(f"{len(keys)} 100\n") + sum(len(k) + 401 + len(newline) for k in keys[:10])
    assert str(record[0].message).startswith(f"duplicate word {keys[3]!r} at byte offset "
                                             f"{offset};")
    first = sorted({k: i for i, k in reversed(list(enumerate(keys)))}.values())
    assert_same(ours, KeyedVectors([keys[i] for i in first], vectors[first]))


@pytest.mark.parametrize("binary", [False, True])
def test_module_functions_take_plain_data(tmp_path, binary):
    keys, vectors = ["a", "b", "ç"], np.float32([[1.5, -2], [0, 0.25], [3, 1e-8]])
    write_word2vec(tmp_path / "v", keys, vectors, binary=binary, write_header=True)
    read_keys, read_vectors = read_word2vec(tmp_path / "v", binary=binary, limit=None)
    assert read_keys == keys and read_vectors.dtype == np.float32
    np.testing.assert_array_equal(read_vectors, vectors)


def test_reader_keeps_no_spare_rows(tmp_path):
    # without a header the table grows by doubling: what is returned must not pin the slack
    path = write(tmp_path, "glove.txt", b"".join(b"w%d 1 2\n" % i for i in range(1000)))
    keys, vectors = read_word2vec(path, no_header=True)
    assert vectors.shape == (1000, 2) and vectors.base is None


@pytest.mark.parametrize("errors", ["replace", "ignore"])
def test_non_utf8_keys_like_gensim(errors):
    path = gensim_data("pang_lee_polarity_fasttext.vec")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = KeyedVectors.load_word2vec_format(path, unicode_errors=errors)
    assert_same(ours, GensimKV.load_word2vec_format(path, unicode_errors=errors))


def test_non_utf8_strict_names_line():
    path = gensim_data("pang_lee_polarity_fasttext.vec")
    with pytest.raises(ValueError, match=r"line 150: word is not valid utf8.*unicode_errors"):
        KeyedVectors.load_word2vec_format(path, unicode_errors="strict")


def test_non_utf8_keys_are_kept_as_their_bytes_by_default(tmp_path):
    path = gensim_data("pang_lee_polarity_fasttext.vec")
    with pytest.warns(UnicodeWarning, match=r"word\(s\) are not valid utf8.*encoding="):
        ours = KeyedVectors.load_word2vec_format(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = GensimKV.load_word2vec_format(path, unicode_errors="surrogateescape")
    assert_same(ours, theirs)
    kept = [k for k in ours.index_to_key if any("\udc80" <= c <= "\udcff" for c in k)]
    assert kept  # the file has such words
    with open(path, "rb") as f:  # written back, they are the file's bytes
        data = f.read()
    for key in kept:
        assert b"\n" + key.encode("utf-8", "surrogateescape") + b" " in data


def test_save_rejects_unstorable_keys(tmp_path):
    for key in ["two words", "new\nline", ""]:
        with pytest.raises(ValueError, match="cannot be stored"):
            KeyedVectors([key], np.ones((1, 2))).save_word2vec_format(tmp_path / "x")


VEC = np.float32([0.5, -1.5, 2.0]).tobytes()
CORRUPT = [
    # (file bytes, binary, expected message)
    (b"", False, "line 1: expected a header"),
    (b"hello world\n", False, "line 1: expected a header"),
    (b"3\nw 1 2 3\n", False, "line 1: expected a header"),
    (b"-1 3\n", False, "line 1: expected a header"),
    (b"1" * 5000, False, "line 1: expected a header"),
    (b"1 0\nw\n", False, "line 1: vector size must be positive"),
    (b"1000000000000 3\nw 1 2 3\n", False, "line 1: header claims 1000000000000 vectors"),
    (b"3 3\nw 1 2 3\n", False, "line 1: header claims 3 vectors of size 3, needing at least 23"),
    (b"3 3\nw 1.000000 2.000000 3.000000\n", False, "line 3: unexpected end of file"),
    (b"2 3\nw 1 2 3\nv 1.0000 2.0000\n", False, "line 3: expected 3 values after the word, got 2"),
    (b"2 3\nw 1 2 3\nv 1 2 3 4\n", False, "line 3: expected 3 values after the word, got 4"),
    (b"1 3\nw 1 x 3\n", False, "line 2: b'x' is not a number"),
    (b"2 3\nw 1 2 3\n\nv 1 2 3\n", False, "line 3: empty word"),
    (b"1 3\n 1 2 3\n", False, "line 2: empty word"),
    (b"1 3\nwwwwwwwwwwww\n", False, "line 2: expected 3 values after the word, got 0"),
    (b"", True, "line 1: expected a header"),
    (b"\x00\x01\x02\n", True, "line 1: expected a header"),
    (b"1000000000000 3\n" + b"w " + VEC, True, "line 1: header claims 1000000000000 vectors"),
    (b"2 3\nwwwwwwwwww " + VEC + b"v " + VEC[:5], True,
     "byte offset 27: unexpected end of file in vector 2"),
    (b"1 3\n" + b"w" * 70000, True, "byte offset 4: no space after a word"),
    (b"1 3\n " + VEC + b"\n\n", True, "byte offset 4: empty word"),
    (b"1 1000000000000\nw " + VEC, True, "line 1: header claims 1 vectors of size 1000000000000"),
]


@pytest.mark.parametrize("data, binary, message", [
    (b"1 3\nw\xff\xfe 1 2 3\n", False, "line 2: word is not valid utf8"),
    (b"1 3\nw\xff " + VEC, True, "byte offset 4: word is not valid utf8")])
def test_strict_refuses_undecodable_words_and_the_default_keeps_them(tmp_path, data, binary,
                                                                      message):
    path = write(tmp_path, "bad", data)
    with pytest.raises(ValueError, match=message):
        KeyedVectors.load_word2vec_format(path, binary=binary, unicode_errors="strict")
    with pytest.warns(UnicodeWarning, match="kept as their bytes"):
        kv = KeyedVectors.load_word2vec_format(path, binary=binary)
    word = data.split(b"\n")[1].split(b" ")[0]
    assert kv.index_to_key == [word.decode("utf-8", "surrogateescape")]
    kv.save_word2vec_format(tmp_path / "again", binary=binary)
    assert b"\n" + word + b" " in (tmp_path / "again").read_bytes()  # the same bytes back


@pytest.mark.parametrize("data, binary, message", CORRUPT)
def test_corrupt_files_raise_valueerror(tmp_path, data, binary, message):
    path = write(tmp_path, "bad", data)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")) as info:
        KeyedVectors.load_word2vec_format(path, binary=binary)
    assert str(path) in str(info.value)


def test_truncated_shipped_file():
    with pytest.raises(ValueError, match="line 3: unexpected end of file; the header promised 3"):
        KeyedVectors.load_word2vec_format(gensim_data("pretrained.vec"))


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("header", [b"1000000000000 3\n", b"3 1000000000000\n"])
def test_lying_header_in_gzip_does_not_allocate(tmp_path, binary, header):
    # a compressed file's size is unknown up front, so the reader must grow as data arrives
    path = tmp_path / "big.gz"
    with gzip.open(path, "wb") as fout:
        rows = [k + b" " + VEC if binary else k + b" 0.5 -1.5 2\n" for k in (b"u", b"v", b"w")]
        fout.write(header + b"".join(rows))
    tracemalloc.start()
    try:
        expected = "unexpected end of file|expected 1000000000000 values"
        with pytest.raises(ValueError, match=expected):
            KeyedVectors.load_word2vec_format(path, binary=binary)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2 ** 20


@pytest.mark.parametrize("binary", [False, True])
def test_garbage_compressed_file(tmp_path, binary):
    path = write(tmp_path, "junk.gz", b"\x1f\x8b\x08\x00garbage-not-deflate" * 10)
    with pytest.raises(ValueError, match="corrupt or truncated compressed data"):
        KeyedVectors.load_word2vec_format(path, binary=binary)


KEYS = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Z"), blacklist_characters="\x85"),
    min_size=1, max_size=12,
)
FINITE = st.floats(width=32, allow_nan=False, allow_infinity=False)


@st.composite
def keyed_vectors(draw):
    keys = draw(st.lists(KEYS, min_size=1, max_size=8, unique=True))
    dim = draw(st.integers(1, 6))
    vectors = draw(hnp.arrays(np.float32, (len(keys), dim), elements=FINITE))
    return KeyedVectors(keys, vectors)


@settings(max_examples=60, deadline=None)
@given(source=keyed_vectors(), binary=st.booleans())
def test_round_trip_property(source, binary):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "v")
        source.save_word2vec_format(path, binary=binary)
        assert_same(KeyedVectors.load_word2vec_format(path, binary=binary), source)


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=300), prefix=st.sampled_from([b"", b"2 3\n", b"1 2\nw "]),
       binary=st.booleans(), errors=st.sampled_from(["strict", "replace"]))
def test_random_bytes_only_raise_valueerror(data, prefix, binary, errors):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "fuzz")
        with open(path, "wb") as fout:
            fout.write(prefix + data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                loaded = KeyedVectors.load_word2vec_format(
                    path, binary=binary, unicode_errors=errors)
            except ValueError:
                return
    assert loaded.vectors.ndim == 2 and len(loaded.index_to_key) == len(loaded.vectors)
