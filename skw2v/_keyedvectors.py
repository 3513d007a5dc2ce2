"""Word vectors apart from training: lookups and similarity queries.

Reading and writing the word2vec C tool's formats is in :mod:`skw2v._word2vec_format`;
:meth:`KeyedVectors.save_word2vec_format` and :meth:`KeyedVectors.load_word2vec_format`
are its public face. The Embedding Projector's files are written by :mod:`skw2v._projector`
(:meth:`KeyedVectors.save_projector`).
"""

import os
import threading
import warnings
from collections.abc import Iterable
from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    validate_parameter_constraints,
)

from ._neighbours import exact_neighbours
from ._projector import write_projector
from ._vocab import check_unique
from ._word2vec_format import read_word2vec, write_word2vec

__all__ = ["KeyedVectors"]

# Rows normalised per block: bounds the float64 scratch space needed for overflow-free norms.
_NORM_BLOCK = 65536
# Similarity scores held at once by most_similar_batch (queries x vocabulary), about 64 MiB.
_BATCH_SCORES = 1 << 24

_AT_LEAST_ONE = Interval(Integral, 1, None, closed="left")
# top n results (0: none, as gensim), or None for the similarity to every searched word
_SEARCH = {"topn": [None, Interval(Integral, 0, None, closed="left")],
           "restrict_vocab": [None, _AT_LEAST_ONE]}
# The scalar arguments of each public method, in scikit-learn's constraint language, so that
# a bad argument reads like a bad estimator parameter (InvalidParameterError).
_ARGUMENTS = {
    "most_similar": {**_SEARCH, "approximate": ["boolean"]},
    "kneighbors": {"topn": [_AT_LEAST_ONE], "approximate": ["boolean"]},
    "similar_by_vector": _SEARCH,
    "most_similar_batch": {**_SEARCH, "topn": [_AT_LEAST_ONE]},
    "save_word2vec_format": {"binary": ["boolean"], "write_header": ["boolean"]},
    "save_projector": {"limit": [None, _AT_LEAST_ONE]},
    "load_word2vec_format": {"binary": ["boolean"], "no_header": ["boolean"],
                             "limit": [None, Interval(Integral, 0, None, closed="left")]},
}


def _check_arguments(method, **arguments):
    """Raise InvalidParameterError (a ValueError and a TypeError) for an argument of `method`
    outside its constraints in ``_ARGUMENTS``, worded as scikit-learn words it."""
    validate_parameter_constraints(_ARGUMENTS[method], arguments, caller_name=method)


def _invalid(method, name, must, got):
    """The error for an argument that no ``_ARGUMENTS`` constraint can describe."""
    return InvalidParameterError(
        f"The {name!r} parameter of {method} must be {must}. Got {got} instead."
    )


def _word_list(method, name, words):
    """`words` as a list of str; a single str is refused (it would be read letter by letter)."""
    if isinstance(words, (str, bytes)) or not isinstance(words, Iterable):
        raise _invalid(method, name, "a list of words (str)", repr(words))
    words = list(words)
    for position, word in enumerate(words):
        if not isinstance(word, str):
            raise _invalid(method, name, "a list of words (str)",
                           f"{word!r} ({type(word).__name__}) at position {position}")
    return words


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


