"""The hogwild CBOW negative-sampling kernel (numba).

One call trains one chunk of documents. It takes arrays and scalars only,
releases the GIL, and updates the shared weight matrices in place without
locks (hogwild). Per target word, as word2vec's C tool and gensim's
``cbow_mean=1``:

    h = mean of the context input vectors
    for the target (label 1) and ``negative`` draws (label 0, target skipped):
        g = (label - sigmoid(h . w_out)) * alpha
        neu1e += g * w_out;  w_out += g * h
    every context input vector += neu1e   (not divided by the context size)

By default every target draws its own negatives: exactly word2vec's
update. Four things make it fast without changing that math (issue 12's
profile, benchmarks/RESULTS.md):

* the output rows a target updates (its word and its negatives) are
  scored three at a time (:func:`_score_three`): three independent dot
  products in one pass over the dimensions, and one pass for the three
  updates, instead of two passes per row, each waiting for the one before;
  a row that repeats within its three goes alone, after its earlier copy's
  update;
* the negatives of the next target are drawn before the current one trains,
  and their rows (and the next target's) are prefetched
  (:func:`~.prefetch.prefetch_row`), so that fetching output rows that
  are not in cache overlaps the current target's arithmetic (20-27 % faster),
  as does the input row entering the next target's window (5-8 %; one
  target ahead was faster than three), and a document's first window
  (4 % on english's short documents);
* decisions on random draws (subsampling, the alias table's choice) are
  selects, not branches the CPU would mispredict; the context mean sums two
  rows per pass; each row element an update reads is loaded once (one
  thread, english: 480 -> 415 ns per target; 391 -> 326 ns with the
  weights in cache);
* the per-target helpers that take arrays are inlined into
  :func:`train_chunk` by numba (``inline="always"``), so a target costs no
  call passing a dozen arrays; scalar helpers are left to LLVM's inliner,
  because numba's own inlining types each copy again: inlining those too
  made the first, compiling fit 3 s slower for no speed.

``group > 1`` trains groups of consecutive targets that share one draw of
negatives (Intel's HogBatch idea, Ji et al. 2016); within a group the
contexts are read before the group's input updates are applied. It is
faster, but on the short-document gcide corpus groups of 4 cost ~1 analogy
point against exact per-target draws (groups of 2: ~0.6), so the default is
``group=1``.
"""

from typing import NamedTuple

import numba
import numpy as np

from .._random import next_u64, split_u64
from .._schedule import linear_alpha
from .prefetch import prefetch_row

GROUP = 1


class ChunkParams(NamedTuple):
    """Scalars of one kernel call."""

    window: int
    negative: int
    alpha: float        # the schedule's initial learning rate
    alpha_step: float   # its decrease per word
    min_alpha: float
    start: int          # global word position of the chunk's first word
    seed: np.uint64
    group: int = GROUP  # consecutive targets sharing one draw of negatives


_alpha_at = numba.njit(cache=True)(linear_alpha)

# sigmoid and log-sigmoid tabulated on [-MAX_EXP, MAX_EXP] as in word2vec's C tool
# (beyond it the sigmoid is taken as 0 or 1), but read with linear interpolation,
# which keeps them within 2e-6 (sigmoid) and 5e-6 (loss) of the exact values; a
# third faster than exp + log1p per score.
MAX_EXP = 6.0
TABLE_SIZE = 1000
_GRID = np.linspace(-MAX_EXP, MAX_EXP, TABLE_SIZE + 1)
# one entry past the end: a score just below MAX_EXP can round to the last grid point
SIGMOID = np.append(1.0 / (1.0 + np.exp(-_GRID)), 1.0).astype(np.float32)
LOG_SIGMOID = np.append(-np.log1p(np.exp(-_GRID)), 0.0).astype(np.float32)
_MAX_EXP32 = np.float32(MAX_EXP)
_PER_UNIT = np.float32(TABLE_SIZE / (2.0 * MAX_EXP))


