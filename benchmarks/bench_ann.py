"""Approximate nearest neighbours for ``KeyedVectors.build_index``: which library (issue 27).

Each candidate index is built over unit vectors (inner product = cosine) in a fresh
child process and compared with the exact search of ``KeyedVectors.most_similar``
(a matrix product over the unit vectors, then ``argpartition``):

* recall@10 of self-queries: for ``--n-queries`` sampled rows, the 10 nearest other
  rows (the row itself left out), against the exact 10, averaged;
* build seconds, the index's file size (what saving it would write) and the build's
  peak RSS above the process's RSS before the build (the vectors already loaded);
* single queries one call at a time (mean ms over ``--n-single`` rows) and all sampled
  queries in one batch call (queries/s), each against the exact search on the same rows.

Every search setting of ``--search`` is swept on the one built index.

Data sets (``--sizes``):

* ``real``: CBOW vectors trained here (vector_size=300, min_count=2, 5 epochs, seed 0)
  on the two real corpora of corpora.py, english + gcide (~120k words; gcide needs
  Debian's dict-gcide). The recall columns split the queries: ``all`` are rows drawn
  uniformly (most of them rare, under-trained words: the hard case), ``freq`` are rows
  among the 10,000 most frequent words.
* ``100k``, ``300k``, ``1M``, ``3M``: clustered synthetic vectors (:func:`synthetic`):
  1,000 Gaussian centres with Zipf-distributed cluster sizes in a space whose variance
  decays along the axes (PCA of the trained vectors: 44 % / 85 % / 97 % of the variance
  in 10 / 50 / 100 components), plus a common offset (mean cosine ~0.35 as in the
  trained vectors), per-row noise of random amplitude (log-uniform 0.5-2: well- and
  badly-trained words), a random rotation, unit rows. Built in blocks of 100k rows and
  cached as ``data/ann_<size>.npy`` with the exact neighbours of the sampled queries.

A child (load, build, sweep) that runs past ``--timeout`` seconds (default 20 min) is
stopped and reported as such.
``--check`` instead builds each library twice on 20k rows with the same seed (2 threads,
then 1) to see whether builds are deterministic, and round-trips the index through
bytes without pickle where the library can.

    python benchmarks/bench_ann.py --sizes real,300k
    python benchmarks/bench_ann.py --sizes 1M,3M --configs faiss-hnsw:M=32,efc=80
    python benchmarks/bench_ann.py --check
"""

import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402
import corpora  # noqa: E402

import numpy as np  # noqa: E402

K = 10
SIZES = {"100k": 100_000, "300k": 300_000, "1M": 1_000_000, "3M": 3_000_000}
DEFAULT_CONFIGS = ["faiss-hnsw:M=16,efc=40", "faiss-hnsw:M=32,efc=80", "faiss-ivf",
                   "hnswlib:M=16,efc=100", "usearch:M=16,efc=128", "pynndescent:nn=30"]
DEFAULT_SEARCH = {"faiss-hnsw": "ef=16,32,64,128,256,512", "hnswlib": "ef=16,32,64,128,256,512",
                  "usearch": "ef=16,32,64,128,256,512", "faiss-ivf": "nprobe=8,16,32,64,128,256",
                  "pynndescent": "eps=0.0,0.1,0.2,0.3,0.4"}


