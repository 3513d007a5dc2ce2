"""The ``skw2v`` command line: train, query, evaluate and export word2vec CBOW models.

Examples
--------
::

    skw2v train corpus.txt -o model.skw2v --vector-size 100 --epochs 5
    zcat corpus.txt.gz | skw2v train - -o model.skw2v
    skw2v similar model.skw2v king queen -n 5
    skw2v analogy model.skw2v man king woman
    skw2v evaluate model.skw2v --analogies questions-words.txt --pairs wordsim353.tsv
    skw2v export model.skw2v vectors.bin --binary
    skw2v export model.skw2v projector/ --format projector --limit 10000
    skw2v phrases corpus.txt -o corpus-phrases.txt --threshold 100
    skw2v demo
    skw2v info

Errors print one line, ``skw2v: error: ...``, and exit with status 1 (2 for usage errors).
"""

import argparse
import codecs
import contextlib
import io
import os
import sys
import time
from typing import NamedTuple

# The package is imported before this module anyway (python -m skw2v, the console script),
# so the public API costs nothing more here; the package itself never imports cli.
from . import (CBOWVectorizer, KeyedVectors, LineCorpus, Phrases, evaluate_word_analogies,
               evaluate_word_pairs, load, show_versions)
from ._io import open_file
from ._version import __version__
from ._words import ERRORS

__all__ = ["main"]

PROG = "skw2v"
_FORMATS = ("skw2v", "word2vec-text", "word2vec-binary")
# `export --format projector`: the files of the TensorBoard Embedding Projector, from a model
PROJECTOR = "projector"
# the relations of skw2v.datasets.make_analogy_corpus, in the order of its analogies
_DEMO_RELATIONS = ("country-capital", "male-female", "singular-plural",
                   "adjective-comparative", "verb-past")


class CLIError(Exception):
    """An error reported to the user as one line, exit status 1."""


