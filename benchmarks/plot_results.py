"""Plots for the user guide, drawn from the JSON outputs of ``bench_cpu.py``.

Reads every ``cpu_*.json`` in the results folder (written by
``python benchmarks/bench_cpu.py --json PATH``) and writes two PNG files:

``bench_speed.png``
    Words per second of skw2v and gensim side by side, grouped by what was
    timed: training apart from the vocabulary at each thread count of the
    run's thread-scaling table, and end to end from the text file where the
    run measured it. Bars are medians over the run's repeats, whiskers the
    smallest and largest run, and the skw2v/gensim ratio of the medians is
    written above each pair.
``bench_quality.png``
    Quality of the same runs side by side: analogy accuracy
    (questions-words, ``restrict_vocab=30000``), WS353 and SimLex-999
    Spearman correlation. Bars are medians over the training runs, whiskers
    the smallest and largest run when the file holds more than one.

The titles give the corpus, the machine and the commit recorded in the JSON
(``meta``), so a plot cannot be shown without saying where it was measured.

Usage, from the repository root::

    python benchmarks/plot_results.py [--results benchmarks/results] [--out docs/_static]

Needs matplotlib (drawn with the Agg backend, no display).

Parameters
----------
--results : str
    Folder holding the ``cpu_*.json`` files (default ``benchmarks/results``).
--out : str
    Folder the PNG files are written to, created if missing (default
    ``docs/_static``).

Notes
-----
Ratios are only meaningful within one file: both systems ran side by side,
alternating, on the same machine. Absolute words/s move with the machine's
load and differ between machines.
"""

import argparse
import glob
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SYSTEMS = ("gensim", "skw2v")
COLORS = {"gensim": "#8c8c8c", "skw2v": "#1f77b4"}
LABELS = {"gensim": "gensim 4.4 Word2Vec", "skw2v": "skw2v CBOWVectorizer"}
QUALITY = (("analogy", "analogy accuracy"), ("ws353", "WS353 Spearman"),
           ("simlex", "SimLex-999 Spearman"))
SPEED_FILE = "bench_speed.png"
QUALITY_FILE = "bench_quality.png"


def load_runs(results_dir):
    """One dict per corpus found in the ``cpu_*.json`` files of ``results_dir``.

    Each dict has ``corpus``, ``meta`` (commit, machine, command; empty for
    files written before bench_cpu.py recorded them), ``sizes`` and ``results``
    (bench_cpu.py's raw results for that corpus).
    """
    runs = []
    for path in sorted(glob.glob(os.path.join(results_dir, "cpu_*.json"))):
        with open(path) as f:
            data = json.load(f)
        for corpus, res in data.get("results", {}).items():
            runs.append({"corpus": corpus, "meta": data.get("meta", {}), "path": path,
                         "sizes": data.get("sizes", {}).get(corpus, {}), "results": res})
    if not runs:
        raise SystemExit(f"no cpu_*.json results in {results_dir} "
                         "(python benchmarks/bench_cpu.py --json benchmarks/results/cpu_english.json)")
    return runs


def _values(results, key, sub=None):
    out = []
    for r in results:
        if "error" in r:
            continue
        v = r.get(sub, {}).get(key) if sub else r.get(key)
        if v is not None:
            out.append(float(v))
    return out


def speed_groups(run):
    """[(label, {system: [words/s of every run]})] for one corpus: training by threads, end to end."""
    res, groups = run["results"], []
    scaling = res.get("scaling") or {}
    if scaling:  # the thread-scaling table holds the main thread count's runs too
        by_threads = {int(t): scaling[t] for t in scaling}
    else:
        by_threads = {_threads(res.get("train")): res.get("train") or {}}
    for t in sorted(by_threads, key=lambda t: (t is None, t or 0)):
        vals = {s: _values(by_threads[t].get(s, []), "words_per_s") for s in SYSTEMS}
        if all(vals.values()):
            groups.append((f"training\n{_threads_label(t)}", vals))
    e2e = res.get("e2e") or {}
    vals = {s: _values(e2e.get(s, []), "words_per_s") for s in SYSTEMS}
    if all(vals.values()):
        groups.append((f"end to end from the file\n{_threads_label(_threads(e2e))}", vals))
    return groups


def _threads(by_system):
    """The thread count recorded in a {system: [results]} dict, None if none is."""
    for results in (by_system or {}).values():
        for r in results:
            if r.get("threads") is not None:
                return int(r["threads"])
    return None


def _threads_label(t):
    return "threads not recorded" if t is None else f"{t} thread{'s' if t > 1 else ''}"


def quality_groups(run):
    """[(label, {system: [score of every training run]})] for one corpus."""
    train = run["results"].get("train") or {}
    groups = []
    for key, label in QUALITY:
        vals = {s: _values(train.get(s, []), key, sub="quality") for s in SYSTEMS}
        if all(vals.values()):
            groups.append((label, vals))
    return groups