# ============================================================================ data
def synthetic(n, dim=300, n_clusters=1000, seed=0, block=100_000):
    """Clustered unit vectors (float32); see the module docstring."""
    rng = np.random.default_rng(seed)
    axes = np.arange(dim)
    centre_std = np.exp(-axes / 56.0).astype(np.float32)          # variance ~ exp(-i/28)
    noise_std = np.sqrt((0.3 * np.exp(-axes / 200.0)) ** 2 + 0.15 ** 2).astype(np.float32)
    rotation = np.linalg.qr(rng.standard_normal((dim, dim)))[0].astype(np.float32)
    offset = np.zeros(dim, np.float32)
    offset[0] = 5.0
    centres = rng.standard_normal((n_clusters, dim)).astype(np.float32) * centre_std + offset
    p = 1.0 / np.arange(1, n_clusters + 1)
    out = np.empty((n, dim), np.float32)
    for start in range(0, n, block):
        m = min(block, n - start)
        amp = np.exp(rng.uniform(np.log(0.5), np.log(2.0), (m, 1))).astype(np.float32)
        x = centres[rng.choice(n_clusters, m, p=p / p.sum())]
        x += amp * noise_std * rng.standard_normal((m, dim), dtype=np.float32)
        x = x @ rotation
        out[start:start + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def real_vectors():
    from skw2v import CBOWVectorizer

    docs = []
    for corpus in ("english", "gcide"):
        docs += corpora.load_token_lists(corpora.token_file(corpus))
    est = CBOWVectorizer(vector_size=300, min_count=2, epochs=5, n_jobs=2, random_state=0)
    vectors = est.fit(docs).wv_.vectors  # rows by decreasing frequency
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def exact_top(X, Q, k=K, exclude=None, block=200_000):
    """Exact k nearest rows of X for each unit query of Q (inner product), best first."""
    best_s = np.full((len(Q), k + 1), -np.inf, np.float32)
    best_i = np.zeros((len(Q), k + 1), np.int64)
    for start in range(0, len(X), block):
        s = Q @ X[start:start + block].T
        if exclude is not None:
            rows = np.nonzero((exclude >= start) & (exclude < start + len(s.T)))[0]
            s[rows, exclude[rows] - start] = -np.inf
        part = np.argpartition(-s, k, axis=1)[:, :k + 1]
        cand_s = np.concatenate([best_s, np.take_along_axis(s, part, 1)], 1)
        cand_i = np.concatenate([best_i, part + start], 1)
        keep = np.argsort(-cand_s, axis=1, kind="stable")[:, :k + 1]
        best_s, best_i = (np.take_along_axis(cand_s, keep, 1), np.take_along_axis(cand_i, keep, 1))
    return best_i[:, :k]


def dataset(name, n_queries):
    """(vectors path, queries, exact neighbours, query groups), built once into data/."""
    path = os.path.join(corpora.DATA_DIR, f"ann_{name}.npy")
    truth_path = os.path.join(corpora.DATA_DIR, f"ann_{name}_truth_{n_queries}.npz")
    if not os.path.isfile(path):
        os.makedirs(corpora.DATA_DIR, exist_ok=True)
        X = real_vectors() if name == "real" else synthetic(SIZES[name])
        np.save(path + ".tmp.npy", X.astype(np.float32))
        os.replace(path + ".tmp.npy", path)
    if not os.path.isfile(truth_path):
        X = np.load(path)
        rng = np.random.default_rng(1)
        groups = {"all": rng.choice(len(X), n_queries, replace=False)}
        if name == "real":  # the frequent words users ask about
            groups["freq"] = rng.choice(10_000, n_queries // 2, replace=False)
        queries = np.concatenate(list(groups.values()))
        truth = exact_top(X, X[queries], exclude=queries)
        top = np.sort(X[queries] @ X[rng.choice(len(X), 20_000, replace=False)].T, axis=1)
        np.savez(truth_path, queries=queries, truth=truth, mean_cos=float(top.mean()),
                 top10_cos=float(np.mean([X[q] @ X[t[-1]] for q, t in zip(queries, truth)])),
                 **{f"group_{g}": np.isin(queries, v) for g, v in groups.items()})
    t = np.load(truth_path)
    groups = {k[6:]: t[k] for k in t.files if k.startswith("group_")}
    return path, t["queries"], t["truth"], groups, float(t["mean_cos"]), float(t["top10_cos"])


# ======================================================================= libraries
# Each: build(X, params, threads, seed) -> index; set(index, name, value);
# search(index, Q, k) -> int ids (n, k); save(index, path) (no pickle unless said).
def _faiss_hnsw(X, p, threads, seed):
    import faiss

    faiss.omp_set_num_threads(threads)
    index = faiss.IndexHNSWFlat(X.shape[1], int(p.get("M", 32)), faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = int(p.get("efc", 80))
    index.add(X)
    return index


def _faiss_ivf(X, p, threads, seed):
    import faiss

    faiss.omp_set_num_threads(threads)
    nlist = int(p.get("nlist", 4 * np.sqrt(len(X))))
    quantizer = faiss.IndexFlatIP(X.shape[1])
    index = faiss.IndexIVFFlat(quantizer, X.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed, index.cp.niter, index.cp.spherical = seed, int(p.get("niter", 10)), True
    rng = np.random.default_rng(seed)
    n_train = min(len(X), int(p.get("train", 40)) * nlist)
    index.train(X[np.sort(rng.choice(len(X), n_train, replace=False))])
    index.add(X)
    return index


def _faiss_set(index, name, value):
    import faiss

    if name == "ef":
        index.hnsw.efSearch = int(value)
    else:
        faiss.extract_index_ivf(index).nprobe = int(value)


def _faiss_save(index, path):
    import faiss

    faiss.write_index(index, path)


def _hnswlib_build(X, p, threads, seed):
    import hnswlib

    index = hnswlib.Index(space="ip", dim=X.shape[1])
    index.init_index(max_elements=len(X), ef_construction=int(p.get("efc", 100)),
                     M=int(p.get("M", 16)), random_seed=seed)
    index.set_num_threads(threads)
    index.add_items(X)
    return index


def _usearch_build(X, p, threads, seed):
    from usearch.index import Index

    index = Index(ndim=X.shape[1], metric="ip", dtype=p.get("dtype", "f32"),
                  connectivity=int(p.get("M", 16)), expansion_add=int(p.get("efc", 128)))
    index.add(np.arange(len(X)), X, threads=threads)
    return index


def _usearch_search(index, Q, k):
    keys = index.search(Q, k, threads=1 if len(Q) == 1 else 2).keys
    return keys.reshape(len(Q), -1).astype(np.int64)


def _pynndescent_build(X, p, threads, seed):
    import numba
    from pynndescent import NNDescent

    numba.set_num_threads(threads)
    index = NNDescent(X, metric="dot", n_neighbors=int(p.get("nn", 30)), random_state=seed,
                      n_jobs=threads, low_memory=True)
    index.prepare()
    return index


def _pickle_save(index, path):  # pynndescent has no other way
    import pickle

    with open(path, "wb") as f:
        pickle.dump(index, f, protocol=pickle.HIGHEST_PROTOCOL)


LIBRARIES = {
    "faiss-hnsw": (_faiss_hnsw, _faiss_set, lambda i, Q, k: i.search(Q, k)[1], _faiss_save),
    "faiss-ivf": (_faiss_ivf, _faiss_set, lambda i, Q, k: i.search(Q, k)[1], _faiss_save),
    "hnswlib": (_hnswlib_build, lambda i, n, v: i.set_ef(int(v)),
                lambda i, Q, k: i.knn_query(Q, k)[0].astype(np.int64),
                lambda i, path: i.save_index(path)),
    "usearch": (_usearch_build, lambda i, n, v: setattr(i, "expansion_search", int(v)),
                _usearch_search, lambda i, path: i.save(path)),
    "pynndescent": (_pynndescent_build, lambda i, n, v: setattr(i, "bench_eps", float(v)),
                    lambda i, Q, k: i.query(Q, k, epsilon=i.bench_eps)[0], _pickle_save),
}


def parse_config(text):
    """'lib:a=1,b=2' -> ('lib', {'a': '1', 'b': '2'})."""
    lib, _, rest = text.partition(":")
    return lib, dict(kv.split("=", 1) for kv in rest.split(",") if kv)


def recall(found, truth, queries):
    hits = [len(set(f[f != q][:K].tolist()) & set(t.tolist())) for f, t, q in
            zip(found, truth, queries)]
    return np.array(hits) / K


# ========================================================================== child
def child(args):
    spec = json.loads(args.child)
    path, queries, truth, groups, _, _ = dataset(spec["data"], args.n_queries)
    X = np.load(path)
    Q = X[queries]
    single = queries[:args.n_single]
    out = {}
    if spec["config"] == "exact":
        times = []
        for q in single[:60]:  # the first 10 warm up
            t0 = time.perf_counter()
            sims = X @ X[q]
            top = np.argpartition(-sims, K)[:K + 1]
            top[np.argsort(-sims[top])]
            times.append(time.perf_counter() - t0)
        out["single_ms"] = float(np.mean(times[10:])) * 1e3
        block = max(1, 2**27 // len(X))  # ~512 MB of scores per block
        t0 = time.perf_counter()
        for start in range(0, len(Q), block):
            s = Q[start:start + block] @ X.T
            top = np.argpartition(-s, K, axis=1)[:, :K + 1]
            np.take_along_axis(top, np.argsort(-np.take_along_axis(s, top, 1), 1), 1)
        out["batch_qps"] = len(Q) / (time.perf_counter() - t0)
        C.emit(out)
        return
    lib, params = parse_config(spec["config"])
    build, set_param, search, save = LIBRARIES[lib]
    if lib == "pynndescent":  # numba compiles on first use: time it apart from the build
        t0 = time.perf_counter()
        build(X[:2000].copy(), params, args.threads, 0)
        out["compile_s"] = time.perf_counter() - t0
    rss0 = C.current_rss_mib()
    t0 = time.perf_counter()
    index = build(X, params, args.threads, 0)
    out["build_s"] = time.perf_counter() - t0
    out["build_peak_mib"] = C.peak_rss_mib() - rss0
    out["rss_after_mib"] = C.current_rss_mib() - rss0
    with tempfile.TemporaryDirectory() as tmp:
        save(index, os.path.join(tmp, "index"))
        out["file_mib"] = os.path.getsize(os.path.join(tmp, "index")) / 2**20
    name, values = spec["search"].split("=")
    out["sweep"] = []
    for value in values.split(","):
        set_param(index, name, value)
        t0 = time.perf_counter()
        found = search(index, Q, K + 1)
        batch_qps = len(Q) / (time.perf_counter() - t0)
        hits = recall(found, truth, queries)
        search(index, Q[:1], K + 1)  # warm-up
        t0 = time.perf_counter()
        for q in single:
            search(index, X[q:q + 1], K + 1)
        single_ms = (time.perf_counter() - t0) / len(single) * 1e3
        row = {"search": f"{name}={value}", "batch_qps": batch_qps, "single_ms": single_ms}
        row.update({f"recall_{g}": float(hits[m].mean()) for g, m in groups.items()})
        out["sweep"].append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
        if row["recall_all"] >= 0.995:
            break
    C.emit(out)


# ========================================================================== check
def _index_bytes(lib, index):
    """The index as bytes where the library gives them without pickle (pynndescent: its graph)."""
    if lib.startswith("faiss"):
        import faiss

        return faiss.serialize_index(index)
    if lib == "usearch":
        return np.frombuffer(index.save(), np.uint8)
    if lib == "pynndescent":
        return np.concatenate([a.ravel().view(np.uint8) for a in index.neighbor_graph])
    return np.zeros(0, np.uint8)  # hnswlib: files only


def check(args):
    """Determinism of builds and pickle-free round trips, on 20k synthetic rows."""
    X = synthetic(20_000, seed=3)
    Q = X[:500]
    rows = []
    for text in args.configs:
        lib, params = parse_config(text)
        build, set_param, search, save = LIBRARIES[lib]
        name, values = DEFAULT_SEARCH[lib].split("=")
        same = {}
        for threads in (2, 1):
            a, b = build(X, params, threads, 0), build(X, params, threads, 0)
            for index in (a, b):
                set_param(index, name, values.split(",")[2])
            same[threads] = bool(np.array_equal(search(a, Q, K), search(b, Q, K))
                                 and np.array_equal(_index_bytes(lib, a), _index_bytes(lib, b)))
        round_trip = "—"
        if lib.startswith("faiss"):
            import faiss

            data = faiss.serialize_index(a)  # numpy uint8 array
            c = faiss.deserialize_index(data)
            set_param(c, name, values.split(",")[2])
            round_trip = f"serialize_index -> uint8[{data.size:,}]: " + (
                "same results" if np.array_equal(search(a, Q, K), search(c, Q, K)) else "DIFFERENT")
        elif lib == "usearch":
            from usearch.index import Index

            data = a.save()  # bytes
            c = Index.restore(data)
            round_trip = f"save() -> bytes[{len(data):,}]: " + (
                "same results" if np.array_equal(search(a, Q, K), search(c, Q, K)) else "DIFFERENT")
        elif lib == "hnswlib":
            import hnswlib

            with tempfile.TemporaryDirectory() as tmp:
                a.save_index(os.path.join(tmp, "i"))
                c = hnswlib.Index(space="ip", dim=X.shape[1])
                c.load_index(os.path.join(tmp, "i"))
                c.set_ef(a.ef)
                round_trip = "save_index/load_index (file path only): " + (
                    "same results" if np.array_equal(search(a, Q, K), search(c, Q, K))
                    else "DIFFERENT")
        else:
            round_trip = "pickle only"
        rows.append([text, "yes" if same[2] else "no", "yes" if same[1] else "no", round_trip])
    lines = C.header("ANN libraries: determinism and serialization (20k x 300 synthetic)")
    lines += ["Same = same neighbours of 500 queries and the same index bytes (faiss, usearch) "
              "or k-NN graph (pynndescent) for two builds with seed 0.", ""]
    lines += C.table(["config", "same, 2 threads", "same, 1 thread",
                      "pickle-free round trip"], rows)
    print("\n".join(lines))


# ========================================================================= parent
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="real,300k",
                   help="comma list of: real, " + ", ".join(SIZES))
    p.add_argument("--configs", nargs="+", default=DEFAULT_CONFIGS,
                   help="library[:param=value,...]; libraries: " + ", ".join(LIBRARIES))
    p.add_argument("--search", nargs="*", default=[],
                   help="library:name=v1,v2 overriding the swept search setting")
    p.add_argument("--n-queries", type=int, default=1000)
    p.add_argument("--n-single", type=int, default=200)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--timeout", type=int, default=1200)
    p.add_argument("--target", type=float, default=0.9)
    p.add_argument("--check", action="store_true")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return child(args)
    C.git_commit()
    if args.check:
        return check(args)
    search = dict(DEFAULT_SEARCH, **dict(s.split(":", 1) for s in args.search))
    out = C.header("Approximate nearest neighbours: build, recall@10, query time")
    out += [f"Self-queries, k={K}, {args.threads} threads. Exact = matrix-vector product over "
            "the unit vectors + argpartition (single) or blocked matrix product (batch). "
            f"`search` lists the first swept setting with recall(all) >= {args.target} "
            "(else the best one); the full sweep follows each table.", ""]
    print("\n".join(out), flush=True)
    for name in args.sizes.split(","):
        t0 = time.perf_counter()
        path, queries, truth, groups, mean_cos, top10_cos = dataset(name, args.n_queries)
        n = np.load(path, mmap_mode="r").shape[0]
        prep = time.perf_counter() - t0
        common = ["--n-queries", str(args.n_queries), "--n-single", str(args.n_single),
                  "--threads", str(args.threads)]
        me = os.path.abspath(__file__)

        def run(spec):
            return C.run_child([me, "--child", json.dumps(spec)] + common, args.timeout)

        exact = run({"data": name, "config": "exact"})
        lines = [f"#### {name}: {n:,} x 300 (mean cosine {mean_cos:.2f}, mean 10th-neighbour "
                 f"cosine {top10_cos:.2f}; data + exact truth ready in {prep:.0f} s)", "",
                 f"exact: single query {C.fmt(exact.get('single_ms'), '.1f')} ms, batch "
                 f"{C.fmt(exact.get('batch_qps'), ',.0f')} queries/s", ""]
        rcols = [f"recall {g}" for g in groups]
        cols = ["config", "search", "build s", "file MiB", "build peak +MiB"] + rcols + [
            "single ms (x exact)", "batch q/s (x exact)"]
        rows, sweeps = [], []
        for config in args.configs:
            res = run({"data": name, "config": config, "search": search[parse_config(config)[0]]})
            if "error" in res:
                msg = res["error"]
                if msg.startswith("timeout"):
                    msg = f"> {args.timeout // 60} min (stopped)"
                elif msg.startswith("exit -"):
                    msg = f"killed by signal {msg[6:].split(':')[0]}"
                rows.append([config, msg] + [""] * (len(cols) - 2))
                print(f"{config}: {msg}", file=sys.stderr, flush=True)
                continue
            ok = [r for r in res["sweep"] if r["recall_all"] >= args.target]
            best = ok[0] if ok else max(res["sweep"], key=lambda r: r["recall_all"])
            build = C.fmt(res["build_s"], ".1f") + (
                f" (+{res['compile_s']:.0f} s compile)" if "compile_s" in res else "")
            for r in res["sweep"]:
                sweeps.append([config, r["search"]] + [C.fmt(r[f"recall_{g}"], ".3f")
                                                       for g in groups]
                              + [C.fmt(r["single_ms"], ".3f"), C.fmt(r["batch_qps"], ",.0f")])
            rows.append([config, best["search"], build, C.fmt(res["file_mib"], ",.0f"),
                         C.fmt(res["build_peak_mib"], ",.0f")]
                        + [C.fmt(best[f"recall_{g}"], ".3f") for g in groups]
                        + [f"{best['single_ms']:.3f} ({exact['single_ms'] / best['single_ms']:.0f}x)",
                           f"{best['batch_qps']:,.0f} ({best['batch_qps'] / exact['batch_qps']:.1f}x)"])
            print(f"{config}: {json.dumps(res)}", file=sys.stderr, flush=True)
        lines += C.table(cols, rows) + ["", "<details><summary>sweep</summary>", ""]
        lines += C.table(["config", "search"] + rcols + ["single ms", "batch q/s"], sweeps)
        lines += ["", "</details>", ""]
        print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
