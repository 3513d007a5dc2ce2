"""Stage 6: word vectors -> document vectors (what ``transform`` returns).

Documents arrive as a CSR-like ``(ids, indptr)`` pair; sums and means are
one sparse-times-dense product, as in ``CountVectorizer`` + a projection.
"""

import numpy as np
import scipy.sparse as sp

SIF_A = 1e-3
_MAX_TOKENS_PER_BLOCK = 1 << 20


def doc_term_matrix(ids, indptr, n_words, weights=None):
    """Sparse (n_docs, n_words) matrix of token weights (counts when unweighted)."""
    data = np.ones(len(ids), np.float32) if weights is None else weights[ids]
    return sp.csr_matrix((data, ids, indptr), shape=(len(indptr) - 1, n_words))


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
    nonempty = np.flatnonzero(np.diff(indptr) > 0)
    start = 0
    while start < len(nonempty):
        # Bound the gathered (tokens x dim) block so memory stays flat.
        stop = np.searchsorted(indptr[nonempty + 1], indptr[nonempty[start]] + _MAX_TOKENS_PER_BLOCK)
        stop = max(stop, start + 1)
        docs = nonempty[start:stop]
        lo, hi = indptr[docs[0]], indptr[docs[-1] + 1]
        out[docs] = ufunc.reduceat(vectors[ids[lo:hi]], indptr[docs] - lo, axis=0)
        start = stop
    return out


def aggregate(ids, indptr, vectors, agg, counts=None, sif_component=None):
    """Document vectors of shape (n_docs, dim) or (n_docs, 2 * dim) for ``"minmax"``."""
    if agg == "mean":
        return weighted_mean(ids, indptr, vectors)
    if agg == "sum":
        return np.asarray(doc_term_matrix(ids, indptr, len(vectors)) @ vectors)
    if agg == "max":
        return _reduce(ids, indptr, vectors, np.maximum)
    if agg == "minmax":
        return np.hstack([_reduce(ids, indptr, vectors, np.minimum),
                          _reduce(ids, indptr, vectors, np.maximum)])
    if agg == "sif":
        out = weighted_mean(ids, indptr, vectors, sif_weights(counts))
        if sif_component is not None:
            out -= np.outer(out @ sif_component, sif_component)
            out[np.diff(indptr) == 0] = 0.0
        return out
    raise ValueError(f"Unknown agg {agg!r}.")


def sif_common_component(ids, indptr, vectors, counts, max_tokens=1 << 22):
    """First right singular vector of the SIF document vectors (removed in transform).

    Estimated on the documents within the first ``max_tokens`` tokens: a
    direction in ``vector_size`` dimensions needs no more, and a corpus
    spilled to disk is then never read whole.
    """
    n_docs = max(int(np.searchsorted(indptr, max_tokens, side="right")) - 1, 1)
    indptr = indptr[: n_docs + 1]
    ids = np.asarray(ids[: int(indptr[-1])])
    docs = weighted_mean(ids, indptr, vectors, sif_weights(counts))
    docs = docs[np.diff(indptr) > 0]
    if len(docs) < 2:
        return None
    _, _, vt = np.linalg.svd(docs.T @ docs)
    return vt[0].astype(np.float32)
