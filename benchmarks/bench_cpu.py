"""CPU training speed, memory and quality: skw2v CBOWVectorizer vs gensim Word2Vec (CBOW-NS).

One command runs everything in one parent process; every measurement runs in a
fresh child process (so peak RSS is per system and per run) and the systems
alternate run by run. Prints one markdown report (copy-paste into RESULTS.md).

    python benchmarks/bench_cpu.py --corpus both --repeats 3 --threads 2

What is measured (see the project's shared BENCHMARKS.md):

* training (token lists in memory, both systems get the same lists):
  gensim: ``build_vocab`` and ``train`` timed separately;
  skw2v: ``fit`` timed, and its vocabulary time measured in the same child by
  timing ``read_corpus`` + ``Vocabulary.from_counts`` + ``encode`` on the same
  input (after the fit, so the fit's peak RSS is not affected);
  skw2v training time = fit time - vocabulary time.
  words/s = corpus tokens x epochs / training seconds (same numerator for both).
* end to end from the text file: gensim ``Word2Vec(sentences=LineSentence(path))``
  (build_vocab + train) vs skw2v ``fit(LineCorpus(path))`` with
  ``token_pattern=r"\\S+", lowercase=False`` (whitespace split, like LineSentence);
  words/s = corpus tokens x epochs / total seconds.
* peak RSS (VmHWM of the child, see _common.peak_rss_mib) and the increase over the child's RSS after
  imports, warm-up and corpus loading.
* quality (english): both models' vectors evaluated by the same functions
  (skw2v.evaluate_word_analogies with restrict_vocab=30000 on gensim's
  questions-words.txt; skw2v.evaluate_word_pairs Spearman on wordsim353.tsv and
  simlex999.txt); gensim's own evaluate_word_analogies on gensim's vectors is
  reported beside as a sanity check of the shared function.
* thread scaling: training words/s at each of ``--scaling`` thread counts.

Before measuring, each child does a small warm-up fit (skw2v: numba JIT / cache
load; gensim: the same for symmetry); its time is reported as "warm-up s".
"""

import argparse
import json
import os
import shlex
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402  (also puts the repo root on sys.path)
import corpora  # noqa: E402

EVAL_RESTRICT = 30000


# ======================================================================= child
def _params(spec):
    return dict(vector_size=spec["vector_size"], window=spec["window"], negative=spec["negative"],
                sample=spec["sample"], min_count=spec["min_count"], epochs=spec["epochs"],
                alpha=spec["alpha"], min_alpha=spec["min_alpha"])


def _gensim_model(spec, seed, **kw):
    from gensim.models import Word2Vec

    p = _params(spec)
    return Word2Vec(sg=0, cbow_mean=1, hs=0, negative=p["negative"], vector_size=p["vector_size"],
                    window=p["window"], sample=p["sample"], min_count=p["min_count"],
                    epochs=p["epochs"], alpha=p["alpha"], min_alpha=p["min_alpha"],
                    workers=spec["threads"], seed=seed, **kw)


def _skw2v_model(spec, seed, **kw):
    from skw2v import CBOWVectorizer

    return CBOWVectorizer(**_params(spec), n_jobs=spec["threads"], random_state=seed, **kw)


def _warm_up(system, spec):
    small = [["w%d" % ((i * 7 + j) % 50) for j in range(100)] for i in range(50)]
    tiny = dict(spec, epochs=1, min_count=1)
    t0 = time.perf_counter()
    if system == "gensim":
        m = _gensim_model(tiny, 0)
        m.build_vocab(small)
        m.train(small, total_examples=len(small), epochs=1)
    else:
        _skw2v_model(tiny, 0).fit(small)
    return time.perf_counter() - t0


def _load_tokens(spec):
    return corpora.load_token_lists(_corpus_file(spec))


def _corpus_file(spec):
    return corpora.token_file(spec["corpus"], spec["n_tokens"])


def as_skw2v_vectors(wv):
    """gensim KeyedVectors as skw2v's (same words, order, vectors and counts)."""
    import numpy as np
    import skw2v

    counts = np.array([wv.get_vecattr(w, "count") for w in wv.index_to_key])
    return skw2v.KeyedVectors(list(wv.index_to_key), wv.vectors, counts)


