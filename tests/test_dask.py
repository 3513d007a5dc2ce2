"""skw2v.dask: rounds of per-worker hogwild shares on a dask.distributed cluster.

The round functions (skw2v._engines.rounds) are checked against plain
references without a cluster; the estimator on LocalClusters: in-process
workers (fast) for the behaviour, worker processes for serialization and a
worker killed mid-fit. Quality at K workers on 2.3M tokens of English is
benchmarks/bench_dask.py's (RESULTS.md).
"""

import os
import pickle
from types import SimpleNamespace

import numpy as np
import pytest

import skw2v
from skw2v._corpus import EncodedCorpus, read_corpus
from skw2v._engines import ChunkTally
from skw2v._engines.hogwild import HogwildEngine
from skw2v._engines.rounds import (
    Delta,
    merge_deltas,
    merge_scale,
    plan_rounds,
    round_strides,
    row_updates,
    train_share,
)
from skw2v._schedule import Schedule
from skw2v._vectorizer import CBOWVectorizer as LocalVectorizer

dask = pytest.importorskip("dask", reason="dask[distributed] (the dask extra) is not installed")
distributed = pytest.importorskip("distributed")
db = pytest.importorskip("dask.bag")
from test_engines import probe_setup  # noqa: E402

from skw2v.dask import (
    CBOWVectorizer,  # noqa: E402
    _tasks,  # noqa: E402
)
from skw2v.dask._engine import ClusterCorpus  # noqa: E402
from skw2v.dask._vectorizer import _sample  # noqa: E402

LOCAL = dict(vector_size=32, min_count=3, epochs=2, random_state=0)
# "parallel": the test client's two workers share one machine, where "auto" lets one train
PARAMS = dict(LOCAL, strategy="parallel")


@pytest.fixture
def client():
    """Two in-process workers of one thread (starts in ~0.2 s; numba releases the GIL)."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as c:
        yield c


# ------------------------------------------------------------------ rounds, no cluster
def test_rounds_cut_every_share_into_the_same_number_of_pieces():
    bounds = plan_rounds([1000, 7, 0, 333], 8)
    assert bounds.shape == (4, 9)
    np.testing.assert_array_equal(bounds[:, 0], 0)
    np.testing.assert_array_equal(bounds[:, -1], [1000, 7, 0, 333])
    assert (np.diff(bounds, axis=1) >= 0).all()
    np.testing.assert_allclose(round_strides([100, 300, 0]), [4, 4 / 3, 0])


def test_parts_are_dealt_to_shares_by_their_sizes_alone():
    from skw2v._engines.rounds import plan_shares

    # equal parts round-robin: every share trains the same region of the corpus in a round
    np.testing.assert_array_equal(plan_shares([5] * 7, 3), [0, 1, 2, 0, 1, 2, 0])
    # a large part: the next ones go to the lighter share until it catches up
    np.testing.assert_array_equal(plan_shares([30, 10, 10, 10, 5], 2), [0, 1, 1, 1, 0])
    # fewer parts than shares: one share a part, numbered from 0
    np.testing.assert_array_equal(plan_shares([3, 4], 8), [0, 1])
    assert len(plan_shares([], 2)) == 0


def test_each_share_trains_on_the_worker_that_read_most_of_it():
    from skw2v.dask._vectorizer import share_workers

    share = np.array([0, 1, 0, 1])
    words = np.array([10, 10, 10, 50])
    holders = [["a"], ["b"], ["b"], ["c"]]
    # share 0: a 10, b 10 -> tie, the first address; share 1: c 50 beats b 10
    assert share_workers(share, words, holders, ["c", "b", "a"]) == ["a", "c"]
    # one worker holds everything: the other share goes to a free worker
    assert share_workers(share, words, [["a"]] * 4, ["a", "b"]) == ["a", "b"]


def test_auto_rounds_lengthen_as_the_rate_decays():
    from skw2v._engines.rounds import auto_round_words, bounds_at, rate_scaled_cuts

    assert auto_round_words(2) == 64_000 and 9_000 < auto_round_words(4) < 11_000
    one = Schedule(0.025, 1e-4, 10_000_000, 5)  # one worker: a round a quarter epoch
    np.testing.assert_allclose(rate_scaled_cuts(one, 0, 1, auto_round_words(1)),
                               [0, 0.25, 0.5, 0.75, 1])
    schedule = Schedule(0.025, 1e-4, 10_000_000, 5)
    epochs = [rate_scaled_cuts(schedule, e, 4, 10_000) for e in range(5)]
    for cuts in epochs:
        assert cuts[0] == 0 and cuts[-1] == 1 and (np.diff(cuts) > 0).all()
    first = np.diff(epochs[0])
    assert first[0] * 10_000_000 == pytest.approx(4 * 10_000)   # 10k words a share
    assert (np.diff(first[:-1]) > 0).all()                       # then longer and longer
    assert 5 * first[0] < max(np.diff(epochs[4])) <= 0.25 * 1.5  # at most ~a quarter epoch
    uniform = 5 * 10_000_000 / (4 * 10_000)
    assert 0.4 * uniform < sum(len(c) - 1 for c in epochs) < 0.6 * uniform
    bounds = bounds_at([1000, 7, 0], epochs[0])
    assert (bounds[:, 0] == 0).all() and list(bounds[:, -1]) == [1000, 7, 0]
    assert (np.diff(bounds, axis=1) >= 0).all()


def test_a_share_schedule_is_the_global_schedule_at_its_mapped_positions():
    s = Schedule(alpha=0.025, min_alpha=1e-4, words_per_epoch=10_000, epochs=3)
    base, stride, origin = 12_345, 2.5, 400
    share = s.share(base, stride, origin)
    w = np.arange(0, 4000, 7)
    np.testing.assert_allclose(share.alpha_at(share.position(1, w)),
                               s.alpha_at(base + stride * (w - origin)), rtol=1e-12)


def test_one_share_of_one_round_is_the_hogwild_engine_epoch():
    """K=1, one round, stride 1: exactly the local engine's epoch with the same seed."""
    corpus, tables, syn0, syn1neg = probe_setup(200)
    schedule = Schedule(0.05, 0.001, corpus.n_words, 2)
    weights = (syn0.copy(), syn1neg.copy())
    delta = train_share(weights, tables, [corpus], [0], 0, corpus.n_words, schedule,
                        base=schedule.position(1, 0), stride=1.0, window=1, negative=1,
                        seed=7, n_threads=1)
    np.testing.assert_array_equal(weights[0], syn0)  # the inputs are not touched
    np.testing.assert_array_equal(weights[1], syn1neg)
    engine = HogwildEngine(corpus, tables, syn0, syn1neg, window=1, negative=1,
                           random_state=np.random.RandomState(7), n_threads=1)
    tallies = []
    engine.train(1, 0, 200, schedule, tallies.append)
    merged = merge_deltas(weights, [delta], "sum")
    np.testing.assert_allclose(merged[0], syn0, atol=1e-7)
    np.testing.assert_allclose(merged[1], syn1neg, atol=1e-7)
    assert delta.tally.words == sum(t.words for t in tallies) == corpus.n_words
    assert delta.tally.examples == sum(t.examples for t in tallies)
    for m, trained in enumerate((syn0, syn1neg)):  # the delta holds exactly the changed rows
        changed = np.flatnonzero((trained != weights[m]).any(axis=1))
        np.testing.assert_array_equal(delta.rows[m], changed)


