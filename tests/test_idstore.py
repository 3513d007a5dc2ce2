"""Corpora larger than the in-memory limit spill to disk and train the same."""

import os

import numpy as np
import pytest

import skw2v._idstore as idstore
from skw2v import CBOWVectorizer
from skw2v._idstore import DiskIds, IdWriter


@pytest.fixture
def tiny_spill(monkeypatch):
    """Spill after 1,000 ids, in blocks of 256, so small corpora exercise the disk path."""
    monkeypatch.setattr(idstore, "SPILL_TOKENS", 1000)
    monkeypatch.setattr(idstore, "BLOCK_TOKENS", 256)


def test_writer_spills_and_reads_back_slices(tmp_path, tiny_spill):
    writer = IdWriter(str(tmp_path))
    expected = np.random.RandomState(0).randint(0, 10**6, 5000).astype(np.int32)
    for piece in np.array_split(expected, 37):
        writer.extend(piece.tolist())
    ids = writer.finish()
    assert isinstance(ids, DiskIds) and len(ids) == 5000
    assert os.path.getsize(ids.path) == 5000 * 4
    np.testing.assert_array_equal(np.asarray(ids), expected)
    np.testing.assert_array_equal(ids[1234:4321], expected[1234:4321])
    assert ids[10:10].shape == (0,)


def test_writer_without_workdir_stays_in_memory(tiny_spill):
    writer = IdWriter(None)
    writer.extend(range(5000))
    ids = writer.finish()
    assert isinstance(ids, np.ndarray) and ids.tolist() == list(range(5000))


def test_fit_from_disk_equals_fit_in_memory(lee_docs, tiny_spill, monkeypatch):
    params = dict(vector_size=20, min_count=3, epochs=2, n_jobs=1, random_state=0,
                  max_doc_len=50)
    on_disk = CBOWVectorizer(**params).fit(lee_docs)
    monkeypatch.setattr(idstore, "SPILL_TOKENS", 10**9)
    in_memory = CBOWVectorizer(**params).fit(lee_docs)
    np.testing.assert_array_equal(on_disk.wv_.vectors, in_memory.wv_.vectors)
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
