"""Peak RSS of fitting from a file at 1x and 10x its size: does memory stay flat?

A corpus file (corpora.py: english by default, ``--corpus gcide`` for short
documents) and a copy with its content repeated 10 times are fitted from disk, each in a fresh child process, by skw2v
(``fit(LineCorpus(path))``, token_pattern ``\\S+``, lowercase=False) and gensim
(``Word2Vec(sentences=LineSentence(path))``). Printed: peak RSS, its increase
over the child's RSS after imports + warm-up, and the size of skw2v's encoded
int32 ids (held in RAM, or spilled to disk past 1 MiB), which grows with the corpus.
``--phases`` adds a table of skw2v's fit at 1x by phase: RSS sampled every
2 ms while reading, building the vocabulary, encoding, allocating the
weights, training and estimating the SIF component (the peak during each
and the RSS when it ends, over the same post-import baseline).

    python benchmarks/bench_memory.py --epochs 1 [--phases]
"""

import argparse
import json
import os
import sys
import threading
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


# skw2v._vectorizer's steps of a fit, in order, and their names in the phase table
PHASES = [("read_corpus", "read the file (tokens -> provisional ids, lexicon)"),
          ("Vocabulary.from_counts", "vocabulary"),
          ("encode", "encode (vocabulary ids, document offsets)"),
          ("init_input_vectors", "weights (syn0, then syn1neg)"),
          ("run_epochs", "train"),
          ("sif_common_component", "SIF component")]


def fit_params(spec):
    return dict(vector_size=spec["vector_size"], window=5, negative=5, sample=1e-3,
                min_count=spec["min_count"], epochs=spec["epochs"])


def skw2v_fitted(spec, params, small, before_fit=lambda: None):
    """Warm up, call ``before_fit``, fit skw2v on the file; ``(estimator, post-warm-up RSS,
    fit seconds)``."""
    from skw2v import CBOWVectorizer, LineCorpus

    CBOWVectorizer(n_jobs=spec["threads"], **dict(params, min_count=1, epochs=1)).fit(small)
    base = C.current_rss_mib()
    before_fit()
    est = CBOWVectorizer(n_jobs=spec["threads"], random_state=0, token_pattern=r"\S+",
                         lowercase=False, **params)
    t0 = time.perf_counter()
    est.fit(LineCorpus(spec["path"]))
    return est, base, time.perf_counter() - t0


def phases_child(spec, params, small):
    """skw2v's fit with its RSS sampled by phase (each step of PHASES wrapped to name it)."""
    import skw2v._vectorizer as V

    current, peaks, ends = ["before reading"], {}, {}

    def sample():
        while current[0] is not None:
            peaks[current[0]] = max(peaks.get(current[0], 0.0), C.current_rss_mib())
            time.sleep(0.002)

    def named(function, label):
        def step(*args, **kwargs):
            current[0] = label
            try:
                return function(*args, **kwargs)
            finally:
                ends[label] = C.current_rss_mib()
        return step

    sampler = threading.Thread(target=sample, daemon=True)

    def instrument():  # after the warm-up fit, so that only the measured fit is sampled
        for name, label in PHASES:
            owner, attr = (V.Vocabulary, "from_counts") if "." in name else (V, name)
            setattr(owner, attr, named(getattr(owner, attr), label))
        sampler.start()

    _, base, seconds = skw2v_fitted(spec, params, small, instrument)
    current[0] = None
    sampler.join()
    rows = [[label, f"+{max(peaks.get(label, 0.0), ends[label]) - base:.0f}",
             f"+{ends[label] - base:.0f}"] for _, label in PHASES if label in ends]
    C.emit({"rows": rows, "seconds": seconds, "rss_base_mib": base,
            "rss_peak_mib": C.peak_rss_mib()})


def child_main(spec):
    small = [["w%d" % ((i * 7 + j) % 50) for j in range(100)] for i in range(50)]
    params = fit_params(spec)
    if spec.get("phases"):
        return phases_child(spec, params, small)
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
        est, base, seconds = skw2v_fitted(spec, params, small)
        tokens = est.corpus_total_words_
        # size of the corpus as int32 ids (tokens x 4), whether held in RAM or spilled to disk
        out = {"seconds": seconds, "tokens": tokens, "vocab": len(est.wv_),
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
    p.add_argument("--phases", action="store_true",
                   help="also: skw2v's fit at 1x by phase (RSS sampled every 2 ms)")
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
    if args.phases:
        lines += phase_table(args)
    print("\n".join(lines))


def phase_table(args):
    """skw2v's fit of the 1x file by phase, in a child of its own."""
    spec = dict(system="skw2v", phases=True, path=scaled_file(args.corpus, 1), epochs=args.epochs,
                threads=args.threads, vector_size=args.vector_size, min_count=5)
    r = C.run_child([os.path.abspath(__file__), "--child", json.dumps(spec)], args.timeout)
    if "error" in r:
        return ["", f"Phases: {r['error']}"]
    lines = ["", f"skw2v's fit of the 1x file by phase (min_count 5; RSS sampled every 2 ms, over "
             f"the post-import RSS; fit {r['seconds']:.1f} s, peak +{r['rss_peak_mib'] - r['rss_base_mib']:.0f}"
             " MiB; 'peak during' runs from a step's start to the next step's, 'at its end' is taken"
             " when the step's function returns):", ""]
    return lines + C.table(["phase", "peak during Δ MiB", "at its end Δ MiB"], r["rows"])


if __name__ == "__main__":
    main()
