"""Training on a Dask cluster: skw2v.dask.CBOWVectorizer with K workers vs the local estimator.

One command, one markdown report (copy-paste into RESULTS.md):

    python benchmarks/bench_dask.py --corpus english --workers 1,2,4,8 --seeds 2
    python benchmarks/bench_dask.py --corpus english --workers 4 --merge adaptive,capped,sum \
        --rounds 8,16 --no-local

* english: the benchmark English corpus (``corpora.py``), written to 16 files and read
  with ``dask.bag.read_text`` (one partition per file); the local estimator fits the
  same file with ``LineCorpus``. Quality: analogy accuracy (questions-words.txt,
  restrict_vocab=30000), WS353 and SimLex-999 Spearman, as in bench_cpu.py.
* gcide: held-out English of short documents (``corpora.py``: GCIDE dictionary paragraphs,
  ~253k documents, 5.4M words, raw text read with the default analyzer), files and
  quality as for english; no setting was chosen on it.
* planted: ``make_analogy_corpus`` (800k sentences, 1 epoch), planted-analogy accuracy: a
  second corpus, on which the merge settings (chosen on English) were not tuned.
* Every cluster is a ``LocalCluster`` of K worker processes with ``--threads`` threads
  each; the local estimator gets the same threads in total (K x threads), on the same
  cores. Before timing, a small fit warms the numba cache on every worker.
* words/s = corpus tokens x epochs / fit seconds (both passes over the text included);
  "rounds" = merges in the whole fit ("auto": rounds that lengthen as the rate decays,
  counted from the same plan on the corpus tokens, where the fit plans on its
  in-vocabulary words: a few percent fewer; an integer: rounds an epoch; "-": one trainer,
  whole epochs). "dask auto (single)": the strategy "auto" took, resolved as the estimator
  does (the workers of one LocalCluster share one machine). Overhead per round
  (--overhead): with K=2, the fit time at 32 rounds an epoch minus the fit time at 8,
  divided by the extra rounds.
* traffic: the bytes the workers sent (each worker's ``transfer_outgoing_bytes_total``, the
  counter of distributed's data transfers, to other workers and to the client) during the
  fit: per worker per epoch (mean over workers), and the largest worker's share of the total.
"""

import argparse
import glob
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402
import corpora  # noqa: E402

EVAL_RESTRICT = 30000
N_FILES = 16