@numba.njit(error_model="numpy", cache=True)
def _sigmoid_and_loss(f, label):
    """sigmoid(f) and the cross-entropy ``softplus(f) - label * f`` (C-tool clipping at +-MAX_EXP).

    ``f`` and ``label`` are float32, ``label`` 1 (the target word) or 0 (a
    negative): a number, not a bool, so that one compiled version serves
    every call site. All in float32: float64 here cost conversions on every
    score (~9 % of the kernel's time) for precision the table does not have.
    """
    if abs(f) >= _MAX_EXP32:  # rare: the exact loss, the clipped sigmoid
        tail = np.log1p(np.exp(-abs(f)))
        return np.float32(f > 0), max(f, np.float32(0.0)) + tail - label * f
    pos = (f + _MAX_EXP32) * _PER_UNIT
    i = int(pos)
    frac = pos - np.float32(i)
    s = SIGMOID[i] + (SIGMOID[i + 1] - SIGMOID[i]) * frac
    log_s = LOG_SIGMOID[i] + (LOG_SIGMOID[i + 1] - LOG_SIGMOID[i]) * frac
    return s, (np.float32(1.0) - label) * f - log_s


@numba.njit(cache=True)
def _around(i, t):
    """Sentence position of window slot ``i`` when the target at ``t`` is left out:
    ``i`` before the target, ``i + 1`` from it on."""
    return i + (i >= t)


@numba.njit(inline="always", fastmath=True, error_model="numpy", cache=True)
def _contexts(syn0, sent, n, g0, g1, window, H, bounds, state):
    """Mean context vector of each target ``g0 <= t < g1`` into ``H``; windows into ``bounds``."""
    dim = syn0.shape[1]
    for t in range(g0, g1):
        j = t - g0
        state, r = next_u64(state)
        b, _ = split_u64(r, window)           # dynamic window: effective size window - b
        lo = max(0, t - window + b)
        hi = min(n, t + window + 1 - b)
        bounds[j, 0] = lo
        bounds[j, 1] = hi
        nc = hi - lo - 1                      # context words: the window less the target
        if nc <= 0:
            continue                          # the target is skipped; H[j] is not read
        # Two rows per pass over H (half the passes), the first pass a store, not a sum
        # into zeros; context word p is sent[_around(lo + p, t)], so no branch in the
        # loop skips the target.
        u = sent[_around(lo, t)]
        if nc % 2 == 1:
            for k in range(dim):
                H[j, k] = syn0[u, k]
            p = 1
        else:
            v = sent[_around(lo + 1, t)]
            for k in range(dim):
                H[j, k] = syn0[u, k] + syn0[v, k]
            p = 2
        while p < nc:
            u = sent[_around(lo + p, t)]
            v = sent[_around(lo + p + 1, t)]
            for k in range(dim):
                H[j, k] += syn0[u, k] + syn0[v, k]
            p += 2
        inv = np.float32(1.0) / np.float32(nc)
        for k in range(dim):
            H[j, k] *= inv
    return state


@numba.njit(inline="always", fastmath=True, error_model="numpy", cache=True)
def _score_three(syn1neg, H, E, j, a, b, c, first, alpha):
    """Update three distinct output rows ``a, b, c`` against hidden vector ``H[j]``.

    The same math as three :func:`_score_one` calls (the rows differ, so no
    update can change another's score), in one pass over the dimensions:
    the three dot products are independent chains, and ``H[j]`` and
    ``E[j]`` are loaded once for three rows. ``first`` marks ``a`` as the
    target word (label 1). Returns the summed loss.
    """
    dim = H.shape[1]
    label, zero = np.float32(first), np.float32(0.0)
    fa = fb = fc = zero
    for k in range(dim):
        h = H[j, k]
        fa += h * syn1neg[a, k]
        fb += h * syn1neg[b, k]
        fc += h * syn1neg[c, k]
    sa, la = _sigmoid_and_loss(fa, label)
    sb, lb = _sigmoid_and_loss(fb, zero)
    sc, lc = _sigmoid_and_loss(fc, zero)
    ga = np.float32((label - sa) * alpha)
    gb = np.float32(-sb * alpha)
    gc = np.float32(-sc * alpha)
    # Each row element is read once into a local: the compiler cannot rule out that
    # the store to E changes a row (or one row another), so `+=` would read it again.
    for k in range(dim):
        h = H[j, k]
        wa = syn1neg[a, k]
        wb = syn1neg[b, k]
        wc = syn1neg[c, k]
        E[j, k] += ga * wa + gb * wb + gc * wc
        syn1neg[a, k] = wa + ga * h
        syn1neg[b, k] = wb + gb * h
        syn1neg[c, k] = wc + gc * h
    return la + lb + lc


