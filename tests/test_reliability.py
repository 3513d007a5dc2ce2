"""Reliability: bad input, atomic fitting, interrupts, numerical guards, fuzzing, threads.

scikit-learn's estimator checks skip most of their work for text estimators,
so these are skw2v's own. Every bad-input row runs against a *fitted* model
where it can and checks afterwards that the fitted state did not change.
"""

import _thread
import copy
import gzip
import re
import sys
import threading
import time
import tracemalloc
import types
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

import skw2v._engines.hogwild
import skw2v._vectorizer
from skw2v import CBOWVectorizer, KeyedVectors, LineCorpus, load
from skw2v._io import compression_of
from skw2v._vocab import Vocabulary

SMALL = dict(vector_size=8, min_count=1, epochs=1, n_jobs=1, random_state=0)
DOCS = ["the cat sat on the mat", "the dog sat on the log", "a cat and a dog"] * 5
DOCS_BYTES = "\n".join(f"line {i} has {i * i} words" for i in range(2000)).encode()
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


# --------------------------------------------------------------------- helpers
def fitted_state(est):
    """A deep copy of everything fit/partial_fit set on ``est``."""
    names = [k for k in vars(est) if (k.endswith("_") and not k.startswith("__"))
             or k in ("_vocab", "_random_state")]
    return copy.deepcopy({k: vars(est)[k] for k in names})


def assert_same(a, b, where="state"):
    assert type(a) is type(b), where
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True), where
    elif isinstance(a, KeyedVectors):
        assert a.index_to_key == b.index_to_key and a.key_to_index == b.key_to_index, where
        assert_same(a.vectors, b.vectors, where + ".vectors")
        assert_same(a.counts, b.counts, where + ".counts")
    elif isinstance(a, Vocabulary):
        assert a.index_to_key == b.index_to_key and a.rare_counts == b.rare_counts, where
        assert_same(a.counts, b.counts, where + ".counts")
    elif isinstance(a, np.random.RandomState):
        sa, sb = a.get_state(), b.get_state()
        assert sa[0] == sb[0] and np.array_equal(sa[1], sb[1]) and sa[2:] == sb[2:], where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    else:
        assert a == b, where


def skw2v_threads():
    return [t for t in threading.enumerate() if t.name.startswith("skw2v") and t.is_alive()]


@pytest.fixture(scope="module")
def fitted():
    return CBOWVectorizer(**SMALL).fit(DOCS)


@pytest.fixture(scope="module")
def lee_small(lee_docs):
    return CBOWVectorizer(vector_size=16, min_count=2, epochs=2, n_jobs=2,
                          random_state=0).fit(lee_docs)


class Env:
    """What a table row gets: a private copy of the fitted model, monkeypatch, tmp_path."""

    def __init__(self, fitted, monkeypatch, tmp_path):
        self.model = copy.deepcopy(fitted)
        self.monkeypatch = monkeypatch
        self.tmp_path = tmp_path

    def vec(self, **params):
        """The fitted copy with new parameters: a failing fit must leave its state alone."""
        return self.model.set_params(**{**SMALL, **params})

    def file(self, name, data):
        path = self.tmp_path / name
        path.write_bytes(data)
        return path

    def fake_cupy(self, n_devices):
        """Install a CuPy stand-in that sees ``n_devices`` GPUs (an int) or raises (None)."""
        def count():
            if n_devices is None:
                raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")
            return n_devices

        cupy = types.ModuleType("cupy")
        cupy.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=count))
        self.monkeypatch.setitem(sys.modules, "cupy", cupy)
        self.real_devices()

    def no_cupy(self):
        self.monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy -> ImportError
        self.real_devices()

    def no_numba_cuda(self):
        import importlib.util

        find_spec = importlib.util.find_spec
        self.monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: (
            None if name == "numba_cuda" else find_spec(name, *a)))

    def real_devices(self):
        """Resolve devices as without numba's CUDA simulator (which the suite turns on)."""
        self.monkeypatch.setattr("skw2v._device.cuda_simulated", lambda: False)


class DaskLike:
    """Follows dask's collection protocol (``__dask_graph__``); must never be iterated."""

    def __dask_graph__(self):
        return {}

    def __iter__(self):
        raise AssertionError("a dask collection was iterated")


def _warns_then(func, *args):
    with pytest.warns(UserWarning, match="not in the vocabulary"):
        return func(*args)


def pd():
    return pytest.importorskip("pandas")


def sparse():
    return pytest.importorskip("scipy.sparse")


