"""Words as UTF-8 bytes in one buffer: the reading pass's lexicon and the rare words.

Reading a corpus gives every distinct word a provisional id. Keeping those
words as Python ``str`` keys of a dict costs ~60 bytes a word for the
string, ~32 for its id (an int object) and ~50 for the dict's slot, and
the strings and ints of the words that end up rare are freed into holes
among the survivors that the weights allocated next cannot reuse. A
corpus of short documents has four rare words for each kept one (gcide:
219k distinct, 47k kept), so that was most of skw2v's peak memory above
gensim's. Here a word is its bytes in a growing buffer, found through an
open-addressing table of ids that a numba function probes for a whole
batch of tokens at once; only the words that are kept become ``str``.
How a word becomes bytes is :mod:`skw2v._words`'s.
"""

from collections.abc import Mapping, Sequence

import numba
import numpy as np

from ._words import ENCODING, ERRORS, UnstorableWord, check_word

EMPTY = -1
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_NO_ENDS = np.zeros(0, np.int64)   # _intern: the tokens are joined at NUL


@numba.njit(nogil=True, cache=True)
def _hash(data, start, end):
    """FNV-1a of ``data[start:end]``."""
    h = _FNV_OFFSET
    for i in range(start, end):
        h = (h ^ np.uint64(data[i])) * _FNV_PRIME
    return h


@numba.njit(nogil=True, cache=True)
def _intern(data, ends, table, hashes, blob, bounds, n_words, out, insert):
    """Ids of the tokens ``data[ends[t - 1]:ends[t]]`` into ``out``; with no ``ends``, of
    the ``len(out)`` tokens that ``data`` holds each followed by a NUL (and no other NUL),
    each hashed as it is scanned for its end.

    ``table`` (a power of two long, ``EMPTY`` where free) holds ids;
    word ``i`` is ``blob[bounds[i]:bounds[i + 1]]`` with hash ``hashes[i]``.
    New words are appended when ``insert`` (the caller makes room for every
    token being new), else their id is ``EMPTY``. Returns the word count.
    """
    mask = np.uint64(len(table) - 1)
    joined = len(ends) == 0
    start = 0
    for t in range(len(out)):
        if joined:
            h = _FNV_OFFSET
            end = start
            while data[end] != 0:
                h = (h ^ np.uint64(data[end])) * _FNV_PRIME
                end += 1
        else:
            end = ends[t]
            h = _hash(data, start, end)
        length = end - start
        slot = h & mask
        while True:
            w = table[slot]
            if w == EMPTY:
                if not insert:
                    break
                w = n_words
                table[slot] = w
                hashes[w] = h
                at = bounds[w]
                for i in range(length):  # a loop: slice assignment compiles 3 s slower
                    blob[at + i] = data[start + i]
                bounds[w + 1] = at + length
                n_words += 1
                break
            if hashes[w] == h and bounds[w + 1] - bounds[w] == length:
                at = bounds[w]
                same = True
                for i in range(length):
                    if blob[at + i] != data[start + i]:
                        same = False
                        break
                if same:
                    break
            slot = (slot + np.uint64(1)) & mask
        out[t] = w
        start = end + joined
    return n_words


@numba.njit(nogil=True, cache=True)
def _rehash(hashes, n_words, table):
    """Fill an empty ``table`` with the ids ``0 .. n_words - 1``."""
    mask = np.uint64(len(table) - 1)
    for w in range(n_words):
        slot = hashes[w] & mask
        while table[slot] != EMPTY:
            slot = (slot + np.uint64(1)) & mask
        table[slot] = w


@numba.njit(nogil=True, cache=True)
def _gather(blob, bounds, indices, out_blob, out_bounds):
    """Words ``indices`` of ``(blob, bounds)`` into ``(out_blob, out_bounds)``."""
    at = 0
    out_bounds[0] = 0
    for j in range(len(indices)):
        i = indices[j]
        for k in range(bounds[i], bounds[i + 1]):
            out_blob[at] = blob[k]
            at += 1
        out_bounds[j + 1] = at


def _grown(array, size):
    """``array`` copied into a new array of at least ``size`` elements (doubling)."""
    new = np.empty(max(size, 2 * len(array)), array.dtype)
    new[:len(array)] = array
    return new


def _utf8(tokens):
    """``(bytes, int64 end offsets)`` of a list of str, without a Python object per token
    (see :func:`nul_joined`). Raises TypeError when an item is not a str,
    :class:`UnstorableWord` when one cannot be held as bytes."""
    data = nul_joined("\0".join(tokens), len(tokens))
    return _split_at_nul(data[:-1], len(tokens)) if data is not None else _utf8_each(tokens)


