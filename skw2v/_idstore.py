"""Flat arrays of the encoded corpus that move to disk when they grow large.

The encoded corpus (int32 word ids and int64 document offsets) is the only
thing skw2v keeps that grows with the corpus. Up to ``SPILL_BYTES`` an
array lives in memory; beyond that it is written in blocks to a file in a
temporary working directory and read back by slices (``os.preadv``, not
``mmap``), so resident memory stays flat however large the corpus is: only
the chunk being trained is in RAM, and the operating system's page cache,
not the process, holds the rest. Writers fill fixed blocks instead of
growing one buffer, so building an array leaves no large freed buffers
behind in the allocator.
"""

import os

import numpy as np

# Small on purpose: reading a spilled array back costs little (the page cache
# holds it), while every MiB held here adds to the fit's peak RSS, and large
# temporaries raise glibc's mmap threshold so that later ones stay resident
# after they are freed (measured by phase: benchmarks/RESULTS.md, issue 12).
SPILL_BYTES = 1 << 20   # up to 1 MiB of an array stays in memory; more goes to disk
BLOCK_BYTES = 1 << 18   # unit of disk writes and of streaming passes


class DiskArray:
    """A read-only 1-d array in a file, read by slices.

    Supports ``len``, ``a[i]``, ``a[a:b]`` (a fresh in-memory array) and
    ``np.asarray(a)`` (reads it all).
    """

    ndim = 1

    def __init__(self, path, length, dtype=np.int32):
        self.path, self.length, self.dtype = path, length, np.dtype(dtype)

    def __len__(self):
        return self.length

    @property
    def shape(self):
        return (self.length,)

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            index = key + self.length if key < 0 else key
            if not 0 <= index < self.length:
                raise IndexError(f"index {key} out of range for length {self.length}")
            return self[index:index + 1][0]
        if not isinstance(key, slice):
            raise TypeError("DiskArray supports integers and slices only.")
        start, stop, step = key.indices(self.length)
        if step != 1:
            raise ValueError("DiskArray supports contiguous slices only.")
        out = np.empty(max(stop - start, 0), self.dtype)
        if len(out):
            with open(self.path, "rb", buffering=0) as f:
                got = _read_at(f, memoryview(out).cast("B"), start * self.dtype.itemsize)
            if got != out.nbytes:
                raise OSError(f"{self.path}: short read at element {start} (file truncated?)")
        return out

    def __array__(self, dtype=None, copy=None):
        out = self[:]
        return out if dtype is None else out.astype(dtype)

    def __reduce__(self):
        raise TypeError("DiskArray refers to a temporary file and cannot be pickled.")


def _read_at(f, buffer, offset):
    """Fill ``buffer`` from byte ``offset`` of the open file ``f``; return the bytes read."""
    if hasattr(os, "preadv"):
        return os.preadv(f.fileno(), [buffer], offset)
    f.seek(offset)  # no preadv (Windows): each call opens its own file object
    return f.readinto(buffer)


def block_length(array):
    """Elements per streaming block of ``array`` (``BLOCK_BYTES`` of its dtype)."""
    return max(BLOCK_BYTES // np.dtype(array.dtype).itemsize, 1)


def iter_blocks(array, size=None, start=0, stop=None):
    """Yield ``(position, block)`` over ``array[start:stop]`` (an ndarray or DiskArray)."""
    size = size or block_length(array)
    stop = len(array) if stop is None else stop
    for lo in range(start, stop, size):
        yield lo, array[lo:min(lo + size, stop)]


def searchsorted(array, values, side="left", start=0, stop=None):
    """``np.searchsorted`` of sorted ``values`` in the sorted ``array[start:stop]``,
    as indices into ``array``; a DiskArray is read one block at a time."""
    if isinstance(array, np.ndarray):
        return start + np.searchsorted(array[start:stop], values, side)
    found = np.full(np.shape(values), start, np.int64)
    before = np.less_equal if side == "left" else np.less  # value counts nothing past this block
    for _, block in iter_blocks(array, start=start, stop=stop):
        found += np.searchsorted(block, values, side)
        if len(block) and np.all(before(values, block[-1])):
            break  # every later element is at least block[-1]: none counts
    return found


def take(array, indices):
    """``array[indices]`` for sorted ``indices``; a DiskArray is read once, by blocks."""
    if isinstance(array, np.ndarray):
        return array[indices]
    indices = np.asarray(indices, np.int64)
    out = np.empty(len(indices), array.dtype)
    if not len(indices):
        return out
    for lo, block in iter_blocks(array, start=int(indices[0]), stop=int(indices[-1]) + 1):
        a, b = np.searchsorted(indices, [lo, lo + len(block)])
        out[a:b] = block[indices[a:b] - lo]
    return out


class ArrayWriter:
    """An append-only 1-d array: in memory, spilled to ``workdir`` past ``SPILL_BYTES``."""

    def __init__(self, workdir=None, name="ids.bin", dtype=np.int32):
        self.workdir, self.name, self.dtype = workdir, name, np.dtype(dtype)
        self.size = block_length(self)
        self.blocks = []               # full blocks held in memory
        self.block, self.fill = np.empty(self.size, self.dtype), 0
        self.path, self.on_disk = None, 0

    def __len__(self):
        return self.on_disk + len(self.blocks) * self.size + self.fill

    def extend(self, values):
        """Append ``values`` (an array or a sequence of numbers)."""
        values = np.asarray(values, self.dtype).ravel()
        while len(values):
            n = min(self.size - self.fill, len(values))
            self.block[self.fill:self.fill + n] = values[:n]
            self.fill += n
            values = values[n:]
            if self.fill == self.size:
                self._push()

    def _push(self):
        """Keep the full block, or write it out once the array is past ``SPILL_BYTES``."""
        if self.path is None:
            self.blocks.append(self.block)
            self.block = np.empty(self.size, self.dtype)
            held = len(self.blocks) * self.size * self.dtype.itemsize
            if self.workdir is None or held < SPILL_BYTES:
                self.fill = 0
                return
            self.path = os.path.join(self.workdir, self.name)
            self._write(self.blocks)
            self.blocks = []
        else:
            self._write([self.block])
        self.fill = 0

    def _write(self, blocks):
        with open(self.path, "ab" if self.on_disk else "wb") as f:  # a file left before is replaced
            for block in blocks:
                block.tofile(f)
                self.on_disk += len(block)

    def finish(self):
        """The values written: an ndarray, or a :class:`DiskArray` once spilled."""
        tail = self.block[:self.fill]
        if self.path is None:
            return np.concatenate(self.blocks + [tail]) if self.blocks else tail.copy()
        self._write([tail])
        self.blocks, self.block = [], None
        return DiskArray(self.path, self.on_disk, self.dtype)