def test_a_share_trains_its_rounds_words_at_the_mapped_rates():
    """The rate probe (test_engines) on a share of two parts cut into three rounds: every
    document once, at base + stride * (its first word's place in the round)."""
    corpus, tables, syn0, syn1neg = probe_setup(300)
    parts = [EncodedCorpus(corpus.ids[:220], corpus.offsets[:111]),
             EncodedCorpus(corpus.ids[220:], corpus.offsets[110:] - 220)]
    schedule = Schedule(0.05, 0.001, 4 * corpus.n_words, 1)
    bounds = plan_rounds([corpus.n_words], 3)[0]
    words, base, stride = 0, 1000, 3.0
    weights = (syn0, syn1neg)
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        delta = train_share(weights, tables, parts, [0, 220], int(lo), int(hi), schedule, base,
                            stride, window=1, negative=1, seed=1, n_threads=2)
        weights = merge_deltas(weights, [delta], "sum")
        words += delta.tally.words
        first = 2 * np.arange(300)
        mine = (first >= lo) & (first < hi)
        a = 1 + first[mine]
        rates = (weights[1][a] / (0.5 * syn0[a + 1])).mean(axis=1)
        np.testing.assert_allclose(rates, schedule.alpha_at(base + stride * (first[mine] - lo)),
                                   rtol=2e-5)
        base += stride * (hi - lo)
    assert words == corpus.n_words


def _reference_merge(weights, deltas, scale_of):
    """Dense float64: W + sum_k d_k * scale(n_w), n_w = shares whose delta lists row w."""
    out = []
    for m, w in enumerate(weights):
        n = np.zeros(len(w))
        total = np.zeros(w.shape)
        for d in deltas:
            n[d.rows[m]] += 1
            dense = np.zeros(w.shape)
            dense[d.rows[m]] = d.values[m]
            total += dense
        out.append(w + total * scale_of(np.maximum(n, 1), m)[:, None])
    return out


