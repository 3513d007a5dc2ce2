"""Tests of the minibatch engine: layered CBOW gradients, optimizers, quality, devices."""

import pickle

import numpy as np
import pytest
from conftest import gensim_data, needs_gpu

from skw2v import CBOWVectorizer, evaluate_word_analogies, evaluate_word_pairs
from skw2v._device import gpu_available
from skw2v._engines.minibatch import (BATCH_AUTO_GPU, SGD, CBOWModel, LazyAdam,
                                      auto_batch_size, scatter_rows)

SANITY = dict(alpha=0.05, window=5, negative=15, min_count=5, epochs=10, sample=0, n_jobs=1)



class FixedSampler:
    """Returns preset negatives, so the loss is a deterministic function of the weights."""

    def __init__(self, neg):
        self.neg = neg

    def sample(self, shape):
        assert shape == self.neg.shape
        return self.neg


def tiny_problem(dtype=np.float64, seed=0):
    rng = np.random.RandomState(seed)
    n_words, dim = 7, 4
    W_in = rng.uniform(-0.5, 0.5, (n_words, dim)).astype(dtype)
    W_out = rng.uniform(-0.5, 0.5, (n_words, dim)).astype(dtype)
    ctx = np.array([[1, 2, 3, 0], [4, 4, 5, 6], [0, 6, 2, 2]], dtype=np.int32)
    mask = np.array([[1, 1, 1, 0], [1, 1, 1, 1], [0, 1, 1, 0]], dtype=bool)
    weight = (mask / mask.sum(1, keepdims=True)).astype(dtype)
    target = np.array([5, 1, 3], dtype=np.int32)
    neg = np.array([[2, 2, 6], [3, 1, 0], [4, 5, 6]], dtype=np.int32)  # row 1 hits its target
    return W_in, W_out, ctx, weight, target, neg


def dense_grad(W, sparse_grad):
    out = np.zeros_like(W)
    rows, coef, src, src_row = sparse_grad
    scatter_rows(np, out, rows, coef, src, src_row)
    return out


@pytest.mark.cross_cpu
def test_layered_loss_gradient_matches_finite_differences():
    W_in, W_out, ctx, weight, target, neg = tiny_problem()
    model = CBOWModel(np, W_in, W_out, FixedSampler(neg), negative=3)

    def total_loss():
        return model.forward(ctx, weight, target).sum()

    total_loss()
    grad_in, grad_out = model.backward(np.ones(len(target)), exact=True)
    analytic = [dense_grad(W_in, grad_in), dense_grad(W_out, grad_out)]
    eps = 1e-6
    for W, g in zip((W_in, W_out), analytic):
        numeric = np.zeros_like(W)
        for i, j in np.ndindex(W.shape):
            old = W[i, j]
            W[i, j] = old + eps
            up = total_loss()
            W[i, j] = old - eps
            down = total_loss()
            W[i, j] = old
            numeric[i, j] = (up - down) / (2 * eps)
        np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.cross_cpu
def test_lazy_adam_touches_only_batch_rows():
    W_in, W_out, ctx, weight, target, neg = tiny_problem(np.float32)
    W_in = np.vstack([W_in, np.ones((5, W_in.shape[1]), np.float32)])
    W_out = np.vstack([W_out, np.ones((5, W_out.shape[1]), np.float32)])
    before = W_in.copy(), W_out.copy()
    model = CBOWModel(np, W_in, W_out, FixedSampler(neg), negative=3)
    adam = LazyAdam(np, W_in, W_out)
    model.forward(ctx, weight, target)
    adam.step(model.backward(np.full(3, 1 / 3, np.float32), exact=True), lr=np.float32(0.001))
    touched = [np.unique(ctx[weight > 0]), np.unique(np.c_[target, neg])]
    for W, old, (m, v), rows in zip((W_in, W_out), before, adam.moments, touched):
        untouched = np.setdiff1d(np.arange(len(W)), rows)
        assert np.array_equal(W[untouched], old[untouched])
        assert not m[untouched].any() and not v[untouched].any()
        assert (W[rows] != old[rows]).any(axis=1).all()


def reference_sgd_step(W_in, W_out, ctx, weight, target, neg, alpha):
    """word2vec's per-example update, every example reading the same snapshot."""
    new_in, new_out = W_in.copy(), W_out.copy()
    for b in range(len(target)):
        words = ctx[b][weight[b] > 0]
        h = W_in[words].mean(axis=0)
        neu1e = np.zeros_like(h)
        for k, word in enumerate([target[b], *neg[b]]):
            if k > 0 and word == target[b]:
                continue
            label = 1.0 if k == 0 else 0.0
            g = (label - 1 / (1 + np.exp(-h @ W_out[word]))) * alpha[b]
            neu1e += g * W_out[word]
            new_out[word] += g * h
        for word in words:
            new_in[word] += neu1e
    return new_in, new_out