# ------------------------------------------------------------ the bad-input table
# (id, action(env), exception type, regex the message must match)
CASES = [
    # empty and too-small corpora
    ("empty-list", lambda e: e.vec().fit([]), ValueError, r"corpus is empty"),
    ("empty-generator", lambda e: e.vec().fit(iter([])), ValueError, r"corpus is empty"),
    ("blank-documents", lambda e: e.vec().fit(["", "   ", "\n\t"]), ValueError, r"corpus is empty"),
    ("punctuation-only", lambda e: e.vec().fit(["!!! ...", "?"]), ValueError, r"corpus is empty"),
    ("empty-token-lists", lambda e: e.vec().fit([[], ()]), ValueError, r"corpus is empty"),
    ("stop-words-only", lambda e: e.vec(stop_words="english").fit(["the a an", "of the"]),
     ValueError, r"corpus is empty.*tokenization"),
    ("partial-fit-empty", lambda e: e.model.partial_fit(["", " "]), ValueError, r"corpus is empty"),
    ("below-min-count", lambda e: e.vec(min_count=5).fit(["a b a", "c"]), ValueError,
     r"min_count=5.*most frequent word occurs 2 times"),
    ("below-min-count-tokens", lambda e: e.vec(min_count=3).fit([["x", "y"], ["y"]]), ValueError,
     r"min_count=3.*occurs 2 times"),
    # wrong element types: TypeError with the position
    ("none-document", lambda e: e.vec().fit(["a b", None]), TypeError, r"Document 1 is NoneType"),
    ("int-document", lambda e: e.vec().fit(["a b", "c", 3]), TypeError, r"Document 2 is int \(3\)"),
    ("float-nan-document", lambda e: e.vec().fit([float("nan")]), TypeError,
     r"Document 0 is float"),
    ("bytes-document", lambda e: e.vec().fit([b"a b"]), TypeError,
     r"Document 0 is bytes.*[Dd]ecode"),
    ("bytearray-document", lambda e: e.vec().fit(["a", bytearray(b"a")]), TypeError,
     r"Document 1 is bytearray.*[Dd]ecode"),
    ("dict-document", lambda e: e.vec().fit([{"a": 1}]), TypeError, r"Document 0 is dict"),
    ("none-token", lambda e: e.vec().fit([["a", None]]), TypeError,
     r"Token 1 of document 0 is NoneType"),
    ("int-token", lambda e: e.vec().fit([["a"], ["b", 3]]), TypeError,
     r"Token 1 of document 1 is int"),
    ("bytes-token", lambda e: e.vec().fit([["a", b"b"]]), TypeError,
     r"Token 1 of document 0 is bytes.*[Dd]ecode"),
    ("nested-list-token", lambda e: e.vec().fit([["a", ["b"]]]), TypeError,
     r"Token 1 of document 0 is list"),
    ("doubly-nested", lambda e: e.vec().fit([[["a"]]]), TypeError, r"Token 0 of document 0 is list"),
    ("object-array-token", lambda e: e.vec().fit([np.array(["a", 1], dtype=object)]), TypeError,
     r"Token 1 of document 0 is int"),
    ("2d-array-document", lambda e: e.vec().fit([np.array([["a"]])]), TypeError,
     r"Document 0 is ndarray"),
    ("bad-document-late-in-generator", lambda e: e.vec().fit(d if i < 7 else 7 for i, d in enumerate(DOCS)),
     TypeError, r"Document 7 is int"),
    ("transform-none-document", lambda e: e.model.transform(["cat", None]), TypeError,
     r"Document 1 is NoneType"),
    ("partial-fit-int-token", lambda e: e.model.partial_fit([["cat", 1]]), TypeError,
     r"Token 1 of document 0 is int"),
    # whole-input shape
    ("none-corpus", lambda e: e.vec().fit(None), TypeError, r"iterable of documents.*NoneType"),
    ("int-corpus", lambda e: e.vec().fit(5), TypeError, r"iterable of documents.*int"),
    ("bare-string", lambda e: e.vec().fit("the cat sat"), ValueError,
     r"^Iterable over raw text documents expected, string object received\.$"),
    ("bare-bytes", lambda e: e.vec().fit(b"the cat"), ValueError, r"string object received"),
    ("transform-bare-string", lambda e: e.model.transform("cat"), ValueError,
     r"string object received"),
    ("partial-fit-bare-string", lambda e: e.model.partial_fit("cat"), ValueError,
     r"string object received"),
    ("2d-array", lambda e: e.vec().fit(np.array([["a b"], ["c d"]])), ValueError,
     r"2-D input of shape \(2, 1\)"),
    ("0d-array", lambda e: e.vec().fit(np.array("a b")), ValueError, r"0-D"),
    ("dataframe", lambda e: e.vec().fit(pd().DataFrame({"text": DOCS})), ValueError,
     r"2-D.*df\['text'\]"),
    ("sparse-matrix", lambda e: e.vec().fit(sparse().csr_matrix(np.eye(3))), ValueError, r"2-D"),
    *[(f"dask-collection-{name}", lambda e, call=call: call(e, DaskLike()), TypeError,
       r"dask collection \(DaskLike\).*skw2v\.dask\.CBOWVectorizer.*X\.compute\(\)")
      for name, call in [("fit", lambda e, x: e.vec().fit(x)),
                         ("partial-fit", lambda e, x: e.model.partial_fit(x)),
                         ("transform", lambda e, x: e.model.transform(x))]],
    ("transform-2d", lambda e: e.model.transform(np.array([["cat"], ["dog"]])), ValueError, r"2-D"),
    # queries
    ("most-similar-unknown", lambda e: e.model.most_similar("qqqq"), KeyError, r"qqqq"),
    ("most-similar-unknown-negative",
     lambda e: e.model.most_similar(positive=["cat"], negative=["zzzz"]), KeyError, r"zzzz"),
    ("most-similar-nothing", lambda e: e.model.most_similar(), ValueError, r"no input"),
    ("most-similar-wrong-dim", lambda e: e.model.most_similar(np.ones(3)), ValueError,
     r"shape \(8,\)"),
    ("most-similar-nan-vector", lambda e: e.model.most_similar(np.full(8, np.nan)), ValueError,
     r"NaN"),
    ("similarity-unknown", lambda e: e.model.similarity("cat", "qqqq"), KeyError, r"qqqq"),
    ("getitem-unknown", lambda e: e.model.wv_["qqqq"], KeyError, r"qqqq"),
    ("doesnt-match-all-unknown", lambda e: _warns_then(e.model.doesnt_match, ["qq", "zz"]),
     ValueError, r"empty list"),
    # not fitted
    ("transform-before-fit", lambda e: CBOWVectorizer().transform(DOCS), NotFittedError,
     r"not fitted"),
    ("most-similar-before-fit", lambda e: CBOWVectorizer().most_similar("cat"), NotFittedError,
     r"not fitted"),
    ("similarity-before-fit", lambda e: CBOWVectorizer().similarity("a", "b"), NotFittedError,
     r"not fitted"),
    ("feature-names-before-fit", lambda e: CBOWVectorizer().get_feature_names_out(),
     NotFittedError, r"not fitted"),
    # devices
    *[(f"device-{d!r}", lambda e, d=d: e.vec(device=d).fit(DOCS), InvalidParameterError,
       r"Unknown device") for d in ["tpu", "GPU", "cuda", "cuda:", "cuda:-1", "cuda:x", ""]],
    ("device-not-a-str", lambda e: e.vec(device=0).fit(DOCS), InvalidParameterError,
     r"'device' parameter"),
    ("gpu-without-cupy", lambda e: (e.no_cupy(), e.vec(device="gpu").fit(DOCS)), ImportError,
     r"needs CuPy.*pip install 'skw2v\[gpu\]'"),
    ("cuda1-without-cupy", lambda e: (e.no_cupy(), e.vec(device="cuda:1").fit(DOCS)), ImportError,
     r"needs CuPy"),
    ("gpu-without-device", lambda e: (e.fake_cupy(None), e.vec(device="gpu").fit(DOCS)),
     RuntimeError, r"no usable CUDA device.*pip install"),
    ("cuda-index-too-high", lambda e: (e.fake_cupy(1), e.vec(device="cuda:3").fit(DOCS)),
     ValueError, r"only 1 CUDA device"),
    ("gpu-without-numba-cuda", lambda e: (e.fake_cupy(1), e.no_numba_cuda(),
                                          e.vec(device="gpu").fit(DOCS)),
     ImportError, r"needs numba-cuda.*pip install 'skw2v\[gpu\]'"),
    # parameter combinations _parameter_constraints cannot express
    ("n_jobs-zero", lambda e: e.vec(n_jobs=0).fit(DOCS), InvalidParameterError, r"n_jobs.*Got 0"),
    ("min_alpha-above-alpha", lambda e: e.vec(alpha=0.01, min_alpha=0.1).fit(DOCS),
     InvalidParameterError, r"min_alpha=0.1 must not exceed alpha=0.01"),
    ("alpha-inf", lambda e: e.vec(alpha=float("inf")).fit(DOCS), InvalidParameterError,
     r"'alpha' parameter.*Got inf"),
    ("min_alpha-inf", lambda e: e.vec(min_alpha=float("inf")).fit(DOCS), InvalidParameterError,
     r"'min_alpha' parameter.*Got inf"),
    ("callback-not-callable", lambda e: e.vec(callbacks=[print, 3]).fit(DOCS),
     InvalidParameterError, r"callbacks\[1\] is int"),
    ("partial-fit-bad-param", lambda e: e.model.set_params(epochs=0).partial_fit(DOCS),
     InvalidParameterError, r"'epochs' parameter"),
    # numbers
    ("divergence-hogwild", lambda e: e.vec(alpha=1e30, min_alpha=1e30).fit(DOCS * 20),
     FloatingPointError, r"diverged.*smaller learning rate \(alpha=1e\+30"),
    ("divergence-hogwild-threads", lambda e: e.vec(alpha=1e30, min_alpha=1e30, n_jobs=2).fit(DOCS * 20),
     FloatingPointError, r"alpha=1e\+30"),
    ("divergence-minibatch", lambda e: e.vec(alpha=1e30, min_alpha=1e30, solver="minibatch",
                                                batch_size=16).fit(DOCS * 20),
     FloatingPointError, r"alpha=1e\+30"),
    ("huge-vector-size", lambda e: e.vec(vector_size=10**12).fit(DOCS), MemoryError,
     r"needs at least \d[\d.]* GiB.*vector_size"),
    ("huge-vocabulary", lambda e: skw2v._vectorizer.check_memory(10**10, 300), MemoryError,
     r"10000000000 words x vector_size=300 needs at least 22351\.\d GiB"),
    ("partial-fit-out-of-memory",
     lambda e: (e.monkeypatch.setattr(skw2v._vectorizer, "_memory_limits", lambda: (100, 100)),
                e.model.partial_fit(["brand new words here"] * 3)),
     MemoryError, r"GiB.*more than this machine's memory"),
    # corpus files
    ("line-corpus-not-utf8", lambda e: list(LineCorpus(e.file("c.txt", b"ok\nbad \xff\xfe\n"))),
     ValueError, r"line 2 \(byte offset 7\) is not valid utf-8.*errors='surrogateescape'"),
    ("fit-line-corpus-not-utf8",
     lambda e: e.vec().fit(LineCorpus(e.file("c.txt", "caf\u00e9\n".encode("latin-1")))),
     ValueError, r"line 1 \(byte offset 3\)"),
    ("line-corpus-latin1-as-utf8-gz",
     lambda e: list(LineCorpus(e.file("c.gz", gzip.compress(b"a\nb\nc\xe9\n")))),
     ValueError, r"line 3 \(byte offset 5\)"),
    ("line-corpus-truncated-gz",
     lambda e: list(LineCorpus(e.file("c.gz", gzip.compress(DOCS_BYTES)[:200]))),
     ValueError, r"corrupt or truncated compressed file after line \d+"),
    # compression is recognised by the first bytes: damaged data after a gzip / bz2 magic
    # number (a plain file merely *named* .gz reads as plain text, see test_io.py)
    ("line-corpus-corrupt-gz", lambda e: list(LineCorpus(e.file("c", b"\x1f\x8b\x08" + b"x" * 29))),
     ValueError, r"corrupt or truncated.*after line 0"),
    ("line-corpus-corrupt-bz2", lambda e: list(LineCorpus(e.file("c.txt", b"BZh9" + b"\x00" * 64))),
     ValueError, r"corrupt or truncated"),
    ("line-corpus-unknown-encoding", lambda e: LineCorpus(e.file("c.txt", b"a"), encoding="utf-9"),
     ValueError, r"Unknown encoding 'utf-9'"),
    ("line-corpus-unknown-errors", lambda e: LineCorpus(e.file("c.txt", b"a"), errors="skip"),
     ValueError, r"Unknown errors handler 'skip'"),
    ("line-corpus-missing", lambda e: LineCorpus(e.tmp_path / "nope.txt"), FileNotFoundError,
     r"not found.*nope\.txt"),
]

