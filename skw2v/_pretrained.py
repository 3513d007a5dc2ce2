"""Pretrained word vectors: one read-only copy per process, memory-mapped where possible.

source (a path or a KeyedVectors) -> :func:`load_vectors` -> a KeyedVectors nobody writes to

A path goes through three layers, each consulted before the next:

1. this process' cache, keyed by the file's real path, size and modification time (and
   ``limit``): every clone of a pipeline step gets the same object;
2. a conversion cache on disk (``cache_dir``): the vectors as a ``.npy`` file that is
   memory-mapped read-only, so processes share the pages and a load costs no copy;
3. the readers: the word2vec C tool's text and binary formats (fastText ``.vec`` files
   are the text format), GloVe's headerless text, and skw2v's model files; which one is
   decided from the file's first bytes.
"""

import hashlib
import json
import os
import shutil
import tempfile
import threading
import warnings
import weakref
from collections import OrderedDict

import numpy as np
from sklearn.utils._param_validation import HasMethods

from ._checks import is_int
from ._io import open_file
from ._keyedvectors import KeyedVectors
from ._persist import invalid_model_file, read_model
from ._state import fitted_attributes
from ._word2vec_format import read_word2vec
from ._version import __version__
from ._words import json_utf8

CACHE_ENV = "SKW2V_VECTORS_CACHE"
# What a ``vectors`` / ``init_vectors`` parameter may be, as scikit-learn constraints:
# a path, or word vectors (skw2v's or gensim's KeyedVectors).
VECTOR_SOURCES = [str, os.PathLike, HasMethods(["get_vector", "most_similar"])]
# Sources kept loaded after the last estimator using them is gone, so that a grid search
# (whose clones come and go) loads a file once; older ones are dropped.
KEEP_LOADED = 2
_SNIFF_BYTES = 1 << 16
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")

_lock = threading.RLock()  # _load_file holds it while _read_source may call _prefix
_alive = weakref.WeakValueDictionary()  # key -> KeyedVectors still used somewhere
_recent = OrderedDict()                 # key -> KeyedVectors, the KEEP_LOADED last loaded
_fingerprints = weakref.WeakKeyDictionary()
_prefixes = weakref.WeakKeyDictionary()  # KeyedVectors -> {limit: its first words}
_wrapped = weakref.WeakKeyDictionary()   # gensim's KeyedVectors -> ours over its arrays
loads = 0  # files read or mapped by this process (tests and benchmarks watch it)


def load_vectors(source, limit=None, cache_dir=None):
    """The word vectors of ``source`` as a KeyedVectors whose arrays must not be written.

    Parameters
    ----------
    source : str, os.PathLike, KeyedVectors or gensim KeyedVectors
        A word2vec text or binary file, a fastText ``.vec`` file, a GloVe file, a model
        saved by :meth:`CBOWVectorizer.save`, or vectors already in memory.
    limit : int or None
        Keep only the first ``limit`` words (the most frequent, in these formats).
    cache_dir : str, os.PathLike or None
        Where converted files are kept; None: ``$SKW2V_VECTORS_CACHE``, else
        ``vectors`` in skw2v's data home (``$SKW2V_DATA``, default ``~/skw2v_data``).

    Returns
    -------
    KeyedVectors
        The same object for every call with the same unchanged file and ``limit``.
    """
    if isinstance(source, KeyedVectors):
        return _prefix(source, limit)
    if _is_gensim_keyedvectors(source):
        return _prefix(_from_gensim(source), limit)
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(
            f"vectors must be a path to a vectors file (word2vec, fastText .vec, GloVe or a "
            f"saved skw2v model) or a KeyedVectors, got {type(source).__name__}.")
    return _load_file(os.fspath(source), limit, cache_dir)


def fingerprint(kv):
    """A short digest of the words and shape of ``kv``: tells a changed file on reloading."""
    digest = _fingerprints.get(kv)
    if digest is None:
        h = hashlib.sha256(f"{len(kv)} {kv.vector_size}\n".encode())
        for start in range(0, len(kv), 65536):
            # surrogatepass: never fails and tells apart any two lists of str
            h.update("\n".join(kv.index_to_key[start:start + 65536]).encode("utf-8",
                                                                           "surrogatepass"))
        digest = _fingerprints[kv] = h.hexdigest()[:16]
    return digest


def clear_cache():
    """Forget the vectors this process keeps loaded (the files on disk stay)."""
    with _lock:
        _recent.clear()
        _alive.clear()


