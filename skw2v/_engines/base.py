"""The engine interface: what every training engine implements.

An engine owns the two weight matrices while training and knows how to run
word2vec's update on some hardware. It does not know about epochs as a
loop, progress bars, logging, callbacks or divergence checks: those belong
to :func:`skw2v._training.run_epochs`, which drives every engine the same way.

Contract
--------
``Engine(corpus, tables, syn0, syn1neg, *, window, negative, random_state, ...)``
    ``corpus`` is an :class:`~skw2v._corpus.EncodedCorpus` (flat int32 ids +
    int64 document offsets), ``tables`` the :class:`TrainingTables` of the
    vocabulary (its ``locked`` words' rows of ``syn0`` are never written:
    they end bit-identical), ``syn0`` / ``syn1neg`` the host float32 (n_words, dim) input
    and output weights, trained in place (an engine on another device copies
    them there and back in :meth:`~Engine.finalize`). Engine-specific options
    follow as keywords.
``engine.train(epoch, doc_lo, doc_hi, schedule, report)``
    Train documents ``doc_lo:doc_hi`` (the words between their offsets) of
    epoch ``epoch``. The learning rate of corpus word ``w`` is
    ``schedule.alpha_at(schedule.position(epoch, w))`` — engines evaluate
    :func:`~skw2v._schedule.linear_alpha` at global word positions and
    nowhere else decide a rate. After each piece of work (a chunk, a block,
    a kernel launch) the engine calls ``report(ChunkTally(...))``; summing
    the tallies is the caller's job. Random draws come from the engine's
    ``random_state``: consumed once per call, or (counter-based engines such
    as the GPU's) once at construction for a seed from which every draw is
    a function of the word's global position.
``engine.weights()``
    ``(syn0, syn1neg)`` as the engine holds them (device arrays on a GPU);
    checked for finiteness after every epoch.
``engine.finalize()``
    Make the host ``syn0`` / ``syn1neg`` hold the trained weights (a no-op
    for engines that train the host arrays in place).

The hogwild CPU engine (:mod:`.hogwild`), the GPU hogwild engine
(:mod:`.cuda`), the minibatch engine (:mod:`.minibatch`) and the Dask round
trainer (``skw2v.dask._engine``, on :mod:`.rounds`) implement it.
"""

import contextlib
from typing import NamedTuple

import numpy as np

from .._device import to_numpy
from .._idstore import searchsorted, take


class TrainingTables(NamedTuple):
    """Per-word tables every engine samples from.

    ``locked`` marks the words whose input vector (row of ``syn0``) training
    must leave exactly as it is (gensim's ``lockf``): every engine skips
    their rows when it writes ``syn0``, so they stay bit-identical, while
    their output rows (``syn1neg``) and every other row train as usual.
    ``None`` locks nothing; engines read it through :func:`locked_rows`.
    """

    keep_prob: np.ndarray   # float32 (n_words,): subsampling keep-probability
    prob: np.ndarray        # float32 (n_words,): alias-table acceptance probability
    alias: np.ndarray       # int32 (n_words,): alias-table fallback word
    locked: np.ndarray = None  # uint8 (n_words,): 1 = this word's syn0 row is frozen; None: none


def locked_rows(tables, n_words):
    """``tables.locked`` as the uint8 C-contiguous (n_words,) array kernels take (zeros for None).

    Always an array of one dtype and layout, so that each numba kernel keeps
    one compiled version whether or not anything is locked.
    """
    if tables.locked is None:
        return np.zeros(n_words, np.uint8)
    locked = np.ascontiguousarray(to_numpy(tables.locked))
    if locked.shape != (n_words,):
        raise ValueError(f"TrainingTables.locked has shape {locked.shape}; expected ({n_words},)")
    if locked.dtype != np.uint8:
        locked = (locked != 0).astype(np.uint8)
    return locked


class ChunkTally(NamedTuple):
    """What one piece of an engine's work did; summed by the training loop."""

    words: int              # corpus words covered (before subsampling)
    loss: float             # float64 sum of the cross-entropy over ``examples`` targets
    examples: int           # targets that had at least one context word
    effective_words: int    # words left after subsampling


class Engine:
    """Base class of the training engines (see the module docstring for the contract)."""

    def __init__(self, corpus, tables, syn0, syn1neg, *, window, negative, random_state):
        self.corpus = corpus
        self.tables = tables
        self.syn0, self.syn1neg = syn0, syn1neg
        self.window, self.negative = window, negative
        self.random_state = random_state

    @property
    def n_docs(self):
        return len(self.corpus.offsets) - 1

    def train(self, epoch, doc_lo, doc_hi, schedule, report):
        raise NotImplementedError

    def weights(self):
        return self.syn0, self.syn1neg

    def finalize(self):
        """Nothing to do: the host matrices were trained in place."""


def plan_chunks(offsets, chunk_words, doc_lo=0, doc_hi=None):
    """Boundaries cutting documents ``doc_lo:doc_hi`` into chunks of ~``chunk_words`` words.

    Returns ``(bounds, words)``: document indices and the offsets at them
    (``offsets`` may be a DiskArray; it is then read by blocks, not whole).
    """
    doc_hi = len(offsets) - 1 if doc_hi is None else doc_hi
    marks = np.arange(offsets[doc_lo], offsets[doc_hi], max(int(chunk_words), 1))
    bounds = searchsorted(offsets, marks, start=doc_lo, stop=doc_hi + 1)
    bounds = np.unique(np.concatenate([[doc_lo], bounds, [doc_hi]]))
    return bounds, take(offsets, bounds)


@contextlib.contextmanager
def memory_hint(message):
    """Re-raise running out of device memory (CuPy's error is a MemoryError) with ``message``."""
    try:
        yield
    except MemoryError as err:
        raise MemoryError(message) from err


def copy_to_host(hosts, devices):
    """Copy trained device arrays into the host arrays they stand for (skipping host arrays)."""
    for host, dev in zip(hosts, devices):
        if dev is not host:
            host[...] = to_numpy(dev)