def _where(run):
    m = run["meta"]
    machine = m.get("machine", "machine not recorded").replace(", no GPU used", "")
    date = f", {m['date']}" if m.get("date") else ""
    return f"{machine}; commit {m.get('commit', 'not recorded')}{date}"


def _titles(ax, run, runs, first_line):
    """Panel title; the machine and commit go to the figure's title when every panel shares them."""
    shared = len({_where(r) for r in runs}) == 1
    ax.set_title(first_line if shared else f"{first_line}\n{_where(run)}", fontsize=9 if shared else 7)
    return _where(runs[0]) if shared else "machines and commits per panel"


def _bars(ax, groups, fmt_ratio=True, scale=1.0):
    """Grouped bars (median, min-max whiskers) for both systems; the ratio above each pair."""
    width = 0.38
    for i, (_label, vals) in enumerate(groups):
        med = {}
        for j, s in enumerate(SYSTEMS):
            v = [x * scale for x in vals[s]]
            med[s] = statistics.median(v)
            x = i + (j - 0.5) * width
            err = [[med[s] - min(v)], [max(v) - med[s]]] if len(v) > 1 else None
            ax.bar(x, med[s], width, color=COLORS[s], label=LABELS[s] if i == 0 else None,
                   yerr=err, capsize=3, error_kw={"elinewidth": 1, "ecolor": "black"})
        if fmt_ratio and med["gensim"]:
            top = max(max(vals[s]) * scale for s in SYSTEMS)
            ax.annotate(f"{med['skw2v'] / med['gensim']:.2f}x", (i, top), xytext=(0, 4),
                        textcoords="offset points", ha="center", va="bottom", fontsize=9,
                        fontweight="bold")
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([g[0] for g in groups], fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)


def _save(fig, path):
    fig.savefig(path, dpi=90, pil_kwargs={"optimize": True})


def plot_speed(runs, path):
    """Words/s of both systems by threads (and end to end), one panel per corpus."""
    import matplotlib.pyplot as plt

    runs = [r for r in runs if speed_groups(r)]
    fig, axes = plt.subplots(1, len(runs), figsize=(3.2 + 2.6 * len(runs), 3.9), squeeze=False)
    for ax, run in zip(axes[0], runs):
        groups = speed_groups(run)
        _bars(ax, groups, scale=1e-6)
        ax.set_ylabel("million words/s (median; whiskers: min-max)", fontsize=8)
        ax.set_ylim(0, ax.get_ylim()[1] * 1.12)
        tokens = run["sizes"].get("tokens")
        where = _titles(ax, run, runs, f"{run['corpus']} corpus"
                        + (f", {tokens / 1e6:.1f}M tokens" if tokens else ""))
        ax.legend(fontsize=8, frameon=False, loc="upper left")
    fig.suptitle("CBOW-NS training speed, skw2v vs gensim (side by side, one run)\n"
                 + where, fontsize=9)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def plot_quality(runs, path):
    """Analogy accuracy, WS353 and SimLex of both systems, one panel per corpus."""
    import matplotlib.pyplot as plt

    runs = [r for r in runs if quality_groups(r)]
    fig, axes = plt.subplots(1, len(runs), figsize=(3.2 + 2.6 * len(runs), 3.6), squeeze=False)
    for ax, run in zip(axes[0], runs):
        groups = quality_groups(run)
        _bars(ax, groups, fmt_ratio=False)
        for i, (_label, vals) in enumerate(groups):
            for j, s in enumerate(SYSTEMS):
                m = statistics.median(vals[s])
                ax.annotate(f"{m:.3f}", (i + (j - 0.5) * 0.38, m), xytext=(0, 2),
                            textcoords="offset points", ha="center", va="bottom", fontsize=7)
        n = min(len(v) for _, vals in groups for v in vals.values())
        ax.set_ylabel(f"score (median of {n} runs; whiskers: min-max)", fontsize=8)
        ax.set_ylim(0, ax.get_ylim()[1] * 1.15)
        where = _titles(ax, run, runs, f"{run['corpus']} corpus")
        ax.legend(fontsize=8, frameon=False, loc="upper left")
    fig.suptitle("Quality of the same models (same evaluation functions)\n" + where, fontsize=9)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description="plots for the user guide from bench_cpu.py's JSON")
    p.add_argument("--results", default=os.path.join(HERE, "results"),
                   help="folder with cpu_*.json (default: benchmarks/results)")
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "_static"),
                   help="folder for the PNG files (default: docs/_static)")
    args = p.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    runs = load_runs(args.results)
    os.makedirs(args.out, exist_ok=True)
    written = []
    for name, plot, has in ((SPEED_FILE, plot_speed, speed_groups),
                            (QUALITY_FILE, plot_quality, quality_groups)):
        if any(has(r) for r in runs):
            path = os.path.join(args.out, name)
            plot(runs, path)
            written.append(path)
    for path in written:
        print(f"{path} ({os.path.getsize(path) / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
