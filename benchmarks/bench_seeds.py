"""Quality over many seeds: skw2v CBOWVectorizer vs gensim Word2Vec, same settings.

``bench_cpu.py`` judges quality parity on the medians of a few runs. On a
corpus of a few million tokens one seed's WS353 Spearman moves by +-0.02 from
the next, so a median of five can differ by 0.02 between two systems that
train the same model. This trains each system on ``--seeds`` seeds (token
lists in memory, the settings and evaluation functions of ``bench_cpu.py``)
and prints every run, each system's mean, standard deviation and median, and
the difference of the means with its standard error.

    python benchmarks/bench_seeds.py --corpus english --seeds 10 --threads 2
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402
import bench_cpu as B  # noqa: E402
import corpora  # noqa: E402

SYSTEMS = ("gensim", "skw2v")
MEASURES = ("analogy", "ws353", "simlex")


def train_kv(system, spec, docs, seed):
    """The vectors ``system`` trains on ``docs`` with ``seed``, as skw2v KeyedVectors."""
    if system == "skw2v":
        return B._skw2v_model(spec, seed).fit(docs).wv_
    model = B._gensim_model(spec, seed)
    model.build_vocab(docs)
    model.train(docs, total_examples=model.corpus_count, epochs=model.epochs)
    return B.as_skw2v_vectors(model.wv)


def summary_rows(scores):
    """Per system: mean, std and median of each measure; then the difference of the means."""
    rows = []
    for system in SYSTEMS:
        a = np.array(scores[system])
        rows.append([system, len(a)] + [f"{m:.4f} / {s:.4f} / {d:.4f}" for m, s, d in
                                        zip(a.mean(0), a.std(0, ddof=1), np.median(a, 0))])
    g, s = (np.array(scores[name]) for name in SYSTEMS)
    diff = s.mean(0) - g.mean(0)
    se = np.sqrt(s.var(0, ddof=1) / len(s) + g.var(0, ddof=1) / len(g))
    rows.append(["skw2v - gensim", "", *(f"{d:+.4f} (se {e:.4f})" for d, e in zip(diff, se))])
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", choices=corpora.TOKEN_CORPORA, default="english")
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    settings = B.build_parser().parse_args([])  # bench_cpu.py's defaults
    spec = dict(B.settings_of(settings, args.corpus), threads=args.threads)
    docs = corpora.load_token_lists(corpora.token_file(args.corpus, None))
    scores, runs = {s: [] for s in SYSTEMS}, []
    for seed in range(args.seeds):
        for system in SYSTEMS:
            q = B._quality(train_kv(system, spec, docs, seed))
            scores[system].append([q[m] for m in MEASURES])
            runs.append([system, seed] + [f"{q[m]:.4f}" for m in MEASURES])
            print(f"[bench_seeds] {system} seed={seed}: " + ", ".join(runs[-1][2:]),
                  file=sys.stderr, flush=True)
    lines = C.header(f"Quality over {args.seeds} seeds: skw2v vs gensim ({args.corpus}, "
                     f"{args.threads} threads)")
    lines += [f"Settings: {B.settings_str(spec)}; analogies restrict_vocab={B.EVAL_RESTRICT}. "
              "Each cell: mean / std / median over seeds.", ""]
    lines += C.table(["system", "seeds", "analogy acc", "WS353 ρ", "SimLex ρ"],
                     summary_rows(scores))
    lines += ["", "Every run:", ""]
    lines += C.table(["system", "seed", "analogy acc", "WS353 ρ", "SimLex ρ"], runs)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
