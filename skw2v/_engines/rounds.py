"""Rounds: shares of a corpus trained side by side from the same weights, then merged.

The distributed trainer (:mod:`skw2v.dask`) runs word2vec in rounds. In a
round each of K workers trains its next share of its own documents with the
hogwild CPU engine, all starting from the same weights, at the rates the
global schedule has where the round sits in the corpus
(:meth:`~skw2v._schedule.Schedule.share`). What a share changed comes back as
a :class:`Delta` of the rows it touched, and :func:`merge_deltas` adds the
deltas to the weights, each row's scaled by :func:`merge_scale`.

The sum of the deltas is word2vec's hogwild update applied K shares at a
time: right for rows a round moves a little, but it over-steps the rows
every share moves far (frequent words, and the output rows every negative
draws) and diverges from K=4 on unless rounds are tiny. The mean divides each
share's progress by ~K. The "adaptive" rule (the default) scales each row
between the two by how far one share's round is expected to move it, from
its word's frequency and the learning rate; "capped" (``min(1, 2 / n)``) is
the rule measured first (``shared/DISTRIBUTED.md``). Measured side by side in
``benchmarks/bench_dask.py`` (RESULTS.md).

The functions here take and return arrays and know nothing about dask, so
they are tested (and could be driven) without a cluster.
"""

from typing import NamedTuple

import numpy as np

from .base import ChunkTally
from .hogwild import HogwildEngine

MERGE_RULES = ("adaptive", "capped", "sum", "mean")
CAP = 2.0       # "capped": min(1, CAP / n), the prototype's rule (shared/DISTRIBUTED.md);
                # "adaptive" sums rows changed by up to CAP shares too
DRIFT_WORDS = 64_000  # "auto" rounds: words a worker trains per round at the starting rate
                      # with 2 workers; divided by (K - 1)^(5/3) for K (measured on gcide with
                      # benchmarks/bench_rounds.py, checked with bench_dask.py: 2 workers 64k,
                      # 4 workers 10k)
LONGEST_ROUND = 0.25  # "auto" rounds: at most a quarter of an epoch
MAX_ROUNDS = 256      # "auto" rounds: at least 1/256 of an epoch, so a large corpus is not cut
                      # into millions of rounds (pWord2Vec syncs ~30 times an epoch at scale)
STEP = 0.1      # "adaptive": fraction of the way to its optimum one update at rate 1 moves a
                # row (times the rate); measured, benchmarks/bench_dask.py --merge


class Delta(NamedTuple):
    """What one share changed: per weight matrix, the rows and their change."""

    rows: tuple     # (int64 rows of syn0, int64 rows of syn1neg)
    values: tuple   # float32 (len(rows[m]), dim) changes, same order
    tally: ChunkTally


def plan_shares(part_words, n_shares):
    """The share of every part: parts dealt in corpus order, each to the lightest share.

    Depends on the parts' sizes alone (not on where a cluster put them), so
    a fit is the same whichever workers read which partitions. Parts of
    equal size are dealt round-robin: in a round every share trains the
    same region of the corpus, as one machine would at that point of its
    schedule. Returns int64 share indices (shares without parts are left
    out: the lightest share is the first unused one before any part lands
    there, so the shares used are always ``0 .. m-1``).
    """
    load = np.zeros(max(int(n_shares), 1), np.int64)
    share = np.empty(len(part_words), np.int64)
    for i, words in enumerate(part_words):
        share[i] = k = int(np.argmin(load))
        load[k] += words
    return share


def plan_rounds(share_words, n_rounds):
    """Word boundaries of every share's rounds: int64 ``(n_shares, n_rounds + 1)``.

    Share ``k`` trains its words ``bounds[k, r]:bounds[k, r + 1]`` in round
    ``r``: every share is cut into the same number of rounds, so shares of
    unequal size finish an epoch together.
    """
    share_words = np.asarray(share_words, np.int64)
    return share_words[:, None] * np.arange(n_rounds + 1) // n_rounds


def auto_round_words(n_shares):
    """Words a share trains per round at the starting rate, for ``n_shares`` shares.

    Between merges the shares drift apart: more with more shares and with
    longer rounds. Measured (RESULTS.md): 2 shares keep one machine's
    quality at 64k words a round, 4 shares need ~10k.
    """
    if n_shares < 2:  # nothing to drift from: rounds only report progress
        return np.inf
    return DRIFT_WORDS / (n_shares - 1) ** (5 / 3)


