"""Locked words (``TrainingTables.locked``, gensim's ``lockf``) in every training engine.

The input rows (``syn0``) of locked words must come out of training
bit-identical, never written (not even with +0.0: the locked rows start with
-0.0 and subnormal entries, which an added zero or a flushing atomic add
would change), while every other input row and all output rows (``syn1neg``,
the locked words' included) train as usual. An all-zero lock array must train
exactly what no lock array (``locked=None``) trains.

Each engine trains real text (gensim's lee_background, ~56k words) with about
a third of the vocabulary locked; the CUDA kernel runs in numba's CUDA
simulator on a few dozen words. The kernels' comparisons with their plain
references include locked words too (tests/test_kernel.py, tests/test_cuda.py).
"""

import numpy as np
import pytest

from skw2v._analyzer import build_analyzer
from skw2v._corpus import EncodedCorpus, encode, read_corpus
from skw2v._engines import TrainingTables, locked_rows
from skw2v._engines.cuda import CudaHogwildEngine
from skw2v._engines.hogwild import HogwildEngine
from skw2v._engines.minibatch import SGD, CBOWModel, LazyAdam, MinibatchEngine
from skw2v._sampler import alias_table
from skw2v._schedule import Schedule
from skw2v._training import run_epochs
from skw2v._vocab import Vocabulary

from test_minibatch import FixedSampler, NumpyAsCuPy, reference_sgd_step, tiny_problem

DIM = 16
TINY = 0.5e-40  # a float32 subnormal


@pytest.fixture(scope="module")
def lee(lee_docs):
    """The encoded lee corpus, its vocabulary's tables and a lock of a third of its words."""
    raw = read_corpus(lee_docs, build_analyzer())
    vocab = Vocabulary.from_counts(raw.words, raw.counts, 3)
    corpus = encode(raw, vocab.remap_table(raw.words), 10_000)
    tables = TrainingTables(vocab.keep_probs(1e-3), *alias_table(vocab.counts, 0.75))
    locked = (np.random.RandomState(42).random_sample(len(vocab)) < 1 / 3).astype(np.uint8)
    locked[:3] = 1  # the most frequent words too
    return corpus, tables, locked


def start_weights(n_words, locked=None, dim=DIM):
    """Random input rows (locked rows holding -0.0 and a subnormal), zero output rows."""
    syn0 = np.random.RandomState(0).uniform(-0.5 / dim, 0.5 / dim, (n_words, dim))
    syn0 = syn0.astype(np.float32)
    if locked is not None:
        frozen = locked.astype(bool)
        syn0[frozen, 0] = -0.0
        syn0[frozen, 1] = TINY
    return syn0, np.zeros_like(syn0)


def same_bits(a, b):
    return np.array_equal(np.asarray(a).view(np.uint32), np.asarray(b).view(np.uint32))


ENGINES = {
    "hogwild-1-thread": lambda *a, **kw: HogwildEngine(*a, **kw, n_threads=1),
    "hogwild-2-threads": lambda *a, **kw: HogwildEngine(*a, **kw, n_threads=2, chunk_words=4000),
    "minibatch-sgd": lambda *a, **kw: MinibatchEngine(*a, **kw, batch_size=128, optimizer="sgd",
                                                      xp=np, device_index=None),
    "minibatch-adam": lambda *a, **kw: MinibatchEngine(*a, **kw, batch_size=128,
                                                       optimizer="adam", xp=np,
                                                       device_index=None),
    # the minibatch engine's CuPy branches (atomic scatter, no host sync) on numpy
    "minibatch-sgd-cupy-path": lambda *a, **kw: MinibatchEngine(*a, **kw, batch_size=128,
                                                                optimizer="sgd",
                                                                xp=NumpyAsCuPy(),
                                                                device_index=0),
    "minibatch-adam-cupy-path": lambda *a, **kw: MinibatchEngine(*a, **kw, batch_size=128,
                                                                 optimizer="adam",
                                                                 xp=NumpyAsCuPy(),
                                                                 device_index=0),
    # the GPU engine with its CPU reference for the kernel, 64 segments in flight
    "gpu-reference": lambda *a, **kw: CudaHogwildEngine(*a, **kw, xp=np, device_index=0,
                                                        concurrency=64, reference=True),
}
DETERMINISTIC = [name for name in ENGINES if name != "hogwild-2-threads"]


