"""Safe saving and loading of a fitted :class:`CBOWVectorizer` (no pickle, nothing executed).

File format ("skw2v-model", version 1)
--------------------------------------
One file, a zip archive as written by :func:`numpy.savez` (the suggested extension is
``.skw2v``; the name is used as given, ``.npz`` is never appended). Every member is a plain
``.npy`` array of a numeric dtype, so it is read with ``np.load(path, allow_pickle=False)``:

==================== ================= ====================================================
member               dtype, shape      content
==================== ================= ====================================================
``metadata``         uint8 (n,)        UTF-8 JSON document, described below
``vectors``          float32 (V, d)    input word vectors (``wv_.vectors``)
``syn1neg``          float32 (V, d)    output weights (``syn1neg_``)
``counts``           int64 (V,)        corpus count of each vocabulary word
``rare_words``       uint8 (m,)        UTF-8 JSON list of the words seen below min_count
``rare_counts``      int64 (R,)        their counts (R = len(rare_words list))
``random_state_key`` uint32 (624,)     MT19937 key of the estimator's random state
``sif_component``    float32 (d,)      only when ``sif_component_`` is not None
``param_random_state_key`` uint32 (624,) only when the ``random_state`` parameter is a
                                       RandomState instance
==================== ================= ====================================================

The JSON document (``metadata``) is an object with the keys

- ``format`` (``"skw2v-model"``), ``format_version`` (1), ``skw2v_version`` (writer);
- ``estimator`` (``"CBOWVectorizer"``) and ``params``: ``get_params()``, where every value
  is JSON (None, bool, int, float, str, list of str). A RandomState ``random_state``
  parameter is stored as ``{"RandomState": [pos, has_gauss, cached_gaussian]}`` plus the
  ``param_random_state_key`` array. Callables (tokenizer, preprocessor, strip_accents,
  callbacks) cannot be stored: saving refuses them and suggests pickle/joblib/skops;
- ``words``: the vocabulary, row order of ``vectors``;
- ``loss_curve``, ``n_words_trained``, ``corpus_total_words``;
- ``random_state``: ``[pos, has_gauss, cached_gaussian]`` of the MT19937 state whose key is
  the ``random_state_key`` array, so that :meth:`~CBOWVectorizer.partial_fit` after loading
  continues exactly as it would have without saving.

:func:`load` checks the format name and version, the members present, every dtype and shape
against the JSON, that the vectors are finite and the counts non-negative, and the
parameters against the estimator's constraints. Anything wrong raises ``ValueError``
starting with ``"not a skw2v model file"``. Saving writes a temporary file in the target
directory and renames it into place, so a failed save never leaves a partial file.
"""

import json
import os
import tempfile
from numbers import Integral, Real

import numpy as np

__all__ = ["load", "save_estimator"]

FORMAT_NAME = "skw2v-model"
FORMAT_VERSION = 1
_MT_KEY_LEN = 624
_REQUIRED = {"metadata", "vectors", "syn1neg", "counts", "rare_words", "rare_counts",
             "random_state_key"}
_OPTIONAL = {"sif_component", "param_random_state_key"}
_META_KEYS = {"format", "format_version", "skw2v_version", "estimator", "params", "words",
              "loss_curve", "n_words_trained", "corpus_total_words", "random_state"}


class _Invalid(ValueError):
    """A malformed model file (internal; surfaces as ValueError with the standard prefix)."""