def _without_own(found, sims, rows, topn):
    """Each row's ``topn`` results without the row itself (the last one dropped when the
    row was not among them)."""
    keep = found != rows[:, None]
    keep[keep.sum(axis=1) > topn, -1] = False
    return (found[keep].reshape(len(rows), topn),
            sims[keep].reshape(len(rows), topn))


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
        check_unique(keys, key_to_index)
        self._set_vocabulary(keys, key_to_index, vectors, counts)

    @classmethod
    def _from_vocabulary(cls, index_to_key, key_to_index, vectors, counts=None):
        """Wrap an existing vocabulary as it is: the list and dict are stored, not copied.

        The estimator shares one dict between ``vocabulary_`` and ``wv_.key_to_index``. The
        caller guarantees unique str keys with ``key_to_index[index_to_key[i]] == i``, so the
        O(n) checks of the constructor are skipped. No KeyedVectors method changes the
        vocabulary in place.
        """
        self = cls.__new__(cls)
        self._set_vocabulary(index_to_key, key_to_index, vectors, counts)
        return self

    def _set_vocabulary(self, index_to_key, key_to_index, vectors, counts):
        if len(key_to_index) != len(index_to_key):
            raise ValueError(f"key_to_index has {len(key_to_index)} words but index_to_key "
                             f"has {len(index_to_key)}")
        self.index_to_key = index_to_key
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
        return counts.astype(np.int64, copy=False)

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
            self._index = None  # built over the old vectors

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
        # the index as plain data, so that a machine without faiss still unpickles the vectors
        state["_index"] = None if self._index is None else self._index.__getstate__()
        return state

    def __setstate__(self, state):
        state = {"_index": None, **state}  # pickled by skw2v 0.2: no index
        stored = state.pop("_index")
        self.__dict__.update(state)
        self._lock = threading.Lock()
        self._index = None
        if stored is not None:
            self._restore_index(**stored)

    def _restore_index(self, data, kind, options, n_rows):
        """Make the stored index this one's (a warning, and none, without faiss)."""
        from ._ann import ANNIndex

        if n_rows != len(self):
            raise ValueError(f"the stored index covers {n_rows} words, not {len(self)}")
        try:
            self._index = ANNIndex.from_bytes(data, kind, options, n_rows)
        except ImportError:
            warnings.warn("These vectors were saved with an approximate nearest-neighbour "
                          "index, which needs faiss (pip install 'skw2v[ann]'): they are "
                          "loaded without it; call build_index() to make one.", UserWarning,
                          stacklevel=3)

    def __sklearn_clone__(self):
        """Clones of an estimator share these vectors instead of copying them.

        scikit-learn deep-copies the non-estimator parameters of every clone it
        makes (``EmbeddingVectorizer(vectors=kv)`` in a grid search: one per
        candidate and fold); word vectors are data that skw2v never modifies.
        """
        return self

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

    def _query_vector(self, method, positive, negative):
        """gensim's 3CosAdd query: weighted mean of unit word vectors and raw given vectors.

        Returns the unit query and the rows of the words used (left out of the results).
        """
        items = [(item, 1.0) for item in self._query_items(method, "positive", positive)]
        items += [(item, -1.0) for item in self._query_items(method, "negative", negative)]
        if not items:
            raise InvalidParameterError(
                f"{method} needs at least one word or vector in 'positive' or 'negative'; "
                "got none (cannot compute similarity with no input)."
            )
        unit = self._unit_vectors()
        mean = np.zeros(self.vector_size, dtype=np.float64)
        for item, weight in items:
            mean += weight * (item if isinstance(item, np.ndarray) else unit[item])
        exclude = [item for item, _ in items if not isinstance(item, np.ndarray)]
        return _unit_vector(mean / len(items)), exclude

    def _query_items(self, method, name, items):
        """Resolve a word, a vector, or a list or 2-D array of them, to row indices (words)
        and float64 vectors; unknown words raise KeyError."""
        if items is None:
            return []
        if isinstance(items, str) or (isinstance(items, np.ndarray) and items.ndim == 1):
            items = [items]
        elif isinstance(items, bytes) or not isinstance(items, Iterable):
            raise _invalid(method, name, self._what_items(), repr(items))
        return [self.get_index(item) if isinstance(item, str)
                else self._vector_argument(method, name, item, f" at position {position}")
                for position, item in enumerate(items)]

    def _what_items(self):
        return f"a word (str), a vector of shape ({self.vector_size},), or a list of them"

    def _vector_argument(self, method, name, vec, where=""):
        """`vec` as a finite float64 vector of length vector_size; `where` names its position
        in a list of words and vectors."""
        def vectors(before="", after=""):  # plural for a list's items
            return f"{before}vectors{after}" if where else f"a {before}vector{after}"

        shape = f" of shape ({self.vector_size},)"
        if not isinstance(vec, (np.ndarray, list, tuple)):
            must = self._what_items() if where else vectors(after=shape)
            raise _invalid(method, name, must, f"{vec!r} ({type(vec).__name__}){where}")
        try:
            vec = np.asarray(vec, dtype=np.float64)
        except (TypeError, ValueError):
            raise _invalid(method, name, vectors("numeric "), f"{vec!r}{where}") from None
        if vec.shape != (self.vector_size,):
            must = vectors(after=shape + " (the vector_size of these word vectors)")
            raise _invalid(method, name, must, f"shape {vec.shape}{where}")
        if not np.all(np.isfinite(vec)):
            raise _invalid(method, name, vectors("finite "), f"NaN or infinity{where}")
        return vec

    def _searched(self, restrict_vocab):
        """Unit vectors of the words a query searches: the first `restrict_vocab`, or all."""
        return self._unit_vectors()[:restrict_vocab]

    def most_similar(self, positive=None, negative=None, topn=10, restrict_vocab=None,
                     approximate=False):
        """Find the words closest to the mean of `positive` minus `negative` (3CosAdd).

        Words are replaced by their unit vectors, given vectors are used as they are, and
        the weighted mean is normalised, as in gensim. The input words are left out.

        Parameters
        ----------
        positive : str, ndarray or list of (str or ndarray), default=None
            Words or 1-D vectors that count positively (a 2-D array is a list of vectors).
        negative : str, ndarray or list of (str or ndarray), default=None
            Words or 1-D vectors that count negatively.
        topn : int >= 0 or None, default=10
            Number of results; None returns the cosine similarity to every word.
        restrict_vocab : int >= 1, default=None
            Search only the first `restrict_vocab` words.
        approximate : bool, default=False
            Search the index of :meth:`build_index` instead of every word: much faster on
            a large vocabulary, and a few of the true neighbours may be missed (see the
            user guide's "Neighbours at scale"). Takes neither `restrict_vocab` nor
            ``topn=None``.

        Returns
        -------
        list of (str, float) or ndarray of shape (n_searched,)
            ``(word, cosine)`` pairs, most similar first; or all similarities when
            `topn` is None.

        Raises
        ------
        KeyError
            If a word is not in the vocabulary.
        ValueError, TypeError
            If an argument is invalid, e.g. a vector of the wrong length (the error is
            scikit-learn's ``InvalidParameterError``, both a ValueError and a TypeError).

        Examples
        --------
        >>> import numpy as np
        >>> kv = KeyedVectors(list("abcd"), np.array([[1, 0], [1, 1], [0, 1], [1, -1]]))
        >>> [w for w, _ in kv.most_similar(positive=["a"], negative=["c"], topn=2)]
        ['d', 'b']
        """
        _check_arguments("most_similar", topn=topn, restrict_vocab=restrict_vocab,
                         approximate=approximate)
        query, exclude = self._query_vector("most_similar", positive, negative)
        if not approximate:
            return self._top(self._searched(restrict_vocab) @ query, topn, exclude)
        if topn is None or restrict_vocab is not None:
            raise ValueError("approximate=True searches the index of every word for the topn "
                             "best: it takes neither topn=None nor restrict_vocab (use "
                             "approximate=False for those).")
        index = self._require_index("most_similar(approximate=True)")
        rows, sims = index.search(_unit_vector(query)[None], int(topn) + len(exclude))
        found = [(self.index_to_key[i], float(c)) for i, c in zip(rows[0], sims[0])
                 if i >= 0 and i not in exclude]
        return found[:topn]

    def _top(self, sims, topn, exclude=()):
        """``(word, similarity)`` for the `topn` best `sims`, or `sims` itself for None."""
        if topn is None:
            return sims
        return [(self.index_to_key[i], float(sims[i])) for i in _top_k(sims, int(topn), exclude)]

    def similar_by_vector(self, vector, topn=10, restrict_vocab=None):
        """Find the words closest to `vector`.

        Parameters
        ----------
        vector : ndarray of shape (vector_size,)
            The query.
        topn : int >= 0 or None, default=10
            Number of results; None returns all similarities.
        restrict_vocab : int >= 1, default=None
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
        _check_arguments("similar_by_vector", topn=topn, restrict_vocab=restrict_vocab)
        query = _unit_vector(self._vector_argument("similar_by_vector", "vector", vector))
        return self._top(self._searched(restrict_vocab) @ query, topn)

    def most_similar_batch(self, queries, topn=10, restrict_vocab=None):
        """Answer many single-item queries with one matrix product per block.

        Parameters
        ----------
        queries : list of str or ndarray of shape (n_queries, vector_size)
            Words (each left out of its own results) or query vectors.
        topn : int >= 1, default=10
            Number of results per query.
        restrict_vocab : int >= 1, default=None
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
        _check_arguments("most_similar_batch", topn=topn, restrict_vocab=restrict_vocab)
        queries, exclude = self._batch_queries(queries)
        searched = self._searched(restrict_vocab)
        block = max(1, _BATCH_SCORES // max(len(searched), 1))
        results = []
        for start in range(0, len(queries), block):
            scores = queries[start:start + block] @ searched.T
            results += [self._top(sims, topn, excl)
                        for sims, excl in zip(scores, exclude[start:start + block])]
        return results

    def build_index(self, random_state=None, **options):
        """Build an approximate nearest-neighbour index over the unit vectors.

        :meth:`most_similar` and :meth:`kneighbors` use it with ``approximate=True``.
        The index is faiss's (``pip install 'skw2v[ann]'``); it is kept until
        :attr:`vectors` is reassigned, pickles with the vectors, and is saved in a
        :class:`CBOWVectorizer`'s model file.

        Parameters
        ----------
        random_state : int, RandomState or None, default=None
            Seeds the graph's levels ("hnsw") or the k-means ("ivf"); None is seed 0. A
            seeded build gave the same index twice with 1 and with 2 threads
            (``benchmarks/bench_ann.py --check``); faiss promises it for ``n_threads=1``.
        **options
            ``kind``: "hnsw" (a navigable small-world graph, fast queries), "ivf" (an
            inverted file: k-means lists, three times faster to build) or "auto" (the
            default: "ivf" from 1,000,000 words on, else "hnsw"). "hnsw" takes ``M`` (32: links per word), ``ef_construction`` (80)
            and ``ef_search`` (256: candidates a query keeps; more is slower and finds
            more); "ivf" takes ``n_lists`` (4 sqrt(n_words)) and ``n_probe`` (32: lists a
            query scans). ``n_threads``: the threads of the build and of the searches
            (default: all cores; faiss-cpu builds "hnsw" on one).

        Returns
        -------
        self : KeyedVectors

        Raises
        ------
        ImportError
            If faiss is not installed.

        Examples
        --------
        >>> import numpy as np
        >>> kv = KeyedVectors([f"w{i}" for i in range(1000)],
        ...                   np.random.default_rng(0).normal(size=(1000, 20)))
        >>> approx = kv.build_index(random_state=0).most_similar("w0", topn=3, approximate=True)
        >>> [w for w, _ in approx] == [w for w, _ in kv.most_similar("w0", topn=3)]
        True
        """
        from ._ann import ANNIndex

        n_threads = options.pop("n_threads", None)
        if not len(self):
            raise ValueError("there are no vectors to index: these KeyedVectors are empty")
        unit = self._unit_vectors()
        index = ANNIndex.build(unit, random_state, n_threads=n_threads, **options)
        with self._lock:
            if self._unit is unit:  # the vectors did not change meanwhile
                self._index = index
        return self

    @property
    def index(self):
        """The approximate nearest-neighbour index of :meth:`build_index`, or None."""
        return self._index

    def _require_index(self, what):
        index = self._index
        if index is None:
            raise ValueError(f"{what} searches the approximate nearest-neighbour index, and "
                             "there is none: call build_index() first (pip install "
                             "'skw2v[ann]'), or search exactly with approximate=False.")
        return index

    def kneighbors(self, keys=None, topn=10, approximate=False):
        """The `topn` nearest words of many words at once, by cosine.

        Parameters
        ----------
        keys : list of str or None, default=None
            The words to answer for; None: every word, in row order.
        topn : int >= 1, default=10
            Neighbours per word (at most ``len(self) - 1``).
        approximate : bool, default=False
            Search the index of :meth:`build_index`. The exact search scores blocks of
            words against every word with one matrix product, holding about 64 MiB of
            scores at a time.

        Returns
        -------
        indices : ndarray of shape (n_keys, topn), int64
            Rows of the neighbours (words: ``index_to_key[i]``), nearest first; each
            word's own row is left out. -1 where an approximate search found fewer.
        similarities : ndarray of shape (n_keys, topn), float32
            Their cosine similarities (-inf with -1).

        Raises
        ------
        KeyError
            If a word is not in the vocabulary.

        Examples
        --------
        >>> import numpy as np
        >>> kv = KeyedVectors(["a", "b", "c"], np.array([[1, 0], [1, 1], [0, 1]]))
        >>> indices, sims = kv.kneighbors(topn=1)
        >>> [kv.index_to_key[i] for i in indices[:, 0]]
        ['b', 'a', 'b']
        """
        _check_arguments("kneighbors", topn=topn, approximate=approximate)
        if keys is None:
            rows = np.arange(len(self))
        else:
            words = [keys] if isinstance(keys, str) else _word_list("kneighbors", "keys", keys)
            rows = np.array([self.get_index(word) for word in words], np.int64)
        topn = min(int(topn), len(self) - 1)
        unit = self._unit_vectors()
        if not approximate:
            return exact_neighbours(unit, unit[rows], topn, own=rows)
        index = self._require_index("kneighbors(approximate=True)")
        found, sims = index.search(unit[rows], topn + 1)
        return _without_own(found, sims, rows, topn)

    def _batch_queries(self, queries):
        if isinstance(queries, np.ndarray) and queries.dtype.kind in "biuf":
            return self._query_matrix(queries), [()] * len(queries)
        words = [queries] if isinstance(queries, str) else _word_list(
            "most_similar_batch", "queries", queries)
        index = [self.get_index(word) for word in words]
        matrix = self._unit_vectors()[index].reshape(len(index), self.vector_size)
        return matrix, [(i,) for i in index]

    def _query_matrix(self, queries):
        """Unit rows of a finite (n_queries, vector_size) array."""
        if queries.ndim != 2 or queries.shape[1] != self.vector_size:
            must = f"a list of words or an array of shape (n_queries, {self.vector_size})"
            raise _invalid("most_similar_batch", "queries", must, f"shape {queries.shape}")
        if not np.all(np.isfinite(queries)):
            raise _invalid("most_similar_batch", "queries", "finite vectors", "NaN or infinity")
        return _unit_rows(queries)

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

        Raises
        ------
        ZeroDivisionError
            If a list is empty (as in gensim).
        KeyError
            If a word is not in the vocabulary.

        Examples
        --------
        >>> import numpy as np
        >>> kv = KeyedVectors(["a", "b", "c"], np.array([[1, 0], [0, 1], [1, 1]]))
        >>> round(kv.n_similarity(["a", "b"], ["c"]), 4)
        1.0
        """
        ws1 = _word_list("n_similarity", "ws1", ws1)
        ws2 = _word_list("n_similarity", "ws2", ws2)
        if not ws1 or not ws2:
            # gensim's exception type, so that code written for gensim keeps working
            raise ZeroDivisionError("At least one of the passed list is empty: n_similarity "
                                    "needs one word or more in both ws1 and ws2.")
        mean1 = self[ws1].astype(np.float64).mean(axis=0)
        mean2 = self[ws2].astype(np.float64).mean(axis=0)
        return float(_unit_vector(mean1) @ _unit_vector(mean2))

    def doesnt_match(self, words):
        """Return the word furthest from the mean of the given words.

        Unknown words are dropped with a warning, as gensim does.

        Parameters
        ----------
        words : list of str
            Candidate words, one or more.

        Returns
        -------
        str

        Raises
        ------
        ValueError
            If `words` is empty or none of the words is in the vocabulary.

        Examples
        --------
        >>> import numpy as np
        >>> kv = KeyedVectors(["a", "b", "c"], np.array([[1, 0], [0.9, 0.1], [0, 1]]))
        >>> kv.doesnt_match(["a", "b", "c"])
        'c'
        """
        words = _word_list("doesnt_match", "words", words)
        if not words:
            raise _invalid("doesnt_match", "words", "a non-empty list of words (str)", "[]")
        used = [w for w in words if w in self]
        if len(used) != len(words):
            missing = sorted(set(words) - set(used))
            warnings.warn(f"words {missing} are not in the vocabulary; ignoring them", stacklevel=2)
        if not used:
            raise ValueError("none of the words is in the vocabulary: cannot select a word "
                             "from an empty list")
        vecs = self._unit_vectors()[[self.key_to_index[w] for w in used]]
        dists = vecs @ _unit_vector(vecs.astype(np.float64).mean(axis=0))
        # gensim sorts (distance, word) pairs descending and takes the last
        return min(zip(dists.tolist(), used))[1]

    def save_word2vec_format(self, path, binary=False, write_header=True):
        """Write the vectors in the word2vec C tool's format, byte for byte as gensim does.

        Parameters
        ----------
        path : str or os.PathLike
            Destination; a ``.gz``, ``.bz2``, ``.xz`` or ``.lzma`` suffix (any case) compresses.
        binary : bool, default=False
            Binary rows (``word`` + space + little-endian float32) instead of text rows.
        write_header : bool, default=True
            Write the ``"n_words vector_size"`` first line (False gives GloVe's layout).

        Raises
        ------
        ValueError
            If a key is empty, contains a space or newline, or holds surrogates that no
            bytes decode to: the format cannot hold it (a fitted model never has such
            words; fit refuses them). Words are written in UTF-8, undecodable bytes
            kept as Python decoded them (``errors="surrogateescape"``).

        Examples
        --------
        >>> import numpy as np, os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "v.txt")
        >>> KeyedVectors(["a"], np.array([[0.5, -1.0]])).save_word2vec_format(path)
        >>> open(path).read()
        '1 2\\na 0.5 -1.0\\n'
        """
        _check_arguments("save_word2vec_format", binary=binary, write_header=write_header)
        write_word2vec(path, self.index_to_key, self._vectors, binary, write_header)

    def save_projector(self, directory, limit=None):
        """Write the files of the TensorBoard Embedding Projector into `directory`.

        Open them at https://projector.tensorflow.org ("Load": ``tensors.tsv``, then
        ``metadata.tsv``) or with ``tensorboard --logdir directory``. The files:

        - ``tensors.tsv``: one vector per line, tab-separated values, no header. Each
          float32 value is written with 9 significant digits, the fewest that read back as
          exactly that float32.
        - ``metadata.tsv``: the header ``word<TAB>count``, then the word and its corpus
          count of each vector, in the same order; the count is left empty when
          :attr:`counts` is None (vectors read from a word2vec file, for instance).
          UTF-8, undecodable bytes of a word written back as they were read
          (``errors="surrogateescape"``, as :meth:`save_word2vec_format`); a
          ``UnicodeWarning`` then says that the file is not valid UTF-8 (the web
          projector shows such bytes as replacement characters, TensorBoard refuses
          the file).
        - ``config.json``: the projector config (``tensorName`` ``"word vectors"``,
          ``tensorShape``, ``tensorPath``, ``metadataPath``), the JSON that
          ``projector.tensorflow.org/?config=URL`` loads once the paths are URLs.
        - ``projector_config.pbtxt``: the same config for TensorBoard's projector plugin.

        Parameters
        ----------
        directory : str or os.PathLike
            Where to write; created, with its parents, if missing. Files of the same names
            already there are replaced, other files are left alone. The four files are
            written under temporary names and renamed once all are complete, so a failure
            leaves the old files (if any) and no partial ones.
        limit : int >= 1, default=None
            Write only the first `limit` words (the most frequent, for a fitted model);
            None, or a `limit` above the vocabulary size, writes all. The web projector
            stays responsive with some tens of thousands of points; a larger vocabulary is
            best cut down with `limit`.

        Raises
        ------
        ValueError
            If there are no vectors, if a written word holds a tab, newline or carriage
            return (the projector splits lines and columns there and has no quoting) or
            surrogates that no bytes decode to, if a word is blank (empty or white space)
            while :attr:`counts` is None (its line would be blank, and the projector skips
            blank lines), if a written vector holds NaN or infinity, or if the vectors
            have fewer than 2 dimensions. The error names the word, and nothing is
            written.
        ValueError, TypeError
            If `limit` or `directory` is of the wrong type or range (scikit-learn's
            ``InvalidParameterError``, both a ValueError and a TypeError).
        OSError
            If `directory` exists and is not a directory, or cannot be written.

        See Also
        --------
        save_word2vec_format : The vectors in the word2vec C tool's formats.

        Examples
        --------
        >>> import numpy as np, os, tempfile
        >>> kv = KeyedVectors(["cat", "dog"], np.array([[0.5, -1.0], [0.25, 2.0]]),
        ...                   counts=[7, 3])
        >>> out = os.path.join(tempfile.mkdtemp(), "projector")
        >>> kv.save_projector(out)
        >>> sorted(os.listdir(out))
        ['config.json', 'metadata.tsv', 'projector_config.pbtxt', 'tensors.tsv']
        >>> open(os.path.join(out, "tensors.tsv")).read()
        '0.5\\t-1\\n0.25\\t2\\n'
        >>> open(os.path.join(out, "metadata.tsv")).read()
        'word\\tcount\\ncat\\t7\\ndog\\t3\\n'
        """
        _check_arguments("save_projector", limit=limit)
        if isinstance(limit, bool):  # an Integral to Python, but surely a mistake here
            raise _invalid("save_projector", "limit", "None or an int >= 1", repr(limit))
        if not isinstance(directory, (str, os.PathLike)):
            raise _invalid("save_projector", "directory", "a str or os.PathLike",
                           f"{directory!r} ({type(directory).__name__})")
        if not len(self):
            raise ValueError("there are no vectors to write: these KeyedVectors are empty")
        n_rows = len(self) if limit is None else min(int(limit), len(self))
        counts = None if self.counts is None else self.counts[:n_rows]
        write_projector(directory, self.index_to_key[:n_rows], self._vectors[:n_rows], counts)

    @classmethod
    def load_word2vec_format(
        cls, path, binary=False, limit=None, unicode_errors="surrogateescape", datatype=np.float32,
        encoding="utf8", no_header=False,
    ):
        """Read vectors written by the word2vec C tool, gensim, fastText (``.vec``) or skw2v.

        Damaged input raises ``ValueError`` naming the line (text) or byte offset (binary)
        and the problem. Repeated words keep their first vector, with a warning, as in gensim.

        Parameters
        ----------
        path : str or os.PathLike
            Source; gzip, bz2 and xz files are decompressed, recognised by their content.
        binary : bool, default=False
            The file has binary rows.
        limit : int >= 0, default=None
            Read only the first `limit` vectors.
        unicode_errors : {"surrogateescape", "strict", "replace", "ignore"}, \
                default="surrogateescape"
            How to handle words that are not valid in `encoding`. The default keeps
            their bytes as Python keeps undecodable bytes of file names (byte ``0xE9``
            becomes ``"\\udce9"``), with a ``UnicodeWarning``: nothing is lost, and
            :meth:`save_word2vec_format` writes the same bytes back, so a model whose
            corpus held such bytes round-trips. gensim's default is ``"strict"``
            (a ``ValueError`` naming the word).
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
        _check_arguments("load_word2vec_format", binary=binary, no_header=no_header, limit=limit)
        keys, vectors = read_word2vec(path, binary, limit, encoding, unicode_errors, no_header)
        # copy=False: no copies of a large table when datatype is float32 already
        return cls(keys, vectors.astype(datatype, copy=False).astype(np.float32, copy=False))
