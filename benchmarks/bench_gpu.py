"""GPU training speed and quality: GPU hogwild and minibatch vs CPU hogwild and gensim (CBOW-NS).

One command, one markdown report (commit, GPU name from CuPy's device
properties, versions, command, then a table per corpus):

    python benchmarks/bench_gpu.py                                  # GPU machine, everything
    python benchmarks/bench_gpu.py --device cpu --n-tokens 200000 --epochs 1   # CPU smoke run
    python benchmarks/bench_gpu.py --reference 1,1024 --corpora english --systems reference,cpu

Systems (``--systems``, a comma list of these keys):

* ``gpu``: ``CBOWVectorizer(device="gpu")``, the GPU hogwild engine (CUDA kernel);
* ``sgd`` / ``adam``: ``solver="minibatch"`` with ``optimizer="sgd"`` / ``"adam"`` (CuPy;
  on numpy when no GPU is used; Adam with ``--adam-alpha``);
* ``cpu``: CPU hogwild on ``--threads`` threads; ``gensim``: gensim 4 ``Word2Vec(sg=0,
  cbow_mean=1, hs=0)`` with the same settings and ``workers=--threads``;
* ``reference``: one row per ``--reference`` concurrency N: the GPU hogwild engine's numba
  CPU reference with N segments in lockstep, the CPU's stand-in for N warps in flight. Its
  quality is what the kernel gets at that concurrency; its speed is one CPU thread's.

Corpora (``--corpora``): ``zipf``, the text8-shaped synthetic corpus
``skw2v.datasets.make_zipf_corpus(--n-tokens, random_state=0)`` (speed only: it has no real
words), and ``english``, ``benchmarks/data/english.txt`` (``python benchmarks/corpora.py
--corpus english``), scored with analogy accuracy (questions-words.txt, restrict_vocab 30000),
WS353 and SimLex-999 Spearman from ``--eval-dir``. Both systems get the same token lists.
Settings: d 100, window 5, negative 5, sample 1e-3, min_count 5, alpha 0.025, min_alpha 1e-4.

Speed: words/s = corpus tokens (as read) x epochs / training seconds. skw2v's training
seconds are its per-epoch ``EpochStats.seconds`` summed (vocabulary, encoding and the
copies of the weights to and from the device excluded); gensim's are ``train()``. "fit s"
is the whole fit, end to end from the token lists (gensim: ``build_vocab`` + ``train``).
Each skw2v system first fits a tiny corpus (JIT compilation, CuPy kernels) outside the
timings. Runs alternate system by system, ``--repeats`` times: speed is the fastest run,
quality the median over the runs.

Without CuPy and a GPU the ``gpu`` row is skipped and the minibatch rows run on numpy,
unless ``NUMBA_ENABLE_CUDASIM=1`` is set: then the ``gpu`` row runs the kernel in numba's
CUDA simulator (correct, very slow: its speed means nothing; use tiny ``--n-tokens``).
"""

import argparse
import contextlib
import functools
import os
import shlex
import statistics
import sys
import time
from typing import NamedTuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402  (also puts the repo root on sys.path)
import corpora  # noqa: E402
from bench_cpu import EVAL_RESTRICT  # noqa: E402

SETTINGS = dict(vector_size=100, window=5, negative=5, sample=1e-3, min_count=5, alpha=0.025,
                min_alpha=1e-4)
SYSTEM_KEYS = ("gpu", "sgd", "adam", "cpu", "gensim", "reference")
QUALITY = ("analogy", "ws353", "simlex")
EVAL_FILES = dict(zip(QUALITY, corpora.EVAL_FILES))  # questions-words, wordsim353, simlex999