def split_files(source, directory):
    """The text file ``source`` cut into ``N_FILES`` files of whole lines; returns the glob."""
    with open(source, encoding="utf-8") as f:
        lines = f.read().splitlines()
    per = -(-len(lines) // N_FILES)
    for i in range(N_FILES):
        with open(os.path.join(directory, f"part-{i:02d}.txt"), "w", encoding="utf-8") as out:
            out.write("\n".join(lines[i * per:(i + 1) * per]) + "\n")
    return os.path.join(directory, "part-*.txt"), len(lines)


def english_quality(kv):
    import skw2v

    path = corpora.gensim_test_data
    if not os.path.exists(path("questions-words.txt")):
        path = lambda name: os.path.join(corpora.eval_dir(), name)  # noqa: E731
    acc = skw2v.evaluate_word_analogies(kv, path("questions-words.txt"),
                                        restrict_vocab=EVAL_RESTRICT)[0]
    return {"analogy": acc,
            "ws353": skw2v.evaluate_word_pairs(kv, path("wordsim353.tsv"))[1][0],
            "simlex": skw2v.evaluate_word_pairs(kv, path("simlex999.txt"))[1][0]}


def planted_quality(analogies):
    def quality(kv):
        hits = [kv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0] == d
                for a, b, c, d in analogies if all(w in kv for w in (a, b, c, d))]
        return {"analogy": sum(hits) / max(len(hits), 1)}
    return quality


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", choices=["english", "gcide", "planted"], default="english")
    p.add_argument("--workers", default="1,2,4,8")
    p.add_argument("--threads", type=int, default=1, help="threads per worker")
    p.add_argument("--merge", default="adaptive", help="merge rules, comma list")
    p.add_argument("--rounds", default="auto", help="rounds per epoch ('auto' or int), comma list")
    p.add_argument("--strategy", default="auto", help="auto, parallel or single; comma list")
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--no-local", action="store_true")
    p.add_argument("--overhead", action="store_true", help="also time 4x the rounds at K=2")
    args = p.parse_args(argv)

    import dask.bag as db
    from distributed import Client, LocalCluster

    import skw2v
    import skw2v.dask

    workers = [int(k) for k in args.workers.split(",")]
    rules = args.merge.split(",")
    rounds = [r if r == "auto" else int(r) for r in args.rounds.split(",")]
    strategies = args.strategy.split(",")
    tmp = tempfile.mkdtemp(prefix="bench-dask-")
    if args.corpus in ("english", "gcide"):
        english = args.corpus == "english"
        pattern, n_docs = split_files(corpora.prepare_english() if english
                                      else corpora.gcide_path(), tmp)
        params = dict(vector_size=100, window=5, negative=5, min_count=5,
                      epochs=args.epochs or 5)
        if english:  # already tokenized by the default analyzer
            params.update(token_pattern=r"\S+", lowercase=False)
        quality = english_quality
        bag = lambda: db.read_text(pattern, blocksize=None)  # noqa: E731
        local_input = lambda: skw2v.LineCorpus(os.path.join(tmp, "all.txt"))  # noqa: E731
        with open(os.path.join(tmp, "all.txt"), "w", encoding="utf-8") as out:
            for name in sorted(glob.glob(pattern)):
                with open(name, encoding="utf-8") as f:
                    out.write(f.read())
    else:
        from skw2v.datasets import make_analogy_corpus

        docs, analogies = make_analogy_corpus(800_000, 20, random_state=0)
        params = dict(vector_size=100, min_count=5, epochs=args.epochs or 1)
        quality = planted_quality(analogies)
        bag = lambda: db.from_sequence(docs, npartitions=N_FILES)  # noqa: E731
        local_input = lambda: docs  # noqa: E731
    n_tokens = skw2v.CBOWVectorizer(min_count=1, epochs=1, n_jobs=1, vector_size=1,
                                    **{k: v for k, v in params.items()
                                       if k in ("token_pattern", "lowercase")}
                                    )._read(local_input(), tmp).offsets[-1]

    rows = []

    def record(system, k, rule, n_rounds, seconds, kv, seed, sent=None):
        q = quality(kv)
        per_worker = (sum(sent) / len(sent) / params["epochs"]) if sent else float("nan")
        top = max(sent) / max(sum(sent), 1) if sent else float("nan")
        rows.append(dict(system=system, k=k, rule=rule, rounds=n_rounds, seed=seed,
                         seconds=seconds, wps=n_tokens * params["epochs"] / seconds,
                         sent=per_worker, top=top, total=sum(sent) if sent else float("nan"),
                         **q))
        print(f"# {system} K={k} rule={rule} rounds={n_rounds} seed={seed}: {seconds:.1f} s, "
              f"{per_worker / 1e6:.1f} MB sent a worker an epoch, "
              + ", ".join(f"{n} {v:.4f}" for n, v in q.items()), file=sys.stderr, flush=True)

    for k in workers:
        if not args.no_local:
            for seed in range(args.seeds):
                est = skw2v.CBOWVectorizer(n_jobs=k * args.threads, random_state=seed, **params)
                start = time.perf_counter()
                est.fit(local_input())
                record("local", k, "-", "-", time.perf_counter() - start, est.wv_, seed)
        with LocalCluster(n_workers=k, threads_per_worker=args.threads, processes=True,
                          dashboard_address=None) as cluster, Client(cluster):
            skw2v.dask.CBOWVectorizer(min_count=1, epochs=1, vector_size=10).fit(
                db.from_sequence(["a b c d e f"] * 64, npartitions=k))  # warm the workers
            for strategy, rule, n_rounds in ((s, r, n) for s in strategies for r in rules
                                             for n in rounds):
                for seed in range(args.seeds):
                    est = _dask_estimator(params, seed, rule, n_rounds, n_tokens, k)
                    est.set_params(strategy=strategy)
                    before = sent_bytes()
                    start = time.perf_counter()
                    est.fit(bag())
                    seconds = time.perf_counter() - start
                    after = sent_bytes()
                    took = taken_strategy(est)
                    record(f"dask {strategy}" + (f" ({took})" if strategy == "auto" else ""),
                           k, rule, n_rounds if took == "parallel" else "-", seconds, est.wv_,
                           seed, [after[w] - before.get(w, 0) for w in after])
            if args.overhead and k == 2:  # 8 vs 32 rounds an epoch: the cost of a round
                for n_rounds in (8, 32):
                    for seed in range(args.seeds):
                        est = _dask_estimator(params, seed, rules[0], n_rounds, n_tokens, k)
                        start = time.perf_counter()
                        est.fit(bag())
                        record("dask", k, rules[0], n_rounds, time.perf_counter() - start,
                               est.wv_, seed)
    report(args, rows, n_tokens, params)


