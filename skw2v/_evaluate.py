"""Intrinsic evaluation of word vectors: analogies and word-pair similarity.

The definitions (vocabulary restriction, case folding, skipping and scoring) are gensim 4.4's,
so scores can be compared with published gensim numbers.
"""

import itertools
import logging

import numpy as np
from scipy import stats

from ._io import open_file
from ._keyedvectors import _top_k, _unit_vector

__all__ = ["evaluate_word_analogies", "evaluate_word_pairs"]

logger = logging.getLogger(__name__)


def _restricted_vocab(kv, restrict_vocab, case_insensitive):
    """Map (upper-cased) word to index among the first `restrict_vocab` words; first one wins."""
    keys = kv.index_to_key[:restrict_vocab]
    if case_insensitive:
        return {k.upper(): i for i, k in reversed(list(enumerate(keys)))}
    return {k: i for i, k in enumerate(keys)}


def _predict_analogy(unit, ok_vocab, a, b, c):
    """gensim's 3CosAdd answer: the top-5 neighbours of b + c - a, minus the input words."""
    ia, ib, ic = ok_vocab[a], ok_vocab[b], ok_vocab[c]
    query = _unit_vector((unit[ib].astype(np.float64) + unit[ic] - unit[ia]) / 3)
    sims = unit @ query
    return _top_k(sims, 5, {ia, ib, ic})


def _analogy_line(line, case_insensitive):
    words = line.split()
    if len(words) != 4:
        return None
    return tuple(w.upper() for w in words) if case_insensitive else tuple(words)


def _score_analogy(kv, unit, ok_vocab, quad, case_insensitive):
    a, b, c, expected = quad
    predicted = None
    for index in _predict_analogy(unit, ok_vocab, a, b, c):
        key = kv.index_to_key[index]
        predicted = key.upper() if case_insensitive else key
        # a case variant of an input word can still rank high: skip it, as gensim does
        if predicted in ok_vocab and predicted not in (a, b, c):
            break
    return predicted == expected


def _section_score(section):
    correct, incorrect = len(section["correct"]), len(section["incorrect"])
    if correct + incorrect == 0:
        return 0.0
    score = correct / (correct + incorrect)
    logger.info("%s: %.1f%% (%i/%i)", section["section"], 100 * score, correct, correct + incorrect)
    return score


def evaluate_word_analogies(
    kv, path, restrict_vocab=300000, case_insensitive=True, dummy4unknown=False,
):
    """Accuracy on an analogy test set ("a is to b as c is to d"), as gensim computes it.

    Each question's answer is the word closest to ``b + c - a`` (3CosAdd on unit vectors)
    among the first `restrict_vocab` words, leaving out a, b and c. A question counts only
    when all four words are among those words (unless `dummy4unknown`).

    Parameters
    ----------
    kv : KeyedVectors
        The word vectors.
    path : str or os.PathLike
        A file in the ``questions-words.txt`` format: ``: section`` lines, then lines of
        four words.
    restrict_vocab : int, default=300000
        Use only the first `restrict_vocab` words of the vocabulary.
    case_insensitive : bool, default=True
        Compare words upper-cased; the first case variant in the vocabulary is used.
    dummy4unknown : bool, default=False
        Count questions with unknown words as wrong instead of skipping them.

    Returns
    -------
    accuracy : float
        Fraction of counted questions answered correctly.
    sections : list of dict
        One ``{"section", "correct", "incorrect"}`` dict per section (lists of upper-cased
        4-tuples when `case_insensitive`), then a ``"Total accuracy"`` one.

    Raises
    ------
    ValueError
        If a question comes before any section header.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from skw2v._keyedvectors import KeyedVectors
    >>> kv = KeyedVectors(["a", "b", "c", "d"], np.array([[1, 0], [1, 1], [2, 0], [2, 1]]))
    >>> path = os.path.join(tempfile.mkdtemp(), "q.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write(": toy\\na b c d\\n")
    >>> evaluate_word_analogies(kv, path)[0]
    1.0
    """
    ok_vocab = _restricted_vocab(kv, restrict_vocab, case_insensitive)
    unit = kv._unit_vectors()[:restrict_vocab]
    sections, oov, total = [], 0, 0
    for name, questions in _analogy_sections(path, case_insensitive):
        section = {"section": name, "correct": [], "incorrect": []}
        for quad in questions:
            total += 1
            if not all(w in ok_vocab for w in quad):
                oov += 1
                if dummy4unknown:
                    section["incorrect"].append(quad)
                continue
            ok = _score_analogy(kv, unit, ok_vocab, quad, case_insensitive)
            section["correct" if ok else "incorrect"].append(quad)
        sections.append(section)
        _section_score(section)
    return _finish_analogies(sections, oov, total)


