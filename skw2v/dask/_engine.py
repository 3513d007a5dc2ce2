"""The cluster trainers: the engine interface over a dask.distributed cluster.

Two more implementations of :mod:`skw2v._engines.base`, driven by the same
:func:`~skw2v._training.run_epochs` as the local engines. The corpus is a
:class:`ClusterCorpus`: encoded partitions that stay on the workers that
encoded them, dealt into one share per worker by their sizes alone
(:func:`~skw2v._engines.rounds.plan_shares`).

* :class:`DaskReplicaEngine` ("parallel"): every worker keeps a replica of
  the weights (:mod:`~skw2v._engines.replicas`) and trains its share in
  rounds (:func:`~skw2v._engines.rounds.epoch_bounds`); between rounds the
  replicas sync a tier of frequent rows by row blocks, each block merged on
  the worker that owns it. A replica is a chain of pure tasks on its worker:
  only the synced rows travel, never the whole model, and a lost worker's
  replica is recomputed from its inputs.
* :class:`DaskSingleEngine` ("single"): one worker (the one whose machine
  has most threads) trains the whole corpus with every thread of its
  machine, one pure task an epoch; the others only read, tokenize, count and
  encode (4 bytes a token travel to the trainer).

A whole epoch is submitted at once (nothing in it depends on the client), so
rounds follow each other on the cluster without a round trip through the
client; the client receives each round's tally (a few numbers), one
checksum per replica an epoch, and the weights once, at the end.
"""

from typing import NamedTuple

import numpy as np

from .._engines import ChunkTally, Engine
from .._engines.replicas import LAG, SYNC_ROWS, SyncClock, block_bounds
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


class _ClusterEngine(Engine):
    """What both cluster trainers share: starting weights, per-epoch checks, the result."""

    def __init__(self, corpus, tables, syn0, syn1neg, *, window, negative, random_state,
                 client, n_jobs, start):
        super().__init__(corpus, tables, syn0, syn1neg, window=window, negative=negative,
                         random_state=random_state)
        if start not in ("draw", "host"):
            raise ValueError(f"start must be 'draw' or 'host', got {start!r}")
        self.client = client
        self.n_jobs = n_jobs
        self.start = start
        self.seed = int(random_state.randint(2**32, dtype=np.uint64))
        self.checks = np.zeros(1)
        # "host": the starting weights, sent once as a task's arguments (recomputable)
        self.given = (client.submit(_tasks.given_weights, syn0.copy(), syn1neg.copy(),
                                    pure=False) if start == "host" else None)

    @property
    def n_docs(self):
        return self.corpus.n_docs

    def _start(self, share, worker, sync=True):
        """A future of share ``share``'s replica of the starting weights, on ``worker``: drawn
        there from the seed (nothing travels), or the host matrices as given (``start="host"``,
        sent once as a task's arguments, so that they stay recomputable)."""
        pin = dict(workers=[worker], allow_other_workers=True)
        if self.start == "draw":
            return self.client.submit(_tasks.draw_replica, *self.syn0.shape, self.seed, share,
                                      sync, **pin)
        return self.client.submit(_tasks.start_replica, self.given, share, sync, **pin)

    def _check_whole_epoch(self, doc_lo, doc_hi):
        if (doc_lo, doc_hi) != (0, self.n_docs):
            raise ValueError("the cluster trainers train whole epochs only")

    def weights(self):
        """Per replica the float64 sum of its weights: finite if and only if they all are
        (the epoch's divergence check, without moving the weights)."""
        return (self.checks,)


