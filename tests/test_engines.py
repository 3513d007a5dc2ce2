"""The engine interface: every engine trains word ranges at the schedule's rates.

The rate probe: documents ``[a_i, b_i]`` of two words that occur nowhere
else, output weights starting at zero, and an alias table whose every draw
is a sink word. The first target of document ``i`` then changes only its own
output row, by exactly ``(1 - sigmoid(0)) * rate * h = rate / 2 * syn0[b_i]``,
so the output row reveals the learning rate the engine used for that word.
"""

import numpy as np
import pytest

from skw2v import CBOWVectorizer
from skw2v._corpus import EncodedCorpus
from skw2v._engines import ChunkTally, Engine, TrainingTables, engine_class
from skw2v._engines.cuda import CudaHogwildEngine
from skw2v._engines.hogwild import HogwildEngine
from skw2v._engines.minibatch import MinibatchEngine
from skw2v._schedule import Schedule, linear_alpha
from skw2v._training import run_epochs

N_DOCS, DIM, SINK = 300, 8, 0

ENGINES = {
    "hogwild-1-thread": lambda *a, **kw: HogwildEngine(*a, **kw, n_threads=1, chunk_words=64),
    "hogwild-2-threads": lambda *a, **kw: HogwildEngine(*a, **kw, n_threads=2, chunk_words=64),
    "minibatch-sgd": lambda *a, **kw: MinibatchEngine(*a, **kw, batch_size=32, optimizer="sgd",
                                                      xp=np, device_index=None),
    # the GPU engine with its CPU reference in place of the kernel (small blocks: many launches)
    "gpu-reference-1": lambda *a, **kw: CudaHogwildEngine(*a, **kw, xp=np, device_index=0,
                                                          block_words=100, concurrency=1,
                                                          reference=True),
    "gpu-reference-64": lambda *a, **kw: CudaHogwildEngine(*a, **kw, xp=np, device_index=0,
                                                           block_words=100, concurrency=64,
                                                           reference=True),
}


def probe_setup(n_docs=N_DOCS):
    a = 1 + 2 * np.arange(n_docs)
    ids = np.stack([a, a + 1], axis=1).ravel().astype(np.int32)
    corpus = EncodedCorpus(ids, np.arange(0, 2 * n_docs + 1, 2, dtype=np.int64))
    n_words = 2 * n_docs + 1
    tables = TrainingTables(np.ones(n_words, np.float32), np.zeros(n_words, np.float32),
                            np.full(n_words, SINK, np.int32))  # every draw is the sink
    syn0 = np.random.RandomState(0).uniform(0.5, 1.0, (n_words, DIM)).astype(np.float32)
    return corpus, tables, syn0, np.zeros_like(syn0)


def probed_rates(make, epoch, schedule, ranges, n_docs=N_DOCS):
    corpus, tables, syn0, syn1neg = probe_setup(n_docs)
    start = syn0.copy()
    engine = make(corpus, tables, syn0, syn1neg, window=1, negative=1,
                  random_state=np.random.RandomState(1))
    tallies = []
    for lo, hi in ranges:
        engine.train(epoch, lo, hi, schedule, tallies.append)
    engine.finalize()
    a = 1 + 2 * np.arange(n_docs)
    rates = (syn1neg[a] / (0.5 * start[a + 1])).mean(axis=1)
    return rates, tallies


@pytest.mark.parametrize("name", ENGINES)
@pytest.mark.parametrize("ranges", [[(0, N_DOCS)], [(0, 77), (77, 200), (200, N_DOCS)]])
def test_every_engine_trains_at_the_schedule_rates(name, ranges):
    schedule = Schedule(alpha=0.05, min_alpha=0.002, words_per_epoch=2 * N_DOCS, epochs=3)
    rates, tallies = probed_rates(ENGINES[name], 1, schedule, ranges)
    # the first word of document i is corpus word 2i, in epoch 1
    expected = schedule.alpha_at(schedule.position(1, 2 * np.arange(N_DOCS)))
    np.testing.assert_allclose(rates, expected, rtol=2e-5)
    assert all(isinstance(t, ChunkTally) for t in tallies)
    assert sum(t.words for t in tallies) == 2 * N_DOCS
    assert sum(t.effective_words for t in tallies) == 2 * N_DOCS
    assert sum(t.examples for t in tallies) == 2 * N_DOCS


