"""The round trainer: the engine interface over a dask.distributed cluster.

One more implementation of :mod:`skw2v._engines.base`, driven by the same
:func:`~skw2v._training.run_epochs` as the local engines. The corpus is a
:class:`ClusterCorpus`: encoded partitions that stay on the workers that
encoded them. The partitions are dealt into K shares by their sizes alone
(:func:`~skw2v._engines.rounds.plan_shares`), one share per worker, each
encoded on its worker. Every epoch is cut into rounds, short while the
learning rate is high or of ``words_per_round`` words
(:func:`~skw2v._engines.rounds.epoch_bounds`).
A round is K ``train_share`` tasks, each on the worker holding its share,
from the same weights, and one ``merge_round`` task; the merged weights stay
on the cluster and feed the next round, so only the changed rows of each
share and the weights for the next round travel, never through the client.

Every task is pure: the weights of round r are a function of round r-1's
and the shares, so a worker lost mid-fit costs recomputation, not the model.
After each epoch the weights are copied to the host matrices (the finiteness
check, and the model the fit installs).
"""

from typing import NamedTuple

import numpy as np

from .._engines import ChunkTally, Engine
from .._engines.rounds import epoch_bounds, round_strides, share_step
from . import _tasks


class ClusterCorpus(NamedTuple):
    """An encoded corpus as futures of its partitions, in corpus order."""

    parts: list          # futures of EncodedCorpus
    docs: np.ndarray     # int64 documents per part
    words: np.ndarray    # int64 words per part
    share: np.ndarray    # int64 share of each part
    workers: list        # address of the worker that trains each share

    @property
    def n_words(self):
        return int(self.words.sum())

    @property
    def n_docs(self):
        return int(self.docs.sum())


class _Share(NamedTuple):
    worker: str
    parts: list          # futures
    starts: np.ndarray   # each part's first word in the share's stream
    words: int


def shares_of(corpus):
    """The shares that have parts: each its parts in corpus order, and its worker."""
    shares = []
    for k, worker in enumerate(corpus.workers):
        idx = np.flatnonzero(corpus.share == k)
        if len(idx):
            words = corpus.words[idx]
            shares.append(_Share(worker, [corpus.parts[i] for i in idx],
                                 np.concatenate([[0], np.cumsum(words)[:-1]]).astype(np.int64),
                                 int(words.sum())))
    return shares


class DaskRoundEngine(Engine):
    """Trains on a cluster in rounds of per-worker hogwild shares, merged on the cluster.

    Parameters
    ----------
    corpus : ClusterCorpus
    tables : Future of TrainingTables
        Computed on the cluster (the client never needs them). Input rows of
        its ``locked`` words stay bit-identical: no share writes them, so no
        delta holds them and the merge leaves them as they were.
    syn0, syn1neg : float32 (n_words, dim) host matrices
        Receive the weights after every epoch. Their values at construction
        are the starting weights with ``start="host"``; by default the
        starting weights are drawn on the cluster instead.
    window, negative : int
    random_state : RandomState
        Seeds the initial weights and every share of every round.
    client : distributed.Client
    words_per_round : int or "auto"
        Words the largest share trains per round (every share is cut into
        the same number of rounds); "auto": rounds that lengthen as the
        learning rate decays (:func:`~skw2v._engines.rounds.rate_scaled_cuts`).
    merge : str
        The merge rule (:func:`~skw2v._engines.rounds.merge_scale`).
    updates : Future of (ndarray, ndarray)
        Expected updates of every row per corpus word (:func:`_tasks.merge_updates`).
    n_jobs : int or None
        Hogwild threads per worker (-1: the worker's threads).
    start : {"draw", "host"}
        "draw": the starting weights are drawn on the cluster from a seed of
        ``random_state`` (:func:`_tasks.initial_weights`; nothing travels).
        "host": they are the host ``syn0`` / ``syn1neg`` as given (e.g. with
        pretrained rows), sent as a task's arguments so that they stay
        recomputable. The seed is drawn either way (the later draws match).
    """

    def __init__(self, corpus, tables, syn0, syn1neg, *, window, negative, random_state,
                 client, words_per_round, merge, updates, n_jobs, start="draw"):
        super().__init__(corpus, tables, syn0, syn1neg, window=window, negative=negative,
                         random_state=random_state)
        self.client = client
        self.merge, self.updates = merge, updates
        self.n_jobs = n_jobs
        self.shares = shares_of(corpus)
        self.words_per_round = words_per_round
        seed = int(random_state.randint(2**32, dtype=np.uint64))
        if start == "host":
            self.weights_future = client.submit(_tasks.given_weights, syn0.copy(), syn1neg.copy(),
                                                pure=False)
        elif start == "draw":
            self.weights_future = client.submit(_tasks.initial_weights, *syn0.shape, seed)
        else:
            raise ValueError(f"start must be 'draw' or 'host', got {start!r}")

    @property
    def n_docs(self):
        return self.corpus.n_docs

    def train(self, epoch, doc_lo, doc_hi, schedule, report):
        """Train a whole epoch (``doc_lo=0, doc_hi=n_docs``) in rounds."""
        if (doc_lo, doc_hi) != (0, self.n_docs):
            raise ValueError("the round trainer trains whole epochs only")
        base = schedule.position(epoch, 0)
        bounds = self.epoch_bounds(schedule, epoch)
        for r in range(bounds.shape[1] - 1):
            base += self._round(bounds[:, r], bounds[:, r + 1], schedule, base, report)
        self.syn0[...], self.syn1neg[...] = self.weights_future.result()

    def epoch_bounds(self, schedule, epoch):
        """Word boundaries of every share's rounds in ``epoch``: ``(n_shares, rounds + 1)``."""
        return epoch_bounds(schedule, epoch, [s.words for s in self.shares],
                            self.words_per_round)

    def _round(self, lo, hi, schedule, base, report):
        """Submit one round, wait for its shares' tallies; return the words it covers."""
        sizes = hi - lo
        strides = round_strides(sizes)
        seeds = self.random_state.randint(2**32, size=len(self.shares), dtype=np.uint64)
        deltas = [
            self.client.submit(
                _tasks.train_round_share, self.weights_future, self.tables, share.parts, share.starts,
                int(lo[k]), int(hi[k]), schedule, base, float(strides[k]),
                window=self.window, negative=self.negative, seed=int(seeds[k]),
                n_jobs=self.n_jobs, workers=[share.worker], allow_other_workers=True)
            for k, share in enumerate(self.shares) if sizes[k] > 0]
        self.weights_future = self.client.submit(_tasks.merge_round, self.weights_future, deltas,
                                                 self.merge, self.updates,
                                                 share_step(schedule, base, sizes))
        for tally in self.client.gather(self.client.map(_tasks.round_tally, deltas)):
            report(ChunkTally(*tally))
        return int(sizes.sum())
