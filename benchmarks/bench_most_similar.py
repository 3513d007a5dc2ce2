"""KeyedVectors.most_similar query time: skw2v vs gensim on the same vectors.

Random float32 vectors (``--n-words`` x ``--dim``, default 100k x 100) are put in
both skw2v.KeyedVectors and gensim.models.KeyedVectors. Timed (median of repeats):

* single queries: ``most_similar(word, topn=10)`` for ``--n-queries`` words;
* skw2v's batch form ``most_similar_batch(words, topn=10)`` on the same words
  (gensim has no batch form; its per-query figure is repeated for the ratio).

The unit-vector cache of each system is built by a warm-up query first, so the
figures are per query in steady state.

    python benchmarks/bench_most_similar.py
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n-words", type=int, default=100_000)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--n-queries", type=int, default=200)
    p.add_argument("--topn", type=int, default=10)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    C.git_commit()  # the commit at the start of the run (others may commit meanwhile)

    import numpy as np
    from gensim.models import KeyedVectors as GensimKV

    from skw2v import KeyedVectors

    rng = np.random.RandomState(0)
    vectors = rng.standard_normal((args.n_words, args.dim)).astype(np.float32)
    keys = [f"w{i}" for i in range(args.n_words)]
    ours = KeyedVectors(keys, vectors.copy())
    theirs = GensimKV(args.dim, dtype=np.float32)  # count=0: add_vectors appends rows
    theirs.add_vectors(keys, vectors.copy())
    assert len(theirs) == args.n_words and theirs.vectors.shape == vectors.shape
    queries = [keys[i] for i in rng.choice(args.n_words, args.n_queries, replace=False)]

    ours.most_similar(queries[0], topn=args.topn)  # warm-up: unit-vector caches
    theirs.most_similar(queries[0], topn=args.topn)
    same = sum([w for w, _ in ours.most_similar(q, topn=args.topn)]
               == [w for w, _ in theirs.most_similar(q, topn=args.topn)] for q in queries[:20])

    def per_query(fn):
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) / len(queries))
        return C.median(times)

    g_single = per_query(lambda: [theirs.most_similar(q, topn=args.topn) for q in queries])
    s_single = per_query(lambda: [ours.most_similar(q, topn=args.topn) for q in queries])
    s_batch = per_query(lambda: ours.most_similar_batch(queries, topn=args.topn))
    qm = rng.standard_normal((len(queries), args.dim))
    g_vec = per_query(lambda: [theirs.most_similar([v], topn=args.topn) for v in qm.astype(np.float32)])
    s_vec_batch = per_query(lambda: ours.most_similar_batch(qm, topn=args.topn))

    lines = C.header("KeyedVectors.most_similar: skw2v vs gensim")
    lines += [f"{args.n_words:,} words x {args.dim} dims (random float32), topn={args.topn}, "
              f"{args.n_queries} queries, median of {args.repeats} repeats; ms per query "
              f"(same top-{args.topn} words as gensim for {same}/20 checked queries):", ""]
    rows = [["single word query, one call each", f"{g_single * 1e3:.3f}", f"{s_single * 1e3:.3f}",
             f"{s_single / g_single:.2f}"],
            ["word queries, skw2v most_similar_batch (gensim: one call each)",
             f"{g_single * 1e3:.3f}", f"{s_batch * 1e3:.3f}", f"{s_batch / g_single:.2f}"],
            ["vector queries, skw2v most_similar_batch(matrix) (gensim: one call each)",
             f"{g_vec * 1e3:.3f}", f"{s_vec_batch * 1e3:.3f}", f"{s_vec_batch / g_vec:.2f}"]]
    lines += C.table(["query", "gensim ms/query", "skw2v ms/query", "skw2v/gensim time"], rows)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
