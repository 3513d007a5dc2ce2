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

Targets are trained in groups of ``group`` consecutive words that share
one draw of negatives (Intel's HogBatch idea, Ji et al. 2016): the shared
output rows stay in cache across the group instead of being fetched from
random places for every target. Measured on one thread (benchmarks/
RESULTS.md), groups of 4 train 1.5x faster than groups of 1; on the
benchmark English corpus they cost ~0.3 analogy points against exact
per-target draws (groups of 8: ~0.4; noise between seeds is ~0.3) and stay
level with gensim. Within a group the contexts are read before the group's
input updates are applied. With ``group=1`` this is exactly word2vec's
per-target update.
"""

from typing import NamedTuple

import numba
import numpy as np

from .._random import next_u64, split_u64
from .._schedule import linear_alpha

GROUP = 4


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


_alpha_at = numba.njit(inline="always", cache=True)(linear_alpha)

# sigmoid and log-sigmoid tabulated on [-MAX_EXP, MAX_EXP] as in word2vec's C tool
# (beyond it the sigmoid is taken as 0 or 1), but read with linear interpolation,
# which keeps them within 2e-6 (sigmoid) and 5e-6 (loss) of the exact values; a
# third faster than exp + log1p per score.
MAX_EXP = 6.0
TABLE_SIZE = 1000
_GRID = np.linspace(-MAX_EXP, MAX_EXP, TABLE_SIZE + 1)
SIGMOID = np.append(1.0 / (1.0 + np.exp(-_GRID)), 1.0).astype(np.float32)
LOG_SIGMOID = np.append(-np.log1p(np.exp(-_GRID)), 0.0).astype(np.float32)


@numba.njit(inline="always", error_model="numpy", cache=True)
def _sigmoid_and_loss(f, label):
    """sigmoid(f) and the cross-entropy -log p(label) (C-tool clipping at +-MAX_EXP)."""
    if abs(f) >= MAX_EXP:  # rare: the exact loss, the clipped sigmoid
        tail = np.log1p(np.exp(-abs(np.float64(f))))
        if f > 0:
            return np.float32(1.0), (tail if label else f + tail)
        return np.float32(0.0), (tail - f if label else tail)
    pos = (f + MAX_EXP) * (TABLE_SIZE / (2.0 * MAX_EXP))
    i = int(pos)
    frac = np.float32(pos - i)
    s = SIGMOID[i] + (SIGMOID[i + 1] - SIGMOID[i]) * frac
    log_s = np.float64(LOG_SIGMOID[i] + (LOG_SIGMOID[i + 1] - LOG_SIGMOID[i]) * frac)
    return s, (-log_s if label else f - log_s)


@numba.njit(nogil=True, fastmath=True, error_model="numpy", cache=True)
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
        H[j, :] = 0.0
        for c in range(lo, hi):
            if c != t:
                w = sent[c]
                for k in range(dim):
                    H[j, k] += syn0[w, k]
        if hi - lo > 1:
            inv = np.float32(1.0) / np.float32(hi - lo - 1)
            for k in range(dim):
                H[j, k] *= inv
    return state


@numba.njit(nogil=True, fastmath=True, error_model="numpy", cache=True)
def train_group(syn0, syn1neg, sent, n, g0, g1, window, negative, alpha, prob, alias,
                H, E, bounds, negs, state):
    """Train targets ``sent[g0:g1]`` (of a sentence of length ``n``) with shared negatives.

    Returns ``(state, loss_sum, examples)``; targets without context are skipped.
    """
    dim = syn0.shape[1]
    state = _contexts(syn0, sent, n, g0, g1, window, H, bounds, state)
    for d in range(negative):
        state, r = next_u64(state)
        bucket, u = split_u64(r, syn1neg.shape[0])
        negs[d] = bucket if u < prob[bucket] else alias[bucket]
    loss = 0.0
    examples = 0
    for t in range(g0, g1):
        j = t - g0
        E[j, :] = 0.0
        if bounds[j, 1] - bounds[j, 0] <= 1:
            continue
        examples += 1
        word = sent[t]
        for d in range(negative + 1):
            target = word if d == 0 else negs[d - 1]
            if d > 0 and target == word:
                continue
            f = np.float32(0.0)
            for k in range(dim):
                f += H[j, k] * syn1neg[target, k]
            s, l = _sigmoid_and_loss(f, d == 0)
            loss += l
            g = np.float32(((d == 0) - s) * alpha)
            for k in range(dim):
                E[j, k] += g * syn1neg[target, k]
                syn1neg[target, k] += g * H[j, k]
    for t in range(g0, g1):
        j = t - g0
        for c in range(bounds[j, 0], bounds[j, 1]):
            if c != t:
                w = sent[c]
                for k in range(dim):
                    syn0[w, k] += E[j, k]
    return state, loss, examples


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _subsample(ids, start, end, keep_prob, sent, state):
    """Copy ``ids[start:end]`` into ``sent``, dropping frequent words at random."""
    n = 0
    for i in range(start, end):
        w = ids[i]
        if keep_prob[w] < 1.0:
            state, r = next_u64(state)
            if np.float32(np.float64(r >> np.uint64(40)) * (1.0 / 16777216.0)) >= keep_prob[w]:
                continue
        sent[n] = w
        n += 1
    return n, state


@numba.njit(nogil=True, fastmath=True, error_model="numpy", cache=True)
def train_chunk(ids, offsets, doc_lo, doc_hi, keep_prob, prob, alias, syn0, syn1neg, params):
    """Train documents ``doc_lo:doc_hi`` of the encoded corpus.

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
    negs = np.empty(max(params.negative, 1), np.int64)
    loss_sum, examples, effective, words_seen = 0.0, 0, 0, 0
    for doc in range(doc_lo, doc_hi):
        start, end = offsets[doc], offsets[doc + 1]
        n, state = _subsample(ids, start, end, keep_prob, sent, state)
        effective += n
        alpha = _alpha_at(params.alpha, params.alpha_step, params.min_alpha,
                          params.start + words_seen)
        words_seen += end - start
        for g0 in range(0, n, group):
            state, loss, ex = train_group(syn0, syn1neg, sent, n, g0, min(n, g0 + group),
                                          params.window, params.negative, alpha, prob, alias,
                                          H, E, bounds, negs, state)
            loss_sum += loss
            examples += ex
    return loss_sum, examples, effective
