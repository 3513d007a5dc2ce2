"""Approximate nearest neighbours over unit vectors: a faiss index (the ``ann`` extra).

faiss (Meta's similarity-search library, installed from wheels) was chosen by
measurement against hnswlib, usearch and pynndescent (``benchmarks/bench_ann.py``,
RESULTS.md, HISTORY.md): at equal recall its HNSW graph answered about as fast as
hnswlib's, which needs a compiler to install; its IVF index was the only one seen to
build 3M words in minutes; seeded builds repeat; and it serializes to plain bytes
(``faiss.serialize_index``), so an index travels in skw2v's safe model file and in a
pickle without executing anything on load. pynndescent queried fastest but saves
only by pickle and compiles its kernels for a minute in every new process.

Two kinds of index, both over inner products of unit vectors (cosine):

* ``"hnsw"``: a hierarchical navigable small-world graph. Fast queries at high
  recall; builds in about a minute per 300,000 words x 300 (faiss-cpu builds it on one
  core).
* ``"ivf"``: an inverted file, the vectors clustered by k-means into ``n_lists``
  lists of which a query scans ``n_probe``. Builds three times faster (on every core),
  queries somewhat slower at the same recall.

``"auto"`` (the default) takes "hnsw" below :data:`AUTO_IVF_WORDS` words and "ivf" from
there on.
"""

import math

import numpy as np

KINDS = ("auto", "hnsw", "ivf")
AUTO_IVF_WORDS = 1_000_000  # "auto": "ivf" from this many words on (measured at 1M: hnsw built in
                            # 5.3 min on one core, ivf in 1.8 min; at 3M ivf took 7.7 min, hnsw
                            # would take about 20)
# Defaults measured on vectors trained here (RESULTS.md, "Neighbours at scale"): recall@10
# >= 0.9 at 120k-300k words x 300 with the query times reported there.
HNSW_DEFAULTS = {"M": 32, "ef_construction": 80, "ef_search": 256}
IVF_DEFAULTS = {"n_lists": None, "n_probe": 32}   # n_lists None: 4 sqrt(n_words), see below
IVF_TRAIN_PER_LIST = 64   # k-means trains on this many vectors a list (faiss wants 39 or more),
                          # so the default n_lists is also at most n_words / 64


def faiss_module():
    """faiss, or ImportError saying how to install it."""
    try:
        import faiss
    except ImportError:
        raise ImportError(
            "build_index needs faiss: pip install 'skw2v[ann]' (or pip install faiss-cpu)."
        ) from None
    return faiss


