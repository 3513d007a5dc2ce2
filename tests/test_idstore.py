"""Corpora larger than the in-memory limit spill to disk and train the same."""

import os

import numpy as np
import pytest

import skw2v._idstore as idstore
from skw2v import CBOWVectorizer
from skw2v._analyzer import build_analyzer
from skw2v._corpus import encode, read_corpus
from skw2v._engines.base import plan_chunks
from skw2v._idstore import ArrayWriter, DiskArray, searchsorted, take
from skw2v._vocab import Vocabulary


@pytest.fixture
def tiny_spill(monkeypatch):
    """Spill past 4 KiB, in blocks of 256 bytes, so small corpora exercise the disk path."""
    monkeypatch.setattr(idstore, "SPILL_BYTES", 4096)
    monkeypatch.setattr(idstore, "BLOCK_BYTES", 256)


def test_writer_spills_and_reads_back_slices(tmp_path, tiny_spill):
    writer = ArrayWriter(str(tmp_path))
    expected = np.random.RandomState(0).randint(0, 10**6, 5000).astype(np.int32)
    for piece in np.array_split(expected, 37):
        writer.extend(piece.tolist())
    ids = writer.finish()
    assert isinstance(ids, DiskArray) and len(ids) == 5000
    assert os.path.getsize(ids.path) == 5000 * 4
    np.testing.assert_array_equal(np.asarray(ids), expected)
    np.testing.assert_array_equal(ids[1234:4321], expected[1234:4321])
    assert ids[10:10].shape == (0,)
    assert ids[0] == expected[0] and ids[-1] == expected[-1] and ids[4321] == expected[4321]
    with pytest.raises(IndexError):
        ids[5000]


def test_writer_of_int64_offsets_spills_too(tmp_path, tiny_spill):
    expected = np.cumsum(np.random.RandomState(1).randint(0, 3 * 10**9, 3000)).astype(np.int64)
    writer = ArrayWriter(str(tmp_path), "offsets.bin", np.int64)
    writer.extend(expected[:1])
    writer.extend(expected[1:])
    offsets = writer.finish()
    assert isinstance(offsets, DiskArray) and offsets.dtype == np.int64
    np.testing.assert_array_equal(np.asarray(offsets), expected)   # values past int32 survive


def test_writer_without_workdir_stays_in_memory(tiny_spill):
    writer = ArrayWriter(None)
    writer.extend(range(5000))
    ids = writer.finish()
    assert isinstance(ids, np.ndarray) and ids.tolist() == list(range(5000))
    assert ArrayWriter(None).finish().shape == (0,)


def test_searchsorted_and_take_on_disk_equal_numpy(tmp_path, tiny_spill):
    rng = np.random.RandomState(2)
    array = np.sort(rng.randint(0, 1000, 3000)).astype(np.int64)
    writer = ArrayWriter(str(tmp_path), "a.bin", np.int64)
    writer.extend(array)
    disk = writer.finish()
    assert isinstance(disk, DiskArray)
    values = np.sort(rng.randint(-5, 1005, 200))
    for side in ("left", "right"):
        np.testing.assert_array_equal(searchsorted(disk, values, side), np.searchsorted(array, values, side))
        np.testing.assert_array_equal(searchsorted(disk, values, side, 700, 2100),
                                      700 + np.searchsorted(array[700:2100], values, side))
        assert searchsorted(disk, 500, side) == np.searchsorted(array, 500, side)
    indices = np.unique(rng.randint(0, 3000, 300))
    np.testing.assert_array_equal(take(disk, indices), array[indices])
    offsets = np.r_[0, np.cumsum(rng.randint(1, 40, 2999))].astype(np.int64)
    writer = ArrayWriter(str(tmp_path), "o.bin", np.int64)
    writer.extend(offsets)
    on_disk = plan_chunks(writer.finish(), 500, 10, 2900)
    in_memory = plan_chunks(offsets, 500, 10, 2900)
    for a, b in zip(on_disk, in_memory):
        np.testing.assert_array_equal(a, b)


def reference_encode(raw, remap, max_doc_len):
    """The encoding by documents in plain Python: mapped, filtered, cut, empty ones dropped."""
    ids, offsets = np.asarray(raw.ids), np.asarray(raw.offsets)
    out, bounds = [], [0]
    for lo, hi in zip(offsets[:-1], offsets[1:]):
        doc = [int(remap[i]) for i in ids[lo:hi] if remap[i] >= 0]
        for cut in range(0, len(doc), max_doc_len):
            out += doc[cut:cut + max_doc_len]
            bounds.append(len(out))
    return out, bounds


def test_streamed_encoding_equals_the_reference(tmp_path, tiny_spill, monkeypatch):
    monkeypatch.setattr(idstore, "SPILL_BYTES", 1024)  # the offsets spill too
    rng = np.random.RandomState(3)
    words = [f"w{i}" for i in range(60)]
    lengths = rng.choice([0, 0, 1, 3, 17, 70, 400], 400)  # empty, short, longer than a block
    docs = [[] for _ in range(3)] + [list(rng.choice(words, n)) for n in lengths] + [[]]
    raw = read_corpus(docs, build_analyzer(), str(tmp_path))
    assert isinstance(raw.ids, DiskArray) and isinstance(raw.offsets, DiskArray)
    assert np.asarray(raw.offsets).tolist() == np.r_[0, np.cumsum([len(d) for d in docs])].tolist()
    vocab = Vocabulary.from_counts(raw.words, raw.counts, min_count=60)
    remap = vocab.remap_table(raw.words)
    for max_doc_len in (5, 64, 10**6):
        corpus = encode(raw, remap, max_doc_len, str(tmp_path))
        ids, bounds = reference_encode(raw, remap, max_doc_len)
        assert np.asarray(corpus.ids).tolist() == ids
        assert np.asarray(corpus.offsets).tolist() == bounds
        assert corpus.n_words == len(ids)


def test_fit_from_disk_equals_fit_in_memory(lee_docs, tiny_spill, monkeypatch):
    params = dict(vector_size=20, min_count=3, epochs=2, n_jobs=1, random_state=0,
                  max_doc_len=50)
    on_disk = CBOWVectorizer(**params).fit(lee_docs)
    monkeypatch.setattr(idstore, "SPILL_BYTES", 10**9)
    in_memory = CBOWVectorizer(**params).fit(lee_docs)
    np.testing.assert_array_equal(on_disk.wv_.vectors, in_memory.wv_.vectors)
    np.testing.assert_array_equal(on_disk.sif_component_, in_memory.sif_component_)
    assert on_disk.loss_curve_ == in_memory.loss_curve_


def test_working_directory_is_removed(lee_docs, tiny_spill, monkeypatch, tmp_path):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    vec = CBOWVectorizer(vector_size=10, epochs=1, n_jobs=2, random_state=0).fit(lee_docs)
    vec.partial_fit(lee_docs[:50])
    with pytest.raises(ValueError):
        vec.set_params(min_count=10**6).fit(lee_docs)
    assert list(tmp_path.iterdir()) == []