# ----------------------------------------------------------------------- in memory
def _prefix(kv, limit):
    """The first ``limit`` words of ``kv``: a view of its rows, made once per (kv, limit)."""
    if limit is None or limit >= len(kv):
        return kv
    with _lock:
        made = _prefixes.setdefault(kv, {})
        if limit not in made:
            words = kv.index_to_key[:limit]
            counts = None if kv.counts is None else kv.counts[:limit]
            # the words need their own (smaller) index
            made[limit] = KeyedVectors._from_vocabulary(
                words, {w: i for i, w in enumerate(words)}, kv.vectors[:limit], counts)
        return made[limit]


def _is_gensim_keyedvectors(obj):
    return (type(obj).__module__.startswith("gensim.")
            and hasattr(obj, "index_to_key") and hasattr(obj, "vectors"))


def _from_gensim(kv):
    """skw2v's KeyedVectors over a gensim one's words, index and (float32) vectors, shared,
    made once per gensim object."""
    with _lock:
        ours = _wrapped.get(kv)
        if ours is None:
            counts = getattr(kv, "expandos", {}).get("count")
            n = len(kv.index_to_key)
            if counts is not None and np.array_equal(counts, np.arange(n, 0, -1)):
                counts = None  # gensim's stand-in counts for files without any
            ours = _wrapped[kv] = KeyedVectors._from_vocabulary(
                kv.index_to_key, kv.key_to_index, kv.vectors, counts)
        return ours


# ------------------------------------------------------------------------- files
def _load_file(path, limit, cache_dir):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"no such vectors file: {path}") from None
    if os.path.isdir(path):
        raise IsADirectoryError(f"vectors path is a directory, not a file: {path}")
    key = (os.path.realpath(path), st.st_size, st.st_mtime_ns, limit)
    with _lock:  # one thread loads; the others wait and get its result
        kv = _alive.get(key)
        if kv is None:
            kv = _alive[key] = _load_uncached(path, key, limit, cache_dir)
        _recent[key] = kv
        _recent.move_to_end(key)
        while len(_recent) > KEEP_LOADED:
            _recent.popitem(last=False)
    return kv


def _load_uncached(path, key, limit, cache_dir):
    global loads
    loads += 1
    folder = _cache_folder(cache_dir, key)
    if folder is None:
        kv = _read_source(path, limit)
        kv.vectors.flags.writeable = False  # no cache: the read copy, made read-only
        return kv
    kv = _read_converted(folder, key)
    if kv is None:
        kv = _convert(path, limit, folder, key)
    return kv


def _read_source(path, limit, allocate=None):
    """Read ``path`` in the format its first bytes show (``allocate``: see read_word2vec)."""
    kind, binary, no_header = sniff_format(path)
    if kind == "skw2v":
        return _prefix(_model_vectors(path), limit)
    keys, vectors = read_word2vec(path, binary, limit, no_header=no_header, allocate=allocate)
    return KeyedVectors(keys, vectors)


def _model_vectors(path):
    """The word vectors and counts of a model saved by skw2v, checked as loading it checks."""
    estimator, params, state = read_model(path)
    try:
        if estimator != "CBOWVectorizer":
            raise ValueError(f"estimator {estimator!r} is not supported")
        dim = params.get("vector_size")
        return fitted_attributes(state, dim if is_int(dim) else -1)["wv_"]
    except ValueError as exc:
        raise invalid_model_file(path, exc) from None


def sniff_format(path):
    """``(kind, binary, no_header)`` of a vectors file, from its first bytes.

    ``kind`` is ``"skw2v"`` (a zip archive: a saved model) or ``"word2vec"``; a word2vec
    file has a header line of two integers, a GloVe file starts with a word and numbers;
    after a header, a first row of text numbers means the text format, else binary.
    """
    with open(path, "rb") as f:
        if f.read(4) in _ZIP_MAGIC:
            return "skw2v", False, False
    with open_file(path, "rb") as f:  # decompresses gzip, bz2 and xz
        head = f.read(_SNIFF_BYTES)
    first, _, rest = head.partition(b"\n")
    fields = first.split()
    if len(fields) == 2 and all(x.isdigit() for x in fields):
        dim = int(fields[1])
        row = rest.partition(b"\n")[0].split(b" ", 1)
        binary = bool(rest) and not (len(row) == 2 and _numbers(row[1]) == dim)
        return "word2vec", binary, False
    if len(fields) >= 2 and _numbers(first.split(b" ", 1)[1]):
        return "word2vec", False, True
    raise ValueError(
        f"{path}: cannot tell the format of this vectors file: its first line "
        f"{first[:60]!r} is neither a word2vec header 'n_words vector_size' nor a word "
        "followed by numbers (GloVe). Supported: word2vec text and binary, fastText .vec, "
        "GloVe text, and models saved by skw2v.")


