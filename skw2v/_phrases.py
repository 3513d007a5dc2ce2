"""word2phrase as a scikit-learn step: join frequent collocations ("new york" -> "new_york").

Counting and joining work on token ids, never on joined strings: a pass's
tokens are interned in a :class:`~skw2v._lexicon.Lexicon`, and a candidate
phrase is the id sequence of a word, the connector words after it and the
next word, interned as bytes in a second Lexicon. Numba loops find the
candidates of a whole batch of documents at once; Python only builds the
output lists.

The rules are gensim's ``Phrases`` (4.x), which follow word2phrase:

* every two consecutive words of a document that are not connector words,
  with the connector words between them, form a candidate;
* a candidate is a phrase when its score is above ``threshold`` ("default":
  word2vec's ``(n_ab - min_count) / (n_a n_b) * len_vocab``, where
  ``len_vocab`` counts the distinct words and candidates; "npmi":
  normalized pointwise mutual information, -inf below ``min_count``);
* ``transform`` joins greedily from the left: a phrase's last word does not
  start the next one.

Keyed by ids, a candidate never shares a count with a word spelled like
it (gensim counts the token "new_york" and the bigram "new york" as one
key), so NPMI stays within [-1, 1].
"""

import contextlib
import copy
import gc
import itertools
import math
import numbers
import os

import numba
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._analyzer import DEFAULT_TOKEN_PATTERN, check_corpus, check_tokens, to_tokens
from ._corpus import _token_error
from ._lexicon import Lexicon, WordList, _utf8, _utf8_each, nul_joined
from ._persist import (FORMAT_NAME, FORMAT_VERSION, PHRASES_PASS_MEMBERS, _atomic_savez,
                       _json_bytes, _params_to_json)
from ._version import __version__

from ._text import TOKENIZATION_CONSTRAINTS, TokenizationMixin
from ._words import UnstorableWord

# gensim's ENGLISH_CONNECTOR_WORDS: articles, some prepositions and conjunctions, which may
# stand inside a phrase ("bank_of_america") but neither start nor end one
ENGLISH_CONNECTOR_WORDS = frozenset(
    "a an the for of with without at from to in on by and or".split())
SCORERS = ("default", "npmi")
BATCH_DOCS = 4096   # documents read at once (C loops, not one Python step a document)
BATCH_TOKENS = 1 << 16   # tokens looked up and counted at once (pruning checks between)