# every parameter of _parameter_constraints, out of range or of the wrong type
BAD_PARAMS = {
    "vector_size": [0, -1, 2.5, "100", None],
    "window": [0, -3, 1.5, "5"],
    "negative": [0, -1, 5.0],
    "ns_exponent": [10.5, -11, float("nan"), "0.75"],
    "sample": [-1e-3, 1.5, float("nan"), "1e-3"],
    "min_count": [0, -5, 2.5, None],
    "max_vocab_size": [0, -1, 1.5, "all"],
    "epochs": [0, -1, 1.5, None],
    "alpha": [0, -0.1, float("nan"), "0.025", None],
    "min_alpha": [-1e-4, float("nan"), "0"],
    "solver": ["sgd", "gensim", None, 1],
    "optimizer": ["adagrad", None, 0],
    "batch_size": [0, -1, 1.5, "big", None],
    "device": [0, None, 1.5],
    "n_jobs": [1.5, "2", "all"],
    "random_state": ["seed", -1, 2**32, 1.5],
    "agg": ["median", None, "MEAN"],
    "lowercase": ["yes", None, 2],
    "token_pattern": [3, b"\\w+"],
    "tokenizer": ["split", 3],
    "preprocessor": ["lower", 3],
    "stop_words": ["french", 3, {"the"}],
    "strip_accents": ["latin", 3],
    "max_doc_len": [0, -1, 10.5, None],
    "verbose": [-1, "loud", 1.5],
    "callbacks": ["print", print, 3],
    "init_vectors": [3, 2.5, ["a"]],
    "lock_init_vectors": ["yes", None, 2],
}
PARAM_CASES = [
    (f"param-{name}={value!r}",
     lambda e, name=name, value=value: e.vec(**{name: value}).fit(DOCS),
     InvalidParameterError, rf"The '{name}' parameter of CBOWVectorizer must be")
    for name, values in BAD_PARAMS.items() for value in values
]