@pytest.mark.cross_cpu
def test_sgd_step_equals_per_example_reference():
    W_in, W_out, ctx, weight, target, neg = tiny_problem(np.float64)
    alpha = np.array([0.5, 0.25, 0.125])
    expected = reference_sgd_step(W_in, W_out, ctx, weight, target, neg, alpha)
    model = CBOWModel(np, W_in, W_out, FixedSampler(neg), negative=3)
    model.forward(ctx, weight, target)
    SGD(np, W_in, W_out).step(model.backward(alpha, exact=False))
    np.testing.assert_allclose(W_in, expected[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(W_out, expected[1], rtol=1e-10, atol=1e-12)


@pytest.fixture(scope="module")
def minibatch_fits(lee_docs):
    return {seed: CBOWVectorizer(solver="minibatch", optimizer="sgd", random_state=seed,
                                 **SANITY).fit(lee_docs)
            for seed in (0, 1, 2)}


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gensim_sanity_bombings_near_attacks(minibatch_fits, seed):
    neighbours = [w for w, _ in minibatch_fits[seed].most_similar("attacks", topn=50)]
    assert "bombings" in neighbours


def neighbour_overlap(a, b, n_words=200, topn=10):
    """Mean share of common top-``topn`` neighbours of the ``n_words`` most frequent words."""
    shared = []
    for word in a.wv_.index_to_key[:n_words]:
        na = {w for w, _ in a.most_similar(word, topn=topn)}
        nb = {w for w, _ in b.most_similar(word, topn=topn)}
        shared.append(len(na & nb) / topn)
    return float(np.mean(shared))


@pytest.mark.slow
def test_quality_matches_hogwild(lee_docs, minibatch_fits):
    # lee_background is too small for WordSim353 to separate models (Spearman
    # near 0 with p > 0.5 for every solver): compare the neighbourhoods and
    # the final training loss instead; hogwild's own seed-to-seed agreement is the yardstick.
    hog = [CBOWVectorizer(solver="hogwild", random_state=s, **SANITY).fit(lee_docs)
           for s in (0, 1)]
    between_hogwild = neighbour_overlap(hog[0], hog[1])
    minibatch_vs_hogwild = np.mean([neighbour_overlap(m, hog[0])
                                    for m in (minibatch_fits[0], minibatch_fits[1])])
    assert minibatch_vs_hogwild >= 0.8 * between_hogwild
    assert minibatch_fits[0].loss_curve_[-1] <= 1.05 * hog[0].loss_curve_[-1]
    pearson, spearman, _ = evaluate_word_pairs(minibatch_fits[0].wv_,
                                               gensim_data("wordsim353.tsv"))
    assert np.isfinite(spearman[0])


@pytest.mark.slow
def test_numpy_fit_is_reproducible(lee_docs, minibatch_fits):
    again = CBOWVectorizer(solver="minibatch", random_state=0, **SANITY).fit(lee_docs)
    assert np.array_equal(again.wv_.vectors, minibatch_fits[0].wv_.vectors)
    assert np.array_equal(again.syn1neg_, minibatch_fits[0].syn1neg_)


def test_adam_trains(lee_docs):
    vec = CBOWVectorizer(solver="minibatch", optimizer="adam", alpha=0.01, batch_size=100,
                         window=5, negative=5, min_count=5, epochs=2, random_state=0)
    vec.fit(lee_docs[:150])
    assert vec.loss_curve_[1] < vec.loss_curve_[0]
    assert np.isfinite(vec.wv_.vectors).all()


def test_gpu_without_cupy_says_what_to_install(monkeypatch):
    monkeypatch.setattr("skw2v._device.cuda_simulated", lambda: False)
    if gpu_available():
        pytest.skip("a GPU is available here")
    docs = [["a", "b", "c", "a", "b"]] * 10
    try:
        import cupy  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match=r"skw2v\[gpu\]"):
            CBOWVectorizer(device="gpu", min_count=1).fit(docs)
    vec = CBOWVectorizer(device="auto", solver="minibatch", min_count=1, epochs=1,
                         random_state=0).fit(docs)
    assert isinstance(vec.wv_.vectors, np.ndarray)


@pytest.mark.gpu
@needs_gpu
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gpu_sanity_and_numpy_state(lee_docs, seed):
    vec = CBOWVectorizer(solver="minibatch", device="gpu", random_state=seed, **SANITY)
    vec.fit(lee_docs)
    assert "bombings" in [w for w, _ in vec.most_similar("attacks", topn=50)]
    assert type(vec.wv_.vectors) is np.ndarray and type(vec.syn1neg_) is np.ndarray
    clone = pickle.loads(pickle.dumps(vec))
    assert np.array_equal(clone.wv_.vectors, vec.wv_.vectors)


@pytest.mark.gpu
@needs_gpu
def test_gpu_adam_runs(lee_docs):
    vec = CBOWVectorizer(solver="minibatch", device="gpu", optimizer="adam", alpha=0.01,
                         batch_size=100, epochs=2, random_state=0).fit(lee_docs)
    assert np.isfinite(vec.wv_.vectors).all()


@pytest.mark.slow
def test_minibatch_sgd_matches_hogwild_quality_on_real_english(english_docs):
    """Median over 3 seeds on ~0.5M tokens of Wikipedia + news.

    Analogy accuracy within 1 point of hogwild. WS353 within 0.05: on a corpus
    this small single seeds of one solver spread by more than 0.1, so the
    tighter 0.02 of the issue is checked on the 2.3M-token benchmark corpus
    (benchmarks/bench_solvers.py, benchmarks/RESULTS.md), not here.
    """
    params = dict(vector_size=100, window=5, negative=5, min_count=5, epochs=5, n_jobs=2)
    questions = gensim_data("questions-words.txt")
    pairs = gensim_data("wordsim353.tsv")
    scores = {"hogwild": [], "minibatch": []}
    for seed in range(3):
        for solver in scores:
            kv = CBOWVectorizer(solver=solver, random_state=seed, **params).fit(english_docs).wv_
            scores[solver].append((evaluate_word_analogies(kv, questions)[0],
                                   evaluate_word_pairs(kv, pairs)[1][0]))
    (hog_acc, hog_ws), (mb_acc, mb_ws) = (np.median(scores[s], axis=0) for s in scores)
    assert hog_ws > 0.1 and mb_ws > 0.1  # both learned real word similarity
    assert mb_acc >= hog_acc - 0.01
    assert abs(mb_ws - hog_ws) <= 0.05


class NumpyAsCuPy:
    """numpy dressed as CuPy: ``xp is np`` is False, so the engine takes its CuPy branches
    (``xp.add.at`` scatter with the row cap, dense-scratch Adam sums, device RNG and
    context) and CI runs the GPU code path's logic without a GPU."""

    def __getattr__(self, name):
        return getattr(np, name)

    class cuda:  # noqa: N801 - mirrors cupy.cuda
        class Device:
            def __init__(self, index):
                self.index = index

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False


@pytest.fixture
def fake_gpu(monkeypatch):
    import skw2v._vectorizer

    monkeypatch.setattr(skw2v._vectorizer, "resolve_device", lambda device: (NumpyAsCuPy(), 0))


@pytest.mark.slow
def test_cupy_code_path_on_numpy_passes_the_sanity_test(lee_docs, fake_gpu):
    vec = CBOWVectorizer(solver="minibatch", device="gpu", random_state=0, **SANITY).fit(lee_docs)
    assert "bombings" in [w for w, _ in vec.most_similar("attacks", topn=50)]
    assert type(vec.wv_.vectors) is np.ndarray and np.isfinite(vec.wv_.vectors).all()


def test_cupy_code_path_adam_on_numpy(lee_docs, fake_gpu):
    vec = CBOWVectorizer(solver="minibatch", device="gpu", optimizer="adam", alpha=0.01,
                         batch_size=100, window=5, negative=5, min_count=5, epochs=2,
                         random_state=0)
    vec.fit(lee_docs[:150])
    assert vec.loss_curve_[1] < vec.loss_curve_[0] and np.isfinite(vec.wv_.vectors).all()


def test_auto_batch_size_stays_where_quality_holds():
    # benchmarks/RESULTS.md "minibatch batch size vs quality": on english, batches up to
    # 4096 keep batch 256's quality; 8192 loses ~1 analogy point and 0.02 WS353 and SimLex.
    gpu = NumpyAsCuPy()
    assert BATCH_AUTO_GPU == 4096
    assert auto_batch_size(np, 10**6) == 256                # numpy: always 256
    assert auto_batch_size(gpu, 1_815) == 256               # lee_background: floor
    assert auto_batch_size(gpu, 22_061) == 22_061 // 8      # english: n_words // 8
    assert auto_batch_size(gpu, 10**6) == 4096              # large vocabularies: the cap
    assert all(256 <= auto_batch_size(gpu, n) <= 4096 for n in (0, 1, 10**4, 10**5, 10**7))