class Phrases(TokenizationMixin, TransformerMixin, BaseEstimator):
    """Detect phrases (collocations) and join them into single tokens: word2phrase.

    ``fit`` counts words and pairs of consecutive words; ``transform``
    returns token lists in which the pairs that score above ``threshold``
    are joined with ``delimiter``. In a pipeline before
    :class:`CBOWVectorizer`, phrases get vectors of their own::

        make_pipeline(Phrases(connector_words="english"), CBOWVectorizer())

    The phrases are those of gensim's ``Phrases`` with the same settings
    (see the user guide, "Phrases", for the one difference).

    Parameters
    ----------
    min_count : int, default=5
        Pairs seen fewer times are never phrases ("npmi"); the "default" score
        subtracts it from the pair's count.
    threshold : float, default=10.0
        A candidate is a phrase when its score is strictly above this. The
        "default" scores are unbounded (word2phrase uses 100); "npmi" scores lie
        in [-1, 1] (0.5 is a usual choice).
    scoring : {"default", "npmi"}, default="default"
        word2vec's score or normalized pointwise mutual information.
    connector_words : "english" or collection of str, default=()
        Words that may stand inside a phrase but not at its ends; "english":
        :data:`ENGLISH_CONNECTOR_WORDS` (gensim's), giving "bank_of_america".
    delimiter : str, default="_"
        Joins the tokens of a phrase.
    passes : int, default=1
        Passes of detection, each over the output of the one before: 2 joins
        phrases of up to four words ("new_york_times"), as running word2phrase twice.
    max_vocab_size : int or None, default=None
        Bound on the words and candidates counted, as gensim's: when a batch of
        documents leaves more, those seen fewer than ``n`` times are dropped,
        ``n`` growing by one each time. None: no bound.
    lowercase, token_pattern, tokenizer, preprocessor, stop_words, strip_accents
        How str documents become tokens, as in :class:`CBOWVectorizer`
        (token lists are used as they are).

    Attributes
    ----------
    phrases_ : dict
        Every phrase (joined with ``delimiter``) to its score, over all passes.
    corpus_total_words_ : int
        Tokens counted, over all calls to fit and partial_fit.

    See Also
    --------
    CBOWVectorizer : Learns vectors for the joined tokens.

    Examples
    --------
    >>> from skw2v import Phrases
    >>> docs = ["i moved to new york", "new york is big", "a new idea", "the old york"] * 10
    >>> ph = Phrases(scoring="npmi", threshold=0.5).fit(docs)
    >>> round(ph.phrases_["new_york"], 3)
    0.598
    >>> ph.transform(["New York is new"])
    [['new_york', 'is', 'new']]
    """

    _parameter_constraints = {
        "min_count": [Interval(numbers.Real, 0, None, closed="left")],
        "threshold": [Interval(numbers.Real, None, None, closed="neither")],
        "scoring": [StrOptions(set(SCORERS))],
        "connector_words": [StrOptions({"english"}), list, tuple, set, frozenset],
        "delimiter": [str],
        "passes": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_vocab_size": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "lowercase": ["boolean"],
        **TOKENIZATION_CONSTRAINTS,
    }

    def __init__(self, min_count=5, threshold=10.0, *, scoring="default", connector_words=(),
                 delimiter="_", passes=1, max_vocab_size=None, lowercase=True,
                 token_pattern=DEFAULT_TOKEN_PATTERN, tokenizer=None, preprocessor=None,
                 stop_words=None, strip_accents=None):
        self.min_count = min_count
        self.threshold = threshold
        self.scoring = scoring
        self.connector_words = connector_words
        self.delimiter = delimiter
        self.passes = passes
        self.max_vocab_size = max_vocab_size
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.tokenizer = tokenizer
        self.preprocessor = preprocessor
        self.stop_words = stop_words
        self.strip_accents = strip_accents

    def _lowercase(self):
        return self.lowercase

    def _connectors(self):
        words = (ENGLISH_CONNECTOR_WORDS if self.connector_words == "english"
                 else self.connector_words)
        bad = [w for w in words if not isinstance(w, str) or not w]
        if bad:
            raise ValueError(f"connector_words must hold non-empty str; got {bad[0]!r}.")
        return sorted(set(words))

    # ------------------------------------------------------------------ fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Count the words and candidate phrases of a corpus.

        Parameters
        ----------
        X : iterable of str or of token lists
            Documents (a generator is read once).
        y : None
            Ignored.

        Returns
        -------
        self : Phrases
        """
        self._fit(X, reset=True)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Add the counts of more documents (the first call is :meth:`fit`).

        With ``passes > 1``, the new documents reach the later passes through
        the earlier ones as they stand after counting them.

        Parameters
        ----------
        X : iterable of str or of token lists
        y : None
            Ignored.

        Returns
        -------
        self : Phrases
        """
        self._fit(X, reset=not hasattr(self, "passes_"))
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit, then join the phrases of ``X``, reading ``X`` once.

        Parameters
        ----------
        X : iterable of str or of token lists
        y : None
            Ignored.

        Returns
        -------
        list of list of str
            As :meth:`transform` gives.
        """
        batches = self._fit(X, reset=True, keep=True)
        with _gc_paused():
            return [doc for docs in self._joined(batches) for doc in docs]

    def save(self, path, compress=False):
        """Save the fitted Phrases in skw2v's safe format (arrays + JSON, no pickle).

        :func:`skw2v.load` reads it back; :meth:`partial_fit` can go on counting.

        Parameters
        ----------
        path : str or path-like
            Destination (written atomically; ``.skw2v`` is the usual extension).
        compress : bool, default=False
            Deflate the arrays.
        """
        check_is_fitted(self, "passes_")
        params = self.get_params(deep=False)
        if not isinstance(params["connector_words"], str):
            params["connector_words"] = sorted(params["connector_words"])
        arrays = {}
        meta = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
                "skw2v_version": __version__, "estimator": "Phrases",
                "params": _params_to_json(params, arrays),
                "corpus_total_words": self.corpus_total_words_,
                "passes": [stage.save(arrays, f"pass{p}_")
                           for p, stage in enumerate(self.passes_)]}
        arrays["metadata"] = _json_bytes(meta)
        _atomic_savez(os.fspath(path), arrays, compress)

    def _fit(self, X, reset, keep=False):
        """Count ``X`` into every pass; with ``keep``, return its batches as the last pass
        reads them, ``[(ids, offsets)]`` (for :meth:`_joined`)."""
        if not self.delimiter:
            raise ValueError("delimiter must be a non-empty str, such as '_'.")
        connectors = self._connectors()
        if not reset and len(self.passes_) != self.passes:
            raise ValueError(f"This Phrases was fitted with passes={len(self.passes_)}; "
                             f"partial_fit cannot change it to {self.passes}. Call fit.")
        # counted into new passes (or copies), which replace the fitted ones only at the end:
        # an error half-way (a bad token) leaves the estimator as it was
        passes = ([_Pass(connectors) for _ in range(self.passes)] if reset
                  else copy.deepcopy(self.passes_))
        keep = keep or len(passes) > 1
        total, batches = 0, []
        for tokens, ids, offsets in _batches(X, self.build_analyzer(), passes[0].words,
                                             insert=True):
            passes[0].add(ids, offsets, self.max_vocab_size)
            total += len(ids)
            if keep:
                batches.append((ids, offsets))
        if not total:
            raise ValueError("The corpus is empty: no document contains any token. "
                             "Check the input and the tokenization settings.")
        for p, stage in enumerate(passes):
            stage.score(self.scoring, self.min_count, self.threshold, self.delimiter)
            if p + 1 == len(passes):
                break
            after = passes[p + 1]
            stage.remap = after.words.lookup_utf8(*stage.pool_utf8(), insert=True)
            batches = [stage.join(ids, offsets) for ids, offsets in batches]
            batches = [(stage.remap[ids], offsets) for ids, offsets, _ in batches]
            for ids, offsets in batches:
                after.add(ids, offsets, self.max_vocab_size)
        self.__dict__.pop("_pool", None)
        self.passes_ = passes
        self.corpus_total_words_ = total + (0 if reset else self.corpus_total_words_)
        self.phrases_ = {phrase: score for stage in passes
                         for phrase, score in stage.phrases().items()}
        return batches

    def _joined(self, batches):
        """The token lists of :meth:`_fit`'s ``batches``, joined by the last pass: a list
        of documents per batch."""
        for ids, offsets in batches:
            yield self._strings(*self.passes_[-1].join(ids, offsets), None)

    # ------------------------------------------------------------------ transforming
    def transform(self, X):
        """Join the phrases of documents.

        Parameters
        ----------
        X : iterable of str or of token lists

        Returns
        -------
        list of list of str
            One token list per document, phrases joined with ``delimiter``;
            words never seen in fit pass through unchanged.
        """
        check_is_fitted(self, "passes_")
        with _gc_paused():
            return self._transform(X)

    def _transform(self, X):
        out = []
        for docs, ids, offsets in _batches(X, self.build_analyzer(),
                                           self.passes_[0].words, insert=False):
            origin, read = np.arange(len(ids), dtype=np.int64), offsets
            for p, stage in enumerate(self.passes_):
                ids, offsets, kept = stage.join(ids, offsets)
                origin = np.where(kept >= 0, origin[np.maximum(kept, 0)], -1)
                if p + 1 < len(self.passes_):
                    ids = np.where(ids >= 0, stage.remap[np.maximum(ids, 0)], -1)
            out.extend(self._strings(ids, offsets, origin, (docs, read)))
        return out

    def _strings(self, ids, offsets, origin, read):
        """Token lists of the last pass's output ``ids``; an unseen token (-1) is the token
        at ``origin`` of the documents ``read``, ``(token lists, their offsets)``."""
        if "_pool" not in self.__dict__:  # the output strings, and None: what -1 takes
            self._pool = np.array([*self.passes_[-1].pool(), None], dtype=object)
        flat = self._pool.take(ids)
        unseen = np.flatnonzero(ids < 0)
        if len(unseen):
            docs, bounds = read
            at = origin[unseen]
            doc = np.searchsorted(bounds, at, side="right") - 1
            flat[unseen] = [docs[d][t] for d, t in zip(doc.tolist(),
                                                       (at - bounds[doc]).tolist())]
        # C loops only: a Python step a document would cost more than the rest
        return list(map(flat.tolist().__getitem__,
                        map(slice, offsets[:-1].tolist(), offsets[1:].tolist())))

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_pool", None)   # a cache, rebuilt on demand
        return state


@contextlib.contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector while lists of str (no cycles) are made: a list
    a document would have it walk the caller's corpus again and again (10x the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _batches(X, analyzer, lexicon, insert):
    """``(docs, ids, offsets)`` of batches of about :data:`BATCH_TOKENS` tokens (whole
    documents): the token lists, their tokens' int32 ids in ``lexicon`` (-1: unseen, when
    not ``insert``) and int64 document offsets into ``ids``."""
    documents = iter(check_corpus(X))
    first = 0  # the first document of ``docs``
    while docs := list(itertools.islice(documents, BATCH_DOCS)):
        if set(map(type, docs)) != {list}:  # token lists are used as they are
            docs = [doc if type(doc) is list else to_tokens(doc, i, analyzer, check=False)
                    for i, doc in enumerate(docs, first)]
        bounds = np.zeros(len(docs) + 1, np.int64)
        np.cumsum(np.fromiter(map(len, docs), np.int64, len(docs)), out=bounds[1:])
        start = 0
        while start < len(docs):
            stop = int(np.searchsorted(bounds, bounds[start] + BATCH_TOKENS))
            stop = min(max(stop, start + 1), len(docs))
            yield _batch(docs[start:stop], bounds[start:stop + 1] - bounds[start],
                         first + start, lexicon, insert)
            start = stop
        first += len(docs)


def _batch(docs, offsets, first, lexicon, insert):
    try:
        # each document joined, then the documents: no flat list of the tokens (half the
        # time); the empty ones are left out, or each would add an empty token
        n = int(offsets[-1])
        data = nul_joined("\0".join(map("\0".join, filter(None, docs))), n)
        ids = (lexicon.lookup_joined(data, n, insert) if data is not None
               else lexicon.lookup_utf8(*_utf8_each(_flat(docs)), insert=insert))
    except TypeError:  # a token that is not a str: name it and its document
        for position, doc in enumerate(docs, first):
            check_tokens(doc, position)
        raise
    except UnstorableWord as exc:
        raise _token_error(exc, np.diff(offsets), first) from None
    return docs, ids, offsets


def _flat(docs):
    return list(itertools.chain.from_iterable(docs))


class _Pass:
    """One pass of detection: its tokens and their counts, its candidates and theirs.

    Words are ids in ``words`` (a Lexicon of the tokens this pass reads). A
    candidate is a word ``a``, the connector words after it (their id
    sequence, interned in ``middles``; id 0: none) and the next word ``b``;
    ``pairs`` numbers the candidates by ``(a << 32 | b, middle)``.
    """

    def __init__(self, connectors=()):
        self.words = Lexicon()
        self.words.lookup(list(connectors))  # connectors have ids, seen or not
        self.counts = np.zeros(len(self.words), np.int64)
        self.connector = np.ones(len(self.words), bool)
        self.middles = Lexicon()
        self.middles.lookup_utf8(np.zeros(0, np.uint8), np.zeros(1, np.int64))  # 0: none
        self.pairs = PairTable()
        self.pair_counts = np.zeros(0, np.int64)
        self.n_tokens = 0
        self.min_reduce = 1

    # one entry per word of ``words`` / candidate of ``pairs``: views of buffers with room
    counts = property(lambda self: self._counts[:len(self.words)],
                      lambda self, value: setattr(self, "_counts", value))
    connector = property(lambda self: self._connector[:len(self.words)],
                         lambda self, value: setattr(self, "_connector", value))
    pair_counts = property(lambda self: self._pair_counts[:len(self.pairs)],
                           lambda self, value: setattr(self, "_pair_counts", value))

    def save(self, arrays, prefix):
        """Put the pass's arrays into ``arrays`` as the model file's members
        (``prefix`` + :data:`~skw2v._persist.PHRASES_PASS_MEMBERS`); return its numbers."""
        words, middles = self.words.words(), self.middles.words()
        members = {"words_blob": words.blob, "words_bounds": words.bounds,
                   "middles_blob": middles.blob, "middles_bounds": middles.bounds,
                   "counts": self.counts, "connector": self.connector.astype(np.uint8),
                   "pairs": self.pairs.keys(), "pair_counts": self.pair_counts}
        arrays.update({prefix + name: members[name] for name in PHRASES_PASS_MEMBERS})
        return {"n_tokens": int(self.n_tokens), "min_reduce": int(self.min_reduce)}

    @classmethod
    def load(cls, arrays, prefix, numbers):
        """The pass :meth:`save` stored; ValueError if the arrays do not fit together."""
        stage = cls()
        get = lambda name: arrays[prefix + name]  # noqa: E731
        for name in ("words", "middles"):
            words = WordList.checked(get(f"{name}_blob"), get(f"{name}_bounds"))
            setattr(stage, name, Lexicon())
            ids = getattr(stage, name).lookup_utf8(words.blob, words.bounds[1:])
            if not np.array_equal(ids, np.arange(len(words))):
                raise ValueError(f"{prefix}{name} repeats a word")
        n, keys = len(stage.words), get("pairs")
        counts, pair_counts, connector = get("counts"), get("pair_counts"), get("connector")
        if (counts.shape != (n,) or connector.shape != (n,)
                or keys.dtype != np.int64 or keys.ndim != 2 or keys.shape[1] != 2
                or pair_counts.shape != (len(keys),) or counts.dtype != np.int64
                or pair_counts.dtype != np.int64 or counts.min(initial=0) < 0
                or pair_counts.min(initial=0) < 0):
            raise ValueError(f"the arrays of {prefix[:-1]} do not fit together")
        stage.counts, stage.pair_counts = counts.copy(), pair_counts.copy()
        stage.connector = connector.astype(bool)
        a, b = keys[:, 0] >> 32, keys[:, 0] & 0xFFFFFFFF
        if len(keys) and (a.min() < 0 or max(a.max(), b.max()) >= n or keys[:, 1].min() < 0
                          or keys[:, 1].max() >= len(stage.middles)):
            raise ValueError(f"a pair of {prefix[:-1]} names a word it does not have")
        stage.pairs.lookup(a.astype(np.int32), b.astype(np.int32),
                           keys[:, 1].astype(np.int32), insert=True)
        if len(stage.pairs) != len(keys):
            raise ValueError(f"{prefix[:-1]} repeats a pair")
        stage.n_tokens, stage.min_reduce = int(numbers["n_tokens"]), int(numbers["min_reduce"])
        return stage

    def candidates(self, ids, offsets, insert):
        """The candidates of a batch: their words ``a`` and ``b`` and their ``middles``
        (ids in ``middles``; -1: never seen, when not ``insert``), the positions of their
        first and last words and whether each is its document's first (:func:`_candidates`)."""
        a, b, middle, ends, has_middle, starts, stops, first = _candidates(
            ids, offsets, self.connector)
        middles = np.zeros(len(a), np.int32)
        if len(has_middle):
            middles[has_middle] = self.middles.lookup_utf8(middle.view(np.uint8), ends * 4,
                                                           insert=insert)
        return a, b, middles, starts, stops, first

    def add(self, ids, offsets, max_vocab_size):
        """Count a batch of documents (``ids`` in ``words``, none unseen)."""
        # counts grow by doubling and are added to in place: a batch costs its own size,
        # not the vocabulary's or the candidates' (millions on a large corpus)
        self._counts = _room(self._counts, len(self.words))
        self._connector = _room(self._connector, len(self.words))
        _count(self._counts, ids)
        self.n_tokens += len(ids)
        a, b, middles = self.candidates(ids, offsets, insert=True)[:3]
        pids = self.pairs.lookup(a, b, middles, insert=True)
        self._pair_counts = _room(self._pair_counts, len(self.pairs))
        _count(self._pair_counts, pids)
        if max_vocab_size is not None:
            self.prune(max_vocab_size)

    def entries(self):
        """Words and candidates counted (gensim's ``len(vocab)``)."""
        return (int(np.count_nonzero(self.counts[~self.connector]))
                + int(np.count_nonzero(self.pair_counts)))

    def prune(self, max_vocab_size):
        """gensim's rule: over ``max_vocab_size`` entries, drop those seen fewer than
        ``min_reduce`` times, then raise ``min_reduce`` by one. Dropped candidates
        leave ``pairs``; a dropped word keeps its id (its bytes) with a count of 0."""
        if self.entries() <= max_vocab_size:
            return
        self.counts[self.counts < self.min_reduce] = 0
        keep = self.pair_counts >= self.min_reduce
        self.pair_counts = self.pair_counts[keep]  # before pairs shrinks: it sizes the view
        self.pairs = self.pairs.subset(keep)
        self.min_reduce += 1

    def score(self, scoring, min_count, threshold, delimiter):
        """Score every candidate; keep the phrases: their ids, scores and strings."""
        a, b, middle = self.pairs.parts()
        scores = _scores(self.counts[a], self.counts[b], self.pair_counts, self.entries(),
                         float(self.n_tokens), float(min_count), scoring == "npmi")
        self.phrase_ids = np.flatnonzero(scores > threshold)
        self.phrase_scores = scores[self.phrase_ids]
        # transform looks candidates up among the phrases only: a table that stays in cache
        self.found = PairTable()
        self.found.lookup(a[self.phrase_ids].astype(np.int32),
                          b[self.phrase_ids].astype(np.int32),
                          middle[self.phrase_ids].astype(np.int32), insert=True)
        words, middles = self.words.words().tolist(), self.middles.words()
        inner = [delimiter.join(words[w] for w in middles.blob[lo:hi].view(np.int32))
                 for lo, hi in zip(middles.bounds[:-1], middles.bounds[1:])]
        self.phrase_strs = [
            delimiter.join((words[i], inner[m], words[j]) if m else (words[i], words[j]))
            for i, j, m in zip(a[self.phrase_ids].tolist(), b[self.phrase_ids].tolist(),
                               middle[self.phrase_ids].tolist())]
        self.remap = None

    def phrases(self):
        return dict(zip(self.phrase_strs, self.phrase_scores.tolist()))

    def pool(self):
        """The output tokens' strings: every word, then every phrase."""
        return self.words.words().tolist() + self.phrase_strs

    def pool_utf8(self):
        """:meth:`pool` as (UTF-8 bytes, int64 ends), for the next pass's lookup."""
        words = self.words.words()
        extra, ends = _utf8(self.phrase_strs) if self.phrase_strs else (
            np.zeros(0, np.uint8), np.zeros(0, np.int64))
        return (np.concatenate([words.blob, extra]),
                np.concatenate([words.bounds[1:], ends + words.bounds[-1]]))

    def join(self, ids, offsets):
        """A batch with the phrases joined: ``(ids, offsets, kept)``: output ids (a word's,
        or ``len(words) + `` a phrase's slot; -1 stays -1), their document offsets, and
        the input position of every token kept as it was (-1 for a phrase)."""
        a, b, middles, starts, stops, first = self.candidates(ids, offsets, insert=False)
        slots = self.found.lookup(a, b, middles, insert=False)
        return _join(ids, offsets, starts, stops, first, slots, len(self.words))