class System(NamedTuple):
    key: str
    label: str
    device: str  # what the row's "device" column says
    kind: str  # "skw2v", "gensim" or "reference"
    params: dict  # CBOWVectorizer keywords (the concurrency for "reference")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="gpu", help="gpu, cuda:N, or cpu (no GPU rows)")
    p.add_argument("--corpora", default="zipf,english", help="comma list: zipf,english")
    p.add_argument("--n-tokens", type=int, default=corpora.ZIPF_TOKENS, help="zipf size")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--threads", type=int, default=C.n_cores(), help="CPU hogwild and gensim")
    p.add_argument("--repeats", type=int, default=1, help="speed: fastest of the runs")
    p.add_argument("--systems", default=",".join(SYSTEM_KEYS),
                   help="comma list of " + ",".join(SYSTEM_KEYS))
    p.add_argument("--reference", default="", metavar="N[,N...]",
                   help="rows of the GPU engine's CPU reference at these concurrencies")
    p.add_argument("--batch-size", default="auto", help="minibatch batch_size")
    p.add_argument("--adam-alpha", type=float, default=0.005)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-dir", default=None, help="questions-words.txt, wordsim353.tsv, "
                   "simlex999.txt (default: gensim's test_data, else benchmarks/data/eval)")
    p.add_argument("--no-gensim", action="store_true")
    p.add_argument("--no-quality", action="store_true")
    return p.parse_args(argv)


def _csv(text):
    return [item.strip() for item in text.split(",") if item.strip()]