# ----------------------------------------------------------------------------- parser
def build_parser():
    """Return the argparse parser of the ``skw2v`` command."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="word2vec CBOW with negative sampling (scikit-learn estimator).",
        epilog=f"Run '{PROG} COMMAND --help' for the options of a command.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_train(sub)
    _add_similar(sub)
    _add_analogy(sub)
    _add_evaluate(sub)
    _add_export(sub)
    _add_phrases(sub)
    _add_demo(sub)
    _add_info(sub)
    return parser


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _batch_size(text):
    return text if text == "auto" else _positive_int(text)


class _Option(NamedTuple):
    """One CBOWVectorizer parameter as a ``skw2v train`` option."""

    param: str            # the CBOWVectorizer parameter, also the argparse dest
    flags: tuple          # option spellings (aliases after the first)
    type: object = None
    metavar: str = None
    help: str = ""
    group: str = "model"
    extra: dict = {}      # more add_argument keywords; an "action" means a flag


# The one description of the train options: the parser and the keyword arguments passed to
# CBOWVectorizer are both derived from it. Defaults come from CBOWVectorizer().get_params()
# and choices from its _parameter_constraints, so they are not repeated here.
_TRAIN_OPTIONS = (
    _Option("vector_size", ("--vector-size",), _positive_int, "N",
            "dimension of the word vectors"),
    _Option("window", ("--window",), _positive_int, "N", "maximum context distance"),
    _Option("negative", ("--negative",), _positive_int, "N", "negative samples per target word"),
    _Option("ns_exponent", ("--ns-exponent",), float, "X",
            "exponent of the negative-sampling distribution"),
    _Option("sample", ("--sample",), float, "X",
            "frequent-word subsampling threshold, 0 disables"),
    _Option("min_count", ("--min-count",), _positive_int, "N", "ignore words rarer than this"),
    _Option("max_vocab_size", ("--max-vocab-size",), _positive_int, "N",
            "keep at most this many words"),
    _Option("agg", ("--agg",), help="document aggregation used by transform"),
    _Option("lowercase", ("--no-lowercase",), help="keep the case of words",
            extra={"action": "store_false"}),
    _Option("max_doc_len", ("--max-doc-len",), _positive_int, "N",
            "cut longer documents into pieces of this many words"),
    _Option("epochs", ("--epochs",), _positive_int, "N", "passes over the corpus", "training"),
    _Option("alpha", ("--alpha",), float, "X", "initial learning rate", "training"),
    _Option("min_alpha", ("--min-alpha",), float, "X", "final learning rate", "training"),
    _Option("solver", ("--solver",), help="training algorithm", group="training"),
    _Option("optimizer", ("--optimizer",), help="optimizer of the minibatch solver",
            group="training"),
    _Option("batch_size", ("--batch-size",), _batch_size, "N",
            "target words per minibatch step", "training"),
    _Option("device", ("--device",), None, "DEVICE", "cpu, gpu, cuda:N or auto", "training"),
    _Option("n_jobs", ("-j", "--threads"), int, "N", "CPU threads, -1 for all cores",
            "training"),
    _Option("random_state", ("--seed",), int, "N",
            "random seed; with --threads 1 training is bit-reproducible", "training"),
    _Option("init_vectors", ("--init-vectors",), None, "PATH",
            "start from these pretrained vectors (word2vec text or binary, fastText .vec, "
            "GloVe, or a model file)", "training"),
    _Option("lock_init_vectors", ("--lock-init-vectors",),
            help="keep the vectors taken from --init-vectors as they are", group="training",
            extra={"action": "store_true"}),
    # a command-line user wants to see progress, unlike a library caller: on unless -q
    _Option("verbose", ("-q", "--quiet"), help="do not show the progress bar",
            group="training", extra={"action": "store_const", "const": 0, "default": 1}),
)

# CBOWVectorizer parameters that `skw2v train` deliberately leaves at their defaults, and why.
# tests/test_cli.py checks that every parameter is either here or in _TRAIN_OPTIONS.
_NOT_EXPOSED = {
    "tokenizer": "a Python callable",
    "preprocessor": "a Python callable",
    "callbacks": "Python objects called during training",
    "token_pattern": "the analyzer's regular expression; the default suits one-document-"
                     "per-line text",
    "stop_words": "word2vec learns from stop words too; a list needs the Python API",
    "strip_accents": "takes a callable too; corpora are usually normalised beforehand",
}


def _choices(param, default):
    """The strings a parameter accepts when it accepts nothing else (its StrOptions), or None.

    Sorted, default first: StrOptions holds a set, whose order varies between runs.
    """
    from sklearn.utils._param_validation import StrOptions

    constraints = CBOWVectorizer._parameter_constraints[param]
    if not all(isinstance(c, StrOptions) for c in constraints):
        return None
    return sorted(set().union(*(c.options for c in constraints)),
                  key=lambda choice: (choice != default, choice))


def _argument(option, default):
    """The add_argument keywords of one _TRAIN_OPTIONS row."""
    kw = {"dest": option.param, "default": default, "help": option.help, **option.extra}
    if "action" not in kw:  # an option taking a value
        kw.update(type=option.type, metavar=option.metavar,
                  choices=_choices(option.param, default))
        kw["help"] += " (default: %(default)s)"
    return kw


def train_params(args):
    """The CBOWVectorizer keyword arguments of a parsed ``skw2v train`` command line."""
    return {option.param: getattr(args, option.param) for option in _TRAIN_OPTIONS}


def _add_train(sub):
    p = sub.add_parser(
        "train", help="train word vectors on a text file",
        description="Train a CBOWVectorizer on a text file with one document per line and "
                    "save it in the safe skw2v format (load it back with skw2v.load).")
    p.add_argument("corpus", metavar="CORPUS",
                   help="text file, one document per line (gzip, bz2 or xz are decompressed); "
                        "- for stdin")
    p.add_argument("-o", "--output", metavar="MODEL", required=True,
                   help="where to save the model (suggested extension: .skw2v)")
    defaults = CBOWVectorizer().get_params()
    groups = {}
    for option in _TRAIN_OPTIONS:
        if option.group not in groups:
            groups[option.group] = p.add_argument_group(option.group)
        groups[option.group].add_argument(*option.flags,
                                          **_argument(option, defaults[option.param]))
    p.set_defaults(func=cmd_train)


def _add_model_args(p, what="MODEL", formats=_FORMATS, format_help="format of MODEL"):
    p.add_argument("model", metavar=what, help="model saved by 'skw2v train' (or a word2vec "
                                               "file with --format)")
    p.add_argument("--format", choices=formats, default="skw2v",
                   help=f"{format_help} (default: %(default)s)")


def _add_similar(sub):
    p = sub.add_parser("similar", help="nearest neighbours of words",
                       description="Print the words closest to the sum of the given words "
                                   "minus the --negative ones, with their cosine similarity.")
    _add_model_args(p)
    p.add_argument("words", metavar="WORD", nargs="+", help="query word(s)")
    p.add_argument("--negative", metavar="WORD", nargs="+", default=[],
                   help="word(s) to subtract")
    p.add_argument("-n", "--topn", type=_positive_int, default=10,
                   help="number of neighbours (default: %(default)s)")
    p.set_defaults(func=cmd_similar)


def _add_analogy(sub):
    p = sub.add_parser("analogy", help="solve a : b :: c : ?",
                       description="Solve the analogy A is to B as C is to ? with 3CosAdd "
                                   "(the words closest to B - A + C).")
    _add_model_args(p)
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.add_argument("c", metavar="C")
    p.add_argument("-n", "--topn", type=_positive_int, default=5,
                   help="number of candidates (default: %(default)s)")
    p.set_defaults(func=cmd_analogy)


def _add_evaluate(sub):
    p = sub.add_parser("evaluate", help="analogy accuracy and word-similarity correlation",
                       description="Evaluate word vectors on an analogy test set "
                                   "(questions-words.txt format) and/or word-pair similarity "
                                   "sets (WordSim353 / SimLex-999 format), as gensim does.")
    _add_model_args(p)
    p.add_argument("--analogies", metavar="FILE", help="analogy questions file")
    p.add_argument("--pairs", metavar="FILE", action="append", default=[],
                   help="word-pair similarity file (tab separated; repeat for several)")
    p.add_argument("--restrict-vocab", type=_positive_int, default=300000,
                   help="use only the most frequent words (default: %(default)s)")
    p.set_defaults(func=cmd_evaluate, usage_error=p.error)


def _add_export(sub):
    p = sub.add_parser("export", help="write the vectors in word2vec format or for the "
                                      "Embedding Projector",
                       description="Write the word vectors in the format of the original C "
                                   "word2vec tool (readable by gensim, fastText tools, ...); "
                                   "a .gz/.bz2/.xz/.lzma suffix on OUT compresses. With "
                                   "--format projector, write the files of the TensorBoard "
                                   "Embedding Projector (tensors.tsv, metadata.tsv, "
                                   "config.json, projector_config.pbtxt) into the directory "
                                   "OUT instead.")
    _add_model_args(p, formats=_FORMATS + (PROJECTOR,),
                    format_help="format of MODEL; 'projector' reads a skw2v model and writes "
                                "Embedding Projector files")
    p.add_argument("out", metavar="OUT", help="output file (a directory for --format "
                                              "projector; created if missing)")
    p.add_argument("--binary", action="store_true", help="binary instead of text format")
    p.add_argument("--limit", type=_positive_int, metavar="N",
                   help="--format projector: only the N most frequent words (default: all)")
    p.set_defaults(func=cmd_export, usage_error=p.error)


def _add_phrases(sub):
    p = sub.add_parser(
        "phrases", help="join frequent collocations into single tokens (word2phrase)",
        description="Detect phrases in a text file with one document per line and write it "
                    "back with them joined (\"new york\" -> \"new_york\"), one document per "
                    "line, tokens separated by spaces, ready for 'skw2v train'. Documents are "
                    "tokenized as 'skw2v train' tokenizes them. Run it again on its output "
                    "(or use --passes 2) for longer phrases.")
    p.add_argument("corpus", metavar="CORPUS",
                   help="text file, one document per line (gzip, bz2 or xz are decompressed); "
                        "- for stdin")
    p.add_argument("-o", "--output", metavar="OUT", required=True,
                   help="where to write the joined text (- for stdout; a .gz/.bz2/.xz suffix "
                        "compresses)")
    defaults = Phrases().get_params()
    for flags, param, kw in (
            (("--min-count",), "min_count", dict(type=_positive_int, metavar="N",
                                                 help="pairs seen fewer times are no phrase")),
            (("--threshold",), "threshold", dict(type=float, metavar="X",
                                                 help="score a phrase must exceed "
                                                      "(word2phrase uses 100)")),
            (("--scoring",), "scoring", dict(choices=("default", "npmi"),
                                             help="word2vec's score or normalized PMI")),
            (("--connector-words",), "connector_words", dict(
                choices=("none", "english"), help="'english': articles, prepositions and "
                                                  "conjunctions may stand inside a phrase")),
            (("--delimiter",), "delimiter", dict(metavar="S", help="joins a phrase's words")),
            (("--passes",), "passes", dict(type=_positive_int, metavar="N",
                                           help="passes of detection")),
            (("--max-vocab-size",), "max_vocab_size", dict(
                type=_positive_int, metavar="N", help="bound on the words and pairs counted")),
    ):
        default = "none" if param == "connector_words" else defaults[param]
        p.add_argument(*flags, dest=param, default=default,
                       **{**kw, "help": kw["help"] + " (default: %(default)s)"})
    p.add_argument("--no-lowercase", dest="lowercase", action="store_false",
                   help="keep the case of words")
    p.add_argument("--save", metavar="MODEL", help="also save the fitted Phrases (load it "
                                                    "with skw2v.load)")
    p.add_argument("-q", "--quiet", dest="verbose", action="store_false",
                   help="do not show the progress bars")
    p.set_defaults(func=cmd_phrases)


def _add_demo(sub):
    p = sub.add_parser("demo", help="train on a built-in synthetic corpus (offline, < 1 min)",
                       description="Train on a generated corpus with planted analogies, show "
                                   "neighbours and analogy accuracy, then classify generated "
                                   "topic documents with a CBOWVectorizer + LogisticRegression "
                                   "pipeline. Needs no download.")
    p.add_argument("-j", "--threads", type=int, default=-1, help="CPU threads (default: all)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.set_defaults(func=cmd_demo)


def _add_info(sub):
    p = sub.add_parser("info", help="versions, CUDA driver and devices (for bug reports)",
                       description="Print the versions of skw2v, Python and the dependencies "
                                   "(CuPy and numba-cuda included), the CUDA driver, the "
                                   "CUDA devices and whether numba's CUDA simulator is on, "
                                   "as skw2v.show_versions() does. Paste it into bug "
                                   "reports.")
    p.set_defaults(func=cmd_info)


# ----------------------------------------------------------------------------- helpers
def _read_corpus(path):
    if path == "-":
        stream = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8")
        return (line.rstrip("\r\n") for line in stream)
    if os.path.isdir(path):
        raise CLIError(f"corpus {path} is a directory, not a text file")
    if not os.path.exists(path):
        raise CLIError(f"corpus file not found: {path}")
    return LineCorpus(path)


def _load_vectors(path, fmt):
    """KeyedVectors of MODEL, whatever its format."""
    if fmt == "skw2v":
        return _load_model(path).wv_
    _check_file(path, "model")
    return KeyedVectors.load_word2vec_format(path, binary=fmt == "word2vec-binary")


def _load_model(path):
    _check_file(path, "model")
    try:
        return load(path)
    except ValueError as exc:
        raise CLIError(f"{exc} (for word2vec files, pass --format word2vec-text or "
                       "word2vec-binary)") from None


def _check_file(path, what):
    if not os.path.exists(path):
        raise CLIError(f"{what} file not found: {path}")
    if os.path.isdir(path):
        raise CLIError(f"{what} {path} is a directory, not a file")


def _print_neighbours(results):
    width = max([len(w) for w, _ in results] + [4])
    print(f"{'rank':>4}  {'word':<{width}}  cosine")
    for rank, (word, cosine) in enumerate(results, 1):
        print(f"{rank:>4}  {word:<{width}}  {cosine:.4f}")


def _rate(n, seconds):
    return f"{n / seconds:,.0f}" if seconds > 0 else "inf"


# ----------------------------------------------------------------------------- commands
def cmd_train(args):
    out_dir = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(out_dir):
        raise CLIError(f"output directory does not exist: {out_dir}")
    if os.path.isdir(args.output):
        raise CLIError(f"output {args.output} is a directory")
    est = CBOWVectorizer(**train_params(args))
    start = time.perf_counter()
    est.fit(_read_corpus(args.corpus))
    seconds = time.perf_counter() - start
    est.save(args.output)
    words = est.corpus_total_words_ * est.epochs
    loss = f"{est.loss_curve_[-1]:.4f}" if est.loss_curve_ else "n/a"
    print(f"vocabulary {len(est.wv_):,} words x {est.vector_size} dims; corpus "
          f"{est.corpus_total_words_:,} words x {est.epochs} epochs in {seconds:.2f} s "
          f"({_rate(words, seconds)} words/s); final loss {loss}; saved {args.output}")
    return 0


def cmd_similar(args):
    kv = _load_vectors(args.model, args.format)
    _print_neighbours(kv.most_similar(positive=args.words, negative=args.negative,
                                      topn=args.topn))
    return 0


def cmd_analogy(args):
    kv = _load_vectors(args.model, args.format)
    results = kv.most_similar(positive=[args.b, args.c], negative=[args.a], topn=args.topn)
    print(f"{args.a} : {args.b} :: {args.c} : ?")
    _print_neighbours(results)
    return 0


def cmd_evaluate(args):
    if not args.analogies and not args.pairs:
        args.usage_error("nothing to evaluate: give --analogies FILE and/or --pairs FILE")
    for path in filter(None, [args.analogies] + args.pairs):
        _check_file(path, "evaluation")
    kv = _load_vectors(args.model, args.format)
    if args.analogies:
        _, sections = evaluate_word_analogies(kv, args.analogies,
                                              restrict_vocab=args.restrict_vocab)
        _print_analogy_table(args.analogies, sections, _count_questions(args.analogies))
    if args.pairs:
        rows = [(path, *evaluate_word_pairs(kv, path, restrict_vocab=args.restrict_vocab))
                for path in args.pairs]
        _print_pairs_table(rows)
    return 0


def _count_questions(path):
    with open_file(path, "rb") as f:
        return sum(1 for line in f if line.strip() and not line.startswith(b":"))


def _print_analogy_table(path, sections, n_questions):
    width = max(len(s["section"]) for s in sections)
    print(f"analogies: {path}")
    print(f"{'section':<{width}}  {'correct':>7}  {'counted':>7}  accuracy")
    for i, s in enumerate(sections):
        n_ok, n = len(s["correct"]), len(s["correct"]) + len(s["incorrect"])
        if i == len(sections) - 1:
            print("-" * (width + 28))
        acc = f"{100 * n_ok / n:7.2f}%" if n else "      -"
        print(f"{s['section']:<{width}}  {n_ok:>7}  {n:>7}  {acc}")
    counted = len(sections[-1]["correct"]) + len(sections[-1]["incorrect"])
    print(f"{counted} of {n_questions} questions counted; the others have a word outside "
          "the vocabulary.")


def _print_pairs_table(rows):
    width = max(len(os.path.basename(r[0])) for r in rows + [("pairs file",)])
    print(f"{'pairs file':<{width}}  pearson  spearman    oov")
    for path, pearson, spearman, oov in rows:
        print(f"{os.path.basename(path):<{width}}  {pearson[0]:7.4f}  {spearman[0]:8.4f}  "
              f"{oov:5.1f}%")


def cmd_export(args):
    if args.format == PROJECTOR:
        return _export_projector(args)
    if args.limit is not None:
        args.usage_error("--limit applies to --format projector only")
    kv = _load_vectors(args.model, args.format)
    out_dir = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(out_dir):
        raise CLIError(f"output directory does not exist: {out_dir}")
    kv.save_word2vec_format(args.out, binary=args.binary)
    kind = "binary" if args.binary else "text"
    print(f"wrote {len(kv):,} vectors x {kv.vector_size} dims ({kind} word2vec format) "
          f"to {args.out}")
    return 0


def _export_projector(args):
    if args.binary:
        args.usage_error("--binary applies to word2vec files, not to --format projector")
    parent = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(parent):
        raise CLIError(f"output directory does not exist: {parent}")
    _check_file(args.model, "model")
    try:
        kv = load(args.model).wv_
    except ValueError as exc:
        raise CLIError(f"{exc} (--format projector reads a skw2v model; for a word2vec file, "
                       "call KeyedVectors.load_word2vec_format(...).save_projector(...) in "
                       "Python)") from None
    kv.save_projector(args.out, limit=args.limit)
    n_rows = len(kv) if args.limit is None else min(args.limit, len(kv))
    print(f"wrote {n_rows:,} of {len(kv):,} vectors x {kv.vector_size} dims (Embedding "
          f"Projector: tensors.tsv, metadata.tsv, config.json, projector_config.pbtxt) to "
          f"{args.out}")
    return 0


def cmd_phrases(args):
    from tqdm.auto import tqdm

    for path in (args.output, args.save):
        if path not in (None, "-"):
            _check_output(path)
    params = {name: getattr(args, name) for name in (
        "min_count", "threshold", "scoring", "delimiter", "passes", "max_vocab_size",
        "lowercase")}
    model = Phrases(**params, connector_words="english" if args.connector_words == "english"
                    else ())
    model._validate_params()
    start = time.perf_counter()
    docs = tqdm(_read_corpus(args.corpus), desc="counting", unit=" docs",
                disable=not args.verbose)
    batches = model._fit(docs, reset=True, keep=True)  # read once: stdin works too
    n_docs = sum(len(offsets) - 1 for _, offsets in batches)
    n_out = 0
    with (contextlib.nullcontext(sys.stdout) if args.output == "-" else
          open_file(args.output, "wt", encoding="utf-8", errors=ERRORS)) as out, \
            tqdm(total=n_docs, desc="joining", unit=" docs", disable=not args.verbose) as bar:
        for joined in model._joined(batches):
            out.writelines(" ".join(doc) + "\n" for doc in joined)
            n_out += sum(map(len, joined))
            bar.update(len(joined))
    if args.save:
        model.save(args.save)
    seconds = time.perf_counter() - start
    n_in = model.corpus_total_words_
    print(f"{len(model.phrases_):,} phrases; {n_docs:,} documents, {n_in:,} tokens -> "
          f"{n_out:,} in {seconds:.2f} s ({_rate(n_in, seconds)} tokens/s); wrote "
          f"{args.output}" + (f", saved {args.save}" if args.save else ""),
          file=sys.stderr if args.output == "-" else sys.stdout)
    return 0


def _check_output(path):
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise CLIError(f"output directory does not exist: {parent}")
    if os.path.isdir(path):
        raise CLIError(f"output {path} is a directory")


def cmd_demo(args):
    import numpy as np

    from .datasets import make_analogy_corpus

    print("1. Word vectors from a synthetic corpus with planted analogies")
    start = time.perf_counter()
    docs, analogies = make_analogy_corpus(80_000, 20, random_state=args.seed)
    n_words = sum(len(d.split()) for d in docs)
    print(f"   generated {len(docs):,} sentences, {n_words:,} words "
          f"in {time.perf_counter() - start:.1f} s, e.g. {docs[0]!r}")
    est = CBOWVectorizer(vector_size=50, window=5, negative=5, min_count=5, epochs=5,
                         n_jobs=args.threads, random_state=args.seed)
    start = time.perf_counter()
    est.fit(docs)
    seconds = time.perf_counter() - start
    print(f"   trained CBOW (vector_size=50, epochs=5) on {len(est.wv_):,} words in "
          f"{seconds:.2f} s: {_rate(n_words * est.epochs, seconds)} words/s, "
          f"final loss {est.loss_curve_[-1]:.4f}")
    per_relation = len(analogies) // len(_DEMO_RELATIONS)
    for r, relation in enumerate(_DEMO_RELATIONS[:3]):
        for word in analogies[r * per_relation][:2]:
            near = ", ".join(f"{w} {c:.2f}" for w, c in est.most_similar(word, topn=5))
            print(f"   {word:>10} ({relation}): {near}")
    hits = [est.wv_.most_similar(positive=[b, c], negative=[a], topn=1)[0][0] == d
            for a, b, c, d in analogies
            if all(w in est.wv_ for w in (a, b, c, d))]
    a, b, c, d = analogies[1]
    guess = est.most_similar(positive=[b, c], negative=[a], topn=1)[0][0]
    print(f"   e.g. {a} : {b} :: {c} : {guess} (planted: {d})")
    print(f"   planted-analogy accuracy: {100 * np.mean(hits):.1f}% "
          f"({sum(hits)} of {len(hits)} questions)")
    _demo_classification(args)
    return 0


def _demo_classification(args):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline

    from .datasets import make_topic_corpus

    print("2. Text classification: Pipeline(CBOWVectorizer, LogisticRegression)")
    n_topics = 5
    docs, y = make_topic_corpus(1000, n_topics, random_state=args.seed)
    pipe = make_pipeline(
        CBOWVectorizer(vector_size=50, window=10, min_count=2, epochs=20,
                       n_jobs=args.threads, random_state=args.seed),
        LogisticRegression(max_iter=1000))
    start = time.perf_counter()
    scores = cross_val_score(pipe, docs, y, cv=5)
    print(f"   {len(docs)} documents, {n_topics} topics: 5-fold accuracy "
          f"{100 * scores.mean():.1f}% +/- {100 * scores.std():.1f} (chance "
          f"{100 / n_topics:.0f}%) in {time.perf_counter() - start:.1f} s")


def cmd_info(args):
    show_versions()
    return 0


# ----------------------------------------------------------------------------- entry point
def main(argv=None):
    """Run the ``skw2v`` command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _write_words_as_read()
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `skw2v similar ... | head`
        sys.stderr.close()
        return 0
    except CLIError as exc:
        return _fail(str(exc))
    except KeyError as exc:  # unknown word
        return _fail(str(exc.args[0]) if exc.args else "unknown key")
    except (OSError, ValueError, TypeError, ImportError, RuntimeError, MemoryError,
            ArithmeticError, UnicodeError) as exc:
        return _fail(_message(exc))


def _write_words_as_read():
    """Print a word's undecodable bytes as the bytes they were read from (the corpus's).

    A model may hold such words (``"caf\\udce9"``: ``errors="surrogateescape"``, the way
    Python decodes ``sys.argv``, so they can also be typed as query words); a UTF-8 stream
    with strict errors would raise on them. Other encodings show them escaped.
    """
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            utf8 = codecs.lookup(stream.encoding).name == "utf-8"
            stream.reconfigure(errors=ERRORS if utf8 else "backslashreplace")


def _message(exc):
    if isinstance(exc, UnicodeDecodeError):
        return f"cannot decode the input as UTF-8 ({exc.reason} at byte {exc.start})"
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.strerror}: {exc.filename}"
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _fail(message):
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
