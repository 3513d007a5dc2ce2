"""Minibatch batch size vs quality on real English (numpy, optimizer="sgd"), hogwild as reference.

Trains the minibatch solver at several batch sizes with the same settings
and seeds on the benchmark English corpus, plus hogwild, and prints words/s,
analogy accuracy, WS353 and SimLex Spearman per run, their means over the
seeds and each size's gap to the smallest. It is the measurement behind the
GPU ``batch_size="auto"`` rule in ``skw2v/_engines/minibatch.py``.

    python benchmarks/bench_batch_size.py [--sizes 256 1024 2048 4096 8192] [--seeds 0 1]
        [--json runs.json]
    python benchmarks/bench_batch_size.py --load a.json b.json   # one report of saved runs
"""

import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402  (also puts the repo root on sys.path)
import corpora  # noqa: E402
from bench_solvers import SETTINGS, run  # noqa: E402

METRICS = ("words_per_s", "analogy", "ws353", "simlex")


def _mean(rows, metric):
    values = [r[metric] for r in rows]
    return statistics.fmean(values) if values else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024, 2048, 4096, 8192])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--hogwild-seeds", type=int, nargs="*", default=[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2, help="hogwild threads")
    parser.add_argument("--device", default="cpu", help="device of the minibatch solver")
    parser.add_argument("--json", help="write the raw per-run results here")
    parser.add_argument("--load", nargs="+", metavar="JSON",
                        help="train nothing: report the runs saved by earlier --json")
    args = parser.parse_args(argv)
    docs = corpora.english_corpus()
    runs = []
    if args.load:
        for path in args.load:
            with open(path) as f:
                runs += json.load(f)
        args.seeds = []
        args.hogwild_seeds = []

    def record(label, solver, seed, batch):
        r = run(docs, solver, "cpu" if solver == "hogwild" else args.device, seed,
                args.epochs, args.threads, batch)
        r.update(label=label, seed=seed, batch_size=batch)
        runs.append(r)
        print(f"[bench_batch_size] {label} seed {seed}: {r['words_per_s']:,.0f} w/s analogy "
              f"{r['analogy']:.4f} ws353 {r['ws353']:.4f} simlex {r['simlex']:.4f}",
              file=sys.stderr, flush=True)

    for seed in args.seeds:  # one seed through every size, then the next seed
        if seed in args.hogwild_seeds:
            record("hogwild", "hogwild", seed, None)
        for size in args.sizes:
            record(f"minibatch b={size}", "minibatch", seed, size)
    for seed in args.hogwild_seeds:
        if seed not in args.seeds:
            record("hogwild", "hogwild", seed, None)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(runs, f, indent=1)

    runs.sort(key=lambda r: (r["label"] != "hogwild", int(r["label"].partition("=")[2] or 0),
                             r["seed"]))
    labels = list(dict.fromkeys(r["label"] for r in runs))
    by_label = {lab: [r for r in runs if r["label"] == lab] for lab in labels}
    lines = C.header("minibatch batch size vs quality (numpy, english)")
    n_tokens = sum(len(d) for d in docs)
    lines += [f"english corpus ({n_tokens:,} tokens); d={SETTINGS['vector_size']}, "
              f"window {SETTINGS['window']}, negative {SETTINGS['negative']}, sample "
              f"{SETTINGS['sample']}, min_count {SETTINGS['min_count']}, epochs {args.epochs}; "
              f"minibatch on {args.device}, optimizer 'sgd'; hogwild {args.threads} threads. "
              "words/s = tokens x epochs / whole fit seconds (vocabulary included). "
              "Per-seed values (seed order), then the mean over seeds and its gap to the smallest "
              "batch.", ""]
    cols = ["run", "seeds", "words/s", "analogy acc", "WS353 ρ", "SimLex ρ"]
    rows = []
    for lab, rs in by_label.items():
        per_seed = {m: " / ".join(f"{r[m]:.4f}" for r in rs)
                    for m in ("analogy", "ws353", "simlex")}
        rows.append([lab, ",".join(str(r["seed"]) for r in rs), C.fmt(_mean(rs, "words_per_s")),
                     per_seed["analogy"], per_seed["ws353"], per_seed["simlex"]])
    lines += C.table(cols, rows)
    base = next((lab for lab in labels if lab != "hogwild"), None)
    if base in by_label:
        ref = {r["seed"]: r for r in by_label[base]}
        lines += ["", f"Means over seeds; Δ = mean over the shared seeds of the gap to {base} "
                      "with the same seed (analogy in points):", ""]
        rows = []
        for lab, rs in by_label.items():
            m = {k: _mean(rs, k) for k in METRICS}
            paired = [r for r in rs if r["seed"] in ref]
            gap = {k: statistics.fmean(r[k] - ref[r["seed"]][k] for r in paired) if paired
                   else float("nan") for k in METRICS}
            rows.append([lab, C.fmt(m["words_per_s"]), f"{m['analogy']:.4f}",
                         f"{m['ws353']:.4f}", f"{m['simlex']:.4f}",
                         f"{100 * gap['analogy']:+.2f}", f"{gap['ws353']:+.4f}",
                         f"{gap['simlex']:+.4f}"])
        lines += C.table(["run", "words/s", "analogy", "WS353", "SimLex", "Δ analogy pt",
                          "Δ WS353", "Δ SimLex"], rows)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
