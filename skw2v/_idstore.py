"""Flat int32 id arrays that move to disk when they grow large.

The encoded corpus is the only thing skw2v keeps that grows with the
corpus. Up to ``SPILL_TOKENS`` ids it lives in memory; beyond that it is
written in blocks to a file in a temporary working directory and read back
by slices (``os.preadv``, not ``mmap``), so resident memory stays flat
however large the corpus is: only the chunk being trained is in RAM, and
the operating system's page cache, not the process, holds the rest.
"""

import os
from array import array

import numpy as np

SPILL_TOKENS = 1 << 22   # 16 MiB of ids stay in memory; more go to disk
BLOCK_TOKENS = 1 << 18   # unit of disk writes and of streaming passes (1 MiB)


class DiskIds:
    """A read-only int32 array in a file, read by slices.

    Supports ``len``, ``ids[a:b]`` (a fresh in-memory array) and
    ``np.asarray(ids)`` (reads it all).
    """

    dtype = np.dtype(np.int32)
    ndim = 1

    def __init__(self, path, length):
        self.path, self.length = path, length

    def __len__(self):
        return self.length

    @property
    def shape(self):
        return (self.length,)

    def __getitem__(self, key):
        if not isinstance(key, slice):
            raise TypeError("DiskIds supports slices only.")
        start, stop, step = key.indices(self.length)
        if step != 1:
            raise ValueError("DiskIds supports contiguous slices only.")
        out = np.empty(max(stop - start, 0), np.int32)
        if len(out):
            with open(self.path, "rb", buffering=0) as f:
                got = _read_at(f, memoryview(out).cast("B"), start * 4)
            if got != out.nbytes:
                raise OSError(f"{self.path}: short read at id {start} (file truncated?)")
        return out

    def __array__(self, dtype=None, copy=None):
        out = self[:]
        return out if dtype is None else out.astype(dtype)

    def __reduce__(self):
        raise TypeError("DiskIds refers to a temporary file and cannot be pickled.")


def _read_at(f, buffer, offset):
    """Fill ``buffer`` from byte ``offset`` of the open file ``f``; return the bytes read."""
    if hasattr(os, "preadv"):
        return os.preadv(f.fileno(), [buffer], offset)
    f.seek(offset)  # no preadv (Windows): each call opens its own file object
    return f.readinto(buffer)


def iter_blocks(ids, size=BLOCK_TOKENS):
    """Yield ``(start, block)`` over an ndarray or DiskIds."""
    for start in range(0, len(ids), size):
        yield start, ids[start:start + size]


class IdWriter:
    """Append-only int32 ids: in memory, spilled to ``workdir`` past ``SPILL_TOKENS``."""

    def __init__(self, workdir=None, name="ids.bin"):
        self.workdir, self.name = workdir, name
        self.buf = array("i")
        self.path = None
        self.on_disk = 0

    def __len__(self):
        return self.on_disk + len(self.buf)

    def extend(self, values):
        """Append ids (an iterable of int or an int32 array)."""
        if isinstance(values, np.ndarray):
            self.buf.frombytes(np.ascontiguousarray(values, np.int32).tobytes())
        else:
            self.buf.extend(values)
        limit = BLOCK_TOKENS if self.path else SPILL_TOKENS
        if self.workdir is not None and len(self.buf) >= limit:
            self._flush()

    def _flush(self):
        if self.path is None:
            self.path = os.path.join(self.workdir, self.name)
        with open(self.path, "ab") as f:
            self.buf.tofile(f)
        self.on_disk += len(self.buf)
        self.buf = array("i")

    def finish(self):
        """The ids written: an int32 ndarray, or a :class:`DiskIds` once spilled."""
        if self.path is None:
            return np.frombuffer(self.buf, np.int32) if len(self.buf) else np.zeros(0, np.int32)
        self._flush()
        return DiskIds(self.path, self.on_disk)