# ----------------------------------------------------------------------------- saving
def save_estimator(estimator, path, compress=False):
    """Save a fitted CBOWVectorizer to `path` in the safe skw2v format.

    Parameters
    ----------
    estimator : CBOWVectorizer
        A fitted estimator whose parameters are all JSON values (no callables).
    path : str or os.PathLike
        Destination, written atomically; ``.skw2v`` is the suggested extension.
    compress : bool, default=False
        Deflate the archive members (smaller, slower to save and load).

    Raises
    ------
    NotFittedError
        If the estimator is not fitted.
    ValueError
        If a parameter cannot be stored (a callable tokenizer, preprocessor, ...).
    """
    from sklearn.utils.validation import check_is_fitted

    from ._vectorizer import CBOWVectorizer

    if not isinstance(estimator, CBOWVectorizer):
        raise TypeError(f"expected a CBOWVectorizer, got {type(estimator).__name__}")
    check_is_fitted(estimator, "wv_")
    arrays = {}
    params = _params_to_json(estimator.get_params(deep=False), arrays)
    meta = _metadata(estimator, params)
    arrays.update(_estimator_arrays(estimator))
    arrays["metadata"] = _json_bytes(meta)
    _atomic_savez(os.fspath(path), arrays, compress)


def _params_to_json(params, arrays):
    out = {}
    for name, value in sorted(params.items()):
        if isinstance(value, np.random.RandomState):
            state = value.get_state(legacy=True)
            arrays["param_random_state_key"] = np.asarray(state[1], dtype=np.uint32)
            out[name] = {"RandomState": [int(state[2]), int(state[3]), float(state[4])]}
        else:
            out[name] = _json_value(name, value)
    return out


def _json_value(name, value):
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    if callable(value):
        kind = "a callable"
    elif isinstance(value, (list, tuple)):
        kind = "a list holding callables or other non-string values"
    else:
        kind = f"a {type(value).__name__}"
    raise ValueError(
        f"cannot save parameter {name}={value!r}: it is {kind}, which the safe skw2v format "
        "cannot store (only None, bool, numbers, strings and lists of strings). Set it to "
        "a plain value first, or save with pickle / joblib.dump / skops.io.dump instead.")


def _metadata(est, params):
    from . import __version__

    state = est._random_state.get_state(legacy=True)
    if state[0] != "MT19937":
        raise ValueError(f"unsupported random state {state[0]!r}")
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "skw2v_version": __version__,
        "estimator": "CBOWVectorizer",
        "params": params,
        "words": list(est.wv_.index_to_key),
        "loss_curve": [float(x) for x in est.loss_curve_],
        "n_words_trained": int(est.n_words_trained_),
        "corpus_total_words": int(est.corpus_total_words_),
        "random_state": [int(state[2]), int(state[3]), float(state[4])],
    }


def _estimator_arrays(est):
    vocab = est._vocab
    rare_words = list(vocab.rare_counts)
    arrays = {
        "vectors": np.ascontiguousarray(est.wv_.vectors, dtype=np.float32),
        "syn1neg": np.ascontiguousarray(_to_numpy(est.syn1neg_), dtype=np.float32),
        "counts": np.asarray(vocab.counts, dtype=np.int64),
        "rare_words": _json_bytes(rare_words),
        "rare_counts": np.array([vocab.rare_counts[w] for w in rare_words], dtype=np.int64),
        "random_state_key": np.asarray(est._random_state.get_state(legacy=True)[1],
                                       dtype=np.uint32),
    }
    sif = getattr(est, "sif_component_", None)
    if sif is not None:
        arrays["sif_component"] = np.asarray(_to_numpy(sif), dtype=np.float32)
    return arrays


def _to_numpy(a):
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else np.asarray(a)


