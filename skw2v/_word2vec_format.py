"""The word2vec C tool's text and binary formats: plain keys and vectors in, files out.

The formats are byte for byte those gensim 4.4 writes, so files move freely between skw2v,
gensim, fastText (``.vec``) and the C tool. Damaged input raises ``ValueError`` naming the
file, the line (text) or byte offset (binary) and the problem, and a header cannot make the
reader allocate more than the file proves it holds. :class:`~skw2v.KeyedVectors` wraps
these functions as ``save_word2vec_format`` and ``load_word2vec_format``.
"""

import os
import warnings

import numpy as np

from ._io import DECOMPRESSION_ERRORS, is_compressed, open_file
from ._words import ENCODING, ERRORS, UnstorableWord, check_word

_READ_CHUNK = 1 << 20
MAX_KEY_BYTES = 1 << 16  # the longest word read: a lying file cannot make us buffer more
# The C tool's formats end a word at a space and a row at a newline: no word holds either.
WORD_ENDS = {" ": "a space", "\n": "a newline"}
_MAX_HEADER_BYTES = 1024
# Rows preallocated before the file has proven it holds them, so a lying header cannot
# make us allocate more than a few MiB up front.
_INITIAL_ROWS_BYTES = 1 << 22
# warnings point at the caller of KeyedVectors.load_word2vec_format:
# _Rows.add <- _read_*_rows <- _read_rows <- read_word2vec <- load_word2vec_format <- caller
_WARN_LEVEL = 6


# ---------------------------------------------------------------------------------------
# writing


