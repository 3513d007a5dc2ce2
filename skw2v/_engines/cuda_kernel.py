"""The CUDA kernel of the GPU hogwild engine, written with numba-cuda.

One warp trains one segment (:mod:`.segments`) at a time: its words in
order, each with word2vec's CBOW negative-sampling update (SPEC section
2), then the segment one grid-width further. The 32
lanes stride over the embedding dimensions, so every row load is a
contiguous, coalesced read, and each lane keeps its slice of the context
mean ``h``, the gradient accumulator ``neu1e`` and the current output row
in registers (``per_lane`` values each). A dot product is summed within a
lane and then across the warp with xor shuffles, which leave the same sum
in every lane, so all lanes take the same branch without a broadcast.

Writes are atomic adds (hogwild without lost updates): thousands of warps
update the rows of frequent words at once, and a plain load-add-store
would drop the updates that land between another warp's load and store.
The per-word loop has no float64 arithmetic (tests check the PTX).

numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) runs this source on
the CPU, but has no warp shuffles: :func:`_warp_sum_simulated` is its
stand-in (shared memory and block barriers, so a simulated block is one
warp).
"""

import functools

import numba
import numpy as np
from numba import cuda

from .._schedule import linear_alpha
from .segments import ONE, ZERO, sigmoid_and_loss, target_and_label, word_window

WARP = 32
SIMULATED = bool(numba.config.ENABLE_CUDASIM)
WARPS_PER_BLOCK = 1 if SIMULATED else 4
_FULL_MASK = 0xFFFFFFFF


def _warp_sum_shuffle(v):
    for offset in (16, 8, 4, 2, 1):
        v += cuda.shfl_xor_sync(_FULL_MASK, v, offset)
    return v


def _warp_sum_simulated(v):
    lanes = cuda.shared.array(WARP, numba.float32)
    cuda.syncthreads()  # every lane has read the previous sum
    lanes[cuda.threadIdx.x % WARP] = v
    cuda.syncthreads()
    total = ZERO
    for lane in range(WARP):
        total += lanes[lane]
    return total


warp_sum = cuda.jit(device=True)(_warp_sum_simulated if SIMULATED else _warp_sum_shuffle)


def lanes_for(dim):
    """Values per lane for ``dim`` dimensions, rounded up to a power of two (fewer compiles)."""
    need = max(1, -(-dim // WARP))
    return 1 << (need - 1).bit_length()


@functools.lru_cache(maxsize=None)
def train_kernel(per_lane):
    """The kernel for vectors of at most ``per_lane * 32`` dimensions (compiled at first launch).

    Launch with ``WARPS_PER_BLOCK * 32`` threads a block; the grid's warps
    are the segments in flight (warp ``w`` of ``n`` trains segments ``w``,
    ``w + n``, ...). The arguments are those of
    :func:`~skw2v._engines.segment_reference.train_segments_reference`
    without ``concurrency``.
    """
    return cuda.jit(fastmath=True)(_kernel_source(per_lane))


def _kernel_source(per_lane):
    """The kernel's Python source for ``per_lane`` values a lane (a compile-time constant)."""

    @cuda.jit(device=True, inline="always")
    def context_mean(h, ids, t, lo, hi, syn0, lane):
        """``h`` = this lane's part of the mean of the input rows of ``ids[lo:hi]`` but ``t``."""
        for i in range(per_lane):
            h[i] = ZERO
        for c in range(lo, hi):
            if c != t:
                w = ids[c]
                for i in range(per_lane):
                    if lane + i * WARP < syn0.shape[1]:
                        h[i] += syn0[w, lane + i * WARP]
        inv = ONE / np.float32(hi - lo - 1)
        for i in range(per_lane):
            h[i] *= inv

    @cuda.jit(device=True, inline="always")
    def add_to_context(e, ids, t, lo, hi, syn0, locked, lane):
        """Add ``e`` (neu1e, undivided) to the input rows of ``ids[lo:hi]`` but ``t``,
        skipping the rows of locked words (the whole warp takes the same branch)."""
        for c in range(lo, hi):
            if c != t:
                w = ids[c]
                if locked[w] != 0:
                    continue
                for i in range(per_lane):
                    if lane + i * WARP < syn0.shape[1]:
                        cuda.atomic.add(syn0, (w, lane + i * WARP), e[i])

    @cuda.jit(device=True, inline="always")
    def output_step(h, e, row, target, label, alpha, syn1neg, lane):
        """One output row's update; adds to ``e``, returns the loss."""
        f = ZERO
        for i in range(per_lane):
            if lane + i * WARP < syn1neg.shape[1]:
                row[i] = syn1neg[target, lane + i * WARP]
                f += h[i] * row[i]
        s, loss = sigmoid_and_loss(warp_sum(f), label)
        g = (label - s) * alpha
        for i in range(per_lane):
            if lane + i * WARP < syn1neg.shape[1]:
                e[i] += g * row[i]
                cuda.atomic.add(syn1neg, (target, lane + i * WARP), g * h[i])
        return loss

    def train_segments(ids, pos, start, end, doc_lo, doc_hi, syn0, syn1neg, prob, alias, locked,
                       window, negative, seed, pos_base, alpha0, step, min_alpha,
                       seg_loss, seg_examples):
        warps = cuda.blockDim.x // WARP
        lane = cuda.threadIdx.x % WARP
        h = cuda.local.array(per_lane, numba.float32)
        e = cuda.local.array(per_lane, numba.float32)
        row = cuda.local.array(per_lane, numba.float32)
        # warp w trains segments w, w + n_warps, ...: the launch sets how many are in flight
        for seg in range(cuda.blockIdx.x * warps + cuda.threadIdx.x // WARP, len(start),
                         cuda.gridDim.x * warps):
            loss = ZERO
            examples = 0
            for t in range(start[seg], end[seg]):
                key, lo, hi = word_window(t, doc_lo[seg], doc_hi[seg], pos, window, seed,
                                          pos_base)
                if hi - lo <= 1:
                    continue
                examples += 1
                context_mean(h, ids, t, lo, hi, syn0, lane)
                for i in range(per_lane):
                    e[i] = ZERO
                alpha = linear_alpha(alpha0, step, min_alpha, np.float32(pos[t]))
                for d in range(negative + 1):
                    target, label = target_and_label(d, ids[t], key, prob, alias)
                    if target >= 0:
                        loss += output_step(h, e, row, target, label, alpha, syn1neg, lane)
                add_to_context(e, ids, t, lo, hi, syn0, locked, lane)
            if lane == 0:
                seg_loss[seg] = loss
                seg_examples[seg] = examples

    return train_segments