def test_bad_params_cover_every_constraint():
    assert set(BAD_PARAMS) == set(CBOWVectorizer._parameter_constraints)


@pytest.mark.parametrize("action, exc, pattern",
                         [pytest.param(*row[1:], id=row[0]) for row in CASES + PARAM_CASES])
def test_bad_input_table(fitted, monkeypatch, tmp_path, action, exc, pattern):
    env = Env(fitted, monkeypatch, tmp_path)
    before = fitted_state(env.model)
    with pytest.raises(exc, match=pattern):
        action(env)
    assert_same(fitted_state(env.model), before)  # a failed call changes nothing
    assert not skw2v_threads()


def test_device_errors_come_before_the_input_is_read(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)
    monkeypatch.setattr("skw2v._device.cuda_simulated", lambda: False)
    consumed = []
    gen = (consumed.append(d) or d for d in DOCS)
    with pytest.raises(ImportError):
        CBOWVectorizer(device="gpu").fit(gen)
    assert not consumed  # the generator is still whole
    CBOWVectorizer(**{**SMALL, "device": "auto"}).fit(DOCS)  # auto without CuPy = CPU


def test_memory_refusal_is_fast_and_allocates_nothing():
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(MemoryError, match="GiB"):
            CBOWVectorizer(**{**SMALL, "vector_size": 10**9}).fit(DOCS)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 5
    assert peak < 50 * 2**20
    assert skw2v._vectorizer.model_memory(10, 100) == 2 * 4 * 10 * 100
    assert skw2v._vectorizer.model_memory(10, 100, n_new=3) == 2 * 4 * 10 * 100 + 4 * 3 * 100