def train(make, corpus, tables, syn0, syn1neg, epochs=1, alpha=0.025, window=5, negative=5):
    engine = make(corpus, tables, syn0, syn1neg, window=window, negative=negative,
                  random_state=np.random.RandomState(7))
    history = run_epochs(engine, Schedule(alpha, 1e-4, corpus.n_words, epochs))
    return history


def alpha_of(name):
    return 0.01 if "adam" in name else 0.025


@pytest.mark.parametrize("name", ENGINES)
def test_locked_input_rows_stay_bit_identical_and_the_rest_trains(name, lee):
    corpus, tables, locked = lee
    frozen = locked.astype(bool)
    syn0, syn1neg = start_weights(len(locked), locked)
    start = syn0.copy()
    history = train(ENGINES[name], corpus, tables._replace(locked=locked), syn0, syn1neg,
                    alpha=alpha_of(name))
    assert same_bits(syn0[frozen], start[frozen])
    assert (syn0[~frozen] != start[~frozen]).any(axis=1).all()  # every other word learned
    assert (syn1neg[frozen] != 0).any(axis=1).all()             # locked words' output rows too
    assert (syn1neg[~frozen] != 0).any(axis=1).all()
    assert np.isfinite(syn0).all() and np.isfinite(history[-1].loss)


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_a_lock_of_zeros_trains_exactly_what_no_lock_trains(name, lee):
    corpus, tables, _ = lee
    results = []
    for locked in (None, np.zeros(len(tables.prob), np.uint8)):
        syn0, syn1neg = start_weights(len(tables.prob))
        history = train(ENGINES[name], corpus, tables._replace(locked=locked), syn0, syn1neg,
                        alpha=alpha_of(name))
        results.append((syn0, syn1neg, [h.loss for h in history]))
    (a0, a1, aloss), (b0, b1, bloss) = results
    assert same_bits(a0, b0) and same_bits(a1, b1) and aloss == bloss


def test_the_cuda_kernel_in_the_simulator_leaves_locked_rows_alone(lee):
    """The real kernel source (numba's CUDA simulator) on two short documents of lee."""
    corpus, tables, locked = lee
    ids = np.asarray(corpus.ids[:40])
    tiny = EncodedCorpus(ids, np.array([0, 18, 40], np.int64))
    tables = tables._replace(keep_prob=np.ones_like(tables.keep_prob))  # keep every word
    make = lambda *a, **kw: CudaHogwildEngine(*a, **kw, xp=np, device_index=0)  # noqa: E731
    frozen = locked.astype(bool)
    words = np.zeros(len(locked), bool)
    words[ids] = True
    assert (words & frozen).sum() >= 3 and (words & ~frozen).sum() >= 3

    syn0, syn1neg = start_weights(len(locked), locked, dim=8)
    start = syn0.copy()
    # output rows start at zero: the first epoch's input updates are zero for early words
    train(make, tiny, tables._replace(locked=locked), syn0, syn1neg, epochs=2, alpha=0.05,
          window=3, negative=3)
    assert same_bits(syn0[frozen], start[frozen])
    assert (syn0[words & ~frozen] != start[words & ~frozen]).any(axis=1).all()
    assert (syn0[~words] == start[~words]).all()
    assert (syn1neg[words] != 0).any(axis=1).all()

    plain = []
    for lock in (None, np.zeros(len(locked), np.uint8)):
        syn0, syn1neg = start_weights(len(locked), dim=8)
        train(make, tiny, tables._replace(locked=lock), syn0, syn1neg, alpha=0.05, window=3,
              negative=3)
        plain.append((syn0, syn1neg))
    assert same_bits(plain[0][0], plain[1][0]) and same_bits(plain[0][1], plain[1][1])