class PairTable:
    """Candidates numbered in first-seen order by two int64 keys, in an open-addressing
    table probed by numba for a whole batch.

    A slot holds ``(a << 32 | b, middle << 32 | id)`` (``-1`` first: free), so a probe
    reads one cache line: the table of a large corpus is far bigger than the caches.
    """

    def __init__(self):
        self.table = np.full((1 << 10, 2), -1, np.int64)
        self.n = 0

    def __len__(self):
        return self.n

    def lookup(self, a, b, middle, insert):
        """int32 ids of the candidates ``(a, middle, b)``; a new one gets the next id
        (``insert``) or -1, as does one with an unseen word (-1) or middle."""
        if insert:
            self._make_room(self.n + len(a))
        out = np.empty(len(a), np.int32)
        self.n = _probe(a, b, middle, self.table, self.n, out, insert)
        return out

    def _make_room(self, most):
        if 2 * most > len(self.table):
            size = len(self.table)
            while 2 * most > size:
                size *= 2
            old, self.table = self.table, np.full((size, 2), -1, np.int64)
            _rehash(old, self.table)

    def keys(self):
        """``(a << 32 | b, middle)`` of every candidate in id order, int64 of shape (n, 2)."""
        return _ordered(self.table, self.n)

    def parts(self):
        """``(a, b, middle)`` of every candidate, int64."""
        keys = self.keys()
        return keys[:, 0] >> 32, keys[:, 0] & 0xFFFFFFFF, keys[:, 1]

    def subset(self, keep):
        """A table of the candidates where ``keep`` (renumbered in order)."""
        out = PairTable()
        a, b, middle = self.parts()
        out.lookup(a[keep].astype(np.int32), b[keep].astype(np.int32),
                   middle[keep].astype(np.int32), insert=True)
        return out


