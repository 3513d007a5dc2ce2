"""Segments: how the GPU engine cuts a block of corpus into sequential work.

A block of documents is subsampled and then cut into segments of at most
``segment_words`` kept words, never across a document edge. One CUDA warp
trains one segment, its words in order (word2vec's sequential update);
segments run in parallel. A window still reaches across segment edges,
up to the edges of the document (``doc_lo``/``doc_hi``).

Everything random is counter-based (:func:`~skw2v._random.word_key`): the
subsampling draw, the window shrink and the negatives of a word depend only
on the engine's seed and the word's global position. The CUDA kernel
(:mod:`.cuda_kernel`) and its CPU reference (:mod:`.segment_reference`)
plan with :func:`plan_segments` and call the per-word functions below, so
they draw the same numbers and compute the same math; only who runs which
word when differs.

The per-word functions are float32 throughout (no float64 arithmetic in a
GPU's per-word loop) and ``register_jitable``: they run in numba, in CUDA
device code, and as plain Python in numba's CUDA simulator.
"""

import math
from typing import Any, NamedTuple

import numpy as np
from numba.extending import register_jitable

from .._random import counter_draw, word_key

SEGMENT_WORDS = 128

# counters of a word's draws: subsampling, window shrink, then two per negative
SUBSAMPLE_DRAW = np.uint64(0)
WINDOW_DRAW = np.uint64(1)
FIRST_NEGATIVE_DRAW = 2

ONE = np.float32(1.0)
ZERO = np.float32(0.0)
MAX_EXP = np.float32(6.0)
_INV_2_24 = np.float32(1.0 / (1 << 24))
_S8 = np.uint64(8)
_S32 = np.uint64(32)


class Segments(NamedTuple):
    """A planned block: its kept words and their segments (arrays of the block's ``xp``)."""

    ids: Any      # int32 (n_kept,): the words left after subsampling, in corpus order
    pos: Any      # int32 (n_kept,): their positions in the block, counted before subsampling
    start: Any    # int32 (n_segments,): first kept index of each segment
    end: Any      # int32 (n_segments,): one past its last
    doc_lo: Any   # int32 (n_segments,): first kept index of the segment's document
    doc_hi: Any   # int32 (n_segments,): one past its last (windows stop at these)


def plan_segments(xp, ids, offsets, keep_prob, seed, pos_base, segment_words=SEGMENT_WORDS):
    """Subsample a block and cut it into segments, with whole-array ``xp`` operations.

    Parameters
    ----------
    xp : numpy or cupy
    ids : int32 array of the block's words (on ``xp``'s device)
    offsets : int64 array, the block's document boundaries counted from 0
    keep_prob : float32 array (n_words,), subsampling keep-probabilities
    seed : int, the engine's 32-bit seed
    pos_base : int, global position (schedule.position) of the block's first word
    segment_words : int, most kept words in a segment
    """
    position = xp.arange(len(ids), dtype=xp.uint64) + xp.uint64(pos_base)
    draw = counter_draw(word_key(xp.uint64(seed), position), SUBSAMPLE_DRAW)
    p = keep_prob[ids]
    # as the CPU kernel: a word with keep-probability 1 is kept without a draw
    keep = (p >= 1) | ((draw >> _S8).astype(xp.float32) * _INV_2_24 < p)
    kept = xp.flatnonzero(keep)
    kept_before = xp.concatenate([xp.zeros(1, xp.int64), xp.cumsum(keep, dtype=xp.int64)])
    doc_edges = kept_before[offsets]
    lengths = doc_edges[1:] - doc_edges[:-1]
    n_segments = (lengths + segment_words - 1) // segment_words
    ends = xp.cumsum(n_segments)  # one past each document's last segment
    seg = xp.arange(int(ends[-1]) if len(ends) else 0)
    doc = xp.searchsorted(ends, seg, side="right")  # not repeat: CuPy's takes host counts only
    start = doc_edges[doc] + (seg - (ends[doc] - n_segments[doc])) * segment_words
    end = xp.minimum(start + segment_words, doc_edges[doc + 1])
    as32 = lambda a: a.astype(xp.int32)  # noqa: E731
    return Segments(ids[kept].astype(xp.int32), as32(kept), as32(start), as32(end),
                    as32(doc_edges[doc]), as32(doc_edges[doc + 1]))


@register_jitable
def word_window(t, lo_doc, hi_doc, pos, window, seed, pos_base):
    """Word ``t``'s key (for its draws) and context range ``lo:hi`` (``t`` itself excluded).

    The range is word2vec's dynamic window, cut at the document's edges.
    """
    key = word_key(seed, pos_base + np.uint64(pos[t]))
    shrink = window_shrink(key, window)
    return key, max(lo_doc, t - window + shrink), min(hi_doc, t + window + 1 - shrink)


@register_jitable
def target_and_label(d, word, key, prob, alias):
    """Output row ``d`` of a word's update: the word itself (label 1) for ``d == 0``, else
    negative ``d - 1`` (label 0); target -1 when a negative drew the word and is skipped."""
    if d == 0:
        return np.int64(word), ONE
    target = negative_draw(key, d - 1, prob, alias)
    if target == word:
        return np.int64(-1), ZERO
    return target, ZERO


@register_jitable
def window_shrink(key, window):
    """Word2vec's dynamic window: the effective window is ``window - shrink``."""
    return np.int64((counter_draw(key, WINDOW_DRAW) * np.uint64(window)) >> _S32)


@register_jitable
def negative_draw(key, d, prob, alias):
    """Negative number ``d`` (0-based) of a word, from the alias table ``prob``/``alias``."""
    counter = np.uint64(FIRST_NEGATIVE_DRAW + 2 * d)
    bucket = np.int64((counter_draw(key, counter) * np.uint64(len(prob))) >> _S32)
    u = np.float32(counter_draw(key, counter + np.uint64(1)) >> _S8) * _INV_2_24
    if u < prob[bucket]:
        return bucket
    return np.int64(alias[bucket])


@register_jitable
def sigmoid_and_loss(f, label):
    """``sigmoid(f)`` clipped as the C tool (0 or 1 beyond +-MAX_EXP), and the cross-entropy.

    ``label`` is float32 1 (target) or 0 (negative); the loss
    ``softplus(f) - label * f`` is exact also beyond the clip.
    """
    e = math.exp(-abs(f))
    softplus = max(f, ZERO) + math.log1p(e)
    if f > MAX_EXP:
        s = ONE
    elif f < -MAX_EXP:
        s = ZERO
    elif f >= ZERO:
        s = ONE / (ONE + e)
    else:
        s = e / (ONE + e)
    return np.float32(s), np.float32(softplus - label * f)