def _random_deltas(seed, n_rows=50, dim=4, k=4):
    rng = np.random.RandomState(seed)
    weights = tuple(rng.randn(n_rows, dim).astype(np.float32) for _ in range(2))
    deltas = []
    for _ in range(k):
        rows = tuple(np.sort(rng.choice(n_rows, size=rng.randint(1, 40), replace=False))
                     for _ in range(2))
        deltas.append(Delta(rows, tuple(rng.randn(len(r), dim).astype(np.float32)
                                        for r in rows), ChunkTally(0, 0.0, 0, 0)))
    return weights, deltas


STEPS = (np.geomspace(1e-4, 30, 50), np.geomspace(30, 1e-4, 50))
RULES = {
    "sum": lambda n, m: np.ones_like(n),
    "mean": lambda n, m: 1 / n,
    "capped": lambda n, m: np.minimum(1, 2 / n),
    # beyond 2 shares: n shares moving 1-(1-x)^m of the way vs one machine taking n*m steps
    "adaptive": lambda n, m: np.where(
        n <= 2, 1, (1 - np.exp(-n * STEPS[m])) / (n * (1 - np.exp(-STEPS[m])))),
}


@pytest.mark.parametrize("rule", RULES)
def test_merge_scales_every_rows_changes_by_its_rule(rule):
    weights, deltas = _random_deltas(0)
    before = [w.copy() for w in weights]
    merged = merge_deltas(weights, deltas, rule, STEPS)
    for m, (got, want) in enumerate(zip(merged, _reference_merge(weights, deltas, RULES[rule]))):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(weights[m], before[m])  # inputs untouched


def test_the_adaptive_merge_is_the_sum_for_light_rows_and_the_mean_for_saturated_ones():
    n = np.array([1, 2, 4, 8, 4, 4, 2])
    steps = np.array([5.0, 1e-9, 1e-9, 1e-9, 50.0, 0.5, 50.0])
    scale = merge_scale("adaptive", n, steps)
    np.testing.assert_allclose(scale[:4], 1.0, rtol=1e-6)  # one share, or barely moved: sum
    np.testing.assert_allclose(scale[4], 1 / 4, rtol=1e-6)  # saturated: mean
    assert 1 / 4 < scale[5] < 1
    assert scale[6] == 1.0  # two shares add up, saturated or not


def test_row_updates_count_windows_and_draws():
    counts, keep = np.array([60, 30, 10]), np.array([0.5, 1.0, 1.0])
    syn0, syn1 = row_updates(counts, keep, window=5, negative=5, ns_exponent=0.0)
    kept = counts * keep / 100  # 0.3, 0.3, 0.1 kept occurrences a corpus word
    np.testing.assert_allclose(syn0, kept * 6)
    np.testing.assert_allclose(syn1, kept + 0.7 * 5 / 3)  # uniform draws at exponent 0


def test_merged_lexicons_of_partitions_are_the_lexicon_of_the_whole(lee_docs):
    """First-seen order across partitions in corpus order: the vocabulary breaks ties as a
    local fit (and gensim) does."""
    analyzer = LocalVectorizer().build_analyzer()
    pieces = [lee_docs[i:i + 37] for i in range(0, len(lee_docs), 37)]
    merged = _tasks.merge_lexicons(*[_tasks.lexicon(read_corpus(p, analyzer)) for p in pieces])
    whole = read_corpus(lee_docs, analyzer)
    assert merged[0] == whole.words
    np.testing.assert_array_equal(merged[1], whole.counts)


# ---------------------------------------------------------------- the estimator on a cluster
def test_the_fitted_model_is_a_local_model(client, lee_docs, tmp_path):
    bag = db.from_sequence(lee_docs, npartitions=7)
    vec = CBOWVectorizer(**PARAMS).fit(bag)
    local = LocalVectorizer(**LOCAL, n_jobs=1).fit(lee_docs)
    assert vec.wv_.index_to_key == local.wv_.index_to_key  # same words, same order
    np.testing.assert_array_equal(vec.wv_.counts, local.wv_.counts)
    assert vec._vocab.rare_counts == local._vocab.rare_counts
    assert vec.corpus_total_words_ == local.corpus_total_words_
    assert abs(vec.n_words_trained_ / local.n_words_trained_ - 1) < 0.02  # subsampling draws
    assert len(vec.loss_curve_) == 2 and vec.loss_curve_[1] < vec.loss_curve_[0]
    assert vec.sif_component_.shape == (32,) and np.isfinite(vec.sif_component_).all()
    assert set(vars(vec)) - set(vars(local)) == {"words_per_round", "merge", "strategy"}
    # saved, it is a plain skw2v.CBOWVectorizer
    vec.save(tmp_path / "m.skw2v")
    loaded = skw2v.load(tmp_path / "m.skw2v")
    assert type(loaded) is LocalVectorizer
    np.testing.assert_array_equal(loaded.transform(lee_docs[:5]), vec.transform(lee_docs[:5]))
    clone = pickle.loads(pickle.dumps(vec))
    np.testing.assert_array_equal(clone.wv_.vectors, vec.wv_.vectors)
    # partial_fit on local data continues it
    clone.partial_fit(lee_docs[:50])
    assert clone.n_words_trained_ > vec.n_words_trained_