def rate_scaled_cuts(schedule, epoch, n_shares, share_words):
    """Where an epoch's rounds end (fractions of the epoch, from 0 to 1), for "auto" rounds.

    A round moves the weights by about its words times the learning rate,
    so rounds are short while the rate is high (the first epoch, where the
    vectors take their shape) and lengthen as it decays: each holds
    ``share_words * alpha / rate`` words a share, at most
    :data:`LONGEST_ROUND` of the epoch and at least ``1 / MAX_ROUNDS`` of it
    (on a corpus of billions of words, the drift-sized rounds would take
    milliseconds each: the syncs would cost more than the training). Same number of merges early as
    rounds of ``share_words`` throughout, half as many in all.
    """
    epoch_words = schedule.words_per_epoch
    cuts = [0.0]
    while cuts[-1] < 1.0:
        done = cuts[-1]
        # alpha_at never goes below min_alpha; 1e-12 guards min_alpha=0
        rate = max(schedule.alpha_at(schedule.position(epoch, done * epoch_words)), 1e-12)
        step = min(max(share_words * n_shares / epoch_words * schedule.alpha / rate,
                       1 / MAX_ROUNDS), LONGEST_ROUND)
        cuts.append(1.0 if 1.0 - done < 1.5 * step else done + step)
    return np.array(cuts)


def bounds_at(share_words, cuts):
    """Word boundaries of every share's rounds ending at ``cuts`` (fractions of its words)."""
    share_words = np.asarray(share_words, np.int64)
    bounds = np.floor(share_words[:, None] * np.asarray(cuts)).astype(np.int64)
    bounds[:, -1] = share_words
    return bounds


