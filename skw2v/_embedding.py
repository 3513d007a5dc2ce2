"""EmbeddingVectorizer: pretrained word vectors as a pipeline step.

vectors source -> :func:`~skw2v._pretrained.load_vectors` (one read-only copy per process)
text -> tokens (_analyzer) -> known word ids (_corpus.encode_known) -> document vectors
(_aggregate), with what the aggregation needs learned by ``fit``.
"""

import os
import warnings
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._aggregate import sif_common_component
from ._analyzer import DEFAULT_TOKEN_PATTERN, check_corpus
from ._corpus import encode_known
from ._keyedvectors import KeyedVectors
from ._pretrained import VECTOR_SOURCES, fingerprint, load_vectors
from ._text import AGG_CONSTRAINT, TOKENIZATION_CONSTRAINTS, WordVectorsMixin

# A fit warns when more of its tokens than this miss the vectors' vocabulary.
OOV_WARNING = 0.5
# lowercase="auto" lower-cases when under this share of the most frequent words has capitals.
_CASED_SHARE = 0.01
_CASE_SAMPLE_WORDS = 10000
_CASE_SAMPLE_DOCS = 2000
# ... and suggests the other lower-casing when it would find this much more of the tokens.
CASE_GAIN = 0.2


class EmbeddingVectorizer(ClassNamePrefixFeaturesOutMixin, WordVectorsMixin, BaseEstimator):
    """Pretrained word vectors as a text vectorizer.

    Turns documents into dense vectors by aggregating the pretrained vectors of
    their words: word2vec's or fastText's published vectors, GloVe, a model saved
    by skw2v or any :class:`KeyedVectors`. A pipeline step like
    :class:`CBOWVectorizer`, without training.

    A file is read once per process and kept read-only: every clone of the step
    (``GridSearchCV`` and ``cross_val_score`` make one per candidate and fold)
    shares it. It is converted once to a ``.npy`` file in ``cache_dir`` and
    memory-mapped from there, so processes share its pages and later loads cost
    no copy; the step pickles as its parameters, not its vectors.

    Parameters
    ----------
    vectors : str, os.PathLike or KeyedVectors
        A word2vec text or binary file, a fastText ``.vec`` file, a GloVe file
        (no header line), a model saved by :meth:`CBOWVectorizer.save`, all
        recognised by their content (gzip, bz2 and xz files are decompressed);
        or a :class:`KeyedVectors` (gensim's too). Clones share a KeyedVectors
        given here; skw2v never writes to it.
    agg : {"mean", "sum", "max", "minmax", "sif"}, default="mean"
        How a document's word vectors are combined (see :class:`CBOWVectorizer`).
        ``"sif"`` weighs words by the counts stored with the vectors (skw2v
        models) or else by their counts in the documents given to ``fit``, and
        removes the common component of the ``fit`` documents.
    limit : int or None, default=None
        Load only the first ``limit`` words (the most frequent, in these formats).
    lowercase : bool or "auto", default="auto"
        Lower-case str documents before tokenizing. Must match how the vectors
        were trained: ``"auto"`` lower-cases unless the vectors' most frequent
        words have capitals (GloVe and most fastText files are lower-case,
        word2vec's GoogleNews vectors are not).
    token_pattern, tokenizer, preprocessor, stop_words, strip_accents
        Tokenization of str documents, as in :class:`CBOWVectorizer`. Token
        lists are used as given.
    cache_dir : str, os.PathLike or None, default=None
        Where converted vector files are kept. None: the ``SKW2V_VECTORS_CACHE``
        environment variable, else ``vectors`` in skw2v's data home
        (``SKW2V_DATA``, default ``~/skw2v_data``).

    Attributes
    ----------
    wv_ : KeyedVectors
        The loaded vectors (read-only; shared with every step loading the same file).
    vocabulary_ : dict
        Word to row index in ``wv_.vectors``.
    lowercase_ : bool
        The lower-casing applied (``lowercase`` resolved).
    oov_rate_ : float
        Share of the ``fit`` documents' tokens that are not in the vectors.
    sif_component_ : ndarray of shape (vector_size,), float32
        The common component ``agg="sif"`` removes, estimated on the ``fit`` documents.

    See Also
    --------
    CBOWVectorizer : Trains the word vectors (``init_vectors`` starts from pretrained ones).
    KeyedVectors.load_word2vec_format : Reads the same files without a pipeline step.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skw2v import EmbeddingVectorizer, KeyedVectors
    >>> path = os.path.join(tempfile.mkdtemp(), "vectors.txt")
    >>> KeyedVectors(["cat", "dog", "car"], np.eye(3)).save_word2vec_format(path)
    >>> vec = EmbeddingVectorizer(path, cache_dir=os.path.dirname(path))
    >>> vec.fit_transform(["cat dog", "car"])
    array([[0.5, 0.5, 0. ],
           [0. , 0. , 1. ]], dtype=float32)
    """

    _parameter_constraints = {
        "vectors": VECTOR_SOURCES,
        "agg": AGG_CONSTRAINT,
        "limit": [None, Interval(Integral, 1, None, closed="left")],
        "lowercase": ["boolean", StrOptions({"auto"})],
        **TOKENIZATION_CONSTRAINTS,
        "cache_dir": [str, os.PathLike, None],
    }

    def __init__(self, vectors, *, agg="mean", limit=None, lowercase="auto",
                 token_pattern=DEFAULT_TOKEN_PATTERN, tokenizer=None, preprocessor=None,
                 stop_words=None, strip_accents=None, cache_dir=None):
        self.vectors = vectors
        self.agg = agg
        self.limit = limit
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.tokenizer = tokenizer
        self.preprocessor = preprocessor
        self.stop_words = stop_words
        self.strip_accents = strip_accents
        self.cache_dir = cache_dir

    # ----------------------------------------------------------------- vectors
    @property
    def wv_(self):
        """The loaded vectors; after unpickling, loaded again (and checked) on first use."""
        check_is_fitted(self, "lowercase_")
        kv = self.__dict__.get("_kv")
        if kv is None:
            kv = self._load()
            if fingerprint(kv) != self._fingerprint:
                raise ValueError(
                    f"The vectors {self.vectors!r} are not those this {type(self).__name__} "
                    f"was fitted with (the file changed: {len(kv)} words of size "
                    f"{kv.vector_size} now). Fit it again.")
            self._kv = kv
        return kv

    @property
    def vocabulary_(self):
        return self.wv_.key_to_index

    def _load(self):
        return load_vectors(self.vectors, limit=self.limit, cache_dir=self.cache_dir)

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_kv", None)  # the step pickles as its parameters, not its vectors
        return state

    def _lowercase(self):
        if self.lowercase != "auto":
            return self.lowercase
        if hasattr(self, "lowercase_"):
            return self.lowercase_
        return _is_lowercase(self._load())

    # ----------------------------------------------------------------- fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Load the vectors and learn what the aggregation needs from ``X``.

        Parameters
        ----------
        X : iterable of str or of token lists
            Documents; used for the SIF weights (when the vectors have no
            counts) and common component, and to report the share of unknown tokens.
        y : None
            Ignored.

        Returns
        -------
        self : EmbeddingVectorizer
        """
        kv = self._load()
        lowercase = _is_lowercase(kv) if self.lowercase == "auto" else self.lowercase
        sample = []  # the first str documents, kept to explain a high OOV rate
        ids, indptr, n_tokens = encode_known(_sampled(check_corpus(X), sample),
                                             self._analyzer(lowercase), kv.key_to_index,
                                             return_n_tokens=True)
        oov_rate = 1.0 - len(ids) / n_tokens if n_tokens else 0.0
        counts, doc_counts = kv.counts, None
        if counts is None:
            counts = np.bincount(ids, minlength=len(kv))
            rows = np.flatnonzero(counts)
            doc_counts = (rows.astype(np.int32), counts[rows])  # what a pickle holds
        sif_component = sif_common_component(ids, indptr, kv.vectors, counts)
        if oov_rate > OOV_WARNING:
            # stacklevel: past scikit-learn's _fit_context wrapper, at the caller of fit
            warnings.warn(self._oov_note(sample, kv, lowercase, oov_rate), UserWarning,
                          stacklevel=3)
        # all computed: only now does the estimator change
        self.__dict__.update(_kv=kv, _fingerprint=fingerprint(kv), _doc_counts=doc_counts,
                             lowercase_=lowercase, oov_rate_=oov_rate,
                             sif_component_=sif_component)
        return self

    def _oov_note(self, sample, kv, lowercase, oov_rate):
        """Why most tokens miss: say so, and whether the other lower-casing would help."""
        note = (f"{oov_rate:.0%} of the tokens of the documents given to fit are not in the "
                f"{len(kv)} words of the vectors {_describe(self.vectors)}")
        if sample:
            mine = self._miss_rate(sample, kv, lowercase)
            other = self._miss_rate(sample, kv, not lowercase)
            if other < mine - CASE_GAIN:
                return (f"{note}; with lowercase={not lowercase} {other:.0%} would be (vs "
                        f"{mine:.0%} on the first {len(sample)} documents): the vectors were "
                        f"trained on {'cased' if lowercase else 'lower-cased'} text. Set "
                        f"lowercase={not lowercase}.")
        return (f"{note}: check that the vectors are for this language and that the "
                "tokenization (token_pattern, lowercase) matches theirs.")

    def _miss_rate(self, docs, kv, lowercase):
        analyzer = self._analyzer(lowercase)
        tokens = [t for d in docs for t in analyzer(d)]
        known = sum(t in kv.key_to_index for t in tokens)
        return 1.0 - known / len(tokens) if tokens else 0.0

    def _counts(self):
        """The word counts SIF weighs by: the vectors', else the fit documents'."""
        kv = self.wv_
        if kv.counts is not None or self._doc_counts is None:
            return kv.counts
        counts = np.zeros(len(kv), np.int64)
        rows, values = self._doc_counts
        counts[rows] = values
        return counts

    def _aggregation_inputs(self):
        check_is_fitted(self, "lowercase_")
        return (self._counts() if self.agg == "sif" else None), self.sif_component_


def _sampled(docs, sample):
    """Yield ``docs``, appending the first ``_CASE_SAMPLE_DOCS`` str ones to ``sample``."""
    for doc in docs:
        if len(sample) < _CASE_SAMPLE_DOCS and isinstance(doc, str):
            sample.append(doc)
        yield doc


def _is_lowercase(kv):
    """True when (almost) none of the most frequent words has a capital letter."""
    words = kv.index_to_key[:_CASE_SAMPLE_WORDS]
    cased = sum(w != w.lower() for w in words)
    return cased <= _CASED_SHARE * len(words)


def _describe(source):
    return repr(str(source)) if not isinstance(source, KeyedVectors) else repr(source)