def log(message):
    print(f"[bench_gpu] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ device, versions
def simulated():
    from skw2v._device import cuda_simulated

    return cuda_simulated()


def gpu_device(args, notes):
    """The device string of the GPU rows, or None (with a note) when there is none."""
    from skw2v._device import gpu_available

    if simulated():
        notes.append("NUMBA_ENABLE_CUDASIM=1: the GPU rows run in numba's CUDA simulator on "
                     "numpy; their speed is meaningless.")
        return "gpu" if args.device == "cpu" else args.device
    if args.device != "cpu" and gpu_available():
        return args.device
    if set(_csv(args.systems)) & {"gpu", "sgd", "adam"}:
        why = "--device cpu" if args.device == "cpu" else "no CuPy or no CUDA device visible"
        notes.append(f"No GPU used ({why}): GPU hogwild skipped, minibatch rows on numpy.")
    return None


def device_description(device):
    """CuPy's device properties of ``device`` in words."""
    if device is None:
        return "none"
    if simulated():
        return "numba CUDA simulator (NUMBA_ENABLE_CUDASIM=1), no GPU"
    import cupy
    from skw2v._device import parse_device

    index = parse_device(device)[1]
    p = cupy.cuda.runtime.getDeviceProperties(index)
    return (f"{p['name'].decode()} (CUDA device {index}, {p['totalGlobalMem'] / 2**30:.0f} GiB, "
            f"{p['multiProcessorCount']} SMs, compute capability {p['major']}.{p['minor']}; "
            f"CUDA driver {cupy.cuda.runtime.driverGetVersion()})")


def device_column(device):
    """The GPU's name for the tables' device column."""
    if simulated():
        return "CUDA simulator"
    import cupy
    from skw2v._device import parse_device

    return cupy.cuda.runtime.getDeviceProperties(parse_device(device)[1])["name"].decode()


def versions():
    """The common versions plus CuPy and numba-cuda, as skw2v.show_versions() finds them."""
    from skw2v._show_versions import _get_versions_info

    found = _get_versions_info()["dependencies"]
    return {**C.versions(), **{name: found[name] or "n/a" for name in ("cupy", "numba-cuda")}}


def has_gensim():
    try:
        import gensim  # noqa: F401
    except ImportError:
        return False
    return True


# ------------------------------------------------------------------ systems
def build_systems(args, gpu, notes):
    """The rows asked for by --systems, in SYSTEM_KEYS order (minus what cannot run)."""
    keys = _csv(args.systems)
    unknown = set(keys) - set(SYSTEM_KEYS)
    if unknown:
        raise SystemExit(f"unknown --systems {sorted(unknown)}; choose from {SYSTEM_KEYS}")
    out = []
    for key in SYSTEM_KEYS:
        if key in keys:
            out += _systems_of(key, args, gpu, notes)
    return out


def _systems_of(key, args, gpu, notes):
    seed = dict(random_state=args.seed)
    mb_device, mb_name = (gpu, "GPU") if gpu else ("cpu", "numpy")
    column = device_column(gpu) if gpu else "numpy (CPU)"
    batch = args.batch_size if args.batch_size == "auto" else int(args.batch_size)
    if key == "gpu":
        if gpu is None:
            return []
        return [System(key, "GPU hogwild", column, "skw2v", dict(device=gpu, **seed))]
    if key in ("sgd", "adam"):
        extra = dict(alpha=args.adam_alpha) if key == "adam" else {}
        return [System(key, f"{mb_name} minibatch ({key})", column, "skw2v",
                       dict(solver="minibatch", optimizer=key, device=mb_device,
                            batch_size=batch, **extra, **seed))]
    if key == "cpu":
        return [System(key, "CPU hogwild", f"CPU x{args.threads}", "skw2v",
                       dict(device="cpu", n_jobs=args.threads, **seed))]
    if key == "gensim":
        return _gensim_system(args, notes)
    return [System(key, f"GPU hogwild, CPU reference, {n} segments in flight", "CPU x1",
                   "reference", dict(concurrency=n)) for n in map(int, _csv(args.reference))]


def _gensim_system(args, notes):
    if args.no_gensim:
        return []
    if not has_gensim():
        notes.append("gensim is not installed: gensim rows skipped.")
        return []
    return [System("gensim", "gensim 4", f"CPU x{args.threads}", "gensim", {})]


@contextlib.contextmanager
def reference_engine(concurrency):
    """Make CBOWVectorizer(device="gpu") train with the GPU engine's CPU reference (numpy)."""
    import numpy as np
    import skw2v._vectorizer as vectorizer
    from skw2v._engines.cuda import CudaHogwildEngine

    real_engine, real_resolve = vectorizer.engine_class, vectorizer.resolve_device
    reference = functools.partial(CudaHogwildEngine, concurrency=concurrency, reference=True)
    vectorizer.engine_class = lambda solver, gpu=False: (
        reference if gpu else real_engine(solver, gpu))
    vectorizer.resolve_device = lambda device: (
        (np, 0) if device != "cpu" else real_resolve(device))
    try:
        yield
    finally:
        vectorizer.engine_class, vectorizer.resolve_device = real_engine, real_resolve


# ------------------------------------------------------------------ fitting
def skw2v_fit(docs, epochs, **params):
    """Fit CBOWVectorizer; return ``(model, training seconds, fit seconds)``."""
    from skw2v import CBOWVectorizer

    stats = []
    vec = CBOWVectorizer(**{**SETTINGS, **params}, epochs=epochs,
                         callbacks=[lambda owner, s: stats.append(s)])
    start = time.perf_counter()
    vec.fit(docs)
    return vec, sum(s.seconds for s in stats), time.perf_counter() - start


def gensim_fit(docs, epochs, threads, seed):
    """Fit gensim's Word2Vec; return ``(KeyedVectors, train() seconds, fit seconds)``."""
    from gensim.models import Word2Vec
    from skw2v import KeyedVectors

    s = SETTINGS
    model = Word2Vec(sg=0, cbow_mean=1, hs=0, vector_size=s["vector_size"], window=s["window"],
                     negative=s["negative"], sample=s["sample"], min_count=s["min_count"],
                     alpha=s["alpha"], min_alpha=s["min_alpha"], workers=threads, seed=seed)
    start = time.perf_counter()
    model.build_vocab(docs)
    trained = time.perf_counter()
    model.train(docs, total_examples=model.corpus_count, epochs=epochs)
    end = time.perf_counter()
    return KeyedVectors(model.wv.index_to_key, model.wv.vectors), end - trained, end - start


def fit(system, docs, args):
    """``(KeyedVectors, training seconds, fit seconds)`` of one run of ``system``."""
    if system.kind == "gensim":
        return gensim_fit(docs, args.epochs, args.threads, args.seed)
    if system.kind == "reference":
        with reference_engine(system.params["concurrency"]):
            vec, train_s, fit_s = skw2v_fit(docs, args.epochs, device="gpu",
                                            random_state=args.seed)
    else:
        vec, train_s, fit_s = skw2v_fit(docs, args.epochs, **system.params)
    return vec.wv_, train_s, fit_s


def warm_up(systems, args):
    """A tiny fit per skw2v system: numba JIT / cache loads, CuPy and CUDA kernels.

    Not for the simulated GPU row: the simulator compiles nothing, and is slow."""
    tiny = [[f"w{(i * 7 + j) % 50}" for j in range(100)] for i in range(50)]
    for system in systems:
        if system.kind != "gensim" and not (simulated() and system.key == "gpu"):
            start = time.perf_counter()
            fit(system, tiny, argparse.Namespace(**{**vars(args), "epochs": 1}))
            log(f"warm-up {system.label}: {time.perf_counter() - start:.1f} s")


# ------------------------------------------------------------------ quality
def default_eval_dir():
    if has_gensim():
        return corpora.gensim_test_data()
    return corpora.eval_dir()


def eval_paths(args, notes):
    """The evaluation files' paths, or None (with a note) when one is missing."""
    directory = args.eval_dir or default_eval_dir()
    paths = {k: os.path.join(directory, name) for k, name in EVAL_FILES.items()}
    missing = [p for p in paths.values() if not os.path.isfile(p)]
    if missing:
        notes.append(f"Evaluation files missing ({', '.join(map(shown_path, missing))}): no "
                     "quality. Fill benchmarks/data/eval/ with `python benchmarks/corpora.py "
                     "--eval-files` on a machine with gensim, or pass --eval-dir.")
        return None
    return paths


def quality(kv, paths):
    from skw2v import evaluate_word_analogies, evaluate_word_pairs

    return {"analogy": evaluate_word_analogies(kv, paths["analogy"],
                                               restrict_vocab=EVAL_RESTRICT)[0],
            "ws353": evaluate_word_pairs(kv, paths["ws353"])[1][0],
            "simlex": evaluate_word_pairs(kv, paths["simlex"])[1][0]}


# ------------------------------------------------------------------ corpora
def load_corpora(args, notes):
    """``[(name, token lists, scored)]`` for the corpora asked for and present."""
    out = []
    for name in _csv(args.corpora):
        if name == "zipf":
            log(f"generating make_zipf_corpus({args.n_tokens:,})")
            out.append((f"zipf: make_zipf_corpus({args.n_tokens:,}, random_state=0)",
                        corpora.zipf_corpus(args.n_tokens), False))
        elif name == "english":
            out += _english(notes)
        else:
            raise SystemExit(f"unknown corpus {name!r}; choose from zipf, english")
    return out


def _english(notes):
    path = corpora.english_path()
    if not os.path.isfile(path):
        notes.append(f"{shown_path(path)} is missing: build it with `python "
                     "benchmarks/corpora.py --corpus english` (needs gensim, Debian's "
                     "wordnet-base and bible-kjv) or copy it from a machine that has it; "
                     "going on without the english corpus.")
        return []
    return [(f"english: {shown_path(path)}", corpora.load_token_lists(path), True)]


# ------------------------------------------------------------------ measuring
def measure(systems, docs, paths, args):
    """Runs alternating system by system; ``{label: [(train s, fit s, quality, n words)]}``."""
    runs = {s.label: [] for s in systems}
    diverged = set()
    for repeat in range(args.repeats):
        for system in systems:
            if system.label in diverged:
                continue
            try:
                kv, train_s, fit_s = fit(system, docs, args)
            except FloatingPointError as err:  # a result too: e.g. too many segments in flight
                log(f"run {repeat + 1}/{args.repeats} {system.label}: diverged ({err})")
                diverged.add(system.label)
                continue
            scores = quality(kv, paths) if paths else {}
            runs[system.label].append((train_s, fit_s, scores, len(kv)))
            log(f"run {repeat + 1}/{args.repeats} {system.label}: train {train_s:.2f} s, "
                f"fit {fit_s:.2f} s" + "".join(f", {k} {v:.4f}" for k, v in scores.items()))
    return runs


def summarize(runs, n_tokens, epochs):
    """Per system: words/s (fastest run), fastest train and fit s, median quality, vocab."""
    out = {}
    for label, results in runs.items():
        if not results:
            out[label] = {"diverged": True}
            continue
        train_s = min(r[0] for r in results)
        out[label] = {"train_s": train_s, "fit_s": min(r[1] for r in results),
                      "words_per_s": n_tokens * epochs / max(train_s, 1e-9), "vocab": results[0][3],
                      **{k: statistics.median(r[2][k] for r in results)
                         for k in QUALITY if results[0][2]}}
    return out


def corpus_table(title, systems, summary, n_tokens, scored):
    base = summary.get("CPU hogwild", {}).get("words_per_s")
    columns = ["system", "device", "train s", "fit s", "words/s", "vs CPU hogwild"]
    columns += ["analogy acc", "WS353 ρ", "SimLex ρ"] if scored else []
    rows = []
    for s in systems:
        r = summary[s.label]
        if r.get("diverged"):
            rows.append([s.label, s.device, "diverged", "", "", ""] + (["—"] * 3 if scored else []))
            continue
        ratio = f"{r['words_per_s'] / base:.2f}x" if base else "—"
        row = [s.label, s.device, f"{r['train_s']:.2f}", f"{r['fit_s']:.2f}",
               f"{r['words_per_s']:,.0f}", ratio]
        rows.append(row + ([C.fmt(r.get(k), ".4f") for k in QUALITY] if scored else []))
    vocab = max((r.get("vocab", 0) for r in summary.values()), default=0)
    return [f"#### {title}: {n_tokens:,} tokens, vocabulary {vocab:,} at min_count 5", "",
            *C.table(columns, rows), ""]


# ------------------------------------------------------------------ report
def header(args, gpu, paths):
    cmd = " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0], C.ROOT)] + sys.argv[1:])
    from skw2v._engines.cuda import CONCURRENCY

    return [
        "### bench_gpu: GPU hogwild and minibatch vs CPU hogwild and gensim (CBOW-NS)", "",
        f"- commit: `{C.git_commit()}`",
        f"- GPU: {device_description(gpu)}",
        f"- CPU: {C.cpu_model()}, {C.n_cores()} cores, {C.mem_total_gib():.0f} GiB RAM",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()),
        f"- command: `python {cmd}`",
        f"- settings: d 100, window 5, negative 5, sample 1e-3, min_count 5, alpha 0.025 "
        f"(Adam {args.adam_alpha}), min_alpha 1e-4, epochs {args.epochs}, seed {args.seed}; "
        f"CPU threads {args.threads}; GPU hogwild {CONCURRENCY} segments in flight; minibatch "
        f"batch_size {args.batch_size}",
        f"- timing: words/s = corpus tokens x epochs / training seconds (skw2v: "
        "EpochStats seconds summed; gensim: train()), fastest of "
        f"{args.repeats} run(s); fit s = whole fit; quality = median over the runs",
        "- quality: " + ("none" if paths is None else
                         f"analogy accuracy (restrict_vocab {EVAL_RESTRICT}), WS353 and "
                         f"SimLex-999 Spearman, files from {_shown(paths['analogy'])}"),
        ""]