def test_a_seeded_fit_is_the_same_whichever_worker_trains_which_share(client, lee_docs,
                                                                       monkeypatch):
    """One thread a worker: shares depend on the partitions' sizes, not on the placement."""
    from skw2v.dask import _vectorizer

    bag = db.from_sequence(lee_docs, npartitions=6)
    first = CBOWVectorizer(**PARAMS).fit(bag)
    chosen = _vectorizer.share_workers
    monkeypatch.setattr(_vectorizer, "share_workers", lambda *a: chosen(*a)[::-1])
    second = CBOWVectorizer(**PARAMS).fit(bag)   # every share's partitions move
    np.testing.assert_array_equal(first.wv_.vectors, second.wv_.vectors)
    assert first.loss_curve_ == second.loss_curve_
    third = CBOWVectorizer(**{**PARAMS, "random_state": 1}).fit(bag)
    assert not np.array_equal(first.wv_.vectors, third.wv_.vectors)


def test_the_sif_sample_takes_documents_from_every_partition(client):
    """The cluster's SIF estimate sees documents from all over the corpus, as a local fit."""
    rng = np.random.default_rng(0)
    parts = []
    for n_docs in (300, 0, 500, 200):
        lengths = rng.integers(1, 20, n_docs)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        parts.append(EncodedCorpus(rng.integers(0, 50, offsets[-1]).astype(np.int32), offsets))
    words = np.array([p.n_words for p in parts])
    corpus = ClusterCorpus(client.scatter(parts), np.array([len(p.offsets) - 1 for p in parts]),
                           words, np.zeros(4, np.int64), [])
    whole = _sample(client, corpus, int(words.sum()))
    np.testing.assert_array_equal(whole.ids, np.concatenate([p.ids for p in parts]))
    np.testing.assert_array_equal(np.diff(whole.offsets),
                                  np.concatenate([np.diff(p.offsets) for p in parts]))
    some = _sample(client, corpus, 2000)
    assert 2000 - 64 * 20 <= some.n_words <= 2000 + 64 * 20
    for part, share in zip(parts, words * 2000 // words.sum()):
        if len(part.ids):  # each partition's own sample, of its share of the words
            own = _tasks.corpus_sample(part, int(share), 16)
            assert abs(own.n_words - share) <= 16 * 20
            assert bytes(own.ids) in bytes(some.ids)


@pytest.mark.parametrize("strategy", ["parallel", "single"])
def test_both_strategies_learn_real_neighbours_and_are_reproducible(client, lee_docs, strategy):
    """gensim's sanity check on lee_background: "bombings" among the 50 words nearest to
    "attacks", for every worker training (replicas) and for one trainer fed by the others."""
    params = dict(vector_size=50, min_count=2, epochs=20, random_state=0, sample=0,
                  n_jobs=1)  # one training thread: "single" would take both of this machine
    bag = db.from_sequence(lee_docs, npartitions=4)
    vec = CBOWVectorizer(**params, strategy=strategy).fit(bag)
    assert "bombings" in [w for w, _ in vec.most_similar("attacks", topn=50)]
    assert len(vec.loss_curve_) == 20 and vec.loss_curve_[-1] < 0.8 * vec.loss_curve_[0]
    if strategy == "single":  # "parallel": test_a_seeded_fit_is_the_same_whichever_worker...
        again = CBOWVectorizer(**params, strategy=strategy).fit(bag)
        np.testing.assert_array_equal(vec.wv_.vectors, again.wv_.vectors)
        assert vec.loss_curve_ == again.loss_curve_


GPU_ENGINES = []   # (worker, gpu) of every engine a train_epoch task built


def _gpu_engine_reference(solver, gpu=False):
    """engine_class for the test below: the CUDA engine's CPU reference (the kernel's math on
    numpy, 4 segments in lockstep: the simulator would take minutes), noting where it ran."""
    from distributed import get_worker

    from skw2v._engines.cuda import CudaHogwildEngine

    GPU_ENGINES.append((get_worker().address, gpu))
    return lambda *args, **kw: CudaHogwildEngine(*args, **kw, reference=True, concurrency=4)


def test_a_gpu_device_trains_on_one_worker_fed_by_the_others(client, lee_docs, monkeypatch,
                                                             tmp_path):
    """device="gpu": the worker with a GPU trains with the CUDA engine, fed the encoded text
    by the others; here its kernel's CPU reference stands in for the GPU."""
    from skw2v.dask import _tasks as tasks
    from skw2v.dask import _vectorizer

    if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":
        pytest.skip("needs resolve_device('gpu') to succeed without a GPU (the simulator)")
    workers = sorted(client.scheduler_info()["workers"])
    monkeypatch.setattr(_vectorizer, "gpu_worker", lambda c, device, threads: workers[1])
    monkeypatch.setattr(tasks, "engine_class", _gpu_engine_reference)  # in-process workers
    GPU_ENGINES.clear()
    params = dict(vector_size=16, min_count=2, epochs=3, random_state=0, sample=0)
    vec = CBOWVectorizer(**params, device="gpu").fit(db.from_sequence(lee_docs, npartitions=4))
    assert GPU_ENGINES == [(workers[1], True)] * 3
    assert np.isfinite(vec.wv_.vectors).all() and len(vec.loss_curve_) == 3
    assert vec.loss_curve_[-1] < vec.loss_curve_[0]
    vec.save(tmp_path / "gpu.skw2v")
    assert type(skw2v.load(tmp_path / "gpu.skw2v")) is LocalVectorizer


def test_no_worker_with_a_gpu_is_a_clear_error(client, monkeypatch):
    from skw2v.dask import _tasks as tasks
    from skw2v.dask._vectorizer import gpu_worker

    monkeypatch.setattr(tasks, "has_device", lambda device: False)
    with pytest.raises(RuntimeError, match="no worker of the cluster has a usable GPU"):
        gpu_worker(client, "gpu", {})


def test_auto_strategy_lets_one_worker_train_only_when_it_holds_most_of_the_cores():
    from skw2v.dask._cost import SYNC_SHARE, choose_strategy

    assert choose_strategy([1]) == "parallel"
    # workers on machines of their own
    assert choose_strategy([1, 1]) == choose_strategy([8, 8, 8, 8]) == "parallel"
    assert choose_strategy([16, 1]) == choose_strategy([16, 2, 1]) == "single"
    # the line: every thread less the syncs' share against the largest worker alone
    assert choose_strategy([8, 2]) == ("parallel" if 10 * (1 - SYNC_SHARE) > 8 else "single")
    # workers sharing a machine: a lone trainer takes its every thread, replicas only share them
    assert choose_strategy([1, 1], [2, 2]) == choose_strategy([4] * 4, [16] * 4) == "single"
    assert choose_strategy([4] * 8, [16, 16, 16, 16, 16, 16, 16, 16]) == "parallel"  # 2 machines


def test_the_single_trainer_is_the_worker_whose_machine_has_most_threads(client, lee_docs,
                                                                        monkeypatch):
    from skw2v.dask import _engine, _vectorizer

    chosen = []
    original = _engine.DaskSingleEngine.__init__

    def spy(self, *args, trainer, n_threads, **kw):
        chosen.append((trainer, n_threads))
        original(self, *args, trainer=trainer, n_threads=n_threads, **kw)

    monkeypatch.setattr(_engine.DaskSingleEngine, "__init__", spy)
    params = {**PARAMS, "strategy": "auto"}
    bag = db.from_sequence(lee_docs, npartitions=4)
    # the test client: two workers of one thread on this machine; one trains, with both
    vec = CBOWVectorizer(**params).fit(bag)
    workers = sorted(client.scheduler_info()["workers"])
    assert len(chosen) == 1 and chosen[0][0] in workers and chosen[0][1] == 2
    assert len(vec.loss_curve_) == 2
    CBOWVectorizer(**{**params, "n_jobs": 1}).fit(bag)  # one thread alone: replicas win
    assert len(chosen) == 1
    # as if on machines of their own, one of them larger
    monkeypatch.setattr(_vectorizer, "machine_threads",
                        lambda c, ws, n: {w: 4 if w == workers[1] else 1 for w in ws})
    monkeypatch.setattr(_vectorizer, "worker_threads", _vectorizer.machine_threads)
    CBOWVectorizer(**params).fit(bag)
    assert chosen[1] == (workers[1], 4)


def test_a_lone_trainer_without_room_for_the_corpus_gives_way_to_replicas(client, lee_docs,
                                                                          monkeypatch):
    """The lone trainer holds the weights and the whole encoded corpus: where it cannot,
    "auto" trains in parallel (each worker holds its share) and "single" says so, before
    anything trains, and keeps the previous fit."""
    from skw2v.dask import _engine, _vectorizer

    bag = db.from_sequence(lee_docs, npartitions=4)
    vec = CBOWVectorizer(**{**PARAMS, "strategy": "single"}).fit(bag)
    before = vec.wv_.vectors.copy()
    words = vec.corpus_total_words_
    need = _vectorizer.lone_trainer_memory(len(vec.wv_), 32, SimpleNamespace(
        n_words=words, n_docs=len(lee_docs)))
    assert need >= 2 * 4 * len(vec.wv_) * 32 + 2 * 4 * (words - 1000)  # weights, ids twice
    monkeypatch.setattr(_vectorizer, "lone_trainer_memory", lambda *a: 1 << 60)
    with pytest.raises(MemoryError, match=r"training alone .* whole encoded corpus.*"
                                          r"strategy='parallel'"):
        vec.fit(bag)
    np.testing.assert_array_equal(vec.wv_.vectors, before)
    engines = []
    original = _engine.DaskReplicaEngine.__init__
    monkeypatch.setattr(_engine.DaskReplicaEngine, "__init__",
                        lambda self, *a, **kw: engines.append(1) or original(self, *a, **kw))
    CBOWVectorizer(**{**PARAMS, "strategy": "auto"}).fit(bag)  # one machine, yet replicas
    assert engines == [1]


def test_transform_of_a_bag_is_a_lazy_array_equal_to_the_local_transform(client, lee_docs):
    vec = CBOWVectorizer(**PARAMS, agg="sif").fit(lee_docs)  # local input: a local fit
    bag = db.from_sequence(lee_docs + ["", "zzqx unknown"], npartitions=5)
    lazy = vec.transform(bag)
    assert isinstance(lazy, dask.array.Array) and lazy.shape[1] == 32
    np.testing.assert_array_equal(lazy.compute(), vec.transform(lee_docs + ["", "zzqx unknown"]))
    empty = vec.transform(db.from_sequence([], npartitions=1))
    assert empty.compute().shape == (0, 32)


def test_init_vectors_on_the_cluster_keep_locked_rows(client, lee_docs):
    from skw2v import KeyedVectors

    pretrained = LocalVectorizer(**LOCAL, n_jobs=1).fit(lee_docs[:150])
    init = KeyedVectors(pretrained.wv_.index_to_key, pretrained.wv_.vectors)
    bag = db.from_sequence(lee_docs, npartitions=4)
    vec = CBOWVectorizer(**PARAMS, init_vectors=init, lock_init_vectors=True).fit(bag)
    shared = [w for w in vec.wv_.index_to_key if w in init]
    assert 0 < len(shared) < len(vec.wv_)  # some words start from init, the others learn
    assert np.array_equal(vec.wv_[shared].view(np.uint32), init[shared].view(np.uint32))
    others = [w for w in vec.wv_.index_to_key if w not in init]
    assert np.abs(vec.wv_[others]).max() > 2 / PARAMS["vector_size"]  # trained past the start
    free = CBOWVectorizer(**PARAMS, init_vectors=init).fit(bag)
    assert not np.array_equal(free.wv_[shared], init[shared])


def test_fit_and_transform_a_dask_dataframe_column(client, lee_docs):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    frame = dd.from_pandas(pd.DataFrame({"text": lee_docs, "n": range(len(lee_docs))}),
                           npartitions=3)
    vec = CBOWVectorizer(**PARAMS).fit(frame["text"])
    assert vec.wv_.index_to_key == LocalVectorizer(**LOCAL).fit(lee_docs).wv_.index_to_key
    np.testing.assert_array_equal(vec.transform(frame["text"]).compute(),
                                  vec.transform(lee_docs))
    with pytest.raises(ValueError, match=r"columns \['text', 'n'\].*df\['text'\]"):
        vec.fit(frame)


def test_token_lists_fewer_partitions_than_workers_and_empty_partitions(client, lee_docs):
    tokens = [d.split() for d in lee_docs]
    one = CBOWVectorizer(**PARAMS).fit(db.from_sequence(tokens, npartitions=1))
    empty = db.from_sequence(tokens, npartitions=4).filter(lambda d: len(d) % 3 == 0)
    some = CBOWVectorizer(**PARAMS).fit(empty.repartition(npartitions=6))
    assert len(one.wv_) > 1000 and len(some.wv_) > 100
    assert np.isfinite(some.wv_.vectors).all()


def test_words_per_round_sets_the_rounds_and_every_setting_trains(client, lee_docs):
    from skw2v.dask._engine import ClusterCorpus, DaskReplicaEngine, shares_of

    corpus = ClusterCorpus([None] * 3, np.array([5, 5, 5]), np.array([20_000, 10_000, 9_000]),
                           np.array([0, 1, 0]), ["w1", "w2"])  # share 0: 29,000 words
    schedule = Schedule(0.025, 1e-4, corpus.n_words, 5)
    engine = SimpleNamespace(shares=shares_of(corpus), words_per_round=2000)
    bounds = DaskReplicaEngine.epoch_bounds(engine, schedule, 0)
    assert bounds.shape == (2, 16)  # 29,000 / 2,000 -> 15 rounds
    np.testing.assert_array_equal(bounds[:, -1], [29_000, 10_000])
    engine.words_per_round = "auto"  # a small corpus: the longest rounds, a quarter epoch
    assert DaskReplicaEngine.epoch_bounds(engine, schedule, 0).shape == (2, 5)
    bag = db.from_sequence(lee_docs, npartitions=4)
    for kw in [dict(words_per_round=2000), dict(merge="sum"), dict(merge="capped"), dict(merge="mean"),
               dict(n_jobs=2)]:
        vec = CBOWVectorizer(**PARAMS, **kw).fit(bag)
        assert np.isfinite(vec.wv_.vectors).all(), kw
        assert vec.loss_curve_[1] < vec.loss_curve_[0] < 4.2, kw


def test_the_rate_probe_through_the_cluster(client, monkeypatch):
    """Two workers each train half of the probe corpus in 4 rounds: every document at the
    rate of base + stride * p, the global schedule's rate where its round sits."""
    from skw2v._engines import replicas
    from skw2v.dask._engine import ClusterCorpus, DaskReplicaEngine

    # syncs send float16 changes; the probe reads rates to 2e-5 (in-process workers: this
    # module's setting is theirs)
    monkeypatch.setattr(replicas, "WIRE", np.float32)
    corpus, tables, syn0, syn1neg = probe_setup(240)
    halves = [EncodedCorpus(corpus.ids[:240], corpus.offsets[:121]),
              EncodedCorpus(corpus.ids[240:], corpus.offsets[120:] - 240)]
    workers = sorted(client.scheduler_info()["workers"])
    parts = [client.submit(lambda c: c, h, workers=[w]) for h, w in zip(halves, workers)]
    cluster_corpus = ClusterCorpus(parts, np.array([120, 120]), np.array([240, 240]),
                                   np.array([0, 1]), workers)
    engine = DaskReplicaEngine(cluster_corpus, client.submit(lambda t: t, tables), syn0, syn1neg,
                             window=1, negative=1, random_state=np.random.RandomState(0),
                             client=client, words_per_round=60, merge="adaptive",
                             updates=client.submit(lambda n: (np.zeros(n), np.zeros(n)), len(syn0)),
                             n_jobs=1)
    start = _tasks.initial_weights(*syn0.shape, engine.seed)[0]  # what every worker draws
    schedule = Schedule(0.05, 0.001, 480, 2)
    tallies = []
    engine.train(1, 0, 240, schedule, tallies.append)
    engine.finalize()
    assert sum(t.words for t in tallies) == 480 and len(tallies) == 8
    first = 2 * np.arange(240)          # corpus words; each half is 240 words, 60 a round
    within = first % 240 % 60           # place in its round's share
    rnd = first % 240 // 60
    expected = schedule.alpha_at(480 + rnd * 120 + 2 * within)  # stride 2 (equal shares)
    a = 1 + first
    rates = (syn1neg[a] / (0.5 * start[a + 1])).mean(axis=1)
    np.testing.assert_allclose(rates, expected, rtol=2e-5)


# ------------------------------------------------------------------------------ errors
def test_no_client_is_a_clear_error(lee_docs):
    with pytest.raises(ValueError):
        distributed.default_client()  # no cluster is running in this test
    with pytest.raises(RuntimeError, match=r"no Client is running.*Client\(\)"):
        CBOWVectorizer(**PARAMS).fit(db.from_sequence(lee_docs, npartitions=2))


def test_bad_inputs_and_settings_are_refused_before_anything_runs(client, lee_docs):
    import dask.array as da

    bag = db.from_sequence(lee_docs, npartitions=2)
    array = da.from_array(np.array(lee_docs[:4], dtype=object), chunks=2)
    with pytest.raises(TypeError, match="dask Bag of documents.*Series"):
        CBOWVectorizer(**PARAMS).fit(array)
    with pytest.raises(ValueError, match="hogwild"):
        CBOWVectorizer(**PARAMS, solver="minibatch").fit(bag)
    with pytest.raises(ValueError, match="strategy='single'.*GPU"):
        CBOWVectorizer(**PARAMS, device="gpu").fit(bag)
    with pytest.raises(ValueError, match="merge"):
        CBOWVectorizer(**PARAMS, merge="median").fit(bag)
    with pytest.raises(ValueError, match="words_per_round"):
        CBOWVectorizer(**PARAMS, words_per_round="many").fit(bag)
    with pytest.raises(ValueError, match="strategy"):
        CBOWVectorizer(**{**PARAMS, "strategy": "star"}).fit(bag)
    with pytest.raises(ValueError, match="corpus is empty"):
        CBOWVectorizer(**PARAMS).fit(db.from_sequence(["", " "], npartitions=2))
    with pytest.raises(ValueError, match="min_count=3"):
        CBOWVectorizer(**PARAMS).fit(db.from_sequence(["a b c"], npartitions=1))
    vec = CBOWVectorizer(**PARAMS).fit(lee_docs[:100])
    with pytest.raises(TypeError, match="partial_fit takes local documents"):
        vec.partial_fit(bag)
    with pytest.raises(TypeError, match=r"skw2v\.dask\.CBOWVectorizer"):
        LocalVectorizer(**LOCAL).fit(bag)


def test_a_model_too_large_for_the_workers_is_refused_and_the_fit_kept(lee_docs):
    unmanaged = {f"distributed.worker.memory.{k}": False
                 for k in ("target", "spill", "pause", "terminate")}  # a limit, not a monitor
    with dask.config.set(unmanaged), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                     memory_limit="64MiB", dashboard_address=":0") as cluster, \
            distributed.Client(cluster):
        vec = CBOWVectorizer(**PARAMS).fit(lee_docs[:100])
        before = vec.wv_.vectors.copy()
        with pytest.raises(MemoryError, match=r"needs .* GiB on every worker.*memory_limit"):
            vec.set_params(vector_size=2000).fit(db.from_sequence(lee_docs, npartitions=2))
        np.testing.assert_array_equal(vec.wv_.vectors, before)


