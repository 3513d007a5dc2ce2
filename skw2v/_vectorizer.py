"""CBOWVectorizer: the scikit-learn estimator tying the stages together.

text -> tokens (_analyzer) -> vocabulary (_vocab) -> encoded corpus (_corpus)
-> engine (_hogwild / _minibatch, scheduled by _training) -> KeyedVectors
-> document vectors (_aggregate).
"""

import copy
import inspect
import os
import tempfile
from numbers import Integral, Real

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._aggregate import sif_common_component
from ._analyzer import DEFAULT_TOKEN_PATTERN, check_corpus
from ._corpus import encode, read_corpus
from ._device import parse_device, require_numba_cuda, resolve_device, to_numpy
from ._engines import TrainingTables, engine_class
from ._persist import invalid_model_file, read_model, write_model
from ._phrases import load_phrases
from ._pretrained import VECTOR_SOURCES, load_vectors
from ._sampler import alias_table
from ._schedule import Schedule
from ._state import fitted_attributes, fitted_state
from ._text import AGG_CONSTRAINT, TOKENIZATION_CONSTRAINTS, WordVectorsMixin
from ._training import run_epochs
from ._vocab import Vocabulary


# What a fitted model is built on: its shape (vector_size), what a word is (the
# tokenization) and its vocabulary rules (which words are kept, how they are drawn as
# negatives and subsampled). partial_fit continues that model, so it refuses a change.
_MODEL_PARAMS = ("vector_size", "min_count", "max_vocab_size", "ns_exponent", "sample",
                 *TOKENIZATION_CONSTRAINTS, "lowercase")


