"""Reproducible benchmark corpora, cached in ``benchmarks/data/`` (git-ignored).

Two corpora (see the project's shared BENCHMARKS.md):

* ``english``: real English that no one here wrote, tokenized once with
  skw2v's default analyzer (``CBOWVectorizer().build_analyzer()``: lower-case,
  ``(?u)\\b\\w+\\b``) so that gensim and skw2v receive the *same* token lists:

  - gensim's ``test_data/lee_background.cor`` (one news article per line),
  - WordNet 3.0 glosses from Debian's ``wordnet-base``
    (``/usr/share/wordnet/data.{noun,verb,adj,adv}``, the text after `` | ``,
    one synset per document),
  - the King James Bible from Debian's ``bible-kjv-text``, dumped with the
    ``bible`` program of Debian's ``bible-kjv`` (``bible -f Gen1:1-Rev22:21``,
    one verse per line, the verse reference stripped).

  It is cached as ``english.txt``: one document per line, tokens joined by a
  single space (the file the end-to-end measurements read).

* ``gcide``: held-out English of short documents, raw text (not tokenized): the
  paragraphs of the entries of GCIDE (the Collaborative International Dictionary of
  English: Webster's 1913 + WordNet) from Debian's ``dict-gcide``
  (``/usr/share/dictd/gcide.{index,dict.dz}``), one paragraph (a headword and its
  etymology, a numbered sense, a quotation) per line, whitespace collapsed: ~253k
  documents, median 15 words, ~5M words. No setting of skw2v was chosen on it. Cached as
  ``gcide.txt``.

* ``zipf``: the text8-shaped synthetic corpus of
  :func:`skw2v.datasets.make_zipf_corpus` (Zipf tokens, ~71k words, sentences
  of 1,000 tokens), cached as ``zipf_<n_tokens>.txt`` for the end-to-end runs.

Run ``python benchmarks/corpora.py`` to build the caches and print the sizes;
``--eval-files`` copies gensim's analogy, WS353 and SimLex-999 files into
``data/eval/`` for machines without gensim (``bench_gpu.py --eval-dir``).
"""

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:  # run from a checkout without installing skw2v
    sys.path.insert(0, ROOT)
DATA_DIR = os.environ.get("SKW2V_BENCH_DATA", os.path.join(HERE, "data"))
WORDNET_DIR = "/usr/share/wordnet"
GCIDE_PREFIX = "/usr/share/dictd/gcide"
WORDNET_FILES = ("data.noun", "data.verb", "data.adj", "data.adv")
BIBLE_RANGE = "Gen1:1-Rev22:21"
ZIPF_TOKENS = 17_000_000
EVAL_FILES = ("questions-words.txt", "wordsim353.tsv", "simlex999.txt")


def gensim_test_data(name=""):
    """Path of a file shipped in gensim's ``test/test_data`` folder."""
    import gensim

    return os.path.join(os.path.dirname(gensim.__file__), "test", "test_data", name)


def eval_dir(data_dir=DATA_DIR):
    """Where ``--eval-files`` puts the evaluation files for machines without gensim."""
    return os.path.join(data_dir, "eval")


def copy_eval_files(data_dir=DATA_DIR):
    """Copy gensim's questions-words.txt, wordsim353.tsv and simlex999.txt to :func:`eval_dir`."""
    target = eval_dir(data_dir)
    os.makedirs(target, exist_ok=True)
    for name in EVAL_FILES:
        shutil.copyfile(gensim_test_data(name), os.path.join(target, name))
    return target


def _analyzer():
    from skw2v import CBOWVectorizer

    return CBOWVectorizer().build_analyzer()


# ---------------------------------------------------------------- raw sources
def lee_documents():
    """Lines of gensim's ``lee_background.cor`` (300 news articles)."""
    with open(gensim_test_data("lee_background.cor"), encoding="utf-8", errors="replace") as f:
        return [line.strip() for line in f if line.strip()]


def wordnet_glosses(directory=WORDNET_DIR):
    """WordNet glosses, one per synset (license header lines skipped)."""
    docs = []
    for name in WORDNET_FILES:
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  "):  # license header
                    continue
                _, sep, gloss = line.partition(" | ")
                if sep and gloss.strip():
                    docs.append(gloss.strip())
    return docs


_VERSE_REF = re.compile(r"^\S+\d+:\d+\s+")


