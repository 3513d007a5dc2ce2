"""Phrases: skw2v.Phrases vs gensim's Phrases, fit and transform on the same token lists.

One command, one markdown report (copy-paste into RESULTS.md):

    python benchmarks/bench_phrases.py --repeats 3

* corpus: the benchmark English corpus (``corpora.py``, ~2.3M tokens), one document per
  line, split at whitespace; both libraries get the same token lists, already in memory.
* settings: gensim's defaults (min_count=5, threshold=10, "default" scorer) and
  ENGLISH_CONNECTOR_WORDS with the "npmi" scorer (threshold 0.5); ``--passes 2`` adds two
  passes (gensim: a second Phrases over the first one's output).
* fit: gensim ``Phrases(docs)``, ours ``Phrases().fit(docs)``; transform: every document,
  gensim ``[phrases[doc] for doc in docs]`` with the ``Phrases`` and with its
  ``freeze()``d ``FrozenPhrases`` (its faster form; freezing is timed with it), ours
  ``transform(docs)``; "fit + transform" adds them (ours also reads once in ``fit_transform``).
  Times are medians of ``--repeats`` runs, one process, one thread (neither library
  uses more).
* same: phrases found by both / by either, and the share of documents transformed
  identically (a token that holds the delimiter can make gensim count it with the pair it
  spells: the only difference, see the user guide).
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402
import corpora  # noqa: E402


def timed(fn, repeats):
    """(median seconds, last result) of ``repeats`` calls."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def gensim_run(docs, kw, passes, repeats):
    from gensim.models.phrases import Phrases

    def fit():
        models, data = [], docs
        for p in range(passes):
            models.append(Phrases(data, **kw))
            if p + 1 < passes:
                data = [models[-1][doc] for doc in data]
        return models

    def apply(models, docs):
        out = docs
        for m in models:
            out = [m[doc] for doc in out]
        return out

    fit_s, models = timed(fit, repeats)
    transform_s, out = timed(lambda: apply(models, docs), repeats)
    frozen_s, frozen_out = timed(lambda: apply([m.freeze() for m in models], docs), repeats)
    assert frozen_out == out
    return fit_s, transform_s, frozen_s, models[-1].export_phrases(), out


def skw2v_run(docs, kw, passes, repeats):
    import skw2v

    model = skw2v.Phrases(passes=passes, **kw)
    fit_s, _ = timed(lambda: model.fit(docs), repeats)
    transform_s, out = timed(lambda: model.transform(docs), repeats)
    once_s, once = timed(lambda: skw2v.Phrases(passes=passes, **kw).fit_transform(docs),
                         repeats)
    assert once == out
    return fit_s, transform_s, once_s, model.passes_[-1].phrases(), out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--passes", type=int, default=1)
    args = p.parse_args(argv)

    from gensim.models.phrases import ENGLISH_CONNECTOR_WORDS

    import skw2v

    with open(corpora.prepare_english(), encoding="utf-8") as f:
        docs = [line.split() for line in f]
    n_tokens = sum(map(len, docs))
    skw2v.Phrases().fit(docs[:100])  # numba's cache loaded before timing
    settings = {"defaults": {},
                "connectors, npmi 0.5": dict(connector_words=ENGLISH_CONNECTOR_WORDS,
                                             scoring="npmi", threshold=0.5)}
    rows = []
    for name, kw in settings.items():
        ours_kw = dict(kw)
        if "connector_words" in ours_kw:
            ours_kw["connector_words"] = sorted(ours_kw["connector_words"])
        g_fit, g_tr, g_frozen, g_phrases, g_out = gensim_run(docs, kw, args.passes,
                                                             args.repeats)
        s_fit, s_tr, s_once, s_phrases, s_out = skw2v_run(docs, ours_kw, args.passes,
                                                          args.repeats)
        g_total, s_total = g_fit + g_tr, s_fit + s_tr
        same_docs = sum(a == b for a, b in zip(g_out, s_out)) / len(docs)
        common = len(set(g_phrases) & set(s_phrases))
        either = len(set(g_phrases) | set(s_phrases))
        rows.append([name, "gensim Phrases", C.fmt(g_fit, ".2f"), C.fmt(g_tr, ".2f"),
                     C.fmt(g_total, ".2f"), C.fmt(n_tokens / g_total), "1.0x", "—", "—"])
        rows.append([name, "gensim FrozenPhrases (transform)", "—", C.fmt(g_frozen, ".2f"),
                     C.fmt(g_fit + g_frozen, ".2f"), C.fmt(n_tokens / (g_fit + g_frozen)),
                     f"{g_total / (g_fit + g_frozen):.1f}x", "—", "—"])
        rows.append([name, "skw2v Phrases", C.fmt(s_fit, ".2f"), C.fmt(s_tr, ".2f"),
                     C.fmt(s_total, ".2f"), C.fmt(n_tokens / s_total),
                     f"**{g_total / s_total:.1f}x**", f"{common:,} / {either:,}",
                     f"{same_docs:.4%}"])
        rows.append([name, "skw2v fit_transform (reads once)", "—", "—",
                     C.fmt(s_once, ".2f"), C.fmt(n_tokens / s_once),
                     f"{g_total / s_once:.1f}x", "—", "—"])
        print(f"# {name}: gensim {g_fit:.2f} + {g_tr:.2f} s, skw2v {s_fit:.2f} + {s_tr:.2f} s",
              file=sys.stderr, flush=True)
    print("\n".join(C.header(f"Phrases, english ({n_tokens:,} tokens, {len(docs):,} "
                             f"documents, passes={args.passes})")))
    print("\n".join(C.table(["settings", "system", "fit s", "transform s",
                             "fit + transform s", "tokens/s", "speed vs gensim",
                             "same phrases (both / either)", "same documents"], rows)))


if __name__ == "__main__":
    main()