# ------------------------------------------------------------ atomic fitting / Ctrl-C
class Interrupt:
    """Wraps train_chunk: after ``after`` chunks, raise KeyboardInterrupt in the calling
    (worker) thread, or send Ctrl-C to the main thread (``how="main"``)."""

    def __init__(self, after, how="raise"):
        self.after, self.how = after, how
        self.calls, self.threads = 0, set()
        self.lock = threading.Lock()
        self.original = skw2v._engines.hogwild.train_chunk

    def __call__(self, *args):
        with self.lock:
            self.calls += 1
            n = self.calls
            self.threads.add(threading.current_thread().name)
        if n == self.after + 1:
            if self.how == "raise":
                raise KeyboardInterrupt
            _thread.interrupt_main()  # what a real Ctrl-C does
        return self.original(*args)


def _callback_interrupt(after_epoch):
    def callback(est, stats):
        if stats.epoch + 1 == after_epoch:
            raise KeyboardInterrupt
    return callback


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("how", [
    "callback", "worker", "main-thread", "serial",
])
def test_interrupted_fit_leaves_previous_state(lee_small, lee_docs, monkeypatch, method, how):
    """Ctrl-C mid-training (lee: 3 chunks per epoch, 3 epochs, 2 threads) changes nothing.

    callback: KeyboardInterrupt from an epoch callback after epoch 1; worker: raised inside a
    worker thread in chunk 4; main-thread: a simulated Ctrl-C (``_thread.interrupt_main``)
    sent during chunk 6, while the main thread waits on results.
    """
    vec = copy.deepcopy(lee_small).set_params(epochs=3, n_jobs=1 if how == "serial" else 2)
    before = fitted_state(vec)
    if how == "callback":
        vec.set_params(callbacks=[_callback_interrupt(after_epoch=1)])
    else:
        after = 5 if how == "main-thread" else 3
        patch = Interrupt(after=after, how="main" if how == "main-thread" else "raise")
        monkeypatch.setattr(skw2v._engines.hogwild, "train_chunk", patch)
    with pytest.raises(KeyboardInterrupt):
        getattr(vec, method)(lee_docs)
        time.sleep(1)  # (main-thread) should the interrupt arrive late, it arrives here
    if how not in ("callback", "serial"):
        assert patch.calls > after and all(t.startswith("skw2v") for t in patch.threads)
    assert_same(fitted_state(vec), before)
    assert not skw2v_threads()  # workers were stopped and joined
    # and the model still works: a later fit succeeds
    monkeypatch.undo()
    vec.set_params(callbacks=None, epochs=1).partial_fit(lee_docs[:50])
    assert len(vec.loss_curve_) == len(before["loss_curve_"]) + 1


