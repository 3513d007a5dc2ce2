"""Replicas: every worker keeps its own copy of the weights; only the frequent rows sync often.

The "parallel" strategy of :mod:`skw2v.dask`. Each of K workers holds a
:class:`Replica` (its weights, and every row's value at that row's last
sync) and trains its share of the corpus on it, round after round, at the
global schedule's rates. Between rounds the replicas sync a *tier* of rows:
the vocabulary is sorted by frequency, so the top rows are the frequent
words, which carry most updates and drift fastest. As in Intel's pWord2Vec
(Ji et al., arXiv 1604.04661), sync ``n`` covers the top
``SYNC_ROWS * 2**t`` rows, ``t`` the trailing zeros of ``n``: the top 1,024
every time, the top 2,048 every second time, ..., all rows every
``V / 1024``-th time; a sync then moves ~1,024 x (log2(V / 1024) / 2 + 1)
rows on average, whatever the vocabulary. The last sync of a fit covers all.

A sync is a reduce-scatter and an all-gather by row blocks: the tier is cut
into K blocks, block ``j`` owned by worker ``j``; every worker sends block
``j`` of its change since the rows' last sync to its owner, which merges the
K pieces with the merge rule of :mod:`~skw2v._engines.rounds`
(:func:`merge_pieces`) and sends the merged change back to every worker.
Each worker sends and receives ~2 x (K - 1) / K of the tier: no worker is a
hub, and the bytes do not grow with V beyond the tiers.

Round ``r``'s task applies the merged change of sync ``r - 1``
(:func:`apply_merged`), trains, and gives its pieces of sync ``r``
(:func:`give`); the owners merge them and round ``r + 1`` starts from the
result. The machinery allows a sync to be applied rounds later, merged
while the next round trains (:data:`LAG`), but stale syncs cost quality
from 8 workers on, so the default waits for each sync.

Rows outside a sync's tier go on drifting on each replica; the change they
bring to their next sync is longer, and the adaptive merge is told so: its
step for a row is the learning progress since the row's last sync
(``levels``), not one round's.

The functions take arrays and know nothing about dask. A replica is
trained in place: copying it every round would cost time and memory that grow
with V. That is safe in a chain of tasks because a replica has one reader
that writes, the next round's task; what others read of it (its pieces, its
tally) are copies taken before it moved on. A stamp shared by the replica's
arrays makes a stale read (a task run again on a replica that has moved on)
an error instead of a silent mix. A worker lost mid-fit takes its replica
with it, and the scheduler recomputes the chain from the starting weights.
"""

from typing import NamedTuple

import numpy as np

from .base import ChunkTally
from .rounds import merge_scale, train_on

SYNC_ROWS = 1024    # rows of the most frequent words synced every time (pWord2Vec's 1,024)
WIRE = np.uint16    # what travels in a sync: pieces and merged changes as bfloat16 (float32's
                    # top half: half the bytes, float32's range, converted by a shift, where
                    # numpy's float16 costs ~5x the sync's other work); np.float32: unrounded.
                    # The rounding of a replica's piece stays in its weights and goes with its next
TOUCH = 2.0 ** -6   # a piece of a row counts as a touch if it moves the row by more than this
                    # times the largest piece of the row: what a replica that left the row
                    # alone still sends (the bfloat16 rounding of its last piece) is not
LAG = 1             # a sync's merged change is applied by the round after the one that gave its
                    # pieces: no round trains on stale weights (measured: applying it a round
                    # later, to merge while the next round trains, cost 8 workers 3.8 analogy
                    # points in benchmarks/bench_rounds.py; 2 rounds later, 4.6)


class Replica(NamedTuple):
    """One worker's copy of the model, as of round ``rounds``."""

    weights: tuple     # (syn0, syn1neg) as trained on this worker
    synced: tuple      # (syn0, syn1neg): every row's value at its last sync (or ())
    tally: ChunkTally  # of the last round
    rounds: int        # rounds trained
    stamp: np.ndarray  # int64 [rounds the arrays hold], shared by every Replica of the chain
    pieces: tuple = ()  # per block of the last sync: this replica's change, per matrix
    given: tuple = ()   # (sync, pieces) of the syncs given and not yet applied


class Merged(NamedTuple):
    """A block of a sync, merged: the change of rows ``lo:hi`` of both matrices."""

    lo: int
    values: tuple      # (hi - lo, dim) per matrix, on the wire (float32 in final_rows' result)
    sync: int = 0      # the sync it belongs to


def start_replica(weights, sync=True):
    """A replica of ``(syn0, syn1neg)`` (copied): every row synced at these values
    (``sync=False``: a lone trainer's, without the synced copy)."""
    weights = tuple(np.array(w, copy=True) for w in weights)
    synced = tuple(w.copy() for w in weights) if sync else ()
    return Replica(weights, synced, ChunkTally(0, 0.0, 0, 0), 0, np.zeros(1, np.int64))