def _room(array, n):
    """``array`` with room for ``n`` items (zeros after its own), doubling when it grows."""
    if n <= len(array):
        return array
    out = np.zeros(max(n, 2 * len(array)), array.dtype)
    out[:len(array)] = array
    return out


@numba.njit(cache=True, nogil=True)
def _count(counts, ids):
    for i in ids:
        counts[i] += 1


@numba.njit(cache=True, nogil=True, inline="always")
def _slot(key, middle, mask):
    h = np.uint64(key) * np.uint64(0x9E3779B97F4A7C15) ^ np.uint64(middle)
    h ^= h >> np.uint64(29)
    return (h * np.uint64(0xBF58476D1CE4E5B9)) & mask


@numba.njit(cache=True, nogil=True)
def _probe(a, b, middle, table, n, out, insert):
    mask = np.uint64(len(table) - 1)
    for i in range(len(a)):
        if a[i] < 0 or b[i] < 0 or middle[i] < 0:
            out[i] = -1
            continue
        key = (np.int64(a[i]) << 32) | np.int64(b[i])
        slot = _slot(key, middle[i], mask)
        while True:
            k = table[slot, 0]
            if k < 0:
                out[i] = -1
                if insert:
                    table[slot, 0] = key
                    table[slot, 1] = (np.int64(middle[i]) << 32) | n
                    out[i] = n
                    n += 1
                break
            if k == key and (table[slot, 1] >> 32) == middle[i]:
                out[i] = table[slot, 1] & 0xFFFFFFFF
                break
            slot = (slot + np.uint64(1)) & mask
    return n