def test_kernels_keep_one_compiled_version_whatever_the_lock(lee):
    """None, zeros, a bool mask: engines always hand the kernels one uint8 array type."""
    from skw2v._engines.hogwild_kernel import train_chunk
    from skw2v._engines.segment_reference import train_segments_reference

    corpus, tables, locked = lee
    small = EncodedCorpus(np.asarray(corpus.ids[:3000]), np.array([0, 1500, 3000], np.int64))
    makers = (ENGINES["hogwild-1-thread"], ENGINES["gpu-reference"])
    seen = None
    for lock in (None, np.zeros(len(locked), np.uint8), locked, locked.astype(bool)):
        for make in makers:
            syn0, syn1neg = start_weights(len(locked))
            train(make, small, tables._replace(locked=lock), syn0, syn1neg)
        signatures = (tuple(train_chunk.signatures), tuple(train_segments_reference.signatures))
        assert seen is None or signatures == seen
        seen = signatures


def test_locked_rows_helper():
    tables = TrainingTables(np.ones(4, np.float32), np.ones(4, np.float32), np.zeros(4, np.int32))
    assert tables.locked is None
    got = locked_rows(tables, 4)
    assert got.dtype == np.uint8 and got.flags.c_contiguous and not got.any()
    got = locked_rows(tables._replace(locked=np.array([True, False, True, False])), 4)
    assert got.dtype == np.uint8 and got.tolist() == [1, 0, 1, 0]
    strided = np.zeros(8, np.uint8)[::2]
    assert locked_rows(tables._replace(locked=strided), 4).flags.c_contiguous
    with pytest.raises(ValueError, match="shape"):
        locked_rows(tables._replace(locked=np.zeros(5, np.uint8)), 4)


# ---------------------------------------------------------------- the minibatch optimizers
LOCKED_IN = np.array([0, 0, 1, 0, 1, 0, 0], bool)  # words 2 and 4: contexts in tiny_problem