def write_word2vec(path, keys, vectors, binary=False, write_header=True):
    """Write `keys` and their `vectors` in the C tool's format, byte for byte as gensim does.

    The parameters and errors are those of :meth:`KeyedVectors.save_word2vec_format`.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    raw_keys = key_bytes(keys)
    with open_file(path, "wb") as fout:
        if write_header:
            fout.write(f"{len(keys)} {vectors.shape[1]}\n".encode("ascii"))
        for key, row in zip(raw_keys, vectors):
            if binary:
                fout.write(key + b" " + row.astype("<f4").tobytes())
            else:
                # str() of a numpy float32 is its shortest round-tripping repr, as in gensim
                fout.write(key + f" {' '.join(map(str, row))}\n".encode("ascii"))


def key_problem(key):
    """Why ``key`` cannot be a word of a word2vec file (a sentence), or None.

    The C tool's formats end a word at a space and a row at a newline; every
    other character is kept (gensim and skw2v read tabs, carriage returns, NULs
    and the rest back as they were written). A word longer than
    :data:`MAX_KEY_BYTES` would not be read back.
    """
    if not key:
        return "it is empty"
    for end, name in WORD_ENDS.items():
        if end in key:
            return f"it holds {name}"
    if len(key) > MAX_KEY_BYTES // 4 and len(key.encode(ENCODING, ERRORS)) > MAX_KEY_BYTES:
        return f"it is longer than {MAX_KEY_BYTES:,} bytes, the longest word read back"
    return None


def key_bytes(keys):
    """The bytes of every key (UTF-8, undecodable bytes kept: :data:`ENCODING`, :data:`ERRORS`);
    ValueError naming the first key a word2vec file cannot hold."""
    try:
        "".join(keys).encode(ENCODING)  # one pass: no surrogate anywhere
        fast = True
    except UnicodeEncodeError:
        fast = False
    out = []
    for key in keys:
        problem = key_problem(key)
        if problem is None:
            try:
                out.append(key.encode(ENCODING) if fast else check_word(key))
                continue
            except UnstorableWord as exc:
                problem = str(exc)
        raise ValueError(f"key {key!r} cannot be stored in word2vec format: {problem}")
    return out


# ---------------------------------------------------------------------------------------
# reading


def read_word2vec(path, binary=False, limit=None, encoding="utf8", unicode_errors=ERRORS,
                  no_header=False, allocate=None):
    """Read a file in the C tool's format (or GloVe's, with `no_header`): ``(keys, vectors)``.

    ``keys`` are the words, unique, in file order (a repeated word keeps its first vector,
    with a warning, as in gensim); ``vectors`` their float32 rows. The parameters are those
    of :meth:`KeyedVectors.load_word2vec_format`, plus ``allocate``: called as
    ``allocate(shape)`` for the (rows, dim) float32 table when the number of rows is
    known, from a header the file's size proves or, without a header, by counting the
    lines first (e.g. a memory-mapped file to read into); ``vectors`` is then that table
    or its first rows (fewer after repeated words or blank lines).
    """
    if no_header and binary:
        raise ValueError("no_header is only supported for text files")
    options = _ReadOptions(str(os.fspath(path)), encoding, unicode_errors)
    counted = _count_lines(path) if no_header and allocate is not None else None
    with open_file(path, "rb") as fin:
        stream = _Stream(fin, options.path)
        keys, vectors = _read_rows(stream, binary, limit, no_header, options, allocate, counted)
    if unicode_errors == ERRORS:
        _warn_undecodable(keys, options)
    return keys, vectors


def _warn_undecodable(keys, options):
    """Say so when words were not valid text and were kept as their bytes."""
    try:
        "".join(keys).encode(options.encoding)
        return
    except (UnicodeEncodeError, LookupError):
        pass
    kept = [key for key in keys if not _encodes(key, options.encoding)]
    if kept:
        warnings.warn(
            f"{options.path}: {len(kept)} word(s) are not valid {options.encoding}, e.g. "
            f"{kept[0]!r}; they are kept as their bytes (undecodable bytes as '\\udcXX', as "
            "Python decodes file names) and written back unchanged. If the file is in another "
            "encoding, pass encoding=...; pass unicode_errors='strict' to refuse such words.",
            UnicodeWarning, stacklevel=4)  # <- read_word2vec <- load_word2vec_format <- caller


def _encodes(key, encoding):
    try:
        key.encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


def _count_lines(path):
    """Lines in a text file (a last one without a newline too), or None if it cannot be read:
    at least the rows of a headerless file."""
    n, last = 0, b"\n"
    try:
        with open_file(path, "rb") as f:
            for chunk in iter(lambda: f.read(_READ_CHUNK), b""):
                n, last = n + chunk.count(b"\n"), chunk[-1:]
    except DECOMPRESSION_ERRORS:
        return None  # the reader says what is wrong
    return n + (last != b"\n")


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
                f"{exc.start} of the word); pass unicode_errors='surrogateescape' to keep its "
                "bytes, or 'replace' or 'ignore' to load it"
            ) from None
        except LookupError as exc:
            raise ValueError(f"unknown encoding or unicode_errors value: {exc}") from None


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
        if is_compressed(self.fin):
            return None
        try:
            return os.fstat(self.fin.fileno()).st_size - self.offset
        except (OSError, ValueError):
            return None

    def _more(self):
        try:
            data = self.fin.read(_READ_CHUNK)
        except DECOMPRESSION_ERRORS as exc:
            if not is_compressed(self.fin):
                raise
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

    def __init__(self, max_rows, allocate=None, allocate_rows=None):
        self.max_rows = max_rows  # None when unknown (no header)
        self.allocate = allocate  # makes the whole table at once, of allocate_rows rows
        self.allocate_rows = max_rows if allocate_rows is None else allocate_rows
        self.keys, self.key_to_index = [], {}
        self.data = None

    def add(self, key, values, where, level=_WARN_LEVEL):
        if key in self.key_to_index:
            warnings.warn(f"duplicate word {key!r} at {where}; keeping the first",
                          stacklevel=level)
            return
        n = len(self.keys)
        self._reserve(n + 1, len(values))
        self.data[n] = values
        self.key_to_index[key] = n
        self.keys.append(key)

    def add_block(self, keys, block, where, level):
        """Add ``keys`` and their rows ``block`` at once; ``where(i)`` locates key ``i``."""
        n, index = len(self.keys), self.key_to_index
        kept = []
        for i, key in enumerate(keys):
            if key in index:
                warnings.warn(f"duplicate word {key!r} at {where(i)}; keeping the first",
                              stacklevel=level)
                continue
            index[key] = n + len(kept)
            kept.append(i)
        if len(kept) < len(keys):
            keys, block = [keys[i] for i in kept], block[kept]
        self._reserve(n + len(keys), block.shape[1])
        self.data[n:n + len(keys)] = block
        self.keys.extend(keys)

    def _reserve(self, n_rows, dim):
        """Make room for ``n_rows`` rows: the whole table, or double until they fit."""
        if self.data is None and self.allocate is not None:
            self.data = self.allocate((max(self.allocate_rows, n_rows), dim))
        elif self.data is None:
            first = max(n_rows, _INITIAL_ROWS_BYTES // (4 * dim), 1)
            self.data = np.empty((self._cap(first), dim), dtype=np.float32)
        elif n_rows > len(self.data):
            n = len(self.keys)
            grown = np.empty((self._cap(max(2 * len(self.data), n_rows)), dim), np.float32)
            grown[:n] = self.data[:n]
            self.data = grown

    def _cap(self, n):
        return n if self.max_rows is None else max(1, min(n, self.max_rows))

    def result(self, dim):
        if self.data is None:
            return self.keys, np.zeros((0, dim or 0), dtype=np.float32)
        if self.allocate is not None:
            return self.keys, self.data[:len(self.keys)]  # the caller's table: not resized
        # give back the unused rows (growth by doubling, duplicates) in place: no views exist
        self.data.resize((len(self.keys), self.data.shape[1]), refcheck=False)
        return self.keys, self.data


def _read_rows(stream, binary, limit, no_header, options, allocate=None, counted=None):
    """``counted``: the lines of a headerless file, counted beforehand (or None)."""
    n_rows, dim = (None, None) if no_header else _read_header(stream, binary, limit, options)
    proven = n_rows is not None and stream.remaining_size() is not None  # by _check_size
    if limit is not None:
        n_rows = limit if n_rows is None else min(n_rows, limit)
    table = n_rows if proven else counted if no_header else None  # rows known in advance
    if table is not None and limit is not None:
        table = min(table, limit)
    rows = _Rows(n_rows, allocate if table else None, table)
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
        max_len = MAX_KEY_BYTES + 64 * (dim if dim else 1 << 14)
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
    count = 0
    while count < n_rows:
        # the rows wholly in the buffer at once; then the row across its end (or an unusual
        # one: an empty or undecodable word) alone, reading more and wording any error
        count += _read_buffered_rows(stream, rows, n_rows - count, 4 * dim, options)
        if count < n_rows:
            _read_binary_row(stream, rows, count, n_rows, dim, options)
            count += 1


def _read_buffered_rows(stream, rows, max_rows, n_bytes, options):
    """Parse the rows that lie whole in the stream's buffer; return how many were read."""
    buf, pos, end = stream.buf, stream.pos, len(stream.buf)
    keys, starts, vectors = [], [], []
    while len(keys) < max_rows:
        while pos < end and buf[pos] == 10:  # the C tool's newline after a vector
            pos += 1
        space = buf.find(b" ", pos, pos + MAX_KEY_BYTES + 1)
        if space <= pos or space + 1 + n_bytes > end:
            break  # an empty word, or a row not all in the buffer
        try:
            keys.append(buf[pos:space].decode(options.encoding, options.unicode_errors))
        except (UnicodeDecodeError, LookupError):
            break
        starts.append(stream.base + pos)
        vectors.append(buf[space + 1:space + 1 + n_bytes])
        pos = space + 1 + n_bytes
    stream.pos = pos
    if keys:
        block = np.frombuffer(b"".join(vectors), dtype="<f4").reshape(len(keys), -1)
        # warnings point at the caller of load_word2vec_format, as _Rows.add's do
        rows.add_block(keys, block, lambda i: f"byte offset {starts[i]}", _WARN_LEVEL + 1)
    return len(keys)


def _read_binary_row(stream, rows, count, n_rows, dim, options):
    """Read row ``count`` from the stream, reading more as needed; ValueError naming its
    byte offset when it is damaged."""
    n_bytes = 4 * dim
    # gensim writes no newline after a vector, the C tool does: accept both
    stream.skip(ord("\n"))
    start = stream.offset
    where = f"byte offset {start}"
    try:
        key = stream.read_until(b" ", MAX_KEY_BYTES)
    except _TooLong:
        raise ValueError(
            f"{options.path}: {where}: no space after a word within {MAX_KEY_BYTES} bytes"
        ) from None
    raw = None if key is None else stream.read_exact(n_bytes)
    if raw is None:
        raise ValueError(
            f"{options.path}: {where}: unexpected end of file in vector {count + 1}; the "
            f"header promised {n_rows} vectors of size {dim}"
        )
    if not key:
        raise ValueError(f"{options.path}: {where}: empty word")
    rows.add(options.decode(key, where), np.frombuffer(raw, dtype="<f4"), where,
             _WARN_LEVEL + 1)