class CBOWVectorizer(ClassNamePrefixFeaturesOutMixin, WordVectorsMixin, BaseEstimator):
    """Word2vec CBOW with negative sampling, as a text vectorizer.

    Learns word vectors from raw documents (or token lists) with word2vec's
    continuous bag-of-words model and turns documents into dense vectors by
    aggregating their words' vectors. Drop-in where ``CountVectorizer`` or
    ``TfidfVectorizer`` go in a :class:`~sklearn.pipeline.Pipeline`.

    Parameters
    ----------
    vector_size : int, default=100
        Dimension of the word vectors.
    window : int, default=5
        Maximum distance between the target and a context word; the
        effective window is drawn uniformly in ``[1, window]`` per target.
    negative : int, default=5
        Negative samples per target.
    ns_exponent : float, default=0.75
        Exponent of the unigram distribution negatives are drawn from.
    sample : float, default=1e-3
        Threshold for subsampling frequent words (0 disables).
    min_count : int, default=5
        Words rarer than this are ignored.
    max_vocab_size : int or None, default=None
        Keep at most this many of the most frequent words.
    epochs : int, default=5
        Passes over the corpus.
    alpha : float, default=0.025
        Initial learning rate (with ``optimizer="adam"``, Adam's step size).
    min_alpha : float, default=1e-4
        Learning rate reached at the end of training (linear decay).
    solver : {"auto", "hogwild", "minibatch"}, default="auto"
        ``"hogwild"``: word2vec's per-word lock-free SGD, on CPU threads or,
        with a GPU ``device``, as a CUDA kernel (one warp per segment of a
        document, thousands of segments at once); ``"minibatch"``: the
        textbook's vectorized layered formulation on numpy or CuPy.
        ``"auto"`` is hogwild.
    optimizer : {"sgd", "adam"}, default="sgd"
        Optimizer of the minibatch solver.
    batch_size : int or "auto", default="auto"
        Target words per minibatch step.
    device : str, default="cpu"
        ``"cpu"``, ``"gpu"`` (CUDA device 0), ``"cuda:N"`` or ``"auto"``
        (the GPU when CuPy sees one). A GPU needs CuPy and numba-cuda
        (``pip install 'skw2v[gpu]'``). With ``NUMBA_ENABLE_CUDASIM=1`` the
        GPU kernels run in numba's CUDA simulator on numpy arrays instead
        (slow: for tests and kernel work).
    n_jobs : int or None, default=-1
        CPU training threads; -1 uses all cores. Only ``n_jobs=1`` with a
        fixed ``random_state`` is bit-reproducible.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, subsampling, windows and negatives.
    agg : {"mean", "sum", "max", "minmax", "sif"}, default="mean"
        How ``transform`` combines a document's word vectors; ``"minmax"``
        concatenates the minimum and maximum (2 * vector_size columns) and
        ``"sif"`` is the smooth-inverse-frequency weighted mean with the
        training corpus' common component removed (Arora et al., 2017).
    lowercase, token_pattern, tokenizer, preprocessor, stop_words, strip_accents
        Tokenization of str documents, exactly as in
        :class:`~sklearn.feature_extraction.text.CountVectorizer` except that
        single-character tokens are kept (``token_pattern=r"(?u)\\b\\w+\\b"``).
        Token lists are used as given.
    max_doc_len : int, default=10000
        Longer documents are cut into pieces of this many words for training.
    verbose : int, default=0
        1 shows a progress bar; 2 also logs each epoch (logger ``"skw2v"``).
    callbacks : list of callables or None, default=None
        Each is called as ``callback(estimator, epoch_stats)`` after every epoch.
    init_vectors : str, os.PathLike, KeyedVectors or None, default=None
        Pretrained vectors to start from (any source
        :class:`EmbeddingVectorizer` reads, of size ``vector_size``): the
        vocabulary words they have start with their vector, the others as
        usual. The vocabulary still comes from the training corpus; the
        output weights start at zero.
    lock_init_vectors : bool, default=False
        Keep the vectors taken from ``init_vectors`` frozen (gensim's
        ``lockf``): only the other words' vectors and the output weights
        learn, so the new words are placed in the pretrained space.

    Attributes
    ----------
    wv_ : KeyedVectors
        The trained word vectors, shape (n_words, vector_size), most frequent first.
    vocabulary_ : dict
        Word to row index in ``wv_.vectors``.
    syn1neg_ : ndarray of shape (n_words, vector_size)
        Output (context) weights, kept so that :meth:`partial_fit` can continue.
    loss_curve_ : list of float
        Mean cross-entropy per target word, one value per epoch.
    n_words_trained_ : int
        Words trained after subsampling, over all epochs and calls.
    corpus_total_words_ : int
        Tokens read (vocabulary or not), over all calls.

    See Also
    --------
    sklearn.feature_extraction.text.CountVectorizer : Sparse bag-of-words counts.
    KeyedVectors : Word vectors with similarity queries and word2vec file I/O.

    Examples
    --------
    >>> from skw2v import CBOWVectorizer
    >>> from skw2v.datasets import make_topic_corpus
    >>> docs, y = make_topic_corpus(n_docs=200, random_state=0)
    >>> vec = CBOWVectorizer(vector_size=20, min_count=2, epochs=2, n_jobs=1, random_state=0)
    >>> X = vec.fit_transform(docs)
    >>> X.shape
    (200, 20)
    """

    _parameter_constraints = {
        "vector_size": [Interval(Integral, 1, None, closed="left")],
        "window": [Interval(Integral, 1, None, closed="left")],
        "negative": [Interval(Integral, 1, None, closed="left")],
        "ns_exponent": [Interval(Real, -10, 10, closed="both")],
        "sample": [Interval(Real, 0, 1, closed="both")],
        "min_count": [Interval(Integral, 1, None, closed="left")],
        "max_vocab_size": [None, Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "min_alpha": [Interval(Real, 0, None, closed="left")],
        "solver": [StrOptions({"auto", "hogwild", "minibatch"})],
        "optimizer": [StrOptions({"sgd", "adam"})],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "device": [StrOptions({"cpu", "gpu", "auto"}), str],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "agg": AGG_CONSTRAINT,
        "lowercase": ["boolean"],
        **TOKENIZATION_CONSTRAINTS,
        "max_doc_len": [Interval(Integral, 1, None, closed="left")],
        "verbose": ["verbose"],
        "callbacks": [list, tuple, None],
        "init_vectors": [None, *VECTOR_SOURCES],
        "lock_init_vectors": ["boolean"],
    }

    def __init__(self, vector_size=100, *, window=5, negative=5, ns_exponent=0.75, sample=1e-3,
                 min_count=5, max_vocab_size=None, epochs=5, alpha=0.025, min_alpha=1e-4,
                 solver="auto", optimizer="sgd", batch_size="auto", device="cpu", n_jobs=-1,
                 random_state=None, agg="mean", lowercase=True,
                 token_pattern=DEFAULT_TOKEN_PATTERN, tokenizer=None, preprocessor=None,
                 stop_words=None, strip_accents=None, max_doc_len=10000, verbose=0,
                 callbacks=None, init_vectors=None, lock_init_vectors=False):
        self.vector_size = vector_size
        self.window = window
        self.negative = negative
        self.ns_exponent = ns_exponent
        self.sample = sample
        self.min_count = min_count
        self.max_vocab_size = max_vocab_size
        self.epochs = epochs
        self.alpha = alpha
        self.min_alpha = min_alpha
        self.solver = solver
        self.optimizer = optimizer
        self.batch_size = batch_size
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.agg = agg
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.tokenizer = tokenizer
        self.preprocessor = preprocessor
        self.stop_words = stop_words
        self.strip_accents = strip_accents
        self.max_doc_len = max_doc_len
        self.verbose = verbose
        self.callbacks = callbacks
        self.init_vectors = init_vectors
        self.lock_init_vectors = lock_init_vectors

    def __setstate__(self, state):
        # a model pickled by an earlier skw2v lacks the parameters added since
        # (init_vectors and lock_init_vectors in 0.2): they take their defaults
        defaults = {name: p.default for name, p in
                    inspect.signature(CBOWVectorizer.__init__).parameters.items()
                    if p.default is not p.empty}
        super().__setstate__({**defaults, **state})

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def _lowercase(self):
        return self.lowercase

    # ------------------------------------------------------------------ fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the vocabulary and word vectors from a corpus.

        Parameters
        ----------
        X : iterable of str or of token lists
            Documents: a list, generator (read once), pandas Series or
            :class:`~skw2v.LineCorpus`.
        y : None
            Ignored.

        Returns
        -------
        self : CBOWVectorizer
            The fitted estimator. If fitting fails or is interrupted, the
            previously fitted state is left unchanged.
        """
        self._check_setup()
        init = self._init_vectors()
        # Everything below works on new objects; only _install, at the very
        # end, touches self, so a failure or Ctrl-C leaves the previous fit intact.
        with tempfile.TemporaryDirectory(prefix="skw2v-") as workdir:
            raw = self._read(X, workdir)
            vocab = self._new_vocabulary(raw)
            corpus = encode(raw, vocab.remap_table(raw.words), self.max_doc_len, workdir)
            total_words, raw = len(raw.ids), None  # the provisional ids are no longer needed
            rng = check_random_state(self.random_state)
            syn0 = init_input_vectors(rng, len(vocab), self.vector_size)
            locked = self._start_from(init, vocab, syn0)
            syn1neg = np.zeros_like(syn0)
            history = self._train(corpus, vocab, syn0, syn1neg, rng, locked)
            self._install(corpus, vocab, syn0, syn1neg, rng, history,
                          total_words=total_words)
        return self

    def partial_fit(self, X, y=None):
        """Continue training on more documents (the first call is :meth:`fit`).

        New words whose cumulative count reaches ``min_count`` join the
        vocabulary; both weight matrices grow and training continues from
        the current weights with the full learning-rate schedule.

        Parameters
        ----------
        X : iterable of str or of token lists
        y : None
            Ignored.

        Returns
        -------
        self : CBOWVectorizer

        Raises
        ------
        ValueError
            If ``set_params`` changed, since the model was fitted, a parameter it
            is built on: ``vector_size``, the vocabulary rules (``min_count``,
            ``max_vocab_size``, ``ns_exponent``, ``sample``) or the tokenization.
            The message names the parameter and both values; call :meth:`fit` to
            start over. The fitted model is left as it was. Training settings
            (``epochs``, ``alpha``, ``window``, ``negative``, ``n_jobs``, ...) may change.
        """
        if not hasattr(self, "wv_"):
            return self.fit(X)
        self._validate_params()
        self._check_model_params()
        self._check_setup()
        with tempfile.TemporaryDirectory(prefix="skw2v-") as workdir:
            return self._continue(X, workdir)

    def _continue(self, X, workdir):
        """partial_fit's work on a fitted estimator, with a working directory for the ids."""
        init = self._init_vectors()
        raw = self._read(X, workdir)
        # self._vocab, wv_, syn1neg_ and _random_state are only read here: the
        # update, the grown matrices and the generator are new objects.
        vocab = self._vocab.update(raw.words, raw.counts, self.min_count, self.max_vocab_size)
        n_new = len(vocab) - len(self._vocab)
        check_memory(len(vocab), self.vector_size, n_new=n_new)
        rng = copy.deepcopy(self._random_state)
        syn0 = np.vstack([self.wv_.vectors, init_input_vectors(rng, n_new, self.vector_size)])
        locked = self._start_from(init, vocab, syn0, first_new=len(self._vocab))
        syn1neg = np.vstack([self.syn1neg_, np.zeros((n_new, self.vector_size), np.float32)])
        corpus = encode(raw, vocab.remap_table(raw.words), self.max_doc_len, workdir)
        total_words, raw = self.corpus_total_words_ + len(raw.ids), None
        # Only unknown, still-rare words: remember their counts, train nothing.
        history = (self._train(corpus, vocab, syn0, syn1neg, rng, locked) if corpus.n_words
                   else [])
        self._install(corpus, vocab, syn0, syn1neg, rng, history, total_words=total_words,
                      loss_curve=self.loss_curve_, trained=self.n_words_trained_,
                      sif=self.sif_component_)
        return self

    def _check_model_params(self):
        """ValueError if ``set_params`` changed a parameter the fitted model is built on."""
        fitted = getattr(self, "_model_params", None) or {}  # absent: pickled before 0.2.0
        fitted.setdefault("vector_size", self.wv_.vector_size)
        for name, old in fitted.items():
            new = getattr(self, name)
            if new is not old and new != old:
                raise ValueError(
                    f"partial_fit cannot change {name} from {old!r} to {new!r}: the fitted "
                    f"model was built with {name}={old!r}, and partial_fit continues training "
                    f"it. Call fit to start over with {name}={new!r}, or set_params({name}="
                    f"{old!r}) to continue training this model.")

    def _check_setup(self):
        """Checks _validate_params cannot express; all run before any input is read.

        Raises InvalidParameterError (a ValueError) for bad parameter
        combinations, and resolves the device now so that a missing CuPy or
        GPU is reported before a generator or file is consumed.
        """
        if self.n_jobs == 0:
            raise InvalidParameterError(
                "The 'n_jobs' parameter of CBOWVectorizer must be a positive int, a negative int "
                "(-1 = all cores) or None. Got 0 instead.")
        if self.min_alpha > self.alpha:
            raise InvalidParameterError(
                f"min_alpha={self.min_alpha} must not exceed alpha={self.alpha}.")
        for i, callback in enumerate(self.callbacks or ()):
            if not callable(callback):
                raise InvalidParameterError(
                    f"callbacks[{i}] is {type(callback).__name__} ({callback!r}), not callable; "
                    "each callback is called as callback(estimator, epoch_stats).")
        try:
            parse_device(self.device)
        except ValueError as err:
            raise InvalidParameterError(str(err)) from err
        self._solver_and_xp()  # ImportError/RuntimeError/ValueError naming what to install

    def _read(self, X, workdir):
        """Tokenize and encode ``X`` in one pass; refuse a corpus without tokens."""
        raw = read_corpus(check_corpus(X), self.build_analyzer(), workdir)
        if not len(raw.ids):
            raise ValueError("The corpus is empty: no document contains any token. "
                             "Check the input and the tokenization settings.")
        return raw

    def _new_vocabulary(self, raw):
        vocab = Vocabulary.from_counts(raw.words, raw.counts, self.min_count, self.max_vocab_size)
        if not len(vocab):
            raise ValueError(
                f"No word occurs at least min_count={self.min_count} times (the most frequent "
                f"word occurs {int(raw.counts.max())} times). Lower min_count or give more text.")
        check_memory(len(vocab), self.vector_size)
        return vocab

    def _solver_and_xp(self):
        xp, device_index = resolve_device(self.device)
        solver = "hogwild" if self.solver == "auto" else self.solver
        if solver == "hogwild" and device_index is not None:
            require_numba_cuda(self.device)
        return solver, xp, device_index

    def _init_vectors(self):
        """The ``init_vectors`` loaded (None without them), checked against ``vector_size``.

        Called before any input is read, so that a bad source fails first.
        """
        if self.init_vectors is None:
            return None
        kv = load_vectors(self.init_vectors)
        if kv.vector_size != self.vector_size:
            raise ValueError(
                f"init_vectors has vectors of size {kv.vector_size}, but vector_size="
                f"{self.vector_size}; set vector_size={kv.vector_size}.")
        return kv

    def _start_from(self, init, vocab, syn0, first_new=0):
        """Copy the ``init`` vectors of the vocabulary's words from ``first_new`` on into
        ``syn0``; return the rows training must not change (None: all may change).

        With ``lock_init_vectors`` every vocabulary word ``init`` has is locked, in
        a partial_fit the words of earlier calls too (they keep their current rows).
        """
        if init is None:
            return None
        get = init.key_to_index.get
        rows = np.fromiter((get(w, -1) for w in vocab.index_to_key), np.int64, len(vocab))
        new = np.flatnonzero(rows[first_new:] >= 0) + first_new
        syn0[new] = init.vectors[rows[new]]
        return (rows >= 0).astype(np.uint8) if self.lock_init_vectors else None

    def _train(self, corpus, vocab, syn0, syn1neg, rng, locked=None):
        """Train ``syn0``/``syn1neg`` in place on ``corpus``; return the EpochStats.

        ``locked``: uint8 per word, 1 for the rows of ``syn0`` that must not change.
        """
        solver, xp, device_index = self._solver_and_xp()
        tables = TrainingTables(vocab.keep_probs(self.sample),
                                *alias_table(vocab.counts, self.ns_exponent), locked=locked)
        engine = engine_class(solver, gpu=device_index is not None)(
            corpus, tables, syn0, syn1neg, window=self.window, negative=self.negative,
            random_state=rng, **self._engine_options(solver, xp, device_index))
        schedule = Schedule(self.alpha, self.min_alpha, corpus.n_words, self.epochs)
        return run_epochs(engine, schedule, verbose=self.verbose, callbacks=self.callbacks,
                          owner=self)

    def _engine_options(self, solver, xp, device_index):
        """The keyword options of the chosen engine, from the estimator's parameters."""
        if solver == "hogwild" and device_index is not None:
            return {"xp": xp, "device_index": device_index}
        if solver == "hogwild":
            return {"n_threads": effective_n_jobs(self.n_jobs)}
        return {"batch_size": self.batch_size, "optimizer": self.optimizer, "xp": xp,
                "device_index": device_index}

    def _install(self, corpus, vocab, syn0, syn1neg, rng, history, total_words,
                 loss_curve=(), trained=0, sif=None):
        """Make the trained weights the fitted state, after ``loss_curve``/``trained`` so far.

        The SIF component is estimated on ``corpus``; an empty one (a partial_fit
        that only counted rare words) keeps ``sif``, the previous estimate.
        """
        if corpus.n_words:
            sif = sif_common_component(corpus.ids, corpus.offsets, syn0, vocab.counts)
        self._set_fitted_state(fitted_state(
            vocab, syn0, syn1neg, sif, rng,
            loss_curve=list(loss_curve) + [float(s.mean_loss) for s in history],
            n_words_trained=trained + sum(s.effective_words for s in history),
            corpus_total_words=total_words), vocab)

    # ------------------------------------------------------------ fitted state
    def _get_fitted_state(self):
        """The fitted state as plain data (arrays, lists, numbers): see :func:`~skw2v._state.fitted_state`."""
        check_is_fitted(self, "wv_")
        return fitted_state(self._vocab, self.wv_.vectors, to_numpy(self.syn1neg_),
                             self.sif_component_, self._random_state, self.loss_curve_,
                             self.n_words_trained_, self.corpus_total_words_, self.wv_.index)

    def _set_fitted_state(self, state, vocab=None):
        """Check ``state`` (as :meth:`_get_fitted_state` returns it) and make it the fit.

        Everything is checked and built first, then swapped in with one dict
        update, so a bad state (ValueError naming what is wrong) or any other
        failure leaves the estimator as it was. ``vocab`` is the Vocabulary the
        state's words come from, when the caller already has it (a fit).
        """
        attributes = fitted_attributes(state, self.vector_size, vocab)
        attributes["_model_params"] = {name: getattr(self, name) for name in _MODEL_PARAMS}
        self.__dict__.update(attributes)

    def _aggregation_inputs(self):
        check_is_fitted(self, "wv_")
        if self.agg == "sif" and self.sif_component_ is None:
            raise ValueError("agg='sif' needs the common component of the training documents, "
                             "which this model (saved by skw2v 0.1 with another agg) lacks; "
                             "fit it again, or partial_fit it on some of its training text.")
        return self.wv_.counts, self.sif_component_

    # -------------------------------------------------------------- persistence
    def save(self, path, compress=False):
        """Save the fitted estimator in skw2v's safe format (arrays + JSON, no pickle).

        The file restores the full estimator, parameters included, with
        :func:`skw2v.load`; it can continue training with :meth:`partial_fit`.

        Parameters
        ----------
        path : str or path-like
            Destination (written atomically; ``.skw2v`` is the usual extension).
        compress : bool, default=False
            Deflate the arrays.

        Examples
        --------
        >>> import os, tempfile
        >>> import skw2v
        >>> from skw2v.datasets import make_topic_corpus
        >>> docs, _ = make_topic_corpus(n_docs=100, random_state=0)
        >>> vec = skw2v.CBOWVectorizer(vector_size=10, min_count=2, epochs=1, n_jobs=1,
        ...                            random_state=0).fit(docs)
        >>> path = os.path.join(tempfile.mkdtemp(), "model.skw2v")
        >>> vec.save(path)
        >>> bool((skw2v.load(path).transform(docs[:3]) == vec.transform(docs[:3])).all())
        True
        """
        check_is_fitted(self, "wv_")
        write_model(path, "CBOWVectorizer", self._local_params(), self._get_fitted_state(),
                    compress=compress)

    def _local_params(self):
        """This estimator's parameters that :class:`CBOWVectorizer` has.

        A model file holds a local model: a subclass's own parameters (the
        cluster settings of ``skw2v.dask.CBOWVectorizer``) are not part of it.
        """
        names = CBOWVectorizer._get_param_names()
        return {k: v for k, v in self.get_params(deep=False).items() if k in names}


def load(path):
    """Load a CBOWVectorizer saved by :meth:`CBOWVectorizer.save` (or a :class:`Phrases`
    saved by :meth:`Phrases.save`).

    Only numeric arrays and JSON are read (``allow_pickle=False``): loading an
    untrusted file executes nothing. Files written by skw2v 0.1 load too.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :meth:`CBOWVectorizer.save`.

    Returns
    -------
    CBOWVectorizer or Phrases
        The fitted estimator: transform, queries and partial_fit work as before saving.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If the file is not a valid skw2v model file; the message names the problem.
    """
    estimator, params, state = read_model(path)
    try:
        if estimator == "Phrases":
            return load_phrases(params, state)
        if estimator != "CBOWVectorizer":
            raise ValueError(f"estimator {estimator!r} is not supported")
        unknown = set(params) - set(CBOWVectorizer().get_params(deep=False))
        if unknown:
            raise ValueError(f"unknown parameter(s) {sorted(unknown)} (written by a newer skw2v?)")
        est = CBOWVectorizer(**params)
        try:
            est._validate_params()
        except ValueError as exc:
            raise ValueError(f"invalid parameters ({exc})") from None
        est._set_fitted_state(state)
    except ValueError as exc:
        raise invalid_model_file(path, exc) from None
    return est


def init_input_vectors(rng, n_words, dim):
    """Input vectors uniform in [-1/dim, 1/dim), as gensim 4 initialises them.

    The C tool uses half that range; measured side by side with gensim 4.4
    (our quality bar) at equal epochs, the narrower start trained to lower
    analogy accuracy (0.84 vs 0.93 on a planted-analogy corpus), so we
    start where gensim starts. Drawn in float32 by a PCG64 generator that
    one draw of ``rng`` seeds: 2.5x faster than ``rng``'s own float64 draws
    (37 -> 14 ms for 22k words x 100, 1 % of a short fit) and no float64
    temporary.
    """
    gen = np.random.Generator(np.random.PCG64(rng.randint(2**63, dtype=np.uint64)))
    out = gen.random((n_words, dim), dtype=np.float32)
    out *= np.float32(2.0)
    out -= np.float32(1.0)
    out /= np.float32(dim)
    return out


def _memory_limits():
    """``(physical, available)`` bytes for this process; either may be None if unknown.

    ``physical`` is RAM capped by a cgroup limit; ``available`` is what can
    be allocated now without swapping out others or meeting the OOM killer
    (MemAvailable + SwapFree, capped by the cgroup's remaining headroom).
    """
    physical = available = None
    try:
        physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        pass
    try:
        with open("/proc/meminfo") as f:
            info = {k: int(v.split()[0]) * 1024 for k, v in
                    (line.split(":", 1) for line in f if ":" in line)}
        available = info["MemAvailable"] + info.get("SwapFree", 0)
    except (OSError, KeyError, ValueError, IndexError):
        pass
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            with open(limit_file) as f:
                limit = int(f.read().strip())  # "max" -> ValueError: no limit
        except (OSError, ValueError):
            continue
        if physical is None or limit < physical:
            physical = limit
        try:
            with open(usage_file) as f:
                headroom = limit - int(f.read().strip())
            available = headroom if available is None else min(available, headroom)
        except (OSError, ValueError):
            pass
        break
    return physical, available


def model_memory(n_words, dim, n_new=None):
    """Bytes a fit allocates for ``n_words`` x ``dim`` weights (``n_new`` of them new rows).

    Two float32 matrices (input and output vectors), plus the new rows that
    ``partial_fit`` draws apart before stacking them under the old ones (a
    fresh fit's draw is its input matrix); this is a lower bound of the peak.
    """
    n_new = n_words if n_new is None else n_new
    return 2 * 4 * n_words * dim + (4 * n_new * dim if n_new < n_words else 0)


def check_memory(n_words, dim, n_new=None):
    """Refuse, before allocating, a model whose weights cannot fit in memory.

    Raises MemoryError naming the GiB needed when they exceed this machine's
    (or container's) memory, or what is available now: past that point the
    allocation would fail or the OOM killer would end the process mid-training.
    """
    need = model_memory(n_words, dim, n_new)
    physical, available = _memory_limits()
    for have, what in ((physical, "this machine's memory"), (available, "the memory available now")):
        if have is not None and need > have:
            raise MemoryError(
                f"{n_words} words x vector_size={dim} needs at least {need / 2**30:.1f} GiB for "
                f"the weights, more than {what} ({have / 2**30:.1f} GiB). Raise min_count, set "
                "max_vocab_size or lower vector_size.")