@numba.njit(inline="always", fastmath=True, error_model="numpy", cache=True)
def _score_one(syn1neg, H, E, j, a, first, alpha):
    """word2vec's update of one output row ``a`` against ``H[j]``; returns its loss."""
    dim = H.shape[1]
    f = np.float32(0.0)
    for k in range(dim):
        f += H[j, k] * syn1neg[a, k]
    label = np.float32(first)
    s, loss = _sigmoid_and_loss(f, label)
    g = np.float32((label - s) * alpha)
    for k in range(dim):
        w = syn1neg[a, k]
        E[j, k] += g * w
        syn1neg[a, k] = w + g * H[j, k]
    return loss


@numba.njit(inline="always", fastmath=True, error_model="numpy", cache=True)
def _score_rows(syn1neg, H, E, j, rows, m, alpha):
    """Update output rows ``rows[:m]`` (``rows[0]`` the target word) in order; returns the loss.

    Runs of three distinct rows go through :func:`_score_three`; a row that
    repeats one of its run's (a negative drawn twice) goes alone, after the
    earlier copy's update, as word2vec's sequential loop has it.
    """
    loss = 0.0
    d = 0
    while d < m:
        a = rows[d]
        if d + 2 < m and rows[d + 1] != a and rows[d + 2] != a and rows[d + 2] != rows[d + 1]:
            loss += _score_three(syn1neg, H, E, j, a, rows[d + 1], rows[d + 2], d == 0, alpha)
            d += 3
        else:
            loss += _score_one(syn1neg, H, E, j, a, d == 0, alpha)
            d += 1
    return loss


@numba.njit(inline="always", fastmath=True, error_model="numpy", cache=True)
def _train_group(syn0, syn1neg, locked, sent, n, g0, g1, window, alpha, negs, n0, negative,
                 H, E, bounds, rows, state):
    """Train targets ``sent[g0:g1]`` (of a sentence of length ``n``) with shared negatives.

    The group's negatives are ``negs[n0:n0 + negative]``; the windows are drawn
    from ``state``. Returns ``(state, loss_sum, examples)``; targets without
    context are skipped. Input rows of words with ``locked[w] != 0`` are read
    but never written (a branch, so they stay bit-identical).
    """
    dim = syn0.shape[1]
    state = _contexts(syn0, sent, n, g0, g1, window, H, bounds, state)
    loss = 0.0
    examples = 0
    for t in range(g0, g1):
        j = t - g0
        E[j, :] = 0.0
        if bounds[j, 1] - bounds[j, 0] <= 1:
            continue
        examples += 1
        word = sent[t]
        rows[0] = word
        m = 1
        for d in range(n0, n0 + negative):
            if negs[d] != word:     # a negative that drew the target itself is skipped
                rows[m] = negs[d]
                m += 1
        loss += _score_rows(syn1neg, H, E, j, rows, m, alpha)
    for t in range(g0, g1):
        j = t - g0
        for c in range(bounds[j, 0], bounds[j, 1]):
            if c != t:
                w = sent[c]
                if locked[w] == 0:
                    for k in range(dim):
                        syn0[w, k] += E[j, k]
    return state, loss, examples


# The same function compiled on its own, for the reference tests to call.
train_group = numba.njit(nogil=True, fastmath=True, error_model="numpy", cache=True)(
    _train_group.py_func)


