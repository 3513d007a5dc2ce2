"""Pretrained vectors: load time and memory of EmbeddingVectorizer vs gensim's loader.

A word2vec file of ``--words`` x ``--dim`` random vectors (binary or text) is made once
in benchmarks/data. Each case runs in a fresh process and reports its time and the
increase of its resident memory over the post-import RSS (peak and at the end):

- ``gensim load``: ``gensim.models.KeyedVectors.load_word2vec_format`` (what a
  FunctionTransformer over gensim, or zeugma's EmbeddingTransformer, does per process);
- ``skw2v first load``: ``EmbeddingVectorizer.fit`` with an empty cache folder (reads the
  file and converts it to a memory-mapped ``.npy``);
- ``skw2v later load``: the same in a new process with the conversion present;
- ``skw2v K clones``: a later load, then ``K`` clones fitted and transforming (as a grid
  search makes them): the memory must stay that of one copy.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time

import numpy as np

import _common as C

DATA = os.path.join(C.HERE, "data")
N_DOCS, DOC_WORDS = 2000, 20


def vectors_file(n_words, dim, binary):
    path = os.path.join(DATA, f"pretrained-{n_words}x{dim}.{'bin' if binary else 'txt'}")
    if not os.path.exists(path):
        from skw2v import KeyedVectors

        os.makedirs(DATA, exist_ok=True)
        rng = np.random.default_rng(0)
        vectors = rng.standard_normal((n_words, dim), dtype=np.float32)
        KeyedVectors([f"w{i}" for i in range(n_words)], vectors).save_word2vec_format(
            path + ".tmp", binary=binary)
        os.replace(path + ".tmp", path)
    return path


def documents(n_words):
    rng = np.random.default_rng(1)
    # Zipf-like: documents mostly use the frequent (first) words, as real text does
    ranks = np.minimum(rng.zipf(1.3, (N_DOCS, DOC_WORDS)), n_words) - 1
    return [" ".join(f"w{r}" for r in row) for row in ranks]


def rss_kinds_mib():
    """``(anonymous, file-backed)`` resident MiB: copies vs pages mapped from files (shared)."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("RssAnon:", "RssFile:")):
                out[line.split(":")[0]] = int(line.split()[1]) / 1024
    return out["RssAnon"], out["RssFile"]


class AnonPeak:
    """The peak anonymous RSS while running (sampled every 5 ms: the kernel keeps no
    high-water mark of it, and the total's, VmHWM, counts mapped file pages too)."""

    def __enter__(self):
        self.peak, self.running = rss_kinds_mib()[0], True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while self.running:
            self.peak = max(self.peak, rss_kinds_mib()[0])
            time.sleep(0.005)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.peak = max(self.peak, rss_kinds_mib()[0])


def child(spec):
    docs = documents(spec["n_words"])
    if spec["case"] == "gensim":
        from gensim.models import KeyedVectors as GensimKV

        base, kinds = C.current_rss_mib(), rss_kinds_mib()
        t0 = time.perf_counter()
        with AnonPeak() as anon:
            kv = GensimKV.load_word2vec_format(spec["path"], binary=spec["binary"])
        seconds = time.perf_counter() - t0
        assert len(kv) == spec["n_words"]
    else:
        from sklearn.base import clone

        from skw2v import EmbeddingVectorizer

        EmbeddingVectorizer(spec["warmup"], cache_dir=spec["cache"]).fit(docs[:10])  # compile
        base, kinds = C.current_rss_mib(), rss_kinds_mib()
        t0 = time.perf_counter()
        with AnonPeak() as anon:
            est = EmbeddingVectorizer(spec["path"], cache_dir=spec["cache"]).fit(docs)
            seconds = time.perf_counter() - t0
            clones = [clone(est).fit(docs) for _ in range(spec["clones"])]
            for c in clones:
                c.transform(docs)
        assert all(c.wv_ is est.wv_ for c in clones)
    anon_end, mapped = (end - start for end, start in zip(rss_kinds_mib(), kinds))
    C.emit({"seconds": seconds, "base": base, "peak": C.peak_rss_mib(),
            "end": C.current_rss_mib(), "anon": anon_end, "anon_peak": anon.peak - kinds[0],
            "mapped": mapped})


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--words", type=int, default=500_000)
    p.add_argument("--dim", type=int, default=300)
    p.add_argument("--text", action="store_true", help="the text format (default binary)")
    p.add_argument("--clones", type=int, default=10)
    p.add_argument("--timeout", type=int, default=3600)
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return child(json.loads(args.child))
    C.git_commit()
    binary = not args.text
    path = vectors_file(args.words, args.dim, binary)
    warmup = vectors_file(10, args.dim, binary)
    cache = tempfile.mkdtemp(prefix="bench-pretrained-")
    cases = [("gensim load", "gensim", 0), ("skw2v first load", "skw2v", 0),
             ("skw2v later load", "skw2v", 0), (f"skw2v later load + {args.clones} clones",
                                                "skw2v", args.clones)]
    rows = []
    try:
        for label, case, clones in cases:
            spec = dict(case=case, path=path, binary=binary, n_words=args.words, clones=clones,
                        cache=cache, warmup=warmup)
            r = C.run_child([os.path.abspath(__file__), "--child", json.dumps(spec)],
                            args.timeout)
            if "error" in r:
                rows.append([label, "—", "—", "—", "—", "—", "—", r["error"]])
                continue
            print(f"[bench_pretrained] {label}: {r['seconds']:.1f} s, peak +"
                  f"{r['peak'] - r['base']:.0f} MiB", file=sys.stderr, flush=True)
            rows.append([label, f"{r['seconds']:.2f}", f"+{r['peak'] - r['base']:.0f}",
                         f"+{r['end'] - r['base']:.0f}", f"+{r['anon_peak']:.0f}",
                         f"+{r['anon']:.0f}",
                         f"+{r['mapped']:.0f}", ""])
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    size = os.path.getsize(path) / 2**20
    lines = C.header("Pretrained vectors: load time and memory")
    lines += [f"{args.words:,} x {args.dim} random vectors, word2vec "
              f"{'binary' if binary else 'text'} file of {size:,.0f} MiB "
              f"({args.words * args.dim * 4 / 2**20:,.0f} MiB of float32); "
              f"{N_DOCS} documents of {DOC_WORDS} words fitted; each case in its own process; "
              "RSS increase over the post-import RSS, and at the end how much of it is the "
              "process' own memory (anonymous: copies) and how much pages mapped from a file "
              "(the page cache's, shared by every process mapping it):", ""]
    lines += C.table(["case", "seconds", "peak Δ RSS MiB", "end Δ RSS MiB",
                      "peak Δ anonymous MiB", "end Δ anonymous MiB", "end Δ file-mapped MiB",
                      "note"], rows)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