class DaskReplicaEngine(_ClusterEngine):
    """Every worker trains its share on its own replica; tiers of frequent rows sync by blocks.

    Parameters
    ----------
    corpus : ClusterCorpus
    tables : Future of TrainingTables
        Computed on the cluster (the client never needs them). Input rows of
        its ``locked`` words stay bit-identical: no replica writes them, so
        their change is zero and the merge leaves them as they were.
    syn0, syn1neg : float32 (n_words, dim) host matrices
        Receive the weights at the end of the fit. Their values at
        construction are the starting weights with ``start="host"``.
    window, negative : int
    random_state : RandomState
        Seeds the initial weights and every share of every round.
    client : distributed.Client
    words_per_round : int or "auto"
        Words the largest share trains between two syncs
        (:func:`~skw2v._engines.rounds.epoch_bounds`).
    merge : str
        The merge rule (:func:`~skw2v._engines.rounds.merge_scale`).
    updates : Future of (ndarray, ndarray)
        Expected updates of every row per corpus word (:func:`_tasks.merge_updates`).
    n_jobs : int or None
        Hogwild threads per worker (-1: the worker's threads).
    start : {"draw", "host"}
        "draw": every worker draws the starting weights from a seed of
        ``random_state`` (nothing travels). "host": they are the host
        ``syn0`` / ``syn1neg`` as given (e.g. with pretrained rows), sent as
        a task's arguments so that they stay recomputable.
    sync_rows : int
        Rows of the most frequent words every sync covers
        (:data:`~skw2v._engines.replicas.SYNC_ROWS`).
    """

    def __init__(self, corpus, tables, syn0, syn1neg, *, window, negative, random_state,
                 client, words_per_round, merge, updates, n_jobs, start="draw",
                 sync_rows=SYNC_ROWS):
        super().__init__(corpus, tables, syn0, syn1neg, window=window, negative=negative,
                         random_state=random_state, client=client, n_jobs=n_jobs, start=start)
        self.merge, self.updates = merge, updates
        self.shares = shares_of(corpus)
        self.words_per_round = words_per_round
        self.clock = SyncClock(len(syn0), sync_rows)
        self.replicas = [self._start(k, s.worker) for k, s in enumerate(self.shares)]
        self.merged = []     # per sync not yet applied, the futures of its merged blocks
        self.checks = np.zeros(len(self.shares))

    def train(self, epoch, doc_lo, doc_hi, schedule, report):
        """Train a whole epoch (``doc_lo=0, doc_hi=n_docs``) in rounds."""
        self._check_whole_epoch(doc_lo, doc_hi)
        base = schedule.position(epoch, 0)
        bounds = self.epoch_bounds(schedule, epoch)
        tallies = []
        for r in range(bounds.shape[1] - 1):
            lo, hi = bounds[:, r], bounds[:, r + 1]
            self.clock.tick(share_step(schedule, base, hi - lo))  # the sync of this round's
            tallies.append(self._round(lo, hi, schedule, base))   # pieces counts its progress
            base += int((hi - lo).sum())
        for round_tallies in tallies:  # in order: the loss sums are the same every run
            for tally in self.client.gather(round_tallies):
                report(ChunkTally(*tally))
        self.checks = np.array(self.client.gather(self.client.map(_tasks.checksum,
                                                                  self.replicas)))

    def epoch_bounds(self, schedule, epoch):
        """Word boundaries of every share's rounds in ``epoch``: ``(n_shares, rounds + 1)``."""
        return epoch_bounds(schedule, epoch, [s.words for s in self.shares],
                            self.words_per_round)

    def _round(self, lo, hi, schedule, base):
        """Submit one round on every replica; return the futures of its tallies.

        Round r applies sync r - ``LAG`` (if merged by then), trains and gives
        its pieces of sync r, which its owners then merge.
        """
        sync = self._next_sync() if len(self.shares) > 1 else (None, None, None)
        apply = self.merged.pop(0) if len(self.merged) == LAG else []
        strides = round_strides(hi - lo)
        seeds = self.random_state.randint(2**32, size=len(self.shares), dtype=np.uint64)
        self.replicas = [
            self.client.submit(
                _tasks.train_replica, replica, apply, sync[0], sync[1], self.tables,
                share.parts, share.starts, int(lo[k]), int(hi[k]), schedule, base,
                float(strides[k]), window=self.window, negative=self.negative,
                seed=int(seeds[k]), n_jobs=self.n_jobs, workers=[share.worker],
                allow_other_workers=True)
            for k, (share, replica) in enumerate(zip(self.shares, self.replicas))]
        if sync[0] is not None:
            self.merged.append(self._merge(*sync))
        return self.client.map(_tasks.replica_tally, self.replicas)

    def _next_sync(self, final=False):
        """``(n, cuts, levels)`` of the next sync: its number, its row blocks, the progress
        of its levels."""
        n_rows, levels = self.clock.sync(final)
        return self.clock.n, block_bounds(n_rows, len(self.shares)).tolist(), levels

    def _merge(self, n, cuts, levels):
        """Futures of the sync's merged blocks from the replicas' pieces, block ``j`` merged
        on worker ``j``."""
        merged = []
        for j, owner in enumerate(self.shares):
            pieces = [replica if k == j else self.client.submit(
                _tasks.piece, replica, j, workers=[share.worker], allow_other_workers=True)
                for k, (share, replica) in enumerate(zip(self.shares, self.replicas))]
            merged.append(self.client.submit(
                _tasks.merge_pieces, pieces, j, cuts[j], self.merge, self.updates, levels, n,
                workers=[owner.worker], allow_other_workers=True))
        return merged

    def futures(self):
        """What the engine holds on the cluster (to release when the fit ends)."""
        return ([f for f in [self.given] if f is not None] + list(self.replicas)
                + [f for blocks in self.merged for f in blocks])

    def finalize(self):
        """The host matrices: the last sync, over every row, each block from its owner."""
        if len(self.shares) == 1:
            blocks = [self.client.submit(_tasks.replica_weights, self.replicas[0])]
        else:
            n, cuts, levels = self._next_sync(final=True)
            self.replicas = [self.client.submit(_tasks.close_replica, replica, self.merged, n,
                                                cuts, workers=[share.worker],
                                                allow_other_workers=True)
                             for share, replica in zip(self.shares, self.replicas)]
            self.merged = [self._merge(n, cuts, levels)]
            blocks = [self.client.submit(_tasks.final_block, replica, block, j,
                                         workers=[share.worker], allow_other_workers=True)
                      for j, (share, replica, block) in enumerate(zip(
                          self.shares, self.replicas, self.merged[0]))]
        for block in self.client.gather(blocks):
            for host, values in zip((self.syn0, self.syn1neg), block.values):
                host[block.lo:block.lo + len(values)] = values


