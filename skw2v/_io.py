"""Opening files: the one place that knows about compression.

Every file skw2v reads (corpora, word2vec vectors, evaluation sets, the
CLI's inputs) goes through :func:`open_file`, which recognises gzip, bzip2
and xz/lzma by the file's first bytes, not by its name: ``corpus.txt.xz``,
``CORPUS.TXT.GZ`` and a gzip file without an extension all read the same,
and a plain file named ``.gz`` reads as plain text. Files being written are
compressed by their extension (there are no first bytes yet),
case-insensitively.

Examples
--------
>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "words.txt.xz")
>>> with open_file(path, "wt", encoding="utf-8") as f:
...     _ = f.write("compressed by its name\\n")
>>> compression_of(path)
'xz'
>>> os.rename(path, path[:-3])  # no extension: still read by its content
>>> with open_file(path[:-3], "rt", encoding="utf-8") as f:
...     f.read()
'compressed by its name\\n'
"""

import bz2
import functools
import gzip
import lzma
import os
import zlib

__all__ = ["DECOMPRESSION_ERRORS", "compression_of", "is_compressed", "open_file"]

# (magic bytes, name, opener for reading); gzip's third byte is its only method, deflate
_MAGIC = (
    (b"\x1f\x8b\x08", "gzip", gzip.open),
    (b"BZh", "bz2", bz2.open),
    (b"\xfd7zXZ\x00", "xz", lzma.open),
)
_OPENERS = {name: opener for _, name, opener in _MAGIC}
# Writing: extension -> opener. ".lzma" is the legacy "alone" format that the lzma tool writes.
_WRITERS = {
    ".gz": gzip.open,
    ".bz2": bz2.open,
    ".xz": lzma.open,
    ".lzma": functools.partial(lzma.open, format=lzma.FORMAT_ALONE),
}
# The legacy format's 13-byte header (properties, dictionary size, length) has no magic number.
_LZMA_HEADER = 13

# What reading damaged compressed data raises: a truncated stream gives EOFError (all three),
# bad gzip/bz2 data OSError (gzip.BadGzipFile is one) or zlib.error, bad xz data LZMAError.
DECOMPRESSION_ERRORS = (EOFError, OSError, zlib.error, lzma.LZMAError)


def compression_of(path):
    """Name of the compression of an existing file (``"gzip"``, ``"bz2"``, ``"xz"``) or None.

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    str or None
        Decided by the first bytes of a regular file (a pipe or device is read as
        it is). A legacy ``.lzma`` file (no magic
        number) is recognised by its extension and a valid header, and
        reported as ``"xz"`` (the same module reads both).

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "no-extension")
    >>> with gzip.open(path, "wb") as f:
    ...     _ = f.write(b"x")
    >>> compression_of(path)
    'gzip'
    """
    if not os.path.isfile(path):
        return None  # a pipe or device: reading its first bytes would consume them
    with open(path, "rb") as f:
        head = f.read(32)
    for magic, name, _ in _MAGIC:
        if head.startswith(magic):
            return name
    if _name(path).endswith(".lzma") and _is_lzma_header(head):
        return "xz"
    return None


def _is_lzma_header(head):
    # liblzma's auto decoder checks the legacy header strictly (dictionary size a power of
    # two or one and a half, sane length), so a plain text file named .lzma is rejected
    if len(head) < _LZMA_HEADER:
        return False
    try:
        lzma.LZMADecompressor(lzma.FORMAT_AUTO).decompress(head)
    except lzma.LZMAError:
        return False
    return True


def _name(path):
    return os.fsdecode(os.fspath(path)).lower()


def is_compressed(f):
    """True if `f`, a binary file from :func:`open_file`, decompresses (or compresses).

    Readers use it to tell damaged compressed data (a ``ValueError`` for the
    user) from an I/O error on a plain file (left as it is).
    """
    return isinstance(f, (gzip.GzipFile, bz2.BZ2File, lzma.LZMAFile))


def open_file(path, mode="rb", encoding=None, errors=None):
    """Open ``path``, decompressing or compressing transparently.

    Parameters
    ----------
    path : str or path-like
        The file.
    mode : {"rb", "rt", "wb", "wt"}, default="rb"
        Reading detects gzip, bz2 and xz from the first bytes (see
        :func:`compression_of`); writing compresses by the extension
        (``.gz``, ``.bz2``, ``.xz``, legacy ``.lzma``; any case).
    encoding, errors : str, optional
        Text modes only, as in :func:`open`.

    Returns
    -------
    file object
        Reading damaged compressed data raises one of
        :data:`DECOMPRESSION_ERRORS`.
    """
    if mode not in ("rb", "rt", "wb", "wt"):
        raise ValueError(f"mode must be 'rb', 'rt', 'wb' or 'wt', got {mode!r}")
    if mode[0] == "r":
        opener = _OPENERS.get(compression_of(path), open)
    else:
        opener = next((w for ext, w in _WRITERS.items() if _name(path).endswith(ext)), open)
    text = {"encoding": encoding, "errors": errors} if mode.endswith("t") else {}
    return opener(path, mode, **text)