def test_the_gpu_kernel_trains_at_the_schedule_rates_in_the_simulator():
    """The probe on the real kernel source (numba's CUDA simulator: a few documents)."""
    n_docs = 12
    schedule = Schedule(alpha=0.05, min_alpha=0.002, words_per_epoch=2 * n_docs, epochs=3)
    make = lambda *a, **kw: CudaHogwildEngine(*a, **kw, xp=np, device_index=0,  # noqa: E731
                                              block_words=10)
    rates, tallies = probed_rates(make, 2, schedule, [(0, 5), (5, n_docs)], n_docs)
    expected = schedule.alpha_at(schedule.position(2, 2 * np.arange(n_docs)))
    np.testing.assert_allclose(rates, expected, rtol=2e-5)
    assert sum(t.examples for t in tallies) == 2 * n_docs and len(tallies) >= 3


def test_the_rate_formula_is_one_function_for_scalars_and_arrays():
    s = Schedule(alpha=0.025, min_alpha=1e-4, words_per_epoch=1000, epochs=5)
    positions = np.array([0, 1, 2500, 4999, 5000, 10**9])
    scalars = [s.alpha_at(int(p)) for p in positions]
    assert s.alpha_at(positions).tolist() == scalars
    assert scalars == [max(0.025 - s.step * p, 1e-4) for p in positions]
    assert linear_alpha(0.025, s.step, 1e-4, 10**9) == 1e-4


class _Recorder(Engine):
    """An engine that trains nothing and records how the training loop calls it."""

    def __init__(self, corpus, words_per_doc=3):
        super().__init__(corpus, None, np.zeros((2, 2), np.float32),
                         np.zeros((2, 2), np.float32), window=1, negative=1, random_state=None)
        self.calls, self.finalized = [], 0
        self.words_per_doc = words_per_doc

    def train(self, epoch, doc_lo, doc_hi, schedule, report):
        self.calls.append((epoch, doc_lo, doc_hi))
        for doc in range(doc_lo, doc_hi):  # one "chunk" per document
            report(ChunkTally(self.words_per_doc, 0.5, 2, 1))

    def finalize(self):
        self.finalized += 1


def test_run_epochs_owns_epochs_tallies_and_finalize():
    corpus = EncodedCorpus(np.zeros(12, np.int32), np.arange(0, 13, 3, dtype=np.int64))
    engine = _Recorder(corpus)
    seen = []
    history = run_epochs(engine, Schedule(0.025, 1e-4, 12, 3),
                         callbacks=[lambda owner, stats: seen.append(stats.epoch)])
    assert engine.calls == [(0, 0, 4), (1, 0, 4), (2, 0, 4)]
    assert engine.finalized == 1 and seen == [0, 1, 2]
    for epoch, stats in enumerate(history):
        assert (stats.epoch, stats.words, stats.examples, stats.effective_words) == (epoch, 12, 8, 4)
        assert stats.loss == 2.0 and stats.mean_loss == 0.25 and stats.seconds >= 0


def test_run_epochs_stops_on_non_finite_weights():
    corpus = EncodedCorpus(np.zeros(3, np.int32), np.array([0, 3], np.int64))
    engine = _Recorder(corpus)
    engine.syn0[0, 0] = np.inf
    with pytest.raises(FloatingPointError, match="epoch 1.*alpha=0.025"):
        run_epochs(engine, Schedule(0.025, 1e-4, 3, 2))
    assert engine.finalized == 0


@pytest.mark.parametrize("solver, gpu, cls", [
    ("hogwild", False, HogwildEngine), ("hogwild", True, CudaHogwildEngine),
    ("minibatch", False, MinibatchEngine), ("minibatch", True, MinibatchEngine)])
def test_solvers_map_to_engines_of_the_interface(solver, gpu, cls):
    assert engine_class(solver, gpu) is cls and issubclass(cls, Engine)


@pytest.mark.parametrize("solver", ["hogwild", "minibatch"])
def test_engines_train_the_estimator_to_the_same_effective_words(lee_docs, solver):
    vec = CBOWVectorizer(vector_size=10, epochs=2, n_jobs=1, random_state=0, solver=solver,
                         sample=0).fit(lee_docs)
    # without subsampling every in-vocabulary word is trained once per epoch
    assert vec.n_words_trained_ == 2 * int(vec.wv_.counts.sum())