def bible_verses():
    """KJV verses via the ``bible`` program; [] if it is not installed."""
    exe = shutil.which("bible")
    if exe is None:
        return []
    out = subprocess.run([exe, "-f", BIBLE_RANGE], stdin=subprocess.DEVNULL,
                         capture_output=True, check=True).stdout.decode("utf-8", "replace")
    return [_VERSE_REF.sub("", line).strip() for line in out.splitlines() if line.strip()]


# ------------------------------------------------------------------- english
def english_path(data_dir=DATA_DIR):
    return os.path.join(data_dir, "english.txt")


def prepare_english(data_dir=DATA_DIR, force=False):
    """Build (once) ``english.txt`` and ``english.json``; return the text file's path."""
    path = english_path(data_dir)
    meta_path = os.path.join(data_dir, "english.json")
    if os.path.isfile(path) and os.path.isfile(meta_path) and not force:
        return path
    os.makedirs(data_dir, exist_ok=True)
    analyzer = _analyzer()
    sources = {"lee_background": lee_documents(), "wordnet_glosses": wordnet_glosses(),
               "bible_kjv": bible_verses()}
    missing = [package for name, package in (("wordnet_glosses", "wordnet-base"),
                                             ("bible_kjv", "bible-kjv")) if not sources[name]]
    if missing:  # a corpus without them is another, much smaller corpus
        raise FileNotFoundError(
            f"The english corpus needs Debian's {' and '.join(missing)}: "
            f"apt-get install {' '.join(missing)}")
    meta = {"sources": {}}
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        for name, docs in sources.items():
            n_docs = n_tokens = 0
            for doc in docs:
                tokens = analyzer(doc)
                if not tokens:
                    continue
                out.write(" ".join(tokens))
                out.write("\n")
                n_docs += 1
                n_tokens += len(tokens)
            meta["sources"][name] = {"docs": n_docs, "tokens": n_tokens}
    os.replace(tmp, path)
    meta.update(file_stats(path))
    with open(meta_path, "w") as f:
        json.dump(meta, f, indent=1)
    return path


def load_token_lists(path):
    """Token lists of a one-document-per-line, space-separated file (strings interned)."""
    intern = sys.intern
    with open(path, encoding="utf-8") as f:
        return [list(map(intern, line.split())) for line in f]


def english_corpus(data_dir=DATA_DIR):
    """The combined real-English corpus as token lists (same lists for both systems)."""
    return load_token_lists(prepare_english(data_dir))


def english_meta(data_dir=DATA_DIR):
    prepare_english(data_dir)
    with open(os.path.join(data_dir, "english.json")) as f:
        return json.load(f)


def lee_corpus():
    """``lee_background.cor`` alone, tokenized with skw2v's default analyzer."""
    analyzer = _analyzer()
    return [t for t in map(analyzer, lee_documents()) if t]


def lee_path(data_dir=DATA_DIR):
    path = os.path.join(data_dir, "lee.txt")
    if not os.path.isfile(path):
        os.makedirs(data_dir, exist_ok=True)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.writelines(" ".join(t) + "\n" for t in lee_corpus())
        os.replace(path + ".tmp", path)
    return path


