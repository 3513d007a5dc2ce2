"""How well, and how fast, a sample of the corpus estimates the SIF common component.

Every fit estimates the common component of the SIF document vectors (removed in
``transform``). It is estimated on a sample of the training documents; this
compares samples with the estimate on every document, on trained vectors:
the corpus' first tokens (skw2v up to 0.1's choice, 4M tokens) and pieces
spread over the corpus (``_aggregate.sample_ranges``). Printed: the absolute cosine to the
all-document direction and the seconds (median of 5).

    python benchmarks/bench_sif.py [--corpus english,gcide]
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402
import corpora  # noqa: E402


def first_tokens(ids, indptr, max_tokens):
    n_docs = max(int(np.searchsorted(indptr, max_tokens, side="right")) - 1, 1)
    return ids[:indptr[n_docs]], indptr[:n_docs + 1]


def timed(function, repeats=5):
    seconds = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = function()
        seconds.append(time.perf_counter() - t0)
    return out, float(np.median(seconds))


def rows_for(name):
    from skw2v import CBOWVectorizer
    from skw2v._aggregate import SIF_MAX_TOKENS, SIF_PIECES, sif_common_component
    from skw2v._corpus import encode_known

    docs = corpora.load_token_lists(corpora.token_file(name, None))
    est = CBOWVectorizer(min_count=5, epochs=2, n_jobs=2, random_state=0).fit(docs)
    ids, indptr = encode_known(docs, est.build_analyzer(), est.vocabulary_)
    vectors, counts = est.wv_.vectors, est.wv_.counts
    every = sif_common_component(ids, indptr, vectors, counts, max_tokens=len(ids))
    rows = []
    for label, max_tokens, sample in [
            ("first 4M tokens", 1 << 22, lambda m: sif_common_component(
                *first_tokens(ids, indptr, m), vectors, counts, max_tokens=len(ids))),
            ("first 1M tokens", 1 << 20, lambda m: sif_common_component(
                *first_tokens(ids, indptr, m), vectors, counts, max_tokens=len(ids))),
            (f"{SIF_PIECES} pieces, {SIF_MAX_TOKENS >> 20}M tokens (fit)", SIF_MAX_TOKENS,
             lambda m: sif_common_component(ids, indptr, vectors, counts, max_tokens=m))]:
        direction, seconds = timed(lambda: sample(max_tokens))
        rows.append([name, f"{len(ids):,}", label, f"{abs(float(direction @ every)):.5f}",
                     f"{seconds:.3f}"])
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", default="english,gcide")
    args = p.parse_args(argv)
    rows = [row for name in args.corpus.split(",") for row in rows_for(name)]
    lines = C.header("SIF common component: a sample of the corpus vs every document")
    lines += ["skw2v trained 2 epochs (d=100, min_count 5); the absolute cosine between the sample's direction "
              "and the direction estimated on every document:", ""]
    lines += C.table(["corpus", "tokens", "sample", "cosine to every document (abs)", "s"], rows)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
