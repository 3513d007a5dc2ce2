"""The GPU hogwild engine: word2vec's own update as one CUDA kernel, many segments at once.

Per block of documents (``block_words`` words): the block's word ids move to
the device (the copy of the next block overlapping training on this one),
:func:`~.segments.plan_segments` subsamples it and cuts it into segments
with CuPy array operations, and one launch of :mod:`.cuda_kernel` trains
every segment, one warp each. The weights stay on the device for the whole
fit; :meth:`CudaHogwildEngine.finalize` copies them back.

Draws are counter-based from the engine's seed and the global word
position, so the result does not depend on how warps are scheduled. With
``NUMBA_ENABLE_CUDASIM=1`` the same engine runs the kernel in numba's CUDA
simulator on numpy arrays (``xp`` is numpy and the host matrices are
trained in place).
"""

import numpy as np

from .._device import device_scope
from .base import ChunkTally, Engine, copy_to_host, locked_rows, memory_hint, plan_chunks
from .segments import SEGMENT_WORDS, plan_segments

BLOCK_WORDS = 1 << 24  # 64 MiB of int32 ids a block; two blocks are on the device at once
_OOM_HINT = ("The GPU ran out of memory: the weights take {:.2f} GiB (two {} x {} float32 "
             "matrices) and a block of {} words about 50 bytes a word while it is planned. Lower "
             "vector_size or max_vocab_size, raise min_count, or use device='cpu'.")
CONCURRENCY = 1024  # segments in flight; quality holds up to 4,096, not at 8,192 (RESULTS.md)


