"""Stage 6: word vectors -> document vectors (what ``transform`` returns).

Documents arrive as a CSR-like ``(ids, indptr)`` pair; sums and means are
one sparse-times-dense product, as in ``CountVectorizer`` + a projection.
"""

from typing import Callable, NamedTuple

import numba
import numpy as np
import scipy.sparse as sp

from ._idstore import searchsorted

SIF_A = 1e-3
_MAX_TOKENS_PER_BLOCK = 1 << 20
_SIF_BLOCK_DOCS = 1024  # document vectors held at once while estimating the SIF component


def doc_term_matrix(ids, indptr, n_words, weights=None):
    """Sparse (n_docs, n_words) matrix of token weights (counts when unweighted)."""
    data = np.ones(len(ids), np.float32) if weights is None else weights[ids]
    return sp.csr_matrix((data, ids, indptr), shape=(len(indptr) - 1, n_words))

SIF_MAX_TOKENS = 1 << 20  # tokens of the training corpus the SIF component is estimated on
SIF_PIECES = 64  # places spread over the corpus those tokens come from (sample_ranges)


def sif_weights(counts, a=SIF_A):
    """Smooth inverse frequency weights a / (a + p(w)) (Arora et al., 2017)."""
    p = counts / max(counts.sum(), 1)
    return (a / (a + p)).astype(np.float32)


def weighted_mean(ids, indptr, vectors, weights=None):
    """Mean (or weighted mean) of each document's word vectors; empty -> zeros."""
    out = np.asarray(doc_term_matrix(ids, indptr, len(vectors), weights) @ vectors)
    lengths = np.diff(indptr).astype(np.float32)
    np.divide(out, lengths[:, None], out=out, where=lengths[:, None] > 0)
    return out


def _reduce(ids, indptr, vectors, ufunc):
    """Row-wise ufunc.reduce over each document's vectors, in bounded blocks."""
    out = np.zeros((len(indptr) - 1, vectors.shape[1]), np.float32)
    # Bound the gathered (tokens x dim) block so memory stays flat.
    for lo, hi in _blocks(indptr, len(indptr), _MAX_TOKENS_PER_BLOCK):
        docs = lo + np.flatnonzero(np.diff(indptr[lo:hi + 1]) > 0)  # reduceat needs tokens
        if len(docs):
            start = indptr[lo]
            out[docs] = ufunc.reduceat(vectors[ids[start:indptr[hi]]], indptr[docs] - start,
                                       axis=0)
    return out

def _mean(ids, indptr, vectors, counts, sif_component):
    return weighted_mean(ids, indptr, vectors)


def _sum(ids, indptr, vectors, counts, sif_component):
    return np.asarray(doc_term_matrix(ids, indptr, len(vectors)) @ vectors)


def _max(ids, indptr, vectors, counts, sif_component):
    return _reduce(ids, indptr, vectors, np.maximum)


def _minmax(ids, indptr, vectors, counts, sif_component):
    return np.hstack([_reduce(ids, indptr, vectors, np.minimum),
                      _reduce(ids, indptr, vectors, np.maximum)])


def _sif(ids, indptr, vectors, counts, sif_component):
    out = weighted_mean(ids, indptr, vectors, sif_weights(counts))
    out -= np.outer(out @ sif_component, sif_component)
    out[np.diff(indptr) == 0] = 0.0
    return out


class Aggregation(NamedTuple):
    """How ``transform`` combines a document's word vectors."""

    function: Callable  # (ids, indptr, vectors, counts, sif_component) -> (n_docs, width * dim)
    width: int          # output columns per vector dimension


AGGREGATIONS = {
    "mean": Aggregation(_mean, 1),
    "sum": Aggregation(_sum, 1),
    "max": Aggregation(_max, 1),
    "minmax": Aggregation(_minmax, 2),  # the minimum, then the maximum
    "sif": Aggregation(_sif, 1),        # needs counts and the fitted common component
}


def aggregate(ids, indptr, vectors, agg, counts=None, sif_component=None):
    """Document vectors of shape ``(n_docs, AGGREGATIONS[agg].width * dim)``."""
    return AGGREGATIONS[agg].function(ids, indptr, vectors, counts, sif_component)


