"""The safe model file: a fitted estimator's parameters and state, no pickle, nothing executed.

This module knows the file, not the estimator: :func:`write_model` stores
``get_params()`` and the plain-data state of ``CBOWVectorizer._get_fitted_state()``;
:func:`read_model` checks the file and returns them; the estimator checks the
state's consistency in ``_set_fitted_state`` (see :func:`skw2v.load`).

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
``ann_index``        uint8 (n,)        only when the word vectors have an approximate
                                       nearest-neighbour index (faiss's serialized bytes;
                                       ``ann`` in the JSON: its kind and options)
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
  continues exactly as it would have without saving;
- ``ann`` (only with the ``ann_index`` member): ``{"kind": ..., "options": {...}}`` of the
  index (:meth:`~KeyedVectors.build_index`).

:func:`read_model` checks the format name and version, the members present and that they
are numeric arrays, and the JSON; loading then checks every dtype and shape against the
vocabulary and ``vector_size``, that the vectors are finite and the counts non-negative,
and the parameters against the estimator's constraints. Anything wrong raises
``ValueError`` starting with ``"not a skw2v model file"``. Files of skw2v 0.1 have the same
layout (``sif_component`` was written only for ``agg="sif"``). Saving writes a temporary file
in the target directory and renames it into place, so a failed save never leaves a partial file.

A :class:`~skw2v.Phrases` file has the same container, header and ``params``, with
``estimator`` ``"Phrases"``; instead of the members above it holds, for every pass ``p``,
the members ``pass{p}_`` + :data:`PHRASES_PASS_MEMBERS` (the pass's words and connector-word
sequences as UTF-8 blobs and int64 bounds, int64 counts, uint8 connector flags, the
candidates' int64 keys and counts), and its metadata has ``passes`` (per pass:
``n_tokens``, ``min_reduce``) and ``corpus_total_words``.
"""

import json
import os
import tempfile
from numbers import Integral, Real

import numpy as np

from ._checks import is_int
from ._random import rng_from_state, rng_to_state
from ._version import __version__
from ._words import json_utf8

__all__ = ["PHRASES_PASS_MEMBERS", "invalid_model_file", "read_model", "write_model"]

FORMAT_NAME = "skw2v-model"
FORMAT_VERSION = 1
# Where each part of the fitted state lives in the file: arrays are members, the lists of
# words the vocabulary can be large are JSON members, everything else is in the metadata.
_STATE_ARRAYS = {"vectors", "syn1neg", "counts", "rare_counts", "random_state_key"}
_STATE_JSON_MEMBERS = {"rare_words"}
_STATE_META = {"words", "loss_curve", "n_words_trained", "corpus_total_words", "random_state"}
_OPTIONAL = {"sif_component", "param_random_state_key", "ann_index"}
_HEADER = {"format", "format_version", "skw2v_version", "estimator", "params"}
_REQUIRED = _STATE_ARRAYS | _STATE_JSON_MEMBERS | {"metadata"}
# A Phrases file's members per pass, and its metadata (see the module's docstring)
PHRASES_PASS_MEMBERS = ("words_blob", "words_bounds", "middles_blob", "middles_bounds",
                        "counts", "connector", "pairs", "pair_counts")
_PHRASES_META = {"passes", "corpus_total_words"}


class _Invalid(ValueError):
    """A malformed model file (internal; surfaces as ValueError with the standard prefix)."""


def invalid_model_file(path, reason):
    """The ValueError every malformed model file raises: the path, then ``reason``."""
    return ValueError(f"not a skw2v model file: {os.fspath(path)}: {reason}")


# ----------------------------------------------------------------------------- saving
def write_model(path, estimator, params, state, compress=False):
    """Write an estimator's parameters and fitted state to ``path``, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; ``.skw2v`` is the suggested extension.
    estimator : str
        The estimator's class name.
    params : dict
        ``get_params(deep=False)``; every value must be JSON (None, bool, number, str, list
        of str) or a RandomState.
    state : dict
        The plain-data fitted state (``_get_fitted_state()``); a None value is not stored.
    compress : bool, default=False
        Deflate the archive members (smaller, slower to save and load).

    Raises
    ------
    ValueError
        If a parameter cannot be stored (a callable tokenizer, preprocessor, ...).
    """
    arrays = {}
    meta = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
            "skw2v_version": __version__, "estimator": estimator,
            "params": _params_to_json(params, arrays)}
    for key, value in state.items():
        if value is None:
            continue
        if key in _STATE_JSON_MEMBERS:
            arrays[key] = _json_bytes(list(value))  # a WordList is a sequence of str
        elif isinstance(value, np.ndarray):
            arrays[key] = np.ascontiguousarray(value)
        else:
            meta[key] = value
    arrays["metadata"] = _json_bytes(meta)
    _atomic_savez(os.fspath(path), arrays, compress)