def current(replica):
    """``replica``, after checking its arrays still hold its round."""
    if replica.stamp[0] != replica.rounds:
        raise RuntimeError(
            f"This replica's arrays moved on to round {replica.stamp[0]} after round "
            f"{replica.rounds}: a task read it again after the next round trained on it.")
    return replica


def advanced(replica, tally):
    """The replica one round later (its arrays trained in place)."""
    replica.stamp[0] += 1
    return replica._replace(tally=tally, rounds=replica.rounds + 1)


def sync_rows(n, n_words, base=SYNC_ROWS):
    """Rows the ``n``-th sync covers (``n >= 1``): the top ``base * 2**t``, ``t`` = trailing
    zeros of ``n``, at most ``n_words``; ``n=None``: all (the fit's last sync)."""
    if n is None:
        return int(n_words)
    return int(min(base << ((n & -n).bit_length() - 1), n_words))


def sync_levels(n_rows, base=SYNC_ROWS):
    """Row ends of the tier levels a sync of ``n_rows`` rows covers: ``base, 2 base, 4 base,
    ...`` up to ``n_rows``. Level ``l`` (rows below its end, above the previous level's) is
    synced every ``2**l``-th time."""
    ends = [base]
    while ends[-1] < n_rows:
        ends.append(ends[-1] * 2)
    ends[-1] = n_rows
    return ends[:1] if n_rows <= base else ends


class SyncClock:
    """The rows every sync of a fit covers, and each tier level's progress since its last sync.

    ``tick(step)`` after every round (``step``: its
    :func:`~skw2v._engines.rounds.share_step`); ``sync()`` then gives the
    next sync's row count and its ``levels`` for :func:`merge_pieces`
    (``final=True``: all rows, the fit's last sync).
    """

    def __init__(self, n_words, base=SYNC_ROWS):
        self.n_words, self.base = int(n_words), base
        self.n = 0
        self.progress = 0.0
        self.last = {}   # level -> progress at its last sync

    def tick(self, step):
        self.progress += step

    def sync(self, final=False):
        self.n += 1
        n_rows = sync_rows(None if final else self.n, self.n_words, self.base)
        levels = []
        for level, end in enumerate(sync_levels(n_rows, self.base)):
            levels.append((end, self.progress - self.last.get(level, 0.0)))
            self.last[level] = self.progress
        return n_rows, levels


def block_bounds(n_rows, n_blocks):
    """Row boundaries of ``n_blocks`` near-equal blocks of rows ``0:n_rows`` (int64)."""
    return np.arange(n_blocks + 1, dtype=np.int64) * n_rows // n_blocks


def train_replica(replica, merged, sync, cuts, tables, parts, part_starts, word_lo, word_hi,
                  schedule, base, stride, *, window, negative, seed, n_threads):
    """The replica one round later (in place: ``replica`` is consumed).

    Applies ``merged`` (the blocks of the last sync; empty: none), trains the
    share's stream words ``word_lo:word_hi`` as
    :func:`~skw2v._engines.rounds.train_share` does (same arguments), then
    takes its pieces of sync number ``sync``, rows cut into blocks at
    ``cuts`` (None: no sync).
    """
    replica = apply_merged(current(replica), merged)
    tally = train_on(replica.weights, tables, parts, part_starts, word_lo, word_hi, schedule,
                     base, stride, window=window, negative=negative, seed=seed,
                     n_threads=n_threads)
    return give(advanced(replica, tally), sync, cuts)


def close_replica(replica, merged, sync, cuts):
    """The replica after the fit's last round: every sync in ``merged`` (a list of lists of
    blocks) applied and the pieces of sync ``sync`` (every row, cut at ``cuts``) taken;
    nothing trained (in place)."""
    replica = current(replica)
    for blocks in merged:
        replica = apply_merged(replica, blocks)
    return advanced(give(replica, sync, cuts, wire=np.float32), ChunkTally(0, 0.0, 0, 0))


def apply_merged(replica, merged):
    """The replica with the merged blocks of one of the syncs it gave applied, in place.

    Weights and synced values both move by the merged change less this
    replica's own piece of it (which :func:`give` already counted as
    synced): what the replica trained since it gave its pieces is kept.
    """
    if not merged:
        return replica
    given = dict(replica.given)
    for block, own in zip(merged, given.pop(merged[0].sync)):
        for w, s, change, mine in zip(replica.weights, replica.synced, block.values, own):
            rows = slice(block.lo, block.lo + len(change))
            step = from_wire(change) - from_wire(mine)
            _add(s[rows], step)
            _add(w[rows], step)
    return replica._replace(given=tuple(given.items()))