@numba.njit(error_model="numpy", cache=True)
def _subsample(ids, start, end, keep_prob, sent, state):
    """Copy ``ids[start:end]`` into ``sent``, dropping frequent words at random.

    Without branches: every word is written and draws (a uniform below 1 keeps
    a word whose ``keep_prob`` is 1), and the next word goes over it when
    this one is dropped. A branch on a random draw is mispredicted about as
    often as the draw goes the less likely way.
    """
    n = 0
    for i in range(start, end):
        w = ids[i]
        state, r = next_u64(state)
        sent[n] = w
        n += np.float32(np.float64(r >> np.uint64(40)) * (1.0 / 16777216.0)) < keep_prob[w]
    return n, state


@numba.njit(error_model="numpy", cache=True)
def _draw_negatives(syn1neg, prob, alias, negs, n0, negative, state):
    """Draw ``negative`` words into ``negs[n0:]`` from the alias table; prefetch their rows."""
    for d in range(n0, n0 + negative):
        state, r = next_u64(state)
        bucket, u = split_u64(r, len(prob))
        # both table entries are read, so that the choice is a select, not a random branch
        accept, other = prob[bucket], alias[bucket]
        word = bucket if u < accept else other
        negs[d] = word
        prefetch_row(syn1neg, word)
    return state


@numba.njit(nogil=True, fastmath=True, error_model="numpy", cache=True)
def train_chunk(ids, offsets, doc_lo, doc_hi, keep_prob, prob, alias, locked, syn0, syn1neg,
                params):
    """Train documents ``doc_lo:doc_hi`` of the encoded corpus.

    ``keep_prob, prob, alias, locked`` are the :class:`~.base.TrainingTables`
    (``locked``: uint8 per word, 1 = its row of ``syn0`` is never written).

    Returns ``(loss_sum, n_examples, n_effective_words)``: summed cross-entropy,
    the number of targets that had context, and words left after subsampling.
    The learning rate is the schedule's at each document's first word (global
    position ``params.start`` plus the words before it in the chunk).
    """
    state = params.seed
    dim, group = syn0.shape[1], params.group
    longest = 1
    for doc in range(doc_lo, doc_hi):
        longest = max(longest, offsets[doc + 1] - offsets[doc])
    sent = np.empty(longest, np.int32)
    H = np.empty((group, dim), np.float32)
    E = np.empty((group, dim), np.float32)
    bounds = np.empty((group, 2), np.int64)
    negative, window = params.negative, params.window
    # two groups' negatives: the next group's are drawn (and their rows
    # prefetched) before the current group trains
    negs = np.empty(2 * negative, np.int64)
    rows = np.empty(negative + 1, np.int64)
    # the current group's negatives start at n0 (0 or negative: a variable, not the literal 0,
    # which numba would compile a second version of _draw_negatives for)
    n0 = negative
    state = _draw_negatives(syn1neg, prob, alias, negs, n0, negative, state)
    loss_sum, examples, effective, words_seen = 0.0, 0, 0, 0
    for doc in range(doc_lo, doc_hi):
        start, end = offsets[doc], offsets[doc + 1]
        n, state = _subsample(ids, start, end, keep_prob, sent, state)
        effective += n
        # a document's first window and target row all at once: each later target
        # prefetches only what enters its successor's window
        for t in range(1, min(n, window + 1)):
            prefetch_row(syn0, sent[t])
        if n > 0:
            prefetch_row(syn1neg, sent[0])
        alpha = _alpha_at(params.alpha, params.alpha_step, params.min_alpha,
                          params.start + words_seen)
        words_seen += end - start
        for g0 in range(0, n, group):
            state = _draw_negatives(syn1neg, prob, alias, negs, negative - n0, negative, state)
            for t in range(g0 + group, min(n, g0 + 2 * group)):
                prefetch_row(syn1neg, sent[t])  # the next group's targets
            # input rows that enter the next group's windows (the others are in this group's)
            for t in range(g0 + group + window, min(n, g0 + 2 * group + window)):
                prefetch_row(syn0, sent[t])
            state, loss, ex = _train_group(syn0, syn1neg, locked, sent, n, g0, min(n, g0 + group),
                                           window, alpha, negs, n0, negative,
                                           H, E, bounds, rows, state)
            n0 = negative - n0
            loss_sum += loss
            examples += ex
    return loss_sum, examples, effective