# --------------------------------------------------------------------- gcide
_DICTD_DIGITS = {c: i for i, c in enumerate(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def _dictd_number(text):
    """A dictd index number (base 64, most significant digit first)."""
    n = 0
    for c in text:
        n = n * 64 + _DICTD_DIGITS[c]
    return n


def gcide_paragraphs(prefix=GCIDE_PREFIX):
    """Paragraphs of GCIDE's entries, in index order, each entry once; [] if not installed."""
    if not os.path.isfile(prefix + ".index"):
        return []
    with gzip.open(prefix + ".dict.dz") as f:  # dictzip is gzip-compatible
        data = f.read()
    docs, seen = [], set()
    with open(prefix + ".index", encoding="utf-8", errors="replace") as index:
        for line in index:
            word, offset, length = line.rstrip("\n").split("\t")[:3]
            offset, length = _dictd_number(offset), _dictd_number(length)
            if word.startswith("00-database") or offset in seen:
                continue
            seen.add(offset)
            entry = data[offset:offset + length].decode("utf-8", "replace")
            docs.extend(t for t in (" ".join(p.split()) for p in re.split(r"\n\s*\n", entry))
                        if t)
    return docs


def gcide_path(data_dir=DATA_DIR):
    """Build (once) ``gcide.txt``, raw paragraphs one per line; return its path.

    Raises FileNotFoundError naming the Debian package when GCIDE is not installed.
    """
    path = os.path.join(data_dir, "gcide.txt")
    if os.path.isfile(path):
        return path
    docs = gcide_paragraphs()
    if not docs:
        raise FileNotFoundError(f"{GCIDE_PREFIX}.index not found: install Debian's dict-gcide "
                                "(apt-get install dict-gcide)")
    os.makedirs(data_dir, exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.writelines(doc + "\n" for doc in docs)
    os.replace(path + ".tmp", path)
    return path


def gcide_tokens_path(data_dir=DATA_DIR):
    """gcide tokenized once with skw2v's default analyzer, cached as ``gcide_tokens.txt``.

    The file bench_cpu.py and bench_memory.py give both systems (the same tokens).
    """
    path = os.path.join(data_dir, "gcide_tokens.txt")
    if not os.path.isfile(path):
        analyzer = _analyzer()
        with open(gcide_path(data_dir), encoding="utf-8") as src, \
                open(path + ".tmp", "w", encoding="utf-8") as out:
            for line in src:
                tokens = analyzer(line)
                if tokens:
                    out.write(" ".join(tokens) + "\n")
        os.replace(path + ".tmp", path)
    return path


# ---------------------------------------------------------------------- zipf
def zipf_corpus(n_tokens=ZIPF_TOKENS):
    """The synthetic text8-shaped corpus as token lists (deterministic, random_state=0)."""
    from skw2v.datasets import make_zipf_corpus

    return make_zipf_corpus(n_tokens=n_tokens, random_state=0)


def zipf_path(n_tokens=ZIPF_TOKENS, data_dir=DATA_DIR):
    """Build (once) ``zipf_<n_tokens>.txt``; return its path."""
    from skw2v.datasets import make_zipf_corpus

    path = os.path.join(data_dir, f"zipf_{n_tokens}.txt")
    if os.path.isfile(path):
        return path
    os.makedirs(data_dir, exist_ok=True)
    ids, offsets, words = make_zipf_corpus(n_tokens=n_tokens, as_ids=True, random_state=0)
    words = np.array(words, dtype=object)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        for start, stop in zip(offsets[:-1], offsets[1:]):
            f.write(" ".join(words[ids[start:stop]].tolist()))
            f.write("\n")
    os.replace(path + ".tmp", path)
    return path


# ------------------------------------------------------------------- any one
TOKEN_CORPORA = ("english", "gcide", "zipf", "lee")


def token_file(corpus, n_tokens=ZIPF_TOKENS):
    """The space-separated, one-document-per-line file of a benchmark corpus (built once)."""
    if corpus == "zipf":
        return zipf_path(n_tokens)
    return {"english": prepare_english, "gcide": gcide_tokens_path, "lee": lee_path}[corpus]()


# --------------------------------------------------------------------- stats
def file_stats(path, min_count=5):
    """:func:`corpus_stats` of a one-document-per-line file, streamed (little memory)."""
    with open(path, encoding="utf-8") as f:
        return corpus_stats((line.split() for line in f), min_count)


def corpus_stats(token_lists, min_count=5):
    """Documents, tokens, distinct words and words with count >= min_count."""
    counts = {}
    n_tokens = n_docs = 0
    for tokens in token_lists:
        n_docs += 1
        n_tokens += len(tokens)
        for t in tokens:
            counts[t] = counts.get(t, 0) + 1
    return {"docs": n_docs, "tokens": n_tokens, "distinct_words": len(counts),
            f"vocab_min_count_{min_count}": sum(1 for c in counts.values() if c >= min_count)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", choices=["english", "zipf", "gcide", "both"], default=None,
                        help="default: both, or none with --eval-files alone")
    parser.add_argument("--n-tokens", type=int, default=ZIPF_TOKENS, help="zipf corpus size")
    parser.add_argument("--force", action="store_true", help="rebuild the english cache")
    parser.add_argument("--eval-files", action="store_true",
                        help="copy gensim's analogy/WS353/SimLex files to data/eval/ (for "
                        "machines without gensim)")
    args = parser.parse_args(argv)
    if args.corpus is None and not args.eval_files:
        args.corpus = "both"
    if args.eval_files:
        print(f"eval files: {copy_eval_files()}")
    if args.corpus in ("english", "both"):
        path = prepare_english(force=args.force)
        print(f"english: {path}")
        print(json.dumps(english_meta(), indent=1))
    if args.corpus == "gcide":
        path = gcide_path()
        print(f"gcide: {path}")
        print(json.dumps(file_stats(path)))
    if args.corpus in ("zipf", "both"):
        path = zipf_path(args.n_tokens)
        print(f"zipf: {path}")
        print(json.dumps(file_stats(path)))


if __name__ == "__main__":
    main()
