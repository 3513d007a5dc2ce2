"""The hogwild CBOW negative-sampling kernel (numba).

One call trains one chunk of documents. It takes arrays and scalars only,
releases the GIL, and updates the shared weight matrices in place without
locks (hogwild), exactly as word2vec's C tool and gensim's ``cbow_mean=1``:

    h = mean of the context input vectors
    for the target (label 1) and ``negative`` draws (label 0, target skipped):
        g = (label - sigmoid(h . w_out)) * alpha
        neu1e += g * w_out;  w_out += g * h
    every context input vector += neu1e   (not divided by the context size)
"""

from typing import NamedTuple

import numba
import numpy as np

from ._random import next_u64, split_u64


class ChunkParams(NamedTuple):
    """Scalars of one kernel call."""

    window: int
    negative: int
    alpha: float        # learning rate at the chunk's first word
    alpha_step: float   # decrease per word
    min_alpha: float
    seed: np.uint64


@numba.njit(inline="always", error_model="numpy", cache=True)
def _sigmoid_and_loss(f, label):
    """sigmoid(f) and the cross-entropy -log p(label), both computed stably."""
    if f >= 0.0:
        z = np.exp(-f)
        s = 1.0 / (1.0 + z)
        softplus_neg = np.log1p(z)          # -log sigmoid(f)
        loss = softplus_neg if label else f + softplus_neg
    else:
        z = np.exp(f)
        s = z / (1.0 + z)
        softplus_pos = np.log1p(z)          # -log sigmoid(-f)
        loss = softplus_pos - f if label else softplus_pos
    return s, loss


@numba.njit(nogil=True, fastmath=True, error_model="numpy", cache=True)
def train_cbow_target(syn0, syn1neg, sent, pos, lo, hi, negative, alpha,
                      prob, alias, neu1, neu1e, state):
    """One CBOW-NS update for the word at ``sent[pos]`` with context ``sent[lo:hi]``.

    Returns ``(state, loss)``; does nothing (loss 0) without context words.
    """
    dim = syn0.shape[1]
    n_words = syn1neg.shape[0]
    count = 0
    neu1[:] = 0.0
    for c in range(lo, hi):
        if c != pos:
            w = sent[c]
            for k in range(dim):
                neu1[k] += syn0[w, k]
            count += 1
    if count == 0:
        return state, 0.0
    inv = np.float32(1.0) / np.float32(count)
    for k in range(dim):
        neu1[k] *= inv
    neu1e[:] = 0.0
    word = sent[pos]
    loss = 0.0
    for d in range(negative + 1):
        if d == 0:
            target = word
            label = 1
        else:
            state, r = next_u64(state)
            bucket, u = split_u64(r, n_words)
            target = bucket if u < prob[bucket] else alias[bucket]
            if target == word:
                continue
            label = 0
        f = np.float32(0.0)
        for k in range(dim):
            f += neu1[k] * syn1neg[target, k]
        s, l = _sigmoid_and_loss(np.float64(f), label)
        loss += l
        g = np.float32((label - s) * alpha)
        for k in range(dim):
            neu1e[k] += g * syn1neg[target, k]
            syn1neg[target, k] += g * neu1[k]
    for c in range(lo, hi):
        if c != pos:
            w = sent[c]
            for k in range(dim):
                syn0[w, k] += neu1e[k]
    return state, loss


@numba.njit(nogil=True, fastmath=True, error_model="numpy", cache=True)
def train_chunk(ids, offsets, doc_lo, doc_hi, keep_prob, prob, alias, syn0, syn1neg,
                params, neu1, neu1e, sent):
    """Train documents ``doc_lo:doc_hi`` of the encoded corpus.

    Returns ``(loss_sum, n_examples, n_effective_words)``: summed cross-entropy,
    the number of targets that had context, and words left after subsampling.
    The learning rate falls linearly per input word from ``params.alpha``.
    """
    state = params.seed
    window = params.window
    loss_sum = 0.0
    examples = 0
    effective = 0
    words_seen = 0
    for doc in range(doc_lo, doc_hi):
        start, end = offsets[doc], offsets[doc + 1]
        n = 0
        for i in range(start, end):
            w = ids[i]
            if keep_prob[w] < 1.0:
                state, r = next_u64(state)
                if np.float32(np.float64(r >> np.uint64(40)) * (1.0 / 16777216.0)) >= keep_prob[w]:
                    continue
            sent[n] = w
            n += 1
        effective += n
        alpha = max(params.alpha - params.alpha_step * words_seen, params.min_alpha)
        words_seen += end - start
        for pos in range(n):
            state, r = next_u64(state)
            b, _ = split_u64(r, window)
            lo = max(0, pos - window + b)
            hi = min(n, pos + window + 1 - b)
            state, loss = train_cbow_target(syn0, syn1neg, sent, pos, lo, hi, params.negative,
                                            alpha, prob, alias, neu1, neu1e, state)
            if hi - lo > 1:
                loss_sum += loss
                examples += 1
    return loss_sum, examples, effective