def _json_bytes(obj):
    text = json.dumps(obj, ensure_ascii=False, allow_nan=True)
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _atomic_savez(path, arrays, compress):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            (np.savez_compressed if compress else np.savez)(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# ----------------------------------------------------------------------------- loading
def load(path):
    """Load a CBOWVectorizer saved by :meth:`CBOWVectorizer.save`.

    Only numeric arrays and JSON are read (``allow_pickle=False``): loading an untrusted
    file executes nothing.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :meth:`CBOWVectorizer.save`.

    Returns
    -------
    CBOWVectorizer
        The fitted estimator: transform, queries and partial_fit work as before saving.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If the file is not a valid skw2v model file; the message names the problem.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such model file: {path}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"model path is a directory: {path}")
    try:
        return _load(path)
    except _Invalid as exc:
        raise ValueError(f"not a skw2v model file: {path}: {exc}") from None


def _load(path):
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic not in (b"PK\x03\x04", b"PK\x05\x06"):
        raise _Invalid("it is not a zip archive (the format is a numpy .npz file)")
    try:
        npz = np.load(path, allow_pickle=False)
    except Exception as exc:  # random bytes, truncated zip, pickle, ...
        raise _Invalid(f"cannot read it as a numpy .npz archive ({_describe(exc)})") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise _Invalid("it is a single .npy array, not an archive")
    with npz:
        arrays = _read_members(npz)
    meta = _read_json(arrays.pop("metadata"), "metadata")
    _check_metadata(meta)
    est = _build_estimator(meta["params"], arrays.pop("param_random_state_key", None))
    _install(est, meta, arrays)
    return est


def _describe(exc):
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _read_members(npz):
    names = set(npz.files)
    unexpected = names - _REQUIRED - _OPTIONAL
    if unexpected:
        raise _Invalid(f"unexpected member(s) {sorted(unexpected)}")
    missing = _REQUIRED - names
    if missing:
        raise _Invalid(f"missing member(s) {sorted(missing)}")
    arrays = {}
    for name in sorted(names):
        try:
            value = npz[name]
        except Exception as exc:  # object arrays, truncated or corrupt members
            raise _Invalid(f"member {name!r} is unreadable ({_describe(exc)})") from None
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
            raise _Invalid(f"member {name!r} is not a numeric array")
        arrays[name] = value
    return arrays


def _read_json(array, name):
    if array.dtype != np.uint8 or array.ndim != 1:
        raise _Invalid(f"member {name!r} must be a 1-D uint8 array of UTF-8 JSON")
    try:
        return json.loads(array.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _Invalid(f"member {name!r} is not valid JSON ({exc})") from None


def _check_metadata(meta):
    if not isinstance(meta, dict):
        raise _Invalid("metadata must be a JSON object")
    if meta.get("format") != FORMAT_NAME:
        raise _Invalid(f"format is {meta.get('format')!r}, expected {FORMAT_NAME!r}")
    version = meta.get("format_version")
    if not _is_int(version) or not 1 <= version <= FORMAT_VERSION:
        raise _Invalid(f"format_version {version!r} is not supported (this skw2v reads "
                       f"versions 1 to {FORMAT_VERSION}; upgrade skw2v for newer files)")
    missing = _META_KEYS - set(meta)
    if missing:
        raise _Invalid(f"metadata lacks {sorted(missing)}")
    if meta["estimator"] != "CBOWVectorizer":
        raise _Invalid(f"estimator {meta['estimator']!r} is not supported")
    if not isinstance(meta["params"], dict):
        raise _Invalid("params must be a JSON object")
    words = meta["words"]
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise _Invalid("words must be a list of strings")
    curve = meta["loss_curve"]
    if not isinstance(curve, list) or not all(_is_number(x) for x in curve):
        raise _Invalid("loss_curve must be a list of numbers")
    for key in ("n_words_trained", "corpus_total_words"):
        if not _is_int(meta[key]) or meta[key] < 0:
            raise _Invalid(f"{key} must be a non-negative integer")
    _check_rng_tail(meta["random_state"], "random_state")


def _is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def _is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _check_rng_tail(tail, what):
    ok = (isinstance(tail, list) and len(tail) == 3 and _is_int(tail[0])
          and 0 <= tail[0] <= _MT_KEY_LEN and _is_int(tail[1]) and _is_number(tail[2]))
    if not ok:
        raise _Invalid(f"{what} must be [pos, has_gauss, cached_gaussian]")


def _random_state(key, tail, what):
    _check_rng_tail(tail, what)
    if key is None or key.dtype != np.uint32 or key.shape != (_MT_KEY_LEN,):
        raise _Invalid(f"{what} key must be a uint32 array of shape ({_MT_KEY_LEN},)")
    rng = np.random.RandomState()
    try:
        rng.set_state(("MT19937", key, tail[0], tail[1], float(tail[2])))
    except (ValueError, TypeError) as exc:
        raise _Invalid(f"{what} is invalid ({exc})") from None
    return rng


def _build_estimator(params, param_rng_key):
    from ._vectorizer import CBOWVectorizer

    allowed = CBOWVectorizer().get_params(deep=False)
    unknown = set(params) - set(allowed)
    if unknown:
        raise _Invalid(f"unknown parameter(s) {sorted(unknown)} (written by a newer skw2v?)")
    params = dict(params)
    state = params.get("random_state")
    if isinstance(state, dict):
        if set(state) != {"RandomState"}:
            raise _Invalid("random_state parameter must be null, an integer or a RandomState")
        params["random_state"] = _random_state(param_rng_key, state["RandomState"],
                                               "random_state parameter")
    elif param_rng_key is not None:
        raise _Invalid("member 'param_random_state_key' without a RandomState parameter")
    est = CBOWVectorizer(**params)
    try:
        est._validate_params()
    except ValueError as exc:
        raise _Invalid(f"invalid parameters ({exc})") from None
    return est


def _check_array(arrays, name, dtype, shape):
    a = arrays[name]
    if a.dtype != dtype or a.shape != shape:
        raise _Invalid(f"member {name!r} has dtype {a.dtype} and shape {a.shape}, expected "
                       f"{np.dtype(dtype)} and {shape}")
    if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
        raise _Invalid(f"member {name!r} contains NaN or infinity")
    if a.dtype.kind == "i" and a.size and a.min() < 0:
        raise _Invalid(f"member {name!r} contains negative counts")
    return a


def _install(est, meta, arrays):
    """Set the fitted attributes as CBOWVectorizer._install does after training."""
    from ._keyedvectors import KeyedVectors
    from ._vocab import Vocabulary

    words = meta["words"]
    n, d = len(words), est.vector_size
    vectors = _check_array(arrays, "vectors", np.float32, (n, d))
    syn1neg = _check_array(arrays, "syn1neg", np.float32, (n, d))
    counts = _check_array(arrays, "counts", np.int64, (n,))
    rare_words = _read_json(arrays["rare_words"], "rare_words")
    if not isinstance(rare_words, list) or not all(isinstance(w, str) for w in rare_words):
        raise _Invalid("rare_words must be a JSON list of strings")
    rare_counts = _check_array(arrays, "rare_counts", np.int64, (len(rare_words),))
    rare = dict(zip(rare_words, rare_counts.tolist()))
    if len(rare) != len(rare_words) or not rare.keys().isdisjoint(words):
        raise _Invalid("rare_words repeats a word or overlaps the vocabulary")
    sif = arrays.get("sif_component")
    if sif is not None:
        sif = _check_array(arrays, "sif_component", np.float32, (d,))
    try:
        kv = KeyedVectors(words, vectors, counts)
    except ValueError as exc:
        raise _Invalid(f"bad vocabulary ({exc})") from None
    vocab = Vocabulary(list(words), counts, rare)
    est._vocab = vocab
    est.wv_ = kv
    est.vocabulary_ = vocab.key_to_index
    est.syn1neg_ = np.ascontiguousarray(syn1neg)
    est.loss_curve_ = [float(x) for x in meta["loss_curve"]]
    est.n_words_trained_ = meta["n_words_trained"]
    est.corpus_total_words_ = meta["corpus_total_words"]
    est._random_state = _random_state(arrays["random_state_key"], meta["random_state"],
                                      "random_state")
    est.sif_component_ = sif
