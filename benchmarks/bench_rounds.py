"""The round trainer's math without a cluster: K shares trained in turn in one process.

What ``skw2v.dask.CBOWVectorizer`` computes on K workers (the same ``train_share``,
``merge_deltas``, ``plan_shares`` and round plans), with the shares trained one after the
other on one thread: the quality of a merge rule and a round plan in the time of a local
fit, without the cluster's transfers. It is how the defaults were chosen (RESULTS.md);
``bench_dask.py`` then checks them on a real cluster.

    python benchmarks/bench_rounds.py --corpus gcide --workers 4 --rounds auto,16,64
    python benchmarks/bench_rounds.py --corpus gcide --workers 4 --rounds auto:21000 --merge capped

--rounds: "auto" (the estimator's plan), "auto:W" (the same plan starting at W words a
share), or an integer (rounds an epoch, all of the same length). Corpora as bench_dask.py
(16 equal parts, dealt to the shares by ``plan_shares``).
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402
import corpora  # noqa: E402
from bench_dask import N_FILES, english_quality  # noqa: E402

PARAMS = dict(vector_size=100, window=5, negative=5, min_count=5, sample=1e-3, ns_exponent=0.75,
              alpha=0.025, min_alpha=1e-4)


def encoded(corpus):
    """``(vocab, ids, offsets)`` of a benchmark corpus, as a local fit reads it."""
    from skw2v import CBOWVectorizer, LineCorpus
    from skw2v._corpus import encode

    if corpus == "english":
        est, path = CBOWVectorizer(token_pattern=r"\S+", lowercase=False), corpora.prepare_english()
    else:
        est, path = CBOWVectorizer(), corpora.gcide_path()
    workdir = tempfile.mkdtemp(prefix="bench-rounds-")
    raw = est._read(LineCorpus(path), workdir)
    vocab = est._new_vocabulary(raw)
    corpus = encode(raw, vocab.remap_table(raw.words), est.max_doc_len, workdir)
    return vocab, np.asarray(corpus.ids), np.asarray(corpus.offsets)


def shares(ids, offsets, k):
    """The corpus cut into ``N_FILES`` parts of equal documents, dealt into ``k`` shares."""
    from skw2v._corpus import EncodedCorpus
    from skw2v._engines.rounds import plan_shares

    cuts = np.linspace(0, len(offsets) - 1, N_FILES + 1).astype(np.int64)
    owner = plan_shares(offsets[cuts[1:]] - offsets[cuts[:-1]], k)
    out = []
    for s in range(owner.max() + 1):
        pieces = [(cuts[i], cuts[i + 1]) for i in np.flatnonzero(owner == s)]
        lengths = np.concatenate([np.diff(offsets[a:b + 1]) for a, b in pieces])
        out.append(EncodedCorpus(np.concatenate([ids[offsets[a]:offsets[b]] for a, b in pieces]),
                                 np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)))
    return out


def epoch_bounds(plan, schedule, epoch, share_words):
    from skw2v._engines import rounds as R

    if plan.startswith("auto:"):  # the estimator's plan from another starting length
        return R.bounds_at(share_words, R.rate_scaled_cuts(schedule, epoch, len(share_words),
                                                           float(plan[5:])))
    if plan == "auto":
        return R.epoch_bounds(schedule, epoch, share_words)
    return R.plan_rounds(share_words, int(plan))


def rounds_of(plan, schedule, share_words):
    """Every round of the fit: ``(base, lo, hi, strides)``, the global position where it
    starts, every share's first and last stream word and its stride."""
    from skw2v._engines.rounds import round_strides

    for epoch in range(schedule.epochs):
        base = schedule.position(epoch, 0)
        bounds = epoch_bounds(plan, schedule, epoch, share_words)
        for r in range(bounds.shape[1] - 1):
            lo, hi = bounds[:, r], bounds[:, r + 1]
            yield base, lo, hi, round_strides(hi - lo)
            base += int((hi - lo).sum())


def _start(vocab, seed):
    """``(tables, updates, rng, syn0)`` as a fit of ``PARAMS`` starts them."""
    from skw2v._engines import TrainingTables
    from skw2v._engines.rounds import row_updates
    from skw2v._sampler import alias_table
    from skw2v._vectorizer import init_input_vectors

    p = PARAMS
    keep = vocab.keep_probs(p["sample"])
    tables = TrainingTables(keep, *alias_table(vocab.counts, p["ns_exponent"]))
    updates = row_updates(vocab.counts, keep, p["window"], p["negative"], p["ns_exponent"])
    rng = np.random.RandomState(seed)
    return tables, updates, rng, init_input_vectors(rng, len(vocab), p["vector_size"])


def simulate(vocab, parts, plan, rule, seed, epochs):
    """Train ``parts`` in rounds, merged by ``rule``; return (syn0, rounds, seconds)."""
    from skw2v._engines import rounds as R
    from skw2v._schedule import Schedule

    p = PARAMS
    tables, updates, rng, syn0 = _start(vocab, seed)
    weights = (syn0, np.zeros_like(syn0))
    share_words = np.array([s.n_words for s in parts])
    schedule = Schedule(p["alpha"], p["min_alpha"], int(share_words.sum()), epochs)
    n_rounds, start = 0, time.perf_counter()
    for base, lo, hi, strides in rounds_of(plan, schedule, share_words):
        sizes = hi - lo
        deltas = [R.train_share(weights, tables, [part], [0], int(lo[k]), int(hi[k]),
                                schedule, base, float(strides[k]), window=p["window"],
                                negative=p["negative"], seed=int(rng.randint(2**31)),
                                n_threads=1)
                  for k, part in enumerate(parts) if sizes[k] > 0]
        step = R.share_step(schedule, base, sizes)
        weights = R.merge_deltas(weights, deltas, rule, tuple(u * step for u in updates))
        n_rounds += 1
    return weights[0], n_rounds, time.perf_counter() - start