def _shown(path):
    """An eval file's folder for the report, without the checkout's absolute prefix."""
    folder = os.path.dirname(path)
    if has_gensim() and folder == os.path.normpath(corpora.gensim_test_data()):
        return "gensim's test_data"
    return shown_path(folder)


def shown_path(path):
    """``path`` relative to the repository root when it lies inside it."""
    inside = os.path.abspath(path).startswith(C.ROOT + os.sep)
    return os.path.relpath(path, C.ROOT) if inside else path


def main(argv=None):
    args = parse_args(argv)
    notes = []
    gpu = gpu_device(args, notes)
    systems = build_systems(args, gpu, notes)
    paths = None if args.no_quality else eval_paths(args, notes)
    docs_list = load_corpora(args, notes)
    if any(s.kind == "reference" for s in systems):
        notes.append("CPU reference rows: quality as at that many warps in flight; their speed "
                     "is one CPU thread's, not a GPU's.")
    lines = header(args, gpu, paths) + [f"- note: {n}" for n in notes] + [""]
    print("\n".join(lines), flush=True)
    if not systems or not docs_list:
        print("Nothing to run: no system or no corpus left.")
        return
    warm_up(systems, args)
    for title, docs, scored in docs_list:
        n_tokens = sum(map(len, docs))
        runs = measure(systems, docs, paths if scored else None, args)
        summary = summarize(runs, n_tokens, args.epochs)
        table = corpus_table(title, systems, summary, n_tokens, scored and paths is not None)
        print("\n".join(table), flush=True)


if __name__ == "__main__":
    main()