def test_ctrl_c_while_workers_start_joins_them(lee_small, lee_docs, monkeypatch):
    """Ctrl-C landing inside Thread.start() (epoch 2's first worker) must not leak it."""
    original_start, original_chunk = threading.Thread.start, skw2v._engines.hogwild.train_chunk
    started = []

    def start(self):
        if self.name.startswith("skw2v"):
            started.append(self)  # before the thread runs, so slow_chunk sees it
        original_start(self)
        if self.name.startswith("skw2v"):
            if len(started) == 3:
                _thread.interrupt_main()
                for _ in range(1000):  # the pending Ctrl-C is raised here, inside start()
                    pass

    def slow_chunk(*args):
        if len(started) >= 3:
            time.sleep(0.5)  # a worker left running is still running when we look
        return original_chunk(*args)

    monkeypatch.setattr(threading.Thread, "start", start)
    monkeypatch.setattr(skw2v._engines.hogwild, "train_chunk", slow_chunk)
    vec = copy.deepcopy(lee_small).set_params(epochs=3, n_jobs=2)
    before = fitted_state(vec)
    with pytest.raises(KeyboardInterrupt):
        vec.fit(lee_docs)
    assert_same(fitted_state(vec), before)
    assert not skw2v_threads()


def test_failure_in_install_leaves_previous_state(fitted, monkeypatch):
    vec = copy.deepcopy(fitted).set_params(agg="sif")
    before = fitted_state(vec)

    def boom(*args):
        raise RuntimeError("sif failed")

    monkeypatch.setattr(skw2v._vectorizer, "sif_common_component", boom)
    with pytest.raises(RuntimeError, match="sif failed"):
        vec.fit(DOCS)
    assert_same(fitted_state(vec), before)


# ------------------------------------------------------------ numerical guards
def test_non_finite_loss_stops_training_naming_alpha(fitted, monkeypatch):
    original = skw2v._engines.hogwild.train_chunk

    def nan_loss(*args):
        loss, examples, effective = original(*args)
        return float("nan"), examples, effective

    monkeypatch.setattr(skw2v._engines.hogwild, "train_chunk", nan_loss)
    vec = copy.deepcopy(fitted)
    before = fitted_state(vec)
    with pytest.raises(FloatingPointError, match=r"epoch 1.*alpha=0.025"):
        vec.fit(DOCS)
    assert_same(fitted_state(vec), before)


