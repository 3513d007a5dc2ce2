"""Solver quality on real English: hogwild (CPU threads) vs minibatch (numpy or CuPy).

The minibatch solver must reach the hogwild solver's quality with
optimizer="sgd" (analogy accuracy within 1 point, WS353 within 0.02). Both
train on the benchmark English corpus with the same settings and seeds in
one process; the table gives words/s and quality for each.

    python benchmarks/bench_solvers.py [--device cpu|gpu] [--seeds 0 1 2] [--epochs 5]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402  (also puts the repo root on sys.path)
import corpora  # noqa: E402
from bench_cpu import _quality  # noqa: E402

SETTINGS = dict(vector_size=100, window=5, negative=5, sample=1e-3, min_count=5)


def run(docs, solver, device, seed, epochs, threads, batch_size):
    from skw2v import CBOWVectorizer

    extra = {} if solver == "hogwild" else {"batch_size": batch_size, "optimizer": "sgd"}
    vec = CBOWVectorizer(**SETTINGS, epochs=epochs, solver=solver, device=device,
                         n_jobs=threads, random_state=seed, **extra)
    start = time.perf_counter()
    vec.fit(docs)
    seconds = time.perf_counter() - start
    n_tokens = sum(len(d) for d in docs)
    return {"words_per_s": n_tokens * epochs / seconds, **_quality(vec.wv_)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="device of the minibatch solver")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", default="auto")
    args = parser.parse_args(argv)
    batch = args.batch_size if args.batch_size == "auto" else int(args.batch_size)
    docs = corpora.english_corpus()
    rows = {"hogwild": [], "minibatch": []}
    for seed in args.seeds:  # alternate the solvers, seed by seed
        rows["hogwild"].append(run(docs, "hogwild", "cpu", seed, args.epochs, args.threads, batch))
        rows["minibatch"].append(run(docs, "minibatch", args.device, seed, args.epochs,
                                     args.threads, batch))
        print(f"[bench_solvers] seed {seed}: " + "; ".join(
            f"{k} {v[-1]['words_per_s']:,.0f} w/s analogy {v[-1]['analogy']:.4f} "
            f"ws353 {v[-1]['ws353']:.4f}" for k, v in rows.items()), file=sys.stderr)
    lines = C.header("Solvers on real English: hogwild vs minibatch (optimizer='sgd')")
    lines += [f"english corpus ({sum(len(d) for d in docs):,} tokens); d=100, window 5, "
              f"negative 5, sample 1e-3, min_count 5, epochs {args.epochs}; hogwild "
              f"{args.threads} threads, minibatch on {args.device} batch_size {args.batch_size};"
              f" medians over seeds {args.seeds}", ""]
    med = {k: {m: C.median([r[m] for r in v]) for m in ("words_per_s", "analogy", "ws353",
                                                          "simlex")} for k, v in rows.items()}
    lines += C.table(["solver", "device", "words/s", "analogy acc", "WS353 ρ", "SimLex ρ"], [
        [k, "cpu" if k == "hogwild" else args.device, C.fmt(m["words_per_s"]),
         C.fmt(m["analogy"], ".4f"), C.fmt(m["ws353"], ".4f"), C.fmt(m["simlex"], ".4f")]
        for k, m in med.items()])
    gap = {m: med["minibatch"][m] - med["hogwild"][m] for m in ("analogy", "ws353", "simlex")}
    lines += ["", "minibatch − hogwild: " + ", ".join(f"{k} {v:+.4f}" for k, v in gap.items())]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
