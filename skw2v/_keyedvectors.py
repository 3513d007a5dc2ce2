"""Word vectors apart from training: lookups, similarity queries and word2vec-format I/O.

The text and binary formats are those of the original C word2vec tool as gensim 4.4 writes
them, so files move freely between skw2v, gensim, fastText (``.vec``) and the C tool.
"""

import bz2
import gzip
import lzma
import os
import threading
import warnings
import zlib
from numbers import Integral

import numpy as np

__all__ = ["KeyedVectors"]

# Rows normalised per block: bounds the float64 scratch space needed for overflow-free norms.
_NORM_BLOCK = 65536
# Similarity scores held at once by most_similar_batch (queries x vocabulary), about 64 MiB.
_BATCH_SCORES = 1 << 24
_READ_CHUNK = 1 << 20
_MAX_KEY_BYTES = 1 << 16
_MAX_HEADER_BYTES = 1024
# Rows preallocated before the file has proven it holds them, so a lying header cannot
# make us allocate more than a few MiB up front.
_INITIAL_ROWS_BYTES = 1 << 22


def _unit_rows(vectors):
    """Return float32 unit-length copies of the rows; zero or non-finite rows become zero."""
    out = np.zeros(vectors.shape, dtype=np.float32)
    for start in range(0, len(vectors), _NORM_BLOCK):
        # float64 so that rows with huge float32 entries do not overflow to an infinite norm
        block = vectors[start:start + _NORM_BLOCK].astype(np.float64)
        norms = np.sqrt(np.einsum("ij,ij->i", block, block))
        ok = np.isfinite(norms) & (norms > 0)
        out[start:start + _NORM_BLOCK][ok] = block[ok] / norms[ok, None]
    return out


def _unit_vector(vec):
    """Return `vec` scaled to unit length as float32 (zero stays zero)."""
    vec = np.asarray(vec, dtype=np.float64)
    norm = np.sqrt(vec @ vec)
    if norm > 0:
        vec = vec / norm
    return vec.astype(np.float32)


def _top_k(sims, topn, exclude=()):
    """Indices of the `topn` largest `sims`, best first, skipping `exclude`."""
    exclude = set(exclude)
    k = min(topn + len(exclude), len(sims))
    if k <= 0:
        return []
    if k < len(sims):
        idx = np.argpartition(-sims, k - 1)[:k]
    else:
        idx = np.arange(len(sims))
    idx = idx[np.argsort(-sims[idx], kind="stable")]
    return [int(i) for i in idx if int(i) not in exclude][:topn]


def _as_list(items):
    """Accept one key, one 1-D vector, a 2-D array of vectors or a list of these."""
    if items is None:
        return []
    if isinstance(items, str) or (isinstance(items, np.ndarray) and items.ndim == 1):
        return [items]
    if isinstance(items, np.ndarray) and items.ndim == 2:
        return list(items)
    return list(items)


