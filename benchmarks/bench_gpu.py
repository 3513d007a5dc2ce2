"""GPU training speed and quality: solver="minibatch" on a device vs hogwild (CPU) and gensim.

    python benchmarks/bench_gpu.py                      # GPU machine, text8-sized corpus
    python benchmarks/bench_gpu.py --device cpu --n-tokens 200000 --epochs 1   # CPU smoke run

Speed: training words/s (corpus tokens x epochs / training seconds, the
vocabulary and encoding excluded: skw2v's seconds are the sum of its
per-epoch EpochStats, gensim's are ``train()``) on the text8-shaped
synthetic corpus ``skw2v.datasets.make_zipf_corpus``. Quality: the same
three systems on gensim's ``lee_background.cor`` with gensim's own sanity
settings (alpha 0.05, window 5, negative 15, min_count 5, epochs 10,
sample 0), scored with WordSim353 / SimLex-999 Spearman, analogy accuracy
(questions-words.txt) and the rank of "bombings" among the neighbours of
"attacks". Prints markdown tables.
"""

import argparse
import os
import platform
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from skw2v import CBOWVectorizer, evaluate_word_analogies, evaluate_word_pairs  # noqa: E402
from skw2v.datasets import make_zipf_corpus  # noqa: E402

from corpora import gensim_test_data  # noqa: E402  (benchmarks/ is on the path as the script's folder)

QUALITY = dict(alpha=0.05, window=5, negative=15, min_count=5, epochs=10, sample=0)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="gpu", help="device of the minibatch solver")
    p.add_argument("--n-tokens", type=int, default=17_000_000)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", default="auto")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--no-gensim", action="store_true")
    p.add_argument("--no-quality", action="store_true")
    return p.parse_args(argv)


def device_name(device):
    if device == "cpu":
        return f"CPU ({platform.processor() or platform.machine()})"
    import cupy

    index = 0 if device in ("gpu", "auto") else int(device.split(":")[1])
    return cupy.cuda.runtime.getDeviceProperties(index)["name"].decode()


def skw2v_fit(docs, **params):
    """Fit; return ``(model, training seconds)``."""
    epochs = []
    vec = CBOWVectorizer(callbacks=[lambda owner, stats: epochs.append(stats)], **params)
    vec.fit(docs)
    return vec, sum(s.seconds for s in epochs)


def gensim_fit(docs, threads, **params):
    from gensim.models import Word2Vec

    model = Word2Vec(vector_size=params.get("vector_size", 100), window=params["window"],
                     negative=params["negative"], sample=params["sample"], hs=0, sg=0,
                     cbow_mean=1, min_count=params["min_count"], alpha=params["alpha"],
                     workers=threads, seed=1)
    model.build_vocab(docs)
    start = time.perf_counter()
    model.train(docs, total_examples=model.corpus_count, epochs=params["epochs"])
    return model, time.perf_counter() - start


def systems(args):
    common = dict(random_state=0)
    out = [("skw2v minibatch " + args.device,
            dict(solver="minibatch", device=args.device, batch_size=_batch(args.batch_size),
                 **common)),
           (f"skw2v hogwild cpu x{args.threads}", dict(solver="hogwild", n_jobs=args.threads,
                                                        **common))]
    if not args.no_gensim and _has_gensim():
        out.append((f"gensim 4 cpu x{args.threads}", None))
    return out


def _batch(value):
    return value if value == "auto" else int(value)


def _has_gensim():
    try:
        import gensim  # noqa: F401
    except ImportError:
        return False
    return True


def speed(args):
    docs = make_zipf_corpus(args.n_tokens, random_state=0)
    params = dict(window=5, negative=5, sample=1e-3, min_count=5, alpha=0.025,
                  epochs=args.epochs)
    rows = []
    for name, extra in systems(args):
        rates = []
        for _ in range(args.repeats):
            if extra is None:
                _, seconds = gensim_fit(docs, args.threads, **params)
            else:
                _, seconds = skw2v_fit(docs, **params, **extra)
            rates.append(args.n_tokens * args.epochs / seconds)
        rows.append((name, float(np.median(rates))))
    base = dict(rows)[f"skw2v hogwild cpu x{args.threads}"]
    print(f"\n### Training speed: make_zipf_corpus({args.n_tokens:,}), {args.epochs} epochs, "
          f"window 5, negative 5, sample 1e-3, dim 100\n")
    print("| system | words/s (median of %d) | vs hogwild |" % args.repeats)
    print("| --- | ---: | ---: |")
    for name, rate in rows:
        print(f"| {name} | {rate:,.0f} | {rate / base:.2f}x |")


def quality_scores(wv, most_similar):
    ws = evaluate_word_pairs(wv, gensim_test_data("wordsim353.tsv"))[1][0]
    sl = evaluate_word_pairs(wv, gensim_test_data("simlex999.txt"))[1][0]
    analogy = evaluate_word_analogies(wv, gensim_test_data("questions-words.txt"))[0]
    near = [w for w, _ in most_similar("attacks", topn=100)]
    rank = near.index("bombings") + 1 if "bombings" in near else None
    return ws, sl, analogy, rank


def quality(args):
    if not _has_gensim():
        print("\n(quality skipped: gensim's test data is not installed)")
        return
    from skw2v import KeyedVectors

    with open(gensim_test_data("lee_background.cor"), encoding="utf-8") as f:
        docs = f.read().splitlines()
    print("\n### Quality: lee_background.cor, gensim's sanity settings (10 epochs)\n")
    print("| system | WS353 ρ | SimLex ρ | analogy acc | rank of bombings for attacks | train s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, extra in systems(args):
        if extra is None:
            tokens = [CBOWVectorizer().build_analyzer()(d) for d in docs]
            model, seconds = gensim_fit(tokens, args.threads, **QUALITY)
            wv = KeyedVectors(model.wv.index_to_key, model.wv.vectors)
            scores = quality_scores(wv, wv.most_similar)
        else:
            vec, seconds = skw2v_fit(docs, **QUALITY, **extra)
            scores = quality_scores(vec.wv_, vec.most_similar)
        ws, sl, analogy, rank = scores
        print(f"| {name} | {ws:.3f} | {sl:.3f} | {analogy:.3f} | {rank} | {seconds:.2f} |")


def main(argv=None):
    args = parse_args(argv)
    print(f"## bench_gpu: device {args.device} = {device_name(args.device)}; "
          f"{args.threads} CPU threads; numpy {np.__version__}")
    speed(args)
    if not args.no_quality:
        quality(args)


if __name__ == "__main__":
    main()