def _quality(kv, gensim_wv=None):
    import skw2v

    q = {}
    path = corpora.gensim_test_data
    acc, sections = skw2v.evaluate_word_analogies(kv, path("questions-words.txt"),
                                                   restrict_vocab=EVAL_RESTRICT)
    q["analogy"] = acc
    q["analogy_n"] = len(sections[-1]["correct"]) + len(sections[-1]["incorrect"])
    q["ws353"] = skw2v.evaluate_word_pairs(kv, path("wordsim353.tsv"))[1][0]
    q["simlex"] = skw2v.evaluate_word_pairs(kv, path("simlex999.txt"))[1][0]
    if gensim_wv is not None:  # sanity check of the shared evaluation functions
        q["analogy_gensim_fn"] = gensim_wv.evaluate_word_analogies(
            path("questions-words.txt"), restrict_vocab=EVAL_RESTRICT)[0]
        q["ws353_gensim_fn"] = gensim_wv.evaluate_word_pairs(path("wordsim353.tsv"))[1][0]
    try:  # gensim's own test-suite sanity check (meaningful on lee_background)
        sims = [w for w, _ in kv.most_similar("attacks", topn=50)]
        q["bombings_rank"] = sims.index("bombings") + 1 if "bombings" in sims else None
    except KeyError:
        q["bombings_rank"] = None
    return q


def child_main(spec):
    system, mode = spec["system"], spec["mode"]
    seed = spec["seed"]
    out = {"system": system, "mode": mode, "threads": spec["threads"], "seed": seed}
    out["warmup_s"] = _warm_up(system, spec)
    if mode == "train":
        sentences = _load_tokens(spec)
        n_tokens = sum(map(len, sentences))
    else:
        path = _corpus_file(spec)
        n_tokens = None
    out["rss_base_mib"] = C.current_rss_mib()
    out["rss_peak_before_mib"] = C.peak_rss_mib()
    epochs = spec["epochs"]
    kv = gensim_wv = None

    if system == "gensim":
        if mode == "train":
            model = _gensim_model(spec, seed)
            t0 = time.perf_counter()
            model.build_vocab(sentences)
            t1 = time.perf_counter()
            trained, _raw = model.train(sentences, total_examples=model.corpus_count,
                                        epochs=model.epochs)
            t2 = time.perf_counter()
            out.update(vocab_s=t1 - t0, train_s=t2 - t1, effective_words=trained)
        else:
            from gensim.models.word2vec import LineSentence

            t0 = time.perf_counter()
            model = _gensim_model(spec, seed, sentences=LineSentence(path))
            out["total_s"] = time.perf_counter() - t0
            n_tokens = model.corpus_total_words
        out["rss_peak_mib"] = C.peak_rss_mib()
        out["vocab"] = len(model.wv)
        if spec["quality"] and mode == "train":
            kv, gensim_wv = as_skw2v_vectors(model.wv), model.wv
    else:
        if mode == "train":
            from sklearn.utils.validation import check_is_fitted  # noqa: F401

            est = _skw2v_model(spec, seed)
            epoch_s = []
            est.set_params(callbacks=[lambda _, s: epoch_s.append(s.seconds)])
            t0 = time.perf_counter()
            est.fit(sentences)
            fit_s = time.perf_counter() - t0
            out["rss_peak_mib"] = C.peak_rss_mib()
            # vocabulary time, measured apart on the same input (after the fit)
            from skw2v._analyzer import check_corpus
            from skw2v._corpus import encode, read_corpus
            from skw2v._vocab import Vocabulary

            t0 = time.perf_counter()
            raw = read_corpus(check_corpus(sentences), est.build_analyzer())
            vocab = Vocabulary.from_counts(raw.words, raw.counts, est.min_count, est.max_vocab_size)
            enc = encode(raw, vocab.remap_table(raw.words), est.max_doc_len)
            vocab_s = time.perf_counter() - t0
            out["ids_mib"] = enc.ids.nbytes / 2**20
            del raw, vocab, enc
            out.update(vocab_s=vocab_s, fit_s=fit_s, train_s=fit_s - vocab_s,
                       epochs_sum_s=sum(epoch_s), effective_words=est.n_words_trained_)
        else:
            from skw2v import LineCorpus

            est = _skw2v_model(spec, seed, token_pattern=r"\S+", lowercase=False)
            t0 = time.perf_counter()
            est.fit(LineCorpus(path))
            out["total_s"] = time.perf_counter() - t0
            out["rss_peak_mib"] = C.peak_rss_mib()
            n_tokens = est.corpus_total_words_
        out["vocab"] = len(est.wv_)
        kv = est.wv_
    out["tokens"] = n_tokens
    seconds = out.get("train_s") if mode == "train" else out.get("total_s")
    out["words_per_s"] = n_tokens * epochs / seconds if seconds else None
    out["rss_delta_mib"] = out["rss_peak_mib"] - out["rss_base_mib"]
    if spec["quality"] and mode == "train":
        out["quality"] = _quality(kv, gensim_wv)
    C.emit(out)