def _params_to_json(params, arrays):
    out = {}
    for name, value in sorted(params.items()):
        if isinstance(value, np.random.RandomState):
            arrays["param_random_state_key"], tail = rng_to_state(value)
            out[name] = {"RandomState": tail}
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


def _json_bytes(obj):
    return np.frombuffer(json_utf8(obj), dtype=np.uint8)


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
def read_model(path):
    """Read a model file: ``(estimator name, params, state)``, checked as a file.

    The parameters come back as keyword arguments (a RandomState rebuilt);
    the state as :func:`write_model` was given it (absent optional parts as None).
    Errors are those of :func:`skw2v.load`.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such model file: {path}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"model path is a directory: {path}")
    try:
        return _read(path)
    except _Invalid as exc:
        raise invalid_model_file(path, exc) from None


def _read(path):
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
        passes = _phrases_passes(npz)
        if passes is None:
            arrays = _read_members(npz, _REQUIRED, _OPTIONAL)
        else:
            arrays = _read_members(npz, {"metadata"} | {f"pass{p}_{name}" for p in range(passes)
                                                        for name in PHRASES_PASS_MEMBERS}, ())
    meta = _read_json(arrays.pop("metadata"), "metadata")
    _check_header(meta, _STATE_META if passes is None else _PHRASES_META)
    params = _params_from_json(meta["params"], arrays.pop("param_random_state_key", None))
    if passes is not None:
        return meta["estimator"], params, {"passes": meta["passes"], "arrays": arrays,
                                           "corpus_total_words": meta["corpus_total_words"]}
    state = {key: meta[key] for key in _STATE_META}
    state["ann"] = meta.get("ann")
    for key in _STATE_JSON_MEMBERS:
        state[key] = _read_json(arrays.pop(key), key)
    state.update(arrays)
    state.setdefault("sif_component", None)
    state.setdefault("ann_index", None)
    return meta["estimator"], params, state


def _describe(exc):
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _phrases_passes(npz):
    """The number of passes if the file's metadata says it holds a Phrases (else None)."""
    try:
        meta = json.loads(npz["metadata"].tobytes().decode("utf-8"))
        if meta["estimator"] == "Phrases" and len(meta["passes"]) < 1000:
            return len(meta["passes"])
    except Exception:  # noqa: BLE001 - anything else is checked as a CBOWVectorizer's file
        pass
    return None


def _read_members(npz, required, optional):
    names = set(npz.files)
    unexpected = names - required - set(optional)
    if unexpected:
        raise _Invalid(f"unexpected member(s) {sorted(unexpected)}")
    missing = required - names
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


def _check_header(meta, state_keys):
    if not isinstance(meta, dict):
        raise _Invalid("metadata must be a JSON object")
    if meta.get("format") != FORMAT_NAME:
        raise _Invalid(f"format is {meta.get('format')!r}, expected {FORMAT_NAME!r}")
    version = meta.get("format_version")
    if not is_int(version) or not 1 <= version <= FORMAT_VERSION:
        raise _Invalid(f"format_version {version!r} is not supported (this skw2v reads "
                       f"versions 1 to {FORMAT_VERSION}; upgrade skw2v for newer files)")
    missing = (_HEADER | state_keys) - set(meta)
    if missing:
        raise _Invalid(f"metadata lacks {sorted(missing)}")
    if not isinstance(meta["params"], dict):
        raise _Invalid("params must be a JSON object")


def _params_from_json(params, param_rng_key):
    """Keyword arguments from the stored parameters; a RandomState parameter rebuilt."""
    params = dict(params)
    state = params.get("random_state")
    if isinstance(state, dict):
        if set(state) != {"RandomState"}:
            raise _Invalid("random_state parameter must be null, an integer or a RandomState")
        try:
            params["random_state"] = rng_from_state(param_rng_key, state["RandomState"],
                                                    "random_state parameter")
        except ValueError as exc:
            raise _Invalid(str(exc)) from None
    elif param_rng_key is not None:
        raise _Invalid("member 'param_random_state_key' without a RandomState parameter")
    return params