class DaskSingleEngine(_ClusterEngine):
    """One worker trains the whole corpus with its threads; the others fed it encoded text.

    Parameters
    ----------
    corpus, tables, syn0, syn1neg, window, negative, random_state, client, n_jobs, start
        As in :class:`DaskReplicaEngine`.
    trainer : str
        The address of the worker that trains.
    n_threads : int
        Its training threads (the hogwild engine's; every thread of its machine by
        default: the other workers there are idle while it trains).
    device : str
        "cpu" (the hogwild engine on the trainer's threads) or a GPU device
        of the trainer's ("gpu", "cuda:N": the CUDA hogwild engine).
    """

    def __init__(self, corpus, tables, syn0, syn1neg, *, window, negative, random_state,
                 client, n_jobs, trainer, n_threads, start="draw", device="cpu"):
        super().__init__(corpus, tables, syn0, syn1neg, window=window, negative=negative,
                         random_state=random_state, client=client, n_jobs=n_jobs, start=start)
        self.trainer, self.n_threads, self.device = trainer, n_threads, device
        pin = dict(workers=[trainer], allow_other_workers=True)
        self.joined = client.submit(_tasks.join_parts, corpus.parts, **pin)
        self.state = self._start(0, trainer, sync=False)

    def train(self, epoch, doc_lo, doc_hi, schedule, report):
        """Train a whole epoch (``doc_lo=0, doc_hi=n_docs``) on the trainer."""
        self._check_whole_epoch(doc_lo, doc_hi)
        seed = int(self.random_state.randint(2**32, dtype=np.uint64))
        self.state = self.client.submit(
            _tasks.train_epoch, self.state, self.tables, self.joined, schedule, epoch,
            window=self.window, negative=self.negative, seed=seed, n_threads=self.n_threads,
            device=self.device, workers=[self.trainer], allow_other_workers=self.device == "cpu")
        report(ChunkTally(*self.client.submit(_tasks.replica_tally, self.state).result()))
        self.checks = np.array([self.client.submit(_tasks.checksum, self.state).result()])

    def futures(self):
        """What the engine holds on the cluster (to release when the fit ends)."""
        return [f for f in [self.given, self.joined, self.state] if f is not None]

    def finalize(self):
        """The host matrices: the trainer's weights."""
        block = self.client.submit(_tasks.replica_weights, self.state).result()
        self.syn0[...], self.syn1neg[...] = block.values