class KeyedVectors:
    """Word vectors with their vocabulary, similarity queries and word2vec-format I/O.

    Parameters
    ----------
    keys : sequence of str
        Unique words, in row order (usually most frequent first).
    vectors : array-like of shape (n_words, vector_size)
        One row per key; stored as C-contiguous float32.
    counts : array-like of shape (n_words,), default=None
        Optional corpus frequency of each key, stored as int64.

    Attributes
    ----------
    vectors : ndarray of shape (n_words, vector_size), float32
        The word vectors. Reassigning it clears the cached unit vectors; after editing it in
        place, reassign it (``kv.vectors = kv.vectors``) so that queries see the change.
    index_to_key : list of str
        Row index to word.
    key_to_index : dict of str to int
        Word to row index.
    counts : ndarray of shape (n_words,), int64, or None
        Word frequencies, when known.

    See Also
    --------
    evaluate_word_analogies, evaluate_word_pairs

    Examples
    --------
    >>> import numpy as np
    >>> kv = KeyedVectors(["cat", "dog", "car"], np.array([[1, 0], [0.9, 0.1], [0, 1]]))
    >>> kv.most_similar("cat", topn=1)[0][0]
    'dog'
    >>> kv["car"]
    array([0., 1.], dtype=float32)
    """

    def __init__(self, keys, vectors, counts=None):
        keys = list(keys)
        for pos, key in enumerate(keys):
            if not isinstance(key, str):
                raise ValueError(f"keys must be str; key at position {pos} is {type(key).__name__}")
        key_to_index = {key: i for i, key in enumerate(keys)}
        if len(key_to_index) != len(keys):
            seen = set()
            dup = next(k for k in keys if k in seen or seen.add(k))
            raise ValueError(f"keys must be unique; {dup!r} appears more than once")
        self.index_to_key = keys
        self.key_to_index = key_to_index
        self._lock = threading.Lock()
        self._unit = None
        self.vectors = vectors
        self.counts = self._check_counts(counts)

    def _check_counts(self, counts):
        if counts is None:
            return None
        counts = np.asarray(counts)
        if counts.shape != (len(self.index_to_key),):
            raise ValueError(
                f"counts must have shape ({len(self.index_to_key)},), got {counts.shape}"
            )
        return counts.astype(np.int64)

    @property
    def vectors(self):
        return self._vectors

    @vectors.setter
    def vectors(self, value):
        value = np.ascontiguousarray(value, dtype=np.float32)
        if value.ndim != 2 or value.shape[0] != len(self.index_to_key):
            raise ValueError(
                f"vectors must be 2-D with {len(self.index_to_key)} rows (one per key), "
                f"got shape {value.shape}"
            )
        with self._lock:
            self._vectors = value
            self._unit = None

    @property
    def vector_size(self):
        """int : Dimension of the vectors."""
        return self._vectors.shape[1]

    def _unit_vectors(self):
        """Return the cached unit vectors, computing them once (thread-safe)."""
        unit = self._unit
        if unit is None:
            with self._lock:
                if self._unit is None:
                    self._unit = _unit_rows(self._vectors)
                unit = self._unit
        return unit

    def __getstate__(self):
        state = self.__dict__.copy()
        # the cache is derived data and the lock cannot be pickled
        state["_unit"] = None
        del state["_lock"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __len__(self):
        return len(self.index_to_key)

    def __contains__(self, word):
        return word in self.key_to_index

    def __iter__(self):
        return iter(self.index_to_key)

    def __repr__(self):
        return f"KeyedVectors(n_words={len(self)}, vector_size={self.vector_size})"

    def __getitem__(self, words):
        if isinstance(words, str):
            return self.get_vector(words)
        return self._vectors[[self.get_index(w) for w in words]].reshape(-1, self.vector_size)

    def get_index(self, word):
        """Return the row index of `word`.

        Parameters
        ----------
        word : str
            A word in the vocabulary.

        Returns
        -------
        int
            Its row in :attr:`vectors`.

        Raises
        ------
        KeyError
            If the word is not in the vocabulary.

        Examples
        --------
        >>> import numpy as np
        >>> KeyedVectors(["a", "b"], np.eye(2)).get_index("b")
        1
        """
        try:
            return self.key_to_index[word]
        except (KeyError, TypeError):
            raise KeyError(f"word {word!r} not in vocabulary") from None

    def get_vector(self, word, norm=False):
        """Return a copy of the vector of `word`.

        Parameters
        ----------
        word : str
            A word in the vocabulary.
        norm : bool, default=False
            Return the unit-length vector instead of the raw one.

        Returns
        -------
        ndarray of shape (vector_size,), float32

        Examples
        --------
        >>> import numpy as np
        >>> KeyedVectors(["a"], np.array([[3.0, 4.0]])).get_vector("a", norm=True)
        array([0.6, 0.8], dtype=float32)
        """
        index = self.get_index(word)
        source = self._unit_vectors() if norm else self._vectors
        return source[index].copy()

    def _query_vector(self, positive, negative):
        """gensim's 3CosAdd query: weighted mean of unit word vectors and raw given vectors."""
        items = [(item, 1.0) for item in _as_list(positive)]
        items += [(item, -1.0) for item in _as_list(negative)]
        if not items:
            raise ValueError("cannot compute similarity with no input")
        unit = self._unit_vectors()
        mean = np.zeros(self.vector_size, dtype=np.float64)
        exclude = []
        for item, weight in items:
            if isinstance(item, str):
                exclude.append(self.get_index(item))
                mean += weight * unit[exclude[-1]]
            else:
                mean += weight * self._check_query(item)
        return _unit_vector(mean / len(items)), exclude

    def _check_query(self, vec):
        vec = np.asarray(vec, dtype=np.float64)
        if vec.shape != (self.vector_size,):
            raise ValueError(
                f"query vectors must have shape ({self.vector_size},), got {vec.shape}"
            )
        if not np.all(np.isfinite(vec)):
            raise ValueError("query vector contains NaN or infinity")
        return vec

    def most_similar(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """Find the words closest to the mean of `positive` minus `negative` (3CosAdd).

        Words are replaced by their unit vectors, given vectors are used as they are, and
        the weighted mean is normalised, as in gensim. The input words are left out.

        Parameters
        ----------
        positive : str, ndarray or list of (str or ndarray), default=None
            Words or 1-D vectors that count positively.
        negative : str, ndarray or list of (str or ndarray), default=None
            Words or 1-D vectors that count negatively.
        topn : int or None, default=10
            Number of results; None returns the cosine similarity to every word.
        restrict_vocab : int, default=None
            Search only the first `restrict_vocab` words.

        Returns
        -------
        list of (str, float) or ndarray of shape (n_searched,)
            ``(word, cosine)`` pairs, most similar first; or all similarities when
            `topn` is None.

        Raises
        ------
        KeyError
            If a word is not in the vocabulary.

        Examples
        --------
        >>> import numpy as np
        >>> kv = KeyedVectors(list("abcd"), np.array([[1, 0], [1, 1], [0, 1], [1, -1]]))
        >>> [w for w, _ in kv.most_similar(positive=["a"], negative=["c"], topn=2)]
        ['d', 'b']
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        query, exclude = self._query_vector(positive, negative)
        end = len(self) if not restrict_vocab else min(int(restrict_vocab), len(self))
        sims = self._unit_vectors()[:end] @ query
        if topn is None:
            return sims
        return [(self.index_to_key[i], float(sims[i])) for i in _top_k(sims, int(topn), exclude)]

    def similar_by_vector(self, vector, topn=10, restrict_vocab=None):
        """Find the words closest to `vector`.

        Parameters
        ----------
        vector : ndarray of shape (vector_size,)
            The query.
        topn : int or None, default=10
            Number of results; None returns all similarities.
        restrict_vocab : int, default=None
            Search only the first `restrict_vocab` words.

        Returns
        -------
        list of (str, float) or ndarray

        Examples
        --------
        >>> import numpy as np
        >>> kv = KeyedVectors(["a", "b"], np.eye(2))
        >>> kv.similar_by_vector(np.array([0.1, 1.0]), topn=1)[0][0]
        'b'
        """
        return self.most_similar([vector], topn=topn, restrict_vocab=restrict_vocab)

    def most_similar_batch(self, queries, topn=10, restrict_vocab=None):
        """Answer many single-item queries with one matrix product per block.

        Parameters
        ----------
        queries : list of str or ndarray of shape (n_queries, vector_size)
            Words (each left out of its own results) or query vectors.
        topn : int, default=10
            Number of results per query.
        restrict_vocab : int, default=None
            Search only the first `restrict_vocab` words.

        Returns
        -------
        list of list of (str, float)
            One result list per query, as :meth:`most_similar` would give it.

        Examples
        --------
        >>> import numpy as np
        >>> kv = KeyedVectors(["a", "b", "c"], np.array([[1, 0], [1, 1], [0, 1]]))
        >>> [r[0][0] for r in kv.most_similar_batch(["a", "c"], topn=1)]
        ['b', 'b']
        """
        queries, exclude = self._batch_queries(queries)
        unit = self._unit_vectors()
        end = len(self) if not restrict_vocab else min(int(restrict_vocab), len(self))
        block = max(1, _BATCH_SCORES // max(end, 1))
        results = []
        for start in range(0, len(queries), block):
            scores = queries[start:start + block] @ unit[:end].T
            for sims, excl in zip(scores, exclude[start:start + block]):
                top = _top_k(sims, int(topn), excl)
                results.append([(self.index_to_key[i], float(sims[i])) for i in top])
        return results

    def _batch_queries(self, queries):
        if isinstance(queries, np.ndarray):
            matrix = np.asarray(queries, dtype=np.float64)
            if matrix.ndim != 2 or matrix.shape[1] != self.vector_size:
                raise ValueError(
                    f"query matrix must have shape (n, {self.vector_size}), got {matrix.shape}"
                )
            if not np.all(np.isfinite(matrix)):
                raise ValueError("query matrix contains NaN or infinity")
            return _unit_rows(matrix), [()] * len(matrix)
        if isinstance(queries, str):
            queries = [queries]
        index = [self.get_index(word) for word in queries]
        matrix = self._unit_vectors()[index].reshape(len(index), self.vector_size)
        return matrix, [(i,) for i in index]

    def similarity(self, w1, w2):
        """Cosine similarity of two words.

        Parameters
        ----------
        w1, w2 : str
            Words in the vocabulary.

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> kv = KeyedVectors(["a", "b"], np.array([[1.0, 0.0], [1.0, 1.0]]))
        >>> round(kv.similarity("a", "b"), 4)
        0.7071
        """
        unit = self._unit_vectors()
        return float(unit[self.get_index(w1)] @ unit[self.get_index(w2)])

    def distance(self, w1, w2):
        """Cosine distance, ``1 - similarity(w1, w2)``.

        Parameters
        ----------
        w1, w2 : str
            Words in the vocabulary.

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> KeyedVectors(["a", "b"], np.eye(2)).distance("a", "b")
        1.0
        """
        return 1.0 - self.similarity(w1, w2)

    def n_similarity(self, ws1, ws2):
        """Cosine similarity between the means of two sets of words (raw vectors, as gensim).

        Parameters
        ----------
        ws1, ws2 : list of str
            Non-empty lists of words in the vocabulary.

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> kv = KeyedVectors(["a", "b", "c"], np.array([[1, 0], [0, 1], [1, 1]]))
        >>> round(kv.n_similarity(["a", "b"], ["c"]), 4)
        1.0
        """
        if not len(ws1) or not len(ws2):
            raise ZeroDivisionError("At least one of the passed list is empty.")
        mean1 = self[list(ws1)].astype(np.float64).mean(axis=0)
        mean2 = self[list(ws2)].astype(np.float64).mean(axis=0)
        return float(_unit_vector(mean1) @ _unit_vector(mean2))

    def doesnt_match(self, words):
        """Return the word furthest from the mean of the given words.

        Unknown words are dropped with a warning, as gensim does.

        Parameters
        ----------
        words : list of str
            Candidate words.

        Returns
        -------
        str

        Raises
        ------
        ValueError
            If none of the words is in the vocabulary.

        Examples
        --------
        >>> import numpy as np
        >>> kv = KeyedVectors(["a", "b", "c"], np.array([[1, 0], [0.9, 0.1], [0, 1]]))
        >>> kv.doesnt_match(["a", "b", "c"])
        'c'
        """
        words = list(words)
        used = [w for w in words if w in self]
        if len(used) != len(words):
            missing = sorted(set(words) - set(used))
            warnings.warn(f"words {missing} are not in the vocabulary; ignoring them", stacklevel=2)
        if not used:
            raise ValueError("cannot select a word from an empty list")
        vecs = self._unit_vectors()[[self.key_to_index[w] for w in used]]
        dists = vecs @ _unit_vector(vecs.astype(np.float64).mean(axis=0))
        # gensim sorts (distance, word) pairs descending and takes the last
        return min(zip(dists.tolist(), used))[1]

    def save_word2vec_format(self, path, binary=False, write_header=True):
        """Write the vectors in the word2vec C tool's format, byte for byte as gensim does.

        Parameters
        ----------
        path : str or os.PathLike
            Destination; a ``.gz``, ``.bz2`` or ``.xz`` suffix compresses.
        binary : bool, default=False
            Binary rows (``word`` + space + little-endian float32) instead of text rows.
        write_header : bool, default=True
            Write the ``"n_words vector_size"`` first line (False gives GloVe's layout).

        Raises
        ------
        ValueError
            If a key is empty or contains a space or newline, which the format cannot hold.

        Examples
        --------
        >>> import numpy as np, os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "v.txt")
        >>> KeyedVectors(["a"], np.array([[0.5, -1.0]])).save_word2vec_format(path)
        >>> open(path).read()
        '1 2\\na 0.5 -1.0\\n'
        """
        for key in self.index_to_key:
            if not key or " " in key or "\n" in key:
                raise ValueError(
                    f"key {key!r} cannot be stored in word2vec format (empty, or contains a "
                    "space or newline)"
                )
        with _open(path, "wb") as fout:
            if write_header:
                fout.write(f"{len(self)} {self.vector_size}\n".encode("utf8"))
            for key, row in zip(self.index_to_key, self._vectors):
                if binary:
                    fout.write(key.encode("utf8") + b" " + row.astype("<f4").tobytes())
                else:
                    # str() of a numpy float32 is its shortest round-tripping repr, as in gensim
                    fout.write(f"{key} {' '.join(map(str, row))}\n".encode("utf8"))

    @classmethod
    def load_word2vec_format(
        cls, path, binary=False, limit=None, unicode_errors="strict", datatype=np.float32,
        encoding="utf8", no_header=False,
    ):
        """Read vectors written by the word2vec C tool, gensim, fastText (``.vec``) or skw2v.

        Damaged input raises ``ValueError`` naming the line (text) or byte offset (binary)
        and the problem. Repeated words keep their first vector, with a warning, as in gensim.

        Parameters
        ----------
        path : str or os.PathLike
            Source; ``.gz``, ``.bz2`` and ``.xz`` files are decompressed.
        binary : bool, default=False
            The file has binary rows.
        limit : int, default=None
            Read only the first `limit` vectors.
        unicode_errors : {"strict", "replace", "ignore"}, default="strict"
            How to handle words that are not valid in `encoding`.
        datatype : numpy dtype, default=np.float32
            Values are rounded through this type; storage stays float32.
        encoding : str, default="utf8"
            Encoding of the words.
        no_header : bool, default=False
            The text file has no ``"n_words vector_size"`` line (GloVe).

        Returns
        -------
        KeyedVectors

        Examples
        --------
        >>> import numpy as np, os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "v.txt")
        >>> with open(path, "w") as f:
        ...     _ = f.write("2 2\\nhi 1 0\\nyo 0 1\\n")
        >>> KeyedVectors.load_word2vec_format(path, limit=1).index_to_key
        ['hi']
        """
        if limit is not None and (not isinstance(limit, Integral) or limit < 0):
            raise ValueError(f"limit must be a non-negative int or None, got {limit!r}")
        if no_header and binary:
            raise ValueError("no_header is only supported for text files")
        options = _ReadOptions(str(os.fspath(path)), encoding, unicode_errors)
        with _open(path, "rb") as fin:
            stream = _Stream(fin, options.path)
            keys, vectors = _read_word2vec(stream, binary, limit, no_header, options)
        vectors = vectors.astype(datatype).astype(np.float32)
        return cls(keys, vectors)


# ---------------------------------------------------------------------------------------
# word2vec-format reading


class _ReadOptions:
    def __init__(self, path, encoding, unicode_errors):
        self.path = path
        self.encoding = encoding
        self.unicode_errors = unicode_errors

    def decode(self, raw, where):
        try:
            return raw.decode(self.encoding, errors=self.unicode_errors)
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"{self.path}: {where}: word is not valid {self.encoding} ({exc.reason} at byte "
                f"{exc.start} of the word); pass unicode_errors='replace' or 'ignore' to load it"
            ) from None
        except LookupError as exc:
            raise ValueError(f"unknown encoding or unicode_errors value: {exc}") from None


def _open(path, mode):
    name = os.fsdecode(os.fspath(path)).lower()
    if name.endswith(".gz"):
        return gzip.open(path, mode)
    if name.endswith(".bz2"):
        return bz2.open(path, mode)
    if name.endswith((".xz", ".lzma")):
        return lzma.open(path, mode)
    return open(path, mode)


class _TooLong(ValueError):
    """A separator was not found within the allowed number of bytes."""


class _Stream:
    """Buffered byte reader that knows its offset and turns codec failures into ValueError."""

    def __init__(self, fin, path):
        self.fin = fin
        self.path = path
        self.buf = b""
        self.pos = 0
        self.base = 0  # stream offset of buf[0]

    @property
    def offset(self):
        return self.base + self.pos

    def remaining_size(self):
        """Bytes left in an uncompressed file, or None when unknown."""
        compressed = (gzip.GzipFile, bz2.BZ2File, lzma.LZMAFile)
        if not hasattr(self.fin, "fileno") or isinstance(self.fin, compressed):
            return None
        try:
            return os.fstat(self.fin.fileno()).st_size - self.offset
        except (OSError, ValueError):
            return None

    def _more(self):
        try:
            data = self.fin.read(_READ_CHUNK)
        except (EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
            raise ValueError(f"{self.path}: corrupt or truncated compressed data: {exc}") from None
        if not data:
            return False
        self.buf = self.buf[self.pos:] + data
        self.base += self.pos
        self.pos = 0
        return True

    def read_until(self, sep, max_len):
        """Bytes up to `sep` (consumed, not returned); None at EOF; b'' + EOF gives the rest."""
        while True:
            i = self.buf.find(sep, self.pos, self.pos + max_len + 1)
            if i >= 0:
                out, self.pos = self.buf[self.pos:i], i + 1
                return out
            if len(self.buf) - self.pos > max_len:
                raise _TooLong(f"no {sep!r} within {max_len} bytes")
            if not self._more():
                out, self.pos = self.buf[self.pos:], len(self.buf)
                return out if out else None

    def read_exact(self, n):
        while len(self.buf) - self.pos < n:
            if not self._more():
                return None
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out

    def skip(self, byte):
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] == byte:
                self.pos += 1
            if self.pos < len(self.buf) or not self._more():
                return


class _Rows:
    """Growable (rows x dim) float32 table; grows only as the file proves it has the rows."""

    def __init__(self, max_rows):
        self.max_rows = max_rows  # None when unknown (no header)
        self.keys, self.key_to_index = [], {}
        self.data = None

    def add(self, key, values, where):
        if key in self.key_to_index:
            warnings.warn(f"duplicate word {key!r} at {where}; keeping the first", stacklevel=4)
            return
        n = len(self.keys)
        if self.data is None:
            first = max(1, _INITIAL_ROWS_BYTES // (4 * len(values)))
            self.data = np.empty((self._cap(first), len(values)), dtype=np.float32)
        elif n == len(self.data):
            grown = np.empty((self._cap(2 * n), self.data.shape[1]), dtype=np.float32)
            grown[:n] = self.data
            self.data = grown
        self.data[n] = values
        self.key_to_index[key] = n
        self.keys.append(key)

    def _cap(self, n):
        return n if self.max_rows is None else max(1, min(n, self.max_rows))

    def result(self, dim):
        if self.data is None:
            return self.keys, np.zeros((0, dim or 0), dtype=np.float32)
        return self.keys, self.data[: len(self.keys)]


def _read_word2vec(stream, binary, limit, no_header, options):
    n_rows, dim = (None, None) if no_header else _read_header(stream, binary, limit, options)
    if limit is not None:
        n_rows = limit if n_rows is None else min(n_rows, limit)
    rows = _Rows(n_rows)
    if binary:
        _read_binary_rows(stream, rows, n_rows, dim, options)
    else:
        _read_text_rows(stream, rows, n_rows, dim, 1 if no_header else 2, options)
    return rows.result(dim)


def _read_header(stream, binary, limit, options):
    try:
        raw = stream.read_until(b"\n", _MAX_HEADER_BYTES)
    except _TooLong:
        raw = b"?" * (_MAX_HEADER_BYTES + 1)
    fields = (raw or b"").split()
    if len(fields) != 2 or not all(f.isdigit() for f in fields):
        shown = (raw or b"")[:80]
        raise ValueError(
            f"{options.path}: line 1: expected a header 'n_vectors vector_size', got {shown!r}"
        )
    n_rows, dim = int(fields[0]), int(fields[1])
    if dim < 1:
        raise ValueError(f"{options.path}: line 1: vector size must be positive, got {dim}")
    _check_size(stream, n_rows if limit is None else min(n_rows, limit), dim, binary, options)
    return n_rows, dim


def _check_size(stream, n_rows, dim, binary, options):
    """Reject a header promising more rows than the file can hold (before any allocation)."""
    remaining = stream.remaining_size()
    if remaining is None or n_rows == 0:
        return
    # shortest possible rows: 1-byte word, separator, and 4*dim bytes or dim 1-char numbers
    need = n_rows * (4 * dim + 2) if binary else n_rows * (2 * dim + 2) - 1
    if need > remaining:
        raise ValueError(
            f"{options.path}: line 1: header claims {n_rows} vectors of size {dim}, needing at "
            f"least {need} bytes, but only {remaining} follow (truncated file or bad header?)"
        )


def _read_text_rows(stream, rows, n_rows, dim, first_line, options):
    count = 0
    while n_rows is None or count < n_rows:
        line_no = first_line + count
        where = f"line {line_no}"
        max_len = _MAX_KEY_BYTES + 64 * (dim if dim else 1 << 14)
        try:
            line = stream.read_until(b"\n", max_len)
        except _TooLong:
            raise ValueError(f"{options.path}: {where}: longer than {max_len} bytes") from None
        if line is None:
            if n_rows is None:
                break
            raise ValueError(
                f"{options.path}: {where}: unexpected end of file; the header promised "
                f"{n_rows} vectors but only {count} were found"
            )
        if n_rows is None and not line.strip():
            count += 1  # GloVe-style files may end with blank lines
            continue
        key, values = _parse_text_line(line, dim, where, options)
        dim = len(values)
        rows.add(key, values, where)
        count += 1


def _parse_text_line(line, dim, where, options):
    key, _, rest = line.rstrip().partition(b" ")
    if not key:
        raise ValueError(f"{options.path}: {where}: empty word (blank line or leading space)")
    text_key = options.decode(key, where)
    fields = rest.split()
    if dim is not None and len(fields) != dim:
        raise ValueError(
            f"{options.path}: {where}: expected {dim} values after the word, got {len(fields)}"
        )
    if not fields:
        raise ValueError(f"{options.path}: {where}: no values after the word")
    try:
        values = np.array([float(f) for f in fields], dtype=np.float64)
    except ValueError:
        bad = next(f for f in fields if not _is_float(f))
        raise ValueError(f"{options.path}: {where}: {bad[:40]!r} is not a number") from None
    return text_key, values


def _is_float(field):
    try:
        float(field)
    except ValueError:
        return False
    return True


def _read_binary_rows(stream, rows, n_rows, dim, options):
    n_bytes = 4 * dim
    for count in range(n_rows):
        # gensim writes no newline after a vector, the C tool does: accept both
        stream.skip(ord("\n"))
        start = stream.offset
        where = f"byte offset {start}"
        try:
            key = stream.read_until(b" ", _MAX_KEY_BYTES)
        except _TooLong:
            raise ValueError(
                f"{options.path}: {where}: no space after a word within {_MAX_KEY_BYTES} bytes"
            ) from None
        raw = None if key is None else stream.read_exact(n_bytes)
        if raw is None:
            raise ValueError(
                f"{options.path}: {where}: unexpected end of file in vector {count + 1}; the "
                f"header promised {n_rows} vectors of size {dim}"
            )
        if not key:
            raise ValueError(f"{options.path}: {where}: empty word")
        rows.add(options.decode(key, where), np.frombuffer(raw, dtype="<f4"), where)