def nul_joined(joined, n):
    """The UTF-8 bytes (uint8) of the ``n`` tokens that the str ``joined`` holds joined at
    NUL, which UTF-8 writes only for U+0000, and a NUL after the last; None when a token
    holds a NUL or a lone surrogate of its own (then :func:`_utf8` takes a token at a time)."""
    if not n:
        return None
    try:  # strict: no surrogate, so every token round-trips
        data = np.frombuffer((joined + "\0").encode(ENCODING), np.uint8)
    except UnicodeEncodeError:
        return None
    return data if np.count_nonzero(data == 0) == n else None


def _utf8_each(tokens):
    """:func:`_utf8`, a token at a time."""
    parts = [check_word(t, i) if not t.isascii() else t.encode("ascii")
             for i, t in enumerate(tokens)]
    lengths = np.fromiter(map(len, parts), np.int64, len(parts))
    return np.frombuffer(b"".join(parts), np.uint8), np.cumsum(lengths)


@numba.njit(nogil=True, cache=True)
def _split_at_nul(data, n):
    """The ``n`` words that ``data`` holds joined at NUL as (their bytes, int64 ends)."""
    out = np.empty(len(data), np.uint8)
    ends = np.empty(n, np.int64)
    k = t = 0
    for byte in data:  # without a branch a byte: a NUL comes every few bytes
        out[k] = byte
        ends[t] = k
        nul = byte == 0
        k += 1 - nul
        t += nul
    ends[n - 1] = k
    return out[:k], ends


def _read_only(data):
    """``data``, read-only: one compiled version of a kernel (bytes give read-only arrays)."""
    if data.flags.writeable:
        data = data.view()
        data.flags.writeable = False
    return data


class Lexicon:
    """word -> provisional id (first-seen rank), for batches of tokens.

    Examples
    --------
    >>> lex = Lexicon()
    >>> lex.lookup(["a", "rose", "a"]).tolist(), lex.lookup(["rose", "is"]).tolist()
    ([0, 1, 0], [1, 2])
    >>> list(lex.words())
    ['a', 'rose', 'is']
    """

    def __init__(self):
        self.table = np.full(1 << 12, EMPTY, np.int32)
        self.hashes = np.empty(1 << 10, np.uint64)
        self.bounds = np.zeros(1 << 10, np.int64)
        self.blob = np.empty(1 << 14, np.uint8)
        self.n_words = 0

    def __len__(self):
        return self.n_words

    def lookup(self, tokens):
        """int32 ids of ``tokens`` (a list of str); unseen words get the next ids."""
        data = nul_joined("\0".join(tokens), len(tokens))
        if data is None:
            return self.lookup_utf8(*_utf8_each(tokens))
        return self.lookup_joined(data, len(tokens))

    def lookup_utf8(self, data, ends, insert=True):
        """int32 ids of the words ``data[ends[i - 1]:ends[i]]`` (uint8 UTF-8, int64 ends);
        with ``insert=False`` unseen words get -1 and are not added."""
        data = _read_only(data)
        if insert:
            self._make_room(len(ends), len(data))
        out = np.empty(len(ends), np.int32)
        self.n_words = _intern(data, ends, self.table, self.hashes, self.blob, self.bounds,
                               self.n_words, out, insert)
        return out

    def lookup_joined(self, data, n, insert=True):
        """:meth:`lookup_utf8` of the ``n`` words that ``data`` holds each followed by a NUL
        (as :func:`nul_joined` gives them)."""
        data = _read_only(data)
        if insert:
            self._make_room(n, len(data))
        out = np.empty(n, np.int32)
        self.n_words = _intern(data, _NO_ENDS, self.table, self.hashes, self.blob,
                               self.bounds, self.n_words, out, insert)
        return out

    def _make_room(self, n_tokens, n_bytes):
        """Room for ``n_tokens`` new words of ``n_bytes`` in all; the table at most half full."""
        most = self.n_words + n_tokens
        if most >= len(self.hashes):
            self.hashes = _grown(self.hashes, most)
            self.bounds = _grown(self.bounds, most + 1)
        needed = int(self.bounds[self.n_words]) + n_bytes
        if needed > len(self.blob):
            self.blob = _grown(self.blob, needed)
        if 2 * most > len(self.table):
            size = len(self.table)
            while 2 * most > size:
                size *= 2
            self.table = np.full(size, EMPTY, np.int32)
            _rehash(self.hashes, self.n_words, self.table)

    def words(self):
        """The words seen, in first-seen order (a :class:`WordList` of copied buffers)."""
        n = self.n_words
        bounds = self.bounds[:n + 1].copy()
        return WordList(self.blob[:bounds[-1]].copy(), bounds)


