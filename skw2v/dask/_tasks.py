"""What the workers run: plain functions of plain data, so every result can be recomputed.

Every step of a distributed fit is one of these functions, submitted as a
pure task: a worker that dies takes only results the scheduler can compute
again from their inputs (nothing is scattered, no Actor holds state). They
know nothing about dask; each is the local estimator's step applied to one
partition.
"""

import numpy as np

from .._aggregate import sample_ranges
from .._corpus import EncodedCorpus, concatenate, encode, read_corpus
from .._engines import TrainingTables
from .._engines.rounds import merge_deltas, row_updates, train_share
from .._sampler import alias_table
from .._vectorizer import init_input_vectors
from .._vocab import Vocabulary


def read_partition(documents, analyzer):
    """Pass 1 on one partition: tokens -> provisional ids and the partition's lexicon."""
    return read_corpus(documents, analyzer)


def lexicon(raw):
    """``(words, counts)`` of a read partition, words in first-seen order."""
    return raw.words, raw.counts


def merge_lexicons(*lexicons):
    """Sum the counts of ``(words, counts)`` lexicons given in corpus order.

    Words keep their first-seen order across the lexicons, so the merged
    lexicon of all partitions is the one a local fit reads, and the
    vocabulary breaks ties exactly as a local fit (and gensim) does.
    """
    index = {}
    ids = [np.fromiter((index.setdefault(w, len(index)) for w in words), np.int64, len(words))
           for words, _ in lexicons]
    counts = np.zeros(len(index), np.int64)
    for i, (_, c) in zip(ids, lexicons):
        np.add.at(counts, i, c)
    return list(index), counts


def build_vocabulary(lexicon, min_count, max_vocab_size):
    """The vocabulary of a merged lexicon (as a local fit builds it)."""
    return Vocabulary.from_counts(*lexicon, min_count, max_vocab_size)


def encode_partition(raw, vocab, max_doc_len):
    """Pass 2 on one partition: vocabulary ids, documents cut at ``max_doc_len``."""
    return encode(raw, vocab.remap_table(raw.words), max_doc_len)


def corpus_size(corpus):
    """``(documents, words)`` of an encoded partition."""
    return len(corpus.offsets) - 1, corpus.n_words


def corpus_sample(corpus, max_words, pieces):
    """The partition's documents in :func:`~skw2v._aggregate.sample_ranges`: about
    ``max_words`` words from ``pieces`` places spread over it (all of it if no larger)."""
    return concatenate(EncodedCorpus(corpus.ids, corpus.offsets[first:last + 1])
                       for first, last in sample_ranges(corpus.offsets, max_words, pieces))


def training_tables(vocab, sample, ns_exponent, locked=None):
    """Subsampling and negative-sampling tables of the vocabulary; ``locked``: uint8 per word,
    1 for the input rows training must leave as they are (None: none)."""
    return TrainingTables(vocab.keep_probs(sample), *alias_table(vocab.counts, ns_exponent),
                          locked=locked)


def initial_weights(n_words, dim, seed):
    """``(syn0, syn1neg)`` as a fit starts them, drawn from ``seed``."""
    syn0 = init_input_vectors(np.random.RandomState(seed), n_words, dim)
    return syn0, np.zeros_like(syn0)


def given_weights(syn0, syn1neg):
    """``(syn0, syn1neg)`` given by the client (a task, so the scheduler can recompute it)."""
    return syn0, syn1neg


def train_round_share(weights, tables, parts, part_starts, word_lo, word_hi, schedule, base,
                      stride, *, n_jobs, **options):
    """:func:`~skw2v._engines.rounds.train_share` with the worker's threads (``n_jobs``)."""
    return train_share(weights, tables, parts, part_starts, word_lo, word_hi, schedule, base,
                       stride, n_threads=worker_threads(n_jobs), **options)


def worker_threads(n_jobs):
    """Threads for ``n_jobs`` on this worker: -1 (or None) = its threads, -2 = one fewer..."""
    try:
        from distributed import get_worker

        have = get_worker().state.nthreads
    except (ImportError, ValueError):  # not on a worker: this machine's cores
        from joblib import cpu_count

        have = cpu_count()
    if n_jobs is None:
        return have
    return n_jobs if n_jobs > 0 else max(have + 1 + n_jobs, 1)


def merge_updates(vocab, sample, window, negative, ns_exponent):
    """Expected updates of every row per corpus word (the adaptive merge's input)."""
    return row_updates(vocab.counts, vocab.keep_probs(sample), window, negative, ns_exponent)


def merge_round(weights, deltas, rule, updates, step):
    """The round's new weights; ``step``: a share's round words x rate x STEP."""
    return merge_deltas(weights, deltas, rule, tuple(u * step for u in updates))


def round_tally(delta):
    """The share's tally alone (a few numbers travel to the client, not the rows)."""
    return delta.tally