def epoch_bounds(schedule, epoch, share_words, words_per_round="auto"):
    """Word boundaries of every share's rounds in ``epoch``: int64 ``(n_shares, rounds + 1)``.

    ``words_per_round``: "auto" (:func:`rate_scaled_cuts` from
    :func:`auto_round_words`) or the words the largest share trains a round.
    """
    if words_per_round == "auto":
        n = len(share_words)
        return bounds_at(share_words, rate_scaled_cuts(schedule, epoch, n, auto_round_words(n)))
    return plan_rounds(share_words, max(-(-max(share_words) // words_per_round), 1))


def share_step(schedule, base, sizes):
    """The adaptive merge's step of a round starting at ``base`` with shares of ``sizes``.

    A share's words in the round times the rate there times :data:`STEP`
    (multiplies the expected updates per word of every row).
    """
    sizes = np.asarray(sizes)
    return float(STEP * schedule.alpha_at(base) * sizes.sum() / np.count_nonzero(sizes))


def round_strides(sizes):
    """Global words per share word in a round of shares of ``sizes`` words (0 for empty)."""
    sizes = np.asarray(sizes, np.float64)
    return np.divide(sizes.sum(), sizes, out=np.zeros_like(sizes), where=sizes > 0)


def train_share(weights, tables, parts, part_starts, word_lo, word_hi, schedule, base, stride,
                *, window, negative, seed, n_threads):
    """Train one share of a round from a copy of ``weights``; return its :class:`Delta`.

    Parameters
    ----------
    weights : (syn0, syn1neg)
        The round's starting weights; not modified (a worker's inputs are shared).
    tables : TrainingTables
    parts : list of EncodedCorpus
        The share's documents, in order; together they form the share's word stream.
    part_starts : sequence of int
        Position of each part's first word in that stream.
    word_lo, word_hi : int
        The round trains the documents that start within stream words ``word_lo:word_hi``.
    schedule : Schedule
        The global schedule; stream word ``word_lo + p`` trains at the rate of global
        position ``base + stride * p``.
    window, negative : int
    seed : int
        Seeds the share's draws (subsampling, windows, negatives).
    n_threads : int
        Hogwild threads.
    """
    old = weights
    new = tuple(np.array(w, copy=True) for w in old)
    tally = train_on(new, tables, parts, part_starts, word_lo, word_hi, schedule, base, stride,
                     window=window, negative=negative, seed=seed, n_threads=n_threads)
    rows = tuple(changed_rows(n, o) for n, o in zip(new, old))
    values = tuple(n[r] - o[r] for n, o, r in zip(new, old, rows))
    return Delta(rows, values, tally)


def train_on(weights, tables, parts, part_starts, word_lo, word_hi, schedule, base, stride, *,
             window, negative, seed, n_threads):
    """Train ``weights`` in place on a share's round (:func:`train_share`'s arguments);
    return the round's :class:`~skw2v._engines.base.ChunkTally`."""
    rng = np.random.RandomState(seed)
    tallies = []
    for part, start in zip(parts, part_starts):
        doc_lo, doc_hi = np.searchsorted(part.offsets[:-1], [word_lo - start, word_hi - start])
        if doc_hi > doc_lo:
            engine = HogwildEngine(part, tables, *weights, window=window, negative=negative,
                                   random_state=rng, n_threads=n_threads)
            # part word w is stream word start + w: share word start + w - word_lo
            share = schedule.share(base, stride, origin=word_lo - start)
            engine.train(0, int(doc_lo), int(doc_hi), share, tallies.append)
    if not tallies:
        return ChunkTally(0, 0.0, 0, 0)
    return ChunkTally(*(sum(column) for column in zip(*tallies)))


def changed_rows(new, old):
    """Rows where ``new`` differs from ``old`` (int64)."""
    return np.flatnonzero((new != old).any(axis=1))


def row_updates(counts, keep_prob, window, negative, ns_exponent):
    """Expected updates of each row of ``syn0`` and ``syn1neg`` per corpus word trained.

    word2vec's CBOW updates an input row whenever its word is in a target's
    window (``window + 1`` targets on average with the dynamic window) and an
    output row when its word is the target or one of the ``negative`` draws.
    """
    counts = np.asarray(counts, np.float64)
    kept = counts * keep_prob / counts.sum()   # kept occurrences per corpus word
    draws = counts ** ns_exponent
    draws /= draws.sum()
    return kept * (window + 1), kept + kept.sum() * negative * draws


def merge_scale(rule, touched, steps=None):
    """The factor of each row's changes: ``touched`` shares changed the row.

    ``"adaptive"``: rows changed by up to ``CAP`` (2) shares are summed, as
    "capped" does (two shares add up to at most twice the step, which
    measured stable and as good as one machine). Beyond, a row a share moved
    by ``m`` SGD steps of size ``x`` (a fraction of the way to its optimum;
    ``steps = m * x``) has moved ``1 - (1 - x)^m`` of the way; ``n`` shares
    from the same start sum to ``n`` times that, where one machine taking
    their ``n m`` steps in turn would have moved ``1 - (1 - x)^(n m)``. The
    factor is the ratio: 1 for rows a round barely moves, ``1 / n`` (the
    mean) for rows it saturates.
    """
    n = np.maximum(touched, 1).astype(np.float64)
    if rule == "sum":
        return np.ones(len(n))
    if rule == "mean":
        return 1.0 / n
    if rule == "capped":
        return np.minimum(1.0, CAP / n)
    x = np.maximum(steps, 1e-12)
    return np.where(n <= CAP, 1.0, np.expm1(-n * x) / (n * np.expm1(-x)))


def merge_deltas(weights, deltas, rule="adaptive", steps=(None, None)):
    """New weights: ``weights`` plus every delta's rows, scaled by :func:`merge_scale`.

    Parameters
    ----------
    weights : (syn0, syn1neg)
        The round's starting weights; not modified.
    deltas : list of Delta
    rule : {"adaptive", "capped", "sum", "mean"}
    steps : (ndarray, ndarray)
        For "adaptive", per row of each matrix: a share's expected updates
        in the round times the fraction of the way one update moves a row.
    """
    merged = []
    for m, old in enumerate(weights):
        new = np.array(old, copy=True)
        touched = np.zeros(len(old), np.int64)
        for delta in deltas:
            touched[delta.rows[m]] += 1
        scale = merge_scale(rule, touched, steps[m]).astype(np.float32)
        for delta in deltas:
            rows = delta.rows[m]
            new[rows] += delta.values[m] * scale[rows, None]
        merged.append(new)
    return tuple(merged)
