"""The hogwild CPU engine: n_jobs threads run the numba kernel on chunks.

Each chunk gets its own seed (derived from random_state, the epoch and
the chunk) and the kernel allocates its own scratch buffers, so threads
never share RNG state or scratch, and ``n_jobs=1`` with a seed is
bit-reproducible.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._hogwild_kernel import ChunkParams, train_chunk
from ._random import seed_states
from ._training import EpochStats, plan_chunks

CHUNK_WORDS = 20_000


class HogwildEngine:
    """Trains ``syn0`` / ``syn1neg`` in place on an encoded corpus.

    Parameters
    ----------
    corpus : EncodedCorpus
    keep_prob : float32 array, subsampling keep-probability per word
    prob, alias : the negative-sampling alias table
    syn0, syn1neg : float32 (n_words, dim) C-contiguous weight matrices
    window, negative, n_threads : int
    random_state : numpy RandomState
    """

    def __init__(self, corpus, keep_prob, prob, alias, syn0, syn1neg, *, window, negative,
                 n_threads, random_state, chunk_words=CHUNK_WORDS):
        self.corpus = corpus
        self.tables = (keep_prob, prob, alias)
        self.syn0, self.syn1neg = syn0, syn1neg
        self.window, self.negative = window, negative
        self.n_threads = n_threads
        self.random_state = random_state
        self.bounds = plan_chunks(corpus.offsets, chunk_words)

    def weights(self):
        return self.syn0, self.syn1neg

    def _run_chunk(self, k, params):
        ids, offsets = self.corpus
        keep_prob, prob, alias = self.tables
        loss, examples, effective = train_chunk(
            ids, offsets, self.bounds[k], self.bounds[k + 1], keep_prob, prob, alias,
            self.syn0, self.syn1neg, params)
        words = int(offsets[self.bounds[k + 1]] - offsets[self.bounds[k]])
        return words, loss, examples, effective

    def _chunk_params(self, epoch, schedule):
        offsets = self.corpus.offsets
        starts = offsets[self.bounds[:-1]] + epoch * schedule.words_per_epoch
        seeds = seed_states(self.random_state, len(starts))
        return [ChunkParams(self.window, self.negative, schedule.alpha_at(int(s)),
                            schedule.step, schedule.min_alpha, seed)
                for s, seed in zip(starts, seeds)]

    def train_epoch(self, epoch, schedule, progress):
        """Train one epoch; return its EpochStats (epoch and seconds filled by the caller)."""
        params = self._chunk_params(epoch, schedule)
        totals = np.zeros(4)
        if self.n_threads == 1:
            for k, p in enumerate(params):
                result = self._run_chunk(k, p)
                totals += result
                progress(result[0], result[1], result[2])
        else:
            self._run_threaded(params, totals, progress)
        words, loss, examples, effective = totals
        return EpochStats(epoch, float(loss), int(examples), int(words), int(effective), 0.0)

    def _run_threaded(self, params, totals, progress):
        with ThreadPoolExecutor(self.n_threads, thread_name_prefix="skw2v") as pool:
            futures = [pool.submit(self._run_chunk, k, p) for k, p in enumerate(params)]
            try:
                for future in futures:
                    result = future.result()
                    totals += result
                    progress(result[0], result[1], result[2])
            except BaseException:
                # Ctrl-C or a failed chunk: drop queued chunks and join the running
                # ones (each ends within milliseconds) before the error propagates.
                pool.shutdown(wait=True, cancel_futures=True)
                raise
