"""The GPU hogwild engine without a GPU: its plan, its CPU reference, its kernel source.

The kernel runs in numba's CUDA simulator (the suite sets
NUMBA_ENABLE_CUDASIM=1, see conftest.py): slow, so on tens to hundreds of
words. Its CPU reference is checked against a plain float64 transcription of
word2vec's CBOW update (SPEC section 2), and the kernel against the
reference. Tests marked ``gpu`` need a device (NUMBA_ENABLE_CUDASIM=0).
"""

import json
import os
import pickle
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from conftest import gensim_data, needs_gpu
from skw2v import CBOWVectorizer, evaluate_word_analogies, evaluate_word_pairs, load
from skw2v._corpus import EncodedCorpus
from skw2v._engines import TrainingTables
from skw2v._engines.cuda import CudaHogwildEngine
from skw2v._engines.cuda_kernel import WARP, lanes_for, train_kernel
from skw2v._engines.segment_reference import train_segments_reference
from skw2v._engines.segments import negative_draw, plan_segments, window_shrink
from skw2v._random import word_key
from skw2v._sampler import alias_table
from skw2v._schedule import Schedule, linear_alpha
from skw2v._training import run_epochs

HERE = os.path.dirname(os.path.abspath(__file__))


def random_block(n_words=90, vocab=10, dim=20, segment_words=8, seed=0, locked=()):
    """A block with every complication: subsampling, several documents (one of a
    single word), segments shorter than a window, a small vocabulary (negatives
    that hit the target or repeat). The tables are ``(prob, alias, locked)``, with
    the input rows of the words in ``locked`` frozen."""
    rng = np.random.RandomState(seed)
    prob, alias = alias_table(rng.randint(1, 40, vocab), 0.75)
    keep_prob = rng.uniform(0.4, 1.3, vocab).astype(np.float32)
    ids = rng.randint(0, vocab, n_words).astype(np.int32)
    offsets = np.array([0, 7, n_words // 2, n_words // 2 + 1, 3 * n_words // 4, n_words], np.int64)
    plan = plan_segments(np, ids, offsets, keep_prob, 77, 5000, segment_words)
    syn0 = rng.uniform(-0.5, 0.5, (vocab, dim)).astype(np.float32)
    syn1neg = rng.uniform(-0.3, 0.3, (vocab, dim)).astype(np.float32)
    schedule = dict(window=3, negative=4, seed=np.uint64(77), pos_base=np.uint64(5000),
                    alpha0=np.float32(0.05), step=np.float32(2e-5), min_alpha=np.float32(1e-3))
    lock = np.zeros(vocab, np.uint8)
    lock[list(locked)] = 1
    return plan, (prob, alias, lock), syn0, syn1neg, schedule


def run(trainer, plan, tables, syn0, syn1neg, s, *extra):
    """Train copies of the weights; return them with the per-segment loss and examples."""
    syn0, syn1neg = syn0.copy(), syn1neg.copy()
    loss = np.zeros(len(plan.start), np.float32)
    examples = np.zeros(len(plan.start), np.int32)
    trainer(*plan, syn0, syn1neg, *tables, s["window"], s["negative"], s["seed"], s["pos_base"],
            s["alpha0"], s["step"], s["min_alpha"], loss, examples, *extra)
    return syn0, syn1neg, loss, examples


# ------------------------------------------------------------------ the plan
def test_segments_cover_the_kept_words_in_order_within_documents():
    plan, *_ = random_block(n_words=400, segment_words=8)
    start, end, lo, hi = plan.start, plan.end, plan.doc_lo, plan.doc_hi
    assert start[0] == 0 and end[-1] == len(plan.ids)
    assert (start[1:] == end[:-1]).all() and (end > start).all() and (end - start <= 8).all()
    assert ((lo <= start) & (end <= hi)).all()
    assert np.isin(plan.pos, np.arange(400)).all() and (np.diff(plan.pos) > 0).all()
    # a document's segments share its bounds, which are kept-word edges
    assert set(np.unique(np.concatenate([lo, hi]))) <= set(start) | {len(plan.ids)}


def test_documents_left_empty_get_no_segment():
    ids = np.array([0, 1, 0, 2, 2, 1, 0, 1, 1, 1, 1], np.int32)  # word 2 is always dropped
    keep_prob = np.array([1.0, 1.0, 0.0], np.float32)
    offsets = np.array([0, 3, 3, 5, 11])  # docs: [0 1 0], [], [2 2], [1 0 1 1 1 1]
    plan = plan_segments(np, ids, offsets, keep_prob, 1, 0, segment_words=4)
    np.testing.assert_array_equal(plan.ids, [0, 1, 0, 1, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(plan.pos, [0, 1, 2, 5, 6, 7, 8, 9, 10])
    np.testing.assert_array_equal(plan.start, [0, 3, 7])
    np.testing.assert_array_equal(plan.end, [3, 7, 9])
    np.testing.assert_array_equal(plan.doc_lo, [0, 3, 3])
    np.testing.assert_array_equal(plan.doc_hi, [3, 9, 9])


def test_subsampling_draws_depend_on_the_global_position_only():
    """Planning one block or two gives the same kept words: results do not depend on blocking."""
    rng = np.random.RandomState(1)
    ids = rng.randint(0, 50, 3000).astype(np.int32)
    keep_prob = rng.uniform(0.1, 1.0, 50).astype(np.float32)
    whole = plan_segments(np, ids, np.array([0, 1000, 3000]), keep_prob, 9, 10**6)
    left = plan_segments(np, ids[:1000], np.array([0, 1000]), keep_prob, 9, 10**6)
    right = plan_segments(np, ids[1000:], np.array([0, 2000]), keep_prob, 9, 10**6 + 1000)
    np.testing.assert_array_equal(whole.pos, np.concatenate([left.pos, right.pos + 1000]))
    other_seed = plan_segments(np, ids, np.array([0, 3000]), keep_prob, 10, 10**6)
    assert not np.array_equal(other_seed.pos, whole.pos)


def test_subsampling_keeps_each_word_at_its_keep_probability():
    n = 200_000
    ids = np.arange(n, dtype=np.int32) % 4
    keep_prob = np.array([0.1, 0.5, 0.9, 1.5], np.float32)
    plan = plan_segments(np, ids, np.array([0, n]), keep_prob, 3, 0)
    kept = np.bincount(plan.ids, minlength=4) / (n / 4)
    np.testing.assert_allclose(kept, [0.1, 0.5, 0.9, 1.0], atol=0.01)  # 5 sigma: 0.0067


# ------------------------------------------------------------- the reference
def word2vec_cbow(plan, tables, syn0, syn1neg, s):
    """SPEC section 2 in float64, word by word over the kept words of each document
    (the input rows of locked words are not updated)."""
    prob, alias, locked = tables
    syn0, syn1neg = syn0.astype(np.float64), syn1neg.astype(np.float64)
    loss = 0.0
    for t in range(len(plan.ids)):
        seg = np.searchsorted(plan.end, t, side="right")
        key = word_key(s["seed"], s["pos_base"] + np.uint64(plan.pos[t]))
        b = window_shrink(key, s["window"])
        lo = max(plan.doc_lo[seg], t - s["window"] + b)
        hi = min(plan.doc_hi[seg], t + s["window"] + 1 - b)
        context = [plan.ids[c] for c in range(lo, hi) if c != t]
        if not context:
            continue
        h = syn0[context].mean(axis=0)
        alpha = float(linear_alpha(s["alpha0"], s["step"], s["min_alpha"], np.float32(plan.pos[t])))
        neu1e = np.zeros_like(h)
        targets = [(plan.ids[t], 1.0)] + [(negative_draw(key, d, prob, alias), 0.0)
                                           for d in range(s["negative"])]
        for target, label in targets:
            if label == 0.0 and target == plan.ids[t]:
                continue
            f = h @ syn1neg[target]
            sig = 1.0 if f > 6 else 0.0 if f < -6 else 1 / (1 + np.exp(-f))
            loss += np.logaddexp(0, f) - label * f
            g = (label - sig) * alpha
            neu1e += g * syn1neg[target]
            syn1neg[target] += g * h
        for c in context:
            if not locked[c]:
                syn0[c] += neu1e
    return syn0, syn1neg, loss


def assert_rows_unchanged(after, before, locked):
    """The rows of ``locked`` words are bit-identical; every other row was trained."""
    frozen = np.asarray(locked).astype(bool)
    assert np.array_equal(after[frozen].view(np.uint32), before[frozen].view(np.uint32))
    assert (after[~frozen] != before[~frozen]).any(axis=1).all()


@pytest.mark.cross_cpu
@pytest.mark.parametrize("locked", [(), (1, 4, 7)])
def test_reference_is_word2vecs_cbow_update(locked):
    plan, tables, syn0, syn1neg, s = random_block(locked=locked)
    want0, want1, want_loss = word2vec_cbow(plan, tables, syn0, syn1neg, s)
    got0, got1, loss, examples = run(train_segments_reference, plan, tables, syn0, syn1neg, s, 1)
    np.testing.assert_allclose(got0, want0, atol=2e-6)
    np.testing.assert_allclose(got1, want1, atol=2e-6)
    assert loss.sum() == pytest.approx(want_loss, rel=1e-5)
    assert 0 < examples.sum() < len(plan.ids)  # the one-word document has no context
    assert np.abs(got0 - syn0).max() > 1e-3  # and it did train
    assert_rows_unchanged(got0, syn0, tables[2])
    assert (got1 != syn1neg).any(axis=1).all()  # locked words' output rows train too


def test_lockstep_segments_read_before_they_write():
    """With every segment in flight each round reads the same weights, so the order of
    the segments cannot matter (up to float addition order); one at a time, it does."""
    plan, tables, syn0, syn1neg, s = random_block(n_words=200, segment_words=40)
    n = len(plan.start)
    order = np.arange(n)[::-1]
    flipped = plan._replace(start=plan.start[order], end=plan.end[order],
                            doc_lo=plan.doc_lo[order], doc_hi=plan.doc_hi[order])
    a = run(train_segments_reference, plan, tables, syn0, syn1neg, s, n)
    b = run(train_segments_reference, flipped, tables, syn0, syn1neg, s, n)
    np.testing.assert_allclose(a[0], b[0], atol=1e-6)
    np.testing.assert_allclose(a[1], b[1], atol=1e-6)
    np.testing.assert_allclose(a[2], b[2][order], rtol=1e-5)
    a = run(train_segments_reference, plan, tables, syn0, syn1neg, s, 1)
    b = run(train_segments_reference, flipped, tables, syn0, syn1neg, s, 1)
    assert np.abs(a[0] - b[0]).max() > 1e-3


# ----------------------------------------------------- the kernel, simulated
def test_kernel_in_the_simulator_equals_the_reference():
    """With locked words: their input rows stay bit-identical in both."""
    plan, tables, syn0, syn1neg, s = random_block(n_words=48, dim=40,  # 2 values a lane
                                                  locked=(0, 3, 8))
    kernel = train_kernel(lanes_for(40))[1, WARP]  # one warp: segments one after another
    want = run(train_segments_reference, plan, tables, syn0, syn1neg, s, 1)
    got = run(kernel, plan, tables, syn0, syn1neg, s)
    for w, g in zip(want[:3], got[:3]):
        np.testing.assert_allclose(g, w, atol=1e-6, rtol=1e-5)
    np.testing.assert_array_equal(got[3], want[3])
    frozen = tables[2].astype(bool)
    for trained in (want[0], got[0]):
        assert np.array_equal(trained[frozen].view(np.uint32), syn0[frozen].view(np.uint32))
    assert np.abs(got[0] - syn0).max() > 1e-3


def test_training_does_not_depend_on_blocking():
    """Counter-based draws: a corpus trained in blocks of 37 words or in one block is
    trained alike (one segment at a time, the order is the same); only the float32
    rate, counted from each block's start, rounds differently."""
    rng = np.random.RandomState(2)
    ids = rng.randint(0, 30, 600).astype(np.int32)
    corpus = EncodedCorpus(ids, np.unique(np.r_[0, rng.randint(1, 600, 40), 600]).astype(np.int64))
    tables = TrainingTables(rng.uniform(0.3, 1.2, 30).astype(np.float32),
                            *alias_table(rng.randint(1, 99, 30), 0.75))
    results = []
    for block_words in (37, 10**6):
        syn0 = np.random.RandomState(0).uniform(-0.1, 0.1, (30, 16)).astype(np.float32)
        syn1neg = np.zeros_like(syn0)
        engine = CudaHogwildEngine(corpus, tables, syn0, syn1neg, window=4, negative=3,
                                   random_state=np.random.RandomState(5), xp=np,
                                   device_index=0, block_words=block_words, concurrency=1,
                                   reference=True)
        history = run_epochs(engine, Schedule(0.025, 1e-4, 600, 2))
        results.append((syn0, syn1neg, [h.loss for h in history]))
    (a0, a1, aloss), (b0, b1, bloss) = results
    np.testing.assert_allclose(a0, b0, atol=1e-6)
    np.testing.assert_allclose(a1, b1, atol=1e-6)
    np.testing.assert_allclose(aloss, bloss, rtol=1e-6)


class _Event:
    def __init__(self, log):
        self.log, self.synced = log, False

    def synchronize(self):
        self.synced = True


def fake_cupy(monkeypatch):
    """Just enough CuPy for BlockLoader: copies are immediate, streams keep a log."""
    from types import SimpleNamespace

    log = {"copies": [], "copy_events": [], "used_events": [], "waited": []}

    class DeviceArray(np.ndarray):
        def set(self, host, stream=None):
            j = len(log["copies"])
            if j >= 2:  # buffer j % 2 is reused: the block that used it must be done
                assert log["used_events"][j - 2].synced
            assert stream is copy_stream[0]
            self[...] = host
            log["copies"].append(host.copy())

    class Stream:
        def __init__(self, non_blocking=False):
            self.events = log["copy_events"] if non_blocking else log["used_events"]
            if non_blocking:
                copy_stream.append(self)

        def record(self):
            self.events.append(_Event(log))
            return self.events[-1]

        def wait_event(self, event):
            log["waited"].append(event)

        def synchronize(self):  # everything recorded on the stream is done
            for event in self.events:
                event.synchronize()

    copy_stream, compute = [], Stream()
    cp = SimpleNamespace(int32=np.int32, empty=lambda n, dtype: np.zeros(n, dtype).view(DeviceArray),
                         cuda=SimpleNamespace(Stream=Stream, get_current_stream=lambda: compute))
    log["pinned"] = 0

    def empty_pinned(n, dtype):
        log["pinned"] += 1
        return np.empty(n, dtype)

    monkeypatch.setitem(sys.modules, "cupyx", SimpleNamespace(empty_pinned=empty_pinned))
    return cp, log


def test_block_loader_overlaps_copies_and_never_overwrites_a_block_in_use(monkeypatch):
    from skw2v._engines.cuda import BlockLoader

    cp, log = fake_cupy(monkeypatch)
    ids = np.arange(100, dtype=np.int32)
    spans = [(0, 30), (30, 45), (45, 80), (80, 100)]
    loader = BlockLoader(cp, ids)
    for i, block in enumerate(loader.blocks(spans)):
        np.testing.assert_array_equal(block, ids[slice(*spans[i])])
        # block i + 1 is already copying while block i is trained
        assert len(log["copies"]) == min(i + 2, len(spans))
        assert log["waited"][-1] is log["copy_events"][i]
    assert len(log["waited"]) == len(spans)
    # the next epoch reuses the buffers: nothing is allocated again
    assert [len(b) for b in loader.blocks(spans)] == [30, 15, 35, 20] and log["pinned"] == 2
    # a corpus of one block is copied once and stays on the device across epochs
    cp, log = fake_cupy(monkeypatch)
    one = BlockLoader(cp, ids)
    first = [b for _ in range(3) for b in one.blocks([(0, 100)])]
    assert len(log["copies"]) == 1
    assert all(b is first[0] or np.shares_memory(b, first[0]) for b in first)


def test_running_out_of_gpu_memory_says_what_the_model_needs(monkeypatch):
    import skw2v._engines.cuda as cuda_engine

    def out_of_memory(*args, **kwargs):
        raise MemoryError("Out of memory allocating 1,073,741,824 bytes")

    corpus = EncodedCorpus(np.zeros(10, np.int32), np.array([0, 10], np.int64))
    tables = TrainingTables(np.ones(3, np.float32), *alias_table(np.array([5, 3, 2]), 0.75))
    engine = CudaHogwildEngine(corpus, tables, np.zeros((3, 300), np.float32),
                               np.zeros((3, 300), np.float32), window=2, negative=2,
                               random_state=np.random.RandomState(0), xp=np, device_index=0)
    monkeypatch.setattr(cuda_engine, "plan_segments", out_of_memory)
    with pytest.raises(MemoryError, match=r"two 3 x 300 float32 matrices.*device='cpu'"):
        engine.train(0, 0, 1, Schedule(0.025, 1e-4, 10, 1), print)


DOCS = ["the cat sat on the mat while the dog slept on the rug",
        "a dog and a cat played in the garden near the house",
        "the bird sang on the roof of the house in the morning",
        "a cat chased the bird across the garden and the dog barked"]


def use_reference(monkeypatch, concurrency):
    """Make the estimator's GPU engine run the CPU reference at ``concurrency``."""
    import skw2v._vectorizer as vectorizer

    real = vectorizer.engine_class
    monkeypatch.setattr(vectorizer, "engine_class", lambda solver, gpu=False: (
        lambda *a, **kw: CudaHogwildEngine(*a, **kw, concurrency=concurrency, reference=True))
        if gpu else real(solver, gpu))


def test_fit_on_a_gpu_runs_the_kernel_in_the_simulator(tmp_path, monkeypatch):
    """CBOWVectorizer(device="gpu") as a user runs it, the kernel simulated: it trains what
    the reference trains (whose quality is tested at scale below), learns as much as the
    CPU engine, and its model is a plain fitted model."""
    params = dict(vector_size=8, window=2, negative=2, min_count=1, epochs=2, sample=0,
                  alpha=0.05, random_state=0)
    gpu = CBOWVectorizer(device="gpu", **params).fit(DOCS)
    cpu = CBOWVectorizer(device="cpu", n_jobs=1, **params).fit(DOCS)
    assert gpu.n_words_trained_ == cpu.n_words_trained_ == 2 * sum(len(d.split()) for d in DOCS)
    assert np.mean(gpu.loss_curve_) == pytest.approx(np.mean(cpu.loss_curve_), rel=0.05)
    assert type(gpu.syn1neg_) is np.ndarray and np.isfinite(gpu.wv_.vectors).all()
    gpu.save(tmp_path / "m.skw2v")
    for copy in (load(tmp_path / "m.skw2v"), pickle.loads(pickle.dumps(gpu))):
        np.testing.assert_array_equal(copy.transform(DOCS), gpu.transform(DOCS))
    use_reference(monkeypatch, 1)
    ref = CBOWVectorizer(device="gpu", **params).fit(DOCS)
    np.testing.assert_allclose(gpu.wv_.vectors, ref.wv_.vectors, atol=1e-6)
    np.testing.assert_allclose(gpu.syn1neg_, ref.syn1neg_, atol=1e-6)
    np.testing.assert_allclose(gpu.loss_curve_, ref.loss_curve_, rtol=1e-5)
    assert np.abs(gpu.wv_.vectors - cpu.wv_.vectors).max() > 1e-3  # its own draws


# ------------------------------------------------------------------ quality
def scores(kv):
    return (evaluate_word_analogies(kv, gensim_data("questions-words.txt"))[0],
            evaluate_word_pairs(kv, gensim_data("wordsim353.tsv"))[1][0])


@pytest.mark.slow
def test_reference_at_gpu_concurrency_reaches_cpu_quality(english_docs, monkeypatch):
    """The GPU engine's algorithm with its CPU reference standing in for the kernel, at the
    engine's default number of segments in flight, against CPU hogwild
    (level with gensim, benchmarks/RESULTS.md). Median of 3 seeds on ~0.5M tokens; the
    tight comparison with gensim on 2.3M tokens is benchmarks/bench_gpu.py --reference."""
    from skw2v._engines.cuda import CONCURRENCY

    params = dict(vector_size=100, window=5, negative=5, min_count=5, epochs=5, n_jobs=2)
    results = {}
    for name, concurrency in [("cpu", None), ("gpu", CONCURRENCY)]:
        if concurrency is not None:
            use_reference(monkeypatch, concurrency)
        fit = lambda seed: scores(CBOWVectorizer(  # noqa: E731
            device="gpu" if concurrency else "cpu", random_state=seed,
            **params).fit(english_docs).wv_)
        with ThreadPoolExecutor(2) as pool:  # the reference is one thread; it releases the GIL
            results[name] = np.median(list(pool.map(fit, range(3))), axis=0)
    (cpu_acc, cpu_ws) = results["cpu"]
    assert cpu_ws > 0.1
    acc, ws = results["gpu"]
    assert acc >= cpu_acc - 0.01, results
    assert abs(ws - cpu_ws) <= 0.05, results


# ---------------------------------------------------------------------- PTX
@pytest.mark.slow
def test_kernels_compile_for_sm90_without_float64_or_spills():
    """numba-cuda compiles the real kernel to PTX for an H100 (no GPU needed: libNVVM
    comes from the nvidia-cuda-nvcc-cu12 wheel), and ptxas assembles it."""
    pytest.importorskip("numba_cuda", reason="numba-cuda (gpu and test extras) is not installed")
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "0"}
    out = subprocess.run([sys.executable, os.path.join(HERE, "ptx_report.py"), "1", "4", "8"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    for per_lane, report in json.loads(out.stdout).items():
        assert report["f64_lines"] == [], per_lane  # float32 arithmetic only
        assert ".target sm_90" in report["head"]
        if report["ptxas"] is not None:  # ptxas ships in the same wheel
            assert report["ptxas"]["spill_stores"] == 0 and report["ptxas"]["stack"] == 0
            assert 0 < report["ptxas"]["registers"] <= 128


# ----------------------------------------------------------------- real GPU
@pytest.mark.gpu
@needs_gpu
def test_kernel_on_the_device_equals_the_reference():
    import cupy

    plan, tables, syn0, syn1neg, s = random_block(n_words=300, dim=100, locked=(2, 5))
    want = run(train_segments_reference, plan, tables, syn0, syn1neg, s, 1)
    kernel = train_kernel(lanes_for(100))[1, WARP]
    d = [cupy.asarray(a) for a in (*plan, syn0, syn1neg, *tables)]
    loss, examples = cupy.zeros(len(plan.start), np.float32), cupy.zeros(len(plan.start), np.int32)
    kernel(*d, s["window"], s["negative"], s["seed"], s["pos_base"], s["alpha0"], s["step"],
           s["min_alpha"], loss, examples)
    np.testing.assert_allclose(d[6].get(), want[0], atol=1e-5)
    np.testing.assert_allclose(d[7].get(), want[1], atol=1e-5)
    np.testing.assert_array_equal(examples.get(), want[3])
    frozen = tables[2].astype(bool)
    assert np.array_equal(d[6].get()[frozen].view(np.uint32), syn0[frozen].view(np.uint32))


@pytest.mark.gpu
@needs_gpu
def test_fit_on_the_device_passes_the_sanity_test(lee_docs):
    vec = CBOWVectorizer(device="gpu", alpha=0.05, window=5, negative=15, min_count=5,
                         epochs=10, sample=0, random_state=0).fit(lee_docs)
    assert "bombings" in [w for w, _ in vec.most_similar("attacks", topn=50)]
    assert type(vec.wv_.vectors) is np.ndarray and np.isfinite(vec.wv_.vectors).all()


@pytest.mark.gpu
@needs_gpu
def test_blocks_stream_through_the_device_as_one_block_trains(lee_docs):
    """Many blocks (copies overlapping training on two streams) train what one resident
    block trains: the same words survive subsampling (counter-based draws) and the loss
    matches up to the order of the warps' atomic adds."""
    import cupy

    vec = CBOWVectorizer(min_count=5).fit(lee_docs[:50])  # only for its vocabulary
    ids = np.concatenate([[vec.vocabulary_[w] for w in d.lower().split() if w in vec.vocabulary_]
                          for d in lee_docs]).astype(np.int32)
    corpus = EncodedCorpus(ids, np.r_[np.arange(0, len(ids), 50), len(ids)].astype(np.int64))
    counts = np.bincount(ids, minlength=len(vec.vocabulary_))
    tables = TrainingTables(np.minimum(1.0, 2000.0 / np.maximum(counts, 1)).astype(np.float32),
                            *alias_table(np.maximum(counts, 1), 0.75))
    tallies = {}
    for block_words in (997, 10**7):
        syn0 = np.random.RandomState(0).uniform(-0.01, 0.01, (len(counts), 100)).astype(np.float32)
        engine = CudaHogwildEngine(corpus, tables, syn0, np.zeros_like(syn0), window=5, negative=5,
                                   random_state=np.random.RandomState(1), xp=cupy, device_index=0,
                                   block_words=block_words)
        history = run_epochs(engine, Schedule(0.025, 1e-4, len(ids), 2))
        tallies[block_words] = [(h.effective_words, h.examples, h.loss) for h in history]
        assert np.isfinite(syn0).all() and np.abs(syn0).max() > 0.01  # trained, copied back
    for (e1, x1, l1), (e2, x2, l2) in zip(tallies[997], tallies[10**7]):
        assert (e1, x1) == (e2, x2)
        assert l1 == pytest.approx(l2, rel=0.02)
