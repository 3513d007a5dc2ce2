"""Stage 2: token counts -> vocabulary.

A :class:`Vocabulary` is plain data (words in frequency order, their counts)
plus the two derived tables training needs: subsampling keep-probabilities
and the word -> index map. It can be built and reused on its own.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ._lexicon import Lexicon, WordCounts, WordList


@dataclass
class Vocabulary:
    """Words kept for training, most frequent first.

    Parameters
    ----------
    index_to_key : list of str
        Words, most frequent first; among words of equal count the one seen
        first comes last, as gensim 4 orders its vocabulary.
    counts : ndarray of shape (n_words,), int64
        Corpus count of each word.
    rare_counts : mapping of str to int
        Counts of words seen but below ``min_count`` (a :class:`~._lexicon.WordCounts`
        when built here, held compactly: most of a corpus's distinct words); they join the
        vocabulary in a later :meth:`update` once their total reaches it.
    """

    index_to_key: list
    counts: np.ndarray
    rare_counts: Mapping = field(default_factory=dict)

    def __post_init__(self):
        self.counts = np.asarray(self.counts, dtype=np.int64)
        self.key_to_index = {w: i for i, w in enumerate(self.index_to_key)}
        check_unique(self.index_to_key, self.key_to_index)

    def __len__(self):
        return len(self.index_to_key)

    def __getstate__(self):
        # compact rare words travel as three arrays, so pickle, joblib and skops
        # files hold no skw2v type beyond this one
        state = dict(self.__dict__)
        rare = state.pop("rare_counts")
        if isinstance(rare, WordCounts):
            state["rare_utf8"] = (rare.words.blob, rare.words.bounds, rare.counts)
        else:
            state["rare_counts"] = rare
        return state

    def __setstate__(self, state):
        state = dict(state)
        if "rare_utf8" in state:
            blob, bounds, counts = state.pop("rare_utf8")
            state["rare_counts"] = WordCounts(WordList.checked(blob, bounds), counts)
        self.__dict__.update(state)

    @property
    def total_words(self):
        """Number of corpus tokens that are in the vocabulary."""
        return int(self.counts.sum())

    @classmethod
    def from_counts(cls, words, counts, min_count=5, max_vocab_size=None):
        """Build a vocabulary from parallel ``words`` / ``counts`` sequences.

        ``words`` must be in first-seen order: ties are then broken the way
        gensim breaks them (:func:`select_words`), so that a vocabulary built
        here lists the words of gensim's, in the same order.
        """
        counts = np.asarray(counts, dtype=np.int64)
        kept = select_words(counts, min_count, max_vocab_size)
        rare = np.setdiff1d(np.arange(len(counts)), kept, assume_unique=True)
        if not isinstance(words, WordList):
            words = WordList.from_strs(words)
        return cls(
            index_to_key=list(words.take(kept)),
            counts=counts[kept],
            rare_counts=WordCounts(words.take(rare), counts[rare]),
        )

    def update(self, words, counts, min_count=5, max_vocab_size=None):
        """Return a new vocabulary with more counts added (for partial_fit).

        Known words keep their index; their counts grow. Unknown words are
        counted together with earlier rare counts and those reaching
        ``min_count`` are appended in :func:`select_words`' order.
        """
        old_counts = self.counts.copy()
        rare = dict(self.rare_counts.items())
        for w, c in zip(words, np.asarray(counts, dtype=np.int64).tolist()):
            i = self.key_to_index.get(w)
            if i is None:
                rare[w] = rare.get(w, 0) + c
            else:
                old_counts[i] += c
        # rare words in first-seen order (earlier calls' first): ties as in from_counts
        candidates = list(rare)
        room = None if max_vocab_size is None else max(max_vocab_size - len(self), 0)
        picked = select_words(np.fromiter(rare.values(), np.int64, len(rare)), min_count, room)
        grown = [candidates[i] for i in picked.tolist()]
        new_counts = np.array([rare.pop(w) for w in grown], dtype=np.int64)
        return Vocabulary(self.index_to_key + grown,
                          np.concatenate([old_counts, new_counts]), WordCounts.from_dict(rare))

    def keep_probs(self, sample):
        """Probability of keeping each word under frequent-word subsampling.

        word2vec's formula: ``(sqrt(f / t) + 1) * t / f`` with
        ``t = sample * total_words``, capped at 1; ``sample=0`` keeps all.
        """
        if not sample:
            return np.ones(len(self), dtype=np.float32)
        threshold = sample * self.total_words
        f = self.counts.astype(np.float64)
        prob = (np.sqrt(f / threshold) + 1.0) * threshold / f
        return np.minimum(prob, 1.0).astype(np.float32)

    def remap_table(self, words):
        """int32 array mapping positions in ``words`` to vocabulary ids (-1 if absent)."""
        if isinstance(words, WordList):  # one numba pass, no str per word
            lexicon = Lexicon()
            lexicon.lookup(self.index_to_key)  # ids 0 .. n - 1: the vocabulary's
            return lexicon.lookup_utf8(words.blob, words.bounds[1:], insert=False)
        get = self.key_to_index.get
        return np.fromiter((get(w, -1) for w in words), dtype=np.int32, count=len(words))


def check_unique(index_to_key, key_to_index):
    """Raise ValueError naming the first repeated word when the mapping lost one."""
    if len(key_to_index) != len(index_to_key):
        seen = set()
        dup = next(w for w in index_to_key if w in seen or seen.add(w))
        raise ValueError(f"words must be unique; {dup!r} appears more than once")


def select_words(counts, min_count, max_vocab_size):
    """Indices of the words to keep: most frequent first, ties in reverse first-seen order.

    gensim 4's ``sort_by_descending_frequency`` sorts its first-seen word
    list by ``(-count, -index)``; the same order here means equal
    ``index_to_key`` lists, word2vec files that list words alike, and
    evaluations restricted to the first N words (``restrict_vocab``) that
    see the same words for both. ``max_vocab_size`` keeps the first words
    of that order.
    """
    counts = np.asarray(counts)
    kept = np.flatnonzero(counts >= min_count)  # sort only these: most distinct words are rare
    order = kept[np.lexsort((-kept, -counts[kept]))]
    if max_vocab_size is not None:
        order = order[:max_vocab_size]
    return order