def simulate_replicas(vocab, parts, plan, rule, seed, epochs, base_rows):
    """Replicas synced by tiers (skw2v.dask's "parallel" strategy): (syn0, syncs, seconds,
    bytes each worker sends per epoch, mean rows a sync)."""
    from skw2v._engines import replicas as P
    from skw2v._engines import rounds as R
    from skw2v._schedule import Schedule

    p = PARAMS
    tables, updates, rng, syn0 = _start(vocab, seed)
    k = len(parts)
    reps = [P.start_replica((syn0, np.zeros_like(syn0))) for _ in range(k)]
    share_words = np.array([s.n_words for s in parts])
    schedule = Schedule(p["alpha"], p["min_alpha"], int(share_words.sum()), epochs)
    clock = P.SyncClock(len(vocab), base_rows)
    sent, rows_synced = 0, []
    start = time.perf_counter()

    def next_sync(final=False):
        n_rows, levels = clock.sync(final)
        rows_synced.append(n_rows)
        return clock.n, P.block_bounds(n_rows, k), levels

    def merge(n, cuts, levels):
        # a worker sends K-1 pieces and its merged block K-1 times: 2 (K-1)/K of the tier
        return ([P.merge_pieces([r.pieces[j] for r in reps], int(cuts[j]), rule, updates, levels,
                                n)
                 for j in range(k)],
                2 * (k - 1) * int(cuts[-1]) * syn0.shape[1] * np.dtype(P.WIRE).itemsize * 2 // k)

    pending = []    # merged syncs not yet applied: round r applies sync r - LAG

    for base, lo, hi, strides in rounds_of(plan, schedule, share_words):
        clock.tick(R.share_step(schedule, base, hi - lo))  # this round's pieces count it
        sync = next_sync() if k > 1 else (None, None, None)
        apply = pending.pop(0) if len(pending) == P.LAG else []
        reps = [P.train_replica(reps[j], apply, sync[0], sync[1], tables, [part], [0],
                                int(lo[j]), int(hi[j]), schedule, base, float(strides[j]),
                                window=p["window"], negative=p["negative"],
                                seed=int(rng.randint(2**31)), n_threads=1)
                for j, part in enumerate(parts)]
        if sync[0] is not None:
            merged, nbytes = merge(*sync)
            pending.append(merged)
            sent += nbytes
    if k > 1:  # the last sync covers every row
        n, cuts, levels = next_sync(final=True)
        reps = [P.close_replica(r, pending, n, cuts) for r in reps]
        merged, nbytes = merge(n, cuts, levels)
        sent += nbytes
        syn0 = np.concatenate([P.final_rows(r, b, j).values[0]
                               for j, (r, b) in enumerate(zip(reps, merged))])
    else:
        syn0 = reps[0].weights[0]
    return (syn0, clock.n, time.perf_counter() - start, sent / epochs,
            float(np.mean(rows_synced)) if rows_synced else 0.0)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", choices=["english", "gcide"], default="gcide")
    p.add_argument("--workers", default="2,4")
    p.add_argument("--rounds", default="auto", help="comma list of auto, auto:W, or an int")
    p.add_argument("--merge", default="adaptive", help="merge rules, comma list")
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--sync", default="full",
                   help="comma list: full (0.2's merge of every row each round), or tiers:N "
                        "(replicas syncing the top N rows every time, 2N every 2nd...)")
    args = p.parse_args(argv)

    from skw2v import KeyedVectors

    vocab, ids, offsets = encoded(args.corpus)
    rows = []
    for k in [int(x) for x in args.workers.split(",")]:
        parts = shares(ids, offsets, k)
        for plan in args.rounds.split(","):
            for rule, sync in ((r, s) for r in args.merge.split(",")
                               for s in args.sync.split(",")):
                scores, traffic = [], "-"
                for seed in range(args.seeds):
                    if sync == "full":
                        syn0, n_rounds, seconds = simulate(vocab, parts, plan, rule, seed,
                                                           args.epochs)
                    else:
                        syn0, n_rounds, seconds, sent, tier = simulate_replicas(
                            vocab, parts, plan, rule, seed, args.epochs, int(sync[6:]))
                        traffic = f"{sent / 1e6:.1f} MB ({tier:,.0f} rows a sync)"
                    scores.append(english_quality(KeyedVectors(vocab.index_to_key, syn0,
                                                               vocab.counts)))
                    print(f"# K={k} rounds={plan} rule={rule} sync={sync} seed={seed}: "
                          f"{n_rounds} rounds, {traffic} a worker an epoch, "
                          f"{seconds:.0f} s, " + ", ".join(f"{n} {v:.4f}"
                                                          for n, v in scores[-1].items()),
                          file=sys.stderr, flush=True)
                rows.append([k, plan, rule, sync, n_rounds, traffic] + [
                    C.fmt(np.mean([s[key] for s in scores]), ".4f")
                    for key in ("analogy", "ws353", "simlex")])
    print("\n".join(C.header(f"Round trainer simulated in one process, {args.corpus}, "
                             f"{args.epochs} epochs")))
    print("\n".join(C.table(["K", "rounds", "merge", "sync", "merges in the fit",
                             "sent by a worker an epoch (tiers)",
                             f"analogy (mean of {args.seeds})", "ws353", "simlex"], rows)))


if __name__ == "__main__":
    main()