class CudaHogwildEngine(Engine):
    """Trains the weights on a CUDA device (or numba's CUDA simulator).

    Parameters
    ----------
    corpus, tables, syn0, syn1neg, window, negative, random_state
        As every engine (:mod:`.base`); one 32-bit seed is drawn from
        ``random_state`` here, for all of this engine's counter-based draws.
        ``tables.locked`` goes to the device with the other tables (uint8).
    xp : numpy or cupy
        numpy only under numba's CUDA simulator.
    device_index : int
    block_words : int
        Corpus words moved to the device and trained per kernel launch.
    segment_words : int
        Most words of a segment, the sequential work of one warp.
    concurrency : int
        Segments in flight: the warps a launch runs (each trains every
        ``concurrency``-th segment). More warps hide more memory latency but
        let more updates of a frequent word's rows meet stale values.
    reference : bool
        Run the kernel's CPU reference (:mod:`.segment_reference`, numpy
        only) instead, ``concurrency`` segments in lockstep: the CPU's
        stand-in for warps in flight, to measure quality without a GPU.
    """

    def __init__(self, corpus, tables, syn0, syn1neg, *, window, negative, random_state, xp,
                 device_index, block_words=BLOCK_WORDS, segment_words=SEGMENT_WORDS,
                 concurrency=CONCURRENCY, reference=False):
        super().__init__(corpus, tables, syn0, syn1neg, window=window, negative=negative,
                         random_state=random_state)
        if reference and xp is not np:
            raise ValueError("the CPU reference trains numpy arrays only")
        self.xp, self.device_index = xp, device_index
        self.block_words, self.segment_words = int(block_words), int(segment_words)
        self.concurrency, self.reference = int(concurrency), reference
        self.seed = int(random_state.randint(0, 2**32, dtype=np.uint64))
        if not reference:
            from .cuda_kernel import lanes_for, train_kernel  # numba.cuda loads for a GPU fit only

            self.kernel = train_kernel(lanes_for(syn0.shape[1]))
        with self._device(), self._oom_guard():
            self.d_syn0, self.d_syn1neg = xp.asarray(syn0), xp.asarray(syn1neg)
            tables = tables._replace(locked=locked_rows(tables, len(syn0)))
            self.d_tables = type(tables)(*(xp.asarray(a) for a in tables))
        self.loader = BlockLoader(xp, corpus.ids)

    def weights(self):
        return self.d_syn0, self.d_syn1neg

    def train(self, epoch, doc_lo, doc_hi, schedule, report):
        """Train documents ``doc_lo:doc_hi`` of ``epoch``, reporting each block's tally."""
        offsets = self.corpus.offsets
        bounds, words = plan_chunks(offsets, self.block_words, doc_lo, doc_hi)
        blocks = list(zip(bounds[:-1], bounds[1:]))
        with self._device(), self._oom_guard():
            spans = [(int(lo), int(hi)) for lo, hi in zip(words[:-1], words[1:])]
            for (lo, hi), (start, _), ids in zip(blocks, spans, self.loader.blocks(spans)):
                local = self.xp.asarray(offsets[lo:hi + 1] - start)
                report(self._train_block(ids, local, schedule.position(epoch, start), schedule))

    def _train_block(self, ids, offsets, pos_base, schedule):
        xp = self.xp
        plan = plan_segments(xp, ids, offsets, self.d_tables.keep_prob, self.seed, pos_base,
                             self.segment_words)
        n_segments = len(plan.start)
        seg_loss = xp.zeros(n_segments, xp.float32)
        seg_examples = xp.zeros(n_segments, xp.int32)
        d = self.d_tables
        args = (*plan, self.d_syn0, self.d_syn1neg, d.prob, d.alias, d.locked,
                self.window, self.negative, np.uint64(self.seed), np.uint64(pos_base),
                np.float32(schedule.origin(pos_base)), np.float32(schedule.step),
                np.float32(schedule.min_alpha), seg_loss, seg_examples)
        if n_segments and self.reference:
            from .segment_reference import train_segments_reference

            train_segments_reference(*args, self.concurrency)
        elif n_segments:
            from .cuda_kernel import WARP, WARPS_PER_BLOCK

            grid = -(-min(n_segments, self.concurrency) // WARPS_PER_BLOCK)
            self.kernel[grid, WARP * WARPS_PER_BLOCK, self._stream()](*args)
        # per-segment float32 sums, added up in float64
        return ChunkTally(len(ids), float(seg_loss.sum(dtype=xp.float64)),
                          int(seg_examples.sum(dtype=xp.int64)), len(plan.ids))

    def finalize(self):
        """Copy the trained weights back into the host ``syn0`` / ``syn1neg``."""
        with self._device():
            copy_to_host((self.syn0, self.syn1neg), self.weights())

    def _oom_guard(self):
        n, dim = self.syn0.shape
        return memory_hint(_OOM_HINT.format(2 * self.syn0.nbytes / 2**30, n, dim,
                                            self.block_words))

    def _device(self):
        return device_scope(self.xp, self.device_index, numba_cuda=True)

    def _stream(self):
        """numba's handle on CuPy's current stream, so kernel and array work stay in order."""
        from numba import cuda

        if self.xp is np:
            return 0
        return cuda.external_stream(self.xp.cuda.get_current_stream().ptr)


class BlockLoader:
    """Word ids of corpus spans on the device, the next span's copy overlapping this one's use.

    Two device buffers and two pinned host buffers take turns: while the
    caller trains block ``i`` on the compute stream, block ``i + 1`` is
    copied on a second stream. The buffers and the stream are made once
    and kept for later epochs. A single span (a corpus that fits one
    block) stays on the device across epochs. On numpy (the simulator)
    a span is just the host slice.
    """

    def __init__(self, xp, ids):
        self.xp, self.ids = xp, ids
        self._resident = None  # (lo, hi) of a one-span corpus held in device buffer 0
        self._buffers = None   # (pinned, device, copy stream), made at the first copy

    def blocks(self, spans):
        """Yield a device int32 array of ``ids[lo:hi]`` for each ``(lo, hi)`` in ``spans``."""
        if self.xp is np:
            for lo, hi in spans:
                yield np.asarray(self.ids[lo:hi])
            return
        if len(spans) == 1 and self._resident == spans[0]:
            yield self._buffers[1][0][:spans[0][1] - spans[0][0]]
            return
        self._resident = None
        yield from self._double_buffered(spans)
        if len(spans) == 1:
            self._resident = spans[0]

    def _allocate(self, size):
        """Two pinned and two device buffers of at least ``size`` ids, and the copy stream."""
        if self._buffers is None or len(self._buffers[0][0]) < size:
            import cupyx

            cp = self.xp
            self._buffers = ([cupyx.empty_pinned(size, np.int32) for _ in range(2)],
                             [cp.empty(size, cp.int32) for _ in range(2)],
                             cp.cuda.Stream(non_blocking=True))
        return self._buffers

    def _double_buffered(self, spans):
        cp = self.xp
        pinned, device, copy_stream = self._allocate(max(hi - lo for lo, hi in spans))
        copied, used = [None, None], [None, None]
        cp.cuda.get_current_stream().synchronize()  # the last call's blocks are done with them

        def start(i):
            lo, hi, b = spans[i][0], spans[i][1], i % 2
            if used[b] is not None:
                used[b].synchronize()  # the block that last used buffer b is trained
            pinned[b][:hi - lo] = self.ids[lo:hi]
            device[b][:hi - lo].set(pinned[b][:hi - lo], stream=copy_stream)
            copied[b] = copy_stream.record()

        start(0)
        for i, (lo, hi) in enumerate(spans):
            if i + 1 < len(spans):
                start(i + 1)
            b = i % 2
            cp.cuda.get_current_stream().wait_event(copied[b])
            yield device[b][:hi - lo]
            used[b] = cp.cuda.get_current_stream().record()