@numba.njit(cache=True, nogil=True)
def _rehash(old, table):
    """The entries of the table ``old`` into the empty, larger ``table``."""
    mask = np.uint64(len(table) - 1)
    for s in range(len(old)):
        if old[s, 0] < 0:
            continue
        slot = _slot(old[s, 0], old[s, 1] >> 32, mask)
        while table[slot, 0] >= 0:
            slot = (slot + np.uint64(1)) & mask
        table[slot, 0] = old[s, 0]
        table[slot, 1] = old[s, 1]


@numba.njit(cache=True, nogil=True)
def _ordered(table, n):
    keys = np.empty((n, 2), np.int64)
    for s in range(len(table)):
        if table[s, 0] >= 0:
            p = table[s, 1] & 0xFFFFFFFF
            keys[p, 0] = table[s, 0]
            keys[p, 1] = table[s, 1] >> 32
    return keys


@numba.njit(cache=True, nogil=True)
def _candidates(ids, offsets, connector):
    """Every candidate of the documents ``ids[offsets[d]:offsets[d + 1]]``: its words
    ``a`` and ``b``; the connector ids between, for those that have some
    (``has_middle``), concatenated into ``middle``, ending at ``ends``; the positions of
    its first and last words, and whether it is its document's first."""
    n = len(ids)
    a = np.empty(n, np.int32)
    b = np.empty(n, np.int32)
    middle = np.empty(n, np.int32)
    ends = np.empty(n, np.int64)
    has_middle = np.empty(n, np.int64)
    starts = np.empty(n, np.int64)
    stops = np.empty(n, np.int64)
    first = np.empty(n, np.bool_)
    k = m = used = 0
    for d in range(len(offsets) - 1):
        start = -1
        for t in range(offsets[d], offsets[d + 1]):
            w = ids[t]
            if w >= 0 and connector[w]:
                continue
            if start >= 0:
                a[k], b[k] = ids[start], w
                if t > start + 1:
                    size = t - start - 1
                    middle[used:used + size] = ids[start + 1:t]
                    used += size
                    ends[m] = used
                    has_middle[m] = k
                    m += 1
                starts[k], stops[k] = start, t
                first[k] = k == 0 or stops[k - 1] != start
                k += 1
            start = t
    return (a[:k], b[:k], middle[:used], ends[:m], has_middle[:m], starts[:k], stops[:k],
            first[:k])


