"""Random numbers: per-thread generators inside numba kernels, RandomState as plain data.

A CPU kernel owns one 64-bit state (xorshift64*), passed in and returned, so
threads never share generator state and a seed fixes a chunk's draws.

The GPU engine and its CPU reference use counter-based draws instead
(:func:`word_key`, :func:`counter_draw`): a draw is a pure function of the
seed, the word's global position and a counter, so it does not depend on
which warp trains the word, or when.
"""

import numba
import numpy as np
from numba.extending import register_jitable

from ._checks import is_int, is_number

_MULT = np.uint64(0x2545F4914F6CDD1D)
_S12 = np.uint64(12)
_S25 = np.uint64(25)
_S27 = np.uint64(27)
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_INV_2_32 = 1.0 / 4294967296.0
MT_KEY_LEN = 624  # uint32 words in numpy's MT19937 key


@numba.njit(cache=True)
def next_u64(state):
    """Advance ``state``; return ``(new_state, random uint64)``."""
    state ^= state >> _S12
    state ^= state << _S25
    state ^= state >> _S27
    return state, state * _MULT


@numba.njit(cache=True)
def split_u64(r, n):
    """Split one draw into an int in [0, n) (high bits) and a float in [0, 1) (low bits)."""
    i = np.int64(((r >> _S32) * np.uint64(n)) >> _S32)
    u = np.float32(np.float64(r & _LOW32) * _INV_2_32)
    return i, u


def seed_states(random_state, n):
    """``n`` independent non-zero uint64 seeds from a numpy RandomState."""
    seeds = random_state.randint(1, 2**63 - 1, size=n, dtype=np.int64).astype(np.uint64)
    return seeds


def rng_to_state(rng):
    """A numpy RandomState as plain data: ``(key, [pos, has_gauss, cached_gaussian])``.

    ``key`` is the uint32 MT19937 key (624 values); the list is JSON-able.
    """
    kind, key, pos, has_gauss, cached = rng.get_state(legacy=True)
    if kind != "MT19937":
        raise ValueError(f"unsupported random state {kind!r}")
    return np.asarray(key, dtype=np.uint32), [int(pos), int(has_gauss), float(cached)]


def rng_from_state(key, tail, what="random_state"):
    """The RandomState :func:`rng_to_state` described; ValueError naming ``what`` if invalid."""
    ok = (isinstance(tail, (list, tuple)) and len(tail) == 3 and is_int(tail[0])
          and 0 <= tail[0] <= MT_KEY_LEN and is_int(tail[1]) and is_number(tail[2]))
    if not ok:
        raise ValueError(f"{what} must be [pos, has_gauss, cached_gaussian]")
    key = np.asarray(key) if key is not None else None
    if key is None or key.dtype != np.uint32 or key.shape != (MT_KEY_LEN,):
        raise ValueError(f"{what} key must be a uint32 array of shape ({MT_KEY_LEN},)")
    rng = np.random.RandomState()
    try:
        rng.set_state(("MT19937", key, tail[0], tail[1], float(tail[2])))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{what} is invalid ({exc})") from None
    return rng


# Counter-based draws. 32-bit values are held in uint64 so that no product
# overflows: numpy scalars and arrays, CuPy arrays, numba and CUDA device code
# then all compute the same bits (and numpy raises no overflow warnings in
# numba's CUDA simulator).
M32 = np.uint64(0xFFFFFFFF)
_GOLDEN32 = np.uint64(0x9E3779B9)
_LB1 = np.uint64(0x7FEB352D)
_LB2 = np.uint64(0x846CA68B)
_S15 = np.uint64(15)
_S16 = np.uint64(16)


@register_jitable
def mix32(x):
    """A bijection of 32-bit values with good avalanche (Wellons' "lowbias32")."""
    x = x ^ (x >> _S16)
    x = (x * _LB1) & M32
    x = x ^ (x >> _S15)
    x = (x * _LB2) & M32
    return x ^ (x >> _S16)


@register_jitable
def word_key(seed, position):
    """The key of the word at global ``position`` (uint64) under a 32-bit ``seed`` (uint64).

    Distinct positions below 2**32 get distinct keys for a given seed.
    """
    return mix32(mix32((position & M32) ^ seed) ^ (position >> _S32))


@register_jitable
def counter_draw(key, counter):
    """Draw number ``counter`` (uint64) of a word: 32 uniform random bits (in a uint64)."""
    return mix32(key ^ ((counter * _GOLDEN32) & M32))