def _analogy_sections(path, case_insensitive):
    """Yield ``(name, questions)`` for each ``: name`` section of an analogy file."""
    name, questions = None, []
    with open_file(path, "rb") as fin:
        for line_no, raw in enumerate(fin):
            line = raw.decode("utf8")
            if line.startswith(": "):
                if name is not None:
                    yield name, questions
                name, questions = line.lstrip(": ").strip(), []
            elif name is None:
                raise ValueError(f"Missing section header before line #{line_no} in {path}")
            elif (quad := _analogy_line(line, case_insensitive)) is not None:
                questions.append(quad)
            else:
                logger.info("Skipping invalid line #%i in %s", line_no, path)
    if name is not None:
        yield name, questions


def _finish_analogies(sections, oov, total):
    summary = {
        "section": "Total accuracy",
        "correct": list(itertools.chain.from_iterable(s["correct"] for s in sections)),
        "incorrect": list(itertools.chain.from_iterable(s["incorrect"] for s in sections)),
    }
    if total:
        logger.info("Quadruplets with out-of-vocabulary words: %.1f%%", 100.0 * oov / total)
    score = _section_score(summary)
    sections.append(summary)
    return score, sections


def _pair_line(line, delimiter, case_insensitive):
    """Return (a, b, gold similarity) or None for a line gensim would skip as invalid."""
    parts = line.split(delimiter)
    if len(parts) != 3:
        return None
    if case_insensitive:
        parts = [p.upper() for p in parts]
    try:
        return parts[0], parts[1], float(parts[2])
    except ValueError:
        return None


def evaluate_word_pairs(
    kv, path, delimiter="\t", restrict_vocab=300000, case_insensitive=True, dummy4unknown=False,
):
    """Correlation of cosine similarities with human judgements, as gensim computes it.

    Parameters
    ----------
    kv : KeyedVectors
        The word vectors.
    path : str or os.PathLike
        Lines ``word1<delimiter>word2<delimiter>score``; lines starting with ``#`` are skipped
        (WordSim353, SimLex-999 format).
    delimiter : str, default="\\t"
        Field separator.
    restrict_vocab : int, default=300000
        Use only the first `restrict_vocab` words of the vocabulary.
    case_insensitive : bool, default=True
        Compare words upper-cased; the first case variant in the vocabulary is used.
    dummy4unknown : bool, default=False
        Give pairs with unknown words a model similarity of 0 instead of skipping them.

    Returns
    -------
    pearson : tuple of (float, float)
        Pearson correlation and its two-sided p-value.
    spearman : tuple of (float, float)
        Spearman rank correlation and its two-sided p-value.
    oov_ratio : float
        Percentage of pairs with an unknown word.

    Raises
    ------
    ValueError
        If no pair could be scored.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from skw2v._keyedvectors import KeyedVectors
    >>> kv = KeyedVectors(["a", "b", "c"], np.array([[1, 0], [1, 0.2], [0, 1]]))
    >>> path = os.path.join(tempfile.mkdtemp(), "pairs.tsv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("a\\tb\\t9\\na\\tc\\t1\\nb\\tc\\t2\\n")
    >>> evaluate_word_pairs(kv, path)[1][0]
    1.0
    """
    ok_vocab = _restricted_vocab(kv, restrict_vocab, case_insensitive)
    unit = kv._unit_vectors()
    gold, model, oov = [], [], 0
    with open_file(path, "rb") as fin:
        for line_no, raw in enumerate(fin):
            line = raw.decode("utf8")
            if line.startswith("#"):
                continue
            pair = _pair_line(line, delimiter, case_insensitive)
            if pair is None:
                logger.info("Skipping invalid line #%d in %s", line_no, path)
                continue
            a, b, sim = pair
            if a not in ok_vocab or b not in ok_vocab:
                oov += 1
                if dummy4unknown:
                    gold.append(sim)
                    model.append(0.0)
                continue
            gold.append(sim)
            model.append(float(unit[ok_vocab[a]] @ unit[ok_vocab[b]]))
    if not gold:
        raise ValueError(f"No valid similarity judgements found in {path}: either invalid format "
                         "or all are out-of-vocabulary")
    return _pair_scores(gold, model, oov, dummy4unknown)


def _pair_scores(gold, model, oov, dummy4unknown):
    spearman = tuple(float(v) for v in stats.spearmanr(gold, model))
    pearson = tuple(float(v) for v in stats.pearsonr(gold, model))
    # gensim's denominators differ: with dummies the OOV pairs are already in `gold`
    denominator = len(gold) if dummy4unknown else len(gold) + oov
    oov_ratio = 100.0 * oov / denominator
    logger.info("Pearson %.4f, Spearman %.4f, OOV %.1f%%", pearson[0], spearman[0], oov_ratio)
    return pearson, spearman, oov_ratio