class ANNIndex:
    """A faiss index over the unit vectors of a KeyedVectors, with its search settings.

    Use :meth:`KeyedVectors.build_index`; it pickles as bytes (no faiss object).
    """

    def __init__(self, index, kind, options, n_rows):
        self.index, self.kind, self.options, self.n_rows = index, kind, options, n_rows

    @classmethod
    def build(cls, unit, random_state=None, kind="auto", n_threads=None, **options):
        """Index the rows of ``unit`` (float32 unit vectors)."""
        faiss = faiss_module()
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}; got {kind!r}.")
        if kind == "auto":
            kind = "ivf" if len(unit) >= AUTO_IVF_WORDS else "hnsw"
        defaults = HNSW_DEFAULTS if kind == "hnsw" else IVF_DEFAULTS
        unknown = set(options) - set(defaults)
        if unknown:
            raise TypeError(f"unknown option(s) {sorted(unknown)} for kind={kind!r}; it takes "
                            f"{sorted(defaults)}.")
        options = {**defaults, **options}
        for name, value in options.items():
            if value is not None and (not isinstance(value, (int, np.integer))
                                      or isinstance(value, bool) or value < 1):
                raise ValueError(f"{name} must be an int >= 1; got {value!r}.")
        options = {k: None if v is None else int(v) for k, v in options.items()}  # JSON
        seed = _seed(random_state)
        unit = np.ascontiguousarray(unit, dtype=np.float32)
        n, dim = unit.shape
        with _threads(faiss, n_threads):
            if kind == "hnsw":
                index = faiss.IndexHNSWFlat(dim, int(options["M"]), faiss.METRIC_INNER_PRODUCT)
                index.hnsw.efConstruction = int(options["ef_construction"])
                index.hnsw.rng = faiss.RandomGenerator(seed)
                index.add(unit)
            else:
                n_lists = options["n_lists"] or max(1, min(int(4 * math.sqrt(n)),
                                                           n // IVF_TRAIN_PER_LIST))
                options["n_lists"] = n_lists = min(int(n_lists), n)
                index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, n_lists,
                                           faiss.METRIC_INNER_PRODUCT)
                index.cp.seed = seed
                sample = np.random.default_rng(seed).permutation(n)[:IVF_TRAIN_PER_LIST * n_lists]
                index.train(unit[np.sort(sample)])
                index.add(unit)
        return cls(index, kind, options, n)

    def search(self, queries, k, n_threads=None):
        """``(indices, similarities)`` of the ``k`` best rows for each query row (-1 and
        -inf where the index found fewer)."""
        faiss = faiss_module()
        k = min(int(k), self.n_rows)
        if self.kind == "hnsw":
            params = faiss.SearchParametersHNSW(efSearch=max(int(self.options["ef_search"]), k))
        else:
            params = faiss.SearchParametersIVF(nprobe=min(int(self.options["n_probe"]),
                                                          int(self.options["n_lists"])))
        with _threads(faiss, n_threads):
            sims, indices = self.index.search(np.ascontiguousarray(queries, np.float32), k,
                                              params=params)
        sims[indices < 0] = -np.inf
        return indices.astype(np.int64, copy=False), sims

    def to_bytes(self):
        """The index as a uint8 array (faiss's own binary format)."""
        return faiss_module().serialize_index(self.index)

    @classmethod
    def from_bytes(cls, data, kind, options, n_rows):
        """The index :meth:`to_bytes` wrote; ValueError if it is not one of ``n_rows`` rows."""
        faiss = faiss_module()
        try:
            index = faiss.deserialize_index(np.ascontiguousarray(data, np.uint8))
        except RuntimeError as exc:
            raise ValueError(f"the stored index is not a faiss index ({exc})") from None
        if index.ntotal != n_rows or kind not in ("hnsw", "ivf"):
            raise ValueError(f"the stored index holds {index.ntotal} vectors of kind "
                             f"{kind!r}, not {n_rows}")
        return cls(index, kind, dict(options), n_rows)

    def __getstate__(self):
        return {"data": self.to_bytes(), "kind": self.kind, "options": self.options,
                "n_rows": self.n_rows}

    def __setstate__(self, state):
        self.__dict__.update(ANNIndex.from_bytes(**state).__dict__)

    def __repr__(self):
        settings = ", ".join(f"{k}={v}" for k, v in self.options.items())
        return f"ANNIndex(kind={self.kind!r}, n_words={self.n_rows}, {settings})"


def _seed(random_state):
    """A seed for faiss's generators (int, None: 0, or drawn from a RandomState)."""
    if random_state is None:
        return 0
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state) % (2**31)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31))
    raise ValueError(f"random_state must be None, an int or a RandomState; got "
                     f"{random_state!r}.")


class _threads:
    """faiss's OpenMP threads set for a block (None: leave them)."""

    def __init__(self, faiss, n_threads):
        self.faiss, self.n_threads, self.before = faiss, n_threads, None

    def __enter__(self):
        if self.n_threads is not None:
            self.before = self.faiss.omp_get_max_threads()
            self.faiss.omp_set_num_threads(int(self.n_threads))

    def __exit__(self, *exc):
        if self.before is not None:
            self.faiss.omp_set_num_threads(self.before)
