"""Stage 6 on its own: documents -> vectors, each aggregation against a plain loop."""

import numpy as np
import pytest

from skw2v import CBOWVectorizer
from skw2v._aggregate import (AGGREGATIONS, _blocks, _weighted_means, aggregate,
                              sample_ranges, sif_common_component, sif_weights, weighted_mean)
from skw2v._corpus import encode_known

# kernels against plain references: also run as on an older CPU (tests/test_cross_cpu.py)
pytestmark = pytest.mark.cross_cpu


def reference(docs, vectors, agg, counts, component):
    """The aggregations written out document by document, in float64."""
    dim = vectors.shape[1]
    weights = 1e-3 / (1e-3 + counts / counts.sum())
    rows = []
    for doc in docs:
        v = vectors[doc].astype(np.float64)
        if not len(doc):
            rows.append(np.zeros(dim * AGGREGATIONS[agg].width))
        elif agg == "mean":
            rows.append(v.mean(axis=0))
        elif agg == "sum":
            rows.append(v.sum(axis=0))
        elif agg == "max":
            rows.append(v.max(axis=0))
        elif agg == "minmax":
            rows.append(np.concatenate([v.min(axis=0), v.max(axis=0)]))
        else:  # sif: weighted mean, minus its projection on the common component
            x = (weights[doc][:, None] * v).sum(axis=0) / len(doc)
            rows.append(x - (x @ component) * component)
    return np.array(rows)


@pytest.fixture(scope="module")
def lee_setup(lee_docs):
    vec = CBOWVectorizer(vector_size=16, epochs=1, n_jobs=1, random_state=0).fit(lee_docs)
    docs = lee_docs[:40] + ["", "zzzqx qqqzz"]
    ids, indptr = encode_known(docs, vec.build_analyzer(), vec.vocabulary_)
    split = [ids[indptr[i]:indptr[i + 1]] for i in range(len(docs))]
    return vec, ids, indptr, split


@pytest.mark.parametrize("agg", sorted(AGGREGATIONS))
def test_each_aggregation_matches_a_plain_loop(lee_setup, agg):
    vec, ids, indptr, split = lee_setup
    vectors, counts, component = vec.wv_.vectors, vec.wv_.counts, vec.sif_component_
    got = aggregate(ids, indptr, vectors, agg, counts, component)
    want = reference(split, vectors, agg, counts.astype(np.float64), component)
    assert got.shape == (len(split), AGGREGATIONS[agg].width * vectors.shape[1])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    assert not got[-2:].any()  # empty and all-unknown documents are rows of zeros


def test_the_kernel_equals_the_sparse_weighted_mean(lee_setup):
    vec, ids, indptr, _ = lee_setup
    weights = sif_weights(vec.wv_.counts)
    sparse = weighted_mean(ids, indptr, vec.wv_.vectors, weights)
    out = np.empty_like(sparse)
    kernel = _weighted_means(ids, indptr, weights, vec.wv_.vectors, out)
    np.testing.assert_allclose(kernel, sparse, rtol=1e-5, atol=1e-7)


def test_sif_component_is_the_first_singular_vector_of_the_document_vectors(lee_setup, monkeypatch):
    vec, ids, indptr, _ = lee_setup
    vectors, counts = vec.wv_.vectors, vec.wv_.counts
    docs = weighted_mean(ids, indptr, vectors, sif_weights(counts))
    want = np.linalg.svd(docs[np.diff(indptr) > 0].astype(np.float64))[2][0]
    got = sif_common_component(ids, indptr, vectors, counts)
    monkeypatch.setattr("skw2v._aggregate._SIF_BLOCK_DOCS", 7)  # many blocks, a ragged last one
    np.testing.assert_allclose(sif_common_component(ids, indptr, vectors, counts), got, atol=1e-6)
    monkeypatch.setattr("skw2v._aggregate._MAX_TOKENS_PER_BLOCK", 50)  # blocks cut by tokens
    np.testing.assert_allclose(sif_common_component(ids, indptr, vectors, counts), got, atol=1e-6)
    assert abs(float(got @ want)) == pytest.approx(1.0, abs=1e-5)
    assert np.linalg.norm(got) == pytest.approx(1.0, abs=1e-5)