@numba.njit(cache=True, nogil=True)
def _join(ids, offsets, starts, stops, first, slots, n_words):
    """Greedy left-to-right joining: a phrase candidate is joined unless the one before
    it in its document was (their shared word is taken)."""
    stop_at = np.full(len(ids), -1, np.int64)
    taken = False
    for i in range(len(starts)):
        if first[i]:
            taken = False
        taken = slots[i] >= 0 and not taken
        if taken:
            stop_at[starts[i]] = i
    out = np.empty(len(ids), np.int32)
    kept = np.empty(len(ids), np.int64)
    new_offsets = np.empty(len(offsets), np.int64)
    new_offsets[0] = 0
    k = 0
    for d in range(len(offsets) - 1):
        t = offsets[d]
        while t < offsets[d + 1]:
            i = stop_at[t]
            if i >= 0:
                out[k] = n_words + slots[i]
                kept[k] = -1
                t = stops[i] + 1
            else:
                out[k] = ids[t]
                kept[k] = t
                t += 1
            k += 1
        new_offsets[d + 1] = k
    return out[:k], new_offsets, kept[:k]


@numba.njit(cache=True, nogil=True)
def _scores(count_a, count_b, count_ab, len_vocab, n_tokens, min_count, npmi):
    """Every candidate's score, as gensim computes it (float64, in its order of operations);
    -inf where a count is 0 or ("npmi") the pair is rarer than ``min_count``."""
    out = np.empty(len(count_ab))
    for i in range(len(count_ab)):
        a, b, ab = count_a[i], count_b[i], count_ab[i]
        if a <= 0 or b <= 0 or ab <= 0:
            out[i] = -np.inf
        elif npmi:
            if ab < min_count:
                out[i] = -np.inf
            else:
                pab = ab / n_tokens
                out[i] = math.log(pab / ((a / n_tokens) * (b / n_tokens))) / -math.log(pab)
        else:
            out[i] = (ab - min_count) / (float(a) * float(b)) * len_vocab
    return out


