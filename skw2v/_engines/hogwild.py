"""The hogwild CPU engine: n_jobs threads run the numba kernel on chunks.

Each chunk gets its own seed (derived from random_state, the epoch and
the chunk) and the kernel allocates its own scratch buffers, so threads
never share RNG state or scratch, and ``n_jobs=1`` with a seed is
bit-reproducible.
"""

import queue
import threading
import time

from .._random import seed_states
from .base import ChunkTally, Engine, locked_rows, plan_chunks
from .hogwild_kernel import ChunkParams, train_chunk

CHUNK_WORDS = 20_000


class HogwildEngine(Engine):
    """Trains ``syn0`` / ``syn1neg`` in place on an encoded corpus with ``n_threads`` threads.

    Parameters
    ----------
    corpus : EncodedCorpus
    tables : TrainingTables
        Its ``locked`` words' rows of ``syn0`` are left bit-identical.
    syn0, syn1neg : float32 (n_words, dim) C-contiguous weight matrices
    window, negative : int
    random_state : numpy RandomState
    n_threads : int
    chunk_words : int
        Words per chunk, the unit a thread takes from the queue.
    """

    def __init__(self, corpus, tables, syn0, syn1neg, *, window, negative, random_state,
                 n_threads, chunk_words=CHUNK_WORDS):
        super().__init__(corpus, tables, syn0, syn1neg, window=window, negative=negative,
                         random_state=random_state)
        self.n_threads = n_threads
        self.chunk_words = chunk_words
        self.locked = locked_rows(tables, len(syn0))

    def _run_chunk(self, doc_lo, doc_hi, params):
        ids, offsets = self.corpus
        # Slices: views in memory, fresh reads for a corpus spilled to disk.
        offsets = offsets[doc_lo:doc_hi + 1]
        lo, hi = offsets[0], offsets[-1]
        tables = self.tables
        loss, examples, effective = train_chunk(
            ids[lo:hi], offsets - lo, 0, doc_hi - doc_lo, tables.keep_prob, tables.prob,
            tables.alias, self.locked, self.syn0, self.syn1neg, params)
        return ChunkTally(int(hi - lo), loss, examples, effective)

    def _jobs(self, epoch, doc_lo, doc_hi, schedule):
        """``(doc_lo, doc_hi, ChunkParams)`` of every chunk; seeds drawn once per call."""
        bounds, words = plan_chunks(self.corpus.offsets, self.chunk_words, doc_lo, doc_hi)
        starts = schedule.position(epoch, words[:-1])
        seeds = seed_states(self.random_state, len(starts))
        return [(int(lo), int(hi), ChunkParams(self.window, self.negative, schedule.alpha,
                                               schedule.step, schedule.min_alpha, int(start),
                                               seed))
                for lo, hi, start, seed in zip(bounds[:-1], bounds[1:], starts, seeds)]

    def train(self, epoch, doc_lo, doc_hi, schedule, report):
        """Train documents ``doc_lo:doc_hi`` of ``epoch``, reporting each chunk's tally."""
        jobs = self._jobs(epoch, doc_lo, doc_hi, schedule)
        if self.n_threads == 1:
            for job in jobs:
                report(self._run_chunk(*job))
        else:
            self._run_threaded(jobs, report)

    def _run_threaded(self, jobs, report):
        """Run the chunks on worker threads; the calling thread tallies results.

        Workers pull chunks from a queue, so stopping is one flag: on Ctrl-C
        or a failed chunk, queued chunks are dropped and every started
        thread is joined (a running chunk ends within milliseconds) before
        the error propagates; no worker outlives the call.
        """
        results, stop = queue.SimpleQueue(), threading.Event()
        queued = queue.SimpleQueue()
        for job in jobs:
            queued.put(job)
        threads = [threading.Thread(target=self._worker, args=(queued, results, stop),
                                    name=f"skw2v-{i}", daemon=True)
                   for i in range(min(self.n_threads, len(jobs)))]
        try:
            for thread in threads:
                thread.start()
            for _ in jobs:
                tally, err = results.get()
                if err is not None:
                    raise err
                report(tally)
        finally:
            stop.set()
            _join_all(threads)

    def _worker(self, jobs, results, stop):
        while not stop.is_set():
            try:
                job = jobs.get_nowait()
            except queue.Empty:
                return
            try:
                results.put((self._run_chunk(*job), None))
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