def test_blocks_cover_the_documents_within_their_bounds():
    indptr = np.cumsum([0, 5, 1, 30, 2, 2, 50, 1, 1, 1])
    blocks = list(_blocks(indptr, max_docs=3, max_tokens=10))
    assert blocks[0][0] == 0 and blocks[-1][1] == len(indptr) - 1
    assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:]))
    for lo, hi in blocks:
        assert 1 <= hi - lo <= 3
        assert hi - lo == 1 or indptr[hi] - indptr[lo] <= 10


def test_sample_ranges_spread_over_the_corpus():
    lengths = np.random.default_rng(0).integers(0, 40, 5000)  # empty documents too
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    assert sample_ranges(indptr, int(indptr[-1])) == [(0, 5000)]  # no larger: all of it
    ranges = sample_ranges(indptr, 4000, pieces=16)
    assert len(ranges) == 16 and ranges[0][0] == 0
    assert all(a[1] <= b[0] for a, b in zip(ranges, ranges[1:]))  # increasing, disjoint
    assert all(first < last for first, last in ranges)
    starts = [indptr[first] for first, _ in ranges]
    total = int(indptr[-1])
    assert all(abs(start - i * total / 16) <= 40 for i, start in enumerate(starts))
    taken = sum(int(indptr[last] - indptr[first]) for first, last in ranges)
    assert 4000 - 16 * 40 <= taken <= 4000
    # documents longer than a piece: one document each, still disjoint
    long_docs = np.arange(0, 1001, 100)
    assert sample_ranges(long_docs, 50, pieces=5) == [(i, i + 1) for i in (0, 2, 4, 6, 8)]


def test_sif_component_is_estimated_on_the_sampled_documents(lee_docs):
    vec = CBOWVectorizer(vector_size=16, epochs=1, n_jobs=1, random_state=0).fit(lee_docs)
    ids, indptr = encode_known(lee_docs, vec.build_analyzer(), vec.vocabulary_)
    vectors, counts = vec.wv_.vectors, vec.wv_.counts
    ranges = sample_ranges(indptr, 5000)
    docs = [ids[indptr[d]:indptr[d + 1]] for first, last in ranges for d in range(first, last)]
    sample_indptr = np.concatenate([[0], np.cumsum([len(d) for d in docs])])
    want = sif_common_component(np.concatenate(docs), sample_indptr, vectors, counts,
                                max_tokens=len(ids))
    np.testing.assert_array_equal(
        sif_common_component(ids, indptr, vectors, counts, max_tokens=5000), want)


def test_sif_component_of_fewer_than_two_documents_is_zero(lee_setup):
    vec, ids, indptr, _ = lee_setup
    one = sif_common_component(ids[:indptr[1]], indptr[:2], vec.wv_.vectors, vec.wv_.counts)
    assert one.shape == (16,) and not one.any()


@pytest.mark.parametrize("agg", sorted(AGGREGATIONS))
def test_agg_can_change_after_fitting(lee_docs, agg):
    """Every fit estimates what each aggregation needs: set_params(agg=...) never asks to refit."""
    fitted = CBOWVectorizer(vector_size=16, epochs=1, n_jobs=1, random_state=0).fit(lee_docs)
    direct = CBOWVectorizer(vector_size=16, epochs=1, n_jobs=1, random_state=0,
                            agg=agg).fit(lee_docs)
    switched = fitted.set_params(agg=agg)
    np.testing.assert_array_equal(switched.transform(lee_docs[:30]),
                                  direct.transform(lee_docs[:30]))
    assert len(switched.get_feature_names_out()) == AGGREGATIONS[agg].width * 16


def test_partial_fit_that_trains_nothing_keeps_the_sif_component(lee_docs):
    vec = CBOWVectorizer(vector_size=16, epochs=1, n_jobs=1, random_state=0).fit(lee_docs)
    before = vec.sif_component_.copy()
    vec.partial_fit(["zyzzyva"])  # a still-rare new word: nothing to train on
    np.testing.assert_array_equal(vec.sif_component_, before)
    assert np.linalg.norm(before) == pytest.approx(1.0, abs=1e-5)


def test_sif_component_of_an_empty_corpus_is_zero():
    got = sif_common_component(np.zeros(0, np.int32), np.zeros(1, np.int64),
                               np.ones((3, 4), np.float32), np.ones(3, np.int64))
    assert got.shape == (4,) and not got.any()