def load_phrases(params, state):
    """The Phrases of a model file's ``params`` and ``state`` (``passes``,
    ``corpus_total_words``, ``arrays``: :func:`~skw2v._persist.read_model`'s); ValueError
    when they do not make one."""
    try:
        model = Phrases(**params)
        model._validate_params()
        model.passes_ = [_Pass.load(state["arrays"], f"pass{p}_", numbers)
                         for p, numbers in enumerate(state["passes"])]
        model.corpus_total_words_ = int(state["corpus_total_words"])
        if len(model.passes_) != model.passes:
            raise ValueError(f"passes={model.passes} but {len(model.passes_)} are stored")
        connectors = model._connectors()
    except (KeyError, TypeError, IndexError) as exc:
        raise ValueError(f"the Phrases state is incomplete ({type(exc).__name__}: {exc})"
                         ) from None
    for stage in model.passes_:
        stage.score(model.scoring, model.min_count, model.threshold, model.delimiter)
    for p, (stage, after) in enumerate(zip(model.passes_, model.passes_[1:])):
        stage.remap = after.words.lookup_utf8(*stage.pool_utf8(), insert=False)
        if (stage.remap < 0).any():
            raise ValueError(f"pass {p + 1} lacks words that pass {p} gives")
    if sorted(connectors) != sorted(model.passes_[0].words.words()[i] for i in
                                    np.flatnonzero(model.passes_[0].connector)):
        raise ValueError("the connector words stored differ from connector_words")
    model.phrases_ = {phrase: score for stage in model.passes_
                      for phrase, score in stage.phrases().items()}
    return model