# ====================================================================== parent
def settings_of(args, corpus):
    epochs = args.epochs if args.epochs is not None else (1 if corpus == "zipf" else 5)
    return dict(vector_size=args.vector_size, window=args.window, negative=args.negative,
                sample=args.sample, min_count=args.min_count, epochs=epochs,
                alpha=args.alpha, min_alpha=args.min_alpha)


def settings_str(s):
    return (f"d={s['vector_size']} w={s['window']} neg={s['negative']} sample={s['sample']:g} "
            f"min_count={s['min_count']} epochs={s['epochs']} alpha={s['alpha']:g} "
            f"min_alpha={s['min_alpha']:g}")


def run_one(args, corpus, system, mode, threads, seed, quality):
    spec = dict(settings_of(args, corpus), corpus=corpus, system=system, mode=mode,
                threads=threads, seed=seed, quality=quality, n_tokens=args.n_tokens)
    res = C.run_child([os.path.abspath(__file__), "--child", json.dumps(spec)], args.timeout)
    tag = f"{corpus} {mode} {system} threads={threads} seed={seed}"
    if "error" in res:
        print(f"[bench_cpu] {tag}: ERROR {res['error']}", file=sys.stderr, flush=True)
    else:
        wps = res.get("words_per_s")
        print(f"[bench_cpu] {tag}: {C.fmt(wps)} words/s, peak RSS {res['rss_peak_mib']:.0f} MiB",
              file=sys.stderr, flush=True)
    return res


def med(results, key, sub=None):
    vals = []
    for r in results:
        if "error" in r:
            continue
        v = r.get(sub, {}).get(key) if sub else r.get(key)
        if v is not None:
            vals.append(v)
    return C.median(vals)


def ratio(a, b):
    return a / b if a is not None and b else None


def build_parser():
    """The command line; its defaults are the benchmark settings (bench_seeds.py uses them)."""
    p = argparse.ArgumentParser(description="skw2v vs gensim CBOW-NS on the CPU")
    p.add_argument("--corpus", choices=[*corpora.TOKEN_CORPORA, "both"], default="both")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--zipf-repeats", type=int, default=None,
                   help="repeats for zipf (default: --repeats)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--scaling", default="1,2",
                   help="comma-separated thread counts for the scaling table ('' to skip)")
    p.add_argument("--scaling-repeats", type=int, default=1)
    p.add_argument("--no-e2e", action="store_true", help="skip the end-to-end-from-file runs")
    p.add_argument("--epochs", type=int, default=None, help="default: 5 (english/lee), 1 (zipf)")
    p.add_argument("--vector-size", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--sample", type=float, default=1e-3)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--alpha", type=float, default=0.025)
    p.add_argument("--min-alpha", type=float, default=1e-4)
    p.add_argument("--gensim-sanity", action="store_true",
                   help="gensim's test-suite settings: alpha 0.05, window 5, negative 15, "
                        "min_count 5, epochs 10, sample 0 (use with --corpus lee)")
    p.add_argument("--n-tokens", type=int, default=corpora.ZIPF_TOKENS, help="zipf corpus size")
    p.add_argument("--timeout", type=int, default=3600, help="seconds per child run")
    p.add_argument("--json", default=None, help="also write all raw results to this file")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    C.git_commit()  # the commit at the start of the run (others may commit meanwhile)
    if args.child:
        return child_main(json.loads(args.child))
    if args.gensim_sanity:
        args.alpha, args.window, args.negative, args.min_count, args.sample = 0.05, 5, 15, 5, 0.0
        args.epochs = 10 if args.epochs is None else args.epochs

    names = {"both": ["english", "zipf"]}.get(args.corpus, [args.corpus])
    scaling = [int(t) for t in args.scaling.split(",") if t.strip()]
    systems = ("gensim", "skw2v")
    all_results = {}
    sizes = {}
    for corpus in names:  # prepare caches once, outside the timed children
        path = corpora.token_file(corpus, args.n_tokens)
        sizes[corpus] = corpora.file_stats(path, args.min_count)  # streamed: keep the parent small
        sizes[corpus]["path"] = os.path.relpath(path, C.ROOT)
    for corpus in names:
        repeats = args.zipf_repeats if (corpus == "zipf" and args.zipf_repeats) else args.repeats
        quality = corpus != "zipf"
        res = all_results[corpus] = {"train": {s: [] for s in systems},
                                     "e2e": {s: [] for s in systems},
                                     "scaling": {}}
        for rep in range(repeats):
            order = systems if rep % 2 == 0 else systems[::-1]
            for system in order:
                res["train"][system].append(
                    run_one(args, corpus, system, "train", args.threads, rep, quality))
            if not args.no_e2e:
                for system in order:
                    res["e2e"][system].append(
                        run_one(args, corpus, system, "e2e", args.threads, rep, False))
        for t in scaling:
            res["scaling"][t] = {}
            for system in systems:
                if t == args.threads:
                    res["scaling"][t][system] = res["train"][system]
                    continue
                res["scaling"][t][system] = [
                    run_one(args, corpus, system, "train", t, 100 + r, False)
                    for r in range(args.scaling_repeats)]

    lines = report(args, names, sizes, all_results)
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": run_meta(args, names, argv), "sizes": sizes, "results": all_results},
                      f, indent=1, default=str)