def taken_strategy(est):
    """The strategy ``est``'s fit took on the current cluster (``"auto"`` resolved as the
    estimator resolves it, from every worker's threads and their machines')."""
    from distributed import default_client

    from skw2v.dask import _vectorizer as dv

    client = default_client()
    workers = sorted(client.scheduler_info()["workers"])
    return est._strategy(dv.worker_threads(client, workers, est.n_jobs),
                         dv.machine_threads(client, workers, est.n_jobs))


def sent_bytes():
    """Bytes each worker has sent so far (distributed's transfer counter), by address."""
    from distributed import default_client

    return default_client().run(lambda dask_worker: dask_worker.transfer_outgoing_bytes_total)


def _dask_estimator(params, seed, rule, n_rounds, n_tokens, k):
    import skw2v.dask

    # rounds per epoch -> words per worker per round (shares are ~equal)
    words = "auto" if n_rounds == "auto" else max(-(-n_tokens // (k * n_rounds)), 1)
    return skw2v.dask.CBOWVectorizer(random_state=seed, merge=rule, words_per_round=words,
                                     n_jobs=-1, **params)


def merges(n_rounds, k, n_tokens, epochs):
    """Rounds in a whole fit: ``n_rounds`` an epoch, or the "auto" plan's (on ~n_tokens)."""
    if n_rounds != "auto":
        return n_rounds * epochs
    from skw2v._engines.rounds import epoch_bounds
    from skw2v._schedule import Schedule

    schedule = Schedule(0.025, 1e-4, n_tokens, epochs)
    return sum(epoch_bounds(schedule, e, [n_tokens // k] * k).shape[1] - 1
               for e in range(epochs))


def report(args, rows, n_tokens, params):
    print("\n".join(C.header(f"Dask cluster training, {args.corpus} ({n_tokens:,} tokens, "
                             f"{params['epochs']} epochs)")))
    keys = ["analogy"] if args.corpus == "planted" else ["analogy", "ws353", "simlex"]
    groups = {}
    for r in rows:
        groups.setdefault((r["system"], r["k"], r["rule"], r["rounds"]), []).append(r)
    out = []
    for (system, k, rule, n_rounds), rs in groups.items():
        mean = {key: sum(r[key] for r in rs) / len(rs)
                for key in keys + ["seconds", "wps", "sent", "top", "total"]}
        rounds = "-" if n_rounds == "-" else (  # local, or one trainer: whole epochs
            f"{merges(n_rounds, k, n_tokens, params['epochs'])}"
            + (" (auto)" if n_rounds == "auto" else f" ({n_rounds}/epoch)"))
        traffic = ("-", "-") if system == "local" else (
            f"{mean['sent'] / 1e6:,.1f} MB", f"{mean['top']:.0%} of {mean['total'] / 1e6:,.0f} MB")
        out.append([system, k, f"{k * args.threads}", str(rule), rounds,
                    C.fmt(mean["seconds"], ".1f"), C.fmt(mean["wps"]), *traffic]
                   + [C.fmt(mean[key], ".4f") for key in keys])
    print("\n".join(C.table(["system", "K", "threads", "merge", "rounds",
                             "fit s", "words/s", "sent a worker an epoch",
                             "largest worker (of all sent)"] + [f"{key} (mean of {args.seeds})"
                                                    for key in keys], out)))


if __name__ == "__main__":
    main()
