"""Nearest neighbours of many rows at once: exact, in blocks of queries, by cosine.

The exact search scores a block of queries against every row with one
matrix product (BLAS, all cores) and keeps the ``topn`` best of each with
``argpartition``; the block is sized so that its scores stay within
:data:`BLOCK_SCORES`, so memory does not grow with the number of queries.
"""

import numba
import numpy as np

BLOCK_SCORES = 1 << 24   # float32 scores held at once (64 MiB), queries x rows


def exact_neighbours(unit, queries, topn, own=None):
    """The ``topn`` rows of ``unit`` most similar to each query, best first.

    Parameters
    ----------
    unit : ndarray of shape (n_rows, dim), float32
        Unit vectors (zero rows score 0).
    queries : ndarray of shape (n_queries, dim), float32
        Unit query vectors.
    topn : int
        Neighbours per query, at most the rows that can be returned.
    own : ndarray of shape (n_queries,), int, optional
        A row to leave out of each query's results (its own word).

    Returns
    -------
    indices : ndarray of shape (n_queries, topn), int64
    similarities : ndarray of shape (n_queries, topn), float32
    """
    n_rows = len(unit)
    indices = np.empty((len(queries), topn), np.int64)
    similarities = np.empty((len(queries), topn), np.float32)
    if not topn:
        return indices, similarities
    block = max(1, BLOCK_SCORES // max(n_rows, 1))
    for start in range(0, len(queries), block):
        scores = queries[start:start + block] @ unit.T
        if own is not None:  # below every cosine, so never among the best
            scores[np.arange(len(scores)), own[start:start + block]] = -np.inf
        best = top_rows(scores, topn)
        indices[start:start + block] = best
        similarities[start:start + block] = np.take_along_axis(scores, best, axis=1)
    return indices, similarities


def top_rows(scores, topn):
    """Column indices of the ``topn`` largest scores of each row, largest first (ties: the
    lower index first)."""
    return _top_rows(np.ascontiguousarray(scores, np.float32), min(topn, scores.shape[1]))


@numba.njit(cache=True, nogil=True)
def _top_rows(scores, k):
    """:func:`top_rows`: one pass over each row keeping its ``k`` best in a min-heap (most
    scores lose one comparison with the heap's least), then the heap sorted."""
    out = np.empty((scores.shape[0], k), np.int64)
    heap_s = np.empty(k, np.float32)
    heap_i = np.empty(k, np.int64)
    for r in range(scores.shape[0]):
        row = scores[r]
        size = 0
        for j in range(row.shape[0]):
            v = row[j]
            if size < k:  # sift up
                c = size
                size += 1
                while c > 0:
                    p = (c - 1) // 2
                    if _worse(heap_s[p], heap_i[p], v, j):
                        break
                    heap_s[c], heap_i[c] = heap_s[p], heap_i[p]
                    c = p
                heap_s[c], heap_i[c] = v, j
            elif v > heap_s[0]:  # replaces the least: sift down (later j loses ties)
                c = 0
                while True:
                    child = 2 * c + 1
                    if child >= k:
                        break
                    if child + 1 < k and _worse(heap_s[child + 1], heap_i[child + 1],
                                                heap_s[child], heap_i[child]):
                        child += 1
                    if _worse(v, j, heap_s[child], heap_i[child]):
                        break
                    heap_s[c], heap_i[c] = heap_s[child], heap_i[child]
                    c = child
                heap_s[c], heap_i[c] = v, j
        order = np.argsort(-heap_s[:size], kind="mergesort")  # stable: heap order of ties
        for t in range(size):
            out[r, t] = heap_i[order[t]]
        # ties: lower index first
        t = 0
        while t < size:
            u = t
            while u + 1 < size and heap_s[order[u + 1]] == heap_s[order[t]]:
                u += 1
            if u > t:
                out[r, t:u + 1] = np.sort(out[r, t:u + 1])
            t = u + 1
    return out


@numba.njit(cache=True, nogil=True, inline="always")
def _worse(s1, i1, s2, i2):
    """Whether (s1, i1) ranks below (s2, i2): a lower score, or a tie and a higher index."""
    return s1 < s2 or (s1 == s2 and i1 > i2)
