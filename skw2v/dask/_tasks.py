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
from .._device import resolve_device
from .._engines import ChunkTally, TrainingTables, engine_class, replicas
from .._engines.hogwild import HogwildEngine
from .._engines.replicas import Merged
from .._engines.rounds import row_updates
from .._lexicon import Lexicon, WordList
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
    vocabulary breaks ties exactly as a local fit (and gensim) does. The
    words are interned as bytes (:class:`~skw2v._lexicon.Lexicon`), never
    decoded: the merged words are a :class:`~skw2v._lexicon.WordList`.
    """
    merged = Lexicon()
    ids = [merged.lookup_utf8(words.blob, words.bounds[1:]) if isinstance(words, WordList)
           else merged.lookup(list(words)) for words, _ in lexicons]
    counts = np.zeros(len(merged), np.int64)
    for i, (_, c) in zip(ids, lexicons):
        np.add.at(counts, i, c)
    return merged.words(), counts


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


def start_replica(weights, share, sync=True):
    """Share ``share``'s replica of the starting weights (copied); ``share`` keeps the
    replicas apart (one task each); ``sync=False``: a lone trainer's (no synced copy)."""
    return replicas.start_replica(weights, sync)


def draw_replica(n_words, dim, seed, share, sync=True):
    """Share ``share``'s replica of the starting weights drawn from ``seed`` (every worker
    draws the same weights: nothing travels)."""
    return replicas.start_replica(initial_weights(n_words, dim, seed), sync)


def train_replica(replica, merged, sync, cuts, tables, parts, part_starts, word_lo, word_hi,
                  schedule, base, stride, *, n_jobs, **options):
    """:func:`~skw2v._engines.replicas.train_replica` with the worker's threads (``n_jobs``)."""
    return replicas.train_replica(replica, merged, sync, cuts, tables, parts, part_starts,
                                  word_lo, word_hi, schedule, base, stride,
                                  n_threads=worker_threads(n_jobs), **options)


def close_replica(replica, merged, sync, cuts):
    """The replica after the last round (:func:`~skw2v._engines.replicas.close_replica`)."""
    return replicas.close_replica(replica, merged, sync, cuts)


def piece(replica, block):
    """The replica's piece of block ``block`` of the last sync (a copy: safe to read late)."""
    return replica.pieces[block]


def merge_pieces(pieces, block, lo, rule, updates, levels, sync):
    """Merged block ``block`` of a sync (:func:`~skw2v._engines.replicas.merge_pieces`);
    ``pieces``: the replicas' pieces of it, the owner's own replica as itself (it is on
    this worker: no task to take its piece out)."""
    pieces = [p.pieces[block] if isinstance(p, replicas.Replica) else p for p in pieces]
    return replicas.merge_pieces(pieces, lo, rule, updates, levels, sync)


def final_block(replica, block, j):
    """Rows of ``block`` after the fit's last sync (:func:`~skw2v._engines.replicas.final_rows`)."""
    return replicas.final_rows(replica, block, j)


def replica_weights(replica):
    """All rows of a replica that needs no sync (one worker), as a Merged block of values."""
    return Merged(0, tuple(w.copy() for w in replicas.current(replica).weights))


def replica_tally(replica):
    """The last round's tally alone (a few numbers travel to the client, not the rows)."""
    return replica.tally


def checksum(replica):
    """Finite if and only if every weight of the replica is."""
    return replicas.checksum(replica)


def join_parts(parts):
    """The trainer's corpus: every encoded partition, in corpus order, as one."""
    return concatenate(parts)


def train_epoch(state, tables, corpus, schedule, epoch, *, window, negative, seed, n_threads,
                device="cpu"):
    """One epoch of the whole corpus on this worker, in place (``state`` is consumed, as a
    replica's round consumes it): the next state, with its tally.

    ``device="cpu"``: the hogwild engine on ``n_threads`` threads;
    a GPU device: the CUDA hogwild engine on this worker's GPU.
    """
    weights = replicas.current(state).weights
    options = dict(window=window, negative=negative, random_state=np.random.RandomState(seed))
    if device == "cpu":
        engine = HogwildEngine(corpus, tables, *weights, n_threads=n_threads, **options)
    else:
        xp, index = resolve_device(device)
        engine = engine_class("hogwild", gpu=True)(corpus, tables, *weights, xp=xp,
                                                   device_index=index, **options)
    tallies = []
    engine.train(epoch, 0, len(corpus.offsets) - 1, schedule, tallies.append)
    engine.finalize()  # the GPU's weights back into the host arrays (nothing on the CPU)
    return replicas.advanced(state, ChunkTally(*(sum(column) for column in zip(*tallies))))


def has_device(device):
    """Whether this worker can train on ``device`` (``client.run`` on every worker)."""
    try:
        resolve_device(device)
    except (ImportError, RuntimeError, ValueError):
        return False
    return True


def worker_threads(n_jobs):
    """Threads for ``n_jobs`` on this worker: -1 (or None) = its threads, -2 = one fewer..."""
    try:
        from distributed import get_worker

        have = get_worker().state.nthreads
    except (ImportError, ValueError):  # not on a worker: this machine's cores
        from joblib import cpu_count

        have = cpu_count()
    return threads_for(n_jobs, have)


def threads_for(n_jobs, have):
    """Threads for ``n_jobs`` on a worker of ``have`` threads."""
    if n_jobs is None:
        return have
    return n_jobs if n_jobs > 0 else max(have + 1 + n_jobs, 1)


def merge_updates(vocab, sample, window, negative, ns_exponent):
    """Expected updates of every row per corpus word (the adaptive merge's input)."""
    return row_updates(vocab.counts, vocab.keep_probs(sample), window, negative, ns_exponent)