def test_loss_is_tallied_in_float64(lee_docs, monkeypatch):
    """Per-chunk losses are float64 and the epoch mean is their float64 sum / examples."""
    original = skw2v._engines.hogwild.train_chunk
    seen = []

    def record(*args):
        out = original(*args)
        seen.append(out)
        return out

    monkeypatch.setattr(skw2v._engines.hogwild, "train_chunk", record)
    vec = CBOWVectorizer(vector_size=16, min_count=2, epochs=2, n_jobs=1, random_state=0)
    vec.fit(lee_docs)
    assert all(type(x) is float for x in vec.loss_curve_)
    assert all(isinstance(loss, float) for loss, _, _ in seen)  # numba float64 -> python float
    per_epoch = len(seen) // 2
    for epoch in range(2):
        chunk = seen[epoch * per_epoch:(epoch + 1) * per_epoch]
        loss = np.sum([c[0] for c in chunk], dtype=np.float64)
        examples = sum(c[1] for c in chunk)
        assert examples > 2**24 / 1000  # enough terms for float32 tallies to drift
        assert vec.loss_curve_[epoch] == pytest.approx(loss / examples, rel=1e-12)


# ------------------------------------------------------------ fuzzing
WORDS = st.text(st.characters(), max_size=6)
SURROGATE_OR_ANY = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF) | st.characters()


def _fit_or_expected_error(docs, **params):
    vec = CBOWVectorizer(**{**SMALL, **params})
    try:
        return vec.fit(docs)
    except ValueError as err:
        named = re.match(r"Token (\d+) of document (\d+), ", str(err))
        if named:  # a token no file could hold: it is the one named
            token = docs[int(named[2])][int(named[1])]
            assert repr(token) in str(err)
            assert not _storable(token), err
        else:
            assert "corpus is empty" in str(err) or "min_count=" in str(err), err
        return None


def _storable(token):
    """A reference of what a model can hold: a word of a word2vec file that decodes back."""
    try:
        raw = token.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return False
    return (0 < len(raw) <= 1 << 16 and b" " not in raw and b"\n" not in raw
            and raw.decode("utf-8", "surrogateescape") == token)


@FUZZ
@given(docs=st.lists(st.text(max_size=40), max_size=8), min_count=st.integers(1, 3),
       lowercase=st.booleans(), strip=st.sampled_from([None, "ascii", "unicode"]),
       queries=st.lists(st.text(max_size=20), max_size=4))
def test_fuzz_text_documents(docs, min_count, lowercase, strip, queries):
    vec = _fit_or_expected_error(docs, min_count=min_count, lowercase=lowercase,
                                 strip_accents=strip)
    if vec is None:
        return
    X = vec.transform(docs + queries)
    assert X.shape == (len(docs) + len(queries), 8) and X.dtype == np.float32
    assert np.isfinite(X).all()
    assert np.isfinite(vec.wv_.vectors).all() and all(np.isfinite(vec.loss_curve_))


@FUZZ
@given(docs=st.lists(st.lists(st.text(SURROGATE_OR_ANY, max_size=5), max_size=10), max_size=6),
       agg=st.sampled_from(["mean", "sum", "max", "minmax", "sif"]), min_count=st.integers(1, 2))
def test_fuzz_token_lists(tmp_path_factory, docs, agg, min_count):
    vec = _fit_or_expected_error(docs, agg=agg, min_count=min_count)
    if not all(_storable(t) for d in docs for t in d):
        assert vec is None  # refused at once, whatever the token's count
    if vec is None:
        return
    folder = tmp_path_factory.mktemp("saved")  # every format gives the same words back
    vec.save(folder / "m.skw2v")
    assert load(folder / "m.skw2v").wv_.index_to_key == vec.wv_.index_to_key
    for binary in (False, True):
        vec.wv_.save_word2vec_format(folder / "v", binary=binary)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnicodeWarning)  # undecodable bytes: kept
            kv = KeyedVectors.load_word2vec_format(folder / "v", binary=binary)
        assert kv.index_to_key == vec.wv_.index_to_key
    assert set(vec.vocabulary_) <= {t for d in docs for t in d}
    X = vec.transform(docs + [["never-seen-token"], []])
    assert np.isfinite(X).all()
    assert not X[-2:].any()
    word = vec.wv_.index_to_key[0]
    sims = vec.most_similar(word, topn=None) if len(vec.wv_) > 1 else np.zeros(0)
    assert np.isfinite(np.asarray(sims, dtype=float)).all()


BAD_ITEMS = st.one_of(st.none(), st.integers(), st.floats(), st.binary(max_size=4),
                      st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))


@FUZZ
@given(docs=st.lists(st.text(max_size=20), min_size=1, max_size=6), bad=BAD_ITEMS,
       data=st.data(), as_token=st.booleans())