def run_meta(args, names, argv=None):
    """What the JSON needs to be quoted alone: commit, machine, versions, command, settings."""
    argv = sys.argv[1:] if argv is None else argv
    script = os.path.relpath(os.path.abspath(__file__), C.ROOT)
    cmd = " ".join(shlex.quote(a) for a in [script] + list(argv))
    machine = f"{C.cpu_model()}, {C.n_cores()} cores, {C.mem_total_gib():.0f} GiB RAM, no GPU used"
    return {"commit": C.git_commit(), "date": time.strftime("%Y-%m-%d"), "machine": machine,
            "cpu_model": C.cpu_model(), "cores": C.n_cores(), "gpu": None,
            "versions": C.versions(), "command": f"python {cmd}", "threads": args.threads,
            "settings": {c: settings_of(args, c) for c in names}}


def report(args, names, sizes, all_results):
    lines = C.header("CPU training: skw2v CBOWVectorizer vs gensim Word2Vec (CBOW, negative sampling)")
    lines += ["Corpora (tokens as both systems receive them):", ""]
    lines += C.table(["corpus", "file", "docs", "tokens", f"vocab (min_count {args.min_count})"],
                     [[c, f"`{s['path']}`", f"{s['docs']:,}", f"{s['tokens']:,}",
                       f"{s[f'vocab_min_count_{args.min_count}']:,}"] for c, s in sizes.items()])
    lines += [""]

    rows, e2e_rows, qrows, srows, errors = [], [], [], [], []
    for corpus in names:
        res = all_results[corpus]
        st = settings_str(settings_of(args, corpus))
        g, s = res["train"]["gensim"], res["train"]["skw2v"]
        n = sum("error" not in r for r in g + s)
        gw, sw = med(g, "words_per_s"), med(s, "words_per_s")
        rows.append([corpus, st, args.threads, f"{n // 2}",
                     C.fmt(gw), C.fmt(sw), C.fmt(ratio(sw, gw), ".2f"),
                     C.fmt(med(g, "vocab_s"), ".2f"), C.fmt(med(s, "vocab_s"), ".2f"),
                     C.fmt(med(g, "rss_peak_mib")) + " / +" + C.fmt(med(g, "rss_delta_mib")),
                     C.fmt(med(s, "rss_peak_mib")) + " / +" + C.fmt(med(s, "rss_delta_mib")),
                     C.fmt(med(s, "ids_mib"), ".1f"),
                     C.fmt(med(g, "warmup_s"), ".2f") + " / " + C.fmt(med(s, "warmup_s"), ".2f"),
                     C.fmt(med(g, "effective_words")) + " / " + C.fmt(med(s, "effective_words"))])
        ge, se = res["e2e"]["gensim"], res["e2e"]["skw2v"]
        if ge or se:
            gw, sw = med(ge, "words_per_s"), med(se, "words_per_s")
            e2e_rows.append([corpus, st, args.threads,
                             f"{sum('error' not in r for r in ge + se) // 2}",
                             C.fmt(med(ge, "total_s"), ".2f"), C.fmt(med(se, "total_s"), ".2f"),
                             C.fmt(gw), C.fmt(sw), C.fmt(ratio(sw, gw), ".2f"),
                             C.fmt(med(ge, "rss_peak_mib")) + " / +" + C.fmt(med(ge, "rss_delta_mib")),
                             C.fmt(med(se, "rss_peak_mib")) + " / +" + C.fmt(med(se, "rss_delta_mib"))])
        if corpus != "zipf":
            for system, rr in (("gensim", g), ("skw2v", s)):
                qrows.append([corpus, system, C.fmt(med(rr, "vocab"), ",.0f"),
                              C.fmt(med(rr, "analogy", "quality"), ".4f")
                              + f" (n={C.fmt(med(rr, 'analogy_n', 'quality'), '.0f')})",
                              C.fmt(med(rr, "analogy_gensim_fn", "quality"), ".4f"),
                              C.fmt(med(rr, "ws353", "quality"), ".4f"),
                              C.fmt(med(rr, "simlex", "quality"), ".4f"),
                              C.fmt(med(rr, "bombings_rank", "quality"), ".0f", "not in top 50")])
        base = {}
        for t, by_sys in sorted(res["scaling"].items()):
            gw, sw = med(by_sys["gensim"], "words_per_s"), med(by_sys["skw2v"], "words_per_s")
            base.setdefault("g", gw)
            base.setdefault("s", sw)
            srows.append([corpus, t, C.fmt(gw), C.fmt(sw), C.fmt(ratio(sw, gw), ".2f"),
                          C.fmt(ratio(gw, base["g"]), ".2f"), C.fmt(ratio(sw, base["s"]), ".2f")])
        for kind in ("train", "e2e"):
            for system in ("gensim", "skw2v"):
                errors += [f"{corpus} {kind} {system}: {r['error']}"
                           for r in res[kind][system] if "error" in r]

    lines += ["Training apart from vocabulary (token lists in memory; medians over repeats; "
              "words/s = corpus tokens x epochs / training s; RSS = child's peak (VmHWM) / increase over "
              "its RSS after imports + warm-up + corpus loading):", ""]
    lines += C.table(["corpus", "settings", "threads", "repeats", "gensim words/s", "skw2v words/s",
                      "skw2v/gensim", "gensim vocab s", "skw2v vocab s",
                      "gensim peak RSS MiB", "skw2v peak RSS MiB", "skw2v ids MiB",
                      "warm-up s (g / s)", "words trained after subsampling (g / s)"], rows)
    if e2e_rows:
        lines += ["", "End to end from the text file (gensim `Word2Vec(sentences=LineSentence(path))`"
                  " vs skw2v `fit(LineCorpus(path))`, token_pattern `\\S+`, lowercase=False; "
                  "words/s = tokens x epochs / total s):", ""]
        lines += C.table(["corpus", "settings", "threads", "repeats", "gensim s", "skw2v s",
                          "gensim words/s", "skw2v words/s", "skw2v/gensim",
                          "gensim peak RSS MiB", "skw2v peak RSS MiB"], e2e_rows)
    if qrows:
        lines += ["", f"Quality (medians; both evaluated with skw2v's functions, analogies "
                  f"restrict_vocab={EVAL_RESTRICT} on questions-words.txt, Spearman on "
                  "wordsim353.tsv / simlex999.txt; 'gensim fn' = gensim's own "
                  "evaluate_word_analogies on gensim's vectors, as a check):", ""]
        lines += C.table(["corpus", "system", "vocab", "analogy acc", "analogy (gensim fn)",
                          "WS353 ρ", "SimLex ρ", "rank of 'bombings' for 'attacks'"], qrows)
    if srows:
        lines += ["", "Thread scaling (training words/s, token lists in memory):", ""]
        lines += C.table(["corpus", "threads", "gensim words/s", "skw2v words/s", "skw2v/gensim",
                          "gensim speed-up", "skw2v speed-up"], srows)
    if errors:
        lines += ["", "Errors:", ""] + [f"- {e}" for e in errors]
    return lines


if __name__ == "__main__":
    main()