def give(replica, sync, cuts, wire=WIRE):
    """The replica with its pieces of sync ``sync`` taken (rows cut at ``cuts``; None: no
    sync this round, no pieces), in place; ``wire``: their dtype (the fit's last sync
    sends float32: nothing is rounded after it).

    What a replica gives counts as synced at once (its synced values move by
    its pieces, as rounded to :data:`WIRE`): the next sync, taken before this
    one's merged change comes back, gives only what was trained since, and
    the rounding, which stays in the weights.
    """
    if cuts is None:
        return replica._replace(pieces=())
    pieces = take_pieces(replica, cuts, wire)
    for (lo, hi), piece in zip(zip(cuts[:-1], cuts[1:]), pieces):
        for s, mine in zip(replica.synced, piece):
            _add(s[lo:hi], from_wire(mine))
    return replica._replace(pieces=pieces, given=replica.given + ((sync, pieces),))


def take_pieces(replica, cuts, wire=WIRE):
    """The replica's change since their last sync of rows ``cuts[j]:cuts[j + 1]`` for every
    block ``j``, per matrix (copies, as ``wire``: :func:`to_wire`)."""
    return tuple(tuple(to_wire(w[lo:hi] - s[lo:hi], wire)
                       for w, s in zip(replica.weights, replica.synced))
                 for lo, hi in zip(cuts[:-1], cuts[1:]))


def _add(target, change):
    """``target += change`` (in place) where ``change`` is not zero: rows no replica changed
    (locked rows, say) keep their bits, -0.0 included."""
    np.add(target, change, out=target, where=change != 0)
    return target


def to_wire(values, wire=WIRE):
    """float32 ``values`` as they travel: ``np.uint16`` holds bfloat16 (rounded to nearest,
    ties to even), ``np.float32`` leaves them as they are."""
    if wire == np.float32:
        return values.astype(np.float32, copy=False)
    bits = np.ascontiguousarray(values, np.float32).view(np.uint32)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


def from_wire(values):
    """float32 of what :func:`to_wire` gave."""
    if values.dtype == np.float32:
        return values
    return (values.astype(np.uint32) << 16).view(np.float32)


def merge_pieces(pieces, lo, rule, updates, levels, sync=0):
    """One block of a sync: the K workers' changes of rows ``lo:lo + n`` merged by ``rule``.

    Parameters
    ----------
    pieces : list of tuple
        Every replica's piece of the block (:func:`take_pieces`). A row counts
        as touched by the pieces that move it by more than :data:`TOUCH` times
        the largest of them.
    lo : int
        The block's first row.
    rule : {"adaptive", "capped", "sum", "mean"}
        :func:`~skw2v._engines.rounds.merge_scale`.
    updates : (ndarray, ndarray)
        Expected updates of every row per corpus word, per matrix
        (:func:`~skw2v._engines.rounds.row_updates`).
    levels : sequence of (row_end, step)
        Per tier level: its last row (exclusive) and the learning progress of
        one share since the level's last sync (the sum over the rounds since
        of :func:`~skw2v._engines.rounds.share_step`).
    sync : int
        The sync's number.
    """
    n = len(pieces[0][0])
    rows = np.arange(lo, lo + n)
    ends, steps = (np.asarray(column, np.float64) for column in zip(*levels))
    step = steps[np.searchsorted(ends, rows, side="right")]
    merged = []
    for m in range(len(pieces[0])):
        values = [from_wire(piece[m]) for piece in pieces]
        sizes = np.stack([np.abs(v).max(axis=1, initial=0) for v in values])
        touched = (sizes > TOUCH * sizes.max(axis=0)).sum(axis=0)
        scale = merge_scale(rule, touched, updates[m][lo:lo + n] * step).astype(np.float32)
        total = np.zeros(values[0].shape, np.float32)
        for v in values:
            total += v * scale[:, None]
        merged.append(to_wire(total, pieces[0][m].dtype))
    return Merged(int(lo), tuple(merged), sync)


def final_rows(replica, block, j):
    """Rows of ``block``, block ``j`` of the fit's last sync (which the replica gave last and
    which covers every row), after that sync: ``Merged(lo, (syn0 rows, syn1neg rows))``."""
    replica = current(replica)
    hi = block.lo + len(block.values[0])
    rows = []
    for s, mine, change in zip(replica.synced, replica.pieces[j], block.values):
        out = s[block.lo:hi].copy()
        rows.append(_add(out, from_wire(change) - from_wire(mine)))
    return Merged(block.lo, tuple(rows), block.sync)


def checksum(replica):
    """The float64 sum of the replica's weights: finite if and only if every weight is."""
    replica = current(replica)
    with np.errstate(invalid="ignore", over="ignore"):
        return float(sum(np.sum(w, dtype=np.float64) for w in replica.weights))
