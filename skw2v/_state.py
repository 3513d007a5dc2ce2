"""The fitted state of a CBOWVectorizer: plain data (what a model file holds) <-> attributes.

:func:`fitted_state` lists it; :func:`fitted_attributes` checks it and turns it into
the estimator's attributes (also what reading a model file's word vectors needs).
"""

import numpy as np

from ._checks import all_finite, is_int, is_number
from ._keyedvectors import KeyedVectors
from ._lexicon import WordCounts, WordList
from ._random import rng_from_state, rng_to_state
from ._vocab import Vocabulary


def fitted_state(vocab, vectors, syn1neg, sif_component, rng, loss_curve, n_words_trained,
                  corpus_total_words, index=None):
    """The fitted state as plain data: what a fit produces and a model file holds.

    ``index``: the word vectors' approximate nearest-neighbour index (an ``ANNIndex``), if
    one was built.
    """
    rng_key, rng_tail = rng_to_state(rng)
    stored = None if index is None else index.__getstate__()
    rare_words, rare_counts = _rare_words(vocab.rare_counts)
    return {
        "words": vocab.index_to_key,              # row order of vectors and syn1neg (a list)
        "counts": vocab.counts,                   # int64 (V,)
        "rare_words": rare_words,                 # seen below min_count (for partial_fit)
        "rare_counts": rare_counts,                # int64 (R,)
        "vectors": vectors,                       # float32 (V, d) input vectors
        "syn1neg": syn1neg,                       # float32 (V, d) output weights
        "sif_component": sif_component,           # float32 (d,); None in some 0.1 files
        "loss_curve": [float(x) for x in loss_curve],
        "n_words_trained": int(n_words_trained),
        "corpus_total_words": int(corpus_total_words),
        "random_state_key": rng_key,              # the estimator's generator, so that
        "random_state": rng_tail,                 # partial_fit continues its draws
        "ann_index": None if stored is None else stored["data"],  # uint8: faiss's bytes
        "ann": None if stored is None else {"kind": stored["kind"],
                                            "options": stored["options"]},
    }


def _rare_words(rare):
    """``(words, int64 counts)`` of a rare-word mapping; a WordCounts's words stay
    compact (a WordList, a sequence of str: no str per word until written out)."""
    if isinstance(rare, WordCounts):
        return rare.words, rare.counts
    return list(rare), np.fromiter(rare.values(), np.int64, len(rare))


def fitted_attributes(state, dim, vocab=None):
    """The estimator's fitted attributes from a state; ValueError naming what is inconsistent.

    ``vocab``: the Vocabulary the state's words and counts come from, when the caller
    has it (a fit), so that it is used as it is instead of being rebuilt from the lists.
    """
    if vocab is None:
        vocab = _vocabulary(state)
    n = len(vocab)
    curve = state["loss_curve"]
    if not isinstance(curve, list) or not all(is_number(x) for x in curve):
        raise ValueError("loss_curve must be a list of numbers")
    for key in ("n_words_trained", "corpus_total_words"):
        if not is_int(state[key]) or state[key] < 0:
            raise ValueError(f"{key} must be a non-negative integer")
    vectors = _checked(state, "vectors", np.float32, (n, dim))
    syn1neg = _checked(state, "syn1neg", np.float32, (n, dim))
    sif = state["sif_component"]
    if sif is not None:
        sif = _checked(state, "sif_component", np.float32, (dim,))
    rng = rng_from_state(state["random_state_key"], state["random_state"])
    wv = KeyedVectors._from_vocabulary(vocab.index_to_key, vocab.key_to_index, vectors,
                                       vocab.counts)
    if state.get("ann_index") is not None:
        ann = state.get("ann")
        if not isinstance(ann, dict) or set(ann) != {"kind", "options"} or not isinstance(
                ann["options"], dict):
            raise ValueError("ann must describe the stored index: {kind, options}")
        wv._restore_index(state["ann_index"], ann["kind"], ann["options"], n)
    return {
        "_vocab": vocab,
        "wv_": wv,
        "vocabulary_": vocab.key_to_index,       # the same dict as wv_.key_to_index
        "syn1neg_": np.ascontiguousarray(syn1neg),
        "loss_curve_": [float(x) for x in curve],
        "n_words_trained_": int(state["n_words_trained"]),
        "corpus_total_words_": int(state["corpus_total_words"]),
        "_random_state": rng,
        "sif_component_": sif,
    }


def _vocabulary(state):
    """The Vocabulary of a state's words, counts and rare words, checked."""
    words, rare_words = state["words"], state["rare_words"]
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise ValueError("words must be a list of strings")
    if isinstance(rare_words, WordList):  # a fitted state's own: holds only str
        pass
    elif not isinstance(rare_words, list) or not all(isinstance(w, str) for w in rare_words):
        raise ValueError("rare_words must be a list of strings")
    counts = _checked(state, "counts", np.int64, (len(words),))
    rare_counts = _checked(state, "rare_counts", np.int64, (len(rare_words),))
    rare = dict(zip(rare_words, rare_counts.tolist()))  # a check: dicts find repeats fast
    if len(rare) != len(rare_words) or not rare.keys().isdisjoint(words):
        raise ValueError("rare_words repeats a word or overlaps the vocabulary")
    try:
        return Vocabulary(list(words), counts, WordCounts(rare_words, rare_counts))
    except ValueError as exc:  # a repeated word
        raise ValueError(f"bad vocabulary ({exc})") from None


def _checked(state, name, dtype, shape):
    a = state[name]
    if not isinstance(a, np.ndarray) or a.dtype != dtype or a.shape != shape:
        got = (f"dtype {a.dtype} and shape {a.shape}" if isinstance(a, np.ndarray)
               else f"type {type(a).__name__}")
        raise ValueError(f"{name!r} has {got}, expected {np.dtype(dtype)} and {shape}")
    if a.dtype == np.float32 and not all_finite(a):
        raise ValueError(f"{name!r} contains NaN or infinity")
    if a.dtype.kind == "i" and a.size and a.min() < 0:
        raise ValueError(f"{name!r} contains negative counts")
    return a
