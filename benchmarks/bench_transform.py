"""Transform speed: fitted CBOWVectorizer.transform vs CountVectorizer.transform.

Both transform the same str documents (the first ``--n-docs`` documents of the
english corpus, see corpora.py) with the same token pattern and lower-casing.
The CBOWVectorizer is fitted once (1 epoch, speed of fit not measured here) on
the whole english corpus; CountVectorizer is fitted on the documents.

    python benchmarks/bench_transform.py --n-docs 50000 --repeats 5
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402
import corpora  # noqa: E402


def timed(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return C.median(times)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n-docs", type=int, default=50000)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--aggs", default="mean,sif", help="comma-separated CBOWVectorizer agg values")
    args = p.parse_args(argv)
    C.git_commit()  # the commit at the start of the run (others may commit meanwhile)

    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer

    from skw2v import CBOWVectorizer

    # str documents (the cache is already lower-cased and tokenized; joined by spaces)
    with open(corpora.prepare_english(), encoding="utf-8") as f:
        all_docs = [line.rstrip("\n") for line in f]
    rng = np.random.RandomState(0)
    docs = [all_docs[i] for i in np.sort(rng.choice(len(all_docs), args.n_docs, replace=False))]
    n_tokens = sum(len(d.split()) for d in docs)

    rows = []
    for agg in [a for a in args.aggs.split(",") if a]:
        est = CBOWVectorizer(epochs=1, n_jobs=2, random_state=0, agg=agg).fit(all_docs)
        est.transform(docs[:100])  # warm-up (numba / caches)
        cv = CountVectorizer(token_pattern=est.token_pattern, lowercase=est.lowercase).fit(docs)
        cv.transform(docs[:100])
        t_cv = timed(lambda: cv.transform(docs), args.repeats)
        t_w2v = timed(lambda: est.transform(docs), args.repeats)
        rows.append([f"english sample ({args.n_docs:,} docs, {n_tokens:,} tokens)", agg,
                     len(est.wv_), f"{t_cv:.3f}", f"{t_w2v:.3f}", f"{t_w2v / t_cv:.2f}",
                     C.fmt(args.n_docs / t_cv), C.fmt(args.n_docs / t_w2v)])

    lines = C.header("Transform: CBOWVectorizer.transform vs CountVectorizer.transform")
    lines += [f"Median of {args.repeats} repeats; token_pattern `{est.token_pattern}`, "
              "lowercase=True for both; CountVectorizer fitted on the same documents.", ""]
    lines += C.table(["documents", "agg", "w2v vocab", "CountVectorizer s", "CBOWVectorizer s",
                      "ratio (CBOW/Count)", "Count docs/s", "CBOW docs/s"], rows)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
