"""The CPU reference of the GPU hogwild kernel: the same segments, draws and math, in numba.

:func:`train_segments_reference` trains a planned block (:mod:`.segments`)
as the CUDA kernel does, with ``concurrency`` segments in flight:

- ``concurrency=1``: segments one after another, each word's updates
  visible to the next word. This is what the kernel computes when one warp
  runs at a time (numba's CUDA simulator runs blocks one by one), so the two
  agree to float rounding.
- ``concurrency=N``: N slots, slot ``s`` trains segments ``s, s + N, ...``
  as warp ``s`` of an N-warp launch does; every round each slot computes
  one word's update from the weights as they are (all read), then all
  updates are added (all write).
  This is the CPU's stand-in for N warps in flight on a GPU, whose
  concurrent atomic adds also only ever see each other's finished words: it
  measures what that staleness costs in quality without a GPU.

Within a word a slot sees its own earlier updates (a negative drawn twice
meets its first update), as one warp does.
"""

import numba
import numpy as np

from .._schedule import linear_alpha
from .segments import ONE, ZERO, sigmoid_and_loss, target_and_label, word_window


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _read_word(t, lo_doc, hi_doc, ids, pos, syn0, syn1neg, prob, alias, window, negative, seed,
               pos_base, alpha0, step, min_alpha, h, row, e, delta, rows, bounds):
    """One word's update computed from the current weights, not applied.

    Fills ``e`` (added to every context input row), ``delta[d]`` (added to output
    row ``rows[d]``; -1 where skipped) and ``bounds`` (the context range).
    Returns the word's loss, or -1 when it has no context.
    """
    dim = syn0.shape[1]
    word = ids[t]
    key, lo, hi = word_window(t, lo_doc, hi_doc, pos, window, seed, pos_base)
    bounds[0], bounds[1] = lo, hi
    rows[:] = -1
    if hi - lo <= 1:
        return np.float32(-1.0)
    h[:] = ZERO
    for c in range(lo, hi):
        if c != t:
            for k in range(dim):
                h[k] += syn0[ids[c], k]
    inv = ONE / np.float32(hi - lo - 1)
    for k in range(dim):
        h[k] *= inv
    alpha = linear_alpha(alpha0, step, min_alpha, np.float32(pos[t]))
    e[:] = ZERO
    loss = ZERO
    for d in range(negative + 1):
        target, label = target_and_label(d, word, key, prob, alias)
        if target < 0:
            continue
        rows[d] = target
        for k in range(dim):
            row[k] = syn1neg[target, k]
        for d2 in range(d):  # this word's own earlier update of the same row
            if rows[d2] == target:
                for k in range(dim):
                    row[k] += delta[d2, k]
        f = ZERO
        for k in range(dim):
            f += h[k] * row[k]
        s, word_loss = sigmoid_and_loss(f, label)
        loss += word_loss
        g = (label - s) * alpha
        for k in range(dim):
            e[k] += g * row[k]
            delta[d, k] = g * h[k]
    return loss


@numba.njit(nogil=True, error_model="numpy", cache=True)
def _write_word(t, ids, syn0, syn1neg, locked, e, delta, rows, bounds):
    """Add a word's update computed by :func:`_read_word` (not to locked words' input rows)."""
    dim = syn0.shape[1]
    for d in range(len(rows)):
        if rows[d] >= 0:
            for k in range(dim):
                syn1neg[rows[d], k] += delta[d, k]
    for c in range(bounds[0], bounds[1]):
        if c != t and locked[ids[c]] == 0:
            for k in range(dim):
                syn0[ids[c], k] += e[k]


@numba.njit(nogil=True, error_model="numpy", cache=True)
def train_segments_reference(ids, pos, start, end, doc_lo, doc_hi, syn0, syn1neg, prob, alias,
                             locked, window, negative, seed, pos_base, alpha0, step, min_alpha,
                             seg_loss, seg_examples, concurrency):
    """Train a planned block; the arguments are the CUDA kernel's, plus ``concurrency``.

    ``locked`` (uint8 per word): input rows of words with ``locked[w] != 0``
    are read but never written.

    Slot ``s`` of ``n = min(concurrency, n_segments)`` trains segments
    ``s, s + n, ...``, as warp ``s`` of a grid of ``n`` warps does. Writes each
    segment's float32 loss sum and example count into ``seg_loss`` /
    ``seg_examples``, as the kernel does.
    """
    n_seg, dim = len(start), syn0.shape[1]
    slots = max(1, min(concurrency, n_seg))
    seg_of = np.arange(slots)
    t_of = np.zeros(slots, np.int64)
    h, row = np.empty(dim, np.float32), np.empty(dim, np.float32)
    e = np.zeros((slots, dim), np.float32)
    delta = np.zeros((slots, negative + 1, dim), np.float32)
    rows = np.full((slots, negative + 1), -1, np.int64)
    bounds = np.zeros((slots, 2), np.int64)
    active = 0
    for s in range(min(slots, n_seg)):
        t_of[s] = start[s]
        seg_loss[s], seg_examples[s] = ZERO, 0
        active += 1
    while active:
        for s in range(slots):  # all read ...
            seg = seg_of[s]
            if seg < n_seg:
                loss = _read_word(t_of[s], doc_lo[seg], doc_hi[seg], ids, pos, syn0, syn1neg,
                                  prob, alias, window, negative, seed, pos_base, alpha0, step,
                                  min_alpha, h, row, e[s], delta[s], rows[s], bounds[s])
                if loss >= ZERO:
                    seg_loss[seg] += loss
                    seg_examples[seg] += 1
        for s in range(slots):  # ... then all write
            seg = seg_of[s]
            if seg >= n_seg:
                continue
            _write_word(t_of[s], ids, syn0, syn1neg, locked, e[s], delta[s], rows[s], bounds[s])
            t_of[s] += 1
            if t_of[s] == end[seg]:
                seg += slots
                seg_of[s] = seg
                if seg < n_seg:
                    t_of[s] = start[seg]
                    seg_loss[seg], seg_examples[seg] = ZERO, 0
                else:
                    active -= 1
