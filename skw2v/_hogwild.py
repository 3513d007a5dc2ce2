"""The hogwild CPU engine: n_jobs threads run the numba kernel on chunks.

Each chunk gets its own seed (derived from random_state, the epoch and
the chunk) and the kernel allocates its own scratch buffers, so threads
never share RNG state or scratch, and ``n_jobs=1`` with a seed is
bit-reproducible.
"""

import queue
import threading
import time

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
        doc_lo, doc_hi = self.bounds[k], self.bounds[k + 1]
        lo, hi = offsets[doc_lo], offsets[doc_hi]
        # A slice: a view in memory, a fresh read for a corpus spilled to disk.
        loss, examples, effective = train_chunk(
            ids[lo:hi], offsets[doc_lo:doc_hi + 1] - lo, 0, doc_hi - doc_lo, keep_prob, prob,
            alias, self.syn0, self.syn1neg, params)
        return int(hi - lo), loss, examples, effective

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
        """Run the chunks on worker threads; the calling thread tallies results.

        Workers pull chunks from a queue, so stopping is one flag: on Ctrl-C
        or a failed chunk, queued chunks are dropped and every started
        thread is joined (a running chunk ends within milliseconds) before
        the error propagates; no worker outlives the call.
        """
        jobs, results, stop = queue.SimpleQueue(), queue.SimpleQueue(), threading.Event()
        for item in enumerate(params):
            jobs.put(item)
        threads = [threading.Thread(target=self._worker, args=(jobs, results, stop),
                                    name=f"skw2v-{i}", daemon=True)
                   for i in range(min(self.n_threads, len(params)))]
        try:
            for thread in threads:
                thread.start()
            for _ in params:
                result, err = results.get()
                if err is not None:
                    raise err
                totals += result
                progress(result[0], result[1], result[2])
        finally:
            stop.set()
            _join_all(threads)

    def _worker(self, jobs, results, stop):
        while not stop.is_set():
            try:
                k, p = jobs.get_nowait()
            except queue.Empty:
                return
            try:
                results.put((self._run_chunk(k, p), None))
            except BaseException as err:  # handed to the calling thread, which re-raises
                results.put((None, err))
                return


def _join_all(threads):
    """Join every thread that was started, even across a second Ctrl-C."""
    for thread in threads:
        while thread in threading.enumerate():  # listed from start(), even if interrupted
            try:
                thread.join(0.05)
            except RuntimeError:  # start() was interrupted before the thread ran
                time.sleep(0.001)
            except KeyboardInterrupt:
                pass