def test_fuzz_bad_element_is_named_by_position(docs, bad, data, as_token):
    pos = data.draw(st.integers(0, len(docs)))
    if as_token:
        docs = [d.split() for d in docs]
        docs.insert(pos, ["ok", bad])
        pattern = rf"Token 1 of document {pos} is {type(bad).__name__}"
    else:
        docs.insert(pos, bad)
        pattern = rf"Document {pos} is {type(bad).__name__}"
    with pytest.raises(TypeError, match=pattern):
        CBOWVectorizer(**SMALL).fit(docs)


@FUZZ
@given(text=st.text(st.characters(), max_size=200))
def test_fuzz_line_corpus_matches_text_mode(tmp_path_factory, text):
    """Valid UTF-8 reads exactly as Python's universal-newline text mode reads it."""
    path = tmp_path_factory.mktemp("lc") / "c.txt"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: invalid UTF-8 on disk
        with pytest.raises(ValueError, match=r"line \d+ \(byte offset \d+\)"):
            list(LineCorpus(path))
        return
    with open(path, encoding="utf-8") as f:
        expected = [line.rstrip("\r\n") for line in f]
    assert list(LineCorpus(path)) == expected


@FUZZ
@given(data=st.binary(max_size=300), compress=st.sampled_from(["", ".gz", "gz-cut"]))
def test_fuzz_line_corpus_random_bytes(tmp_path_factory, data, compress):
    """Random bytes: lines of str or a ValueError naming where, nothing else, no hang."""
    path = tmp_path_factory.mktemp("lc") / ("c.gz" if compress else "c.txt")
    payload = gzip.compress(data) if compress else data
    if compress == "gz-cut":
        payload = payload[: len(payload) // 2]
    path.write_bytes(payload)
    try:
        lines = list(LineCorpus(path))
        assert all(isinstance(line, str) for line in lines)
    except ValueError as err:
        assert re.search(r"line \d+ \(byte offset \d+\)|compressed file after line \d+", str(err))
    # bytes that start like a compressed stream are one (compression is read from the content)
    if compress != "gz-cut" and (compress or compression_of(path) is None):
        replaced = list(LineCorpus(path, errors="replace"))  # always readable
        assert all(isinstance(line, str) for line in replaced)
        assume(replaced)


# ------------------------------------------------------------ threads
def test_concurrent_queries_match_serial(lee_small, lee_docs):
    vec = copy.deepcopy(lee_small)  # fresh unit-vector cache: threads race to build it
    words = vec.wv_.index_to_key[:40]
    batches = [lee_docs[i::8][:30] for i in range(8)]
    serial_X = [lee_small.transform(b) for b in batches]
    serial_sim = [lee_small.most_similar(w, topn=5) for w in words]
    serial_pair = [lee_small.most_similar(positive=[a, b], negative=[c], topn=3)
                   for a, b, c in zip(words, words[1:], words[2:])]
    barrier = threading.Barrier(8)

    def work(k):
        barrier.wait()
        out = []
        for rep in range(5):
            out.append(("X", (k + rep) % 8, vec.transform(batches[(k + rep) % 8])))
            for i in range(k, len(words), 8):
                out.append(("sim", i, vec.most_similar(words[i], topn=5)))
            for i in range(k, len(serial_pair), 8):
                out.append(("pair", i, vec.most_similar(positive=[words[i], words[i + 1]],
                                                         negative=[words[i + 2]], topn=3)))
        return out

    with ThreadPoolExecutor(8) as pool:
        results = [r for rs in pool.map(work, range(8)) for r in rs]
    for kind, i, got in results:
        if kind == "X":
            np.testing.assert_array_equal(got, serial_X[i])
        else:
            assert got == (serial_sim if kind == "sim" else serial_pair)[i]


def test_concurrent_fits_share_no_random_state(lee_docs):
    """Two estimators fitted at once in two threads equal the same fits run one by one."""
    params = dict(vector_size=16, min_count=2, epochs=2, n_jobs=1)
    sequential = [CBOWVectorizer(**params, random_state=s).fit(lee_docs).wv_.vectors
                  for s in (0, 1)]
    global_before = np.random.get_state()[1].copy()
    barrier = threading.Barrier(2)

    def fit(seed):
        barrier.wait()
        return CBOWVectorizer(**params, random_state=seed).fit(lee_docs).wv_.vectors

    with ThreadPoolExecutor(2) as pool:
        concurrent = list(pool.map(fit, (0, 1)))
    for a, b in zip(sequential, concurrent):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.random.get_state()[1], global_before)  # global RNG untouched