class WordList(Sequence):
    """A read-only list of str held as UTF-8 in one buffer; items decode on access.

    Parameters
    ----------
    blob : uint8 ndarray
        The words' bytes, one after another.
    bounds : int64 ndarray of shape (n + 1,)
        Word ``i`` is ``blob[bounds[i]:bounds[i + 1]]``.
    """

    def __init__(self, blob, bounds):
        self.blob, self.bounds = blob, bounds

    @classmethod
    def checked(cls, blob, bounds):
        """A WordList of arrays from elsewhere (a file), checked first: ValueError if they
        are not bytes and increasing bounds from 0 to their end."""
        blob, bounds = np.asarray(blob), np.asarray(bounds)
        if (blob.dtype != np.uint8 or bounds.dtype != np.int64 or blob.ndim != 1
                or bounds.ndim != 1 or not len(bounds) or bounds[0] != 0
                or bounds[-1] != len(blob) or np.any(np.diff(bounds) < 0)):
            raise ValueError("a word list's bytes and bounds are inconsistent")
        return cls(blob, bounds)  # any bytes decode (ERRORS keeps the undecodable ones)

    @classmethod
    def from_strs(cls, words):
        """A WordList of the str ``words``."""
        words = list(words)
        data, ends = _utf8(words)
        return cls(data.copy(), np.concatenate([np.zeros(1, np.int64), ends]))

    def __len__(self):
        return len(self.bounds) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = range(len(self))[i]  # negative indices; IndexError past the end
        return self._decode(int(self.bounds[i]), int(self.bounds[i + 1]))

    def _decode(self, lo, hi):
        return self.blob[lo:hi].tobytes().decode(ENCODING, ERRORS)

    def __iter__(self):
        return iter(self.tolist())

    def tolist(self):
        """Every word, as a list of str (decoded at once, joined at NUL, when none holds one)."""
        if not len(self):
            return []
        if not (self.blob == 0).any():
            joined = np.insert(self.blob, self.bounds[1:-1], 0)
            return joined.tobytes().decode(ENCODING, ERRORS).split("\0")
        bounds = self.bounds.tolist()
        return [self._decode(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:])]

    def __eq__(self, other):
        if isinstance(other, WordList):
            return np.array_equal(self.bounds, other.bounds) and np.array_equal(self.blob,
                                                                                other.blob)
        if isinstance(other, (list, tuple)):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None

    def __repr__(self):
        return f"WordList({len(self)} words)"

    def take(self, indices):
        """The words at ``indices`` (an int array), as a new WordList."""
        indices = np.asarray(indices, np.int64)
        sizes = self.bounds[indices + 1] - self.bounds[indices]
        blob = np.empty(int(sizes.sum()), np.uint8)
        bounds = np.empty(len(indices) + 1, np.int64)
        _gather(self.blob, self.bounds, indices, blob, bounds)
        return WordList(blob, bounds)

    def __reduce__(self):
        return WordList, (self.blob, self.bounds)


class WordCounts(Mapping):
    """A read-only ``{word: count}`` held compactly (a :class:`WordList` and an int64 array).

    Iteration and ``values()`` need no per-word objects beyond the decoded
    keys; the first lookup by word builds a dict index (only ``partial_fit``
    looks words up).
    """

    def __init__(self, words, counts):
        if not isinstance(words, WordList):
            words = WordList.from_strs(words)
        self.words, self.counts = words, np.asarray(counts, np.int64)
        if len(self.words) != len(self.counts):
            raise ValueError("words and counts differ in length")
        self._index = None

    @classmethod
    def from_dict(cls, mapping):
        """A WordCounts of a ``{str: int}`` mapping, in its order."""
        return cls(WordList.from_strs(mapping), np.fromiter(mapping.values(), np.int64,
                                                            len(mapping)))

    def __len__(self):
        return len(self.counts)

    def __iter__(self):
        return iter(self.words)

    def __getitem__(self, word):
        if self._index is None:
            self._index = {w: i for i, w in enumerate(self.words)}
        return int(self.counts[self._index[word]])

    def values(self):
        return self.counts.tolist()

    def items(self):
        return zip(self.words, self.counts.tolist())

    def __reduce__(self):
        return WordCounts, (self.words, self.counts)

    def __repr__(self):
        return f"WordCounts({len(self)} words)"