def sif_common_component(ids, indptr, vectors, counts, max_tokens=SIF_MAX_TOKENS):
    """First right singular vector of the SIF document vectors (removed in transform).

    Estimated on the documents of :func:`sample_ranges` (about ``max_tokens``
    tokens from places spread over the corpus): a direction in
    ``vector_size`` dimensions needs no more, and a corpus spilled to disk is
    then never read whole. Every fit estimates it, so the document vectors are
    never held at once: blocks of them add to their (dim x dim) Gram matrix,
    whose first singular vector is the direction. Under two non-empty
    documents there is no direction to remove: zeros.
    """
    dim = vectors.shape[1]
    weights = sif_weights(counts)
    gram, block = np.zeros((dim, dim)), np.empty((_SIF_BLOCK_DOCS, dim), np.float32)
    non_empty = 0
    for first, last in sample_ranges(indptr, max_tokens):
        offsets = np.asarray(indptr[first:last + 1])
        non_empty += np.count_nonzero(np.diff(offsets))
        for lo, hi in _blocks(offsets, _SIF_BLOCK_DOCS, _MAX_TOKENS_PER_BLOCK):
            # one block's ids at a time: a slice of a corpus spilled to disk is one small read
            start, stop = int(offsets[lo]), int(offsets[hi])
            docs = _weighted_means(np.asarray(ids[start:stop]), offsets[lo:hi + 1] - start,
                                   weights, vectors, block).astype(np.float64)
            gram += docs.T @ docs  # float64: no overflow for any finite float32 vectors
    if non_empty < 2:
        return np.zeros(dim, np.float32)
    _, _, vt = np.linalg.svd(gram)
    return vt[0].astype(np.float32)


def sample_ranges(indptr, max_tokens=SIF_MAX_TOKENS, pieces=SIF_PIECES):
    """Document ranges ``[(first, last), ...]`` holding about ``max_tokens`` tokens, taken
    from ``pieces`` places evenly spread over the corpus; the whole corpus if no larger.

    Corpora are often ordered (a dictionary's entries, a book's chapters), and
    their first documents alone estimate a direction worse than pieces from
    everywhere: on the gcide corpus the first 4M tokens gave the all-token SIF
    component within |cos| 0.9992, 64 pieces of 16k tokens within 0.9999, in a
    quarter of the time (``benchmarks/bench_sif.py``). Each range has at
    least one document; ranges are increasing and do not overlap.
    """
    n_docs = len(indptr) - 1
    total = int(indptr[n_docs])
    if total <= max_tokens:
        return [(0, n_docs)]
    size = max(max_tokens // pieces, 1)
    starts = searchsorted(indptr, np.arange(pieces, dtype=np.int64) * total // pieces, "left")
    ranges, end = [], 0
    for first in starts.tolist():
        first = max(first, end)
        if first >= n_docs:
            break
        last = int(searchsorted(indptr, int(indptr[first]) + size, "right", start=first)) - 1
        end = min(max(last, first + 1), n_docs)
        ranges.append((first, end))
    return ranges


def _blocks(indptr, max_docs, max_tokens):
    """``(lo, hi)`` document ranges of at most ``max_docs`` documents and about
    ``max_tokens`` tokens (at least one document each)."""
    lo, n_docs = 0, len(indptr) - 1
    while lo < n_docs:
        hi = int(np.searchsorted(indptr, indptr[lo] + max_tokens, side="right")) - 1
        hi = min(max(hi, lo + 1), lo + max_docs, n_docs)
        yield lo, hi
        lo = hi


@numba.njit(nogil=True, fastmath=True, error_model="numpy", cache=True)
def _weighted_means(ids, indptr, weights, vectors, out):
    """``out[d]`` = sum of ``weights[w] * vectors[w]`` over document ``d``'s words / its length.

    Returns the rows of ``out`` filled, one per document of ``indptr``.

    The same as :func:`weighted_mean` without a sparse matrix: a fit
    estimates the SIF component on millions of tokens, and this loop is
    several times faster than scipy's sparse product.
    """
    dim = vectors.shape[1]
    for d in range(len(indptr) - 1):
        out[d, :] = 0.0
        lo, hi = indptr[d], indptr[d + 1]
        for i in range(lo, hi):
            w = ids[i]
            c = weights[w]
            for k in range(dim):
                out[d, k] += c * vectors[w, k]
        if hi > lo:
            inv = np.float32(1.0) / np.float32(hi - lo)
            for k in range(dim):
                out[d, k] *= inv
    return out[:len(indptr) - 1]