def _numbers(raw):
    """How many numbers ``raw`` holds if it is only whitespace-separated numbers, else 0."""
    try:
        return len([float(x) for x in raw.split()])
    except ValueError:
        return 0


# ---------------------------------------------------------------- disk cache
def _cache_folder(cache_dir, key):
    """The cache folder of a source, or None (with a warning) when none can be made."""
    if cache_dir is None:
        cache_dir = os.environ.get(CACHE_ENV)
    if cache_dir is None:
        from .datasets import get_data_home

        cache_dir = os.path.join(get_data_home(), "vectors")
    # named by the path and limit only: a changed file's conversion replaces the old one
    name = hashlib.sha256(repr((key[0], key[3])).encode()).hexdigest()[:24]
    try:
        os.makedirs(cache_dir, exist_ok=True)
    except OSError as exc:
        warnings.warn(f"cannot use {cache_dir!r} to cache converted vectors ({exc}); each "
                      "process keeps its own copy in memory. Set cache_dir to a writable "
                      "folder.", stacklevel=5)
        return None
    return os.path.join(cache_dir, name)


def _source_record(key):
    path, size, mtime_ns, limit = key
    return {"source": path, "size": size, "mtime_ns": mtime_ns, "limit": limit}


def _read_converted(folder, key):
    """The converted vectors in ``folder``, memory-mapped; None when absent or stale."""
    try:
        with open(os.path.join(folder, "source.json"), encoding="utf-8") as f:
            meta = json.load(f)
        if meta.get("source_record") != _source_record(key):
            return None
        with open(os.path.join(folder, "words.json"), encoding="utf-8") as f:
            words = json.load(f)
        vectors = np.load(os.path.join(folder, "vectors.npy"), mmap_mode="r")
        counts = (np.load(os.path.join(folder, "counts.npy"))
                  if meta.get("counts") else None)
    except (OSError, ValueError):
        return None  # absent, half-written by a crashed process or damaged: convert again
    if vectors.ndim != 2 or len(vectors) != len(words):
        return None
    return KeyedVectors._from_vocabulary(words, {w: i for i, w in enumerate(words)},
                                         vectors, counts)


def _convert(path, limit, folder, key):
    """Read ``path`` into a new conversion in ``folder``; return it memory-mapped.

    Rows are read straight into the ``.npy`` file when the file's header proves
    their number, so converting a large file holds only its words in memory.
    Written in a temporary folder renamed into place (another process may be
    converting the same file); when that fails, the vectors read are returned.
    """
    try:
        tmp = tempfile.mkdtemp(dir=os.path.dirname(folder), prefix=".converting-")
    except OSError:
        tmp = None
    npy = None if tmp is None else os.path.join(tmp, "vectors.npy")
    tables = []

    def allocate(shape):
        tables.append(np.lib.format.open_memmap(npy, mode="w+", dtype=np.float32, shape=shape))
        return tables[-1]

    try:
        kv = _read_source(path, limit, allocate if tmp is not None else None)
        if tmp is None or not _write_converted(tmp, folder, key, kv, tables):
            kv.vectors.flags.writeable = False
            return kv
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    # the words and their index are those just read: only the vectors are mapped anew
    vectors = np.load(os.path.join(folder, "vectors.npy"), mmap_mode="r")
    return KeyedVectors._from_vocabulary(kv.index_to_key, kv.key_to_index, vectors, kv.counts)


def _write_converted(tmp, folder, key, kv, tables):
    """Complete the conversion in ``tmp`` and rename it to ``folder``; False on failure."""
    try:
        if not tables or tables[0].shape != kv.vectors.shape:  # not read into the file
            np.save(os.path.join(tmp, "vectors.tmp.npy"), kv.vectors)
            os.replace(os.path.join(tmp, "vectors.tmp.npy"), os.path.join(tmp, "vectors.npy"))
        else:
            tables[0].flush()
        if kv.counts is not None:
            np.save(os.path.join(tmp, "counts.npy"), kv.counts)
        with open(os.path.join(tmp, "words.json"), "wb") as f:
            f.write(json_utf8(kv.index_to_key))
        with open(os.path.join(tmp, "source.json"), "w", encoding="utf-8") as f:
            json.dump({"source_record": _source_record(key), "counts": kv.counts is not None,
                       "skw2v_version": __version__}, f)
        shutil.rmtree(folder, ignore_errors=True)  # a stale conversion of an older file
        os.replace(tmp, folder)
    except OSError:
        return False  # a full disk, or a concurrent writer that won
    return True
