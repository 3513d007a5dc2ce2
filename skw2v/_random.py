"""Per-thread random numbers inside numba kernels.

A kernel owns one 64-bit state (xorshift64*), passed in and returned, so
threads never share generator state and a seed fixes a chunk's draws.
"""

import numba
import numpy as np

_MULT = np.uint64(0x2545F4914F6CDD1D)
_S12 = np.uint64(12)
_S25 = np.uint64(25)
_S27 = np.uint64(27)
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_INV_2_32 = 1.0 / 4294967296.0


@numba.njit(inline="always", cache=True)
def next_u64(state):
    """Advance ``state``; return ``(new_state, random uint64)``."""
    state ^= state >> _S12
    state ^= state << _S25
    state ^= state >> _S27
    return state, state * _MULT


@numba.njit(inline="always", cache=True)
def split_u64(r, n):
    """Split one draw into an int in [0, n) (high bits) and a float in [0, 1) (low bits)."""
    i = np.int64(((r >> _S32) * np.uint64(n)) >> _S32)
    u = np.float32(np.float64(r & _LOW32) * _INV_2_32)
    return i, u


def seed_states(random_state, n):
    """``n`` independent non-zero uint64 seeds from a numpy RandomState."""
    seeds = random_state.randint(1, 2**63 - 1, size=n, dtype=np.int64).astype(np.uint64)
    return seeds
