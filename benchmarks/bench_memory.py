"""Peak RSS of fitting from a file at 1x and 10x its size: does memory stay flat?

A corpus file (corpora.py: english by default, ``--corpus gcide`` for short
documents) and a copy with its content repeated 10 times are fitted from disk, each in a fresh child process, by skw2v
(``fit(LineCorpus(path))``, token_pattern ``\\S+``, lowercase=False) and gensim
(``Word2Vec(sentences=LineSentence(path))``). Printed: peak RSS, its increase
over the child's RSS after imports + warm-up, and the size of skw2v's encoded
int32 ids (kept in RAM by the engine), which grows with the corpus.

    python benchmarks/bench_memory.py --epochs 1
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402
import corpora  # noqa: E402


def scaled_file(corpus, factor):
    src = corpora.token_file(corpus)
    if factor == 1:
        return src
    path = os.path.join(corpora.DATA_DIR, f"{corpus}_x{factor}.txt")
    if not os.path.isfile(path):
        with open(src, "rb") as f:
            content = f.read()
        with open(path + ".tmp", "wb") as f:
            for _ in range(factor):
                f.write(content)
        os.replace(path + ".tmp", path)
    return path


def child_main(spec):
    small = [["w%d" % ((i * 7 + j) % 50) for j in range(100)] for i in range(50)]
    params = dict(vector_size=spec["vector_size"], window=5, negative=5, sample=1e-3,
                  min_count=spec["min_count"], epochs=spec["epochs"])
    if spec["system"] == "gensim":
        from gensim.models import Word2Vec
        from gensim.models.word2vec import LineSentence

        Word2Vec(small, sg=0, hs=0, workers=spec["threads"], **dict(params, min_count=1, epochs=1))
        base = C.current_rss_mib()
        t0 = time.perf_counter()
        model = Word2Vec(sentences=LineSentence(spec["path"]), sg=0, cbow_mean=1, hs=0,
                         workers=spec["threads"], seed=0, **params)
        out = {"seconds": time.perf_counter() - t0, "tokens": model.corpus_total_words,
               "vocab": len(model.wv), "ids_mib": None}
    else:
        from skw2v import CBOWVectorizer, LineCorpus

        CBOWVectorizer(n_jobs=spec["threads"], **dict(params, min_count=1, epochs=1)).fit(small)
        base = C.current_rss_mib()
        est = CBOWVectorizer(n_jobs=spec["threads"], random_state=0, token_pattern=r"\S+",
                             lowercase=False, **params)
        t0 = time.perf_counter()
        est.fit(LineCorpus(spec["path"]))
        tokens = est.corpus_total_words_
        # size of the corpus as int32 ids (tokens x 4), whether held in RAM or spilled to disk
        out = {"seconds": time.perf_counter() - t0, "tokens": tokens, "vocab": len(est.wv_),
               "ids_mib": tokens * 4 / 2**20}
    out.update(rss_base_mib=base, rss_peak_mib=C.peak_rss_mib())
    out["rss_delta_mib"] = out["rss_peak_mib"] - base
    C.emit(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", choices=["english", "gcide"], default="english")
    p.add_argument("--factors", default="1,10")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--vector-size", type=int, default=100)
    p.add_argument("--timeout", type=int, default=3600)
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    C.git_commit()  # the commit at the start of the run (others may commit meanwhile)
    if args.child:
        return child_main(json.loads(args.child))

    rows = []
    # min_count 5 at every size, and 5 x factor: the same vocabulary at every size, so
    # that what grows with the corpus is told apart from what grows with the vocabulary.
    runs = [(int(f), mc) for f in args.factors.split(",") for mc in sorted({5, 5 * int(f)})]
    for factor, min_count in runs:
        path = scaled_file(args.corpus, factor)
        for system in ("gensim", "skw2v"):
            spec = dict(system=system, path=path, epochs=args.epochs, threads=args.threads,
                        vector_size=args.vector_size, min_count=min_count)
            r = C.run_child([os.path.abspath(__file__), "--child", json.dumps(spec)], args.timeout)
            if "error" in r:
                rows.append([f"{factor}x", min_count, system, "—", "—", "—", "—", "—", "—",
                             r["error"]])
                continue
            print(f"[bench_memory] {factor}x {system}: peak {r['rss_peak_mib']:.0f} MiB",
                  file=sys.stderr, flush=True)
            rows.append([f"{factor}x", min_count, system, f"{r['tokens']:,}", f"{r['vocab']:,}",
                         f"{os.path.getsize(path) / 2**20:.0f}", f"{r['seconds']:.1f}",
                         f"{r['rss_peak_mib']:.0f}", f"+{r['rss_delta_mib']:.0f}",
                         C.fmt(r["ids_mib"], ".1f")])
    lines = C.header("Memory: peak RSS fitting from a file at 1x and 10x size")
    lines += [f"{args.corpus} corpus file repeated; d={args.vector_size}, window 5, negative 5, "
              f"sample 1e-3, epochs {args.epochs}, {args.threads} threads; "
              "each run in its own process; Δ = peak minus RSS after imports + warm-up:", ""]
    lines += C.table(["size", "min_count", "system", "tokens", "vocab", "file MiB", "fit s", "peak RSS MiB",
                      "Δ RSS MiB", "corpus as int32 ids MiB (tokens x 4; skw2v may spill them to disk)"], rows)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