def test_the_parameters_are_the_local_estimators_plus_the_cluster_settings():
    from sklearn.base import clone

    local, mine = LocalVectorizer().get_params(), CBOWVectorizer().get_params()
    assert {k: mine[k] for k in local} == local
    assert set(mine) - set(local) == {"words_per_round", "merge", "strategy"}
    assert clone(CBOWVectorizer(merge="sum")).merge == "sum"
    assert mine["words_per_round"] == "auto" and mine["merge"] == "adaptive"
    assert mine["strategy"] == "auto"


# ----------------------------------------------------------------- worker processes
async def _exit_now():
    os._exit(1)  # as a crash: no cleanup, no goodbye to the scheduler


@pytest.mark.slow
def test_worker_processes_and_a_worker_killed_mid_fit(lee_docs, tmp_path):
    """Real serialization between processes; one worker is killed after the first epoch
    (it held encoded partitions, maybe the weights): the lost results are recomputed from
    their pure tasks, so the fit ends with exactly the model of a fit that lost nothing."""
    os.environ.setdefault("NUMBA_CACHE_DIR", str(tmp_path / "numba"))
    files = []
    for i in range(4):
        path = tmp_path / f"part-{i}.txt"
        path.write_text("\n".join(lee_docs[i::4]) + "\n", encoding="utf-8")
        files.append(str(path))
    killed = []

    def kill_one(estimator, stats):
        if not killed:
            client = distributed.default_client()
            victim = sorted(client.scheduler_info()["workers"])[0]
            client.run(_exit_now, workers=[victim], wait=False)
            killed.append(victim)

    params = dict(vector_size=50, min_count=2, epochs=8, random_state=0, sample=0,
                  words_per_round=15_000, strategy="parallel")  # 2 rounds an epoch: 16 in all
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        bag = db.read_text(str(tmp_path / "part-*.txt"), blocksize=None)
        intact = CBOWVectorizer(**params).fit(bag)
        vec = CBOWVectorizer(**params, callbacks=[kill_one]).fit(bag)
        assert killed and killed[0] not in client.scheduler_info()["workers"]
        X = vec.transform(db.read_text(files[0], blocksize=None)).compute()
    # one thread a worker and seeded draws: every recomputed task gives the same bits
    np.testing.assert_array_equal(vec.wv_.vectors, intact.wv_.vectors)
    np.testing.assert_array_equal(vec.syn1neg_, intact.syn1neg_)
    assert vec.loss_curve_ == intact.loss_curve_ and len(vec.loss_curve_) == 8
    assert vec.loss_curve_[-1] < 0.8 * vec.loss_curve_[0]
    np.testing.assert_array_equal(X, vec.transform(lee_docs[0::4]))
