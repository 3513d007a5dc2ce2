"""Opening files: the one place that knows about compression.

Every file skw2v reads (corpora, word2vec vectors, evaluation sets, the
CLI's inputs) goes through :func:`open_file`, which recognises gzip, bzip2
and xz/lzma by the file's first bytes, not by its name: ``corpus.txt.xz``,
``CORPUS.TXT.GZ`` and a gzip file without an extension all read the same.
Files being written are compressed by their extension (there are no first
bytes yet), case-insensitively.
"""

import bz2
import gzip
import lzma
import os

__all__ = ["compression_of", "open_file"]

# (magic bytes, name, opener); xz's legacy .lzma ("alone") format has no reliable magic,
# it is recognised by the xz module's own attempt below.
_MAGIC = (
    (b"\x1f\x8b", "gzip", gzip.open),
    (b"BZh", "bz2", bz2.open),
    (b"\xfd7zXZ\x00", "xz", lzma.open),
)
_EXTENSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".lzma": "xz"}
_OPENERS = {name: opener for _, name, opener in _MAGIC}


def compression_of(path):
    """Name of the compression of an existing file (``"gzip"``, ``"bz2"``, ``"xz"``) or None.

    Decided by the first bytes. A legacy ``.lzma`` file (no magic number) is
    recognised by its extension.
    """
    with open(path, "rb") as f:
        head = f.read(6)
    for magic, name, _ in _MAGIC:
        if head.startswith(magic):
            return name
    if os.fsdecode(os.fspath(path)).lower().endswith(".lzma"):
        return "xz"
    return None


def _compression_for_writing(path):
    name = os.fsdecode(os.fspath(path)).lower()
    return next((kind for ext, kind in _EXTENSIONS.items() if name.endswith(ext)), None)


def open_file(path, mode="rb", encoding=None, errors=None):
    """Open ``path``, decompressing or compressing transparently.

    Parameters
    ----------
    path : str or path-like
        The file.
    mode : {"rb", "rt", "wb", "wt"}, default="rb"
        Reading detects the compression from the first bytes; writing
        compresses by the extension (``.gz``, ``.bz2``, ``.xz``, ``.lzma``).
    encoding, errors : str, optional
        Text modes only, as in :func:`open`.

    Returns
    -------
    file object
    """
    if mode not in ("rb", "rt", "wb", "wt"):
        raise ValueError(f"mode must be 'rb', 'rt', 'wb' or 'wt', got {mode!r}")
    kind = compression_of(path) if mode[0] == "r" else _compression_for_writing(path)
    text = {"encoding": encoding, "errors": errors} if mode.endswith("t") else {}
    if kind is None:
        return open(path, mode, **text)
    return _OPENERS[kind](path, mode, **text)