@pytest.mark.parametrize("xp", [np, NumpyAsCuPy()], ids=["numpy", "cupy-path"])
def test_sgd_step_with_locked_rows_equals_the_per_example_reference(xp):
    W_in, W_out, ctx, weight, target, neg = tiny_problem(np.float64)
    alpha = np.array([0.5, 0.25, 0.125])
    want_in, want_out = reference_sgd_step(W_in, W_out, ctx, weight, target, neg, alpha)
    want_in[LOCKED_IN] = W_in[LOCKED_IN]
    start = W_in.copy()
    model = CBOWModel(xp, W_in, W_out, FixedSampler(neg), negative=3)
    model.forward(ctx, weight, target)
    SGD(xp, W_in, W_out, locked=LOCKED_IN).step(model.backward(alpha, exact=False))
    np.testing.assert_allclose(W_in, want_in, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(W_out, want_out, rtol=1e-10, atol=1e-12)
    assert np.array_equal(W_in[LOCKED_IN].view(np.uint64), start[LOCKED_IN].view(np.uint64))


@pytest.mark.parametrize("xp", [np, NumpyAsCuPy()], ids=["numpy", "cupy-path"])
def test_adam_leaves_locked_rows_and_their_moments_alone(xp):
    """Three steps with words 2 and 4 locked, against the same steps without a lock."""
    W_in, W_out, ctx, weight, target, neg = tiny_problem(np.float32)
    W_in[LOCKED_IN, 0] = -0.0
    ref_in, ref_out = W_in.copy(), W_out.copy()
    start = W_in.copy()
    for W_a, W_b, locked in ((W_in, W_out, LOCKED_IN), (ref_in, ref_out, None)):
        model = CBOWModel(xp, W_a, W_b, FixedSampler(neg), negative=3)
        adam = LazyAdam(xp, W_a, W_b, locked=locked)
        for _ in range(3):
            model.forward(ctx, weight, target)
            adam.step(model.backward(np.full(3, 1 / 3, np.float32), exact=True),
                      lr=np.float32(0.01))
        if locked is not None:
            m, v = adam.moments[0]
            assert not m[LOCKED_IN].any() and not v[LOCKED_IN].any()
    assert same_bits(W_in[LOCKED_IN], start[LOCKED_IN])
    touched = np.unique(ctx[weight > 0])
    free = np.setdiff1d(touched, np.flatnonzero(LOCKED_IN))
    assert (W_in[free] != start[free]).any(axis=1).all()
    assert (ref_in[LOCKED_IN] != start[LOCKED_IN]).any()  # unlocked, those rows would move


# ------------------------------------------------------------------------- dask rounds
def test_round_shares_and_their_merge_leave_locked_rows_alone(lee):
    """Two shares of a round from the same weights, merged by every rule: no delta
    holds a locked row, so the merged weights keep its bits."""
    from skw2v._engines.rounds import MERGE_RULES, merge_deltas, train_share

    corpus, tables, locked = lee
    frozen = locked.astype(bool)
    tables = tables._replace(locked=locked)
    weights = start_weights(len(locked), locked)
    half = int(np.searchsorted(corpus.offsets, corpus.n_words // 2))
    cut = int(corpus.offsets[half])
    parts = [EncodedCorpus(np.asarray(corpus.ids[:cut]), np.asarray(corpus.offsets[:half + 1])),
             EncodedCorpus(np.asarray(corpus.ids[cut:]), np.asarray(corpus.offsets[half:]) - cut)]
    schedule = Schedule(0.025, 1e-4, corpus.n_words, 1)
    deltas = [train_share(weights, tables, [part], [0], 0, part.n_words, schedule, base=0,
                          stride=2.0, window=5, negative=5, seed=k, n_threads=1)
              for k, part in enumerate(parts)]
    for delta in deltas:
        assert not frozen[delta.rows[0]].any() and len(delta.rows[0]) > 0
    steps = (np.full(len(locked), 0.1), np.full(len(locked), 0.1))
    for rule in MERGE_RULES:
        syn0, syn1neg = merge_deltas(weights, deltas, rule, steps)
        assert same_bits(syn0[frozen], weights[0][frozen])
        assert (syn0[~frozen] != weights[0][~frozen]).any(axis=1).mean() > 0.9
        assert (syn1neg[frozen] != 0).any(axis=1).mean() > 0.9


@pytest.fixture
def client():
    """Two in-process workers of one thread (as tests/test_dask.py)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as c:
        yield c


def test_the_round_trainer_on_a_cluster_leaves_locked_rows_alone(client, lee):
    """Host starting weights (start="host", e.g. pretrained rows), a third of the words
    locked, one epoch in rounds on two workers: the locked rows keep their bits."""
    from skw2v._engines.rounds import row_updates
    from skw2v.dask._engine import ClusterCorpus, DaskReplicaEngine

    corpus, tables, locked = lee
    frozen = locked.astype(bool)
    half = int(np.searchsorted(corpus.offsets, corpus.n_words // 2))
    cut = int(corpus.offsets[half])
    parts = [EncodedCorpus(np.asarray(corpus.ids[:cut]), np.asarray(corpus.offsets[:half + 1])),
             EncodedCorpus(np.asarray(corpus.ids[cut:]), np.asarray(corpus.offsets[half:]) - cut)]
    workers = sorted(client.scheduler_info()["workers"])
    futures = [client.submit(lambda c: c, p, workers=[w]) for p, w in zip(parts, workers)]
    cluster_corpus = ClusterCorpus(futures, np.array([len(p.offsets) - 1 for p in parts]),
                                   np.array([p.n_words for p in parts]), np.array([0, 1]),
                                   workers)
    counts = np.bincount(np.asarray(corpus.ids), minlength=len(locked))
    updates = row_updates(counts, tables.keep_prob, 5, 5, 0.75)
    syn0, syn1neg = start_weights(len(locked), locked)
    start = syn0.copy()
    engine = DaskReplicaEngine(cluster_corpus, client.submit(lambda t: t, tables._replace(
                                 locked=locked)), syn0, syn1neg, window=5, negative=5,
                             random_state=np.random.RandomState(0), client=client,
                             words_per_round=5000, merge="adaptive",
                             updates=client.submit(lambda u: u, updates), n_jobs=1,
                             start="host")
    for replica in engine.replicas:  # every replica starts from the host's weights
        assert same_bits(replica.result().weights[0], start)
    history = run_epochs(engine, Schedule(0.025, 1e-4, corpus.n_words, 1))
    assert np.isfinite(history[-1].loss)
    assert same_bits(syn0[frozen], start[frozen])
    assert (syn0[~frozen] != start[~frozen]).any(axis=1).mean() > 0.9
    assert (syn1neg[frozen] != 0).any(axis=1).mean() > 0.9
